//! What each [`Action`] of the key table does. Actions that belong to one
//! view are handed to that view's state; the rest (views, filters, popups,
//! live) are handled here.

use super::popup::{Popup, Prompt, PromptFor};
use super::{App, View};
use crate::filters::Range;
use crate::keys::Action;
use crate::layout;
use shared::page_key::PagePattern;
use shared::store::query::Filter;

impl App {
    pub(super) fn act(&mut self, action: Action) {
        match action {
            Action::Quit => self.quit = true,
            Action::Help => self.popup = Popup::Help { scroll: 0 },
            Action::NextView => self.show(self.view.step(1)),
            Action::PrevView => self.show(self.view.step(-1)),
            Action::Show(view) => self.show(view),
            Action::Down => self.move_by(1),
            Action::Up => self.move_by(-1),
            Action::Top => self.move_by(i64::MIN / 2),
            Action::Bottom => self.move_by(i64::MAX / 2),
            Action::PageDown => self.move_by(self.page_size()),
            Action::PageUp => self.move_by(-self.page_size()),
            Action::Enter => self.enter(),
            Action::Back => self.go_back(),
            Action::Search => self.popup = Popup::Prompt(self.search_prompt()),
            Action::Filters => self.popup = Popup::Filters { field: 0 },
            Action::ClearFilters => {
                self.filter = Filter::default();
                self.filter_changed();
            }
            Action::TimeRange => {
                self.range = self.range.next();
                self.filter_changed();
            }
            Action::CustomRange => self.popup = Popup::Prompt(Prompt::range()),
            Action::Sort => self.sort(false),
            Action::SortReverse => self.sort(true),
            Action::Refresh => {
                self.live.forget_token();
                self.reload();
            }
            Action::ToggleLive => {
                let (mut cx, views) = self.parts();
                views.live.toggle(&mut cx);
            }
            Action::Segment => {
                self.heat.next_segment();
                self.ensure_loaded();
            }
            Action::HeatMode => self.toggle_heat_mode(),
            Action::Wireframe => self.heat.toggle_wireframe(),
            Action::OlderLayout => self.heat.older_layout(),
            Action::CrossFilter => match self.view {
                View::Paths => self.path_to_sessions(),
                View::Funnel => self.step_to_sessions(false),
                _ => {
                    if let Some(pattern) = self.chosen_page() {
                        self.cross_filter(pattern);
                    }
                }
            },
            Action::SavedViews => self.open_views_list(),
            Action::SaveView => self.save_prompt(),
            Action::Compare if self.view == View::Heatmap => {
                self.heat.toggle_compare();
                self.ensure_loaded();
            }
            Action::Compare => self.toggle_compare(),
            Action::CompareRange => {
                self.popup = Popup::Prompt(Prompt::new(PromptFor::CompareRange));
            }
            action => self.act_on_flows(action),
        }
    }

    /// The Paths and Funnel views' own actions.
    fn act_on_flows(&mut self, action: Action) {
        match action {
            Action::AddStep => self.popup = Popup::Prompt(Prompt::new(PromptFor::FunnelStep)),
            Action::Within => {
                let mut prompt = Prompt::new(PromptFor::Within);
                prompt.input = self
                    .funnel
                    .within_ms
                    .map(crate::filters::span_label)
                    .unwrap_or_default();
                self.popup = Popup::Prompt(prompt);
            }
            Action::DroppedSessions => self.step_to_sessions(true),
            _ => {
                let (mut cx, views) = self.parts();
                match action {
                    Action::Expand => views.paths.toggle(),
                    Action::FlipDirection => views.paths.flip(&mut cx),
                    Action::Deeper => views.paths.deepen(1, &mut cx),
                    Action::Shallower => views.paths.deepen(-1, &mut cx),
                    Action::DeleteStep => views.funnel.delete(&mut cx),
                    Action::StepUp => views.funnel.shift(-1, &mut cx),
                    Action::StepDown => views.funnel.shift(1, &mut cx),
                    _ => {}
                }
            }
        }
    }

    /// `C`: comparing on or off; the figures compared with are asked for
    /// again (or forgotten).
    fn toggle_compare(&mut self) {
        self.compare = !self.compare;
        self.reload_compared();
    }

    /// `B`: compares with `chosen` (`None`: the previous period), on: the
    /// heatmap in its view, the figures elsewhere. The range is one choice
    /// for both.
    pub(super) fn compare_with(&mut self, chosen: Option<Range>) {
        self.compare_with = chosen;
        if self.view == View::Heatmap {
            self.heat.compare = true;
        } else {
            self.compare = true;
        }
        self.reload_compared();
    }

    /// The figures compared with are asked for again (or forgotten), and
    /// the heatmap when it compares.
    fn reload_compared(&mut self) {
        self.previous_overview.fresh = false;
        self.pages.previous.fresh = false;
        if self.heat.compare {
            self.heat.map.fresh = false;
        }
        self.ensure_loaded();
    }

    /// Moves the selection of the current view by `delta` rows (saturating).
    pub(super) fn move_by(&mut self, delta: i64) {
        let view = self.view;
        let mode = self.heat.mode;
        let (mut cx, views) = self.parts();
        match view {
            View::Sessions => views.sessions.move_by(delta, &mut cx),
            View::Journey => views.journey.move_by(delta, &mut cx, mode),
            View::Heatmap => views.heat.move_by(delta, cx.body),
            View::Pages => views.pages.move_by(delta, &mut cx),
            View::Live => views.live.move_by(delta, cx.body),
            View::Paths => views.paths.move_by(delta, &cx),
            View::Funnel => views.funnel.move_by(delta, &cx),
            View::Overview => {}
        }
    }

    /// Rows PageDown and PageUp move by: a screenful less one, so one row
    /// stays in view.
    fn page_size(&self) -> i64 {
        let body = self.body();
        let rows = match self.view {
            View::Sessions => layout::sessions::visible_rows(body),
            View::Journey => layout::journey::visible_rows(body),
            View::Heatmap => self.heat.page_rows(body),
            View::Pages => layout::pages::visible_rows(body),
            View::Live => layout::live::visible_rows(body),
            View::Paths => layout::paths::visible_rows(body),
            View::Funnel => layout::funnel::visible_rows(body),
            View::Overview => 1,
        };
        i64::from(rows.max(2) - 1)
    }

    /// Opens what is selected: a session's journey, a page's heatmap.
    fn enter(&mut self) {
        match self.view {
            View::Sessions => {
                if let Some(session) = self.sessions.selected_session() {
                    self.open_session(session);
                }
            }
            View::Live => {
                if let Some(session) = self.live.selected_session() {
                    self.open_session(session);
                }
            }
            View::Pages => {
                if let Some(pattern) = self.pages.selected_page() {
                    self.open_heatmap(pattern);
                }
            }
            View::Heatmap => {
                if let Some(pattern) = self.heat.picked() {
                    self.open_heatmap(pattern);
                }
            }
            View::Overview | View::Journey | View::Paths | View::Funnel => {}
        }
    }

    /// The page pattern the cross-filter would use in the current view.
    fn chosen_page(&self) -> Option<PagePattern> {
        match self.view {
            View::Heatmap => self.heat.chosen_page(),
            View::Pages => self.pages.selected_page(),
            _ => None,
        }
    }

    /// `/`: a session id in Sessions, a page search elsewhere (starting from
    /// the one applied).
    fn search_prompt(&self) -> Prompt {
        let applied = match self.view {
            View::Heatmap => self.heat.search.clone(),
            View::Pages => self.pages.search.clone(),
            View::Paths => self.paths.start.clone(),
            _ => None,
        };
        Prompt::search(self.view, applied)
    }

    /// `s` sorts the current list by its next column, `S` reverses it.
    fn sort(&mut self, reverse: bool) {
        let view = self.view;
        let (mut cx, views) = self.parts();
        match (view, reverse) {
            (View::Sessions, false) => views.sessions.cycle_sort(&mut cx),
            (View::Sessions, true) => views.sessions.reverse_sort(&mut cx),
            (View::Pages, false) => views.pages.cycle_sort(&mut cx),
            (View::Pages, true) => views.pages.reverse_sort(&mut cx),
            _ => {}
        }
    }

    /// Braille ↔ half blocks, for the heatmap and the journey's map alike.
    fn toggle_heat_mode(&mut self) {
        self.heat.toggle_mode();
        self.journey.heat.fresh = false;
        self.ensure_loaded();
        if self.view == View::Journey {
            self.load_step_heatmap();
        }
    }

    /// Loads the heatmap of the journey's current step, if it changed.
    pub(super) fn load_step_heatmap(&mut self) {
        let mode = self.heat.mode;
        let (mut cx, views) = self.parts();
        views.journey.load_step_heatmap(&mut cx, mode);
    }

    /// The terminal is now `width` × `height`: selections stay on screen and
    /// what is sized by the screen is fetched again at the new size.
    pub(super) fn resize(&mut self, width: u16, height: u16) {
        self.size = (width, height);
        let view = self.view;
        let mode = self.heat.mode;
        let (mut cx, views) = self.parts();
        views.sessions.clamp(cx.body);
        views.heat.clamp_map_scroll(cx.body);
        match view {
            View::Heatmap => views.heat.resized(&mut cx),
            View::Journey => views.journey.load_step_heatmap(&mut cx, mode),
            View::Sessions => views.sessions.load_window(&mut cx, false),
            _ => {}
        }
    }
}
