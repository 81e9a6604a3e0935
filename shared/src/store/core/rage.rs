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
use crate::store::fast_hash::{FastMap, FastSet};
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
///
/// The same bursts as the rule read literally (from each click, every later
/// click of its window, each compared with every click of the burst), at a
/// cost that stays near linear for what a client can send: 500 clicks a
/// batch on one spot, batch after batch, cost the literal reading a second
/// per commit at 2,000 clicks, and each commit judges them again. Three
/// shortcuts keep the result exact:
/// - a click whose window holds no unflagged click is skipped: its burst
///   could flag nothing new;
/// - a long window's candidates come from the grid cells (radius-sized)
///   around the burst's first click, as nothing farther can join;
/// - a candidate whose distance to the first click, plus the farthest
///   member's, stays within the radius (less a margin for rounding) is near
///   every member by the triangle inequality; only the others are compared
///   with each distinct position in the burst.
pub fn rage_rows(clicks: &[ClickPoint]) -> Vec<i64> {
    judged(clicks).0
}

/// The rows [`rage_rows`] returns, and how many distances it compared.
fn judged(clicks: &[ClickPoint]) -> (Vec<i64>, usize) {
    let mut flagged = vec![false; clicks.len()];
    let mut grid = None;
    let mut burst = BurstSearch::default();
    let mut end = 0;
    let mut first_unflagged = 0;
    for start in 0..clicks.len() {
        while end < clicks.len() && clicks[end].ts - clicks[start].ts <= RAGE_CLICK_WINDOW_MS {
            end += 1;
        }
        // Flags are only ever set, at or after `start`: this moves forward.
        first_unflagged = first_unflagged.max(start);
        while first_unflagged < end && flagged[first_unflagged] {
            first_unflagged += 1;
        }
        if first_unflagged >= end {
            continue;
        }
        // A short window is read whole; a long one through the grid, built
        // the first time one is met.
        burst.candidates.clear();
        if end - start <= SHORT_WINDOW {
            burst.candidates.extend(start + 1..end);
        } else {
            grid.get_or_insert_with(|| Grid::of(clicks)).candidates(
                &clicks[start],
                start,
                end,
                &mut burst.candidates,
            );
        }
        let members = burst.from(clicks, start);
        if members.len() >= RAGE_CLICK_COUNT {
            for &i in members {
                flagged[i] = true;
            }
        }
    }
    let rows = clicks
        .iter()
        .zip(flagged)
        .filter_map(|(c, f)| f.then_some(c.row))
        .collect();
    (rows, burst.compared)
}

/// Windows of at most this many clicks are read whole rather than through
/// the grid: cheaper than nine cell lookups and a sort.
const SHORT_WINDOW: usize = 32;

/// Within the rage radius; squared distances, exact for pixel coordinates.
fn near(a: (f64, f64), b: (f64, f64)) -> bool {
    let (dx, dy) = (a.0 - b.0, a.1 - b.1);
    dx * dx + dy * dy <= RAGE_CLICK_RADIUS_PX * RAGE_CLICK_RADIUS_PX
}

/// Clicks by grid cell of the rage radius, each cell's in time order.
struct Grid {
    cells: FastMap<(i64, i64), Vec<usize>>,
}

impl Grid {
    fn of(clicks: &[ClickPoint]) -> Self {
        let mut cells: FastMap<(i64, i64), Vec<usize>> = FastMap::default();
        for (i, c) in clicks.iter().enumerate() {
            cells.entry(cell_of(c)).or_default().push(i);
        }
        Self { cells }
    }

    /// The clicks after `start` and before `end` in the cells around
    /// `first` (`start`'s), in time order: all that can be near it.
    fn candidates(&self, first: &ClickPoint, start: usize, end: usize, into: &mut Vec<usize>) {
        let (cx, cy) = cell_of(first);
        for dx in -1..=1 {
            for dy in -1..=1 {
                let Some(cell) = self
                    .cells
                    .get(&(cx.saturating_add(dx), cy.saturating_add(dy)))
                else {
                    continue;
                };
                let from = cell.partition_point(|&i| i <= start);
                into.extend(cell[from..].iter().take_while(|&&i| i < end));
            }
        }
        into.sort_unstable();
    }
}

fn cell_of(c: &ClickPoint) -> (i64, i64) {
    // Saturating casts: a coordinate out of range still lands in a cell.
    (
        (c.x / RAGE_CLICK_RADIUS_PX).floor() as i64,
        (c.y / RAGE_CLICK_RADIUS_PX).floor() as i64,
    )
}

/// The buffers of one burst's search, kept between starts.
#[derive(Default)]
struct BurstSearch {
    candidates: Vec<usize>,
    members: Vec<usize>,
    /// The members' distinct positions: those a candidate is compared with.
    positions: Vec<(f64, f64)>,
    /// The same as a set, once there are more than [`FEW_POSITIONS`].
    seen: FastSet<(u64, u64)>,
    /// Distances compared, over every start.
    compared: usize,
}

/// Up to this many distinct positions are told apart by a scan, cheaper
/// than hashing for the few a burst usually has.
const FEW_POSITIONS: usize = 16;

/// The margin, in pixels, that keeps the bound below sound when sums of
/// square roots round.
const ROUNDING_MARGIN_PX: f64 = 1e-6;

impl BurstSearch {
    /// The burst that starts at `start`, among `self.candidates` (in time
    /// order: every click of its window that can be near it).
    fn from(&mut self, clicks: &[ClickPoint], start: usize) -> &[usize] {
        let first = &clicks[start];
        let origin = (first.x, first.y);
        self.members.clear();
        self.members.push(start);
        self.positions.clear();
        self.positions.push(origin);
        self.seen.clear();
        // The farthest member's distance from the first click, and what is
        // left of the radius beside it: a candidate within `slack` of the
        // first click is within the radius of every member.
        let mut reach_squared = 0.0_f64;
        let mut slack = RAGE_CLICK_RADIUS_PX - ROUNDING_MARGIN_PX;
        for &i in &self.candidates {
            let c = &clicks[i];
            let at = (c.x, c.y);
            self.compared += 1;
            let (dx, dy) = (c.x - first.x, c.y - first.y);
            let squared = dx * dx + dy * dy;
            if squared > RAGE_CLICK_RADIUS_PX * RAGE_CLICK_RADIUS_PX {
                continue;
            }
            let joins = (slack >= 0.0 && squared <= slack * slack)
                || self.positions.iter().all(|&p| {
                    self.compared += 1;
                    near(p, at)
                });
            if !joins {
                continue;
            }
            self.members.push(i);
            if squared > reach_squared {
                reach_squared = squared;
                slack = RAGE_CLICK_RADIUS_PX - ROUNDING_MARGIN_PX - squared.sqrt();
            }
            note_position(&mut self.positions, &mut self.seen, at);
        }
        &self.members
    }
}

/// Adds `at` to a burst's distinct positions (`seen`: the same as a set,
/// once they are many).
fn note_position(positions: &mut Vec<(f64, f64)>, seen: &mut FastSet<(u64, u64)>, at: (f64, f64)) {
    let key = |p: &(f64, f64)| (p.0.to_bits(), p.1.to_bits());
    let new = if positions.len() < FEW_POSITIONS {
        !positions.contains(&at)
    } else {
        if seen.is_empty() {
            seen.extend(positions.iter().map(key));
        }
        seen.insert(key(&at))
    };
    if new {
        positions.push(at);
    }
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

    /// The rule read literally: from each click, every later click of its
    /// window joins when near every click already in the burst.
    fn literal_rage_rows(clicks: &[ClickPoint]) -> Vec<i64> {
        let mut flagged = vec![false; clicks.len()];
        for start in 0..clicks.len() {
            let mut burst = vec![start];
            for next in start + 1..clicks.len() {
                if clicks[next].ts - clicks[start].ts > RAGE_CLICK_WINDOW_MS {
                    break;
                }
                let at = (clicks[next].x, clicks[next].y);
                if burst.iter().all(|&i| near((clicks[i].x, clicks[i].y), at)) {
                    burst.push(next);
                }
            }
            if burst.len() >= RAGE_CLICK_COUNT {
                for i in burst {
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

    #[test]
    fn the_shortcuts_find_the_bursts_the_literal_rule_finds() {
        let mut rng = fastrand::Rng::with_seed(7);
        for round in 0..4_000 {
            let n = rng.usize(0..80);
            // Spots close enough for bursts, chains and exact boundaries
            // (integer pixels at 30 px apart), and now and then a wide page.
            let span = if round % 5 == 0 {
                4_000
            } else {
                1 + rng.i32(0..90)
            };
            let step = [0, 50, 200, 400, 1_100][round % 5];
            let mut ts = rng.i64(0..1_000_000);
            let clicks: Vec<ClickPoint> = (0..n)
                .map(|i| {
                    ts += rng.i64(0..=step);
                    let x = f64::from(rng.i32(-span..=span));
                    let y = f64::from(rng.i32(-span..=span));
                    at(i as i64 * 3 + 1, ts, x, y)
                })
                .collect();
            assert_eq!(
                rage_rows(&clicks),
                literal_rage_rows(&clicks),
                "round {round}: {clicks:?}"
            );
        }
    }

    /// What a client can send, 500 clicks a batch: the literal rule compares
    /// about n³/6 distances on one spot (20 billion at 5,000 clicks).
    #[test]
    fn clicks_crowded_on_one_spot_cost_few_comparisons() {
        let n = 5_000;
        let at_once: Vec<ClickPoint> = (0..n).map(|i| at(i, 0, 640.0, 400.0)).collect();
        let (rows, compared) = judged(&at_once);
        assert_eq!(rows.len(), 5_000);
        assert!(compared <= 2 * n as usize, "{compared} comparisons");
        // 200 a second, three pixels apart: each window holds 200 clicks.
        let steady: Vec<ClickPoint> = (0..n)
            .map(|i| at(i, i * 5, 640.0 + (i % 3) as f64, 400.0))
            .collect();
        let (rows, compared) = judged(&steady);
        assert_eq!(rows, literal_rage_rows(&steady[..]));
        assert!(compared <= 250 * n as usize, "{compared} comparisons");
        // Spread over a page within a second: only neighbours are compared.
        let spread: Vec<ClickPoint> = (0..n)
            .map(|i| at(i, i / 5, (i * 389 % 1280) as f64, (i * 1201 % 4200) as f64))
            .collect();
        let (_, compared) = judged(&spread);
        assert!(compared <= 50 * n as usize, "{compared} comparisons");
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
