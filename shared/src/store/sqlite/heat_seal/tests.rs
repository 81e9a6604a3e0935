use super::*;
use crate::store::sqlite::{SqliteReader, SqliteWriter};

#[test]
fn blocks_are_aligned_on_the_epoch() {
    let day = HEAT_BUCKET_MS;
    assert_eq!(block_of(20_416 * day), 20_416 * day);
    assert_eq!(block_of(20_447 * day), 20_416 * day);
    assert_eq!(block_of(-day), -32 * day);
    assert_eq!(block_at_or_after(20_416 * day), 20_416 * day);
    assert_eq!(block_at_or_after(20_417 * day), 20_448 * day);
}

/// A range is narrowed to the packed days, its ends moved to block starts
/// only where no day outside it is then read.
#[test]
fn ranges_narrow_to_the_packed_days() {
    let day = HEAT_BUCKET_MS;
    // Packed: days 20_420 to 20_450 (the block of 20_448 starts inside).
    let packed = (20_420 * day, 20_451 * day);
    let seal = 20_700 * day;
    // All time: from the first packed day's block to the block after the last.
    assert_eq!(
        narrowed(i64::MIN, seal, packed),
        Some((20_416 * day, 20_480 * day))
    );
    // A day inside.
    assert_eq!(
        narrowed(20_430 * day, 20_431 * day, packed),
        Some((20_430 * day, 20_431 * day))
    );
    // From a day inside to the seal: the end moves to the next block.
    assert_eq!(
        narrowed(20_450 * day, seal, packed),
        Some((20_450 * day, 20_480 * day))
    );
    // Ends short of a block's start narrow to the packed days.
    assert_eq!(
        narrowed(20_418 * day, 20_460 * day, packed),
        Some((20_420 * day, 20_451 * day))
    );
    // A start after the first block's start stays at the first packed day.
    assert_eq!(
        narrowed(20_417 * day, 20_440 * day, packed),
        Some((20_420 * day, 20_440 * day))
    );
    // Nothing packed in the range.
    assert_eq!(narrowed(20_451 * day, seal, packed), None);
    assert_eq!(narrowed(i64::MIN, 20_420 * day, packed), None);
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
