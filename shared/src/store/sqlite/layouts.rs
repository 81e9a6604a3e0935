//! Layout snapshots in the `layouts` table (schema version 5): the writes of
//! a commit, applied in its transaction by the core's repeat rule
//! ([`crate::store::core::layouts`]), and the rows a query reads.

use super::intern::InternCache;
use crate::event::Size;
use crate::layout::{Fingerprint, Layout};
use crate::store::core::layouts::{decode_boxes, LayoutWrite};
use crate::store::heat::{segment_code, segment_from_code};
use crate::store::layout_query::{LayoutQuery, StoredLayout};
use crate::store::query::WidthSegment;
use crate::store::StoreError;
use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, Connection, Row, Transaction};

/// Stores `writes`: a new version is inserted; a stored one widens its
/// capture span and takes the content of a capture at least as late.
pub(super) fn write(
    tx: &Transaction<'_>,
    cache: &mut InternCache,
    writes: &[LayoutWrite<'_>],
) -> rusqlite::Result<()> {
    let mut upsert = tx.prepare_cached(
        "INSERT INTO layouts (page_id, segment, version, first_ts, captured_at, vw, vh, pw, ph, boxes)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
         ON CONFLICT (page_id, segment, version) DO UPDATE SET
             first_ts = min(first_ts, excluded.first_ts),
             vw = iif(excluded.captured_at >= captured_at, excluded.vw, vw),
             vh = iif(excluded.captured_at >= captured_at, excluded.vh, vh),
             pw = iif(excluded.captured_at >= captured_at, excluded.pw, pw),
             ph = iif(excluded.captured_at >= captured_at, excluded.ph, ph),
             boxes = iif(excluded.captured_at >= captured_at, excluded.boxes, boxes),
             captured_at = max(captured_at, excluded.captured_at)",
    )?;
    for w in writes {
        let site_id = cache.site(tx, w.site)?;
        let page_id = cache.page(tx, site_id, w.page_key)?;
        upsert.execute(params![
            page_id,
            segment_code(w.segment),
            // The fingerprint's bits, as SQLite integers are signed.
            w.version.0 as i64,
            w.first_captured_at,
            w.captured_at,
            w.viewport.width,
            w.viewport.height,
            w.page.width,
            w.page.height,
            w.boxes,
        ])?;
    }
    Ok(())
}

const COLUMNS: &str = "s.key, p.key, l.segment, l.version, l.first_ts, l.captured_at,
     l.vw, l.vh, l.pw, l.ph, l.boxes
     FROM layouts l JOIN pages p ON p.id = l.page_id JOIN sites s ON s.id = p.site_id";

/// The stored rows of the pages `query` matches at its segment.
pub(super) fn rows(
    conn: &Connection,
    query: &LayoutQuery,
) -> Result<Vec<StoredLayout>, StoreError> {
    let mut sql = format!("SELECT {COLUMNS} WHERE page_match(?, p.key)");
    let mut args = vec![Value::Text(query.pages.as_str().to_owned())];
    if let Some(site) = &query.site {
        sql.push_str(" AND s.key = ?");
        args.push(Value::Text(site.clone()));
    }
    if query.segment != WidthSegment::All {
        sql.push_str(" AND l.segment = ?");
        args.push(Value::Integer(segment_code(query.segment)));
    }
    read(conn, &sql, &args)
}

/// The rows captured at or after `since_ms`.
pub(super) fn since(conn: &Connection, since_ms: i64) -> Result<Vec<StoredLayout>, StoreError> {
    let sql = format!("SELECT {COLUMNS} WHERE l.captured_at >= ?");
    read(conn, &sql, &[Value::Integer(since_ms)])
}

/// One row of [`COLUMNS`], the boxes still text.
type RawRow = (StoredLayout, String);

fn read(conn: &Connection, sql: &str, args: &[Value]) -> Result<Vec<StoredLayout>, StoreError> {
    let mut stmt = conn.prepare_cached(sql)?;
    let raw = stmt
        .query_map(params_from_iter(args.iter()), raw_row)?
        .collect::<rusqlite::Result<Vec<RawRow>>>()?;
    raw.into_iter()
        .map(|(mut row, boxes)| {
            row.layout.boxes = decode_boxes(&boxes)?;
            Ok(row)
        })
        .collect()
}

fn raw_row(r: &Row<'_>) -> rusqlite::Result<RawRow> {
    let size = |w: usize, h: usize| -> rusqlite::Result<Size> {
        Ok(Size {
            width: r.get(w)?,
            height: r.get(h)?,
        })
    };
    let version: i64 = r.get(3)?;
    let row = StoredLayout {
        site: r.get(0)?,
        page_key: r.get(1)?,
        segment: segment_from_code(r.get(2)?),
        first_captured_at: r.get(4)?,
        captured_at: r.get(5)?,
        layout: Layout {
            viewport: size(6, 7)?,
            page: size(8, 9)?,
            boxes: Vec::new(),
            fingerprint: Fingerprint(version as u64),
        },
    };
    Ok((row, r.get(10)?))
}
