//! HTTP routing and the request handlers.
//!
//! `POST /api/events`, in order: client address (trusted proxies) → per-IP
//! rate limit (`429`) → compressed bodies refused (`415`) → declared length
//! (`413`) → body read under a size limit and a timeout (`413`, `408`) →
//! parse and validate (`400`) → site and origin (`403`) → bots (`403`, every
//! event rejected as `bot`) → page hosts of the site (per event) → layout
//! capture of the site (per layout snapshot) → cookieless visitor id → commit
//! queue (`503`) → `200` after the commit, asking for a layout snapshot when
//! the page wants one ([`crate::layouts`]).
//!
//! Every refusal on that path is a [`Refusal`], counted, logged and answered
//! by `AppState::refuse` alone. Before any route: the `Host` rule (`400`,
//! [`crate::host_header`]). Every answer given before the body is read to its
//! end hands the body to [`crate::refused_body`], which drains it so proxies
//! see the answer.
//!
//! This module holds the shared state, the route table and dispatch; the
//! submodules hold `POST /api/events` (`ingest`, with `body` reading the
//! body), CORS (`cors`) and the embedded files (`static_files`).

mod body;
mod cors;
mod ingest;
mod static_files;

use crate::assets::Assets;
use crate::bots::BotFilter;
use crate::client_ip::TrustedProxies;
use crate::cookieless::VisitorHasher;
use crate::host_header;
pub use crate::http_reply::Body;
use crate::http_reply::{error, respond};
use crate::layouts::LayoutWanted;
use crate::metrics::Metrics;
use crate::queue::CommitQueue;
use crate::rate_limit::RateLimiter;
use crate::refusal::Refusal;
use crate::refused_body;
use crate::reject_log::RejectLog;
use crate::sites::SiteRules;
use crate::Config;
use bytes::Bytes;
use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use shared::page_key::QueryKeepList;
use shared::validate::Rejection;
use static_files::asset;
use std::convert::Infallible;
use std::future::Future;
use std::net::IpAddr;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::Duration;

/// Everything a request handler needs, shared by all connections.
pub struct AppState {
    pub queue: CommitQueue,
    pub metrics: Arc<Metrics>,
    sites: SiteRules,
    limiter: RateLimiter,
    proxies: TrustedProxies,
    bots: BotFilter,
    visitors: VisitorHasher,
    keep_query: QueryKeepList,
    max_body: usize,
    body_timeout: Duration,
    commit_timeout: Duration,
    openapi: Bytes,
    assets: Assets,
    reject_log: RejectLog,
    /// What is known of the pages' layout snapshots.
    layouts: Arc<dyn LayoutWanted>,
}

impl AppState {
    pub fn new(
        config: &Config,
        sites: SiteRules,
        queue: CommitQueue,
        metrics: Arc<Metrics>,
        layouts: Arc<dyn LayoutWanted>,
    ) -> Self {
        // Before the first request, not during it.
        shared::user_agent::prepare();
        Self {
            queue,
            metrics,
            sites,
            limiter: RateLimiter::new(config.rate_limit, config.rate_burst),
            proxies: TrustedProxies::new(&config.trusted_proxies),
            bots: BotFilter::default(),
            visitors: VisitorHasher::default(),
            keep_query: config.keep_list(),
            max_body: shared::limits::MAX_BODY_BYTES,
            body_timeout: config.body_timeout(),
            commit_timeout: config.commit_timeout(),
            openapi: Bytes::from(shared::contract::openapi().to_string()),
            assets: Assets::default(),
            reject_log: RejectLog::default(),
            layouts,
        }
    }

    /// Counts and logs a refused request (`site` once the body named one),
    /// then answers it: the one way a refusal reaches a client.
    fn refuse(&self, refusal: Refusal, site: Option<&str>) -> Response<Body> {
        let reason = refusal.reason();
        self.metrics.request_rejected(reason);
        self.reject_log
            .request(reason.label(), refusal.status().as_u16(), site);
        refusal.into_response()
    }

    /// Counts and logs events rejected before reaching the queue.
    fn reject_events(&self, site: Option<&str>, rejected: &[Rejection]) {
        self.metrics
            .events_received
            .fetch_add(rejected.len() as u64, Relaxed);
        self.count_rejected_events(site, rejected);
    }

    /// Counts and logs rejected events by reason (receipt counted elsewhere).
    fn count_rejected_events(&self, site: Option<&str>, rejected: &[Rejection]) {
        for r in rejected {
            self.metrics.event_rejected(r.reason.reject_code());
        }
        self.reject_log.events(site, rejected);
    }
}

/// The hyper service for one connection from `peer`.
pub fn service(
    state: Arc<AppState>,
    peer: IpAddr,
) -> impl hyper::service::Service<
    Request<Incoming>,
    Response = Response<Body>,
    Error = Infallible,
    Future = impl Future<Output = Result<Response<Body>, Infallible>> + Send,
> + Clone {
    hyper::service::service_fn(move |request| {
        let state = Arc::clone(&state);
        async move { Ok(handle(&state, peer, request).await) }
    })
}

/// Every route and the methods it takes: one table drives dispatch and the
/// `Allow` header of its `405`, so the two cannot drift apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route<'a> {
    Events,
    Health,
    Metrics,
    OpenApi,
    Tracker,
    Layout,
    DemoRoot,
    Demo(&'a str),
}

impl<'a> Route<'a> {
    fn of(path: &'a str) -> Option<Self> {
        Some(match path {
            "/api/events" => Self::Events,
            "/healthz" => Self::Health,
            "/metrics" => Self::Metrics,
            "/openapi.json" => Self::OpenApi,
            "/tracker.js" => Self::Tracker,
            "/layout.js" => Self::Layout,
            "/demo" => Self::DemoRoot,
            p => Self::Demo(p.strip_prefix("/demo/")?),
        })
    }

    /// The methods this route answers, as the `Allow` header lists them.
    /// HEAD goes wherever GET does (hyper sends the headers without the body).
    fn allow(self) -> &'static str {
        match self {
            Self::Events => "POST, OPTIONS",
            _ => "GET, HEAD",
        }
    }

    fn allows(self, method: &Method) -> bool {
        self.allow().split(", ").any(|m| m == method.as_str())
    }
}

async fn handle(state: &AppState, peer: IpAddr, request: Request<Incoming>) -> Response<Body> {
    state.metrics.requests.fetch_add(1, Relaxed);
    let (parts, body) = request.into_parts();
    let request = Request::from_parts(parts, ());
    let route = Route::of(request.uri().path());
    let response = if let Err(e) = host_header::check(request.version(), request.headers()) {
        error(StatusCode::BAD_REQUEST, &e.to_string())
    } else if route == Some(Route::Events) && request.method() == Method::POST {
        // The only handler that reads the body; it drains what it refuses.
        return ingest::ingest(state, peer, &request, body).await;
    } else {
        answer(state, route, &request)
    };
    refused_body::discard_unread(body, request.headers(), state.body_timeout);
    response
}

/// Every answer that does not read the request body.
fn answer(state: &AppState, route: Option<Route>, request: &Request<()>) -> Response<Body> {
    let Some(route) = route else {
        return error(
            StatusCode::NOT_FOUND,
            "no such route; events go to POST /api/events",
        );
    };
    if !route.allows(request.method()) {
        return method_not_allowed(route.allow());
    }
    match route {
        Route::Events => cors::preflight(state, request),
        Route::Health => respond(
            StatusCode::OK,
            "text/plain; charset=utf-8",
            Bytes::from_static(b"ok\n"),
        ),
        Route::Metrics => {
            let mut text = state.metrics.render();
            state.bots.render(&mut text);
            respond(
                StatusCode::OK,
                "text/plain; version=0.0.4; charset=utf-8",
                Bytes::from(text),
            )
        }
        Route::OpenApi => respond(StatusCode::OK, "application/json", state.openapi.clone()),
        Route::Tracker => asset(&state.assets.tracker, request),
        Route::Layout => asset(&state.assets.layout, request),
        Route::DemoRoot => redirect("/demo/"),
        Route::Demo(file) => match state.assets.demo(file) {
            Some(file) => asset(file, request),
            None => error(StatusCode::NOT_FOUND, "no such page in the demo site"),
        },
    }
}

/// A `301` with a short text body: a non-empty body keeps `Content-Length` in
/// the answer to HEAD too (hyper leaves out an implicit zero there).
fn redirect(location: &'static str) -> Response<Body> {
    let mut response = respond(
        StatusCode::MOVED_PERMANENTLY,
        "text/plain; charset=utf-8",
        Bytes::from(format!("moved to {location}\n")),
    );
    response
        .headers_mut()
        .insert(header::LOCATION, HeaderValue::from_static(location));
    response
}

fn method_not_allowed(allow: &'static str) -> Response<Body> {
    let mut response = error(StatusCode::METHOD_NOT_ALLOWED, "method not allowed");
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static(allow));
    response
}
