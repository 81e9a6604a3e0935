//! The compared heatmap: the change of each cell's share of the clicks
//! between two ranges ([`HeatCompare`]), drawn on the grid of the map it was
//! compared on, dot for dot as [`crate::widgets::heatmap`] draws clicks.
//!
//! The ramp diverges: share gained is one hue, share lost another, the
//! intensity by the change's size relative to the largest change of any
//! cell (linear: changes of share are already fractions, unlike click
//! counts). A terminal cell shows its strongest dot (braille: with the
//! pattern of the dots that changed; half blocks: the strongest of each
//! half). Without colour gains are shaded blocks (░▒▓█) and losses lines
//! (·-=≡), so the two read apart. A cell whose share did not move is left
//! blank, so over a wireframe the wireframe shows there.

use super::heatmap::{braille_bit, DotGrid, HeatMode, HeatOptions};
use crate::text::points;
use crate::theme;
use ratatui::buffer::{Buffer, Cell};
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;
use shared::store::core::heat_compare::HeatCompare;
use shared::store::query::Heatmap;

/// Intensity levels on each side of the ramp.
pub const LEVELS: u32 = 4;

const GAINED: [Color; LEVELS as usize] = [
    Color::Rgb(110, 55, 40),
    Color::Rgb(170, 75, 50),
    Color::Rgb(225, 95, 60),
    Color::Rgb(255, 150, 100),
];
const LOST: [Color; LEVELS as usize] = [
    Color::Rgb(40, 70, 120),
    Color::Rgb(55, 105, 175),
    Color::Rgb(80, 145, 230),
    Color::Rgb(140, 195, 255),
];
const GAINED_SHADES: [&str; LEVELS as usize] = ["░", "▒", "▓", "█"];
const LOST_SHADES: [&str; LEVELS as usize] = ["·", "-", "=", "≡"];

/// The intensity (1..=LEVELS) of a change `delta` when the largest is
/// `max`; 0 for no change.
pub fn level(delta: f64, max: f64) -> u32 {
    if delta == 0.0 || max <= 0.0 || !delta.is_finite() {
        return 0;
    }
    let t = (delta.abs() / max).clamp(0.0, 1.0);
    ((t * f64::from(LEVELS)).ceil() as u32).clamp(1, LEVELS)
}

/// The symbol of a change without colour.
pub fn shade(delta: f64, max: f64) -> &'static str {
    let i = (level(delta, max).max(1) - 1) as usize;
    if delta > 0.0 {
        GAINED_SHADES[i]
    } else {
        LOST_SHADES[i]
    }
}

/// The colour of a change.
pub fn ramp(delta: f64, max: f64) -> Color {
    let i = (level(delta, max).max(1) - 1) as usize;
    if delta > 0.0 {
        GAINED[i]
    } else {
        LOST[i]
    }
}

/// The colour of the side of the ramp a change of `delta` is on, for text
/// beside the map (a changed element's share); `None` for no change.
pub fn side_color(delta: f64) -> Option<Color> {
    if delta > 0.0 {
        Some(GAINED[2])
    } else if delta < 0.0 {
        Some(LOST[2])
    } else {
        None
    }
}

/// The legend as plain text.
pub fn legend_text(diff: &HeatCompare) -> String {
    let max = diff.max_abs_delta();
    if max == 0.0 {
        return "no change of share".into();
    }
    format!(
        "change of share per cell (largest {}): gained {}  lost {}",
        points(max).trim_start_matches('+'),
        GAINED_SHADES.join(""),
        LOST_SHADES.join("")
    )
}

/// The legend as a styled line: the two ramps (or their symbols).
pub fn legend(diff: &HeatCompare, color: bool) -> Line<'static> {
    let max = diff.max_abs_delta();
    if max == 0.0 {
        return Line::from(Span::styled("no change of share", theme::muted()));
    }
    let mut spans = vec![Span::styled(
        format!("Δ share ≤ {}: ", points(max).trim_start_matches('+')),
        theme::muted(),
    )];
    let side =
        |spans: &mut Vec<Span<'static>>, name: &str, colors: &[Color], shades: &[&'static str]| {
            spans.push(Span::raw(format!("{name} ")));
            for (c, s) in colors.iter().zip(shades) {
                if color {
                    spans.push(Span::styled("█", Style::new().fg(*c)));
                } else {
                    spans.push(Span::raw(*s));
                }
            }
            spans.push(Span::raw(" "));
        };
    side(&mut spans, "gained", &GAINED, &GAINED_SHADES);
    side(&mut spans, "lost", &LOST, &LOST_SHADES);
    Line::from(spans)
}

/// The compared heatmap widget: `diff` on the grid of `grid`.
pub struct HeatDiffWidget<'a> {
    grid: &'a Heatmap,
    diff: &'a HeatCompare,
    options: HeatOptions,
}

impl<'a> HeatDiffWidget<'a> {
    pub fn new(grid: &'a Heatmap, diff: &'a HeatCompare, options: HeatOptions) -> Self {
        Self {
            grid,
            diff,
            options,
        }
    }
}

/// The changes per bin of a grid, laid out for drawing.
struct Deltas {
    grid: DotGrid,
    values: Vec<f64>,
}

impl Deltas {
    fn new(map: &Heatmap, diff: &HeatCompare, mode: HeatMode, width: u16) -> Self {
        let grid = DotGrid::new(map, mode, width);
        let mut values = vec![0.0; grid.len()];
        for b in &diff.bins {
            if let Some(i) = grid.index(b.column, b.row) {
                values[i] += b.share_delta;
            }
        }
        Self { grid, values }
    }

    /// The changes under the terminal cell in column `x`, row `term_row`.
    fn under(&self, x: u16, term_row: u32) -> Under {
        let mut under = Under::default();
        for (i, j, index) in self.grid.under(x, term_row) {
            let delta = self.values[index];
            if delta == 0.0 {
                continue;
            }
            under.strongest = stronger(under.strongest, delta);
            under.bits |= braille_bit(i, j);
            if let Some(h) = under.halves.get_mut(j as usize) {
                *h = stronger(*h, delta);
            }
        }
        under
    }
}

/// What the dots under one terminal cell hold.
#[derive(Default)]
struct Under {
    /// The change of the strongest dot (largest size, either way).
    strongest: f64,
    /// The braille pattern of the dots that changed.
    bits: u32,
    /// The strongest change of the upper and of the lower half.
    halves: [f64; 2],
}

fn stronger(a: f64, b: f64) -> f64 {
    if b.abs() > a.abs() {
        b
    } else {
        a
    }
}

impl Widget for HeatDiffWidget<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let grid = self.grid;
        if area.is_empty() || grid.columns == 0 || grid.rows == 0 {
            return;
        }
        let opts = self.options;
        let deltas = Deltas::new(grid, self.diff, opts.mode, area.width);
        let max = self.diff.max_abs_delta();
        let page_bg = if opts.color {
            theme::PAGE_BG
        } else {
            Color::Reset
        };
        for y in 0..area.height {
            let term_row = u32::from(y) + u32::from(opts.scroll);
            if !deltas.grid.on_page(term_row) {
                break;
            }
            for x in 0..area.width {
                let under = deltas.under(x, term_row);
                let Some(cell) = buf.cell_mut((area.x + x, area.y + y)) else {
                    continue;
                };
                if under.strongest == 0.0 {
                    if opts.over {
                        cell.bg = page_bg;
                    } else {
                        cell.reset();
                        cell.bg = page_bg;
                        cell.set_symbol(" ");
                    }
                    continue;
                }
                paint(cell, &under, opts, max, page_bg);
            }
        }
    }
}

/// Draws one terminal cell that changed.
fn paint(cell: &mut Cell, under: &Under, opts: HeatOptions, max: f64, page_bg: Color) {
    cell.reset();
    cell.bg = page_bg;
    if !opts.color {
        cell.set_symbol(shade(under.strongest, max));
        return;
    }
    match opts.mode {
        HeatMode::Braille => {
            cell.set_char(char::from_u32(0x2800 + under.bits).unwrap_or(' '));
            cell.fg = ramp(under.strongest, max);
        }
        HeatMode::HalfBlock => {
            let [top, bottom] = under.halves;
            match (top != 0.0, bottom != 0.0) {
                (true, true) => {
                    cell.set_symbol("▀");
                    cell.fg = ramp(top, max);
                    cell.bg = ramp(bottom, max);
                }
                (true, false) => {
                    cell.set_symbol("▀");
                    cell.fg = ramp(top, max);
                }
                _ => {
                    cell.set_symbol("▄");
                    cell.fg = ramp(bottom, max);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::store::core::heat_compare::ShareDelta;
    use shared::store::heat::Scale;
    use shared::store::query::TimeRange;

    fn diff(cells: &[(u32, u32, f64)]) -> HeatCompare {
        HeatCompare {
            range: TimeRange::ALL,
            total_clicks: 1,
            bins: cells
                .iter()
                .map(|&(column, row, share_delta)| ShareDelta {
                    column,
                    row,
                    share_delta,
                })
                .collect(),
            top_elements: Vec::new(),
            scroll_views: 0,
            scroll_reach: Vec::new(),
        }
    }

    fn draw(grid: &Heatmap, diff: &HeatCompare, options: HeatOptions, w: u16, h: u16) -> Buffer {
        let mut buf = Buffer::empty(Rect::new(0, 0, w, h));
        HeatDiffWidget::new(grid, diff, options).render(buf.area, &mut buf);
        buf
    }

    fn symbol(buf: &Buffer, x: u16, y: u16) -> &str {
        buf.cell((x, y)).map_or("", |c| c.symbol())
    }

    #[test]
    fn levels_are_relative_to_the_largest_change() {
        assert_eq!(level(0.0, 0.5), 0);
        assert_eq!(level(0.5, 0.5), LEVELS);
        assert_eq!(level(-0.5, 0.5), LEVELS);
        assert_eq!(level(0.01, 0.5), 1);
        assert_eq!(level(0.3, 0.5), 3);
    }

    #[test]
    fn gains_and_losses_read_apart_without_colour_in_both_modes() {
        for mode in [HeatMode::Braille, HeatMode::HalfBlock] {
            // One bin per dot: 10 cells wide.
            let grid = Scale::new(mode.columns_for(10), 1000, 1000).empty_heatmap();
            let (dx, dy) = mode.dots();
            // A gain in the first cell, a loss half as big in the last one
            // of the first row, no change in the middle.
            let d = diff(&[(0, 0, 0.5), (5 * dx, 0, 0.0), (9 * dx, dy - 1, -0.25)]);
            let options = HeatOptions {
                mode,
                ..HeatOptions::default()
            };
            let buf = draw(&grid, &d, options, 10, 3);
            assert_eq!(symbol(&buf, 0, 0), "█", "{mode:?}");
            assert_eq!(symbol(&buf, 9, 0), "-", "{mode:?}");
            assert_eq!(symbol(&buf, 5, 0), " ", "{mode:?}");
        }
    }

    #[test]
    fn colours_diverge_by_sign() {
        let grid = Scale::new(HeatMode::HalfBlock.columns_for(4), 400, 400).empty_heatmap();
        // Upper half gained, lower half lost in cell 0.
        let d = diff(&[(0, 0, 0.5), (0, 1, -0.5), (2, 0, 0.125)]);
        let options = HeatOptions {
            mode: HeatMode::HalfBlock,
            color: true,
            ..HeatOptions::default()
        };
        let buf = draw(&grid, &d, options, 4, 2);
        let cell = buf.cell((0, 0)).cloned().unwrap_or_default();
        assert_eq!(cell.symbol(), "▀");
        assert_eq!((cell.fg, cell.bg), (GAINED[3], LOST[3]));
        let weak = buf.cell((2, 0)).cloned().unwrap_or_default();
        assert_eq!(weak.fg, GAINED[0]);
        let braille = draw(
            &Scale::new(HeatMode::Braille.columns_for(4), 400, 400).empty_heatmap(),
            &diff(&[(0, 0, -0.5)]),
            HeatOptions {
                color: true,
                ..HeatOptions::default()
            },
            4,
            2,
        );
        let cell = braille.cell((0, 0)).cloned().unwrap_or_default();
        assert_eq!((cell.symbol(), cell.fg), ("⠁", LOST[3]));
    }

    #[test]
    fn the_legend_names_both_sides() {
        let d = diff(&[(0, 0, 0.25), (1, 0, -0.125)]);
        assert_eq!(
            legend_text(&d),
            "change of share per cell (largest 25.0 pts): gained ░▒▓█  lost ·-=≡"
        );
        assert_eq!(legend_text(&diff(&[])), "no change of share");
    }
}
