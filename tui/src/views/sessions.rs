//! Sessions: one row per session, loaded a window at a time around the
//! visible rows, sortable by any column.
//!
//! ```text
//! ┌ Sessions 1–20 of 12,345 · sort start▼ ─────────────────────────────┐
//! │ start▼      dur  ev  pv clk entry → exit  device browser ref  ! frus │
//! │ 05-01 10:02 2m   14  3  6   /demo/ → /a   mobile Safari  direct !q  4 │
//! └────────────────────────────────────────────────────────────────────┘
//! ```
//! Marks: `b` bounced, `!` rage clicks, `q` quick backs, `d` dead end (ended
//! soon after a rage click); `frus` is the frustration score they add up to
//! (`s` sorts by it).

use super::{empty_hint, fitted_block, message, placeholder, sort_mark};
use crate::app::App;
use crate::layout::sessions::visible_rows;
use crate::text::{duration, safe, safe_or, short_datetime};
use crate::theme;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::{Cell, Row, Table};
use ratatui::Frame;
use shared::store::query::{SessionSortKey, SessionSummary};

/// Re-exported beside the drawing code; the geometry is [`crate::layout`]'s.
pub use crate::layout::sessions::rows_area;

/// Column names, in the order of [`SessionSortKey::ALL`]'s columns.
fn columns() -> [(SessionSortKey, &'static str, Constraint); 11] {
    use SessionSortKey::*;
    [
        (Start, "start", Constraint::Length(11)),
        (Duration, "dur", Constraint::Length(7)),
        (Events, "ev", Constraint::Length(4)),
        (Pages, "pv", Constraint::Length(3)),
        (Clicks, "clk", Constraint::Length(4)),
        (Entry, "entry → exit", Constraint::Fill(3)),
        (Device, "device", Constraint::Length(7)),
        (Browser, "browser", Constraint::Length(8)),
        (Referrer, "referrer", Constraint::Fill(1)),
        (RageClicks, "!", Constraint::Length(4)),
        (Frustration, "frus", Constraint::Length(4)),
    ]
}

/// The name of a sort key, as shown in titles.
pub fn sort_name(key: SessionSortKey) -> &'static str {
    match key {
        SessionSortKey::Exit => "exit",
        SessionSortKey::RageClicks => "rage clicks",
        SessionSortKey::Frustration => "frustration",
        other => columns()
            .into_iter()
            .find(|c| c.0 == other)
            .map_or("?", |c| c.1),
    }
}

fn page_path(key: Option<&str>) -> String {
    let key = safe_or(key, "-");
    match key.find('/') {
        Some(i) if i > 0 => key[i..].to_owned(),
        _ => key,
    }
}

fn row(s: &SessionSummary) -> Row<'static> {
    let mut flags = String::new();
    if s.bounced {
        flags.push('b');
    }
    if s.rage_clicks > 0 {
        flags.push('!');
    }
    if s.quick_backs > 0 {
        flags.push('q');
    }
    if s.dead_end {
        flags.push('d');
    }
    let frustration = s.frustration();
    let rage_style = if frustration > 0 {
        Style::new().fg(theme::BAD)
    } else {
        Style::new()
    };
    let score = if frustration > 0 {
        frustration.to_string()
    } else {
        String::new()
    };
    Row::new(vec![
        Cell::from(short_datetime(s.start)),
        Cell::from(duration(s.duration_ms)),
        Cell::from(s.events.to_string()),
        Cell::from(s.page_views.to_string()),
        Cell::from(s.clicks.to_string()),
        Cell::from(format!(
            "{} → {}",
            page_path(s.entry_page.as_deref()),
            page_path(s.exit_page.as_deref())
        )),
        Cell::from(s.client.device.as_str()),
        Cell::from(safe(&s.client.browser)),
        Cell::from(safe_or(s.referrer.as_deref(), "direct")),
        Cell::from(flags).style(rage_style),
        Cell::from(score).style(rage_style),
    ])
}

pub fn render(frame: &mut Frame, app: &App, area: Rect) {
    let state = &app.sessions;
    if placeholder(frame, area, "Sessions", &state.window) {
        return;
    }
    let total = state.total();
    if total == 0 {
        message(frame, area, "Sessions", empty_hint("sessions"));
        return;
    }
    let visible = u64::from(visible_rows(area));
    let first = state.scroll;
    let last = (first + visible).min(total);
    let rows = (first..last).map(|i| {
        let r = match state.row(i) {
            Some(s) => row(s),
            None => Row::new(vec![Cell::from(Line::styled("…", theme::muted()))]),
        };
        if i == state.selected {
            r.style(theme::selected())
        } else {
            r
        }
    });
    let header = Row::new(
        columns()
            .into_iter()
            .map(|(key, name, _)| {
                let sorted = state.sort.key == key
                    || (key == SessionSortKey::Entry && state.sort.key == SessionSortKey::Exit);
                sort_mark(name, sorted, state.sort.descending)
            })
            .collect::<Vec<_>>(),
    )
    .style(theme::header());
    let title = format!(
        " Sessions {}–{} of {} · sort {}{} ",
        first + 1,
        last,
        crate::text::count(total),
        sort_name(state.sort.key),
        if state.sort.descending { "▼" } else { "▲" }
    );
    let table = Table::new(rows, columns().map(|c| c.2))
        .header(header)
        .block(fitted_block(&title, area));
    frame.render_widget(table, area);
    placeholder(frame, area, "Sessions", &state.window);
}
