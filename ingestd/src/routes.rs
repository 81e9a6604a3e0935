//! HTTP routing and the request handlers.
//!
//! `POST /api/events`, in order: client address (trusted proxies) → per-IP
//! rate limit (`429`) → compressed bodies refused (`415`) → declared length
//! (`413`) → body read under a size limit and a timeout (`413`, `408`) →
//! parse and validate (`400`) → site and origin (`403`) → bots (`403`, every
//! event rejected as `bot`) → page hosts of the site (per event) → cookieless
//! visitor id → commit queue (`503`) → `200` after the commit.
//!
//! Before any route: the `Host` rule (`400`, [`crate::host_header`]). Every
//! answer given before the body is read to its end hands the body to
//! [`crate::refused_body`], which drains it so proxies see the answer.

use crate::assets::{Asset, Assets};
use crate::bots::BotFilter;
use crate::client_ip::TrustedProxies;
use crate::cookieless::VisitorHasher;
use crate::host_header;
use crate::metrics::{Metrics, RequestRejection};
use crate::queue::{CommitQueue, QueueError};
use crate::rate_limit::{RateLimiter, Verdict};
use crate::refused_body;
use crate::reject_log::RejectLog;
use crate::sites::{SiteCheck, SiteRules};
use crate::Config;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use shared::contract::{ErrorReply, IngestReply, RejectedEvent};
use shared::page_key::QueryKeepList;
use shared::user_agent::ClientHints;
use shared::validate::{self, BatchError, EventRejection, Rejection, RequestContext};
use std::convert::Infallible;
use std::future::Future;
use std::net::IpAddr;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub type Body = Full<Bytes>;

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
}

impl AppState {
    pub fn new(
        config: &Config,
        sites: SiteRules,
        queue: CommitQueue,
        metrics: Arc<Metrics>,
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
        }
    }

    /// Counts and logs a refused request (`site` once the body named one).
    fn refuse(
        &self,
        reason: RequestRejection,
        site: Option<&str>,
        response: Response<Body>,
    ) -> Response<Body> {
        self.metrics.request_rejected(reason);
        self.reject_log
            .request(reason.label(), response.status().as_u16(), site);
        response
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
        return ingest(state, peer, &request, body).await;
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
        Route::Events => preflight(state, request),
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

/// Serves an embedded file: gzip when accepted, `304` when the ETag matches.
fn asset<B>(file: &Asset, request: &Request<B>) -> Response<Body> {
    let headers = request.headers();
    let not_modified = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|tags| {
            tags.split(',')
                .any(|t| t.trim() == file.etag || t.trim() == "*")
        });
    let accepts_gzip = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(accepts_gzip);
    let mut response = if not_modified {
        respond(StatusCode::NOT_MODIFIED, file.content_type, Bytes::new())
    } else if accepts_gzip {
        let mut r = respond(StatusCode::OK, file.content_type, file.gzip.clone());
        r.headers_mut()
            .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        r
    } else {
        respond(StatusCode::OK, file.content_type, file.plain.clone())
    };
    let h = response.headers_mut();
    h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(file.cache_control),
    );
    if let Ok(etag) = HeaderValue::from_str(&file.etag) {
        h.insert(header::ETAG, etag);
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

/// Whether an `Accept-Encoding` value allows gzip (`q=0` refuses it).
fn accepts_gzip(value: &str) -> bool {
    value.split(',').any(|part| {
        let mut pieces = part.split(';');
        let coding = pieces.next().unwrap_or("").trim();
        let refused = pieces.any(|p| {
            p.trim()
                .strip_prefix("q=")
                .and_then(|q| q.trim().parse::<f32>().ok())
                .is_some_and(|q| q == 0.0)
        });
        (coding.eq_ignore_ascii_case("gzip") || coding == "*") && !refused
    })
}

fn respond(status: StatusCode, content_type: &'static str, body: Bytes) -> Response<Body> {
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

fn json<T: serde::Serialize>(status: StatusCode, value: &T) -> Response<Body> {
    let body = serde_json::to_vec(value).unwrap_or_else(|_| b"{}".to_vec());
    let mut response = respond(status, "application/json", Bytes::from(body));
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn error(status: StatusCode, message: &str) -> Response<Body> {
    error_with(status, message, Vec::new())
}

fn error_with(status: StatusCode, message: &str, rejected: Vec<RejectedEvent>) -> Response<Body> {
    json(
        status,
        &ErrorReply {
            error: message.to_owned(),
            rejected,
        },
    )
}

fn retry_after(mut response: Response<Body>, seconds: u64) -> Response<Body> {
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(seconds.max(1)));
    response
}

fn method_not_allowed(allow: &'static str) -> Response<Body> {
    let mut response = error(StatusCode::METHOD_NOT_ALLOWED, "method not allowed");
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static(allow));
    response
}

fn origin_of<B>(request: &Request<B>) -> Option<&str> {
    request
        .headers()
        .get(header::ORIGIN)
        .and_then(|o| o.to_str().ok())
        .filter(|o| *o != "null")
}

/// Adds CORS headers, echoing `origin` when `allowed`. No credentials, ever.
fn with_cors(origin: Option<&str>, allowed: bool, mut response: Response<Body>) -> Response<Body> {
    let headers = response.headers_mut();
    headers.insert(header::VARY, HeaderValue::from_static("Origin"));
    if let Some(origin) = origin.filter(|_| allowed) {
        if let Ok(value) = HeaderValue::from_str(origin) {
            headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
            // Lets a cross-origin tracker honour Retry-After on 429 and 503.
            headers.insert(
                header::ACCESS_CONTROL_EXPOSE_HEADERS,
                HeaderValue::from_static("Retry-After"),
            );
        }
    }
    response
}

fn preflight<B>(state: &AppState, request: &Request<B>) -> Response<Body> {
    let origin = origin_of(request);
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = StatusCode::NO_CONTENT;
    let allowed = origin.is_some_and(|o| state.sites.origin_allowed(o));
    let mut response = with_cors(origin, allowed, response);
    if allowed {
        let headers = response.headers_mut();
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static("POST, OPTIONS"),
        );
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static("Content-Type"),
        );
        headers.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static("86400"),
        );
    }
    response
}

async fn ingest(
    state: &AppState,
    peer: IpAddr,
    request: &Request<()>,
    body: Incoming,
) -> Response<Body> {
    let origin = origin_of(request);
    let (response, site_check) = ingest_inner(state, peer, request, body, origin).await;
    // Before the site is known, echo any origin some site accepts, so that a
    // browser can read the error; after, only origins that site accepts.
    let allowed = match site_check {
        Some(check) => check == SiteCheck::Allowed,
        None => origin.is_some_and(|o| state.sites.origin_allowed(o)),
    };
    with_cors(origin, allowed, response)
}

async fn ingest_inner(
    state: &AppState,
    peer: IpAddr,
    request: &Request<()>,
    mut body: Incoming,
    origin: Option<&str>,
) -> (Response<Body>, Option<SiteCheck>) {
    let before_site = |reason, response| (state.refuse(reason, None, response), None);
    let headers = request.headers();
    let forwarded_for = headers
        .get_all("x-forwarded-for")
        .iter()
        .map(|v| v.to_str().unwrap_or(""));
    let client = state.proxies.client_ip(peer, forwarded_for);
    // Refusals from the headers alone drain the body: see `refused_body`.
    let refuse_unread = |body| refused_body::discard_unread(body, headers, state.body_timeout);
    if let Verdict::Limited(wait) = state.limiter.check(client, Instant::now()) {
        refuse_unread(body);
        let seconds = wait.as_secs_f64().ceil() as u64;
        return before_site(
            RequestRejection::RateLimited,
            retry_after(
                error(
                    StatusCode::TOO_MANY_REQUESTS,
                    "too many requests from this address; retry later",
                ),
                seconds,
            ),
        );
    }
    // Compressed bodies are not accepted, so a small compressed body can
    // never expand into a large one here.
    let encoded = headers
        .get(header::CONTENT_ENCODING)
        .is_some_and(|v| !v.as_bytes().eq_ignore_ascii_case(b"identity"));
    if encoded {
        refuse_unread(body);
        return before_site(
            RequestRejection::UnsupportedEncoding,
            error(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "compressed bodies are not accepted; send the JSON uncompressed",
            ),
        );
    }
    let too_large = || {
        before_site(
            RequestRejection::BodyTooLarge,
            error(
                StatusCode::PAYLOAD_TOO_LARGE,
                &format!(
                    "body is larger than {} bytes; send fewer events per request",
                    state.max_body
                ),
            ),
        )
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > state.max_body as u64) {
        refuse_unread(body);
        return too_large();
    }
    // Read lossily: one non-ASCII byte must not make the agent "missing".
    let user_agent = headers
        .get(header::USER_AGENT)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let hint = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let (brands, mobile, platform) = (
        hint("sec-ch-ua"),
        hint("sec-ch-ua-mobile"),
        hint("sec-ch-ua-platform"),
    );

    let body = match read_body(&mut body, declared, state).await {
        Ok(body) => body,
        Err(BodyError::TooLarge) => {
            refused_body::discard_rest(body, state.body_timeout);
            return too_large();
        }
        Err(BodyError::Read(e)) => {
            return before_site(
                RequestRejection::Malformed,
                error(
                    StatusCode::BAD_REQUEST,
                    &format!("could not read the request body: {e}"),
                ),
            );
        }
        Err(BodyError::Timeout) => {
            return before_site(
                RequestRejection::BodyTimeout,
                error(
                    StatusCode::REQUEST_TIMEOUT,
                    "the request body did not arrive in time",
                ),
            );
        }
    };

    // Under overload the excess is refused before it is parsed, so that it
    // costs the daemon little more than reading it.
    if state.queue.looks_full(body.len()) {
        return before_site(RequestRejection::QueueFull, queue_full());
    }

    let received_at = shared::now_ms();
    let ctx = RequestContext {
        user_agent: user_agent.as_deref(),
        client_hints: ClientHints {
            brands: brands.as_deref(),
            mobile: mobile.as_deref(),
            platform: platform.as_deref(),
        },
        received_at,
        keep_query: &state.keep_query,
    };
    let mut prepared = match validate::prepare(&body, &ctx) {
        Ok(prepared) => prepared,
        Err(BatchError::NothingValid { site, rejected }) => {
            return (nothing_valid(state, &site, rejected), None);
        }
        Err(error) => {
            return before_site(
                RequestRejection::Malformed,
                error_with(StatusCode::BAD_REQUEST, &error.to_string(), Vec::new()),
            );
        }
    };
    let site = prepared.batch.site.clone();
    let site_check = state.sites.check(&site, origin);
    let refused = match site_check {
        SiteCheck::Allowed => None,
        SiteCheck::UnknownSite => Some((
            RequestRejection::UnknownSite,
            error(StatusCode::FORBIDDEN, "unknown site key"),
        )),
        SiteCheck::OriginNotAllowed => Some((
            RequestRejection::OriginNotAllowed,
            error(
                StatusCode::FORBIDDEN,
                "this origin may not send events for this site",
            ),
        )),
    };
    if let Some((reason, response)) = refused {
        return (
            state.refuse(reason, Some(&site), response),
            Some(site_check),
        );
    }

    if let Some(reason) = state.bots.classify(user_agent.as_deref()) {
        state.bots.count(reason);
        prepared.reject_where(|_| Some(EventRejection::Bot(reason.label())));
        state.reject_events(Some(&site), &prepared.rejected);
        let response = error_with(
            StatusCode::FORBIDDEN,
            &format!("requests from bots are not recorded ({})", reason.label()),
            prepared.rejected.iter().map(Rejection::to_wire).collect(),
        );
        return (
            state.refuse(RequestRejection::Bot, Some(&site), response),
            Some(site_check),
        );
    }

    prepared.reject_where(|event| {
        state
            .sites
            .page_allowed(&site, &event.url)
            .err()
            .map(EventRejection::HostNotAllowed)
    });
    if prepared.is_empty() {
        let rejected = std::mem::take(&mut prepared.rejected);
        return (nothing_valid(state, &site, rejected), Some(site_check));
    }

    if state.sites.cookieless(&site) {
        let ua = user_agent.as_deref().unwrap_or("");
        match state.visitors.visitor_id(&site, client, ua, received_at) {
            Ok(id) => prepared.batch.visitor_id = id,
            Err(e) => {
                tracing::error!(error = %e, "cookieless visitor id");
                let response = retry_after(
                    error(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "nothing was stored: no visitor id could be made",
                    ),
                    5,
                );
                return (
                    state.refuse(RequestRejection::StoreFailed, Some(&site), response),
                    Some(site_check),
                );
            }
        }
    }
    (
        commit(state, &site, prepared, body.len()).await,
        Some(site_check),
    )
}

/// The `400` for a batch without one valid event, with each event's reason.
fn nothing_valid(state: &AppState, site: &str, rejected: Vec<Rejection>) -> Response<Body> {
    state.reject_events(Some(site), &rejected);
    let wire = rejected.iter().map(Rejection::to_wire).collect();
    let message = format!("no valid event in the batch ({} rejected)", rejected.len());
    state.refuse(
        RequestRejection::NothingValid,
        Some(site),
        error_with(StatusCode::BAD_REQUEST, &message, wire),
    )
}

enum BodyError {
    TooLarge,
    Timeout,
    Read(String),
}

/// Reads a body of at most the state's limit into one buffer, allocated
/// once: of the declared length, or of the limit for a chunked body (so it
/// never grows by reallocation), under the body timeout. The limit is checked
/// per frame, so an endless chunked body stops at the limit.
async fn read_body(
    body: &mut Incoming,
    declared: Option<u64>,
    state: &AppState,
) -> Result<Vec<u8>, BodyError> {
    let max = state.max_body;
    let read = async {
        let capacity = declared.map_or(max, |d| usize::try_from(d).unwrap_or(max).min(max));
        let mut buffer = Vec::with_capacity(capacity);
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|e| BodyError::Read(e.to_string()))?;
            if let Ok(data) = frame.into_data() {
                if buffer.len() + data.len() > max {
                    return Err(BodyError::TooLarge);
                }
                buffer.extend_from_slice(&data);
            }
        }
        Ok(buffer)
    };
    tokio::time::timeout(state.body_timeout, read)
        .await
        .unwrap_or(Err(BodyError::Timeout))
}

/// 503: the commit queue is at its bound.
fn queue_full() -> Response<Body> {
    retry_after(
        error(
            StatusCode::SERVICE_UNAVAILABLE,
            "the server is busy; nothing was stored, retry later",
        ),
        1,
    )
}

/// Queues a validated batch and answers once it is committed (or not).
async fn commit(
    state: &AppState,
    site: &str,
    prepared: validate::PreparedBatch,
    body_len: usize,
) -> Response<Body> {
    let metrics = &state.metrics;
    let refuse = |reason, response| state.refuse(reason, Some(site), response);

    let valid = prepared.batch.events.len();
    metrics
        .events_received
        .fetch_add((valid + prepared.rejected.len()) as u64, Relaxed);
    state.count_rejected_events(Some(site), &prepared.rejected);
    let reply = match state.queue.submit(prepared.batch, body_len) {
        Ok(reply) => reply,
        Err(QueueError::Full) => {
            return refuse(RequestRejection::QueueFull, queue_full());
        }
        Err(QueueError::Closed) => {
            return refuse(
                RequestRejection::QueueFull,
                retry_after(
                    error(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "the server is shutting down; nothing was stored",
                    ),
                    5,
                ),
            );
        }
    };
    let Ok(reply) = tokio::time::timeout(state.commit_timeout, reply).await else {
        return refuse(
            RequestRejection::CommitTimeout,
            retry_after(
                error(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "the commit was not confirmed in time; it may still complete, and resending is safe (each event id is stored once)",
                ),
                2,
            ),
        );
    };
    match reply {
        Ok(Ok(outcome)) => {
            metrics.events_accepted.fetch_add(valid as u64, Relaxed);
            metrics
                .events_duplicate
                .fetch_add(outcome.duplicates as u64, Relaxed);
            metrics.request_events.observe(valid as f64);
            json(
                StatusCode::OK,
                &IngestReply {
                    accepted: valid,
                    duplicates: outcome.duplicates,
                    rejected: prepared.rejected.iter().map(|r| r.to_wire()).collect(),
                },
            )
        }
        Ok(Err(e)) => refuse(
            RequestRejection::StoreFailed,
            retry_after(
                error(
                    StatusCode::SERVICE_UNAVAILABLE,
                    &format!("nothing was stored: {e}"),
                ),
                2,
            ),
        ),
        Err(_) => refuse(
            RequestRejection::StoreFailed,
            retry_after(
                error(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "nothing was stored: the writer stopped",
                ),
                2,
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::accepts_gzip;

    #[test]
    fn reads_accept_encoding() {
        assert!(accepts_gzip("gzip, deflate, br"));
        assert!(accepts_gzip("br;q=1.0, gzip;q=0.8"));
        assert!(accepts_gzip("*"));
        assert!(!accepts_gzip("gzip;q=0"));
        assert!(!accepts_gzip("br, identity"));
    }
}
