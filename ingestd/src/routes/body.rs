//! Reading a request body within the size limit and the body timeout.

use super::AppState;
use http_body_util::BodyExt;
use hyper::body::Incoming;

/// Why a body could not be read whole.
pub(super) enum BodyError {
    /// Past the limit; the rest is still on the connection.
    TooLarge,
    /// The body timeout passed first.
    Timeout,
    /// The connection failed or the framing was invalid.
    Read(String),
}

/// Reads a body of at most the state's limit into one buffer, allocated
/// once: of the declared length, or of the limit for a chunked body (so it
/// never grows by reallocation), under the body timeout. The limit is checked
/// per frame, so an endless chunked body stops at the limit.
pub(super) async fn read_body(
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
