//! `heatmap --format json`'s `layout`: the newest version of the heatmap's
//! segment, another one with `--layout-version`, `null` without one.

mod common;

use common::*;
use serde_json::Value;
use shared::event::{Rect, Size};
use shared::layout::{BoxKind, Layout, LayoutBox, LayoutEvent};
use shared::store::layout_query::SiteLayout;
use shared::store::query::Filter;
use shared::store::sqlite::SqliteWriter;
use shared::store::EventWriter;
use tui::cli::{Command, DotsArg, HeatFormat, SegmentArg};

fn pricing(ts: i64, heading_y: i32, width: u32) -> SiteLayout {
    let boxed = |kind, selector: &str, label: Option<&str>, [x, y, w, h]: [i32; 4]| LayoutBox {
        selector: selector.into(),
        kind,
        label: label.map(str::to_owned),
        rect: Rect {
            x,
            y,
            width: w as u32,
            height: h as u32,
        },
    };
    let w = width as i32;
    SiteLayout {
        site: "demo".into(),
        layout: LayoutEvent {
            id: format!("layout-{ts}"),
            ts,
            received_at: ts,
            clock_adjusted: false,
            url: "https://shop.example/pricing".into(),
            page_key: "shop.example/pricing".into(),
            layout: Layout::new(
                Size { width, height: 720 },
                Size {
                    width,
                    height: 1600,
                },
                vec![
                    boxed(BoxKind::Header, "body>header", None, [0, 0, w, 64]),
                    boxed(
                        BoxKind::Heading,
                        "main>h1",
                        Some("Plans"),
                        [0, heading_y, w, 48],
                    ),
                    boxed(
                        BoxKind::Button,
                        "div.plan:nth-of-type(1)>button",
                        Some("Choose Basic"),
                        [260, 880, 120, 40],
                    ),
                ],
            ),
        },
    }
}

fn heatmap_json(fixture: &Fixture, version: Option<&str>) -> anyhow::Result<Value> {
    let command = Command::Heatmap {
        page: "/pricing".into(),
        width: 40,
        segment: SegmentArg::Desktop,
        dots: DotsArg::Braille,
        format: HeatFormat::Json,
        layout_version: version.map(|v| tui::heat_layout::parse_version(v).expect("a version")),
        compare: None,
    };
    Ok(serde_json::from_slice(&output(fixture, &command)?)?)
}

/// What `command` prints on `fixture`'s database, over all time.
fn output(fixture: &Fixture, command: &Command) -> anyhow::Result<Vec<u8>> {
    let mut out = Vec::new();
    tui::output::run(
        fixture.reader().as_ref(),
        command,
        &Filter::default(),
        &mut out,
    )?;
    Ok(out)
}

#[test]
fn the_heatmap_json_carries_the_newest_layout_or_the_one_asked_for() {
    let fixture = shop();
    let without = heatmap_json(&fixture, None).expect("heatmap");
    assert_eq!(without["layout"], Value::Null, "no layout captured yet");
    // Nobody scrolled /pricing: no fold without a layout.
    assert_eq!(without["fold"], Value::Null);
    assert!(
        without["total_clicks"].as_u64().is_some(),
        "the fields are kept"
    );

    let mut writer = SqliteWriter::open(&fixture.path).expect("writer");
    let old = pricing(T0, 100, 1280);
    let new = pricing(T0 + 60_000, 300, 1280);
    writer
        .append_with_layouts(&[], &[old.clone(), new.clone()])
        .expect("store the layouts");
    drop(writer);

    let map = heatmap_json(&fixture, None).expect("heatmap");
    let layout = &map["layout"];
    assert_eq!(layout["version"], new.layout.layout.fingerprint.to_string());
    assert_eq!(layout["width"], 1280);
    assert_eq!(layout["height"], 1600);
    assert_eq!(layout["viewport_height"], 720);
    // No view named its window: the layout's is the fold.
    assert_eq!(map["fold"], 720);
    assert_eq!(layout["captured_at"], T0 + 60_000);
    assert_eq!(layout["boxes"][1]["kind"], "heading");
    assert_eq!(layout["boxes"][1]["label"], "Plans");
    assert_eq!(layout["boxes"][1]["y"], 300);
    assert_eq!(layout["boxes"][0]["label"], Value::Null);
    assert_eq!(map["total_clicks"], without["total_clicks"]);
    assert_eq!(without["clicks_off_layout"], Value::Null);
    // Clicks on elements the layout has no box for, counted by hand from the
    // top elements (all of them: the fixture's page has only a few).
    let boxes: Vec<&str> = (0..3)
        .filter_map(|i| layout["boxes"][i]["selector"].as_str())
        .collect();
    let elements = map["top_elements"].as_array().cloned().unwrap_or_default();
    assert!(elements.len() < 10, "every clicked element is listed");
    let off: u64 = elements
        .iter()
        .filter(|e| !boxes.contains(&e["selector"].as_str().unwrap_or_default()))
        .filter_map(|e| e["clicks"].as_u64())
        .sum();
    let on: u64 = elements
        .iter()
        .filter(|e| boxes.contains(&e["selector"].as_str().unwrap_or_default()))
        .filter_map(|e| e["clicks"].as_u64())
        .sum();
    assert!(off > 0 && on > 0, "{elements:?}");
    assert_eq!(map["clicks_off_layout"], off);
    // Every click on an element the layout has is placed on its box (the
    // fixture's clicks all name a box): the Basic button's click, at the
    // centre of its own 20 px box, is drawn at the centre of the button.
    assert_eq!(without["anchored_clicks"], 0);
    assert_eq!(map["anchored_clicks"], on);
    let scale = shared::store::heat::Scale::new(
        map["columns"].as_u64().unwrap_or_default() as u32,
        map["page_width"].as_i64().unwrap_or_default(),
        map["page_height"].as_i64().unwrap_or_default(),
    );
    let fine =
        shared::store::heat::FineCell::of(0, Some(260 + 61), Some(880 + 20), Some(1280), None)
            .expect("a cell");
    let (column, row) = scale.cell(fine.gx, fine.gy);
    let bins = map["bins"].as_array().cloned().unwrap_or_default();
    assert!(
        bins.iter()
            .any(|b| b["column"] == column && b["row"] == row && b["clicks"] == 1),
        "no click at the button's centre ({column}, {row}): {bins:?}"
    );
    let placed: u64 = bins.iter().filter_map(|b| b["clicks"].as_u64()).sum();
    assert_eq!(placed, map["total_clicks"].as_u64().unwrap_or_default());

    let version = old.layout.layout.fingerprint.to_string();
    let older = heatmap_json(&fixture, Some(&version)).expect("heatmap");
    assert_eq!(older["layout"]["version"], version);
    assert_eq!(older["layout"]["boxes"][1]["y"], 100);

    let missing = heatmap_json(&fixture, Some("00000000000000ff"));
    assert!(missing.is_err(), "an unknown version is an error");
    assert!(tui::heat_layout::parse_version("xyz").is_err());
}

fn heatmap_text(fixture: &Fixture, format: HeatFormat, dots: DotsArg) -> String {
    let command = Command::Heatmap {
        page: "/".into(),
        width: 80,
        segment: SegmentArg::Desktop,
        dots,
        format,
        layout_version: None,
        compare: None,
    };
    String::from_utf8(output(fixture, &command).expect("heatmap")).expect("UTF-8")
}

/// The map's rows of a text heatmap and its scroll reach gutter beside
/// them: the lines between its frame's top and bottom, cut at the frame's
/// sides.
fn framed_rows(text: &str) -> Vec<(String, String)> {
    let width = text
        .lines()
        .find(|l| l.starts_with('┌'))
        .map_or(0, |l| l.chars().count() - 2);
    text.lines()
        .skip_while(|l| !l.starts_with('┌'))
        .skip(1)
        .take_while(|l| !l.starts_with('└'))
        .map(|l| {
            let chars: Vec<char> = l.chars().collect();
            let map = chars[1..=width].iter().collect();
            let gutter = chars[width + 2..].iter().collect();
            (map, gutter)
        })
        .collect()
}

/// The map's rows of a text heatmap, without the frame's sides.
fn map_rows(text: &str) -> Vec<String> {
    framed_rows(text).into_iter().map(|(map, _)| map).collect()
}

/// `heatmap --format text` draws the wireframe under the heat at the cells
/// `home_layout`'s doc gives (80 columns: one cell is 16 × 32 px), with no
/// escape sequence; without a layout it says so.
#[test]
fn the_text_heatmap_draws_the_wireframe() {
    let fixture = shop();
    for dots in [DotsArg::Braille, DotsArg::Half] {
        let text = heatmap_text(&fixture, HeatFormat::Text, dots);
        assert!(text.contains(tui::heat_layout::NO_LAYOUT), "{text}");
        assert!(!map_rows(&text).iter().any(|r| r.contains('┌')), "{text}");
    }

    add_layouts(&fixture, &[home_layout(T0 + 5 * 60_000)]);
    for dots in [DotsArg::Braille, DotsArg::Half] {
        let text = heatmap_text(&fixture, HeatFormat::Text, dots);
        assert!(!text.contains('\u{1b}'), "text has no escapes: {text}");
        let version = home_layout(0).layout.layout.fingerprint.to_string();
        assert!(
            text.contains(&format!(
                "layout {} · captured 2026-01-01 00:05 · desktop",
                &version[..8]
            )),
            "{text}"
        );
        let rows = map_rows(&text);
        assert_eq!(rows.len(), 100, "3200 px / 32 px a row");
        let at = |x: usize, y: usize| rows[y].chars().nth(x);
        assert_eq!(at(0, 0), Some('┌'), "header");
        assert_eq!(at(79, 4), Some('┘'), "header");
        assert_eq!(at(40, 1), Some('┌'), "nav");
        assert!(rows[8].starts_with("    │Summer sale "), "{}", rows[8]);
        assert_eq!(at(34, 12), Some('['), "button");
        assert_eq!(at(53, 12), Some(']'), "button");
        assert!(
            !matches!(at(40, 12), Some(' ' | 'e')),
            "the click is on top"
        );
        // The fold: the views' windows, 800 px tall (row 25), not the
        // snapshot's 720 px.
        assert!(rows[25].starts_with("╌╌╌") && rows[25].ends_with("╌ fold ╌"));
        assert!(!rows[22].contains('╌'), "{}", rows[22]);
        assert_eq!(at(0, 90), Some('┌'), "footer");
        assert_eq!(at(79, 99), Some('┘'), "footer");
        // The one desktop view of the page read 0.8 of its 3200 px: the
        // gutter is full to row 80 (2560 px), where every mark falls.
        let gutter: Vec<String> = framed_rows(&text).into_iter().map(|(_, g)| g).collect();
        assert_eq!((gutter[0].as_str(), gutter[79].as_str()), ("█", "█"));
        assert_eq!(gutter[80], "  25%", "{text}");
        assert!(gutter[81..].iter().all(String::is_empty), "{text}");
        assert!(
            text.contains("scroll reach of 1 page view: 75% read to 2560 px"),
            "{text}"
        );
    }

    let ansi = heatmap_text(&fixture, HeatFormat::Ansi, DotsArg::Braille);
    assert!(
        ansi.contains("\u{1b}[38;2;78;84;104;48;2;30;32;40m┌"),
        "the outline in its colour over the page: {ansi}"
    );
}

/// `heatmap --format json`'s `scroll_reach`: from each y down, the share of
/// the page's views that read that far; empty for a page nobody scrolled;
/// and its `fold`, their median window height.
#[test]
fn the_heatmap_json_carries_the_scroll_reach() {
    let fixture = shop();
    let map_of = |page: &str| -> Value {
        let command = Command::Heatmap {
            page: page.into(),
            width: 80,
            segment: SegmentArg::All,
            dots: DotsArg::Braille,
            format: HeatFormat::Json,
            layout_version: None,
            compare: None,
        };
        let out = output(&fixture, &command).expect("heatmap");
        serde_json::from_slice(&out).expect("JSON")
    };
    let reach_of = |page: &str| map_of(page)["scroll_reach"].clone();
    let fold_of = |page: &str| map_of(page)["fold"].clone();
    // The views' windows are 800 px tall; nobody scrolled /pricing.
    assert_eq!(fold_of("/"), 800);
    assert_eq!(fold_of("/pricing"), Value::Null);
    assert_eq!(
        reach_of("/"),
        serde_json::json!([{"y": 0, "share": 1.0}, {"y": 2560, "share": 0.0}])
    );
    // The blog, read to 0.35 of 3200 px: 1120 px.
    assert_eq!(
        reach_of("/blog")[1],
        serde_json::json!({"y": 1120, "share": 0.0})
    );
    assert_eq!(reach_of("/pricing"), serde_json::json!([]));
}
