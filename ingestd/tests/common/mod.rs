//! Test support: an in-process ingestd on 127.0.0.1:0 over a temporary SQLite
//! file, a small HTTP/1.1 client, and raw exchanges over a socket.
#![allow(dead_code)]

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::{Request, StatusCode};
use hyper_util::rt::TokioIo;
use ingestd::{Config, WriterOpener};
use serde_json::{json, Value};
use shared::store::sqlite::SqliteReader;
use shared::store::DbUrl;
use std::net::SocketAddr;
use std::path::PathBuf;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub struct TestServer {
    pub addr: SocketAddr,
    pub db_path: PathBuf,
    shutdown: Option<oneshot::Sender<()>>,
    handle: Option<JoinHandle<Result<(), ingestd::ServeError>>>,
    _dir: tempfile::TempDir,
}

impl TestServer {
    pub async fn start(config: Config) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let db_path = dir.path().join("analytics.db");
        let opener = ingestd::opener_for(DbUrl::Sqlite(db_path.clone()));
        Self::start_with(config, dir, db_path, opener).await
    }

    pub async fn start_with(
        config: Config,
        dir: tempfile::TempDir,
        db_path: PathBuf,
        opener: WriterOpener,
    ) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (tx, rx) = oneshot::channel::<()>();
        let handle = tokio::spawn(ingestd::serve(listener, config, opener, async {
            let _ = rx.await;
        }));
        Self {
            addr,
            db_path,
            shutdown: Some(tx),
            handle: Some(handle),
            _dir: dir,
        }
    }

    /// Stops the server gracefully and waits for it.
    pub async fn stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(handle) = self.handle.take() {
            handle.await.expect("serve task").expect("serve result");
        }
    }

    pub fn reader(&self) -> SqliteReader {
        SqliteReader::open(&self.db_path).expect("reader")
    }

    pub async fn client(&self) -> Client {
        Client::connect(self.addr).await
    }
}

/// Test settings: no rate limit unless a test sets one.
pub fn config() -> Config {
    Config {
        rate_limit: 0.0,
        ..Config::default()
    }
}

pub struct Client {
    sender: SendRequest<Full<Bytes>>,
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: hyper::HeaderMap,
    pub body: Bytes,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("json body")
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

impl Client {
    pub async fn connect(addr: SocketAddr) -> Self {
        let stream = TcpStream::connect(addr).await.expect("connect");
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .expect("handshake");
        tokio::spawn(connection);
        Self { sender }
    }

    pub async fn send(&mut self, request: Request<Full<Bytes>>) -> Reply {
        self.sender.ready().await.expect("ready");
        let response = self.sender.send_request(request).await.expect("response");
        let (parts, body) = response.into_parts();
        let body = body.collect().await.expect("body").to_bytes();
        Reply {
            status: parts.status,
            headers: parts.headers,
            body,
        }
    }

    pub async fn get(&mut self, path: &str) -> Reply {
        let request = Request::get(path)
            .header("host", "localhost")
            .body(Full::new(Bytes::new()))
            .expect("request");
        self.send(request).await
    }

    pub async fn post(&mut self, body: impl Into<Bytes>, headers: &[(&str, &str)]) -> Reply {
        let mut request = Request::post("/api/events")
            .header("host", "localhost")
            .header("content-type", "text/plain")
            .header("user-agent", DESKTOP_UA);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        self.send(request.body(Full::new(body.into())).expect("request"))
            .await
    }

    pub async fn post_json(&mut self, body: &Value) -> Reply {
        self.post(body.to_string(), &[]).await
    }
}

pub const DESKTOP_UA: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

pub fn now_ms() -> i64 {
    shared::now_ms()
}

pub fn page_view(id: &str, url: &str, ts: i64) -> Value {
    json!({"id": id, "type": "page_view", "ts": ts, "url": url, "title": "Page",
           "viewport": [1280, 720], "page": [1280, 3000]})
}

pub fn click(id: &str, url: &str, ts: i64, x: i64, y: i64) -> Value {
    json!({"id": id, "type": "click", "ts": ts, "url": url, "x": x, "y": y,
           "viewport": [1280, 720], "page": [1280, 3000],
           "target": {"selector": "#buy", "text": "Buy", "box": [x - 10, y - 10, 20, 20]}})
}

pub fn batch(site: &str, session: &str, events: Vec<Value>) -> Value {
    json!({"site": site, "session_id": session, "visitor_id": format!("v-{session}"), "events": events})
}

/// Writes `request` on a fresh connection and reads until the server closes
/// it (the last request says `connection: close`).
pub async fn raw_exchange(addr: SocketAddr, request: &[u8]) -> Vec<u8> {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream.write_all(request).await.expect("write");
    let mut reply = Vec::new();
    tokio::time::timeout(
        std::time::Duration::from_secs(10),
        stream.read_to_end(&mut reply),
    )
    .await
    .expect("the server closes the connection")
    .expect("read");
    reply
}

/// One response head off the front of `bytes`: the status line, the header
/// fields (names lower-cased), and what follows the blank line.
pub fn split_head(bytes: &[u8]) -> (String, Vec<(String, String)>, &[u8]) {
    let end = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no response head in {:?}", String::from_utf8_lossy(bytes)));
    let head = String::from_utf8_lossy(&bytes[..end]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap_or("").to_owned();
    let fields = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    (status, fields, &bytes[end + 4..])
}

/// The `ingestd` binary on a loopback port of its own
/// ([`testkit::ports::spawn_listening`]), configured through environment
/// variables: its database `db`, no rate limit, warnings logged, then `env`
/// (which may override them); its stderr from `stderr`.
pub fn spawn_ingestd(
    db: &std::path::Path,
    env: &[(&str, &str)],
    stderr: &dyn Fn() -> std::process::Stdio,
) -> (std::process::Child, SocketAddr) {
    let (child, port) = testkit::ports::spawn_listening(
        |port| {
            std::process::Command::new(env!("CARGO_BIN_EXE_ingestd"))
                .env_remove("MALLOC_ARENA_MAX")
                .env("INGESTD_LISTEN", format!("127.0.0.1:{port}"))
                .env("ANALYTICS_DB", format!("sqlite:{}", db.display()))
                .env("INGESTD_RATE_LIMIT", "0")
                .env("INGESTD_LOG", "warn")
                .envs(env.iter().copied())
                .stdout(std::process::Stdio::null())
                .stderr(stderr())
                .spawn()
                .expect("spawn ingestd")
        },
        std::time::Duration::from_secs(10),
    );
    (child, SocketAddr::from(([127, 0, 0, 1], port)))
}
