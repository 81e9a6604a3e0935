//! Strings: non-ASCII text and every string at its length limit come back
//! as validation left them.

use super::fixtures::*;
use super::heatmap::heatmap_of;
use super::reading::*;
use super::StoreFactory;
use shared::page_key::QueryKeepList;
use shared::store::query::*;

/// Strings come back exactly as validation left them: non-ASCII text, and
/// ids, URLs, titles, selectors, labels and names at their length limits.
pub fn case_strings_round_trip(factory: &dyn StoreFactory) {
    use serde_json::json;
    use shared::limits::*;
    use shared::validate::{prepare, RequestContext};

    let (mut w, r) = factory.open();
    let site_key = format!("site~!@#$%^&*()_+{{}}|:<>?{}", "s".repeat(64));
    let session = format!("session-{}", "S".repeat(64));
    let visitor = format!("visitor-{}", "V".repeat(64));
    let long_id = |n: u32| format!("{n}-evt~!@#$%^&*()[]{{}}|;:'\",.<>/?{}", "x".repeat(64));
    let url = format!("https://shop.example/wiki/{}", "Ω".repeat(2100));
    let title = format!("Grüße — 日本語 🎉 {}", "é".repeat(300));
    // Selectors are stored as sent up to the limit (a longer one is dropped).
    let selector = format!("main>div.card:nth-of-type(2)>button{}", ">span".repeat(200))
        .chars()
        .take(MAX_SELECTOR_CHARS)
        .collect::<String>();
    let label = format!("Купить сейчас {}", "ж".repeat(200));
    let name = "注册".repeat(40);
    let referrer = "https://bücher.example/straße?q=日本";
    let body = json!({
        "site": &site_key[..MAX_ID_CHARS],
        "session_id": &session[..MAX_ID_CHARS],
        "visitor_id": &visitor[..MAX_ID_CHARS],
        "events": [
            {"id": &long_id(1)[..MAX_ID_CHARS], "type": "page_view", "ts": T0 + 1000, "url": url,
             "title": title, "referrer": referrer, "viewport": [1280, 720], "page": [1280, 4000]},
            {"id": &long_id(2)[..MAX_ID_CHARS], "type": "click", "ts": T0 + 2000, "url": url,
             "x": 640, "y": 1800, "viewport": [1280, 720], "page": [1280, 4000],
             "target": {"selector": selector, "text": label, "box": [600, 1780, 120, 40]}},
            {"id": &long_id(3)[..MAX_ID_CHARS], "type": "custom", "ts": T0 + 3000, "url": url,
             "name": name, "props": {"plan": "pró ✓", "emoji": "🎉", "n": 1.5, "ok": true, "none": null}},
            {"id": "short", "type": "page_view", "ts": T0 + 4000, "url": "https://shop.example/café?q=ü",
             "title": "  Tabs\tand\nnewlines\u{202E} cleaned  "}
        ]
    });
    let keep = QueryKeepList::default();
    let ctx = RequestContext {
        user_agent: Some(
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
        ),
        client_hints: Default::default(),
        received_at: T0 + MIN,
        keep_query: &keep,
    };
    let prepared = prepare(body.to_string().as_bytes(), &ctx).expect("a valid batch");
    assert!(prepared.rejected.is_empty(), "{:?}", prepared.rejected);
    let b = prepared.batch;
    // The fixture reaches every limit.
    let chars = |s: &Option<String>| s.as_deref().map_or(0, |s| s.chars().count());
    let [view, clicked, named, short] = &b.events[..] else {
        panic!("four events expected");
    };
    assert_eq!(b.site.len(), MAX_ID_CHARS);
    assert!(b.events[..3].iter().all(|e| e.id.len() == MAX_ID_CHARS));
    assert_eq!(view.url.chars().count(), MAX_URL_CHARS);
    assert_eq!(view.page_key.chars().count(), MAX_URL_CHARS);
    assert_eq!(chars(&view.title), MAX_TITLE_CHARS);
    let target = clicked.target.clone().expect("a target");
    assert_eq!(chars(&target.selector), MAX_SELECTOR_CHARS);
    assert_eq!(chars(&target.label), MAX_LABEL_CHARS);
    assert_eq!(chars(&named.name), MAX_EVENT_NAME_CHARS);
    assert_eq!(short.title.as_deref(), Some("Tabs and newlines cleaned"));

    load(&mut *w, std::slice::from_ref(&b));
    let journey = journey_of(&*r, Some(&b.site), &b.session_id).expect("the journey");
    assert_eq!(journey.steps.len(), 4);
    assert_round_trip(&journey.steps, std::slice::from_ref(&b));
    assert_eq!(journey.session.visitor_id, b.visitor_id);
    assert_eq!(journey.session.client, b.client);
    assert_eq!(
        journey.session.entry_page.as_deref(),
        Some(view.page_key.as_str())
    );
    assert_eq!(
        journey.session.exit_page.as_deref(),
        Some("shop.example/caf%C3%A9")
    );
    assert_eq!(
        journey.session.referrer.as_deref(),
        Some("xn--bcher-kva.example")
    );
    assert_round_trip(&events_of(&*r, &site(&b.site)), std::slice::from_ref(&b));
    assert_round_trip(
        &r.live_tail(None, 10).expect("tail").events,
        std::slice::from_ref(&b),
    );

    let pages = pages_of(&*r, &Filter::default(), None);
    let keys: Vec<&str> = pages.iter().map(|p| p.page.as_str()).collect();
    assert_eq!(keys, ["shop.example/caf%C3%A9", view.page_key.as_str()]);
    let h = heatmap_of(&*r, &view.page_key, site(&b.site), WidthSegment::All, 10);
    assert_eq!(h.total_clicks, 1);
    assert_eq!(h.top_elements.len(), 1);
    assert_eq!(Some(&h.top_elements[0].selector), target.selector.as_ref());
    assert_eq!(h.top_elements[0].label, target.label);
    let by_referrer = Filter {
        referrer: some("xn--bcher-kva.example"),
        ..site(&b.site)
    };
    assert_eq!(
        session_ids(&*r, &by_referrer),
        std::slice::from_ref(&b.session_id)
    );
}
