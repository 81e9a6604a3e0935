//! Console benchmark: for stores of 100k, 1M and 10M generated events, the
//! time to first frame, the latency of every view's queries (range "all" and
//! "last 24h"), the frame render time of every view on a 120×40 `TestBackend`,
//! and the process's peak RSS. Prints a table; asserts nothing.
//!
//! ```text
//! cargo bench -p tui --bench console                  # 100k, 1m and 10m
//! cargo bench -p tui --bench console -- --sizes 100k,1m
//! ```
//!
//! Generated databases are cached under `target/bench-data/` (delete them to
//! regenerate). Each size is measured in a fresh child process so that its
//! RSS is its own.

use ratatui::backend::TestBackend;
use ratatui::Terminal;
use shared::page_key::PagePattern;
use shared::store::core::flows;
use shared::store::flow_query::*;
use shared::store::query::*;
use shared::store::sqlite::{SqliteReader, SqliteWriter};
use shared::store::{EventReader, EventWriter};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};
use testkit::shop;
use tui::app::{update, App, Msg, View, PAGES_LIMIT, SESSION_WINDOW};
use tui::filters::Range;
use tui::keys::Action;
use tui::worker::{execute, Loaded, Query};

const SIZE: (u16, u16) = (120, 40);
const DAY: i64 = 86_400_000;

fn parse_size(text: &str) -> u64 {
    let t = text.trim().to_ascii_lowercase();
    let (digits, mult) = if let Some(d) = t.strip_suffix('k') {
        (d, 1_000)
    } else if let Some(d) = t.strip_suffix('m') {
        (d, 1_000_000)
    } else {
        (t.as_str(), 1)
    };
    digits.parse::<u64>().expect("a size like 100k or 1m") * mult
}

fn size_name(n: u64) -> String {
    if n % 1_000_000 == 0 {
        format!("{}M", n / 1_000_000)
    } else if n % 1_000 == 0 {
        format!("{}k", n / 1_000)
    } else {
        n.to_string()
    }
}

fn data_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    target.join("bench-data")
}

/// The cached database of `events` events, generated when missing.
fn database(events: u64) -> PathBuf {
    let dir = data_dir();
    std::fs::create_dir_all(&dir).expect("create the bench data directory");
    // `g2`: the generator's version (a changed generator gets a new cache).
    let path = dir.join(format!("console-g2-{}.db", size_name(events)));
    if !path.exists() {
        let tmp = dir.join(format!("console-g2-{}.tmp.db", size_name(events)));
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", tmp.display()));
        }
        eprintln!("generating {} events into {}", events, path.display());
        let started = Instant::now();
        let written = shop::generate(&tmp, events, |n| {
            if n % 1_000_000 < 50_000 {
                eprintln!("  {n} events, {:.0} s", started.elapsed().as_secs_f64());
            }
        });
        let secs = started.elapsed().as_secs_f64();
        eprintln!(
            "generated {written} events in {secs:.1} s ({:.0} events/s)",
            written as f64 / secs
        );
        // Fold the WAL in so that the cached file stands alone.
        checkpoint(&tmp);
        std::fs::rename(&tmp, &path).expect("move the database into place");
        for suffix in ["-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", tmp.display()));
        }
    }
    path
}

fn checkpoint(path: &Path) {
    let writer = SqliteWriter::open(path).expect("reopen");
    writer
        .connection()
        .execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
        .expect("checkpoint");
}

fn median(mut samples: Vec<Duration>) -> f64 {
    samples.sort();
    samples[samples.len() / 2].as_secs_f64() * 1000.0
}

fn time<T>(runs: usize, mut f: impl FnMut() -> T) -> f64 {
    let samples = (0..runs)
        .map(|_| {
            let started = Instant::now();
            std::hint::black_box(f());
            started.elapsed()
        })
        .collect();
    median(samples)
}

/// Runs the app's queued queries until none are left.
fn settle(app: &mut App, store: &dyn EventReader) {
    for _ in 0..32 {
        let requests = app.take_requests();
        if requests.is_empty() {
            return;
        }
        for request in requests {
            let result = execute(store, request.query).map_err(|e| e.to_string());
            send(
                app,
                Msg::Loaded(Box::new(Loaded {
                    id: request.id,
                    result,
                })),
            );
        }
    }
}

fn send(app: &mut App, msg: Msg) {
    let mut next = Some(msg);
    while let Some(msg) = next {
        next = update(app, msg);
    }
}

fn draw(app: &App, terminal: &mut Terminal<TestBackend>) {
    terminal
        .draw(|frame| tui::render::render(app, frame))
        .expect("draw");
}

fn vm_hwm_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// Measures one database; prints `name<TAB>value` lines for the parent.
fn measure(path: &Path, runs: usize) {
    let out = |name: &str, value: f64| println!("{name}\t{value:.3}");

    // Opening the writer applies any pending migration (not part of a frame).
    let started = Instant::now();
    let mut writer = SqliteWriter::open(path).expect("open the writer");
    out(
        "open writer (migrations)",
        started.elapsed().as_secs_f64() * 1000.0,
    );
    // A layout of the product pages at 1440 px (a repeat stores nothing
    // new), so that heatmaps of them are placed over it.
    writer
        .append_with_layouts(&[], &[shop::product_layout("bench-layout", 1440)])
        .expect("store the product layout");
    drop(writer);

    // Time to first frame: open, first overview query, first render.
    for (label, range) in [("all", Range::All), ("24h", Range::Last(DAY))] {
        let started = Instant::now();
        let reader = SqliteReader::open(path).expect("open the reader");
        let mut app = App::new(SIZE, shop::NOW);
        app.range = range;
        app.start(View::Overview);
        settle(&mut app, &reader);
        let mut terminal = Terminal::new(TestBackend::new(SIZE.0, SIZE.1)).expect("terminal");
        draw(&app, &mut terminal);
        out(
            &format!("first frame/{label}"),
            started.elapsed().as_secs_f64() * 1000.0,
        );
    }

    let reader = SqliteReader::open(path).expect("open the reader");
    let store: &dyn EventReader = &reader;
    let app = App::new(SIZE, shop::NOW);
    let heat_columns = app
        .heat
        .mode
        .columns_for(tui::views::heatmap::map_area(app.body()).width);
    let by_start = Sort {
        key: SessionSortKey::Start,
        descending: true,
    };
    let all = Filter::default();
    // A session of a typical length for the journey.
    let journey_ref = {
        let page = store
            .sessions(&all, by_start, PageRequest::first(200))
            .expect("sessions");
        let s = page
            .rows
            .iter()
            .find(|s| s.events >= 20)
            .unwrap_or(&page.rows[0]);
        SessionRef {
            site: Some(s.site.clone()),
            session_id: s.session_id.clone(),
        }
    };
    for (label, range) in [
        ("all", TimeRange::ALL),
        ("24h", TimeRange::last(DAY, shop::NOW)),
    ] {
        let filter = Filter {
            range,
            ..Filter::default()
        };
        let total = store
            .sessions(&filter, by_start, PageRequest::first(1))
            .expect("sessions")
            .total;
        let heat_query = |pattern: &str| HeatmapQuery {
            pages: PagePattern::new(pattern),
            filter: filter.clone(),
            segment: WidthSegment::All,
            columns: heat_columns,
        };
        let heat = |pattern: &str| Query::Heatmap(heat_query(pattern));
        let queries: Vec<(&str, Query)> = vec![
            ("overview", Query::Overview(filter.clone())),
            (
                "sessions, first page",
                Query::Sessions {
                    filter: filter.clone(),
                    sort: by_start,
                    page: PageRequest::first(SESSION_WINDOW),
                },
            ),
            (
                "sessions, deep page (90 %)",
                Query::Sessions {
                    filter: filter.clone(),
                    sort: by_start,
                    page: PageRequest {
                        offset: total * 9 / 10,
                        limit: SESSION_WINDOW,
                    },
                },
            ),
            (
                "sessions by duration",
                Query::Sessions {
                    filter: filter.clone(),
                    sort: Sort {
                        key: SessionSortKey::Duration,
                        descending: true,
                    },
                    page: PageRequest::first(SESSION_WINDOW),
                },
            ),
            ("journey", Query::Journey(journey_ref.clone())),
            (
                "heatmap picker",
                Query::HeatPages {
                    filter: filter.clone(),
                    pattern: None,
                },
            ),
            ("heatmap /product/*", heat("/product/*")),
            ("heatmap /product/1", heat("/product/1")),
            (
                "pages list",
                Query::Pages {
                    filter: filter.clone(),
                    pattern: None,
                    sort: Sort {
                        key: PageSortKey::Views,
                        descending: true,
                    },
                    page: PageRequest::first(PAGES_LIMIT),
                },
            ),
        ];
        for (name, query) in queries {
            let ms = time(runs, || execute(store, query.clone()).expect("query"));
            out(&format!("{name}/{label}"), ms);
        }
        // The map's parts on their own: its scroll reach (read with every
        // map above), and the map compared with the period before (a range
        // with a start has one).
        for pattern in ["/product/*", "/product/1"] {
            let ms = time(runs, || {
                store.scroll_reach(&heat_query(pattern)).expect("reach")
            });
            out(&format!("scroll reach {pattern}/{label}"), ms);
            // With a session condition every report is read raw, by page.
            let phones = HeatmapQuery {
                filter: Filter {
                    device: Some(shared::event::DeviceClass::Mobile),
                    ..filter.clone()
                },
                ..heat_query(pattern)
            };
            let ms = time(runs, || store.scroll_reach(&phones).expect("reach"));
            out(&format!("scroll reach {pattern}, phones/{label}"), ms);
            if let Some(before) = range.previous(shop::NOW) {
                let compared = Query::ComparedHeatmap {
                    query: heat_query(pattern),
                    range: before,
                };
                let ms = time(runs, || execute(store, compared.clone()).expect("compared"));
                out(&format!("heatmap {pattern} compared/{label}"), ms);
            }
        }
    }

    // Paths and funnels over the last 30 days (the generated traffic spans
    // them), and the overview with the previous period beside it.
    let month = Filter {
        range: TimeRange::last(30 * DAY, shop::NOW),
        ..Filter::default()
    };
    let paths = |start: Option<&str>, direction| {
        let query = PathsQuery {
            filter: month.clone(),
            start: start.map(PagePattern::new),
            direction,
            depth: DEFAULT_DEPTH,
            branches: DEFAULT_BRANCHES,
        };
        time(runs, || {
            let set = store.steps(&query.filter).expect("steps");
            flows::paths(&set, &query)
        })
    };
    out("paths from the entry/30d", paths(None, Direction::Forward));
    out(
        "paths from /product/*/30d",
        paths(Some("/product/*"), Direction::Forward),
    );
    out(
        "paths to /checkout/30d",
        paths(Some("/checkout"), Direction::Backward),
    );
    let funnel = FunnelQuery {
        filter: month.clone(),
        steps: [
            "page:/product/*",
            "page:/cart",
            "event:begin_checkout",
            "page:/checkout",
        ]
        .iter()
        .filter_map(|s| FunnelStep::parse(s).ok())
        .collect(),
        within_ms: Some(30 * 60_000),
    };
    out(
        "funnel of 4 steps/30d",
        time(runs, || {
            let set = store.steps(&funnel.filter).expect("steps");
            flows::funnel(&set, &funnel)
        }),
    );
    for (label, span) in [("24h", DAY), ("7d", 7 * DAY)] {
        let current = Filter {
            range: TimeRange::last(span, shop::NOW),
            ..Filter::default()
        };
        let previous = Filter {
            range: current.range.previous(shop::NOW).expect("a bounded range"),
            ..Filter::default()
        };
        out(
            &format!("overview/{label}, alone"),
            time(runs, || store.overview(&current).expect("overview")),
        );
        out(
            &format!("overview/{label}, with the previous period"),
            time(runs, || {
                (
                    store.overview(&current).expect("overview"),
                    store.overview(&previous).expect("overview"),
                )
            }),
        );
    }

    // Frame render time of each view, with the data of range "all".
    let mut app = App::new(SIZE, shop::NOW);
    app.range = Range::All;
    app.start(View::Overview);
    settle(&mut app, store);
    let mut terminal = Terminal::new(TestBackend::new(SIZE.0, SIZE.1)).expect("terminal");
    let frames = 30;
    let mut render = |name: &str, app: &App| {
        let ms = time(frames, || draw(app, &mut terminal));
        out(&format!("render {name}"), ms);
    };
    render("overview", &app);
    send(&mut app, Msg::Action(Action::Show(View::Sessions)));
    settle(&mut app, store);
    render("sessions", &app);
    send(&mut app, Msg::Action(Action::Enter));
    settle(&mut app, store);
    render("journey", &app);
    send(&mut app, Msg::Action(Action::Show(View::Heatmap)));
    settle(&mut app, store);
    send(&mut app, Msg::Action(Action::Enter));
    settle(&mut app, store);
    render("heatmap", &app);
    send(&mut app, Msg::Action(Action::Show(View::Pages)));
    settle(&mut app, store);
    render("pages", &app);

    out("peak RSS (MiB)", vm_hwm_kib() as f64 / 1024.0);
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let runs: usize = value("--runs").and_then(|r| r.parse().ok()).unwrap_or(7);
    if let Some(path) = value("--measure") {
        measure(Path::new(&path), runs);
        return;
    }
    let sizes: Vec<u64> = value("--sizes")
        .unwrap_or_else(|| "100k,1m,10m".into())
        .split(',')
        .map(parse_size)
        .collect();

    let mut columns: Vec<(String, Vec<(String, String)>)> = Vec::new();
    for &events in &sizes {
        let path = database(events);
        let output = Command::new(std::env::current_exe().expect("this executable"))
            .args(["--measure", &path.display().to_string()])
            .args(["--runs", &runs.to_string()])
            .output()
            .expect("run the measurement");
        if !output.status.success() {
            eprintln!("{}", String::from_utf8_lossy(&output.stderr));
            panic!("measuring {} failed", size_name(events));
        }
        let rows = String::from_utf8_lossy(&output.stdout)
            .lines()
            .filter_map(|l| l.split_once('\t'))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        columns.push((size_name(events), rows));
    }

    // The table: one row per figure, one column per size (ms unless noted).
    let names: Vec<String> = columns
        .first()
        .map(|c| c.1.iter().map(|r| r.0.clone()).collect())
        .unwrap_or_default();
    print!("| {:<40} |", "figure (ms; median)");
    for (size, _) in &columns {
        print!(" {size:>9} |");
    }
    println!();
    print!("|{:-<42}|", "");
    for _ in &columns {
        print!("{:->10}:|", "");
    }
    println!();
    for name in names {
        print!("| {name:<40} |");
        for (_, rows) in &columns {
            let v = rows
                .iter()
                .find(|r| r.0 == name)
                .map_or("", |r| r.1.as_str());
            let v = v.parse::<f64>().map_or(v.to_owned(), |v| {
                if v >= 100.0 {
                    format!("{v:.0}")
                } else if v >= 10.0 {
                    format!("{v:.1}")
                } else {
                    format!("{v:.2}")
                }
            });
            print!(" {v:>9} |");
        }
        println!();
    }
}
