//! The embedded files (`/tracker.js`, `/layout.js`, the demo site): gzip when
//! the client accepts it, `304` when its ETag matches, cache and CORS headers
//! from the asset.

use crate::assets::Asset;
use crate::http_reply::{respond, Body};
use bytes::Bytes;
use hyper::header::{self, HeaderValue};
use hyper::{Request, Response, StatusCode};

/// Serves an embedded file: gzip when accepted, `304` when the ETag matches.
pub(super) fn asset<B>(file: &Asset, request: &Request<B>) -> Response<Body> {
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
    if file.any_origin {
        h.insert(
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            HeaderValue::from_static("*"),
        );
    }
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
