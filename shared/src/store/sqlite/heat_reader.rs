//! The heatmap's grouped queries on SQLite ([`HeatSource`]); the driver
//! ([`crate::store::core::heatmap`]) picks the sources and assembles the
//! answer. Cells and anchors are read row by row and grouped here (a hash
//! is several times faster than SQLite's sort-based grouping over the
//! million rollup rows of a busy pattern); extents and elements, a few
//! thousand rows, are grouped in SQL.

use super::heat_rollups::NOT_ANCHORED;
use super::reader::{session_conditions, text, Conditions, SqliteReader};
use super::rollups::element_of;
use crate::event::FLAG_RAGE_CLICK;
use crate::store::core::heatmap::{
    self, AnchorRow, CellRow, ElementRow, ExtentRow, HeatPart, HeatSource,
};
use crate::store::flow_query::FastMap;
use crate::store::heat::{click_anchor, segment_code, Anchor, FineCell, Scale};
use crate::store::query::{Heatmap, HeatmapQuery, WidthSegment};
use crate::store::StoreError;
use rusqlite::params_from_iter;
use rusqlite::types::Value;

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
    pub(super) fn source_sql(&self, rollup_table: &str, raw_condition: &str) -> String {
        if self.raw {
            format!("FROM {}{}{raw_condition}", self.from, self.where_sql)
        } else {
            format!("FROM {rollup_table}{}", self.where_sql)
        }
    }
}

impl SqliteReader {
    pub(super) fn heatmap_query(&self, query: &HeatmapQuery) -> Result<Heatmap, StoreError> {
        // One snapshot for every statement of the query.
        let tx = self.conn.unchecked_transaction()?;
        let answer = heatmap::heatmap(self, query);
        tx.finish()?;
        answer
    }
}

impl HeatSource for SqliteReader {
    fn extents(&self, query: &HeatmapQuery, part: HeatPart) -> Result<Vec<ExtentRow>, StoreError> {
        let part = sql_part(query, part);
        let (pw, clicks, ph, y) = if part.raw {
            ("e.pw", "COUNT(*)", "MAX(e.ph)", "MAX(e.y)")
        } else {
            ("pw", "SUM(clicks)", "MAX(max_ph)", "MAX(max_y)")
        };
        let from = part.source_sql("heat_extents", "");
        let sql = format!("SELECT {pw}, {clicks}, {ph}, {y} {from} GROUP BY 1");
        self.query_rows(&sql, &part.params, |r| {
            Ok(ExtentRow {
                width: r.get(0)?,
                clicks: r.get::<_, i64>(1)?.max(0) as u64,
                max_ph: r.get(2)?,
                max_y: r.get(3)?,
            })
        })
    }

    fn cells(
        &self,
        query: &HeatmapQuery,
        part: HeatPart,
        scale: &Scale,
    ) -> Result<Vec<CellRow>, StoreError> {
        let part = sql_part(query, part);
        // The rows are grouped here, by `Scale::cell`, not in SQL: SQLite
        // groups by sorting, and a hash is several times faster over the
        // million rows of a busy pattern.
        let sql = if part.raw {
            format!("SELECT {RAW_CLICK_COLUMNS} {}", part.source_sql("", ""))
        } else {
            format!(
                "SELECT selector_id, gx, gy, clicks, rage_clicks {}",
                part.source_sql("heat_cells", "")
            )
        };
        let mut sums: FastMap<(i64, u32, u32), (u64, u64)> = FastMap::default();
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let mut rows = stmt.query(params_from_iter(part.params.iter()))?;
        while let Some(r) = rows.next()? {
            let placed = if part.raw {
                match raw_click(r)? {
                    Some(p) => p,
                    None => continue,
                }
            } else {
                Placed {
                    selector: r.get(0)?,
                    gx: r.get(1)?,
                    gy: r.get(2)?,
                    anchor: None,
                    clicks: count(r.get(3)?),
                    rage_clicks: count(r.get(4)?),
                }
            };
            let (column, row) = scale.cell(placed.gx, placed.gy);
            let sum = sums.entry((placed.selector, column, row)).or_default();
            sum.0 += placed.clicks;
            sum.1 += placed.rage_clicks;
        }
        let names = self.selector_names(sums.keys().map(|k| k.0))?;
        Ok(sums
            .into_iter()
            .map(|((selector, column, row), (clicks, rage_clicks))| CellRow {
                selector: names.get(&selector).cloned(),
                column,
                row,
                clicks,
                rage_clicks,
            })
            .collect())
    }

    fn elements(
        &self,
        query: &HeatmapQuery,
        part: HeatPart,
    ) -> Result<Vec<ElementRow>, StoreError> {
        let part = sql_part(query, part);
        let (selector, label) = if part.raw {
            ("e.selector_id", "MAX(e.label)")
        } else {
            ("selector_id", "MAX(label)")
        };
        let from = part.source_sql("heat_elements", " AND e.selector_id IS NOT NULL");
        let sql = format!(
            "SELECT sel.value, g.label, g.clicks, g.rage FROM
               (SELECT {selector} AS id, {label} AS label, SUM({clicks}) AS clicks,
                       SUM({rage}) AS rage {from} GROUP BY 1) g
             JOIN selectors sel ON sel.id = g.id",
            clicks = part.clicks,
            rage = part.rage,
        );
        self.query_rows(&sql, &part.params, |r| {
            Ok(ElementRow {
                selector: r.get(0)?,
                label: r.get(1)?,
                clicks: count(r.get(2)?),
                rage_clicks: count(r.get(3)?),
            })
        })
    }

    fn anchors(
        &self,
        query: &HeatmapQuery,
        part: HeatPart,
        selectors: &[String],
    ) -> Result<Vec<AnchorRow>, StoreError> {
        let mut part = sql_part(query, part);
        let wanted = serde_json::to_string(selectors)
            .map_err(|e| StoreError::Corrupt(format!("selectors: {e}")))?;
        // The selectors' ids by one parameter: a layout may name hundreds.
        let among = "IN (SELECT id FROM selectors WHERE value IN (SELECT value FROM json_each(?)))";
        part.params.push(Value::Text(wanted));
        // Grouped here, as the cells are.
        let sql = if part.raw {
            let condition = format!(" AND e.selector_id {among}");
            format!(
                "SELECT {RAW_CLICK_COLUMNS} {}",
                part.source_sql("", &condition)
            )
        } else {
            format!(
                "SELECT selector_id, anchor, clicks, rage_clicks {} AND selector_id {among}",
                part.source_sql("heat_anchors", "")
            )
        };
        let mut sums: FastMap<(i64, i64), (u64, u64)> = FastMap::default();
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let mut rows = stmt.query(params_from_iter(part.params.iter()))?;
        while let Some(r) = rows.next()? {
            let (key, clicks, rage) = if part.raw {
                match raw_click(r)? {
                    Some(Placed {
                        selector,
                        anchor: Some(anchor),
                        clicks,
                        rage_clicks,
                        ..
                    }) => ((selector, anchor.code()), clicks, rage_clicks),
                    _ => continue,
                }
            } else {
                ((r.get(0)?, r.get(1)?), count(r.get(2)?), count(r.get(3)?))
            };
            let sum = sums.entry(key).or_default();
            sum.0 += clicks;
            sum.1 += rage;
        }
        let names = self.selector_names(sums.keys().map(|k| k.0))?;
        Ok(sums
            .into_iter()
            .filter_map(|((selector, code), (clicks, rage_clicks))| {
                Some(AnchorRow {
                    selector: names.get(&selector)?.clone(),
                    anchor: Anchor::from_code(code)?,
                    clicks,
                    rage_clicks,
                })
            })
            .collect())
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

/// The SQL of one source of the query's clicks.
fn sql_part(query: &HeatmapQuery, part: HeatPart) -> Part {
    sql_part_of(query, part, RAW_CLICKS)
}

/// The SQL of one source of the query's events: its rollups, or the raw
/// events that meet `raw_events`.
pub(super) fn sql_part_of(query: &HeatmapQuery, part: HeatPart, raw_events: &str) -> Part {
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
fn segments_sql(segment: WidthSegment) -> String {
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

    /// How SQLite reads the heat cells of one day of `segment`.
    fn plan_of_a_day(reader: &SqliteReader, segment: WidthSegment) -> String {
        let query = HeatmapQuery {
            pages: PagePattern::new("/product/*"),
            filter: Filter::default(),
            segment,
            columns: 64,
        };
        let day = 1_767_225_600_000;
        let part = sql_part(
            &query,
            HeatPart::Rollups {
                first: day,
                end: Some(day + 86_400_000),
            },
        );
        let sql = format!(
            "EXPLAIN QUERY PLAN SELECT clicks {}",
            part.source_sql("heat_cells", "")
        );
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
            let plan = plan_of_a_day(&reader, segment);
            assert!(
                plan.contains("segment=?") && plan.contains("day>?") && plan.contains("day<?"),
                "{segment:?}: {plan}"
            );
        }
        assert_eq!(segments_sql(WidthSegment::All), "segment IN (0, 1, 2)");
        assert_eq!(segments_sql(WidthSegment::Mobile), "segment IN (2)");
    }
}
