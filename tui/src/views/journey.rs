//! Journey: one session's events in order, stepped with j/k, beside the
//! heatmap of the current step's page, over its wireframe, with the step's
//! click marked.
//!
//! ```text
//! ┌ session abc… · mobile Safari iOS · 2m 10s · direct ───────────────┐
//! ├ steps ─────────────────────────────┬ /demo/pricing.html ──────────┤
//! │ +0.0s  +0.0s ▶ /demo/              │ ⠀⠀⣀⣤⠀⠀                        │
//! │ +3.1s  +3.1s ● Buy now @640,1800   │ ⠀◆⠛⠉⠀⠀                        │
//! │ selector · title                   │ legend                       │
//! └────────────────────────────────────┴──────────────────────────────┘
//! ```

use super::{block, fitted_block, placeholder};
use crate::app::App;
use crate::layout;
use crate::text::{duration, ellipsize, offset, safe, safe_or, short_datetime};
use crate::theme;
use crate::views::heatmap::render_note;
use crate::views::live::{detail, glyph};
use crate::widgets::heatmap::{self, HeatOptions};
use crate::widgets::wireframe::LayeredHeatmap;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table};
use ratatui::Frame;
use shared::event::EventKind;
use shared::store::core::anchoring::anchored_point;
use shared::store::query::{Journey, SessionSummary, StoredEvent};

pub fn render(frame: &mut Frame, app: &App, area: Rect) {
    let state = &app.journey;
    if state.target.is_none() {
        super::message(
            frame,
            area,
            "Journey",
            vec![
                Line::raw("No session chosen."),
                Line::styled("Pick one in Sessions (2) or Live (6) and press Enter; / in Sessions opens a session id.", theme::muted()),
            ],
        );
        return;
    }
    if placeholder(frame, area, "Journey", &state.data) {
        return;
    }
    let Some(Some(journey)) = &state.data.data else {
        let id = state
            .target
            .as_ref()
            .map(|t| safe(&t.session_id))
            .unwrap_or_default();
        super::message(
            frame,
            area,
            "Journey",
            vec![Line::raw(format!("No session {id:?} in the database."))],
        );
        return;
    };
    let regions = layout::journey::regions(area);
    render_session(frame, &journey.session, regions.header);
    let visible = usize::from(layout::journey::visible_rows(area));
    render_steps(frame, app, journey, regions.steps, visible);
    render_map(frame, app, regions.map);
}

/// The session's header: when, how long, on what, from where.
fn render_session(frame: &mut Frame, s: &SessionSummary, area: Rect) {
    let flags = match (s.bounced, s.rage_clicks) {
        (true, 0) => " · bounced".to_owned(),
        (true, n) => format!(" · bounced · {n} rage clicks"),
        (false, 0) => String::new(),
        (false, n) => format!(" · {n} rage clicks"),
    };
    let lines = vec![
        Line::from(vec![
            Span::styled(format!("{} ", short_datetime(s.start)), theme::title()),
            Span::raw(format!(
                "{} · {} {} {} · {} · from {}{flags}",
                duration(s.duration_ms),
                s.client.device.as_str(),
                safe(&s.client.browser),
                safe(&s.client.os),
                safe(&s.site),
                safe_or(s.referrer.as_deref(), "direct"),
            )),
        ]),
        Line::styled(
            format!(
                "{} events · {} pages · {} clicks · visitor {}",
                s.events,
                s.page_views,
                s.clicks,
                ellipsize(&safe(&s.visitor_id), 12)
            ),
            theme::muted(),
        ),
    ];
    let title = format!(" session {} ", safe(&s.session_id));
    frame.render_widget(
        Paragraph::new(lines).block(fitted_block(&title, area)),
        area,
    );
}

/// The steps box: `visible` rows of the steps table from the scroll offset,
/// and the current step's details below it.
fn render_steps(frame: &mut Frame, app: &App, journey: &Journey, area: Rect, visible: usize) {
    let state = &app.journey;
    let start = journey
        .steps
        .first()
        .map_or(journey.session.start, |e| e.event.ts);
    let rows = journey
        .steps
        .iter()
        .enumerate()
        .skip(state.scroll)
        .take(visible)
        .map(|(i, e)| {
            let previous = i
                .checked_sub(1)
                .and_then(|p| journey.steps.get(p))
                .map_or(e.event.ts, |p| p.event.ts);
            let row = step_row(e, start, previous);
            if i == state.step {
                row.style(theme::selected())
            } else {
                row
            }
        });
    let (table_area, detail_area) = layout::journey::steps_parts(area);
    frame.render_widget(
        block(format!(
            " step {} of {} · j/k ",
            state.step + 1,
            journey.steps.len()
        )),
        area,
    );
    frame.render_widget(
        Table::new(
            rows,
            [
                Constraint::Length(7),
                Constraint::Length(7),
                Constraint::Length(1),
                Constraint::Fill(1),
            ],
        )
        .header(Row::new(vec!["start", "Δ", "", "page · element"]).style(theme::header())),
        table_area,
    );
    if let Some(e) = state.current() {
        render_step_detail(frame, e, detail_area);
    }
}

/// A step: its time from the session's `start` and from the `previous`
/// step, its kind, its page's path and what it did there.
fn step_row(e: &StoredEvent, start: i64, previous: i64) -> Row<'static> {
    let page = safe(&e.event.page_key);
    let path = page
        .find('/')
        .map_or(page.clone(), |i| page[i..].to_owned());
    let what = match e.event.kind {
        EventKind::PageView => path,
        _ => format!("{path} {}", detail(e)),
    };
    Row::new(vec![
        Cell::from(offset(e.event.ts - start)),
        Cell::from(offset(e.event.ts - previous)),
        Cell::from(glyph(e.event.kind)),
        Cell::from(what),
    ])
}

/// The current step's element and position, and its page's title.
fn render_step_detail(frame: &mut Frame, e: &StoredEvent, area: Rect) {
    let selector = e
        .event
        .target
        .as_ref()
        .and_then(|t| t.selector.as_deref())
        .map(safe)
        .unwrap_or_default();
    let at = match (e.event.x, e.event.y) {
        (Some(x), Some(y)) => format!("at {x},{y} px"),
        _ => String::new(),
    };
    let lines = vec![
        Line::styled(format!("{selector} {at}"), theme::muted()),
        Line::styled(
            safe_or(e.event.title.as_deref().or(e.event.url.as_str().into()), ""),
            theme::muted(),
        ),
    ];
    frame.render_widget(Paragraph::new(lines), area);
}

fn render_map(frame: &mut Frame, app: &App, area: Rect) {
    let state = &app.journey;
    let page = state.heat_page.as_deref().map(safe).unwrap_or_default();
    let path = page
        .find('/')
        .map_or(page.clone(), |i| page[i..].to_owned());
    let title = format!(
        " {} ",
        ellipsize(&path, area.width.saturating_sub(4).into())
    );
    if placeholder(frame, area, &title, &state.heat) {
        return;
    }
    // Placed over its layout, when it has one.
    let over = state.heat_over.as_ref();
    let Some(map) = over.map(|v| &v.map).or(state.heat.data.as_ref()) else {
        return;
    };
    frame.render_widget(block(title), area);
    let parts = layout::map_parts(area, 0);
    render_note(
        frame,
        over.map(|v| &v.layout),
        crate::heat_layout::VersionOf { index: 0, count: 1 },
        over.map(|v| v.clicks).unwrap_or_default(),
        !app.heat.wireframe_hidden,
        parts.note,
    );
    let map_rect = parts.map;
    if map.total_clicks == 0 {
        frame.render_widget(
            Paragraph::new(Line::styled("no clicks on this page", theme::muted())),
            map_rect,
        );
        return;
    }
    let mode = app.heat.mode;
    let marker =
        state.current().and_then(
            |e| match (e.event.kind, e.event.x, e.event.y, e.event.page) {
                (EventKind::Click, Some(x), Some(y), Some(size)) => {
                    // Where the map put it: on its element, when anchored.
                    let target = e.event.target.as_ref();
                    let on_layout = over.and_then(|v| {
                        anchored_point(
                            x,
                            y,
                            target.and_then(|t| t.selector.as_deref()),
                            target.and_then(|t| t.rect),
                            &v.layout.layout,
                        )
                    });
                    match on_layout {
                        Some((x, y, width)) => heatmap::bin_of(map, x, y, width),
                        None => heatmap::bin_of(map, x, y, size.width),
                    }
                }
                _ => None,
            },
        );
    // Scroll so the marked click is in view.
    let scroll = marker.map_or(0, |(column, row)| {
        let (_, y) = heatmap::cell_of(map, mode, map_rect.width, column, row);
        let half = u32::from(map_rect.height / 2);
        y.saturating_sub(half).min(u32::from(u16::MAX)) as u16
    });
    let scroll = scroll
        .min(heatmap::content_rows(map, mode, map_rect.width).saturating_sub(map_rect.height));
    let wireframe = over
        .map(|v| &v.layout)
        .filter(|_| !app.heat.wireframe_hidden);
    frame.render_widget(
        LayeredHeatmap {
            map,
            layout: wireframe.map(|l| &l.layout),
            // The fold this session's own window had.
            fold: state
                .current()
                .and_then(|e| e.event.viewport)
                .map(|v| v.height),
            options: HeatOptions {
                mode,
                scroll,
                marker,
                color: app.color,
                over: false,
            },
            diff: None,
        },
        map_rect,
    );
    frame.render_widget(
        Paragraph::new(heatmap::legend(map.max_cell_clicks, app.color)),
        parts.legend,
    );
}
