//! The store core: every engine-neutral rule of the store, written once above
//! the engines.
//!
//! - [`fold`]: what a commit adds to every rollup (sessions, session pages,
//!   heatmaps): entry, exit and referrer rules, counts, spans.
//! - [`rage`]: rage-click judging around new clicks.
//! - [`heat_deltas`]: the heatmap rollup deltas of a commit or a removal.
//! - [`steps`]: a session's steps (page views and custom events, merged in
//!   order) and the frustration signals derived from them.
//! - [`flows`]: paths and funnels over the steps of many sessions.
//! - [`heatmap`], [`scroll_reach`], [`overview`], [`live`]: the assembly
//!   of read answers.
//! - [`session_filter`]: what each field of a filter asks of a session, as
//!   conditions every engine renders in its query language.
//! - [`heat_compare`]: a heatmap compared with another range's on the same
//!   grid (change of share per cell and per element).
//! - [`anchoring`]: anchored clicks placed on their element's box in a
//!   drawn layout.
//! - [`layouts`]: layout versions: what a repeated snapshot does, which
//!   version is the newest, merging pages, how boxes are stored.
//! - `heat_blobs`, `step_blobs` and `varint`: compact blobs of heat rollup
//!   rows (a sealed day or block of days, summed by the rollups' own rules)
//!   and of a session's steps, and the varints they are written in, for an
//!   engine that stores them packed.
//! - `heat_blocks`: which past days are packed, in which aligned blocks,
//!   and the fewest blocks and days that read a range.
//! - `selector_sums`: clicks summed by selector and cell or anchor, as a
//!   heatmap read gathers millions of rollup entries.
//!
//! # The engine adapter contract
//!
//! An engine does only what its database must do natively:
//! 1. **insert skipping duplicates**: store each event of a commit unless its
//!    `(site, id)` is stored, and say which were new;
//! 2. **fold** each new event into a [`fold::Fold`] (as a [`fold::Fact`] with
//!    the engine's own keys for sessions, pages and selectors, and an order
//!    that grows with storage order);
//! 3. **judge rage**: read the clicks of each session within
//!    [`fold::Fold::rage_windows`], hand them to [`rage::judge`], and set
//!    the rage flag on the rows it returns (it counts them into the fold);
//! 4. **apply deltas**: add the fold's session, page and heatmap deltas to
//!    the engine's rollups (counts add, start and first view take the
//!    minimum, end the maximum, entry the earliest `(ts, order)`, exit the
//!    latest, heatmap maxima and labels the greatest);
//! 5. **store layout snapshots** of the commit in the same commit: one
//!    [`layouts::LayoutWrite`] per key, merged into the stored version by the
//!    repeat rule of [`layouts`];
//! 6. **answer a small set of grouped queries** for the read side (see
//!    [`crate::store::EventReader`]), over the sessions a filter selects by
//!    the conditions of [`session_filter`]; how an engine uses its rollups
//!    to answer them (pushdown) is its own affair.
//!
//! An engine passing the conformance suite is a correct engine.

pub mod anchoring;
pub mod flows;
pub mod fold;
pub(crate) mod heat_blobs;
pub(crate) mod heat_blocks;
pub mod heat_compare;
pub mod heat_deltas;
pub mod heatmap;
pub mod layouts;
pub mod live;
pub mod overview;
pub mod pages;
pub mod rage;
pub mod scroll_reach;
pub(crate) mod selector_sums;
pub mod session_filter;
pub(crate) mod step_blobs;
pub mod steps;
pub(crate) mod varint;
