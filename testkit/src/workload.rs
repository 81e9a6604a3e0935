//! The write workload both store benchmarks (`shared/benches/append.rs` and
//! `mongo_append.rs`) run: group commits of generated batches (three in four
//! events are clicks), timed and printed; and a crowd of clicks on one spot.

use shared::event::{ClientInfo, DeviceClass, Event, EventBatch, EventKind, Rect, Size, Target};
use shared::store::EventWriter;
use std::time::Instant;

fn event(n: u64, ts: i64) -> Event {
    let click = n % 4 != 0;
    Event {
        id: format!("e{n}"),
        kind: if click {
            EventKind::Click
        } else {
            EventKind::PageView
        },
        ts,
        received_at: ts,
        clock_adjusted: false,
        url: format!("https://shop.example/p/{}", n % 50),
        page_key: format!("shop.example/p/{}", n % 50),
        title: Some("Product".into()),
        referrer: None,
        viewport: Some(Size {
            width: 1280,
            height: 720,
        }),
        page: Some(Size {
            width: 1280,
            height: 4200,
        }),
        x: click.then_some((n % 1280) as i32),
        y: click.then_some(((n * 7) % 4200) as i32),
        target: click.then(|| Target {
            selector: Some("main>div.card:nth-of-type(2)>button".into()),
            label: Some("Buy now".into()),
            rect: Some(Rect {
                x: 600,
                y: 1780,
                width: 120,
                height: 40,
            }),
        }),
        depth: None,
        depth_from: None,
        name: None,
        props: None,
    }
}

/// Commits `commits` groups of `batches_per_commit` batches of
/// `events_per_batch` events through `writer` and prints the rate.
pub fn run(
    writer: &mut dyn EventWriter,
    label: &str,
    batches_per_commit: usize,
    events_per_batch: usize,
    commits: usize,
) {
    let client = ClientInfo {
        device: DeviceClass::Desktop,
        browser: "Chrome".into(),
        os: "Linux".into(),
    };
    let mut n = 0u64;
    let ts0 = 1_764_000_000_000i64;
    let started = Instant::now();
    for _ in 0..commits {
        let batches: Vec<EventBatch> = (0..batches_per_commit)
            .map(|b| EventBatch {
                site: "bench".into(),
                session_id: format!("s{}-{}", b, n / 1000),
                visitor_id: format!("v{b}"),
                client: client.clone(),
                events: (0..events_per_batch)
                    .map(|_| {
                        n += 1;
                        event(n, ts0 + n as i64 * 37)
                    })
                    .collect(),
            })
            .collect();
        writer.append(&batches).expect("append");
    }
    let secs = started.elapsed().as_secs_f64();
    let events = (commits * batches_per_commit * events_per_batch) as f64;
    println!(
        "{label:<40} {:>9.0} events/s  {:>7.3} ms per commit",
        events / secs,
        secs * 1000.0 / commits as f64
    );
}

/// A crowd: one session sends `batches` batches of 500 clicks (the most a
/// batch holds) on one spot at one instant, a commit each. Every commit
/// judges the whole crowd for rage clicks again, so this prints the first,
/// the median and the last commit's time.
pub fn crowd(writer: &mut dyn EventWriter, label: &str, batches: usize) {
    let client = ClientInfo::default();
    let ts = 1_764_000_000_000i64;
    let mut times = Vec::with_capacity(batches);
    for b in 0..batches {
        let events = (0..shared::limits::MAX_EVENTS_PER_BATCH)
            .map(|i| Event {
                id: format!("c{b}-{i}"),
                ..event(1, ts)
            })
            .collect();
        let batch = EventBatch {
            site: "bench".into(),
            session_id: "crowd".into(),
            visitor_id: "v".into(),
            client: client.clone(),
            events,
        };
        let started = Instant::now();
        writer.append(&[batch]).expect("append");
        times.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    let (Some(&first), Some(&last)) = (times.first(), times.last()) else {
        return;
    };
    times.sort_by(f64::total_cmp);
    println!(
        "{label:<40} ms per commit: first {first:.1}, median {:.1}, last {last:.1}",
        times[times.len() / 2]
    );
}
