//! The heatmap query. Without session conditions, the days wholly inside the
//! range are read from the heatmap rollups and only the partial days at the
//! range's edges from raw clicks; with session conditions, everything comes
//! from raw clicks joined to their sessions. Both parts bin on the same fine
//! grid ([`crate::store::heat`]), so the answer does not depend on the split.

use super::reader::{session_conditions, text, Conditions, SqliteReader};
use crate::event::FLAG_RAGE_CLICK;
use crate::limits::{HEAT_GRID_X, HEAT_GRID_Y_PX};
use crate::store::heat::{empty_heatmap, segment_code, whole_days, Bins, ElementSum, Extents};
use crate::store::query::{Heatmap, HeatmapQuery, WidthSegment};
use crate::store::StoreError;
use rusqlite::types::Value;
use std::collections::HashMap;

/// One source of clicks: the rollups over whole days, or raw click events.
struct Part {
    /// `FROM` (raw clicks: with the join) and `WHERE` clauses; rollup parts
    /// name their table when asked, since the three rollups share keys.
    from: String,
    where_sql: String,
    params: Vec<Value>,
    /// Raw click events (`e`) rather than rollup rows.
    raw: bool,
    /// Column expressions of this source.
    clicks: String,
    rage: String,
    gx: String,
    gy: String,
}

impl Part {
    /// `FROM … WHERE …` of this part: for rollups over `rollup_table`, for
    /// raw clicks with `raw_condition` (` AND …`) added.
    fn source_sql(&self, rollup_table: &str, raw_condition: &str) -> String {
        if self.raw {
            format!("FROM {}{}{raw_condition}", self.from, self.where_sql)
        } else {
            format!("FROM {rollup_table}{}", self.where_sql)
        }
    }
}

impl SqliteReader {
    pub(super) fn heatmap_query(&self, query: &HeatmapQuery) -> Result<Heatmap, StoreError> {
        let columns = query.columns.clamp(1, 10_000);
        // One snapshot for every statement below.
        let tx = self.conn.unchecked_transaction()?;
        let parts = self.parts(query);

        // Page widths and heights, by width.
        let mut extents = Extents::default();
        for part in &parts {
            let (pw, clicks, ph, y) = if part.raw {
                ("e.pw", "COUNT(*)", "MAX(e.ph)", "MAX(e.y)")
            } else {
                ("pw", "SUM(clicks)", "MAX(max_ph)", "MAX(max_y)")
            };
            let from = part.source_sql("heat_extents", "");
            let sql = format!("SELECT {pw}, {clicks}, {ph}, {y} {from} GROUP BY 1");
            for (w, n, ph, y) in self.query_rows(&sql, &part.params, |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, Option<i64>>(2)?,
                    r.get::<_, Option<i64>>(3)?,
                ))
            })? {
                extents.add(w, u64::try_from(n).unwrap_or(0), ph, y);
            }
        }
        let Some((total, scale)) = extents.scale(columns) else {
            tx.finish()?;
            return Ok(empty_heatmap(columns));
        };

        // Fine cells scaled to the grid asked for.
        let mut bins = Bins::new();
        for part in &parts {
            let sql = format!(
                "SELECT {gx} * {cols} / {grid_x} AS col,
                        min({last_row}, {gy} * {grid_y} * {cols} / {width}) AS row,
                        SUM({clicks}), SUM({rage}) {from} GROUP BY row, col",
                gx = part.gx,
                gy = part.gy,
                cols = scale.columns,
                grid_x = HEAT_GRID_X,
                grid_y = HEAT_GRID_Y_PX,
                last_row = scale.rows - 1,
                width = scale.page_width,
                clicks = part.clicks,
                rage = part.rage,
                from = part.source_sql("heat_cells", ""),
            );
            for (col, row, n, rage) in self.query_rows(&sql, &part.params, |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, i64>(3)?,
                ))
            })? {
                let col = col.clamp(0, i64::from(scale.columns) - 1) as u32;
                let row = row.clamp(0, i64::from(scale.rows) - 1) as u32;
                let bin = bins.entry((row, col)).or_default();
                bin.0 += n.max(0) as u64;
                bin.1 += rage.max(0) as u64;
            }
        }

        // Clicked elements.
        let mut elements: HashMap<String, ElementSum> = HashMap::new();
        for part in &parts {
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
            for (value, label, n, rage) in self.query_rows(&sql, &part.params, |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, i64>(3)?,
                ))
            })? {
                let e = elements.entry(value).or_default();
                e.label = e.label.take().max(label);
                e.clicks += n.max(0) as u64;
                e.rage_clicks += rage.max(0) as u64;
            }
        }
        tx.finish()?;
        Ok(scale.heatmap(total, bins, elements))
    }

    /// The sources of the query's clicks.
    fn parts(&self, query: &HeatmapQuery) -> Vec<Part> {
        let filter = &query.filter;
        let (from, to) = (filter.range.from, filter.range.to);
        let mut pages_sql = "SELECT id FROM pages WHERE page_match(?, key)".to_owned();
        let mut page_params = vec![text(query.pages.as_str())];
        if let Some(site) = &filter.site {
            pages_sql.push_str(" AND site_id = (SELECT id FROM sites WHERE key = ?)");
            page_params.push(text(site));
        }

        // Raw clicks: the whole range with session conditions, else only the
        // parts of the range outside whole days.
        let mut raw = Conditions::default();
        raw.push(&format!("e.page_id IN ({pages_sql})"), page_params.clone());
        raw.push("e.kind = 1", []);
        raw.push("e.pw > 0 AND e.x IS NOT NULL AND e.y IS NOT NULL", []);
        if let Some(from) = from {
            raw.push("e.ts >= ?", [Value::Integer(from)]);
        }
        if let Some(to) = to {
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
        let mut parts = Vec::with_capacity(2);
        let join = if filter.has_session_conditions() {
            session_conditions(filter, false, &mut raw);
            " JOIN sessions s ON s.id = e.session_id"
        } else {
            let (first, end) = whole_days(from, to);
            let has_whole_days = end.is_none_or(|end| first < end);
            if has_whole_days {
                let mut rolled = Conditions::default();
                rolled.push(&format!("page_id IN ({pages_sql})"), page_params);
                if query.segment != WidthSegment::All {
                    rolled.push("segment = ?", [Value::Integer(segment_code(query.segment))]);
                }
                if first != i64::MIN {
                    rolled.push("day >= ?", [Value::Integer(first)]);
                }
                if let Some(end) = end {
                    rolled.push("day < ?", [Value::Integer(end)]);
                }
                parts.push(Part {
                    from: String::new(),
                    where_sql: rolled.sql(),
                    params: rolled.params,
                    raw: false,
                    clicks: "clicks".to_owned(),
                    rage: "rage_clicks".to_owned(),
                    gx: "gx".to_owned(),
                    gy: "gy".to_owned(),
                });
                match end {
                    Some(end) => raw.push(
                        "(e.ts < ? OR e.ts >= ?)",
                        [Value::Integer(first), Value::Integer(end)],
                    ),
                    None => raw.push("e.ts < ?", [Value::Integer(first)]),
                }
            }
            ""
        };
        parts.push(Part {
            from: format!("events e{join}"),
            where_sql: raw.sql(),
            params: raw.params,
            raw: true,
            clicks: "1".to_owned(),
            rage: format!("(e.flags & {FLAG_RAGE_CLICK} <> 0)"),
            gx: format!(
                "max(0, min({}, e.x * {HEAT_GRID_X} / e.pw))",
                HEAT_GRID_X - 1
            ),
            gy: format!("(max(0, e.y) / {HEAT_GRID_Y_PX})"),
        });
        parts
    }
}
