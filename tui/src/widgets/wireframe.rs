//! The wireframe a heatmap is drawn over: the outline of each box of a
//! page's layout snapshot, the labels of its headings, buttons and links,
//! and the fold.
//!
//! The geometry is the heatmap's own: a box's corners are placed with
//! [`bin_of`], the store's rule that places clicks (x as a fraction of the
//! layout's page width, y in the map's square cells), then [`cell_of`], so
//! a click on a button lands inside the button's outline. What lies below
//! the map's page ([`below_map`]) is cut off: the map is as tall as the
//! pages its clicks were on.
//!
//! In terminal cells:
//! - a box three rows tall or more (or two, without a label) is outlined
//!   `┌─┐ │ │ └─┘`, its label on its first inside row; a box that runs past
//!   the map's end has no bottom edge;
//! - a shorter box is drawn flat on its top row, `[label──]`: controls and
//!   headings are mostly that short at terminal scale and still show their
//!   labels; a box one cell wide is a `│` (flat: `▫`);
//! - a label is cut to fit between the box's borders (`…`), never over them;
//! - the fold is a dashed line across the map, `╌╌ fold ╌`, where a typical
//!   view's first screen ended ([`fold_y`]): the median viewport height of
//!   the map's page views, or without it the snapshot's own.
//!
//! Later boxes draw over earlier ones (a snapshot lists its structural boxes
//! first), the fold over the outlines, the labels last. Outlines and the fold
//! are [`theme::WIRE`], labels [`theme::WIRE_LABEL`]; without colour the
//! outlines are dim. The heatmap is then drawn on top
//! ([`HeatOptions::over`]): a cell with clicks wins over the wireframe, as
//! does a cell whose share changed when a comparison is drawn.

use super::heat_diff::HeatDiffWidget;
use super::heatmap::{
    below_map, bin_of, cell_of, content_rows, HeatMode, HeatOptions, HeatmapWidget,
};
use crate::text::{ellipsize, safe};
use crate::theme;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::widgets::Widget;
use shared::event;
use shared::layout::Layout;
use shared::store::core::heat_compare::HeatCompare;
use shared::store::query::Heatmap;

/// The label drawn on the fold line.
pub const FOLD_LABEL: &str = " fold ";

/// A layout box in terminal cells of a map drawn some width across; rows
/// counted from the page's top (before scrolling).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CellBox {
    pub left: u16,
    pub right: u16,
    pub top: u32,
    /// The last row on the map.
    pub bottom: u32,
    /// The box runs past the map's last row.
    pub cut: bool,
}

impl CellBox {
    fn rows(&self) -> u32 {
        self.bottom - self.top + 1
    }

    /// Drawn flat on one row (see the module doc).
    fn flat(&self, labelled: bool) -> bool {
        !self.cut && (self.rows() == 1 || (self.rows() == 2 && labelled))
    }
}

/// Where page rectangle `rect`, of a layout `page_width` wide, lies on `map`
/// drawn `width` cells wide in `mode`; `None` when it is empty, wholly left
/// of or above the page, or wholly below the map.
pub fn cell_box(
    map: &Heatmap,
    mode: HeatMode,
    width: u16,
    page_width: u32,
    rect: &event::Rect,
) -> Option<CellBox> {
    if rect.width == 0 || rect.height == 0 || width == 0 {
        return None;
    }
    let last = |start: i32, size: u32| -> i32 {
        (i64::from(start) + i64::from(size) - 1).clamp(i64::from(i32::MIN), i64::from(i32::MAX))
            as i32
    };
    let (x1, y1) = (last(rect.x, rect.width), last(rect.y, rect.height));
    if x1 < 0 || y1 < 0 || below_map(map, rect.y) {
        return None;
    }
    let cut = below_map(map, y1);
    let y1 = if cut {
        i32::try_from(map.page_height.saturating_sub(1)).unwrap_or(i32::MAX)
    } else {
        y1
    };
    let (c0, r0) = bin_of(map, rect.x, rect.y, page_width)?;
    let (c1, r1) = bin_of(map, x1, y1, page_width)?;
    let (left, top) = cell_of(map, mode, width, c0, r0);
    let (right, bottom) = cell_of(map, mode, width, c1, r1);
    Some(CellBox {
        left: left.min(width - 1),
        right: right.min(width - 1),
        top,
        bottom: bottom.max(top),
        cut,
    })
}

/// The page y of the fold: `views_fold`, the median viewport height of the
/// map's page views ([`shared::store::query::ScrollReach::fold`]) or the
/// height of the window a journey shows, when known; else the viewport
/// height `layout` was captured in. A height of 0 is unknown; `None` when
/// neither is known.
pub fn fold_y(views_fold: Option<u32>, layout: Option<&Layout>) -> Option<u32> {
    let known = |y: &u32| *y > 0;
    views_fold
        .filter(known)
        .or(layout.map(|l| l.viewport.height))
        .filter(known)
}

/// The row of the fold at page `y` ([`fold_y`]) on `map` drawn `width`
/// cells wide, if the fold is on the map.
pub fn fold_row(map: &Heatmap, mode: HeatMode, width: u16, y: u32) -> Option<u32> {
    let y = i32::try_from(y).ok()?;
    if below_map(map, y) {
        return None;
    }
    // Any page width: the fold spans the map, only its row counts.
    let (column, row) = bin_of(map, 0, y, map.page_width.max(1))?;
    Some(cell_of(map, mode, width, column, row).1)
}

/// The wireframe widget: `layout` under `map`, its fold at page `fold`
/// ([`fold_y`]), drawn as the heatmap is with the same options (mode,
/// scroll, colour).
pub struct WireframeWidget<'a> {
    map: &'a Heatmap,
    layout: &'a Layout,
    fold: Option<u32>,
    options: HeatOptions,
}

impl<'a> WireframeWidget<'a> {
    pub fn new(
        map: &'a Heatmap,
        layout: &'a Layout,
        fold: Option<u32>,
        options: HeatOptions,
    ) -> Self {
        Self {
            map,
            layout,
            fold,
            options,
        }
    }
}

/// A heatmap over the wireframe of `layout`, when there is one: the one way
/// the views and the text outputs layer them.
pub struct LayeredHeatmap<'a> {
    pub map: &'a Heatmap,
    pub layout: Option<&'a Layout>,
    /// The views' fold, drawn with the layout ([`fold_y`]).
    pub fold: Option<u32>,
    pub options: HeatOptions,
    /// Draw the change against another range on `map`'s grid instead of
    /// `map`'s clicks ([`HeatDiffWidget`]).
    pub diff: Option<&'a HeatCompare>,
}

impl Widget for LayeredHeatmap<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let mut options = self.options;
        if let Some(layout) = self.layout {
            let fold = fold_y(self.fold, Some(layout));
            WireframeWidget::new(self.map, layout, fold, options).render(area, buf);
            options.over = true;
        }
        match self.diff {
            Some(diff) => HeatDiffWidget::new(self.map, diff, options).render(area, buf),
            None => HeatmapWidget::new(self.map, options).render(area, buf),
        }
    }
}

/// Writes into the visible window of the page: `area`, `scroll` rows down.
struct Pen<'b> {
    buf: &'b mut Buffer,
    area: Rect,
    scroll: u32,
    /// Rows the page takes (nothing is drawn below).
    rows: u32,
}

impl Pen<'_> {
    /// The buffer position of cell `(x, row)`, if it is in view.
    fn at(&self, x: u16, row: u32) -> Option<(u16, u16)> {
        let y = row.checked_sub(self.scroll)?;
        (x < self.area.width && y < u32::from(self.area.height) && row < self.rows)
            .then(|| (self.area.x + x, self.area.y + y as u16))
    }

    fn put(&mut self, x: u16, row: u32, symbol: &str, style: Style) {
        if let Some(position) = self.at(x, row) {
            if let Some(cell) = self.buf.cell_mut(position) {
                cell.set_symbol(symbol).set_style(style);
            }
        }
    }

    /// `text` from cell `(x, row)`, at most `width` cells of it.
    fn write(&mut self, x: u16, row: u32, text: &str, width: u16, style: Style) {
        if let Some((bx, by)) = self.at(x, row) {
            let room = self.area.right().saturating_sub(bx).min(width);
            self.buf.set_stringn(bx, by, text, usize::from(room), style);
        }
    }
}

impl Widget for WireframeWidget<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let (map, layout, opts) = (self.map, self.layout, self.options);
        if area.is_empty() || map.columns == 0 || map.rows == 0 {
            return;
        }
        let line = if opts.color {
            Style::new().fg(theme::WIRE)
        } else {
            Style::new().add_modifier(Modifier::DIM)
        };
        let text = if opts.color {
            Style::new().fg(theme::WIRE_LABEL)
        } else {
            Style::new()
        };
        let boxes: Vec<(CellBox, Option<String>)> = layout
            .boxes
            .iter()
            .filter_map(|b| {
                let placed = cell_box(map, opts.mode, area.width, layout.page.width, &b.rect)?;
                let label = b
                    .label
                    .as_deref()
                    .filter(|_| b.kind.is_labelled())
                    .map(safe)
                    .filter(|l| !l.trim().is_empty());
                Some((placed, label))
            })
            .collect();
        let mut pen = Pen {
            buf,
            area,
            scroll: u32::from(opts.scroll),
            rows: u32::from(content_rows(map, opts.mode, area.width)),
        };
        for (placed, label) in &boxes {
            outline(&mut pen, placed, label.is_some(), line);
        }
        let fold_at = self
            .fold
            .and_then(|y| fold_row(map, opts.mode, area.width, y));
        if let Some(row) = fold_at {
            fold(&mut pen, row, line);
        }
        for (placed, label) in &boxes {
            if let Some(label) = label {
                write_label(&mut pen, placed, label, text);
            }
        }
    }
}

/// A box's border (see the module doc for the shapes).
fn outline(pen: &mut Pen, b: &CellBox, labelled: bool, style: Style) {
    if b.flat(labelled) {
        if b.left == b.right {
            pen.put(b.left, b.top, "▫", style);
            return;
        }
        pen.put(b.left, b.top, "[", style);
        for x in b.left + 1..b.right {
            pen.put(x, b.top, "─", style);
        }
        pen.put(b.right, b.top, "]", style);
        return;
    }
    if b.left == b.right {
        for row in b.top..=b.bottom {
            pen.put(b.left, row, "│", style);
        }
        return;
    }
    let last_side = if b.cut { b.bottom } else { b.bottom - 1 };
    pen.put(b.left, b.top, "┌", style);
    pen.put(b.right, b.top, "┐", style);
    for x in b.left + 1..b.right {
        pen.put(x, b.top, "─", style);
        if !b.cut {
            pen.put(x, b.bottom, "─", style);
        }
    }
    for row in b.top + 1..=last_side {
        pen.put(b.left, row, "│", style);
        pen.put(b.right, row, "│", style);
    }
    if !b.cut {
        pen.put(b.left, b.bottom, "└", style);
        pen.put(b.right, b.bottom, "┘", style);
    }
}

/// A box's label on its first inside row (flat: between its brackets), cut
/// to the room between its borders.
fn write_label(pen: &mut Pen, b: &CellBox, label: &str, style: Style) {
    let row = if b.flat(true) { b.top } else { b.top + 1 };
    let inside = b.cut || row < b.bottom || b.flat(true);
    let room = b.right.saturating_sub(b.left).saturating_sub(1);
    if !inside || room == 0 {
        return;
    }
    pen.write(
        b.left + 1,
        row,
        &ellipsize(label, usize::from(room)),
        room,
        style,
    );
}

/// The fold: a dashed line across the map, labelled at its right end.
fn fold(pen: &mut Pen, row: u32, style: Style) {
    let width = pen.area.width;
    for x in 0..width {
        pen.put(x, row, "╌", style);
    }
    let label_width = FOLD_LABEL.chars().count() as u16;
    if width > label_width + 2 {
        pen.write(width - label_width - 1, row, FOLD_LABEL, label_width, style);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::style::Color;
    use shared::event::Size;
    use shared::layout::{BoxKind, LayoutBox};
    use shared::store::query::HeatBin;

    const WIDTH: u16 = 80;

    /// An 80-cell map of a 1280 × `height` px page: in either mode one
    /// terminal cell is 16 px across and 32 px down. Rows are `y / 32`;
    /// columns go through the store's fine grid of 200 columns (6.4 px), so
    /// `x` is column `floor(floor(x × 200 / 1280) × 80 / 200)`: 0 → 0,
    /// 64 → 4, 640 → 40, 863 → 53, 1215 → 75, 1279 → 79.
    fn map(mode: HeatMode, height: u32, clicks: &[(i32, i32)]) -> Heatmap {
        let columns = mode.columns_for(WIDTH);
        let cell_px = 1280.0 / f64::from(columns);
        let mut map = Heatmap {
            page_width: 1280,
            page_height: height,
            columns,
            rows: (f64::from(height) / cell_px).ceil() as u32,
            cell_px,
            total_clicks: clicks.len() as u64,
            rage_clicks: 0,
            max_cell_clicks: 1,
            bins: Vec::new(),
            top_elements: Vec::new(),
            element_clicks: Vec::new(),
            anchorable: Vec::new(),
        };
        for &(x, y) in clicks {
            if let Some((column, row)) = bin_of(&map, x, y, 1280) {
                map.bins.push(HeatBin {
                    column,
                    row,
                    clicks: 1,
                    rage_clicks: 0,
                });
            }
        }
        map
    }

    fn boxed(kind: BoxKind, label: Option<&str>, [x, y, w, h]: [i32; 4]) -> LayoutBox {
        LayoutBox {
            selector: format!("{}-{x}-{y}", kind.as_str()),
            kind,
            label: label.map(str::to_owned),
            rect: event::Rect {
                x,
                y,
                width: w as u32,
                height: h as u32,
            },
        }
    }

    /// A header with a nav in it, an h1, a button and a footer, on a page
    /// 1280 × 3200 px seen through a viewport 720 px tall.
    fn shop_layout() -> Layout {
        Layout::new(
            Size {
                width: 1280,
                height: 720,
            },
            Size {
                width: 1280,
                height: 3200,
            },
            vec![
                boxed(BoxKind::Header, None, [0, 0, 1280, 160]),
                boxed(BoxKind::Nav, None, [640, 32, 576, 96]),
                boxed(BoxKind::Heading, Some("Summer sale"), [64, 224, 800, 96]),
                boxed(
                    BoxKind::Button,
                    Some("Shop the collection"),
                    [64, 384, 320, 32],
                ),
                boxed(BoxKind::Footer, None, [0, 2880, 1280, 320]),
            ],
        )
    }

    fn draw(map: &Heatmap, layout: &Layout, options: HeatOptions, height: u16) -> Buffer {
        draw_folded(map, layout, None, options, height)
    }

    /// [`draw`] with the views' fold at `fold`.
    fn draw_folded(
        map: &Heatmap,
        layout: &Layout,
        fold: Option<u32>,
        options: HeatOptions,
        height: u16,
    ) -> Buffer {
        let mut buf = Buffer::empty(Rect::new(0, 0, WIDTH, height));
        LayeredHeatmap {
            map,
            layout: Some(layout),
            fold,
            options,
            diff: None,
        }
        .render(buf.area, &mut buf);
        buf
    }

    fn symbol(buf: &Buffer, x: u16, y: u16) -> String {
        buf.cell((x, y))
            .map(|c| c.symbol().to_owned())
            .unwrap_or_default()
    }

    fn row_text(buf: &Buffer, y: u16) -> String {
        (0..buf.area.width).map(|x| symbol(buf, x, y)).collect()
    }

    fn options(mode: HeatMode) -> HeatOptions {
        HeatOptions {
            mode,
            color: true,
            ..HeatOptions::default()
        }
    }

    #[test]
    fn boxes_are_placed_by_the_rule_that_places_clicks() {
        let layout = shop_layout();
        for mode in [HeatMode::Braille, HeatMode::HalfBlock] {
            let map = map(mode, 3200, &[]);
            let buf = draw(&map, &layout, options(mode), 100);
            // Header: x 0–1279 → columns 0–79, y 0–159 → rows 0–4.
            assert_eq!(symbol(&buf, 0, 0), "┌", "{mode:?}");
            assert_eq!(symbol(&buf, 79, 0), "┐", "{mode:?}");
            assert_eq!(symbol(&buf, 0, 4), "└", "{mode:?}");
            assert_eq!(symbol(&buf, 79, 4), "┘", "{mode:?}");
            assert_eq!(symbol(&buf, 0, 2), "│", "{mode:?}");
            // Nav: x 640–1215 → columns 40–75, y 32–127 → rows 1–3.
            assert_eq!(symbol(&buf, 40, 1), "┌", "{mode:?}");
            assert_eq!(symbol(&buf, 75, 1), "┐", "{mode:?}");
            assert_eq!(symbol(&buf, 75, 3), "┘", "{mode:?}");
            // h1: x 64–863 → columns 4–53, rows 7–9, its label on row 8.
            assert_eq!(symbol(&buf, 4, 7), "┌", "{mode:?}");
            assert_eq!(symbol(&buf, 53, 9), "┘", "{mode:?}");
            assert!(
                row_text(&buf, 8).starts_with("    │Summer sale "),
                "{mode:?}"
            );
            // Button: one row (y 384–415 → row 12), x 64–383 → columns
            // 4–23, flat, its label cut to the 18 cells between the brackets.
            let button: String = row_text(&buf, 12).chars().take(30).collect();
            assert_eq!(button, "    [Shop the collecti…]      ", "{mode:?}");
            // The fold: 720 px → row 22, labelled at the right end.
            assert!(row_text(&buf, 22).starts_with("╌╌╌╌"), "{mode:?}");
            assert!(row_text(&buf, 22).ends_with("╌ fold ╌"), "{mode:?}");
            // Footer: y 2880–3199 → rows 90–99.
            assert_eq!(symbol(&buf, 0, 90), "┌", "{mode:?}");
            assert_eq!(symbol(&buf, 79, 99), "┘", "{mode:?}");
            // Nothing between the button and the fold, nor below the page.
            assert_eq!(row_text(&buf, 15).trim(), "", "{mode:?}");
        }
    }

    #[test]
    fn a_click_lands_inside_its_box_and_heat_wins_over_the_outline() {
        for mode in [HeatMode::Braille, HeatMode::HalfBlock] {
            // One click on the header's top-left corner, one on the button.
            let map = map(mode, 3200, &[(4, 4), (200, 400)]);
            let buf = draw(&map, &shop_layout(), options(mode), 30);
            assert_ne!(symbol(&buf, 0, 0), "┌", "{mode:?}: the click's cell");
            assert_ne!(symbol(&buf, 0, 0), " ", "{mode:?}");
            assert_eq!(symbol(&buf, 1, 0), "─", "{mode:?}: the outline beside it");
            // 200 px → column 12, inside the button's columns 4–23.
            let cell = buf.cell((12, 12)).cloned().unwrap_or_default();
            assert_ne!(cell.fg, theme::WIRE_LABEL, "{mode:?}: heat, not the label");
            assert_eq!(symbol(&buf, 4, 12), "[", "{mode:?}");
        }
    }

    #[test]
    fn colours_and_no_color() {
        let map = map(HeatMode::Braille, 3200, &[]);
        let layout = shop_layout();
        let coloured = draw(&map, &layout, options(HeatMode::Braille), 30);
        let corner = coloured.cell((0, 0)).cloned().unwrap_or_default();
        assert_eq!(corner.fg, theme::WIRE);
        assert_eq!(corner.bg, theme::PAGE_BG);
        let label = coloured.cell((5, 8)).cloned().unwrap_or_default();
        assert_eq!(label.fg, theme::WIRE_LABEL);

        let plain = draw(&map, &layout, HeatOptions::default(), 30);
        assert_eq!(row_text(&plain, 0), row_text(&coloured, 0), "same shapes");
        let corner = plain.cell((0, 0)).cloned().unwrap_or_default();
        assert_eq!(corner.fg, Color::Reset);
        assert_eq!(corner.bg, Color::Reset);
        assert!(corner.modifier.contains(Modifier::DIM));
    }

    #[test]
    fn scrolling_moves_the_wireframe_with_the_heat() {
        let map = map(HeatMode::Braille, 3200, &[]);
        let buf = draw(
            &map,
            &shop_layout(),
            HeatOptions {
                scroll: 90,
                ..options(HeatMode::Braille)
            },
            10,
        );
        assert_eq!(symbol(&buf, 0, 0), "┌", "the footer's top, row 90");
        assert_eq!(symbol(&buf, 79, 9), "┘", "its bottom, row 99");
    }

    #[test]
    fn the_map_ends_the_wireframe() {
        // The clicks' pages were 1600 px tall: rows 0–49.
        let map = map(HeatMode::Braille, 1600, &[]);
        let layout = Layout::new(
            Size {
                width: 1280,
                height: 2400,
            },
            Size {
                width: 1280,
                height: 3200,
            },
            vec![
                boxed(BoxKind::Section, None, [0, 1440, 1280, 640]),
                boxed(BoxKind::Footer, None, [0, 2880, 1280, 320]),
            ],
        );
        let buf = draw(&map, &layout, options(HeatMode::Braille), 60);
        assert_eq!(symbol(&buf, 0, 45), "┌", "the section starts on the map");
        assert_eq!(symbol(&buf, 0, 49), "│", "and runs past its end: no bottom");
        for y in 50..60 {
            assert_eq!(row_text(&buf, y).trim(), "", "row {y}: below the map");
        }
        let fold = fold_y(None, Some(&layout));
        assert_eq!(
            fold.and_then(|y| fold_row(&map, HeatMode::Braille, WIDTH, y)),
            None
        );
        let unknown = Layout::new(
            Size {
                width: 1280,
                height: 0,
            },
            layout.page,
            Vec::new(),
        );
        let fold = fold_y(None, Some(&unknown));
        assert_eq!(
            fold.and_then(|y| fold_row(&map, HeatMode::Braille, WIDTH, y)),
            None
        );
    }

    /// The fold drawn is the views' median viewport height when known, the
    /// snapshot's own otherwise.
    #[test]
    fn the_views_fold_is_drawn_over_the_snapshots() {
        let layout = shop_layout();
        let map = map(HeatMode::Braille, 3200, &[]);
        let folded = |fold| {
            let buf = draw_folded(&map, &layout, fold, options(HeatMode::Braille), 100);
            (0..100)
                .filter(|&y| row_text(&buf, y).ends_with("╌ fold ╌"))
                .collect::<Vec<u16>>()
        };
        // The snapshot's 720 px, then the views' 1040 px (row 32).
        assert_eq!(folded(None), [22]);
        assert_eq!(folded(Some(1040)), [32]);
        assert_eq!(fold_y(Some(1040), Some(&layout)), Some(1040));
        assert_eq!(fold_y(None, Some(&layout)), Some(720));
    }

    #[test]
    fn labels_are_cleaned_and_only_headings_controls_and_links_have_one() {
        let map = map(HeatMode::Braille, 3200, &[]);
        let layout = Layout::new(
            Size {
                width: 1280,
                height: 720,
            },
            Size {
                width: 1280,
                height: 3200,
            },
            vec![
                boxed(BoxKind::Input, Some("secret"), [0, 0, 640, 96]),
                boxed(
                    BoxKind::Link,
                    Some("\u{1b}[31mred\u{202e}"),
                    [0, 192, 640, 96],
                ),
                // Too narrow for any label: two columns, nothing between.
                boxed(BoxKind::Button, Some("Go"), [800, 192, 32, 32]),
            ],
        );
        let buf = draw(&map, &layout, options(HeatMode::Braille), 12);
        assert_eq!(
            row_text(&buf, 1).trim_end(),
            format!("│{}│", " ".repeat(38)),
            "an input's label is never drawn"
        );
        let link = row_text(&buf, 7);
        assert!(link.starts_with("│[31mred"), "{link:?}");
        assert!(!link.contains('\u{1b}') && !link.contains('\u{202e}'));
        assert_eq!(symbol(&buf, 50, 6), "[");
        assert_eq!(symbol(&buf, 51, 6), "]");
    }
}
