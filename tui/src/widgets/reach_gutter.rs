//! The scroll reach gutter beside a heatmap: on each row of the map, how
//! many of the page's views read that far, and where 75 %, 50 % and 25 %
//! of them had stopped.
//!
//! ```text
//! ⣿⣿⣶⣤ │█
//! ⣤⣀   │█ 75%
//!      │▓
//! ⣀    │▒ 50%
//! ```
//!
//! Rows are the map's own ([`row_of`]: a page y placed by the store's rule,
//! [`bin_of`] then [`cell_of`]), so a mark sits on the row where the fold
//! line or an element drawn at that depth is. A row's bar is the share of
//! views that read all of it, shaded `█ ▓ ▒ ░` by quarters (blank for none)
//! so it reads without colour too; with colour the shades are also
//! coloured. A mark is on the first row fewer than its share of views
//! reached; a mark below the map is not drawn.
//!
//! Compared with another range ([`ReachGutter::before`]), the bar shows how
//! each row's share changed instead (now minus then, each range a share of
//! its own views), on the compared map's diverging ramp
//! ([`crate::widgets::heat_diff`]: gained `░▒▓█`, lost `·-=≡`, relative to
//! the largest change of any row); the marks stay the current range's.

use super::heat_diff;
use super::heatmap::{below_map, bin_of, cell_of, content_rows, HeatMode};
use crate::theme;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::widgets::Widget;
use shared::store::query::{Heatmap, ScrollReach};

/// The shares a gutter marks, with their labels.
pub const MARKS: [(f64, &str); 3] = [(0.75, "75%"), (0.5, "50%"), (0.25, "25%")];

/// The gutter of `reach` beside `map`, drawn `map_width` cells wide in
/// `mode` and scrolled as the map is.
pub struct ReachGutter<'a> {
    pub map: &'a Heatmap,
    pub reach: &'a ScrollReach,
    pub mode: HeatMode,
    pub map_width: u16,
    pub scroll: u16,
    pub color: bool,
    /// The compared range's reach, when the map is compared.
    pub before: Option<&'a ScrollReach>,
}

/// The map row (before scrolling) of page row `y`; `None` below the map.
pub fn row_of(map: &Heatmap, mode: HeatMode, width: u16, y: u32) -> Option<u32> {
    let y = i32::try_from(y).ok()?;
    if below_map(map, y) {
        return None;
    }
    let (column, row) = bin_of(map, 0, y, map.page_width)?;
    Some(cell_of(map, mode, width, column, row).1)
}

/// Per map row, the share of views that read all of it.
pub fn shares_by_row(map: &Heatmap, reach: &ScrollReach, mode: HeatMode, width: u16) -> Vec<f64> {
    let rows = usize::from(content_rows(map, mode, width));
    let mut shares = vec![0.0; rows];
    // Each point holds from its row to the next point's; on a row several
    // points share, the deepest wins: a row takes the share at its end.
    let mut from = 0;
    let mut share = 0.0;
    for point in &reach.points {
        let Some(row) = row_of(map, mode, width, point.y) else {
            break;
        };
        let row = (row as usize).min(rows);
        shares[from..row.max(from)].fill(share);
        (from, share) = (row.max(from), point.share);
    }
    shares[from.min(rows)..].fill(share);
    shares
}

/// The map rows of the marks, with their labels, top down.
pub fn mark_rows(
    map: &Heatmap,
    reach: &ScrollReach,
    mode: HeatMode,
    width: u16,
) -> Vec<(u32, &'static str)> {
    MARKS
        .iter()
        .filter_map(|&(share, label)| {
            let y = reach.depth_of(share)?;
            Some((row_of(map, mode, width, y)?, label))
        })
        .collect()
}

/// The bar's glyph for a share: quarters, blank for none.
pub fn shade(share: f64) -> &'static str {
    match share {
        s if s >= 0.875 => "█",
        s if s >= 0.625 => "▓",
        s if s >= 0.375 => "▒",
        s if s > 0.0 => "░",
        _ => " ",
    }
}

/// The bar's colour for a share: from muted (few views) to the accent.
fn tint(share: f64) -> Color {
    let mix =
        |from: u8, to: u8| (f64::from(from) + (f64::from(to) - f64::from(from)) * share) as u8;
    let (Color::Rgb(r0, g0, b0), Color::Rgb(r1, g1, b1)) = (theme::MUTED, theme::ACCENT) else {
        return theme::ACCENT;
    };
    Color::Rgb(mix(r0, r1), mix(g0, g1), mix(b0, b1))
}

/// Per map row, how its share changed from `before` to `now`.
pub fn changes_by_row(
    map: &Heatmap,
    now: &ScrollReach,
    before: &ScrollReach,
    mode: HeatMode,
    width: u16,
) -> Vec<f64> {
    let then = shares_by_row(map, before, mode, width);
    shares_by_row(map, now, mode, width)
        .into_iter()
        .zip(then)
        .map(|(now, then)| now - then)
        .collect()
}

impl ReachGutter<'_> {
    /// The bar of each map row: its glyph and colour.
    fn bars(&self) -> Vec<(&'static str, Color)> {
        let (map, mode, width) = (self.map, self.mode, self.map_width);
        match self.before {
            Some(before) => {
                let changes = changes_by_row(map, self.reach, before, mode, width);
                let max = changes.iter().map(|c| c.abs()).fold(0.0, f64::max);
                changes
                    .into_iter()
                    .map(|c| match heat_diff::level(c, max) {
                        0 => (" ", Color::Reset),
                        _ => (heat_diff::shade(c, max), heat_diff::ramp(c, max)),
                    })
                    .collect()
            }
            None => shares_by_row(map, self.reach, mode, width)
                .into_iter()
                .map(|s| (shade(s), tint(s)))
                .collect(),
        }
    }
}

impl Widget for ReachGutter<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let compared_views = self.before.map_or(0, |b| b.views);
        if area.is_empty() || self.reach.views + compared_views == 0 {
            return;
        }
        let bars = self.bars();
        let marks = mark_rows(self.map, self.reach, self.mode, self.map_width);
        let scroll = usize::from(self.scroll);
        let label = if self.color {
            theme::muted()
        } else {
            Style::new()
        };
        let visible = bars.iter().skip(scroll).take(usize::from(area.height));
        for (y, &(glyph, colour)) in visible.enumerate() {
            let (x, y) = (area.x, area.y + y as u16);
            let style = if self.color {
                Style::new().fg(colour)
            } else {
                Style::new()
            };
            buf.set_string(x, y, glyph, style);
        }
        for (row, text) in marks {
            let Some(y) = (row as usize).checked_sub(scroll) else {
                continue;
            };
            if y < usize::from(area.height) && area.width > 2 {
                let y = area.y + y as u16;
                let room = usize::from(area.width - 2);
                buf.set_stringn(area.x + 2, y, text, room, label);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::store::query::ReachPoint;

    /// A 1000 × 4000 px page on 100 columns: cells of 10 px; in braille 4
    /// dot rows a line, so 40 px a line and 100 lines.
    fn map() -> Heatmap {
        Heatmap {
            page_width: 1000,
            page_height: 4000,
            columns: 100,
            rows: 400,
            cell_px: 10.0,
            total_clicks: 1,
            ..shared::store::heat::empty_heatmap(100)
        }
    }

    fn reach() -> ScrollReach {
        let point = |y, share| ReachPoint { y, share };
        ScrollReach {
            views: 4,
            points: vec![
                point(0, 1.0),
                point(800, 0.75),
                point(1600, 0.5),
                point(2000, 0.25),
                point(6000, 0.0),
            ],
            fold: Some(800),
        }
    }

    #[test]
    fn rows_take_the_share_that_read_them_whole_and_marks_sit_where_shares_fall() {
        let (map, reach) = (map(), reach());
        let shares = shares_by_row(&map, &reach, HeatMode::Braille, 50);
        assert_eq!(shares.len(), 100);
        assert_eq!((shares[0], shares[19], shares[20]), (1.0, 1.0, 0.75));
        assert_eq!((shares[40], shares[50], shares[99]), (0.5, 0.25, 0.25));
        // 75 % read on to 2000 px (line 50); fewer than half past 1600
        // (line 40); the deepest mark lies below the map.
        let marks = mark_rows(&map, &reach, HeatMode::Braille, 50);
        assert_eq!(marks, vec![(40, "75%"), (50, "50%")]);
    }

    #[test]
    fn the_gutter_reads_without_colour() {
        let (map, reach) = (map(), reach());
        let area = Rect::new(0, 0, 5, 60);
        let mut buf = Buffer::empty(area);
        ReachGutter {
            map: &map,
            reach: &reach,
            mode: HeatMode::Braille,
            map_width: 50,
            scroll: 10,
            color: false,
            before: None,
        }
        .render(area, &mut buf);
        let line = |y: u16| -> String {
            (0..5)
                .filter_map(|x| buf.cell((x, y)).map(|c| c.symbol().to_owned()))
                .collect()
        };
        // Scrolled 10 lines: line 0 is map line 10.
        assert_eq!(line(0), "█    ");
        assert_eq!(line(10), "▓    ");
        assert_eq!(line(30), "▒ 75%");
        assert_eq!(line(40), "░ 50%");
        assert_eq!(line(59), "░    ");
        assert!(buf.content.iter().all(|c| c.fg == Color::Reset));
    }

    #[test]
    fn compared_the_bar_shows_the_change_of_each_row() {
        let (map, now) = (map(), reach());
        // Then, every view read to 1600 px (line 40) and none further.
        let point = |y, share| ReachPoint { y, share };
        let before = ScrollReach {
            views: 10,
            points: vec![point(0, 1.0), point(1600, 0.0)],
            fold: None,
        };
        let changes = changes_by_row(&map, &now, &before, HeatMode::Braille, 50);
        assert_eq!((changes[0], changes[20], changes[45]), (0.0, -0.25, 0.5));
        let area = Rect::new(0, 0, 5, 100);
        let mut buf = Buffer::empty(area);
        ReachGutter {
            map: &map,
            reach: &now,
            mode: HeatMode::Braille,
            map_width: 50,
            scroll: 0,
            color: false,
            before: Some(&before),
        }
        .render(area, &mut buf);
        let at = |x: u16, y: u16| buf.cell((x, y)).map(|c| c.symbol().to_owned());
        // No change, blank; lost half the largest change (0.5), `-`;
        // gained 0.5, `≡`'s opposite `█`; the marks are today's.
        assert_eq!(at(0, 0).as_deref(), Some(" "));
        assert_eq!(at(0, 20).as_deref(), Some("-"));
        assert_eq!(at(0, 45).as_deref(), Some("█"));
        assert_eq!(at(2, 40).as_deref(), Some("7"));
    }

    #[test]
    fn no_views_no_gutter() {
        let area = Rect::new(0, 0, 5, 4);
        let mut buf = Buffer::empty(area);
        ReachGutter {
            map: &map(),
            reach: &ScrollReach::default(),
            mode: HeatMode::HalfBlock,
            map_width: 50,
            scroll: 0,
            color: true,
            before: None,
        }
        .render(area, &mut buf);
        assert!(buf.content.iter().all(|c| c.symbol() == " "));
    }
}
