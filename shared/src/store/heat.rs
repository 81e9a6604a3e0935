//! Heatmap geometry shared by every engine: where a click falls on the fixed
//! fine grid the rollups keep, and how fine cells are scaled to the grid a
//! console asks for.
//!
//! A click at page `(x, y)` on a page `pw` wide falls into fine column
//! `gx = floor(x × HEAT_GRID_X / pw)` (so positions are relative to each
//! click's own page width: responsive layouts stretch) and fine row
//! `gy = floor(y / HEAT_GRID_Y_PX)` (absolute page pixels). A heatmap of
//! `columns` columns over a representative page width `w` puts fine cell
//! `(gx, gy)` into column `floor(gx × columns / HEAT_GRID_X)` and row
//! `floor(gy × HEAT_GRID_Y_PX × columns / w)`. Because every engine bins the
//! same integers the same way, they answer identically whether they read
//! rollups or raw events; a click at 50 % of the width lands in the middle
//! column.
//!
//! A click on an element whose box is known is also *anchored*
//! ([`Anchor`]): where inside the box it fell, on a grid of
//! [`ANCHOR_GRID`] × [`ANCHOR_GRID`] cells over the box. A heatmap drawn over
//! a layout that has the element places the click at that offset inside the
//! element's box in the layout ([`crate::store::core::anchoring`]), so the
//! same button clicked at different widths lands on the button.

use super::query::{ElementBins, ElementStat, HeatBin, Heatmap, WidthSegment};
use crate::event::Rect;
use crate::limits::{ANCHOR_GRID, HEAT_BUCKET_MS, HEAT_GRID_X, HEAT_GRID_Y_PX};
use std::collections::{BTreeMap, HashMap};

/// How many clicked elements a heatmap lists.
pub const TOP_ELEMENT_ROWS: usize = 10;

/// Clicks and rage clicks per `(row, column)` of a scaled grid.
pub type Bins = BTreeMap<(u32, u32), (u64, u64)>;

/// A clicked element's sums, gathered over rollups and raw clicks.
#[derive(Debug, Default)]
pub struct ElementSum {
    pub label: Option<String>,
    pub clicks: u64,
    pub rage_clicks: u64,
}

/// A click's place in the rollups: width segment, day and fine cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FineCell {
    pub segment: WidthSegment,
    pub day: i64,
    pub gx: i64,
    pub gy: i64,
}

impl FineCell {
    /// Where a click lands, or `None` when it cannot be placed (no
    /// coordinates or no page width).
    pub fn of(
        ts: i64,
        x: Option<i32>,
        y: Option<i32>,
        page_width: Option<u32>,
        viewport_width: Option<u32>,
    ) -> Option<Self> {
        let (x, y, pw) = (i64::from(x?), i64::from(y?), i64::from(page_width?));
        if pw <= 0 {
            return None;
        }
        Some(Self {
            segment: segment_of(viewport_width.map_or(pw, i64::from)),
            day: day_of(ts),
            gx: (x * HEAT_GRID_X / pw).clamp(0, HEAT_GRID_X - 1),
            gy: y.max(0) / HEAT_GRID_Y_PX,
        })
    }
}

/// Where a click fell inside its element's box: column `ax` and row `ay` of
/// the [`ANCHOR_GRID`] × [`ANCHOR_GRID`] grid over the box (clamped to it:
/// a click just outside its box is on the box's edge).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Anchor {
    pub ax: i64,
    pub ay: i64,
}

impl Anchor {
    /// The anchor of a click at `(x, y)` on an element with box `element`
    /// (page pixels), or `None` without a point or a box of some size.
    pub fn of(x: Option<i32>, y: Option<i32>, element: Option<Rect>) -> Option<Self> {
        let (x, y, rect) = (i64::from(x?), i64::from(y?), element?);
        if rect.width == 0 || rect.height == 0 {
            return None;
        }
        let along = |p: i64, start: i32, length: u32| {
            ((p - i64::from(start)) * ANCHOR_GRID / i64::from(length)).clamp(0, ANCHOR_GRID - 1)
        };
        Some(Self {
            ax: along(x, rect.x, rect.width),
            ay: along(y, rect.y, rect.height),
        })
    }

    /// The anchor as one number (`ay × ANCHOR_GRID + ax`), as engines store it.
    pub fn code(self) -> i64 {
        self.ay * ANCHOR_GRID + self.ax
    }

    /// The anchor stored as `code`; `None` outside the grid.
    pub fn from_code(code: i64) -> Option<Self> {
        (0..ANCHOR_GRID * ANCHOR_GRID)
            .contains(&code)
            .then_some(Self {
                ax: code % ANCHOR_GRID,
                ay: code / ANCHOR_GRID,
            })
    }

    /// The page point at the centre of this anchor's cell inside `rect`.
    pub fn point_in(self, rect: Rect) -> (i32, i32) {
        let at = |start: i32, length: u32, a: i64| {
            let offset = (2 * a + 1) * i64::from(length) / (2 * ANCHOR_GRID);
            (i64::from(start) + offset).clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32
        };
        (
            at(rect.x, rect.width, self.ax),
            at(rect.y, rect.height, self.ay),
        )
    }
}

/// The rule every engine anchors clicks by: a click is anchored when it
/// names its element (`selector`) and the element has a box with an area;
/// then its selector and [`Anchor`].
pub fn click_anchor<S>(
    selector: Option<S>,
    x: Option<i32>,
    y: Option<i32>,
    element: Option<Rect>,
) -> Option<(S, Anchor)> {
    selector.zip(Anchor::of(x, y, element))
}

/// The width segment of a click by its viewport width (its page width when
/// the viewport is unknown). Never [`WidthSegment::All`].
pub fn segment_of(width: i64) -> WidthSegment {
    [
        WidthSegment::Desktop,
        WidthSegment::Tablet,
        WidthSegment::Mobile,
    ]
    .into_iter()
    .find(|s| width >= i64::from(s.width_bounds().0))
    .unwrap_or(WidthSegment::Mobile)
}

/// The number a segment is stored as (0 desktop, 1 tablet, 2 mobile).
pub fn segment_code(segment: WidthSegment) -> i64 {
    match segment {
        WidthSegment::Desktop | WidthSegment::All => 0,
        WidthSegment::Tablet => 1,
        WidthSegment::Mobile => 2,
    }
}

/// The segment stored as `code` (the inverse of [`segment_code`]).
pub fn segment_from_code(code: i64) -> WidthSegment {
    match code {
        0 => WidthSegment::Desktop,
        1 => WidthSegment::Tablet,
        _ => WidthSegment::Mobile,
    }
}

/// Start of the UTC day of `ts` (ms since the epoch), also before 1970.
pub fn day_of(ts: i64) -> i64 {
    ts.div_euclid(HEAT_BUCKET_MS) * HEAT_BUCKET_MS
}

/// The days wholly inside `[from, to)`: `(first, end)` such that every day
/// start `d` with `first <= d < end` is whole; `end` is `None` when the range
/// is open (the current day is whole, since nothing later exists yet).
pub fn whole_days(from: Option<i64>, to: Option<i64>) -> (i64, Option<i64>) {
    let first = from.map_or(i64::MIN, |f| {
        let d = day_of(f);
        if d == f {
            d
        } else {
            d.saturating_add(HEAT_BUCKET_MS)
        }
    });
    (first, to.map(day_of))
}

/// A heatmap's clicks by page width, with the tallest page and the lowest
/// click among them: what its grid is scaled from.
#[derive(Debug, Default)]
pub struct Extents {
    widths: HashMap<i64, u64>,
    max_ph: Option<i64>,
    max_y: Option<i64>,
}

impl Extents {
    /// Adds `clicks` clicks on pages `width` wide, at most `ph` tall, the
    /// lowest at `y` (nothing when `clicks` is 0).
    pub fn add(&mut self, width: i64, clicks: u64, ph: Option<i64>, y: Option<i64>) {
        if clicks == 0 {
            return;
        }
        *self.widths.entry(width).or_default() += clicks;
        self.max_ph = self.max_ph.max(ph);
        self.max_y = self.max_y.max(y);
    }

    /// The number of clicks and the grid of `columns` columns over the
    /// median page width, as tall as the tallest page or the lowest click;
    /// `None` without clicks.
    pub fn scale(self, columns: u32) -> Option<(u64, Scale)> {
        let mut histogram: Vec<(i64, u64)> = self.widths.into_iter().collect();
        let total: u64 = histogram.iter().map(|&(_, n)| n).sum();
        let page_width = lower_median(&mut histogram)?;
        let page_height = self
            .max_ph
            .unwrap_or(0)
            .max(self.max_y.unwrap_or(0).saturating_add(1))
            .max(1);
        Some((total, Scale::new(columns, page_width, page_height)))
    }
}

/// The scaled grid of one heatmap: how fine cells map to its columns and rows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scale {
    pub columns: u32,
    pub rows: u32,
    pub page_width: u32,
    pub page_height: u32,
    /// Width and height of one cell in page pixels.
    pub cell_px: f64,
}

impl Scale {
    /// The grid of `columns` columns over a page `page_width` wide (at least
    /// 1) and `page_height` tall: square cells, as many rows as the height needs.
    pub fn new(columns: u32, page_width: i64, page_height: i64) -> Self {
        let page_width = page_width.clamp(1, i64::from(u32::MAX));
        let page_height = page_height.clamp(1, i64::from(u32::MAX));
        let spanned = page_height * i64::from(columns);
        let rows = (spanned / page_width + i64::from(spanned % page_width != 0)).clamp(1, 1 << 20);
        Self {
            columns,
            rows: rows as u32,
            page_width: page_width as u32,
            page_height: page_height as u32,
            cell_px: page_width as f64 / f64::from(columns),
        }
    }

    /// `(column, row)` of fine cell `(gx, gy)`.
    pub fn cell(&self, gx: i64, gy: i64) -> (u32, u32) {
        let columns = i64::from(self.columns);
        let column = (gx.clamp(0, HEAT_GRID_X - 1) * columns / HEAT_GRID_X).clamp(0, columns - 1);
        let row = (gy.max(0) * HEAT_GRID_Y_PX * columns / i64::from(self.page_width))
            .clamp(0, i64::from(self.rows) - 1);
        (column as u32, row as u32)
    }
}

impl Scale {
    /// The grid `map` was binned on; `None` for a map without one (no
    /// clicks).
    pub fn of(map: &Heatmap) -> Option<Self> {
        (map.columns > 0 && map.rows > 0 && map.page_width > 0).then(|| {
            Self::new(
                map.columns,
                i64::from(map.page_width),
                i64::from(map.page_height),
            )
        })
    }

    /// The heatmap of no clicks on this grid.
    pub fn empty_heatmap(&self) -> Heatmap {
        self.heatmap(0, Bins::new(), HashMap::new(), BTreeMap::new())
    }

    /// The heatmap of `total` clicks gathered into `bins` and `elements` on
    /// this grid, with the anchored clicks of each element binned in
    /// `anchorable`: the non-empty cells by row then column, and the most
    /// clicked elements (ties by selector).
    pub fn heatmap(
        &self,
        total: u64,
        bins: Bins,
        elements: HashMap<String, ElementSum>,
        anchorable: BTreeMap<String, Bins>,
    ) -> Heatmap {
        let bins = bin_list(bins);
        let mut top: Vec<(String, ElementSum)> =
            elements.into_iter().filter(|(_, e)| e.clicks > 0).collect();
        top.sort_by(|a, b| b.1.clicks.cmp(&a.1.clicks).then_with(|| a.0.cmp(&b.0)));
        let element_clicks: Vec<ElementStat> = top
            .into_iter()
            .map(|(selector, e)| ElementStat {
                selector,
                label: e.label,
                clicks: e.clicks,
                share: e.clicks as f64 / total as f64,
                rage_clicks: e.rage_clicks,
            })
            .collect();
        Heatmap {
            page_width: self.page_width,
            page_height: self.page_height,
            columns: self.columns,
            rows: self.rows,
            cell_px: self.cell_px,
            total_clicks: total,
            rage_clicks: bins.iter().map(|b| b.rage_clicks).sum(),
            max_cell_clicks: bins.iter().map(|b| b.clicks).max().unwrap_or(0),
            bins,
            anchorable: anchorable
                .into_iter()
                .map(|(selector, bins)| ElementBins {
                    selector,
                    bins: bin_list(bins),
                })
                .filter(|e| !e.bins.is_empty())
                .collect(),
            top_elements: element_clicks
                .iter()
                .take(TOP_ELEMENT_ROWS)
                .cloned()
                .collect(),
            element_clicks,
        }
    }
}

/// The non-empty cells of `bins`, by row then column.
pub fn bin_list(bins: Bins) -> Vec<HeatBin> {
    bins.into_iter()
        .filter(|&(_, (clicks, _))| clicks > 0)
        .map(|((row, column), (clicks, rage_clicks))| HeatBin {
            column,
            row,
            clicks,
            rage_clicks,
        })
        .collect()
}

/// The heatmap of no clicks.
pub fn empty_heatmap(columns: u32) -> Heatmap {
    Heatmap {
        page_width: 0,
        page_height: 0,
        columns,
        rows: 0,
        cell_px: 0.0,
        total_clicks: 0,
        rage_clicks: 0,
        max_cell_clicks: 0,
        bins: Vec::new(),
        top_elements: Vec::new(),
        element_clicks: Vec::new(),
        anchorable: Vec::new(),
    }
}

/// The lower median of a histogram of `(value, count)` pairs: the value at
/// position `(n - 1) / 2` of the sorted values. `None` when empty.
pub fn lower_median(histogram: &mut [(i64, u64)]) -> Option<i64> {
    histogram.sort_unstable_by_key(|&(value, _)| value);
    let total: u64 = histogram.iter().map(|&(_, n)| n).sum();
    if total == 0 {
        return None;
    }
    let mut position = (total - 1) / 2;
    for &(value, n) in histogram.iter() {
        if position < n {
            return Some(value);
        }
        position -= n;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_the_width_is_the_middle_column() {
        let cell = FineCell::of(0, Some(640), Some(0), Some(1280), None).unwrap();
        for columns in [1, 2, 3, 10, 11, 79, 80, 160, 317] {
            let scale = Scale::new(columns, 1280, 800);
            assert_eq!(scale.cell(cell.gx, cell.gy).0, columns / 2, "{columns}");
        }
    }

    #[test]
    fn fine_cells_clamp_to_the_page() {
        let c = FineCell::of(0, Some(-5), Some(-3), Some(100), Some(100)).unwrap();
        assert_eq!((c.gx, c.gy), (0, 0));
        let c = FineCell::of(0, Some(150), Some(9), Some(100), Some(100)).unwrap();
        assert_eq!((c.gx, c.gy), (HEAT_GRID_X - 1, 2));
        assert!(FineCell::of(0, Some(1), Some(1), Some(0), None).is_none());
        assert!(FineCell::of(0, None, Some(1), Some(10), None).is_none());
    }

    fn rect(x: i32, y: i32, width: u32, height: u32) -> Rect {
        Rect {
            x,
            y,
            width,
            height,
        }
    }

    #[test]
    fn anchors_are_offsets_inside_the_box() {
        let button = rect(100, 200, 64, 32);
        let a = Anchor::of(Some(100), Some(200), Some(button)).unwrap();
        assert_eq!((a.ax, a.ay), (0, 0));
        let a = Anchor::of(Some(132), Some(216), Some(button)).unwrap();
        assert_eq!((a.ax, a.ay), (16, 16));
        let a = Anchor::of(Some(163), Some(231), Some(button)).unwrap();
        assert_eq!((a.ax, a.ay), (ANCHOR_GRID - 1, ANCHOR_GRID - 1));
        // Outside the box: on its edge.
        let a = Anchor::of(Some(90), Some(400), Some(button)).unwrap();
        assert_eq!((a.ax, a.ay), (0, ANCHOR_GRID - 1));
        assert!(Anchor::of(Some(1), Some(1), Some(rect(0, 0, 0, 10))).is_none());
        assert!(Anchor::of(Some(1), Some(1), None).is_none());
        assert!(Anchor::of(None, Some(1), Some(button)).is_none());
    }

    #[test]
    fn an_anchor_placed_in_another_box_keeps_its_relative_offset() {
        let narrow = rect(100, 200, 64, 32);
        let wide = rect(1000, 50, 128, 64);
        let a = Anchor::of(Some(148), Some(208), Some(narrow)).unwrap();
        let (x, y) = a.point_in(wide);
        // 3/4 across and 1/4 down, within one anchor cell.
        assert!((x - (1000 + 96)).abs() <= 4, "{x}");
        assert!((y - (50 + 16)).abs() <= 2, "{y}");
        assert_eq!(Anchor::of(Some(x), Some(y), Some(wide)), Some(a));
        for code in [0, 1, 33, ANCHOR_GRID * ANCHOR_GRID - 1] {
            assert_eq!(Anchor::from_code(code).map(Anchor::code), Some(code));
        }
        assert_eq!(Anchor::from_code(ANCHOR_GRID * ANCHOR_GRID), None);
        assert_eq!(Anchor::from_code(-1), None);
    }

    #[test]
    fn segments_follow_the_viewport() {
        assert_eq!(segment_of(1024), WidthSegment::Desktop);
        assert_eq!(segment_of(1023), WidthSegment::Tablet);
        assert_eq!(segment_of(768), WidthSegment::Tablet);
        assert_eq!(segment_of(767), WidthSegment::Mobile);
        assert_eq!(segment_of(0), WidthSegment::Mobile);
    }

    #[test]
    fn whole_days_of_ranges() {
        let d = HEAT_BUCKET_MS;
        assert_eq!(whole_days(None, None), (i64::MIN, None));
        assert_eq!(whole_days(Some(d), Some(3 * d)), (d, Some(3 * d)));
        assert_eq!(
            whole_days(Some(d + 1), Some(3 * d - 1)),
            (2 * d, Some(2 * d))
        );
        assert_eq!(day_of(-1), -d);
    }

    #[test]
    fn rows_keep_cells_square() {
        let s = Scale::new(10, 1000, 2050);
        assert_eq!((s.rows, s.cell_px), (21, 100.0));
        // y 2049 px → fine row 512 → 512 × 4 × 10 / 1000 = 20.
        assert_eq!(s.cell(0, 2049 / HEAT_GRID_Y_PX), (0, 20));
    }

    #[test]
    fn lower_median_of_histograms() {
        assert_eq!(lower_median(&mut []), None);
        assert_eq!(lower_median(&mut [(5, 1)]), Some(5));
        assert_eq!(lower_median(&mut [(9, 1), (1, 1)]), Some(1));
        assert_eq!(lower_median(&mut [(9, 2), (1, 1)]), Some(9));
        assert_eq!(lower_median(&mut [(3, 2), (1, 2), (2, 1)]), Some(2));
    }
}
