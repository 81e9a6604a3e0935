//! The query worker: a thread that owns the store reader and answers
//! [`Request`]s with [`Loaded`] messages over a channel (the console's
//! `Msg::Loaded`), so the UI never waits for the database.
//!
//! Each request carries a [`RequestId`] — the [`Pane`] that asked and a
//! generation — which the worker hands back untouched with the answer, so the
//! console routes the answer to the pane that asked without knowing anything
//! else about it.
//!
//! When several requests of the same kind queue up (fast scrolling, typing),
//! only the newest runs. A missing database is not fatal: every request
//! retries opening it and answers with the error until it exists.

use crate::heat_layout::{self, MapWithLayout};
use shared::page_key::PagePattern;
use shared::store::core::flows;
use shared::store::flow_query::{Funnel, FunnelQuery, PageFrustration, Paths, PathsQuery};
use shared::store::query::*;
use shared::store::{DbUrl, EventReader, StoreError};
use std::sync::mpsc::{Receiver, Sender};
use std::thread::JoinHandle;

/// Rows fetched by one live-tail poll.
pub const LIVE_BATCH: u32 = 200;

/// Rows of the previous period's page list, which the page list's change
/// column looks its pages up in (most viewed first).
pub const PREVIOUS_PAGES: u32 = 1_000;

/// What to fetch.
#[derive(Debug, Clone, PartialEq)]
pub enum Query {
    Overview(Filter),
    /// The overview of the period compared with (a kind of its own, so it
    /// never replaces the current period's query in the queue).
    PreviousOverview(Filter),
    Sessions {
        filter: Filter,
        sort: Sort<SessionSortKey>,
        page: PageRequest,
    },
    Journey(SessionRef),
    Pages {
        filter: Filter,
        pattern: Option<PagePattern>,
        sort: Sort<PageSortKey>,
        page: PageRequest,
    },
    /// The page list of the heatmap's picker (pages by clicks).
    HeatPages {
        filter: Filter,
        pattern: Option<PagePattern>,
    },
    /// The previous period's pages, by views, for the change column.
    PreviousPages {
        filter: Filter,
        pattern: Option<PagePattern>,
    },
    /// Quick backs and dead ends by page, for the Pages view.
    PageFrustration(Filter),
    Heatmap(HeatmapQuery),
    /// The heatmap compared with the range `range` (answered as
    /// [`Answer::Heatmap`], with its comparison).
    ComparedHeatmap {
        query: HeatmapQuery,
        range: TimeRange,
    },
    /// The heatmap beside a journey step.
    StepHeatmap(HeatmapQuery),
    /// The path tree.
    Paths(PathsQuery),
    /// The keys of the sessions that followed `path` of the tree.
    PathSessions {
        query: PathsQuery,
        path: Vec<String>,
    },
    /// A funnel's steps with their figures.
    Funnel(FunnelQuery),
    /// The keys of the sessions that reached step `step` or, when
    /// `dropped`, reached the one before it but not it.
    FunnelSessions {
        query: FunnelQuery,
        step: usize,
        dropped: bool,
    },
    /// Checks the change token; fetches the tail only when it moved.
    LivePoll {
        token: Option<u64>,
        cursor: Option<String>,
    },
}

impl Query {
    /// Requests of one kind replace each other while queued.
    fn kind(&self) -> std::mem::Discriminant<Query> {
        std::mem::discriminant(self)
    }
}

/// Which part of the console asked for a query; its answer goes back there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Pane {
    Overview,
    /// The loaded window of session rows.
    Sessions,
    /// The chosen session's steps.
    Journey,
    /// The heatmap beside the current journey step.
    StepHeatmap,
    /// The heatmap view's page picker.
    HeatPages,
    /// The heatmap view's map.
    Heatmap,
    /// The page list, from its first row.
    Pages,
    /// The page list's next chunk, appended to what is loaded.
    MorePages,
    /// The live view's poll of the change token and tail.
    Live,
    /// The overview of the period compared with.
    PreviousOverview,
    /// The previous period's page list.
    PreviousPages,
    /// Quick backs and dead ends by page.
    PageFrustration,
    /// The path tree.
    Paths,
    /// The funnel.
    Funnel,
    /// The sessions behind a path or a funnel step, for the Sessions view.
    FlowSessions,
}

/// Names a request and, handed back with it, its answer: the pane that asked
/// and the generation of the asking. A pane keeps the generation it waits
/// for; an answer with any other generation was superseded and is dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestId {
    pub pane: Pane,
    pub generation: u64,
}

/// A query with the id its answer will carry.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub id: RequestId,
    pub query: Query,
}

/// What came back.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    Overview(Overview),
    Sessions(SessionPage),
    Journey(Option<Journey>),
    Pages(Vec<PageStats>),
    HeatPages(Vec<PageStats>),
    /// The map with the layout it is drawn over (and its comparison, when
    /// asked).
    Heatmap(MapWithLayout),
    StepHeatmap(MapWithLayout),
    PreviousOverview(Overview),
    PreviousPages(Vec<PageStats>),
    PageFrustration(Vec<PageFrustration>),
    Paths(Paths),
    Funnel(Funnel),
    /// Sessions by the engine's keys, as [`Filter::sessions`] takes them.
    SessionKeys(Vec<String>),
    /// `tail` is `None` when nothing changed.
    Live {
        token: u64,
        tail: Option<LiveTail>,
    },
}

/// An answer (or the error) to request `id`.
#[derive(Debug, Clone, PartialEq)]
pub struct Loaded {
    pub id: RequestId,
    pub result: Result<Answer, String>,
}

/// Where the worker gets its reader from.
pub enum Source {
    Url(DbUrl),
    Reader(Box<dyn EventReader>),
}

/// Starts the worker. It stops when `requests` is closed or nobody listens
/// to `replies` any more.
pub fn spawn<M: From<Loaded> + Send + 'static>(
    source: Source,
    requests: Receiver<Request>,
    replies: Sender<M>,
) -> std::io::Result<JoinHandle<()>> {
    std::thread::Builder::new()
        .name("queries".into())
        .spawn(move || run(source, requests, replies))
}

fn run<M: From<Loaded>>(source: Source, requests: Receiver<Request>, replies: Sender<M>) {
    let (url, mut reader) = match source {
        Source::Url(url) => (Some(url), None),
        Source::Reader(reader) => (None, Some(reader)),
    };
    while let Ok(first) = requests.recv() {
        // Keep only the newest request of each kind.
        let mut batch: Vec<Request> = vec![first];
        while let Ok(next) = requests.try_recv() {
            batch.retain(|r| r.query.kind() != next.query.kind());
            batch.push(next);
        }
        for request in batch {
            if reader.is_none() {
                if let Some(url) = &url {
                    match url.open_reader() {
                        Ok(r) => reader = Some(r),
                        Err(error) => {
                            let reply = Loaded {
                                id: request.id,
                                result: Err(error.to_string()),
                            };
                            if replies.send(reply.into()).is_err() {
                                return;
                            }
                            continue;
                        }
                    }
                }
            }
            let Some(store) = reader.as_deref() else {
                return;
            };
            let result = execute(store, request.query).map_err(|e| e.to_string());
            let reply = Loaded {
                id: request.id,
                result,
            };
            if replies.send(reply.into()).is_err() {
                return;
            }
        }
    }
}

/// Runs one query.
pub fn execute(store: &dyn EventReader, query: Query) -> Result<Answer, StoreError> {
    Ok(match query {
        Query::Overview(filter) => Answer::Overview(store.overview(&filter)?),
        Query::Sessions { filter, sort, page } => {
            Answer::Sessions(store.sessions(&filter, sort, page)?)
        }
        Query::Journey(session) => Answer::Journey(store.journey(&session)?),
        Query::Pages {
            filter,
            pattern,
            sort,
            page,
        } => Answer::Pages(store.pages(&filter, pattern.as_ref(), sort, page)?),
        Query::HeatPages { filter, pattern } => Answer::HeatPages(store.pages(
            &filter,
            pattern.as_ref(),
            Sort {
                key: PageSortKey::Clicks,
                descending: true,
            },
            PageRequest::first(500),
        )?),
        Query::PreviousOverview(filter) => Answer::PreviousOverview(store.overview(&filter)?),
        Query::PageFrustration(filter) => {
            Answer::PageFrustration(flows::page_frustration(&store.steps(&filter)?))
        }
        Query::PreviousPages { filter, pattern } => Answer::PreviousPages(store.pages(
            &filter,
            pattern.as_ref(),
            Sort {
                key: PageSortKey::Views,
                descending: true,
            },
            PageRequest::first(PREVIOUS_PAGES),
        )?),
        Query::Heatmap(q) => Answer::Heatmap(heat_layout::with_layout_and_reach(store, &q, None)?),
        Query::ComparedHeatmap { query, range } => Answer::Heatmap(
            heat_layout::with_layout_and_reach(store, &query, Some(range))?,
        ),
        Query::StepHeatmap(q) => Answer::StepHeatmap(heat_layout::with_layout(store, &q)?),
        Query::Paths(q) => Answer::Paths(flows::paths(&store.steps(&q.filter)?, &q)),
        Query::PathSessions { query, path } => Answer::SessionKeys(flows::path_sessions(
            &store.steps(&query.filter)?,
            &query,
            &path,
        )),
        Query::Funnel(q) => Answer::Funnel(flows::funnel(&store.steps(&q.filter)?, &q)),
        Query::FunnelSessions {
            query,
            step,
            dropped,
        } => Answer::SessionKeys(flows::funnel_sessions(
            &store.steps(&query.filter)?,
            &query,
            step,
            dropped,
        )),
        Query::LivePoll { token, cursor } => {
            let now = store.change_token()?;
            let tail = if token == Some(now) && cursor.is_some() {
                None
            } else {
                Some(store.live_tail(cursor.as_deref(), LIVE_BATCH)?)
            };
            Answer::Live { token: now, tail }
        }
    })
}
