//! Property tests over parse → validate → sanitise: whatever the body, the
//! pipeline never panics, every event is either kept or rejected with its
//! index, a valid event is kept whatever its neighbours, and every kept string
//! is clean and within its limit.

use proptest::prelude::*;
use serde_json::{json, Value};
use shared::event::Event;
use shared::layout::LayoutEvent;
use shared::limits::*;
use shared::page_key::QueryKeepList;
use shared::reject_code::RejectCode;
use shared::sanitize::{clean, is_clean, is_forbidden};
use shared::validate::{prepare, BatchError, RequestContext};

const NOW: i64 = 1_764_000_000_000;

fn ctx(keep: &QueryKeepList) -> RequestContext<'_> {
    RequestContext {
        user_agent: Some("Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0"),
        client_hints: Default::default(),
        received_at: NOW,
        keep_query: keep,
    }
}

/// Strings made of the characters that cause trouble: controls, escapes,
/// bidi and zero-width characters, whitespace, multi-byte text.
fn hostile_string() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "a",
        "Z",
        "é",
        "日本",
        "🎉",
        " ",
        "\t",
        "\n",
        "\r",
        "\u{0}",
        "\u{7}",
        "\u{8}",
        "\u{1b}[31m",
        "\u{1b}]8;;http://x\u{7}",
        "\u{1b}]52;c;aGk=\u{7}",
        "\u{1b}P1$r\u{1b}\\",
        "\u{9b}2J",
        "\u{85}",
        "\u{7f}",
        "\u{202e}",
        "\u{2066}",
        "\u{200b}",
        "\u{feff}",
        "\u{e0041}",
        "/",
        "?",
        "#",
        "%",
        "\"",
        "\\",
    ]);
    prop::collection::vec(pieces, 0..40).prop_map(|p| p.concat())
}

/// Any JSON value, a few levels deep.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        hostile_string().prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
            prop::collection::btree_map(hostile_string(), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A number, often outside its range.
fn any_number() -> impl Strategy<Value = Value> {
    prop_oneof![
        (-1e3f64..3e5).prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        Just(json!(0)),
        Just(json!(1e300)),
        Just(json!(-1)),
        Just(json!("12")),
    ]
}

/// An event that may be valid or broken in any field.
fn any_event() -> impl Strategy<Value = Value> {
    let kind = prop::sample::select(vec![
        "page_view",
        "click",
        "scroll",
        "custom",
        "layout",
        "nope",
    ]);
    let url = prop_oneof![
        Just("https://shop.example/p/1".to_owned()),
        hostile_string().prop_map(|s| format!("https://shop.example/{s}")),
        hostile_string().prop_map(|s| format!("https://{s}.example/")),
        hostile_string(),
    ];
    (
        kind,
        prop_oneof![Just("id-1".to_owned()), hostile_string()],
        url,
        hostile_string(),
        any_number(),
        any_number(),
        prop::option::of(any_json()),
        prop_oneof![Just(json!(NOW)), any_number()],
    )
        .prop_map(|(kind, id, url, text, x, y, props, ts)| {
            json!({"id": id, "type": kind, "ts": ts, "url": url, "title": text,
                   "referrer": format!("https://ref.example/{text}"),
                   "x": x, "y": y, "viewport": [x, y], "page": [1280, 4000], "depth": y,
                   "target": {"selector": text, "text": text, "box": [x, y, 10, 10]},
                   "name": text, "props": props,
                   "boxes": [{"selector": text, "kind": "button", "text": text, "box": [x, y, 10, 10]},
                             {"selector": "#a", "kind": text, "box": [0, y, x, 10]}]})
        })
}

/// An event that is always valid.
fn valid_event() -> impl Strategy<Value = Value> {
    (
        prop::sample::select(vec!["page_view", "click", "scroll", "custom"]),
        "[a-z0-9]{1,20}",
        hostile_string(),
        0u32..1280,
        0u32..4000,
        0.0f64..=1.0,
    )
        .prop_map(|(kind, id, text, x, y, depth)| {
            json!({"id": format!("ok-{id}"), "type": kind, "ts": NOW,
                   "url": "https://shop.example/p/1", "title": text,
                   "x": x, "y": y, "page": [1280, 4000], "depth": depth,
                   "target": {"selector": text, "text": text},
                   "name": format!("n{text}"), "props": {"k": text}})
        })
}

fn body(events: &[Value]) -> Vec<u8> {
    json!({"site": "demo", "session_id": "s", "visitor_id": "v", "events": events})
        .to_string()
        .into_bytes()
}

fn assert_clean_within(text: &str, limit: usize, what: &str) {
    assert!(is_clean(text), "{what} not clean: {text:?}");
    assert!(
        !text.chars().any(is_forbidden),
        "{what} has a forbidden character: {text:?}"
    );
    assert!(
        text.chars().count() <= limit,
        "{what} longer than {limit}: {text:?}"
    );
}

fn assert_event_is_clean(e: &Event) {
    assert_clean_within(&e.url, MAX_URL_CHARS, "url");
    assert_clean_within(&e.page_key, MAX_URL_CHARS, "page_key");
    for (value, limit, what) in [
        (e.title.as_deref(), MAX_TITLE_CHARS, "title"),
        (e.referrer.as_deref(), MAX_URL_CHARS, "referrer"),
        (e.name.as_deref(), MAX_EVENT_NAME_CHARS, "name"),
        (
            e.target.as_ref().and_then(|t| t.label.as_deref()),
            MAX_LABEL_CHARS,
            "label",
        ),
    ] {
        if let Some(value) = value {
            assert!(!value.is_empty(), "{what} kept empty");
            assert_clean_within(value, limit, what);
        }
    }
    // Selectors are stored as sent (so they still resolve), bounded and free
    // of ASCII controls; the console cleans them where it draws them.
    if let Some(selector) = e.target.as_ref().and_then(|t| t.selector.as_deref()) {
        assert!(!selector.trim().is_empty(), "blank selector kept");
        assert!(
            selector.chars().count() <= MAX_SELECTOR_CHARS,
            "selector too long"
        );
        assert!(
            !selector.chars().any(|c| c.is_ascii_control()),
            "selector with a control character: {selector:?}"
        );
    }
    if let Some(props) = &e.props {
        assert!(props.len() <= MAX_PROPS_BYTES);
        let parsed: Value = serde_json::from_str(props).expect("props are JSON");
        let object = parsed.as_object().expect("props are an object");
        assert!(object.len() <= MAX_PROPS_KEYS);
        for (key, value) in object {
            assert_clean_within(key, MAX_EVENT_NAME_CHARS, "props key");
            if let Some(s) = value.as_str() {
                assert_clean_within(s, MAX_TITLE_CHARS, "props value");
            }
            assert!(!value.is_array() && !value.is_object());
        }
    }
    if let Some(page) = e.page {
        assert!(f64::from(page.width) <= MAX_PAGE_DIMENSION);
        assert!(f64::from(page.height) <= MAX_PAGE_DIMENSION);
    }
    if let (Some(x), Some(y)) = (e.x, e.y) {
        assert!(x >= 0 && y >= 0);
    }
    if let Some(depth) = e.depth {
        assert!((0.0..=1.0).contains(&depth));
    }
}

fn assert_layout_is_clean(l: &LayoutEvent) {
    assert_clean_within(&l.url, MAX_URL_CHARS, "url");
    assert!(l.layout.boxes.len() <= MAX_LAYOUT_BOXES);
    for b in &l.layout.boxes {
        assert!(!b.selector.trim().is_empty(), "blank selector kept");
        assert!(b.selector.chars().count() <= MAX_SELECTOR_CHARS);
        assert!(!b.selector.chars().any(|c| c.is_ascii_control()));
        if let Some(label) = &b.label {
            assert!(b.kind.is_labelled(), "a label on a {} box", b.kind);
            assert_clean_within(label, MAX_LAYOUT_LABEL_CHARS, "box label");
        }
    }
    assert_eq!(
        l.layout.fingerprint,
        shared::layout::fingerprint(l.layout.page.width, &l.layout.boxes)
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let keep = QueryKeepList::default();
        let _ = prepare(&bytes, &ctx(&keep));
    }

    #[test]
    fn arbitrary_json_never_panics(value in any_json()) {
        let keep = QueryKeepList::default();
        let _ = prepare(value.to_string().as_bytes(), &ctx(&keep));
        let _ = prepare(&body(&[value]), &ctx(&keep));
    }

    #[test]
    fn every_event_is_kept_or_rejected_once_and_kept_ones_are_clean(
        events in prop::collection::vec(any_event(), 1..12)
    ) {
        let keep = QueryKeepList::new(["utm_*"]);
        match prepare(&body(&events), &ctx(&keep)) {
            Ok(prepared) => {
                let kept = prepared.batch.events.len() + prepared.layouts.len();
                prop_assert_eq!(kept + prepared.rejected.len(), events.len());
                let indices: Vec<usize> = prepared.rejected.iter().map(|r| r.index).collect();
                prop_assert!(indices.windows(2).all(|w| w[0] < w[1]), "{:?}", indices);
                prop_assert!(indices.iter().all(|i| *i < events.len()));
                for r in &prepared.rejected {
                    prop_assert!(RejectCode::ALL.map(RejectCode::as_str).contains(&r.reason.code()));
                }
                for e in &prepared.batch.events {
                    assert_event_is_clean(e);
                }
                for l in &prepared.layouts {
                    assert_layout_is_clean(l);
                }
            }
            Err(BatchError::NothingValid { rejected, .. }) => {
                prop_assert_eq!(rejected.len(), events.len());
            }
            Err(other) => prop_assert!(false, "refused the batch: {}", other),
        }
    }

    #[test]
    fn valid_events_are_kept_whatever_their_neighbours(
        valid in prop::collection::vec(valid_event(), 1..6),
        noise in prop::collection::vec(any_json(), 0..6),
        seed in any::<u64>(),
    ) {
        // Interleave the valid events with arbitrary values at seeded places.
        let mut events: Vec<(bool, Value)> = noise.into_iter().map(|v| (false, v)).collect();
        let mut rng = fastrand::Rng::with_seed(seed);
        for v in valid.iter().cloned() {
            let at = rng.usize(..=events.len());
            events.insert(at, (true, v));
        }
        let keep = QueryKeepList::default();
        let all: Vec<Value> = events.iter().map(|(_, v)| v.clone()).collect();
        let prepared = prepare(&body(&all), &ctx(&keep));
        let prepared = match prepared {
            Ok(p) => p,
            Err(e) => return Err(TestCaseError::fail(format!("refused: {e}"))),
        };
        let rejected: Vec<usize> = prepared.rejected.iter().map(|r| r.index).collect();
        for (i, (is_valid, _)) in events.iter().enumerate() {
            if *is_valid {
                prop_assert!(!rejected.contains(&i), "valid event {} rejected: {:?}", i, prepared.rejected);
            }
        }
        prop_assert!(prepared.batch.events.len() >= valid.len());
        for e in &prepared.batch.events {
            assert_event_is_clean(e);
        }
    }

    #[test]
    fn clean_output_is_clean_bounded_and_stable(s in hostile_string(), limit in 0usize..64) {
        let out = clean(&s, limit);
        prop_assert!(out.chars().count() <= limit);
        prop_assert!(!out.chars().any(is_forbidden));
        prop_assert!(!out.starts_with(' ') && !out.ends_with(' '));
        prop_assert!(!out.contains("  "));
        prop_assert_eq!(clean(&out, limit), out.clone());
        // Every kept character comes from the input, in order.
        let mut rest = s.chars().filter(|c| !c.is_whitespace());
        for c in out.chars().filter(|c| *c != ' ') {
            prop_assert!(rest.any(|r| r == c));
        }
    }
}
