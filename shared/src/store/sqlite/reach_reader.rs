//! The scroll reach's query on SQLite ([`ReachSource`]): band differences
//! summed from the reach rollups, or placed from raw scroll reports by the
//! store's rule ([`crate::store::reach::ReachSpan::of`]).

use super::heat_rollups::{scroll_columns, scroll_span};
use super::reader::SqliteReader;
use crate::event::EventKind;
use crate::store::core::heat_blobs::{self, Kind};
use crate::store::core::heatmap::HeatPart;
use crate::store::core::scroll_reach::ReachSource;
use crate::store::fast_hash::FastMap;
use crate::store::query::HeatmapQuery;
use crate::store::reach::BandCounts;
use crate::store::StoreError;
use rusqlite::params_from_iter;

/// The raw events scroll reach comes from: scroll reports on a page of
/// known height (the kind written into the statement, as for clicks).
fn raw_scrolls() -> String {
    format!(
        "e.kind = {} AND e.ph > 0 AND e.depth IS NOT NULL",
        EventKind::Scroll.code()
    )
}

impl ReachSource for SqliteReader {
    fn reach_bands(
        &self,
        query: &HeatmapQuery,
        part: HeatPart,
    ) -> Result<Vec<(i64, BandCounts)>, StoreError> {
        // Summed here rather than by SQL's GROUP BY, which sorts: a hash is
        // several times faster over the rollup rows of a busy pattern.
        let mut bands: FastMap<i64, BandCounts> = FastMap::default();
        let mut add = |band, counts| *bands.entry(band).or_default() += counts;
        for (part, read) in self.reads_of(query, part, &raw_scrolls())? {
            if let Some(sql) = read.blob_sql(Kind::Reach, &part) {
                self.each_blob(&sql, &part.params, |blob| {
                    heat_blobs::each_band(blob, &mut add)
                })?;
                continue;
            }
            let sql = if part.raw {
                format!(
                    "SELECT {} {}",
                    scroll_columns("e."),
                    part.source_sql("", "")
                )
            } else {
                format!(
                    "SELECT band, views, folds {}",
                    part.source_sql(read.rows_of("heat_reach"), "")
                )
            };
            let mut stmt = self.conn.prepare_cached(&sql)?;
            let mut rows = stmt.query(params_from_iter(part.params.iter()))?;
            while let Some(r) = rows.next()? {
                if !part.raw {
                    let (views, folds) = (r.get(1)?, r.get(2)?);
                    add(r.get(0)?, BandCounts { views, folds });
                } else if let Some(span) = scroll_span(r, 0)? {
                    span.counts(1).for_each(|(band, counts)| add(band, counts));
                }
            }
        }
        Ok(bands.into_iter().collect())
    }
}
