//! Paths and funnels: what the console and the CLI ask, and what they get.
//! The rules are in [`crate::store::core::flows`]; an engine only hands over
//! the steps of the sessions a filter selects ([`StepSet`]).

use super::fast_hash::FastMap;
use super::query::Filter;
use crate::page_key::PagePattern;
use serde::{Deserialize, Serialize};

/// The label of the branch of sessions that ended (forward paths).
pub const EXIT_LABEL: &str = "(exit)";
/// The label of the branch of sessions that started there (backward paths).
pub const ENTRY_LABEL: &str = "(entry)";

/// What a step is, by label: a page view of `pages[i]` or the custom event
/// `names[i]` of its [`StepSet`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FlowLabel {
    Page(u32),
    Event(u32),
}

/// One step as paths and funnels read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlowStep {
    pub ts: i64,
    pub label: FlowLabel,
}

/// The steps of the sessions a filter selects, as an engine hands them over:
/// flat (every step in one list, every key in one string) and with pages and
/// event names interned, so that a month of sessions costs a few
/// allocations rather than several per session.
#[derive(Debug, Clone, Default)]
pub struct StepSet {
    /// Page keys; a page step's label is an index into this list.
    pub pages: Vec<String>,
    /// Custom event names; an event step's label is an index into this list.
    pub names: Vec<String>,
    page_labels: FastMap<String, u32>,
    name_labels: FastMap<String, u32>,
    steps: Vec<FlowStep>,
    keys: String,
    /// Per session, where its steps and its key end.
    ends: Vec<(u32, u32)>,
    /// Per session, whether it is a dead end
    /// ([`crate::store::core::steps::is_dead_end`]).
    dead_ends: Vec<bool>,
}

/// One session of a [`StepSet`]: its steps in `(ts, order)` order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionSteps<'a> {
    /// The engine's own key of the session, as [`Filter::sessions`] takes it.
    pub key: &'a str,
    pub steps: &'a [FlowStep],
    /// The session ended within seconds of a rage click.
    pub dead_end: bool,
}

impl StepSet {
    /// The label of page `key`, interned.
    pub fn page(&mut self, key: &str) -> u32 {
        intern(&mut self.pages, &mut self.page_labels, key)
    }

    /// The label of the custom event `name`, interned.
    pub fn name(&mut self, name: &str) -> u32 {
        intern(&mut self.names, &mut self.name_labels, name)
    }

    /// The label `name` has, if any session has that event.
    pub fn name_label(&self, name: &str) -> Option<u32> {
        self.name_labels.get(name).copied()
    }

    /// Adds a session whose key is `key` (written by `key`, so that an
    /// engine's numeric key costs no string of its own) and whose steps are
    /// `steps`, in order. A session without steps is left out.
    pub fn push_session(
        &mut self,
        key: impl std::fmt::Display,
        steps: impl IntoIterator<Item = FlowStep>,
    ) {
        self.push_flagged(key, steps, false);
    }

    /// [`Self::push_session`], for a session that may be a dead end.
    pub fn push_flagged(
        &mut self,
        key: impl std::fmt::Display,
        steps: impl IntoIterator<Item = FlowStep>,
        dead_end: bool,
    ) {
        let before = self.steps.len();
        self.steps.extend(steps);
        if self.steps.len() == before {
            return;
        }
        use std::fmt::Write;
        let _ = write!(self.keys, "{key}");
        self.ends
            .push((self.steps.len() as u32, self.keys.len() as u32));
        self.dead_ends.push(dead_end);
    }

    /// The sessions, in the order they were added.
    pub fn sessions(&self) -> impl Iterator<Item = SessionSteps<'_>> + '_ {
        let mut from = (0usize, 0usize);
        let flags = self.dead_ends.iter();
        self.ends
            .iter()
            .zip(flags)
            .map(move |(&(steps, key), &dead_end)| {
                let (steps, key) = (steps as usize, key as usize);
                let session = SessionSteps {
                    key: self.keys.get(from.1..key).unwrap_or_default(),
                    steps: self.steps.get(from.0..steps).unwrap_or_default(),
                    dead_end,
                };
                from = (steps, key);
                session
            })
    }

    /// How many sessions there are.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }
}

fn intern(list: &mut Vec<String>, index: &mut FastMap<String, u32>, text: &str) -> u32 {
    if let Some(label) = index.get(text) {
        return *label;
    }
    let label = list.len() as u32;
    list.push(text.to_owned());
    index.insert(text.to_owned(), label);
    label
}

/// Which way a path tree grows from its start.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// The pages that follow the start.
    #[default]
    Forward,
    /// The pages that lead to the start.
    Backward,
}

/// A path tree's question.
#[derive(Debug, Clone, PartialEq)]
pub struct PathsQuery {
    pub filter: Filter,
    /// The start page; `None` starts at each session's entry page.
    pub start: Option<PagePattern>,
    pub direction: Direction,
    /// Pages per path, the start included (at least 1).
    pub depth: u32,
    /// Children kept per node, the most followed first.
    pub branches: u32,
}

/// Pages per path unless asked otherwise.
pub const DEFAULT_DEPTH: u32 = 4;
/// Children per node unless asked otherwise.
pub const DEFAULT_BRANCHES: u32 = 10;

/// A path tree, its nodes depth first (a node before its children, children
/// most followed first).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Paths {
    /// The start pattern, or `(entry)`.
    pub start: String,
    pub direction: Direction,
    pub depth: u32,
    /// Sessions that reached the start.
    pub sessions: u64,
    pub nodes: Vec<PathNode>,
}

/// One node: a path from the start (backward: from the start back toward
/// the entry), the sessions that followed it, and their share of the
/// parent's sessions (of all sessions for a first page).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PathNode {
    pub path: Vec<String>,
    pub sessions: u64,
    pub share: f64,
}

/// The frustration signals of the sessions a filter selects, by page: each
/// quick back on the page backed out of, each dead end on the session's
/// last page ([`crate::store::core::flows::page_frustration`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageFrustration {
    pub page: String,
    pub quick_backs: u64,
    pub dead_ends: u64,
}

/// One step of a funnel.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum FunnelStep {
    /// A page view of a page matching the pattern.
    Page(PagePattern),
    /// A custom event of this name.
    Event(String),
}

impl FunnelStep {
    /// Parses `page:PATTERN` or `event:NAME`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        match text.split_once(':') {
            Some(("page", pattern)) if !pattern.trim().is_empty() => {
                Ok(Self::Page(PagePattern::new(pattern)))
            }
            Some(("event", name)) if !name.trim().is_empty() => {
                Ok(Self::Event(name.trim().to_owned()))
            }
            _ => Err(format!(
                "a funnel step is page:PATTERN or event:NAME, not {text:?}"
            )),
        }
    }
}

impl std::fmt::Display for FunnelStep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Page(pattern) => write!(f, "page:{}", pattern.as_str()),
            Self::Event(name) => write!(f, "event:{name}"),
        }
    }
}

impl TryFrom<String> for FunnelStep {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        Self::parse(&text)
    }
}

impl From<FunnelStep> for String {
    fn from(step: FunnelStep) -> Self {
        step.to_string()
    }
}

/// A funnel's question.
#[derive(Debug, Clone, PartialEq)]
pub struct FunnelQuery {
    pub filter: Filter,
    pub steps: Vec<FunnelStep>,
    /// Longest time from the first step to the last; `None`: the session.
    pub within_ms: Option<i64>,
}

/// A funnel's answer, a row per step.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Funnel {
    pub steps: Vec<FunnelStepStats>,
}

/// The sessions that reached one step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunnelStepStats {
    /// The step as written (`page:/pricing`, `event:signup`).
    pub step: String,
    pub sessions: u64,
    /// Share of the previous step's sessions (1 for the first step).
    pub conversion_from_previous: f64,
    /// Share of the first step's sessions.
    pub conversion_from_first: f64,
    /// Median time from the previous step (`None` for the first step, or
    /// when no session reached it).
    pub median_ms_from_previous: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page_view(ts: i64, page: u32) -> FlowStep {
        FlowStep {
            ts,
            label: FlowLabel::Page(page),
        }
    }

    #[test]
    fn sets_keep_sessions_flat_with_their_keys_labels_and_flags() {
        let mut set = StepSet::default();
        let (a, b) = (set.page("/a"), set.page("/b"));
        assert_eq!(set.page("/a"), a, "interned");
        let buy = set.name("buy");
        set.push_session("s-1", [page_view(0, a), page_view(1, b)]);
        set.push_session(2, []);
        set.push_flagged(-17, [page_view(3, b)], true);
        set.push_flagged(
            "s-3",
            [FlowStep {
                ts: 4,
                label: FlowLabel::Event(buy),
            }],
            false,
        );
        assert_eq!(set.len(), 3, "a session without steps is left out");
        let sessions: Vec<(&str, usize, bool)> = set
            .sessions()
            .map(|s| (s.key, s.steps.len(), s.dead_end))
            .collect();
        assert_eq!(
            sessions,
            [("s-1", 2, false), ("-17", 1, true), ("s-3", 1, false)]
        );
        assert_eq!(set.name_label("buy"), Some(buy));
        assert_eq!(set.name_label("sell"), None);
        assert_eq!(set.pages, ["/a", "/b"]);
    }
}
