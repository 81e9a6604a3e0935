use super::*;
use crate::event::Rect;
use crate::layout::{Layout, LayoutEvent};
use crate::store::query::ElementStat;

fn boxes(label: &str) -> Vec<LayoutBox> {
    vec![LayoutBox {
        selector: "#main>h1".into(),
        kind: BoxKind::Heading,
        label: Some(label.into()),
        rect: Rect {
            x: 10,
            y: 20,
            width: 300,
            height: 40,
        },
    }]
}

fn snapshot(page: &str, ts: i64, vw: u32, label: &str) -> SiteLayout {
    let layout = Layout::new(
        Size {
            width: vw,
            height: 700,
        },
        Size {
            width: vw,
            height: 2000,
        },
        boxes(label),
    );
    SiteLayout {
        site: "shop".into(),
        layout: LayoutEvent {
            id: format!("l{ts}"),
            ts,
            received_at: ts,
            clock_adjusted: false,
            url: format!("https://shop.example{page}"),
            page_key: format!("shop.example{page}"),
            layout,
        },
    }
}

fn stored(w: &LayoutWrite<'_>) -> StoredLayout {
    StoredLayout {
        site: w.site.into(),
        page_key: w.page_key.into(),
        segment: w.segment,
        first_captured_at: w.first_captured_at,
        captured_at: w.captured_at,
        layout: Layout {
            viewport: w.viewport,
            page: w.page,
            boxes: decode_boxes(&w.boxes).unwrap_or_default(),
            fingerprint: w.version,
        },
    }
}

#[test]
fn repeats_in_a_commit_merge_into_the_latest_capture() {
    let commit = [
        snapshot("/a", 200, 1280, "late"),
        snapshot("/a", 100, 1280, "early"),
        snapshot("/a", 150, 800, "tablet"),
    ];
    let writes = commit_writes(&commit);
    assert_eq!(writes.len(), 2);
    assert_eq!(writes[0].segment, WidthSegment::Desktop);
    assert_eq!(
        (writes[0].first_captured_at, writes[0].captured_at),
        (100, 200)
    );
    assert_eq!(
        decode_boxes(&writes[0].boxes).unwrap_or_default()[0]
            .label
            .as_deref(),
        Some("late")
    );
    assert_eq!(writes[1].segment, WidthSegment::Tablet);
}

#[test]
fn boxes_round_trip_and_unknown_kinds_drop() {
    let b = boxes("Hello \"you\"");
    assert_eq!(decode_boxes(&encode_boxes(&b)).unwrap_or_default(), b);
    let newer = r##"[["#x","carousel",null,0,0,1,1],["#y","nav",null,0,0,5,5]]"##;
    let decoded = decode_boxes(newer).unwrap_or_default();
    assert_eq!(decoded.len(), 1);
    assert_eq!(decoded[0].kind, BoxKind::Nav);
    assert!(decode_boxes("{").is_err());
}

#[test]
fn versions_merge_pages_and_sort_newest_first() {
    let a = commit_writes(&[snapshot("/p/1", 100, 1280, "x")])
        .iter()
        .map(stored)
        .collect::<Vec<_>>();
    let b = commit_writes(&[snapshot("/p/2", 300, 1280, "y")])
        .iter()
        .map(stored)
        .collect::<Vec<_>>();
    let mut other = stored(&commit_writes(&[snapshot("/p/1", 200, 1280, "z")])[0]);
    other.layout.fingerprint = Fingerprint(1);
    let rows = [a, b, vec![other]].concat();
    let listed = versions(rows.clone());
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0].captured_at, 300);
    assert_eq!(listed[0].first_captured_at, 100);
    assert_eq!(listed[0].page_key, "shop.example/p/2");
    assert_eq!(listed[1].layout.fingerprint, Fingerprint(1));
    assert_eq!(newest_per_page(rows).len(), 2);
    let v = listed[1].layout.fingerprint;
    assert_eq!(
        pick(listed.clone(), WidthSegment::Desktop, Some(v)).map(|l| l.captured_at),
        Some(200)
    );
    assert_eq!(
        pick(listed.clone(), WidthSegment::Desktop, None).map(|l| l.captured_at),
        Some(300)
    );
    assert_eq!(pick(listed, WidthSegment::Mobile, None), None);
    assert_eq!(
        heatmap_segment(WidthSegment::All, 390),
        WidthSegment::Mobile
    );
    assert_eq!(
        heatmap_segment(WidthSegment::Tablet, 1280),
        WidthSegment::Tablet
    );
}

#[test]
fn clicks_on_elements_a_layout_lacks_are_counted_by_selector() {
    let layout = snapshot("/", 1, 1280, "Hi").layout.layout;
    let mut map = crate::store::heat::empty_heatmap(10);
    map.total_clicks = 9;
    let element = |selector: &str, clicks| ElementStat {
        selector: selector.to_owned(),
        label: None,
        clicks,
        share: clicks as f64 / 9.0,
        rage_clicks: 0,
    };
    map.element_clicks = vec![
        element("#gone>button", 4),
        element("#main>h1", 3),
        element("#main>h1 ", 1),
    ];
    // The third differs by a trailing space: another element. Two clicks
    // have no element at all and are not counted.
    assert_eq!(clicks_off_layout(&map, &layout), 5);
    map.element_clicks.retain(|e| e.selector == "#main>h1");
    assert_eq!(clicks_off_layout(&map, &layout), 0);
}
