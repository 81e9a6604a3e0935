//! The Journey view's state and update: one session's events, stepped
//! through, and the heatmap of the current step's page beside them (asked
//! for the session's device width, so it shows what that visitor saw).

use super::context::Ctx;
use super::heatmap::split_layout;
use super::remote::{unpack, Remote};
use super::selection::{keep_visible, step_index};
use crate::heat_layout::DrawnOver;
use crate::layout;
use crate::widgets::heatmap::HeatMode;
use crate::worker::{Answer, Pane, Query};
use shared::event::DeviceClass;
use shared::page_key::PagePattern;
use shared::store::query::{
    Filter, Heatmap, HeatmapQuery, Journey, SessionRef, StoredEvent, WidthSegment,
};

#[derive(Debug, Clone, PartialEq, Default)]
pub struct JourneyState {
    pub target: Option<SessionRef>,
    pub data: Remote<Option<Journey>>,
    pub step: usize,
    pub scroll: usize,
    pub heat: Remote<Heatmap>,
    /// The layout the side heatmap is drawn over, fetched with it, and the
    /// step's map placed over it.
    pub heat_over: Option<DrawnOver>,
    /// The page key the side heatmap shows.
    pub heat_page: Option<String>,
    pub heat_columns: u32,
}

impl JourneyState {
    pub fn current(&self) -> Option<&StoredEvent> {
        self.data.data.as_ref()?.as_ref()?.steps.get(self.step)
    }

    pub(super) fn len(&self) -> usize {
        self.journey().map_or(0, |j| j.steps.len())
    }

    fn journey(&self) -> Option<&Journey> {
        self.data.data.as_ref().and_then(|j| j.as_ref())
    }

    /// Shows `session`, starting afresh unless it is the one already shown.
    pub(super) fn open(&mut self, session: SessionRef) {
        if self.target.as_ref() != Some(&session) {
            *self = Self {
                target: Some(session),
                ..Self::default()
            };
        }
        self.data.fresh = false;
    }

    /// Marks the steps and the step's heatmap out of date.
    pub(super) fn invalidate(&mut self) {
        self.data.fresh = false;
        self.heat.fresh = false;
    }

    pub(super) fn ensure_loaded(&mut self, cx: &mut Ctx) {
        if !self.data.fresh {
            self.load(cx);
        }
    }

    fn load(&mut self, cx: &mut Ctx) {
        if let Some(target) = self.target.clone() {
            let generation = cx.send(Pane::Journey, Query::Journey(target));
            self.data.wait_for(generation);
        }
    }

    /// Loads the heatmap of the current step's page if it changed (or the
    /// map's width in `mode` did).
    pub(super) fn load_step_heatmap(&mut self, cx: &mut Ctx, mode: HeatMode) {
        let Some(step) = self.current() else {
            return;
        };
        let page = step.event.page_key.clone();
        let site = step.site.clone();
        let device = self.journey().map(|j| j.session.client.device);
        let columns = mode.columns_for(layout::journey::map_area(cx.body).width);
        if self.heat_page.as_deref() == Some(page.as_str())
            && self.heat.fresh
            && self.heat_columns == columns
        {
            return;
        }
        let segment = match device {
            Some(DeviceClass::Mobile) => WidthSegment::Mobile,
            Some(DeviceClass::Tablet) => WidthSegment::Tablet,
            Some(DeviceClass::Desktop) => WidthSegment::Desktop,
            _ => WidthSegment::All,
        };
        let query = HeatmapQuery {
            pages: PagePattern::new(&page),
            filter: Filter {
                site: Some(site),
                ..Filter::default()
            },
            segment,
            columns,
        };
        let generation = cx.send(Pane::StepHeatmap, Query::StepHeatmap(query));
        self.heat.wait_for(generation);
        self.heat_page = Some(page);
        self.heat_columns = columns;
    }

    /// Takes the steps requested as `generation`, unless stale, and follows
    /// the (possibly clamped) current step's page.
    pub(super) fn answer(
        &mut self,
        generation: u64,
        result: Result<Answer, String>,
        cx: &mut Ctx,
        mode: HeatMode,
    ) {
        let result = unpack(result, |a| match a {
            Answer::Journey(j) => Some(j),
            _ => None,
        });
        if self.data.accept(generation, result) {
            self.step = self.step.min(self.len().saturating_sub(1));
            self.load_step_heatmap(cx, mode);
        }
    }

    /// Takes the step's heatmap requested as `generation`, unless stale.
    pub(super) fn heat_answer(&mut self, generation: u64, result: Result<Answer, String>) {
        let result = unpack(result, |a| match a {
            Answer::StepHeatmap(h) => Some(h),
            _ => None,
        });
        let (result, versions) = split_layout(result);
        if self.heat.accept(generation, result) {
            if let Some((versions, _, _)) = versions {
                // The journey draws the newest (and no scroll reach).
                self.heat_over = versions.into_iter().next();
            }
        }
    }

    pub(super) fn move_by(&mut self, delta: i64, cx: &mut Ctx, mode: HeatMode) {
        self.step = step_index(self.step, delta, self.len());
        let rows = layout::journey::visible_rows(cx.body) as usize;
        self.scroll = keep_visible(self.scroll, self.step, rows);
        self.load_step_heatmap(cx, mode);
    }
}
