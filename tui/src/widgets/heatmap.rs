//! The click heatmap widget: draws a [`Heatmap`] into a terminal area.
//!
//! The store bins clicks on a grid of square cells (in page pixels). One grid
//! cell becomes one *dot*: a braille dot (2×4 dots per terminal cell) or a half
//! block (1×2 per cell). Terminal cells are about twice as tall as wide, so a
//! dot is square on screen and the page keeps its aspect ratio. Ask the store
//! for [`HeatMode::columns_for`] columns and one dot is one bin; a map of any
//! other width is rescaled (the same factor on both axes).
//!
//! Density is a colour ramp over `ln(1 + clicks)`; braille cells take the colour
//! of their densest dot, half blocks show two colours (▀ with fg = upper, bg =
//! lower). Without colour, cells are shaded with ░▒▓█. Cells with rage clicks
//! show `×`; a marked click shows `◆`. `scroll` skips terminal rows, so tall
//! pages scroll. Drawn [`HeatOptions::over`] a wireframe
//! (`crate::widgets::wireframe`), cells with clicks win and the others keep
//! the wireframe.

use crate::theme;
use ratatui::buffer::{Buffer, Cell};
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;
use shared::store::heat::{FineCell, Scale};
use shared::store::query::Heatmap;

/// How dots are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HeatMode {
    /// 2×4 braille dots per cell, one colour per cell.
    #[default]
    Braille,
    /// Two half blocks per cell, two colours per cell.
    HalfBlock,
}

impl HeatMode {
    /// Dots per terminal cell, across and down.
    pub fn dots(self) -> (u32, u32) {
        match self {
            Self::Braille => (2, 4),
            Self::HalfBlock => (1, 2),
        }
    }

    /// Grid columns to ask the store for so that one bin is one dot.
    pub fn columns_for(self, width: u16) -> u32 {
        (u32::from(width) * self.dots().0).max(1)
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Braille => "braille",
            Self::HalfBlock => "half-block",
        }
    }

    pub fn toggled(self) -> Self {
        match self {
            Self::Braille => Self::HalfBlock,
            Self::HalfBlock => Self::Braille,
        }
    }
}

/// Number of colour levels of the ramp.
pub const LEVELS: u32 = 6;

const RAMP: [Color; LEVELS as usize] = [
    Color::Rgb(49, 54, 149),
    Color::Rgb(69, 117, 180),
    Color::Rgb(116, 173, 209),
    Color::Rgb(254, 224, 144),
    Color::Rgb(253, 174, 97),
    Color::Rgb(215, 48, 39),
];
const SHADES: [&str; LEVELS as usize] = ["·", "░", "░", "▒", "▓", "█"];

/// Drawing options.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HeatOptions {
    pub mode: HeatMode,
    /// Terminal rows skipped at the top.
    pub scroll: u16,
    /// A grid cell `(column, row)` to mark, e.g. the click of a journey step.
    pub marker: Option<(u32, u32)>,
    /// Draw with colours (false: shading characters).
    pub color: bool,
    /// Draw over what the area holds (a wireframe): a cell without clicks
    /// keeps its symbol and only takes the page's background, so the heat
    /// lies on top.
    pub over: bool,
}

/// The heatmap widget.
pub struct HeatmapWidget<'a> {
    map: &'a Heatmap,
    options: HeatOptions,
}

/// The density level (1..=LEVELS) of `clicks` on a map whose densest cell has `max`.
pub fn level(clicks: u64, max: u64) -> u32 {
    if clicks == 0 || max == 0 {
        return 0;
    }
    let t = ((clicks as f64).ln_1p() / (max as f64).ln_1p()).clamp(0.0, 1.0);
    ((t * f64::from(LEVELS)).ceil() as u32).clamp(1, LEVELS)
}

/// The smallest click count of each level, with the largest, for the legend:
/// `(level, from, to)`; levels no count falls into are left out.
pub fn legend_ranges(max: u64) -> Vec<(u32, u64, u64)> {
    let mut out: Vec<(u32, u64, u64)> = Vec::new();
    for clicks in 1..=max.min(10_000) {
        let l = level(clicks, max);
        match out.last_mut() {
            Some(last) if last.0 == l => last.2 = clicks,
            _ => out.push((l, clicks, clicks)),
        }
    }
    if max > 10_000 {
        // Past the scan: the remaining levels start where the log scale puts them.
        for l in 1..=LEVELS {
            let from = ((max as f64).ln_1p() * f64::from(l - 1) / f64::from(LEVELS))
                .exp_m1()
                .floor() as u64
                + 1;
            match out.iter_mut().find(|e| e.0 == l) {
                Some(_) => {}
                None => out.push((l, from, from)),
            }
        }
        out.sort_by_key(|e| e.0);
        for i in 0..out.len() {
            let next = out.get(i + 1).map(|e| e.1.saturating_sub(1));
            out[i].2 = next.unwrap_or(max);
        }
    }
    out
}

fn range_label(from: u64, to: u64) -> String {
    if from == to {
        from.to_string()
    } else {
        format!("{from}–{to}")
    }
}

/// The legend as plain text: `clicks/cell: 1 · 2–3 · 4–9 …`.
pub fn legend_text(max: u64) -> String {
    let parts: Vec<String> = legend_ranges(max)
        .into_iter()
        .map(|(l, from, to)| format!("{} {}", SHADES[(l - 1) as usize], range_label(from, to)))
        .collect();
    if parts.is_empty() {
        "no clicks".into()
    } else {
        format!("clicks/cell: {}  × rage", parts.join("  "))
    }
}

/// The legend as a styled line: a colour swatch (or shade) per level.
pub fn legend(max: u64, color: bool) -> Line<'static> {
    let ranges = legend_ranges(max);
    if ranges.is_empty() {
        return Line::from(Span::styled("no clicks", theme::muted()));
    }
    let mut spans = vec![Span::styled("clicks/cell ", theme::muted())];
    for (l, from, to) in ranges {
        let i = (l - 1) as usize;
        if color {
            spans.push(Span::styled("██", Style::new().fg(RAMP[i])));
        } else {
            spans.push(Span::raw(SHADES[i].repeat(2)));
        }
        spans.push(Span::raw(format!(" {} ", range_label(from, to))));
    }
    spans.push(Span::styled("×", rage_style(color)));
    spans.push(Span::raw(" rage"));
    Line::from(spans)
}

fn rage_style(color: bool) -> Style {
    if color {
        Style::new()
            .fg(Color::Rgb(255, 255, 255))
            .bg(theme::BAD)
            .add_modifier(Modifier::BOLD)
    } else {
        Style::new().add_modifier(Modifier::BOLD)
    }
}

/// Where the dots of a map drawn some width across fall: the bin under
/// each dot, as an index into a dense `columns × rows` grid (bounded). The
/// one geometry of the widgets that draw per bin (clicks here, changes of
/// share in [`super::heat_diff`]).
pub(crate) struct DotGrid {
    columns: u32,
    rows: u32,
    /// Bins of the dense grid.
    len: usize,
    /// Dots per bin.
    scale: f64,
    /// Dots per terminal cell, across and down.
    per_cell: (u32, u32),
    /// Dot rows the whole page takes.
    dot_rows: u32,
}

impl DotGrid {
    pub(crate) fn new(map: &Heatmap, mode: HeatMode, width: u16) -> Self {
        let (columns, rows) = (map.columns, map.rows);
        let scale = scale(map, mode, width);
        Self {
            columns,
            rows,
            len: (columns as usize)
                .saturating_mul(rows as usize)
                .min(50_000_000),
            scale,
            per_cell: mode.dots(),
            dot_rows: (f64::from(rows) * scale).ceil() as u32,
        }
    }

    /// Bins of the dense grid: the length of a vector indexed by [`Self::index`].
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The dense index of bin `(column, row)`, if it is on the grid.
    pub(crate) fn index(&self, column: u32, row: u32) -> Option<usize> {
        (column < self.columns && row < self.rows)
            .then(|| row as usize * self.columns as usize + column as usize)
            .filter(|i| *i < self.len)
    }

    /// Whether terminal row `term_row` (before scrolling) still shows page.
    pub(crate) fn on_page(&self, term_row: u32) -> bool {
        term_row * self.per_cell.1 < self.dot_rows
    }

    /// The dots under the terminal cell in column `x`, row `term_row` that
    /// lie on a bin: each dot's column and row inside the cell, and its
    /// bin's index.
    pub(crate) fn under(
        &self,
        x: u16,
        term_row: u32,
    ) -> impl Iterator<Item = (u32, u32, usize)> + '_ {
        let (dx, dy) = self.per_cell;
        (0..dy).flat_map(move |j| {
            (0..dx).filter_map(move |i| {
                let (dot_x, dot_y) = (u32::from(x) * dx + i, term_row * dy + j);
                if dot_y >= self.dot_rows {
                    return None;
                }
                let column = (f64::from(dot_x) / self.scale).floor() as u32;
                let row = (f64::from(dot_y) / self.scale).floor() as u32;
                Some((i, j, self.index(column, row)?))
            })
        })
    }
}

/// Dots per bin on screen for a map drawn `width` cells wide.
fn scale(map: &Heatmap, mode: HeatMode, width: u16) -> f64 {
    if map.columns == 0 {
        return 1.0;
    }
    f64::from(mode.columns_for(width)) / f64::from(map.columns)
}

/// Terminal rows the whole page takes when drawn `width` cells wide.
pub fn content_rows(map: &Heatmap, mode: HeatMode, width: u16) -> u16 {
    if map.rows == 0 || width == 0 {
        return 0;
    }
    let dots = (f64::from(map.rows) * scale(map, mode, width)).ceil();
    let rows = (dots / f64::from(mode.dots().1)).ceil();
    rows.min(f64::from(u16::MAX)) as u16
}

/// The terminal cell `(x, y)` (before scrolling) that holds grid bin `(column, row)`.
pub fn cell_of(map: &Heatmap, mode: HeatMode, width: u16, column: u32, row: u32) -> (u16, u32) {
    let s = scale(map, mode, width);
    let (dx, dy) = mode.dots();
    let x = (f64::from(column) * s).floor() as u32 / dx;
    let y = (f64::from(row) * s).floor() as u32 / dy;
    (x.min(u32::from(u16::MAX)) as u16, y)
}

/// The grid bin of a click at page `(x, y)` on a page `page_width` wide, by
/// the store's own rule (`shared::store::heat`: the click's fine cell, then
/// the map's scale), so a marked click or a wireframe box lands in the bins
/// the store put the clicks in. `None` for an empty map or page.
pub fn bin_of(map: &Heatmap, x: i32, y: i32, page_width: u32) -> Option<(u32, u32)> {
    if map.columns == 0 || map.rows == 0 || map.page_width == 0 {
        return None;
    }
    let fine = FineCell::of(0, Some(x), Some(y), Some(page_width), None)?;
    let scale = Scale::new(
        map.columns,
        i64::from(map.page_width),
        i64::from(map.page_height),
    );
    Some(scale.cell(fine.gx, fine.gy))
}

/// Whether page row `y` lies below the page the map covers (its clicks'
/// tallest page): [`bin_of`] puts such a point on the last row.
pub fn below_map(map: &Heatmap, y: i32) -> bool {
    i64::from(y) >= i64::from(map.page_height)
}

impl<'a> HeatmapWidget<'a> {
    pub fn new(map: &'a Heatmap, options: HeatOptions) -> Self {
        Self { map, options }
    }
}

impl Widget for HeatmapWidget<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let map = self.map;
        if area.is_empty() || map.columns == 0 || map.rows == 0 {
            return;
        }
        let opts = self.options;
        let dots = Dots::new(map, opts.mode, area.width);
        let max = map.max_cell_clicks.max(1);
        let page_bg = if opts.color {
            theme::PAGE_BG
        } else {
            Color::Reset
        };
        for y in 0..area.height {
            let term_row = u32::from(y) + u32::from(opts.scroll);
            if !dots.grid.on_page(term_row) {
                break;
            }
            for x in 0..area.width {
                let under = dots.under(x, term_row);
                let Some(cell) = buf.cell_mut((area.x + x, area.y + y)) else {
                    continue;
                };
                if opts.over && under.densest == 0 && !under.rage {
                    cell.bg = page_bg;
                    continue;
                }
                paint(cell, &under, opts, max, page_bg);
            }
        }
        if let Some(marker) = opts.marker {
            draw_marker(buf, area, map, opts, marker);
        }
    }
}

/// The clicks and rage flags of a map's bins, laid out for drawing.
struct Dots {
    grid: DotGrid,
    clicks: Vec<u64>,
    rage: Vec<bool>,
}

/// What the dots under one terminal cell hold.
#[derive(Default)]
struct CellDots {
    /// The clicks of the densest dot.
    densest: u64,
    /// A dot has rage clicks.
    rage: bool,
    /// The braille pattern of the dots with clicks.
    bits: u32,
    /// The densest dot of the upper and of the lower half.
    halves: [u64; 2],
}

impl Dots {
    fn new(map: &Heatmap, mode: HeatMode, width: u16) -> Self {
        let grid = DotGrid::new(map, mode, width);
        let mut clicks = vec![0; grid.len()];
        let mut rage = vec![false; grid.len()];
        for bin in &map.bins {
            if let Some(i) = grid.index(bin.column, bin.row) {
                clicks[i] += bin.clicks;
                rage[i] |= bin.rage_clicks > 0;
            }
        }
        Self { grid, clicks, rage }
    }

    /// The dots under the terminal cell in column `x`, row `term_row`.
    fn under(&self, x: u16, term_row: u32) -> CellDots {
        let mut under = CellDots::default();
        for (i, j, index) in self.grid.under(x, term_row) {
            let clicks = self.clicks[index];
            under.rage |= self.rage[index];
            under.densest = under.densest.max(clicks);
            if clicks > 0 {
                under.bits |= braille_bit(i, j);
                if let Some(h) = under.halves.get_mut(j as usize) {
                    *h = (*h).max(clicks);
                }
            }
        }
        under
    }
}

/// Draws one terminal cell: rage wins, then the density — as a shade
/// without colour, else a coloured braille pattern or two half blocks.
fn paint(cell: &mut Cell, under: &CellDots, opts: HeatOptions, max: u64, page_bg: Color) {
    cell.reset();
    cell.bg = page_bg;
    if under.rage {
        cell.set_symbol("×").set_style(rage_style(opts.color));
        return;
    }
    if under.densest == 0 {
        cell.set_symbol(" ");
        return;
    }
    if !opts.color {
        let l = level(under.densest, max);
        cell.set_symbol(SHADES[(l.max(1) - 1) as usize]);
        return;
    }
    match opts.mode {
        HeatMode::Braille => {
            let ch = char::from_u32(0x2800 + under.bits).unwrap_or(' ');
            cell.set_char(ch);
            cell.fg = ramp(under.densest, max);
        }
        HeatMode::HalfBlock => paint_halves(cell, under.halves, max),
    }
}

/// ▀ with the upper colour in front and the lower behind; ▄ when only the
/// lower half has clicks.
fn paint_halves(cell: &mut Cell, halves: [u64; 2], max: u64) {
    let top = (halves[0] > 0).then(|| ramp(halves[0], max));
    let bottom = (halves[1] > 0).then(|| ramp(halves[1], max));
    match (top, bottom) {
        (Some(t), Some(b)) => {
            cell.set_symbol("▀");
            cell.fg = t;
            cell.bg = b;
        }
        (Some(t), None) => {
            cell.set_symbol("▀");
            cell.fg = t;
        }
        (None, Some(b)) => {
            cell.set_symbol("▄");
            cell.fg = b;
        }
        (None, None) => {
            cell.set_symbol(" ");
        }
    }
}

/// Marks grid bin `(column, row)` with ◆, if it is in view.
fn draw_marker(
    buf: &mut Buffer,
    area: Rect,
    map: &Heatmap,
    opts: HeatOptions,
    (column, row): (u32, u32),
) {
    let (x, y) = cell_of(map, opts.mode, area.width, column, row);
    let y = i64::from(y) - i64::from(opts.scroll);
    if x < area.width && (0..i64::from(area.height)).contains(&y) {
        if let Some(cell) = buf.cell_mut((area.x + x, area.y + y as u16)) {
            cell.set_symbol("◆").set_style(
                Style::new()
                    .fg(Color::Rgb(255, 255, 255))
                    .bg(Color::Rgb(0, 0, 0))
                    .add_modifier(Modifier::BOLD | Modifier::REVERSED),
            );
        }
    }
}

fn ramp(clicks: u64, max: u64) -> Color {
    let l = level(clicks, max).max(1);
    RAMP[(l - 1) as usize]
}

/// The bit of braille dot `(i, j)` (column 0–1, row 0–3) in U+2800.
pub(crate) fn braille_bit(i: u32, j: u32) -> u32 {
    match (i, j) {
        (0, 0) => 0x01,
        (0, 1) => 0x02,
        (0, 2) => 0x04,
        (1, 0) => 0x08,
        (1, 1) => 0x10,
        (1, 2) => 0x20,
        (0, 3) => 0x40,
        (1, 3) => 0x80,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::store::query::HeatBin;

    /// A map of `columns` bins over a page `width` × `height` px with clicks at
    /// page positions (on pages of that width).
    fn map_with(columns: u32, width: u32, height: u32, clicks: &[(i32, i32)]) -> Heatmap {
        let cell_px = f64::from(width) / f64::from(columns);
        let rows = (f64::from(height) / cell_px).ceil() as u32;
        let mut map = Heatmap {
            page_width: width,
            page_height: height,
            columns,
            rows,
            cell_px,
            total_clicks: clicks.len() as u64,
            rage_clicks: 0,
            max_cell_clicks: 0,
            bins: Vec::new(),
            top_elements: Vec::new(),
            element_clicks: Vec::new(),
            anchorable: Vec::new(),
        };
        for &(x, y) in clicks {
            let (column, row) = bin_of(&map, x, y, width).unwrap_or((0, 0));
            match map
                .bins
                .iter_mut()
                .find(|b| b.column == column && b.row == row)
            {
                Some(b) => b.clicks += 1,
                None => map.bins.push(HeatBin {
                    column,
                    row,
                    clicks: 1,
                    rage_clicks: 0,
                }),
            }
        }
        map.max_cell_clicks = map.bins.iter().map(|b| b.clicks).max().unwrap_or(0);
        map
    }

    fn render(map: &Heatmap, options: HeatOptions, width: u16, height: u16) -> Buffer {
        let mut buf = Buffer::empty(Rect::new(0, 0, width, height));
        HeatmapWidget::new(map, options).render(buf.area, &mut buf);
        buf
    }

    fn marked_columns(buf: &Buffer, row: u16) -> Vec<u16> {
        (0..buf.area.width)
            .filter(|&x| buf.cell((x, row)).is_some_and(|c| c.symbol() != " "))
            .collect()
    }

    #[test]
    fn a_click_at_half_width_lands_in_the_middle_column() {
        for mode in [HeatMode::Braille, HeatMode::HalfBlock] {
            let width: u16 = 41;
            let map = map_with(mode.columns_for(width), 1280, 800, &[(640, 10)]);
            let buf = render(
                &map,
                HeatOptions {
                    mode,
                    ..Default::default()
                },
                width,
                10,
            );
            assert_eq!(marked_columns(&buf, 0), vec![20], "{mode:?}");
        }
        // A map binned for another width is rescaled the same way.
        let map = map_with(20, 1000, 500, &[(500, 0)]);
        let buf = render(&map, HeatOptions::default(), 41, 10);
        assert_eq!(marked_columns(&buf, 0).first(), Some(&20));
    }

    #[test]
    fn clicks_are_binned_by_the_stores_fine_grid() {
        // 160 columns over 1280 px: x = 80 is fine column 12 of 200
        // (12.5 floored), so column 9, not 80 / 8 = 10.
        let map = map_with(160, 1280, 800, &[]);
        assert_eq!(bin_of(&map, 80, 0, 1280), Some((9, 0)));
        // The fraction of the click's own page width: 50 % is the middle.
        assert_eq!(bin_of(&map, 960, 0, 1920), Some((80, 0)));
        // Rows in the map's square cells, the last row for what lies below.
        assert_eq!(bin_of(&map, 0, 799, 1280), Some((0, 99)));
        assert_eq!(bin_of(&map, 0, 5000, 1280), Some((0, 99)));
        assert!(below_map(&map, 800) && !below_map(&map, 799));
        assert_eq!(bin_of(&map, 0, 0, 0), None, "no page width");
    }

    #[test]
    fn the_page_keeps_its_aspect_ratio() {
        // 1000 × 2000 px page, 40 cells wide: braille has 80 dots across, so
        // 160 dots down = 40 rows; each row is two cells' width tall.
        let map = map_with(HeatMode::Braille.columns_for(40), 1000, 2000, &[]);
        assert_eq!(content_rows(&map, HeatMode::Braille, 40), 40);
        let map = map_with(HeatMode::HalfBlock.columns_for(40), 1000, 2000, &[]);
        assert_eq!(content_rows(&map, HeatMode::HalfBlock, 40), 40);
        // A square page is half as many rows as columns.
        let map = map_with(HeatMode::Braille.columns_for(40), 800, 800, &[]);
        assert_eq!(content_rows(&map, HeatMode::Braille, 40), 20);
    }

    #[test]
    fn a_click_at_the_bottom_lands_on_the_last_row_and_scrolls() {
        let map = map_with(HeatMode::Braille.columns_for(20), 1000, 2000, &[(0, 1999)]);
        let rows = content_rows(&map, HeatMode::Braille, 20);
        assert_eq!(rows, 20);
        let buf = render(&map, HeatOptions::default(), 20, 20);
        assert_eq!(marked_columns(&buf, 19), vec![0]);
        let scrolled = render(
            &map,
            HeatOptions {
                scroll: 10,
                ..Default::default()
            },
            20,
            10,
        );
        assert_eq!(marked_columns(&scrolled, 9), vec![0]);
    }

    #[test]
    fn legend_covers_every_count_up_to_the_maximum() {
        assert_eq!(legend_text(0), "no clicks");
        assert_eq!(legend_text(1), "clicks/cell: █ 1  × rage");
        let ranges = legend_ranges(100);
        assert_eq!(ranges.first().map(|r| r.1), Some(1));
        assert_eq!(ranges.last().map(|r| r.2), Some(100));
        for pair in ranges.windows(2) {
            assert_eq!(pair[0].2 + 1, pair[1].1);
        }
        assert!(
            legend_text(100).starts_with("clicks/cell: · 1  ░ 2"),
            "{}",
            legend_text(100)
        );
        let big = legend_ranges(1_000_000);
        assert_eq!(big.len(), LEVELS as usize);
        assert_eq!(big.last().map(|r| r.2), Some(1_000_000));
    }

    #[test]
    fn rage_cells_and_markers_are_drawn() {
        let mut map = map_with(
            HeatMode::Braille.columns_for(10),
            100,
            100,
            &[(5, 5), (95, 95)],
        );
        map.bins[0].rage_clicks = 1;
        let buf = render(
            &map,
            HeatOptions {
                marker: Some((19, 19)),
                ..Default::default()
            },
            10,
            5,
        );
        assert_eq!(buf.cell((0, 0)).map(|c| c.symbol()), Some("×"));
        assert_eq!(buf.cell((9, 4)).map(|c| c.symbol()), Some("◆"));
    }

    #[test]
    fn half_blocks_use_two_colours_and_monochrome_uses_shades() {
        let map = map_with(10, 100, 40, &[(5, 5), (5, 15), (5, 16)]);
        let buf = render(
            &map,
            HeatOptions {
                mode: HeatMode::HalfBlock,
                color: true,
                ..Default::default()
            },
            10,
            2,
        );
        let cell = buf.cell((0, 0)).cloned().unwrap_or_default();
        assert_eq!(cell.symbol(), "▀");
        assert_ne!(cell.fg, cell.bg);
        let mono = render(
            &map,
            HeatOptions {
                mode: HeatMode::HalfBlock,
                ..Default::default()
            },
            10,
            2,
        );
        assert_eq!(mono.cell((0, 0)).map(|c| c.symbol()), Some("█"));
    }
}
