//! The Overview's state: one [`Remote`] of the headline figures, loaded when
//! the view is shown and out of date.

use super::context::Ctx;
use super::remote::{unpack, Remote};
use crate::worker::{Answer, Pane, Query};
use shared::store::query::Overview;

/// Loads the figures if the filter changed since they were fetched.
pub(super) fn ensure_loaded(overview: &mut Remote<Overview>, cx: &mut Ctx) {
    if !overview.fresh {
        load(overview, cx);
    }
}

fn load(overview: &mut Remote<Overview>, cx: &mut Ctx) {
    let generation = cx.send(Pane::Overview, Query::Overview(cx.query_filter()));
    overview.wait_for(generation);
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
