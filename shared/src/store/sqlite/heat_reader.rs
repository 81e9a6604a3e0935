//! The heatmap's grouped queries on SQLite ([`HeatSource`]); the driver
//! ([`crate::store::core::heatmap`]) picks the sources and assembles the
//! answer. A source of whole days is read from the sealed blobs of its
//! days before the seal and the rows of the rest ([`SqliteReader::reads`],
//! [`heat_seal`]). Cells and anchors are summed here, from blobs or row by
//! row (faster than SQLite's sort-based grouping over the million rollup
//! rows of a busy pattern); extents and elements from rows, a few thousand,
//! are grouped in SQL.

use super::heat_rollups::NOT_ANCHORED;
use super::heat_seal;
use super::reader::{session_conditions, text, Conditions, SqliteReader};
use super::rollups::element_of;
use crate::event::FLAG_RAGE_CLICK;
use crate::limits::ANCHOR_GRID;
use crate::store::core::heat_blobs::{self, Kind};
use crate::store::core::heat_blocks;
use crate::store::core::heatmap::{
    self, AnchorRow, CellRow, ElementRow, ExtentRow, HeatPart, HeatSource,
};
use crate::store::core::selector_sums::SelectorSums;
use crate::store::fast_hash::{FastMap, FastSet};
use crate::store::heat::{click_anchor, segment_code, Anchor, FineCell, Scale};
use crate::store::query::{Heatmap, HeatmapQuery, WidthSegment};
use crate::store::StoreError;
use rusqlite::params_from_iter;
use rusqlite::types::{Value, ValueRef};

/// One source of clicks: the rollups over whole days, or raw click events.
pub(super) struct Part {
    /// `FROM` (raw clicks: with the join) and `WHERE` clauses; rollup parts
    /// name their table when asked, since the three rollups share keys.
    from: String,
    where_sql: String,
    pub(super) params: Vec<Value>,
    /// Raw click events (`e`) rather than rollup rows.
    pub(super) raw: bool,
    /// Column expressions of this source.
    clicks: String,
    rage: String,
}

/// The columns a raw click is placed from ([`raw_click`]): placed in Rust
/// by the store's own rules, so no rule is restated in SQL.
const RAW_CLICK_COLUMNS: &str = "e.selector_id, e.x, e.y, e.pw, e.bx, e.by, e.bw, e.bh, e.flags";

/// A click or a rollup row as the cells and anchors count it.
struct Placed {
    /// The anchor selector's id ([`NOT_ANCHORED`] when not anchored).
    selector: i64,
    gx: i64,
    gy: i64,
    anchor: Option<Anchor>,
    clicks: u64,
    rage_clicks: u64,
}

/// A raw click's row of [`RAW_CLICK_COLUMNS`], placed; `None` when it
/// cannot be (the query's conditions leave none such).
fn raw_click(r: &rusqlite::Row<'_>) -> rusqlite::Result<Option<Placed>> {
    let (selector, x, y): (Option<i64>, Option<i32>, Option<i32>) =
        (r.get(0)?, r.get(1)?, r.get(2)?);
    let Some(cell) = FineCell::of(0, x, y, r.get(3)?, None) else {
        return Ok(None);
    };
    let anchored = click_anchor(selector, x, y, element_of(r, 4)?);
    let flags: i64 = r.get(8)?;
    Ok(Some(Placed {
        selector: anchored.map_or(NOT_ANCHORED, |(s, _)| s),
        gx: cell.gx,
        gy: cell.gy,
        anchor: anchored.map(|(_, a)| a),
        clicks: 1,
        rage_clicks: u64::from(flags & FLAG_RAGE_CLICK != 0),
    }))
}

fn count(v: i64) -> u64 {
    v.max(0) as u64
}

impl Part {
    /// `FROM … WHERE …` of this part: for rollups over `rollup_table`, for
    /// raw clicks with `raw_condition` (` AND …`) added.
    pub(super) fn source_sql(
        &self,
        rollup_table: impl std::fmt::Display,
        raw_condition: &str,
    ) -> String {
        if self.raw {
            format!("FROM {}{}{raw_condition}", self.from, self.where_sql)
        } else {
            format!("FROM {rollup_table}{}", self.where_sql)
        }
    }
}

impl SqliteReader {
    pub(super) fn heatmap_query(&self, query: &HeatmapQuery) -> Result<Heatmap, StoreError> {
        self.in_snapshot(|| heatmap::heatmap(self, query))
    }
}

impl HeatSource for SqliteReader {
    fn extents(&self, query: &HeatmapQuery, part: HeatPart) -> Result<Vec<ExtentRow>, StoreError> {
        let mut extents = Vec::new();
        for (part, read) in self.reads(query, part)? {
            if let Some(sql) = read.blob_sql(Kind::Extents, &part) {
                let mut widths: FastMap<i64, ExtentRow> = FastMap::default();
                self.each_blob(&sql, &part.params, |blob| {
                    heat_blobs::each_extent(blob, |width, clicks, max_ph, max_y| {
                        let e = widths.entry(width).or_insert(ExtentRow {
                            width,
                            clicks: 0,
                            max_ph: None,
                            max_y: None,
                        });
                        e.clicks += count(clicks);
                        e.max_ph = e.max_ph.max(max_ph);
                        e.max_y = e.max_y.max(Some(max_y));
                    })
                })?;
                extents.extend(widths.into_values());
                continue;
            }
            let (pw, clicks, ph, y) = if part.raw {
                ("e.pw", "COUNT(*)", "MAX(e.ph)", "MAX(e.y)")
            } else {
                ("pw", "SUM(clicks)", "MAX(max_ph)", "MAX(max_y)")
            };
            let from = part.source_sql(read.rows_of("heat_extents"), "");
            let sql = format!("SELECT {pw}, {clicks}, {ph}, {y} {from} GROUP BY 1");
            extents.extend(self.query_rows(&sql, &part.params, |r| {
                Ok(ExtentRow {
                    width: r.get(0)?,
                    clicks: r.get::<_, i64>(1)?.max(0) as u64,
                    max_ph: r.get(2)?,
                    max_y: r.get(3)?,
                })
            })?);
        }
        Ok(extents)
    }

    fn cells(
        &self,
        query: &HeatmapQuery,
        part: HeatPart,
        scale: &Scale,
    ) -> Result<Vec<CellRow>, StoreError> {
        // The rows are grouped here, by `Scale::cell`, not in SQL: SQLite
        // groups by sorting, and a hash is several times faster over the
        // million rows of a busy pattern.
        // Hashed, not dense: a map's grid can be far larger than its clicks.
        let columns = u64::from(scale.columns.max(1));
        let mut sums = SelectorSums::new(0);
        let mut add = |selector: i64, gx: i64, gy: i64, clicks: u64, rage_clicks: u64| {
            let (column, row) = scale.cell(gx, gy);
            let key = u64::from(row) * columns + u64::from(column);
            sums.add(selector, key, clicks, rage_clicks);
        };
        for (part, read) in self.reads(query, part)? {
            if let Some(sql) = read.blob_sql(Kind::Cells, &part) {
                self.each_blob(&sql, &part.params, |blob| {
                    heat_blobs::each_cell(blob, |selector, gx, gy, clicks, rage| {
                        add(selector, gx, gy, count(clicks), count(rage));
                    })
                })?;
                continue;
            }
            let sql = if part.raw {
                format!("SELECT {RAW_CLICK_COLUMNS} {}", part.source_sql("", ""))
            } else {
                format!(
                    "SELECT selector_id, gx, gy, clicks, rage_clicks {}",
                    part.source_sql(read.rows_of("heat_cells"), "")
                )
            };
            let mut stmt = self.conn.prepare_cached(&sql)?;
            let mut rows = stmt.query(params_from_iter(part.params.iter()))?;
            while let Some(r) = rows.next()? {
                if part.raw {
                    if let Some(p) = raw_click(r)? {
                        add(p.selector, p.gx, p.gy, p.clicks, p.rage_clicks);
                    }
                } else {
                    add(
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        count(r.get(3)?),
                        count(r.get(4)?),
                    );
                }
            }
        }
        let names = self.selector_names(sums.selectors())?;
        Ok(sums
            .into_sums()
            .flat_map(|(selector, cells)| {
                let name = names.get(&selector);
                cells
                    .into_iter()
                    .map(move |(key, (clicks, rage_clicks))| CellRow {
                        selector: name.cloned(),
                        column: (key % columns) as u32,
                        row: (key / columns) as u32,
                        clicks,
                        rage_clicks,
                    })
            })
            .collect())
    }

    fn elements(
        &self,
        query: &HeatmapQuery,
        part: HeatPart,
    ) -> Result<Vec<ElementRow>, StoreError> {
        let mut elements = Vec::new();
        for (part, read) in self.reads(query, part)? {
            if let Some(sql) = read.blob_sql(Kind::Elements, &part) {
                elements.extend(self.packed_elements(&sql, &part)?);
                continue;
            }
            let (selector, label) = if part.raw {
                ("e.selector_id", "MAX(e.label)")
            } else {
                ("selector_id", "MAX(label)")
            };
            let from = part.source_sql(
                read.rows_of("heat_elements"),
                " AND e.selector_id IS NOT NULL",
            );
            let sql = format!(
                "SELECT sel.value, g.label, g.clicks, g.rage FROM
                   (SELECT {selector} AS id, {label} AS label, SUM({clicks}) AS clicks,
                           SUM({rage}) AS rage {from} GROUP BY 1) g
                 JOIN selectors sel ON sel.id = g.id",
                clicks = part.clicks,
                rage = part.rage,
            );
            elements.extend(self.query_rows(&sql, &part.params, |r| {
                Ok(ElementRow {
                    selector: r.get(0)?,
                    label: r.get(1)?,
                    clicks: count(r.get(2)?),
                    rage_clicks: count(r.get(3)?),
                })
            })?);
        }
        Ok(elements)
    }

    fn anchors(
        &self,
        query: &HeatmapQuery,
        part: HeatPart,
        selectors: &[String],
    ) -> Result<Vec<AnchorRow>, StoreError> {
        let wanted = serde_json::to_string(selectors)
            .map_err(|e| StoreError::Corrupt(format!("selectors: {e}")))?;
        // The selectors' ids by one parameter: a layout may name hundreds.
        const SELECTOR_IDS: &str =
            "SELECT id FROM selectors WHERE value IN (SELECT value FROM json_each(?))";
        // Grouped here, as the cells are.
        let mut sums = SelectorSums::new((ANCHOR_GRID * ANCHOR_GRID) as u64);
        let mut add = |selector: i64, code: i64, clicks: u64, rage: u64| {
            // Codes off the grid are no anchors.
            if let Ok(code) = u64::try_from(code) {
                sums.add(selector, code, clicks, rage);
            }
        };
        // The ids of `selectors`, read once for every blob read.
        let mut ids: Option<FastSet<i64>> = None;
        for (mut part, read) in self.reads(query, part)? {
            if let Some(sql) = read.blob_sql(Kind::Anchors, &part) {
                let ids: &FastSet<i64> = match &mut ids {
                    Some(ids) => ids,
                    None => {
                        let found =
                            self.query_rows(SELECTOR_IDS, &[Value::Text(wanted.clone())], |r| {
                                r.get(0)
                            })?;
                        ids.insert(found.into_iter().collect())
                    }
                };
                self.each_blob(&sql, &part.params, |blob| {
                    heat_blobs::each_anchor(
                        blob,
                        |selector| ids.contains(&selector),
                        |selector, code, clicks, rage| {
                            add(selector, code, count(clicks), count(rage));
                        },
                    )
                })?;
                continue;
            }
            part.params.push(Value::Text(wanted.clone()));
            let sql = if part.raw {
                let condition = format!(" AND e.selector_id IN ({SELECTOR_IDS})");
                format!(
                    "SELECT {RAW_CLICK_COLUMNS} {}",
                    part.source_sql("", &condition)
                )
            } else {
                format!(
                    "SELECT selector_id, anchor, clicks, rage_clicks {} AND selector_id IN ({SELECTOR_IDS})",
                    part.source_sql(read.rows_of("heat_anchors"), "")
                )
            };
            let mut stmt = self.conn.prepare_cached(&sql)?;
            let mut rows = stmt.query(params_from_iter(part.params.iter()))?;
            while let Some(r) = rows.next()? {
                if part.raw {
                    if let Some(Placed {
                        selector,
                        anchor: Some(anchor),
                        clicks,
                        rage_clicks,
                        ..
                    }) = raw_click(r)?
                    {
                        add(selector, anchor.code(), clicks, rage_clicks);
                    }
                } else {
                    add(r.get(0)?, r.get(1)?, count(r.get(2)?), count(r.get(3)?));
                }
            }
        }
        let names = self.selector_names(sums.selectors())?;
        Ok(sums
            .into_sums()
            .filter_map(|(selector, anchors)| Some((names.get(&selector)?, anchors)))
            .flat_map(|(name, anchors)| {
                anchors
                    .into_iter()
                    .filter_map(|(code, (clicks, rage_clicks))| {
                        Some(AnchorRow {
                            selector: name.clone(),
                            anchor: Anchor::from_code(i64::try_from(code).ok()?)?,
                            clicks,
                            rage_clicks,
                        })
                    })
            })
            .collect())
    }
}

/// How one read of a part's cells or anchors gets them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Read {
    /// Raw clicks, or the rows of a rollup table.
    Rows,
    /// The rows of the page days listed as changed since they were sealed.
    Listed,
    /// The blobs of sealed days.
    Packed,
    /// The blobs of whole sealed blocks of this many days.
    Blocks(i64),
}

impl Read {
    /// The `FROM` of the rows of `table` this read takes (not [`Read::Packed`]).
    pub(super) fn rows_of(self, table: &'static str) -> String {
        match self {
            Read::Listed => {
                format!("heat_unsealed CROSS JOIN {table} USING (page_id, segment, day)")
            }
            Read::Rows | Read::Packed | Read::Blocks(_) => table.to_owned(),
        }
    }

    /// The statement of the blobs of `kind` this read takes of `part`, if
    /// it takes blobs.
    pub(super) fn blob_sql(self, kind: Kind, part: &Part) -> Option<String> {
        let (table, days) = match self {
            Read::Packed => ("heat_sealed", None),
            Read::Blocks(days) => ("heat_sealed_blocks", Some(days)),
            Read::Rows | Read::Listed => return None,
        };
        Some(heat_seal::select_blobs(
            kind,
            days,
            &part.source_sql(table, ""),
        ))
    }
}

impl SqliteReader {
    /// The reads of `part`'s cells or anchors: a rollup part over sealed
    /// days reads their blobs and the rows of their page days changed since
    /// ([`heat_seal`]), and the rows of its days from the seal on.
    pub(super) fn reads(
        &self,
        query: &HeatmapQuery,
        part: HeatPart,
    ) -> Result<Vec<(Part, Read)>, StoreError> {
        self.reads_of(query, part, RAW_CLICKS)
    }

    /// [`Self::reads`] of the raw events that meet `raw_events`.
    pub(super) fn reads_of(
        &self,
        query: &HeatmapQuery,
        part: HeatPart,
        raw_events: &str,
    ) -> Result<Vec<(Part, Read)>, StoreError> {
        let HeatPart::Rollups { first, end } = part else {
            return Ok(vec![(sql_part_of(query, part, raw_events), Read::Rows)]);
        };
        let Some(seal) = heat_seal::seal_of(&self.conn)?.filter(|seal| first < seal.before) else {
            return Ok(vec![(sql_part_of(query, part, raw_events), Read::Rows)]);
        };
        let part_of = |first: i64, end: i64| {
            let days = HeatPart::Rollups {
                first,
                end: Some(end),
            };
            sql_part_of(query, days, raw_events)
        };
        let sealed_end = end.map_or(seal.before, |end| end.min(seal.before));
        let mut reads = Vec::new();
        let sealed = part_of(first, sealed_end);
        let listed = heat_seal::any_listed(&self.conn)? && {
            let sql = format!(
                "SELECT EXISTS (SELECT 1 {})",
                sealed.source_sql("heat_unsealed", "")
            );
            self.conn
                .prepare_cached(&sql)?
                .query_row(params_from_iter(sealed.params.iter()), |r| r.get(0))?
        };
        if listed {
            reads.push((sealed, Read::Listed));
        }
        // Whole blocks from their blobs, the days around them from theirs;
        // a page day listed in the range has no blocks, so days are read.
        if let Some(packed) = seal.packed {
            let lengths: &[i64] = if listed {
                &[]
            } else {
                &heat_blocks::BLOCK_DAYS
            };
            for (from, to, days) in heat_blocks::plan(first, sealed_end, packed, lengths) {
                let read = days.map_or(Read::Packed, Read::Blocks);
                reads.push((part_of(from, to), read));
            }
        }
        if end.is_none_or(|end| end > seal.before) {
            let open = HeatPart::Rollups {
                first: seal.before,
                end,
            };
            reads.push((sql_part_of(query, open, raw_events), Read::Rows));
        }
        Ok(reads)
    }

    /// The elements of the sealed blobs `sql` selects for `part`, by selector.
    fn packed_elements(&self, sql: &str, part: &Part) -> Result<Vec<ElementRow>, StoreError> {
        let mut sums: FastMap<i64, (u64, u64, Option<String>)> = FastMap::default();
        self.each_blob(sql, &part.params, |blob| {
            heat_blobs::each_element(blob, |selector, clicks, rage, label| {
                let sum = sums.entry(selector).or_default();
                sum.0 += count(clicks);
                sum.1 += count(rage);
                // The greatest label, as SQL's MAX gives (copied only when
                // it is).
                if label > sum.2.as_deref() {
                    sum.2 = label.map(str::to_owned);
                }
            })
        })?;
        let names = self.selector_names(sums.keys().copied())?;
        Ok(sums
            .into_iter()
            .filter_map(|(selector, (clicks, rage_clicks, label))| {
                Some(ElementRow {
                    selector: names.get(&selector)?.clone(),
                    label,
                    clicks,
                    rage_clicks,
                })
            })
            .collect())
    }

    /// Calls `read` with the blob of each row `sql` selects.
    pub(super) fn each_blob(
        &self,
        sql: &str,
        params: &[Value],
        mut read: impl FnMut(&[u8]) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let mut stmt = self.conn.prepare_cached(sql)?;
        let mut rows = stmt.query(params_from_iter(params.iter()))?;
        while let Some(r) = rows.next()? {
            match r.get_ref(0)? {
                ValueRef::Blob(blob) => read(blob)?,
                _ => {
                    return Err(StoreError::Corrupt(
                        "a sealed heat day is not a blob".into(),
                    ))
                }
            }
        }
        Ok(())
    }
}

impl SqliteReader {
    /// The selectors stored under `ids` ([`NOT_ANCHORED`] and unknown ids
    /// have none).
    fn selector_names(
        &self,
        ids: impl Iterator<Item = i64>,
    ) -> Result<FastMap<i64, String>, StoreError> {
        let mut ids: Vec<i64> = ids.filter(|&id| id != NOT_ANCHORED).collect();
        ids.sort_unstable();
        ids.dedup();
        if ids.is_empty() {
            return Ok(FastMap::default());
        }
        let list = serde_json::to_string(&ids)
            .map_err(|e| StoreError::Corrupt(format!("selector ids: {e}")))?;
        let rows = self.query_rows(
            "SELECT id, value FROM selectors WHERE id IN (SELECT value FROM json_each(?))",
            &[Value::Text(list)],
            |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)),
        )?;
        Ok(rows.into_iter().collect())
    }
}

/// The pages of the query, as a subquery over `pages`.
fn pages_sql(query: &HeatmapQuery) -> (String, Vec<Value>) {
    let mut sql = "SELECT id FROM pages WHERE page_match(?, key)".to_owned();
    let mut params = vec![text(query.pages.as_str())];
    if let Some(site) = &query.filter.site {
        sql.push_str(" AND site_id = (SELECT id FROM sites WHERE key = ?)");
        params.push(text(site));
    }
    (sql, params)
}

/// The raw events the clicks of a heatmap come from: placed clicks. (The
/// kind is written into the statement, not bound, so that the partial index
/// `clicks_by_page` applies.)
const RAW_CLICKS: &str = "e.kind = 1 AND e.pw > 0 AND e.x IS NOT NULL AND e.y IS NOT NULL";

/// The SQL of one source of the query's events: its rollups, or the raw
/// events that meet `raw_events`.
fn sql_part_of(query: &HeatmapQuery, part: HeatPart, raw_events: &str) -> Part {
    let (pages, page_params) = pages_sql(query);
    match part {
        HeatPart::Rollups { first, end } => {
            let mut rolled = Conditions::default();
            rolled.push(&format!("page_id IN ({pages})"), page_params);
            rolled.push(&segments_sql(query.segment), []);
            if first != i64::MIN {
                rolled.push("day >= ?", [Value::Integer(first)]);
            }
            if let Some(end) = end {
                rolled.push("day < ?", [Value::Integer(end)]);
            }
            Part {
                from: String::new(),
                where_sql: rolled.sql(),
                params: rolled.params,
                raw: false,
                clicks: "clicks".to_owned(),
                rage: "rage_clicks".to_owned(),
            }
        }
        HeatPart::Raw { outside, joined } => {
            raw_part(query, &pages, page_params, raw_events, outside, joined)
        }
    }
}

/// The rollups' segment condition. "All" names every stored segment rather
/// than none, so that the rollups' keys `(page_id, segment, day, …)` seek a
/// range's days for each page and segment: without it a day of a pattern
/// read every day of its pages (0.13 s against 0.01 s for a day of
/// `/product/*` at 10M events).
pub(super) fn segments_sql(segment: WidthSegment) -> String {
    let codes: Vec<String> = WidthSegment::ALL
        .into_iter()
        .filter(|s| *s != WidthSegment::All && (segment == WidthSegment::All || *s == segment))
        .map(|s| segment_code(s).to_string())
        .collect();
    format!("segment IN ({})", codes.join(", "))
}

/// Raw events that meet `events` of the query's pages in its range
/// (outside whole days `outside`), joined to their sessions when `joined`.
fn raw_part(
    query: &HeatmapQuery,
    pages: &str,
    page_params: Vec<Value>,
    events: &str,
    outside: Option<(i64, Option<i64>)>,
    joined: bool,
) -> Part {
    let filter = &query.filter;
    let mut raw = Conditions::default();
    raw.push(&format!("e.page_id IN ({pages})"), page_params);
    raw.push(events, []);
    if let Some(from) = filter.range.from {
        raw.push("e.ts >= ?", [Value::Integer(from)]);
    }
    if let Some(to) = filter.range.to {
        raw.push("e.ts < ?", [Value::Integer(to)]);
    }
    if query.segment != WidthSegment::All {
        let (min_w, max_w) = query.segment.width_bounds();
        raw.push(
            "COALESCE(e.vw, e.pw) >= ? AND COALESCE(e.vw, e.pw) < ?",
            [
                Value::Integer(i64::from(min_w)),
                Value::Integer(i64::from(max_w)),
            ],
        );
    }
    if joined {
        session_conditions(filter, false, &mut raw);
    }
    match outside {
        Some((first, Some(end))) => raw.push(
            "(e.ts < ? OR e.ts >= ?)",
            [Value::Integer(first), Value::Integer(end)],
        ),
        Some((first, None)) => raw.push("e.ts < ?", [Value::Integer(first)]),
        None => {}
    }
    let join = if joined {
        " JOIN sessions s ON s.id = e.session_id"
    } else {
        ""
    };
    Part {
        from: format!("events e{join}"),
        where_sql: raw.sql(),
        params: raw.params,
        raw: true,
        clicks: "1".to_owned(),
        rage: format!("(e.flags & {FLAG_RAGE_CLICK} <> 0)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::page_key::PagePattern;
    use crate::store::query::Filter;
    use crate::store::sqlite::SqliteWriter;

    /// How SQLite reads the heat cells of one day of `segment` from `table`.
    fn plan_of_a_day(reader: &SqliteReader, segment: WidthSegment, read: Read) -> String {
        let query = HeatmapQuery {
            pages: PagePattern::new("/product/*"),
            filter: Filter::default(),
            segment,
            columns: 64,
        };
        let day = 1_767_225_600_000;
        let part = sql_part_of(
            &query,
            HeatPart::Rollups {
                first: day,
                end: Some(day + 86_400_000),
            },
            RAW_CLICKS,
        );
        let select = match read {
            Read::Packed => {
                heat_seal::select_blobs(Kind::Cells, None, &part.source_sql("heat_sealed", ""))
            }
            _ => format!(
                "SELECT clicks {}",
                part.source_sql(read.rows_of("heat_cells"), "")
            ),
        };
        let sql = format!("EXPLAIN QUERY PLAN {select}");
        let mut stmt = reader.conn.prepare(&sql).expect("plan");
        let rows = stmt
            .query_map(params_from_iter(part.params.iter()), |r| {
                r.get::<_, String>(3)
            })
            .expect("plan rows");
        rows.map(|r| r.expect("plan row"))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// A range of days is sought in the rollups' key for every segment, "all"
    /// too, rather than read from all of a page's days.
    #[test]
    fn a_range_of_days_is_sought_in_the_rollup_key_for_every_segment() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("plan.db");
        drop(SqliteWriter::open(&path).expect("writer"));
        let reader = SqliteReader::open(&path).expect("reader");
        for segment in WidthSegment::ALL {
            for read in [Read::Rows, Read::Packed] {
                let plan = plan_of_a_day(&reader, segment, read);
                assert!(
                    plan.contains("segment=?")
                        && plan.contains("day>?")
                        && plan.contains("day<?")
                        && (read != Read::Packed || plan.contains("kind=?")),
                    "{segment:?}, {read:?}: {plan}"
                );
            }
            // The few page days listed as changed since they were sealed
            // lead; each seeks its rows.
            let plan = plan_of_a_day(&reader, segment, Read::Listed);
            assert!(
                plan.starts_with("SEARCH heat_unsealed")
                    && plan.contains("(page_id=? AND segment=? AND day=?)"),
                "{segment:?}, listed: {plan}"
            );
        }
        assert_eq!(segments_sql(WidthSegment::All), "segment IN (0, 1, 2)");
        assert_eq!(segments_sql(WidthSegment::Mobile), "segment IN (2)");
    }
}
