//! The page list over a range or with session conditions: the session pages
//! of the sessions the filter selects, summed per page in a hash. SQLite's
//! `GROUP BY` with `COUNT(DISTINCT visitor)` sorts every row, and a distinct
//! set per group on top: 184 ms for a day of sessions at 10M events, where
//! reading the same rows takes about 25.

use super::reader::{session_conditions, text, Conditions, SqliteReader};
use super::rollups::ExactSum;
use crate::page_key::PagePattern;
use crate::store::core::pages::order;
use crate::store::fast_hash::{FastMap, FastSet};
use crate::store::query::{Filter, PageRequest, PageSortKey, PageStats, Sort};
use crate::store::StoreError;
use rusqlite::params_from_iter;

/// One page's sums so far.
#[derive(Default)]
struct Sums {
    views: u64,
    sessions: u64,
    clicks: u64,
    scroll_sum: ExactSum,
    scroll_count: u64,
    rage_clicks: u64,
    /// Distinct visitors (counted through `seen`).
    visitors: u64,
}

/// The page list of the sessions `filter` selects.
pub(super) fn page_list(
    reader: &SqliteReader,
    filter: &Filter,
    pattern: Option<&PagePattern>,
    sort: Sort<PageSortKey>,
    page: PageRequest,
) -> Result<Vec<PageStats>, StoreError> {
    let mut c = Conditions::default();
    session_conditions(filter, true, &mut c);
    if let Some(pattern) = pattern {
        c.push("page_match(?, p.key)", [text(pattern.as_str())]);
    }
    // With a bounded range, walk the sessions that started in it (by the
    // start index) and their pages, rather than every page of every session.
    let from = if filter.range.from.is_some() || filter.range.to.is_some() {
        "sessions s CROSS JOIN session_pages sp ON sp.session_id = s.id"
    } else {
        "session_pages sp JOIN sessions s ON s.id = sp.session_id"
    };
    let sql = format!(
        "SELECT sp.page_id, p.key, s.visitor_key, sp.views, sp.clicks, sp.scroll_sum,
                sp.scroll_count, sp.rage_clicks
         FROM {from}
         JOIN pages p ON p.id = sp.page_id{}",
        c.sql()
    );
    let mut sums: FastMap<i64, (String, Sums)> = FastMap::default();
    // Visitors by a number of their own, so that a (page, visitor) pair is
    // two integers.
    let mut visitor_ids: FastMap<String, u64> = FastMap::default();
    let mut seen: FastSet<(i64, u64)> = FastSet::default();
    let mut stmt = reader.conn.prepare_cached(&sql)?;
    let mut rows = stmt.query(params_from_iter(c.params.iter()))?;
    while let Some(r) = rows.next()? {
        let page_id: i64 = r.get(0)?;
        let visitor = r.get_ref(2)?.as_str().unwrap_or_default();
        let next = visitor_ids.len() as u64;
        let visitor = match visitor_ids.get(visitor) {
            Some(id) => *id,
            None => {
                visitor_ids.insert(visitor.to_owned(), next);
                next
            }
        };
        let (_, page) = match sums.get_mut(&page_id) {
            Some(entry) => entry,
            None => sums.entry(page_id).or_insert((r.get(1)?, Sums::default())),
        };
        page.views += r.get::<_, u64>(3)?;
        page.sessions += 1;
        page.clicks += r.get::<_, u64>(4)?;
        page.scroll_sum.add(r.get::<_, f64>(5)?);
        page.scroll_count += r.get::<_, u64>(6)?;
        page.rage_clicks += r.get::<_, u64>(7)?;
        if seen.insert((page_id, visitor)) {
            page.visitors += 1;
        }
    }
    let rows = sums
        .into_values()
        .map(|(key, s)| PageStats {
            page: key,
            views: s.views,
            visitors: s.visitors,
            sessions: s.sessions,
            clicks: s.clicks,
            mean_scroll_depth: (s.scroll_count > 0)
                .then(|| s.scroll_sum.value() / s.scroll_count as f64),
            rage_clicks: s.rage_clicks,
        })
        .collect();
    Ok(order(rows, sort, page))
}
