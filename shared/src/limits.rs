//! Every limit of the event contract, in one place.
//!
//! The limits are part of the published contract: they appear in the OpenAPI
//! document served by ingestd and in the README. Strings longer than their limit
//! are truncated (on a character boundary) rather than rejected, because a long
//! title or label is still a useful event; numbers outside their range make the
//! event invalid, because a wrong coordinate would poison a heatmap.

/// Largest accepted request body, in bytes. Enforced while the body streams in.
pub const MAX_BODY_BYTES: usize = 256 * 1024;
/// Most events in one batch.
pub const MAX_EVENTS_PER_BATCH: usize = 500;

/// Longest site key, session id, visitor id and event id (characters).
pub const MAX_ID_CHARS: usize = 64;
/// Longest URL or referrer kept (characters).
pub const MAX_URL_CHARS: usize = 2048;
/// Longest page title kept (characters).
pub const MAX_TITLE_CHARS: usize = 256;
/// Longest CSS selector kept (characters).
pub const MAX_SELECTOR_CHARS: usize = 512;
/// Longest clicked-element label kept (characters).
pub const MAX_LABEL_CHARS: usize = 128;
/// Longest custom event name (characters).
pub const MAX_EVENT_NAME_CHARS: usize = 64;
/// Largest custom `props` object, serialised as JSON (bytes).
pub const MAX_PROPS_BYTES: usize = 2048;
/// Longest string value in a custom `props` object (longer ones are truncated).
pub const MAX_PROP_VALUE_CHARS: usize = 256;
/// Most keys in a custom `props` object.
pub const MAX_PROPS_KEYS: usize = 32;

/// Most boxes in one layout snapshot. A page's wireframe drawn in a terminal
/// shows a few hundred boxes at most, and typical pages have 50 to 300
/// elements of the recorded kinds; the tracker keeps the structural ones
/// first, so a page with more loses links and images, not its frame. 400
/// boxes of the tracker's form are at most about 48 KiB of JSON (its byte
/// bound), under the 64 KiB a page-hide beacon may carry.
pub const MAX_LAYOUT_BOXES: usize = 400;
/// Longest label of a layout box kept (characters): headings, buttons and
/// links, as a wireframe shows them.
pub const MAX_LAYOUT_LABEL_CHARS: usize = 40;

/// Largest page or viewport dimension accepted (CSS pixels). Real pages top out
/// far below this; anything above is a broken client.
pub const MAX_PAGE_DIMENSION: f64 = 200_000.0;
/// How far a coordinate may sit outside the page box (CSS pixels): elements can be
/// positioned slightly off-page, and pages can grow between measurement and click.
pub const COORDINATE_SLACK: f64 = 10_000.0;

/// Deepest scroll fraction accepted: zoom and sub-pixel layout can put a fully
/// scrolled page slightly past 1. Stored depths are capped at 1.
pub const MAX_SCROLL_DEPTH: f64 = 1.05;
/// Timestamps (ms) at or past this, the year 33658, are not timestamps.
pub const MAX_TS_MS: f64 = 1e15;

/// A client timestamp further than this from the server clock is replaced by the
/// receive time and the event is flagged (milliseconds).
pub const MAX_CLOCK_SKEW_MS: i64 = 10 * 60 * 1000;

/// Idle time after which the tracker starts a new session (milliseconds).
pub const SESSION_IDLE_MS: i64 = 30 * 60 * 1000;
/// Longest session before the tracker starts a new one (milliseconds).
pub const SESSION_MAX_MS: i64 = 24 * 60 * 60 * 1000;

/// Rage clicks: at least this many clicks by one session…
pub const RAGE_CLICK_COUNT: usize = 3;
/// …within this many milliseconds…
pub const RAGE_CLICK_WINDOW_MS: i64 = 1000;
/// …and within this many CSS pixels of each other.
pub const RAGE_CLICK_RADIUS_PX: f64 = 30.0;

/// Heatmaps are binned on a fixed fine grid before they are scaled to the
/// screen, so that clicks can be rolled up as they are stored: a click's x
/// falls into one of this many equal columns of its own page width…
pub const HEAT_GRID_X: i64 = 200;
/// …and its y into rows of this many CSS pixels.
pub const HEAT_GRID_Y_PX: i64 = 4;
/// A click on an element with a known box also records where inside the box
/// it fell, on a grid of this many equal columns and rows over the box, so
/// that a heatmap can place it on the same element of another layout.
pub const ANCHOR_GRID: i64 = 32;
/// Scroll reach is kept per band of this many CSS pixels of page height: a
/// page view reached a band when the bottom of its viewport passed the
/// band's top.
pub const REACH_ROW_PX: i64 = 8;
/// Width of one day, the time bucket of the heatmap rollups (UTC days).
pub const HEAT_BUCKET_MS: i64 = 86_400_000;
