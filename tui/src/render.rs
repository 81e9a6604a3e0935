//! The screen: a pure function of [`App`].
//!
//! ```text
//! ┌──────────────────────────────────────────────────────────────┐
//! │ 1 Overview  2 Sessions  3 Journey  4 Heatmap …   ● live  ⟳   │ header (tabs)
//! │ [range last 1d] [device mobile] …                            │ chips
//! │                                                              │
//! │ body: views::<current>::render                               │
//! │                                                              │
//! │ q quit  ? help  f filter  t time …                           │ footer (key table)
//! └──────────────────────────────────────────────────────────────┘
//! ```
//! Popups (help, filter bar, prompts, saved views) are drawn over the body;
//! a status message takes the footer's place until the next key. Where each
//! part goes is [`crate::layout`]'s answer, shared with `update`.

use crate::app::{chips, App, Popup, Prompt, View};
use crate::filters::Field;
use crate::keys;
use crate::layout::{self, centered, Screen};
use crate::theme;
use crate::views;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Row, Table};
use ratatui::Frame;

/// Re-exported beside the header that draws them; the geometry is
/// [`layout`]'s.
pub use crate::layout::tabs;

/// Draws the whole screen.
pub fn render(app: &App, frame: &mut Frame) {
    let Screen {
        header,
        chips,
        body,
        footer,
    } = layout::screen(frame.area());
    render_header(app, frame, header);
    render_chips(app, frame, chips);
    match app.view {
        View::Overview => views::overview::render(frame, app, body),
        View::Sessions => views::sessions::render(frame, app, body),
        View::Journey => views::journey::render(frame, app, body),
        View::Heatmap => views::heatmap::render(frame, app, body),
        View::Pages => views::pages::render(frame, app, body),
        View::Live => views::live::render(frame, app, body),
        View::Paths => views::paths::render(frame, app, body),
        View::Funnel => views::funnel::render(frame, app, body),
    }
    render_footer(app, frame, footer);
    match &app.popup {
        Popup::None => {}
        Popup::Help { scroll } => render_help(app, frame, body, *scroll),
        Popup::Filters { field } => render_filters(app, frame, body, *field),
        Popup::Prompt(prompt) => render_prompt(prompt, frame, body),
        Popup::SavedViews { selected } => render_saved_views(app, frame, body, *selected),
        Popup::Overwrite { name } => render_overwrite(name, frame, body),
    }
}

fn render_prompt(prompt: &Prompt, frame: &mut Frame, body: Rect) {
    let width = body.width.saturating_sub(4).min(72);
    let area = centered(body, width, 4);
    frame.render_widget(Clear, area);
    let mut lines = vec![Line::from(vec![
        Span::styled("› ", theme::key()),
        Span::raw(prompt.input.clone()),
        Span::styled("█", Style::new().add_modifier(Modifier::SLOW_BLINK)),
    ])];
    if let Some(error) = &prompt.error {
        lines.push(Line::styled(error.clone(), theme::error()));
    } else {
        lines.push(Line::styled("Enter apply · Esc cancel", theme::muted()));
    }
    frame.render_widget(
        Paragraph::new(lines).block(
            Block::bordered()
                .title(prompt.title())
                .title_style(theme::title()),
        ),
        area,
    );
}

fn render_header(app: &App, frame: &mut Frame, area: Rect) {
    let buf = frame.buffer_mut();
    for (i, (view, rect)) in tabs(area).into_iter().enumerate() {
        let style = if view == app.view {
            theme::title().add_modifier(Modifier::REVERSED)
        } else {
            Style::new()
        };
        buf.set_string(rect.x, rect.y, format!("{} {}", i + 1, view.title()), style);
    }
    let mut right = Vec::new();
    if app.busy() {
        right.push(Span::styled("loading… ", theme::muted()));
    }
    if app.live.on {
        right.push(Span::styled(
            "● live ",
            Style::new().fg(theme::GOOD).add_modifier(Modifier::BOLD),
        ));
    } else {
        right.push(Span::styled("○ paused ", theme::muted()));
    }
    let line = Line::from(right);
    let width = line.width() as u16;
    if width < area.width {
        let x = area.right() - width;
        let used = tabs(Rect::new(0, 0, area.width, 4))
            .last()
            .map_or(0, |(_, r)| r.right());
        if x > used {
            buf.set_line(x, area.y, &line, width);
        }
    }
}

fn render_chips(app: &App, frame: &mut Frame, area: Rect) {
    let mut spans = Vec::new();
    for (name, value) in chips(app) {
        spans.push(Span::styled(format!(" {name}: {value} "), theme::chip()));
        spans.push(Span::raw(" "));
    }
    if app.filter == Default::default() {
        spans.push(Span::styled("no filters · f to add", theme::muted()));
    } else {
        spans.push(Span::styled("F clears", theme::muted()));
    }
    let line = Line::from(spans);
    let used = line.width() as u16;
    frame.render_widget(Paragraph::new(line), area);
    let source = crate::text::safe(&app.source);
    let width = source.chars().count() as u16;
    if !source.is_empty() && used + width + 2 <= area.width {
        let x = area.right() - width - 1;
        frame
            .buffer_mut()
            .set_string(x, area.y, source, theme::muted());
    }
}

fn render_footer(app: &App, frame: &mut Frame, area: Rect) {
    if let Some(status) = &app.status {
        let style = if status.error {
            theme::error()
        } else {
            Style::new().fg(theme::GOOD)
        };
        let text = crate::text::safe(&status.text);
        let text = crate::text::ellipsize(&text, usize::from(area.width));
        frame.render_widget(Paragraph::new(Span::styled(text, style)), area);
        return;
    }
    let mut spans = Vec::new();
    for (label, short) in keys::footer(app.view) {
        spans.push(Span::styled(label, theme::key()));
        spans.push(Span::raw(format!(" {short}  ")));
    }
    if let Some(error) = &app.live.error {
        spans.push(Span::styled(
            format!("live: {}", crate::text::safe(error)),
            theme::error(),
        ));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn render_help(app: &App, frame: &mut Frame, body: Rect, scroll: u16) {
    let width = body.width.saturating_sub(4).min(90);
    let height = body
        .height
        .saturating_sub(2)
        .min(keys::BINDINGS.len() as u16 + 3);
    let area = centered(body, width, height);
    frame.render_widget(Clear, area);
    let rows = keys::help_rows(app.view)
        .into_iter()
        .skip(usize::from(scroll))
        .map(|(label, help, here)| {
            let style = if here { Style::new() } else { theme::muted() };
            Row::new(vec![
                Span::styled(label, theme::key()),
                Span::styled(help, style),
            ])
        });
    let table = Table::new(rows, [Constraint::Length(7), Constraint::Fill(1)]).block(
        Block::bordered()
            .title(" keys — j/k scroll, any other key closes ")
            .title_style(theme::title()),
    );
    frame.render_widget(table, area);
}

fn render_filters(app: &App, frame: &mut Frame, body: Rect, selected: usize) {
    let width = body.width.saturating_sub(4).min(60);
    let height = (Field::ALL.len() as u16 + 3).min(body.height);
    let area = centered(body, width, height);
    frame.render_widget(Clear, area);
    let rows = Field::ALL.iter().enumerate().map(|(i, field)| {
        let value = field.value(&app.filter).unwrap_or_else(|| "any".into());
        let row = Row::new(vec![field.name().to_owned(), value]);
        if i == selected {
            row.style(theme::selected())
        } else {
            row
        }
    });
    let table = Table::new(rows, [Constraint::Length(14), Constraint::Fill(1)]).block(
        Block::bordered()
            .title(" filters ")
            .title_style(theme::title())
            .title_bottom(Line::styled(
                " Enter set/cycle · x clear · Esc close ",
                theme::muted(),
            )),
    );
    frame.render_widget(table, area);
}

/// The saved views: the file's problems first, then one row per view; the
/// file's path in the title.
fn render_saved_views(app: &App, frame: &mut Frame, body: Rect, selected: usize) {
    let entries = app.saved.book.as_ref().map_or(&[][..], |b| &b.entries[..]);
    let problems: Vec<Line> = match &app.saved.book {
        None => vec![Line::styled(
            "no configuration directory: set XDG_CONFIG_HOME or --views-file",
            theme::error(),
        )],
        Some(book) => book
            .problems
            .iter()
            .map(|p| Line::styled(crate::text::safe(&book.describe_briefly(p)), theme::error()))
            .collect(),
    };
    let width = body.width.saturating_sub(4).min(90);
    // Wrapped problems take a line per (most of a) width, with room for
    // words that do not fit.
    let text_width = usize::from(width.saturating_sub(4).max(1));
    let problem_rows: usize = problems.iter().map(|l| l.width() / text_width + 1).sum();
    let problem_rows = problem_rows as u16;
    let rows = entries.len().max(1) as u16;
    let height = (rows + problem_rows + 2).min(body.height);
    let area = centered(body, width, height);
    frame.render_widget(Clear, area);
    let mut block = Block::bordered()
        .title(" saved views ")
        .title_style(theme::title())
        .title_bottom(Line::styled(
            " Enter open · V save this view · Esc close ",
            theme::muted(),
        ));
    if let Some(book) = &app.saved.book {
        let path = crate::text::safe(&book.path.display().to_string());
        block = block.title(Line::styled(format!(" {path} "), theme::muted()).right_aligned());
    }
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [top, list] =
        ratatui::layout::Layout::vertical([Constraint::Length(problem_rows), Constraint::Fill(1)])
            .areas(inner);
    frame.render_widget(
        Paragraph::new(problems).wrap(ratatui::widgets::Wrap { trim: true }),
        top,
    );
    if entries.is_empty() {
        let hint = "no saved views yet · V saves what is on screen under a name";
        frame.render_widget(Paragraph::new(Line::styled(hint, theme::muted())), list);
        return;
    }
    let visible = usize::from(list.height.max(1));
    let skip = selected.saturating_sub(visible - 1);
    let rows = entries
        .iter()
        .enumerate()
        .skip(skip)
        .map(|(i, (name, view))| {
            let row = Row::new(vec![
                crate::text::safe(name),
                view.view.title().to_owned(),
                view.summary(),
            ]);
            if i == selected {
                row.style(theme::selected())
            } else {
                row
            }
        });
    let widths = [
        Constraint::Length(18),
        Constraint::Length(9),
        Constraint::Fill(1),
    ];
    frame.render_widget(Table::new(rows, widths), list);
}

/// Whether to replace the saved view `name`.
fn render_overwrite(name: &str, frame: &mut Frame, body: Rect) {
    let width = body.width.saturating_sub(4).min(60);
    let area = centered(body, width, 4);
    frame.render_widget(Clear, area);
    let lines = vec![
        Line::raw(format!(
            "A view named {} is saved already.",
            crate::text::safe(name)
        )),
        Line::styled(
            "y / Enter replace it · n / Esc choose another name",
            theme::muted(),
        ),
    ];
    frame.render_widget(
        Paragraph::new(lines).block(
            Block::bordered()
                .title(" replace the saved view? ")
                .title_style(theme::title()),
        ),
        area,
    );
}
