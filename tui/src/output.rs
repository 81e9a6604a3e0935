//! The subcommands' output: the same queries as the console, printed as an
//! aligned table, JSON or CSV (and the heatmap as text or ANSI colours).
//! Every stored string is sanitised here too.

use crate::cli::{Command, DotsArg, Format, HeatFormat};
use crate::filters::Range;
use crate::heat_layout::{self, PlacedComparison};
use crate::layout::REACH_GUTTER;
use crate::text::{count, datetime, duration, percent, points, safe, safe_or};
use crate::views::live::detail;
use crate::widgets::heat_diff;
use crate::widgets::heatmap::{self, HeatMode, HeatOptions};
use crate::widgets::reach_gutter::{ReachGutter, MARKS};
use crate::widgets::wireframe::LayeredHeatmap;
use anyhow::{anyhow, Result};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier};
use ratatui::widgets::Widget;
use serde::Serialize;
use serde_json::Value;
use shared::page_key::PagePattern;
use shared::store::core::anchoring::Placed;
use shared::store::core::heat_compare::HeatCompare;
use shared::store::layout_query::StoredLayout;
use shared::store::query::*;
use shared::store::{on_snapshot, EventReader};
use std::io::Write;

/// Runs a query subcommand and writes its output.
pub fn run(
    store: &dyn EventReader,
    command: &Command,
    filter: &Filter,
    out: &mut dyn Write,
) -> Result<()> {
    match command {
        Command::Overview { format, compare } => {
            crate::compare_output::overview(store, filter, compare.as_ref(), *format, out)
        }
        Command::Paths { .. } | Command::Funnel { .. } => {
            crate::flows_output::run(store, command, filter, out)
        }
        Command::Sessions {
            limit,
            offset,
            sort,
            asc,
            format,
        } => {
            let page = store.sessions(
                filter,
                Sort {
                    key: *sort,
                    descending: !asc,
                },
                PageRequest {
                    offset: *offset,
                    limit: *limit,
                },
            )?;
            sessions(out, &page, *format)
        }
        Command::Journey { session_id, format } => {
            let session = SessionRef {
                site: filter.site.clone(),
                session_id: session_id.clone(),
            };
            let journey = store
                .journey(&session)?
                .ok_or_else(|| anyhow!("no session {:?}", safe(session_id)))?;
            journey_steps(out, &journey, *format)
        }
        Command::Pages {
            page,
            sort,
            asc,
            limit,
            format,
        } => {
            let pattern = page.as_deref().map(PagePattern::new);
            let pages = store.pages(
                filter,
                pattern.as_ref(),
                Sort {
                    key: *sort,
                    descending: !asc,
                },
                PageRequest::first(*limit),
            )?;
            page_list(out, &pages, *format)
        }
        Command::Heatmap { .. } => heatmap_of(store, command, filter, out),
        Command::Events {
            limit,
            offset,
            format,
        } => {
            let events = store.events(
                filter,
                PageRequest {
                    offset: *offset,
                    limit: *limit,
                },
            )?;
            event_list(out, &events, *format)
        }
        Command::Demo { .. } => Err(anyhow!("demo is not a query")),
        Command::DeleteVisitor { .. } => Err(anyhow!("delete-visitor is not a query")),
    }
}

/// `heatmap`: the map of the page over its layout (the version asked for,
/// else the newest), as the format asks.
fn heatmap_of(
    store: &dyn EventReader,
    command: &Command,
    filter: &Filter,
    out: &mut dyn Write,
) -> Result<()> {
    let Command::Heatmap {
        page,
        width,
        segment,
        dots,
        format,
        layout_version,
        compare,
    } = command
    else {
        return Err(anyhow!("not a heatmap"));
    };
    let mode = match dots {
        DotsArg::Braille => HeatMode::Braille,
        DotsArg::Half => HeatMode::HalfBlock,
    };
    let width = (*width).clamp(8, 1000);
    let query = HeatmapQuery {
        pages: PagePattern::new(page),
        filter: filter.clone(),
        segment: (*segment).into(),
        columns: mode.columns_for(width),
    };
    let compared_range = compare
        .map(|c| crate::compare_output::compared_range(filter.range, c, shared::now_ms()))
        .transpose()?;
    // Every part read on one snapshot, so that they agree.
    let (placed, layout, compared, reach) = on_snapshot(store, |store| {
        let map = store.heatmap(&query)?;
        let layout = heat_layout::stored_layout(store, &query, &map, *layout_version)?;
        let placed = heat_layout::placed_map(store, &query, map, layout.as_ref())?;
        let compared = compared_range
            .map(|range| PlacedComparison::new(store, &query, &placed, layout.as_ref(), range))
            .transpose()?;
        let reach = store.scroll_reach(&query)?;
        Ok((placed, layout, compared, reach))
    })?;
    let layout = heat_layout::checked_layout(layout, *layout_version)?;
    let drawn = Drawn {
        placed: &placed,
        layout: layout.as_ref(),
        reach: &reach,
        range: filter.range,
        compared: compared.as_ref(),
    };
    heatmap(out, &drawn, mode, width, *format)
}

/// What `heatmap` prints: the map placed over its layout, its pages' scroll
/// reach, and its comparison with another range when asked.
struct Drawn<'a> {
    placed: &'a Placed,
    layout: Option<&'a StoredLayout>,
    reach: &'a ScrollReach,
    /// The range of the map.
    range: TimeRange,
    compared: Option<&'a PlacedComparison>,
}

/// The headline figures; as a table, followed by the top lists.
pub(crate) fn overview(out: &mut dyn Write, o: &Overview, format: Format) -> Result<()> {
    if format == Format::Json {
        return json(out, o);
    }
    let rows = vec![
        vec!["visitors".into(), o.visitors.to_string()],
        vec!["sessions".into(), o.sessions.to_string()],
        vec!["page_views".into(), o.page_views.to_string()],
        vec!["clicks".into(), o.clicks.to_string()],
        vec!["bounce_rate".into(), format!("{:.4}", o.bounce_rate)],
        vec![
            "mean_duration_ms".into(),
            format!("{:.0}", o.mean_duration_ms),
        ],
    ];
    if format == Format::Csv {
        return csv(out, &["metric", "value"], &rows);
    }
    table(out, &["metric", "value"], &rows)?;
    for (title, list) in [
        ("top pages", &o.top_pages),
        ("referrers", &o.top_referrers),
        ("devices", &o.devices),
        ("browsers", &o.browsers),
    ] {
        writeln!(out)?;
        let rows: Vec<Vec<String>> = list
            .iter()
            .map(|c| vec![safe(&c.label), count(c.count)])
            .collect();
        table(out, &[title, "count"], &rows)?;
    }
    Ok(())
}

/// One row per session; the table ends with how many there are in all.
fn sessions(out: &mut dyn Write, page: &SessionPage, format: Format) -> Result<()> {
    if format == Format::Json {
        return json(out, page);
    }
    let head = [
        "session",
        "site",
        "start",
        "duration",
        "events",
        "pages",
        "clicks",
        "rage",
        "entry",
        "exit",
        "device",
        "browser",
        "os",
        "referrer",
        "bounced",
        "quick_backs",
        "dead_end",
    ];
    let rows: Vec<Vec<String>> = page
        .rows
        .iter()
        .map(|s| {
            vec![
                safe(&s.session_id),
                safe(&s.site),
                datetime(s.start),
                if format == Format::Csv {
                    s.duration_ms.to_string()
                } else {
                    duration(s.duration_ms)
                },
                s.events.to_string(),
                s.page_views.to_string(),
                s.clicks.to_string(),
                s.rage_clicks.to_string(),
                safe_or(s.entry_page.as_deref(), ""),
                safe_or(s.exit_page.as_deref(), ""),
                s.client.device.as_str().into(),
                safe(&s.client.browser),
                safe(&s.client.os),
                safe_or(s.referrer.as_deref(), DIRECT_REFERRER),
                s.bounced.to_string(),
                s.quick_backs.to_string(),
                s.dead_end.to_string(),
            ]
        })
        .collect();
    tabular(out, format, &head, &rows)?;
    if format == Format::Table {
        writeln!(out, "{} of {} sessions", rows.len(), count(page.total))?;
    }
    Ok(())
}

/// One row per step, timed in milliseconds from the first.
fn journey_steps(out: &mut dyn Write, journey: &Journey, format: Format) -> Result<()> {
    if format == Format::Json {
        return json(out, journey);
    }
    let start = journey.steps.first().map_or(0, |e| e.event.ts);
    let rows: Vec<Vec<String>> = journey
        .steps
        .iter()
        .map(|e| {
            let selector = e.event.target.as_ref().and_then(|t| t.selector.as_deref());
            vec![
                (e.event.ts - start).to_string(),
                e.event.kind.as_str().into(),
                safe(&e.event.page_key),
                detail(e),
                safe_or(selector, ""),
                e.event.x.map_or_else(String::new, |x| x.to_string()),
                e.event.y.map_or_else(String::new, |y| y.to_string()),
            ]
        })
        .collect();
    tabular(
        out,
        format,
        &["ms", "type", "page", "what", "selector", "x", "y"],
        &rows,
    )
}

/// One row per page; CSV gives the scroll depth as a fraction.
fn page_list(out: &mut dyn Write, pages: &[PageStats], format: Format) -> Result<()> {
    if format == Format::Json {
        return json(out, &pages);
    }
    let rows: Vec<Vec<String>> = pages
        .iter()
        .map(|p| {
            vec![
                safe(&p.page),
                p.views.to_string(),
                p.visitors.to_string(),
                p.sessions.to_string(),
                p.clicks.to_string(),
                p.mean_scroll_depth.map_or_else(String::new, |d| {
                    if format == Format::Csv {
                        format!("{d:.4}")
                    } else {
                        percent(d)
                    }
                }),
                p.rage_clicks.to_string(),
            ]
        })
        .collect();
    tabular(
        out,
        format,
        &[
            "page", "views", "visitors", "sessions", "clicks", "scroll", "rage",
        ],
        &rows,
    )
}

/// One row per event; JSON is one object per line, so it streams.
fn event_list(out: &mut dyn Write, events: &[StoredEvent], format: Format) -> Result<()> {
    if format == Format::Json {
        for e in events {
            let value = clean_value(serde_json::to_value(e)?);
            writeln!(out, "{}", serde_json::to_string(&value)?)?;
        }
        return Ok(());
    }
    let rows: Vec<Vec<String>> = events
        .iter()
        .map(|e| {
            vec![
                datetime(e.event.ts),
                e.event.kind.as_str().into(),
                safe(&e.site),
                safe(&e.session_id),
                safe(&e.event.page_key),
                detail(e),
            ]
        })
        .collect();
    tabular(
        out,
        format,
        &["time", "type", "site", "session", "page", "what"],
        &rows,
    )
}

/// The map as JSON, or drawn as text (with ANSI colours if asked) `width`
/// columns wide.
fn heatmap(
    out: &mut dyn Write,
    drawn: &Drawn<'_>,
    mode: HeatMode,
    width: u16,
    format: HeatFormat,
) -> Result<()> {
    match format {
        HeatFormat::Json => json(
            out,
            &heat_layout::HeatmapJson {
                compare: drawn.compared.map(|c| &c.diff),
                ..heat_layout::HeatmapJson::new(drawn.placed, drawn.layout, drawn.reach)
            },
        ),
        HeatFormat::Text | HeatFormat::Ansi => {
            heatmap_text(out, drawn, mode, width, format == HeatFormat::Ansi)
        }
    }
}

/// Sanitises every string inside a JSON value.
pub fn clean_value(value: Value) -> Value {
    match value {
        Value::String(s) => Value::String(safe_json(&s)),
        Value::Array(items) => Value::Array(items.into_iter().map(clean_value).collect()),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (safe_json(&k), clean_value(v)))
                .collect(),
        ),
        other => other,
    }
}

/// Like [`safe`] but without the length limit.
fn safe_json(s: &str) -> String {
    shared::sanitize::clean(s, usize::MAX)
}

pub(crate) fn json<T: Serialize>(out: &mut dyn Write, value: &T) -> Result<()> {
    let value = clean_value(serde_json::to_value(value)?);
    serde_json::to_writer_pretty(&mut *out, &value)?;
    writeln!(out)?;
    Ok(())
}

pub(crate) fn tabular(
    out: &mut dyn Write,
    format: Format,
    head: &[&str],
    rows: &[Vec<String>],
) -> Result<()> {
    match format {
        Format::Csv => csv(out, head, rows),
        _ => table(out, head, rows),
    }
}

/// An aligned text table.
fn table(out: &mut dyn Write, head: &[&str], rows: &[Vec<String>]) -> Result<()> {
    let mut widths: Vec<usize> = head.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(cell.chars().count());
            }
        }
    }
    let line = |cells: Vec<&str>| -> String {
        let parts: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}", w = *w))
            .collect();
        parts.join("  ").trim_end().to_owned()
    };
    writeln!(out, "{}", line(head.to_vec()))?;
    for row in rows {
        writeln!(out, "{}", line(row.iter().map(String::as_str).collect()))?;
    }
    Ok(())
}

/// RFC 4180 CSV.
fn csv(out: &mut dyn Write, head: &[&str], rows: &[Vec<String>]) -> Result<()> {
    let field = |s: &str| -> String {
        if s.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s.to_owned()
        }
    };
    writeln!(
        out,
        "{}",
        head.iter().map(|h| field(h)).collect::<Vec<_>>().join(",")
    )?;
    for row in rows {
        writeln!(
            out,
            "{}",
            row.iter().map(|c| field(c)).collect::<Vec<_>>().join(",")
        )?;
    }
    Ok(())
}

/// Draws the heatmap over its layout's wireframe into a buffer and prints
/// it, with the layout's line, the legend and the top elements.
/// Row `y` of `buf` as text, with its colours as SGR sequences when `ansi`.
fn buffer_line(buf: &Buffer, y: u16, ansi: bool) -> String {
    let mut line = String::new();
    for x in 0..buf.area.width {
        let Some(cell) = buf.cell((x, y)) else {
            continue;
        };
        if ansi {
            line.push_str(&sgr(cell.fg, cell.bg, cell.modifier));
        }
        line.push_str(cell.symbol());
        if ansi {
            line.push_str("\u{1b}[0m");
        }
    }
    line
}

/// The line under a map about its scroll reach: how many views, and the
/// depths its marks stand at; with the compared range's `before` each.
pub(crate) fn reach_line(reach: &ScrollReach, before: Option<&ScrollReach>) -> String {
    let then = |value: Option<String>| match (before, value) {
        (Some(_), Some(v)) => format!(" ({v} before)"),
        (Some(_), None) => " (none before)".to_owned(),
        (None, _) => String::new(),
    };
    let marks: Vec<String> = MARKS
        .iter()
        .map(|&(share, label)| {
            let px = |r: &ScrollReach| r.depth_of(share).map(|y| format!("{y} px"));
            let was = then(before.and_then(px));
            let now = px(reach).unwrap_or_else(|| "-".to_owned());
            format!("{label} read to {now}{was}")
        })
        .collect();
    let views = match reach.views {
        1 => "1 page view".to_owned(),
        n => format!("{} page views", count(n)),
    };
    let views_then = then(before.map(|b| count(b.views)));
    format!("scroll reach of {views}{views_then}: {}", marks.join(" · "))
}

/// The lines above a text heatmap drawn on `grid`: its clicks and scale,
/// what it is compared with, and its layout.
fn heatmap_header(out: &mut dyn Write, drawn: &Drawn<'_>, grid: &Heatmap) -> Result<()> {
    let (placed, layout) = (drawn.placed, drawn.layout);
    let map = &placed.map;
    writeln!(
        out,
        "{} clicks ({} rage) · page {}×{} px · 1 dot = {:.1} px",
        map.total_clicks, map.rage_clicks, grid.page_width, grid.page_height, grid.cell_px
    )?;
    if let Some(c) = drawn.compared {
        let now = match drawn.range {
            TimeRange::ALL => Range::All,
            range => Range::Between(range),
        };
        let line = heat_layout::compared_note(&now.label(), map.total_clicks, &c.diff);
        writeln!(out, "{line}")?;
    }
    let of = heat_layout::VersionOf { index: 0, count: 1 };
    let clicks = heat_layout::OnLayout {
        anchored: placed.anchored_clicks,
        off: layout.map_or(0, |l| {
            shared::store::core::layouts::clicks_off_layout(map, &l.layout)
        }),
    };
    writeln!(out, "{}", heat_layout::note(layout, of, clicks, true))?;
    Ok(())
}

fn heatmap_text(
    out: &mut dyn Write,
    drawn: &Drawn<'_>,
    mode: HeatMode,
    width: u16,
    ansi: bool,
) -> Result<()> {
    let (placed, layout) = (drawn.placed, drawn.layout);
    let map = &placed.map;
    let before_clicks = drawn.compared.map_or(0, |c| c.diff.total_clicks);
    if map.total_clicks == 0 && before_clicks == 0 {
        writeln!(out, "no clicks")?;
        return Ok(());
    }
    // A comparison is drawn on the grid both maps were binned on.
    let grid = drawn.compared.map_or(map, |c| c.grid(map));
    heatmap_header(out, drawn, grid)?;
    let height = heatmap::content_rows(grid, mode, width).max(1);
    let mut buf = Buffer::empty(Rect::new(0, 0, width, height));
    let options = HeatOptions {
        mode,
        scroll: 0,
        marker: None,
        color: ansi,
        over: false,
    };
    LayeredHeatmap {
        map: grid,
        layout: layout.map(|l| &l.layout),
        fold: drawn.reach.fold,
        options,
        diff: drawn.compared.map(|c| &c.diff),
    }
    .render(buf.area, &mut buf);
    // The scroll reach gutter right of the map's frame.
    let before_reach = drawn.compared.map(|c| c.diff.reach());
    let mut gutter = Buffer::empty(Rect::new(0, 0, REACH_GUTTER, height));
    ReachGutter {
        map: grid,
        reach: drawn.reach,
        mode,
        map_width: width,
        scroll: 0,
        color: ansi,
        before: before_reach.as_ref(),
    }
    .render(gutter.area, &mut gutter);
    let horizontal = "─".repeat(usize::from(width));
    writeln!(out, "┌{horizontal}┐")?;
    for y in 0..height {
        let line = buffer_line(&buf, y, ansi);
        let side = buffer_line(&gutter, y, ansi);
        writeln!(out, "│{line}│{}", side.trim_end())?;
    }
    writeln!(out, "└{horizontal}┘")?;
    if drawn.reach.views + before_reach.as_ref().map_or(0, |b| b.views) > 0 {
        writeln!(out, "{}", reach_line(drawn.reach, before_reach.as_ref()))?;
    }
    if let Some(c) = drawn.compared {
        writeln!(out, "{}", heat_diff::legend_text(&c.diff))?;
        return element_changes(out, &c.diff);
    }
    writeln!(out, "{}", heatmap::legend_text(map.max_cell_clicks))?;
    if !map.top_elements.is_empty() {
        writeln!(out)?;
        let rows: Vec<Vec<String>> = map
            .top_elements
            .iter()
            .map(|e| {
                vec![
                    percent(e.share),
                    e.clicks.to_string(),
                    e.rage_clicks.to_string(),
                    safe_or(e.label.as_deref(), ""),
                    safe(&e.selector),
                ]
            })
            .collect();
        table(
            out,
            &["share", "clicks", "rage", "label", "selector"],
            &rows,
        )?;
    }
    Ok(())
}

/// The elements whose share of the clicks moved most, as a table.
fn element_changes(out: &mut dyn Write, diff: &HeatCompare) -> Result<()> {
    if diff.top_elements.is_empty() {
        return Ok(());
    }
    writeln!(out)?;
    let rows: Vec<Vec<String>> = diff
        .top_elements
        .iter()
        .map(|e| {
            vec![
                percent(e.share),
                percent(e.share_before),
                points(e.change()),
                safe_or(e.label.as_deref(), ""),
                safe(&e.selector),
            ]
        })
        .collect();
    table(
        out,
        &["share", "before", "change", "label", "selector"],
        &rows,
    )
}

fn sgr(fg: Color, bg: Color, modifier: Modifier) -> String {
    let mut codes: Vec<String> = Vec::new();
    if modifier.contains(Modifier::BOLD) {
        codes.push("1".into());
    }
    if modifier.contains(Modifier::DIM) {
        codes.push("2".into());
    }
    if modifier.contains(Modifier::REVERSED) {
        codes.push("7".into());
    }
    if let Color::Rgb(r, g, b) = fg {
        codes.push(format!("38;2;{r};{g};{b}"));
    }
    if let Color::Rgb(r, g, b) = bg {
        codes.push(format!("48;2;{r};{g};{b}"));
    }
    if codes.is_empty() {
        String::new()
    } else {
        format!("\u{1b}[{}m", codes.join(";"))
    }
}
