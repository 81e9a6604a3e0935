//! Test support: a real nginx in front of ingestd, and curl as its client.
//!
//! [`Nginx::start`] writes a configuration into a temporary directory (free
//! loopback ports, a self-signed certificate made with the `openssl` command,
//! nginx's defaults for the upstream group) and runs nginx in the foreground
//! as one process, killed when the value is dropped. [`curl`] sends one
//! request through it over HTTP/1.1 or over HTTP/2 with TLS.
//!
//! When nginx is missing the tests print `skipped: …` and pass, unless
//! `REQUIRE_NGINX=1` (set by `.ci/run`, which installs it).
#![allow(dead_code)]

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use testkit::ports::{free_port, wait_listening, Started};

/// How long nginx may take to listen before the test gives up.
const START_DEADLINE: Duration = Duration::from_secs(20);

/// The nginx binary: `$NGINX`, else the first `nginx` in `$PATH` or in
/// `/usr/sbin` (Debian's place, not in every user's `$PATH`). Prints a skip
/// message and returns `None` when there is none, or panics when
/// `REQUIRE_NGINX=1`.
pub fn nginx_binary() -> Option<PathBuf> {
    let candidates = std::env::var_os("NGINX")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .into_iter()
        .chain(
            std::env::var_os("PATH")
                .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
                .unwrap_or_default()
                .into_iter()
                .chain([PathBuf::from("/usr/sbin")])
                .map(|dir| dir.join("nginx")),
        );
    for path in candidates {
        if path.is_file() {
            return Some(path);
        }
    }
    if std::env::var("REQUIRE_NGINX").as_deref() == Ok("1") {
        panic!("no nginx found and REQUIRE_NGINX=1 (install the nginx package or set NGINX)");
    }
    // Past the harness's capture, so that a skipped suite is visible.
    let _ = writeln!(
        std::io::stderr(),
        "skipped: no nginx (install the nginx package or set NGINX; REQUIRE_NGINX=1 makes this an error)"
    );
    None
}

/// A running nginx proxying to a group of upstreams.
pub struct Nginx {
    /// Plain HTTP/1.1.
    pub http: SocketAddr,
    /// TLS with HTTP/2 offered by ALPN.
    pub https: SocketAddr,
    child: Child,
    dir: tempfile::TempDir,
}

impl Nginx {
    /// Starts nginx in front of `upstreams` (one `upstream` block with
    /// nginx's defaults: round robin, `max_fails=1`, `fail_timeout=10s`).
    pub fn start(binary: &Path, upstreams: &[SocketAddr]) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        self_signed_certificate(dir.path());
        // A port taken between choosing and binding makes nginx exit: choose again.
        let mut last_log = String::new();
        for _ in 0..5 {
            let local = |port| SocketAddr::from(([127, 0, 0, 1], port));
            let (http, https) = (local(free_port()), local(free_port()));
            let conf = dir.path().join("nginx.conf");
            std::fs::write(&conf, config(dir.path(), http, https, upstreams)).expect("nginx.conf");
            let mut child = Command::new(binary)
                .arg("-p")
                .arg(dir.path())
                .arg("-c")
                .arg(&conf)
                .arg("-e")
                .arg(dir.path().join("error.log"))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("run nginx");
            // Its own sockets: a port that accepts may be another listener's,
            // taken between choosing and binding (nginx then retries the bind
            // for a while, and exits).
            let ports = [http.port(), https.port()];
            if wait_listening(&mut child, &ports, START_DEADLINE) == Started::Listening {
                return Self {
                    http,
                    https,
                    child,
                    dir,
                };
            }
            let _ = child.kill();
            let _ = child.wait();
            last_log = std::fs::read_to_string(dir.path().join("error.log")).unwrap_or_default();
        }
        panic!("nginx did not start:\n{last_log}");
    }

    /// The error log so far, for failure messages.
    pub fn error_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("error.log")).unwrap_or_default()
    }

    /// A file in nginx's temporary directory (for request bodies).
    pub fn file(&self, name: &str, contents: &[u8]) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, contents).expect("write body file");
        path
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn config(dir: &Path, http: SocketAddr, https: SocketAddr, upstreams: &[SocketAddr]) -> String {
    let dir = dir.display();
    let servers: String = upstreams
        .iter()
        .map(|a| format!("        server {a};\n"))
        .collect();
    // One foreground process (no master, no privilege drop), everything in
    // the temporary directory; bodies up to 16 MiB are buffered in memory and
    // forwarded (nginx's default request buffering).
    format!(
        r#"daemon off;
master_process off;
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{
    worker_connections 512;
}}
http {{
    access_log off;
    client_body_temp_path {dir}/client_body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    client_max_body_size 16m;
    upstream ingestd {{
{servers}    }}
    server {{
        listen {http};
        listen {https} ssl http2;
        ssl_certificate {dir}/cert.pem;
        ssl_certificate_key {dir}/key.pem;
        location / {{
            proxy_pass http://ingestd;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        }}
    }}
}}
"#
    )
}

fn self_signed_certificate(dir: &Path) {
    let status = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-keyout",
        ])
        .arg(dir.join("key.pem"))
        .arg("-out")
        .arg(dir.join("cert.pem"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("run openssl (install the openssl package)");
    assert!(status.success(), "openssl could not make a certificate");
}

/// How curl talks to nginx.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    Http1,
    Http2Tls,
}

/// The status of one request and the HTTP version curl used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub status: u16,
    pub version: String,
}

/// Sends `POST /api/events` with the body in `body_file` and extra headers
/// through nginx with curl.
pub fn curl(
    nginx: &Nginx,
    protocol: Protocol,
    body_file: &Path,
    headers: &[(&str, &str)],
) -> Outcome {
    let mut command = Command::new("curl");
    command.args(["--silent", "--show-error", "--output", "/dev/null"]);
    command.args(["--write-out", "%{http_code} %{http_version}"]);
    let url = match protocol {
        Protocol::Http1 => {
            command.arg("--http1.1");
            format!("http://{}/api/events", nginx.http)
        }
        Protocol::Http2Tls => {
            command.args(["--http2", "--insecure"]);
            format!("https://{}/api/events", nginx.https)
        }
    };
    command.args(["--header", "Content-Type: text/plain"]);
    command.args(["--header", "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"]);
    // No `Expect: 100-continue`: the body goes at once, as a browser sends it.
    command.args(["--header", "Expect:"]);
    for (name, value) in headers {
        command.args(["--header", &format!("{name}: {value}")]);
    }
    command.arg("--data-binary");
    command.arg(format!("@{}", body_file.display()));
    command.arg(url);
    let output = command
        .output()
        .expect("run curl (install the curl package)");
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    let mut parts = text.split_whitespace();
    Outcome {
        status: parts.next().and_then(|s| s.parse().ok()).unwrap_or(0),
        version: parts.next().unwrap_or("").to_owned(),
    }
}
