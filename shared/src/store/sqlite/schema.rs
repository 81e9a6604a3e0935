//! The schema and its forward migrations, tracked by `PRAGMA user_version`.
//!
//! Each entry of [`MIGRATIONS`] takes the schema from version `i` to `i + 1`;
//! the writer applies the missing ones in one transaction at start-up,
//! reporting one step per migration when it upgrades a database that holds
//! data (creating a new one is instant, so it reports nothing).

use super::heat_seal;
use crate::event::Rect;
use crate::progress::Progress;
use crate::store::heat::click_anchor;
use crate::store::StoreError;
use rusqlite::functions::FunctionFlags;
use rusqlite::Connection;

/// The version this program writes and reads.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

const MIGRATIONS: &[&str] = &[
    // 1: events, interned strings, session and per-session page rollups.
    r#"
    CREATE TABLE sites (
        id   INTEGER PRIMARY KEY,
        key  TEXT NOT NULL UNIQUE
    );
    CREATE TABLE pages (
        id       INTEGER PRIMARY KEY,
        site_id  INTEGER NOT NULL REFERENCES sites (id),
        key      TEXT NOT NULL,
        UNIQUE (site_id, key)
    );
    CREATE TABLE selectors (
        id     INTEGER PRIMARY KEY,
        value  TEXT NOT NULL UNIQUE
    );
    CREATE TABLE sessions (
        id             INTEGER PRIMARY KEY,
        site_id        INTEGER NOT NULL REFERENCES sites (id),
        session_key    TEXT NOT NULL,
        visitor_key    TEXT NOT NULL,
        start_ts       INTEGER NOT NULL,
        end_ts         INTEGER NOT NULL,
        events         INTEGER NOT NULL DEFAULT 0,
        page_views     INTEGER NOT NULL DEFAULT 0,
        clicks         INTEGER NOT NULL DEFAULT 0,
        rage_clicks    INTEGER NOT NULL DEFAULT 0,
        entry_page_id  INTEGER REFERENCES pages (id),
        entry_ts       INTEGER,
        exit_page_id   INTEGER REFERENCES pages (id),
        exit_ts        INTEGER,
        referrer       TEXT,
        device         INTEGER NOT NULL,
        browser        TEXT NOT NULL,
        os             TEXT NOT NULL,
        UNIQUE (site_id, session_key)
    );
    CREATE INDEX sessions_by_start ON sessions (start_ts);
    CREATE INDEX sessions_by_visitor ON sessions (visitor_key);
    CREATE TABLE session_pages (
        session_id    INTEGER NOT NULL REFERENCES sessions (id),
        page_id       INTEGER NOT NULL REFERENCES pages (id),
        first_ts      INTEGER NOT NULL,
        views         INTEGER NOT NULL DEFAULT 0,
        clicks        INTEGER NOT NULL DEFAULT 0,
        rage_clicks   INTEGER NOT NULL DEFAULT 0,
        scroll_sum    REAL NOT NULL DEFAULT 0,
        scroll_count  INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (session_id, page_id)
    ) WITHOUT ROWID;
    CREATE INDEX session_pages_by_page ON session_pages (page_id);
    CREATE TABLE events (
        id           INTEGER PRIMARY KEY,
        site_id      INTEGER NOT NULL REFERENCES sites (id),
        event_key    TEXT NOT NULL,
        session_id   INTEGER NOT NULL REFERENCES sessions (id),
        kind         INTEGER NOT NULL,
        ts           INTEGER NOT NULL,
        received_at  INTEGER NOT NULL,
        flags        INTEGER NOT NULL DEFAULT 0,
        page_id      INTEGER NOT NULL REFERENCES pages (id),
        url          TEXT NOT NULL,
        title        TEXT,
        referrer     TEXT,
        vw INTEGER, vh INTEGER, pw INTEGER, ph INTEGER,
        x INTEGER, y INTEGER,
        selector_id  INTEGER REFERENCES selectors (id),
        label        TEXT,
        bx INTEGER, by INTEGER, bw INTEGER, bh INTEGER,
        depth        REAL,
        name         TEXT,
        props        TEXT,
        UNIQUE (site_id, event_key)
    );
    CREATE INDEX events_by_session ON events (session_id, ts);
    CREATE INDEX events_by_ts ON events (ts);
    CREATE INDEX clicks_by_page ON events (page_id, ts) WHERE kind = 1;
    "#,
    // 2: read-side rollups, back-filled from the version 1 tables.
    r#"
    CREATE TABLE page_totals (
        page_id       INTEGER PRIMARY KEY REFERENCES pages (id),
        views         INTEGER NOT NULL DEFAULT 0,
        sessions      INTEGER NOT NULL DEFAULT 0,
        visitors      INTEGER NOT NULL DEFAULT 0,
        clicks        INTEGER NOT NULL DEFAULT 0,
        rage_clicks   INTEGER NOT NULL DEFAULT 0,
        scroll_sum    REAL NOT NULL DEFAULT 0,
        scroll_err    REAL NOT NULL DEFAULT 0,
        scroll_count  INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE page_visitors (
        page_id      INTEGER NOT NULL REFERENCES pages (id),
        visitor_key  TEXT NOT NULL,
        PRIMARY KEY (page_id, visitor_key)
    ) WITHOUT ROWID;
    CREATE TABLE session_hours (
        site_id       INTEGER NOT NULL REFERENCES sites (id),
        hour          INTEGER NOT NULL,
        device        INTEGER NOT NULL,
        browser       TEXT NOT NULL,
        referrer      TEXT NOT NULL,
        sessions      INTEGER NOT NULL DEFAULT 0,
        page_views    INTEGER NOT NULL DEFAULT 0,
        clicks        INTEGER NOT NULL DEFAULT 0,
        bounced       INTEGER NOT NULL DEFAULT 0,
        viewed        INTEGER NOT NULL DEFAULT 0,
        duration_sum  INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (hour, site_id, device, browser, referrer)
    ) WITHOUT ROWID;
    CREATE INDEX sessions_by_duration ON sessions (end_ts - start_ts);
    CREATE INDEX sessions_by_events ON sessions (events);

    INSERT INTO page_visitors (page_id, visitor_key)
        SELECT DISTINCT sp.page_id, s.visitor_key
        FROM session_pages sp JOIN sessions s ON s.id = sp.session_id;
    INSERT INTO page_totals (page_id, views, sessions, visitors, clicks, rage_clicks,
                             scroll_sum, scroll_count)
        SELECT sp.page_id, SUM(sp.views), COUNT(*),
               (SELECT COUNT(*) FROM page_visitors pv WHERE pv.page_id = sp.page_id),
               SUM(sp.clicks), SUM(sp.rage_clicks), SUM(sp.scroll_sum), SUM(sp.scroll_count)
        FROM session_pages sp GROUP BY sp.page_id;
    INSERT INTO session_hours (site_id, hour, device, browser, referrer, sessions, page_views,
                               clicks, bounced, viewed, duration_sum)
        SELECT site_id, start_ts - ((start_ts % 3600000) + 3600000) % 3600000, device, browser,
               COALESCE(referrer, 'direct'), COUNT(*), SUM(page_views), SUM(clicks),
               SUM(page_views = 1), SUM(page_views >= 1), SUM(end_ts - start_ts)
        FROM sessions WHERE events > 0 GROUP BY 1, 2, 3, 4, 5;
    "#,
    // 3: heatmap rollups per page, width segment and UTC day, on the fixed
    // grid of `limits::HEAT_GRID_X` columns and `HEAT_GRID_Y_PX` rows (their
    // values at version 3 are written out below); the session list breaks
    // ties by session key, then site.
    r#"
    CREATE TABLE heat_cells (
        page_id      INTEGER NOT NULL,
        segment      INTEGER NOT NULL,
        day          INTEGER NOT NULL,
        gx           INTEGER NOT NULL,
        gy           INTEGER NOT NULL,
        clicks       INTEGER NOT NULL DEFAULT 0,
        rage_clicks  INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (page_id, segment, day, gx, gy)
    ) WITHOUT ROWID;
    CREATE TABLE heat_extents (
        page_id  INTEGER NOT NULL,
        segment  INTEGER NOT NULL,
        day      INTEGER NOT NULL,
        pw       INTEGER NOT NULL,
        clicks   INTEGER NOT NULL DEFAULT 0,
        max_ph   INTEGER,
        max_y    INTEGER NOT NULL,
        PRIMARY KEY (page_id, segment, day, pw)
    ) WITHOUT ROWID;
    CREATE TABLE heat_elements (
        page_id      INTEGER NOT NULL,
        segment      INTEGER NOT NULL,
        day          INTEGER NOT NULL,
        selector_id  INTEGER NOT NULL,
        clicks       INTEGER NOT NULL DEFAULT 0,
        rage_clicks  INTEGER NOT NULL DEFAULT 0,
        label        TEXT,
        PRIMARY KEY (page_id, segment, day, selector_id)
    ) WITHOUT ROWID;

    CREATE TEMP VIEW heat_clicks AS
        SELECT page_id, selector_id, label, x, y, pw, ph,
               ts - ((ts % 86400000) + 86400000) % 86400000 AS day,
               CASE WHEN COALESCE(vw, pw) >= 1024 THEN 0
                    WHEN COALESCE(vw, pw) >= 768 THEN 1 ELSE 2 END AS segment,
               max(0, min(199, (x * 200) / pw)) AS gx,
               max(0, y) / 4 AS gy,
               (flags & 2) <> 0 AS rage
        FROM events WHERE kind = 1 AND pw > 0 AND x IS NOT NULL AND y IS NOT NULL;
    INSERT INTO heat_cells (page_id, segment, day, gx, gy, clicks, rage_clicks)
        SELECT page_id, segment, day, gx, gy, COUNT(*), SUM(rage)
        FROM heat_clicks GROUP BY 1, 2, 3, 4, 5;
    INSERT INTO heat_extents (page_id, segment, day, pw, clicks, max_ph, max_y)
        SELECT page_id, segment, day, pw, COUNT(*), MAX(ph), MAX(y)
        FROM heat_clicks GROUP BY 1, 2, 3, 4;
    INSERT INTO heat_elements (page_id, segment, day, selector_id, clicks, rage_clicks, label)
        SELECT page_id, segment, day, selector_id, COUNT(*), SUM(rage), MAX(label)
        FROM heat_clicks WHERE selector_id IS NOT NULL GROUP BY 1, 2, 3, 4;
    DROP VIEW heat_clicks;

    DROP INDEX sessions_by_start;
    DROP INDEX sessions_by_duration;
    DROP INDEX sessions_by_events;
    CREATE INDEX sessions_by_start ON sessions (start_ts, session_key, site_id);
    CREATE INDEX sessions_by_duration ON sessions (end_ts - start_ts, session_key, site_id);
    CREATE INDEX sessions_by_events ON sessions (events, session_key, site_id);
    "#,
    // 4: each session's steps (page views and custom events, see `steps.rs`)
    // for paths and funnels, its quick backs and its last rage click; the
    // session list sorts by frustration score through an index (on the
    // score's expression until version 11). The steps are back-filled from
    // the events after this script (`steps::backfill`).
    r#"
    ALTER TABLE sessions ADD COLUMN steps BLOB;
    ALTER TABLE sessions ADD COLUMN quick_backs INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE sessions ADD COLUMN last_rage_ts INTEGER;
    CREATE INDEX sessions_by_frustration ON sessions (
        rage_clicks + 2 * quick_backs
            + 5 * (last_rage_ts IS NOT NULL AND end_ts - last_rage_ts <= 10000),
        session_key, site_id);
    "#,
    // 5: layout snapshots, one row per page × width segment × version (the
    // fingerprint's 64 bits as a signed integer); boxes as the core's JSON
    // text (`core::layouts::encode_boxes`).
    r#"
    CREATE TABLE layouts (
        page_id      INTEGER NOT NULL REFERENCES pages (id),
        segment      INTEGER NOT NULL,
        version      INTEGER NOT NULL,
        first_ts     INTEGER NOT NULL,
        captured_at  INTEGER NOT NULL,
        vw INTEGER NOT NULL, vh INTEGER NOT NULL, pw INTEGER NOT NULL, ph INTEGER NOT NULL,
        boxes        TEXT NOT NULL,
        PRIMARY KEY (page_id, segment, version)
    ) WITHOUT ROWID;
    CREATE INDEX layouts_by_time ON layouts (captured_at);
    "#,
    // 6: clicks anchored to their elements (`heat::Anchor`): the heat cells
    // keep anchored clicks apart by their selector (0: not anchored), and
    // `heat_anchors` counts where inside their elements they fell (the
    // anchor's code, on the grid of `limits::ANCHOR_GRID`). Both back-filled
    // from the events with `click_anchor`, the engine's SQL face of the rule.
    r#"
    CREATE TABLE heat_cells_anchored (
        page_id      INTEGER NOT NULL,
        segment      INTEGER NOT NULL,
        day          INTEGER NOT NULL,
        selector_id  INTEGER NOT NULL,
        gx           INTEGER NOT NULL,
        gy           INTEGER NOT NULL,
        clicks       INTEGER NOT NULL DEFAULT 0,
        rage_clicks  INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (page_id, segment, day, selector_id, gx, gy)
    ) WITHOUT ROWID;
    CREATE TABLE heat_anchors (
        page_id      INTEGER NOT NULL,
        segment      INTEGER NOT NULL,
        day          INTEGER NOT NULL,
        selector_id  INTEGER NOT NULL,
        anchor       INTEGER NOT NULL,
        clicks       INTEGER NOT NULL DEFAULT 0,
        rage_clicks  INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (page_id, segment, day, selector_id, anchor)
    ) WITHOUT ROWID;

    CREATE TEMP VIEW heat_clicks AS
        SELECT page_id, selector_id,
               ts - ((ts % 86400000) + 86400000) % 86400000 AS day,
               CASE WHEN COALESCE(vw, pw) >= 1024 THEN 0
                    WHEN COALESCE(vw, pw) >= 768 THEN 1 ELSE 2 END AS segment,
               max(0, min(199, (x * 200) / pw)) AS gx,
               max(0, y) / 4 AS gy,
               (flags & 2) <> 0 AS rage,
               click_anchor(selector_id, x, y, bx, by, bw, bh) AS anchor
        FROM events WHERE kind = 1 AND pw > 0 AND x IS NOT NULL AND y IS NOT NULL;
    INSERT INTO heat_cells_anchored
        (page_id, segment, day, selector_id, gx, gy, clicks, rage_clicks)
        SELECT page_id, segment, day, CASE WHEN anchor IS NULL THEN 0 ELSE selector_id END,
               gx, gy, COUNT(*), SUM(rage)
        FROM heat_clicks GROUP BY 1, 2, 3, 4, 5, 6;
    INSERT INTO heat_anchors (page_id, segment, day, selector_id, anchor, clicks, rage_clicks)
        SELECT page_id, segment, day, selector_id, anchor, COUNT(*), SUM(rage)
        FROM heat_clicks WHERE anchor IS NOT NULL GROUP BY 1, 2, 3, 4, 5;
    DROP VIEW heat_clicks;
    DROP TABLE heat_cells;
    ALTER TABLE heat_cells_anchored RENAME TO heat_cells;
    "#,
    // 7: scroll reach (`store::reach`): the depth a scroll report goes on
    // from, and per page × width segment × day × band of page height, the
    // change in page views reached from that band on. Filled after version
    // 10's script, in its final shape, from the stored scroll reports
    // (those before `depth_from` count from the top). Raw reports have no
    // index by page of their own: one cost the writer about a sixth more
    // per event (BENCHMARKS.md).
    r#"
    ALTER TABLE events ADD COLUMN depth_from REAL;
    CREATE TABLE heat_reach (
        page_id  INTEGER NOT NULL,
        segment  INTEGER NOT NULL,
        day      INTEGER NOT NULL,
        band     INTEGER NOT NULL,
        views    INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (page_id, segment, day, band)
    ) WITHOUT ROWID;
    "#,
    // 8: each session's steps in a table of their own, in start order, so
    // that paths and funnels read a range of small rows rather than every
    // column of every session of the range (half of their time at 10M
    // events, BENCHMARKS.md); the sessions with a rage click, the only ones
    // that can be dead ends, get an index by start of their own.
    r#"
    CREATE TABLE session_steps (
        start_ts    INTEGER NOT NULL,
        session_id  INTEGER NOT NULL,
        steps       BLOB NOT NULL,
        PRIMARY KEY (start_ts, session_id)
    ) WITHOUT ROWID;
    INSERT INTO session_steps (start_ts, session_id, steps)
        SELECT start_ts, id, steps FROM sessions WHERE steps IS NOT NULL;
    ALTER TABLE sessions DROP COLUMN steps;
    CREATE INDEX sessions_raged ON sessions (start_ts) WHERE last_rage_ts IS NOT NULL;
    "#,
    // 9: sealed days of the heat rollups, packed per page × width segment ×
    // day and merged per block of 32 and of 8 `days` (`heat_seal`; a
    // block's `day` is its first): the seal (the first day not packed, and
    // the days packed), the blobs (keyed by kind first, so that one kind's
    // blobs of many pages lie together), and the page days whose rows
    // changed after they were packed. Packed after version 10's script,
    // up to yesterday.
    r#"
    CREATE TABLE heat_seal (before INTEGER NOT NULL, first_day INTEGER, end_day INTEGER);
    CREATE TABLE heat_sealed (
        page_id  INTEGER NOT NULL,
        segment  INTEGER NOT NULL,
        kind     INTEGER NOT NULL,
        day      INTEGER NOT NULL,
        blob     BLOB NOT NULL,
        PRIMARY KEY (kind, page_id, segment, day)
    ) WITHOUT ROWID;
    CREATE TABLE heat_sealed_blocks (
        page_id  INTEGER NOT NULL,
        segment  INTEGER NOT NULL,
        kind     INTEGER NOT NULL,
        days     INTEGER NOT NULL,
        day      INTEGER NOT NULL,
        blob     BLOB NOT NULL,
        PRIMARY KEY (kind, days, page_id, segment, day)
    ) WITHOUT ROWID;
    CREATE TABLE heat_unsealed (
        page_id  INTEGER NOT NULL,
        segment  INTEGER NOT NULL,
        day      INTEGER NOT NULL,
        PRIMARY KEY (page_id, segment, day)
    ) WITHOUT ROWID;
    "#,
    // 10: per band of the scroll reach, the views whose first screen ended
    // in it (their viewport height: the fold, `store::reach`). The reach is
    // rebuilt from the stored scroll reports by code after this script, and
    // the sealed days' reach blobs packed again with the folds (the other
    // blobs stay as they were).
    r#"
    ALTER TABLE heat_reach ADD COLUMN folds INTEGER NOT NULL DEFAULT 0;
    DELETE FROM heat_reach;
    "#,
    // 11: the frustration score as a column the writer keeps
    // (`rollups::frustration`), indexed in place of its expression: the
    // expression holds the end, which moves on every commit, so every
    // commit rewrote each touched session's entry; the column moves only
    // around rage clicks and quick backs. Back-filled by code after this
    // script.
    r#"
    DROP INDEX sessions_by_frustration;
    ALTER TABLE sessions ADD COLUMN frustration INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX sessions_by_frustration ON sessions (frustration, session_key, site_id);
    "#,
    // 12: no index of the session pages by page. Every commit moved one of
    // its entries per page it touched (a quarter of a single-event commit's
    // WAL frames); its readers now go elsewhere (the clicked-page filter to
    // the clicks by page, removal to the visitor index and to subtracting
    // the removed rows from the page totals).
    r#"
    DROP INDEX session_pages_by_page;
    "#,
    // 13: the clicks by page carry their session, so that the sessions
    // that clicked a page are read from the index alone (the clicked-page
    // filter); the index is the one every commit already writes.
    r#"
    DROP INDEX clicks_by_page;
    CREATE INDEX clicks_by_page ON events (page_id, ts, session_id) WHERE kind = 1;
    "#,
];

/// The version that added the steps, back-filled by code after its script.
const STEPS_VERSION: i64 = 4;
/// The version that gave the scroll reach its folds: the reach (added by
/// version 7) is back-filled by code after its script, the reach blobs of
/// days already sealed packed again, then the days up to yesterday sealed
/// (since version 9), all in their final shape.
const FOLDS_VERSION: i64 = 10;
/// The version that stored the frustration score, back-filled by code
/// after its script.
const FRUSTRATION_VERSION: i64 = 11;

/// Registers what the migration scripts call: `click_anchor(selector_id,
/// x, y, bx, by, bw, bh)`, the SQL face of [`click_anchor`] for the schema 6
/// back-fill: the click's anchor code ([`crate::store::heat::Anchor::code`]),
/// or NULL when it is not anchored. Reads place and anchor clicks in Rust.
fn register_migration_functions(conn: &Connection) -> rusqlite::Result<()> {
    conn.create_scalar_function(
        "click_anchor",
        7,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| {
            let int = |i: usize| ctx.get::<Option<i64>>(i);
            let small =
                |i: usize| Ok::<_, rusqlite::Error>(int(i)?.and_then(|v| i32::try_from(v).ok()));
            let length =
                |i: usize| Ok::<_, rusqlite::Error>(int(i)?.and_then(|v| u32::try_from(v).ok()));
            let element = match (small(3)?, small(4)?, length(5)?, length(6)?) {
                (Some(x), Some(y), Some(width), Some(height)) => Some(Rect {
                    x,
                    y,
                    width,
                    height,
                }),
                _ => None,
            };
            let anchor = click_anchor(int(0)?, small(1)?, small(2)?, element);
            Ok(anchor.map(|(_, a)| a.code()))
        },
    )
}

/// Brings the schema up to [`SCHEMA_VERSION`].
pub(super) fn migrate(conn: &mut Connection, progress: &dyn Progress) -> Result<(), StoreError> {
    register_migration_functions(conn)?;
    let found: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if found > SCHEMA_VERSION {
        return Err(StoreError::SchemaTooNew {
            found,
            supported: SCHEMA_VERSION,
        });
    }
    if found == SCHEMA_VERSION {
        return Ok(());
    }
    // Version 0 is a new file: nothing to back-fill, nothing to report.
    let report = found > 0;
    if report {
        progress.begin(
            &format!("migrating the database from schema {found} to {SCHEMA_VERSION}"),
            Some((SCHEMA_VERSION - found) as u64),
        );
    }
    let result = apply(conn, found, progress, report);
    if report {
        progress.end();
    }
    result
}

fn apply(
    conn: &mut Connection,
    found: i64,
    progress: &dyn Progress,
    report: bool,
) -> Result<(), StoreError> {
    let tx = conn.transaction()?;
    for (version, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        tx.execute_batch(sql)?;
        match version as i64 + 1 {
            STEPS_VERSION => super::steps::backfill(&tx)?,
            FOLDS_VERSION => {
                super::heat_rollups::backfill_reach(&tx)?;
                heat_seal::repack_reach(&tx)?;
                let before = crate::store::core::heat_blocks::seal_for(crate::now_ms());
                heat_seal::seal(&tx, before, None)?;
            }
            FRUSTRATION_VERSION => super::rollups::backfill_frustration(&tx)?,
            _ => {}
        }
        tx.pragma_update(None, "user_version", version as i64 + 1)?;
        if report {
            progress.advance(1);
        }
    }
    tx.commit()?;
    Ok(())
}

/// Checks that a read-only connection sees a schema it understands.
pub(super) fn check(conn: &Connection) -> Result<(), StoreError> {
    let found: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    match found.cmp(&SCHEMA_VERSION) {
        std::cmp::Ordering::Equal => Ok(()),
        std::cmp::Ordering::Greater => Err(StoreError::SchemaTooNew {
            found,
            supported: SCHEMA_VERSION,
        }),
        std::cmp::Ordering::Less => Err(StoreError::SchemaTooOld {
            found,
            supported: SCHEMA_VERSION,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::progress::Recorder;

    fn version(conn: &Connection) -> i64 {
        conn.query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap_or(-1)
    }

    #[test]
    fn upgrading_a_database_reports_one_step_per_migration() {
        let mut conn = Connection::open_in_memory().expect("a database");
        conn.execute_batch(MIGRATIONS[0]).expect("schema 1");
        conn.pragma_update(None, "user_version", 1)
            .expect("version 1");
        let progress = Recorder::default();
        migrate(&mut conn, &progress).expect("migrate");
        assert_eq!(version(&conn), SCHEMA_VERSION);
        let steps = (SCHEMA_VERSION - 1) as usize;
        let mut expected = vec![format!(
            "begin migrating the database from schema 1 to {SCHEMA_VERSION} (Some({steps}))"
        )];
        expected.extend(std::iter::repeat_n("advance 1".to_owned(), steps));
        expected.push("end".into());
        assert_eq!(progress.log(), expected);

        // Up to date: nothing to do, nothing reported.
        let again = Recorder::default();
        migrate(&mut conn, &again).expect("migrate again");
        assert!(again.log().is_empty());
    }

    #[test]
    fn creating_a_database_reports_nothing() {
        let mut conn = Connection::open_in_memory().expect("a database");
        let progress = Recorder::default();
        migrate(&mut conn, &progress).expect("migrate");
        assert_eq!(version(&conn), SCHEMA_VERSION);
        assert!(progress.log().is_empty());
    }
}
