//! The Paths view's state and update: a path tree from a start page (or
//! from each session's entry page), forward or backward, to a depth; nodes
//! expand and collapse, and the selection's sessions go to the Sessions view.
//!
//! The tree comes back depth first (a node before its children), so which
//! rows are visible is one walk over it: a node shows when every ancestor is
//! expanded. First-level nodes are expanded unless toggled, deeper ones
//! collapsed unless toggled; `toggled` holds the nodes that differ from that,
//! by path, so a reloaded tree keeps what the user opened.

use super::context::Ctx;
use super::remote::{unpack, Remote};
use super::selection::{keep_visible, step_index};
use crate::layout;
use crate::worker::{Answer, Pane, Query};
use shared::page_key::PagePattern;
use shared::store::flow_query::{Direction, Paths, PathsQuery, DEFAULT_BRANCHES, DEFAULT_DEPTH};
use std::collections::BTreeSet;

/// The deepest tree the view asks for.
pub const MAX_DEPTH: u32 = 10;

#[derive(Debug, Clone, PartialEq)]
pub struct PathsState {
    /// The start page pattern as typed; `None` starts at the entry page.
    pub start: Option<String>,
    pub direction: Direction,
    /// Pages per path, the start included (1..=[`MAX_DEPTH`]).
    pub depth: u32,
    pub tree: Remote<Paths>,
    /// Nodes expanded or collapsed against their default, by path.
    pub toggled: BTreeSet<Vec<String>>,
    /// Index into the visible rows.
    pub selected: usize,
    pub scroll: usize,
}

impl Default for PathsState {
    fn default() -> Self {
        Self {
            start: None,
            direction: Direction::Forward,
            depth: DEFAULT_DEPTH,
            tree: Remote::default(),
            toggled: BTreeSet::new(),
            selected: 0,
            scroll: 0,
        }
    }
}

/// Whether a node of `path` shows its children.
pub fn expanded(toggled: &BTreeSet<Vec<String>>, path: &[String]) -> bool {
    (path.len() == 1) != toggled.contains(path)
}

/// Whether node `i` of `tree` has children (the next node, depth first, is
/// one deeper).
pub fn has_children(tree: &Paths, i: usize) -> bool {
    match (tree.nodes.get(i), tree.nodes.get(i + 1)) {
        (Some(node), Some(next)) => next.path.len() == node.path.len() + 1,
        _ => false,
    }
}

/// The indices of the nodes of `tree` shown: those whose ancestors are all
/// expanded.
pub fn visible(tree: &Paths, toggled: &BTreeSet<Vec<String>>) -> Vec<usize> {
    let mut out = Vec::new();
    // The depth below which nodes are hidden (under a collapsed node).
    let mut hidden_below: Option<usize> = None;
    for (i, node) in tree.nodes.iter().enumerate() {
        let depth = node.path.len();
        if hidden_below.is_some_and(|d| depth > d) {
            continue;
        }
        hidden_below = None;
        out.push(i);
        if !expanded(toggled, &node.path) {
            hidden_below = Some(depth);
        }
    }
    out
}

impl PathsState {
    fn visible(&self) -> Vec<usize> {
        self.tree
            .data
            .as_ref()
            .map_or_else(Vec::new, |t| visible(t, &self.toggled))
    }

    /// The path of the selected node.
    pub fn selected_path(&self) -> Option<Vec<String>> {
        let tree = self.tree.data.as_ref()?;
        let i = *self.visible().get(self.selected)?;
        tree.nodes.get(i).map(|n| n.path.clone())
    }

    /// The question the tree answers, under `cx`'s filter.
    pub(super) fn query(&self, cx: &Ctx) -> PathsQuery {
        PathsQuery {
            filter: cx.query_filter(),
            start: self.start.as_deref().map(PagePattern::new),
            direction: self.direction,
            depth: self.depth,
            branches: DEFAULT_BRANCHES,
        }
    }

    pub(super) fn invalidate(&mut self) {
        self.tree.fresh = false;
    }

    pub(super) fn reset_selection(&mut self) {
        self.selected = 0;
        self.scroll = 0;
    }

    pub(super) fn ensure_loaded(&mut self, cx: &mut Ctx) {
        if !self.tree.fresh {
            self.load(cx);
        }
    }

    fn load(&mut self, cx: &mut Ctx) {
        let generation = cx.send(Pane::Paths, Query::Paths(self.query(cx)));
        self.tree.wait_for(generation);
    }

    /// The tree's question changed: a new tree, from its first row, with
    /// every node at its default.
    fn changed(&mut self, cx: &mut Ctx) {
        self.toggled.clear();
        self.reset_selection();
        self.load(cx);
    }

    pub(super) fn answer(&mut self, generation: u64, result: Result<Answer, String>) {
        let result = unpack(result, |a| match a {
            Answer::Paths(p) => Some(p),
            _ => None,
        });
        if self.tree.accept(generation, result) {
            let n = self.visible().len();
            self.selected = self.selected.min(n.saturating_sub(1));
        }
    }

    pub(super) fn move_by(&mut self, delta: i64, cx: &Ctx) {
        self.selected = step_index(self.selected, delta, self.visible().len());
        let rows = layout::paths::visible_rows(cx.body) as usize;
        self.scroll = keep_visible(self.scroll, self.selected, rows);
    }

    /// Enter/Space: expands or collapses the selected node (a node without
    /// children stays as it is).
    pub(super) fn toggle(&mut self) {
        let Some(tree) = self.tree.data.as_ref() else {
            return;
        };
        let Some(&i) = self.visible().get(self.selected) else {
            return;
        };
        if !has_children(tree, i) {
            return;
        }
        let path = tree.nodes[i].path.clone();
        if !self.toggled.remove(&path) {
            self.toggled.insert(path);
        }
    }

    /// Starts the tree at `start` (`None`: the entry page).
    pub(super) fn set_start(&mut self, start: Option<String>, cx: &mut Ctx) {
        self.start = start;
        self.changed(cx);
    }

    /// Paths that follow the start ↔ paths that lead to it.
    pub(super) fn flip(&mut self, cx: &mut Ctx) {
        self.direction = match self.direction {
            Direction::Forward => Direction::Backward,
            Direction::Backward => Direction::Forward,
        };
        self.changed(cx);
    }

    /// One page deeper or shallower, within 1..=[`MAX_DEPTH`]; what is
    /// expanded stays.
    pub(super) fn deepen(&mut self, by: i32, cx: &mut Ctx) {
        let depth = self.depth.saturating_add_signed(by).clamp(1, MAX_DEPTH);
        if depth != self.depth {
            self.depth = depth;
            self.load(cx);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::store::flow_query::PathNode;

    fn node(path: &[&str], sessions: u64) -> PathNode {
        PathNode {
            path: path.iter().map(|p| (*p).to_owned()).collect(),
            sessions,
            share: 1.0,
        }
    }

    fn tree() -> Paths {
        Paths {
            nodes: vec![
                node(&["/"], 3),
                node(&["/", "/a"], 2),
                node(&["/", "/a", "/b"], 2),
                node(&["/", "(exit)"], 1),
                node(&["/x"], 1),
            ],
            ..Paths::default()
        }
    }

    #[test]
    fn the_first_level_is_expanded_by_default() {
        let mut toggled = BTreeSet::new();
        assert_eq!(visible(&tree(), &toggled), [0, 1, 3, 4]);
        toggled.insert(vec!["/".to_owned(), "/a".to_owned()]);
        assert_eq!(visible(&tree(), &toggled), [0, 1, 2, 3, 4]);
        toggled.insert(vec!["/".to_owned()]);
        assert_eq!(visible(&tree(), &toggled), [0, 4]);
        assert!(has_children(&tree(), 1));
        assert!(!has_children(&tree(), 3));
        assert!(!has_children(&tree(), 4));
    }
}
