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
    };
    let mut out = Vec::new();
    tui::output::run(
        fixture.reader().as_ref(),
        &command,
        &Filter::default(),
        &mut out,
    )?;
    Ok(serde_json::from_slice(&out)?)
}

#[test]
fn the_heatmap_json_carries_the_newest_layout_or_the_one_asked_for() {
    let fixture = shop();
    let without = heatmap_json(&fixture, None).expect("heatmap");
    assert_eq!(without["layout"], Value::Null, "no layout captured yet");
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
    assert_eq!(layout["captured_at"], T0 + 60_000);
    assert_eq!(layout["boxes"][1]["kind"], "heading");
    assert_eq!(layout["boxes"][1]["label"], "Plans");
    assert_eq!(layout["boxes"][1]["y"], 300);
    assert_eq!(layout["boxes"][0]["label"], Value::Null);
    assert_eq!(map["total_clicks"], without["total_clicks"]);

    let version = old.layout.layout.fingerprint.to_string();
    let older = heatmap_json(&fixture, Some(&version)).expect("heatmap");
    assert_eq!(older["layout"]["version"], version);
    assert_eq!(older["layout"]["boxes"][1]["y"], 100);

    let missing = heatmap_json(&fixture, Some("00000000000000ff"));
    assert!(missing.is_err(), "an unknown version is an error");
    assert!(tui::heat_layout::parse_version("xyz").is_err());
}
