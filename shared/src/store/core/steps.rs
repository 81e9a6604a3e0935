//! A session's steps — its page views and custom events in order — and the
//! frustration signals derived from them.
//!
//! Engines keep each session's steps with the session (merged on every
//! commit by [`merge`], so events arriving late or out of order land in
//! place); paths and funnels ([`super::flows`]) read them, and every commit
//! re-counts the session's quick backs from them.
//!
//! # Frustration signals
//!
//! - a **rage click**: see [`super::rage`];
//! - a **quick back**: the visitor leaves a page for another and comes back
//!   to it within [`QUICK_BACK_MS`] (page views `A → B → A`, the return at
//!   most 10 s after the view of `B`); consecutive views of one page count
//!   once;
//! - a **dead end**: the session ends within [`DEAD_END_MS`] of a rage click
//!   (the visitor gave up);
//! - the **frustration score** of a session ([`frustration_score`]):
//!   `rage clicks + 2 × quick backs + 5 × dead end`. A dead end weighs most:
//!   the visitor left frustrated; a quick back is a wrong turn, a single
//!   rage click a moment's annoyance.

use crate::event::EventKind;

/// Longest time between leaving a page and coming back to it that counts as
/// a quick back.
pub const QUICK_BACK_MS: i64 = 10_000;
/// Longest time between a session's last rage click and its end that makes
/// it a dead end.
pub const DEAD_END_MS: i64 = 10_000;
/// Weights of the frustration score.
pub const SCORE_QUICK_BACK: i64 = 2;
pub const SCORE_DEAD_END: i64 = 5;

/// What a step is: a page view of a page, or a custom event by its name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum StepLabel<P> {
    Page(P),
    Event(String),
}

/// One step of a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step<P> {
    pub ts: i64,
    /// Grows with storage order: ties in time go by it, and a step stored
    /// twice is recognised by it.
    pub order: i64,
    pub label: StepLabel<P>,
}

/// The step an event is, if it is one (page views and custom events); the
/// page is cloned only for a page view, since every event of a commit asks.
pub fn step_of<P: Clone>(
    kind: EventKind,
    ts: i64,
    order: i64,
    page: &P,
    name: Option<&str>,
) -> Option<Step<P>> {
    let label = match kind {
        EventKind::PageView => StepLabel::Page(page.clone()),
        EventKind::Custom => StepLabel::Event(name.unwrap_or_default().to_owned()),
        EventKind::Click | EventKind::Scroll => return None,
    };
    Some(Step { ts, order, label })
}

/// Merges `new` steps into a session's `stored` steps: in `(ts, order)`
/// order, each order once.
pub fn merge<P>(stored: &mut Vec<Step<P>>, new: Vec<Step<P>>) {
    stored.extend(new);
    stored.sort_by_key(|s| (s.ts, s.order));
    stored.dedup_by_key(|s| s.order);
}

/// The pages of `steps` in order, consecutive views of one page once, each
/// with the time of its first view in the run.
pub fn page_runs<P: PartialEq>(steps: &[Step<P>]) -> Vec<(&P, i64)> {
    runs(steps.iter().filter_map(|s| match &s.label {
        StepLabel::Page(page) => Some((page, s.ts)),
        StepLabel::Event(_) => None,
    }))
    .collect()
}

/// Page views `(page, ts)` in order with consecutive views of one page once,
/// each run at the time of its first view: the rule [`page_runs`] applies,
/// for any form of steps.
pub fn runs<P: PartialEq + Copy>(
    views: impl IntoIterator<Item = (P, i64)>,
) -> impl Iterator<Item = (P, i64)> {
    let mut last: Option<P> = None;
    views.into_iter().filter(move |(page, _)| {
        let new = last != Some(*page);
        last = Some(*page);
        new
    })
}

/// The quick backs among a session's steps (see the module doc).
pub fn quick_backs<P: PartialEq>(steps: &[Step<P>]) -> i64 {
    backed_out_of(&page_runs(steps)).count() as i64
}

/// For each quick back among page runs `(page, ts)` ([`runs`]), the page
/// the visitor backed out of (`B` in `A → B → A`).
pub fn backed_out_of<P: PartialEq + Copy>(runs: &[(P, i64)]) -> impl Iterator<Item = P> + '_ {
    runs.windows(3)
        .filter(|w| w[0].0 == w[2].0 && w[2].1 - w[1].1 <= QUICK_BACK_MS)
        .map(|w| w[1].0)
}

/// Whether a session ending at `end` whose last rage click was at
/// `last_rage` is a dead end.
pub fn is_dead_end(end: i64, last_rage: Option<i64>) -> bool {
    last_rage.is_some_and(|t| end - t <= DEAD_END_MS)
}

/// The frustration score (see the module doc).
pub fn frustration_score(rage_clicks: u64, quick_backs: u64, dead_end: bool) -> u64 {
    rage_clicks
        + SCORE_QUICK_BACK as u64 * quick_backs
        + SCORE_DEAD_END as u64 * u64::from(dead_end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(ts: i64, order: i64, p: &'static str) -> Step<&'static str> {
        Step {
            ts,
            order,
            label: StepLabel::Page(p),
        }
    }

    #[test]
    fn merging_keeps_time_order_and_each_step_once() {
        let mut stored = vec![page(10, 1, "a"), page(30, 3, "c")];
        merge(
            &mut stored,
            vec![page(20, 2, "b"), page(10, 1, "a"), page(30, 0, "z")],
        );
        let orders: Vec<i64> = stored.iter().map(|s| s.order).collect();
        assert_eq!(orders, [1, 2, 0, 3]);
    }

    #[test]
    fn a_quick_back_is_a_return_within_ten_seconds() {
        let at = |returned: i64| {
            quick_backs(&[
                page(0, 1, "a"),
                page(1_000, 2, "b"),
                page(1_000 + returned, 3, "a"),
            ])
        };
        assert_eq!(at(9_000), 1);
        assert_eq!(at(10_000), 1);
        assert_eq!(at(11_000), 0);
        // Consecutive views of one page are one visit.
        let steps = [
            page(0, 1, "a"),
            page(500, 2, "b"),
            page(600, 3, "b"),
            page(2_000, 4, "a"),
            page(2_100, 5, "a"),
            page(2_200, 6, "b"),
        ];
        assert_eq!(quick_backs(&steps), 2);
        assert_eq!(quick_backs(&[page(0, 1, "a"), page(1, 2, "a")]), 0);
    }

    #[test]
    fn a_dead_end_ends_within_ten_seconds_of_a_rage_click() {
        assert!(is_dead_end(20_000, Some(10_000)));
        assert!(!is_dead_end(20_001, Some(10_000)));
        assert!(!is_dead_end(20_000, None));
        assert_eq!(frustration_score(3, 1, true), 3 + 2 + 5);
    }
}
