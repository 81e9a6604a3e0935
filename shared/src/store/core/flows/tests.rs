//! Tests of the path and funnel rules.

use super::*;
use crate::page_key::PagePattern;
use crate::store::query::Filter;

/// A dense pair table answers as a hash would, and a pair outside it
/// moves it to a hash with what it held.
#[test]
fn pair_tables_dense_and_sparse_agree() {
    let pairs = [(0, 0), (0, END), (2, 4), (2, 0), (1, END), (2, 4)];
    let mut dense = PairTable::new(3, 5, 0u64);
    assert!(matches!(dense, PairTable::Dense { .. }));
    let mut sparse = PairTable::new(usize::MAX, 5, 0u64);
    assert!(matches!(sparse, PairTable::Sparse { .. }));
    for (node, page) in pairs {
        *dense.slot(node, page) += 1;
        *sparse.slot(node, page) += 1;
    }
    for node in 0..4 {
        for page in [0, 1, 4, 5, END] {
            assert_eq!(
                dense.get(node, page),
                sparse.get(node, page),
                "{node} {page}"
            );
        }
    }
    assert_eq!(dense.get(2, 4), 2);
    assert_eq!(dense.get(1, 5), 0, "page 5 is not END's cell");
    *dense.slot(1, 5) += 7;
    *dense.slot(9, 0) += 1;
    assert!(matches!(dense, PairTable::Sparse { .. }));
    assert_eq!(
        (dense.get(1, 5), dense.get(1, END), dense.get(9, 0)),
        (7, 1, 1)
    );
    let mut entries = dense.into_entries();
    entries.sort_unstable();
    assert_eq!(
        entries,
        [
            ((0, 0), 1),
            ((0, END), 1),
            ((1, 5), 7),
            ((1, END), 1),
            ((2, 0), 1),
            ((2, 4), 2),
            ((9, 0), 1)
        ]
    );
}

/// Pages a..e are labels 0..4.
const PAGES: [&str; 5] = [
    "s.example/a",
    "s.example/b",
    "s.example/c",
    "s.example/d",
    "s.example/e",
];

/// A session from `(ts, step)` pairs: `"a"`..`"e"` are page views, `"!x"`
/// the custom event `x`.
type Fixture<'a> = (&'a str, &'a [(i64, &'a str)]);

fn set(sessions: &[Fixture<'_>]) -> StepSet {
    let mut set = StepSet::default();
    for page in PAGES {
        set.page(page);
    }
    for (key, steps) in sessions {
        let steps: Vec<FlowStep> = steps
            .iter()
            .map(|(ts, what)| FlowStep {
                ts: *ts,
                label: match what.strip_prefix('!') {
                    Some(name) => FlowLabel::Event(set.name(name)),
                    None => FlowLabel::Page(u32::from(what.as_bytes()[0] - b'a')),
                },
            })
            .collect();
        set.push_session(key, steps);
    }
    set
}

fn query(start: Option<&str>, direction: Direction, depth: u32) -> PathsQuery {
    PathsQuery {
        filter: Filter::default(),
        start: start.map(PagePattern::new),
        direction,
        depth,
        branches: 10,
    }
}

fn tree(paths: &Paths) -> Vec<(String, u64)> {
    paths
        .nodes
        .iter()
        .map(|n| {
            let short: Vec<&str> = n
                .path
                .iter()
                .map(|p| p.trim_start_matches("s.example/"))
                .collect();
            (short.join(">"), n.sessions)
        })
        .collect()
}

fn owned(rows: &[(&str, u64)]) -> Vec<(String, u64)> {
    rows.iter().map(|(p, n)| ((*p).to_owned(), *n)).collect()
}

#[test]
fn paths_from_the_entry_collapse_repeats_and_end_in_exits() {
    let set = set(&[
        // Repeated page (a reload, or an SPA view of the same page) once.
        ("1", &[(0, "a"), (1, "a"), (2, "b"), (3, "!buy"), (4, "c")]),
        ("2", &[(0, "a"), (1, "b")]),
        // A loop: a → b → a.
        ("3", &[(0, "a"), (1, "b"), (2, "a"), (3, "d")]),
        ("4", &[(0, "c")]),
        // Only a custom event: no page, no path.
        ("5", &[(0, "!x")]),
    ]);
    let paths = paths(&set, &query(None, Direction::Forward, 3));
    assert_eq!(paths.sessions, 4);
    assert_eq!(
        tree(&paths),
        owned(&[
            ("a", 3),
            ("a>b", 3),
            ("a>b>(exit)", 1),
            ("a>b>a", 1),
            ("a>b>c", 1),
            ("c", 1),
            ("c>(exit)", 1),
        ])
    );
    let first = &paths.nodes[0];
    assert!((first.share - 0.75).abs() < 1e-9);
    assert!((paths.nodes[1].share - 1.0).abs() < 1e-9);
    assert_eq!(
        path_sessions(
            &set,
            &query(None, Direction::Forward, 3),
            &[
                "s.example/a".into(),
                "s.example/b".into(),
                EXIT_LABEL.into()
            ]
        ),
        ["2"]
    );
}

#[test]
fn paths_keep_the_most_followed_branches_of_each_node() {
    let set = set(&[
        ("1", &[(0, "a"), (1, "b")]),
        ("2", &[(0, "a"), (1, "b"), (2, "e")]),
        ("3", &[(0, "a"), (1, "c")]),
        ("4", &[(0, "d"), (1, "e")]),
        ("5", &[(0, "d"), (1, "e")]),
        ("6", &[(0, "d"), (1, "b")]),
        ("7", &[(0, "c")]),
    ]);
    let mut q = query(None, Direction::Forward, 3);
    q.branches = 2;
    // Level 1: a and d (3 each) beat c (1); a's children b (2) and c (1),
    // d's e (2) and b (1); ties go by page key.
    assert_eq!(
        tree(&paths(&set, &q)),
        owned(&[
            ("a", 3),
            ("a>b", 2),
            ("a>b>(exit)", 1),
            ("a>b>e", 1),
            ("a>c", 1),
            ("a>c>(exit)", 1),
            ("d", 3),
            ("d>e", 2),
            ("d>e>(exit)", 2),
            ("d>b", 1),
            ("d>b>(exit)", 1),
        ])
    );
    q.branches = 1;
    assert_eq!(
        tree(&paths(&set, &q)),
        owned(&[("a", 3), ("a>b", 2), ("a>b>(exit)", 1)])
    );
}

#[test]
fn frustration_counts_on_the_page_backed_out_of_and_the_last_page() {
    let mut set = set(&[
        // a → b → a within 10 s: backed out of b; then b → c → b at 11 s: not.
        (
            "1",
            &[
                (0, "a"),
                (1_000, "b"),
                (5_000, "a"),
                (6_000, "b"),
                (7_000, "c"),
                (18_000, "b"),
            ],
        ),
        // Repeated views of b are one visit: backed out of b once.
        ("2", &[(0, "a"), (100, "b"), (200, "b"), (300, "a")]),
    ]);
    let dead = [
        FlowStep {
            ts: 0,
            label: FlowLabel::Page(3),
        },
        FlowStep {
            ts: 9,
            label: FlowLabel::Event(0),
        },
    ];
    set.push_flagged("3", dead, true);
    let found = page_frustration(&set);
    let rows: Vec<(&str, u64, u64)> = found
        .iter()
        .map(|p| {
            (
                p.page.trim_start_matches("s.example/"),
                p.quick_backs,
                p.dead_ends,
            )
        })
        .collect();
    // b: 1 + 1 (and a: 1, 6 s after leaving it for b in session 1).
    assert_eq!(rows, [("b", 2, 0), ("a", 1, 0), ("d", 0, 1)]);
}

#[test]
fn paths_start_at_the_first_match_and_walk_back() {
    let set = set(&[
        ("1", &[(0, "a"), (1, "b"), (2, "c"), (3, "b")]),
        ("2", &[(0, "b"), (1, "d")]),
        ("3", &[(0, "e")]),
    ]);
    let forward = paths(&set, &query(Some("/b"), Direction::Forward, 2));
    assert_eq!(tree(&forward), owned(&[("b", 2), ("b>c", 1), ("b>d", 1)]));
    let backward = paths(&set, &query(Some("/b"), Direction::Backward, 3));
    assert_eq!(
        tree(&backward),
        owned(&[("b", 2), ("b>(entry)", 1), ("b>a", 1), ("b>a>(entry)", 1)])
    );
    assert_eq!(backward.start, "/b");
}

fn funnel_query(steps: &[&str], within_ms: Option<i64>) -> FunnelQuery {
    FunnelQuery {
        filter: Filter::default(),
        steps: steps
            .iter()
            .map(|s| FunnelStep::parse(s).expect("a step"))
            .collect(),
        within_ms,
    }
}

#[test]
fn funnels_match_in_order_with_anything_between() {
    let set = set(&[
        // Every step, with detours; step b reached twice.
        (
            "1",
            &[(0, "a"), (10, "c"), (20, "b"), (30, "b"), (40, "!signup")],
        ),
        // Steps out of order: b before a only reaches a.
        ("2", &[(0, "b"), (10, "a")]),
        // Two starts: the later one gets further.
        ("3", &[(0, "a"), (100_000, "a"), (100_500, "b")]),
        // Never starts.
        ("4", &[(0, "c"), (5, "!signup")]),
    ]);
    let q = funnel_query(&["page:/a", "page:/b", "event:signup"], None);
    let f = funnel(&set, &q);
    let rows: Vec<(u64, Option<i64>)> = f
        .steps
        .iter()
        .map(|s| (s.sessions, s.median_ms_from_previous))
        .collect();
    // Step 2 gaps: 20 (session 1) and 100_500 (session 3, from its first a).
    assert_eq!(rows, [(3, None), (2, Some(20)), (1, Some(20))]);
    assert!((f.steps[1].conversion_from_previous - 2.0 / 3.0).abs() < 1e-9);
    assert!((f.steps[2].conversion_from_first - 1.0 / 3.0).abs() < 1e-9);
    assert_eq!(f.steps[2].step, "event:signup");
    // Within a minute, session 3 starts again at its second a.
    let within = funnel(&set, &funnel_query(&["page:/a", "page:/b"], Some(60_000)));
    assert_eq!(within.steps[1].sessions, 2);
    assert_eq!(within.steps[1].median_ms_from_previous, Some(20));
    let mut dropped = funnel_sessions(&set, &q, 1, true);
    dropped.sort();
    assert_eq!(dropped, ["2"]);
    assert_eq!(funnel_sessions(&set, &q, 2, false), ["1"]);
}

#[test]
fn funnel_steps_parse_and_print() {
    assert_eq!(
        FunnelStep::parse("event:signup").map(|s| s.to_string()),
        Ok("event:signup".to_owned())
    );
    assert!(FunnelStep::parse("page:").is_err());
    assert!(FunnelStep::parse("/pricing").is_err());
}
