//! `POST /api/events`, from the request to the answer after the commit.
//!
//! Four stages, each of which may end the request with a [`Refusal`]:
//! [`receive`] checks what the headers decide (rate limit, encoding, declared
//! length) and reads the body; [`parse`] validates it into a prepared batch;
//! [`admit`] applies the site's rules (key and origin, bots, page hosts,
//! layout capture, cookieless visitor id); [`commit`] queues the batch, waits
//! for the writer, and asks for a layout snapshot when the page wants one.
//! Layout snapshots are committed with the events (a request of snapshots
//! alone is committed too), then tell [`crate::layouts`] what the server has.
//! Every refusal is answered by `AppState::refuse`, which counts and logs it,
//! with the site once the body named one.

use super::body::{read_body, BodyError};
use super::cors::{origin_of, with_cors};
use super::AppState;
use crate::http_reply::{json, Body};
use crate::layouts;
use crate::rate_limit::Verdict;
use crate::refusal::Refusal;
use crate::refused_body;
use crate::sites::SiteCheck;
use hyper::body::Incoming;
use hyper::header::{self, HeaderMap};
use hyper::{Request, Response, StatusCode};
use shared::contract::IngestReply;
use shared::store::layout_query::SiteLayout;
use shared::user_agent::ClientHints;
use shared::validate::{
    self, BatchError, EventRejection, PreparedBatch, Rejection, RequestContext,
};
use std::net::IpAddr;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Instant;

/// Answers `POST /api/events`, with CORS headers.
pub(super) async fn ingest(
    state: &AppState,
    peer: IpAddr,
    request: &Request<()>,
    body: Incoming,
) -> Response<Body> {
    let origin = origin_of(request);
    let (response, site_check) = handle_batch(state, peer, request, body, origin).await;
    // Before the site is known, echo any origin some site accepts, so that a
    // browser can read the error; after, only origins that site accepts.
    let allowed = match site_check {
        Some(check) => check == SiteCheck::Allowed,
        None => origin.is_some_and(|o| state.sites.origin_allowed(o)),
    };
    with_cors(origin, allowed, response)
}

/// The answer, and how the site and origin were judged if the batch got that
/// far (it decides which origins the answer's CORS headers accept).
async fn handle_batch(
    state: &AppState,
    peer: IpAddr,
    request: &Request<()>,
    body: Incoming,
    origin: Option<&str>,
) -> (Response<Body>, Option<SiteCheck>) {
    let received = match receive(state, peer, request, body).await {
        Ok(received) => received,
        Err(refusal) => return (state.refuse(refusal, None), None),
    };
    let mut prepared = match parse(state, &received) {
        Ok(prepared) => prepared,
        Err(Refused { refusal, site }) => return (state.refuse(refusal, site.as_deref()), None),
    };
    let site = prepared.batch.site.clone();
    let site_check = state.sites.check(&site, origin);
    let answer = match admit(state, &received, &site, &mut prepared, &site_check) {
        Ok(()) => commit(state, &site, prepared, &received).await,
        Err(refusal) => Err(refusal),
    };
    let response = answer.unwrap_or_else(|refusal| state.refuse(refusal, Some(&site)));
    (response, Some(site_check))
}

/// What a request brought that the later stages need.
struct Received {
    client: IpAddr,
    agent: AgentHeaders,
    body: Vec<u8>,
    /// Server receive time, ms since the Unix epoch.
    received_at: i64,
    /// Whether the client can read the reply: not a beacon
    /// (`Sec-Fetch-Mode: no-cors`, which `sendBeacon` sends), so a reply may
    /// ask it for a layout snapshot.
    reads_reply: bool,
}

/// The headers that name the client's software: the user agent, read
/// lossily (one non-ASCII byte must not make the agent "missing"), and the
/// User-Agent Client Hints.
struct AgentHeaders {
    user_agent: Option<String>,
    brands: Option<String>,
    mobile: Option<String>,
    platform: Option<String>,
}

impl AgentHeaders {
    fn of(headers: &HeaderMap) -> Self {
        let hint = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        Self {
            user_agent: headers
                .get(header::USER_AGENT)
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned()),
            brands: hint("sec-ch-ua"),
            mobile: hint("sec-ch-ua-mobile"),
            platform: hint("sec-ch-ua-platform"),
        }
    }

    fn user_agent(&self) -> Option<&str> {
        self.user_agent.as_deref()
    }

    fn client_hints(&self) -> ClientHints<'_> {
        ClientHints {
            brands: self.brands.as_deref(),
            mobile: self.mobile.as_deref(),
            platform: self.platform.as_deref(),
        }
    }
}

/// The client address, the headers' verdicts, then the body.
async fn receive(
    state: &AppState,
    peer: IpAddr,
    request: &Request<()>,
    mut body: Incoming,
) -> Result<Received, Refusal> {
    let headers = request.headers();
    let forwarded_for = headers
        .get_all("x-forwarded-for")
        .iter()
        .map(|v| v.to_str().unwrap_or(""));
    let client = state.proxies.client_ip(peer, forwarded_for);
    let declared = match check_headers(state, client, headers) {
        Ok(declared) => declared,
        Err(refusal) => {
            // Refused from the headers alone: see `refused_body`.
            refused_body::discard_unread(body, headers, state.body_timeout);
            return Err(refusal);
        }
    };
    let agent = AgentHeaders::of(headers);
    let reads_reply = !headers
        .get("sec-fetch-mode")
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"no-cors"));
    let body = match read_body(&mut body, declared, state).await {
        Ok(read) => read,
        Err(BodyError::TooLarge) => {
            refused_body::discard_rest(body, state.body_timeout);
            return Err(Refusal::BodyTooLarge {
                limit: state.max_body,
            });
        }
        Err(BodyError::Read(e)) => return Err(Refusal::BodyUnreadable(e)),
        Err(BodyError::Timeout) => return Err(Refusal::BodyTimeout),
    };
    // Under overload the excess is refused before it is parsed, so that it
    // costs the daemon little more than reading it.
    if state.queue.looks_full(body.len()) {
        return Err(Refusal::QueueFull);
    }
    Ok(Received {
        client,
        agent,
        body,
        received_at: shared::now_ms(),
        reads_reply,
    })
}

/// The refusals the headers decide before any of the body is read; else
/// the body's declared length, if it has one.
fn check_headers(
    state: &AppState,
    client: IpAddr,
    headers: &HeaderMap,
) -> Result<Option<u64>, Refusal> {
    if let Verdict::Limited(wait) = state.limiter.check(client, Instant::now()) {
        return Err(Refusal::RateLimited {
            retry_after_secs: wait.as_secs_f64().ceil() as u64,
        });
    }
    // Compressed bodies are not accepted, so a small compressed body can
    // never expand into a large one here.
    let encoded = headers
        .get(header::CONTENT_ENCODING)
        .is_some_and(|v| !v.as_bytes().eq_ignore_ascii_case(b"identity"));
    if encoded {
        return Err(Refusal::UnsupportedEncoding);
    }
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > state.max_body as u64) {
        return Err(Refusal::BodyTooLarge {
            limit: state.max_body,
        });
    }
    Ok(declared)
}

/// A refusal, with the site it concerns once the body named one.
struct Refused {
    refusal: Refusal,
    site: Option<String>,
}

/// Validates the body into a batch of the events worth keeping.
fn parse(state: &AppState, received: &Received) -> Result<PreparedBatch, Refused> {
    let ctx = RequestContext {
        user_agent: received.agent.user_agent(),
        client_hints: received.agent.client_hints(),
        received_at: received.received_at,
        keep_query: &state.keep_query,
    };
    validate::prepare(&received.body, &ctx).map_err(|error| match error {
        BatchError::NothingValid { site, rejected } => Refused {
            refusal: nothing_valid(state, &site, rejected),
            site: Some(site),
        },
        error => Refused {
            refusal: Refusal::Malformed(error),
            site: None,
        },
    })
}

/// The refusal of a batch without one valid event, its events counted.
fn nothing_valid(state: &AppState, site: &str, rejected: Vec<Rejection>) -> Refusal {
    state.reject_events(Some(site), &rejected);
    Refusal::NothingValid(rejected.iter().map(Rejection::to_wire).collect())
}

/// The site's rules, in order: its key and the origin, bots, the hosts its
/// pages may be on; then a cookieless site's visitor id is replaced.
fn admit(
    state: &AppState,
    received: &Received,
    site: &str,
    prepared: &mut PreparedBatch,
    site_check: &SiteCheck,
) -> Result<(), Refusal> {
    match site_check {
        SiteCheck::Allowed => {}
        SiteCheck::UnknownSite => return Err(Refusal::UnknownSite),
        SiteCheck::OriginNotAllowed => return Err(Refusal::OriginNotAllowed),
    }
    refuse_bots(state, received.agent.user_agent(), prepared, site)?;
    let host = |url: &str| {
        state
            .sites
            .page_allowed(site, url)
            .err()
            .map(EventRejection::HostNotAllowed)
    };
    prepared.reject_where(|event| host(&event.url));
    let capture = state.sites.layout_capture(site);
    prepared.reject_layouts_where(|layout| {
        host(&layout.url).or((!capture).then_some(EventRejection::LayoutOff))
    });
    if prepared.is_empty() {
        let rejected = std::mem::take(&mut prepared.rejected);
        return Err(nothing_valid(state, site, rejected));
    }
    if state.sites.cookieless(site) {
        let ua = received.agent.user_agent().unwrap_or("");
        match state
            .visitors
            .visitor_id(site, received.client, ua, received.received_at)
        {
            Ok(id) => prepared.batch.visitor_id = id,
            Err(e) => {
                tracing::error!(error = %e, "cookieless visitor id");
                return Err(Refusal::NoVisitorId);
            }
        }
    }
    Ok(())
}

/// Refuses a bot's batch, every event rejected and counted as `bot`.
fn refuse_bots(
    state: &AppState,
    user_agent: Option<&str>,
    prepared: &mut PreparedBatch,
    site: &str,
) -> Result<(), Refusal> {
    let Some(reason) = state.bots.classify(user_agent) else {
        return Ok(());
    };
    state.bots.count(reason);
    prepared.reject_where(|_| Some(EventRejection::Bot(reason.label())));
    prepared.reject_layouts_where(|_| Some(EventRejection::Bot(reason.label())));
    state.reject_events(Some(site), &prepared.rejected);
    Err(Refusal::Bot {
        kind: reason.label(),
        rejected: prepared.rejected.iter().map(Rejection::to_wire).collect(),
    })
}

/// Queues a validated batch with its layout snapshots and answers once they
/// are committed.
async fn commit(
    state: &AppState,
    site: &str,
    prepared: PreparedBatch,
    received: &Received,
) -> Result<Response<Body>, Refusal> {
    let metrics = &state.metrics;
    let events = prepared.batch.events.len();
    let valid = events + prepared.layouts.len();
    metrics
        .events_received
        .fetch_add((valid + prepared.rejected.len()) as u64, Relaxed);
    state.count_rejected_events(Some(site), &prepared.rejected);
    let PreparedBatch {
        batch,
        layouts,
        rejected,
        ..
    } = prepared;
    let capture = state.sites.layout_capture(site);
    let seen = if capture {
        layouts::BatchLayouts::of(&batch.events, &layouts)
    } else {
        layouts::BatchLayouts::default()
    };
    let snapshots = layouts.len();
    let duplicates = if events == 0 && snapshots == 0 {
        0
    } else {
        // Snapshots are stored in the same commit: the `200` vouches for them too.
        let layouts = layouts
            .into_iter()
            .map(|layout| SiteLayout {
                site: site.to_owned(),
                layout,
            })
            .collect();
        wait_for_commit(state, batch, layouts, received.body.len()).await?
    };
    metrics.events_accepted.fetch_add(valid as u64, Relaxed);
    metrics
        .events_duplicate
        .fetch_add(duplicates as u64, Relaxed);
    metrics.request_events.observe(valid as f64);
    metrics
        .layouts_received
        .fetch_add(snapshots as u64, Relaxed);
    let layout = capture
        && seen.answer(
            &*state.layouts,
            site,
            received.reads_reply,
            shared::now_ms(),
        );
    metrics.layout_asks.fetch_add(u64::from(layout), Relaxed);
    Ok(json(
        StatusCode::OK,
        &IngestReply {
            accepted: valid,
            duplicates,
            rejected: rejected.iter().map(Rejection::to_wire).collect(),
            layout,
        },
    ))
}

/// Queues `batch` and `layouts` and waits for their commit; the number of
/// duplicates.
async fn wait_for_commit(
    state: &AppState,
    batch: shared::event::EventBatch,
    layouts: Vec<SiteLayout>,
    body_len: usize,
) -> Result<usize, Refusal> {
    let reply = state.queue.submit_with_layouts(batch, layouts, body_len)?;
    match tokio::time::timeout(state.commit_timeout, reply).await {
        Err(_) => Err(Refusal::CommitTimeout),
        Ok(Err(_)) => Err(Refusal::WriterGone),
        Ok(Ok(Err(e))) => Err(Refusal::StoreFailed(e)),
        Ok(Ok(Ok(outcome))) => Ok(outcome.duplicates),
    }
}
