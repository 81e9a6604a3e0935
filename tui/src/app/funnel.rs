//! The Funnel view's state and update: ordered steps (a page pattern or a
//! custom event each), edited in the console, and per step the sessions that
//! reached it. A funnel is asked for from two steps on; fewer, and the view
//! says how to add them.

use super::context::Ctx;
use super::remote::{unpack, Remote};
use super::selection::{keep_visible, step_index};
use crate::layout;
use crate::worker::{Answer, Pane, Query};
use shared::store::flow_query::{Funnel, FunnelQuery, FunnelStep};

/// Most steps a funnel takes.
pub const MAX_STEPS: usize = crate::flows_output::MAX_FUNNEL_STEPS;

#[derive(Debug, Clone, PartialEq, Default)]
pub struct FunnelState {
    pub steps: Vec<FunnelStep>,
    /// Longest time from the first step to the last; `None`: the session.
    pub within_ms: Option<i64>,
    pub data: Remote<Funnel>,
    pub selected: usize,
    pub scroll: usize,
}

impl FunnelState {
    /// Whether there are steps enough for a funnel.
    pub fn ready(&self) -> bool {
        self.steps.len() >= 2
    }

    /// The question the funnel answers, under `cx`'s filter.
    pub(super) fn query(&self, cx: &Ctx) -> FunnelQuery {
        FunnelQuery {
            filter: cx.query_filter(),
            steps: self.steps.clone(),
            within_ms: self.within_ms,
        }
    }

    pub(super) fn invalidate(&mut self) {
        self.data.fresh = false;
    }

    pub(super) fn ensure_loaded(&mut self, cx: &mut Ctx) {
        if !self.data.fresh {
            self.load(cx);
        }
    }

    /// Asks for the funnel, or, with fewer than two steps, forgets it.
    fn load(&mut self, cx: &mut Ctx) {
        if !self.ready() {
            self.data = Remote::default();
            self.data.fresh = true;
            return;
        }
        let generation = cx.send(Pane::Funnel, Query::Funnel(self.query(cx)));
        self.data.wait_for(generation);
    }

    pub(super) fn answer(&mut self, generation: u64, result: Result<Answer, String>) {
        let result = unpack(result, |a| match a {
            Answer::Funnel(f) => Some(f),
            _ => None,
        });
        self.data.accept(generation, result);
    }

    pub(super) fn move_by(&mut self, delta: i64, cx: &Ctx) {
        self.selected = step_index(self.selected, delta, self.steps.len());
        let rows = layout::funnel::visible_rows(cx.body) as usize;
        self.scroll = keep_visible(self.scroll, self.selected, rows);
    }

    /// Parses `text` as a step and adds it after the selected one (or last);
    /// the error says what a step looks like.
    pub(super) fn add(&mut self, text: &str, cx: &mut Ctx) -> Result<(), String> {
        if self.steps.len() >= MAX_STEPS {
            return Err(format!("a funnel has at most {MAX_STEPS} steps"));
        }
        let step = FunnelStep::parse(text)?;
        let at = if self.steps.is_empty() {
            0
        } else {
            (self.selected + 1).min(self.steps.len())
        };
        self.steps.insert(at, step);
        self.selected = at;
        self.changed(cx);
        Ok(())
    }

    /// Removes the selected step.
    pub(super) fn delete(&mut self, cx: &mut Ctx) {
        if self.selected < self.steps.len() {
            self.steps.remove(self.selected);
            self.selected = self.selected.min(self.steps.len().saturating_sub(1));
            self.changed(cx);
        }
    }

    /// Moves the selected step `by` places (-1 up, 1 down).
    pub(super) fn shift(&mut self, by: i64, cx: &mut Ctx) {
        let to = step_index(self.selected, by, self.steps.len());
        if to != self.selected {
            self.steps.swap(self.selected, to);
            self.selected = to;
            self.changed(cx);
        }
    }

    /// Sets the time limit from typed text (`30m`, `2h`); empty clears it.
    pub(super) fn set_within(&mut self, text: &str, cx: &mut Ctx) -> Result<(), String> {
        let text = text.trim();
        self.within_ms = if text.is_empty() {
            None
        } else {
            Some(crate::filters::parse_span(text).ok_or("durations look like 30s, 5m or 1h")?)
        };
        self.changed(cx);
        Ok(())
    }

    /// Puts `steps` in place (a saved view); the ones that do not parse are
    /// left out and returned.
    pub(super) fn set_steps(&mut self, steps: &[String]) -> Vec<String> {
        let mut bad = Vec::new();
        self.steps = steps
            .iter()
            .filter_map(|s| match FunnelStep::parse(s) {
                Ok(step) => Some(step),
                Err(_) => {
                    bad.push(s.clone());
                    None
                }
            })
            .take(MAX_STEPS)
            .collect();
        self.selected = 0;
        self.scroll = 0;
        self.invalidate();
        bad
    }

    fn changed(&mut self, cx: &mut Ctx) {
        let rows = layout::funnel::visible_rows(cx.body) as usize;
        self.scroll = keep_visible(self.scroll, self.selected, rows);
        self.load(cx);
    }
}
