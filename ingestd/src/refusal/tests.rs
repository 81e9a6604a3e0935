//! Every refusal's status, `Retry-After`, label and body, as clients and
//! dashboards have always seen them.

use super::*;
use crate::queue::{CommitError, QueueError};
use http_body_util::BodyExt;
use shared::reject_code::RejectCode;

/// Status, `Retry-After`, metric label and body of a refusal's answer.
fn answer(refusal: Refusal) -> (u16, Option<String>, &'static str, String) {
    let label = refusal.reason().label();
    let response = refusal.into_response();
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get(header::RETRY_AFTER)
        .map(|v| v.to_str().unwrap().to_owned());
    assert_eq!(
        response.headers()[header::CONTENT_TYPE],
        "application/json",
        "{label}"
    );
    assert_eq!(response.headers()[header::CACHE_CONTROL], "no-store");
    let body = body_text(response);
    (status, retry_after, label, body)
}

fn body_text(response: Response<Body>) -> String {
    let bytes = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(response.into_body().collect())
        .unwrap()
        .to_bytes();
    String::from_utf8(bytes.to_vec()).unwrap()
}

fn bot_event() -> RejectedEvent {
    RejectedEvent {
        index: 0,
        code: RejectCode::Bot,
        reason: "sent by an automated client (crawler); bot traffic is not recorded".into(),
    }
}

#[test]
fn each_refusal_answers_with_its_status_header_label_and_message() {
    let retry = |s: &str| Some(s.to_owned());
    let cases = [
        (
            Refusal::RateLimited {
                retry_after_secs: 0,
            },
            (429, retry("1"), "rate_limited"),
            r#"{"error":"too many requests from this address; retry later"}"#,
        ),
        (
            Refusal::RateLimited {
                retry_after_secs: 7,
            },
            (429, retry("7"), "rate_limited"),
            r#"{"error":"too many requests from this address; retry later"}"#,
        ),
        (
            Refusal::UnsupportedEncoding,
            (415, None, "unsupported_encoding"),
            r#"{"error":"compressed bodies are not accepted; send the JSON uncompressed"}"#,
        ),
        (
            Refusal::BodyTooLarge { limit: 262144 },
            (413, None, "body_too_large"),
            r#"{"error":"body is larger than 262144 bytes; send fewer events per request"}"#,
        ),
        (
            Refusal::BodyUnreadable("connection reset".into()),
            (400, None, "malformed"),
            r#"{"error":"could not read the request body: connection reset"}"#,
        ),
        (
            Refusal::BodyTimeout,
            (408, None, "body_timeout"),
            r#"{"error":"the request body did not arrive in time"}"#,
        ),
        (
            Refusal::Malformed(BatchError::Empty),
            (400, None, "malformed"),
            r#"{"error":"batch has no events"}"#,
        ),
        (
            Refusal::UnknownSite,
            (403, None, "unknown_site"),
            r#"{"error":"unknown site key"}"#,
        ),
        (
            Refusal::OriginNotAllowed,
            (403, None, "origin_not_allowed"),
            r#"{"error":"this origin may not send events for this site"}"#,
        ),
        (
            Refusal::QueueFull,
            (503, retry("1"), "queue_full"),
            r#"{"error":"the server is busy; nothing was stored, retry later"}"#,
        ),
        (
            Refusal::ShuttingDown,
            (503, retry("5"), "shutting_down"),
            r#"{"error":"the server is shutting down; nothing was stored"}"#,
        ),
        (
            Refusal::NoVisitorId,
            (503, retry("5"), "store_failed"),
            r#"{"error":"nothing was stored: no visitor id could be made"}"#,
        ),
        (
            Refusal::CommitTimeout,
            (503, retry("2"), "commit_timeout"),
            r#"{"error":"the commit was not confirmed in time; it may still complete, and resending is safe (each event id is stored once)"}"#,
        ),
        (
            Refusal::StoreFailed(CommitError::Store("disk full".into())),
            (503, retry("2"), "store_failed"),
            r#"{"error":"nothing was stored: the database is unavailable: disk full"}"#,
        ),
        (
            Refusal::WriterGone,
            (503, retry("2"), "store_failed"),
            r#"{"error":"nothing was stored: the writer stopped"}"#,
        ),
    ];
    for (refusal, (status, retry_after, label), body) in cases {
        assert_eq!(
            answer(refusal),
            (status, retry_after, label, body.to_owned())
        );
    }
}

#[test]
fn refusals_of_events_list_every_event() {
    let (status, retry_after, label, body) = answer(Refusal::Bot {
        kind: "crawler",
        rejected: vec![bot_event()],
    });
    assert_eq!((status, retry_after, label), (403, None, "bot"));
    assert_eq!(
        body,
        r#"{"error":"requests from bots are not recorded (crawler)","rejected":[{"index":0,"code":"bot","reason":"sent by an automated client (crawler); bot traffic is not recorded"}]}"#
    );
    let (status, retry_after, label, body) =
        answer(Refusal::NothingValid(vec![bot_event(), bot_event()]));
    assert_eq!((status, retry_after, label), (400, None, "nothing_valid"));
    assert!(
        body.starts_with(r#"{"error":"no valid event in the batch (2 rejected)","rejected":[{"#),
        "{body}"
    );
}

/// A closed queue is the daemon stopping, not an overload: still `503` with
/// `Retry-After: 5`, but counted apart from `queue_full`.
#[test]
fn a_closed_queue_is_shutting_down_not_full() {
    let closed = Refusal::from(QueueError::Closed);
    assert_eq!(closed.reason(), RequestRejection::ShuttingDown);
    assert_eq!(closed.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(closed.retry_after_secs(), Some(5));
    let full = Refusal::from(QueueError::Full);
    assert_eq!(full.reason(), RequestRejection::QueueFull);
    assert_eq!(full.retry_after_secs(), Some(1));
}

#[test]
fn request_labels_are_the_published_ones_in_order() {
    assert_eq!(
        RequestRejection::ALL.map(RequestRejection::label),
        [
            "malformed",
            "nothing_valid",
            "body_too_large",
            "body_timeout",
            "rate_limited",
            "unknown_site",
            "origin_not_allowed",
            "queue_full",
            "store_failed",
            "commit_timeout",
            "bot",
            "unsupported_encoding",
            "shutting_down",
        ]
    );
}
