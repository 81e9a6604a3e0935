//! Paths: the most common paths from a start page (or from the entry page),
//! or the paths that lead to it, as an indented tree with a bar per node.
//!
//! ```text
//! ┌ Paths from the entry page · depth 4 · 3 sessions ─────────────────┐
//! │ path                              sessions  share                 │
//! │ ▾ /                     ██████████       2  66.7%                 │
//! │   ▸ /pricing            █████            1  50.0%                 │
//! │   · (exit)              █████            1  50.0%                 │
//! └───────────────────────────────────────────────────────────────────┘
//! ```

use super::{bar, fitted_block, message, placeholder};
use crate::app::{expanded, has_children, visible, App};
use crate::layout::paths::visible_rows;
use crate::text::{count, path_of, percent, safe};
use crate::theme;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::{Cell, Row, Table};
use ratatui::Frame;
use shared::store::flow_query::{Direction, Paths, ENTRY_LABEL, EXIT_LABEL};

/// Cells of the widest bar.
const BAR_WIDTH: u16 = 20;

pub fn render(frame: &mut Frame, app: &App, area: Rect) {
    let state = &app.paths;
    let title = title(app);
    if placeholder(frame, area, title.trim(), &state.tree) {
        return;
    }
    let Some(tree) = state.tree.data.as_ref() else {
        return;
    };
    if tree.nodes.is_empty() {
        message(frame, area, title.trim(), empty_lines(app));
        return;
    }
    let shown = visible(tree, &state.toggled);
    let rows = shown
        .iter()
        .enumerate()
        .skip(state.scroll)
        .take(usize::from(visible_rows(area)))
        .map(|(row, &i)| {
            let r = node_row(tree, i, &state.toggled);
            if row == state.selected {
                r.style(theme::selected())
            } else {
                r
            }
        });
    let header = Row::new(["path", "", "sessions", "share"]).style(theme::header());
    let widths = [
        Constraint::Fill(1),
        Constraint::Length(BAR_WIDTH),
        Constraint::Length(9),
        Constraint::Length(7),
    ];
    let table = Table::new(rows, widths)
        .header(header)
        .block(fitted_block(&title, area));
    frame.render_widget(table, area);
    placeholder(frame, area, title.trim(), &state.tree);
}

/// ` Paths from /pricing · depth 4 · 120 sessions `.
fn title(app: &App) -> String {
    let state = &app.paths;
    let start = state
        .start
        .as_deref()
        .map_or_else(|| "the entry page".to_owned(), safe);
    let way = match state.direction {
        Direction::Forward => "from",
        Direction::Backward => "to",
    };
    let sessions = state
        .tree
        .data
        .as_ref()
        .map(|t| format!(" · {} sessions", count(t.sessions)))
        .unwrap_or_default();
    format!(" Paths {way} {start} · depth {}{sessions} ", state.depth)
}

fn empty_lines(app: &App) -> Vec<Line<'static>> {
    let what = if app.paths.start.is_some() {
        "No session reached this page in this range."
    } else {
        "No page views in this range."
    };
    vec![
        Line::raw(what),
        Line::styled(
            "/ sets the start page · d flips the direction · t widens the time range · F clears filters",
            theme::muted(),
        ),
    ]
}

/// One node: indented by depth, with its expand mark, bar, sessions and
/// share of its parent.
fn node_row(
    tree: &Paths,
    i: usize,
    toggled: &std::collections::BTreeSet<Vec<String>>,
) -> Row<'static> {
    let node = &tree.nodes[i];
    let depth = node.path.len().saturating_sub(1);
    let mark = match (has_children(tree, i), expanded(toggled, &node.path)) {
        (false, _) => "·",
        (true, true) => "▾",
        (true, false) => "▸",
    };
    let page = node.path.last().map(String::as_str).unwrap_or_default();
    let ending = page == EXIT_LABEL || page == ENTRY_LABEL;
    let label = format!("{}{mark} {}", "  ".repeat(depth), safe(path_of(page)));
    let style = if ending { theme::muted() } else { Style::new() };
    let fraction = node.sessions as f64 / tree.sessions.max(1) as f64;
    Row::new(vec![
        Cell::from(label).style(style),
        Cell::from(bar(fraction, BAR_WIDTH)).style(Style::new().fg(theme::SERIES_A)),
        Cell::from(format!("{:>8}", count(node.sessions))),
        Cell::from(format!("{:>6}", percent(node.share))),
    ])
}
