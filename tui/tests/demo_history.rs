//! The demo's history: two weeks of simulated traffic back-filled through
//! the real SQLite writer into an empty database, read back through the real
//! reader in every view; a second run adds nothing; and the long operations
//! of the binary show progress on a terminal and none when piped.

mod common;

use common::T0;
use shared::event::EventKind;
use shared::page_key::PagePattern;
use shared::progress::Progress;
use shared::store::query::*;
use shared::store::sqlite::{SqliteReader, SqliteWriter};
use shared::store::EventReader;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;
use std::sync::Mutex;
use tui::backfill::{fill_if_empty, Outcome, Plan};

const DAY: i64 = 86_400_000;
/// Two weeks after the common fixtures' T0, mid-morning UTC.
const NOW: i64 = T0 + 14 * DAY + 10 * 3_600_000;
const SITE: &str = "http://127.0.0.1:4000/demo/";

/// What a back-fill reported.
#[derive(Default)]
struct Reports {
    tasks: Vec<(String, Option<u64>)>,
    advanced: u64,
    ended: u32,
}

/// Adds up what a back-fill reports.
#[derive(Default)]
struct Tally(Mutex<Reports>);

impl Progress for Tally {
    fn begin(&self, task: &str, total: Option<u64>) {
        if let Ok(mut t) = self.0.lock() {
            t.tasks.push((task.to_owned(), total));
        }
    }
    fn advance(&self, units: u64) {
        if let Ok(mut t) = self.0.lock() {
            t.advanced += units;
        }
    }
    fn end(&self) {
        if let Ok(mut t) = self.0.lock() {
            t.ended += 1;
        }
    }
}

fn plan(sessions_per_day: u32) -> Plan {
    Plan {
        days: 14,
        sessions_per_day,
        seed: 11,
        utc_offset_ms: 0,
    }
}

fn all() -> Filter {
    Filter::default()
}

fn every_session(reader: &dyn EventReader) -> Vec<SessionSummary> {
    let mut rows = Vec::new();
    loop {
        let page = reader
            .sessions(
                &all(),
                Sort {
                    key: SessionSortKey::Start,
                    descending: false,
                },
                PageRequest {
                    offset: rows.len() as u64,
                    limit: 1_000,
                },
            )
            .expect("sessions");
        if page.rows.is_empty() {
            return rows;
        }
        rows.extend(page.rows);
    }
}

/// Back-fills a new database at `path`; returns what was written.
fn fill(path: &Path, sessions_per_day: u32) -> (u64, u64) {
    let mut writer = SqliteWriter::open(path).expect("open the writer");
    let reader = SqliteReader::open(path).expect("open the reader");
    let outcome = fill_if_empty(
        &mut writer,
        &reader,
        SITE,
        NOW,
        &plan(sessions_per_day),
        &shared::progress::Silent,
    )
    .expect("back-fill");
    match outcome {
        Outcome::Filled { sessions, events } => (sessions, events),
        Outcome::AlreadyFilled => panic!("a new database is empty"),
    }
}

#[test]
fn the_back_fill_gives_two_weeks_to_every_view_and_only_once() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("analytics.db");
    let mut writer = SqliteWriter::open(&path).expect("open the writer");
    let reader = SqliteReader::open(&path).expect("open the reader");
    let tally = Tally::default();
    let outcome =
        fill_if_empty(&mut writer, &reader, SITE, NOW, &plan(120), &tally).expect("back-fill");
    let Outcome::Filled { sessions, events } = outcome else {
        panic!("a new database is empty: {outcome:?}");
    };

    // Progress: one task of as many units as sessions, all done, closed.
    {
        let t = tally.0.lock().expect("tally");
        assert_eq!(
            t.tasks,
            [(
                "back-filling 14 days of simulated traffic".to_owned(),
                Some(sessions)
            )]
        );
        assert_eq!((t.advanced, t.ended), (sessions, 1));
    }

    // Sessions: every one written, on every day of the fortnight.
    let rows = every_session(&reader);
    assert_eq!(rows.len() as u64, sessions);
    let days: BTreeSet<i64> = rows.iter().map(|s| s.start.div_euclid(DAY)).collect();
    assert!(days.len() >= 14, "sessions on {} days", days.len());
    assert!(rows
        .iter()
        .all(|s| s.start >= NOW - 15 * DAY && s.end <= NOW));
    let visitors: BTreeSet<&str> = rows.iter().map(|s| s.visitor_id.as_str()).collect();
    assert!(visitors.len() < rows.len(), "some visitors return");
    let devices: BTreeSet<String> = rows
        .iter()
        .map(|s| format!("{:?}", s.client.device))
        .collect();
    assert!(devices.len() >= 3, "{devices:?}");
    let referrers: BTreeSet<Option<&str>> = rows.iter().map(|s| s.referrer.as_deref()).collect();
    assert!(referrers.len() >= 4, "{referrers:?}");
    assert!(rows.iter().any(|s| s.rage_clicks > 0), "some rage clicks");

    // Overview: the series has sessions in most of its buckets across days.
    let overview = reader.overview(&all()).expect("overview");
    assert_eq!(overview.sessions, sessions);
    assert!(overview.page_views > overview.sessions && overview.clicks > 0);
    let busy_days: BTreeSet<i64> = overview
        .series
        .iter()
        .filter(|p| p.sessions > 0)
        .map(|p| p.start.div_euclid(DAY))
        .collect();
    assert!(busy_days.len() >= 10, "series days {busy_days:?}");
    assert!(overview.top_pages.len() >= 4 && overview.top_referrers.len() >= 3);

    // Pages: the demo site's four pages, with views, clicks and scrolls.
    let pages = reader
        .pages(
            &all(),
            None,
            Sort {
                key: PageSortKey::Views,
                descending: true,
            },
            PageRequest {
                offset: 0,
                limit: 100,
            },
        )
        .expect("pages");
    assert_eq!(pages.len(), 4, "{pages:?}");
    assert!(pages
        .iter()
        .all(|p| p.views > 0 && p.mean_scroll_depth.is_some()));
    assert!(pages.iter().all(|p| p.clicks > 0), "{pages:?}");

    // Journey: a visit of several pages, its events in order.
    let long = rows
        .iter()
        .find(|s| s.page_views >= 3)
        .expect("a visit of three pages or more");
    let journey = reader
        .journey(&SessionRef {
            site: Some(long.site.clone()),
            session_id: long.session_id.clone(),
        })
        .expect("journey")
        .expect("the session's journey");
    assert_eq!(journey.steps.len() as u64, long.events);
    let has = |kind: EventKind| journey.steps.iter().any(|e| e.event.kind == kind);
    assert!(has(EventKind::PageView) && has(EventKind::Click) && has(EventKind::Scroll));

    // Heatmap of the home page: clicks in cells, on the demo site's elements.
    let heatmap = reader
        .heatmap(&HeatmapQuery {
            pages: PagePattern::new("/demo/"),
            filter: all(),
            segment: WidthSegment::Desktop,
            columns: 80,
        })
        .expect("heatmap");
    assert!(heatmap.total_clicks > 100, "{}", heatmap.total_clicks);
    assert!(heatmap.bins.len() > 10 && heatmap.max_cell_clicks > 1);
    assert!(heatmap
        .top_elements
        .iter()
        .any(|e| e.selector == "#hero-cta" && e.label.as_deref() == Some("Shop the collection")));
    // Selectors as tracker.js reports them, so simulated and real clicks meet.
    assert!(heatmap
        .top_elements
        .iter()
        .any(|e| e.selector == "button:nth-child(2)" && e.label.as_deref() == Some("Add to cart")));

    // Custom events, named as the demo site names them.
    let stored = reader
        .events(
            &all(),
            PageRequest {
                offset: 0,
                limit: 5_000,
            },
        )
        .expect("events");
    let mut names: BTreeMap<String, u32> = BTreeMap::new();
    for e in stored.iter().filter(|e| e.event.kind == EventKind::Custom) {
        *names
            .entry(e.event.name.clone().unwrap_or_default())
            .or_default() += 1;
    }
    assert!(
        names.contains_key("add_to_cart") && names.contains_key("plan_selected"),
        "{names:?}"
    );

    // Again, with the same and with a reopened writer: nothing is added.
    let again =
        fill_if_empty(&mut writer, &reader, SITE, NOW, &plan(120), &tally).expect("second run");
    assert_eq!(again, Outcome::AlreadyFilled);
    drop(writer);
    let mut reopened = SqliteWriter::open(&path).expect("reopen the writer");
    let later = fill_if_empty(&mut reopened, &reader, SITE, NOW + DAY, &plan(120), &tally)
        .expect("a later run");
    assert_eq!(later, Outcome::AlreadyFilled);
    assert_eq!(every_session(&reader).len() as u64, sessions);
    assert_eq!(
        reader.overview(&all()).expect("overview").page_views,
        overview.page_views
    );
    assert_eq!(
        tally.0.lock().expect("tally").tasks.len(),
        1,
        "no second task"
    );
    assert!(events > sessions);
}

/// The visitor with the most sessions in a back-filled database.
fn busiest_visitor(path: &Path) -> (String, usize) {
    let reader = SqliteReader::open(path).expect("open the reader");
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for s in every_session(&reader) {
        *counts.entry(s.visitor_id).or_default() += 1;
    }
    counts
        .into_iter()
        .max_by_key(|(_, n)| *n)
        .expect("some visitor")
}

#[test]
fn deleting_a_visitor_piped_prints_no_progress() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("analytics.db");
    fill(&path, 40);
    let (visitor, sessions) = busiest_visitor(&path);
    assert!(sessions >= 2, "a returning visitor");
    let out = Command::new(env!("CARGO_BIN_EXE_analytics-tui"))
        .arg("--db")
        .arg(&path)
        .args(["delete-visitor", "--site", "demo", &visitor])
        .env_remove("ANALYTICS_DB")
        .env("TERM", "xterm-256color")
        .output()
        .expect("run analytics-tui");
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("deleted "));
    assert!(
        out.stderr.is_empty(),
        "no progress when piped: {:?}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[cfg(unix)]
mod on_a_terminal {
    use super::*;
    use common::console_pty::ConsolePty;
    use std::io::Read;
    use testkit::pty::spawn_in_pty;

    /// Runs the binary in an 100-column pseudo-terminal until it exits;
    /// returns everything it wrote.
    fn run_in_pty(args: &[&str], db: &Path) -> String {
        let mut command = Command::new(env!("CARGO_BIN_EXE_analytics-tui"));
        command
            .arg("--db")
            .arg(db)
            .args(args)
            .env_remove("ANALYTICS_DB")
            .env("TERM", "xterm-256color");
        let (mut child, input, mut output) = spawn_in_pty(&mut command, 24, 100);
        // The parent's copies of the terminal's slave side go with the command,
        // so the output ends when the child is gone.
        drop(command);
        let reader = std::thread::spawn(move || {
            let mut all = Vec::new();
            let mut chunk = [0u8; 4096];
            // Ends with EIO once the child and its terminal are gone.
            while let Ok(n) = output.read(&mut chunk) {
                if n == 0 {
                    break;
                }
                all.extend_from_slice(&chunk[..n]);
            }
            all
        });
        let status = child.wait().expect("wait");
        assert!(status.success(), "{status:?}");
        drop(input);
        String::from_utf8_lossy(&reader.join().expect("the reader")).into_owned()
    }

    #[test]
    fn deleting_a_visitor_on_a_terminal_shows_its_progress() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("analytics.db");
        fill(&path, 40);
        let (visitor, sessions) = busiest_visitor(&path);
        let shown = run_in_pty(&["delete-visitor", "--site", "demo", &visitor], &path);
        assert!(
            shown.contains("deleting the visitor's sessions")
                && shown.contains(&format!("{sessions}/{sessions}")),
            "{shown:?}"
        );
        assert!(shown.contains("deleted "), "{shown:?}");
    }

    /// Runs the demo (no live traffic, a free port) until its console shows
    /// the overview, then quits it; returns everything it wrote.
    fn demo_until_overview(db: &Path) -> String {
        let mut demo = ConsolePty::start_with(
            &["demo", "--port", "0", "--rate", "0", "--history", "30"],
            db,
            30,
            110,
        );
        demo.wait_for("Live");
        demo.send("1");
        let screen = demo.wait_for("visitors");
        assert!(!screen.contains("visitors 0 "), "{screen}");
        demo.send("q");
        let status = demo.wait_exit();
        assert!(status.success(), "{status:?}");
        String::from_utf8_lossy(&demo.raw()).into_owned()
    }

    #[test]
    fn the_demo_back_fills_an_empty_database_once_with_a_progress_bar() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("analytics.db");
        let first = demo_until_overview(&path);
        assert!(
            first.contains("back-filling 14 days of simulated traffic"),
            "{first:?}"
        );
        assert!(first.contains("history: "), "{first:?}");
        let second = demo_until_overview(&path);
        assert!(!second.contains("back-filling"), "{second:?}");
        assert!(!second.contains("history: "), "{second:?}");
    }
}
