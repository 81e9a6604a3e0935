use super::*;
use crate::event::DeviceClass;
use serde_json::json;

const NOW: i64 = 1_764_000_000_000;

fn ctx(keep: &QueryKeepList) -> RequestContext<'_> {
    RequestContext {
        user_agent: Some("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"),
        client_hints: Default::default(),
        received_at: NOW,
        keep_query: keep,
    }
}

fn body(events: Value) -> Vec<u8> {
    json!({"site": "demo", "session_id": "s1", "visitor_id": "v1", "events": events})
        .to_string()
        .into_bytes()
}

fn prepare_events(events: Value) -> Result<PreparedBatch, BatchError> {
    prepare(&body(events), &ctx(&QueryKeepList::default()))
}

fn click(id: &str) -> Value {
    json!({"id": id, "type": "click", "ts": NOW, "url": "https://shop.example/p/42#x",
           "x": 640, "y": 1800, "viewport": [1280, 720], "page": [1280, 4200],
           "target": {"selector": "main>button", "text": "Buy\nnow", "box": [600, 1780, 120, 40]}})
}

fn rejection_of(event: Value) -> EventRejection {
    match prepare_events(json!([event, click("ok")])) {
        Ok(p) => {
            assert_eq!(p.batch.events.len(), 1);
            assert_eq!(p.rejected.len(), 1, "{:?}", p.rejected);
            p.rejected[0].reason.clone()
        }
        Err(e) => panic!("batch refused: {e}"),
    }
}

#[test]
fn accepts_every_kind_and_enriches() {
    let p = prepare_events(json!([
        {"id": "a", "type": "page_view", "ts": NOW, "url": "https://Shop.Example/p/42?utm_source=x#top",
         "title": "Product\u{1b}[31m 42", "referrer": "https://news.example/", "viewport": [1280, 720], "page": [1280, 4200]},
        click("b"),
        {"id": "c", "type": "scroll", "ts": NOW, "url": "https://shop.example/p/42", "depth": 0.82},
        {"id": "d", "type": "custom", "ts": NOW, "url": "https://shop.example/p/42", "name": "signup",
         "props": {"plan": "pro", "seats": 3}}
    ]))
    .unwrap();
    assert!(p.rejected.is_empty());
    let b = &p.batch;
    assert_eq!(
        (
            b.site.as_str(),
            b.session_id.as_str(),
            b.visitor_id.as_str()
        ),
        ("demo", "s1", "v1")
    );
    assert_eq!(b.client.device, DeviceClass::Desktop);
    assert_eq!(b.client.browser, "Chrome");
    let [pv, ck, sc, cu] = &b.events[..] else {
        panic!()
    };
    assert_eq!(pv.page_key, "shop.example/p/42");
    assert_eq!(pv.title.as_deref(), Some("Product[31m 42"));
    assert_eq!(pv.received_at, NOW);
    assert!(!pv.clock_adjusted);
    assert_eq!((ck.x, ck.y), (Some(640), Some(1800)));
    assert_eq!(
        ck.page,
        Some(Size {
            width: 1280,
            height: 4200
        })
    );
    let t = ck.target.as_ref().unwrap();
    assert_eq!(t.label.as_deref(), Some("Buy now"));
    assert_eq!(
        t.rect,
        Some(Rect {
            x: 600,
            y: 1780,
            width: 120,
            height: 40
        })
    );
    assert_eq!(sc.depth, Some(0.82));
    assert_eq!(cu.name.as_deref(), Some("signup"));
    assert_eq!(cu.props.as_deref(), Some(r#"{"plan":"pro","seats":3}"#));
}

#[test]
fn a_scroll_report_keeps_the_depth_it_goes_on_from() {
    let report = |from: Value| {
        json!({"id": "r", "type": "scroll", "ts": NOW, "url": "https://a.example/", "depth": 0.6,
               "from": from})
    };
    let depths = |events: Value| -> Vec<(Option<f64>, Option<f64>)> {
        let p = prepare_events(events).unwrap();
        assert!(p.rejected.is_empty(), "{:?}", p.rejected);
        p.batch
            .events
            .iter()
            .map(|e| (e.depth, e.depth_from))
            .collect()
    };
    assert_eq!(
        depths(json!([report(json!(0.4))])),
        [(Some(0.6), Some(0.4))]
    );
    // Past the report's own depth: taken as it (the report adds nothing).
    assert_eq!(
        depths(json!([report(json!(0.9))])),
        [(Some(0.6), Some(0.6))]
    );
    // Absent or null: the report counts from the top.
    assert_eq!(depths(json!([report(Value::Null)])), [(Some(0.6), None)]);
    assert_eq!(rejection_of(report(json!(-0.1))).code(), "invalid_number");
    assert_eq!(rejection_of(report(json!(1.5))).code(), "invalid_number");
    assert_eq!(rejection_of(report(json!("0.4"))).code(), "malformed");
}

#[test]
fn rejects_bad_events_with_reasons_and_keeps_the_rest() {
    let p = prepare_events(json!([
        click("good1"),
        {"id": "x", "type": "hover", "ts": NOW, "url": "https://a.example/"},
        {"id": "y", "type": "click", "ts": NOW, "url": "https://a.example/", "y": 3},
        "not an object",
        click("good2"),
    ]))
    .unwrap();
    assert_eq!(p.batch.events.len(), 2);
    let got: Vec<(usize, &str)> = p
        .rejected
        .iter()
        .map(|r| (r.index, r.reason.code()))
        .collect();
    assert_eq!(
        got,
        vec![(1, "unknown_type"), (2, "missing_field"), (3, "malformed")]
    );
    assert_eq!(
        p.rejected[1].reason.to_string(),
        "click event needs field \"x\""
    );
}

#[test]
fn rejects_absurd_numbers() {
    let mut e = click("n");
    e["page"] = json!([1280, 1e9]);
    assert_eq!(rejection_of(e).code(), "invalid_number");
    let mut e = click("n");
    e["x"] = json!(-5);
    assert_eq!(rejection_of(e).code(), "invalid_number");
    let mut e = click("n");
    e["y"] = json!(4200 + 20_000);
    assert_eq!(rejection_of(e).code(), "invalid_number");
    let mut e = click("n");
    e["viewport"] = json!([-1, 720]);
    assert_eq!(rejection_of(e).code(), "invalid_number");
    let mut e = click("n");
    e["ts"] = json!(-1);
    assert_eq!(rejection_of(e).code(), "invalid_number");
    let mut e = click("n");
    e["ts"] = json!(1e300);
    assert_eq!(rejection_of(e).code(), "invalid_number");
    let e =
        json!({"id": "s", "type": "scroll", "ts": NOW, "url": "https://a.example/", "depth": 3.5});
    assert_eq!(rejection_of(e).code(), "invalid_number");
    // Out-of-range JSON numbers do not parse at all.
    let raw = br#"{"site":"demo","session_id":"s","visitor_id":"v","events":[{"id":"a","type":"click","ts":1e400,"url":"https://a.example/","x":1,"y":1}]}"#;
    let err = prepare(raw, &ctx(&QueryKeepList::default())).unwrap_err();
    assert!(
        matches!(err, BatchError::NothingValid { rejected: ref r, .. } if r[0].reason.code() == "malformed"),
        "{err:?}"
    );
}

#[test]
fn rejects_bad_urls_ids_and_props() {
    let mut e = click("u");
    e["url"] = json!("javascript:alert(1)");
    assert_eq!(rejection_of(e).code(), "invalid_url");
    let mut e = click("id with space");
    e["id"] = json!("id with space");
    assert_eq!(rejection_of(e).code(), "invalid_id");
    let e = json!({"id": "c", "type": "custom", "ts": NOW, "url": "https://a.example/", "name": "x",
                   "props": {"nested": {"a": 1}}});
    assert_eq!(rejection_of(e).code(), "invalid_props");
    let many: serde_json::Map<String, Value> =
        (0..40).map(|i| (format!("k{i}"), json!(i))).collect();
    let e = json!({"id": "c", "type": "custom", "ts": NOW, "url": "https://a.example/", "name": "x", "props": many});
    assert_eq!(rejection_of(e).code(), "invalid_props");
    let e = json!({"id": "c", "type": "custom", "ts": NOW, "url": "https://a.example/", "name": "x",
                   "props": {"a": "y".repeat(200), "b": "y".repeat(200), "c": "y".repeat(200), "d": "y".repeat(200),
                             "e": "y".repeat(200), "f": "y".repeat(200), "g": "y".repeat(200), "h": "y".repeat(200),
                             "i": "y".repeat(200), "j": "y".repeat(200), "k": "y".repeat(200)}});
    assert_eq!(rejection_of(e).code(), "invalid_props");
    let e = json!({"id": "c", "type": "custom", "ts": NOW, "url": "https://a.example/", "name": "\u{200b}"});
    assert_eq!(rejection_of(e).code(), "missing_field");
}

#[test]
fn batch_level_errors() {
    let keep = QueryKeepList::default();
    let c = ctx(&keep);
    assert!(matches!(
        prepare(b"{not json", &c),
        Err(BatchError::Malformed(_))
    ));
    assert!(matches!(prepare(b"[]", &c), Err(BatchError::Malformed(_))));
    let no_site = json!({"session_id": "s", "visitor_id": "v", "events": []}).to_string();
    let err = prepare(no_site.as_bytes(), &c).unwrap_err();
    assert!(err.to_string().contains("missing field `site`"), "{err}");
    let bad_site =
        json!({"site": "", "session_id": "s", "visitor_id": "v", "events": [click("a")]})
            .to_string();
    assert_eq!(
        prepare(bad_site.as_bytes(), &c),
        Err(BatchError::InvalidId { field: "site" })
    );
    let long_session = json!({"site": "d", "session_id": "s".repeat(65), "visitor_id": "v", "events": [click("a")]}).to_string();
    assert_eq!(
        prepare(long_session.as_bytes(), &c),
        Err(BatchError::InvalidId {
            field: "session_id"
        })
    );
    assert_eq!(prepare_events(json!([])), Err(BatchError::Empty));
    let too_many: Vec<Value> = (0..=MAX_EVENTS_PER_BATCH)
        .map(|i| click(&format!("e{i}")))
        .collect();
    assert_eq!(
        prepare_events(json!(too_many)),
        Err(BatchError::TooManyEvents {
            count: MAX_EVENTS_PER_BATCH + 1
        })
    );
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let nested = format!(r#"{{"site":"d","session_id":"s","visitor_id":"v","events":[{deep}]}}"#);
    let err = prepare(nested.as_bytes(), &c).unwrap_err();
    assert!(
        matches!(err, BatchError::NothingValid { rejected: ref r, .. } if r[0].reason.code() == "malformed"),
        "{err:?}"
    );
    let nested_envelope =
        format!(r#"{{"site":{deep},"session_id":"s","visitor_id":"v","events":[]}}"#);
    assert!(matches!(
        prepare(nested_envelope.as_bytes(), &c),
        Err(BatchError::Malformed(_))
    ));
    assert!(matches!(
        prepare(b"{\"site\":\"\xff\xfe\"}", &c),
        Err(BatchError::Malformed(_))
    ));
}

#[test]
fn truncates_and_cleans_strings() {
    let mut e = click("t");
    e["title"] = json!("T".repeat(10_000));
    e["target"]["text"] = json!(format!("\u{202e}{}", "L".repeat(1000)));
    e["target"]["selector"] = json!("S".repeat(5000));
    let p = prepare_events(json!([e])).unwrap();
    let ev = &p.batch.events[0];
    assert_eq!(ev.title.as_ref().unwrap().chars().count(), MAX_TITLE_CHARS);
    let t = ev.target.as_ref().unwrap();
    assert_eq!(t.label.as_ref().unwrap().chars().count(), MAX_LABEL_CHARS);
    assert!(t.label.as_ref().unwrap().starts_with('L'));
    // A selector is never cut (a cut one no longer parses): too long, it is dropped.
    assert_eq!(t.selector, None);
}

#[test]
fn stores_selectors_as_sent() {
    for selector in [
        "#a\\ b ",
        "#nb\u{a0}sp",
        "#zero\u{200b}width",
        "[data-testid=\"x  y\"]",
        "x-card#h >>> button.buy",
    ] {
        let mut e = click("s");
        e["target"]["selector"] = json!(selector);
        let p = prepare_events(json!([e])).unwrap();
        let t = p.batch.events[0].target.as_ref().unwrap();
        assert_eq!(t.selector.as_deref(), Some(selector));
    }
    let exact = "a".repeat(MAX_SELECTOR_CHARS);
    for (sent, kept) in [
        (exact.clone(), Some(exact.as_str())),
        (format!("{exact}b"), None),
        ("main>\nbutton".to_owned(), None),
        ("   ".to_owned(), None),
    ] {
        let mut e = click("s");
        e["target"]["selector"] = json!(sent);
        e["target"]["text"] = json!("Buy");
        let p = prepare_events(json!([e])).unwrap();
        let t = p.batch.events[0].target.as_ref().unwrap();
        assert_eq!(t.selector.as_deref(), kept, "{sent:?}");
        assert_eq!(t.label.as_deref(), Some("Buy"), "the click keeps its label");
    }
}

#[test]
fn a_lone_surrogate_costs_a_character_not_the_event() {
    // JSON.stringify writes half an emoji (a label cut between its two
    // UTF-16 units) as an escape that strict parsers refuse.
    let text = String::from_utf8(body(json!([click("a")]))).unwrap();
    let text = text.replace("Buy\\nnow", "Buy \\ud83d");
    let p = prepare(text.as_bytes(), &ctx(&QueryKeepList::default())).unwrap();
    assert!(p.rejected.is_empty());
    let t = p.batch.events[0].target.as_ref().unwrap();
    assert_eq!(t.label.as_deref(), Some("Buy \u{fffd}"));
}

#[test]
fn clicks_on_right_to_left_pages_are_measured_from_the_left_edge() {
    // A page 3000 px wide in a 1000 px window, scrolled to its far left: the
    // document's left edge is at page x -2000.
    let mut e = click("r");
    e["page"] = json!([3000, 4200]);
    e["page_left"] = json!(-2000);
    e["x"] = json!(-1990.4);
    e["target"]["box"] = json!([-2000, 1780, 120, 40]);
    let p = prepare_events(json!([e])).unwrap();
    let ev = &p.batch.events[0];
    assert_eq!(ev.x, Some(10));
    assert_eq!(ev.target.as_ref().unwrap().rect.unwrap().x, 0);

    // Without page_left a negative x cannot be placed; page_left must be ≤ 0.
    let mut e = click("n");
    e["x"] = json!(-5);
    assert_eq!(rejection_of(e).code(), "invalid_number");
    let mut e = click("p");
    e["page_left"] = json!(5);
    assert_eq!(rejection_of(e).code(), "invalid_number");
}

#[test]
fn checks_coordinates_before_rounding() {
    let mut e = click("m");
    e["x"] = json!(-0.4);
    assert_eq!(rejection_of(e).code(), "invalid_number");
}

#[test]
fn corrects_client_clocks() {
    let keep = QueryKeepList::default();
    // A client whose clock is two hours ahead: sent_at tells the offset.
    let ahead = 2 * 3600 * 1000;
    let b = json!({"site": "d", "session_id": "s", "visitor_id": "v", "sent_at": NOW + ahead,
                   "events": [{"id": "a", "type": "page_view", "ts": NOW + ahead - 5000, "url": "https://a.example/"}]});
    let p = prepare(b.to_string().as_bytes(), &ctx(&keep)).unwrap();
    assert_eq!(p.batch.events[0].ts, NOW - 5000);
    assert!(p.batch.events[0].clock_adjusted);
    // Late delivery of an old event from a correct clock keeps its time.
    let b = json!({"site": "d", "session_id": "s", "visitor_id": "v", "sent_at": NOW,
                   "events": [{"id": "a", "type": "page_view", "ts": NOW - 3_600_000, "url": "https://a.example/"}]});
    let p = prepare(b.to_string().as_bytes(), &ctx(&keep)).unwrap();
    assert_eq!(p.batch.events[0].ts, NOW - 3_600_000);
    assert!(!p.batch.events[0].clock_adjusted);
    // Without sent_at, a timestamp in the far future is replaced.
    let p = prepare_events(json!([{"id": "a", "type": "page_view", "ts": NOW + 86_400_000, "url": "https://a.example/"}])).unwrap();
    assert_eq!(p.batch.events[0].ts, NOW);
    assert!(p.batch.events[0].clock_adjusted);
}

#[test]
fn nothing_valid_lists_reasons() {
    match prepare_events(
        json!([{"id": "a", "type": "nope", "ts": NOW, "url": "https://a.example/"}]),
    ) {
        Err(BatchError::NothingValid { rejected: r, .. }) => {
            assert_eq!(r[0].to_wire().code, "unknown_type")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn reject_where_moves_events_and_keeps_indices_in_order() {
    let mut p = prepare_events(json!([
        click("a"),
        {"id": "b", "type": "nope", "ts": NOW, "url": "https://a.example/"},
        {"id": "c", "type": "page_view", "ts": NOW, "url": "https://evil.example/"},
        click("d"),
    ]))
    .unwrap();
    p.reject_where(|e| {
        e.url
            .contains("evil")
            .then(|| EventRejection::HostNotAllowed("evil.example".into()))
    });
    let ids: Vec<&str> = p.batch.events.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, ["a", "d"]);
    let rejected: Vec<(usize, &str)> = p
        .rejected
        .iter()
        .map(|r| (r.index, r.reason.code()))
        .collect();
    assert_eq!(rejected, [(1, "unknown_type"), (2, "host_not_allowed")]);
    // Indices survive a second pass.
    p.reject_where(|e| (e.id == "d").then_some(EventRejection::Bot("crawler")));
    assert_eq!(p.rejected.last().map(|r| r.index), Some(3));
    assert_eq!(p.rejected[2].to_wire().code, "bot");
    assert!(!p.is_empty());
    p.reject_where(|_| Some(EventRejection::Bot("crawler")));
    assert!(p.is_empty());
    let indices: Vec<usize> = p.rejected.iter().map(|r| r.index).collect();
    assert_eq!(indices, [0, 1, 2, 3]);
}

#[test]
fn oversized_lists_are_counted_without_being_kept() {
    // A body of tiny events far past the limit is refused with its count.
    let body = format!(
        r#"{{"site":"d","session_id":"s","visitor_id":"v","events":[{}]}}"#,
        vec!["0"; 50_000].join(",")
    );
    let keep = QueryKeepList::default();
    assert_eq!(
        prepare(body.as_bytes(), &ctx(&keep)),
        Err(BatchError::TooManyEvents { count: 50_000 })
    );
    // Props past the key limit are counted, and nested values are skipped
    // (however deep) and reported.
    let keys: Vec<String> = (0..5_000).map(|i| format!("\"k{i}\":{i}")).collect();
    let e: Value = serde_json::from_str(&format!(
        r#"{{"id":"p","type":"custom","ts":{NOW},"url":"https://a.example/","name":"n","props":{{{}}}}}"#,
        keys.join(",")
    ))
    .unwrap();
    assert_eq!(
        rejection_of(e).to_string(),
        format!("props has more than {MAX_PROPS_KEYS} keys")
    );
    let deep = format!("{}{}", "[".repeat(5_000), "]".repeat(5_000));
    let body = format!(
        r#"{{"site":"d","session_id":"s","visitor_id":"v","events":[{{"id":"p","type":"custom","ts":{NOW},"url":"https://a.example/","name":"n","props":{{"a":{deep}}}}},{{"id":"q","type":"page_view","ts":{NOW},"url":"https://a.example/","extra":{deep}}}]}}"#
    );
    let p = prepare(body.as_bytes(), &ctx(&keep)).unwrap();
    assert_eq!(p.batch.events.len(), 1);
    assert_eq!(p.rejected[0].reason.code(), "invalid_props");
}

#[test]
fn objects_only_where_the_contract_says_object() {
    let keep = QueryKeepList::default();
    let c = ctx(&keep);
    // serde would read these arrays as the fields in declaration order.
    let envelope = json!(["demo", "s1", "v1", null, [click("a")]]);
    assert!(matches!(
        prepare(envelope.to_string().as_bytes(), &c),
        Err(BatchError::Malformed(_))
    ));
    let as_array = json!(["e", "page_view", NOW, "https://shop.example/"]);
    assert_eq!(rejection_of(as_array).code(), "malformed");
    let mut e = click("t");
    e["target"] = json!(["main>button", "Buy", [1, 2, 3, 4]]);
    assert_eq!(rejection_of(e).code(), "malformed");
}

#[test]
fn null_optional_fields_count_as_absent() {
    let mut e = click("n");
    for field in [
        "title",
        "referrer",
        "viewport",
        "page",
        "page_left",
        "target",
    ] {
        e[field] = Value::Null;
    }
    let mut custom = json!({"id": "c", "type": "custom", "ts": NOW, "url": "https://shop.example/",
                            "name": "signup", "props": null});
    custom["title"] = Value::Null;
    let p = prepare_events(json!([e, custom])).unwrap();
    assert!(p.rejected.is_empty(), "{:?}", p.rejected);
    assert_eq!(p.batch.events[0].target, None);
    assert_eq!(p.batch.events[1].props, None);
    // A required field that is null is missing.
    let mut e = click("x");
    e["x"] = Value::Null;
    assert_eq!(rejection_of(e).code(), "missing_field");
}
