//! A minimal HTTP/1.1 keep-alive client over tokio (one request at a time per
//! connection, like a browser's), and the request bodies the tests send.

use std::net::SocketAddr;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

pub struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
}

/// What came back.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub retry_after: Option<u64>,
    pub body: Vec<u8>,
}

impl Response {
    /// The number after `"field":` in a JSON body, e.g. `duplicates`.
    pub fn json_number(&self, field: &str) -> Option<u64> {
        let text = std::str::from_utf8(&self.body).ok()?;
        let key = format!("\"{field}\":");
        let rest = &text[text.find(&key)? + key.len()..];
        let digits: String = rest
            .trim_start()
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        digits.parse().ok()
    }
}

impl Conn {
    pub async fn connect(addr: SocketAddr) -> std::io::Result<Self> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Self {
            stream,
            buf: Vec::with_capacity(4096),
        })
    }

    /// Sends one request (complete bytes) and reads its response.
    pub async fn send(&mut self, request: &[u8]) -> std::io::Result<Response> {
        self.stream.write_all(request).await?;
        self.read_response().await
    }

    async fn read_response(&mut self) -> std::io::Result<Response> {
        self.buf.clear();
        let mut chunk = [0u8; 4096];
        loop {
            if let Some(end) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&self.buf[..end]).to_ascii_lowercase();
                let status = head.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
                let header = |name: &str| {
                    head.lines()
                        .find_map(|l| l.strip_prefix(name))
                        .and_then(|v| v.trim().parse::<u64>().ok())
                };
                let length = header("content-length:").unwrap_or(0) as usize;
                let retry_after = header("retry-after:");
                while self.buf.len() < end + 4 + length {
                    let n = self.stream.read(&mut chunk).await?;
                    if n == 0 {
                        return Err(std::io::ErrorKind::UnexpectedEof.into());
                    }
                    self.buf.extend_from_slice(&chunk[..n]);
                }
                return Ok(Response {
                    status,
                    retry_after,
                    body: self.buf[end + 4..end + 4 + length].to_vec(),
                });
            }
            let n = self.stream.read(&mut chunk).await?;
            if n == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }
}

const USER_AGENT: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

/// A complete `POST /api/events` request with `body`.
pub fn post(body: &str) -> Vec<u8> {
    let mut bytes = format!(
        "POST /api/events HTTP/1.1\r\nhost: faults\r\ncontent-type: text/plain\r\nuser-agent: {USER_AGENT}\r\ncontent-length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    bytes.extend_from_slice(body.as_bytes());
    bytes
}

/// A complete `GET` request.
pub fn get(path: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nhost: faults\r\n\r\n").into_bytes()
}

/// The headers of a `POST /api/events` whose body (of `length` bytes) is
/// still to come.
pub fn post_head(length: usize) -> String {
    format!(
        "POST /api/events HTTP/1.1\r\nhost: faults\r\ncontent-type: text/plain\r\nuser-agent: {USER_AGENT}\r\ncontent-length: {length}\r\n\r\n"
    )
}

/// A valid batch: one event per id, page views and clicks in turn.
pub fn batch_body(site: &str, session: &str, ids: &[String]) -> String {
    let now = shared::now_ms();
    let mut events = String::with_capacity(ids.len() * 320);
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            events.push(',');
        }
        let page = id.len() % 20;
        if i % 2 == 0 {
            events.push_str(&format!(
                r#"{{"id":"{id}","type":"page_view","ts":{now},"url":"https://shop.example/p/{page}","title":"Product","viewport":[1280,720],"page":[1280,4200]}}"#
            ));
        } else {
            let x = (i * 37) % 1280;
            let y = (i * 91) % 4200;
            events.push_str(&format!(
                r#"{{"id":"{id}","type":"click","ts":{now},"url":"https://shop.example/p/{page}","x":{x},"y":{y},"viewport":[1280,720],"page":[1280,4200],"target":{{"selector":"main>div.card>button","text":"Buy now","box":[600,1780,120,40]}}}}"#
            ));
        }
    }
    format!(
        r#"{{"site":"{site}","session_id":"{session}","visitor_id":"v-{session}","events":[{events}]}}"#
    )
}

/// A request body the daemon must refuse with 400; `n` picks the kind.
pub fn malformed_body(n: u64) -> String {
    match n % 5 {
        // Not JSON.
        0 => r#"{"site":"soak","session_id":"s","events":[{"id":"#.to_owned(),
        // No events array.
        1 => r#"{"site":"soak","session_id":"s","visitor_id":"v"}"#.to_owned(),
        // Every event invalid: unknown type.
        2 => format!(
            r#"{{"site":"soak","session_id":"s","visitor_id":"v","events":[{{"id":"bad-{n}","type":"teleport","ts":{},"url":"https://shop.example/"}}]}}"#,
            shared::now_ms()
        ),
        // Every event invalid: not an http(s) URL.
        3 => format!(
            r#"{{"site":"soak","session_id":"s","visitor_id":"v","events":[{{"id":"bad-{n}","type":"page_view","ts":{},"url":"javascript:alert(1)"}}]}}"#,
            shared::now_ms()
        ),
        // Binary garbage.
        _ => "\u{0}\u{1}\u{2}\u{ff}garbage".to_owned(),
    }
}
