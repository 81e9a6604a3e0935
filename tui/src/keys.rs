//! Every key binding, in one table.
//!
//! [`BINDINGS`] maps keys to an [`Action`] with its help text and the views it
//! applies to. The same table drives dispatch ([`action_for`]), the footer
//! ([`footer`]) and the `?` help popup ([`help_rows`]), so they cannot drift
//! apart. Text prompts (search, custom range, filter values) take keys before
//! this table does; see `app::update`.

use crate::view::View;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// What a key does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Quit,
    Help,
    NextView,
    PrevView,
    Show(View),
    Down,
    Up,
    Top,
    Bottom,
    PageDown,
    PageUp,
    Enter,
    Back,
    Search,
    Filters,
    ClearFilters,
    TimeRange,
    CustomRange,
    Sort,
    SortReverse,
    Refresh,
    ToggleLive,
    Segment,
    HeatMode,
    /// The wireframe under the heatmaps, on or off.
    Wireframe,
    /// Draw the next older layout version under the heatmap.
    OlderLayout,
    CrossFilter,
    SavedViews,
    SaveView,
    /// Compare figures with the previous period, on or off.
    Compare,
    /// Compare figures with a range typed in a prompt.
    CompareRange,
    /// Expand or collapse the selected path.
    Expand,
    /// Paths that follow the start ↔ paths that lead to it.
    FlipDirection,
    /// One page more or less per path.
    Deeper,
    Shallower,
    /// Show the sessions that dropped before the selected funnel step.
    DroppedSessions,
    AddStep,
    DeleteStep,
    StepUp,
    StepDown,
    /// The funnel's time limit.
    Within,
}

/// Which views a binding works in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    All,
    Only(&'static [View]),
}

impl Scope {
    pub fn includes(self, view: View) -> bool {
        match self {
            Self::All => true,
            Self::Only(views) => views.contains(&view),
        }
    }
}

/// One row of the table.
#[derive(Debug, Clone, Copy)]
pub struct Binding {
    pub keys: &'static [KeyCode],
    /// How the keys are written in the footer and help.
    pub label: &'static str,
    pub action: Action,
    /// Short name for the footer (empty: not in the footer).
    pub short: &'static str,
    pub help: &'static str,
    pub scope: Scope,
}

const LISTS: &[View] = &[
    View::Sessions,
    View::Journey,
    View::Heatmap,
    View::Pages,
    View::Live,
    View::Paths,
    View::Funnel,
];
/// Lists where Space pages down (in Paths it expands).
const SPACE_PAGES: &[View] = &[
    View::Sessions,
    View::Journey,
    View::Heatmap,
    View::Pages,
    View::Live,
    View::Funnel,
];
const SORTABLE: &[View] = &[View::Sessions, View::Pages];
const COMPARED: &[View] = &[View::Overview, View::Pages, View::Heatmap];

macro_rules! bind {
    ([$($key:expr),+], $label:expr, $action:expr, $short:expr, $help:expr, $scope:expr) => {
        Binding { keys: &[$($key),+], label: $label, action: $action, short: $short, help: $help, scope: $scope }
    };
}

use KeyCode::{BackTab, Backspace, Char, Down, End, Enter, Esc, Home, PageDown, PageUp, Tab, Up};

/// The key table.
pub const BINDINGS: &[Binding] = &[
    bind!([Char('q')], "q", Action::Quit, "quit", "quit", Scope::All),
    bind!(
        [Char('?'), KeyCode::F(1)],
        "?",
        Action::Help,
        "help",
        "show or hide this help",
        Scope::All
    ),
    bind!([Tab], "Tab", Action::NextView, "", "next view", Scope::All),
    bind!(
        [BackTab],
        "S-Tab",
        Action::PrevView,
        "",
        "previous view",
        Scope::All
    ),
    bind!(
        [Char('1')],
        "1",
        Action::Show(View::Overview),
        "",
        "overview",
        Scope::All
    ),
    bind!(
        [Char('2')],
        "2",
        Action::Show(View::Sessions),
        "",
        "sessions",
        Scope::All
    ),
    bind!(
        [Char('3')],
        "3",
        Action::Show(View::Journey),
        "",
        "journey of the selected session",
        Scope::All
    ),
    bind!(
        [Char('4')],
        "4",
        Action::Show(View::Heatmap),
        "",
        "heatmap",
        Scope::All
    ),
    bind!(
        [Char('5')],
        "5",
        Action::Show(View::Pages),
        "",
        "pages",
        Scope::All
    ),
    bind!(
        [Char('6')],
        "6",
        Action::Show(View::Live),
        "",
        "live events",
        Scope::All
    ),
    bind!(
        [Char('7')],
        "7",
        Action::Show(View::Paths),
        "",
        "paths: the most common next (or previous) pages",
        Scope::All
    ),
    bind!(
        [Char('8')],
        "8",
        Action::Show(View::Funnel),
        "",
        "funnel: ordered steps and who reaches them",
        Scope::All
    ),
    bind!(
        [Char('j'), Down],
        "j/↓",
        Action::Down,
        "",
        "next row / step; scroll the heatmap",
        Scope::Only(LISTS)
    ),
    bind!(
        [Char('k'), Up],
        "k/↑",
        Action::Up,
        "",
        "previous row / step",
        Scope::Only(LISTS)
    ),
    bind!(
        [Char('g'), Home],
        "g",
        Action::Top,
        "",
        "first row",
        Scope::Only(LISTS)
    ),
    bind!(
        [Char('G'), End],
        "G",
        Action::Bottom,
        "",
        "last row",
        Scope::Only(LISTS)
    ),
    bind!(
        [PageDown],
        "PgDn",
        Action::PageDown,
        "",
        "one screen down",
        Scope::Only(LISTS)
    ),
    bind!(
        [Char(' ')],
        "Space",
        Action::PageDown,
        "",
        "one screen down (in Paths: expand)",
        Scope::Only(SPACE_PAGES)
    ),
    bind!(
        [PageUp],
        "PgUp",
        Action::PageUp,
        "",
        "one screen up",
        Scope::Only(LISTS)
    ),
    bind!(
        [Enter],
        "Enter",
        Action::Enter,
        "open",
        "open: session → journey, page → heatmap, picker → map",
        Scope::Only(&[View::Sessions, View::Heatmap, View::Pages, View::Live])
    ),
    bind!(
        [Enter, Char(' ')],
        "Enter",
        Action::Expand,
        "expand",
        "expand / collapse the selected path (Space too)",
        Scope::Only(&[View::Paths])
    ),
    bind!(
        [Esc, Backspace],
        "Esc",
        Action::Back,
        "back",
        "back / close",
        Scope::All
    ),
    bind!(
        [Char('/')],
        "/",
        Action::Search,
        "search",
        "search: page pattern (* and **); a session id in Sessions; the start page in Paths",
        Scope::Only(&[View::Sessions, View::Heatmap, View::Pages, View::Paths])
    ),
    bind!(
        [Char('f')],
        "f",
        Action::Filters,
        "filter",
        "filter bar: device, browser, referrer, entry page, duration, events, bounced, rage",
        Scope::All
    ),
    bind!(
        [Char('F')],
        "F",
        Action::ClearFilters,
        "",
        "clear every filter",
        Scope::All
    ),
    bind!(
        [Char('t')],
        "t",
        Action::TimeRange,
        "time",
        "time range: 15m → 1h → 24h → 7d → 30d → all",
        Scope::All
    ),
    bind!(
        [Char('T')],
        "T",
        Action::CustomRange,
        "",
        "custom time range (90m, 3d, 2025-01-01..2025-01-31)",
        Scope::All
    ),
    bind!(
        [Char('s')],
        "s",
        Action::Sort,
        "sort",
        "sort by the next column",
        Scope::Only(SORTABLE)
    ),
    bind!(
        [Char('S')],
        "S",
        Action::SortReverse,
        "",
        "reverse the sort order",
        Scope::Only(SORTABLE)
    ),
    bind!(
        [Char('w')],
        "w",
        Action::Segment,
        "width",
        "width segment: all / desktop / tablet / mobile",
        Scope::Only(&[View::Heatmap, View::Journey])
    ),
    bind!(
        [Char('b')],
        "b",
        Action::HeatMode,
        "dots",
        "braille dots ↔ half blocks",
        Scope::Only(&[View::Heatmap, View::Journey])
    ),
    bind!(
        [Char('o')],
        "o",
        Action::Wireframe,
        "wireframe",
        "wireframe under the heatmap (page boxes, labels, fold) on/off",
        Scope::Only(&[View::Heatmap, View::Journey])
    ),
    bind!(
        [Char('O')],
        "O",
        Action::OlderLayout,
        "older layout",
        "draw the next older layout version of this page and width (after the oldest, the newest)",
        Scope::Only(&[View::Heatmap])
    ),
    bind!(
        [Char('c')],
        "c",
        Action::CrossFilter,
        "→sessions",
        "show the sessions behind the selection: that clicked this page, followed this path, reached this step",
        Scope::Only(&[View::Heatmap, View::Pages, View::Paths, View::Funnel])
    ),
    bind!(
        [Char('d')],
        "d",
        Action::FlipDirection,
        "direction",
        "paths from the start page ↔ paths to it",
        Scope::Only(&[View::Paths])
    ),
    bind!(
        [Char('+'), Char('=')],
        "+",
        Action::Deeper,
        "depth",
        "one page more per path (up to 10)",
        Scope::Only(&[View::Paths])
    ),
    bind!(
        [Char('-')],
        "-",
        Action::Shallower,
        "",
        "one page less per path",
        Scope::Only(&[View::Paths])
    ),
    bind!(
        [Char('a')],
        "a",
        Action::AddStep,
        "add step",
        "add a funnel step after the selected one: page:PATTERN or event:NAME",
        Scope::Only(&[View::Funnel])
    ),
    bind!(
        [Char('x'), KeyCode::Delete],
        "x",
        Action::DeleteStep,
        "delete",
        "delete the selected funnel step",
        Scope::Only(&[View::Funnel])
    ),
    bind!(
        [Char('K')],
        "K",
        Action::StepUp,
        "",
        "move the selected funnel step up",
        Scope::Only(&[View::Funnel])
    ),
    bind!(
        [Char('J')],
        "J",
        Action::StepDown,
        "",
        "move the selected funnel step down",
        Scope::Only(&[View::Funnel])
    ),
    bind!(
        [Char('w')],
        "w",
        Action::Within,
        "within",
        "time limit from the first step to the last (30m, 2h; empty: the session)",
        Scope::Only(&[View::Funnel])
    ),
    bind!(
        [Char('d')],
        "d",
        Action::DroppedSessions,
        "dropped",
        "show the sessions that dropped before the selected step",
        Scope::Only(&[View::Funnel])
    ),
    bind!(
        [Char('C')],
        "C",
        Action::Compare,
        "compare",
        "compare with the previous period of the same length, on/off",
        Scope::Only(COMPARED)
    ),
    bind!(
        [Char('B')],
        "B",
        Action::CompareRange,
        "vs",
        "compare with a range you type (7d, 2025-01-01..2025-01-31; empty = the previous period)",
        Scope::Only(COMPARED)
    ),
    bind!(
        [Char('r')],
        "r",
        Action::Refresh,
        "refresh",
        "reload the view",
        Scope::All
    ),
    bind!(
        [Char('L')],
        "L",
        Action::ToggleLive,
        "live",
        "live updates on/off",
        Scope::All
    ),
    bind!(
        [Char('v')],
        "v",
        Action::SavedViews,
        "views",
        "saved views: pick one to open (j/k, Enter)",
        Scope::All
    ),
    bind!(
        [Char('V')],
        "V",
        Action::SaveView,
        "",
        "save this view — view, range, filters, sorts, heatmap page — under a name",
        Scope::All
    ),
];

/// The action of `key` in `view`, if any.
pub fn action_for(key: KeyEvent, view: View) -> Option<Action> {
    if key.modifiers.contains(KeyModifiers::CONTROL) {
        // Ctrl-C quits like `q`; other chords are not bound.
        return (key.code == Char('c')).then_some(Action::Quit);
    }
    BINDINGS
        .iter()
        .find(|b| b.scope.includes(view) && b.keys.contains(&key.code))
        .map(|b| b.action)
}

/// Footer entries for `view`: `(keys, short name)`.
pub fn footer(view: View) -> Vec<(&'static str, &'static str)> {
    BINDINGS
        .iter()
        .filter(|b| !b.short.is_empty() && b.scope.includes(view))
        .map(|b| (b.label, b.short))
        .collect()
}

/// Rows of the help popup: `(keys, help, applies to the current view)`.
pub fn help_rows(view: View) -> Vec<(&'static str, &'static str, bool)> {
    BINDINGS
        .iter()
        .map(|b| (b.label, b.help, b.scope.includes(view)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn dispatch_follows_the_table() {
        assert_eq!(
            action_for(key(Char('q')), View::Overview),
            Some(Action::Quit)
        );
        assert_eq!(
            action_for(key(Char('j')), View::Sessions),
            Some(Action::Down)
        );
        assert_eq!(action_for(key(Down), View::Journey), Some(Action::Down));
        assert_eq!(action_for(key(Char('s')), View::Overview), None);
        assert_eq!(action_for(key(Char('s')), View::Pages), Some(Action::Sort));
        assert_eq!(
            action_for(key(Char('2')), View::Live),
            Some(Action::Show(View::Sessions))
        );
        assert_eq!(
            action_for(
                KeyEvent::new(Char('c'), KeyModifiers::CONTROL),
                View::Heatmap
            ),
            Some(Action::Quit)
        );
        assert_eq!(
            action_for(
                KeyEvent::new(Char('G'), KeyModifiers::SHIFT),
                View::Sessions
            ),
            Some(Action::Bottom)
        );
        assert_eq!(
            action_for(key(Char(' ')), View::Paths),
            Some(Action::Expand)
        );
        assert_eq!(
            action_for(key(Char(' ')), View::Sessions),
            Some(Action::PageDown)
        );
        assert_eq!(
            action_for(key(Char('d')), View::Paths),
            Some(Action::FlipDirection)
        );
        assert_eq!(
            action_for(key(Char('d')), View::Funnel),
            Some(Action::DroppedSessions)
        );
        assert_eq!(
            action_for(key(Char('c')), View::Funnel),
            Some(Action::CrossFilter)
        );
        assert_eq!(
            action_for(key(Char('C')), View::Overview),
            Some(Action::Compare)
        );
        assert_eq!(
            action_for(key(Char('C')), View::Heatmap),
            Some(Action::Compare)
        );
        assert_eq!(
            action_for(key(Char('B')), View::Heatmap),
            Some(Action::CompareRange)
        );
        assert_eq!(action_for(key(Char('C')), View::Sessions), None);
        assert_eq!(
            action_for(key(Char('o')), View::Heatmap),
            Some(Action::Wireframe)
        );
        assert_eq!(
            action_for(key(Char('o')), View::Journey),
            Some(Action::Wireframe)
        );
        assert_eq!(action_for(key(Char('o')), View::Sessions), None);
        assert_eq!(
            action_for(key(Char('O')), View::Heatmap),
            Some(Action::OlderLayout)
        );
        assert_eq!(action_for(key(Char('O')), View::Journey), None);
        assert_eq!(
            action_for(key(Char('8')), View::Overview),
            Some(Action::Show(View::Funnel))
        );
        for view in View::ALL {
            assert_eq!(action_for(key(Char('v')), view), Some(Action::SavedViews));
            assert_eq!(action_for(key(Char('V')), view), Some(Action::SaveView));
        }
    }

    #[test]
    fn every_view_has_a_key_and_a_tab() {
        for view in View::ALL {
            assert!(
                BINDINGS.iter().any(|b| b.action == Action::Show(view)),
                "{view:?} has no key"
            );
        }
    }

    #[test]
    fn no_key_is_bound_twice_in_one_view() {
        for view in View::ALL {
            let mut seen = Vec::new();
            for b in BINDINGS.iter().filter(|b| b.scope.includes(view)) {
                for k in b.keys {
                    assert!(!seen.contains(k), "{k:?} bound twice in {view:?}");
                    seen.push(*k);
                }
            }
        }
    }

    #[test]
    fn footer_and_help_come_from_the_table() {
        let footer = footer(View::Sessions);
        assert!(footer.contains(&("s", "sort")));
        assert!(footer.contains(&("v", "views")));
        assert!(!footer.iter().any(|(_, s)| *s == "width"));
        assert_eq!(help_rows(View::Overview).len(), BINDINGS.len());
        let paths = super::footer(View::Paths);
        assert!(paths.contains(&("Enter", "expand")));
        assert!(paths.contains(&("d", "direction")));
        let funnel = super::footer(View::Funnel);
        assert!(funnel.contains(&("a", "add step")));
        assert!(funnel.contains(&("d", "dropped")));
        assert!(super::footer(View::Overview).contains(&("C", "compare")));
        for view in [View::Heatmap, View::Journey] {
            assert!(
                super::footer(view).contains(&("o", "wireframe")),
                "{view:?}"
            );
        }
        assert!(!super::footer(View::Pages)
            .iter()
            .any(|(_, s)| *s == "wireframe"));
        assert!(help_rows(View::Heatmap)
            .iter()
            .any(|(k, h, here)| *k == "o" && h.starts_with("wireframe") && *here));
    }
}
