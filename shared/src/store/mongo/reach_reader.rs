//! The scroll reach's query on MongoDB ([`ReachSource`]): band differences
//! summed by the server from the reach rollups, or placed here from raw
//! scroll reports by the store's rule ([`ReachSpan::of`]).

use super::documents::{fields as f, float, int};
use super::heat_reader::{source_of, MongoHeat};
use super::schema::HEAT_REACH;
use crate::event::{EventKind, Size};
use crate::store::core::heatmap::HeatPart;
use crate::store::core::scroll_reach::ReachSource;
use crate::store::fast_hash::FastMap;
use crate::store::query::HeatmapQuery;
use crate::store::reach::{viewport_of, BandCounts, ReachSpan};
use crate::store::StoreError;
use mongodb::bson::{doc, Document};

/// The span of a raw scroll report's document.
fn span_of(d: &Document) -> Option<ReachSpan> {
    let dimension = |field| int(d, field).and_then(|v| u32::try_from(v).ok());
    let page = Some(Size {
        width: dimension(f::PW)?,
        height: dimension(f::PH)?,
    });
    ReachSpan::of(
        int(d, f::TS)?,
        float(d, f::DEPTH),
        float(d, f::DF),
        page,
        viewport_of(dimension(f::VW), dimension(f::VH)),
    )
}

impl ReachSource for MongoHeat<'_> {
    fn reach_bands(
        &self,
        query: &HeatmapQuery,
        part: HeatPart,
    ) -> Result<Vec<(i64, BandCounts)>, StoreError> {
        let part = source_of(query, part, EventKind::Scroll);
        if !part.raw {
            let rows = self.grouped(
                &part,
                HEAT_REACH,
                vec![doc! { "$group": {
                    f::ID: f::path::BAND,
                    f::VIEWS: { "$sum": f::path::VIEWS },
                    f::FOLDS: { "$sum": f::path::FOLDS },
                } }],
            )?;
            return Ok(rows
                .iter()
                .filter_map(|d| {
                    let views = int(d, f::VIEWS)?;
                    // Absent on bands written before folds were kept.
                    let folds = int(d, f::FOLDS).unwrap_or(0);
                    Some((int(d, f::ID)?, BandCounts { views, folds }))
                })
                .collect());
        }
        let fields = [f::TS, f::DEPTH, f::DF, f::PW, f::PH, f::VW, f::VH];
        let mut projection = doc! { f::ID: 0 };
        for field in fields {
            projection.insert(field, 1);
        }
        let rows = self.grouped(&part, HEAT_REACH, vec![doc! { "$project": projection }])?;
        let mut bands: FastMap<i64, BandCounts> = FastMap::default();
        for (band, counts) in rows.iter().filter_map(span_of).flat_map(|s| s.counts(1)) {
            *bands.entry(band).or_default() += counts;
        }
        Ok(bands.into_iter().collect())
    }
}
