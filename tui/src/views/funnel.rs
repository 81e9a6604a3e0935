//! Funnel: a row per step with a bar of its share of the first step, the
//! sessions that reached it, the conversion from the previous step and from
//! the first, and the median time from the previous step.
//!
//! ```text
//! ┌ Funnel · 3 steps · within the session ─────────────────────────────┐
//! │ #  step           sessions  from prev  from first  median time      │
//! │ 1  page:/         ██████ 3     100.0%      100.0%  -                │
//! │ 2  page:/pricing  ██     1      33.3%       33.3%  1m 00s           │
//! │ a add · x delete · J/K move · w within · c reached · d dropped      │
//! └─────────────────────────────────────────────────────────────────────┘
//! ```

use super::{bar, fitted_block, message, placeholder};
use crate::app::{App, FunnelState};
use crate::filters::span_label;
use crate::layout::funnel::{hint_area, visible_rows};
use crate::text::{count, duration, percent, safe};
use crate::theme;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::{Cell, Paragraph, Row, Table};
use ratatui::Frame;
use shared::store::flow_query::FunnelStepStats;

/// Cells of the widest bar.
const BAR_WIDTH: u16 = 16;

pub fn render(frame: &mut Frame, app: &App, area: Rect) {
    let state = &app.funnel;
    let title = title(state);
    if state.steps.is_empty() {
        message(frame, area, title.trim(), how_to_add());
        return;
    }
    if state.ready() && placeholder(frame, area, title.trim(), &state.data) {
        return;
    }
    let rows = state
        .steps
        .iter()
        .enumerate()
        .skip(state.scroll)
        .take(usize::from(visible_rows(area)))
        .map(|(i, step)| {
            let text = step.to_string();
            let stats = state
                .data
                .data
                .as_ref()
                .filter(|_| state.ready())
                .and_then(|f| f.steps.get(i))
                .filter(|s| s.step == text);
            let row = step_row(i, &text, stats);
            if i == state.selected {
                row.style(theme::selected())
            } else {
                row
            }
        });
    let header = Row::new([
        "#",
        "step",
        "",
        "sessions",
        "from prev",
        "from first",
        "median time",
    ])
    .style(theme::header());
    let widths = [
        Constraint::Length(2),
        Constraint::Fill(1),
        Constraint::Length(BAR_WIDTH),
        Constraint::Length(9),
        Constraint::Length(10),
        Constraint::Length(10),
        Constraint::Length(11),
    ];
    let table = Table::new(rows, widths)
        .header(header)
        .block(fitted_block(&title, area));
    frame.render_widget(table, area);
    let hint = if state.ready() {
        "a add · x delete · J/K move · w within · c reached · d dropped"
    } else {
        "a funnel needs two steps: a adds one (page:PATTERN or event:NAME)"
    };
    frame.render_widget(
        Paragraph::new(Line::styled(hint, theme::muted())),
        hint_area(area),
    );
    if state.ready() {
        placeholder(frame, area, title.trim(), &state.data);
    }
}

/// ` Funnel · 3 steps · within 30m `.
fn title(state: &FunnelState) -> String {
    let within = state
        .within_ms
        .map_or_else(|| "the session".to_owned(), span_label);
    format!(" Funnel · {} steps · within {within} ", state.steps.len())
}

fn how_to_add() -> Vec<Line<'static>> {
    vec![
        Line::raw("No steps yet. A funnel needs at least two."),
        Line::styled(
            "a adds a step: page:/pricing (a page pattern, * and **) or event:signup (a custom event)",
            theme::muted(),
        ),
        Line::styled(
            "then x deletes, J/K move, w sets a time limit, c / d show who reached / dropped",
            theme::muted(),
        ),
    ]
}

fn step_row(i: usize, text: &str, stats: Option<&FunnelStepStats>) -> Row<'static> {
    let number = Cell::from(format!("{}", i + 1));
    let name = Cell::from(safe(text));
    let Some(s) = stats else {
        return Row::new(vec![
            number,
            name,
            Cell::from(""),
            Cell::from(Line::styled("-", theme::muted())),
        ]);
    };
    let median = s
        .median_ms_from_previous
        .filter(|_| i > 0)
        .map_or_else(|| "-".to_owned(), duration);
    let previous = if i == 0 {
        "-".to_owned()
    } else {
        percent(s.conversion_from_previous)
    };
    Row::new(vec![
        number,
        name,
        Cell::from(bar(s.conversion_from_first, BAR_WIDTH)).style(Style::new().fg(theme::SERIES_A)),
        Cell::from(format!("{:>8}", count(s.sessions))),
        Cell::from(format!("{previous:>9}")),
        Cell::from(format!("{:>9}", percent(s.conversion_from_first))),
        Cell::from(median),
    ])
}
