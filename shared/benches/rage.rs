//! Cost of rage judging (`core::rage::rage_rows`) over one session's clicks
//! of a window, in shapes from real pages to hostile ones: clicks spread over
//! a page, a few bursts among them, and many clicks at one spot at once
//! (which a client can send: 500 per batch, batch after batch). Prints µs
//! per judging; run with `cargo bench -p shared --bench rage`.

use shared::store::core::rage::{rage_rows, ClickPoint};
use std::hint::black_box;
use std::time::Instant;

fn point(row: usize, ts: i64, x: f64, y: f64) -> ClickPoint {
    ClickPoint {
        row: row as i64,
        ts,
        x,
        y,
    }
}

/// Clicks over a page at the bench's pace: all within one second.
fn spread(n: usize) -> Vec<ClickPoint> {
    (0..n)
        .map(|i| {
            point(
                i,
                (i * 1000 / n) as i64,
                (i * 389 % 1280) as f64,
                (i * 1201 % 4200) as f64,
            )
        })
        .collect()
}

/// Clicks 150 ms apart, four of every ten on one spot: a burst of four
/// every 1.5 s.
fn bursts(n: usize) -> Vec<ClickPoint> {
    (0..n)
        .map(|i| {
            let (x, y) = if i % 10 < 4 {
                (500.0, 300.0)
            } else {
                ((i * 37 % 1280) as f64, (i * 91 % 4200) as f64)
            };
            point(i, (i as i64) * 150, x, y)
        })
        .collect()
}

/// Every click on one spot at one instant.
fn one_spot(n: usize) -> Vec<ClickPoint> {
    (0..n).map(|i| point(i, 0, 640.0, 400.0)).collect()
}

/// A spot clicked steadily: each click's window holds the next `per_window`.
fn steady(n: usize, per_window: usize) -> Vec<ClickPoint> {
    (0..n)
        .map(|i| {
            point(
                i,
                (i as i64) * 1000 / per_window as i64,
                640.0 + (i % 3) as f64,
                400.0,
            )
        })
        .collect()
}

fn time(name: &str, clicks: &[ClickPoint]) {
    let start = Instant::now();
    let mut runs = 0u32;
    let mut flagged = 0;
    while runs < 3 || start.elapsed().as_secs_f64() < 0.5 {
        flagged = black_box(rage_rows(black_box(clicks))).len();
        runs += 1;
    }
    let us = start.elapsed().as_secs_f64() * 1e6 / f64::from(runs);
    println!(
        "{name:<34} {:>6} clicks {flagged:>6} flagged {us:>14.1} µs",
        clicks.len()
    );
}

fn main() {
    time("spread over a page, 1 s", &spread(200));
    time("spread over a page, 1 s", &spread(2_000));
    time("bursts among clicks", &bursts(2_000));
    time("one spot at once", &one_spot(500));
    time("one spot at once", &one_spot(2_000));
    time("one spot, 200 per second", &steady(2_000, 200));
}
