//! HTTP routing and the request handlers.
//!
//! `POST /api/events`, in order: client address (trusted proxies) → per-IP
//! rate limit (`429`) → compressed bodies refused (`415`) → declared length
//! (`413`) → body read under a size limit and a timeout (`413`, `408`) →
//! parse and validate (`400`) → site and origin (`403`) → bots (`403`, every
//! event rejected as `bot`) → page hosts of the site (per event) → cookieless
//! visitor id → commit queue (`503`) → `200` after the commit.

use crate::assets::{Asset, Assets};
use crate::bots::BotFilter;
use crate::client_ip::TrustedProxies;
use crate::cookieless::VisitorHasher;
use crate::metrics::{Metrics, RequestRejection};
use crate::queue::{CommitQueue, QueueError};
use crate::rate_limit::{RateLimiter, Verdict};
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
}

impl AppState {
    pub fn new(
        config: &Config,
        sites: SiteRules,
        queue: CommitQueue,
        metrics: Arc<Metrics>,
    ) -> Self {
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
        }
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

async fn handle(state: &AppState, peer: IpAddr, request: Request<Incoming>) -> Response<Body> {
    state.metrics.requests.fetch_add(1, Relaxed);
    let path = request.uri().path();
    match (request.method(), path) {
        (&Method::POST, "/api/events") => ingest(state, peer, request).await,
        (&Method::OPTIONS, "/api/events") => preflight(state, &request),
        (_, "/api/events") => method_not_allowed("POST, OPTIONS"),
        (&Method::GET | &Method::HEAD, "/healthz") => respond(
            StatusCode::OK,
            "text/plain; charset=utf-8",
            Bytes::from_static(b"ok\n"),
        ),
        (&Method::GET, "/metrics") => {
            let mut text = state.metrics.render();
            state.bots.render(&mut text);
            respond(
                StatusCode::OK,
                "text/plain; version=0.0.4; charset=utf-8",
                Bytes::from(text),
            )
        }
        (&Method::GET, "/openapi.json") => {
            respond(StatusCode::OK, "application/json", state.openapi.clone())
        }
        (&Method::GET | &Method::HEAD, "/tracker.js") => asset(&state.assets.tracker, &request),
        (&Method::GET | &Method::HEAD, "/demo") => redirect("/demo/"),
        (&Method::GET | &Method::HEAD, p) if p.starts_with("/demo/") => {
            match state.assets.demo(&p["/demo/".len()..]) {
                Some(file) => asset(file, &request),
                None => error(StatusCode::NOT_FOUND, "no such page in the demo site"),
            }
        }
        (_, "/healthz" | "/metrics" | "/openapi.json" | "/tracker.js") => method_not_allowed("GET"),
        _ => error(
            StatusCode::NOT_FOUND,
            "no such route; events go to POST /api/events",
        ),
    }
}

fn redirect(location: &'static str) -> Response<Body> {
    let mut response = respond(
        StatusCode::MOVED_PERMANENTLY,
        "text/plain; charset=utf-8",
        Bytes::new(),
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

async fn ingest(state: &AppState, peer: IpAddr, request: Request<Incoming>) -> Response<Body> {
    let origin = origin_of(&request).map(str::to_owned);
    let (response, site_check) = ingest_inner(state, peer, request, origin.as_deref()).await;
    // Before the site is known, echo any origin some site accepts, so that a
    // browser can read the error; after, only origins that site accepts.
    let allowed = match site_check {
        Some(check) => check == SiteCheck::Allowed,
        None => origin
            .as_deref()
            .is_some_and(|o| state.sites.origin_allowed(o)),
    };
    with_cors(origin.as_deref(), allowed, response)
}

async fn ingest_inner(
    state: &AppState,
    peer: IpAddr,
    request: Request<Incoming>,
    origin: Option<&str>,
) -> (Response<Body>, Option<SiteCheck>) {
    let metrics = &state.metrics;
    let before_site = |response| (response, None);
    let headers = request.headers();
    let forwarded_for = headers
        .get_all("x-forwarded-for")
        .iter()
        .map(|v| v.to_str().unwrap_or(""));
    let client = state.proxies.client_ip(peer, forwarded_for);
    if let Verdict::Limited(wait) = state.limiter.check(client, Instant::now()) {
        metrics.request_rejected(RequestRejection::RateLimited);
        let seconds = wait.as_secs_f64().ceil() as u64;
        return before_site(retry_after(
            error(
                StatusCode::TOO_MANY_REQUESTS,
                "too many requests from this address; retry later",
            ),
            seconds,
        ));
    }
    // Compressed bodies are not accepted, so a small compressed body can
    // never expand into a large one here.
    let encoded = headers
        .get(header::CONTENT_ENCODING)
        .is_some_and(|v| !v.as_bytes().eq_ignore_ascii_case(b"identity"));
    if encoded {
        metrics.request_rejected(RequestRejection::UnsupportedEncoding);
        return before_site(error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "compressed bodies are not accepted; send the JSON uncompressed",
        ));
    }
    let too_large = || {
        metrics.request_rejected(RequestRejection::BodyTooLarge);
        error(
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!(
                "body is larger than {} bytes; send fewer events per request",
                state.max_body
            ),
        )
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > state.max_body as u64) {
        return before_site(too_large());
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

    let body = match read_body(request.into_body(), declared, state).await {
        Ok(body) => body,
        Err(BodyError::TooLarge) => return before_site(too_large()),
        Err(BodyError::Read(e)) => {
            metrics.request_rejected(RequestRejection::Malformed);
            return before_site(error(
                StatusCode::BAD_REQUEST,
                &format!("could not read the request body: {e}"),
            ));
        }
        Err(BodyError::Timeout) => {
            metrics.request_rejected(RequestRejection::BodyTimeout);
            return before_site(error(
                StatusCode::REQUEST_TIMEOUT,
                "the request body did not arrive in time",
            ));
        }
    };

    // Under overload the excess is refused before it is parsed, so that it
    // costs the daemon little more than reading it.
    if state.queue.looks_full(body.len()) {
        metrics.request_rejected(RequestRejection::QueueFull);
        return before_site(queue_full());
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
        Err(BatchError::NothingValid(rejections)) => {
            return before_site(nothing_valid(metrics, rejections));
        }
        Err(error) => {
            metrics.request_rejected(RequestRejection::Malformed);
            return before_site(error_with(
                StatusCode::BAD_REQUEST,
                &error.to_string(),
                Vec::new(),
            ));
        }
    };
    let site = prepared.batch.site.clone();
    let site_check = state.sites.check(&site, origin);
    let refused = match site_check {
        SiteCheck::Allowed => None,
        SiteCheck::UnknownSite => {
            metrics.request_rejected(RequestRejection::UnknownSite);
            Some(error(StatusCode::FORBIDDEN, "unknown site key"))
        }
        SiteCheck::OriginNotAllowed => {
            metrics.request_rejected(RequestRejection::OriginNotAllowed);
            Some(error(
                StatusCode::FORBIDDEN,
                "this origin may not send events for this site",
            ))
        }
    };
    if let Some(response) = refused {
        return (response, Some(site_check));
    }

    if let Some(reason) = state.bots.classify(user_agent.as_deref()) {
        state.bots.count(reason);
        metrics.request_rejected(RequestRejection::Bot);
        prepared.reject_where(|_| Some(EventRejection::Bot(reason.label())));
        count_rejected(metrics, &prepared.rejected);
        let response = error_with(
            StatusCode::FORBIDDEN,
            &format!("requests from bots are not recorded ({})", reason.label()),
            prepared.rejected.iter().map(Rejection::to_wire).collect(),
        );
        return (response, Some(site_check));
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
        return (nothing_valid(metrics, rejected), Some(site_check));
    }

    if state.sites.cookieless(&site) {
        let ua = user_agent.as_deref().unwrap_or("");
        match state.visitors.visitor_id(&site, client, ua, received_at) {
            Ok(id) => prepared.batch.visitor_id = id,
            Err(e) => {
                tracing::error!(error = %e, "cookieless visitor id");
                metrics.request_rejected(RequestRejection::StoreFailed);
                let response = retry_after(
                    error(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "nothing was stored: no visitor id could be made",
                    ),
                    5,
                );
                return (response, Some(site_check));
            }
        }
    }
    (commit(state, prepared, body.len()).await, Some(site_check))
}

/// Counts events refused before reaching the queue.
fn count_rejected(metrics: &Metrics, rejected: &[Rejection]) {
    metrics
        .events_received
        .fetch_add(rejected.len() as u64, Relaxed);
    for r in rejected {
        metrics.event_rejected(r.reason.code());
    }
}

/// The `400` for a batch without one valid event, with each event's reason.
fn nothing_valid(metrics: &Metrics, rejected: Vec<Rejection>) -> Response<Body> {
    metrics.request_rejected(RequestRejection::NothingValid);
    count_rejected(metrics, &rejected);
    let wire = rejected.iter().map(Rejection::to_wire).collect();
    error_with(
        StatusCode::BAD_REQUEST,
        &BatchError::NothingValid(rejected).to_string(),
        wire,
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
    mut body: Incoming,
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
    prepared: validate::PreparedBatch,
    body_len: usize,
) -> Response<Body> {
    let metrics = &state.metrics;

    let valid = prepared.batch.events.len();
    metrics
        .events_received
        .fetch_add((valid + prepared.rejected.len()) as u64, Relaxed);
    for r in &prepared.rejected {
        metrics.event_rejected(r.reason.code());
    }
    let reply = match state.queue.submit(prepared.batch, body_len) {
        Ok(reply) => reply,
        Err(QueueError::Full) => {
            metrics.request_rejected(RequestRejection::QueueFull);
            return queue_full();
        }
        Err(QueueError::Closed) => {
            metrics.request_rejected(RequestRejection::QueueFull);
            return retry_after(
                error(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "the server is shutting down; nothing was stored",
                ),
                5,
            );
        }
    };
    let Ok(reply) = tokio::time::timeout(state.commit_timeout, reply).await else {
        metrics.request_rejected(RequestRejection::CommitTimeout);
        return retry_after(
            error(
                StatusCode::SERVICE_UNAVAILABLE,
                "the commit was not confirmed in time; it may still complete, and resending is safe (each event id is stored once)",
            ),
            2,
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
        Ok(Err(e)) => {
            metrics.request_rejected(RequestRejection::StoreFailed);
            retry_after(
                error(
                    StatusCode::SERVICE_UNAVAILABLE,
                    &format!("nothing was stored: {e}"),
                ),
                2,
            )
        }
        Err(_) => {
            metrics.request_rejected(RequestRejection::StoreFailed);
            retry_after(
                error(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "nothing was stored: the writer stopped",
                ),
                2,
            )
        }
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
