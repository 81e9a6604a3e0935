//! Paths and funnels over the steps of the sessions a filter selects
//! ([`StepSet`]): the rules, once, for every engine.
//!
//! **Paths.** A session's path is its pages in order, consecutive views of
//! one page once (single-page-app navigations are page views, so they count
//! as pages). Forward, it starts at the session's first page matching the
//! start pattern (or at its entry page) and takes up to `depth` pages; a
//! session that ends sooner adds an [`EXIT_LABEL`] branch. Backward, it
//! starts at the first matching page and walks back; a session that started
//! sooner adds an [`ENTRY_LABEL`] branch. Sessions are those the filter
//! selects (session-scoped: started in the range); all their steps count,
//! also those after the range ends.
//!
//! **Funnels.** Steps match in order within a session, anything allowed in
//! between, each step after the previous one's match (a page view of a
//! matching page, or a custom event of that name). Every occurrence of the
//! first step is tried as a start; the session counts with the start that
//! reaches the most steps (on a tie the earliest), within `within_ms` of that
//! start when given. Per step: the sessions that reached it, conversions, and
//! the median time from the previous step.

use super::steps::{page_runs, Step, StepLabel};
use crate::store::flow_query::*;
use std::collections::HashMap;

/// The exit or entry branch, among page labels.
const END: u32 = u32::MAX;

/// The path of each session that reached the start: page labels, the start
/// first (backward: then the pages before it), [`END`] where it ended.
fn session_paths<'a>(
    set: &'a StepSet,
    query: &'a PathsQuery,
) -> impl Iterator<Item = (&'a SessionSteps, Vec<u32>)> + 'a {
    let matching: Vec<bool> = set
        .pages
        .iter()
        .map(|p| query.start.as_ref().is_none_or(|s| s.matches(p)))
        .collect();
    let depth = query.depth.max(1) as usize;
    set.sessions.iter().filter_map(move |session| {
        let runs: Vec<u32> = page_runs(&session.steps)
            .into_iter()
            .map(|(p, _)| *p)
            .collect();
        let at = if query.start.is_none() {
            (!runs.is_empty()).then_some(0)?
        } else {
            runs.iter()
                .position(|p| matching.get(*p as usize).copied().unwrap_or(false))?
        };
        let mut path: Vec<u32> = match query.direction {
            Direction::Forward => runs[at..].iter().take(depth).copied().collect(),
            Direction::Backward => runs[..=at].iter().rev().take(depth).copied().collect(),
        };
        if path.len() < depth {
            path.push(END);
        }
        Some((session, path))
    })
}

/// The path tree of `query` over `set`.
pub fn paths(set: &StepSet, query: &PathsQuery) -> Paths {
    // A trie of the paths: node 0 is the start, every other node a page
    // reached from its parent, with the sessions that got that far.
    let mut page_of: Vec<u32> = vec![END];
    let mut count: Vec<u64> = vec![0];
    let mut children: Vec<Vec<u32>> = vec![Vec::new()];
    let mut index: HashMap<(u32, u32), u32> = HashMap::new();
    for (_, path) in session_paths(set, query) {
        count[0] += 1;
        let mut at = 0u32;
        for page in path {
            let next = match index.get(&(at, page)) {
                Some(node) => *node,
                None => {
                    let node = page_of.len() as u32;
                    page_of.push(page);
                    count.push(0);
                    children.push(Vec::new());
                    children[at as usize].push(node);
                    index.insert((at, page), node);
                    node
                }
            };
            count[next as usize] += 1;
            at = next;
        }
    }
    let label = |p: u32| match (p, query.direction) {
        (END, Direction::Forward) => EXIT_LABEL.to_owned(),
        (END, Direction::Backward) => ENTRY_LABEL.to_owned(),
        (p, _) => set.pages.get(p as usize).cloned().unwrap_or_default(),
    };
    let mut nodes = Vec::new();
    // Depth first: a node, then its children, the most followed first.
    let mut stack: Vec<(u32, Vec<String>)> = vec![(0, Vec::new())];
    while let Some((node, path)) = stack.pop() {
        let n = count[node as usize];
        let mut kids = children[node as usize].clone();
        // Most followed first, then by page key, for a stable answer.
        kids.sort_by(|a, b| {
            let (a, b) = (*a as usize, *b as usize);
            count[b]
                .cmp(&count[a])
                .then_with(|| label(page_of[a]).cmp(&label(page_of[b])))
        });
        kids.truncate(query.branches.max(1) as usize);
        for kid in kids.into_iter().rev() {
            let mut kid_path = path.clone();
            kid_path.push(label(page_of[kid as usize]));
            stack.push((kid, kid_path));
        }
        if node != 0 {
            nodes.push((path, n));
        }
    }
    // Shares need the parent's sessions: a node's parent is the nearest
    // earlier node one step shorter (depth-first order), the start for a
    // first page.
    let mut above: Vec<u64> = vec![count[0]];
    let nodes = nodes
        .into_iter()
        .map(|(path, n)| {
            above.truncate(path.len());
            let parent = above.last().copied().unwrap_or(count[0]);
            above.push(n);
            PathNode {
                path,
                sessions: n,
                share: share(n, parent),
            }
        })
        .collect();
    Paths {
        start: query
            .start
            .as_ref()
            .map_or_else(|| ENTRY_LABEL.to_owned(), |p| p.as_str().to_owned()),
        direction: query.direction,
        depth: query.depth.max(1),
        sessions: count[0],
        nodes,
    }
}

/// The keys of the sessions whose path begins with `path` (labels as in
/// [`PathNode::path`]).
pub fn path_sessions(set: &StepSet, query: &PathsQuery, path: &[String]) -> Vec<String> {
    let index: HashMap<&str, u32> = set
        .pages
        .iter()
        .enumerate()
        .map(|(i, p)| (p.as_str(), i as u32))
        .collect();
    let wanted: Option<Vec<u32>> = path
        .iter()
        .map(|p| match p.as_str() {
            EXIT_LABEL | ENTRY_LABEL => Some(END),
            p => index.get(p).copied(),
        })
        .collect();
    let Some(wanted) = wanted else {
        return Vec::new();
    };
    session_paths(set, query)
        .filter(|(_, p)| p.starts_with(&wanted))
        .map(|(s, _)| s.key.clone())
        .collect()
}

fn share(n: u64, of: u64) -> f64 {
    if of == 0 {
        0.0
    } else {
        n as f64 / of as f64
    }
}

/// How far one session got: the time each reached step was reached.
fn reached(
    steps: &[Step<u32>],
    wanted: &[Vec<bool>],
    names: &[Option<&str>],
    within: Option<i64>,
) -> Vec<i64> {
    let hits = |i: usize, step: &Step<u32>| match (&step.label, names[i]) {
        (StepLabel::Page(p), None) => wanted[i].get(*p as usize).copied().unwrap_or(false),
        (StepLabel::Event(name), Some(want)) => name == want,
        _ => false,
    };
    let mut best: Vec<i64> = Vec::new();
    for (start, first) in steps.iter().enumerate() {
        if !hits(0, first) {
            continue;
        }
        let mut times = vec![first.ts];
        for step in &steps[start + 1..] {
            if times.len() == names.len() || within.is_some_and(|w| step.ts - first.ts > w) {
                break;
            }
            if hits(times.len(), step) {
                times.push(step.ts);
            }
        }
        if times.len() > best.len() {
            best = times;
        }
        if best.len() == names.len() {
            break;
        }
    }
    best
}

/// Per session, the times of the funnel steps it reached.
fn funnel_runs<'a>(
    set: &'a StepSet,
    query: &'a FunnelQuery,
) -> impl Iterator<Item = (&'a SessionSteps, Vec<i64>)> + 'a {
    let wanted: Vec<Vec<bool>> = query
        .steps
        .iter()
        .map(|s| match s {
            FunnelStep::Page(pattern) => set.pages.iter().map(|p| pattern.matches(p)).collect(),
            FunnelStep::Event(_) => Vec::new(),
        })
        .collect();
    let names: Vec<Option<&str>> = query
        .steps
        .iter()
        .map(|s| match s {
            FunnelStep::Page(_) => None,
            FunnelStep::Event(name) => Some(name.as_str()),
        })
        .collect();
    set.sessions.iter().filter_map(move |session| {
        if names.is_empty() {
            return None;
        }
        let times = reached(&session.steps, &wanted, &names, query.within_ms);
        Some((session, times))
    })
}

/// The funnel of `query` over `set`.
pub fn funnel(set: &StepSet, query: &FunnelQuery) -> Funnel {
    let n = query.steps.len();
    let mut sessions = vec![0u64; n];
    let mut gaps: Vec<Vec<i64>> = vec![Vec::new(); n];
    for (_, times) in funnel_runs(set, query) {
        for (i, t) in times.iter().enumerate() {
            sessions[i] += 1;
            if i > 0 {
                gaps[i].push(t - times[i - 1]);
            }
        }
    }
    let steps = query
        .steps
        .iter()
        .enumerate()
        .map(|(i, step)| FunnelStepStats {
            step: step.to_string(),
            sessions: sessions[i],
            conversion_from_previous: if i == 0 {
                1.0
            } else {
                share(sessions[i], sessions[i - 1])
            },
            conversion_from_first: share(sessions[i], sessions[0]),
            median_ms_from_previous: median(&mut gaps[i]),
        })
        .collect();
    Funnel { steps }
}

/// The keys of the sessions that reached step `step` (0-based) or, when
/// `dropped`, reached the step before it but not it.
pub fn funnel_sessions(
    set: &StepSet,
    query: &FunnelQuery,
    step: usize,
    dropped: bool,
) -> Vec<String> {
    funnel_runs(set, query)
        .filter(|(_, times)| {
            if dropped {
                step > 0 && times.len() == step
            } else {
                times.len() > step
            }
        })
        .map(|(s, _)| s.key.clone())
        .collect()
}

/// The median of `values` (the lower of the middle two), `None` when empty.
fn median(values: &mut [i64]) -> Option<i64> {
    if values.is_empty() {
        return None;
    }
    let mid = (values.len() - 1) / 2;
    Some(*values.select_nth_unstable(mid).1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::page_key::PagePattern;
    use crate::store::query::Filter;

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
    fn session(key: &str, steps: &[(i64, &str)]) -> SessionSteps {
        let steps = steps
            .iter()
            .enumerate()
            .map(|(i, (ts, what))| Step {
                ts: *ts,
                order: i as i64,
                label: match what.strip_prefix('!') {
                    Some(name) => StepLabel::Event(name.to_owned()),
                    None => StepLabel::Page(u32::from(what.as_bytes()[0] - b'a')),
                },
            })
            .collect();
        SessionSteps {
            key: key.to_owned(),
            steps,
        }
    }

    fn set(sessions: Vec<SessionSteps>) -> StepSet {
        StepSet {
            pages: PAGES.iter().map(|p| (*p).to_owned()).collect(),
            sessions,
        }
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
        let set = set(vec![
            // Repeated page (a reload, or an SPA view of the same page) once.
            session("1", &[(0, "a"), (1, "a"), (2, "b"), (3, "!buy"), (4, "c")]),
            session("2", &[(0, "a"), (1, "b")]),
            // A loop: a → b → a.
            session("3", &[(0, "a"), (1, "b"), (2, "a"), (3, "d")]),
            session("4", &[(0, "c")]),
            // Only a custom event: no page, no path.
            session("5", &[(0, "!x")]),
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
    fn paths_start_at_the_first_match_and_walk_back() {
        let set = set(vec![
            session("1", &[(0, "a"), (1, "b"), (2, "c"), (3, "b")]),
            session("2", &[(0, "b"), (1, "d")]),
            session("3", &[(0, "e")]),
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
        let set = set(vec![
            // Every step, with detours; step b reached twice.
            session(
                "1",
                &[(0, "a"), (10, "c"), (20, "b"), (30, "b"), (40, "!signup")],
            ),
            // Steps out of order: b before a only reaches a.
            session("2", &[(0, "b"), (10, "a")]),
            // Two starts: the later one gets further.
            session("3", &[(0, "a"), (100_000, "a"), (100_500, "b")]),
            // Never starts.
            session("4", &[(0, "c"), (5, "!signup")]),
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
}
