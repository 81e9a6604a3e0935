//! When to ask a browser for a layout snapshot.
//!
//! A heatmap is drawn over the page's wireframe, which `layout.js` records in
//! the browser. Loading it on every page view would cost every visitor a
//! script and the store a snapshot per view, so the server asks: the `200`
//! reply to a batch carries `"layout": true` when the page of the batch's
//! newest event, at its width segment (mobile, tablet, desktop), wants a
//! snapshot, and only then does the tracker load `layout.js`. A page ×
//! segment wants one when
//!
//! - it has no snapshot newer than `--layout-max-age-hours`, or
//! - a click there named a selector its newest snapshot lacks: the page's
//!   structure changed (a new button, a redesigned section).
//!
//! Two rules keep that from asking too often:
//!
//! - **a lease**: once a browser is asked, no other is for [`ASK_LEASE_MS`]
//!   unless its snapshot arrives; a browser that never sends one (the tab
//!   closed) leaves the question to the next after the lease;
//! - **selectors no layout holds**: a click's target can be an element no
//!   snapshot records (a paragraph, a link of a menu that was open at the
//!   click). A selector clicked before a snapshot was taken that the snapshot
//!   still lacks is remembered as such and asks no more.
//!
//! A batch that carries a snapshot of that page × segment is never asked for
//! another, and nor is a page-hide beacon (`Sec-Fetch-Mode: no-cors`), whose
//! reply nobody reads: asking it would start the lease for nothing. Sites with `--layout-off` are never asked (and their snapshots are
//! rejected before they get here).
//!
//! What is known of the layouts is behind [`LayoutWanted`]. [`MemoryLayouts`]
//! keeps it in this process's memory, seeded at start from the store's
//! newest layout of each page × segment younger than the maximum age
//! ([`MemoryLayouts::seed`]), so a restart does not ask every page again.
//! Several ingestd copies still each ask on their own between restarts (a
//! snapshot another copy stored is not seen until then): a few snapshots
//! more, never a wrong heatmap.

use shared::event::{Event, EventKind};
use shared::layout::LayoutEvent;
use shared::store::heat::segment_of;
use shared::store::layout_query::StoredLayout;
use shared::store::query::WidthSegment;
use shared::store::EventWriter;
use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::sync::Mutex;

/// How long a browser asked for a snapshot has to send it before another is
/// asked (ms).
pub const ASK_LEASE_MS: i64 = 60_000;
/// Most page × segment entries [`MemoryLayouts`] remembers; beyond, the one
/// used longest ago is forgotten (and asked again when it is next seen).
pub const MAX_PAGES: usize = 10_000;
/// Most clicked selectors an entry remembers waiting for the next snapshot,
/// and most it remembers as held by no layout.
const MAX_MISSES: usize = 64;
const MAX_IGNORED: usize = 1024;

/// A page of a site at one width segment: what a snapshot is of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PageAt<'a> {
    pub site: &'a str,
    pub page_key: &'a str,
    pub segment: WidthSegment,
}

/// What ingestd knows of the snapshots it has, and so whether it wants one:
/// [`MemoryLayouts`], seeded from the store.
pub trait LayoutWanted: Send + Sync {
    /// Whether the browser that sent events of `page` should send a snapshot
    /// of it; `clicked` are the selectors its clicks there named. Answering
    /// yes counts as asking (the lease starts).
    fn wanted(&self, page: PageAt<'_>, clicked: &[&str], now_ms: i64) -> bool;

    /// A snapshot of `page` arrived, holding `selectors`; `clicked` are the
    /// selectors clicked there in the same batch, before it was taken.
    fn received(&self, page: PageAt<'_>, selectors: &[&str], clicked: &[&str], now_ms: i64);
}

/// What is remembered of one page × segment.
#[derive(Debug, Default)]
struct Entry {
    /// When the newest snapshot arrived (ms).
    taken_at: Option<i64>,
    /// Hashes of the newest snapshot's selectors.
    selectors: HashSet<u64>,
    /// When a browser was last asked, until its snapshot arrives.
    asked_at: Option<i64>,
    /// Clicked selectors the newest snapshot lacks, waiting for the next.
    misses: HashSet<u64>,
    /// Clicked selectors a later snapshot still lacked: no layout holds them.
    ignored: HashSet<u64>,
    used_at: i64,
}

/// [`LayoutWanted`] in this process's memory, bounded by [`MAX_PAGES`].
pub struct MemoryLayouts {
    max_age_ms: i64,
    entries: Mutex<HashMap<u64, Entry>>,
}

impl MemoryLayouts {
    /// Snapshots older than `max_age_ms` are taken again.
    pub fn new(max_age_ms: i64) -> Self {
        Self {
            max_age_ms,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// Runs `f` on the entry of `page`, made (room made) if new.
    fn with_entry<T>(&self, page: PageAt<'_>, now_ms: i64, f: impl FnOnce(&mut Entry) -> T) -> T {
        let mut entries = match self.entries.lock() {
            Ok(guard) => guard,
            // An entry is consistent after every statement; a panic elsewhere
            // leaves nothing half done worth refusing over.
            Err(poisoned) => poisoned.into_inner(),
        };
        let key = hash_of(&page);
        if !entries.contains_key(&key) && entries.len() >= MAX_PAGES {
            if let Some(oldest) = entries
                .iter()
                .min_by_key(|(_, e)| e.used_at)
                .map(|(k, _)| *k)
            {
                entries.remove(&oldest);
            }
        }
        let entry = entries.entry(key).or_default();
        entry.used_at = now_ms;
        f(entry)
    }
}

impl MemoryLayouts {
    /// Remembers stored layouts (newest first, as
    /// [`shared::store::EventWriter::newest_layouts`] gives them) as if their
    /// snapshots had just arrived at their capture times. The oldest go in
    /// first, so that past [`MAX_PAGES`] the newest are kept.
    pub fn seed(&self, stored: &[StoredLayout]) {
        for l in stored.iter().rev() {
            let page = PageAt {
                site: &l.site,
                page_key: &l.page_key,
                segment: l.segment,
            };
            let selectors: Vec<&str> = l.layout.boxes.iter().map(|b| b.selector.as_str()).collect();
            self.received(page, &selectors, &[], l.captured_at);
        }
    }

    /// [`Self::seed`] from `writer`'s layouts younger than the maximum age
    /// at `now_ms`. A failure only costs questions, so it is logged, not
    /// fatal.
    pub fn seed_from(&self, writer: &mut dyn EventWriter, now_ms: i64) {
        match writer.newest_layouts(now_ms.saturating_sub(self.max_age_ms)) {
            Ok(stored) => {
                tracing::info!(layouts = stored.len(), "known layouts read from the store");
                self.seed(&stored);
            }
            Err(error) => {
                tracing::warn!(%error, "could not read the stored layouts; every page may be asked again")
            }
        }
    }
}

impl LayoutWanted for MemoryLayouts {
    fn wanted(&self, page: PageAt<'_>, clicked: &[&str], now_ms: i64) -> bool {
        let max_age_ms = self.max_age_ms;
        self.with_entry(page, now_ms, |entry| {
            for hash in clicked.iter().map(hash_of) {
                let known = entry.selectors.contains(&hash) || entry.ignored.contains(&hash);
                if !known && entry.misses.len() < MAX_MISSES {
                    entry.misses.insert(hash);
                }
            }
            let waiting = entry.asked_at.is_some_and(|at| now_ms - at < ASK_LEASE_MS);
            let stale = entry.taken_at.is_none_or(|at| now_ms - at >= max_age_ms);
            let ask = !waiting && (stale || !entry.misses.is_empty());
            if ask {
                entry.asked_at = Some(now_ms);
            }
            ask
        })
    }

    fn received(&self, page: PageAt<'_>, selectors: &[&str], clicked: &[&str], now_ms: i64) {
        self.with_entry(page, now_ms, |entry| {
            entry.selectors = selectors.iter().map(hash_of).collect();
            entry.taken_at = Some(now_ms);
            entry.asked_at = None;
            let lacking: Vec<u64> = entry
                .misses
                .drain()
                .chain(clicked.iter().map(hash_of))
                .filter(|h| !entry.selectors.contains(h))
                .collect();
            let selectors = &entry.selectors;
            entry.ignored.retain(|h| !selectors.contains(h));
            for hash in lacking {
                if entry.ignored.len() < MAX_IGNORED {
                    entry.ignored.insert(hash);
                }
            }
        });
    }
}

/// A hash for remembering: only this process compares them.
fn hash_of(value: &impl Hash) -> u64 {
    let mut hasher = DefaultHasher::new();
    value.hash(&mut hasher);
    hasher.finish()
}

/// The width segment of an event: by its viewport width, else its page width.
fn segment(event: &Event) -> Option<WidthSegment> {
    let width = event.viewport.or(event.page)?.width;
    Some(segment_of(i64::from(width)))
}

/// The selectors of the batch's clicks on `page_key` at `segment`.
fn clicked(events: &[Event], page_key: &str, segment: WidthSegment) -> Vec<String> {
    events
        .iter()
        .filter(|e| e.kind == EventKind::Click && e.page_key == page_key)
        .filter(|e| self::segment(e) == Some(segment))
        .filter_map(|e| e.target.as_ref()?.selector.clone())
        .collect()
}

/// The strings of `v`, borrowed.
fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

/// A page × segment of a batch, with the selectors its clicks there named.
#[derive(Debug, Clone, PartialEq)]
struct Seen {
    page_key: String,
    segment: WidthSegment,
    clicked: Vec<String>,
}

impl Seen {
    fn page<'a>(&'a self, site: &'a str) -> PageAt<'a> {
        PageAt {
            site,
            page_key: &self.page_key,
            segment: self.segment,
        }
    }
}

/// What a batch says about layouts, taken before its events go to the
/// writer: its snapshots (with their selectors), and the page and segment of
/// its newest event, which the reply answers for (the page the browser most
/// likely shows).
#[derive(Debug, Default)]
pub struct BatchLayouts {
    snapshots: Vec<(Seen, Vec<String>)>,
    newest: Option<Seen>,
}

impl BatchLayouts {
    pub fn of(events: &[Event], layouts: &[LayoutEvent]) -> Self {
        let seen = |page_key: &str, segment| Seen {
            page_key: page_key.to_owned(),
            segment,
            clicked: clicked(events, page_key, segment),
        };
        let snapshot_segment = |l: &LayoutEvent| segment_of(i64::from(l.layout.viewport.width));
        let snapshots = layouts
            .iter()
            .map(|l| {
                let selectors = l.layout.boxes.iter().map(|b| b.selector.clone()).collect();
                (seen(&l.page_key, snapshot_segment(l)), selectors)
            })
            .collect();
        // The latest in time; on a tie the later in the batch, a snapshot last.
        let newest = events
            .iter()
            .filter_map(|e| Some((e.ts, &e.page_key, segment(e)?)))
            .chain(
                layouts
                    .iter()
                    .map(|l| (l.ts, &l.page_key, snapshot_segment(l))),
            )
            .max_by_key(|(ts, ..)| *ts)
            .map(|(_, page_key, segment)| seen(page_key, segment));
        Self { snapshots, newest }
    }

    /// Records the committed batch's snapshots of `site`, then answers
    /// whether its reply asks for one: for the newest event's page and
    /// segment, unless the batch brought a snapshot of it, or the client
    /// cannot read the reply (`reads_reply` false: a beacon), which must not
    /// take the question from a browser that can.
    pub fn answer(
        &self,
        wanted: &dyn LayoutWanted,
        site: &str,
        reads_reply: bool,
        now_ms: i64,
    ) -> bool {
        for (seen, selectors) in &self.snapshots {
            wanted.received(
                seen.page(site),
                &strs(selectors),
                &strs(&seen.clicked),
                now_ms,
            );
        }
        let Some(newest) = self.newest.as_ref().filter(|_| reads_reply) else {
            return false;
        };
        let brought = self
            .snapshots
            .iter()
            .any(|(s, _)| s.page(site) == newest.page(site));
        !brought && wanted.wanted(newest.page(site), &strs(&newest.clicked), now_ms)
    }
}

#[cfg(test)]
mod tests;
