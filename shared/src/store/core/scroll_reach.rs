//! The scroll reach driver: the share of a heatmap's page views that
//! reached each depth of the page ([`crate::store::reach`]), from the same
//! sources as the heatmap's clicks ([`heatmap::parts`]): the reach rollups
//! of whole days, and raw scroll reports at the range's edges or of the
//! sessions a filter's session conditions keep.

use super::heatmap::{self, HeatPart};
use crate::store::query::{HeatmapQuery, ScrollReach};
use crate::store::reach::{reach_of, BandCounts};
use crate::store::StoreError;

/// The query an engine answers for one source of scroll reports.
pub trait ReachSource {
    /// Per band, the change in page views reached from that band on (the
    /// differences of [`crate::store::reach`]) and the views whose fold it
    /// holds, summed over the source's reports of the query's pages, site
    /// and width segment; raw reports are placed by
    /// [`crate::store::reach::ReachSpan::of`].
    fn reach_bands(
        &self,
        query: &HeatmapQuery,
        part: HeatPart,
    ) -> Result<Vec<(i64, BandCounts)>, StoreError>;
}

/// The scroll reach of `query`'s page views from `source`.
pub fn scroll_reach(
    source: &impl ReachSource,
    query: &HeatmapQuery,
) -> Result<ScrollReach, StoreError> {
    let mut bands = Vec::new();
    for part in heatmap::parts(query) {
        bands.extend(source.reach_bands(query, part)?);
    }
    Ok(reach_of(bands))
}
