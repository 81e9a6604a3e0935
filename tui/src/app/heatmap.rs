//! The Heatmap view's state and update: a page picker (pages by clicks,
//! narrowed by a typed search; a `*` pattern merges template pages) and the
//! click map of the chosen page, fetched at the map's width in dots; with
//! `C`, the map compared with the previous period (or the range `B` chose),
//! fetched with it on the same grid and layouts.

use super::context::Ctx;
use super::popup::search_pattern;
use super::remote::{unpack, Remote};
use super::selection::{keep_visible, step_index};
use crate::heat_layout::{ComparedMaps, DrawnOver, MapWithLayout, OnLayout};
use crate::layout;
use crate::widgets::heatmap::{content_rows, HeatMode};
use crate::worker::{Answer, Pane, Query};
use ratatui::layout::Rect;
use shared::page_key::PagePattern;
use shared::store::core::heat_compare::HeatCompare;
use shared::store::layout_query::StoredLayout;
use shared::store::query::{Heatmap, HeatmapQuery, PageStats, ScrollReach, WidthSegment};

/// Where keys go in the heatmap view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HeatFocus {
    #[default]
    Picker,
    Map,
}

/// A row of the heatmap's page picker.
#[derive(Debug, Clone, PartialEq)]
pub enum PickerRow<'a> {
    /// The typed wildcard pattern itself, merging every page it matches.
    Pattern(&'a str),
    Page(&'a PageStats),
}

/// Width segment, with a default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment(pub WidthSegment);

impl Default for Segment {
    fn default() -> Self {
        Self(WidthSegment::All)
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct HeatState {
    pub pages: Remote<Vec<PageStats>>,
    /// The typed pattern narrowing the picker.
    pub search: Option<String>,
    pub selected: usize,
    pub scroll: usize,
    pub focus: HeatFocus,
    pub current: Option<PagePattern>,
    pub map: Remote<Heatmap>,
    pub segment: Segment,
    pub mode: HeatMode,
    pub map_scroll: u16,
    pub columns: u32,
    /// The layout versions of the map's segment, fetched with it, newest
    /// first, each with the map placed over it.
    pub versions: Vec<DrawnOver>,
    /// The version drawn (`O` steps to older ones): an index into `versions`.
    pub layout_index: usize,
    /// The wireframe is hidden (the `o` key); shown by default, when the
    /// map has a layout. The journey's map follows it too.
    pub wireframe_hidden: bool,
    /// How far down the map's pages were read, fetched with it: the gutter.
    pub reach: ScrollReach,
    /// The map is compared with another range (`C`, `B`): off by default,
    /// and apart from the overview's comparison, which is on by default.
    pub compare: bool,
    /// The comparison that came with the map, when it was asked for.
    pub compared: Option<ComparedMaps>,
}

impl HeatState {
    /// The version the map is drawn over.
    fn drawn_over(&self) -> Option<&DrawnOver> {
        self.versions.get(self.layout_index)
    }

    /// The layout the map is drawn over.
    pub fn layout(&self) -> Option<&StoredLayout> {
        self.drawn_over().map(|v| &v.layout)
    }

    /// How the map's clicks sit on that layout: placed on their elements,
    /// or on elements it does not have.
    pub fn on_layout(&self) -> OnLayout {
        self.drawn_over().map(|v| v.clicks).unwrap_or_default()
    }

    /// The map as drawn: placed over the layout drawn, when there is one.
    pub fn drawn_map(&self) -> Option<&Heatmap> {
        self.drawn_over().map(|v| &v.map).or(self.map.data.as_ref())
    }

    /// The comparison as drawn (over the layout drawn, when there is one)
    /// and the map whose grid it is drawn on.
    pub fn drawn_diff(&self) -> Option<(&HeatCompare, &Heatmap)> {
        let compared = self.compared.as_ref()?;
        let index = self.drawn_over().map(|_| self.layout_index);
        let grid = compared.grid(self.drawn_map()?);
        Some((compared.drawn(index), grid))
    }

    /// `C` in the heatmap: comparing on or off; the map is fetched again.
    pub(super) fn toggle_compare(&mut self) {
        self.compare = !self.compare;
        self.map.fresh = false;
    }

    /// Which version that is.
    pub fn version_of(&self) -> crate::heat_layout::VersionOf {
        crate::heat_layout::VersionOf {
            index: self.layout_index,
            count: self.versions.len(),
        }
    }

    /// `O`: the next older layout version, after the oldest the newest again.
    pub(super) fn older_layout(&mut self) {
        if !self.versions.is_empty() {
            self.layout_index = (self.layout_index + 1) % self.versions.len();
        }
    }

    pub fn picker_rows(&self) -> Vec<PickerRow<'_>> {
        let mut rows = Vec::new();
        if let Some(search) = self.search.as_deref().filter(|s| s.contains('*')) {
            rows.push(PickerRow::Pattern(search));
        }
        if let Some(pages) = &self.pages.data {
            rows.extend(pages.iter().map(PickerRow::Page));
        }
        rows
    }

    fn pattern_at(&self, i: usize) -> Option<PagePattern> {
        match self.picker_rows().get(i)? {
            PickerRow::Pattern(p) => Some(PagePattern::new(p)),
            PickerRow::Page(p) => Some(PagePattern::new(&p.page)),
        }
    }

    /// The page the cross-filter would use: the map's, or the picked row's.
    pub(super) fn chosen_page(&self) -> Option<PagePattern> {
        match self.focus {
            HeatFocus::Map => self.current.clone(),
            HeatFocus::Picker => self.pattern_at(self.selected),
        }
    }

    /// The picked row's page, when the picker has the keys (Enter opens it).
    pub(super) fn picked(&self) -> Option<PagePattern> {
        match self.focus {
            HeatFocus::Picker => self.pattern_at(self.selected),
            HeatFocus::Map => None,
        }
    }

    /// Shows the map of `pattern` from its top; it is fetched when shown.
    pub(super) fn open(&mut self, pattern: PagePattern) {
        self.current = Some(pattern);
        self.focus = HeatFocus::Map;
        self.map_scroll = 0;
        self.map.fresh = false;
        self.map.data = None;
        self.versions.clear();
        self.compared = None;
        self.layout_index = 0;
    }

    /// No map: the picker has the keys.
    pub(super) fn close(&mut self) {
        self.current = None;
        self.focus = HeatFocus::Picker;
        self.map_scroll = 0;
        self.map = Remote::default();
        self.versions.clear();
        self.compared = None;
        self.layout_index = 0;
    }

    /// Esc on the map gives the keys back to the picker; true if it did.
    pub(super) fn leave_map(&mut self) -> bool {
        if self.focus != HeatFocus::Map {
            return false;
        }
        self.focus = HeatFocus::Picker;
        true
    }

    /// Back to the first row of the picker.
    pub(super) fn reset_selection(&mut self) {
        self.selected = 0;
        self.scroll = 0;
    }

    /// Marks the page list and the map out of date.
    pub(super) fn invalidate(&mut self) {
        self.pages.fresh = false;
        self.map.fresh = false;
    }

    /// The next width segment; the map is fetched again when shown.
    pub(super) fn next_segment(&mut self) {
        let all = WidthSegment::ALL;
        let i = all.iter().position(|s| *s == self.segment.0).unwrap_or(0);
        self.segment = Segment(all[(i + 1) % all.len()]);
        self.map.fresh = false;
    }

    /// Shows or hides the wireframe under the maps.
    pub(super) fn toggle_wireframe(&mut self) {
        self.wireframe_hidden = !self.wireframe_hidden;
    }

    /// The layout to draw under the map, unless the wireframe is hidden.
    pub fn wireframe(&self) -> Option<&StoredLayout> {
        self.layout().filter(|_| !self.wireframe_hidden)
    }

    /// Braille ↔ half blocks; the map's grid width changes with it.
    pub(super) fn toggle_mode(&mut self) {
        self.mode = self.mode.toggled();
        self.map.fresh = false;
        self.map_scroll = 0;
    }

    /// Narrows the picker to `search` and fetches it.
    pub(super) fn search_for(&mut self, search: Option<String>, cx: &mut Ctx) {
        self.search = search;
        self.reset_selection();
        self.focus = HeatFocus::Picker;
        self.load_pages(cx);
    }

    pub(super) fn ensure_loaded(&mut self, cx: &mut Ctx) {
        if !self.pages.fresh {
            self.load_pages(cx);
        }
        if self.current.is_some() && !self.map.fresh {
            self.load_map(cx);
        }
    }

    fn load_pages(&mut self, cx: &mut Ctx) {
        let pattern = self.search.as_deref().map(search_pattern);
        let query = Query::HeatPages {
            filter: cx.query_filter(),
            pattern,
        };
        let generation = cx.send(Pane::HeatPages, query);
        self.pages.wait_for(generation);
    }

    fn load_map(&mut self, cx: &mut Ctx) {
        let Some(pattern) = self.current.clone() else {
            return;
        };
        let columns = self.columns_for(cx.body);
        let query = HeatmapQuery {
            pages: pattern,
            filter: cx.query_filter(),
            segment: self.segment.0,
            columns,
        };
        // Without a range to compare with ("all time"), the map alone.
        let compared = self
            .compare
            .then(|| cx.compared_filter())
            .flatten()
            .map(|f| f.range);
        let query = match compared {
            Some(range) => Query::ComparedHeatmap { query, range },
            None => Query::Heatmap(query),
        };
        let generation = cx.send(Pane::Heatmap, query);
        self.map.wait_for(generation);
        self.columns = columns;
    }

    /// Grid columns for the map drawn in `body`: one bin per dot.
    fn columns_for(&self, body: Rect) -> u32 {
        self.mode.columns_for(layout::heatmap::map_area(body).width)
    }

    /// The map is fetched again when the terminal's width changed its
    /// number of dots across.
    pub(super) fn resized(&mut self, cx: &mut Ctx) {
        if self.current.is_some() && self.columns != self.columns_for(cx.body) {
            self.load_map(cx);
        }
    }

    /// Takes the picker's pages requested as `generation`, unless stale.
    pub(super) fn pages_answer(&mut self, generation: u64, result: Result<Answer, String>) {
        let result = unpack(result, |a| match a {
            Answer::HeatPages(p) => Some(p),
            _ => None,
        });
        if self.pages.accept(generation, result) {
            let n = self.picker_rows().len();
            self.selected = self.selected.min(n.saturating_sub(1));
        }
    }

    /// Takes the map requested as `generation`, unless stale.
    pub(super) fn map_answer(
        &mut self,
        generation: u64,
        result: Result<Answer, String>,
        body: Rect,
    ) {
        let result = unpack(result, |a| match a {
            Answer::Heatmap(h) => Some(h),
            _ => None,
        });
        let (result, drawn) = split_layout(result);
        if self.map.accept(generation, result) {
            if let Some((versions, reach, compared)) = drawn {
                self.versions = versions;
                self.reach = reach;
                self.compared = compared;
                self.layout_index = 0;
            }
            self.clamp_map_scroll(body);
        }
    }

    /// Keeps the map's scroll within the page.
    pub(super) fn clamp_map_scroll(&mut self, body: Rect) {
        let area = layout::heatmap::map_area(body);
        // A comparison is drawn on its grid, which may be the compared
        // range's when the map has no clicks.
        let grid = match self.drawn_diff() {
            Some((_, grid)) => Some(grid),
            None => self.map.data.as_ref(),
        };
        let content = grid.map_or(0, |m| content_rows(m, self.mode, area.width));
        let max = content.saturating_sub(area.height);
        self.map_scroll = self.map_scroll.min(max);
    }

    /// Moves the picker's selection, or scrolls the map.
    pub(super) fn move_by(&mut self, delta: i64, body: Rect) {
        match self.focus {
            HeatFocus::Picker => {
                let len = self.picker_rows().len();
                self.selected = step_index(self.selected, delta, len);
                let rows = layout::heatmap::picker_rows(body) as usize;
                self.scroll = keep_visible(self.scroll, self.selected, rows);
            }
            HeatFocus::Map => {
                let scroll = i64::from(self.map_scroll) + delta;
                self.map_scroll = scroll.clamp(0, i64::from(u16::MAX)) as u16;
                self.clamp_map_scroll(body);
            }
        }
    }

    /// Rows a page key moves by: the picker's, or the map's.
    pub(super) fn page_rows(&self, body: Rect) -> u16 {
        match self.focus {
            HeatFocus::Picker => layout::heatmap::picker_rows(body),
            HeatFocus::Map => layout::heatmap::map_area(body).height,
        }
    }
}

/// What comes with a map: its layout versions, its scroll reach and its
/// comparison.
pub(super) type Drawn = (Vec<DrawnOver>, ScrollReach, Option<ComparedMaps>);

/// A map answer as the map (for its [`Remote`]) and, when it came, its
/// layout versions, scroll reach and comparison.
pub(super) fn split_layout(
    result: Result<MapWithLayout, String>,
) -> (Result<Heatmap, String>, Option<Drawn>) {
    match result {
        Ok(all) => (Ok(all.map), Some((all.versions, all.reach, all.compared))),
        Err(error) => (Err(error), None),
    }
}
