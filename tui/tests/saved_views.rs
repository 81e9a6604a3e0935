//! Saved views, driven by keys: saving what is on screen, opening it again,
//! the name prompt and the overwrite question, a broken views file; and
//! `analytics-tui --view` refusing a wrong name or a broken file.

mod common;

use common::*;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use shared::event::DeviceClass;
use shared::page_key::PagePattern;
use shared::store::query::{SessionSortKey, WidthSegment};
use shared::store::EventReader;
use std::path::{Path, PathBuf};
use tui::app::{App, HeatFocus, Popup, View};
use tui::filters::Range;
use tui::saved_views::{self, Book};
use tui::worker::Query;

const DAY: i64 = 24 * 3_600_000;

fn press(app: &mut App, store: &dyn EventReader, code: KeyCode) {
    send(
        app,
        tui::app::Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)),
    );
    settle(app, store);
}

fn type_text(app: &mut App, store: &dyn EventReader, text: &str) {
    for c in text.chars() {
        press(app, store, KeyCode::Char(c));
    }
}

/// A console on the shop fixture, with the views file at `path`.
fn console(store: &dyn EventReader, path: &Path, view: View) -> App {
    let mut app = App::new((100, 30), NOW);
    app.set_views(Some(saved_views::load(path)));
    app.start(view);
    settle(&mut app, store);
    app
}

fn views_file() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("analytics-tui").join("views.toml");
    (dir, path)
}

fn file_text(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

fn status(app: &App) -> String {
    app.status
        .as_ref()
        .map(|s| s.text.clone())
        .unwrap_or_default()
}

#[test]
fn a_saved_view_opens_with_its_filters_range_and_sort() {
    let fx = shop();
    let store = fx.reader();
    let (_dir, path) = views_file();
    let mut app = console(store.as_ref(), &path, View::Sessions);
    press(&mut app, store.as_ref(), KeyCode::Char('f'));
    press(&mut app, store.as_ref(), KeyCode::Enter); // device → desktop
    press(&mut app, store.as_ref(), KeyCode::Esc);
    press(&mut app, store.as_ref(), KeyCode::Char('t')); // 24h → 7d
    press(&mut app, store.as_ref(), KeyCode::Char('s')); // start → duration
    assert_eq!(app.sessions.total(), 1, "the desktop session");

    press(&mut app, store.as_ref(), KeyCode::Char('V'));
    assert!(matches!(&app.popup, Popup::Prompt(p) if p.input.is_empty()));
    type_text(&mut app, store.as_ref(), "desktop week");
    press(&mut app, store.as_ref(), KeyCode::Enter);
    assert_eq!(app.popup, Popup::None);
    assert!(
        status(&app).starts_with("saved view desktop week"),
        "{}",
        status(&app)
    );
    let text = file_text(&path);
    assert_eq!(
        text,
        "[views.\"desktop week\"]\nview = \"sessions\"\nrange = \"7d\"\n\
         filters = { device = \"desktop\" }\nsessions_sort = \"duration desc\"\n"
    );

    // Somewhere else entirely.
    press(&mut app, store.as_ref(), KeyCode::Char('F'));
    press(&mut app, store.as_ref(), KeyCode::Char('t'));
    press(&mut app, store.as_ref(), KeyCode::Char('S'));
    press(&mut app, store.as_ref(), KeyCode::Char('1'));
    assert!(app.status.is_none(), "a key clears the message");

    press(&mut app, store.as_ref(), KeyCode::Char('v'));
    assert_eq!(app.popup, Popup::SavedViews { selected: 0 });
    app.take_requests();
    press(&mut app, store.as_ref(), KeyCode::Enter);
    assert_eq!(app.popup, Popup::None);
    assert_eq!(app.view, View::Sessions);
    assert_eq!(app.filter.device, Some(DeviceClass::Desktop));
    assert_eq!(app.range, Range::Last(7 * DAY));
    assert_eq!(app.sessions.sort.key, SessionSortKey::Duration);
    assert!(app.sessions.sort.descending);
    assert_eq!(app.sessions.total(), 1);
    assert_eq!(status(&app), "opened view desktop week");
    let chips = tui::app::chips(&app);
    assert!(chips.contains(&("device", "desktop".into())), "{chips:?}");
}

#[test]
fn opening_a_view_asks_for_its_data_once() {
    let fx = shop();
    let store = fx.reader();
    let (_dir, path) = views_file();
    std::fs::create_dir_all(path.parent().expect("a parent")).expect("a directory");
    std::fs::write(
        &path,
        "[views.rage]\nview = \"pages\"\nrange = \"all\"\nfilters = { rage = true }\n",
    )
    .expect("write");
    let mut app = console(store.as_ref(), &path, View::Overview);
    send(
        &mut app,
        tui::app::Msg::Key(KeyEvent::new(KeyCode::Char('v'), KeyModifiers::NONE)),
    );
    for job in app.take_jobs() {
        send(&mut app, tui::app::Msg::from(job.run()));
    }
    send(
        &mut app,
        tui::app::Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)),
    );
    let requests = app.take_requests();
    // The page list and, beside it, quick backs and dead ends by page.
    assert!(
        matches!(&requests[..], [r, q] if matches!(&r.query, Query::Pages { filter, .. }
            if filter.has_rage_clicks == Some(true) && filter.range.from.is_none())
            && matches!(&q.query, Query::PageFrustration(filter)
            if filter.has_rage_clicks == Some(true))),
        "{requests:?}"
    );
}

#[test]
fn a_name_in_use_is_replaced_only_when_confirmed() {
    let fx = shop();
    let store = fx.reader();
    let (_dir, path) = views_file();
    let mut app = console(store.as_ref(), &path, View::Pages);
    press(&mut app, store.as_ref(), KeyCode::Char('V'));
    type_text(&mut app, store.as_ref(), "pages");
    press(&mut app, store.as_ref(), KeyCode::Enter);
    let first = file_text(&path);

    press(&mut app, store.as_ref(), KeyCode::Char('s')); // views → visitors
    press(&mut app, store.as_ref(), KeyCode::Char('V'));
    assert!(
        matches!(&app.popup, Popup::Prompt(p) if p.input == "pages"),
        "the prompt starts from the view last saved"
    );
    press(&mut app, store.as_ref(), KeyCode::Enter);
    assert_eq!(
        app.popup,
        Popup::Overwrite {
            name: "pages".into()
        }
    );
    press(&mut app, store.as_ref(), KeyCode::Char('n'));
    assert!(
        matches!(&app.popup, Popup::Prompt(p) if p.input == "pages"),
        "n goes back to the name"
    );
    press(&mut app, store.as_ref(), KeyCode::Esc);
    assert_eq!(file_text(&path), first, "nothing written");

    press(&mut app, store.as_ref(), KeyCode::Char('V'));
    press(&mut app, store.as_ref(), KeyCode::Enter);
    press(&mut app, store.as_ref(), KeyCode::Char('y'));
    assert_eq!(app.popup, Popup::None);
    let text = file_text(&path);
    assert_eq!(
        text,
        "[views.pages]\nview = \"pages\"\nrange = \"24h\"\npages_sort = \"visitors desc\"\n"
    );
}

#[test]
fn a_bad_name_keeps_the_prompt_open_with_the_reason() {
    let fx = shop();
    let store = fx.reader();
    let (_dir, path) = views_file();
    let mut app = console(store.as_ref(), &path, View::Overview);
    press(&mut app, store.as_ref(), KeyCode::Char('V'));
    type_text(&mut app, store.as_ref(), "a/b");
    press(&mut app, store.as_ref(), KeyCode::Enter);
    let Popup::Prompt(prompt) = &app.popup else {
        panic!("the prompt stays: {:?}", app.popup)
    };
    assert!(
        prompt.error.as_deref().is_some_and(|e| e.contains("'/'")),
        "{prompt:?}"
    );
    assert!(!path.exists());
}

#[test]
fn the_heatmap_page_and_segment_come_back() {
    let fx = shop();
    let store = fx.reader();
    let (_dir, path) = views_file();
    let mut app = console(store.as_ref(), &path, View::Heatmap);
    press(&mut app, store.as_ref(), KeyCode::Char('j')); // pricing
    press(&mut app, store.as_ref(), KeyCode::Enter);
    press(&mut app, store.as_ref(), KeyCode::Char('w')); // all → desktop
    press(&mut app, store.as_ref(), KeyCode::Char('V'));
    type_text(&mut app, store.as_ref(), "pricing");
    press(&mut app, store.as_ref(), KeyCode::Enter);
    assert!(file_text(&path)
        .contains("heatmap_page = \"shop.example/pricing\"\nheatmap_segment = \"desktop\""));

    press(&mut app, store.as_ref(), KeyCode::Esc); // back to the picker
    press(&mut app, store.as_ref(), KeyCode::Char('w'));
    press(&mut app, store.as_ref(), KeyCode::Char('2'));
    press(&mut app, store.as_ref(), KeyCode::Char('v'));
    press(&mut app, store.as_ref(), KeyCode::Enter);
    assert_eq!(app.view, View::Heatmap);
    assert_eq!(app.heat.focus, HeatFocus::Map);
    assert_eq!(
        app.heat.current,
        Some(PagePattern::new("shop.example/pricing"))
    );
    assert_eq!(app.heat.segment.0, WidthSegment::Desktop);
    assert!(app.heat.map.data.is_some(), "the map is loaded");
}

#[test]
fn funnel_steps_and_the_paths_start_are_opened_and_saved_again() {
    let fx = shop();
    let store = fx.reader();
    let (_dir, path) = views_file();
    std::fs::create_dir_all(path.parent().expect("a parent")).expect("a directory");
    let original = "\
[views.signup]
view = \"overview\"
funnel_steps = [\"page:/pricing*\", \"event:signup\"]
path_start = \"/pricing\"
funnel_window = \"1h\"   # a key of a later version
";
    std::fs::write(&path, original).expect("write");
    let mut app = console(store.as_ref(), &path, View::Overview);
    press(&mut app, store.as_ref(), KeyCode::Char('v'));
    press(&mut app, store.as_ref(), KeyCode::Enter);
    assert_eq!(app.funnel.steps.len(), 2);
    assert_eq!(app.paths.start.as_deref(), Some("/pricing"));
    press(&mut app, store.as_ref(), KeyCode::Char('V'));
    // Ctrl-U clears the name the prompt starts from.
    send(
        &mut app,
        tui::app::Msg::Key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL)),
    );
    type_text(&mut app, store.as_ref(), "signup copy");
    press(&mut app, store.as_ref(), KeyCode::Enter);
    let book = saved_views::load(&path);
    assert_eq!(book.problems, []);
    let copy = book.get("signup copy").expect("the copy");
    assert_eq!(
        copy.funnel_steps.as_deref(),
        Some(&["page:/pricing*".to_owned(), "event:signup".to_owned()][..])
    );
    assert_eq!(copy.path_start.as_deref(), Some("/pricing"));
    assert!(
        file_text(&path).starts_with(original),
        "the first entry is untouched:\n{}",
        file_text(&path)
    );
}

#[test]
fn a_broken_file_is_named_at_start_and_left_alone() {
    let fx = shop();
    let store = fx.reader();
    let (_dir, path) = views_file();
    std::fs::create_dir_all(path.parent().expect("a parent")).expect("a directory");
    let broken = "[views.a]\nview = \"pages\"\nrange = 7d\n";
    std::fs::write(&path, broken).expect("write");
    let mut app = console(store.as_ref(), &path, View::Overview);
    let message = status(&app);
    assert!(
        message.contains("views.toml line 3:") && app.status.as_ref().is_some_and(|s| s.error),
        "{message}"
    );
    assert!(app.overview.data.is_some(), "the console carries on");

    press(&mut app, store.as_ref(), KeyCode::Char('v'));
    assert_eq!(app.popup, Popup::SavedViews { selected: 0 });
    press(&mut app, store.as_ref(), KeyCode::Enter);
    assert_eq!(app.view, View::Overview, "nothing to open");
    press(&mut app, store.as_ref(), KeyCode::Esc);

    press(&mut app, store.as_ref(), KeyCode::Char('V'));
    type_text(&mut app, store.as_ref(), "b");
    press(&mut app, store.as_ref(), KeyCode::Enter);
    let message = status(&app);
    assert!(
        message.starts_with("view b not saved: ") && message.contains("line 3"),
        "{message}"
    );
    assert_eq!(file_text(&path), broken, "the file is left as it was");
}

#[test]
fn a_view_named_at_start_is_put_in_place() {
    let book = saved_views::parse(
        "/cfg/views.toml".into(),
        "[views.x]\nview = \"pages\"\nrange = \"30d\"\nfilters = { browser = \"Firefox\" }\n",
    );
    let mut app = App::new((100, 30), NOW);
    app.set_views(Some(book));
    assert_eq!(app.apply_named("nope"), None);
    assert_eq!(app.apply_named("x"), Some(View::Pages));
    assert_eq!(app.filter.browser.as_deref(), Some("Firefox"));
    assert_eq!(app.range, Range::Last(30 * DAY));
    app.start(View::Pages);
    let requests = app.take_requests();
    // The page list, the previous 30 days' to compare with, and quick backs
    // and dead ends by page.
    assert!(
        matches!(&requests[..], [r, p, q] if matches!(&r.query, Query::Pages { filter, .. }
        if filter.browser.as_deref() == Some("Firefox"))
        && matches!(&p.query, Query::PreviousPages { filter, .. }
        if filter.browser.as_deref() == Some("Firefox"))
        && matches!(&q.query, Query::PageFrustration(filter)
        if filter.browser.as_deref() == Some("Firefox"))),
        "{requests:?}"
    );
}

#[test]
fn without_a_place_for_the_file_saving_says_why() {
    let mut app = App::new((100, 30), NOW);
    app.set_views(None::<Book>);
    app.start(View::Overview);
    send(
        &mut app,
        tui::app::Msg::Key(KeyEvent::new(KeyCode::Char('V'), KeyModifiers::NONE)),
    );
    assert_eq!(app.popup, Popup::None);
    assert!(status(&app).contains("XDG_CONFIG_HOME"), "{}", status(&app));
}

fn run_cli(args: &[&str], views: &Path) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_analytics-tui"))
        .args(args)
        .arg("--views-file")
        .arg(views)
        .env("ANALYTICS_DB", views.with_file_name("analytics.db"))
        .output()
        .expect("run analytics-tui")
}

#[test]
fn the_command_line_refuses_an_unknown_view_naming_the_saved_ones() {
    let (_dir, path) = views_file();
    std::fs::create_dir_all(path.parent().expect("a parent")).expect("a directory");
    std::fs::write(
        &path,
        "[views.alpha]\nview = \"pages\"\n[views.beta]\nview = \"live\"\n",
    )
    .expect("write");
    let out = run_cli(&["--view", "gamma"], &path);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("no saved view \"gamma\"") && stderr.contains("alpha, beta"),
        "{stderr}"
    );

    let out = run_cli(&["sessions", "--view", "alpha"], &path);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("--view opens a saved view in the console"),
        "{stderr}"
    );
}

#[test]
fn the_command_line_refuses_a_broken_file_naming_the_line() {
    let (_dir, path) = views_file();
    std::fs::create_dir_all(path.parent().expect("a parent")).expect("a directory");
    std::fs::write(&path, "[views.alpha]\nview = \"pages\"\nrange = 7d\n").expect("write");
    let out = run_cli(&["--view", "alpha"], &path);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("views.toml line 3: "), "{stderr}");
}
