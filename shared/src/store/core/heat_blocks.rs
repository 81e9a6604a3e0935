//! The calendar of packed heat days: past days of the heat rollups packed
//! per day and merged per aligned block of days ([`BLOCK_DAYS`]), the day
//! packing stops before ([`seal_for`]), and the fewest blocks and days that
//! read a range ([`plan`]). An engine that packs its past days (SQLite's
//! seal) keeps to it; nothing here touches a database.

use crate::limits::HEAT_BUCKET_MS;
use crate::store::heat::day_of;

/// Days per block, longest first, blocks aligned on the epoch's days (each
/// length divides the longer ones): about a month and about a week, so that
/// any range of a month or more reads at most a few blobs per page besides
/// its whole months.
pub(crate) const BLOCK_DAYS: [i64; 2] = [32, 8];

/// The length of a block of `days` days.
pub(crate) fn block_ms(days: i64) -> i64 {
    days * HEAT_BUCKET_MS
}

/// Start of the block of `days` days of the day `day`.
pub(crate) fn block_of(day: i64, days: i64) -> i64 {
    day.div_euclid(block_ms(days)) * block_ms(days)
}

/// The first start of a block of `days` days at or after `day`.
pub(crate) fn block_at_or_after(day: i64, days: i64) -> i64 {
    let block = block_of(day, days);
    if block == day {
        block
    } else {
        block.saturating_add(block_ms(days))
    }
}

/// How to read the days `[first, end)`: `(from, to, Some(days))` for whole
/// blocks of `days` days, `None` for single days; longest blocks first
/// where they fit, then shorter ones at each side, then days.
pub(crate) fn cover(first: i64, end: i64, lengths: &[i64]) -> Vec<(i64, i64, Option<i64>)> {
    let Some((&days, shorter)) = lengths.split_first() else {
        return if first < end {
            vec![(first, end, None)]
        } else {
            Vec::new()
        };
    };
    let (from, to) = (block_at_or_after(first, days), block_of(end, days));
    if from >= to {
        return cover(first, end, shorter);
    }
    let mut reads = cover(first, from, shorter);
    reads.push((from, to, Some(days)));
    reads.extend(cover(to, end, shorter));
    reads
}

/// Whole days before today (UTC) whose rows stay unpacked: late events of
/// yesterday are common, of earlier days rare.
const OPEN_DAYS: i64 = 2;

/// The first day not packed at `now_ms`: the start of yesterday (UTC),
/// so that the day before yesterday is the last sealed.
pub(crate) fn seal_for(now_ms: i64) -> i64 {
    day_of(now_ms).saturating_sub((OPEN_DAYS - 1) * HEAT_BUCKET_MS)
}

/// How to read the days `[first, end)` (before the seal) from blobs packed
/// for the days `packed`, in blocks of `lengths` ([`cover`]): the range is
/// narrowed to those days, and as any start in `[first, lo]` and any end in
/// `[hi, end]` read the same days, the ends are moved to the block starts
/// there that take the fewest reads (each read seeks every page of the
/// query); empty when no day of the range has blobs.
pub(crate) fn plan(
    first: i64,
    end: i64,
    packed: (i64, i64),
    lengths: &[i64],
) -> Vec<(i64, i64, Option<i64>)> {
    let (lo, hi) = packed;
    if first.max(lo) >= end.min(hi) {
        return Vec::new();
    }
    let froms = lengths
        .iter()
        .map(|&days| block_of(lo, days))
        .filter(|&block| first <= block)
        .chain([first.max(lo)]);
    let tos: Vec<i64> = lengths
        .iter()
        .map(|&days| block_at_or_after(hi, days))
        .filter(|&block| hi <= end && block <= end)
        .chain([end.min(hi)])
        .collect();
    froms
        .flat_map(|from| tos.iter().map(move |&to| (from, to)))
        .map(|(from, to)| cover(from, to, lengths))
        .min_by_key(|reads| {
            let span =
                (reads.last().map_or(0, |r| r.1)).saturating_sub(reads.first().map_or(0, |r| r.0));
            (reads.len(), span)
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_are_aligned_on_the_epoch() {
        let day = HEAT_BUCKET_MS;
        assert_eq!(block_of(20_416 * day, 32), 20_416 * day);
        assert_eq!(block_of(20_447 * day, 32), 20_416 * day);
        assert_eq!(block_of(20_447 * day, 8), 20_440 * day);
        assert_eq!(block_of(-day, 32), -32 * day);
        assert_eq!(block_at_or_after(20_416 * day, 32), 20_416 * day);
        assert_eq!(block_at_or_after(20_417 * day, 32), 20_448 * day);
        assert_eq!(block_at_or_after(20_417 * day, 8), 20_424 * day);
        // Every shorter length divides the longer ones.
        assert!(BLOCK_DAYS.windows(2).all(|w| w[0] % w[1] == 0));
    }

    /// A range is read as its longest whole blocks, shorter ones at each side,
    /// then days.
    #[test]
    fn ranges_are_covered_by_blocks_then_days() {
        let day = HEAT_BUCKET_MS;
        let d = |n: i64| n * day;
        assert_eq!(
            cover(d(20_418), d(20_490), &BLOCK_DAYS),
            [
                (d(20_418), d(20_424), None),
                (d(20_424), d(20_448), Some(8)),
                (d(20_448), d(20_480), Some(32)),
                (d(20_480), d(20_488), Some(8)),
                (d(20_488), d(20_490), None),
            ]
        );
        // Too short for a block; no lengths at all; empty.
        assert_eq!(
            cover(d(20_418), d(20_423), &BLOCK_DAYS),
            [(d(20_418), d(20_423), None)]
        );
        assert_eq!(
            cover(d(20_400), d(20_500), &[]),
            [(d(20_400), d(20_500), None)]
        );
        assert!(cover(d(5), d(5), &BLOCK_DAYS).is_empty());
        // All time, narrowed to whole blocks: one read.
        assert_eq!(
            cover(d(20_416), d(20_480), &BLOCK_DAYS),
            [(d(20_416), d(20_480), Some(32))]
        );
    }

    /// A range is narrowed to the packed days, its ends moved to the block
    /// starts that take the fewest reads.
    #[test]
    fn ranges_narrow_to_the_packed_days_in_the_fewest_reads() {
        let d = |n: i64| n * HEAT_BUCKET_MS;
        // Packed: days 20_420 to 20_450 (the block of 20_448 starts inside).
        let packed = (d(20_420), d(20_451));
        let seal = d(20_700);
        let plan = |first, end| plan(first, end, packed, &BLOCK_DAYS);
        // All time: one read of the month block.
        assert_eq!(plan(i64::MIN, seal), [(d(20_416), d(20_480), Some(32))]);
        // A day inside; from a day inside to the seal: days only.
        assert_eq!(plan(d(20_430), d(20_431)), [(d(20_430), d(20_431), None)]);
        assert_eq!(plan(d(20_450), seal), [(d(20_450), d(20_451), None)]);
        // The end moves to the next week block where that saves a read.
        assert_eq!(
            plan(d(20_418), d(20_460)),
            [
                (d(20_420), d(20_424), None),
                (d(20_424), d(20_456), Some(8))
            ]
        );
        assert_eq!(
            plan(d(20_417), d(20_440)),
            [
                (d(20_420), d(20_424), None),
                (d(20_424), d(20_440), Some(8))
            ]
        );
        // Listed days read no blocks.
        assert_eq!(
            super::plan(i64::MIN, seal, packed, &[]),
            [(d(20_420), d(20_451), None)]
        );
        // Nothing packed in the range.
        assert!(plan(d(20_451), seal).is_empty());
        assert!(plan(i64::MIN, d(20_420)).is_empty());
    }

    #[test]
    fn the_seal_leaves_yesterday_and_today_open() {
        let day = 86_400_000;
        let noon = 20_000 * day + day / 2;
        assert_eq!(seal_for(noon), 19_999 * day);
        assert_eq!(seal_for(20_000 * day), 19_999 * day);
        // Before 1970 too.
        assert_eq!(seal_for(-day / 2), -2 * day);
    }
}
