//! Parse → validate → enrich: from a request body to an [`EventBatch`].
//!
//! Envelope problems (malformed JSON, bad ids, too many events) reject the whole
//! batch with a [`BatchError`]. Event problems reject only that event, with a
//! [`Rejection`] naming its index and reason; the valid events are kept.
//! Checks that need the daemon's configuration (the site's hostnames, bots)
//! reject prepared events afterwards with [`PreparedBatch::reject_where`].

use crate::contract::{
    Object, PropValue, RejectedEvent, WireBatch, WireEvent, WireProps, WireTarget,
};
use crate::event::{Event, EventBatch, EventKind, Rect, Size, Target};
use crate::layout::{LayoutEvent, LAYOUT_TYPE};
use crate::limits::*;
use crate::page_key::{page_key, QueryKeepList};
use crate::reject_code::RejectCode;
use crate::sanitize::{clean, clean_opt};
use crate::user_agent;
use serde_json::Value;

/// Why one event was rejected.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EventRejection {
    #[error("not a valid event object: {0}")]
    Malformed(String),
    #[error("unknown event type {0:?} (expected page_view, click, scroll, custom or layout)")]
    UnknownType(String),
    #[error("{kind} event needs field {field:?}")]
    MissingField {
        kind: &'static str,
        field: &'static str,
    },
    #[error("event id must be 1 to {MAX_ID_CHARS} printable ASCII characters")]
    InvalidId,
    #[error("{0}")]
    InvalidUrl(String),
    #[error("{field} {problem}")]
    InvalidNumber {
        field: &'static str,
        problem: String,
    },
    #[error("props {0}")]
    InvalidProps(String),
    #[error("page host {0:?} is not one of this site's hostnames")]
    HostNotAllowed(String),
    #[error("sent by an automated client ({0}); bot traffic is not recorded")]
    Bot(&'static str),
    #[error("layout {0}")]
    InvalidLayout(String),
    #[error("layout capture is turned off for this site")]
    LayoutOff,
}

impl EventRejection {
    /// The reason's code, as replies, documents and metrics name it.
    pub fn reject_code(&self) -> RejectCode {
        match self {
            Self::Malformed(_) => RejectCode::Malformed,
            Self::UnknownType(_) => RejectCode::UnknownType,
            Self::MissingField { .. } => RejectCode::MissingField,
            Self::InvalidId => RejectCode::InvalidId,
            Self::InvalidUrl(_) => RejectCode::InvalidUrl,
            Self::InvalidNumber { .. } => RejectCode::InvalidNumber,
            Self::InvalidProps(_) => RejectCode::InvalidProps,
            Self::HostNotAllowed(_) => RejectCode::HostNotAllowed,
            Self::Bot(_) => RejectCode::Bot,
            Self::InvalidLayout(_) => RejectCode::InvalidLayout,
            Self::LayoutOff => RejectCode::LayoutOff,
        }
    }

    /// The code as a string (log lines, messages).
    pub fn code(&self) -> &'static str {
        self.reject_code().as_str()
    }
}

/// A rejected event and its position in the request.
#[derive(Debug, Clone, PartialEq)]
pub struct Rejection {
    pub index: usize,
    pub reason: EventRejection,
}

impl Rejection {
    /// The form sent back to the client.
    pub fn to_wire(&self) -> RejectedEvent {
        RejectedEvent {
            index: self.index,
            code: self.reason.reject_code(),
            reason: self.reason.to_string(),
        }
    }
}

/// Why a whole batch was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BatchError {
    #[error("body is not a valid event batch: {0}")]
    Malformed(String),
    #[error("{field} must be 1 to {MAX_ID_CHARS} printable ASCII characters")]
    InvalidId { field: &'static str },
    #[error("batch has {count} events; at most {MAX_EVENTS_PER_BATCH} are accepted per request")]
    TooManyEvents { count: usize },
    #[error("batch has no events")]
    Empty,
    #[error("no valid event in the batch ({} rejected)", .rejected.len())]
    NothingValid {
        /// The batch's site key (checked before the events).
        site: String,
        rejected: Vec<Rejection>,
    },
}

/// What the request carried besides its body.
#[derive(Debug, Clone, Copy)]
pub struct RequestContext<'a> {
    pub user_agent: Option<&'a str>,
    /// The User-Agent Client Hints the request carried (none when not sent).
    pub client_hints: user_agent::ClientHints<'a>,
    /// Server receive time, ms since the Unix epoch.
    pub received_at: i64,
    pub keep_query: &'a QueryKeepList,
}

/// A batch ready to commit, with the events that were left out.
#[derive(Debug, Clone, PartialEq)]
pub struct PreparedBatch {
    pub batch: EventBatch,
    /// The batch's layout snapshots. They travel beside `batch`, not in it:
    /// the store does not keep layouts yet, and its event model has no
    /// layout kind.
    pub layouts: Vec<LayoutEvent>,
    /// Sorted by index.
    pub rejected: Vec<Rejection>,
    /// The request index of each event in `batch.events`.
    indices: Vec<usize>,
    /// The request index of each snapshot in `layouts`.
    layout_indices: Vec<usize>,
}

impl PreparedBatch {
    /// Moves every event for which `why` gives a reason from the batch to the
    /// rejected list (which stays sorted by request index).
    pub fn reject_where(&mut self, why: impl FnMut(&Event) -> Option<EventRejection>) {
        let newly = keep_unless(&mut self.batch.events, &mut self.indices, why);
        self.add_rejected(newly);
    }

    /// Like [`PreparedBatch::reject_where`], for the layout snapshots.
    pub fn reject_layouts_where(
        &mut self,
        why: impl FnMut(&LayoutEvent) -> Option<EventRejection>,
    ) {
        let newly = keep_unless(&mut self.layouts, &mut self.layout_indices, why);
        self.add_rejected(newly);
    }

    fn add_rejected(&mut self, newly: Vec<Rejection>) {
        if !newly.is_empty() {
            self.rejected.extend(newly);
            self.rejected.sort_by_key(|r| r.index);
        }
    }

    /// Whether no event (and no layout snapshot) is left.
    pub fn is_empty(&self) -> bool {
        self.batch.events.is_empty() && self.layouts.is_empty()
    }
}

/// Keeps the items (with their request indices) for which `why` gives no
/// reason; returns the rejections of the others.
fn keep_unless<T>(
    items: &mut Vec<T>,
    indices: &mut Vec<usize>,
    mut why: impl FnMut(&T) -> Option<EventRejection>,
) -> Vec<Rejection> {
    let all = std::mem::take(items);
    let all_indices = std::mem::take(indices);
    let mut newly = Vec::new();
    for (item, index) in all.into_iter().zip(all_indices) {
        match why(&item) {
            Some(reason) => newly.push(Rejection { index, reason }),
            None => {
                items.push(item);
                indices.push(index);
            }
        }
    }
    newly
}

/// The oldest client timestamp kept as sent: older events get the receive time.
/// Trackers keep undelivered events for a while, so this is generous.
const MAX_EVENT_AGE_MS: i64 = 7 * 24 * 60 * 60 * 1000;

/// Parses and validates a request body.
pub fn prepare(body: &[u8], ctx: &RequestContext<'_>) -> Result<PreparedBatch, BatchError> {
    let body = crate::json_text::replace_lone_surrogates(body);
    let Object::<WireBatch<'_>>(wire) =
        serde_json::from_slice(&body).map_err(|e| BatchError::Malformed(e.to_string()))?;
    let site = checked_id(&wire.site).ok_or(BatchError::InvalidId { field: "site" })?;
    let session_id = checked_id(&wire.session_id).ok_or(BatchError::InvalidId {
        field: "session_id",
    })?;
    let visitor_id = checked_id(&wire.visitor_id).ok_or(BatchError::InvalidId {
        field: "visitor_id",
    })?;
    if wire.events.total == 0 {
        return Err(BatchError::Empty);
    }
    if wire.events.total > MAX_EVENTS_PER_BATCH {
        return Err(BatchError::TooManyEvents {
            count: wire.events.total,
        });
    }
    let skew = clock_offset(wire.sent_at, ctx.received_at);
    let mut events = Vec::with_capacity(wire.events.kept.len());
    let mut indices = Vec::with_capacity(wire.events.kept.len());
    let (mut layouts, mut layout_indices) = (Vec::new(), Vec::new());
    let mut rejected = Vec::new();
    for (index, raw) in wire.events.kept.iter().enumerate() {
        let parsed = serde_json::from_str::<Object<WireEvent>>(raw.get())
            .map(|o| o.0)
            .map_err(|e| EventRejection::Malformed(e.to_string()))
            .and_then(|event| validate_event(event, skew, ctx));
        match parsed {
            Ok(Valid::Event(event)) => {
                events.push(event);
                indices.push(index);
            }
            Ok(Valid::Layout(layout)) => {
                layouts.push(layout);
                layout_indices.push(index);
            }
            Err(reason) => rejected.push(Rejection { index, reason }),
        }
    }
    if events.is_empty() && layouts.is_empty() {
        return Err(BatchError::NothingValid {
            site: site.to_owned(),
            rejected,
        });
    }
    Ok(PreparedBatch {
        batch: EventBatch {
            site: site.to_owned(),
            session_id: session_id.to_owned(),
            visitor_id: visitor_id.to_owned(),
            client: user_agent::classify_with(ctx.user_agent, &ctx.client_hints),
            events,
        },
        layouts,
        rejected,
        indices,
        layout_indices,
    })
}

fn checked_id(id: &str) -> Option<&str> {
    let ok = !id.is_empty()
        && id.len() <= MAX_ID_CHARS
        && id.bytes().all(|b| (0x21..=0x7e).contains(&b));
    ok.then_some(id)
}

/// The correction to add to client timestamps: the receive time minus the
/// client's send time, when they differ by more than the allowed skew.
fn clock_offset(sent_at: Option<f64>, received_at: i64) -> i64 {
    match sent_at {
        Some(sent) if sent.is_finite() && sent > 0.0 && sent < MAX_TS_MS => {
            let offset = received_at - sent.round() as i64;
            if offset.abs() > MAX_CLOCK_SKEW_MS {
                offset
            } else {
                0
            }
        }
        _ => 0,
    }
}

/// A valid event: one for the store, or a layout snapshot.
enum Valid {
    Event(Event),
    Layout(LayoutEvent),
}

/// What every event has, checked and enriched.
struct Common {
    id: String,
    ts: i64,
    clock_adjusted: bool,
    /// Cleaned; the page key is made from it before it is truncated.
    url: String,
    page_key: String,
    viewport: Option<Size>,
    page: Option<Size>,
}

fn validate_event(
    mut wire: WireEvent,
    skew: i64,
    ctx: &RequestContext<'_>,
) -> Result<Valid, EventRejection> {
    if wire.kind == LAYOUT_TYPE {
        let common = common(&wire, skew, ctx)?;
        return layout::layout_event(&mut wire, common, ctx.received_at).map(Valid::Layout);
    }
    let kind = EventKind::from_wire(&wire.kind)
        .ok_or_else(|| EventRejection::UnknownType(clean(&wire.kind, 32)))?;
    let common = common(&wire, skew, ctx)?;
    event_of(kind, wire, common, ctx.received_at).map(Valid::Event)
}

/// The fields every event has: id, time (corrected), URL and page key,
/// viewport and page size.
fn common(wire: &WireEvent, skew: i64, ctx: &RequestContext<'_>) -> Result<Common, EventRejection> {
    let id = checked_id(&wire.id).ok_or(EventRejection::InvalidId)?;
    if !(wire.ts > 0.0 && wire.ts < MAX_TS_MS) {
        return Err(EventRejection::InvalidNumber {
            field: "ts",
            problem: "must be milliseconds since the Unix epoch".into(),
        });
    }
    let mut ts = (wire.ts.round() as i64).saturating_add(skew);
    let mut clock_adjusted = skew != 0;
    if ts > ctx.received_at + MAX_CLOCK_SKEW_MS || ts < ctx.received_at - MAX_EVENT_AGE_MS {
        ts = ctx.received_at;
        clock_adjusted = true;
    }

    let url = clean(&wire.url, usize::MAX);
    let key =
        page_key(&url, ctx.keep_query).map_err(|e| EventRejection::InvalidUrl(e.to_string()))?;
    Ok(Common {
        id: id.to_owned(),
        ts,
        clock_adjusted,
        url: truncate_chars(url, MAX_URL_CHARS),
        page_key: truncate_chars(key, MAX_URL_CHARS),
        viewport: wire.viewport.map(|v| size("viewport", v)).transpose()?,
        page: wire.page.map(|v| size("page", v)).transpose()?,
    })
}

/// An event of one of the stored kinds.
fn event_of(
    kind: EventKind,
    wire: WireEvent,
    common: Common,
    received_at: i64,
) -> Result<Event, EventRejection> {
    let kind_name = kind.as_str();
    let missing = |field| EventRejection::MissingField {
        kind: kind_name,
        field,
    };
    let page = common.page;
    let (mut x, mut y, mut target, mut depth, mut depth_from, mut name, mut props) =
        (None, None, None, None, None, None, None);
    match kind {
        EventKind::Click => {
            let left = page_left(wire.page_left)?;
            let limit = page.map(|p| (p.width, p.height));
            x = Some(coordinate(
                "x",
                wire.x.ok_or_else(|| missing("x"))? - left,
                limit.map(|l| l.0),
            )?);
            y = Some(coordinate(
                "y",
                wire.y.ok_or_else(|| missing("y"))?,
                limit.map(|l| l.1),
            )?);
            target = wire.target.map(|t| target_of(t, left)).transpose()?;
        }
        EventKind::Scroll => {
            let to = scroll_depth(wire.depth.ok_or_else(|| missing("depth"))?)?;
            depth = Some(to);
            depth_from = wire
                .from
                .map(|f| depth_already_reported(f, to))
                .transpose()?;
        }
        EventKind::Custom => {
            name = Some(
                clean_opt(wire.name.as_deref(), MAX_EVENT_NAME_CHARS)
                    .ok_or_else(|| missing("name"))?,
            );
            props = wire.props.map(props_json).transpose()?;
        }
        EventKind::PageView => {}
    }

    Ok(Event {
        id: common.id,
        kind,
        ts: common.ts,
        received_at,
        clock_adjusted: common.clock_adjusted,
        url: common.url,
        page_key: common.page_key,
        title: clean_opt(wire.title.as_deref(), MAX_TITLE_CHARS),
        referrer: clean_opt(wire.referrer.as_deref(), MAX_URL_CHARS),
        viewport: common.viewport,
        page,
        x,
        y,
        target,
        depth,
        depth_from,
        name,
        props,
    })
}

fn truncate_chars(mut s: String, max: usize) -> String {
    if let Some((cut, _)) = s.char_indices().nth(max) {
        s.truncate(cut);
    }
    s
}

fn number_error(field: &'static str, problem: impl Into<String>) -> EventRejection {
    EventRejection::InvalidNumber {
        field,
        problem: problem.into(),
    }
}

fn size(field: &'static str, [w, h]: [f64; 2]) -> Result<Size, EventRejection> {
    // Zero is a real size: a hidden frame or an empty document.
    let ok = |v: f64| (0.0..=MAX_PAGE_DIMENSION).contains(&v);
    if !(ok(w) && ok(h)) {
        return Err(number_error(
            field,
            format!("must be [width, height] with each between 0 and {MAX_PAGE_DIMENSION}"),
        ));
    }
    Ok(Size {
        width: w.round() as u32,
        height: h.round() as u32,
    })
}

/// The page x of the document's left edge (`page_left`, 0 when absent).
///
/// On a right-to-left page wider than the window the document extends left
/// of the page origin, so `pageX` and element boxes are negative there.
/// Stored x is measured from the document's left edge instead: `x - page_left`.
fn page_left(sent: Option<f64>) -> Result<f64, EventRejection> {
    match sent {
        None => Ok(0.0),
        Some(v) if (-MAX_PAGE_DIMENSION..=0.0).contains(&v) => Ok(v),
        Some(_) => Err(number_error(
            "page_left",
            format!("must be between -{MAX_PAGE_DIMENSION} and 0 (the page x of the document's left edge)"),
        )),
    }
}

/// A click coordinate, checked before it is rounded (so `-0.4` is refused).
fn coordinate(field: &'static str, v: f64, extent: Option<u32>) -> Result<i32, EventRejection> {
    let max = extent.map_or(MAX_PAGE_DIMENSION, |e| f64::from(e) + COORDINATE_SLACK);
    if !(0.0..=max).contains(&v) {
        return Err(number_error(
            field,
            format!("must be between 0 and {max} (page coordinates from the document's left edge)"),
        ));
    }
    Ok(v.round() as i32)
}

/// An element's page rectangle `[x, y, width, height]`, x moved by `left`
/// (see [`page_left`]); `None` when a number is out of range.
fn page_rect([x, y, w, h]: [f64; 4], left: f64) -> Option<Rect> {
    let x = x - left;
    let pos = |v: f64| v.abs() <= MAX_PAGE_DIMENSION + COORDINATE_SLACK;
    let len = |v: f64| (0.0..=MAX_PAGE_DIMENSION + COORDINATE_SLACK).contains(&v);
    (pos(x) && pos(y) && len(w) && len(h)).then(|| Rect {
        x: x.round() as i32,
        y: y.round() as i32,
        width: w.round() as u32,
        height: h.round() as u32,
    })
}

/// The clicked element; its box moves with x by `left` (see [`page_left`]).
fn target_of(wire: WireTarget, left: f64) -> Result<Target, EventRejection> {
    let rect = match wire.rect {
        None => None,
        Some(rect) => Some(page_rect(rect, left).ok_or_else(|| {
            number_error(
                "target.box",
                "must be [x, y, width, height] within the page",
            )
        })?),
    };
    Ok(Target {
        selector: selector_as_sent(wire.selector),
        label: clean_opt(wire.text.as_deref(), MAX_LABEL_CHARS),
        rect,
    })
}

/// A selector is stored exactly as sent, so that it still resolves: ids may
/// end in a space or hold a no-break space or an invisible character, which
/// cleaning would remove. One that cannot be a selector the tracker built (too
/// long, blank, or holding an ASCII control, which `CSS.escape` always
/// escapes) is dropped rather than cut, since a cut selector no longer
/// parses; the click keeps everything else. Strings are made safe for a
/// terminal where they are drawn.
fn selector_as_sent(selector: Option<String>) -> Option<String> {
    selector.filter(|s| {
        !s.trim().is_empty()
            && s.chars().count() <= MAX_SELECTOR_CHARS
            && !s.chars().any(|c| c.is_ascii_control())
    })
}

fn scroll_depth(depth: f64) -> Result<f64, EventRejection> {
    if !(0.0..=MAX_SCROLL_DEPTH).contains(&depth) {
        return Err(number_error("depth", "must be a fraction between 0 and 1"));
    }
    Ok(depth.min(1.0))
}

/// A scroll report's `from`, a depth like its own (`to`) and taken as `to`
/// when past it: a report adds nothing above what was already reported.
fn depth_already_reported(from: f64, to: f64) -> Result<f64, EventRejection> {
    if !(0.0..=MAX_SCROLL_DEPTH).contains(&from) {
        return Err(number_error("from", "must be a fraction between 0 and 1"));
    }
    Ok(from.min(to))
}

fn props_json(props: WireProps) -> Result<String, EventRejection> {
    if props.total > MAX_PROPS_KEYS {
        return Err(EventRejection::InvalidProps(format!(
            "has more than {MAX_PROPS_KEYS} keys"
        )));
    }
    let mut cleaned = serde_json::Map::with_capacity(props.entries.len());
    for (key, value) in props.entries {
        let value = match value {
            PropValue::Scalar(Value::String(s)) => Value::String(clean(&s, MAX_PROP_VALUE_CHARS)),
            PropValue::Scalar(v) => v,
            PropValue::Nested => {
                return Err(EventRejection::InvalidProps(
                    "values must be strings, numbers, booleans or null".into(),
                ))
            }
        };
        let key = clean(&key, MAX_EVENT_NAME_CHARS);
        if !key.is_empty() {
            cleaned.insert(key, value);
        }
    }
    let text = Value::Object(cleaned).to_string();
    if text.len() > MAX_PROPS_BYTES {
        return Err(EventRejection::InvalidProps(format!(
            "are larger than {MAX_PROPS_BYTES} bytes"
        )));
    }
    Ok(text)
}

mod layout;
#[cfg(test)]
mod tests;
