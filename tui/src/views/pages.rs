//! Pages: page keys with views, visitors, clicks, scroll depth and rage
//! clicks, and while comparing the change of views against the previous
//! period. Enter opens the page's heatmap; `c` shows the sessions that
//! clicked it.

use super::{empty_hint, fitted_block, message, placeholder, sort_mark};
use crate::app::App;
use crate::layout::pages::visible_rows;
use crate::text::{change, count, percent, safe};
use crate::theme;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::widgets::{Cell, Row, Table};
use ratatui::Frame;
use shared::store::query::PageSortKey;

fn columns() -> [(Option<PageSortKey>, &'static str, Constraint); 9] {
    [
        (Some(PageSortKey::Page), "page", Constraint::Fill(1)),
        (Some(PageSortKey::Views), "views", Constraint::Length(8)),
        (
            Some(PageSortKey::Visitors),
            "visitors",
            Constraint::Length(9),
        ),
        (None, "sessions", Constraint::Length(9)),
        (Some(PageSortKey::Clicks), "clicks", Constraint::Length(8)),
        (
            Some(PageSortKey::ScrollDepth),
            "scroll",
            Constraint::Length(7),
        ),
        (Some(PageSortKey::RageClicks), "rage", Constraint::Length(6)),
        // Quick backs out of the page and dead ends on it (from the steps,
        // loaded beside the rows: `…` until they come).
        (None, "q.back", Constraint::Length(7)),
        (None, "dead", Constraint::Length(5)),
    ]
}

pub fn sort_name(key: PageSortKey) -> &'static str {
    columns()
        .into_iter()
        .find(|c| c.0 == Some(key))
        .map_or("?", |c| c.1)
}

pub fn render(frame: &mut Frame, app: &App, area: Rect) {
    let state = &app.pages;
    if placeholder(frame, area, "Pages", &state.rows) {
        return;
    }
    let rows = state.rows.data.as_deref().unwrap_or_default();
    if rows.is_empty() {
        message(frame, area, "Pages", empty_hint("pages"));
        return;
    }
    let visible = usize::from(visible_rows(area));
    let comparing = state.previous.data.is_some();
    let table_rows = rows
        .iter()
        .enumerate()
        .skip(state.scroll)
        .take(visible)
        .map(|(i, p)| {
            let rage = if p.rage_clicks > 0 {
                Style::new().fg(theme::BAD)
            } else {
                Style::new()
            };
            let mut cells = vec![
                Cell::from(safe(&p.page)),
                Cell::from(count(p.views)),
                Cell::from(count(p.visitors)),
                Cell::from(count(p.sessions)),
                Cell::from(count(p.clicks)),
                Cell::from(p.mean_scroll_depth.map_or_else(|| "-".into(), percent)),
                Cell::from(count(p.rage_clicks)).style(rage),
            ];
            let (quick_backs, dead_ends) = match state.frustration_of(&p.page) {
                Some((q, d)) => (count(q), count(d)),
                None => ("…".to_owned(), "…".to_owned()),
            };
            cells.push(Cell::from(quick_backs));
            cells.push(Cell::from(dead_ends));
            if let Some(before) = state.previous_views(&p.page) {
                cells.insert(2, change_cell(p.views, before));
            }
            let row = Row::new(cells);
            if i == state.selected {
                row.style(theme::selected())
            } else {
                row
            }
        });
    let mut names: Vec<String> = columns()
        .into_iter()
        .map(|(key, name, _)| sort_mark(name, key == Some(state.sort.key), state.sort.descending))
        .collect();
    let mut widths: Vec<Constraint> = columns().into_iter().map(|c| c.2).collect();
    if comparing {
        names.insert(2, "Δ views".into());
        widths.insert(2, Constraint::Length(8));
    }
    let header = Row::new(names).style(theme::header());
    let search = state
        .search
        .as_deref()
        .map(|s| format!(" · matching {}", safe(s)))
        .unwrap_or_default();
    let compared = if comparing {
        format!(" · vs {}", app.compared_label())
    } else {
        String::new()
    };
    let title = format!(
        " Pages {} · sort {}{}{search}{compared} · Enter heatmap · c sessions ",
        count(rows.len() as u64),
        sort_name(state.sort.key),
        if state.sort.descending { "▼" } else { "▲" },
    );
    let table = Table::new(table_rows, widths)
        .header(header)
        .block(fitted_block(&title, area));
    frame.render_widget(table, area);
    placeholder(frame, area, "Pages", &state.rows);
}

/// The change of a page's views against the previous period: `new` for a
/// page without views then, green up, red down.
fn change_cell(now: u64, before: u64) -> Cell<'static> {
    if before == 0 {
        let text = if now > 0 { "new" } else { "-" };
        return Cell::from(text).style(theme::muted());
    }
    let style = match now.cmp(&before) {
        std::cmp::Ordering::Greater => Style::new().fg(theme::GOOD),
        std::cmp::Ordering::Less => Style::new().fg(theme::BAD),
        std::cmp::Ordering::Equal => theme::muted(),
    };
    Cell::from(change(now as f64, before as f64)).style(style)
}
