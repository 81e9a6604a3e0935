//! Live: the newest events as they arrive (newest on top) and an
//! events-per-second sparkline. New data is noticed by polling the store's
//! change token, so an idle database costs one cheap query per poll.

use super::block;
use crate::app::{App, SPARK_SECONDS};
use crate::layout;
use crate::text::{clock, ellipsize, safe, safe_or};
use crate::theme;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Sparkline, Table};
use ratatui::Frame;
use shared::event::EventKind;
use shared::store::query::StoredEvent;

/// The glyph of an event kind.
pub fn glyph(kind: EventKind) -> &'static str {
    match kind {
        EventKind::PageView => "▶",
        EventKind::Click => "●",
        EventKind::Scroll => "↕",
        EventKind::Custom => "★",
    }
}

/// A one-line description of what an event did.
pub fn detail(e: &StoredEvent) -> String {
    let ev = &e.event;
    match ev.kind {
        EventKind::PageView => safe_or(ev.title.as_deref(), ""),
        EventKind::Click => {
            let label = ev
                .target
                .as_ref()
                .and_then(|t| t.label.as_deref().or(t.selector.as_deref()))
                .map(safe)
                .unwrap_or_default();
            let at = match (ev.x, ev.y) {
                (Some(x), Some(y)) => format!(" @{x},{y}"),
                _ => String::new(),
            };
            let rage = if e.rage_click { " (rage)" } else { "" };
            format!("{label}{at}{rage}")
        }
        EventKind::Scroll => ev
            .depth
            .map_or_else(String::new, |d| format!("depth {:.0}%", d * 100.0)),
        EventKind::Custom => safe_or(ev.name.as_deref(), "custom"),
    }
}

/// Events per second over the last `seconds`, oldest first.
pub fn per_second(arrivals: impl Iterator<Item = i64>, now: i64, seconds: usize) -> Vec<u64> {
    let mut buckets = vec![0u64; seconds];
    let end = now / 1000;
    for t in arrivals {
        let age = end - t / 1000;
        if (0..seconds as i64).contains(&age) {
            let i = seconds - 1 - age as usize;
            buckets[i] += 1;
        }
    }
    buckets
}

pub fn render(frame: &mut Frame, app: &App, area: Rect) {
    let layout::live::Regions {
        spark,
        table: table_area,
    } = layout::live::regions(area);
    let live = &app.live;
    let width = Block::bordered().inner(spark).width as usize;
    let seconds = width.clamp(1, SPARK_SECONDS as usize);
    let data = per_second(live.arrivals.iter().copied(), app.now, seconds);
    let current = data.last().copied().unwrap_or(0);
    let peak = data.iter().copied().max().unwrap_or(0);
    let state = if live.on {
        "● live"
    } else {
        "○ paused (L resumes)"
    };
    frame.render_widget(
        Sparkline::default()
            .data(&data)
            .style(Style::new().fg(theme::GOOD))
            .block(block(format!(
                " events/s · last {seconds}s · now {current} · peak {peak} · {state} "
            ))),
        spark,
    );

    let title = format!(
        " newest events · {} shown · Enter opens the session ",
        live.events.len()
    );
    if live.events.is_empty() {
        let mut lines = vec![Line::raw(if live.pending.is_some() {
            "loading…"
        } else {
            "No events yet."
        })];
        if let Some(error) = &live.error {
            lines.push(Line::styled(
                format!("error: {}", safe(error)),
                theme::error(),
            ));
        }
        lines.push(Line::styled(
            "Events appear here as they are stored.",
            theme::muted(),
        ));
        frame.render_widget(Paragraph::new(lines).block(block(title)), table_area);
        return;
    }
    let visible = usize::from(layout::live::visible_rows(area));
    let rows = live
        .events
        .iter()
        .enumerate()
        .skip(live.scroll)
        .take(visible)
        .map(|(i, e)| {
            let kind_style = match e.event.kind {
                EventKind::Click if e.rage_click => Style::new().fg(theme::BAD),
                EventKind::Click => Style::new().fg(theme::WARN),
                EventKind::PageView => Style::new().fg(theme::ACCENT),
                _ => theme::muted(),
            };
            let row = Row::new(vec![
                Cell::from(clock(e.event.received_at)),
                Cell::from(Span::styled(glyph(e.event.kind), kind_style)),
                Cell::from(ellipsize(&safe(&e.session_id), 8)),
                Cell::from(safe(&e.event.page_key)),
                Cell::from(detail(e)),
            ]);
            if i == live.selected {
                row.style(theme::selected())
            } else {
                row
            }
        });
    let header = Row::new(vec!["time", "", "session", "page", "what"]).style(theme::header());
    let table = Table::new(
        rows,
        [
            Constraint::Length(8),
            Constraint::Length(1),
            Constraint::Length(8),
            Constraint::Fill(1),
            Constraint::Fill(1),
        ],
    )
    .header(header)
    .block(block(title));
    frame.render_widget(table, table_area);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_events_per_second() {
        let now = 100_500;
        let arrivals = [100_100, 100_900, 99_000, 98_999, 10_000];
        assert_eq!(per_second(arrivals.into_iter(), now, 3), vec![1, 1, 2]);
    }
}
