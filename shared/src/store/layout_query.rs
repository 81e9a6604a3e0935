//! Stored layout snapshots: what a commit hands the store beside its events
//! ([`SiteLayout`]), what the read side is asked ([`LayoutQuery`]) and what it
//! answers ([`StoredLayout`]). The rules (what a repeat does, which version is
//! the newest, how pages and segments merge) are in
//! [`crate::store::core::layouts`].

use super::query::WidthSegment;
use crate::layout::{Layout, LayoutEvent};
use crate::page_key::PagePattern;
use serde::{Deserialize, Serialize};

/// A validated layout snapshot of one site, to be stored in a commit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SiteLayout {
    pub site: String,
    pub layout: LayoutEvent,
}

/// Which layout versions to list: the pages a pattern matches (of one site,
/// or of every site) at one width segment ([`WidthSegment::All`]: every
/// segment).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LayoutQuery {
    pub site: Option<String>,
    pub pages: PagePattern,
    pub segment: WidthSegment,
}

/// One version of a page's layout at one width segment: a fingerprint, with
/// the content of its latest capture.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredLayout {
    pub site: String,
    pub page_key: String,
    /// Never [`WidthSegment::All`]: the segment of the capture's viewport.
    pub segment: WidthSegment,
    /// The earliest capture of this version (ms since the epoch).
    pub first_captured_at: i64,
    /// The latest capture of this version (ms since the epoch).
    pub captured_at: i64,
    /// The latest capture's viewport, page size and boxes; its fingerprint
    /// is the version.
    pub layout: Layout,
}
