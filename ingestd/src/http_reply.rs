//! Builders of the daemon's HTTP answers: a body with its content type, JSON
//! that is never cached, and the error body every error status carries
//! ([`shared::contract::ErrorReply`]).

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{self, HeaderValue};
use hyper::{Response, StatusCode};
use shared::contract::{ErrorReply, RejectedEvent};

/// Every answer's body: whole, never streamed.
pub type Body = Full<Bytes>;

/// An answer of `status` with `body` of `content_type`.
pub fn respond(status: StatusCode, content_type: &'static str, body: Bytes) -> Response<Body> {
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// A JSON answer; `no-store`, since it describes one request.
pub fn json<T: serde::Serialize>(status: StatusCode, value: &T) -> Response<Body> {
    let body = serde_json::to_vec(value).unwrap_or_else(|_| b"{}".to_vec());
    let mut response = respond(status, "application/json", Bytes::from(body));
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// An error answer whose body names the problem.
pub fn error(status: StatusCode, message: &str) -> Response<Body> {
    error_reply(status, message, Vec::new())
}

/// An error answer with the events it rejected, each with its reason.
pub fn error_reply(
    status: StatusCode,
    message: &str,
    rejected: Vec<RejectedEvent>,
) -> Response<Body> {
    json(
        status,
        &ErrorReply {
            error: message.to_owned(),
            rejected,
        },
    )
}
