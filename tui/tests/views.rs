//! Snapshot tests of every view on a `TestBackend`, with fixture databases:
//! data, empty, loading and error states, popups (saved views too), and the
//! narrowest size.

mod common;

use common::*;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use shared::store::EventReader;
use tui::app::{App, Msg, View};
use tui::keys::Action;
use tui::render::render;
use tui::worker::Loaded;

fn draw(app: &App) -> TestBackend {
    let mut terminal =
        Terminal::new(TestBackend::new(app.size.0, app.size.1)).expect("a test terminal");
    terminal.draw(|frame| render(app, frame)).expect("draw");
    terminal.backend().clone()
}

fn app_on(view: View, store: &dyn EventReader, size: (u16, u16)) -> App {
    tui::text::force_utc();
    let mut app = App::new(size, NOW);
    app.start(view);
    settle(&mut app, store);
    app
}

fn act(app: &mut App, store: &dyn EventReader, action: Action) {
    send(app, Msg::Action(action));
    settle(app, store);
}

fn key(app: &mut App, store: &dyn EventReader, code: KeyCode) {
    send(app, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
    settle(app, store);
}

#[test]
fn overview() {
    let fx = shop();
    let store = fx.reader();
    let app = app_on(View::Overview, store.as_ref(), (100, 30));
    insta::assert_snapshot!("overview_100x30", draw(&app));
    let app = app_on(View::Overview, store.as_ref(), (80, 24));
    insta::assert_snapshot!("overview_80x24", draw(&app));
}

#[test]
fn sessions() {
    let fx = shop();
    let store = fx.reader();
    let mut app = app_on(View::Sessions, store.as_ref(), (100, 20));
    key(&mut app, store.as_ref(), KeyCode::Char('j'));
    insta::assert_snapshot!("sessions", draw(&app));
    // s: start → duration → events → pages → clicks.
    for _ in 0..4 {
        key(&mut app, store.as_ref(), KeyCode::Char('s'));
    }
    insta::assert_snapshot!("sessions_by_clicks", draw(&app));
    app.size = (80, 24);
    insta::assert_snapshot!("sessions_80x24", draw(&app));
}

#[test]
fn journey() {
    let fx = shop();
    let store = fx.reader();
    let mut app = app_on(View::Sessions, store.as_ref(), (100, 30));
    // The oldest session (desktop, sess-alpha) is last with the newest first.
    key(&mut app, store.as_ref(), KeyCode::Char('G'));
    key(&mut app, store.as_ref(), KeyCode::Enter);
    key(&mut app, store.as_ref(), KeyCode::Char('j'));
    assert_eq!(app.view, View::Journey);
    insta::assert_snapshot!("journey_step2", draw(&app));
    for _ in 0..3 {
        key(&mut app, store.as_ref(), KeyCode::Char('j'));
    }
    insta::assert_snapshot!("journey_step5", draw(&app));
}

#[test]
fn journey_without_a_session() {
    let fx = shop();
    let store = fx.reader();
    let app = app_on(View::Journey, store.as_ref(), (80, 24));
    insta::assert_snapshot!("journey_none", draw(&app));
}

#[test]
fn heatmap() {
    let fx = shop();
    let store = fx.reader();
    let mut app = app_on(View::Heatmap, store.as_ref(), (100, 30));
    insta::assert_snapshot!("heatmap_picker", draw(&app));
    key(&mut app, store.as_ref(), KeyCode::Enter);
    insta::assert_snapshot!("heatmap_braille", draw(&app));
    key(&mut app, store.as_ref(), KeyCode::Char('b'));
    insta::assert_snapshot!("heatmap_halfblock", draw(&app));
    app.color = false;
    insta::assert_snapshot!("heatmap_no_color", draw(&app));
}

#[test]
fn pages() {
    let fx = shop();
    let store = fx.reader();
    let mut app = app_on(View::Pages, store.as_ref(), (100, 16));
    key(&mut app, store.as_ref(), KeyCode::Char('j'));
    insta::assert_snapshot!("pages", draw(&app));
}

#[test]
fn live() {
    let fx = shop();
    let store = fx.reader();
    let app = app_on(View::Live, store.as_ref(), (100, 24));
    insta::assert_snapshot!("live", draw(&app));
}

#[test]
fn empty_database() {
    let fx = empty();
    let store = fx.reader();
    for view in View::ALL {
        let app = app_on(view, store.as_ref(), (80, 24));
        insta::assert_snapshot!(format!("empty_{}", view.title().to_lowercase()), draw(&app));
    }
}

#[test]
fn loading_and_error_states() {
    tui::text::force_utc();
    let mut app = App::new((80, 24), NOW);
    app.start(View::Sessions);
    insta::assert_snapshot!("sessions_loading", draw(&app));
    let requests = app.take_requests();
    for request in requests {
        send(
            &mut app,
            Msg::Loaded(Box::new(Loaded {
                id: request.id,
                result: Err("no database at /nowhere/analytics.db (start ingestd to create it, or pass --db)".into()),
            })),
        );
    }
    insta::assert_snapshot!("sessions_error", draw(&app));
}

#[test]
fn popups() {
    let fx = shop();
    let store = fx.reader();
    let mut app = app_on(View::Overview, store.as_ref(), (80, 24));
    key(&mut app, store.as_ref(), KeyCode::Char('?'));
    insta::assert_snapshot!("help", draw(&app));
    key(&mut app, store.as_ref(), KeyCode::Esc);
    key(&mut app, store.as_ref(), KeyCode::Char('f'));
    key(&mut app, store.as_ref(), KeyCode::Enter); // device: any → desktop
    insta::assert_snapshot!("filters", draw(&app));
    key(&mut app, store.as_ref(), KeyCode::Esc);
    act(&mut app, store.as_ref(), Action::CustomRange);
    for c in "90m".chars() {
        key(&mut app, store.as_ref(), KeyCode::Char(c));
    }
    insta::assert_snapshot!("range_prompt", draw(&app));
    key(&mut app, store.as_ref(), KeyCode::Enter);
    insta::assert_snapshot!("overview_filtered", draw(&app));
}

const VIEWS_FILE: &str = r#"
[views.mobile]
view = "sessions"
range = "7d"
filters = { device = "mobile", rage = true }

[views."pricing map"]
view = "heatmap"
range = "30d"
heatmap_page = "/pricing"
heatmap_segment = "desktop"

[views.broken]
view = "sessions"
filters = { device = "fridge" }
"#;

#[test]
fn saved_views() {
    let fx = shop();
    let store = fx.reader();
    let mut app = app_on(View::Overview, store.as_ref(), (80, 24));
    let path = "/home/ana/.config/analytics-tui/views.toml";
    app.set_views(Some(tui::saved_views::parse(path.into(), VIEWS_FILE)));
    insta::assert_snapshot!("saved_views_problem_at_start", draw(&app));
    // The list as `v` opens it (here without reading the file again).
    app.status = None;
    app.popup = tui::app::Popup::SavedViews { selected: 1 };
    insta::assert_snapshot!("saved_views_list", draw(&app));
    key(&mut app, store.as_ref(), KeyCode::Char('V'));
    for c in "mobile".chars() {
        key(&mut app, store.as_ref(), KeyCode::Char(c));
    }
    insta::assert_snapshot!("saved_views_name_prompt", draw(&app));
    key(&mut app, store.as_ref(), KeyCode::Enter);
    insta::assert_snapshot!("saved_views_overwrite", draw(&app));
}

fn type_text(app: &mut App, store: &dyn EventReader, text: &str) {
    for c in text.chars() {
        key(app, store, KeyCode::Char(c));
    }
}

#[test]
fn paths() {
    let fx = shop();
    let store = fx.reader();
    let mut app = app_on(View::Paths, store.as_ref(), (100, 20));
    insta::assert_snapshot!("paths_from_entry", draw(&app));
    // "/ › /pricing" opened one level further.
    key(&mut app, store.as_ref(), KeyCode::Char('j'));
    key(&mut app, store.as_ref(), KeyCode::Char('j'));
    key(&mut app, store.as_ref(), KeyCode::Enter);
    insta::assert_snapshot!("paths_expanded", draw(&app));
    key(&mut app, store.as_ref(), KeyCode::Char('/'));
    type_text(&mut app, store.as_ref(), "/pricing");
    key(&mut app, store.as_ref(), KeyCode::Enter);
    key(&mut app, store.as_ref(), KeyCode::Char('d'));
    insta::assert_snapshot!("paths_to_pricing", draw(&app));
}

#[test]
fn funnel() {
    let fx = shop();
    let store = fx.reader();
    let mut app = app_on(View::Funnel, store.as_ref(), (100, 20));
    insta::assert_snapshot!("funnel_no_steps", draw(&app));
    for step in ["page:/", "page:/pricing", "event:signup"] {
        key(&mut app, store.as_ref(), KeyCode::Char('a'));
        type_text(&mut app, store.as_ref(), step);
        key(&mut app, store.as_ref(), KeyCode::Enter);
    }
    insta::assert_snapshot!("funnel", draw(&app));
    key(&mut app, store.as_ref(), KeyCode::Char('a'));
    type_text(&mut app, store.as_ref(), "checkout");
    key(&mut app, store.as_ref(), KeyCode::Enter);
    insta::assert_snapshot!("funnel_bad_step", draw(&app));
}

/// Two sessions in the range (the last 24 h) and one in the day before.
fn two_periods() -> Fixture {
    use shared::event::DeviceClass;
    let min = 60_000;
    let before = SessionBuilder::new("sess-before", DeviceClass::Desktop, "Chrome", "Linux")
        .view(T0 - 30 * 60 * min, "/", "Shop home", None)
        .build();
    let a = SessionBuilder::new("sess-a", DeviceClass::Desktop, "Chrome", "Linux")
        .view(T0, "/", "Shop home", None)
        .view(T0 + min, "/pricing", "Pricing", None)
        .build();
    let b = SessionBuilder::new("sess-b", DeviceClass::Mobile, "Mobile Safari", "iOS")
        .view(T0 + 30 * min, "/", "Shop home", None)
        .build();
    fixture_with(vec![before, a, b])
}

#[test]
fn overview_compared_with_the_previous_period() {
    let fx = two_periods();
    let store = fx.reader();
    let mut app = app_on(View::Overview, store.as_ref(), (100, 30));
    insta::assert_snapshot!("overview_compared", draw(&app));
    key(&mut app, store.as_ref(), KeyCode::Char('5'));
    insta::assert_snapshot!("pages_compared", draw(&app));
}

#[test]
fn sessions_by_frustration() {
    let fx = shop();
    let store = fx.reader();
    let mut app = app_on(View::Sessions, store.as_ref(), (100, 20));
    // s cycles start → … → rage clicks → frustration.
    for _ in 0..11 {
        key(&mut app, store.as_ref(), KeyCode::Char('s'));
    }
    insta::assert_snapshot!("sessions_by_frustration", draw(&app));
}
