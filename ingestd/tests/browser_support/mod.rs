//! Support for the real-browser tests: a headless Chromium driven over the
//! DevTools protocol, an in-process ingestd that can stop and restart on its
//! port, a web server for the test pages of `tests/fixtures/` (another origin
//! that embeds the daemon's tracker), and polling of the store.
#![allow(dead_code)]

use chromiumoxide::browser::{Browser, BrowserConfig};
use chromiumoxide::cdp::browser_protocol::browser::BrowserContextId;
use chromiumoxide::cdp::browser_protocol::input::InsertTextParams;
use chromiumoxide::cdp::browser_protocol::target::{
    CreateBrowserContextParams, CreateTargetParams,
};
use chromiumoxide::cdp::js_protocol::runtime::{
    EnableParams, EvaluateParams, EventConsoleApiCalled, EventExceptionThrown, StackTrace,
};
use chromiumoxide::error::CdpError;
use chromiumoxide::handler::viewport::Viewport;
use chromiumoxide::layout::Point;
use chromiumoxide::Page;
use futures::StreamExt;
use ingestd::{Config, ServeError, WriterOpener};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;
use shared::event::EventKind;
use shared::store::query::{Filter, PageRequest, StoredEvent};
use shared::store::sqlite::SqliteReader;
use shared::store::{DbUrl, EventReader};
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The window and viewport of every tab, in CSS pixels.
pub const WIDTH: u32 = 1280;
pub const HEIGHT: u32 = 800;

/// How often and how long the store and the page are polled.
const POLL: Duration = Duration::from_millis(50);
pub const DEADLINE: Duration = Duration::from_secs(20);

/// The Chromium to drive: `$CHROMIUM`, else `/usr/bin/chromium`. When it is
/// missing this prints `skipped: no Chromium …` and returns `None` (the test
/// then passes), or panics when `REQUIRE_BROWSER=1`.
pub fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("CHROMIUM")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    if path.is_file() {
        return Some(path);
    }
    if std::env::var("REQUIRE_BROWSER").as_deref() == Ok("1") {
        panic!(
            "no Chromium at {} and REQUIRE_BROWSER=1 (install the chromium package or set CHROMIUM)",
            path.display()
        );
    }
    // Written to the real stderr, past the test harness's capture, so that a
    // skipped suite is visible.
    let _ = writeln!(
        std::io::stderr(),
        "skipped: no Chromium at {} (install the chromium package or set CHROMIUM; REQUIRE_BROWSER=1 makes this an error)",
        path.display()
    );
    None
}

// ---------------------------------------------------------------------------
// The daemon

/// An in-process ingestd over a temporary SQLite file that can be stopped and
/// started again on the same port with the same database.
pub struct Daemon {
    pub addr: SocketAddr,
    pub db_path: PathBuf,
    shutdown: Option<oneshot::Sender<()>>,
    handle: Option<JoinHandle<Result<(), ServeError>>>,
    _dir: tempfile::TempDir,
}

impl Daemon {
    /// A daemon on `127.0.0.1:0` over a new database.
    pub async fn start() -> Self {
        Self::start_with(|path| ingestd::opener_for(DbUrl::Sqlite(path.to_path_buf()))).await
    }

    /// Like [`Daemon::start`], with the writer opener made from the database path.
    pub async fn start_with(opener: impl FnOnce(&Path) -> WriterOpener) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let db_path = dir.path().join("analytics.db");
        let opener = opener(&db_path);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let mut daemon = Self {
            addr,
            db_path,
            shutdown: None,
            handle: None,
            _dir: dir,
        };
        daemon.serve(listener, opener);
        daemon
    }

    fn serve(&mut self, listener: tokio::net::TcpListener, opener: WriterOpener) {
        let config = Config {
            rate_limit: 0.0,
            ..Config::default()
        };
        let (tx, rx) = oneshot::channel::<()>();
        self.shutdown = Some(tx);
        self.handle = Some(tokio::spawn(ingestd::serve(
            listener,
            config,
            opener,
            async {
                let _ = rx.await;
            },
        )));
    }

    /// Stops gracefully (open requests finish, the queue is committed).
    pub async fn stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(handle) = self.handle.take() {
            handle.await.expect("serve task").expect("serve result");
        }
    }

    /// Starts again on the same address over the same database.
    pub async fn restart(&mut self) {
        assert!(self.handle.is_none(), "stop the daemon first");
        let listener = tokio::net::TcpListener::bind(self.addr)
            .await
            .expect("bind the same port again");
        let opener = ingestd::opener_for(DbUrl::Sqlite(self.db_path.clone()));
        self.serve(listener, opener);
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Every stored event, in time order.
    pub fn events(&self) -> Vec<StoredEvent> {
        SqliteReader::open(&self.db_path)
            .expect("reader")
            .events(&Filter::default(), PageRequest::first(100_000))
            .expect("events")
    }

    /// Polls the store until `done` holds for the stored events, and returns
    /// them; panics with `what` and the events after [`DEADLINE`].
    pub async fn wait_for(
        &self,
        what: &str,
        done: impl Fn(&[StoredEvent]) -> bool,
    ) -> Vec<StoredEvent> {
        let deadline = Instant::now() + DEADLINE;
        loop {
            let events = self.events();
            if done(&events) {
                return events;
            }
            if Instant::now() > deadline {
                panic!(
                    "timed out waiting for {what}; stored events:\n{}",
                    describe(&events)
                );
            }
            tokio::time::sleep(POLL).await;
        }
    }
}

/// One line per event, for failure messages.
pub fn describe(events: &[StoredEvent]) -> String {
    events
        .iter()
        .map(|e| {
            format!(
                "  {} {} session={} url={} name={:?} x={:?} y={:?}",
                e.event.id,
                e.event.kind.as_str(),
                e.session_id,
                e.event.url,
                e.event.name,
                e.event.x,
                e.event.y
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The stored events of one kind.
pub fn of_kind(events: &[StoredEvent], kind: EventKind) -> Vec<&StoredEvent> {
    events.iter().filter(|e| e.event.kind == kind).collect()
}

/// The stored custom events named `name`.
pub fn named<'a>(events: &'a [StoredEvent], name: &str) -> Vec<&'a StoredEvent> {
    events
        .iter()
        .filter(|e| e.event.kind == EventKind::Custom && e.event.name.as_deref() == Some(name))
        .collect()
}

// ---------------------------------------------------------------------------
// The test pages

/// A web server on its own loopback port (so another origin than the
/// daemon's, as on a real site) for the pages of `tests/fixtures/`. Each page
/// embeds the tracker with `<script src="{{DAEMON}}/tracker.js">`; the server
/// replaces `{{DAEMON}}` with the daemon's origin, so events go to the daemon
/// cross-origin.
pub struct Pages {
    pub addr: SocketAddr,
    task: JoinHandle<()>,
}

impl Drop for Pages {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Pages {
    pub async fn start(daemon: &Daemon) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the pages server");
        let addr = listener.local_addr().expect("addr");
        let origin = format!("http://{}", daemon.addr);
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve_page(stream, origin.clone()));
            }
        });
        Self { addr, task }
    }

    /// The URL of `tests/fixtures/NAME`.
    pub fn url(&self, name: &str) -> String {
        format!("http://{}/{name}", self.addr)
    }
}

/// Answers one request (`GET /NAME.html`) and closes the connection.
async fn serve_page(mut stream: tokio::net::TcpStream, origin: String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 16 * 1024 {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let head = String::from_utf8_lossy(&head);
    let path = head.split(' ').nth(1).unwrap_or("/");
    let name = path.trim_start_matches('/');
    let file = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    let page = (!name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b == b'_' || b == b'.'))
    .then(|| std::fs::read_to_string(&file).ok())
    .flatten();
    let (status, body) = match page {
        Some(page) => ("200 OK", page.replace("{{DAEMON}}", &origin)),
        None => ("404 Not Found", String::new()),
    };
    let reply = format!(
        "HTTP/1.1 {status}\r\ncontent-type: text/html; charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(reply.as_bytes()).await;
    let _ = stream.shutdown().await;
}

// ---------------------------------------------------------------------------
// The browser

/// A headless Chromium with a fresh profile; every tab is 1280×800.
pub struct Chrome {
    browser: Browser,
    handler: JoinHandle<()>,
    _profile: tempfile::TempDir,
}

impl Chrome {
    pub async fn launch(executable: &Path) -> Self {
        let profile = tempfile::tempdir().expect("profile dir");
        let config = BrowserConfig::builder()
            .chrome_executable(executable)
            .no_sandbox()
            .user_data_dir(profile.path())
            .window_size(WIDTH, HEIGHT)
            .viewport(Viewport {
                width: WIDTH,
                height: HEIGHT,
                device_scale_factor: Some(1.0),
                emulating_mobile: false,
                is_landscape: true,
                has_touch: false,
            })
            .args([
                "disable-gpu",
                "disable-background-networking",
                "disable-component-update",
                "disable-sync",
                "no-first-run",
                "no-default-browser-check",
                // ingestd refuses headless browsers as bots; present the
                // user agent of the same Chromium with a window.
                "user-agent=Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
            ])
            .launch_timeout(Duration::from_secs(30))
            .request_timeout(Duration::from_secs(30))
            .build()
            .expect("browser config");
        let (browser, mut handler) = Browser::launch(config).await.expect("launch Chromium");
        let handler = tokio::spawn(async move {
            while let Some(event) = handler.next().await {
                if let Err(error) = event {
                    // Shown with a failing test's output (closing the browser
                    // also ends the connection this way).
                    eprintln!("DevTools connection: {error}");
                    break;
                }
            }
        });
        Self {
            browser,
            handler,
            _profile: profile,
        }
    }

    /// A new tab showing `url`, once the tracker has started. (The tab that
    /// was in front is hidden, as when a user opens a tab.)
    pub async fn open(&self, url: &str) -> Tab {
        self.open_with(url, Open::default()).await
    }

    /// Like [`Chrome::open`], with options.
    pub async fn open_with(&self, url: &str, options: Open<'_>) -> Tab {
        let mut target = CreateTargetParams::builder()
            .url("about:blank")
            .new_window(options.new_window);
        if let Some(visitor) = options.visitor {
            target = target.browser_context_id(visitor.clone());
        }
        let target = target.build().expect("target params");
        let page = self.browser.new_page(target).await.expect("new tab");
        let problems = Arc::new(Mutex::new(Vec::new()));
        let mut exceptions = page
            .event_listener::<EventExceptionThrown>()
            .await
            .expect("exception listener");
        let mut console = page
            .event_listener::<EventConsoleApiCalled>()
            .await
            .expect("console listener");
        page.execute(EnableParams::default())
            .await
            .expect("Runtime.enable");
        let sink = Arc::clone(&problems);
        let exceptions = tokio::spawn(async move {
            while let Some(event) = exceptions.next().await {
                let details = &event.exception_details;
                let text = details
                    .exception
                    .as_ref()
                    .and_then(|e| e.description.clone())
                    .unwrap_or_else(|| details.text.clone());
                let source = details
                    .url
                    .clone()
                    .filter(|u| !u.is_empty())
                    .or_else(|| first_url(details.stack_trace.as_ref()));
                sink.lock().unwrap().push(ScriptProblem {
                    kind: "exception".into(),
                    source,
                    text,
                });
            }
        });
        let sink = Arc::clone(&problems);
        let console = tokio::spawn(async move {
            while let Some(event) = console.next().await {
                let text = event
                    .args
                    .iter()
                    .map(|a| {
                        a.value
                            .as_ref()
                            .map(|v| v.to_string())
                            .or_else(|| a.description.clone())
                            .unwrap_or_default()
                    })
                    .collect::<Vec<_>>()
                    .join(" ");
                sink.lock().unwrap().push(ScriptProblem {
                    kind: format!("console.{:?}", event.r#type).to_lowercase(),
                    source: first_url(event.stack_trace.as_ref()),
                    text,
                });
            }
        });
        if let Some(script) = options.init_script {
            page.evaluate_on_new_document(script)
                .await
                .expect("init script");
        }
        let tab = Tab {
            page,
            problems,
            listeners: vec![exceptions, console],
        };
        tab.goto(url).await;
        tab
    }

    /// Another visitor: a browser context of its own (storage, cache and
    /// cookies apart from every other), for [`Open::visitor`].
    pub async fn new_visitor(&self) -> BrowserContextId {
        self.browser
            .create_browser_context(CreateBrowserContextParams::default())
            .await
            .expect("browser context")
    }

    pub async fn close(mut self) {
        let _ = self.browser.close().await;
        let _ = self.browser.wait().await;
        let _ = self.handler.await;
    }
}

/// How [`Chrome::open_with`] opens a tab.
#[derive(Debug, Clone, Copy, Default)]
pub struct Open<'a> {
    /// Runs before any script of every document the tab loads.
    pub init_script: Option<&'a str>,
    /// In a window of its own, so that the other tabs stay visible.
    pub new_window: bool,
    /// In a visitor's browser context ([`Chrome::new_visitor`]) instead of
    /// the default one, which every other tab shares.
    pub visitor: Option<&'a BrowserContextId>,
}

/// The script URL of the innermost frame of a stack trace.
fn first_url(stack: Option<&StackTrace>) -> Option<String> {
    stack?
        .call_frames
        .iter()
        .map(|f| f.url.clone())
        .find(|u| !u.is_empty())
}

/// An uncaught exception or a console message seen in a tab.
#[derive(Debug, Clone)]
pub struct ScriptProblem {
    pub kind: String,
    /// URL of the script it came from, when known.
    pub source: Option<String>,
    pub text: String,
}

impl ScriptProblem {
    /// From the tracker (`tracker.js` or the `layout.js` it loads), or from
    /// an unknown script (which could be the tracker).
    pub fn may_be_the_trackers(&self) -> bool {
        self.source
            .as_deref()
            .is_none_or(|s| s.contains("/tracker.js") || s.contains("/layout.js"))
    }
}

/// Page metrics as the tracker reads them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct PageSize {
    /// `[scrollWidth, scrollHeight]` of the document.
    pub page: [u32; 2],
    /// `[innerWidth, innerHeight]`.
    pub viewport: [u32; 2],
}

/// Where a real mouse click landed, read from the page just before it.
#[derive(Debug, Clone, Deserialize)]
pub struct Clicked {
    /// The click point in page (document) coordinates.
    #[serde(default)]
    pub x: f64,
    #[serde(default)]
    pub y: f64,
    /// `[scrollX, scrollY]` at the click.
    pub scroll: [f64; 2],
    pub size: PageSize,
    /// The element's page rectangle: x, y, width, height, rounded.
    #[serde(rename = "box")]
    pub rect: [i64; 4],
    /// The click point in the viewport (`clientX`, `clientY`).
    #[serde(default)]
    pub viewport_point: [f64; 2],
}

/// A browser tab, with the exceptions and console messages it has seen.
pub struct Tab {
    pub page: Page,
    problems: Arc<Mutex<Vec<ScriptProblem>>>,
    listeners: Vec<JoinHandle<()>>,
}

impl Drop for Tab {
    fn drop(&mut self) {
        for listener in &self.listeners {
            listener.abort();
        }
    }
}

impl Tab {
    /// Navigates and waits for the tracker to start.
    pub async fn goto(&self, url: &str) {
        self.page.goto(url).await.expect("navigate");
        self.wait_for_tracker().await;
    }

    /// Brings the tab in front again (the tab in front is hidden), as a
    /// user going back to it does.
    pub async fn bring_to_front(&self) {
        self.page.bring_to_front().await.expect("bring to front");
        self.wait_until("the tab in front", "document.visibilityState == 'visible'")
            .await;
    }

    /// Reloads and waits for the tracker to start again.
    pub async fn reload(&self) {
        // A marker that the reloaded document no longer has.
        self.js::<Value>("window.__before_reload = true").await;
        self.page.reload().await.expect("reload");
        self.wait_until(
            "the reloaded page",
            "!window.__before_reload && document.readyState == 'complete'",
        )
        .await;
        self.wait_for_tracker().await;
    }

    pub async fn wait_for_tracker(&self) {
        self.wait_until(
            "the tracker",
            "typeof window.analyticsTracker == 'object' && document.readyState == 'complete'",
        )
        .await;
    }

    /// Evaluates `expression` (awaiting a promise) and returns its JSON value.
    pub async fn js<T: DeserializeOwned>(&self, expression: &str) -> T {
        let deadline = Instant::now() + Duration::from_secs(5);
        let value = loop {
            let params = EvaluateParams::builder()
                .expression(expression)
                .await_promise(true)
                .return_by_value(true)
                .build()
                .expect("evaluate params");
            match self.page.evaluate_expression(params).await {
                Ok(result) => break result.value().cloned().unwrap_or(Value::Null),
                Err(CdpError::JavascriptException(e)) => {
                    panic!("{expression} threw: {e:?}")
                }
                // Right after a navigation the execution context can be stale.
                Err(error) if Instant::now() < deadline => {
                    let _ = error;
                    tokio::time::sleep(POLL).await;
                }
                Err(error) => panic!("cannot evaluate {expression}: {error}"),
            }
        };
        serde_json::from_value(value.clone())
            .unwrap_or_else(|e| panic!("{expression} gave {value}: {e}"))
    }

    /// Polls `condition` (a JS expression) until it is true.
    pub async fn wait_until(&self, what: &str, condition: &str) {
        let deadline = Instant::now() + DEADLINE;
        let expression = format!("!!({condition})");
        while !self.js::<bool>(&expression).await {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            tokio::time::sleep(POLL).await;
        }
    }

    /// `await analyticsTracker.flush()`: the queue is delivered or a retry is
    /// scheduled.
    pub async fn flush(&self) {
        self.js::<Value>("(async () => { await window.analyticsTracker.flush(); return null })()")
            .await;
    }

    /// `analyticsTracker.track(name, {})`.
    pub async fn track(&self, name: &str) {
        self.js::<Value>(&format!(
            "window.analyticsTracker.track({}, {{}})",
            Value::from(name)
        ))
        .await;
    }

    /// The tracker's stored state (`localStorage.analytics`), or null.
    pub async fn state(&self) -> Value {
        self.js("JSON.parse(localStorage.getItem('analytics'))")
            .await
    }

    pub async fn size(&self) -> PageSize {
        self.js(
            "({page: [document.documentElement.scrollWidth, document.documentElement.scrollHeight], \
               viewport: [innerWidth, innerHeight]})",
        )
        .await
    }

    /// Scrolls the element `selector` into the middle of the viewport and
    /// clicks its centre with real mouse events (`Input.dispatchMouseEvent`).
    pub async fn click(&self, selector: &str) -> Clicked {
        let element = format!("document.querySelector({})", Value::from(selector));
        self.click_element(&element, true).await
    }

    /// Clicks the centre of the element that the JavaScript expression
    /// `element` evaluates to (also inside a shadow root) with real mouse
    /// events, after scrolling it into the middle of the viewport when
    /// `scroll` is true (else where the page is scrolled now).
    pub async fn click_element(&self, element: &str, scroll: bool) -> Clicked {
        self.click_element_at(element, scroll, None).await
    }

    /// Like [`Tab::click_element`], at `offset` CSS pixels from the element's
    /// top left corner instead of its centre.
    pub async fn click_element_at(
        &self,
        element: &str,
        scroll: bool,
        offset: Option<[f64; 2]>,
    ) -> Clicked {
        let offset = serde_json::to_string(&offset).expect("offset");
        let point: Value = self
            .js(&format!(
                "(async () => {{
                    const el = {element}, offset = {offset}
                    if ({scroll}) el.scrollIntoView({{block: 'center', inline: 'center', behavior: 'instant'}})
                    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))
                    const r = el.getBoundingClientRect()
                    const [dx, dy] = offset || [r.width / 2, r.height / 2]
                    const x = Math.round(r.left + dx), y = Math.round(r.top + dy)
                    let hit = document.elementFromPoint(x, y)
                    while (hit?.shadowRoot?.elementFromPoint(x, y) && hit.shadowRoot.elementFromPoint(x, y) != hit)
                        hit = hit.shadowRoot.elementFromPoint(x, y)
                    return {{x, y, hit: el.contains(hit)}}
                }})()"
            ))
            .await;
        assert_eq!(
            point["hit"], true,
            "{element} is covered where it is clicked"
        );
        let (vx, vy) = (
            point["x"].as_f64().expect("x"),
            point["y"].as_f64().expect("y"),
        );
        // Read the page as the tracker will see it at the click.
        let mut clicked: Clicked = self
            .js(&format!(
                "(() => {{
                    const el = {element}, r = el.getBoundingClientRect()
                    return {{scroll: [scrollX, scrollY],
                        size: {{page: [document.documentElement.scrollWidth, document.documentElement.scrollHeight],
                                viewport: [innerWidth, innerHeight]}},
                        box: [r.x + scrollX, r.y + scrollY, r.width, r.height].map(Math.round)}}
                }})()"
            ))
            .await;
        self.page
            .click(Point { x: vx, y: vy })
            .await
            .expect("mouse click");
        clicked.x = clicked.scroll[0] + vx;
        clicked.y = clicked.scroll[1] + vy;
        clicked.viewport_point = [vx, vy];
        clicked
    }

    /// Focuses the element `element` (a JavaScript expression) and types
    /// `text` into it through the browser's input pipeline
    /// (`Input.insertText`, as an input method commits text).
    pub async fn type_into(&self, element: &str, text: &str) {
        self.js::<Value>(&format!("({element}).focus()")).await;
        self.page
            .execute(InsertTextParams::new(text))
            .await
            .expect("Input.insertText");
    }

    /// Everything seen so far that may come from the tracker.
    pub fn tracker_problems(&self) -> Vec<ScriptProblem> {
        self.problems
            .lock()
            .unwrap()
            .iter()
            .filter(|p| p.may_be_the_trackers())
            .cloned()
            .collect()
    }

    /// Asserts that the tracker has thrown nothing and logged nothing.
    pub fn assert_no_tracker_problems(&self) {
        let problems = self.tracker_problems();
        assert!(
            problems.is_empty(),
            "the tracker raised script errors: {problems:#?}"
        );
    }

    pub async fn close(self) {
        // Page.close runs the page's unload handlers, as closing a tab does.
        self.page.clone().close().await.expect("close tab");
    }
}
