//! What a view's update may use besides its own state ([`Ctx`]), and the
//! queue of requests for the query worker ([`Outbox`]).
//!
//! Every request is sent for a [`Pane`] and gets a new generation; together
//! they are its [`RequestId`], which the worker hands back with the answer.
//! The pane keeps the generation it waits for, so an answer to an older
//! request of the same pane is recognised as stale and dropped.

use crate::filters::Range;
use crate::worker::{Pane, Query, Request, RequestId};
use ratatui::layout::Rect;
use shared::store::query::Filter;

/// Requests queued for the worker, drained by the runtime.
#[derive(Debug, Clone, PartialEq)]
pub struct Outbox {
    requests: Vec<Request>,
    /// The generation the next request gets; every request gets a new one.
    next_generation: u64,
}

impl Default for Outbox {
    fn default() -> Self {
        Self {
            requests: Vec::new(),
            next_generation: 1,
        }
    }
}

impl Outbox {
    /// Queues `query` for `pane`; returns the generation its answer will
    /// carry, which the pane keeps as the one it waits for.
    pub fn send(&mut self, pane: Pane, query: Query) -> u64 {
        let generation = self.next_generation;
        self.next_generation += 1;
        self.requests.push(Request {
            id: RequestId { pane, generation },
            query,
        });
        generation
    }

    /// Takes the queued requests.
    pub fn take(&mut self) -> Vec<Request> {
        std::mem::take(&mut self.requests)
    }
}

/// The rest of the app as a view's update sees it: the time and filter its
/// queries use, whether figures are compared with the previous period, the
/// body's geometry, and the outbox.
pub struct Ctx<'a> {
    /// Milliseconds since the epoch, as of the last tick.
    pub now: i64,
    /// The screen's body, where the current view is drawn.
    pub body: Rect,
    filter: &'a Filter,
    range: &'a Range,
    /// Whether the overview's and the pages' figures are compared.
    compare: bool,
    /// The range compared with: `None` the previous period (where the range
    /// has one), else that range.
    compare_with: Option<&'a Range>,
    outbox: &'a mut Outbox,
}

impl<'a> Ctx<'a> {
    pub fn new(
        now: i64,
        body: Rect,
        filter: &'a Filter,
        range: &'a Range,
        compare: bool,
        compare_with: Option<&'a Range>,
        outbox: &'a mut Outbox,
    ) -> Self {
        Self {
            now,
            body,
            filter,
            range,
            compare,
            compare_with,
            outbox,
        }
    }

    /// The filter every query uses: the conditions plus the resolved range.
    pub fn query_filter(&self) -> Filter {
        query_filter(self.filter, self.range, self.now)
    }

    /// The filter of the period compared with: the same conditions over the
    /// chosen range, or the period of the same length just before the range;
    /// `None` when comparing is off or the range has no start ("all time").
    pub fn previous_filter(&self) -> Option<Filter> {
        self.compare.then(|| self.compared_filter()).flatten()
    }

    /// The filter of the period compared with whether or not the overview
    /// compares (the heatmap has its own switch); `None` when the range has
    /// no start and no other range was chosen.
    pub fn compared_filter(&self) -> Option<Filter> {
        previous_filter(self.filter, self.range, Some(self.compare_with), self.now)
    }

    /// Queues `query` for `pane`; returns the generation to wait for.
    pub fn send(&mut self, pane: Pane, query: Query) -> u64 {
        self.outbox.send(pane, query)
    }
}

/// `filter` with `range` resolved at `now`.
pub fn query_filter(filter: &Filter, range: &Range, now: i64) -> Filter {
    let mut filter = filter.clone();
    filter.range = range.resolve(now);
    filter
}

/// `filter` over the range compared with at `now`: the chosen one, or the
/// period before `range` when it has a start; `None` when `compare` is off.
pub fn previous_filter(
    filter: &Filter,
    range: &Range,
    compare: Option<Option<&Range>>,
    now: i64,
) -> Option<Filter> {
    let mut filter = filter.clone();
    filter.range = match compare? {
        Some(chosen) => chosen.resolve(now),
        None => range.resolve(now).previous(now)?,
    };
    Some(filter)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_request_gets_a_new_generation() {
        let mut outbox = Outbox::default();
        let a = outbox.send(Pane::Pages, Query::Overview(Filter::default()));
        let b = outbox.send(Pane::MorePages, Query::Overview(Filter::default()));
        let c = outbox.send(Pane::Pages, Query::Overview(Filter::default()));
        assert!(a < b && b < c);
        let ids: Vec<RequestId> = outbox.take().into_iter().map(|r| r.id).collect();
        assert_eq!(
            ids,
            [
                RequestId {
                    pane: Pane::Pages,
                    generation: a
                },
                RequestId {
                    pane: Pane::MorePages,
                    generation: b
                },
                RequestId {
                    pane: Pane::Pages,
                    generation: c
                },
            ]
        );
        assert!(outbox.take().is_empty());
    }
}
