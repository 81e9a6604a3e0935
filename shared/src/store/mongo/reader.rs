//! The read side: every console query as aggregation pipelines that the
//! server runs over the rollups (`sessions`, `pages`) or the events; only
//! result rows and grouped counts come back.
//!
//! The same semantics as the SQLite engine: session-scoped views take
//! sessions that started in the range, event-scoped views events whose time
//! is in it; ties in every sort are broken so that pages never overlap.

use super::conditions::{frustration_expr, pattern_regex, session_stages, time_range, SessionAt};
use super::documents::{count, fields as f, float, int, text, EventDoc, SessionDoc};
use super::schema::{session_key, COMMIT_COUNTER, EVENTS, META, PAGES, SESSIONS};
use super::Connection;
use crate::page_key::PagePattern;
use crate::store::core::live;
use crate::store::core::overview::{
    assemble, device_label, SeriesGrid, SessionTotals, TopLists, TOP_LIST_ROWS,
};
use crate::store::query::*;
use crate::store::{EventReader, StoreError};
use mongodb::bson::{doc, Bson, Document};
use mongodb::Database;

/// A read-only view of a MongoDB database written by [`super::MongoWriter`].
pub struct MongoReader {
    pub(super) conn: Connection,
}

/// Runs `pipeline` over `collection` and collects every result document.
pub(super) async fn aggregate(
    db: &Database,
    collection: &str,
    pipeline: Vec<Document>,
) -> Result<Vec<Document>, StoreError> {
    let mut cursor = db
        .collection::<Document>(collection)
        .aggregate(pipeline)
        .await?;
    let mut rows = Vec::new();
    while cursor.advance().await? {
        rows.push(cursor.deserialize_current()?);
    }
    Ok(rows)
}

fn sort_direction(descending: bool) -> i32 {
    if descending {
        -1
    } else {
        1
    }
}

/// `$skip` and `$limit` of a page, or `None` for an empty page.
fn paging(page: PageRequest) -> Option<[Document; 2]> {
    (page.limit > 0).then(|| {
        [
            doc! { "$skip": i64::try_from(page.offset).unwrap_or(i64::MAX) },
            doc! { "$limit": i64::from(page.limit) },
        ]
    })
}

/// Counts by label, most first, ties by label.
fn top_counts(rows: Vec<Document>, label: impl Fn(&Bson) -> String) -> Vec<Count> {
    rows.into_iter()
        .filter_map(|d| {
            let n = count(&d, f::N);
            (n > 0).then(|| Count {
                label: label(d.get(f::ID).unwrap_or(&Bson::Null)),
                count: n,
            })
        })
        .collect()
}

impl MongoReader {
    /// Connects to the database at `url`.
    pub fn open(url: &str) -> Result<Self, StoreError> {
        Ok(Self {
            conn: Connection::open(url)?,
        })
    }

    /// The name of the database read.
    pub fn database_name(&self) -> &str {
        self.conn.database_name()
    }
}

/// The grouping of `pages` rows (at `at`, e.g. `"$pg."` or `"$"`) into
/// page statistics, sorted and paged. Distinct visitors are counted by a
/// first grouping per page and visitor (visitor ids are printable ASCII, so
/// `\u{1}` cannot occur in them), which keeps no set of visitors in memory.
fn page_rows_stages(at: &str, sort: Sort<PageSortKey>, page: [Document; 2]) -> Vec<Document> {
    const SUMS: [&str; 5] = [
        f::VIEWS,
        f::CLICKS,
        f::SCROLL_SUM,
        f::SCROLL_COUNT,
        f::RAGE_CLICKS,
    ];
    let at_field = |name: &str| format!("{at}{name}");
    let dir = sort_direction(sort.descending);
    let key = match sort.key {
        PageSortKey::Page => f::PAGE,
        PageSortKey::Views => f::VIEWS,
        PageSortKey::Visitors => "visitors",
        PageSortKey::Clicks => f::CLICKS,
        PageSortKey::ScrollDepth => f::DEPTH,
        PageSortKey::RageClicks => f::RAGE_CLICKS,
    };
    let mut order = doc! { key: dir };
    if key != f::PAGE {
        order.insert(f::PAGE, 1);
    }
    order.insert(f::ID, 1);
    let mut per_visitor = doc! {
        f::ID: { "$concat": [at_field(f::PID), "\u{1}", at_field(f::VISITOR)] },
        f::PID: { "$max": at_field(f::PID) },
        f::PAGE: { "$max": at_field(f::PAGE) },
        "sessions": { "$sum": 1 },
    };
    let mut per_page = doc! {
        f::ID: f::path::PID,
        f::PAGE: { "$max": f::path::PAGE },
        "visitors": { "$sum": 1 },
        "sessions": { "$sum": "$sessions" },
    };
    for sum in SUMS {
        per_visitor.insert(sum, doc! { "$sum": at_field(sum) });
        per_page.insert(sum, doc! { "$sum": format!("${sum}") });
    }
    let [skip, limit] = page;
    vec![
        doc! { "$group": per_visitor },
        doc! { "$group": per_page },
        doc! { "$addFields": {
            f::DEPTH: { "$cond": [
                { "$gt": [f::path::SCROLL_COUNT, 0] },
                { "$divide": [f::path::SCROLL_SUM, f::path::SCROLL_COUNT] },
                null,
            ] },
        } },
        doc! { "$sort": order },
        skip,
        limit,
    ]
}

fn page_stats(d: &Document) -> Result<PageStats, StoreError> {
    let scroll_count = count(d, f::SCROLL_COUNT);
    let scroll_sum = float(d, f::SCROLL_SUM).unwrap_or(0.0);
    Ok(PageStats {
        page: text(d, f::PAGE)
            .ok_or_else(|| StoreError::Corrupt(format!("page row without a page: {d}")))?,
        views: count(d, f::VIEWS),
        visitors: count(d, "visitors"),
        sessions: count(d, "sessions"),
        clicks: count(d, f::CLICKS),
        mean_scroll_depth: (scroll_count > 0).then(|| scroll_sum / scroll_count as f64),
        rage_clicks: count(d, f::RAGE_CLICKS),
    })
}

/// Stages joining each event's session under `s` and keeping the events of
/// sessions that meet the filter's session conditions.
pub(super) fn joined_session_stages(filter: &Filter) -> Vec<Document> {
    let mut stages = vec![
        doc! { "$lookup": {
            "from": SESSIONS,
            "localField": f::SID,
            "foreignField": f::ID,
            "as": "s",
        } },
        doc! { "$unwind": "$s" },
    ];
    stages.extend(session_stages(filter, SessionAt::Joined, false, false));
    stages
}

impl MongoReader {
    async fn overview_of(db: &Database, filter: &Filter) -> Result<Overview, StoreError> {
        let base = session_stages(filter, SessionAt::Root, true, true);
        let with = |mut tail: Vec<Document>| {
            let mut stages = base.clone();
            stages.append(&mut tail);
            stages
        };
        let totals = aggregate(
            db,
            SESSIONS,
            with(vec![doc! { "$group": {
                f::ID: null,
                "sessions": { "$sum": 1 },
                f::PAGE_VIEWS: { "$sum": f::path::PAGE_VIEWS },
                f::CLICKS: { "$sum": f::path::CLICKS },
                "bounced": { "$sum": { "$cond": [{ "$eq": [f::path::PAGE_VIEWS, 1] }, 1, 0] } },
                "viewed": { "$sum": { "$cond": [{ "$gte": [f::path::PAGE_VIEWS, 1] }, 1, 0] } },
                "duration": { "$sum": { "$subtract": [f::path::END, f::path::START] } },
                "min_start": { "$min": f::path::START },
                "max_start": { "$max": f::path::START },
            } }]),
        )
        .await?;
        let totals = totals.into_iter().next().unwrap_or_default();
        let sums = SessionTotals {
            sessions: count(&totals, "sessions"),
            page_views: count(&totals, f::PAGE_VIEWS),
            clicks: count(&totals, f::CLICKS),
            bounced: count(&totals, "bounced"),
            viewed: count(&totals, "viewed"),
            duration_ms: int(&totals, "duration").unwrap_or(0),
        };
        let visitors = aggregate(
            db,
            SESSIONS,
            with(vec![
                doc! { "$group": { f::ID: f::path::VISITOR } },
                doc! { "$count": f::N },
            ]),
        )
        .await?
        .first()
        .map_or(0, |d| count(d, f::N));

        let series = match (int(&totals, "min_start"), int(&totals, "max_start")) {
            (Some(min), Some(max)) if sums.sessions > 0 => {
                Some(Self::series_of(db, &base, filter, min, max).await?)
            }
            _ => None,
        };
        let lists = Self::top_lists_of(db, &base, filter).await?;
        Ok(assemble(visitors, sums, series, lists))
    }

    /// The overview's series over the sessions `base` keeps.
    async fn series_of(
        db: &Database,
        base: &[Document],
        filter: &Filter,
        min_start: i64,
        max_start: i64,
    ) -> Result<SeriesGrid, StoreError> {
        let mut grid = SeriesGrid::new(filter.range, min_start, max_start);
        let mut stages = base.to_vec();
        stages.push(doc! { "$group": {
            f::ID: { "$floor": { "$divide": [
                { "$subtract": [f::path::START, grid.origin] }, grid.bucket_ms,
            ] } },
            "sessions": { "$sum": 1 },
            f::PAGE_VIEWS: { "$sum": f::path::PAGE_VIEWS },
        } });
        for d in aggregate(db, SESSIONS, stages).await? {
            if let Some(index) = int(&d, f::ID) {
                grid.add(index, count(&d, "sessions"), count(&d, f::PAGE_VIEWS));
            }
        }
        Ok(grid)
    }

    /// The overview's top lists over the sessions `base` keeps.
    async fn top_lists_of(
        db: &Database,
        base: &[Document],
        filter: &Filter,
    ) -> Result<TopLists, StoreError> {
        let top = |group: Bson| {
            let mut stages = base.to_vec();
            stages.extend([
                doc! { "$group": { f::ID: group, f::N: { "$sum": 1 } } },
                doc! { "$sort": { f::N: -1, f::ID: 1 } },
                doc! { "$limit": i64::from(TOP_LIST_ROWS) },
            ]);
            stages
        };
        let as_text = |b: &Bson| match b {
            Bson::String(s) => s.clone(),
            other => other.to_string(),
        };
        let referrer =
            doc! { "$ifNull": [{ "$arrayElemAt": [f::path::ENTRY, 3] }, DIRECT_REFERRER] };
        let top_referrers = top_counts(
            aggregate(db, SESSIONS, top(Bson::Document(referrer))).await?,
            as_text,
        );
        let browsers = top_counts(
            aggregate(db, SESSIONS, top(Bson::String(f::path::BROWSER.into()))).await?,
            as_text,
        );
        let devices = top_counts(
            aggregate(db, SESSIONS, top(Bson::String(f::path::DEVICE.into()))).await?,
            |b| {
                device_label(match b {
                    Bson::Int32(v) => i64::from(*v),
                    Bson::Int64(v) => *v,
                    Bson::Double(v) => *v as i64,
                    _ => -1,
                })
            },
        );
        let pages = Self::pages_of(
            db,
            filter,
            None,
            Sort {
                key: PageSortKey::Views,
                descending: true,
            },
            PageRequest::first(TOP_LIST_ROWS),
        )
        .await?
        .into_iter()
        .map(|p| Count {
            label: p.page,
            count: p.views,
        })
        .collect();
        Ok(TopLists {
            pages,
            referrers: top_referrers,
            devices,
            browsers,
        })
    }

    async fn pages_of(
        db: &Database,
        filter: &Filter,
        pattern: Option<&PagePattern>,
        sort: Sort<PageSortKey>,
        page: PageRequest,
    ) -> Result<Vec<PageStats>, StoreError> {
        let Some(paging) = paging(page) else {
            return Ok(Vec::new());
        };
        let rows = if filter.range == TimeRange::ALL && !filter.has_session_conditions() {
            // Over all time, the per-session page rows hold everything.
            let mut matched = Document::new();
            if let Some(site) = &filter.site {
                matched.insert(f::SITE, site);
            }
            if let Some(pattern) = pattern {
                matched.insert(f::PAGE, pattern_regex(pattern));
            }
            let mut stages = vec![doc! { "$match": matched }];
            stages.extend(page_rows_stages("$", sort, paging));
            aggregate(db, PAGES, stages).await?
        } else {
            let mut stages = session_stages(filter, SessionAt::Root, true, true);
            stages.push(doc! { "$lookup": {
                "from": PAGES,
                "localField": f::ID,
                "foreignField": f::SID,
                "as": "pg",
            } });
            stages.push(doc! { "$unwind": "$pg" });
            if let Some(pattern) = pattern {
                stages.push(doc! { "$match": { "pg.page": pattern_regex(pattern) } });
            }
            stages.extend(page_rows_stages("$pg.", sort, paging));
            aggregate(db, SESSIONS, stages).await?
        };
        rows.iter().map(page_stats).collect()
    }
}

impl EventReader for MongoReader {
    fn layouts(
        &self,
        query: &crate::store::layout_query::LayoutQuery,
    ) -> Result<Vec<crate::store::layout_query::StoredLayout>, StoreError> {
        let db = self.conn.db().clone();
        let rows = self
            .conn
            .run(async move { super::layouts::rows(&db, query).await })?;
        Ok(crate::store::core::layouts::versions(rows))
    }

    fn overview(&self, filter: &Filter) -> Result<Overview, StoreError> {
        let db = self.conn.db().clone();
        self.conn
            .run(async move { Self::overview_of(&db, filter).await })
    }

    fn sessions(
        &self,
        filter: &Filter,
        sort: Sort<SessionSortKey>,
        page: PageRequest,
    ) -> Result<SessionPage, StoreError> {
        let db = self.conn.db().clone();
        self.conn.run(async move {
            let base = session_stages(filter, SessionAt::Root, true, true);
            let mut counting = base.clone();
            counting.push(doc! { "$count": f::N });
            let total = aggregate(&db, SESSIONS, counting)
                .await?
                .first()
                .map_or(0, |d| count(d, f::N));
            let Some([skip, limit]) = paging(page) else {
                return Ok(SessionPage {
                    total,
                    rows: Vec::new(),
                });
            };
            let (key, derived) = match sort.key {
                SessionSortKey::Start => (f::START, None),
                SessionSortKey::Duration => (
                    "_dur",
                    Some(doc! { "$subtract": [f::path::END, f::path::START] }),
                ),
                SessionSortKey::Events => (f::EVENTS, None),
                SessionSortKey::Pages => (f::PAGE_VIEWS, None),
                SessionSortKey::Clicks => (f::CLICKS, None),
                SessionSortKey::Entry => {
                    ("_ep", Some(doc! { "$arrayElemAt": [f::path::ENTRY, 2] }))
                }
                SessionSortKey::Exit => ("_xp", Some(doc! { "$arrayElemAt": [f::path::EXIT, 2] })),
                SessionSortKey::Device => (f::DEVICE, None),
                SessionSortKey::Browser => (f::BROWSER, None),
                SessionSortKey::Referrer => {
                    ("_ref", Some(doc! { "$arrayElemAt": [f::path::ENTRY, 3] }))
                }
                SessionSortKey::RageClicks => (f::RAGE_CLICKS, None),
                SessionSortKey::Frustration => ("_fr", Some(frustration_expr())),
            };
            let dir = sort_direction(sort.descending);
            let mut stages = base;
            if let Some(expr) = derived {
                stages.push(doc! { "$addFields": { key: expr } });
            }
            stages.push(doc! { "$sort": { key: dir, f::SESSION: dir, f::SITE: dir } });
            stages.push(skip);
            stages.push(limit);
            stages.push(doc! { "$project": { f::STEPS: 0 } });
            let rows = aggregate(&db, SESSIONS, stages)
                .await?
                .into_iter()
                .map(|d| Ok(mongodb::bson::from_document::<SessionDoc>(d)?.summary()))
                .collect::<Result<Vec<_>, StoreError>>()?;
            Ok(SessionPage { total, rows })
        })
    }

    fn journey(&self, session: &SessionRef) -> Result<Option<Journey>, StoreError> {
        let db = self.conn.db().clone();
        self.conn.run(async move {
            let mut filter = doc! { f::SESSION: &session.session_id };
            if let Some(site) = &session.site {
                filter.insert(f::SITE, site);
            }
            let found = db
                .collection::<SessionDoc>(SESSIONS)
                .find(filter)
                .projection(doc! { f::STEPS: 0 })
                .sort(doc! { f::SITE: 1 })
                .limit(1)
                .await?;
            let mut found = found;
            if !found.advance().await? {
                return Ok(None);
            }
            let summary = found.deserialize_current()?.summary();
            let sid = session_key(&summary.site, &summary.session_id);
            let mut cursor = db
                .collection::<EventDoc>(EVENTS)
                .find(doc! { f::SID: sid })
                .sort(doc! { f::TS: 1, f::EVENT_ID: 1 })
                .await?;
            let mut steps = Vec::new();
            while cursor.advance().await? {
                steps.push(cursor.deserialize_current()?.stored()?);
            }
            Ok(Some(Journey {
                session: summary,
                steps,
            }))
        })
    }

    fn pages(
        &self,
        filter: &Filter,
        pattern: Option<&PagePattern>,
        sort: Sort<PageSortKey>,
        page: PageRequest,
    ) -> Result<Vec<PageStats>, StoreError> {
        let db = self.conn.db().clone();
        self.conn
            .run(async move { Self::pages_of(&db, filter, pattern, sort, page).await })
    }

    fn scroll_reach(&self, query: &HeatmapQuery) -> Result<ScrollReach, StoreError> {
        let source = super::heat_reader::MongoHeat { conn: &self.conn };
        crate::store::core::scroll_reach::scroll_reach(&source, query)
    }

    fn heatmap(&self, query: &HeatmapQuery) -> Result<Heatmap, StoreError> {
        let source = super::heat_reader::MongoHeat { conn: &self.conn };
        crate::store::core::heatmap::heatmap(&source, query)
    }

    fn snapshot(
        &self,
        read: &mut dyn FnMut(&dyn EventReader) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        // Each query reads at its own moment (see the trait).
        read(self)
    }

    fn heatmap_on(
        &self,
        query: &HeatmapQuery,
        grid: &crate::store::heat::Scale,
    ) -> Result<Heatmap, StoreError> {
        let source = super::heat_reader::MongoHeat { conn: &self.conn };
        crate::store::core::heatmap::heatmap_on(&source, query, Some(grid))
    }

    fn heat_anchors(
        &self,
        query: &HeatmapQuery,
        selectors: &[String],
    ) -> Result<crate::store::query::ElementAnchors, StoreError> {
        let source = super::heat_reader::MongoHeat { conn: &self.conn };
        crate::store::core::heatmap::anchors(&source, query, selectors)
    }

    fn events(&self, filter: &Filter, page: PageRequest) -> Result<Vec<StoredEvent>, StoreError> {
        let Some([skip, limit]) = paging(page) else {
            return Ok(Vec::new());
        };
        let db = self.conn.db().clone();
        self.conn.run(async move {
            let mut matched = Document::new();
            if let Some(site) = &filter.site {
                matched.insert(f::SITE, site);
            }
            if let Some(ts) = time_range(filter.range) {
                matched.insert(f::TS, ts);
            }
            let mut stages = vec![doc! { "$match": matched }];
            if filter.has_session_conditions() {
                stages.extend(joined_session_stages(filter));
                stages.push(doc! { "$project": { "s": 0 } });
            }
            stages.push(doc! { "$sort": { f::TS: 1, f::EVENT_ID: 1, f::SITE: 1 } });
            stages.push(skip);
            stages.push(limit);
            aggregate(&db, EVENTS, stages)
                .await?
                .into_iter()
                .map(|d| mongodb::bson::from_document::<EventDoc>(d)?.stored())
                .collect()
        })
    }

    fn live_tail(&self, cursor: Option<&str>, limit: u32) -> Result<LiveTail, StoreError> {
        let after = live::position(cursor)?;
        if limit == 0 {
            return Ok(LiveTail {
                cursor: live::next(&[], after),
                events: Vec::new(),
            });
        }
        let db = self.conn.db().clone();
        self.conn.run(async move {
            let events = db.collection::<EventDoc>(EVENTS);
            let find = match after {
                Some(after) => events
                    .find(doc! { f::SEQ: { "$gt": after } })
                    .sort(doc! { f::SEQ: 1 }),
                None => events.find(doc! {}).sort(doc! { f::SEQ: -1 }),
            };
            let mut found = find.limit(i64::from(limit)).await?;
            let mut rows = Vec::new();
            while found.advance().await? {
                rows.push(found.deserialize_current()?.stored()?);
            }
            if after.is_none() {
                rows.reverse();
            }
            Ok(LiveTail {
                cursor: live::next(&rows, after),
                events: rows,
            })
        })
    }

    fn steps(&self, filter: &Filter) -> Result<crate::store::flow_query::StepSet, StoreError> {
        let db = self.conn.db().clone();
        let stages = session_stages(filter, SessionAt::Root, true, true);
        self.conn
            .run(async move { super::steps::step_set(&db, stages).await })
    }

    fn change_token(&self) -> Result<u64, StoreError> {
        let db = self.conn.db().clone();
        self.conn.run(async move {
            let counter = db
                .collection::<Document>(META)
                .find_one(doc! { f::ID: COMMIT_COUNTER })
                .await?;
            Ok(counter.as_ref().map_or(0, |d| count(d, f::N)))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_page_asks_nothing() {
        assert!(paging(PageRequest::first(0)).is_none());
        assert!(paging(PageRequest::first(1)).is_some());
    }
}
