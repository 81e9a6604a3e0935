//! The Sessions view's state and update: a window of rows around the visible
//! ones, fetched as the selection moves, sortable by any column.

use super::context::Ctx;
use super::remote::{unpack, Remote};
use super::selection::step;
use crate::layout;
use crate::sort_order;
use crate::worker::{Answer, Pane, Query};
use ratatui::layout::Rect;
use shared::store::query::{
    PageRequest, SessionPage, SessionRef, SessionSortKey, SessionSummary, Sort,
};

/// Session rows fetched per request.
pub const SESSION_WINDOW: u32 = 200;

#[derive(Debug, Clone, PartialEq)]
pub struct SessionsState {
    pub sort: Sort<SessionSortKey>,
    /// Absolute index of the selected session.
    pub selected: u64,
    /// Absolute index of the first visible row.
    pub scroll: u64,
    /// The loaded window of rows (offset, page).
    pub window: Remote<(u64, SessionPage)>,
    /// The offset of the window in flight.
    pending_offset: Option<u64>,
}

impl Default for SessionsState {
    /// Newest sessions first.
    fn default() -> Self {
        Self {
            sort: sort_order::session(SessionSortKey::Start),
            selected: 0,
            scroll: 0,
            window: Remote::default(),
            pending_offset: None,
        }
    }
}

impl SessionsState {
    pub fn total(&self) -> u64 {
        self.window.data.as_ref().map_or(0, |(_, p)| p.total)
    }

    /// The row at absolute index `i`, if loaded.
    pub fn row(&self, i: u64) -> Option<&SessionSummary> {
        let (offset, page) = self.window.data.as_ref()?;
        let at = i.checked_sub(*offset)?;
        page.rows.get(usize::try_from(at).ok()?)
    }

    /// The selected session, to open in the journey.
    pub(super) fn selected_session(&self) -> Option<SessionRef> {
        self.row(self.selected).map(|row| SessionRef {
            site: Some(row.site.clone()),
            session_id: row.session_id.clone(),
        })
    }

    /// The view is shown: rows fetched under another filter are dropped
    /// rather than shown under the new one.
    pub(super) fn ensure_loaded(&mut self, cx: &mut Ctx) {
        if !self.window.fresh {
            self.window.data = None;
        }
        self.load_window(cx, false);
    }

    /// Back to the first row (the filter or the sort changed).
    pub(super) fn reset_selection(&mut self) {
        self.selected = 0;
        self.scroll = 0;
    }

    /// Fetches the window of sessions around the visible rows, unless loaded
    /// (or `force`).
    pub(super) fn load_window(&mut self, cx: &mut Ctx, force: bool) {
        let visible = u64::from(layout::sessions::visible_rows(cx.body));
        let first = self.scroll;
        let last = first + visible.max(1);
        let loaded = self.window.data.as_ref().is_some_and(|(offset, page)| {
            let end = offset + page.rows.len() as u64;
            *offset <= first && (last <= end || end >= page.total)
        });
        if !force && self.window.fresh && loaded {
            return;
        }
        let offset = first.saturating_sub(u64::from(SESSION_WINDOW) / 4);
        if !force
            && self.window.fresh
            && self.window.pending.is_some()
            && self.pending_offset == Some(offset)
        {
            // That very window is on its way.
            return;
        }
        let query = Query::Sessions {
            filter: cx.query_filter(),
            sort: self.sort,
            page: PageRequest {
                offset,
                limit: SESSION_WINDOW,
            },
        };
        let generation = cx.send(Pane::Sessions, query);
        self.window.wait_for(generation);
        self.pending_offset = Some(offset);
    }

    /// Takes the window requested as `generation`, unless it is stale.
    pub(super) fn answer(&mut self, generation: u64, result: Result<Answer, String>, body: Rect) {
        if self.window.pending != Some(generation) {
            return;
        }
        let offset = self.pending_offset.take().unwrap_or(0);
        let result = unpack(result, |a| match a {
            Answer::Sessions(page) => Some((offset, page)),
            _ => None,
        });
        self.window.accept(generation, result);
        self.clamp(body);
    }

    /// Keeps the selection within the rows and on screen.
    pub(super) fn clamp(&mut self, body: Rect) {
        let total = self.total();
        if total == 0 {
            self.selected = 0;
            self.scroll = 0;
            return;
        }
        if self.window.data.is_some() {
            self.selected = self.selected.min(total - 1);
        }
        let rows = u64::from(layout::sessions::visible_rows(body)).max(1);
        if self.selected < self.scroll {
            self.scroll = self.selected;
        } else if self.selected >= self.scroll + rows {
            self.scroll = self.selected + 1 - rows;
        }
    }

    pub(super) fn move_by(&mut self, delta: i64, cx: &mut Ctx) {
        self.selected = step(self.selected, delta, self.total());
        self.clamp(cx.body);
        self.load_window(cx, false);
    }

    /// Sorts by the next column, in that column's natural direction.
    pub(super) fn cycle_sort(&mut self, cx: &mut Ctx) {
        let all = SessionSortKey::ALL;
        let i = all.iter().position(|k| *k == self.sort.key).unwrap_or(0);
        self.sort = sort_order::session(all[(i + 1) % all.len()]);
        self.sort_changed(cx);
    }

    pub(super) fn reverse_sort(&mut self, cx: &mut Ctx) {
        self.sort.descending = !self.sort.descending;
        self.sort_changed(cx);
    }

    fn sort_changed(&mut self, cx: &mut Ctx) {
        self.reset_selection();
        self.window.fresh = false;
        self.load_window(cx, true);
    }
}
