use super::*;
use crate::store::sqlite::{SqliteReader, SqliteWriter};

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

/// A day is packed by seeking each page and segment's rows of that day in
/// the rollups' keys, not by reading the tables.
#[test]
fn a_day_is_sought_page_by_page() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("plan.db");
    drop(SqliteWriter::open(&path).expect("writer"));
    let reader = SqliteReader::open(&path).expect("reader");
    let segments = segments_sql(WidthSegment::All);
    for (table, alias) in [("heat_cells", "c"), ("heat_anchors", "a")] {
        let sql = format!(
            "EXPLAIN QUERY PLAN SELECT {alias}.clicks FROM pages p CROSS JOIN {table} {alias}
             ON {alias}.page_id = p.id WHERE {alias}.{segments} AND {alias}.day = 1"
        );
        let plan: Vec<String> = reader
            .conn
            .prepare(&sql)
            .expect("plan")
            .query_map([], |r| r.get(3))
            .expect("plan rows")
            .collect::<Result<_, _>>()
            .expect("plan row");
        let plan = plan.join("\n");
        assert!(
            plan.contains("page_id=? AND segment=? AND day=?"),
            "{table}: {plan}"
        );
    }
}
