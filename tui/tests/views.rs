//! Snapshot tests of every view on a `TestBackend`, with fixture databases:
//! data, empty, loading and error states, popups (saved views too), and the
//! narrowest size.

mod common;

use common::*;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use shared::store::EventReader;
use std::time::Duration;
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

/// The map box's inside starts at this terminal cell on a 122 × 40 screen
/// (picker 40 wide, then the map box's border): the map is 80 cells wide.
const MAP_AT: (u16, u16) = (41, 3);

fn map_cell(backend: &TestBackend, x: u16, y: u16) -> ratatui::buffer::Cell {
    backend
        .buffer()
        .cell((MAP_AT.0 + x, MAP_AT.1 + y))
        .cloned()
        .unwrap_or_default()
}

fn screen_row(backend: &TestBackend, y: u16) -> String {
    let buffer = backend.buffer();
    (0..buffer.area.width)
        .filter_map(|x| buffer.cell((x, y)).map(|c| c.symbol().to_owned()))
        .collect()
}

/// The home page's heatmap over its wireframe (`home_layout`, whose doc
/// gives the cells checked here: the screen is as wide as puts 80 cells
/// left of the scroll reach gutter), in braille and half blocks, with and
/// without colour, hidden with `o`, and without a layout.
#[test]
fn heatmap_over_the_wireframe() {
    let fx = shop();
    let store = fx.reader();
    let mut bare = app_on(View::Heatmap, store.as_ref(), (127, 40));
    key(&mut bare, store.as_ref(), KeyCode::Enter);
    let without = draw(&bare);
    assert_eq!(
        map_cell(&without, 0, 0).symbol(),
        " ",
        "no layout, no outline"
    );
    assert!(
        screen_row(&without, MAP_AT.1 + 27).contains(tui::heat_layout::NO_LAYOUT),
        "{}",
        screen_row(&without, MAP_AT.1 + 27)
    );
    insta::assert_snapshot!("heatmap_without_layout", without);

    add_layouts(&fx, &[home_layout(T0 + 5 * 60_000)]);
    let store = fx.reader();
    let mut app = app_on(View::Heatmap, store.as_ref(), (127, 40));
    key(&mut app, store.as_ref(), KeyCode::Enter);
    let braille = draw(&app);
    let note = screen_row(&braille, MAP_AT.1 + 27);
    let version = home_layout(0).layout.layout.fingerprint.to_string();
    assert!(
        note.contains(&format!(
            "layout {} · captured 2026-01-01 00:05 · desktop",
            &version[..8]
        )),
        "{note}"
    );
    for mode in ["braille", "half-block"] {
        let screen = draw(&app);
        assert_eq!(map_cell(&screen, 0, 0).symbol(), "┌", "{mode}: header");
        assert_eq!(map_cell(&screen, 79, 4).symbol(), "┘", "{mode}: header");
        assert_eq!(map_cell(&screen, 40, 1).symbol(), "┌", "{mode}: nav");
        assert_eq!(map_cell(&screen, 75, 3).symbol(), "┘", "{mode}: nav");
        assert_eq!(map_cell(&screen, 4, 7).symbol(), "┌", "{mode}: h1");
        assert_eq!(map_cell(&screen, 5, 8).symbol(), "S", "{mode}: its label");
        assert_eq!(map_cell(&screen, 34, 12).symbol(), "[", "{mode}: button");
        assert_eq!(map_cell(&screen, 53, 12).symbol(), "]", "{mode}: button");
        assert_eq!(map_cell(&screen, 35, 12).symbol(), "S", "{mode}: its label");
        // The desktop click at 640,400 is inside the button, drawn on top.
        let click = map_cell(&screen, 40, 12);
        assert_ne!(click.symbol(), "e", "{mode}: heat wins over the label");
        assert_ne!(click.symbol(), " ", "{mode}");
        // The fold: the views' windows, 800 px tall (row 25), not the
        // snapshot's 720 px (row 22).
        assert_eq!(map_cell(&screen, 0, 25).symbol(), "╌", "{mode}: fold");
        assert!(screen_row(&screen, MAP_AT.1 + 25).contains("╌ fold ╌"));
        assert_ne!(map_cell(&screen, 0, 22).symbol(), "╌", "{mode}");
        assert_eq!(map_cell(&screen, 0, 0).fg, tui::theme::WIRE, "{mode}");
        // Right of the map, the gutter: the one desktop view read 0.8 of
        // the page (2560 px, row 80), so every row in view is read by all.
        assert_eq!(map_cell(&screen, 80, 0).symbol(), "█", "{mode}: gutter");
        assert_eq!(map_cell(&screen, 80, 25).symbol(), "█", "{mode}: gutter");
        insta::assert_snapshot!(format!("heatmap_wireframe_{mode}"), screen);
        key(&mut app, store.as_ref(), KeyCode::Char('b'));
    }
    key(&mut app, store.as_ref(), KeyCode::Char('b'));
    app.color = false;
    let plain = draw(&app);
    let corner = map_cell(&plain, 0, 0);
    assert_eq!(corner.symbol(), "┌");
    assert_eq!(corner.fg, ratatui::style::Color::Reset);
    assert!(corner.modifier.contains(ratatui::style::Modifier::DIM));
    insta::assert_snapshot!("heatmap_wireframe_no_color", plain);

    key(&mut app, store.as_ref(), KeyCode::Char('o'));
    let hidden = draw(&app);
    assert_eq!(
        map_cell(&hidden, 0, 0).symbol(),
        " ",
        "o hides the wireframe"
    );
    assert!(screen_row(&hidden, MAP_AT.1 + 27).contains("wireframe hidden"));
    assert!(
        screen_row(&hidden, 39).contains("o wireframe"),
        "the footer"
    );
    key(&mut app, store.as_ref(), KeyCode::Char('o'));
    assert_eq!(
        map_cell(&draw(&app), 0, 0).symbol(),
        "┌",
        "and shows it again"
    );
}

/// The journey's inset draws the step page's wireframe too.
#[test]
fn journey_over_the_wireframe() {
    let fx = shop();
    add_layouts(&fx, &[home_layout(T0 + 5 * 60_000)]);
    let store = fx.reader();
    let mut app = app_on(View::Sessions, store.as_ref(), (100, 30));
    // The oldest session (desktop, sess-alpha) is last; its second step is
    // the click on the home page's button.
    key(&mut app, store.as_ref(), KeyCode::Char('G'));
    key(&mut app, store.as_ref(), KeyCode::Enter);
    key(&mut app, store.as_ref(), KeyCode::Char('j'));
    let body = tui::layout::screen(ratatui::layout::Rect::new(0, 0, 100, 30)).body;
    let inset = tui::layout::journey::map_area(body);
    let in_inset = |screen: &TestBackend| -> String {
        (inset.y..inset.bottom())
            .map(|y| {
                (inset.x..inset.right())
                    .filter_map(|x| screen.buffer().cell((x, y)).map(|c| c.symbol().to_owned()))
                    .collect::<String>()
                    + "\n"
            })
            .collect()
    };
    let screen = draw(&app);
    let map = in_inset(&screen);
    assert!(map.contains('┌') && map.contains('┘'), "outlines: {map}");
    assert!(map.contains('◆'), "the step's click, on top: {map}");
    let note = screen_row(&screen, inset.bottom());
    assert!(note.contains("layout "), "{note}");
    insta::assert_snapshot!("journey_wireframe", screen);
    key(&mut app, store.as_ref(), KeyCode::Char('o'));
    let hidden = in_inset(&draw(&app));
    assert!(
        !hidden.contains('┌') && !hidden.contains('┘'),
        "o hides it here too: {hidden}"
    );
    assert!(hidden.contains('◆'), "the click stays");
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
    // A quick answer replaces nothing with its rows: no flash of progress.
    assert!(!format!("{:?}", draw(&app)).contains("loading"));
    // After 100 ms the view says it is loading, and for how long.
    let asked = app.sessions.window.asked;
    app.sessions.window.asked = asked.and_then(|t| t.checked_sub(Duration::from_millis(1_500)));
    let screen = format!("{:?}", draw(&app));
    let waited: Option<f64> = screen
        .split_once("loading… ")
        .and_then(|(_, rest)| rest.split_once(" s"))
        .and_then(|(secs, _)| secs.parse().ok());
    assert!(waited.is_some_and(|w| w >= 1.5), "{screen}");
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

/// The Pages view's quick backs and dead ends come beside the rows: `…`
/// until they are loaded, then each page's counts (0 for a page without).
#[test]
fn pages_show_quick_backs_and_dead_ends_once_loaded() {
    use shared::store::flow_query::PageFrustration;
    use tui::worker::{execute, Answer, Pane};
    let fx = shop();
    let store = fx.reader();
    tui::text::force_utc();
    let mut app = App::new((100, 24), NOW);
    app.start(View::Pages);
    let mut pending = None;
    for request in app.take_requests() {
        if request.id.pane == Pane::PageFrustration {
            pending = Some(request.id);
            continue;
        }
        let result = execute(store.as_ref(), request.query).map_err(|e| e.to_string());
        send(
            &mut app,
            Msg::Loaded(Box::new(Loaded {
                id: request.id,
                result,
            })),
        );
    }
    let row_of = |app: &App, page: &str| {
        let backend = draw(app);
        (0..24)
            .map(|y| screen_row(&backend, y))
            .find(|row| row.contains(page))
            .map(|row| {
                row.split_whitespace()
                    .filter(|w| *w != "│")
                    .map(str::to_owned)
                    .collect::<Vec<String>>()
            })
            .unwrap_or_default()
    };
    let before = row_of(&app, "shop.example/pricing");
    assert_eq!(
        before.iter().rev().take(2).collect::<Vec<_>>(),
        ["…", "…"],
        "{before:?}"
    );
    let id = pending.expect("asked for beside the rows");
    let counts = vec![PageFrustration {
        page: "shop.example/pricing".into(),
        quick_backs: 7,
        dead_ends: 3,
    }];
    send(
        &mut app,
        Msg::Loaded(Box::new(Loaded {
            id,
            result: Ok(Answer::PageFrustration(counts)),
        })),
    );
    let pricing = row_of(&app, "shop.example/pricing");
    assert_eq!(
        pricing.iter().rev().take(2).collect::<Vec<_>>(),
        ["3", "7"],
        "{pricing:?}"
    );
    let home = row_of(&app, "shop.example/app");
    assert_eq!(
        home.iter().rev().take(2).collect::<Vec<_>>(),
        ["0", "0"],
        "{home:?}"
    );
}
