//! Rage-click detection: at least [`RAGE_CLICK_COUNT`] clicks by one session
//! within [`RAGE_CLICK_WINDOW_MS`] and [`RAGE_CLICK_RADIUS_PX`] of each other.
//!
//! Bursts are found greedily in time order: from each click, later clicks within
//! the window join when they are within the radius of every click already in
//! the burst. A commit runs this over each session's clicks around its new
//! clicks ([`super::fold::Fold::rage_windows`]), so clicks arriving late or
//! out of order are still judged together.

use super::fold::{Fact, Fold, Keys};
use crate::limits::{RAGE_CLICK_COUNT, RAGE_CLICK_RADIUS_PX, RAGE_CLICK_WINDOW_MS};
use std::collections::HashMap;

/// A stored click as an engine read it for judging: `row` is how the engine
/// flags it.
pub struct Candidate<'a, K: Keys, R> {
    pub row: R,
    /// Already flagged as a rage click.
    pub flagged: bool,
    pub fact: Fact<'a, K>,
}

/// Judges the clicks of each session (given in any order, at least every
/// click within a rage window of a new one) and returns the rows of the
/// clicks newly found in a burst, counting each into `fold`.
pub fn judge<K: Keys, R>(fold: &mut Fold<K>, clicks: Vec<Candidate<'_, K, R>>) -> Vec<R> {
    let mut by_session: HashMap<K::Session, Vec<Candidate<'_, K, R>>> = HashMap::new();
    for click in clicks {
        by_session
            .entry(click.fact.session.clone())
            .or_default()
            .push(click);
    }
    let mut rows = Vec::new();
    for mut clicks in by_session.into_values() {
        clicks.sort_by_key(|c| (c.fact.ts, c.fact.order));
        let points: Vec<ClickPoint> = clicks
            .iter()
            .enumerate()
            .map(|(i, c)| ClickPoint {
                row: i as i64,
                ts: c.fact.ts,
                x: f64::from(c.fact.x.unwrap_or_default()),
                y: f64::from(c.fact.y.unwrap_or_default()),
            })
            .collect();
        let mut burst = vec![false; clicks.len()];
        for i in rage_rows(&points) {
            burst[i as usize] = true;
        }
        for (click, in_burst) in clicks.into_iter().zip(burst) {
            if in_burst && !click.flagged {
                fold.add_rage(&click.fact);
                rows.push(click.row);
            }
        }
    }
    rows
}

/// A click as rage detection sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClickPoint {
    pub row: i64,
    pub ts: i64,
    pub x: f64,
    pub y: f64,
}

/// Rows of the clicks that belong to some burst. `clicks` must be in time order.
pub fn rage_rows(clicks: &[ClickPoint]) -> Vec<i64> {
    let mut flagged = vec![false; clicks.len()];
    // Squared distances: exact for pixel coordinates, and cheaper than `hypot`
    // on the writer's path (every click is compared with its neighbours).
    let near = |a: &ClickPoint, b: &ClickPoint| {
        let (dx, dy) = (a.x - b.x, a.y - b.y);
        dx * dx + dy * dy <= RAGE_CLICK_RADIUS_PX * RAGE_CLICK_RADIUS_PX
    };
    let mut burst: Vec<usize> = Vec::new();
    for start in 0..clicks.len() {
        burst.clear();
        burst.push(start);
        for next in start + 1..clicks.len() {
            if clicks[next].ts - clicks[start].ts > RAGE_CLICK_WINDOW_MS {
                break;
            }
            if burst.iter().all(|&i| near(&clicks[i], &clicks[next])) {
                burst.push(next);
            }
        }
        if burst.len() >= RAGE_CLICK_COUNT {
            for &i in &burst {
                flagged[i] = true;
            }
        }
    }
    clicks
        .iter()
        .zip(flagged)
        .filter_map(|(c, f)| f.then_some(c.row))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(row: i64, ts: i64, x: f64, y: f64) -> ClickPoint {
        ClickPoint { row, ts, x, y }
    }

    #[test]
    fn three_close_fast_clicks_are_rage() {
        let c = [
            at(1, 0, 100.0, 100.0),
            at(2, 300, 110.0, 105.0),
            at(3, 900, 95.0, 90.0),
        ];
        assert_eq!(rage_rows(&c), vec![1, 2, 3]);
    }

    #[test]
    fn two_clicks_or_slow_or_spread_clicks_are_not() {
        assert!(rage_rows(&[at(1, 0, 0.0, 0.0), at(2, 100, 0.0, 0.0)]).is_empty());
        let slow = [
            at(1, 0, 0.0, 0.0),
            at(2, 600, 0.0, 0.0),
            at(3, 1200, 0.0, 0.0),
        ];
        assert!(rage_rows(&slow).is_empty());
        let spread = [
            at(1, 0, 0.0, 0.0),
            at(2, 100, 25.0, 0.0),
            at(3, 200, 50.0, 0.0),
        ];
        assert!(
            rage_rows(&spread).is_empty(),
            "first and last are 50 px apart"
        );
    }

    #[test]
    fn only_the_burst_is_flagged() {
        let c = [
            at(1, 0, 500.0, 500.0),
            at(2, 2000, 10.0, 10.0),
            at(3, 2100, 12.0, 10.0),
            at(4, 2200, 10.0, 14.0),
            at(5, 2300, 10.0, 12.0),
            at(6, 2400, 400.0, 10.0),
            at(7, 5000, 10.0, 10.0),
        ];
        assert_eq!(rage_rows(&c), vec![2, 3, 4, 5]);
    }

    #[test]
    fn boundaries_are_inclusive() {
        let c = [
            at(1, 0, 0.0, 0.0),
            at(2, 500, 30.0, 0.0),
            at(3, 1000, 0.0, 0.0),
        ];
        assert_eq!(rage_rows(&c), vec![1, 2, 3]);
    }
}
