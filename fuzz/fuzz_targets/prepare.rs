//! Fuzz target for parse → validate → sanitise: any body must give a batch
//! or a typed error, never a panic, and every kept string must be clean and
//! within its limit.

#![no_main]

use libfuzzer_sys::fuzz_target;
use shared::limits::*;
use shared::page_key::QueryKeepList;
use shared::sanitize::{clean, is_forbidden};
use shared::validate::{prepare, BatchError, RequestContext};

fn check(text: &str, limit: usize) {
    assert!(!text.chars().any(is_forbidden), "{text:?}");
    assert!(text.chars().count() <= limit, "{text:?}");
}

fuzz_target!(|body: &[u8]| {
    let keep = QueryKeepList::new(["utm_*"]);
    let ctx = RequestContext {
        user_agent: Some("Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0"),
        client_hints: Default::default(),
        received_at: 1_764_000_000_000,
        keep_query: &keep,
    };
    match prepare(body, &ctx) {
        Ok(prepared) => {
            // Events to store, layout snapshots beside them, or both.
            assert!(!prepared.is_empty());
            for l in &prepared.layouts {
                check(&l.url, MAX_URL_CHARS);
                assert!(l.layout.boxes.len() <= MAX_LAYOUT_BOXES);
                for b in &l.layout.boxes {
                    assert!(b.selector.chars().count() <= MAX_SELECTOR_CHARS);
                    if let Some(label) = &b.label {
                        check(label, MAX_LAYOUT_LABEL_CHARS);
                    }
                }
            }
            for e in &prepared.batch.events {
                check(&e.url, MAX_URL_CHARS);
                check(&e.page_key, MAX_URL_CHARS);
                for (value, limit) in [
                    (e.title.as_deref(), MAX_TITLE_CHARS),
                    (e.referrer.as_deref(), MAX_URL_CHARS),
                    (e.name.as_deref(), MAX_EVENT_NAME_CHARS),
                    (
                        e.target.as_ref().and_then(|t| t.selector.as_deref()),
                        MAX_SELECTOR_CHARS,
                    ),
                    (
                        e.target.as_ref().and_then(|t| t.label.as_deref()),
                        MAX_LABEL_CHARS,
                    ),
                ] {
                    if let Some(value) = value {
                        check(value, limit);
                    }
                }
                if let Some(props) = &e.props {
                    assert!(props.len() <= MAX_PROPS_BYTES);
                }
            }
        }
        Err(BatchError::NothingValid { rejected, .. }) => assert!(!rejected.is_empty()),
        Err(_) => {}
    }
    if let Ok(text) = std::str::from_utf8(body) {
        check(&clean(text, 64), 64);
    }
});
