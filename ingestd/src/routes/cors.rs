//! CORS for `POST /api/events`: the preflight, and the headers of every
//! answer. An origin is echoed only when a site accepts it; credentials never.

use super::AppState;
use crate::http_reply::Body;
use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{self, HeaderValue};
use hyper::{Request, Response, StatusCode};

/// The request's `Origin`, unless absent, unreadable or `null`.
pub(super) fn origin_of<B>(request: &Request<B>) -> Option<&str> {
    request
        .headers()
        .get(header::ORIGIN)
        .and_then(|o| o.to_str().ok())
        .filter(|o| *o != "null")
}

/// Adds CORS headers, echoing `origin` when `allowed`. No credentials, ever.
pub(super) fn with_cors(
    origin: Option<&str>,
    allowed: bool,
    mut response: Response<Body>,
) -> Response<Body> {
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

/// The `204` answer to `OPTIONS /api/events`.
pub(super) fn preflight<B>(state: &AppState, request: &Request<B>) -> Response<Body> {
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
