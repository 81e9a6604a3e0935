//! Overview: the headline figures, sessions and page views over time, and the
//! top pages, referrers, devices and browsers. While comparing, each figure
//! shows its change against the previous period, and the chart draws that
//! period dimmed behind the current one: point `i` of each series is bucket
//! `i` from its period's start, so they line up by offset from the start.
//!
//! ```text
//! ┌ Overview ───────────────────────────────────────────────┐
//! │ visitors 1,204 +8.1%  sessions 1,530 -2.0%  …            │ figures
//! ├ sessions ─ page views ──────────────────────────────────┤
//! │        ⣀⡠⠔⠊⠉⠑⠢⣀                                         │ chart
//! ├ top pages ┬ referrers ┬ devices ┬ browsers ─────────────┤
//! │ /demo/ 812│ direct 700│ desktop │ Chrome 600            │ lists
//! └─────────────────────────────────────────────────────────┘
//! ```

use super::{block, empty_hint, message, placeholder};
use crate::app::App;
use crate::layout;
use crate::text::{change, count, duration, ellipsize, percent, safe, short_datetime};
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
    let previous = app.previous_overview.data.as_ref();
    let titles = (app.range.label(), app.compared_label());
    render_figures(frame, o, previous, regions.figures, titles);
    render_chart(frame, o, previous, regions.chart);
    let [pages, referrers, devices, browsers] = regions.lists;
    top_list(frame, pages, "top pages", &o.top_pages, true);
    top_list(frame, referrers, "referrers", &o.top_referrers, false);
    top_list(frame, devices, "devices", &o.devices, false);
    top_list(frame, browsers, "browsers", &o.browsers, false);
    placeholder(frame, area, "Overview", &app.overview);
}

/// Whether a figure going up is good news (sessions) or bad (bounces).
#[derive(Clone, Copy)]
enum Better {
    Up,
    Down,
}

/// `name value`, and with a previous value its change, green when better.
fn figure(
    name: &str,
    value: String,
    compared: Option<(f64, f64)>,
    better: Better,
) -> Vec<Span<'static>> {
    let mut spans = vec![
        Span::styled(format!("{name} "), theme::muted()),
        Span::styled(value, theme::title()),
    ];
    if let Some((now, before)) = compared {
        let text = change(now, before);
        let up = now > before;
        let style = match (text.as_str(), better, up) {
            ("-", _, _) => theme::muted(),
            (_, _, _) if now == before => theme::muted(),
            (_, Better::Up, true) | (_, Better::Down, false) => Style::new().fg(theme::GOOD),
            _ => Style::new().fg(theme::BAD),
        };
        spans.push(Span::styled(format!(" {text}"), style));
    }
    spans.push(Span::raw("   "));
    spans
}

fn render_figures(
    frame: &mut Frame,
    o: &Overview,
    previous: Option<&Overview>,
    area: Rect,
    (range, compared): (String, String),
) {
    let pair = |f: fn(&Overview) -> f64| previous.map(|p| (f(o), f(p)));
    let mut first = Vec::new();
    let visitors = pair(|o| o.visitors as f64);
    first.extend(figure("visitors", count(o.visitors), visitors, Better::Up));
    let sessions = pair(|o| o.sessions as f64);
    first.extend(figure("sessions", count(o.sessions), sessions, Better::Up));
    let views = pair(|o| o.page_views as f64);
    first.extend(figure("page views", count(o.page_views), views, Better::Up));
    let mut second = Vec::new();
    let clicks = pair(|o| o.clicks as f64);
    second.extend(figure("clicks", count(o.clicks), clicks, Better::Up));
    let bounce = pair(|o| o.bounce_rate);
    second.extend(figure(
        "bounce rate",
        percent(o.bounce_rate),
        bounce,
        Better::Down,
    ));
    let mean = pair(|o| o.mean_duration_ms);
    let avg = duration(o.mean_duration_ms as i64);
    second.extend(figure("avg. session", avg, mean, Better::Up));
    let title = match previous {
        Some(_) => format!(" Overview · {range} · vs {compared} (C, B) "),
        None => format!(" Overview · {range} "),
    };
    frame.render_widget(
        Paragraph::new(vec![Line::from(first), Line::from(second)]).block(block(title)),
        area,
    );
}

/// A series as chart points: `(bucket index, value)`.
fn points(o: &Overview, value: fn(&shared::store::query::SeriesPoint) -> u64) -> Vec<(f64, f64)> {
    o.series
        .iter()
        .enumerate()
        .map(|(i, p)| (i as f64, value(p) as f64))
        .collect()
}

fn render_chart(frame: &mut Frame, o: &Overview, previous: Option<&Overview>, area: Rect) {
    let sessions = points(o, |p| p.sessions);
    let views = points(o, |p| p.page_views);
    let before_sessions = previous.map(|p| points(p, |p| p.sessions));
    let before_views = previous.map(|p| points(p, |p| p.page_views));
    let max = o
        .series
        .iter()
        .chain(previous.map_or(&[][..], |p| &p.series[..]))
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
    let line = |name: &'static str, style: Style, data| {
        let dataset = Dataset::default()
            .marker(Marker::Braille)
            .graph_type(GraphType::Line)
            .style(style)
            .data(data);
        if name.is_empty() {
            dataset
        } else {
            dataset.name(name)
        }
    };
    // The previous period first, so the current one is drawn over it.
    let mut datasets = Vec::new();
    if let (Some(s), Some(v)) = (&before_sessions, &before_views) {
        datasets.push(line("previous", theme::muted(), s));
        datasets.push(line("", theme::muted(), v));
    }
    datasets.push(line(
        "sessions",
        Style::new().fg(theme::SERIES_A),
        &sessions,
    ));
    datasets.push(line("page views", Style::new().fg(theme::SERIES_B), &views));
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
