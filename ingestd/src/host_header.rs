//! The `Host` rule of HTTP/1.1 (RFC 9112 §3.2), which hyper leaves to the
//! application: a `400` for an HTTP/1.1 request without `Host`, for any
//! request with more than one `Host` field, and for a `Host` value that is not
//! a valid authority. An empty value is allowed (the RFC's form for a target
//! without an authority).

use hyper::http::uri::Authority;
use hyper::{header, HeaderMap, Version};

/// Why a request's `Host` is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum HostError {
    #[error("an HTTP/1.1 request needs a Host header")]
    Missing,
    #[error("a request may carry only one Host header")]
    Repeated,
    #[error("the Host header is not a valid host[:port]")]
    Invalid,
}

/// Checks the `Host` fields of a request of `version`.
pub fn check(version: Version, headers: &HeaderMap) -> Result<(), HostError> {
    let mut values = headers.get_all(header::HOST).iter();
    let Some(value) = values.next() else {
        // HTTP/1.0 predates Host; HTTP/2 carries the authority in `:authority`.
        return if version == Version::HTTP_11 {
            Err(HostError::Missing)
        } else {
            Ok(())
        };
    };
    if values.next().is_some() {
        return Err(HostError::Repeated);
    }
    let bytes = value.as_bytes();
    if bytes.is_empty() {
        return Ok(());
    }
    match Authority::try_from(bytes) {
        Ok(authority) if is_host_and_port(&authority) => Ok(()),
        _ => Err(HostError::Invalid),
    }
}

/// `host[:port]` with a numeric (or empty) port and no userinfo: the
/// authority parser takes both `user@host` and a non-numeric port.
fn is_host_and_port(authority: &Authority) -> bool {
    let text = authority.as_str();
    if text.contains('@') {
        return false;
    }
    let port = &text[authority.host().len()..];
    port.is_empty()
        || port
            .strip_prefix(':')
            .is_some_and(|digits| digits.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::header::HeaderValue;

    fn headers(hosts: &[&'static str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for host in hosts {
            map.append(header::HOST, HeaderValue::from_static(host));
        }
        map
    }

    #[test]
    fn one_valid_host_passes() {
        for host in [
            "example.com",
            "127.0.0.1:8080",
            "[::1]:80",
            "[::1]",
            "x:",
            "x",
            "",
        ] {
            assert_eq!(check(Version::HTTP_11, &headers(&[host])), Ok(()), "{host}");
        }
    }

    #[test]
    fn missing_host_fails_on_http_1_1_only() {
        assert_eq!(
            check(Version::HTTP_11, &headers(&[])),
            Err(HostError::Missing)
        );
        assert_eq!(check(Version::HTTP_10, &headers(&[])), Ok(()));
    }

    #[test]
    fn repeated_or_invalid_host_fails() {
        for version in [Version::HTTP_10, Version::HTTP_11] {
            assert_eq!(
                check(version, &headers(&["a.example", "a.example"])),
                Err(HostError::Repeated)
            );
        }
        for host in ["a b", "a/b", "user@a.example", "a.example:port"] {
            assert_eq!(
                check(Version::HTTP_11, &headers(&[host])),
                Err(HostError::Invalid),
                "{host}"
            );
        }
    }
}
