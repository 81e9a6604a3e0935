//! Paths, funnels and the comparison with the previous period, driven by
//! keys over the shop fixture: expanding the tree, sending a path's or a
//! funnel step's sessions to the Sessions view, editing funnel steps, saved
//! views keeping both, and `C`.

mod common;

use common::*;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use shared::store::flow_query::FunnelStep;
use shared::store::EventReader;
use tui::app::{chips, visible, App, Msg, Popup, View};
use tui::saved_views;
use tui::worker::Query;

fn press(app: &mut App, store: &dyn EventReader, code: KeyCode) {
    send(app, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
    settle(app, store);
}

fn type_text(app: &mut App, store: &dyn EventReader, text: &str) {
    for c in text.chars() {
        press(app, store, KeyCode::Char(c));
    }
}

fn console(store: &dyn EventReader, view: View) -> App {
    let mut app = App::new((100, 30), NOW);
    app.start(view);
    settle(&mut app, store);
    app
}

fn shown_paths(app: &App) -> Vec<String> {
    let Some(tree) = app.paths.tree.data.as_ref() else {
        return Vec::new();
    };
    visible(tree, &app.paths.toggled)
        .into_iter()
        .map(|i| {
            tree.nodes[i]
                .path
                .iter()
                .map(|p| tui::text::path_of(p).to_owned())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

#[test]
fn the_first_level_is_open_and_enter_expands_and_collapses() {
    let fx = shop();
    let store = fx.reader();
    let mut app = console(store.as_ref(), View::Paths);
    // Entry pages: / (alpha, bravo), /pricing (charlie).
    assert_eq!(
        shown_paths(&app),
        ["/", "/ /blog", "/ /pricing", "/pricing", "/pricing (exit)"]
    );
    // j to "/ /pricing", Enter opens it, Space closes it again.
    press(&mut app, store.as_ref(), KeyCode::Char('j'));
    press(&mut app, store.as_ref(), KeyCode::Char('j'));
    press(&mut app, store.as_ref(), KeyCode::Enter);
    assert!(shown_paths(&app).contains(&"/ /pricing /app".to_owned()));
    press(&mut app, store.as_ref(), KeyCode::Char(' '));
    assert!(!shown_paths(&app).contains(&"/ /pricing /app".to_owned()));
    // Enter on the first node closes the first level.
    press(&mut app, store.as_ref(), KeyCode::Char('g'));
    press(&mut app, store.as_ref(), KeyCode::Enter);
    assert_eq!(shown_paths(&app), ["/", "/pricing", "/pricing (exit)"]);
}

#[test]
fn the_start_the_direction_and_the_depth_change_the_tree() {
    let fx = shop();
    let store = fx.reader();
    let mut app = console(store.as_ref(), View::Paths);
    press(&mut app, store.as_ref(), KeyCode::Char('/'));
    type_text(&mut app, store.as_ref(), "/pricing");
    press(&mut app, store.as_ref(), KeyCode::Enter);
    assert_eq!(app.paths.start.as_deref(), Some("/pricing"));
    // Ties in order of their labels.
    assert_eq!(
        shown_paths(&app),
        ["/pricing", "/pricing (exit)", "/pricing /app"]
    );
    press(&mut app, store.as_ref(), KeyCode::Char('d'));
    assert_eq!(
        shown_paths(&app),
        ["/pricing", "/pricing (entry)", "/pricing /"]
    );
    press(&mut app, store.as_ref(), KeyCode::Char('-'));
    assert_eq!(app.paths.depth, 3);
    for _ in 0..20 {
        press(&mut app, store.as_ref(), KeyCode::Char('+'));
    }
    assert_eq!(app.paths.depth, tui::app::MAX_DEPTH);
}

#[test]
fn c_sends_the_sessions_of_a_path_to_the_sessions_view_with_a_chip() {
    let fx = shop();
    let store = fx.reader();
    let mut app = console(store.as_ref(), View::Paths);
    // "/ › /pricing": only alpha.
    press(&mut app, store.as_ref(), KeyCode::Char('j'));
    press(&mut app, store.as_ref(), KeyCode::Char('j'));
    press(&mut app, store.as_ref(), KeyCode::Char('c'));
    assert_eq!(app.view, View::Sessions);
    assert_eq!(app.filter.sessions.as_ref().map(Vec::len), Some(1));
    assert!(
        chips(&app).contains(&("path", "/ › /pricing".to_owned())),
        "{:?}",
        chips(&app)
    );
    assert_eq!(app.sessions.total(), 1);
    assert_eq!(
        app.sessions.row(0).map(|s| s.session_id.as_str()),
        Some("sess-alpha")
    );
    // F clears it like any filter.
    press(&mut app, store.as_ref(), KeyCode::Char('F'));
    assert_eq!(app.filter.sessions, None);
    assert_eq!(app.sessions.total(), 3);
}

#[test]
fn funnel_steps_are_edited_in_the_console() {
    let fx = shop();
    let store = fx.reader();
    let mut app = console(store.as_ref(), View::Funnel);
    assert!(app.take_requests().is_empty(), "no funnel without steps");
    press(&mut app, store.as_ref(), KeyCode::Char('a'));
    type_text(&mut app, store.as_ref(), "pricing");
    press(&mut app, store.as_ref(), KeyCode::Enter);
    let Popup::Prompt(prompt) = &app.popup else {
        panic!("the prompt stays open: {:?}", app.popup)
    };
    assert!(
        prompt
            .error
            .as_deref()
            .is_some_and(|e| e.contains("page:PATTERN or event:NAME")),
        "{prompt:?}"
    );
    send(
        &mut app,
        Msg::Key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL)),
    );
    type_text(&mut app, store.as_ref(), "page:/pricing");
    press(&mut app, store.as_ref(), KeyCode::Enter);
    assert_eq!(app.popup, Popup::None);
    for step in ["event:signup", "page:/"] {
        press(&mut app, store.as_ref(), KeyCode::Char('a'));
        type_text(&mut app, store.as_ref(), step);
        press(&mut app, store.as_ref(), KeyCode::Enter);
    }
    let names =
        |app: &App| -> Vec<String> { app.funnel.steps.iter().map(FunnelStep::to_string).collect() };
    assert_eq!(names(&app), ["page:/pricing", "event:signup", "page:/"]);
    // K moves "page:/" up to the top; x deletes "event:signup".
    press(&mut app, store.as_ref(), KeyCode::Char('K'));
    press(&mut app, store.as_ref(), KeyCode::Char('K'));
    assert_eq!(names(&app), ["page:/", "page:/pricing", "event:signup"]);
    press(&mut app, store.as_ref(), KeyCode::Char('G'));
    press(&mut app, store.as_ref(), KeyCode::Char('x'));
    assert_eq!(names(&app), ["page:/", "page:/pricing"]);
    let funnel = app.funnel.data.data.as_ref().expect("a funnel");
    let sessions: Vec<u64> = funnel.steps.iter().map(|s| s.sessions).collect();
    assert_eq!(sessions, [2, 1]);
    // w sets a time limit; a bad one is refused.
    press(&mut app, store.as_ref(), KeyCode::Char('w'));
    type_text(&mut app, store.as_ref(), "soon");
    press(&mut app, store.as_ref(), KeyCode::Enter);
    assert!(matches!(&app.popup, Popup::Prompt(p) if p.error.is_some()));
    press(&mut app, store.as_ref(), KeyCode::Esc);
    press(&mut app, store.as_ref(), KeyCode::Char('w'));
    type_text(&mut app, store.as_ref(), "30s");
    press(&mut app, store.as_ref(), KeyCode::Enter);
    assert_eq!(app.funnel.within_ms, Some(30_000));
    let funnel = app.funnel.data.data.as_ref().expect("a funnel");
    assert_eq!(funnel.steps[1].sessions, 0, "/pricing came a minute later");
}

#[test]
fn d_and_c_send_a_steps_dropped_and_reached_sessions() {
    let fx = shop();
    let store = fx.reader();
    let mut app = console(store.as_ref(), View::Funnel);
    for step in ["page:/", "page:/pricing"] {
        press(&mut app, store.as_ref(), KeyCode::Char('a'));
        type_text(&mut app, store.as_ref(), step);
        press(&mut app, store.as_ref(), KeyCode::Enter);
    }
    // The selection is on the step added last, /pricing: bravo dropped.
    press(&mut app, store.as_ref(), KeyCode::Char('d'));
    assert_eq!(app.view, View::Sessions);
    assert!(chips(&app).contains(&("dropped at", "2 page:/pricing".to_owned())));
    assert_eq!(
        app.sessions.row(0).map(|s| s.session_id.as_str()),
        Some("sess-bravo")
    );
    // The chosen sessions narrow the funnel too, until F clears them.
    press(&mut app, store.as_ref(), KeyCode::Char('F'));
    press(&mut app, store.as_ref(), KeyCode::Char('8'));
    press(&mut app, store.as_ref(), KeyCode::Char('c'));
    assert!(chips(&app).contains(&("reached", "2 page:/pricing".to_owned())));
    assert_eq!(app.sessions.total(), 1);
    // Nobody drops before the first step.
    press(&mut app, store.as_ref(), KeyCode::Char('8'));
    press(&mut app, store.as_ref(), KeyCode::Char('g'));
    press(&mut app, store.as_ref(), KeyCode::Char('d'));
    assert_eq!(app.view, View::Funnel);
    assert!(app.status.as_ref().is_some_and(|s| s.error));
}

#[test]
fn a_saved_view_keeps_the_funnel_steps_and_the_paths_start() {
    let book = saved_views::parse(
        "/cfg/views.toml".into(),
        "[views.x]\nview = \"funnel\"\nfunnel_steps = [\"page:/\", \"event:signup\", \"oops\"]\npath_start = \"/pricing\"\n",
    );
    let mut app = App::new((100, 30), NOW);
    app.set_views(Some(book));
    assert_eq!(app.apply_named("x"), Some(View::Funnel));
    let names: Vec<String> = app.funnel.steps.iter().map(FunnelStep::to_string).collect();
    assert_eq!(names, ["page:/", "event:signup"], "a bad step is left out");
    assert!(app.status.as_ref().is_some_and(|s| s.text.contains("oops")));
    assert_eq!(app.paths.start.as_deref(), Some("/pricing"));
    app.start(View::Funnel);
    let requests = app.take_requests();
    assert!(
        matches!(&requests[..], [r] if matches!(&r.query, Query::Funnel(q) if q.steps.len() == 2)),
        "{requests:?}"
    );
    let saved = app.saved_view();
    assert_eq!(saved.view, View::Funnel);
    assert_eq!(saved.funnel_steps, Some(names));
    assert_eq!(saved.path_start.as_deref(), Some("/pricing"));
    // Nothing set, nothing saved.
    let blank = App::new((100, 30), NOW).saved_view();
    assert_eq!((blank.funnel_steps, blank.path_start), (None, None));
}

#[test]
fn the_overview_asks_for_the_previous_period_until_c_turns_it_off() {
    let fx = shop();
    let store = fx.reader();
    let mut app = App::new((100, 30), NOW);
    app.start(View::Overview);
    let requests = app.take_requests();
    let previous = requests.iter().find_map(|r| match &r.query {
        Query::PreviousOverview(f) => Some(f.range),
        _ => None,
    });
    let current = app.query_filter().range;
    let from = current.from.expect("24h has a start");
    assert_eq!(
        previous.and_then(|r| r.to),
        Some(from),
        "the previous period ends where the range starts"
    );
    press(&mut app, store.as_ref(), KeyCode::Char('r'));
    assert!(app.previous_overview.data.is_some());
    press(&mut app, store.as_ref(), KeyCode::Char('C'));
    assert!(!app.compare);
    assert_eq!(app.previous_overview.data, None);
    // All time has no previous period.
    press(&mut app, store.as_ref(), KeyCode::Char('C'));
    app.range = tui::filters::Range::All;
    press(&mut app, store.as_ref(), KeyCode::Char('r'));
    assert_eq!(app.previous_overview.data, None);
}
