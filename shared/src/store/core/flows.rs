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

use super::steps::{backed_out_of, runs};
use crate::store::fast_hash::FastMap;
use crate::store::flow_query::*;

/// The exit or entry branch, among page labels.
const END: u32 = u32::MAX;

/// The pages of a session's page views in `out`, consecutive views of one
/// page once.
fn session_pages(steps: &[FlowStep], out: &mut Vec<u32>) {
    out.clear();
    out.extend(page_runs(steps).map(|(page, _)| page));
}

/// A session's page views `(page, ts)`, consecutive views of one page once
/// ([`runs`]).
fn page_runs(steps: &[FlowStep]) -> impl Iterator<Item = (u32, i64)> + '_ {
    runs(steps.iter().filter_map(|s| match s.label {
        FlowLabel::Page(page) => Some((page, s.ts)),
        FlowLabel::Event(_) => None,
    }))
}

/// Calls `visit` with the path of each session that reached the start: page
/// labels, the start first (backward: then the pages before it), [`END`]
/// where it ended. Buffers are reused from one session to the next.
fn for_each_path<'a>(
    set: &'a StepSet,
    query: &PathsQuery,
    mut visit: impl FnMut(SessionSteps<'a>, &[u32]),
) {
    let matching: Vec<bool> = set
        .pages
        .iter()
        .map(|p| query.start.as_ref().is_none_or(|s| s.matches(p)))
        .collect();
    let depth = query.depth.max(1) as usize;
    let (mut pages, mut path) = (Vec::new(), Vec::new());
    for session in set.sessions() {
        session_pages(session.steps, &mut pages);
        let at = if query.start.is_none() {
            (!pages.is_empty()).then_some(0)
        } else {
            pages
                .iter()
                .position(|p| matching.get(*p as usize).copied().unwrap_or(false))
        };
        let Some(at) = at else {
            continue;
        };
        path.clear();
        match query.direction {
            Direction::Forward => path.extend(pages[at..].iter().take(depth)),
            Direction::Backward => path.extend(pages[..=at].iter().rev().take(depth)),
        }
        if path.len() < depth {
            path.push(END);
        }
        visit(session, &path);
    }
}

/// A session whose path left the kept nodes of the tree.
const PRUNED: u32 = u32::MAX;

/// A value per (node, page) pair of a path tree's level, `empty` where none
/// was set: a dense table when the tree so far times the pages is small (a
/// month of sessions counts once or more per session and level), a hash
/// otherwise. Pages are labels of the set, or [`END`].
enum PairTable<T> {
    Dense {
        /// Pages plus one, for [`END`].
        stride: usize,
        cells: Vec<T>,
        empty: T,
    },
    Sparse {
        cells: FastMap<(u32, u32), T>,
        empty: T,
    },
}

impl<T: Copy + PartialEq> PairTable<T> {
    /// The most cells a dense table has (2²⁰: 8 MiB of counts).
    const DENSE_CELLS: usize = 1 << 20;

    fn new(nodes: usize, pages: usize, empty: T) -> Self {
        let stride = pages.saturating_add(1);
        match nodes.checked_mul(stride) {
            Some(cells) if cells <= Self::DENSE_CELLS => PairTable::Dense {
                stride,
                cells: vec![empty; cells],
                empty,
            },
            _ => PairTable::Sparse {
                cells: FastMap::default(),
                empty,
            },
        }
    }

    fn slot(&mut self, node: u32, page: u32) -> &mut T {
        // A pair outside the dense table (not a page of the set, or a node
        // past the tree it was made for) moves the table to a hash rather
        // than land in another pair's cell.
        if let PairTable::Dense {
            stride,
            cells,
            empty,
        } = self
        {
            if dense_index(*stride, node, page).is_none_or(|at| at >= cells.len()) {
                let sparse = dense_entries(*stride, cells, *empty).into_iter().collect();
                *self = PairTable::Sparse {
                    cells: sparse,
                    empty: *empty,
                };
            }
        }
        match self {
            PairTable::Dense { stride, cells, .. } => {
                let at = dense_index(*stride, node, page).unwrap_or_default();
                &mut cells[at]
            }
            PairTable::Sparse { cells, empty } => cells.entry((node, page)).or_insert(*empty),
        }
    }

    fn get(&self, node: u32, page: u32) -> T {
        match self {
            PairTable::Dense {
                stride,
                cells,
                empty,
            } => dense_index(*stride, node, page)
                .and_then(|at| cells.get(at))
                .copied()
                .unwrap_or(*empty),
            PairTable::Sparse { cells, empty } => {
                cells.get(&(node, page)).copied().unwrap_or(*empty)
            }
        }
    }

    /// The pairs set, with their values.
    fn into_entries(self) -> Vec<((u32, u32), T)> {
        match self {
            PairTable::Dense {
                stride,
                cells,
                empty,
            } => dense_entries(stride, &cells, empty),
            PairTable::Sparse { cells, empty } => {
                cells.into_iter().filter(|(_, v)| *v != empty).collect()
            }
        }
    }
}

/// Where pair `(node, page)` is in a dense table of `stride` pages a node.
fn dense_index(stride: usize, node: u32, page: u32) -> Option<usize> {
    let page = match page {
        END => stride - 1,
        page if (page as usize) < stride - 1 => page as usize,
        _ => return None,
    };
    (node as usize).checked_mul(stride)?.checked_add(page)
}

fn dense_entries<T: Copy + PartialEq>(
    stride: usize,
    cells: &[T],
    empty: T,
) -> Vec<((u32, u32), T)> {
    cells
        .iter()
        .enumerate()
        .filter(|(_, v)| **v != empty)
        .map(|(at, v)| {
            let (node, page) = (at / stride, at % stride);
            let page = if page == stride - 1 { END } else { page as u32 };
            ((node as u32, page), *v)
        })
        .collect()
}

/// A path tree being counted: node 0 is the start, every other node a page
/// reached from its parent, with the sessions that got that far and its
/// children, the most followed first.
struct Tree {
    page_of: Vec<u32>,
    count: Vec<u64>,
    children: Vec<Vec<u32>>,
}

impl Tree {
    /// The tree of the paths `flat` holds (each path ending at its `ends`
    /// entry), a level at a time: count the next pages of each kept node,
    /// keep the most followed `branches` of each (then by `label`, for a
    /// stable answer), and follow only the sessions still on kept nodes. The
    /// counting maps hold kept nodes' children only, so they stay small
    /// however many distinct paths there are.
    fn grow<'a>(
        flat: &[u32],
        ends: &[usize],
        pages: usize,
        depth: usize,
        branches: usize,
        label: impl Fn(u32) -> &'a str,
    ) -> Self {
        let mut tree = Tree {
            page_of: vec![END],
            count: vec![ends.len() as u64],
            children: vec![Vec::new()],
        };
        let mut at: Vec<u32> = vec![0; ends.len()];
        let path_of = |s: usize| &flat[if s == 0 { 0 } else { ends[s - 1] }..ends[s]];
        for level in 0..depth {
            let nodes = tree.page_of.len();
            let mut next = PairTable::new(nodes, pages, 0u64);
            for (s, node) in at.iter().enumerate() {
                if let (false, Some(page)) = (*node == PRUNED, path_of(s).get(level)) {
                    *next.slot(*node, *page) += 1;
                }
            }
            let mut ranked: Vec<((u32, u32), u64)> = next.into_entries();
            ranked.sort_by(|((pa, a), na), ((pb, b), nb)| {
                pa.cmp(pb)
                    .then(nb.cmp(na))
                    .then_with(|| label(*a).cmp(label(*b)))
            });
            let mut kept = PairTable::new(nodes, pages, PRUNED);
            for group in ranked.chunk_by(|a, b| a.0 .0 == b.0 .0) {
                for &((parent, page), n) in group.iter().take(branches) {
                    *kept.slot(parent, page) = tree.add(parent, page, n);
                }
            }
            if tree.page_of.len() == nodes {
                break;
            }
            for (s, node) in at.iter_mut().enumerate() {
                if *node != PRUNED {
                    *node = path_of(s)
                        .get(level)
                        .map_or(PRUNED, |page| kept.get(*node, *page));
                }
            }
        }
        tree
    }

    fn add(&mut self, parent: u32, page: u32, sessions: u64) -> u32 {
        let node = self.page_of.len() as u32;
        self.page_of.push(page);
        self.count.push(sessions);
        self.children.push(Vec::new());
        self.children[parent as usize].push(node);
        node
    }

    /// The nodes depth first (a node, then its children, the most followed
    /// first), each with its share of its parent's sessions.
    fn nodes<'a>(&self, label: impl Fn(u32) -> &'a str) -> Vec<PathNode> {
        let mut listed = Vec::new();
        let mut stack: Vec<(u32, Vec<String>)> = vec![(0, Vec::new())];
        while let Some((node, path)) = stack.pop() {
            for &kid in self.children[node as usize].iter().rev() {
                let mut kid_path = path.clone();
                kid_path.push(label(self.page_of[kid as usize]).to_owned());
                stack.push((kid, kid_path));
            }
            if node != 0 {
                listed.push((path, self.count[node as usize]));
            }
        }
        // A node's parent is the nearest earlier node one step shorter
        // (depth-first order), the start for a first page.
        let mut above: Vec<u64> = vec![self.count[0]];
        listed
            .into_iter()
            .map(|(path, n)| {
                above.truncate(path.len());
                let parent = above.last().copied().unwrap_or(self.count[0]);
                above.push(n);
                PathNode {
                    path,
                    sessions: n,
                    share: share(n, parent),
                }
            })
            .collect()
    }
}

/// The path tree of `query` over `set`.
pub fn paths(set: &StepSet, query: &PathsQuery) -> Paths {
    // Every session's path, in one list.
    let (mut flat, mut ends) = (Vec::<u32>::new(), Vec::<usize>::new());
    for_each_path(set, query, |_, path| {
        flat.extend_from_slice(path);
        ends.push(flat.len());
    });
    let label = |p: u32| match (p, query.direction) {
        (END, Direction::Forward) => EXIT_LABEL,
        (END, Direction::Backward) => ENTRY_LABEL,
        (p, _) => set.pages.get(p as usize).map_or("", String::as_str),
    };
    let depth = query.depth.max(1);
    let tree = Tree::grow(
        &flat,
        &ends,
        set.pages.len(),
        depth as usize,
        query.branches.max(1) as usize,
        label,
    );
    Paths {
        start: query
            .start
            .as_ref()
            .map_or_else(|| ENTRY_LABEL.to_owned(), |p| p.as_str().to_owned()),
        direction: query.direction,
        depth,
        sessions: tree.count[0],
        nodes: tree.nodes(label),
    }
}

/// Quick backs and dead ends by page over `set` (see [`PageFrustration`]):
/// the pages with either, the most quick backs and dead ends first.
pub fn page_frustration(set: &StepSet) -> Vec<PageFrustration> {
    let mut counts: Vec<(u64, u64)> = vec![(0, 0); set.pages.len()];
    let mut pages: Vec<(u32, i64)> = Vec::new();
    for session in set.sessions() {
        pages.clear();
        pages.extend(page_runs(session.steps));
        for page in backed_out_of(&pages) {
            if let Some(c) = counts.get_mut(page as usize) {
                c.0 += 1;
            }
        }
        if let (true, Some((last, _))) = (session.dead_end, pages.last()) {
            if let Some(c) = counts.get_mut(*last as usize) {
                c.1 += 1;
            }
        }
    }
    let mut rows: Vec<PageFrustration> = counts
        .into_iter()
        .zip(&set.pages)
        .filter(|((q, d), _)| q + d > 0)
        .map(|((quick_backs, dead_ends), page)| PageFrustration {
            page: page.clone(),
            quick_backs,
            dead_ends,
        })
        .collect();
    rows.sort_by(|a, b| {
        (b.quick_backs + b.dead_ends)
            .cmp(&(a.quick_backs + a.dead_ends))
            .then_with(|| a.page.cmp(&b.page))
    });
    rows
}

/// The keys of the sessions whose path begins with `path` (labels as in
/// [`PathNode::path`]).
pub fn path_sessions(set: &StepSet, query: &PathsQuery, path: &[String]) -> Vec<String> {
    let index: FastMap<&str, u32> = set
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
    let mut keys = Vec::new();
    if let Some(wanted) = wanted {
        for_each_path(set, query, |session, p| {
            if p.starts_with(&wanted) {
                keys.push(session.key.to_owned());
            }
        });
    }
    keys
}

fn share(n: u64, of: u64) -> f64 {
    if of == 0 {
        0.0
    } else {
        n as f64 / of as f64
    }
}

/// What a funnel step matches, by label.
enum Wanted {
    /// Page views of the pages whose label is `true`.
    Pages(Vec<bool>),
    /// Custom events of this label (`None`: no session has that event).
    Name(Option<u32>),
}

impl Wanted {
    fn hits(&self, step: &FlowStep) -> bool {
        match (self, step.label) {
            (Self::Pages(pages), FlowLabel::Page(p)) => {
                pages.get(p as usize).copied().unwrap_or(false)
            }
            (Self::Name(name), FlowLabel::Event(e)) => *name == Some(e),
            _ => false,
        }
    }
}

/// How far one session got: in `best`, the time each reached step was
/// reached (`times` is scratch space).
fn reached(
    steps: &[FlowStep],
    wanted: &[Wanted],
    within: Option<i64>,
    best: &mut Vec<i64>,
    times: &mut Vec<i64>,
) {
    best.clear();
    for (start, first) in steps.iter().enumerate() {
        if !wanted[0].hits(first) {
            continue;
        }
        times.clear();
        times.push(first.ts);
        for step in &steps[start + 1..] {
            if times.len() == wanted.len() || within.is_some_and(|w| step.ts - first.ts > w) {
                break;
            }
            if wanted[times.len()].hits(step) {
                times.push(step.ts);
            }
        }
        if times.len() > best.len() {
            std::mem::swap(best, times);
        }
        if best.len() == wanted.len() {
            break;
        }
    }
}

/// Calls `visit` with each session and the times of the funnel steps it
/// reached (none: an empty list).
fn for_each_run<'a>(
    set: &'a StepSet,
    query: &FunnelQuery,
    mut visit: impl FnMut(SessionSteps<'a>, &[i64]),
) {
    if query.steps.is_empty() {
        return;
    }
    let wanted: Vec<Wanted> = query
        .steps
        .iter()
        .map(|s| match s {
            FunnelStep::Page(pattern) => {
                Wanted::Pages(set.pages.iter().map(|p| pattern.matches(p)).collect())
            }
            FunnelStep::Event(name) => Wanted::Name(set.name_label(name)),
        })
        .collect();
    let (mut best, mut times) = (Vec::new(), Vec::new());
    for session in set.sessions() {
        reached(
            session.steps,
            &wanted,
            query.within_ms,
            &mut best,
            &mut times,
        );
        visit(session, &best);
    }
}

/// The funnel of `query` over `set`.
pub fn funnel(set: &StepSet, query: &FunnelQuery) -> Funnel {
    let n = query.steps.len();
    let mut sessions = vec![0u64; n];
    let mut gaps: Vec<Vec<i64>> = vec![Vec::new(); n];
    for_each_run(set, query, |_, times| {
        for (i, t) in times.iter().enumerate() {
            sessions[i] += 1;
            if i > 0 {
                gaps[i].push(t - times[i - 1]);
            }
        }
    });
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
    let mut keys = Vec::new();
    for_each_run(set, query, |session, times| {
        let keep = if dropped {
            step > 0 && times.len() == step
        } else {
            times.len() > step
        };
        if keep {
            keys.push(session.key.to_owned());
        }
    });
    keys
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
mod tests;
