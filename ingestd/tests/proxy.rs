//! Early refusals through a real nginx: two ingestd upstreams behind nginx's
//! defaults, clients over HTTP/1.1 and over HTTP/2 with TLS.
//!
//! ingestd refuses some requests from their headers (`413` for a declared
//! length over the limit, `415` for a compressed body, `429` over the rate
//! limit) or while streaming (`413` for a chunked body past the limit). Each
//! refused request must reach the client with its own status, every time (a
//! connection closed under the proxy's feet turns it into a `502`, a race
//! that repeats expose), and the innocent requests interleaved with them must
//! all be stored (`200`): a refusal nginx counts as an upstream failure would
//! take the upstream out of rotation and give the next requests `502`.
//!
//! Needs `nginx`, `openssl` and `curl`; skipped with a message when nginx is
//! missing unless `REQUIRE_NGINX=1`. The drain behind it (`refused_body`) is
//! also checked on a raw socket, without nginx: a refused body is read and the
//! connection serves the next request; a body past the drain bound, or one
//! the client holds back for `100 Continue`, is not waited for.

mod common;
mod proxy_support;

use common::{batch, config, page_view, raw_exchange, split_head, Client, TestServer};
use flate2::write::GzEncoder;
use proxy_support::{curl, nginx_binary, Nginx, Protocol};
use shared::limits::MAX_BODY_BYTES;
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;

/// Rounds of each refused request (and of the innocent ones beside them).
const ROUNDS: usize = 24;
/// The address the rate limit has already refused (`X-Forwarded-For`).
const LIMITED: &str = "198.51.100.7";
const URL: &str = "https://shop.example/p/1";

#[test]
fn refusals_reach_clients_through_nginx_over_http1() {
    refusals_reach_clients_through_nginx(Protocol::Http1);
}

#[test]
fn refusals_reach_clients_through_nginx_over_http2_with_tls() {
    refusals_reach_clients_through_nginx(Protocol::Http2Tls);
}

/// One kind of refused request.
struct Refused {
    name: &'static str,
    body: PathBuf,
    headers: Vec<(&'static str, &'static str)>,
    /// The client address; `None` for one of its own, never rate limited.
    from: Option<&'static str>,
    status: u16,
}

fn refusals_reach_clients_through_nginx(protocol: Protocol) {
    let Some(binary) = nginx_binary() else {
        return;
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let mut upstreams = rt.block_on(async {
        let mut servers = Vec::new();
        for _ in 0..2 {
            servers.push(TestServer::start(limited_config()).await);
        }
        // Spend the limited address's one token on each upstream directly.
        for server in &servers {
            let reply = Client::connect(server.addr)
                .await
                .post("{}", &[("x-forwarded-for", LIMITED)])
                .await;
            assert_eq!(reply.status, 400, "the warm-up is judged on its content");
        }
        servers
    });
    let addrs: Vec<SocketAddr> = upstreams.iter().map(|s| s.addr).collect();
    let nginx = Nginx::start(&binary, &addrs);
    let refused = refused_requests(&nginx);

    let expected_version = match protocol {
        Protocol::Http1 => "1.1",
        Protocol::Http2Tls => "2",
    };
    let mut wrong = Vec::new();
    let mut innocent_ok = 0;
    for round in 0..ROUNDS {
        for (k, case) in refused.iter().enumerate() {
            let own_address = format!("10.1.{round}.{k}");
            let mut headers = case.headers.clone();
            headers.push(("X-Forwarded-For", case.from.unwrap_or(&own_address)));
            let got = curl(&nginx, protocol, &case.body, &headers);
            if got.status != case.status || got.version != expected_version {
                wrong.push(format!(
                    "round {round}, {}: HTTP/{} {} (expected HTTP/{expected_version} {})",
                    case.name, got.version, got.status, case.status
                ));
            }
            // An innocent request from an address of its own after each refusal.
            let address = format!("10.0.{round}.{k}");
            let body = batch(
                "demo",
                &format!("s-{round}-{k}"),
                vec![page_view(&format!("e-{round}-{k}"), URL, common::now_ms())],
            );
            let file = nginx.file("innocent.json", body.to_string().as_bytes());
            let got = curl(&nginx, protocol, &file, &[("X-Forwarded-For", &address)]);
            if got.status == 200 {
                innocent_ok += 1;
            } else {
                wrong.push(format!(
                    "round {round}, innocent after {}: HTTP/{} {}",
                    case.name, got.version, got.status
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} requests went wrong:\n{}\nnginx error log:\n{}",
        wrong.len(),
        ROUNDS * refused.len() * 2,
        wrong.join("\n"),
        tail(&nginx.error_log(), 40)
    );
    assert_eq!(innocent_ok, ROUNDS * refused.len());

    drop(nginx);
    rt.block_on(async {
        for server in &mut upstreams {
            server.stop().await;
        }
    });
}

/// Rate limit on (one request, then practically never again), with the
/// loopback proxy trusted for `X-Forwarded-For`.
fn limited_config() -> ingestd::Config {
    ingestd::Config {
        rate_limit: 0.001,
        rate_burst: 1.0,
        trusted_proxies: vec![ingestd::client_ip::parse_network("127.0.0.1").expect("network")],
        ..config()
    }
}

fn refused_requests(nginx: &Nginx) -> Vec<Refused> {
    let oversized = {
        let mut body = batch("demo", "s", vec![page_view("big", URL, common::now_ms())])
            .to_string()
            .into_bytes();
        body.resize(MAX_BODY_BYTES * 2, b' ');
        nginx.file("oversized.json", &body)
    };
    let compressed = {
        // Random bytes do not compress: a body of about 24 kB on the wire.
        let mut rng = fastrand::Rng::with_seed(12);
        let raw: Vec<u8> = std::iter::repeat_with(|| rng.u8(..))
            .take(24 * 1024)
            .collect();
        let mut gzip = GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gzip.write_all(&raw).expect("gzip");
        nginx.file("compressed.gz", &gzip.finish().expect("gzip"))
    };
    let small = {
        let mut body = batch("demo", "s", vec![page_view("lim", URL, common::now_ms())])
            .to_string()
            .into_bytes();
        body.resize(20 * 1024, b' ');
        nginx.file("small.json", &body)
    };
    vec![
        Refused {
            name: "oversized with Content-Length",
            body: oversized.clone(),
            headers: vec![],
            from: None,
            status: 413,
        },
        Refused {
            name: "oversized chunked",
            body: oversized,
            headers: vec![("Transfer-Encoding", "chunked")],
            from: None,
            status: 413,
        },
        Refused {
            name: "compressed",
            body: compressed,
            headers: vec![("Content-Encoding", "gzip")],
            from: None,
            status: 415,
        },
        Refused {
            name: "rate-limited",
            body: small,
            headers: vec![],
            from: Some(LIMITED),
            status: 429,
        },
    ]
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// A refusal from the headers, its body sent in full, and a second request
/// pipelined behind it: the body is read and discarded (not taken for the
/// next request, not answered by closing), so both are answered.
#[tokio::test]
async fn a_refused_body_is_read_and_the_connection_serves_the_next_request() {
    let mut server = TestServer::start(config()).await;
    let next = "GET /healthz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n";
    // Every body is larger than what the server reads in one go; the chunked
    // one is refused while streaming, with most of it still unread.
    let sized = |length: usize| {
        let mut head = format!("content-length: {length}\r\n\r\n").into_bytes();
        head.resize(head.len() + length, b'x');
        head
    };
    let chunked = {
        let chunk = format!("{:x}\r\n{}\r\n", 64 * 1024, "x".repeat(64 * 1024));
        let mut body = b"transfer-encoding: chunked\r\n\r\n".to_vec();
        for _ in 0..(MAX_BODY_BYTES / (64 * 1024) + 4) {
            body.extend_from_slice(chunk.as_bytes());
        }
        body.extend_from_slice(b"0\r\n\r\n");
        body
    };
    for (extra, rest_of_request, status) in [
        (
            "content-encoding: gzip\r\n",
            sized(200 * 1024),
            "HTTP/1.1 415 Unsupported Media Type",
        ),
        (
            "",
            sized(MAX_BODY_BYTES + 64 * 1024),
            "HTTP/1.1 413 Payload Too Large",
        ),
        ("", chunked, "HTTP/1.1 413 Payload Too Large"),
    ] {
        let mut request =
            format!("POST /api/events HTTP/1.1\r\nhost: x\r\ncontent-type: text/plain\r\n{extra}")
                .into_bytes();
        request.extend_from_slice(&rest_of_request);
        request.extend_from_slice(next.as_bytes());
        let reply = raw_exchange(server.addr, &request).await;
        let (first, _, rest) = split_head(&reply);
        assert_eq!(first, status);
        let after = rest
            .windows(9)
            .position(|w| w == b"HTTP/1.1 ")
            .map(|at| split_head(&rest[at..]).0);
        assert_eq!(after.as_deref(), Some("HTTP/1.1 200 OK"), "after {status}");
    }
    server.stop().await;
}

/// Bodies the server will not wait for: one declared past the drain bound,
/// and one the client holds back until `100 Continue`. Both get their answer
/// and a closed connection at once (the body timeout is an hour, so waiting
/// for either body would hang the exchange).
#[tokio::test]
async fn bodies_past_the_bound_or_held_back_are_not_waited_for() {
    let mut server = TestServer::start(ingestd::Config {
        body_timeout_secs: 3600,
        ..config()
    })
    .await;
    let bound = ingestd::refused_body::DRAIN_MAX_BYTES;
    for extra in [
        format!("content-length: {}\r\n", bound + 1),
        "content-length: 1000\r\nexpect: 100-continue\r\n".to_owned(),
    ] {
        let request = format!(
            "POST /api/events HTTP/1.1\r\nhost: x\r\ncontent-encoding: gzip\r\n{extra}\r\n"
        );
        let reply = raw_exchange(server.addr, request.as_bytes()).await;
        let (status, _, _) = split_head(&reply);
        assert_eq!(status, "HTTP/1.1 415 Unsupported Media Type", "{extra}");
        assert!(
            !String::from_utf8_lossy(&reply).contains("100 Continue"),
            "{extra}"
        );
    }
    server.stop().await;
}
