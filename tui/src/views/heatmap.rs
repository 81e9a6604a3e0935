//! Heatmap: a page picker (pages by clicks, `/` filters, `*` patterns merge
//! template pages) beside the click map of the chosen page over its
//! wireframe (`o` hides it), the layout's line, the legend and the top
//! clicked elements. Compared with another range (`C`, `B`), the map shows
//! the change of each cell's share of the clicks on a diverging ramp, the
//! line names both ranges and their clicks, and the elements are those
//! whose share moved most.
//!
//! ```text
//! ┌ pages by clicks ─────┬ /demo/ · all widths · braille · 1280×3400 px ┐
//! │ 812 /demo/           │ ┌──⣀⣤⣶⣤⣀──────┐ (map over the wireframe,     │
//! │ 301 /demo/pricing    │ ╌╌╌╌╌╌╌╌ fold ╌ scrolls with j/k)            │
//! │                      │ layout 1a2b3c4d · captured … · desktop       │
//! │                      │ legend                                       │
//! │                      ├ top elements ────────────────────────────────┤
//! │                      │ 24% Add to cart  button.btn                  │
//! └──────────────────────┴──────────────────────────────────────────────┘
//! ```

use super::{block, empty_hint, message, placeholder};
use crate::app::{App, HeatFocus, PickerRow};
use crate::heat_layout;
use crate::layout;
use crate::text::{count, ellipsize, percent, points, safe};
use crate::theme;
use crate::widgets::heat_diff;
use crate::widgets::heatmap::{self, HeatOptions};
use crate::widgets::reach_gutter::ReachGutter;
use crate::widgets::wireframe::LayeredHeatmap;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table};
use ratatui::Frame;
use shared::store::core::heat_compare::HeatCompare;
use shared::store::layout_query::StoredLayout;
use shared::store::query::Heatmap;

/// Re-exported beside the drawing code; the geometry is [`crate::layout`]'s.
pub use crate::layout::heatmap::map_area;

fn focus_style(focused: bool) -> Style {
    if focused {
        Style::new().fg(theme::ACCENT).add_modifier(Modifier::BOLD)
    } else {
        Style::new()
    }
}

pub fn render(frame: &mut Frame, app: &App, area: Rect) {
    let regions = layout::heatmap::regions(area);
    render_picker(frame, app, regions.picker);
    render_map(frame, app, regions.map);
    if regions.elements.height > 0 {
        render_elements(frame, app, regions.elements);
    }
}

fn render_picker(frame: &mut Frame, app: &App, area: Rect) {
    let state = &app.heat;
    let title = match &state.search {
        Some(s) => format!(" pages ~ {} ", safe(s)),
        None => " pages by clicks · / ".to_owned(),
    };
    if placeholder(frame, area, &title, &state.pages) {
        return;
    }
    let rows = state.picker_rows();
    if rows.is_empty() {
        message(frame, area, title.trim(), empty_hint("pages"));
        return;
    }
    let inner_width = Block::bordered().inner(area).width as usize;
    let visible = usize::from(Block::bordered().inner(area).height);
    let table_rows = rows
        .iter()
        .enumerate()
        .skip(state.scroll)
        .take(visible.max(1))
        .map(|(i, r)| {
            let (clicks, label) = match r {
                PickerRow::Pattern(p) => ("all".to_owned(), format!("⁂ {}", safe(p))),
                PickerRow::Page(p) => {
                    let key = safe(&p.page);
                    let label = key
                        .find('/')
                        .filter(|i| *i > 0)
                        .map_or(key.clone(), |i| key[i..].to_owned());
                    (count(p.clicks), label)
                }
            };
            let row = Row::new(vec![
                Cell::from(clicks),
                Cell::from(ellipsize(&label, inner_width.saturating_sub(7))),
            ]);
            if i == state.selected {
                row.style(theme::selected())
            } else {
                row
            }
        });
    let table = Table::new(table_rows, [Constraint::Length(6), Constraint::Fill(1)])
        .block(block(title).border_style(focus_style(state.focus == HeatFocus::Picker)));
    frame.render_widget(table, area);
}

/// The map box's title: the pattern, segment and dots, what it is compared
/// with, and the page and clicks of the map.
fn map_title(app: &App, pattern: &shared::page_key::PagePattern) -> String {
    let state = &app.heat;
    let mut title = format!(
        " {} · {} · {} ",
        safe(pattern.as_str()),
        state.segment.0.as_str(),
        state.mode.name()
    );
    if state.compare {
        title.push_str(&format!("· vs {} ", app.compared_label()));
    }
    if let Some(map) = state.map.data.as_ref().filter(|m| m.total_clicks > 0) {
        title.push_str(&format!(
            "· {}×{} px · {} clicks ",
            map.page_width,
            map.page_height,
            count(map.total_clicks)
        ));
    }
    title
}

fn render_map(frame: &mut Frame, app: &App, area: Rect) {
    let state = &app.heat;
    let Some(pattern) = &state.current else {
        message(
            frame,
            area,
            "Heatmap",
            vec![
                Line::raw("Choose a page on the left and press Enter."),
                Line::styled(
                    "/ filters the list; a pattern such as /product/* merges template pages.",
                    theme::muted(),
                ),
                Line::styled(
                    "w width segment · b braille/half blocks · o wireframe · c sessions that clicked it",
                    theme::muted(),
                ),
            ],
        );
        return;
    };
    let title = ellipsize(
        &map_title(app, pattern),
        area.width.saturating_sub(2).into(),
    );
    if placeholder(frame, area, &title, &state.map) {
        return;
    }
    let Some(map) = state.drawn_map() else {
        return;
    };
    frame.render_widget(
        block(title).border_style(focus_style(state.focus == HeatFocus::Map)),
        area,
    );
    let parts = layout::map_parts(area, layout::REACH_GUTTER);
    let diff = state.drawn_diff();
    let note = heat_layout::note(
        state.layout(),
        state.version_of(),
        state.on_layout(),
        !state.wireframe_hidden,
    );
    let note = match diff {
        // What is compared first: the two ranges and their clicks.
        Some((diff, _)) => format!(
            "{} · {note}",
            heat_layout::compared_note(&app.range.label(), map.total_clicks, diff)
        ),
        None => note,
    };
    render_line(frame, &note, parts.note);
    let map_rect = parts.map;
    // The gutter follows the grid drawn: a comparison's, or the map's.
    let before_reach = diff.map(|(d, _)| d.reach());
    frame.render_widget(
        ReachGutter {
            map: diff.map_or(map, |(_, grid)| grid),
            reach: &state.reach,
            mode: state.mode,
            map_width: map_rect.width,
            scroll: state.map_scroll,
            color: app.color,
            before: before_reach.as_ref(),
        },
        parts.gutter,
    );
    if let Some((diff, grid)) = diff {
        render_diff(frame, app, diff, grid, map_rect, parts.legend);
        return;
    }
    if map.total_clicks == 0 {
        frame.render_widget(
            Paragraph::new(vec![
                Line::raw("No clicks on this page in this range and width segment."),
                Line::styled("t widens the range · w changes the segment", theme::muted()),
            ]),
            map_rect,
        );
        return;
    }
    frame.render_widget(
        LayeredHeatmap {
            map,
            layout: state.wireframe().map(|l| &l.layout),
            fold: state.reach.fold,
            options: heat_options(app),
            diff: None,
        },
        map_rect,
    );
    let mut legend = heatmap::legend(map.max_cell_clicks, app.color);
    push_rows(&mut legend, app, map, map_rect);
    frame.render_widget(Paragraph::new(legend), parts.legend);
}

/// The comparison drawn on `grid` over the wireframe, and its legend.
fn render_diff(
    frame: &mut Frame,
    app: &App,
    diff: &HeatCompare,
    grid: &Heatmap,
    map_rect: Rect,
    legend_rect: Rect,
) {
    if grid.total_clicks == 0 && diff.total_clicks == 0 {
        frame.render_widget(
            Paragraph::new(vec![
                Line::raw("No clicks on this page in either range."),
                Line::styled(
                    "t widens the range · B compares with another",
                    theme::muted(),
                ),
            ]),
            map_rect,
        );
        return;
    }
    frame.render_widget(
        LayeredHeatmap {
            map: grid,
            layout: app.heat.wireframe().map(|l| &l.layout),
            fold: app.heat.reach.fold,
            options: heat_options(app),
            diff: Some(diff),
        },
        map_rect,
    );
    let mut legend = heat_diff::legend(diff, app.color);
    push_rows(&mut legend, app, grid, map_rect);
    frame.render_widget(Paragraph::new(legend), legend_rect);
}

fn heat_options(app: &App) -> HeatOptions {
    HeatOptions {
        mode: app.heat.mode,
        scroll: app.heat.map_scroll,
        marker: None,
        color: app.color,
        over: false,
    }
}

/// Adds which rows are in view to a legend, when the page scrolls.
fn push_rows(legend: &mut Line<'static>, app: &App, map: &Heatmap, map_rect: Rect) {
    let state = &app.heat;
    let total_rows = heatmap::content_rows(map, state.mode, map_rect.width);
    if total_rows > map_rect.height {
        legend.spans.push(Span::styled(
            format!(
                "  rows {}–{}/{}",
                state.map_scroll + 1,
                (state.map_scroll + map_rect.height).min(total_rows),
                total_rows
            ),
            theme::muted(),
        ));
    }
}

/// The dim line under a map about its layout ([`heat_layout::note`]), cut
/// to fit.
pub(super) fn render_note(
    frame: &mut Frame,
    layout: Option<&StoredLayout>,
    of: heat_layout::VersionOf,
    clicks: heat_layout::OnLayout,
    shown: bool,
    area: Rect,
) {
    render_line(frame, &heat_layout::note(layout, of, clicks, shown), area);
}

/// A dim line under a map, cut to fit.
fn render_line(frame: &mut Frame, note: &str, area: Rect) {
    frame.render_widget(
        Paragraph::new(Line::styled(
            ellipsize(note, area.width.into()),
            theme::muted(),
        )),
        area,
    );
}

fn render_elements(frame: &mut Frame, app: &App, area: Rect) {
    let Some(map) = &app.heat.map.data else {
        frame.render_widget(block(" top elements ".into()), area);
        return;
    };
    if let Some((diff, _)) = app.heat.drawn_diff() {
        render_changes(frame, diff, area);
        return;
    }
    let rows = map.top_elements.iter().map(|e| {
        let label = e.label.as_deref().map(safe).unwrap_or_default();
        let rage = if e.rage_clicks > 0 {
            Span::styled(format!("{}×", e.rage_clicks), Style::new().fg(theme::BAD))
        } else {
            Span::raw("")
        };
        Row::new(vec![
            Cell::from(percent(e.share)),
            Cell::from(count(e.clicks)),
            Cell::from(label),
            Cell::from(Span::styled(safe(&e.selector), theme::muted())),
            Cell::from(rage),
        ])
    });
    let table = Table::new(
        rows,
        [
            Constraint::Length(6),
            Constraint::Length(6),
            Constraint::Fill(1),
            Constraint::Fill(2),
            Constraint::Length(4),
        ],
    )
    .block(block(" top elements ".into()));
    frame.render_widget(table, area);
}

/// The elements whose share of the clicks moved most: share now, before,
/// and the change (gains and losses told apart by sign, and by colour).
fn render_changes(frame: &mut Frame, diff: &HeatCompare, area: Rect) {
    let rows = diff.top_elements.iter().map(|e| {
        let label = e.label.as_deref().map(safe).unwrap_or_default();
        let change = e.change();
        let style = heat_diff::side_color(change).map_or_else(theme::muted, |c| Style::new().fg(c));
        Row::new(vec![
            Cell::from(percent(e.share)),
            Cell::from(percent(e.share_before)),
            Cell::from(Span::styled(points(change), style)),
            Cell::from(label),
            Cell::from(Span::styled(safe(&e.selector), theme::muted())),
        ])
    });
    let header = Row::new(["share", "before", "change", "label", "selector"]).style(theme::muted());
    let table = Table::new(
        rows,
        [
            Constraint::Length(6),
            Constraint::Length(6),
            Constraint::Length(10),
            Constraint::Fill(1),
            Constraint::Fill(2),
        ],
    )
    .header(header)
    .block(block(" elements by change of share ".into()));
    frame.render_widget(table, area);
}
