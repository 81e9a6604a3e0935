//! The validated, enriched event as it is stored and read back.
//!
//! [`EventBatch`] is what the writer commits: one site, one session, the client
//! description derived from the user agent, and events that passed validation.

use serde::{Deserialize, Serialize};

/// What happened.
///
/// A layout snapshot (wire `type: "layout"`) is not a kind of stored event
/// (yet): it is validated into [`crate::layout::LayoutEvent`] and travels
/// beside the batch (`PreparedBatch::layouts`), since the store matches
/// every kind and does not keep layouts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    PageView,
    Click,
    Scroll,
    Custom,
}

impl EventKind {
    /// Every kind, in storage-code order.
    pub const ALL: [EventKind; 4] = [Self::PageView, Self::Click, Self::Scroll, Self::Custom];

    /// The wire name (`page_view`, `click`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PageView => "page_view",
            Self::Click => "click",
            Self::Scroll => "scroll",
            Self::Custom => "custom",
        }
    }

    /// Parses a wire name.
    pub fn from_wire(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// The small integer stored for this kind.
    pub fn code(self) -> i64 {
        self as i64
    }

    /// The kind stored as `code`.
    pub fn from_code(code: i64) -> Option<Self> {
        usize::try_from(code)
            .ok()
            .and_then(|i| Self::ALL.get(i).copied())
    }
}

/// The class of device, derived from the user agent (and the client hints).
///
/// Declaration order is storage-code order, and so the sort order: a class
/// added later goes last, so that stored codes keep their meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceClass {
    Desktop,
    Tablet,
    Mobile,
    Bot,
    Unknown,
    /// A screen that is no computer, tablet or phone: smart TVs, set-top boxes
    /// and media sticks, games consoles, and cars' browsers.
    Tv,
}

impl DeviceClass {
    /// Every class, in storage-code order.
    pub const ALL: [DeviceClass; 6] = [
        Self::Desktop,
        Self::Tablet,
        Self::Mobile,
        Self::Bot,
        Self::Unknown,
        Self::Tv,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Desktop => "desktop",
            Self::Tablet => "tablet",
            Self::Mobile => "mobile",
            Self::Bot => "bot",
            Self::Unknown => "unknown",
            Self::Tv => "tv",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|d| d.as_str().eq_ignore_ascii_case(name))
    }

    pub fn code(self) -> i64 {
        self as i64
    }

    pub fn from_code(code: i64) -> Self {
        usize::try_from(code)
            .ok()
            .and_then(|i| Self::ALL.get(i).copied())
            .unwrap_or(Self::Unknown)
    }
}

/// The client as derived from its user agent. The user agent itself is never
/// stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientInfo {
    pub device: DeviceClass,
    pub browser: String,
    pub os: String,
}

impl Default for ClientInfo {
    fn default() -> Self {
        Self {
            device: DeviceClass::Unknown,
            browser: "unknown".into(),
            os: "unknown".into(),
        }
    }
}

/// A width and height in CSS pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Size {
    pub width: u32,
    pub height: u32,
}

/// A rectangle in page coordinates (CSS pixels).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rect {
    pub x: i32,
    pub y: i32,
    pub width: u32,
    pub height: u32,
}

/// The element a click landed on.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    pub selector: Option<String>,
    pub label: Option<String>,
    pub rect: Option<Rect>,
}

impl Target {
    /// The target a store keeps as separate fields: the box only when all
    /// four of its parts are there; `None` when nothing is.
    pub fn from_fields(
        selector: Option<String>,
        label: Option<String>,
        x: Option<i32>,
        y: Option<i32>,
        width: Option<u32>,
        height: Option<u32>,
    ) -> Option<Self> {
        let rect = match (x, y, width, height) {
            (Some(x), Some(y), Some(width), Some(height)) => Some(Rect {
                x,
                y,
                width,
                height,
            }),
            _ => None,
        };
        (selector.is_some() || label.is_some() || rect.is_some()).then_some(Self {
            selector,
            label,
            rect,
        })
    }
}

/// Set on an event whose client timestamp was replaced by the server's.
pub const FLAG_CLOCK_ADJUSTED: i64 = 1;
/// Set on a click that belongs to a rage-click burst.
pub const FLAG_RAGE_CLICK: i64 = 2;

/// One validated, enriched event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub id: String,
    pub kind: EventKind,
    /// Client time (milliseconds since the Unix epoch), corrected for clock skew.
    pub ts: i64,
    /// Server receive time (milliseconds since the Unix epoch).
    pub received_at: i64,
    /// True when `ts` was replaced because the client clock was far off.
    pub clock_adjusted: bool,
    pub url: String,
    pub page_key: String,
    pub title: Option<String>,
    pub referrer: Option<String>,
    pub viewport: Option<Size>,
    pub page: Option<Size>,
    /// Page (document) coordinates of a click.
    pub x: Option<i32>,
    pub y: Option<i32>,
    pub target: Option<Target>,
    /// Deepest scroll fraction of a page view, 0 to 1.
    pub depth: Option<f64>,
    /// The depth this page view had already reported: what a later report
    /// of one view goes on from (see [`crate::store::reach`]); `None` on
    /// the first report, and from trackers that do not send it.
    #[serde(default)]
    pub depth_from: Option<f64>,
    /// Name of a custom event.
    pub name: Option<String>,
    /// Properties of a custom event, as a JSON object text.
    pub props: Option<String>,
}

/// Events of one session from one request, ready to commit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventBatch {
    pub site: String,
    pub session_id: String,
    pub visitor_id: String,
    pub client: ClientInfo,
    pub events: Vec<Event>,
}
