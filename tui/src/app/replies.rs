//! Answers from the query worker, routed by the [`Pane`] named in their
//! [`RequestId`](crate::worker::RequestId) to the state of the view that
//! asked.
//!
//! Staleness is the pane's call: it takes an answer only if its generation is
//! the one it still waits for. Asking again (a new filter, a moved window),
//! or a reset that stops waiting, moves that on, so the answer to a request
//! that was superseded is dropped — never shown, never mixed with newer data.

use super::{overview, App, View};
use crate::worker::{Loaded, Pane};

impl App {
    pub(super) fn loaded(&mut self, loaded: Loaded) {
        let Loaded { id, result } = loaded;
        let generation = id.generation;
        let view = self.view;
        let now = self.now;
        let mode = self.heat.mode;
        let (mut cx, views) = self.parts();
        match id.pane {
            Pane::Overview => overview::answer(views.overview, generation, result),
            Pane::PreviousOverview => {
                overview::previous_answer(views.previous_overview, generation, result)
            }
            Pane::PreviousPages => views.pages.previous_answer(generation, result),
            Pane::PageFrustration => views.pages.frustration_answer(generation, result),
            Pane::Paths => views.paths.answer(generation, result),
            Pane::Funnel => views.funnel.answer(generation, result),
            Pane::FlowSessions => self.flow_sessions_answer(generation, result),
            Pane::Sessions => views.sessions.answer(generation, result, cx.body),
            Pane::Journey => views.journey.answer(generation, result, &mut cx, mode),
            Pane::StepHeatmap => views.journey.heat_answer(generation, result),
            Pane::HeatPages => views.heat.pages_answer(generation, result),
            Pane::Heatmap => views.heat.map_answer(generation, result, cx.body),
            Pane::Pages => views.pages.answer(generation, result),
            Pane::MorePages => views.pages.more_answer(generation, result),
            Pane::Live => {
                if views
                    .live
                    .answer(generation, result, now, view == View::Live)
                {
                    self.auto_refresh();
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{update, Msg, PAGES_LIMIT};
    use super::*;
    use crate::keys::Action;
    use crate::worker::{Answer, Query, Request, RequestId};
    use shared::store::query::PageStats;

    fn answer(app: &mut App, id: RequestId, answer: Answer) {
        let loaded = Loaded {
            id,
            result: Ok(answer),
        };
        update(app, Msg::Loaded(Box::new(loaded)));
    }

    fn only(requests: Vec<Request>) -> Request {
        match <[Request; 1]>::try_from(requests) {
            Ok([request]) => request,
            Err(requests) => panic!("one request, not {requests:?}"),
        }
    }

    /// The requests but the one for quick backs and dead ends by page, which
    /// the Pages view sends beside its rows when it starts.
    fn without_frustration(requests: Vec<Request>) -> Vec<Request> {
        let (frustration, rest): (Vec<Request>, Vec<Request>) = requests
            .into_iter()
            .partition(|r| r.id.pane == Pane::PageFrustration);
        assert_eq!(frustration.len(), 1);
        rest
    }

    #[test]
    fn a_superseded_answer_is_dropped() {
        let mut app = App::new((100, 30), 0);
        // Without the previous period's queries beside them.
        app.compare = false;
        app.start(View::Pages);
        let first = only(without_frustration(app.take_requests()));
        assert_eq!(first.id.pane, Pane::Pages);
        // Sorting asks again before the first answer is in.
        update(&mut app, Msg::Action(Action::Sort));
        let second = only(app.take_requests());
        assert_eq!(second.id.pane, Pane::Pages);
        assert!(matches!(second.query, Query::Pages { .. }));

        answer(&mut app, first.id, Answer::Pages(Vec::new()));
        assert_eq!(app.pages.rows.data, None, "the old sort's rows are dropped");
        assert!(app.pages.rows.loading(), "still waiting for the new sort");

        answer(&mut app, second.id, Answer::Pages(Vec::new()));
        assert_eq!(app.pages.rows.data, Some(Vec::new()));
        assert!(!app.pages.rows.loading());
    }

    #[test]
    fn an_answer_goes_only_to_the_pane_its_id_names() {
        let mut app = App::new((100, 30), 0);
        // Without the previous period's queries beside them.
        app.compare = false;
        app.start(View::Overview);
        let overview = only(app.take_requests());
        // The same generation under another pane's name is not the
        // overview's answer, and that pane is not waiting for it.
        let elsewhere = RequestId {
            pane: Pane::Pages,
            ..overview.id
        };
        answer(&mut app, elsewhere, Answer::Pages(Vec::new()));
        assert_eq!(app.pages.rows.data, None);
        assert!(app.overview.loading());
    }

    #[test]
    fn a_reset_drops_the_next_chunk_in_flight() {
        let mut app = App::new((100, 30), 0);
        // Without the previous period's queries beside them.
        app.compare = false;
        app.start(View::Pages);
        let first = only(without_frustration(app.take_requests()));
        let chunk: Vec<_> = (0..PAGES_LIMIT)
            .map(|i| page(&format!("shop.example/p/{i}")))
            .collect();
        answer(&mut app, first.id, Answer::Pages(chunk));
        assert!(app.pages.more);
        update(&mut app, Msg::Action(Action::Bottom));
        let more = only(app.take_requests());
        assert_eq!(more.id.pane, Pane::MorePages);
        // A new sort starts the list again; the chunk belongs to the old one.
        update(&mut app, Msg::Action(Action::Sort));
        let again = only(app.take_requests());
        answer(
            &mut app,
            more.id,
            Answer::Pages(vec![page("shop.example/late")]),
        );
        assert_eq!(
            app.pages.rows.data.as_ref().map(Vec::len),
            Some(PAGES_LIMIT as usize),
            "the late chunk is not appended"
        );
        answer(&mut app, again.id, Answer::Pages(Vec::new()));
        assert_eq!(app.pages.rows.data, Some(Vec::new()));
    }

    fn page(key: &str) -> PageStats {
        PageStats {
            page: key.to_owned(),
            views: 1,
            visitors: 1,
            sessions: 1,
            clicks: 0,
            mean_scroll_depth: None,
            rage_clicks: 0,
        }
    }
}
