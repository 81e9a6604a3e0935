//! A `layout` event → [`LayoutEvent`].
//!
//! What a bad part costs:
//! - the event: `viewport`, `page` or `boxes` missing ([`EventRejection::MissingField`]);
//!   a size or `page_left` out of range (`invalid_number`); more than
//!   [`MAX_LAYOUT_BOXES`] boxes, or one box that breaks the box schema — not an
//!   object, a field missing or of the wrong type, a number out of range
//!   ([`EventRejection::InvalidLayout`], naming the box). A broken box points to a
//!   broken client, and a wireframe with a wrong box would mislead the heatmap,
//!   as a wrong coordinate rejects a click;
//! - that box alone: a kind the server does not know (a newer tracker's), or a
//!   selector that cannot be one the tracker built (blank, too long, holding an
//!   ASCII control) — the rules a click's selector follows;
//! - that label alone: a label on a box that is not a heading, button or link
//!   is dropped, so that no client can store the text of an input or of any
//!   other element; kept labels are cleaned and cut at
//!   [`MAX_LAYOUT_LABEL_CHARS`].

use super::{page_left, page_rect, selector_as_sent, Common, EventRejection};
use crate::contract::{Object, WireBox, WireEvent};
use crate::layout::{BoxKind, Layout, LayoutBox, LayoutEvent, LAYOUT_TYPE};
use crate::limits::{MAX_LAYOUT_BOXES, MAX_LAYOUT_LABEL_CHARS};
use crate::sanitize::clean_opt;

/// The snapshot of a `layout` event whose common fields are checked.
pub(super) fn layout_event(
    wire: &mut WireEvent,
    common: Common,
    received_at: i64,
) -> Result<LayoutEvent, EventRejection> {
    let missing = |field| EventRejection::MissingField {
        kind: LAYOUT_TYPE,
        field,
    };
    let viewport = common.viewport.ok_or_else(|| missing("viewport"))?;
    let page = common.page.ok_or_else(|| missing("page"))?;
    let left = page_left(wire.page_left)?;
    let boxes = wire.boxes.take().ok_or_else(|| missing("boxes"))?;
    if boxes.total > MAX_LAYOUT_BOXES {
        return Err(EventRejection::InvalidLayout(format!(
            "has {} boxes; at most {MAX_LAYOUT_BOXES} are accepted",
            boxes.total
        )));
    }
    let mut kept = Vec::with_capacity(boxes.kept.len());
    for (i, raw) in boxes.kept.iter().enumerate() {
        let wire = serde_json::from_str::<Object<WireBox>>(raw.get())
            .map_err(|e| EventRejection::InvalidLayout(format!("boxes[{i}] {e}")))?
            .0;
        kept.extend(layout_box(wire, left, i)?);
    }
    Ok(LayoutEvent {
        id: common.id,
        ts: common.ts,
        received_at,
        clock_adjusted: common.clock_adjusted,
        url: common.url,
        page_key: common.page_key,
        layout: Layout::new(viewport, page, kept),
    })
}

/// Box `i`: an error costs the event; `None` drops the box alone.
fn layout_box(wire: WireBox, left: f64, i: usize) -> Result<Option<LayoutBox>, EventRejection> {
    let rect = page_rect(wire.rect, left).ok_or_else(|| {
        EventRejection::InvalidLayout(format!(
            "boxes[{i}].box must be [x, y, width, height] within the page"
        ))
    })?;
    let (Some(kind), Some(selector)) = (
        BoxKind::from_code(&wire.kind),
        selector_as_sent(Some(wire.selector)),
    ) else {
        return Ok(None);
    };
    let label = if kind.is_labelled() {
        clean_opt(wire.text.as_deref(), MAX_LAYOUT_LABEL_CHARS)
    } else {
        None
    };
    Ok(Some(LayoutBox {
        selector,
        kind,
        label,
        rect,
    }))
}

#[cfg(test)]
mod tests {
    use super::super::{prepare, BatchError, PreparedBatch, RequestContext};
    use crate::layout::{BoxKind, Fingerprint};
    use crate::page_key::QueryKeepList;
    use crate::reject_code::RejectCode;
    use serde_json::{json, Value};

    const NOW: i64 = 1_764_000_000_000;

    fn prepare_events(events: Value) -> Result<PreparedBatch, BatchError> {
        let keep = QueryKeepList::default();
        let ctx = RequestContext {
            user_agent: Some("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"),
            client_hints: Default::default(),
            received_at: NOW,
            keep_query: &keep,
        };
        let body =
            json!({"site": "demo", "session_id": "s1", "visitor_id": "v1", "events": events});
        prepare(body.to_string().as_bytes(), &ctx)
    }

    fn layout(boxes: Value) -> Value {
        json!({"id": "l1", "type": "layout", "ts": NOW, "url": "https://shop.example/p/42#x",
               "viewport": [1280, 720], "page": [1280, 4200], "boxes": boxes})
    }

    fn page_view() -> Value {
        json!({"id": "pv", "type": "page_view", "ts": NOW, "url": "https://shop.example/p/42"})
    }

    /// The reason the one layout of `[layout, page view]` was rejected with.
    fn rejected(event: Value) -> (RejectCode, String) {
        let p = prepare_events(json!([event, page_view()])).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.batch.events.len(), 1, "the neighbour is kept");
        assert!(p.layouts.is_empty());
        assert_eq!(p.rejected.len(), 1);
        assert_eq!(p.rejected[0].index, 0);
        let reason = &p.rejected[0].reason;
        (reason.reject_code(), reason.to_string())
    }

    #[test]
    fn a_layout_is_validated_beside_the_events() {
        let boxes = json!([
            {"selector": "body>header:nth-child(1)", "kind": "header", "box": [0, 0, 1280, 64]},
            {"selector": "#main>h1:nth-child(1)", "kind": "heading", "text": "  Green\ttea\u{200b} ",
             "box": [140.4, 90.6, 1000, 40]},
            {"selector": "#q", "kind": "input", "text": "typed secret", "box": [10, 10, 200, 30]},
            {"selector": "#buy", "kind": "button", "text": "Buy now, before the offer ends at midnight tonight",
             "box": [600, 1780, 120, 40]},
            {"selector": "#logo", "kind": "hologram", "box": [0, 0, 10, 10]},
            {"selector": "  ", "kind": "link", "box": [0, 0, 10, 10]},
            {"selector": "a\u{7}b", "kind": "link", "box": [0, 0, 10, 10]}
        ]);
        let mut event = layout(boxes);
        event["fingerprint"] = json!("ffffffffffffffff");
        let p = prepare_events(json!([page_view(), event])).unwrap_or_else(|e| panic!("{e}"));
        assert!(p.rejected.is_empty(), "{:?}", p.rejected);
        assert_eq!(p.batch.events.len(), 1);
        assert_eq!(p.layouts.len(), 1);
        let l = &p.layouts[0];
        assert_eq!((l.id.as_str(), l.ts, l.received_at), ("l1", NOW, NOW));
        assert_eq!(l.url, "https://shop.example/p/42#x");
        assert_eq!(l.page_key, "shop.example/p/42");
        let layout = &l.layout;
        assert_eq!([layout.viewport.width, layout.page.height], [1280, 4200]);
        let kinds: Vec<_> = layout.boxes.iter().map(|b| b.kind).collect();
        assert_eq!(
            kinds,
            [
                BoxKind::Header,
                BoxKind::Heading,
                BoxKind::Input,
                BoxKind::Button
            ],
            "unknown kinds and unusable selectors drop their box alone"
        );
        let labels: Vec<_> = layout.boxes.iter().map(|b| b.label.as_deref()).collect();
        assert_eq!(
            labels,
            [
                None,
                Some("Green tea"),
                None,
                Some("Buy now, before the offer ends at midnig")
            ],
            "labels cleaned, cut at 40, and never on an input"
        );
        let r = layout.boxes[1].rect;
        assert_eq!([r.x, r.y], [140, 91]);
        // The server's fingerprint, not the client's.
        assert_ne!(layout.fingerprint, Fingerprint(u64::MAX));
        assert_eq!(
            layout.fingerprint,
            crate::layout::fingerprint(1280, &layout.boxes)
        );
    }

    #[test]
    fn page_left_moves_boxes_to_the_documents_left_edge() {
        let mut event = layout(json!([
            {"selector": "#nav", "kind": "nav", "box": [-900.2, 0, 300, 50]}
        ]));
        event["page_left"] = json!(-1000);
        let p = prepare_events(json!([event])).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.layouts[0].layout.boxes[0].rect.x, 100);
        let mut bad = layout(json!([]));
        bad["page_left"] = json!(5);
        assert_eq!(rejected(bad).0, RejectCode::InvalidNumber);
    }

    #[test]
    fn a_layout_alone_is_a_valid_batch_and_may_be_empty() {
        let p = prepare_events(json!([layout(json!([]))])).unwrap_or_else(|e| panic!("{e}"));
        assert!(p.batch.events.is_empty() && !p.is_empty());
        assert!(p.layouts[0].layout.boxes.is_empty());
    }

    #[test]
    fn what_costs_the_event() {
        for field in ["viewport", "page", "boxes"] {
            let mut event = layout(json!([]));
            event[field] = Value::Null;
            let (code, reason) = rejected(event);
            assert_eq!(code, RejectCode::MissingField, "{field}");
            assert!(reason.contains(field), "{reason}");
        }
        let bad_boxes: [(Value, &str); 6] = [
            (
                json!({"selector": "#a", "kind": "nav", "box": [0, 0, -1, 10]}),
                "boxes[1].box",
            ),
            (
                json!({"selector": "#a", "kind": "nav", "box": [0, 1e9, 1, 10]}),
                "boxes[1].box",
            ),
            (json!({"selector": "#a", "kind": "nav"}), "boxes[1]"),
            (
                json!({"selector": null, "kind": "nav", "box": [0, 0, 1, 1]}),
                "boxes[1]",
            ),
            (json!(["#a", "nav", [0, 0, 1, 1]]), "boxes[1]"),
            (
                json!({"selector": "#a", "kind": "nav", "box": [0, 0, 1]}),
                "boxes[1]",
            ),
        ];
        let good = json!({"selector": "#ok", "kind": "main", "box": [0, 0, 10, 10]});
        for (bad, names) in bad_boxes {
            let (code, reason) = rejected(layout(json!([good.clone(), bad])));
            assert_eq!(code, RejectCode::InvalidLayout, "{bad}");
            assert!(reason.contains(names), "{bad}: {reason}");
        }
        let (code, _) = rejected(layout(json!({"selector": "#a"})));
        assert_eq!(code, RejectCode::Malformed);
    }

    #[test]
    fn at_most_400_boxes() {
        let many = |n: usize| {
            let boxes: Vec<Value> = (0..n)
                .map(|i| json!({"selector": format!("#b{i}"), "kind": "link", "box": [0, i, 10, 10]}))
                .collect();
            layout(Value::from(boxes))
        };
        let p = prepare_events(json!([many(400)])).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.layouts[0].layout.boxes.len(), 400);
        let (code, reason) = rejected(many(401));
        assert_eq!(code, RejectCode::InvalidLayout);
        assert!(reason.contains("401 boxes"), "{reason}");
    }

    #[test]
    fn layouts_are_rejected_in_request_order() {
        let mut p = prepare_events(json!([layout(json!([])), page_view(), {"type": "nope"}]))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.rejected.len(), 1);
        p.reject_layouts_where(|_| Some(super::EventRejection::LayoutOff));
        let codes: Vec<_> = p
            .rejected
            .iter()
            .map(|r| (r.index, r.reason.code()))
            .collect();
        assert_eq!(codes, [(0, "layout_off"), (2, "malformed")]);
        assert!(p.layouts.is_empty() && !p.is_empty());
        p.reject_where(|_| Some(super::EventRejection::Bot("test")));
        assert!(p.is_empty());
        let unknown = prepare_events(json!([{"id": "a", "type": "wireframe", "ts": NOW,
                                             "url": "https://a.example/"}]));
        match unknown {
            Err(BatchError::NothingValid { rejected, .. }) => {
                assert!(rejected[0].reason.to_string().contains("custom or layout"));
            }
            other => panic!("{other:?}"),
        }
    }
}
