//! [`Refusal`]: every reason `POST /api/events` is refused as a whole, and the
//! one place a refusal becomes an HTTP answer.
//!
//! Each variant knows its status, its `Retry-After` (only where retrying the
//! same request later can succeed: a rate limit or the server's own trouble),
//! its [`RequestRejection`] (the `reason` label of
//! `ingestd_requests_rejected_total` and of the log line) and its message,
//! the body's `error`. [`Refusal::into_response`] is the only way a refusal
//! is answered, and the handler hands every refusal to `AppState::refuse`,
//! which counts and logs it ([`crate::reject_log`]) first: no refusal site
//! picks a status, header or metric by hand (PostHog's capture maps its
//! `CaptureError` to statuses the same way).

use crate::http_reply::{error_reply, Body};
use crate::queue::{CommitError, QueueError};
use hyper::header::{self, HeaderValue};
use hyper::{Response, StatusCode};
use shared::contract::RejectedEvent;
use shared::validate::BatchError;

/// Why a request to `POST /api/events` was refused; nothing of it is stored.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    #[error("too many requests from this address; retry later")]
    RateLimited {
        /// When the address's bucket holds a token again.
        retry_after_secs: u64,
    },
    /// Compressed bodies are not read, so a small body never expands into a
    /// large one.
    #[error("compressed bodies are not accepted; send the JSON uncompressed")]
    UnsupportedEncoding,
    #[error("body is larger than {limit} bytes; send fewer events per request")]
    BodyTooLarge { limit: usize },
    #[error("could not read the request body: {0}")]
    BodyUnreadable(String),
    #[error("the request body did not arrive in time")]
    BodyTimeout,
    /// The envelope is wrong (JSON, ids, event count): nothing in it is read.
    #[error("{0}")]
    Malformed(BatchError),
    /// Every event was rejected; each one's reason goes with the answer.
    #[error("no valid event in the batch ({} rejected)", .0.len())]
    NothingValid(Vec<RejectedEvent>),
    #[error("unknown site key")]
    UnknownSite,
    #[error("this origin may not send events for this site")]
    OriginNotAllowed,
    /// Every event is listed as rejected with code `bot`.
    #[error("requests from bots are not recorded ({kind})")]
    Bot {
        /// The bot filter's reason (`crawler`, `no_user_agent`, …).
        kind: &'static str,
        rejected: Vec<RejectedEvent>,
    },
    /// The commit queue is at its bound.
    #[error("the server is busy; nothing was stored, retry later")]
    QueueFull,
    /// The commit queue no longer takes batches: the daemon is stopping.
    #[error("the server is shutting down; nothing was stored")]
    ShuttingDown,
    /// A cookieless site's visitor id could not be made (no random salt).
    #[error("nothing was stored: no visitor id could be made")]
    NoVisitorId,
    /// The commit may still complete; a resend is recognised as duplicates.
    #[error("the commit was not confirmed in time; it may still complete, and resending is safe (each event id is stored once)")]
    CommitTimeout,
    /// The writer answered that the commit failed.
    #[error("nothing was stored: {0}")]
    StoreFailed(CommitError),
    /// The writer dropped the request without answering.
    #[error("nothing was stored: the writer stopped")]
    WriterGone,
}

impl Refusal {
    /// The HTTP status of the answer.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::UnsupportedEncoding => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::BodyTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::BodyTimeout => StatusCode::REQUEST_TIMEOUT,
            Self::BodyUnreadable(_) | Self::Malformed(_) | Self::NothingValid(_) => {
                StatusCode::BAD_REQUEST
            }
            Self::UnknownSite | Self::OriginNotAllowed | Self::Bot { .. } => StatusCode::FORBIDDEN,
            Self::QueueFull
            | Self::ShuttingDown
            | Self::NoVisitorId
            | Self::CommitTimeout
            | Self::StoreFailed(_)
            | Self::WriterGone => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// Seconds a client should wait before sending the request again, for the
    /// refusals a later copy of the same request can get past.
    pub fn retry_after_secs(&self) -> Option<u64> {
        match self {
            Self::RateLimited { retry_after_secs } => Some(*retry_after_secs),
            // A full queue drains as the writer commits.
            Self::QueueFull => Some(1),
            // The writer reopens the store 250 ms after a failed commit.
            Self::CommitTimeout | Self::StoreFailed(_) | Self::WriterGone => Some(2),
            // Another copy behind the balancer, or this one restarted; or a
            // later draw of the day's salt from the system's random source.
            Self::ShuttingDown | Self::NoVisitorId => Some(5),
            _ => None,
        }
    }

    /// The reason the refusal is counted and logged under.
    pub fn reason(&self) -> RequestRejection {
        match self {
            Self::RateLimited { .. } => RequestRejection::RateLimited,
            Self::UnsupportedEncoding => RequestRejection::UnsupportedEncoding,
            Self::BodyTooLarge { .. } => RequestRejection::BodyTooLarge,
            Self::BodyTimeout => RequestRejection::BodyTimeout,
            Self::BodyUnreadable(_) | Self::Malformed(_) => RequestRejection::Malformed,
            Self::NothingValid(_) => RequestRejection::NothingValid,
            Self::UnknownSite => RequestRejection::UnknownSite,
            Self::OriginNotAllowed => RequestRejection::OriginNotAllowed,
            Self::Bot { .. } => RequestRejection::Bot,
            Self::QueueFull => RequestRejection::QueueFull,
            Self::ShuttingDown => RequestRejection::ShuttingDown,
            Self::CommitTimeout => RequestRejection::CommitTimeout,
            Self::NoVisitorId | Self::StoreFailed(_) | Self::WriterGone => {
                RequestRejection::StoreFailed
            }
        }
    }

    /// The answer: the status, an error body (with the rejected events, if
    /// any) and `Retry-After` where a retry can succeed.
    pub fn into_response(self) -> Response<Body> {
        let status = self.status();
        let message = self.to_string();
        let retry_after = self.retry_after_secs();
        let rejected = match self {
            Self::NothingValid(rejected) | Self::Bot { rejected, .. } => rejected,
            _ => Vec::new(),
        };
        let mut response = error_reply(status, &message, rejected);
        if let Some(seconds) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds.max(1)));
        }
        response
    }
}

impl From<QueueError> for Refusal {
    fn from(error: QueueError) -> Self {
        match error {
            QueueError::Full => Self::QueueFull,
            QueueError::Closed => Self::ShuttingDown,
        }
    }
}

shared::code_enum! {
    /// Why a whole request was refused: the `reason` label of
    /// `ingestd_requests_rejected_total` and of the log line. Labels are
    /// published (dashboards and alerts use them): add, never rename.
    pub enum RequestRejection {
        Malformed => "malformed",
        NothingValid => "nothing_valid",
        BodyTooLarge => "body_too_large",
        BodyTimeout => "body_timeout",
        RateLimited => "rate_limited",
        UnknownSite => "unknown_site",
        OriginNotAllowed => "origin_not_allowed",
        QueueFull => "queue_full",
        StoreFailed => "store_failed",
        CommitTimeout => "commit_timeout",
        Bot => "bot",
        UnsupportedEncoding => "unsupported_encoding",
        /// The queue was closed for shutdown: not an overload, so not
        /// counted as `queue_full`.
        ShuttingDown => "shutting_down",
    }
}

impl RequestRejection {
    /// The metrics label, also used in log lines.
    pub fn label(self) -> &'static str {
        self.as_str()
    }
}

#[cfg(test)]
mod tests;
