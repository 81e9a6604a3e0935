//! The sessions behind a path of the Paths view or a funnel step, sent to
//! the Sessions view: the worker finds their keys (the same steps the tree or
//! the funnel was built from), then they become the filter's chosen sessions
//! ([`Filter::sessions`](shared::store::query::Filter::sessions)) with a chip
//! that says where they came from, as the page cross-filter does.

use super::{App, Status, View};
use crate::text::{path_of, safe};
use crate::worker::{Answer, Pane, Query};

/// How a path is written in its chip.
const PATH_SEPARATOR: &str = " › ";

impl App {
    /// `c` in Paths: the sessions that followed the selected path.
    pub(super) fn path_to_sessions(&mut self) {
        let Some(path) = self.paths.selected_path() else {
            return;
        };
        let query = {
            let (cx, views) = self.parts();
            views.paths.query(&cx)
        };
        let label = path
            .iter()
            .map(|p| safe(path_of(p)))
            .collect::<Vec<_>>()
            .join(PATH_SEPARATOR);
        self.ask_sessions(Query::PathSessions { query, path }, ("path", label));
    }

    /// `c` in Funnel: the sessions that reached the selected step; `d`
    /// (`dropped`): those that reached the step before it but not it.
    pub(super) fn step_to_sessions(&mut self, dropped: bool) {
        let step = self.funnel.selected;
        if !self.funnel.ready() || step >= self.funnel.steps.len() {
            self.status = Some(Status {
                text: "a funnel needs two steps first (a adds one)".into(),
                error: true,
            });
            return;
        }
        if dropped && step == 0 {
            self.status = Some(Status {
                text: "nobody drops before the first step; d on a later one".into(),
                error: true,
            });
            return;
        }
        let query = {
            let (cx, views) = self.parts();
            views.funnel.query(&cx)
        };
        let name = safe(&self.funnel.steps[step].to_string());
        let chip = if dropped {
            ("dropped at", format!("{} {name}", step + 1))
        } else {
            ("reached", format!("{} {name}", step + 1))
        };
        let query = Query::FunnelSessions {
            query,
            step,
            dropped,
        };
        self.ask_sessions(query, chip);
    }

    fn ask_sessions(&mut self, query: Query, chip: (&'static str, String)) {
        let generation = self.outbox.send(Pane::FlowSessions, query);
        self.flow_pending = Some((generation, chip));
    }

    /// The keys asked for as `generation` came back: the Sessions view shows
    /// those sessions.
    pub(super) fn flow_sessions_answer(&mut self, generation: u64, result: Result<Answer, String>) {
        let Some((pending, chip)) = self.flow_pending.take() else {
            return;
        };
        if pending != generation {
            self.flow_pending = Some((pending, chip));
            return;
        }
        match result {
            Ok(Answer::SessionKeys(keys)) => {
                self.filter.sessions = Some(keys);
                self.sessions_chip = Some(chip);
                self.filter_changed();
                self.show(View::Sessions);
            }
            Ok(_) => self.status = Some(error_status("unexpected answer".into())),
            Err(error) => self.status = Some(error_status(error)),
        }
    }
}

fn error_status(text: String) -> Status {
    Status { text, error: true }
}
