//! `paths` and `funnel`: the path tree as an indented table, the funnel a
//! row per step, or either as JSON or CSV.

use crate::cli::{Command, Format};
use crate::output::{json, tabular};
use crate::text::{count, duration, percent, safe};
use anyhow::{anyhow, Result};
use shared::page_key::PagePattern;
use shared::store::core::flows;
use shared::store::flow_query::*;
use shared::store::query::Filter;
use shared::store::EventReader;
use std::io::Write;

/// Runs `paths` or `funnel`.
pub fn run(
    store: &dyn EventReader,
    command: &Command,
    filter: &Filter,
    out: &mut dyn Write,
) -> Result<()> {
    match command {
        Command::Paths {
            from,
            to,
            depth,
            branches,
            format,
        } => paths(store, filter, from, to, *depth, *branches, *format, out),
        Command::Funnel {
            steps,
            within,
            format,
        } => funnel(store, filter, steps, *within, *format, out),
        _ => Err(anyhow!("not a paths or funnel command")),
    }
}

/// Most steps a funnel takes.
pub const MAX_FUNNEL_STEPS: usize = 20;

/// The path tree from `from` (or from the entry page), or toward `to`.
#[allow(clippy::too_many_arguments)]
pub fn paths(
    store: &dyn EventReader,
    filter: &Filter,
    from: &Option<String>,
    to: &Option<String>,
    depth: u32,
    branches: u32,
    format: Format,
    out: &mut dyn Write,
) -> Result<()> {
    let (start, direction) = match (from, to) {
        (_, Some(to)) => (Some(PagePattern::new(to)), Direction::Backward),
        (from, None) => (from.as_deref().map(PagePattern::new), Direction::Forward),
    };
    let query = PathsQuery {
        filter: filter.clone(),
        start,
        direction,
        depth,
        branches,
    };
    let tree = flows::paths(&store.steps(filter)?, &query);
    if format == Format::Json {
        return json(out, &tree);
    }
    let rows: Vec<Vec<String>> = tree
        .nodes
        .iter()
        .map(|n| {
            let page = n.path.last().map(|p| safe(p)).unwrap_or_default();
            let shown = if format == Format::Csv {
                n.path
                    .iter()
                    .map(|p| safe(p))
                    .collect::<Vec<_>>()
                    .join(" > ")
            } else {
                format!("{}{page}", "  ".repeat(n.path.len().saturating_sub(1)))
            };
            vec![number(n.sessions, format), percent(n.share), shown]
        })
        .collect();
    tabular(out, format, &["sessions", "share", "path"], &rows)?;
    if format == Format::Table {
        writeln!(
            out,
            "{} sessions reached {}",
            count(tree.sessions),
            safe(&tree.start)
        )?;
    }
    Ok(())
}

/// The funnel of `steps`, within `within` ms of its first step when given.
pub fn funnel(
    store: &dyn EventReader,
    filter: &Filter,
    steps: &[FunnelStep],
    within: Option<i64>,
    format: Format,
    out: &mut dyn Write,
) -> Result<()> {
    if !(2..=MAX_FUNNEL_STEPS).contains(&steps.len()) {
        return Err(anyhow!(
            "a funnel takes 2 to {MAX_FUNNEL_STEPS} steps (--step page:PATTERN or --step event:NAME), not {}",
            steps.len()
        ));
    }
    let query = FunnelQuery {
        filter: filter.clone(),
        steps: steps.to_vec(),
        within_ms: within,
    };
    let answer = flows::funnel(&store.steps(filter)?, &query);
    if format == Format::Json {
        return json(out, &answer);
    }
    let rows: Vec<Vec<String>> = answer
        .steps
        .iter()
        .map(|s| {
            let median = s.median_ms_from_previous.map_or_else(String::new, |ms| {
                if format == Format::Csv {
                    ms.to_string()
                } else {
                    duration(ms)
                }
            });
            vec![
                safe(&s.step),
                number(s.sessions, format),
                percent(s.conversion_from_previous),
                percent(s.conversion_from_first),
                median,
            ]
        })
        .collect();
    tabular(
        out,
        format,
        &[
            "step",
            "sessions",
            "from_previous",
            "from_first",
            "median_from_previous",
        ],
        &rows,
    )
}

/// A count, grouped by thousands in a table.
fn number(n: u64, format: Format) -> String {
    if format == Format::Table {
        count(n)
    } else {
        n.to_string()
    }
}
