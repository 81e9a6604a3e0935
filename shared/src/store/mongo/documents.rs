//! The documents of the collections, typed, and every field name in one
//! place.
//!
//! - [`fields`]: the name of every field the engine writes or queries, and
//!   its `$`-path for pipeline expressions;
//! - [`EventDoc`]: an `events` document, built from an appended event,
//!   folded into the rollups and read back as a [`StoredEvent`];
//! - [`SessionDoc`]: a `sessions` rollup document as the session list reads it;
//! - [`LayoutDoc`]: a `layouts` document, one layout version;
//! - lenient readers ([`int`], [`count`], [`text`]) for the rows that grouped
//!   queries answer, whose numbers come back in whatever BSON width the server
//!   chose.
//!
//! Absent optional values are left out of documents and read back as `None`.

use super::rollups::{MongoKeys, SitePage};
use super::schema::{bucket_key, key, session_key};
use crate::event::{ClientInfo, DeviceClass, Event, EventBatch, EventKind, Rect, Size, Target};
use crate::layout::{Fingerprint, Layout};
use crate::store::core::fold::Fact;
use crate::store::core::layouts::decode_boxes;
use crate::store::core::steps::is_dead_end;
use crate::store::heat::{click_anchor, segment_code, segment_from_code, FineCell};
use crate::store::layout_query::StoredLayout;
use crate::store::query::{SessionSummary, StoredEvent};
use crate::store::reach::{viewport_of, ReachSpan};
use crate::store::StoreError;
use mongodb::bson::{Bson, DateTime, Document};
use serde::{Deserialize, Serialize};

macro_rules! field_names {
    ($($(#[$doc:meta])* $name:ident = $field:literal;)*) => {
        $($(#[$doc])* pub(crate) const $name: &str = $field;)*
        /// The `$`-paths of the fields, for pipeline expressions.
        pub(crate) mod path {
            $(pub(crate) const $name: &str = concat!("$", $field);)*
        }
        #[cfg(test)]
        pub(crate) const ALL: &[&str] = &[$($field),*];
    };
}

/// Field names of the engine's documents (the collections are in
/// [`super::schema`]). Every field is named, whether or not a query names it.
#[allow(dead_code)]
pub(crate) mod fields {
    field_names! {
        /// A document's key (see [`super::super::schema::key`]).
        ID = "_id";
        SITE = "site";
        /// The session id as the client sent it.
        SESSION = "session";
        VISITOR = "visitor";
        /// The key of an event's or page row's session.
        SID = "sid";
        DEVICE = "device";
        BROWSER = "browser";
        /// The browser name in lower case, for case-blind matching.
        BROWSER_KEY = "browser_key";
        OS = "os";
        /// The event id as the client sent it.
        EVENT_ID = "id";
        KIND = "kind";
        TS = "ts";
        /// The event time as a BSON date, for the TTL index.
        AT = "at";
        RECEIVED_AT = "received_at";
        CLOCK_ADJUSTED = "clock_adjusted";
        /// 1 on a click found in a rage burst, else 0 (summed by pipelines).
        RAGE = "rage";
        /// Storage order.
        SEQ = "seq";
        /// The token of the commit that has not finished with this event.
        PENDING = "pending";
        URL = "url";
        PAGE = "page";
        TITLE = "title";
        REFERRER = "referrer";
        VW = "vw";
        VH = "vh";
        PW = "pw";
        PH = "ph";
        X = "x";
        Y = "y";
        SELECTOR = "selector";
        LABEL = "label";
        BX = "bx";
        BY = "by";
        BW = "bw";
        BH = "bh";
        DEPTH = "depth";
        /// The depth a scroll report goes on from (`Event::depth_from`).
        DF = "df";
        NAME = "name";
        PROPS = "props";
        /// The heatmap bucket key, width segment and day of a placed click
        /// (and its fine cell) or of a scroll report that reached something.
        HK = "hk";
        SEG = "seg";
        DAY = "day";
        GX = "gx";
        GY = "gy";
        /// A placed click's anchor inside its element (`heat::Anchor::code`),
        /// only on anchored clicks; in `heat_anchors`, the anchor counted.
        AK = "ak";
        /// In `heat_cells`, the selector of anchored clicks (absent: not
        /// anchored).
        ASEL = "asel";
        START = "start";
        END = "end";
        EVENTS = "events";
        PAGE_VIEWS = "page_views";
        CLICKS = "clicks";
        RAGE_CLICKS = "rage_clicks";
        /// `[ts, seq, page, referrer]` of a session's entry page view.
        ENTRY = "entry";
        /// `[ts, seq, page]` of a session's exit page view.
        EXIT = "exit";
        /// The key of a page of a site, in page rows.
        PID = "pid";
        FIRST_TS = "first_ts";
        VIEWS = "views";
        SCROLL_SUM = "scroll_sum";
        SCROLL_COUNT = "scroll_count";
        MAX_PH = "max_ph";
        MAX_Y = "max_y";
        /// In `heat_reach`, the band of page height counted.
        BAND = "band";
        /// In `heat_reach`, the views whose first screen ended in the band
        /// (`store::reach`).
        FOLDS = "folds";
        /// A session's steps, `[ts, seq, tag, label]` each (see `steps.rs`).
        STEPS = "steps";
        QUICK_BACKS = "quick_backs";
        /// The time of a session's latest rage click.
        LAST_RAGE = "last_rage";
        /// A counter's value in `meta`, and a `$count` stage's output.
        N = "n";
        /// A layout's fingerprint, 16 hexadecimal digits.
        VERSION = "version";
        /// The latest capture of a layout version (its earliest is `first_ts`).
        CAPTURED_AT = "captured_at";
        /// A layout's boxes, as the core's JSON text (`core::layouts`).
        BOXES = "boxes";
    }
}

/// An `events` document. The field names are those of [`fields`] (a test
/// holds them together).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct EventDoc {
    #[serde(rename = "_id")]
    pub key: String,
    pub site: String,
    pub session: String,
    pub visitor: String,
    pub sid: String,
    pub device: i64,
    pub browser: String,
    pub os: String,
    pub id: String,
    pub kind: i64,
    pub ts: i64,
    pub at: DateTime,
    pub received_at: i64,
    #[serde(default)]
    pub clock_adjusted: bool,
    #[serde(default, deserialize_with = "flag")]
    pub rage: i32,
    pub seq: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending: Option<String>,
    pub url: String,
    pub page: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referrer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vw: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vh: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pw: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ph: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub y: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selector: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bx: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bw: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bh: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub depth: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub df: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub props: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seg: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub day: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gx: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gy: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ak: Option<i64>,
}

/// A flag stored as a number or, by older tools, a boolean.
fn flag<'de, D: serde::Deserializer<'de>>(d: D) -> Result<i32, D::Error> {
    Ok(match Bson::deserialize(d)? {
        Bson::Boolean(b) => i32::from(b),
        other => i32::from(number(&other).is_some_and(|n| n != 0)),
    })
}

impl EventDoc {
    /// The document of `event`, stored `seq`-th, pending under `token`.
    pub(crate) fn new(batch: &EventBatch, event: &Event, seq: i64, token: &str) -> Self {
        let target = event.target.as_ref();
        let rect = target.and_then(|t| t.rect);
        let cell = (event.kind == EventKind::Click)
            .then(|| {
                FineCell::of(
                    event.ts,
                    event.x,
                    event.y,
                    event.page.map(|s| s.width),
                    event.viewport.map(|s| s.width),
                )
            })
            .flatten();
        let reach = scroll_reach(
            event.kind.code(),
            event.ts,
            event.depth,
            event.depth_from,
            event.page,
            event.viewport,
        );
        let bucket = cell
            .map(|c| (c.segment, c.day))
            .or(reach.map(|r| (r.segment, r.day)));
        let segment = bucket.map(|(segment, _)| segment_code(segment));
        // Only placed clicks are anchored, as the fold anchors them.
        let anchor = cell.and_then(|_| {
            click_anchor(
                target.and_then(|t| t.selector.as_ref()),
                event.x,
                event.y,
                rect,
            )
        });
        Self {
            key: key(&[&batch.site, &event.id]),
            site: batch.site.clone(),
            session: batch.session_id.clone(),
            visitor: batch.visitor_id.clone(),
            sid: session_key(&batch.site, &batch.session_id),
            device: batch.client.device.code(),
            browser: batch.client.browser.clone(),
            os: batch.client.os.clone(),
            id: event.id.clone(),
            kind: event.kind.code(),
            ts: event.ts,
            at: DateTime::from_millis(event.ts),
            received_at: event.received_at,
            clock_adjusted: event.clock_adjusted,
            rage: 0,
            seq,
            pending: Some(token.to_owned()),
            url: event.url.clone(),
            page: event.page_key.clone(),
            title: event.title.clone(),
            referrer: event.referrer.clone(),
            vw: event.viewport.map(|s| s.width),
            vh: event.viewport.map(|s| s.height),
            pw: event.page.map(|s| s.width),
            ph: event.page.map(|s| s.height),
            x: event.x,
            y: event.y,
            selector: target.and_then(|t| t.selector.clone()),
            label: target.and_then(|t| t.label.clone()),
            bx: rect.map(|r| r.x),
            by: rect.map(|r| r.y),
            bw: rect.map(|r| r.width),
            bh: rect.map(|r| r.height),
            depth: event.depth,
            df: event.depth_from,
            name: event.name.clone(),
            props: event.props.clone(),
            hk: bucket
                .zip(segment)
                .map(|((_, day), segment)| bucket_key(&batch.site, &event.page_key, segment, day)),
            seg: segment,
            day: bucket.map(|(_, day)| day),
            gx: cell.map(|c| c.gx),
            gy: cell.map(|c| c.gy),
            ak: anchor.map(|(_, a)| a.code()),
        }
    }

    /// The event as the rollups see it; `None` for an unknown kind.
    pub(crate) fn fact(&self) -> Option<Fact<'_, MongoKeys>> {
        Some(Fact {
            session: self.sid.clone(),
            page: SitePage {
                site: self.site.clone(),
                page: self.page.clone(),
            },
            order: self.seq,
            kind: EventKind::from_code(self.kind)?,
            ts: self.ts,
            url: &self.url,
            referrer: self.referrer.as_deref(),
            viewport_width: self.vw,
            viewport_height: self.vh,
            page_size: size(self.pw, self.ph),
            x: self.x,
            y: self.y,
            selector: self.selector.clone(),
            // Clicks stored before anchoring have no anchor: they stay
            // unanchored in rollups recomputed from them, as in raw reads.
            element: self.ak.and(rect(self.bx, self.by, self.bw, self.bh)),
            label: self.label.as_deref(),
            depth: self.depth,
            depth_from: self.df,
            name: self.name.as_deref(),
            rage: self.rage != 0,
        })
    }

    /// The event as the read side shows it.
    pub(crate) fn stored(self) -> Result<StoredEvent, StoreError> {
        let kind = EventKind::from_code(self.kind)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown event kind {}", self.kind)))?;
        Ok(StoredEvent {
            cursor: self.seq.to_string(),
            site: self.site,
            session_id: self.session,
            visitor_id: self.visitor,
            rage_click: self.rage != 0,
            event: Event {
                id: self.id,
                kind,
                ts: self.ts,
                received_at: self.received_at,
                clock_adjusted: self.clock_adjusted,
                url: self.url,
                page_key: self.page,
                title: self.title,
                referrer: self.referrer,
                viewport: size(self.vw, self.vh),
                page: size(self.pw, self.ph),
                x: self.x,
                y: self.y,
                target: Target::from_fields(
                    self.selector,
                    self.label,
                    self.bx,
                    self.by,
                    self.bw,
                    self.bh,
                ),
                depth: self.depth,
                depth_from: self.df,
                name: self.name,
                props: self.props,
            },
        })
    }
}

/// Scroll reports that reached something carry their heatmap bucket, as
/// placed clicks do, so that a rebuild of a bucket's rollups finds them:
/// the span of a report of kind `kind` (a code), if any.
fn scroll_reach(
    kind: i64,
    ts: i64,
    depth: Option<f64>,
    depth_from: Option<f64>,
    page: Option<Size>,
    viewport: Option<Size>,
) -> Option<ReachSpan> {
    (kind == EventKind::Scroll.code())
        .then(|| ReachSpan::of(ts, depth, depth_from, page, viewport))
        .flatten()
}

impl EventDoc {
    /// The heatmap bucket of a stored scroll report that reached something
    /// (`hk`, `seg`, `day`), by the rule [`EventDoc::new`] gives it one.
    pub(crate) fn reach_bucket(&self) -> Option<(String, i64, i64)> {
        let span = scroll_reach(
            self.kind,
            self.ts,
            self.depth,
            self.df,
            size(self.pw, self.ph),
            viewport_of(self.vw, self.vh),
        )?;
        let segment = segment_code(span.segment);
        let hk = bucket_key(&self.site, &self.page, segment, span.day);
        Some((hk, segment, span.day))
    }
}

fn size(width: Option<u32>, height: Option<u32>) -> Option<Size> {
    Some(Size {
        width: width?,
        height: height?,
    })
}

fn rect(x: Option<i32>, y: Option<i32>, width: Option<u32>, height: Option<u32>) -> Option<Rect> {
    Some(Rect {
        x: x?,
        y: y?,
        width: width?,
        height: height?,
    })
}

/// A `layouts` document: one version of a page's layout at one width
/// segment (see [`super::layouts`]).
#[derive(Debug, Deserialize)]
pub(crate) struct LayoutDoc {
    site: String,
    page: String,
    seg: i64,
    version: String,
    first_ts: i64,
    captured_at: i64,
    vw: i64,
    vh: i64,
    pw: i64,
    ph: i64,
    boxes: String,
}

impl LayoutDoc {
    /// The version as the read side answers it.
    pub(crate) fn stored(self) -> Result<StoredLayout, StoreError> {
        let corrupt = |what: &str| StoreError::Corrupt(format!("layout {}: {what}", self.version));
        let version = u64::from_str_radix(&self.version, 16).map_err(|_| corrupt("version"))?;
        let dim = |v: i64| u32::try_from(v).map_err(|_| corrupt("size"));
        let size = |w: i64, h: i64| -> Result<Size, StoreError> {
            Ok(Size {
                width: dim(w)?,
                height: dim(h)?,
            })
        };
        Ok(StoredLayout {
            segment: segment_from_code(self.seg),
            first_captured_at: self.first_ts,
            captured_at: self.captured_at,
            layout: Layout {
                viewport: size(self.vw, self.vh)?,
                page: size(self.pw, self.ph)?,
                boxes: decode_boxes(&self.boxes)?,
                fingerprint: Fingerprint(version),
            },
            site: self.site,
            page_key: self.page,
        })
    }
}

/// A `sessions` rollup document, as the session list reads it.
#[derive(Debug, Deserialize)]
pub(crate) struct SessionDoc {
    site: String,
    session: String,
    visitor: String,
    start: i64,
    end: i64,
    #[serde(default)]
    events: i64,
    #[serde(default)]
    page_views: i64,
    #[serde(default)]
    clicks: i64,
    #[serde(default)]
    rage_clicks: i64,
    /// `[ts, seq, page, referrer]`.
    #[serde(default)]
    entry: Vec<Bson>,
    /// `[ts, seq, page]`.
    #[serde(default)]
    exit: Vec<Bson>,
    #[serde(default = "unknown_device")]
    device: i64,
    #[serde(default)]
    browser: String,
    #[serde(default)]
    os: String,
    #[serde(default)]
    quick_backs: i64,
    #[serde(default)]
    last_rage: Option<i64>,
}

fn unknown_device() -> i64 {
    -1
}

impl SessionDoc {
    /// The session as a row of the session list.
    pub(crate) fn summary(self) -> SessionSummary {
        let element = |items: &[Bson], i: usize| match items.get(i) {
            Some(Bson::String(s)) => Some(s.clone()),
            _ => None,
        };
        let page_views = self.page_views.max(0) as u64;
        SessionSummary {
            duration_ms: self.end - self.start,
            site: self.site,
            session_id: self.session,
            visitor_id: self.visitor,
            start: self.start,
            end: self.end,
            events: self.events.max(0) as u64,
            page_views,
            clicks: self.clicks.max(0) as u64,
            rage_clicks: self.rage_clicks.max(0) as u64,
            entry_page: element(&self.entry, 2),
            exit_page: element(&self.exit, 2),
            referrer: element(&self.entry, 3),
            client: ClientInfo {
                device: DeviceClass::from_code(self.device),
                browser: self.browser,
                os: self.os,
            },
            bounced: page_views == 1,
            quick_backs: self.quick_backs.max(0) as u64,
            dead_end: is_dead_end(self.end, self.last_rage),
        }
    }
}

/// A number of any BSON width.
fn number(value: &Bson) -> Option<i64> {
    match value {
        Bson::Int32(v) => Some(i64::from(*v)),
        Bson::Int64(v) => Some(*v),
        Bson::Double(v) if v.is_finite() => Some(*v as i64),
        _ => None,
    }
}

/// An integer field of a grouped row; `None` when absent or null.
pub(crate) fn int(d: &Document, field: &str) -> Option<i64> {
    number(d.get(field)?)
}

/// A floating-point field of a grouped row.
pub(crate) fn float(d: &Document, field: &str) -> Option<f64> {
    match d.get(field)? {
        Bson::Double(v) => Some(*v),
        other => number(other).map(|n| n as f64),
    }
}

/// A string field of a grouped row; `None` when absent, null or not a string.
pub(crate) fn text(d: &Document, field: &str) -> Option<String> {
    match d.get(field)? {
        Bson::String(s) => Some(s.clone()),
        _ => None,
    }
}

/// A count of a grouped row; 0 when absent.
pub(crate) fn count(d: &Document, field: &str) -> u64 {
    int(d, field).unwrap_or(0).max(0) as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Rect;

    #[test]
    fn the_field_names_are_those_of_the_documents() {
        let event = Event {
            id: "e1".into(),
            kind: EventKind::Click,
            ts: 1_767_225_600_000,
            received_at: 1_767_225_600_000,
            clock_adjusted: false,
            url: "https://a.example/".into(),
            page_key: "a.example/".into(),
            title: Some("t".into()),
            referrer: Some("https://b.example/".into()),
            viewport: Some(Size {
                width: 1280,
                height: 800,
            }),
            page: Some(Size {
                width: 1280,
                height: 3000,
            }),
            x: Some(10),
            y: Some(20),
            target: Some(Target {
                selector: Some("#b".into()),
                label: Some("Buy".into()),
                rect: Some(Rect {
                    x: 1,
                    y: 2,
                    width: 3,
                    height: 4,
                }),
            }),
            depth: Some(0.5),
            depth_from: Some(0.25),
            name: Some("n".into()),
            props: Some("{}".into()),
        };
        let batch = EventBatch {
            site: "a".into(),
            session_id: "s".into(),
            visitor_id: "v".into(),
            client: ClientInfo::default(),
            events: vec![event.clone()],
        };
        let doc = EventDoc::new(&batch, &event, 7, "t");
        let written = mongodb::bson::to_document(&doc).expect("a document");
        let rollup_only = [
            fields::VERSION,
            fields::CAPTURED_AT,
            fields::BOXES,
            fields::BROWSER_KEY,
            fields::START,
            fields::END,
            fields::EVENTS,
            fields::PAGE_VIEWS,
            fields::CLICKS,
            fields::RAGE_CLICKS,
            fields::ENTRY,
            fields::EXIT,
            fields::PID,
            fields::FIRST_TS,
            fields::VIEWS,
            fields::SCROLL_SUM,
            fields::SCROLL_COUNT,
            fields::MAX_PH,
            fields::MAX_Y,
            fields::BAND,
            fields::FOLDS,
            fields::ASEL,
            fields::STEPS,
            fields::QUICK_BACKS,
            fields::LAST_RAGE,
            fields::N,
        ];
        for name in fields::ALL {
            assert!(
                written.contains_key(name) || rollup_only.contains(name),
                "{name} is not a field of an event"
            );
        }
        assert!(written.keys().all(|k| fields::ALL.contains(&k.as_str())));
        let back: EventDoc = mongodb::bson::from_document(written).expect("read back");
        let stored = back.stored().expect("stored");
        assert_eq!(stored.event, event);
        assert_eq!(fields::path::SID, "$sid");
    }

    #[test]
    fn numbers_and_flags_are_read_whatever_their_width() {
        let mut d = mongodb::bson::doc! { "a": 3_i32, "b": 4_i64, "c": 5.0 };
        assert_eq!(
            (int(&d, "a"), int(&d, "b"), int(&d, "c")),
            (Some(3), Some(4), Some(5))
        );
        d.insert("rage", true);
        #[derive(Deserialize)]
        struct Flagged {
            #[serde(deserialize_with = "flag")]
            rage: i32,
        }
        let read: Flagged = mongodb::bson::from_document(d).expect("read");
        assert_eq!(read.rage, 1);
    }
}
