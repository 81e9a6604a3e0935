//! The application state ([`App`]), its messages ([`Msg`]) and the one
//! function that changes it ([`update`]).
//!
//! `update` never touches the terminal or the database: it changes the state
//! and queues [`Request`]s in [`App::outbox`], which the runtime hands to the
//! query worker. Answers come back as [`Msg::Loaded`]. That keeps every
//! behaviour testable without a terminal.

use crate::filters::{self, Field, Range};
use crate::keys::{self, Action};
use crate::layout;
use crate::views;
use crate::widgets::heatmap::{self, HeatMode};
use crate::worker::{Answer, Loaded, Pane, Query, Request, RequestId, LIVE_BATCH};
use ratatui::crossterm::event::{
    KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
use ratatui::layout::{Position, Rect};
use shared::event::DeviceClass;
use shared::page_key::PagePattern;
use shared::store::query::*;
use std::collections::VecDeque;

/// The screens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum View {
    Overview,
    Sessions,
    Journey,
    Heatmap,
    Pages,
    Live,
}

impl View {
    pub const ALL: [View; 6] = [
        Self::Overview,
        Self::Sessions,
        Self::Journey,
        Self::Heatmap,
        Self::Pages,
        Self::Live,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Self::Overview => "Overview",
            Self::Sessions => "Sessions",
            Self::Journey => "Journey",
            Self::Heatmap => "Heatmap",
            Self::Pages => "Pages",
            Self::Live => "Live",
        }
    }

    fn index(self) -> usize {
        Self::ALL.iter().position(|v| *v == self).unwrap_or(0)
    }

    fn step(self, by: isize) -> Self {
        let n = Self::ALL.len() as isize;
        Self::ALL[(self.index() as isize + by).rem_euclid(n) as usize]
    }
}

/// Everything that can happen.
#[derive(Debug, Clone, PartialEq)]
pub enum Msg {
    Key(KeyEvent),
    Mouse(MouseEvent),
    Resize(u16, u16),
    Action(Action),
    /// A query's answer from the worker.
    Loaded(Box<Loaded>),
    /// The clock moved (milliseconds since the epoch); drives live polling.
    Tick(i64),
    Quit,
}

/// Data fetched from the store, with its loading and error state.
#[derive(Debug, Clone, PartialEq)]
pub struct Remote<T> {
    pub data: Option<T>,
    /// The generation of the request in flight; answers with another one
    /// were superseded.
    pub pending: Option<u64>,
    pub error: Option<String>,
    /// False when the filter changed since the data was requested.
    pub fresh: bool,
}

impl<T> Default for Remote<T> {
    fn default() -> Self {
        Self {
            data: None,
            pending: None,
            error: None,
            fresh: false,
        }
    }
}

impl<T> Remote<T> {
    pub fn loading(&self) -> bool {
        self.pending.is_some()
    }

    /// Takes the answer to request `generation` if it is the one in flight
    /// (true), and drops it if a newer request superseded it (false).
    fn accept(&mut self, generation: u64, result: Result<T, String>) -> bool {
        if self.pending != Some(generation) {
            return false;
        }
        self.settle(result);
        true
    }

    fn settle(&mut self, result: Result<T, String>) {
        self.pending = None;
        match result {
            Ok(data) => {
                self.data = Some(data);
                self.error = None;
            }
            Err(error) => self.error = Some(error),
        }
    }
}

/// Session rows fetched per request.
pub const SESSION_WINDOW: u32 = 200;

#[derive(Debug, Clone, PartialEq)]
pub struct SessionsState {
    pub sort: Sort<SessionSortKey>,
    /// Absolute index of the selected session.
    pub selected: u64,
    /// Absolute index of the first visible row.
    pub scroll: u64,
    /// The loaded window of rows (offset, page).
    pub window: Remote<(u64, SessionPage)>,
    pending_offset: Option<u64>,
}

impl SessionsState {
    pub fn total(&self) -> u64 {
        self.window.data.as_ref().map_or(0, |(_, p)| p.total)
    }

    /// The row at absolute index `i`, if loaded.
    pub fn row(&self, i: u64) -> Option<&SessionSummary> {
        let (offset, page) = self.window.data.as_ref()?;
        let at = i.checked_sub(*offset)?;
        page.rows.get(usize::try_from(at).ok()?)
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct JourneyState {
    pub target: Option<SessionRef>,
    pub data: Remote<Option<Journey>>,
    pub step: usize,
    pub scroll: usize,
    pub heat: Remote<Heatmap>,
    /// The page key the side heatmap shows.
    pub heat_page: Option<String>,
    pub heat_columns: u32,
}

impl JourneyState {
    pub fn current(&self) -> Option<&StoredEvent> {
        self.data.data.as_ref()?.as_ref()?.steps.get(self.step)
    }

    fn len(&self) -> usize {
        self.data
            .data
            .as_ref()
            .and_then(|j| j.as_ref())
            .map_or(0, |j| j.steps.len())
    }
}

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
}

/// Width segment, with a default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment(pub WidthSegment);

impl Default for Segment {
    fn default() -> Self {
        Self(WidthSegment::All)
    }
}

impl HeatState {
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
}

#[derive(Debug, Clone, PartialEq)]
pub struct PagesState {
    pub rows: Remote<Vec<PageStats>>,
    /// The request for the rows after those loaded, while one is out.
    pub more_pending: Option<u64>,
    /// The last answer was a full chunk: there may be more rows.
    pub more: bool,
    pub selected: usize,
    pub scroll: usize,
    pub sort: Sort<PageSortKey>,
    pub search: Option<String>,
}

/// Rows of the page list fetched at once; more follow as the selection
/// nears the end of what is loaded.
pub const PAGES_LIMIT: u32 = 500;
/// Events kept in the live view.
pub const LIVE_KEEP: usize = 1000;
/// Seconds of history in the events-per-second sparkline.
pub const SPARK_SECONDS: i64 = 120;
/// How often the change token is polled.
pub const POLL_MS: i64 = 500;
/// Least time between automatic reloads of the current view while live.
pub const AUTO_REFRESH_MS: i64 = 2000;

#[derive(Debug, Clone, PartialEq, Default)]
pub struct LiveState {
    /// Poll for new data (and refresh the current view) while on.
    pub on: bool,
    pub token: Option<u64>,
    pub cursor: Option<String>,
    /// Newest first.
    pub events: VecDeque<StoredEvent>,
    /// Receive times of recent events, for the sparkline.
    pub arrivals: VecDeque<i64>,
    pub selected: usize,
    pub scroll: usize,
    pub pending: Option<u64>,
    pub error: Option<String>,
    pub last_poll: i64,
    pub last_refresh: i64,
    /// Data changed since the current view last loaded.
    pub dirty: bool,
}

/// What a text prompt is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptFor {
    Search(View),
    Range,
    Field(Field),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Prompt {
    pub purpose: PromptFor,
    pub input: String,
    pub error: Option<String>,
    /// What Esc puts back, for prompts that apply as they are typed.
    pub before: Option<String>,
}

impl Prompt {
    pub fn title(&self) -> String {
        match self.purpose {
            PromptFor::Search(View::Sessions) => "open session id".into(),
            PromptFor::Search(_) => "page pattern (/path, *, **; text = contains)".into(),
            PromptFor::Range => "time range (90m, 12h, 3d, all, 2025-01-01..2025-01-31)".into(),
            PromptFor::Field(f) => format!("{} (empty clears)", f.name()),
        }
    }
}

/// A popup over the view.
#[derive(Debug, Clone, PartialEq)]
pub enum Popup {
    None,
    Help { scroll: u16 },
    Filters { field: usize },
    Prompt(Prompt),
}

/// The whole state of the console.
#[derive(Debug, Clone, PartialEq)]
pub struct App {
    pub view: View,
    back: Vec<View>,
    /// Terminal size (columns, rows).
    pub size: (u16, u16),
    pub now: i64,
    /// Conditions of every view (the range is kept in `range`).
    pub filter: Filter,
    pub range: Range,
    pub overview: Remote<Overview>,
    pub sessions: SessionsState,
    pub journey: JourneyState,
    pub heat: HeatState,
    pub pages: PagesState,
    pub live: LiveState,
    pub popup: Popup,
    /// Requests for the worker, drained by the runtime.
    pub outbox: Vec<Request>,
    /// The generation the next request gets; every request gets a new one.
    next_generation: u64,
    pub quit: bool,
    /// Draw with colours (false under `NO_COLOR`).
    pub color: bool,
    /// Where the database is, for the header.
    pub source: String,
}

impl App {
    pub fn new(size: (u16, u16), now: i64) -> Self {
        Self {
            view: View::Overview,
            back: Vec::new(),
            size,
            now,
            filter: Filter::default(),
            range: Range::Last(24 * 3_600_000),
            overview: Remote::default(),
            sessions: SessionsState {
                sort: Sort {
                    key: SessionSortKey::Start,
                    descending: true,
                },
                selected: 0,
                scroll: 0,
                window: Remote::default(),
                pending_offset: None,
            },
            journey: JourneyState::default(),
            heat: HeatState::default(),
            pages: PagesState {
                rows: Remote::default(),
                more_pending: None,
                more: false,
                selected: 0,
                scroll: 0,
                sort: Sort {
                    key: PageSortKey::Views,
                    descending: true,
                },
                search: None,
            },
            live: LiveState::default(),
            popup: Popup::None,
            outbox: Vec::new(),
            next_generation: 1,
            quit: false,
            color: true,
            source: String::new(),
        }
    }

    /// Starts on `view` and loads it.
    pub fn start(&mut self, view: View) {
        self.view = view;
        if view == View::Live {
            self.live.on = true;
        }
        self.ensure_loaded();
        if self.live.on {
            self.poll_live();
        }
    }

    /// The filter every query uses: the conditions plus the resolved range.
    pub fn query_filter(&self) -> Filter {
        let mut filter = self.filter.clone();
        filter.range = self.range.resolve(self.now);
        filter
    }

    /// Takes the queued requests.
    pub fn take_requests(&mut self) -> Vec<Request> {
        std::mem::take(&mut self.outbox)
    }

    /// Queues `query` for `pane`; returns the generation its answer will
    /// carry, which the pane keeps as the one it waits for.
    fn send(&mut self, pane: Pane, query: Query) -> u64 {
        let generation = self.next_generation;
        self.next_generation += 1;
        let id = RequestId { pane, generation };
        self.outbox.push(Request { id, query });
        generation
    }

    /// The area of the view body for the current terminal size.
    pub fn body(&self) -> Rect {
        layout::screen(Rect::new(0, 0, self.size.0, self.size.1)).body
    }

    /// Whether anything is being fetched (for the header's spinner).
    pub fn busy(&self) -> bool {
        self.overview.loading()
            || self.sessions.window.loading()
            || self.journey.data.loading()
            || self.journey.heat.loading()
            || self.heat.pages.loading()
            || self.heat.map.loading()
            || self.pages.rows.loading()
    }

    // ----- loading -------------------------------------------------------

    fn ensure_loaded(&mut self) {
        match self.view {
            View::Overview if !self.overview.fresh => self.load_overview(),
            View::Sessions => {
                if !self.sessions.window.fresh {
                    self.sessions.window.data = None;
                }
                self.load_sessions_window(false);
            }
            View::Journey if !self.journey.data.fresh => self.load_journey(),
            View::Heatmap => {
                if !self.heat.pages.fresh {
                    self.load_heat_pages();
                }
                if self.heat.current.is_some() && !self.heat.map.fresh {
                    self.load_heatmap();
                }
            }
            View::Pages if !self.pages.rows.fresh => self.load_pages(),
            View::Live if self.live.events.is_empty() && self.live.pending.is_none() => {
                self.poll_live()
            }
            _ => {}
        }
    }

    fn reload(&mut self) {
        self.invalidate();
        self.ensure_loaded();
    }

    /// Marks every view's data as out of date (it stays on screen until the
    /// new data arrives).
    fn invalidate(&mut self) {
        self.overview.fresh = false;
        self.sessions.window.fresh = false;
        self.journey.data.fresh = false;
        self.journey.heat.fresh = false;
        self.heat.pages.fresh = false;
        self.heat.map.fresh = false;
        self.pages.rows.fresh = false;
    }

    fn load_overview(&mut self) {
        let id = self.send(Pane::Overview, Query::Overview(self.query_filter()));
        self.overview.pending = Some(id);
        self.overview.fresh = true;
    }

    /// Fetches the window of sessions around the visible rows, unless loaded
    /// (or `force`).
    fn load_sessions_window(&mut self, force: bool) {
        let visible = u64::from(layout::sessions::visible_rows(self.body()));
        let first = self.sessions.scroll;
        let last = first + visible.max(1);
        let s = &self.sessions;
        let loaded = s.window.data.as_ref().is_some_and(|(offset, page)| {
            let end = offset + page.rows.len() as u64;
            *offset <= first && (last <= end || end >= page.total)
        });
        if !force && s.window.fresh && loaded {
            return;
        }
        let offset = first.saturating_sub(u64::from(SESSION_WINDOW) / 4);
        if !force
            && s.window.fresh
            && s.window.pending.is_some()
            && s.pending_offset == Some(offset)
        {
            return;
        }
        let query = Query::Sessions {
            filter: self.query_filter(),
            sort: self.sessions.sort,
            page: PageRequest {
                offset,
                limit: SESSION_WINDOW,
            },
        };
        let id = self.send(Pane::Sessions, query);
        self.sessions.window.pending = Some(id);
        self.sessions.window.fresh = true;
        self.sessions.pending_offset = Some(offset);
    }

    fn load_journey(&mut self) {
        if let Some(target) = self.journey.target.clone() {
            let id = self.send(Pane::Journey, Query::Journey(target));
            self.journey.data.pending = Some(id);
            self.journey.data.fresh = true;
        }
    }

    /// Loads the heatmap of the current journey step's page if it changed.
    fn load_step_heatmap(&mut self) {
        let Some(step) = self.journey.current() else {
            return;
        };
        let page = step.event.page_key.clone();
        let site = step.site.clone();
        let device = self
            .journey
            .data
            .data
            .as_ref()
            .and_then(|j| j.as_ref())
            .map(|j| j.session.client.device);
        let columns = self
            .journey
            .heat_columns_for(layout::journey::map_area(self.body()), self.heat.mode);
        if self.journey.heat_page.as_deref() == Some(page.as_str())
            && self.journey.heat.fresh
            && self.journey.heat_columns == columns
        {
            return;
        }
        let segment = match device {
            Some(DeviceClass::Mobile) => WidthSegment::Mobile,
            Some(DeviceClass::Tablet) => WidthSegment::Tablet,
            Some(DeviceClass::Desktop) => WidthSegment::Desktop,
            _ => WidthSegment::All,
        };
        let query = HeatmapQuery {
            pages: PagePattern::new(&page),
            filter: Filter {
                site: Some(site),
                ..Filter::default()
            },
            segment,
            columns,
        };
        let id = self.send(Pane::StepHeatmap, Query::StepHeatmap(query));
        self.journey.heat.pending = Some(id);
        self.journey.heat.fresh = true;
        self.journey.heat_page = Some(page);
        self.journey.heat_columns = columns;
    }

    fn load_heat_pages(&mut self) {
        let pattern = self.heat.search.as_deref().map(search_pattern);
        let id = self.send(
            Pane::HeatPages,
            Query::HeatPages {
                filter: self.query_filter(),
                pattern,
            },
        );
        self.heat.pages.pending = Some(id);
        self.heat.pages.fresh = true;
    }

    fn load_heatmap(&mut self) {
        let Some(pattern) = self.heat.current.clone() else {
            return;
        };
        let area = layout::heatmap::map_area(self.body());
        let columns = self.heat.mode.columns_for(area.width);
        let query = HeatmapQuery {
            pages: pattern,
            filter: self.query_filter(),
            segment: self.heat.segment.0,
            columns,
        };
        let id = self.send(Pane::Heatmap, Query::Heatmap(query));
        self.heat.map.pending = Some(id);
        self.heat.map.fresh = true;
        self.heat.columns = columns;
    }

    fn load_pages(&mut self) {
        let pattern = self.pages.search.as_deref().map(search_pattern);
        let id = self.send(
            Pane::Pages,
            Query::Pages {
                filter: self.query_filter(),
                pattern,
                sort: self.pages.sort,
                page: PageRequest::first(PAGES_LIMIT),
            },
        );
        self.pages.rows.pending = Some(id);
        self.pages.rows.fresh = true;
        self.pages.more_pending = None;
    }

    /// Fetches the next chunk of the page list when the selection is within
    /// a screen of the end of what is loaded.
    fn load_more_pages(&mut self) {
        let loaded = self.pages.rows.data.as_ref().map_or(0, Vec::len);
        let screen = layout::pages::visible_rows(self.body()) as usize;
        if !self.pages.more
            || self.pages.more_pending.is_some()
            || self.pages.rows.pending.is_some()
            || self.pages.selected + 2 * screen < loaded
        {
            return;
        }
        let pattern = self.pages.search.as_deref().map(search_pattern);
        let id = self.send(
            Pane::MorePages,
            Query::Pages {
                filter: self.query_filter(),
                pattern,
                sort: self.pages.sort,
                page: PageRequest {
                    offset: loaded as u64,
                    limit: PAGES_LIMIT,
                },
            },
        );
        self.pages.more_pending = Some(id);
    }

    fn poll_live(&mut self) {
        if self.live.pending.is_some() {
            return;
        }
        let id = self.send(
            Pane::Live,
            Query::LivePoll {
                token: self.live.token,
                cursor: self.live.cursor.clone(),
            },
        );
        self.live.pending = Some(id);
        self.live.last_poll = self.now;
    }

    // ----- answers -------------------------------------------------------

    /// Hands an answer to the pane its id names. The pane takes it only if
    /// it is the answer to its newest request; an older one was superseded
    /// (by a newer request, or by a reset) and is dropped.
    fn loaded(&mut self, loaded: Loaded) {
        let Loaded { id, result } = loaded;
        let generation = id.generation;
        match id.pane {
            Pane::Live => {
                if self.live.pending != Some(generation) {
                    return;
                }
                self.live.pending = None;
                match result {
                    Ok(Answer::Live { token, tail }) => self.live_answer(token, tail),
                    Ok(_) => {}
                    Err(error) => self.live.error = Some(error),
                }
            }
            Pane::Overview => {
                let result = unpack(result, |a| match a {
                    Answer::Overview(o) => Some(o),
                    _ => None,
                });
                self.overview.accept(generation, result);
            }
            Pane::Sessions => {
                if self.sessions.window.pending != Some(generation) {
                    return;
                }
                let offset = self.sessions.pending_offset.take().unwrap_or(0);
                let result = unpack(result, |a| match a {
                    Answer::Sessions(p) => Some((offset, p)),
                    _ => None,
                });
                self.sessions.window.accept(generation, result);
                self.clamp_sessions();
            }
            Pane::Journey => {
                let result = unpack(result, |a| match a {
                    Answer::Journey(j) => Some(j),
                    _ => None,
                });
                if self.journey.data.accept(generation, result) {
                    let len = self.journey.len();
                    self.journey.step = self.journey.step.min(len.saturating_sub(1));
                    self.load_step_heatmap();
                }
            }
            Pane::StepHeatmap => {
                let result = unpack(result, |a| match a {
                    Answer::StepHeatmap(h) => Some(h),
                    _ => None,
                });
                self.journey.heat.accept(generation, result);
            }
            Pane::HeatPages => {
                let result = unpack(result, |a| match a {
                    Answer::HeatPages(p) => Some(p),
                    _ => None,
                });
                if self.heat.pages.accept(generation, result) {
                    let n = self.heat.picker_rows().len();
                    self.heat.selected = self.heat.selected.min(n.saturating_sub(1));
                }
            }
            Pane::Heatmap => {
                let result = unpack(result, |a| match a {
                    Answer::Heatmap(h) => Some(h),
                    _ => None,
                });
                if self.heat.map.accept(generation, result) {
                    self.clamp_map_scroll();
                }
            }
            Pane::Pages => {
                let result = unpack(result, |a| match a {
                    Answer::Pages(p) => Some(p),
                    _ => None,
                });
                if self.pages.rows.accept(generation, result) {
                    let n = self.pages.rows.data.as_ref().map_or(0, Vec::len);
                    self.pages.more = n == PAGES_LIMIT as usize;
                    self.pages.selected = self.pages.selected.min(n.saturating_sub(1));
                }
            }
            Pane::MorePages => {
                if self.pages.more_pending != Some(generation) {
                    return;
                }
                self.pages.more_pending = None;
                match result {
                    Ok(Answer::Pages(more)) => {
                        self.pages.more = more.len() == PAGES_LIMIT as usize;
                        if let Some(rows) = self.pages.rows.data.as_mut() {
                            rows.extend(more);
                        }
                    }
                    Ok(_) => self.pages.rows.error = Some("unexpected answer".into()),
                    Err(error) => self.pages.rows.error = Some(error),
                }
            }
        }
    }

    fn live_answer(&mut self, token: u64, tail: Option<LiveTail>) {
        self.live.error = None;
        let first = self.live.token.is_none();
        self.live.token = Some(token);
        let Some(tail) = tail else {
            return;
        };
        if tail.events.len() >= LIVE_BATCH as usize {
            // More may be waiting: poll again regardless of the token.
            self.live.token = None;
        }
        if tail.cursor.is_some() {
            self.live.cursor = tail.cursor;
        }
        let fresh = !tail.events.is_empty();
        for event in tail.events {
            if !first {
                self.live.arrivals.push_back(event.event.received_at);
            }
            self.live.events.push_front(event);
            if self.view == View::Live && self.live.selected > 0 {
                // Keep the selected event selected as rows arrive above it.
                self.live.selected += 1;
            }
        }
        self.live.events.truncate(LIVE_KEEP);
        self.live.selected = self
            .live
            .selected
            .min(self.live.events.len().saturating_sub(1));
        let horizon = self.now - SPARK_SECONDS * 1000;
        while self.live.arrivals.front().is_some_and(|t| *t < horizon) {
            self.live.arrivals.pop_front();
        }
        if fresh && !first {
            self.live.dirty = true;
        }
        self.auto_refresh();
    }

    /// While live, reloads the current view after new data, at most every
    /// [`AUTO_REFRESH_MS`].
    fn auto_refresh(&mut self) {
        if !self.live.on || !self.live.dirty || self.view == View::Live {
            return;
        }
        if self.now - self.live.last_refresh < AUTO_REFRESH_MS {
            return;
        }
        self.live.dirty = false;
        self.live.last_refresh = self.now;
        self.reload();
    }

    // ----- navigation ----------------------------------------------------

    fn show(&mut self, view: View) {
        if view != self.view {
            self.back.retain(|v| *v != view);
            self.back.push(self.view);
            self.back.truncate(16);
        }
        self.view = view;
        self.ensure_loaded();
    }

    fn go_back(&mut self) {
        if self.view == View::Heatmap && self.heat.focus == HeatFocus::Map {
            self.heat.focus = HeatFocus::Picker;
            return;
        }
        if let Some(view) = self.back.pop() {
            self.view = view;
            self.ensure_loaded();
        }
    }

    fn open_session(&mut self, session: SessionRef) {
        if self.journey.target.as_ref() != Some(&session) {
            self.journey = JourneyState {
                target: Some(session),
                ..JourneyState::default()
            };
        }
        self.journey.data.fresh = false;
        self.show(View::Journey);
    }

    fn open_heatmap(&mut self, pattern: PagePattern) {
        self.heat.current = Some(pattern);
        self.heat.focus = HeatFocus::Map;
        self.heat.map_scroll = 0;
        self.heat.map.fresh = false;
        self.heat.map.data = None;
        self.show(View::Heatmap);
    }

    fn cross_filter(&mut self, pattern: PagePattern) {
        self.filter.clicked_page = Some(pattern);
        self.filter_changed();
        self.show(View::Sessions);
    }

    fn filter_changed(&mut self) {
        self.sessions.selected = 0;
        self.sessions.scroll = 0;
        self.pages.selected = 0;
        self.pages.scroll = 0;
        self.heat.selected = 0;
        self.heat.scroll = 0;
        self.reload();
    }

    /// Moves the selection of the current view by `delta` rows (saturating).
    fn move_by(&mut self, delta: i64) {
        match self.view {
            View::Sessions => {
                let total = self.sessions.total();
                self.sessions.selected = step(self.sessions.selected, delta, total);
                self.clamp_sessions();
                self.load_sessions_window(false);
            }
            View::Journey => {
                let len = self.journey.len() as u64;
                self.journey.step = step(self.journey.step as u64, delta, len) as usize;
                let rows = layout::journey::visible_rows(self.body()) as usize;
                self.journey.scroll = keep_visible(self.journey.scroll, self.journey.step, rows);
                self.load_step_heatmap();
            }
            View::Heatmap => match self.heat.focus {
                HeatFocus::Picker => {
                    let len = self.heat.picker_rows().len() as u64;
                    self.heat.selected = step(self.heat.selected as u64, delta, len) as usize;
                    let rows = layout::heatmap::picker_rows(self.body()) as usize;
                    self.heat.scroll = keep_visible(self.heat.scroll, self.heat.selected, rows);
                }
                HeatFocus::Map => {
                    let scroll = i64::from(self.heat.map_scroll) + delta;
                    self.heat.map_scroll = scroll.clamp(0, i64::from(u16::MAX)) as u16;
                    self.clamp_map_scroll();
                }
            },
            View::Pages => {
                let len = self.pages.rows.data.as_ref().map_or(0, Vec::len) as u64;
                self.pages.selected = step(self.pages.selected as u64, delta, len) as usize;
                let rows = layout::pages::visible_rows(self.body()) as usize;
                self.pages.scroll = keep_visible(self.pages.scroll, self.pages.selected, rows);
                self.load_more_pages();
            }
            View::Live => {
                let len = self.live.events.len() as u64;
                self.live.selected = step(self.live.selected as u64, delta, len) as usize;
                let rows = layout::live::visible_rows(self.body()) as usize;
                self.live.scroll = keep_visible(self.live.scroll, self.live.selected, rows);
            }
            View::Overview => {}
        }
    }

    fn clamp_sessions(&mut self) {
        let total = self.sessions.total();
        if total == 0 {
            self.sessions.selected = 0;
            self.sessions.scroll = 0;
            return;
        }
        if self.sessions.window.data.is_some() {
            self.sessions.selected = self.sessions.selected.min(total - 1);
        }
        let rows = u64::from(layout::sessions::visible_rows(self.body())).max(1);
        let s = &mut self.sessions;
        if s.selected < s.scroll {
            s.scroll = s.selected;
        } else if s.selected >= s.scroll + rows {
            s.scroll = s.selected + 1 - rows;
        }
    }

    fn clamp_map_scroll(&mut self) {
        let area = layout::heatmap::map_area(self.body());
        let content = self
            .heat
            .map
            .data
            .as_ref()
            .map_or(0, |m| heatmap::content_rows(m, self.heat.mode, area.width));
        let max = content.saturating_sub(area.height);
        self.heat.map_scroll = self.heat.map_scroll.min(max);
    }

    fn page_size(&self) -> i64 {
        let body = self.body();
        let rows = match self.view {
            View::Sessions => layout::sessions::visible_rows(body),
            View::Journey => layout::journey::visible_rows(body),
            View::Heatmap => match self.heat.focus {
                HeatFocus::Picker => layout::heatmap::picker_rows(body),
                HeatFocus::Map => layout::heatmap::map_area(body).height,
            },
            View::Pages => layout::pages::visible_rows(body),
            View::Live => layout::live::visible_rows(body),
            View::Overview => 1,
        };
        i64::from(rows.max(2) - 1)
    }

    fn enter(&mut self) {
        match self.view {
            View::Sessions => {
                if let Some(row) = self.sessions.row(self.sessions.selected) {
                    let session = SessionRef {
                        site: Some(row.site.clone()),
                        session_id: row.session_id.clone(),
                    };
                    self.open_session(session);
                }
            }
            View::Live => {
                if let Some(e) = self.live.events.get(self.live.selected) {
                    let session = SessionRef {
                        site: Some(e.site.clone()),
                        session_id: e.session_id.clone(),
                    };
                    self.open_session(session);
                }
            }
            View::Pages => {
                if let Some(page) = self
                    .pages
                    .rows
                    .data
                    .as_ref()
                    .and_then(|r| r.get(self.pages.selected))
                {
                    let pattern = PagePattern::new(&page.page);
                    self.open_heatmap(pattern);
                }
            }
            View::Heatmap => {
                if self.heat.focus == HeatFocus::Picker {
                    if let Some(pattern) = self.heat.pattern_at(self.heat.selected) {
                        self.open_heatmap(pattern);
                    }
                }
            }
            View::Overview | View::Journey => {}
        }
    }

    /// The page pattern the cross-filter would use in the current view.
    fn chosen_page(&self) -> Option<PagePattern> {
        match self.view {
            View::Heatmap => match self.heat.focus {
                HeatFocus::Map => self.heat.current.clone(),
                HeatFocus::Picker => self.heat.pattern_at(self.heat.selected),
            },
            View::Pages => self
                .pages
                .rows
                .data
                .as_ref()
                .and_then(|r| r.get(self.pages.selected))
                .map(|p| PagePattern::new(&p.page)),
            _ => None,
        }
    }

    fn act(&mut self, action: Action) {
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
            Action::Search => {
                let input = match self.view {
                    View::Heatmap => self.heat.search.clone(),
                    View::Pages => self.pages.search.clone(),
                    _ => None,
                };
                self.popup = Popup::Prompt(Prompt {
                    purpose: PromptFor::Search(self.view),
                    before: input.clone(),
                    input: input.unwrap_or_default(),
                    error: None,
                });
            }
            Action::Filters => self.popup = Popup::Filters { field: 0 },
            Action::ClearFilters => {
                self.filter = Filter::default();
                self.filter_changed();
            }
            Action::TimeRange => {
                self.range = self.range.next();
                self.filter_changed();
            }
            Action::CustomRange => {
                self.popup = Popup::Prompt(Prompt {
                    purpose: PromptFor::Range,
                    input: String::new(),
                    error: None,
                    before: None,
                })
            }
            Action::Sort => self.cycle_sort(),
            Action::SortReverse => {
                match self.view {
                    View::Sessions => {
                        self.sessions.sort.descending = !self.sessions.sort.descending
                    }
                    View::Pages => self.pages.sort.descending = !self.pages.sort.descending,
                    _ => return,
                }
                self.sort_changed();
            }
            Action::Refresh => {
                self.live.token = None;
                self.reload();
            }
            Action::ToggleLive => {
                self.live.on = !self.live.on;
                if self.live.on {
                    self.poll_live();
                }
            }
            Action::Segment => {
                let all = WidthSegment::ALL;
                let i = all
                    .iter()
                    .position(|s| *s == self.heat.segment.0)
                    .unwrap_or(0);
                self.heat.segment = Segment(all[(i + 1) % all.len()]);
                self.heat.map.fresh = false;
                self.ensure_loaded();
            }
            Action::HeatMode => {
                self.heat.mode = self.heat.mode.toggled();
                self.heat.map.fresh = false;
                self.heat.map_scroll = 0;
                self.journey.heat.fresh = false;
                self.ensure_loaded();
                if self.view == View::Journey {
                    self.load_step_heatmap();
                }
            }
            Action::CrossFilter => {
                if let Some(pattern) = self.chosen_page() {
                    self.cross_filter(pattern);
                }
            }
        }
    }

    fn cycle_sort(&mut self) {
        match self.view {
            View::Sessions => {
                let all = SessionSortKey::ALL;
                let i = all
                    .iter()
                    .position(|k| *k == self.sessions.sort.key)
                    .unwrap_or(0);
                let key = all[(i + 1) % all.len()];
                self.sessions.sort = Sort {
                    key,
                    descending: default_descending_session(key),
                };
            }
            View::Pages => {
                let all = views::pages::SORT_KEYS;
                let i = all
                    .iter()
                    .position(|k| *k == self.pages.sort.key)
                    .unwrap_or(0);
                let key = all[(i + 1) % all.len()];
                self.pages.sort = Sort {
                    key,
                    descending: key != PageSortKey::Page,
                };
            }
            _ => return,
        }
        self.sort_changed();
    }

    fn sort_changed(&mut self) {
        match self.view {
            View::Sessions => {
                self.sessions.selected = 0;
                self.sessions.scroll = 0;
                self.sessions.window.fresh = false;
                self.load_sessions_window(true);
            }
            View::Pages => {
                self.pages.selected = 0;
                self.pages.scroll = 0;
                self.load_pages();
            }
            _ => {}
        }
    }

    // ----- popups --------------------------------------------------------

    fn popup_key(&mut self, key: KeyEvent) {
        let popup = std::mem::replace(&mut self.popup, Popup::None);
        self.popup = match popup {
            Popup::None => Popup::None,
            Popup::Help { scroll } => match key.code {
                KeyCode::Char('q') if key.modifiers.is_empty() => {
                    self.quit = true;
                    Popup::None
                }
                KeyCode::Char('j') | KeyCode::Down => Popup::Help {
                    scroll: scroll.saturating_add(1).min(keys::BINDINGS.len() as u16),
                },
                KeyCode::Char('k') | KeyCode::Up => Popup::Help {
                    scroll: scroll.saturating_sub(1),
                },
                _ => Popup::None,
            },
            Popup::Filters { field } => self.filters_key(field, key),
            Popup::Prompt(prompt) => self.prompt_key(prompt, key),
        };
    }

    fn filters_key(&mut self, field: usize, key: KeyEvent) -> Popup {
        let n = Field::ALL.len();
        let current = Field::ALL[field.min(n - 1)];
        match key.code {
            KeyCode::Esc | KeyCode::Char('f') | KeyCode::Char('q') => Popup::None,
            KeyCode::Char('j') | KeyCode::Down | KeyCode::Tab => Popup::Filters {
                field: (field + 1) % n,
            },
            KeyCode::Char('k') | KeyCode::Up | KeyCode::BackTab => Popup::Filters {
                field: (field + n - 1) % n,
            },
            KeyCode::Char('x') | KeyCode::Delete | KeyCode::Backspace => {
                current.clear(&mut self.filter);
                self.filter_changed();
                Popup::Filters { field }
            }
            KeyCode::Enter | KeyCode::Char(' ') if current.cycles() => {
                current.cycle(&mut self.filter);
                self.filter_changed();
                Popup::Filters { field }
            }
            KeyCode::Enter | KeyCode::Char(' ') => Popup::Prompt(Prompt {
                purpose: PromptFor::Field(current),
                input: current
                    .value(&self.filter)
                    .map(|v| v.trim_start_matches('≥').to_owned())
                    .unwrap_or_default(),
                error: None,
                before: None,
            }),
            _ => Popup::Filters { field },
        }
    }

    fn prompt_key(&mut self, mut prompt: Prompt, key: KeyEvent) -> Popup {
        let typed_before = prompt.input.clone();
        let popup = self.prompt_edit(prompt.clone(), key);
        // Page searches narrow the list as they are typed; Esc puts back
        // what was there before.
        if let PromptFor::Search(view @ (View::Heatmap | View::Pages)) = prompt.purpose {
            match &popup {
                Popup::Prompt(open) if open.input != typed_before => {
                    self.apply_page_search(view, open.input.trim());
                }
                Popup::None if key.code == KeyCode::Esc => {
                    let before = prompt.before.take().unwrap_or_default();
                    if before != typed_before {
                        self.apply_page_search(view, &before);
                    }
                }
                _ => {}
            }
        }
        popup
    }

    /// Shows the page list (or the heatmap's picker) narrowed to `input`.
    fn apply_page_search(&mut self, view: View, input: &str) {
        let search = (!input.is_empty()).then(|| input.to_owned());
        match view {
            View::Heatmap => {
                self.heat.search = search;
                self.heat.selected = 0;
                self.heat.scroll = 0;
                self.heat.focus = HeatFocus::Picker;
                self.load_heat_pages();
            }
            _ => {
                self.pages.search = search;
                self.pages.selected = 0;
                self.pages.scroll = 0;
                self.load_pages();
            }
        }
    }

    fn prompt_edit(&mut self, mut prompt: Prompt, key: KeyEvent) -> Popup {
        match key.code {
            KeyCode::Esc => self.after_prompt(prompt.purpose),
            KeyCode::Enter => match self.submit(&prompt) {
                Ok(()) => match prompt.purpose {
                    PromptFor::Field(_) => self.after_prompt(prompt.purpose),
                    _ => Popup::None,
                },
                Err(error) => {
                    prompt.error = Some(error);
                    Popup::Prompt(prompt)
                }
            },
            KeyCode::Backspace => {
                prompt.input.pop();
                prompt.error = None;
                Popup::Prompt(prompt)
            }
            KeyCode::Char('u') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                prompt.input.clear();
                Popup::Prompt(prompt)
            }
            KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
                if prompt.input.chars().count() < 200 && !shared::sanitize::is_forbidden(c) {
                    prompt.input.push(c);
                }
                prompt.error = None;
                Popup::Prompt(prompt)
            }
            _ => Popup::Prompt(prompt),
        }
    }

    /// Where a closed prompt returns to.
    fn after_prompt(&self, purpose: PromptFor) -> Popup {
        match purpose {
            PromptFor::Field(f) => Popup::Filters {
                field: Field::ALL.iter().position(|x| *x == f).unwrap_or(0),
            },
            _ => Popup::None,
        }
    }

    fn submit(&mut self, prompt: &Prompt) -> Result<(), String> {
        let input = prompt.input.trim();
        match prompt.purpose {
            PromptFor::Range => {
                self.range = Range::parse(input).ok_or("not a time range")?;
                self.filter_changed();
            }
            PromptFor::Field(field) => {
                field.set(&mut self.filter, input)?;
                self.filter_changed();
            }
            PromptFor::Search(View::Sessions) => {
                if input.is_empty() {
                    return Err("type a session id".into());
                }
                self.open_session(SessionRef {
                    site: self.filter.site.clone(),
                    session_id: input.to_owned(),
                });
            }
            PromptFor::Search(view @ (View::Heatmap | View::Pages)) => {
                // Already applied while typing; Enter keeps it.
                let applied = match view {
                    View::Heatmap => self.heat.search.as_deref(),
                    _ => self.pages.search.as_deref(),
                };
                if applied.unwrap_or_default() != input {
                    self.apply_page_search(view, input);
                }
            }
            PromptFor::Search(_) => {}
        }
        Ok(())
    }

    // ----- mouse ---------------------------------------------------------

    fn mouse(&mut self, event: MouseEvent) -> Option<Msg> {
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
        let body = self.body();
        let (area, first) = match self.view {
            View::Sessions => (
                layout::sessions::rows_area(body),
                self.sessions.scroll as usize,
            ),
            View::Journey => (layout::journey::rows_area(body), self.journey.scroll),
            View::Heatmap => (layout::heatmap::picker_area(body), self.heat.scroll),
            View::Pages => (layout::pages::rows_area(body), self.pages.scroll),
            View::Live => (layout::live::rows_area(body), self.live.scroll),
            View::Overview => return None,
        };
        if !area.contains(at) {
            return None;
        }
        if self.view == View::Heatmap {
            self.heat.focus = HeatFocus::Picker;
        }
        let index = first + usize::from(at.y - area.y);
        let selected = match self.view {
            View::Sessions => self.sessions.selected as usize,
            View::Journey => self.journey.step,
            View::Heatmap => self.heat.selected,
            View::Pages => self.pages.selected,
            View::Live => self.live.selected,
            View::Overview => 0,
        };
        if index == selected {
            return Some(Msg::Action(Action::Enter));
        }
        self.move_by(index as i64 - selected as i64);
        None
    }
}

impl JourneyState {
    fn heat_columns_for(&self, area: Rect, mode: HeatMode) -> u32 {
        mode.columns_for(area.width)
    }
}

fn default_descending_session(key: SessionSortKey) -> bool {
    !matches!(
        key,
        SessionSortKey::Entry
            | SessionSortKey::Exit
            | SessionSortKey::Device
            | SessionSortKey::Browser
            | SessionSortKey::Referrer
    )
}

/// A typed search as a page pattern: `/path`, `host/path` and patterns with
/// `*` are used as they are; other text matches page keys containing it.
pub fn search_pattern(input: &str) -> PagePattern {
    let input = input.trim();
    if input.contains('/') || input.contains('*') {
        PagePattern::new(input)
    } else {
        PagePattern::new(&format!("**{input}**"))
    }
}

/// The answer's data if it is the kind `pick` takes; an answer of another
/// kind is an error.
fn unpack<T>(
    result: Result<Answer, String>,
    pick: impl FnOnce(Answer) -> Option<T>,
) -> Result<T, String> {
    pick(result?).ok_or_else(|| "unexpected answer".to_owned())
}

/// `from + delta` within `0..len`.
fn step(from: u64, delta: i64, len: u64) -> u64 {
    if len == 0 {
        return 0;
    }
    let target = (from as i64).saturating_add(delta);
    target.clamp(0, len as i64 - 1) as u64
}

/// The scroll offset that keeps `selected` within `rows` visible rows.
fn keep_visible(scroll: usize, selected: usize, rows: usize) -> usize {
    let rows = rows.max(1);
    if selected < scroll {
        selected
    } else if selected >= scroll + rows {
        selected + 1 - rows
    } else {
        scroll
    }
}

/// Applies one message. Returns a follow-up message, if any.
pub fn update(app: &mut App, msg: Msg) -> Option<Msg> {
    match msg {
        Msg::Key(key) => {
            if app.popup != Popup::None {
                app.popup_key(key);
                return None;
            }
            keys::action_for(key, app.view).map(Msg::Action)
        }
        Msg::Action(action) => {
            app.act(action);
            None
        }
        Msg::Mouse(event) => app.mouse(event),
        Msg::Resize(width, height) => {
            app.size = (width, height);
            app.clamp_sessions();
            app.clamp_map_scroll();
            match app.view {
                View::Heatmap => {
                    let area = layout::heatmap::map_area(app.body());
                    if app.heat.current.is_some()
                        && app.heat.columns != app.heat.mode.columns_for(area.width)
                    {
                        app.load_heatmap();
                    }
                }
                View::Journey => app.load_step_heatmap(),
                View::Sessions => app.load_sessions_window(false),
                _ => {}
            }
            None
        }
        Msg::Loaded(loaded) => {
            app.loaded(*loaded);
            None
        }
        Msg::Tick(now) => {
            app.now = now;
            if (app.live.on || app.view == View::Live) && now - app.live.last_poll >= POLL_MS {
                app.poll_live();
            }
            app.auto_refresh();
            None
        }
        Msg::Quit => {
            app.quit = true;
            None
        }
    }
}

/// The chips for the header: the range first, then each filter.
pub fn chips(app: &App) -> Vec<(&'static str, String)> {
    let mut chips = vec![("range", app.range.label())];
    chips.extend(filters::chips(&app.filter));
    chips
}
