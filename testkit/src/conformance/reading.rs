//! Reading helpers: appending and loading fixtures, each read with every row
//! and a panic naming the query on error, and the comparisons the cases share
//! (floats, event round trips, sort orders).

use super::fixtures::*;
use shared::event::{DeviceClass, Event, EventBatch};
use shared::page_key::PagePattern;
use shared::store::query::*;
use shared::store::{AppendOutcome, EventReader, EventWriter};
use std::collections::BTreeMap;

#[track_caller]
pub(super) fn append(w: &mut dyn EventWriter, batches: &[EventBatch]) -> Vec<AppendOutcome> {
    w.append(batches)
        .unwrap_or_else(|e| panic!("append failed: {e}"))
}

/// Appends `batches` in one call and checks that every event was new.
#[track_caller]
pub(super) fn load(w: &mut dyn EventWriter, batches: &[EventBatch]) {
    let want: Vec<_> = batches.iter().map(|b| outcome(b.events.len(), 0)).collect();
    assert_eq!(append(w, batches), want, "loading a fresh fixture");
}

pub(super) fn by_start() -> Sort<SessionSortKey> {
    Sort {
        key: SessionSortKey::Start,
        descending: false,
    }
}

/// Every session matching `filter`, by start; checks `total`.
#[track_caller]
pub(super) fn sessions_of(r: &dyn EventReader, filter: &Filter) -> Vec<SessionSummary> {
    let page = r
        .sessions(filter, by_start(), EVERYTHING)
        .unwrap_or_else(|e| panic!("sessions({filter:?}): {e}"));
    assert_eq!(page.total, page.rows.len() as u64, "total of {filter:?}");
    page.rows
}

/// Sorted ids of the sessions matching `filter`.
#[track_caller]
pub(super) fn session_ids(r: &dyn EventReader, filter: &Filter) -> Vec<String> {
    let mut ids: Vec<String> = sessions_of(r, filter)
        .into_iter()
        .map(|s| s.session_id)
        .collect();
    ids.sort();
    ids
}

#[track_caller]
pub(super) fn the_session(r: &dyn EventReader, site_name: &str, id: &str) -> SessionSummary {
    sessions_of(r, &site(site_name))
        .into_iter()
        .find(|s| s.session_id == id)
        .unwrap_or_else(|| panic!("no session {site_name}/{id}"))
}

/// Every page matching `filter` and `pattern`, by key.
#[track_caller]
pub(super) fn pages_of(
    r: &dyn EventReader,
    filter: &Filter,
    pattern: Option<&str>,
) -> Vec<PageStats> {
    let pattern = pattern.map(PagePattern::new);
    let sort = Sort {
        key: PageSortKey::Page,
        descending: false,
    };
    r.pages(filter, pattern.as_ref(), sort, EVERYTHING)
        .unwrap_or_else(|e| panic!("pages({filter:?}, {pattern:?}): {e}"))
}

#[track_caller]
pub(super) fn events_of(r: &dyn EventReader, filter: &Filter) -> Vec<StoredEvent> {
    r.events(filter, EVERYTHING)
        .unwrap_or_else(|e| panic!("events({filter:?}): {e}"))
}

pub(super) fn ids_of(events: &[StoredEvent]) -> Vec<&str> {
    events.iter().map(|e| e.event.id.as_str()).collect()
}

#[track_caller]
pub(super) fn journey_of(
    r: &dyn EventReader,
    site_name: Option<&str>,
    session: &str,
) -> Option<Journey> {
    r.journey(&SessionRef {
        site: site_name.map(str::to_owned),
        session_id: session.to_owned(),
    })
    .unwrap_or_else(|e| panic!("journey({site_name:?}, {session}): {e}"))
}

#[track_caller]
pub(super) fn assert_close(actual: f64, expected: f64, what: &str) {
    assert!(
        (actual - expected).abs() <= 1e-9 * expected.abs().max(1.0),
        "{what}: {actual} != {expected}"
    );
}

/// The events of `batches` that must come back from a store, by id.
pub(super) fn fixture_events(batches: &[EventBatch]) -> BTreeMap<String, (&EventBatch, &Event)> {
    batches
        .iter()
        .flat_map(|b| b.events.iter().map(move |e| (e.id.clone(), (b, e))))
        .collect()
}

/// Checks that each stored event is the appended one, in its session.
#[track_caller]
pub(super) fn assert_round_trip(stored: &[StoredEvent], batches: &[EventBatch]) {
    let sent = fixture_events(batches);
    for s in stored {
        let (b, e) = sent
            .get(&s.event.id)
            .unwrap_or_else(|| panic!("unknown event {}", s.event.id));
        assert_eq!(&s.event, *e, "stored event {}", e.id);
        assert_eq!(
            (
                s.site.as_str(),
                s.session_id.as_str(),
                s.visitor_id.as_str()
            ),
            (
                b.site.as_str(),
                b.session_id.as_str(),
                b.visitor_id.as_str()
            ),
            "session of event {}",
            e.id
        );
    }
}

/// A session-list column as a comparable value.
#[derive(Debug, PartialEq, PartialOrd)]
pub(super) enum SortValue {
    Int(i64),
    Text(Option<String>),
    Device(DeviceClass),
    Real(Option<f64>),
}

#[track_caller]
pub(super) fn assert_ordered<T: PartialOrd + std::fmt::Debug>(
    values: &[T],
    descending: bool,
    what: &str,
) {
    for pair in values.windows(2) {
        let ok = if descending {
            pair[0] >= pair[1]
        } else {
            pair[0] <= pair[1]
        };
        assert!(
            ok,
            "{what}: {:?} before {:?} in {values:?}",
            pair[0], pair[1]
        );
    }
}
