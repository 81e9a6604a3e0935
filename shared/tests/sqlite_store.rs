//! The SQLite engine: the storage conformance suite (`testkit::conformance`),
//! one test per case, each in a database file of its own; plus what only a
//! file database has (durability settings, reopening, schema versions, WAL
//! readers).

use shared::event::{ClientInfo, Event, EventBatch, EventKind, Rect, Size, Target};
use shared::store::query::*;
use shared::store::sqlite::{SqliteReader, SqliteWriter, SCHEMA_VERSION};
use shared::store::{AppendOutcome, EventReader, EventWriter, StoreError};
use std::path::{Path, PathBuf};
use tempfile::TempDir;
use testkit::conformance::CASES;
use testkit::stores::SqliteFactory;

testkit::conformance_tests!(SqliteFactory::default());

#[test]
fn the_case_table_lists_every_case() {
    let names: Vec<&str> = CASES.iter().map(|(n, _)| *n).collect();
    assert!(names.len() >= 20, "{names:?}");
    assert!(names.iter().all(|n| n.starts_with("case_")));
}

// ---------------------------------------------------------------------------
// SQLite only
// ---------------------------------------------------------------------------

const T0: i64 = 1_764_000_000_000;

fn db_path(dir: &TempDir) -> PathBuf {
    dir.path().join("analytics.db")
}

fn one_event(id: &str, ts: i64) -> EventBatch {
    EventBatch {
        site: "shop".into(),
        session_id: "s1".into(),
        visitor_id: "v1".into(),
        client: ClientInfo::default(),
        events: vec![Event {
            id: id.into(),
            kind: EventKind::PageView,
            ts,
            received_at: ts,
            clock_adjusted: false,
            url: "https://shop.example/".into(),
            page_key: "shop.example/".into(),
            title: None,
            referrer: None,
            viewport: None,
            page: None,
            x: None,
            y: None,
            target: None,
            depth: None,
            depth_from: None,
            name: None,
            props: None,
        }],
    }
}

fn event_count(reader: &SqliteReader) -> usize {
    reader
        .events(&Filter::default(), PageRequest::first(1000))
        .expect("events")
        .len()
}

/// A database file holding `batches`, written in one commit.
fn database_of(batches: &[EventBatch]) -> (TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = db_path(&dir);
    let mut writer = SqliteWriter::open(&path).expect("create");
    writer.append(batches).expect("append");
    (dir, path)
}

fn user_version(path: &Path) -> i64 {
    rusqlite::Connection::open(path)
        .expect("open")
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .expect("user_version")
}

#[test]
fn writer_commits_durably_in_wal_mode() {
    let dir = tempfile::tempdir().expect("tempdir");
    let writer = SqliteWriter::open(&db_path(&dir)).expect("open");
    let conn = writer.connection();
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .expect("journal_mode");
    assert_eq!(mode.to_ascii_lowercase(), "wal");
    let synchronous: i64 = conn
        .query_row("PRAGMA synchronous", [], |r| r.get(0))
        .expect("synchronous");
    assert_eq!(synchronous, 2, "synchronous = FULL");
}

#[test]
fn reopening_keeps_data_and_migrates_once() {
    let (_dir, path) = database_of(&[one_event("e1", T0)]);
    assert_eq!(user_version(&path), SCHEMA_VERSION);
    let tables = |writer: &SqliteWriter| -> Vec<String> {
        let mut stmt = writer
            .connection()
            .prepare(
                "SELECT name FROM sqlite_master WHERE type IN ('table', 'index') ORDER BY name",
            )
            .expect("prepare");
        let names = stmt
            .query_map([], |r| r.get(0))
            .expect("query")
            .collect::<Result<Vec<String>, _>>()
            .expect("names");
        names
    };
    let mut writer = SqliteWriter::open(&path).expect("reopen");
    let before = tables(&writer);
    assert_eq!(user_version(&path), SCHEMA_VERSION);
    let outcome = writer
        .append(&[one_event("e1", T0), one_event("e2", T0 + 1)])
        .expect("append");
    assert_eq!(
        outcome,
        [
            AppendOutcome {
                inserted: 0,
                duplicates: 1
            },
            AppendOutcome {
                inserted: 1,
                duplicates: 0
            }
        ],
        "the first event survived the reopen"
    );
    drop(writer);
    let writer = SqliteWriter::open(&path).expect("reopen again");
    assert_eq!(tables(&writer), before, "no migration ran twice");
    let reader = SqliteReader::open(&path).expect("reader");
    assert_eq!(event_count(&reader), 2);
    let session = reader
        .sessions(
            &Filter::default(),
            Sort {
                key: SessionSortKey::Start,
                descending: false,
            },
            PageRequest::first(10),
        )
        .expect("sessions");
    assert_eq!((session.total, session.rows[0].events), (1, 2));
}

#[test]
fn reader_on_a_missing_file_is_not_found() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("nothing-here.db");
    match SqliteReader::open(&path) {
        Err(StoreError::NotFound(p)) => assert_eq!(p, path),
        Err(other) => panic!("expected NotFound, got {other}"),
        Ok(_) => panic!("expected NotFound, got a reader"),
    }
    assert!(!path.exists(), "the reader must not create the file");
}

#[test]
fn a_newer_schema_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = db_path(&dir);
    {
        let writer = SqliteWriter::open(&path).expect("create");
        writer
            .connection()
            .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .expect("set user_version");
    }
    let too_new = |result: Result<(), StoreError>| match result {
        Err(StoreError::SchemaTooNew { found, supported }) => {
            assert_eq!((found, supported), (SCHEMA_VERSION + 1, SCHEMA_VERSION));
        }
        Err(other) => panic!("expected SchemaTooNew, got {other}"),
        Ok(()) => panic!("expected SchemaTooNew"),
    };
    too_new(SqliteWriter::open(&path).map(drop));
    too_new(SqliteReader::open(&path).map(drop));
    assert_eq!(user_version(&path), SCHEMA_VERSION + 1, "left as found");
}

#[test]
fn an_unmigrated_file_is_refused_by_the_reader() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = db_path(&dir);
    rusqlite::Connection::open(&path)
        .expect("create")
        .execute_batch("CREATE TABLE unrelated (x INTEGER)")
        .expect("create a table");
    match SqliteReader::open(&path) {
        Err(StoreError::SchemaTooOld { found, supported }) => {
            assert_eq!((found, supported), (0, SCHEMA_VERSION));
        }
        Err(other) => panic!("expected SchemaTooOld, got {other}"),
        Ok(_) => panic!("expected SchemaTooOld"),
    }
}

#[test]
fn an_open_reader_sees_new_commits() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = db_path(&dir);
    let mut writer = SqliteWriter::open(&path).expect("writer");
    let reader = SqliteReader::open(&path).expect("reader");
    assert_eq!(event_count(&reader), 0);
    let token = reader.change_token().expect("token");
    for n in 1..=3 {
        writer
            .append(&[one_event(&format!("e{n}"), T0 + n)])
            .expect("append");
        assert_eq!(event_count(&reader), n as usize, "after commit {n}");
    }
    assert_ne!(reader.change_token().expect("token"), token);
    let second = SqliteReader::open(&path).expect("a second reader");
    assert_eq!(event_count(&second), 3);
}

#[test]
fn checkpoints_happen_off_the_commit_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let mut writer = SqliteWriter::open(&path).unwrap();
    let before = std::fs::metadata(&path).unwrap().len();
    // Far below the writer's own checkpoint threshold: only the checkpoint
    // thread can move these pages from the WAL into the database file.
    for i in 0..300 {
        writer
            .append(&[one_event(&format!("e{i}"), 1_764_000_000_000 + i)])
            .unwrap();
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while std::fs::metadata(&path).unwrap().len() <= before {
        assert!(std::time::Instant::now() < deadline, "no checkpoint ran");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    drop(writer);
}

/// Clicks on two pages over three days, with selectors, labels, a rage burst
/// and clicks without a page size.
fn clicks_over_days() -> Vec<EventBatch> {
    let mut batches = Vec::new();
    for s in 0..9_i64 {
        let mut batch = one_event(&format!("pv{s}"), T0 + s * 8 * 3_600_000);
        batch.session_id = format!("s{s}");
        for k in 0..12_i64 {
            let mut e = batch.events[0].clone();
            e.id = format!("c{s}-{k}");
            e.kind = EventKind::Click;
            e.ts += 1_000 + k * (if k < 3 { 100 } else { 5_000 });
            e.page = (k != 7).then_some(Size {
                width: [1280, 800, 375][(s % 3) as usize],
                height: 4_000,
            });
            e.viewport = e.page.map(|p| Size {
                width: p.width,
                height: 700,
            });
            e.x = Some(((s * 131 + k * 977) % 1300) as i32);
            e.y = Some(((s * 71 + k * 613) % 4100) as i32 + if k < 3 { 0 } else { 50 });
            if k < 3 {
                e.x = Some(100 + k as i32);
                e.y = Some(100);
            }
            e.target = Some(Target {
                selector: Some(["#buy", "nav>a"][(k % 2) as usize].into()),
                label: Some(format!("label {}", k % 3)),
                // Most clicks name their element's box: they are anchored.
                rect: (k % 4 != 3).then(|| Rect {
                    x: e.x.unwrap_or_default() - (k as i32 * 7) % 40,
                    y: e.y.unwrap_or_default() - 10,
                    width: 48 + k as u32,
                    height: 24,
                }),
            });
            if s % 2 == 1 {
                e.url = "https://shop.example/product/2".into();
                e.page_key = "shop.example/product/2".into();
            }
            batch.events.push(e);
        }
        // Scroll reports (stored before `depth_from`, so each counts from
        // the top), one without a page size.
        for (k, depth) in [0.3, 0.7, 0.55].into_iter().enumerate() {
            let mut e = batch.events[1].clone();
            e.id = format!("r{s}-{k}");
            e.kind = EventKind::Scroll;
            e.ts += 90_000 + k as i64;
            (e.x, e.y, e.target, e.depth) = (None, None, None, Some(depth));
            e.page = (k != 2).then_some(Size {
                width: [1280, 800, 375][(s % 3) as usize],
                height: 3_000 + 500 * k as u32,
            });
            batch.events.push(e);
        }
        batches.push(batch);
    }
    batches
}

/// Heatmaps of every segment over two ranges, each with the anchors of
/// its anchored elements and its scroll reach.
fn heatmaps(reader: &SqliteReader) -> Vec<(Heatmap, ElementAnchors, ScrollReach)> {
    let mut maps = Vec::new();
    for segment in WidthSegment::ALL {
        for range in [
            TimeRange::ALL,
            TimeRange::last(36 * 3_600_000, T0 + 3 * 86_400_000),
        ] {
            let query = HeatmapQuery {
                pages: shared::page_key::PagePattern::new("shop.example/**"),
                filter: Filter {
                    range,
                    ..Filter::default()
                },
                segment,
                columns: 97,
            };
            let map = reader.heatmap(&query).expect("heatmap");
            let selectors: Vec<String> =
                map.anchorable.iter().map(|e| e.selector.clone()).collect();
            let anchors = reader
                .heat_anchors(&query, &selectors)
                .expect("heat anchors");
            let reach = reader.scroll_reach(&query).expect("scroll reach");
            maps.push((map, anchors, reach));
        }
    }
    maps
}

/// Versions 3, 6 and 10 back-fill the heatmap rollups (cells, anchors,
/// scroll reach and its folds) from the stored events: heatmaps read after migrating a version 2
/// file equal those of rollups kept on write.
#[test]
fn migrating_to_version_3_backfills_heatmap_rollups() {
    let (_dir, path) = database_of(&clicks_over_days());
    let before = heatmaps(&SqliteReader::open(&path).expect("reader"));
    assert!(before[0].0.total_clicks > 90 && before[0].0.rage_clicks >= 3);
    assert_eq!(before[0].0.anchorable.len(), 2);
    assert_eq!(before[0].1.len(), 2);
    assert_eq!(before[0].2.views, 18);
    // Every window is 700 px tall: the fold ends the band at 704 px.
    assert_eq!(before[0].2.fold, Some(704));
    // Back to version 2: no heatmap rollups, the old session indexes.
    rusqlite::Connection::open(&path)
        .expect("open")
        .execute_batch(
            "DROP TABLE layouts;
             DROP INDEX sessions_by_frustration; DROP TABLE session_steps;
             ALTER TABLE sessions DROP COLUMN frustration;
             DROP INDEX sessions_raged;
             ALTER TABLE sessions DROP COLUMN quick_backs;
             ALTER TABLE sessions DROP COLUMN last_rage_ts;
             DROP TABLE heat_cells; DROP TABLE heat_extents; DROP TABLE heat_elements;
             DROP TABLE heat_anchors; DROP TABLE heat_reach;
             ALTER TABLE events DROP COLUMN depth_from;
             DROP INDEX sessions_by_start; DROP INDEX sessions_by_duration;
             DROP INDEX sessions_by_events;
             CREATE INDEX sessions_by_start ON sessions (start_ts);
             CREATE INDEX sessions_by_duration ON sessions (end_ts - start_ts);
             CREATE INDEX sessions_by_events ON sessions (events);
             DROP TABLE heat_seal; DROP TABLE heat_sealed; DROP TABLE heat_unsealed;
             DROP TABLE heat_sealed_blocks;
             PRAGMA user_version = 2;",
        )
        .expect("downgrade");
    before_version_12(&path);
    drop(SqliteWriter::open(&path).expect("migrate"));
    assert_eq!(user_version(&path), SCHEMA_VERSION);
    let after = heatmaps(&SqliteReader::open(&path).expect("reader"));
    assert_eq!(after, before);
}

/// `path`'s heatmaps read from the rollup rows alone: a copy with every
/// heat day unsealed.
fn heatmaps_of_the_rows(
    writer: &SqliteWriter,
    dir: &TempDir,
) -> Vec<(Heatmap, ElementAnchors, ScrollReach)> {
    let copy = dir.path().join("rows.db");
    let _ = std::fs::remove_file(&copy);
    writer
        .connection()
        .execute("VACUUM INTO ?1", [copy.display().to_string()])
        .expect("copy");
    rusqlite::Connection::open(&copy)
        .expect("open the copy")
        .execute_batch(
            "DELETE FROM heat_seal; DELETE FROM heat_sealed; DELETE FROM heat_unsealed;
             DELETE FROM heat_sealed_blocks;",
        )
        .expect("unseal the copy");
    heatmaps(&SqliteReader::open(&copy).expect("reader of the copy"))
}

fn count_rows(writer: &SqliteWriter, table: &str) -> i64 {
    writer
        .connection()
        .query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
        .expect("count")
}

/// Past days of the heat rollups are packed into blobs, and whole blocks of
/// days merged (`heat_seal`), by the first commit; late events on sealed
/// days, removals and packing them again leave every heatmap, with its
/// anchors and reach, equal to the one its rollup rows give.
#[test]
fn sealed_heat_days_read_as_their_rows() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = db_path(&dir);
    let mut writer = SqliteWriter::open(&path).expect("create");
    // The first five sessions first, the rest late: both halves have both
    // pages, and meet on the second day.
    let mut early = clicks_over_days();
    let late = early.split_off(5);
    writer.append(&early).expect("append early");
    let packed = count_rows(&writer, "heat_sealed");
    assert!(packed >= 3, "the first commit seals past days: {packed}");
    // The days' block (32 days from T0's) is whole: merged too.
    let blocks = count_rows(&writer, "heat_sealed_blocks");
    assert!(blocks >= 3, "{blocks} blocks");
    let reader = SqliteReader::open(&path).expect("reader");
    assert_eq!(heatmaps(&reader), heatmaps_of_the_rows(&writer, &dir));

    writer.append(&late).expect("append late");
    assert!(count_rows(&writer, "heat_unsealed") >= 3);
    // The blocks of the page days changed are gone until sealed again.
    assert!(count_rows(&writer, "heat_sealed_blocks") < blocks);
    let maps = heatmaps(&reader);
    assert!(
        maps[0].0.total_clicks > 90 && maps[0].1.len() == 2,
        "{:?}",
        maps[0].0
    );
    assert_eq!(maps, heatmaps_of_the_rows(&writer, &dir));

    writer
        .expire_before(T0 + 86_400_000)
        .expect("expire the first day");
    assert_eq!(heatmaps(&reader), heatmaps_of_the_rows(&writer, &dir));

    writer.seal_heat(shared::now_ms()).expect("seal");
    assert_eq!(count_rows(&writer, "heat_unsealed"), 0);
    assert!(count_rows(&writer, "heat_sealed") >= 3);
    assert!(count_rows(&writer, "heat_sealed_blocks") >= 3);
    let sealed = heatmaps(&reader);
    assert!(sealed[0].0.total_clicks > 50);
    assert_eq!(sealed, heatmaps_of_the_rows(&writer, &dir));
}

/// The queries run in one `snapshot` (a map, its anchors, its reach) see
/// the same commits, whatever a writer commits meanwhile; the next read
/// sees them.
#[test]
fn a_snapshot_reads_one_moment() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = db_path(&dir);
    let mut writer = SqliteWriter::open(&path).expect("create");
    let mut batches = clicks_over_days();
    let later = batches.split_off(4);
    writer.append(&batches).expect("append");
    let reader = SqliteReader::open(&path).expect("reader");
    let query = HeatmapQuery {
        pages: shared::page_key::PagePattern::new("shop.example/**"),
        filter: Filter::default(),
        segment: WidthSegment::All,
        columns: 97,
    };
    let read = |r: &dyn EventReader| -> Result<(u64, usize, u64), StoreError> {
        let map = r.heatmap(&query)?;
        let selectors: Vec<String> = map.anchorable.iter().map(|e| e.selector.clone()).collect();
        let anchors = r.heat_anchors(&query, &selectors)?;
        let reach = r.scroll_reach(&query)?;
        Ok((
            map.total_clicks,
            anchors.values().map(Vec::len).sum(),
            reach.views,
        ))
    };
    let mut seen = Vec::new();
    reader
        .snapshot(&mut |r| {
            seen.push(read(r)?);
            writer.append(&later).expect("append meanwhile");
            seen.push(read(r)?);
            Ok(())
        })
        .expect("snapshot");
    assert_eq!(seen[0], seen[1], "one moment inside the snapshot");
    let after = read(&reader).expect("read after");
    assert!(
        after.0 > seen[0].0 && after.2 > seen[0].2,
        "{after:?} {seen:?}"
    );
}

/// Sessions wandering over a few pages, with custom events and rage bursts.
fn wandering_sessions() -> Vec<EventBatch> {
    let mut rng = fastrand::Rng::with_seed(4);
    (0..60)
        .map(|n| {
            let mut ts = T0 + n * 97_000;
            let mut events = Vec::new();
            for i in 0..rng.usize(2..14) {
                ts += rng.i64(100..15_000);
                let path = format!("/p/{}", rng.u8(0..4));
                let kinds = [
                    EventKind::PageView,
                    EventKind::PageView,
                    EventKind::Custom,
                    EventKind::Click,
                ];
                let kind = kinds[rng.usize(0..kinds.len())];
                let base = one_event(&format!("w{n}-{i}"), ts).events[0].clone();
                events.push(Event {
                    kind,
                    url: format!("https://shop.example{path}"),
                    page_key: format!("shop.example{path}"),
                    name: (kind == EventKind::Custom).then(|| format!("e{}", rng.u8(0..3))),
                    x: (kind == EventKind::Click).then_some(10),
                    y: (kind == EventKind::Click).then_some(10),
                    ..base
                });
            }
            EventBatch {
                session_id: format!("w{n}"),
                events,
                ..one_event("unused", T0)
            }
        })
        .collect()
}

/// The writer does not check foreign keys row by row: it inserts every
/// parent before its children and removes children before their parents.
/// After appends over days, late and duplicate events, layouts, a deleted
/// visitor and expired sessions, every row still has its parents.
#[test]
fn every_row_keeps_its_parents() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = db_path(&dir);
    let mut writer = SqliteWriter::open(&path).expect("create");
    let enforced: i64 = writer
        .connection()
        .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
        .expect("pragma");
    assert_eq!(enforced, 0, "checked here, not per row");
    let others: Vec<EventBatch> = wandering_sessions()
        .into_iter()
        .map(|b| EventBatch {
            visitor_id: "v2".into(),
            ..b
        })
        .collect();
    writer.append(&others).expect("append");
    writer.append(&clicks_over_days()).expect("append");
    writer
        .append(&clicks_over_days())
        .expect("append duplicates");
    writer.seal_heat(T0 + 40 * 86_400_000).expect("seal");
    writer.delete_visitor("shop", "v1").expect("delete");
    let before = count_rows(&writer, "events");
    writer.expire_before(T0 + 60_000).expect("expire");
    let after = count_rows(&writer, "events");
    assert!(
        0 < after && after < before,
        "{after} of {before} events kept"
    );
    let conn = writer.connection();
    let mut check = conn.prepare("PRAGMA foreign_key_check").expect("check");
    // The row id is null for tables without one.
    let orphans: Vec<(String, Option<i64>, String)> = check
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .expect("rows")
        .collect::<rusqlite::Result<_>>()
        .expect("rows");
    assert!(orphans.is_empty(), "{orphans:?}");
}

/// Version 4 back-fills each session's steps, quick backs and last rage
/// click from its events: paths, funnels and sessions read after migrating a
/// version 3 file equal those kept on write.
#[test]
fn migrating_to_version_4_backfills_steps() {
    let (_dir, path) = database_of(&wandering_sessions());
    let before = sessions_and_paths(&path);
    assert!(before.0.rows.iter().any(|s| s.quick_backs > 0));
    assert!(before.1.nodes.len() > 10);
    rusqlite::Connection::open(&path)
        .expect("open")
        .execute_batch(
            "DROP TABLE layouts;
             DROP INDEX sessions_by_frustration; DROP TABLE session_steps;
             ALTER TABLE sessions DROP COLUMN frustration;
             DROP INDEX sessions_raged;
             ALTER TABLE sessions DROP COLUMN quick_backs;
             ALTER TABLE sessions DROP COLUMN last_rage_ts;
             DROP TABLE heat_anchors; DROP TABLE heat_reach;
             ALTER TABLE events DROP COLUMN depth_from;
             DROP TABLE heat_seal; DROP TABLE heat_sealed; DROP TABLE heat_unsealed;
             DROP TABLE heat_sealed_blocks;
             PRAGMA user_version = 3;",
        )
        .expect("downgrade");
    before_version_12(&path);
    drop(SqliteWriter::open(&path).expect("migrate"));
    assert_eq!(user_version(&path), SCHEMA_VERSION);
    assert_eq!(sessions_and_paths(&path), before);
}

/// Version 8 moves each session's steps out of its row into
/// `session_steps`: paths and sessions read the same after it.
#[test]
fn migrating_to_version_8_moves_steps() {
    let (_dir, path) = database_of(&wandering_sessions());
    let before = sessions_and_paths(&path);
    assert!(before.1.nodes.len() > 10);
    rusqlite::Connection::open(&path)
        .expect("open")
        .execute_batch(
            "ALTER TABLE sessions ADD COLUMN steps BLOB;
             UPDATE sessions SET steps =
                 (SELECT steps FROM session_steps WHERE session_id = sessions.id);
             DROP TABLE session_steps; DROP INDEX sessions_raged;
             DROP TABLE heat_seal; DROP TABLE heat_sealed; DROP TABLE heat_unsealed;
             DROP TABLE heat_sealed_blocks;
             ALTER TABLE heat_reach DROP COLUMN folds;
             PRAGMA user_version = 7;",
        )
        .expect("downgrade");
    before_version_11(&path);
    drop(SqliteWriter::open(&path).expect("migrate"));
    assert_eq!(user_version(&path), SCHEMA_VERSION);
    assert_eq!(sessions_and_paths(&path), before);
}

/// Version 10 counts the folds of the scroll reach (the views' window
/// heights) from the stored reports and packs the sealed days' reach again
/// with its folds: every heatmap reads as before, fold included.
#[test]
fn migrating_to_version_10_counts_folds() {
    let (dir, path) = database_of(&clicks_over_days());
    let before = heatmaps(&SqliteReader::open(&path).expect("reader"));
    assert!(before.iter().any(|(_, _, reach)| reach.fold == Some(704)));
    rusqlite::Connection::open(&path)
        .expect("open")
        .execute_batch(
            // Reach blobs that cannot be read as version 10's: day blobs of
            // another shape, block blobs missing.
            "ALTER TABLE heat_reach DROP COLUMN folds;
             UPDATE heat_sealed SET blob = x'0203' WHERE kind = 4;
             DELETE FROM heat_sealed_blocks WHERE kind = 4;
             PRAGMA user_version = 9;",
        )
        .expect("downgrade");
    before_version_11(&path);
    let writer = SqliteWriter::open(&path).expect("migrate");
    assert_eq!(user_version(&path), SCHEMA_VERSION);
    let blocks = writer
        .connection()
        .query_row(
            "SELECT COUNT(*) FROM heat_sealed_blocks WHERE kind = 4",
            [],
            |r| r.get::<_, i64>(0),
        )
        .expect("count");
    assert!(blocks >= 1, "the reach's blocks merged again");
    assert_eq!(
        heatmaps(&SqliteReader::open(&path).expect("reader")),
        before
    );
    assert_eq!(heatmaps_of_the_rows(&writer, &dir), before);
}

/// Back to the frustration index of versions 4 to 10, on the score's
/// expression, without the column of version 11.
fn before_version_11(path: &Path) {
    before_version_12(path);
    rusqlite::Connection::open(path)
        .expect("open")
        .execute_batch(
            "DROP INDEX sessions_by_frustration;
             ALTER TABLE sessions DROP COLUMN frustration;
             CREATE INDEX sessions_by_frustration ON sessions (
                 rage_clicks + 2 * quick_backs
                     + 5 * (last_rage_ts IS NOT NULL AND end_ts - last_rage_ts <= 10000),
                 session_key, site_id);",
        )
        .expect("the frustration index of version 10");
}

/// The sessions that clicked `/p/1`, `/p/*` and `/nowhere`, and the page
/// list.
fn clicked_sessions_and_pages(path: &Path) -> (Vec<Vec<String>>, Vec<PageStats>) {
    let reader = SqliteReader::open(path).expect("reader");
    let sort = Sort {
        key: SessionSortKey::Start,
        descending: true,
    };
    let clicked: Vec<_> = ["/p/1", "/p/*", "/nowhere"]
        .into_iter()
        .map(|pattern| {
            let filter = Filter {
                clicked_page: Some(shared::page_key::PagePattern::new(pattern)),
                ..Filter::default()
            };
            let page = reader
                .sessions(&filter, sort, PageRequest::first(1_000))
                .expect("sessions");
            page.rows
                .into_iter()
                .map(|s| s.session_id)
                .collect::<Vec<_>>()
        })
        .collect();
    let by_views = Sort {
        key: PageSortKey::Views,
        descending: true,
    };
    let pages = reader
        .pages(&Filter::default(), None, by_views, PageRequest::first(100))
        .expect("pages");
    (clicked, pages)
}

/// Back to the clicks by page without their session, of versions 1 to 12.
fn before_version_13(path: &Path) {
    rusqlite::Connection::open(path)
        .expect("open")
        .execute_batch(
            "DROP INDEX clicks_by_page;
             CREATE INDEX clicks_by_page ON events (page_id, ts) WHERE kind = 1;",
        )
        .expect("the clicks' index of version 12");
}

/// The columns of the index `name`.
fn index_columns(path: &Path, name: &str) -> Vec<String> {
    let conn = rusqlite::Connection::open(path).expect("open");
    let mut stmt = conn
        .prepare("SELECT name FROM pragma_index_info(?1) ORDER BY seqno")
        .expect("index info");
    let columns = stmt
        .query_map([name], |r| r.get(0))
        .expect("columns")
        .collect::<rusqlite::Result<Vec<String>>>()
        .expect("columns");
    columns
}

/// Version 13 gives the clicks by page their session: the sessions that
/// clicked a page read as before, from the index.
#[test]
fn migrating_to_version_13_gives_the_clicks_by_page_their_session() {
    let (_dir, path) = database_of(&wandering_sessions());
    let before = clicked_sessions_and_pages(&path);
    assert_eq!(
        index_columns(&path, "clicks_by_page"),
        ["page_id", "ts", "session_id"]
    );
    before_version_13(&path);
    rusqlite::Connection::open(&path)
        .expect("open")
        .execute_batch("PRAGMA user_version = 12;")
        .expect("version 12");
    assert_eq!(index_columns(&path, "clicks_by_page"), ["page_id", "ts"]);
    drop(SqliteWriter::open(&path).expect("migrate"));
    assert_eq!(user_version(&path), SCHEMA_VERSION);
    assert_eq!(
        index_columns(&path, "clicks_by_page"),
        ["page_id", "ts", "session_id"]
    );
    assert_eq!(clicked_sessions_and_pages(&path), before);

    // A range's lower bound bounds the clicks read: the sessions that
    // clicked and started in the range are those of all time that started
    // in it.
    let reader = SqliteReader::open(&path).expect("reader");
    let sort = Sort {
        key: SessionSortKey::Start,
        descending: true,
    };
    let clicked = |from: Option<i64>| {
        let filter = Filter {
            clicked_page: Some(shared::page_key::PagePattern::new("/p/*")),
            range: TimeRange { from, to: None },
            ..Filter::default()
        };
        reader
            .sessions(&filter, sort, PageRequest::first(1_000))
            .expect("sessions")
            .rows
    };
    let from = T0 + 30 * 97_000;
    let all_time: Vec<_> = clicked(None)
        .into_iter()
        .filter(|s| s.start >= from)
        .collect();
    assert!(!all_time.is_empty());
    assert_eq!(clicked(Some(from)), all_time);
}

/// Back to the index of session pages by page of versions 1 to 11.
fn before_version_12(path: &Path) {
    before_version_13(path);
    rusqlite::Connection::open(path)
        .expect("open")
        .execute_batch("CREATE INDEX session_pages_by_page ON session_pages (page_id);")
        .expect("the session pages' index of version 11");
}

/// Version 12 drops the index of session pages by page: the sessions that
/// clicked a page and the page list read as before, without it.
#[test]
fn migrating_to_version_12_drops_the_page_index_of_session_pages() {
    let (_dir, path) = database_of(&wandering_sessions());
    let before = clicked_sessions_and_pages(&path);
    let (clicked, pages) = &before;
    assert!(
        !clicked[0].is_empty() && clicked[0].len() < clicked[1].len() && clicked[1].len() < 60,
        "a filter that picks some sessions: {clicked:?}"
    );
    assert!(clicked[2].is_empty());
    assert_eq!(pages.len(), 4);
    let index_count = |path: &Path| {
        rusqlite::Connection::open(path)
            .expect("open")
            .query_row(
                "SELECT COUNT(*) FROM sqlite_schema WHERE name = 'session_pages_by_page'",
                [],
                |r| r.get::<_, i64>(0),
            )
            .expect("schema")
    };
    assert_eq!(index_count(&path), 0, "a new database has no such index");
    before_version_12(&path);
    rusqlite::Connection::open(&path)
        .expect("open")
        .execute_batch("PRAGMA user_version = 11;")
        .expect("version 11");
    assert_eq!(index_count(&path), 1);
    drop(SqliteWriter::open(&path).expect("migrate"));
    assert_eq!(user_version(&path), SCHEMA_VERSION);
    assert_eq!(index_count(&path), 0);
    assert_eq!(clicked_sessions_and_pages(&path), before);
}

/// Version 11 stores each session's frustration score in a column of its
/// own (kept on write, indexed for the session list): the sessions sorted
/// by it read as before, and every stored score is the core's.
#[test]
fn migrating_to_version_11_stores_the_frustration_score() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = db_path(&dir);
    {
        let mut writer = SqliteWriter::open(&path).expect("create");
        writer.append(&wandering_sessions()).expect("append");
        writer.append(&clicks_over_days()).expect("append");
        // Scores that move on a later commit: a dead end that goes on a
        // minute later, and a session whose rage comes after its start.
        let rage = |session: &str, id: &str, from: i64| -> Vec<EventBatch> {
            (0..3)
                .map(|i| in_session(session, click_at(&format!("rage-{id}{i}"), from + i * 100)))
                .collect()
        };
        let mut first = rage("dead", "d", T0);
        first.extend(rage("recovered", "r", T0));
        first.push(in_session("late", one_event("rage-l", T0)));
        writer.append(&first).expect("append");
        let mut second = vec![in_session("recovered", one_event("rage-r", T0 + 60_000))];
        second.extend(rage("late", "l", T0 + 30_000));
        writer.append(&second).expect("append");
    }
    let (before, _) = sessions_and_paths(&path);
    let score = |key: &str| {
        let session = before.rows.iter().find(|s| s.session_id == key);
        session.map(|s| (s.frustration(), s.dead_end))
    };
    assert_eq!(score("dead"), Some((3 + 5, true)));
    assert_eq!(score("recovered"), Some((3, false)));
    assert_eq!(score("late"), Some((3 + 5, true)));
    let scores: std::collections::BTreeSet<u64> =
        before.rows.iter().map(|s| s.frustration()).collect();
    assert!(scores.len() >= 3, "scores of several sizes: {scores:?}");
    assert!(before.rows.iter().any(|s| s.dead_end), "a dead end");
    assert_eq!(stored_scores(&path), core_scores(&before));
    rusqlite::Connection::open(&path)
        .expect("open")
        .execute_batch("PRAGMA user_version = 10;")
        .expect("version 10");
    before_version_11(&path);
    drop(SqliteWriter::open(&path).expect("migrate"));
    assert_eq!(user_version(&path), SCHEMA_VERSION);
    let (after, _) = sessions_and_paths(&path);
    assert_eq!(after, before);
    assert_eq!(stored_scores(&path), core_scores(&before));
}

/// `batch` in the session `key`.
fn in_session(key: &str, batch: EventBatch) -> EventBatch {
    EventBatch {
        session_id: key.into(),
        ..batch
    }
}

/// A click at (50, 50) of the page.
fn click_at(id: &str, ts: i64) -> EventBatch {
    let mut batch = one_event(id, ts);
    for event in &mut batch.events {
        event.kind = EventKind::Click;
        (event.x, event.y) = (Some(50), Some(50));
    }
    batch
}

/// The stored frustration score by session key.
fn stored_scores(path: &Path) -> std::collections::BTreeMap<String, u64> {
    let conn = rusqlite::Connection::open(path).expect("open");
    let mut select = conn
        .prepare("SELECT session_key, frustration FROM sessions")
        .expect("select");
    select
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("scores")
        .collect::<rusqlite::Result<_>>()
        .expect("scores")
}

/// The core's frustration score by session key.
fn core_scores(
    sessions: &shared::store::query::SessionPage,
) -> std::collections::BTreeMap<String, u64> {
    sessions
        .rows
        .iter()
        .map(|s| (s.session_id.clone(), s.frustration()))
        .collect()
}

/// The sessions by frustration and the paths from the entry of a file.
fn sessions_and_paths(
    path: &Path,
) -> (
    shared::store::query::SessionPage,
    shared::store::flow_query::Paths,
) {
    let reader = SqliteReader::open(path).expect("reader");
    let sessions = reader
        .sessions(
            &Filter::default(),
            Sort {
                key: SessionSortKey::Frustration,
                descending: true,
            },
            PageRequest::first(1_000),
        )
        .expect("sessions");
    let steps = reader.steps(&Filter::default()).expect("steps");
    let paths = shared::store::core::flows::paths(
        &steps,
        &shared::store::flow_query::PathsQuery {
            filter: Filter::default(),
            start: None,
            direction: shared::store::flow_query::Direction::Forward,
            depth: 4,
            branches: 10,
        },
    );
    (sessions, paths)
}
