//! Documents to and from the store's types: an appended event becomes an
//! `events` document; `events` and `sessions` documents become
//! [`StoredEvent`] and [`SessionSummary`].
//!
//! Absent optional values are left out of documents, and read back as `None`.
//! Numbers are read whatever their BSON width, since servers and tools may
//! widen them.

use super::schema::{bucket_key, key, session_key};
use crate::event::{ClientInfo, DeviceClass, Event, EventBatch, EventKind, Size, Target};
use crate::store::heat::{segment_code, FineCell};
use crate::store::query::{SessionSummary, StoredEvent};
use crate::store::StoreError;
use mongodb::bson::{doc, Bson, DateTime, Document};

/// An integer field, whatever its BSON width; `None` when absent or null.
pub(crate) fn int(d: &Document, field: &str) -> Option<i64> {
    match d.get(field)? {
        Bson::Int32(v) => Some(i64::from(*v)),
        Bson::Int64(v) => Some(*v),
        Bson::Double(v) if v.is_finite() => Some(*v as i64),
        _ => None,
    }
}

/// A floating-point field, whatever its BSON type.
pub(crate) fn float(d: &Document, field: &str) -> Option<f64> {
    match d.get(field)? {
        Bson::Int32(v) => Some(f64::from(*v)),
        Bson::Int64(v) => Some(*v as f64),
        Bson::Double(v) => Some(*v),
        _ => None,
    }
}

/// A string field; `None` when absent, null or not a string.
pub(crate) fn text(d: &Document, field: &str) -> Option<String> {
    match d.get(field)? {
        Bson::String(s) => Some(s.clone()),
        _ => None,
    }
}

/// A flag, stored as a boolean or as a number (non-zero is set).
pub(crate) fn boolean(d: &Document, field: &str) -> bool {
    match d.get(field) {
        Some(Bson::Boolean(b)) => *b,
        Some(Bson::Int32(_) | Bson::Int64(_) | Bson::Double(_)) => int(d, field).unwrap_or(0) != 0,
        _ => false,
    }
}

/// A count that must be present and not negative.
pub(crate) fn count(d: &Document, field: &str) -> u64 {
    int(d, field).unwrap_or(0).max(0) as u64
}

fn required_text(d: &Document, field: &str) -> Result<String, StoreError> {
    text(d, field).ok_or_else(|| StoreError::Corrupt(format!("document without {field}: {d}")))
}

fn required_int(d: &Document, field: &str) -> Result<i64, StoreError> {
    int(d, field).ok_or_else(|| StoreError::Corrupt(format!("document without {field}: {d}")))
}

fn put<T: Into<Bson>>(d: &mut Document, field: &str, value: Option<T>) {
    if let Some(value) = value {
        d.insert(field, value);
    }
}

/// The `events` document of `event`, stored `seq`-th, pending under `token`.
pub(crate) fn event_document(batch: &EventBatch, event: &Event, seq: i64, token: &str) -> Document {
    let mut d = doc! {
        "_id": key(&[&batch.site, &event.id]),
        "site": &batch.site,
        "session": &batch.session_id,
        "visitor": &batch.visitor_id,
        "sid": session_key(&batch.site, &batch.session_id),
        "device": batch.client.device.code(),
        "browser": &batch.client.browser,
        "os": &batch.client.os,
        "id": &event.id,
        "kind": event.kind.code(),
        "ts": event.ts,
        "at": DateTime::from_millis(event.ts),
        "received_at": event.received_at,
        "clock_adjusted": event.clock_adjusted,
        "rage": 0_i32,
        "seq": seq,
        "pending": token,
        "url": &event.url,
        "page": &event.page_key,
    };
    put(&mut d, "title", event.title.clone());
    put(&mut d, "referrer", event.referrer.clone());
    put(&mut d, "vw", event.viewport.map(|s| i64::from(s.width)));
    put(&mut d, "vh", event.viewport.map(|s| i64::from(s.height)));
    put(&mut d, "pw", event.page.map(|s| i64::from(s.width)));
    put(&mut d, "ph", event.page.map(|s| i64::from(s.height)));
    put(&mut d, "x", event.x);
    put(&mut d, "y", event.y);
    if let Some(target) = &event.target {
        put(&mut d, "selector", target.selector.clone());
        put(&mut d, "label", target.label.clone());
        if let Some(rect) = target.rect {
            d.insert("bx", rect.x);
            d.insert("by", rect.y);
            d.insert("bw", i64::from(rect.width));
            d.insert("bh", i64::from(rect.height));
        }
    }
    put(&mut d, "depth", event.depth);
    put(&mut d, "name", event.name.clone());
    put(&mut d, "props", event.props.clone());
    if event.kind == EventKind::Click {
        let cell = FineCell::of(
            event.ts,
            event.x,
            event.y,
            event.page.map(|s| s.width),
            event.viewport.map(|s| s.width),
        );
        if let Some(cell) = cell {
            let segment = segment_code(cell.segment);
            d.insert(
                "hk",
                bucket_key(&batch.site, &event.page_key, segment, cell.day),
            );
            d.insert("seg", segment);
            d.insert("day", cell.day);
            d.insert("gx", cell.gx);
            d.insert("gy", cell.gy);
        }
    }
    d
}

fn size(d: &Document, w: &str, h: &str) -> Option<Size> {
    let width = u32::try_from(int(d, w)?).ok()?;
    let height = u32::try_from(int(d, h)?).ok()?;
    Some(Size { width, height })
}

pub(crate) fn small(d: &Document, field: &str) -> Option<i32> {
    int(d, field).and_then(|v| i32::try_from(v).ok())
}

/// An `events` document as the read side shows it.
pub(crate) fn stored_event(d: &Document) -> Result<StoredEvent, StoreError> {
    let code = required_int(d, "kind")?;
    let kind = EventKind::from_code(code)
        .ok_or_else(|| StoreError::Corrupt(format!("unknown event kind {code}")))?;
    let target = Target::from_fields(
        text(d, "selector"),
        text(d, "label"),
        small(d, "bx"),
        small(d, "by"),
        int(d, "bw").and_then(|v| u32::try_from(v).ok()),
        int(d, "bh").and_then(|v| u32::try_from(v).ok()),
    );
    Ok(StoredEvent {
        cursor: required_int(d, "seq")?.to_string(),
        site: required_text(d, "site")?,
        session_id: required_text(d, "session")?,
        visitor_id: required_text(d, "visitor")?,
        rage_click: boolean(d, "rage"),
        event: Event {
            id: required_text(d, "id")?,
            kind,
            ts: required_int(d, "ts")?,
            received_at: required_int(d, "received_at")?,
            clock_adjusted: boolean(d, "clock_adjusted"),
            url: required_text(d, "url")?,
            page_key: required_text(d, "page")?,
            title: text(d, "title"),
            referrer: text(d, "referrer"),
            viewport: size(d, "vw", "vh"),
            page: size(d, "pw", "ph"),
            x: small(d, "x"),
            y: small(d, "y"),
            target,
            depth: float(d, "depth"),
            name: text(d, "name"),
            props: text(d, "props"),
        },
    })
}

/// Element `i` of an array field.
fn element(d: &Document, field: &str, i: usize) -> Option<Bson> {
    match d.get(field)? {
        Bson::Array(items) => items.get(i).cloned(),
        _ => None,
    }
}

fn element_text(d: &Document, field: &str, i: usize) -> Option<String> {
    match element(d, field, i)? {
        Bson::String(s) => Some(s),
        _ => None,
    }
}

/// A `sessions` document as a row of the session list.
pub(crate) fn session_summary(d: &Document) -> Result<SessionSummary, StoreError> {
    let start = required_int(d, "start")?;
    let end = required_int(d, "end")?;
    let page_views = count(d, "page_views");
    Ok(SessionSummary {
        site: required_text(d, "site")?,
        session_id: required_text(d, "session")?,
        visitor_id: required_text(d, "visitor")?,
        start,
        end,
        duration_ms: end - start,
        events: count(d, "events"),
        page_views,
        clicks: count(d, "clicks"),
        rage_clicks: count(d, "rage_clicks"),
        entry_page: element_text(d, "entry", 2),
        exit_page: element_text(d, "exit", 2),
        referrer: element_text(d, "entry", 3),
        client: ClientInfo {
            device: DeviceClass::from_code(int(d, "device").unwrap_or(-1)),
            browser: text(d, "browser").unwrap_or_default(),
            os: text(d, "os").unwrap_or_default(),
        },
        bounced: page_views == 1,
    })
}
