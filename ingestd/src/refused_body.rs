//! The unread rest of a refused request body: read and thrown away, within
//! bounds, so that an early answer reaches the client through a proxy.
//!
//! Several answers are given before the body is read: `429` (rate limit),
//! `415` (compressed body), `413` (declared too large, or a chunked body cut
//! off at the limit while streaming), `400` for a bad `Host`, and `404`/`405`.
//! (A `503` for a full queue comes after the whole body was read: nothing is
//! left to drain. A `408` is not drained: that client is the slow one.)
//! If the connection were closed then, with the sender still writing, the
//! kernel would answer the bytes nobody reads with a reset. A proxy writes
//! the body it buffered after the headers (nginx does), so it gets `EPIPE` (or
//! the reset destroys our answer before it reads it), answers `502` in our
//! place and counts the upstream as failed: two such requests take two
//! upstreams out of rotation for nginx's `fail_timeout`.
//!
//! So the rest of the body is read and discarded by a task of its own while
//! the answer goes out: hyper writes a response at once and keeps reading the
//! request body for as long as someone holds it, then keeps the connection
//! alive for the next request as usual. The work stays bounded per refused
//! request: at most [`DRAIN_MAX_BYTES`] and the body timeout, and at most one
//! such task per connection (the connection cap bounds them all). Past either
//! bound the body is dropped and hyper closes the connection, as it would have
//! at once; a body declared larger than the bound is not read at all.
//!
//! A client that sent `Expect: 100-continue` and whose body was never asked
//! for is not waited on: it has the final answer instead of the `100` and is
//! not sending; hyper closes as before.

use http_body_util::BodyExt;
use hyper::body::{Body, Incoming};
use hyper::header::{self, HeaderMap};
use std::time::Duration;

/// The most bytes read and thrown away after a refusal. A few times the
/// largest accepted body: a tracker's oversized batch or a compressed body
/// fits; a body larger than this costs the sender a reset, not us the work.
pub const DRAIN_MAX_BYTES: u64 = 4 * 1024 * 1024;

/// Drains a body nothing has read yet (the refusal came from the headers).
pub fn discard_unread(body: Incoming, headers: &HeaderMap, deadline: Duration) {
    if !expects_continue(headers) {
        discard_rest(body, deadline);
    }
}

/// Drains what is left of a body already partly read.
pub fn discard_rest(body: Incoming, deadline: Duration) {
    if body.is_end_stream() || body.size_hint().lower() > DRAIN_MAX_BYTES {
        return;
    }
    tokio::spawn(async move {
        // Dropping the body at the deadline makes hyper close the connection.
        let _ = tokio::time::timeout(deadline, drain(body, DRAIN_MAX_BYTES)).await;
    });
}

/// Reads and drops frames until the body ends, fails, or passes `max` bytes.
async fn drain(mut body: Incoming, max: u64) {
    let mut read = 0u64;
    while let Some(Ok(frame)) = body.frame().await {
        if let Some(data) = frame.data_ref() {
            read += data.len() as u64;
            if read > max {
                return;
            }
        }
    }
}

/// Whether the client waits for `100 Continue` before sending its body.
fn expects_continue(headers: &HeaderMap) -> bool {
    headers
        .get(header::EXPECT)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"))
}
