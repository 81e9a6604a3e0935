//! Sealed days of the heat rollups: a past day's rows of one page × width
//! segment, packed in a blob per rollup table ([`Kind`]) in `heat_sealed`,
//! and the days of each whole block of 32 and of 8 days ([`BLOCK_DAYS`])
//! merged into one blob per table in `heat_sealed_blocks`
//! ([`crate::store::core::heat_blobs`] has the format).
//!
//! At ten million events the rollups hold about one click per row (a page's
//! day is sparse on the fine grid), so a heatmap of a busy pattern over a
//! month reads millions of rows, and SQLite's cost per row was most of its
//! time. A packed day is one row whose blob decodes in a tight loop; a
//! block is one row for a month of them, its clicks on the same cell
//! summed.
//!
//! The rows stay the truth; the blobs are a copy of them for the days
//! before the *seal* (`heat_seal.before`, a day start):
//! - reads take days before the seal from the blobs (whole blocks from
//!   `heat_sealed_blocks`, the other days from `heat_sealed`), days from the
//!   seal on from the rows, and the rows of the page days listed in
//!   `heat_unsealed` instead of their blobs (and no block then: a read that
//!   meets a listed page day reads days);
//! - a commit that changes the rows of a day before the seal (a late event,
//!   a removal) deletes that page day's blobs and its block's, and lists
//!   the day in `heat_unsealed`, in the same transaction ([`unseal`]);
//! - [`seal`], run by the writer now and then, packs the listed page days
//!   and their blocks again and moves the seal on to the day before
//!   yesterday's end (UTC), a day at a time, merging each block as the seal
//!   passes its end, so the rows written today and yesterday are not packed
//!   while they still change.

use super::heat_reader::segments_sql;
use crate::limits::HEAT_BUCKET_MS;
use crate::store::core::heat_blobs::{encode_elements, encode_ints, merge, Kind};
use crate::store::core::heat_blocks::{block_ms, block_of, BLOCK_DAYS};
use crate::store::query::WidthSegment;
use rusqlite::{params, Connection, OptionalExtension, Row, Transaction};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

/// One page day of the rollups: `(page_id, segment, day)`.
pub(super) type PageDay = (i64, i64, i64);

/// The seal, and the days packed before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Seal {
    /// The first day not sealed.
    pub(super) before: i64,
    /// `[first, end)` of the days any blob was packed for (never narrowed:
    /// a day whose clicks were all removed stays inside).
    pub(super) packed: Option<(i64, i64)>,
}

/// The seal; `None` before the first [`seal`].
pub(super) fn seal_of(conn: &Connection) -> rusqlite::Result<Option<Seal>> {
    conn.prepare_cached("SELECT before, first_day, end_day FROM heat_seal")?
        .query_row([], |r| {
            let packed = match (r.get(1)?, r.get(2)?) {
                (Some(first), Some(end)) => Some((first, end)),
                _ => None,
            };
            Ok(Seal {
                before: r.get(0)?,
                packed,
            })
        })
        .optional()
}

/// The first day not sealed; `None` before the first [`seal`].
pub(super) fn sealed_before(conn: &Connection) -> rusqlite::Result<Option<i64>> {
    Ok(seal_of(conn)?.map(|s| s.before))
}

/// Whether any page day is listed to be packed again (most of the time
/// none is, and reads skip asking for their rows).
pub(super) fn any_listed(conn: &Connection) -> rusqlite::Result<bool> {
    conn.prepare_cached("SELECT EXISTS (SELECT 1 FROM heat_unsealed)")?
        .query_row([], |r| r.get(0))
}

/// Before a commit changes the rows of `days`: drops the blobs of those
/// before the seal and lists them to be packed again.
pub(super) fn unseal(
    tx: &Transaction<'_>,
    days: impl Iterator<Item = PageDay>,
) -> rusqlite::Result<()> {
    let Some(before) = sealed_before(tx)? else {
        return Ok(());
    };
    let sealed: BTreeSet<PageDay> = days.filter(|d| d.2 < before).collect();
    if sealed.is_empty() {
        return Ok(());
    }
    let mut drop_blobs = tx.prepare_cached(DELETE_BLOBS)?;
    let mut drop_block = tx.prepare_cached(DELETE_BLOCK)?;
    let mut list = tx.prepare_cached(
        "INSERT OR IGNORE INTO heat_unsealed (page_id, segment, day) VALUES (?1, ?2, ?3)",
    )?;
    for (page, segment, day) in sealed {
        drop_blobs.execute(params![page, segment, day])?;
        for days in BLOCK_DAYS {
            drop_block.execute(params![page, segment, days, block_of(day, days)])?;
        }
        list.execute(params![page, segment, day])?;
    }
    Ok(())
}

/// Packs the listed page days again, then the days from the seal to
/// `before` (a day start), moving the seal; stops between two page days or
/// two days once `deadline` has passed.
pub(super) fn seal(
    tx: &Transaction<'_>,
    before: i64,
    deadline: Option<Instant>,
) -> rusqlite::Result<()> {
    let late = || deadline.is_some_and(|d| Instant::now() >= d);
    let listed: Vec<PageDay> = tx
        .prepare_cached("SELECT page_id, segment, day FROM heat_unsealed")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let mut unlist = tx.prepare_cached(
        "DELETE FROM heat_unsealed WHERE page_id = ?1 AND segment = ?2 AND day = ?3",
    )?;
    let seal = sealed_before(tx)?;
    for key in listed {
        if late() {
            return Ok(());
        }
        pack_page_day(tx, key)?;
        unlist.execute(params![key.0, key.1, key.2])?;
        for days in BLOCK_DAYS {
            let block = block_of(key.2, days);
            if seal.is_some_and(|seal| block.saturating_add(block_ms(days)) <= seal) {
                merge_page_block(tx, (key.0, key.1, block), days)?;
            }
        }
    }

    let mut day = match seal {
        Some(day) => day,
        None => first_day(tx)?.unwrap_or(before).min(before),
    };
    set_seal(tx, day)?;
    while day < before {
        if late() {
            return Ok(());
        }
        pack_day(tx, day)?;
        day = day.saturating_add(HEAT_BUCKET_MS);
        for days in BLOCK_DAYS {
            if block_of(day, days) == day {
                merge_block(tx, day.saturating_sub(block_ms(days)), days)?;
            }
        }
        set_seal(tx, day)?;
    }
    Ok(())
}

/// Merges the day blobs of every page of the block of `days` days starting
/// at `block`.
fn merge_block(tx: &Transaction<'_>, block: i64, days: i64) -> rusqlite::Result<()> {
    // Each page × segment × kind sought in the key, as days are packed.
    let segments = segments_sql(WidthSegment::All);
    let mut stmt = tx.prepare_cached(&format!(
        "SELECT DISTINCT s.page_id, s.segment FROM pages p CROSS JOIN heat_sealed s
             ON s.page_id = p.id
         WHERE s.{segments} AND s.kind IN (0, 1, 2, 3, 4) AND s.day >= ?1 AND s.day < ?2"
    ))?;
    let pages: Vec<(i64, i64)> = stmt
        .query_map(params![block, block.saturating_add(block_ms(days))], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?
        .collect::<rusqlite::Result<_>>()?;
    for (page, segment) in pages {
        merge_page_block(tx, (page, segment, block), days)?;
    }
    Ok(())
}

/// Merges the day blobs of one page's block of `days` days into its block
/// blobs.
fn merge_page_block(tx: &Transaction<'_>, key: PageDay, days: i64) -> rusqlite::Result<()> {
    let (page, segment, block) = key;
    tx.prepare_cached(DELETE_BLOCK)?
        .execute(params![page, segment, days, block])?;
    merge_kinds(tx, key, days, &KINDS)
}

/// Merges the day blobs of `kinds` of one page's block of `days` days into
/// block blobs (none of them stored yet).
fn merge_kinds(
    tx: &Transaction<'_>,
    key: PageDay,
    days: i64,
    kinds: &[Kind],
) -> rusqlite::Result<()> {
    let (page, segment, block) = key;
    let mut day_blobs = tx.prepare_cached(
        "SELECT blob FROM heat_sealed
         WHERE page_id = ?1 AND segment = ?2 AND kind = ?3 AND day >= ?4 AND day < ?5",
    )?;
    let mut insert = tx.prepare_cached(
        "INSERT INTO heat_sealed_blocks (page_id, segment, kind, days, day, blob)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    for &kind in kinds {
        let blobs: Vec<Vec<u8>> = day_blobs
            .query_map(
                params![
                    page,
                    segment,
                    kind as i64,
                    block,
                    block.saturating_add(block_ms(days))
                ],
                |r| r.get(0),
            )?
            .collect::<rusqlite::Result<_>>()?;
        if blobs.is_empty() {
            continue;
        }
        let merged = merge(kind, blobs.iter().map(Vec::as_slice)).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(4, rusqlite::types::Type::Blob, Box::new(e))
        })?;
        if !merged.is_empty() {
            insert.execute(params![page, segment, kind as i64, days, block, merged])?;
        }
    }
    Ok(())
}

/// Packs the scroll reach of every sealed page day and block again from
/// its rows, the other kinds' blobs left as they are: for the schema that
/// gave the reach its folds (a reach blob's entries changed).
pub(super) fn repack_reach(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    let Some(before) = sealed_before(tx)? else {
        return Ok(());
    };
    let reach = Kind::Reach as i64;
    // The sealed page days with reach rows (listed ones are read from
    // their rows until packed again, with every kind).
    let page_days: Vec<PageDay> = tx
        .prepare(
            "SELECT DISTINCT r.page_id, r.segment, r.day FROM heat_reach r
             WHERE r.day < ?1 AND NOT EXISTS (SELECT 1 FROM heat_unsealed u
                 WHERE u.page_id = r.page_id AND u.segment = r.segment AND u.day = r.day)",
        )?
        .query_map([before], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<rusqlite::Result<_>>()?;
    tx.execute(
        "DELETE FROM heat_sealed WHERE kind = ?1 AND NOT EXISTS (SELECT 1 FROM heat_reach r
             WHERE r.page_id = heat_sealed.page_id AND r.segment = heat_sealed.segment
                 AND r.day = heat_sealed.day)",
        [reach],
    )?;
    // Replaced where they are, so the other kinds' blobs keep their pages.
    let mut replace = tx.prepare(
        "INSERT OR REPLACE INTO heat_sealed (page_id, segment, kind, day, blob)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for key in page_days {
        let mut rows = day_rows(tx, key, &[Kind::Reach])?.reach;
        rows.sort_unstable();
        replace.execute(params![key.0, key.1, reach, key.2, encode_ints(&rows)])?;
    }
    // Every merged block, whichever kinds it holds.
    let blocks: Vec<(PageDay, i64)> = tx
        .prepare("SELECT DISTINCT page_id, segment, day, days FROM heat_sealed_blocks")?
        .query_map([], |r| Ok(((r.get(0)?, r.get(1)?, r.get(2)?), r.get(3)?)))?
        .collect::<rusqlite::Result<_>>()?;
    tx.execute("DELETE FROM heat_sealed_blocks WHERE kind = ?1", [reach])?;
    for (key, days) in blocks {
        merge_kinds(tx, key, days, &[Kind::Reach])?;
    }
    Ok(())
}

fn set_seal(tx: &Transaction<'_>, day: i64) -> rusqlite::Result<()> {
    if tx
        .prepare_cached("UPDATE heat_seal SET before = ?1")?
        .execute([day])?
        == 0
    {
        tx.prepare_cached("INSERT INTO heat_seal (before) VALUES (?1)")?
            .execute([day])?;
    }
    Ok(())
}

/// The first day with rollup rows (read once, by the first [`seal`]).
fn first_day(tx: &Transaction<'_>) -> rusqlite::Result<Option<i64>> {
    let firsts: Vec<String> = TABLES
        .iter()
        .map(|(name, _)| format!("SELECT MIN(day) AS day FROM {name}"))
        .collect();
    tx.query_row(
        &format!("SELECT MIN(day) FROM ({})", firsts.join(" UNION ALL ")),
        [],
        |r| r.get(0),
    )
}

/// Every kind, in order.
const KINDS: [Kind; 5] = [
    Kind::Cells,
    Kind::Anchors,
    Kind::Extents,
    Kind::Elements,
    Kind::Reach,
];

/// The blobs of `kind` of a part's `FROM heat_sealed WHERE …`, or of its
/// `FROM heat_sealed_blocks WHERE …` for blocks of `days` days.
pub(super) fn select_blobs(kind: Kind, days: Option<i64>, from_where: &str) -> String {
    let kind = kind as i64;
    match days {
        Some(days) => format!("SELECT blob {from_where} AND kind = {kind} AND days = {days}"),
        None => format!("SELECT blob {from_where} AND kind = {kind}"),
    }
}

/// Drops every blob of one page day (the kinds named, so that each is
/// sought in the key).
const DELETE_BLOBS: &str = "DELETE FROM heat_sealed
    WHERE page_id = ?1 AND segment = ?2 AND kind IN (0, 1, 2, 3, 4) AND day = ?3";
/// Drops every blob of one page's block of `?3` days.
const DELETE_BLOCK: &str = "DELETE FROM heat_sealed_blocks
    WHERE page_id = ?1 AND segment = ?2 AND kind IN (0, 1, 2, 3, 4) AND days = ?3 AND day = ?4";

/// The rollup tables a sealed page day packs, in the order of [`Kind`] and
/// [`DayRows::push`], with the columns each blob keeps.
const TABLES: [(&str, &str); 5] = [
    ("heat_cells", "selector_id, gx, gy, clicks, rage_clicks"),
    ("heat_anchors", "selector_id, anchor, clicks, rage_clicks"),
    ("heat_extents", "pw, clicks, max_ph, max_y"),
    ("heat_elements", "selector_id, clicks, rage_clicks, label"),
    ("heat_reach", "band, views, folds"),
];

/// A page day's rows of each of [`TABLES`] (a missing `max_ph` is `-1`:
/// page heights are not negative).
#[derive(Default)]
struct DayRows {
    cells: Vec<[i64; 5]>,
    anchors: Vec<[i64; 4]>,
    extents: Vec<[i64; 4]>,
    elements: Vec<(i64, i64, i64, Option<String>)>,
    reach: Vec<[i64; 3]>,
}

impl DayRows {
    /// Adds a row of `TABLES[table]`, its columns from `at` on.
    fn push(&mut self, table: usize, r: &Row<'_>, at: usize) -> rusqlite::Result<()> {
        let int = |i: usize| r.get::<_, i64>(at + i);
        match table {
            0 => self
                .cells
                .push([int(0)?, int(1)?, int(2)?, int(3)?, int(4)?]),
            1 => self.anchors.push([int(0)?, int(1)?, int(2)?, int(3)?]),
            2 => {
                let max_ph = r.get::<_, Option<i64>>(at + 2)?.unwrap_or(-1);
                self.extents.push([int(0)?, int(1)?, max_ph, int(3)?]);
            }
            3 => self
                .elements
                .push((int(0)?, int(1)?, int(2)?, r.get(at + 3)?)),
            _ => self.reach.push([int(0)?, int(1)?, int(2)?]),
        }
        Ok(())
    }
}

/// Packs every page of `day`.
fn pack_day(tx: &Transaction<'_>, day: i64) -> rusqlite::Result<()> {
    // Each page × segment sought in the rollups' keys, not the whole table
    // read for one day.
    let segments = segments_sql(WidthSegment::All);
    let mut pages: BTreeMap<(i64, i64), DayRows> = BTreeMap::new();
    for (table, (name, columns)) in TABLES.iter().enumerate() {
        let columns = columns.replace(", ", ", t.");
        let mut stmt = tx.prepare_cached(&format!(
            "SELECT t.page_id, t.segment, t.{columns}
             FROM pages p CROSS JOIN {name} t ON t.page_id = p.id
             WHERE t.{segments} AND t.day = ?1"
        ))?;
        let mut rows = stmt.query([day])?;
        while let Some(r) = rows.next()? {
            pages
                .entry((r.get(0)?, r.get(1)?))
                .or_default()
                .push(table, r, 2)?;
        }
    }
    for ((page, segment), rows) in pages {
        write_blobs(tx, (page, segment, day), rows)?;
    }
    Ok(())
}

/// Packs one page day again from its rows.
fn pack_page_day(tx: &Transaction<'_>, key: PageDay) -> rusqlite::Result<()> {
    write_blobs(tx, key, day_rows(tx, key, &KINDS)?)
}

/// One page day's rows of the tables of `kinds`.
fn day_rows(tx: &Transaction<'_>, key: PageDay, kinds: &[Kind]) -> rusqlite::Result<DayRows> {
    let mut rows = DayRows::default();
    for &kind in kinds {
        let (name, columns) = TABLES[kind as usize];
        let mut stmt = tx.prepare_cached(&format!(
            "SELECT {columns} FROM {name} WHERE page_id = ?1 AND segment = ?2 AND day = ?3"
        ))?;
        let mut found = stmt.query(params![key.0, key.1, key.2])?;
        while let Some(r) = found.next()? {
            rows.push(kind as usize, r, 0)?;
        }
    }
    Ok(rows)
}

fn write_blobs(tx: &Transaction<'_>, key: PageDay, mut rows: DayRows) -> rusqlite::Result<()> {
    tx.prepare_cached(DELETE_BLOBS)?
        .execute(params![key.0, key.1, key.2])?;
    rows.cells.sort_unstable();
    rows.anchors.sort_unstable();
    rows.extents.sort_unstable();
    rows.elements.sort_unstable();
    rows.reach.sort_unstable();
    let blobs = [
        (Kind::Cells, encode_ints(&rows.cells)),
        (Kind::Anchors, encode_ints(&rows.anchors)),
        (Kind::Extents, encode_ints(&rows.extents)),
        (Kind::Elements, encode_elements(&rows.elements)),
        (Kind::Reach, encode_ints(&rows.reach)),
    ];
    let mut insert = tx.prepare_cached(
        "INSERT INTO heat_sealed (page_id, segment, kind, day, blob)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    let mut packed = false;
    for (kind, blob) in blobs.iter().filter(|(_, blob)| !blob.is_empty()) {
        insert.execute(params![key.0, key.1, *kind as i64, key.2, blob])?;
        packed = true;
    }
    if packed {
        tx.prepare_cached(
            "UPDATE heat_seal SET first_day = min(COALESCE(first_day, ?1), ?1),
                                  end_day = max(COALESCE(end_day, ?2), ?2)",
        )?
        .execute(params![key.2, key.2.saturating_add(HEAT_BUCKET_MS)])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
