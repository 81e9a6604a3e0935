//! The heatmap compared with another range: `heatmap --compare` (JSON and
//! text, the binary on a real SQLite file) and the console's `C` in the
//! heatmap view, drawn without colour.

mod common;

use common::*;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use serde_json::Value;
use shared::event::DeviceClass;
use shared::store::EventReader;
use std::process::Command;
use tui::app::{App, Msg, View};
use tui::render::render;

const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;

/// On /pricing, with the console's "now" two hours into 2026-01-01:
///
/// | when (from T0) | page size   | x, y     | element       |
/// |----------------|-------------|----------|---------------|
/// | −23 h          | 1920 × 1600 | 960, 100 | #buy "Buy"    |
/// | −23 h          | 1920 × 1600 | 960, 900 | #old "Old"    |
/// | +1 h           | 1280 × 1600 | 640, 100 | #buy "Buy" ×2 |
/// | +1 h           | 1280 × 1600 | 100, 500 | nav>a "Home"  |
///
/// So the day before (2025-12-31, and the 24 h before the console's last
/// 24 h) has two clicks on pages 1920 px wide, the day itself three on
/// pages 1280 px wide. Each view reports its scroll: then to half the page
/// (800 px), now to three quarters (1200 px).
fn two_days() -> Fixture {
    let then = T0 - 23 * HOUR;
    let before = SessionBuilder::new("sess-then", DeviceClass::Desktop, "Chrome", "Linux")
        .view(then, "/pricing", "Pricing", None)
        .click(then + 1_000, "/pricing", 960, 100, "#buy", "Buy")
        .click(then + 2_000, "/pricing", 960, 900, "#old", "Old")
        .scroll(then + 3_000, "/pricing", 0.5)
        .page_size(1920, 1600)
        .build();
    let now = T0 + HOUR;
    let after = SessionBuilder::new("sess-now", DeviceClass::Desktop, "Chrome", "Linux")
        .view(now, "/pricing", "Pricing", None)
        .click(now + 1_000, "/pricing", 640, 100, "#buy", "Buy")
        .click(now + 5_000, "/pricing", 640, 100, "#buy", "Buy")
        .click(now + 9_000, "/pricing", 100, 500, "nav>a", "Home")
        .scroll(now + 10_000, "/pricing", 0.75)
        .page_size(1280, 1600)
        .build();
    fixture_with(vec![before, after])
}

/// Runs `analytics-tui heatmap` on `fixture` for 2026-01-01.
fn heatmap(fixture: &Fixture, args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_analytics-tui"))
        .arg("--db")
        .arg(format!("sqlite:{}", fixture.path.display()))
        .args([
            "heatmap",
            "--page",
            "/pricing",
            "--width",
            "40",
            "--since",
            "2026-01-01..2026-01-01",
        ])
        .args(args)
        .env_remove("ANALYTICS_DB")
        .env("TZ", "UTC")
        .output()
        .expect("run analytics-tui");
    assert!(
        output.status.success(),
        "heatmap {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn json(fixture: &Fixture, args: &[&str]) -> Value {
    let text = heatmap(fixture, args);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{args:?}: {e}: {text}"))
}

#[track_caller]
fn assert_close(actual: &Value, expected: f64) {
    let actual = actual.as_f64().unwrap_or(f64::NAN);
    assert!((actual - expected).abs() < 1e-9, "{actual} ≠ {expected}");
}

/// 40 braille cells: 80 columns over 1280 px, cells of 16 px, 100 rows.
/// Now: #buy ×2 at (640, 100) → column 40, row 6; nav>a at (100, 500) →
/// fine column 15 → column 6, fine row 125 → row 31. Before, on that grid:
/// (960, 100) of 1920 → column 40, row 6; (960, 900) → fine row 225 →
/// row 56 (on its own 1920 px grid it would be row 37).
#[test]
fn heatmap_json_compare_previous() {
    let fx = two_days();
    let plain = json(&fx, &["--format", "json"]);
    assert_eq!(plain.get("compare"), None, "only with --compare");
    let map = json(&fx, &["--format", "json", "--compare", "previous"]);
    // The heatmap's own fields are kept.
    assert_eq!(map["total_clicks"], 3);
    assert_eq!(map["page_width"], 1280);
    assert_eq!(map["bins"], plain["bins"]);
    // The fold: the views' windows are 800 px tall.
    assert_eq!(map["fold"], 800);

    let compare = &map["compare"];
    assert_eq!(
        compare["range"],
        serde_json::json!({"from": T0 - DAY, "to": T0})
    );
    assert_eq!(compare["total_clicks"], 2);
    let bins = compare["bins"].as_array().cloned().unwrap_or_default();
    let cells: Vec<(u64, u64)> = bins
        .iter()
        .map(|b| {
            (
                b["column"].as_u64().unwrap_or(u64::MAX),
                b["row"].as_u64().unwrap_or(u64::MAX),
            )
        })
        .collect();
    assert_eq!(cells, vec![(40, 6), (6, 31), (40, 56)]);
    assert_close(&bins[0]["share_delta"], 2.0 / 3.0 - 0.5);
    assert_close(&bins[1]["share_delta"], 1.0 / 3.0);
    assert_close(&bins[2]["share_delta"], -0.5);

    // By change of share, largest first: #old lost its half, nav>a gained
    // a third, #buy a sixth.
    let elements = compare["top_elements"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let selectors: Vec<&str> = elements
        .iter()
        .filter_map(|e| e["selector"].as_str())
        .collect();
    assert_eq!(selectors, vec!["#old", "nav>a", "#buy"]);
    assert_eq!(elements[0]["label"], "Old");
    assert_close(&elements[0]["share"], 0.0);
    assert_close(&elements[0]["share_before"], 0.5);
    assert_close(&elements[1]["share"], 1.0 / 3.0);
    assert_close(&elements[1]["share_before"], 0.0);
    assert_close(&elements[2]["share"], 2.0 / 3.0);
    assert_close(&elements[2]["share_before"], 0.5);

    // The scroll reach of each range: now to 1200 px, then to 800 px.
    let reach = |points: &Value| -> Vec<(u64, f64)> {
        let points = points.as_array().cloned().unwrap_or_default();
        points
            .iter()
            .map(|p| {
                (
                    p["y"].as_u64().unwrap_or(u64::MAX),
                    p["share"].as_f64().unwrap_or(-1.0),
                )
            })
            .collect()
    };
    assert_eq!(map["scroll_views"], 1);
    assert_eq!(reach(&map["scroll_reach"]), vec![(0, 1.0), (1200, 0.0)]);
    assert_eq!(compare["scroll_views"], 1);
    assert_eq!(reach(&compare["scroll_reach"]), vec![(0, 1.0), (800, 0.0)]);

    // Another range by name: one without clicks.
    let other = json(
        &fx,
        &["--format", "json", "--compare", "2025-12-30..2025-12-30"],
    );
    assert_eq!(other["compare"]["total_clicks"], 0);
    assert_close(&other["compare"]["bins"][0]["share_delta"], 2.0 / 3.0);
}

/// Without colour, gains are blocks and losses lines: the gain of a sixth
/// in cell (40, 6) → terminal cell (20, 1), a third in (6, 31) → (3, 7),
/// the loss of a half in (40, 56) → (20, 14); the largest change is a half.
#[test]
fn heatmap_text_compare_tells_gains_from_losses() {
    let fx = two_days();
    let text = heatmap(&fx, &["--format", "text", "--compare", "previous"]);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[1], "01-01 00:00 … 01-02 00:00: 3 clicks vs 12-31 00:00 … 01-01 00:00: 2 clicks",
        "{text}"
    );
    // The frame starts on line 3 (after the layout's line), one row per line.
    let row = |y: usize| -> Vec<char> { lines[4 + y].chars().skip(1).collect() };
    assert_eq!(row(1)[20], '▒', "{text}");
    assert_eq!(row(7)[3], '▓', "{text}");
    assert_eq!(row(14)[20], '≡', "{text}");
    assert!(text.contains("gained ░▒▓█  lost ·-=≡"), "{text}");
    // The gutter right of the frame: the rows read now but not then (800
    // to 1200 px: lines 12 to 17) gained every view; the others did not
    // move; today's marks stand where its views stopped (line 18).
    let bar = |y: usize| row(y).get(41).copied();
    assert_eq!(
        (bar(11), bar(12), bar(17)),
        (None, Some('█'), Some('█')),
        "{text}"
    );
    assert_eq!(row(18)[41..].iter().collect::<String>(), "  25%", "{text}");
    assert!(
        text.contains(
            "scroll reach of 1 page view (1 before): 75% read to 1200 px (800 px before)"
        ),
        "{text}"
    );
    let table: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.starts_with("share"))
        .collect();
    assert_eq!(table[0], "share  before  change     label  selector");
    assert_eq!(table[1], "0.0%   50.0%   -50.0 pts  Old    #old");
    assert_eq!(table[2], "33.3%  0.0%    +33.3 pts  Home   nav>a");
}

fn draw(app: &App) -> TestBackend {
    let mut terminal =
        Terminal::new(TestBackend::new(app.size.0, app.size.1)).expect("a test terminal");
    terminal.draw(|frame| render(app, frame)).expect("draw");
    terminal.backend().clone()
}

fn key(app: &mut App, store: &dyn EventReader, code: KeyCode) {
    send(app, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
    settle(app, store);
}

fn screen(backend: &TestBackend) -> String {
    let buffer = backend.buffer();
    (0..buffer.area.height)
        .map(|y| {
            (0..buffer.area.width)
                .filter_map(|x| buffer.cell((x, y)).map(|c| c.symbol().to_owned()))
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// `C` in the heatmap view compares the map with the previous period (the
/// day before the last 24 h) and back; without colour gains and losses
/// still read apart, over the page's wireframe.
#[test]
fn c_compares_the_heatmap_with_the_previous_period() {
    tui::text::force_utc();
    let fx = two_days();
    // A wireframe under the map (none of its boxes is clicked, so the
    // clicks stay where their page widths put them).
    let mut layout = home_layout(T0);
    layout.layout.url = "https://shop.example/pricing".into();
    layout.layout.page_key = "shop.example/pricing".into();
    add_layouts(&fx, &[layout]);
    let store = fx.reader();
    let mut app = App::new((100, 48), NOW);
    app.color = false;
    app.start(View::Heatmap);
    settle(&mut app, store.as_ref());
    key(&mut app, store.as_ref(), KeyCode::Enter);
    assert!(!app.heat.compare, "off by default");
    assert_eq!(app.heat.compared, None);

    key(&mut app, store.as_ref(), KeyCode::Char('C'));
    assert!(app.heat.compare);
    let Some(compared) = &app.heat.compared else {
        panic!("the map came with its comparison");
    };
    assert_eq!(compared.plain.range.to, Some(NOW - DAY));
    assert_eq!(compared.plain.total_clicks, 2);
    // The compared range was binned on the current map's grid.
    assert_eq!(compared.before.page_width, 1280);
    let backend = draw(&app);
    let text = screen(&backend);
    assert!(text.contains("vs the period before"), "{text}");
    assert!(
        text.contains("last 24h: 3 clicks vs") && text.contains(": 2 clicks"),
        "{text}"
    );
    assert!(text.contains("elements by change of share"), "{text}");
    assert!(text.contains("≡") && text.contains("▓"), "{text}");
    assert!(
        text.contains("Summer sale"),
        "the wireframe under it: {text}"
    );
    insta::assert_snapshot!("heatmap_compared_no_color", backend);

    // Half blocks too.
    key(&mut app, store.as_ref(), KeyCode::Char('b'));
    let text = screen(&draw(&app));
    assert!(text.contains("≡") && text.contains("▓"), "{text}");

    key(&mut app, store.as_ref(), KeyCode::Char('C'));
    assert!(!app.heat.compare);
    assert_eq!(app.heat.compared, None);
    assert!(!screen(&draw(&app)).contains("≡"));
}
