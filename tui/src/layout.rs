//! Where everything goes on the screen.
//!
//! Pure functions of a terminal area, asked by both sides of the console: the
//! drawing code ([`crate::render`], [`crate::views`]) to place what it draws,
//! and `update` to page by a screenful, hit-test mouse clicks and size the
//! heatmap's grid. One answer for both means a click always lands on the row
//! that is drawn there. Nothing here reads the state or draws.
//!
//! ```text
//! screen                          journey body
//! ┌ header (tabs) ───────────┐    ┌ header (4 lines) ──────────────┐
//! │ chips                    │    ├ steps (3/5) ──────┬ map (2/5) ─┤
//! │ body                     │    │ table rows        │ map        │
//! │                          │    │ detail (2 lines)  │ legend     │
//! │ footer                   │    └───────────────────┴────────────┘
//! └──────────────────────────┘
//! heatmap body                    live body
//! ┌ picker ──┬ map ──────────┐    ┌ sparkline (5 lines) ───────────┐
//! │ rows     │ map           │    ├ table ─────────────────────────┤
//! │          │ legend        │    │ rows                           │
//! │          ├ elements ─────┤    └────────────────────────────────┘
//! └──────────┴───────────────┘
//! ```
//! Sessions, Pages, Paths and Funnel are one bordered table filling the body
//! (the Funnel's keeps its last line for the steps' hint).

use crate::view::View;
use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::widgets::Block;

/// The four bands of the screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Screen {
    /// The tabs, with the loading and live marks on the right.
    pub header: Rect,
    /// The range and filter chips.
    pub chips: Rect,
    /// The current view; popups are drawn over it.
    pub body: Rect,
    /// The key hints.
    pub footer: Rect,
}

/// Splits a screen of `area` into its bands.
pub fn screen(area: Rect) -> Screen {
    let [header, chips, body, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(1),
    ])
    .areas(area);
    Screen {
        header,
        chips,
        body,
        footer,
    }
}

/// The tabs of the header of a screen of `area`, and where they are. Tabs
/// that do not fit are left out.
pub fn tabs(area: Rect) -> Vec<(View, Rect)> {
    let header = screen(area).header;
    let mut x = header.x + 1;
    let mut out = Vec::new();
    for view in View::ALL {
        let width = (view.title().len() + 2) as u16;
        if x + width > header.right() {
            break;
        }
        out.push((view, Rect::new(x, header.y, width, 1)));
        x += width + 2;
    }
    out
}

/// The view whose tab is at `at` on a screen of `area`.
pub fn tab_at(area: Rect, at: Position) -> Option<View> {
    tabs(area)
        .into_iter()
        .find(|(_, r)| r.contains(at))
        .map(|(v, _)| v)
}

/// A `width` × `height` rectangle in the middle of `area`.
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let width = width.min(area.width);
    let height = height.min(area.height);
    Rect::new(
        area.x + (area.width - width) / 2,
        area.y + (area.height - height) / 2,
        width,
        height,
    )
}

/// Where a bordered table's rows go: inside `table` (the block's area),
/// below its one header line, less `reserved` lines at the bottom.
pub fn table_rows(table: Rect, reserved: u16) -> Rect {
    let inner = Block::bordered().inner(table);
    Rect::new(
        inner.x,
        inner.y + 1,
        inner.width,
        inner.height.saturating_sub(1 + reserved),
    )
}

/// The parts of a bordered map box.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MapParts {
    pub map: Rect,
    /// The scroll reach gutter right of the map (no width when not asked
    /// for, or when the box is too narrow to spare it).
    pub gutter: Rect,
    /// One line about the layout under the map (its version, or that there
    /// is none).
    pub note: Rect,
    /// The one-line legend.
    pub legend: Rect,
}

/// Columns of the scroll reach gutter beside a map: its bar, a space and a
/// mark (`75%`).
pub const REACH_GUTTER: u16 = 5;

/// Inside a bordered map box: the map with a gutter `gutter` columns wide
/// on its right (none in a box under 40 columns), then the layout's line
/// and the legend below it.
pub fn map_parts(map_box: Rect, gutter: u16) -> MapParts {
    let inner = Block::bordered().inner(map_box);
    let gutter = if inner.width >= 40 { gutter } else { 0 };
    let map_height = inner.height.saturating_sub(2);
    let line = |from_bottom: u16| {
        let y = inner.bottom().saturating_sub(from_bottom).max(inner.y);
        Rect::new(
            inner.x,
            y,
            inner.width,
            u16::from(inner.height >= from_bottom),
        )
    };
    MapParts {
        map: Rect::new(inner.x, inner.y, inner.width - gutter, map_height),
        gutter: Rect::new(inner.right() - gutter, inner.y, gutter, map_height),
        note: line(2),
        legend: line(1),
    }
}

/// Overview: figures, the chart, and four top lists side by side.
pub mod overview {
    use super::*;

    pub struct Regions {
        pub figures: Rect,
        pub chart: Rect,
        /// Top pages, referrers, devices, browsers.
        pub lists: [Rect; 4],
    }

    pub fn regions(body: Rect) -> Regions {
        // Short screens give the chart the lines the lists would take.
        let lists_height = if body.height >= 20 { 8 } else { 6 };
        let [figures, chart, lists] = Layout::vertical([
            Constraint::Length(4),
            Constraint::Fill(1),
            Constraint::Length(lists_height),
        ])
        .areas(body);
        let lists = Layout::horizontal([Constraint::Fill(1); 4]).areas(lists);
        Regions {
            figures,
            chart,
            lists,
        }
    }
}

/// Sessions: one table filling the body.
pub mod sessions {
    use super::*;

    /// Where the rows are drawn.
    pub fn rows_area(body: Rect) -> Rect {
        table_rows(body, 0)
    }

    pub fn visible_rows(body: Rect) -> u16 {
        rows_area(body).height
    }
}

/// Journey: the session's header over the steps and the step's heatmap.
pub mod journey {
    use super::*;

    /// Lines of the session header box.
    const HEADER: u16 = 4;
    /// Lines under the steps table for the current step's details.
    pub const DETAIL: u16 = 2;

    pub struct Regions {
        pub header: Rect,
        /// The steps box (table and detail lines).
        pub steps: Rect,
        /// The heatmap box (map and legend).
        pub map: Rect,
    }

    pub fn regions(body: Rect) -> Regions {
        let [header, rest] =
            Layout::vertical([Constraint::Length(HEADER), Constraint::Fill(1)]).areas(body);
        let [steps, map] =
            Layout::horizontal([Constraint::Fill(3), Constraint::Fill(2)]).areas(rest);
        Regions { header, steps, map }
    }

    /// Inside the steps box: the table (with its header line) and the detail
    /// lines below it.
    pub fn steps_parts(steps: Rect) -> (Rect, Rect) {
        let inner = Block::bordered().inner(steps);
        let [table, detail] =
            Layout::vertical([Constraint::Fill(1), Constraint::Length(DETAIL)]).areas(inner);
        (table, detail)
    }

    /// Where the step rows are drawn.
    pub fn rows_area(body: Rect) -> Rect {
        table_rows(regions(body).steps, DETAIL)
    }

    pub fn visible_rows(body: Rect) -> u16 {
        rows_area(body).height
    }

    /// Where the step's heatmap is drawn (inside its box, above the legend).
    pub fn map_area(body: Rect) -> Rect {
        map_parts(regions(body).map, 0).map
    }
}

/// Heatmap: the page picker beside the map and the top elements.
pub mod heatmap {
    use super::*;

    /// Lines of the top-elements box, when the body is tall enough for it.
    const ELEMENTS: u16 = 6;

    pub struct Regions {
        pub picker: Rect,
        /// The map box (map and legend).
        pub map: Rect,
        /// The top-elements box; no height on short screens.
        pub elements: Rect,
    }

    pub fn regions(body: Rect) -> Regions {
        let picker_width = (body.width / 3).clamp(20, 40);
        let [picker, right] =
            Layout::horizontal([Constraint::Length(picker_width), Constraint::Fill(1)]).areas(body);
        let elements = if right.height >= 16 { ELEMENTS } else { 0 };
        let [map, elements] =
            Layout::vertical([Constraint::Fill(1), Constraint::Length(elements)]).areas(right);
        Regions {
            picker,
            map,
            elements,
        }
    }

    /// The rows of the page picker.
    pub fn picker_area(body: Rect) -> Rect {
        Block::bordered().inner(regions(body).picker)
    }

    pub fn picker_rows(body: Rect) -> u16 {
        picker_area(body).height
    }

    /// Where the density map is drawn (inside its box, above the legend).
    pub fn map_area(body: Rect) -> Rect {
        map_parts(regions(body).map, REACH_GUTTER).map
    }
}

/// Pages: one table filling the body.
pub mod pages {
    use super::*;

    pub fn rows_area(body: Rect) -> Rect {
        table_rows(body, 0)
    }

    pub fn visible_rows(body: Rect) -> u16 {
        rows_area(body).height
    }
}

/// Paths: the tree, one table filling the body.
pub mod paths {
    use super::*;

    pub fn rows_area(body: Rect) -> Rect {
        table_rows(body, 0)
    }

    pub fn visible_rows(body: Rect) -> u16 {
        rows_area(body).height
    }
}

/// Funnel: a row per step in one table, its last line a hint.
pub mod funnel {
    use super::*;

    pub fn rows_area(body: Rect) -> Rect {
        table_rows(body, 1)
    }

    pub fn visible_rows(body: Rect) -> u16 {
        rows_area(body).height
    }

    /// The line below the rows.
    pub fn hint_area(body: Rect) -> Rect {
        let inner = Block::bordered().inner(body);
        Rect::new(inner.x, inner.bottom().saturating_sub(1), inner.width, 1)
    }
}

/// Live: the events-per-second sparkline over the newest events.
pub mod live {
    use super::*;

    const SPARK_HEIGHT: u16 = 5;

    pub struct Regions {
        pub spark: Rect,
        pub table: Rect,
    }

    pub fn regions(body: Rect) -> Regions {
        let [spark, table] =
            Layout::vertical([Constraint::Length(SPARK_HEIGHT), Constraint::Fill(1)]).areas(body);
        Regions { spark, table }
    }

    pub fn rows_area(body: Rect) -> Rect {
        table_rows(regions(body).table, 0)
    }

    pub fn visible_rows(body: Rect) -> u16 {
        rows_area(body).height
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_body_lies_between_the_chips_and_the_footer() {
        let s = screen(Rect::new(0, 0, 100, 30));
        assert_eq!(s.header, Rect::new(0, 0, 100, 1));
        assert_eq!(s.chips, Rect::new(0, 1, 100, 1));
        assert_eq!(s.body, Rect::new(0, 2, 100, 27));
        assert_eq!(s.footer, Rect::new(0, 29, 100, 1));
    }

    #[test]
    fn tabs_that_do_not_fit_are_left_out() {
        let all = tabs(Rect::new(0, 0, 100, 30));
        assert_eq!(all.len(), View::ALL.len());
        assert_eq!(
            tab_at(Rect::new(0, 0, 100, 30), Position::new(2, 0)),
            Some(View::Overview)
        );
        let narrow = tabs(Rect::new(0, 0, 30, 30));
        assert!(narrow.len() < View::ALL.len());
        assert!(narrow.iter().all(|(_, r)| r.right() <= 30));
    }

    #[test]
    fn the_map_sits_above_its_note_and_legend_inside_the_box() {
        let parts = map_parts(Rect::new(10, 5, 40, 20), 0);
        assert_eq!(parts.map, Rect::new(11, 6, 38, 16));
        assert_eq!(parts.gutter.width, 0);
        assert_eq!(parts.note, Rect::new(11, 22, 38, 1));
        assert_eq!(parts.legend, Rect::new(11, 23, 38, 1));
        // Too narrow for a gutter; wide enough, it takes the right columns.
        assert_eq!(map_parts(Rect::new(10, 5, 40, 20), REACH_GUTTER), parts);
        let wide = map_parts(Rect::new(10, 5, 60, 20), REACH_GUTTER);
        assert_eq!(wide.map, Rect::new(11, 6, 53, 16));
        assert_eq!(wide.gutter, Rect::new(64, 6, 5, 16));
        let tiny = map_parts(Rect::new(0, 0, 10, 3), 0);
        assert_eq!(tiny.map.height, 0);
        assert_eq!(tiny.note.height, 0, "no room for the note");
        assert_eq!(tiny.legend, Rect::new(1, 1, 8, 1));
    }
}
