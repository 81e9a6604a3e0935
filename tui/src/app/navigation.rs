//! Moving between views and keeping what they show up to date: showing a
//! view loads what it lacks, Esc goes back, a filter change marks every view
//! out of date, and while live new data reloads the current view.

use super::{overview, App, View};
use shared::page_key::PagePattern;
use shared::store::query::SessionRef;

/// Views remembered for Esc.
const BACK_DEPTH: usize = 16;

impl App {
    pub(super) fn show(&mut self, view: View) {
        if view != self.view {
            self.back.retain(|v| *v != view);
            self.back.push(self.view);
            self.back.truncate(BACK_DEPTH);
        }
        self.view = view;
        self.ensure_loaded();
    }

    /// Esc: the heatmap's map gives the keys back to its picker; otherwise
    /// the previous view is shown.
    pub(super) fn go_back(&mut self) {
        if self.view == View::Heatmap && self.heat.leave_map() {
            return;
        }
        if let Some(view) = self.back.pop() {
            self.view = view;
            self.ensure_loaded();
        }
    }

    pub(super) fn open_session(&mut self, session: SessionRef) {
        self.journey.open(session);
        self.show(View::Journey);
    }

    pub(super) fn open_heatmap(&mut self, pattern: PagePattern) {
        self.heat.open(pattern);
        self.show(View::Heatmap);
    }

    /// Shows the sessions that clicked on `pattern`.
    pub(super) fn cross_filter(&mut self, pattern: PagePattern) {
        self.filter.clicked_page = Some(pattern);
        self.filter_changed();
        self.show(View::Sessions);
    }

    /// The filter or the range changed: lists start from the top and every
    /// view is out of date.
    pub(super) fn filter_changed(&mut self) {
        self.reset_lists();
        self.reload();
    }

    /// Every list back to its first row.
    pub(super) fn reset_lists(&mut self) {
        self.sessions.reset_selection();
        self.pages.reset_selection();
        self.heat.reset_selection();
        self.paths.reset_selection();
    }

    /// Loads what the current view shows, where it is missing or out of date.
    pub(super) fn ensure_loaded(&mut self) {
        let view = self.view;
        let (mut cx, views) = self.parts();
        match view {
            View::Overview => {
                overview::ensure_loaded(views.overview, views.previous_overview, &mut cx)
            }
            View::Sessions => views.sessions.ensure_loaded(&mut cx),
            View::Journey => views.journey.ensure_loaded(&mut cx),
            View::Heatmap => views.heat.ensure_loaded(&mut cx),
            View::Pages => views.pages.ensure_loaded(&mut cx),
            View::Live => views.live.ensure_loaded(&mut cx),
            View::Paths => views.paths.ensure_loaded(&mut cx),
            View::Funnel => views.funnel.ensure_loaded(&mut cx),
        }
    }

    pub(super) fn reload(&mut self) {
        self.invalidate();
        self.ensure_loaded();
    }

    /// Marks every view's data as out of date (it stays on screen until the
    /// new data arrives).
    pub(super) fn invalidate(&mut self) {
        self.overview.fresh = false;
        self.previous_overview.fresh = false;
        self.sessions.window.fresh = false;
        self.paths.invalidate();
        self.funnel.invalidate();
        self.journey.invalidate();
        self.heat.invalidate();
        self.pages.invalidate();
    }

    /// Asks whether the store changed, unless a poll is out already.
    pub(super) fn poll_live(&mut self) {
        let (mut cx, views) = self.parts();
        views.live.poll(&mut cx);
    }

    /// While live, reloads the current view after new data, at most every
    /// [`super::AUTO_REFRESH_MS`].
    pub(super) fn auto_refresh(&mut self) {
        if self.live.refresh_due(self.now, self.view == View::Live) {
            self.reload();
        }
    }
}
