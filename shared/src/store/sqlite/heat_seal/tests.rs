use super::*;
use crate::store::sqlite::{SqliteReader, SqliteWriter};

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
