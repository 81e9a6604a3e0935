//! What the mouse does: the wheel scrolls like j/k, a click on a tab shows
//! its view, a click on a row selects it and a click on the selected row
//! opens it. Hit-testing asks [`crate::layout`], as the drawing code does.

use super::{App, HeatFocus, Msg, Popup, View};
use crate::keys::Action;
use crate::layout;
use ratatui::crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::{Position, Rect};

impl App {
    pub(super) fn mouse(&mut self, event: MouseEvent) -> Option<Msg> {
        let at = Position::new(event.column, event.row);
        match event.kind {
            MouseEventKind::ScrollDown => Some(Msg::Action(Action::Down)),
            MouseEventKind::ScrollUp => Some(Msg::Action(Action::Up)),
            MouseEventKind::Down(MouseButton::Left) => {
                if self.popup != Popup::None {
                    self.popup = Popup::None;
                    return None;
                }
                let screen = Rect::new(0, 0, self.size.0, self.size.1);
                if let Some(view) = layout::tab_at(screen, at) {
                    self.show(view);
                    return None;
                }
                self.click_row(at)
            }
            _ => None,
        }
    }

    /// Selects the clicked row; a click on the selected row opens it.
    fn click_row(&mut self, at: Position) -> Option<Msg> {
        let (area, first, selected) = self.rows_on_screen()?;
        if !area.contains(at) {
            return None;
        }
        if self.view == View::Heatmap {
            self.heat.focus = HeatFocus::Picker;
        }
        let index = first + usize::from(at.y - area.y);
        if index == selected {
            let open = match self.view {
                View::Paths => Action::Expand,
                _ => Action::Enter,
            };
            return Some(Msg::Action(open));
        }
        self.move_by(index as i64 - selected as i64);
        None
    }

    /// The current view's list: where its rows are, the index of the first
    /// one shown, and the selected index. The Overview has no list.
    fn rows_on_screen(&self) -> Option<(Rect, usize, usize)> {
        let body = self.body();
        Some(match self.view {
            View::Sessions => (
                layout::sessions::rows_area(body),
                self.sessions.scroll as usize,
                self.sessions.selected as usize,
            ),
            View::Journey => (
                layout::journey::rows_area(body),
                self.journey.scroll,
                self.journey.step,
            ),
            View::Heatmap => (
                layout::heatmap::picker_area(body),
                self.heat.scroll,
                self.heat.selected,
            ),
            View::Pages => (
                layout::pages::rows_area(body),
                self.pages.scroll,
                self.pages.selected,
            ),
            View::Live => (
                layout::live::rows_area(body),
                self.live.scroll,
                self.live.selected,
            ),
            View::Paths => (
                layout::paths::rows_area(body),
                self.paths.scroll,
                self.paths.selected,
            ),
            View::Funnel => (
                layout::funnel::rows_area(body),
                self.funnel.scroll,
                self.funnel.selected,
            ),
            View::Overview => return None,
        })
    }
}
