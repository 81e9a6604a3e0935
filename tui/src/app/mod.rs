//! The application state ([`App`]), its messages ([`Msg`]) and the one
//! function that changes it ([`update`]).
//!
//! `update` never touches the terminal or the database: it changes the state
//! and queues [`Request`]s, which the runtime takes with
//! [`App::take_requests`] and hands to the query worker. Answers come back as
//! [`Msg::Loaded`], carrying the id of their request: the pane that asked and
//! a generation, so each goes straight to that pane, which drops it if a newer
//! request superseded it. That keeps every behaviour testable without a
//! terminal.
//!
//! Each view owns its state and its update, in a module of its own
//! (`overview`, `sessions`, `journey`, `heatmap`, `pages`, `live`, `paths`,
//! `funnel`). A view's
//! update sees its own state and a `Ctx` — the filter, the body's geometry
//! (from [`crate::layout`], which the drawing code asks too) and the outbox —
//! and nothing else. What spans views lives beside them: `actions` (the key
//! table's actions), `navigation` (switching views, reloading), `replies`
//! (routing answers), `popup` (help, filter bar, prompts), `saved` (saved
//! views: their popups, and the file jobs the runtime runs), `flows` (the
//! sessions behind a path or a funnel step, sent to the Sessions view) and
//! `mouse`.

mod actions;
mod context;
mod flows;
mod funnel;
mod heatmap;
mod journey;
mod live;
mod mouse;
mod navigation;
mod overview;
mod pages;
mod paths;
mod popup;
mod remote;
mod replies;
mod saved;
mod selection;
mod sessions;

pub use crate::view::View;
pub use funnel::{FunnelState, MAX_STEPS};
pub use heatmap::{HeatFocus, HeatState, PickerRow, Segment};
pub use journey::JourneyState;
pub use live::{LiveState, AUTO_REFRESH_MS, LIVE_KEEP, POLL_MS, SPARK_SECONDS};
pub use pages::{PagesState, PAGES_LIMIT, SORT_KEYS};
pub use paths::{expanded, has_children, visible, PathsState, MAX_DEPTH};
pub use popup::{search_pattern, Popup, Prompt, PromptFor};
pub use remote::Remote;
pub use saved::{SavedState, Status};
pub use sessions::{SessionsState, SESSION_WINDOW};

use crate::filters::{self, Range};
use crate::keys::{self, Action};
use crate::layout;
use crate::saved_views::Done;
use crate::worker::{Loaded, Request};
use context::{Ctx, Outbox};
use ratatui::crossterm::event::{KeyEvent, MouseEvent};
use ratatui::layout::Rect;
use shared::store::query::{Filter, Overview};

/// Everything that can happen.
#[derive(Debug, Clone, PartialEq)]
pub enum Msg {
    Key(KeyEvent),
    Mouse(MouseEvent),
    Resize(u16, u16),
    Action(Action),
    /// A query's answer from the worker.
    Loaded(Box<Loaded>),
    /// What a file job on the saved views found.
    Views(Box<Done>),
    /// The clock moved (milliseconds since the epoch); drives live polling.
    Tick(i64),
    Quit,
}

/// The worker sends its answers as messages.
impl From<Loaded> for Msg {
    fn from(loaded: Loaded) -> Self {
        Self::Loaded(Box::new(loaded))
    }
}

/// The runtime hands back what file jobs found as messages.
impl From<Done> for Msg {
    fn from(done: Done) -> Self {
        Self::Views(Box::new(done))
    }
}

/// The whole state of the console.
#[derive(Debug, Clone, PartialEq)]
pub struct App {
    pub view: View,
    /// Views to go back to with Esc, most recent last.
    back: Vec<View>,
    /// Terminal size (columns, rows).
    pub size: (u16, u16),
    pub now: i64,
    /// Conditions of every view (the range is kept in `range`).
    pub filter: Filter,
    pub range: Range,
    pub overview: Remote<Overview>,
    /// The overview of the period compared with.
    pub previous_overview: Remote<Overview>,
    /// Compare the figures with the previous period (where the range has a
    /// start).
    pub compare: bool,
    /// The range compared with, when chosen (`B`); `None`: the previous
    /// period of the same length.
    pub compare_with: Option<Range>,
    pub sessions: SessionsState,
    pub journey: JourneyState,
    pub heat: HeatState,
    pub pages: PagesState,
    pub live: LiveState,
    pub paths: PathsState,
    pub funnel: FunnelState,
    /// What the chip of `filter.sessions` says (`path`, `/ › /pricing`):
    /// the keys alone mean nothing to a reader.
    pub sessions_chip: Option<(&'static str, String)>,
    /// The sessions behind a path or a funnel step asked for, with the chip
    /// they will get.
    flow_pending: Option<(u64, (&'static str, String))>,
    pub popup: Popup,
    /// The saved views, and the file work queued for them.
    pub saved: SavedState,
    /// A message in the footer until the next key.
    pub status: Option<Status>,
    /// Requests for the worker, drained by the runtime.
    outbox: Outbox,
    pub quit: bool,
    /// Draw with colours (false under `NO_COLOR`).
    pub color: bool,
    /// Where the database is, for the header.
    pub source: String,
}

/// Every view's state, borrowed apart from the [`Ctx`] their updates read.
struct ViewStates<'a> {
    overview: &'a mut Remote<Overview>,
    previous_overview: &'a mut Remote<Overview>,
    sessions: &'a mut SessionsState,
    journey: &'a mut JourneyState,
    heat: &'a mut HeatState,
    pages: &'a mut PagesState,
    live: &'a mut LiveState,
    paths: &'a mut PathsState,
    funnel: &'a mut FunnelState,
}

impl App {
    pub fn new(size: (u16, u16), now: i64) -> Self {
        Self {
            view: View::Overview,
            back: Vec::new(),
            size,
            now,
            filter: Filter::default(),
            range: filters::DEFAULT_RANGE,
            overview: Remote::default(),
            previous_overview: Remote::default(),
            compare: true,
            compare_with: None,
            sessions: SessionsState::default(),
            journey: JourneyState::default(),
            heat: HeatState::default(),
            pages: PagesState::default(),
            live: LiveState::default(),
            paths: PathsState::default(),
            funnel: FunnelState::default(),
            sessions_chip: None,
            flow_pending: None,
            popup: Popup::None,
            saved: SavedState::default(),
            status: None,
            outbox: Outbox::default(),
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
        context::query_filter(&self.filter, &self.range, self.now)
    }

    /// Takes the queued requests.
    pub fn take_requests(&mut self) -> Vec<Request> {
        self.outbox.take()
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
            || self.previous_overview.loading()
            || self.pages.previous.loading()
            || self.paths.tree.loading()
            || self.funnel.data.loading()
            || self.flow_pending.is_some()
    }

    /// What figures are compared with, as titles say it.
    pub fn compared_label(&self) -> String {
        self.compare_with
            .map_or_else(|| "the period before".to_owned(), |r| r.label())
    }

    /// The views' states and, beside them, the context their updates read:
    /// split so a view can change its own state while it queues requests.
    fn parts(&mut self) -> (Ctx<'_>, ViewStates<'_>) {
        let body = self.body();
        let cx = Ctx::new(
            self.now,
            body,
            &self.filter,
            &self.range,
            self.compare,
            self.compare_with.as_ref(),
            &mut self.outbox,
        );
        let views = ViewStates {
            overview: &mut self.overview,
            previous_overview: &mut self.previous_overview,
            sessions: &mut self.sessions,
            journey: &mut self.journey,
            heat: &mut self.heat,
            pages: &mut self.pages,
            live: &mut self.live,
            paths: &mut self.paths,
            funnel: &mut self.funnel,
        };
        (cx, views)
    }
}

/// Applies one message. Returns a follow-up message, if any.
pub fn update(app: &mut App, msg: Msg) -> Option<Msg> {
    match msg {
        Msg::Key(key) => {
            app.status = None;
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
            app.resize(width, height);
            None
        }
        Msg::Loaded(loaded) => {
            app.loaded(*loaded);
            None
        }
        Msg::Views(done) => {
            app.views_done(*done);
            None
        }
        Msg::Tick(now) => {
            app.now = now;
            if app.live.poll_due(now, app.view == View::Live) {
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

/// The chips for the header: the range first, then each filter; the chosen
/// sessions named by where they came from (a path, a funnel step).
pub fn chips(app: &App) -> Vec<(&'static str, String)> {
    let mut chips = vec![("range", app.range.label())];
    for chip in filters::chips(&app.filter) {
        match (&app.sessions_chip, chip.0) {
            (Some(named), filters::SESSIONS_CHIP) => chips.push(named.clone()),
            _ => chips.push(chip),
        }
    }
    chips
}
