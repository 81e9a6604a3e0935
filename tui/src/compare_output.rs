//! `overview --compare`: the figures of the range beside those of the
//! previous period (or of any range), with the change.

use crate::cli::{Compare, Format};
use crate::output::{json, overview as plain_overview, tabular};
use crate::text::change;
use anyhow::{anyhow, Result};
use serde::Serialize;
use shared::store::query::{Filter, Overview, TimeRange};
use shared::store::EventReader;
use std::io::Write;

/// The overview with the compared period's figures under `previous`.
#[derive(Serialize)]
struct Compared<'a> {
    #[serde(flatten)]
    current: &'a Overview,
    previous_range: TimeRange,
    previous: &'a Overview,
}

/// The range `compare` names for a filter over `range`.
pub fn compared_range(range: TimeRange, compare: Compare, now: i64) -> Result<TimeRange> {
    match compare {
        Compare::Previous => range.previous(now).ok_or_else(|| {
            anyhow!(
                "--compare previous needs a range with a start (--since 7d, --since 2025-01-01..)"
            )
        }),
        Compare::Range(other) => Ok(other.resolve(now)),
    }
}

/// `overview`, with `--compare` when given.
pub fn overview(
    store: &dyn EventReader,
    filter: &Filter,
    compare: Option<&Compare>,
    format: Format,
    out: &mut dyn Write,
) -> Result<()> {
    let current = store.overview(filter)?;
    let Some(compare) = compare else {
        return plain_overview(out, &current, format);
    };
    let previous_range = compared_range(filter.range, *compare, shared::now_ms())?;
    let previous = store.overview(&Filter {
        range: previous_range,
        ..filter.clone()
    })?;
    if format == Format::Json {
        return json(
            out,
            &Compared {
                current: &current,
                previous_range,
                previous: &previous,
            },
        );
    }
    let figures = |o: &Overview| {
        [
            o.visitors as f64,
            o.sessions as f64,
            o.page_views as f64,
            o.clicks as f64,
            o.bounce_rate,
            o.mean_duration_ms,
        ]
    };
    let names = [
        "visitors",
        "sessions",
        "page_views",
        "clicks",
        "bounce_rate",
        "mean_duration_ms",
    ];
    let rows: Vec<Vec<String>> = names
        .iter()
        .zip(figures(&current).into_iter().zip(figures(&previous)))
        .map(|(name, (now, before))| {
            let shown = |v: f64| {
                if *name == "bounce_rate" {
                    format!("{v:.4}")
                } else {
                    format!("{v:.0}")
                }
            };
            vec![
                (*name).to_owned(),
                shown(now),
                shown(before),
                change(now, before),
            ]
        })
        .collect();
    tabular(
        out,
        format,
        &["metric", "value", "previous", "change"],
        &rows,
    )
}
