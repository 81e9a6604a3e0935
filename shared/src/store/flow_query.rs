//! Paths and funnels: what the console and the CLI ask, and what they get.
//! The rules are in [`crate::store::core::flows`]; an engine only hands over
//! the steps of the sessions a filter selects ([`StepSet`]).

use super::core::steps::Step;
use super::query::Filter;
use crate::page_key::PagePattern;
use serde::{Deserialize, Serialize};

/// The label of the branch of sessions that ended (forward paths).
pub const EXIT_LABEL: &str = "(exit)";
/// The label of the branch of sessions that started there (backward paths).
pub const ENTRY_LABEL: &str = "(entry)";

/// The steps of the sessions a filter selects, as an engine hands them over.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StepSet {
    /// Page keys; a page step's label is an index into this list.
    pub pages: Vec<String>,
    pub sessions: Vec<SessionSteps>,
}

/// One session's steps in `(ts, order)` order.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionSteps {
    /// The engine's own key of the session, as [`Filter::sessions`] takes it.
    pub key: String,
    pub steps: Vec<Step<u32>>,
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
