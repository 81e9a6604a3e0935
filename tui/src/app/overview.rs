//! The Overview's state: one [`Remote`] of the headline figures, loaded when
//! the view is shown and out of date, and one of the previous period's (the
//! same length just before the range), asked for beside it while comparing.

use super::context::Ctx;
use super::remote::{unpack, Remote};
use crate::worker::{Answer, Pane, Query};
use shared::store::query::Overview;

/// Loads the figures if the filter changed since they were fetched.
pub(super) fn ensure_loaded(
    overview: &mut Remote<Overview>,
    previous: &mut Remote<Overview>,
    cx: &mut Ctx,
) {
    if !overview.fresh {
        load(overview, cx);
    }
    if !previous.fresh {
        load_previous(previous, cx);
    }
}

fn load(overview: &mut Remote<Overview>, cx: &mut Ctx) {
    let generation = cx.send(Pane::Overview, Query::Overview(cx.query_filter()));
    overview.wait_for(generation);
}

/// Asks for the previous period's figures; without one (comparing off,
/// "all time") there is nothing to show.
fn load_previous(previous: &mut Remote<Overview>, cx: &mut Ctx) {
    match cx.previous_filter() {
        Some(filter) => {
            let generation = cx.send(Pane::PreviousOverview, Query::PreviousOverview(filter));
            previous.wait_for(generation);
        }
        None => {
            *previous = Remote::default();
            previous.fresh = true;
        }
    }
}

/// Takes the previous period's figures asked for as `generation`, unless
/// stale.
pub(super) fn previous_answer(
    previous: &mut Remote<Overview>,
    generation: u64,
    result: Result<Answer, String>,
) {
    let result = unpack(result, |a| match a {
        Answer::PreviousOverview(o) => Some(o),
        _ => None,
    });
    previous.accept(generation, result);
}

/// Takes the answer to request `generation`, unless it is stale.
pub(super) fn answer(
    overview: &mut Remote<Overview>,
    generation: u64,
    result: Result<Answer, String>,
) {
    let result = unpack(result, |a| match a {
        Answer::Overview(o) => Some(o),
        _ => None,
    });
    overview.accept(generation, result);
}
