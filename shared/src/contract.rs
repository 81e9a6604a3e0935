//! The v1 wire contract: what `POST /api/events` accepts and answers.
//!
//! Field names here are the published contract (DESIGN §2): fields may be added,
//! none renamed or removed. [`openapi`] renders the same contract, with every
//! limit from [`crate::limits`], as the OpenAPI document ingestd serves.
//!
//! The parts of a body whose size a client chooses (the event list, custom
//! props) are read by bounded visitors: past their limit the rest is skipped
//! without being kept, so a body never costs much more memory than its size.

use crate::limits::*;
use crate::reject_code::RejectCode;
use serde::de::{IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::value::RawValue;
use serde_json::{json, Value};
use std::fmt;

/// A value that must be a JSON object.
///
/// serde's derived structs also take an array of their fields in declaration
/// order, which would make the order of the fields here part of the contract;
/// the document promises objects, so only objects are read.
#[derive(Debug)]
pub struct Object<T>(pub T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Object<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ObjectVisitor<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjectVisitor<T> {
            type Value = Object<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                T::deserialize(serde::de::value::MapAccessDeserializer::new(map)).map(Object)
            }
        }
        deserializer.deserialize_map(ObjectVisitor(std::marker::PhantomData))
    }
}

/// An optional object field: absent or `null` is `None`; anything but an
/// object is an error.
fn optional_object<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<Option<T>, D::Error> {
    Ok(Option::<Object<T>>::deserialize(deserializer)?.map(|o| o.0))
}

/// The request body: one session's events.
///
/// Events are kept as raw JSON so that each is parsed on its own: one malformed
/// event is rejected with its reason while the rest of the batch is kept.
#[derive(Debug, Deserialize)]
pub struct WireBatch<'a> {
    pub site: String,
    pub session_id: String,
    pub visitor_id: String,
    /// Client clock when the batch was sent (ms); lets the server correct a skewed
    /// client clock without mistaking late delivery for skew.
    #[serde(default)]
    pub sent_at: Option<f64>,
    #[serde(borrow)]
    pub events: WireEvents<'a>,
}

/// The `events` array: at most [`MAX_EVENTS_PER_BATCH`] events kept as raw
/// JSON, and how many the array held in all (the rest is skipped unread).
pub type WireEvents<'a> = Bounded<&'a RawValue, MAX_EVENTS_PER_BATCH>;

/// A layout's `boxes` array: at most [`MAX_LAYOUT_BOXES`] boxes kept as raw
/// JSON (each is read on its own, so its error names it), and how many the
/// array held in all.
pub type WireBoxes = Bounded<Box<RawValue>, MAX_LAYOUT_BOXES>;

/// A JSON array of which at most `MAX` items are kept; the rest are skipped
/// without being kept, only counted.
#[derive(Debug)]
pub struct Bounded<T, const MAX: usize> {
    pub kept: Vec<T>,
    /// How many items the array held in all.
    pub total: usize,
}

impl<T, const MAX: usize> Default for Bounded<T, MAX> {
    fn default() -> Self {
        Self {
            kept: Vec::new(),
            total: 0,
        }
    }
}

impl<'de, T: Deserialize<'de>, const MAX: usize> Deserialize<'de> for Bounded<T, MAX> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct BoundedVisitor<T, const MAX: usize>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>, const MAX: usize> Visitor<'de> for BoundedVisitor<T, MAX> {
            type Value = Bounded<T, MAX>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an array")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut list = Bounded::default();
                while list.kept.len() < MAX {
                    match seq.next_element::<T>()? {
                        Some(item) => list.kept.push(item),
                        None => {
                            list.total = list.kept.len();
                            return Ok(list);
                        }
                    }
                }
                list.total = list.kept.len();
                while seq.next_element::<IgnoredAny>()?.is_some() {
                    list.total += 1;
                }
                Ok(list)
            }
        }
        deserializer.deserialize_seq(BoundedVisitor::<T, MAX>(std::marker::PhantomData))
    }
}

/// One event as sent by a client. Which optional fields are required depends on
/// `type`; [`crate::validate`] checks them.
#[derive(Debug, Deserialize)]
pub struct WireEvent {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub ts: f64,
    pub url: String,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub referrer: Option<String>,
    #[serde(default)]
    pub viewport: Option<[f64; 2]>,
    #[serde(default)]
    pub page: Option<[f64; 2]>,
    #[serde(default)]
    pub x: Option<f64>,
    #[serde(default)]
    pub y: Option<f64>,
    /// The page x of the document's left edge (≤ 0): negative on a
    /// right-to-left page wider than the window. Stored x is `x - page_left`.
    #[serde(default)]
    pub page_left: Option<f64>,
    #[serde(default, deserialize_with = "optional_object")]
    pub target: Option<WireTarget>,
    #[serde(default)]
    pub depth: Option<f64>,
    /// The scroll depth this page view had already reported (see
    /// [`crate::store::reach`]).
    #[serde(default)]
    pub from: Option<f64>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub props: Option<WireProps>,
    /// A layout snapshot's boxes.
    #[serde(default)]
    pub boxes: Option<WireBoxes>,
}

/// A custom event's `props` object, read without keeping more than
/// [`MAX_PROPS_KEYS`] entries; nested values are skipped, only noted.
#[derive(Debug, Default, PartialEq)]
pub struct WireProps {
    /// The first entries, in order (a repeated key appears twice).
    pub entries: Vec<(String, PropValue)>,
    /// How many entries the object had in all.
    pub total: usize,
}

/// One value of `props`.
#[derive(Debug, Clone, PartialEq)]
pub enum PropValue {
    Scalar(Value),
    /// An array or object, which props may not hold.
    Nested,
}

impl<'de> Deserialize<'de> for PropValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ValueVisitor;
        impl<'de> Visitor<'de> for ValueVisitor {
            type Value = PropValue;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_bool<E>(self, v: bool) -> Result<PropValue, E> {
                Ok(PropValue::Scalar(Value::Bool(v)))
            }
            fn visit_i64<E>(self, v: i64) -> Result<PropValue, E> {
                Ok(PropValue::Scalar(Value::from(v)))
            }
            fn visit_u64<E>(self, v: u64) -> Result<PropValue, E> {
                Ok(PropValue::Scalar(Value::from(v)))
            }
            fn visit_f64<E>(self, v: f64) -> Result<PropValue, E> {
                // JSON cannot carry a non-finite number; `from` makes it null.
                Ok(PropValue::Scalar(Value::from(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<PropValue, E> {
                Ok(PropValue::Scalar(Value::String(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<PropValue, E> {
                Ok(PropValue::Scalar(Value::String(v)))
            }
            fn visit_unit<E>(self) -> Result<PropValue, E> {
                Ok(PropValue::Scalar(Value::Null))
            }
            fn visit_none<E>(self) -> Result<PropValue, E> {
                Ok(PropValue::Scalar(Value::Null))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<PropValue, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(PropValue::Nested)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<PropValue, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(PropValue::Nested)
            }
        }
        deserializer.deserialize_any(ValueVisitor)
    }
}

impl<'de> Deserialize<'de> for WireProps {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct PropsVisitor;
        impl<'de> Visitor<'de> for PropsVisitor {
            type Value = WireProps;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object of properties")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<WireProps, A::Error> {
                let mut props = WireProps::default();
                while props.entries.len() < MAX_PROPS_KEYS + 1 {
                    match map.next_entry::<String, PropValue>()? {
                        Some(entry) => props.entries.push(entry),
                        None => {
                            props.total = props.entries.len();
                            return Ok(props);
                        }
                    }
                }
                props.total = props.entries.len();
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {
                    props.total += 1;
                }
                Ok(props)
            }
        }
        deserializer.deserialize_map(PropsVisitor)
    }
}

/// The clicked element.
#[derive(Debug, Deserialize)]
pub struct WireTarget {
    #[serde(default)]
    pub selector: Option<String>,
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default, rename = "box")]
    pub rect: Option<[f64; 4]>,
}

/// One box of a layout snapshot.
#[derive(Debug, Deserialize)]
pub struct WireBox {
    pub selector: String,
    pub kind: String,
    #[serde(default)]
    pub text: Option<String>,
    #[serde(rename = "box")]
    pub rect: [f64; 4],
}

/// One rejected event in a reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RejectedEvent {
    /// Position of the event in the request's `events` array.
    pub index: usize,
    /// A stable, machine-readable reason code (also a metrics label).
    pub code: RejectCode,
    /// What is wrong, for a person.
    pub reason: String,
}

/// The `200` reply: every accepted event is committed to disk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IngestReply {
    /// Events stored by this request or already stored by an earlier copy of it.
    pub accepted: usize,
    /// Of the accepted, how many were already stored (a retried batch).
    pub duplicates: usize,
    pub rejected: Vec<RejectedEvent>,
    /// Asks the tracker for a layout snapshot of the page (it loads
    /// `layout.js`); absent when false.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub layout: bool,
}

/// The reply for every error status (`400`, `413`, `429`, `503`, …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorReply {
    pub error: String,
    /// Per-event reasons, when the batch was rejected because no event was valid.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rejected: Vec<RejectedEvent>,
}

/// What an event's `url` must look like. A browser's `location.href` always
/// has an ASCII host (an internationalised name in its `xn--` form). A name
/// whose last label starts with a digit is read as an IPv4 address by the URL
/// standard, so names must end in a label that does not, and addresses are
/// written out in full. Whether an `xn--` label is valid punycode is beyond a
/// pattern; the description says it.
const URL_PATTERN: &str = concat!(
    "^[Hh][Tt][Tt][Pp][Ss]?://",
    "(([A-Za-z0-9_-]+\\.)*[A-Za-z_-][A-Za-z0-9_-]*\\.?",
    "|((25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9]))",
    "(:(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[0-9]{1,4}))?",
    "([/?#].*)?$"
);

/// The schema of one event type: the fields every event has, then its own.
/// Optional fields may be `null`, which means absent.
fn event_schema(kind: &str, required: &[&str], own: Value) -> Value {
    let dim = json!({"type": "number", "minimum": 0, "maximum": MAX_PAGE_DIMENSION});
    let pair = json!({"type": ["array", "null"], "prefixItems": [dim, dim], "minItems": 2, "maxItems": 2,
                      "description": "[width, height] in CSS pixels"});
    let mut properties = json!({
        "id": {"type": "string", "minLength": 1, "maxLength": MAX_ID_CHARS, "pattern": "^[\\x21-\\x7e]+$",
               "description": "Unique per site: a second copy of an id is stored once"},
        "type": {"type": "string", "const": kind},
        "ts": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": MAX_TS_MS,
               "description": format!("Client time, ms since the Unix epoch. More than {} minutes from the \
               server clock (after correcting by sent_at), or older than 7 days: replaced by the receive \
               time and flagged", MAX_CLOCK_SKEW_MS / 60_000)},
        "url": {"type": "string", "pattern": URL_PATTERN,
                "description": format!("The page's absolute http(s) URL, as a browser's location gives it: the \
                host an ASCII name (internationalised names in their xn-- form, which must be valid \
                punycode) or an IPv4 address, then an optional port up to 65535 and path, query and \
                fragment. Control characters removed; truncated to {MAX_URL_CHARS} characters")},
        "title": {"type": ["string", "null"],
                  "description": format!("Truncated to {MAX_TITLE_CHARS} characters")},
        "referrer": {"type": ["string", "null"],
                     "description": format!("Truncated to {MAX_URL_CHARS} characters")},
        "viewport": pair, "page": pair,
    });
    if let (Some(all), Value::Object(own)) = (properties.as_object_mut(), own) {
        all.extend(own);
    }
    let mut required_fields = vec!["id", "type", "ts", "url"];
    required_fields.extend_from_slice(required);
    json!({"type": "object", "required": required_fields, "properties": properties})
}

/// The OpenAPI 3.1 document for the ingestion API.
pub fn openapi() -> Value {
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "ingestd event API",
            "version": "1",
            "description": api_description()
        },
        "paths": {
            "/api/events": {"post": {
                "summary": "Store a batch of one session's events",
                "requestBody": {"required": true, "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/Batch"}},
                    "text/plain": {"schema": {"$ref": "#/components/schemas/Batch"}}}},
                "responses": events_responses()
            }},
            "/healthz": {"get": {"summary": "Liveness", "responses": {"200": {"description": "ok"}}}},
            "/metrics": {"get": {"summary": "Prometheus text metrics", "responses": {"200": {"description": "metrics"}}}},
            "/openapi.json": {"get": {"summary": "This document", "responses": {"200": {"description": "OpenAPI"}}}}
        },
        "components": {"schemas": {
            "Batch": batch_schema(),
            "Event": event_union_schema(),
            "PageView": event_schema("page_view", &[], json!({})),
            "Click": click_schema(),
            "Scroll": scroll_schema(),
            "Custom": custom_schema(),
            "Layout": layout_schema(),
            "Target": target_schema(),
            "LayoutBox": layout_box_schema(),
            "IngestReply": {"type": "object", "required": ["accepted", "duplicates", "rejected"], "properties": {
                "accepted": {"type": "integer"}, "duplicates": {"type": "integer"},
                "rejected": {"type": "array", "items": {"$ref": "#/components/schemas/RejectedEvent"}},
                "layout": {"type": "boolean", "description": "true: the server asks for a layout snapshot of \
                    the page of the batch's newest event at its width segment (the tracker then loads \
                    layout.js, which sends one layout event). Absent when false"}}},
            "RejectedEvent": {"type": "object", "required": ["index", "code", "reason"], "properties": {
                "index": {"type": "integer", "minimum": 0},
                "code": {"type": "string", "enum": RejectCode::ALL.map(RejectCode::as_str)},
                "reason": {"type": "string"}}},
            "Error": {"type": "object", "required": ["error"], "properties": {
                "error": {"type": "string"},
                "rejected": {"type": "array", "items": {"$ref": "#/components/schemas/RejectedEvent"}}}}
        }}
    })
}

/// The document's overview: the rules every request follows.
fn api_description() -> String {
    format!(
        "Events from the browser tracker. Bodies are JSON whatever the Content-Type \
         (sendBeacon sends text/plain). Limits: body ≤ {MAX_BODY_BYTES} bytes, \
         ≤ {MAX_EVENTS_PER_BATCH} events per batch; every object must be a JSON object \
         (not an array), and an optional field that is null counts as absent. \
         Strings that the schemas say are truncated are cut on a character \
         boundary, not rejected; control, bidi and zero-width characters are \
         removed from them (selectors excepted: they are stored as sent). A lone UTF-16 surrogate escape (half of a character, \
         as JSON.stringify writes it) is replaced by U+FFFD. An event whose ts is more than {} minutes from \
         the server clock (after correcting by sent_at) gets the receive time and \
         a flag. A second copy of an event id (per site) is ignored. Events for a \
         page whose host is not one of the site's configured origins' hosts are \
         rejected (host_not_allowed).",
        MAX_CLOCK_SKEW_MS / 60_000
    )
}

/// Every answer of `POST /api/events`.
fn events_responses() -> Value {
    let error_response = |description: &str| {
        json!({"description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}})
    };
    let retry = |description: &str| {
        let mut r = error_response(description);
        r["headers"] = json!({"Retry-After": {"schema": {"type": "integer"},
            "description": "Seconds to wait before retrying"}});
        r
    };
    json!({
        "200": {"description": "Valid events are committed durably; invalid ones are listed",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/IngestReply"}}}},
        "400": error_response("Malformed JSON, a bad envelope, or no valid event"),
        "403": error_response("Unknown site, origin not allowed for the site, or a bot (every event listed with code bot)"),
        "408": error_response("The body did not arrive in time"),
        "413": error_response("Body larger than the limit"),
        "415": error_response("A compressed body (Content-Encoding other than identity)"),
        "431": {"description": "More than 100 headers, or an oversized request head"},
        "429": retry("Too many requests from this address"),
        "503": retry("Queue full or database unavailable (nothing was stored), or the commit not confirmed in time (it may still complete; resending is safe, each event id is stored once)")
    })
}

/// The request body: the envelope around one session's events.
fn batch_schema() -> Value {
    let id = json!({"type": "string", "minLength": 1, "maxLength": MAX_ID_CHARS,
                    "pattern": "^[\\x21-\\x7e]+$"});
    json!({"type": "object", "required": ["site", "session_id", "visitor_id", "events"], "properties": {
        "site": id, "session_id": id, "visitor_id": id,
        "sent_at": {"type": ["number", "null"], "description": "Client clock when sent (ms since epoch): \
            lets the server correct a skewed client clock"},
        "events": {"type": "array", "minItems": 1, "maxItems": MAX_EVENTS_PER_BATCH,
                   "items": {"$ref": "#/components/schemas/Event"}}}})
}

/// One event: the schema its `type` names.
fn event_union_schema() -> Value {
    json!({
        "description": "One event; its type names the schema it follows. An event that breaks its schema \
            is rejected alone (listed in the reply's rejected with a code); the others are kept.",
        "oneOf": [
            {"$ref": "#/components/schemas/PageView"}, {"$ref": "#/components/schemas/Click"},
            {"$ref": "#/components/schemas/Scroll"}, {"$ref": "#/components/schemas/Custom"},
            {"$ref": "#/components/schemas/Layout"}],
        "discriminator": {"propertyName": "type", "mapping": {
            "page_view": "#/components/schemas/PageView", "click": "#/components/schemas/Click",
            "scroll": "#/components/schemas/Scroll", "custom": "#/components/schemas/Custom",
            "layout": "#/components/schemas/Layout"}}})
}

fn click_schema() -> Value {
    event_schema(
        "click",
        &["x", "y"],
        json!({
            "x": {"type": "number", "minimum": -MAX_PAGE_DIMENSION, "maximum": MAX_PAGE_DIMENSION + COORDINATE_SLACK,
                "description": format!("Page X in CSS pixels: the browser's pageX. Stored as x - page_left, the \
                distance from the document's left edge, which must lie in [0, page width + {COORDINATE_SLACK}] \
                (or [0, {MAX_PAGE_DIMENSION}] without page); checked before rounding to whole pixels")},
            "y": {"type": "number", "minimum": 0, "maximum": MAX_PAGE_DIMENSION + COORDINATE_SLACK,
                "description": format!("Page Y in CSS pixels; must be at most page height + {COORDINATE_SLACK} \
                (or {MAX_PAGE_DIMENSION} without page)")},
            "page_left": page_left_schema(),
            "target": {"oneOf": [{"$ref": "#/components/schemas/Target"}, {"type": "null"}]}}),
    )
}

fn scroll_schema() -> Value {
    event_schema(
        "scroll",
        &["depth"],
        json!({
            "depth": {"type": "number", "minimum": 0, "maximum": MAX_SCROLL_DEPTH,
                "description": "Deepest scroll fraction of the page view; values past 1 (zoom, sub-pixel \
                layout) are stored as 1"},
            "from": {"type": ["number", "null"], "minimum": 0, "maximum": MAX_SCROLL_DEPTH,
                "description": "The depth this page view already reported (0 or absent on its first \
                report): the report adds the part of the page from there to depth to the page's scroll \
                reach. Optional (absent: the report counts from the top); one past depth is taken as \
                depth"}}),
    )
}

fn custom_schema() -> Value {
    event_schema(
        "custom",
        &["name"],
        json!({
            "name": {"type": "string", "pattern": "\\S",
                "description": format!("The event's name: whitespace collapsed, truncated to \
                {MAX_EVENT_NAME_CHARS} characters; must keep at least one visible character")},
            "props": {"type": ["object", "null"], "maxProperties": MAX_PROPS_KEYS,
                "additionalProperties": {"type": ["string", "number", "boolean", "null"]},
                "description": format!("A flat object of at most {MAX_PROPS_KEYS} scalar values; keys are \
                truncated to {MAX_EVENT_NAME_CHARS} characters and string values to \
                {MAX_PROP_VALUE_CHARS}; refused (the event rejected) when larger than {MAX_PROPS_BYTES} \
                bytes as JSON after that")}}),
    )
}

/// A page position or extent, as boxes carry them.
fn box_schema(description: &str) -> Value {
    let pos = json!({"type": "number", "minimum": -MAX_PAGE_DIMENSION - COORDINATE_SLACK,
                     "maximum": MAX_PAGE_DIMENSION + COORDINATE_SLACK});
    let len =
        json!({"type": "number", "minimum": 0, "maximum": MAX_PAGE_DIMENSION + COORDINATE_SLACK});
    json!({"type": "array", "minItems": 4, "maxItems": 4, "prefixItems": [pos, pos, len, len],
           "description": description})
}

/// The page x of the document's left edge (clicks and layouts).
fn page_left_schema() -> Value {
    json!({"type": ["number", "null"], "minimum": -MAX_PAGE_DIMENSION, "maximum": 0,
        "description": "Page X of the document's left edge (absent: 0): negative on a right-to-left \
        page wider than the window, where pageX and element boxes are negative. Stored x and \
        box x are measured from this edge"})
}

/// A layout snapshot: the page's wireframe at the current viewport.
fn layout_schema() -> Value {
    let dim = json!({"type": "number", "minimum": 0, "maximum": MAX_PAGE_DIMENSION});
    let pair = json!({"type": "array", "prefixItems": [dim, dim], "minItems": 2, "maxItems": 2,
                      "description": "[width, height] in CSS pixels"});
    event_schema(
        "layout",
        &["viewport", "page", "boxes"],
        json!({
            "viewport": pair, "page": pair,
            "page_left": page_left_schema(),
            "boxes": {"type": "array", "maxItems": MAX_LAYOUT_BOXES,
                "items": {"$ref": "#/components/schemas/LayoutBox"},
                "description": format!("The page's structural and interactive elements, structural ones \
                first. More than {MAX_LAYOUT_BOXES}, or one box that breaks its schema, rejects the event \
                (invalid_layout); a box of an unknown kind or with an unusable selector is dropped, the \
                rest kept. The server computes the layout's fingerprint from the boxes")}}),
    )
}

/// One box of a layout snapshot.
fn layout_box_schema() -> Value {
    let kinds = crate::layout::BoxKind::ALL
        .map(crate::layout::BoxKind::as_str)
        .join(", ");
    json!({"type": "object", "required": ["selector", "kind", "box"], "properties": {
        "selector": {"type": "string",
            "description": format!("The selector a click on the element names (the click target's \
            rules), stored exactly as sent; one that is blank, longer than {MAX_SELECTOR_CHARS} \
            characters or holds an ASCII control character drops the box")},
        "kind": {"type": "string",
            "description": format!("One of: {kinds}. A box of another kind is dropped (a newer tracker's)")},
        "text": {"type": ["string", "null"],
            "description": format!("A short visible label, kept for headings, buttons and links only: \
            whitespace collapsed, truncated to {MAX_LAYOUT_LABEL_CHARS} characters")},
        "box": box_schema("[x, y, width, height] of the element in page coordinates (x moved by page_left)")}})
}

/// A click's element: selector, label and page rectangle.
fn target_schema() -> Value {
    json!({"type": "object", "properties": {
        "selector": {"type": ["string", "null"],
            "description": format!("A CSS selector that resolves to the element, stored exactly as sent. One \
            longer than {MAX_SELECTOR_CHARS} characters, blank, or holding an ASCII control character is \
            dropped (the click is kept). \
            Inside open shadow roots: HOST_SELECTOR >>> INNER_SELECTOR, repeated per nested root, each \
            part after the first resolved in the shadow root of the element the previous part names")},
        "text": {"type": ["string", "null"],
            "description": format!("A short visible label: whitespace collapsed, truncated to \
            {MAX_LABEL_CHARS} characters")},
        "box": {"type": ["array", "null"], "minItems": 4, "maxItems": 4, "prefixItems": [
                {"type": "number", "minimum": -MAX_PAGE_DIMENSION - COORDINATE_SLACK, "maximum": MAX_PAGE_DIMENSION + COORDINATE_SLACK},
                {"type": "number", "minimum": -MAX_PAGE_DIMENSION - COORDINATE_SLACK, "maximum": MAX_PAGE_DIMENSION + COORDINATE_SLACK},
                {"type": "number", "minimum": 0, "maximum": MAX_PAGE_DIMENSION + COORDINATE_SLACK},
                {"type": "number", "minimum": 0, "maximum": MAX_PAGE_DIMENSION + COORDINATE_SLACK}],
            "description": "[x, y, width, height] of the element in page coordinates (x as the click's x, \
            moved by page_left)"}}})
}

#[cfg(test)]
mod tests {
    use super::URL_PATTERN;
    use crate::page_key::{page_key, QueryKeepList};

    /// The `url` pattern allows only URLs the server reads, and allows the
    /// URLs browsers send.
    #[test]
    fn the_url_pattern_agrees_with_the_server() {
        let pattern = regex::Regex::new(URL_PATTERN).expect("URL_PATTERN compiles");
        let keep = QueryKeepList::default();
        let browsers_send = [
            "https://shop.example/",
            "http://localhost:8080/p?q=1#top",
            "https://xn--mnchen-3ya.example/stra%C3%9Fe",
            "https://www.example.co.uk",
            "http://127.0.0.1:4000/a b",
            "HTTPS://A.EXAMPLE/Upper",
            "https://a_b.example/",
            "https://example.com./trailing-dot",
            "https://a.example:65535/",
        ];
        for url in browsers_send {
            assert!(pattern.is_match(url), "pattern refuses {url}");
            assert!(page_key(url, &keep).is_ok(), "server refuses {url}");
        }
        let unreadable = [
            "https://a.1/",
            "https://1.2.3.256/",
            "https://a.0x1/",
            "https://a.example:65536/",
            "https://a.example:99999/",
            "https://a b.example/",
            "https:///path",
            "https://[::1/",
            "ftp://a.example/",
            "/relative",
        ];
        for url in unreadable {
            assert!(!pattern.is_match(url), "pattern allows {url}");
        }
        // A sample the pattern allows is read by the server.
        let hosts = [
            "a",
            "a-b",
            "_x",
            "a.b",
            "b-1.c",
            "x.y.z.",
            "0.0.0.0",
            "255.255.255.255",
        ];
        let ports = ["", ":0", ":80", ":6553", ":65535"];
        let tails = ["", "/", "?q", "#f", "/p/ä?x=1#y", "/a\\b"];
        for host in hosts {
            for port in ports {
                for tail in tails {
                    let url = format!("http://{host}{port}{tail}");
                    assert!(pattern.is_match(&url), "pattern refuses {url}");
                    assert!(page_key(&url, &keep).is_ok(), "server refuses {url}");
                }
            }
        }
    }
}
