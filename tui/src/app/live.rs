//! The Live view's state and update: the newest events, found by polling the
//! store's change token (an idle database costs one cheap query per poll),
//! and the arrival times behind the events-per-second sparkline. While live
//! is on, new data also marks the other views for an automatic reload.

use super::context::Ctx;
use super::selection::{keep_visible, step_index};
use crate::layout;
use crate::worker::{Answer, Pane, Query, LIVE_BATCH};
use ratatui::layout::Rect;
use shared::store::query::{LiveTail, SessionRef, StoredEvent};
use std::collections::VecDeque;

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
    /// The generation of the poll in flight; there is at most one.
    pub pending: Option<u64>,
    pub error: Option<String>,
    pub last_poll: i64,
    pub last_refresh: i64,
    /// Data changed since the current view last loaded.
    pub dirty: bool,
}

impl LiveState {
    /// The selected event's session, to open in the journey.
    pub(super) fn selected_session(&self) -> Option<SessionRef> {
        self.events.get(self.selected).map(|e| SessionRef {
            site: Some(e.site.clone()),
            session_id: e.session_id.clone(),
        })
    }

    /// Polls at once if nothing was ever fetched.
    pub(super) fn ensure_loaded(&mut self, cx: &mut Ctx) {
        if self.events.is_empty() && self.pending.is_none() {
            self.poll(cx);
        }
    }

    /// Whether a tick at `now` should poll: live is on or shown, and the
    /// last poll is [`POLL_MS`] old.
    pub(super) fn poll_due(&self, now: i64, shown: bool) -> bool {
        (self.on || shown) && now - self.last_poll >= POLL_MS
    }

    /// Asks whether the data changed (and for the tail if so), unless a
    /// poll is out already.
    pub(super) fn poll(&mut self, cx: &mut Ctx) {
        if self.pending.is_some() {
            return;
        }
        let query = Query::LivePoll {
            token: self.token,
            cursor: self.cursor.clone(),
        };
        self.pending = Some(cx.send(Pane::Live, query));
        self.last_poll = cx.now;
    }

    /// Turns polling on or off; on polls at once.
    pub(super) fn toggle(&mut self, cx: &mut Ctx) {
        self.on = !self.on;
        if self.on {
            self.poll(cx);
        }
    }

    /// Forgets the change token, so the next poll fetches the tail whatever
    /// the token says.
    pub(super) fn forget_token(&mut self) {
        self.token = None;
    }

    /// Takes the poll answered as `generation`, unless stale. True if a tail
    /// came with it (the caller then considers an automatic reload).
    pub(super) fn answer(
        &mut self,
        generation: u64,
        result: Result<Answer, String>,
        now: i64,
        shown: bool,
    ) -> bool {
        if self.pending != Some(generation) {
            return false;
        }
        self.pending = None;
        match result {
            Ok(Answer::Live { token, tail }) => self.take_tail(token, tail, now, shown),
            Ok(_) => false,
            Err(error) => {
                self.error = Some(error);
                false
            }
        }
    }

    /// Adds the new events on top. The first answer is history, not
    /// arrivals: it neither feeds the sparkline nor marks the data changed.
    fn take_tail(&mut self, token: u64, tail: Option<LiveTail>, now: i64, shown: bool) -> bool {
        self.error = None;
        let first = self.token.is_none();
        self.token = Some(token);
        let Some(tail) = tail else {
            return false;
        };
        if tail.events.len() >= LIVE_BATCH as usize {
            // More may be waiting: poll again regardless of the token.
            self.token = None;
        }
        if tail.cursor.is_some() {
            self.cursor = tail.cursor;
        }
        let fresh = !tail.events.is_empty();
        for event in tail.events {
            if !first {
                self.arrivals.push_back(event.event.received_at);
            }
            self.events.push_front(event);
            if shown && self.selected > 0 {
                // Keep the selected event selected as rows arrive above it.
                self.selected += 1;
            }
        }
        self.events.truncate(LIVE_KEEP);
        self.selected = self.selected.min(self.events.len().saturating_sub(1));
        let horizon = now - SPARK_SECONDS * 1000;
        while self.arrivals.front().is_some_and(|t| *t < horizon) {
            self.arrivals.pop_front();
        }
        if fresh && !first {
            self.dirty = true;
        }
        true
    }

    /// Whether the current view should reload now: live is on, data changed,
    /// the view is not Live itself, and the last automatic reload is
    /// [`AUTO_REFRESH_MS`] old. Marks the reload done if so.
    pub(super) fn refresh_due(&mut self, now: i64, shown: bool) -> bool {
        if !self.on || !self.dirty || shown {
            return false;
        }
        if now - self.last_refresh < AUTO_REFRESH_MS {
            return false;
        }
        self.dirty = false;
        self.last_refresh = now;
        true
    }

    pub(super) fn move_by(&mut self, delta: i64, body: Rect) {
        self.selected = step_index(self.selected, delta, self.events.len());
        let rows = layout::live::visible_rows(body) as usize;
        self.scroll = keep_visible(self.scroll, self.selected, rows);
    }
}
