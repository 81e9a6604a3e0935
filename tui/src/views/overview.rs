//! Overview: the headline figures, sessions and page views over time, and the
//! top pages, referrers, devices and browsers.
//!
//! ```text
//! ┌ Overview ───────────────────────────────────────────────┐
//! │ visitors 1,204  sessions 1,530  page views 4,810 …       │ figures
//! ├ sessions ─ page views ──────────────────────────────────┤
//! │        ⣀⡠⠔⠊⠉⠑⠢⣀                                         │ chart
//! ├ top pages ┬ referrers ┬ devices ┬ browsers ─────────────┤
//! │ /demo/ 812│ direct 700│ desktop │ Chrome 600            │ lists
//! └─────────────────────────────────────────────────────────┘
//! ```

use super::{block, empty_hint, message, placeholder};
use crate::app::App;
use crate::layout;
use crate::text::{count, duration, ellipsize, percent, safe, short_datetime};
use crate::theme;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Block, Chart, Dataset, GraphType, Paragraph, Row, Table};
use ratatui::Frame;
use shared::store::query::{Count, Overview};

pub fn render(frame: &mut Frame, app: &App, area: Rect) {
    if placeholder(frame, area, "Overview", &app.overview) {
        return;
    }
    let Some(o) = &app.overview.data else {
        return;
    };
    if o.sessions == 0 {
        message(frame, area, "Overview", empty_hint("sessions"));
        return;
    }
    let regions = layout::overview::regions(area);
    render_figures(frame, o, regions.figures, &app.range.label());
    render_chart(frame, o, regions.chart);
    let [pages, referrers, devices, browsers] = regions.lists;
    top_list(frame, pages, "top pages", &o.top_pages, true);
    top_list(frame, referrers, "referrers", &o.top_referrers, false);
    top_list(frame, devices, "devices", &o.devices, false);
    top_list(frame, browsers, "browsers", &o.browsers, false);
    placeholder(frame, area, "Overview", &app.overview);
}

fn figure(name: &str, value: String) -> Vec<Span<'static>> {
    vec![
        Span::styled(format!("{name} "), theme::muted()),
        Span::styled(value, theme::title()),
        Span::raw("   "),
    ]
}

fn render_figures(frame: &mut Frame, o: &Overview, area: Rect, range: &str) {
    let mut first = Vec::new();
    first.extend(figure("visitors", count(o.visitors)));
    first.extend(figure("sessions", count(o.sessions)));
    first.extend(figure("page views", count(o.page_views)));
    let mut second = Vec::new();
    second.extend(figure("clicks", count(o.clicks)));
    second.extend(figure("bounce rate", percent(o.bounce_rate)));
    second.extend(figure("avg. session", duration(o.mean_duration_ms as i64)));
    frame.render_widget(
        Paragraph::new(vec![Line::from(first), Line::from(second)])
            .block(block(format!(" Overview · {range} "))),
        area,
    );
}

fn render_chart(frame: &mut Frame, o: &Overview, area: Rect) {
    let sessions: Vec<(f64, f64)> = o
        .series
        .iter()
        .enumerate()
        .map(|(i, p)| (i as f64, p.sessions as f64))
        .collect();
    let views: Vec<(f64, f64)> = o
        .series
        .iter()
        .enumerate()
        .map(|(i, p)| (i as f64, p.page_views as f64))
        .collect();
    let max = o
        .series
        .iter()
        .map(|p| p.sessions.max(p.page_views))
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let n = o.series.len().max(2) as f64 - 1.0;
    let first = o
        .series
        .first()
        .map_or_else(String::new, |p| short_datetime(p.start));
    let last = o
        .series
        .last()
        .map_or_else(String::new, |p| short_datetime(p.start));
    let datasets = vec![
        Dataset::default()
            .name("sessions")
            .marker(Marker::Braille)
            .graph_type(GraphType::Line)
            .style(Style::new().fg(theme::SERIES_A))
            .data(&sessions),
        Dataset::default()
            .name("page views")
            .marker(Marker::Braille)
            .graph_type(GraphType::Line)
            .style(Style::new().fg(theme::SERIES_B))
            .data(&views),
    ];
    let bucket = crate::filters::span_label(o.bucket_ms);
    let chart = Chart::new(datasets)
        .block(block(format!(" sessions & page views per {bucket} ")))
        .x_axis(
            Axis::default()
                .bounds([0.0, n])
                .labels([Line::raw(first), Line::raw(last)])
                .style(theme::muted()),
        )
        .y_axis(
            Axis::default()
                .bounds([0.0, max])
                .labels([Line::raw("0"), Line::raw(count(max as u64))])
                .style(theme::muted()),
        );
    frame.render_widget(chart, area);
}

fn top_list(frame: &mut Frame, area: Rect, title: &str, items: &[Count], path_only: bool) {
    let inner_width = Block::bordered().inner(area).width as usize;
    let rows = items.iter().map(|c| {
        let mut label = safe(&c.label);
        if path_only {
            if let Some(i) = label.find('/').filter(|i| *i > 0) {
                label = label[i..].to_owned();
            }
        }
        let n = count(c.count);
        let width = inner_width.saturating_sub(n.len() + 1);
        Row::new(vec![ellipsize(&label, width), n])
    });
    let width = inner_width.saturating_sub(7) as u16;
    let table = Table::new(rows, [Constraint::Length(width), Constraint::Fill(1)])
        .column_spacing(1)
        .block(block(format!(" {title} ")));
    frame.render_widget(table, area);
}
