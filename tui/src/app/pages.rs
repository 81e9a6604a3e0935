//! The Pages view's state and update: page keys with their figures, fetched a
//! chunk at a time as the selection nears the end of what is loaded,
//! sortable, narrowed by a typed search; beside them, while comparing, the
//! previous period's views of each page.

use super::context::Ctx;
use super::popup::search_pattern;
use super::remote::{unpack, Remote};
use super::selection::{keep_visible, step_index};
use crate::layout;
use crate::sort_order;
use crate::worker::{Answer, Pane, Query};
use shared::page_key::PagePattern;
use shared::store::query::{PageRequest, PageSortKey, PageStats, Sort};
use std::collections::HashMap;

/// Rows of the page list fetched at once; more follow as the selection
/// nears the end of what is loaded.
pub const PAGES_LIMIT: u32 = 500;

/// The columns `s` cycles through.
pub const SORT_KEYS: [PageSortKey; 6] = [
    PageSortKey::Views,
    PageSortKey::Visitors,
    PageSortKey::Clicks,
    PageSortKey::ScrollDepth,
    PageSortKey::RageClicks,
    PageSortKey::Page,
];

#[derive(Debug, Clone, PartialEq)]
pub struct PagesState {
    pub rows: Remote<Vec<PageStats>>,
    /// The generation of the request for the rows after those loaded, while
    /// one is out.
    pub more_pending: Option<u64>,
    /// The last answer was a full chunk: there may be more rows.
    pub more: bool,
    pub selected: usize,
    pub scroll: usize,
    pub sort: Sort<PageSortKey>,
    pub search: Option<String>,
    /// Views per page in the period compared with (its most viewed pages).
    pub previous: Remote<HashMap<String, u64>>,
    /// Quick backs and dead ends per page (pages with neither are absent).
    /// Asked for beside the rows: they come from the sessions' steps, which
    /// take longer than the rollups the rows come from.
    pub frustration: Remote<HashMap<String, (u64, u64)>>,
}

impl Default for PagesState {
    /// Most viewed first.
    fn default() -> Self {
        Self {
            rows: Remote::default(),
            more_pending: None,
            more: false,
            selected: 0,
            scroll: 0,
            sort: sort_order::page(PageSortKey::Views),
            search: None,
            previous: Remote::default(),
            frustration: Remote::default(),
        }
    }
}

impl PagesState {
    /// The selected row's page.
    pub(super) fn selected_page(&self) -> Option<PagePattern> {
        self.rows
            .data
            .as_ref()
            .and_then(|r| r.get(self.selected))
            .map(|p| PagePattern::new(&p.page))
    }

    fn loaded(&self) -> usize {
        self.rows.data.as_ref().map_or(0, Vec::len)
    }

    /// Back to the first row.
    pub(super) fn reset_selection(&mut self) {
        self.selected = 0;
        self.scroll = 0;
    }

    /// Marks the rows out of date.
    pub(super) fn invalidate(&mut self) {
        self.rows.fresh = false;
        self.previous.fresh = false;
        self.frustration.fresh = false;
    }

    pub(super) fn ensure_loaded(&mut self, cx: &mut Ctx) {
        if !self.rows.fresh {
            self.load(cx);
        }
        if !self.previous.fresh {
            self.load_previous(cx);
        }
        if !self.frustration.fresh {
            let generation = cx.send(
                Pane::PageFrustration,
                Query::PageFrustration(cx.query_filter()),
            );
            self.frustration.wait_for(generation);
        }
    }

    /// Takes the quick backs and dead ends by page asked for as
    /// `generation`, unless stale.
    pub(super) fn frustration_answer(&mut self, generation: u64, result: Result<Answer, String>) {
        let result = unpack(result, |a| match a {
            Answer::PageFrustration(rows) => Some(
                rows.into_iter()
                    .map(|p| (p.page, (p.quick_backs, p.dead_ends)))
                    .collect(),
            ),
            _ => None,
        });
        self.frustration.accept(generation, result);
    }

    /// Quick backs and dead ends on `page`: `None` until they are loaded.
    pub fn frustration_of(&self, page: &str) -> Option<(u64, u64)> {
        let loaded = self.frustration.data.as_ref()?;
        Some(loaded.get(page).copied().unwrap_or((0, 0)))
    }

    /// Asks for the previous period's pages (matching the search), or,
    /// without a previous period, forgets them.
    fn load_previous(&mut self, cx: &mut Ctx) {
        let Some(filter) = cx.previous_filter() else {
            self.previous = Remote::default();
            self.previous.fresh = true;
            return;
        };
        let query = Query::PreviousPages {
            filter,
            pattern: self.search.as_deref().map(search_pattern),
        };
        let generation = cx.send(Pane::PreviousPages, query);
        self.previous.wait_for(generation);
    }

    /// Takes the previous period's pages asked for as `generation`, unless
    /// stale.
    pub(super) fn previous_answer(&mut self, generation: u64, result: Result<Answer, String>) {
        let result = unpack(result, |a| match a {
            Answer::PreviousPages(p) => Some(p.into_iter().map(|p| (p.page, p.views)).collect()),
            _ => None,
        });
        self.previous.accept(generation, result);
    }

    /// Views of `page` in the period compared with: `None` when not
    /// comparing; 0 for a page not among its most viewed.
    pub fn previous_views(&self, page: &str) -> Option<u64> {
        let previous = self.previous.data.as_ref()?;
        Some(previous.get(page).copied().unwrap_or(0))
    }

    /// Fetches the list from its first row. A next chunk still on its way
    /// belongs to the old list: it is no longer waited for.
    fn load(&mut self, cx: &mut Ctx) {
        let query = self.query(cx, PageRequest::first(PAGES_LIMIT));
        let generation = cx.send(Pane::Pages, query);
        self.rows.wait_for(generation);
        self.more_pending = None;
    }

    /// Fetches the next chunk of the list when the selection is within
    /// a screen of the end of what is loaded.
    fn load_more(&mut self, cx: &mut Ctx) {
        let loaded = self.loaded();
        let screen = layout::pages::visible_rows(cx.body) as usize;
        if !self.more
            || self.more_pending.is_some()
            || self.rows.pending.is_some()
            || self.selected + 2 * screen < loaded
        {
            return;
        }
        let page = PageRequest {
            offset: loaded as u64,
            limit: PAGES_LIMIT,
        };
        let query = self.query(cx, page);
        self.more_pending = Some(cx.send(Pane::MorePages, query));
    }

    fn query(&self, cx: &Ctx, page: PageRequest) -> Query {
        Query::Pages {
            filter: cx.query_filter(),
            pattern: self.search.as_deref().map(search_pattern),
            sort: self.sort,
            page,
        }
    }

    /// Takes the first chunk requested as `generation`, unless stale.
    pub(super) fn answer(&mut self, generation: u64, result: Result<Answer, String>) {
        let result = unpack(result, |a| match a {
            Answer::Pages(p) => Some(p),
            _ => None,
        });
        if self.rows.accept(generation, result) {
            let n = self.loaded();
            self.more = n == PAGES_LIMIT as usize;
            self.selected = self.selected.min(n.saturating_sub(1));
        }
    }

    /// Appends the next chunk requested as `generation`, unless stale.
    pub(super) fn more_answer(&mut self, generation: u64, result: Result<Answer, String>) {
        if self.more_pending != Some(generation) {
            return;
        }
        self.more_pending = None;
        match result {
            Ok(Answer::Pages(more)) => {
                self.more = more.len() == PAGES_LIMIT as usize;
                if let Some(rows) = self.rows.data.as_mut() {
                    rows.extend(more);
                }
            }
            Ok(_) => self.rows.error = Some("unexpected answer".into()),
            Err(error) => self.rows.error = Some(error),
        }
    }

    pub(super) fn move_by(&mut self, delta: i64, cx: &mut Ctx) {
        self.selected = step_index(self.selected, delta, self.loaded());
        let rows = layout::pages::visible_rows(cx.body) as usize;
        self.scroll = keep_visible(self.scroll, self.selected, rows);
        self.load_more(cx);
    }

    /// Sorts by the next column: numbers biggest first, pages A to Z.
    pub(super) fn cycle_sort(&mut self, cx: &mut Ctx) {
        let i = SORT_KEYS
            .iter()
            .position(|k| *k == self.sort.key)
            .unwrap_or(0);
        self.sort = sort_order::page(SORT_KEYS[(i + 1) % SORT_KEYS.len()]);
        self.sort_changed(cx);
    }

    pub(super) fn reverse_sort(&mut self, cx: &mut Ctx) {
        self.sort.descending = !self.sort.descending;
        self.sort_changed(cx);
    }

    fn sort_changed(&mut self, cx: &mut Ctx) {
        self.reset_selection();
        self.load(cx);
    }

    /// Narrows the list to `search` and fetches it.
    pub(super) fn search_for(&mut self, search: Option<String>, cx: &mut Ctx) {
        self.search = search;
        self.reset_selection();
        self.load(cx);
        self.load_previous(cx);
    }
}
