//! One module per view, each with `render(frame, app, area)`, and the pieces
//! they share (placeholders, messages, sort marks). Where a view's parts go
//! is [`crate::layout`]'s, which `update` asks too, so drawing and
//! hit-testing agree.

pub mod funnel;
pub mod heatmap;
pub mod journey;
pub mod live;
pub mod overview;
pub mod pages;
pub mod paths;
pub mod sessions;

use crate::app::Remote;
use crate::text::safe;
use crate::theme;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};
use ratatui::Frame;

/// A bordered block with a title.
pub fn block(title: String) -> Block<'static> {
    Block::bordered().title(Span::styled(title, theme::title()))
}

/// A bordered block over `area` whose title is cut to fit inside the border.
pub fn fitted_block(title: &str, area: Rect) -> Block<'static> {
    block(crate::text::ellipsize(
        title,
        area.width.saturating_sub(2).into(),
    ))
}

/// Draws the loading or error state of `remote` when it has nothing to show
/// yet; returns true if it drew something (the caller then stops).
pub fn placeholder<T>(frame: &mut Frame, area: Rect, title: &str, remote: &Remote<T>) -> bool {
    if remote.data.is_some() {
        // Keep the old data on screen; an error, or the progress of a slow
        // request for new data, goes in a line at the bottom.
        let note = match (&remote.error, remote.slow()) {
            (Some(error), _) => Some(error_line(error)),
            (None, Some(waited)) => Some(progress_line(waited)),
            (None, None) => None,
        };
        if let Some(note) = note {
            let line = Rect::new(
                area.x + 1,
                area.bottom().saturating_sub(1),
                area.width.saturating_sub(2),
                1,
            );
            frame.render_widget(Paragraph::new(note), line);
        }
        return false;
    }
    let text = match (&remote.error, remote.slow()) {
        (Some(error), _) => vec![error_line(error), Line::styled("r retries", theme::muted())],
        (None, Some(waited)) => vec![progress_line(waited)],
        // A quick answer is drawn without a flash of "loading…" first.
        (None, None) if remote.loading() => Vec::new(),
        (None, None) => vec![Line::styled("nothing loaded yet (r loads)", theme::muted())],
    };
    message(frame, area, title, text);
    true
}

/// "loading… 1.2 s": a request has been running that long.
fn progress_line(waited: std::time::Duration) -> Line<'static> {
    Line::styled(
        format!("loading… {:.1} s", waited.as_secs_f64()),
        theme::muted(),
    )
}

fn error_line(error: &str) -> Line<'static> {
    Line::from(vec![
        Span::styled("error: ", theme::error()),
        Span::styled(safe(error), Style::new().fg(theme::BAD)),
    ])
}

/// A bordered box with a message.
pub fn message(frame: &mut Frame, area: Rect, title: &str, lines: Vec<Line<'static>>) {
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: true })
            .block(block(format!(" {title} "))),
        area,
    );
}

/// The hint shown when a filtered view is empty.
pub fn empty_hint(what: &str) -> Vec<Line<'static>> {
    vec![
        Line::raw(format!("No {what} in this range.")),
        Line::styled(
            "t widens the time range · F clears filters · r reloads",
            theme::muted(),
        ),
    ]
}

/// A bar of `fraction` (0..=1) of `width` cells, in eighths of a cell.
pub fn bar(fraction: f64, width: u16) -> String {
    const PARTS: [char; 8] = [' ', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];
    let fraction = if fraction.is_finite() {
        fraction.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let eighths = (fraction * f64::from(width) * 8.0).round() as usize;
    let mut out = "█".repeat(eighths / 8);
    if eighths % 8 > 0 {
        out.push(PARTS[eighths % 8]);
    }
    out
}

/// `▲`/`▼` after the sorted column's name.
pub fn sort_mark(name: &str, sorted: bool, descending: bool) -> String {
    match (sorted, descending) {
        (false, _) => name.to_owned(),
        (true, true) => format!("{name}▼"),
        (true, false) => format!("{name}▲"),
    }
}
