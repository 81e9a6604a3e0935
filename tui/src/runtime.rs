//! The terminal loop: sets the terminal up, feeds key, mouse, resize, tick,
//! signal and worker messages through [`update`], hands queued queries to
//! the worker, draws, and restores the terminal however it ends (quit, error,
//! panic or SIGTERM).

use crate::app::{update, App, Msg, View};
use crate::render::render;
use crate::saved_views::Book;
use crate::theme::{self, ColorDepth};
use crate::worker::{self, Request, Source};
use anyhow::{Context, Result};
use ratatui::crossterm::event::{
    self, DisableMouseCapture, EnableMouseCapture, Event, KeyEventKind,
};
use ratatui::crossterm::execute;
use shared::store::query::Filter;
use std::sync::mpsc::{self, Receiver, Sender};
use std::time::{Duration, Instant};

/// How often the clock ticks: often enough that a slow query's progress
/// shows after 100 ms and counts up smoothly.
const TICK: Duration = Duration::from_millis(100);
/// How often the screen is drawn for the clock alone while no query is out
/// (live figures, times ago): the ticks in between redraw only while a query
/// runs, so an idle console draws no more often than the clock needs.
const IDLE_REDRAW: Duration = Duration::from_millis(250);

/// How the console starts.
#[derive(Debug, Clone)]
pub struct Options {
    pub view: View,
    pub filter: Filter,
    pub range: Option<crate::filters::Range>,
    /// Shown in the header (database, demo URL).
    pub source: String,
    /// The saved views file as read at start (`None`: no place for one).
    pub views: Option<Book>,
    /// The saved view to open at start (`--view`); its filters are under
    /// `filter`'s, its range under `range`.
    pub open: Option<String>,
}

/// Restores the terminal when dropped, whatever happened.
struct TerminalGuard;

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        let _ = execute!(std::io::stdout(), DisableMouseCapture);
        ratatui::restore();
    }
}

/// Runs the interactive console until the user quits or SIGTERM arrives.
pub fn run(source: Source, options: Options) -> Result<()> {
    let (messages, inbox) = mpsc::channel::<Msg>();
    let (requests, worker_inbox) = mpsc::channel::<Request>();
    let _worker = worker::spawn(source, worker_inbox, messages.clone())
        .context("cannot start the query thread")?;
    watch_signals(messages.clone());

    // ratatui's init installs a panic hook that restores the terminal; this
    // one also turns mouse reporting off first.
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let _ = execute!(std::io::stdout(), DisableMouseCapture);
        previous(info);
    }));
    let mut terminal = ratatui::try_init().context("cannot set up the terminal")?;
    let _guard = TerminalGuard;
    execute!(std::io::stdout(), EnableMouseCapture).context("cannot enable the mouse")?;
    spawn_input(messages.clone());

    let depth = ColorDepth::detect();
    let size = terminal.size().context("cannot read the terminal size")?;
    let mut app = App::new((size.width, size.height), shared::now_ms());
    app.color = depth != ColorDepth::None;
    app.set_views(options.views);
    let view = options
        .open
        .as_deref()
        .and_then(|name| app.apply_named(name))
        .unwrap_or(options.view);
    app.filter = crate::filters::overlay(&app.filter, &options.filter);
    if let Some(range) = options.range {
        app.range = range;
    }
    app.source = options.source;
    app.start(view);
    drop(messages);
    event_loop(&mut terminal, &mut app, &inbox, &requests, depth)
}

fn event_loop(
    terminal: &mut ratatui::DefaultTerminal,
    app: &mut App,
    inbox: &Receiver<Msg>,
    requests: &Sender<Request>,
    depth: ColorDepth,
) -> Result<()> {
    // Requests the worker has not answered yet (it answers each once).
    let mut out = 0usize;
    loop {
        run_jobs(app);
        for request in app.take_requests() {
            // The worker only stops when this side hangs up.
            out += usize::from(requests.send(request).is_ok());
        }
        terminal.draw(|frame| {
            render(app, frame);
            theme::adapt(frame.buffer_mut(), depth);
        })?;
        let drawn = Instant::now();
        // Apply everything that is waiting before drawing again; a batch of
        // clock ticks alone waits for the next unless a query is out or the
        // clock's own redraw is due.
        let mut queue = Vec::new();
        while queue.is_empty()
            || (out == 0
                && queue.iter().all(|m| matches!(m, Msg::Tick(_)))
                && drawn.elapsed() < IDLE_REDRAW)
        {
            let Ok(first) = inbox.recv() else {
                return Ok(());
            };
            queue.push(first);
            while let Ok(more) = inbox.try_recv() {
                queue.push(more);
            }
        }
        out -= queue
            .iter()
            .filter(|m| matches!(m, Msg::Loaded(_)))
            .count()
            .min(out);
        for msg in queue {
            let mut next = Some(msg);
            while let Some(msg) = next {
                next = update(app, msg);
            }
        }
        if app.quit {
            return Ok(());
        }
    }
}

/// Runs the file work `update` queued (reading and saving the views file, a
/// few kilobytes) and applies what it found.
fn run_jobs(app: &mut App) {
    for job in app.take_jobs() {
        let mut next = Some(Msg::from(job.run()));
        while let Some(msg) = next {
            next = update(app, msg);
        }
    }
}

/// Reads terminal events and sends them (and clock ticks) as messages.
fn spawn_input(messages: Sender<Msg>) {
    std::thread::spawn(move || {
        let mut last_tick = Instant::now();
        loop {
            let wait = TICK.saturating_sub(last_tick.elapsed());
            let msg = match event::poll(wait) {
                Ok(true) => match event::read() {
                    Ok(Event::Key(key)) if key.kind != KeyEventKind::Release => Some(Msg::Key(key)),
                    Ok(Event::Mouse(mouse)) => Some(Msg::Mouse(mouse)),
                    Ok(Event::Resize(w, h)) => Some(Msg::Resize(w, h)),
                    Ok(_) => None,
                    Err(_) => Some(Msg::Quit),
                },
                Ok(false) => None,
                Err(_) => Some(Msg::Quit),
            };
            if let Some(msg) = msg {
                if messages.send(msg).is_err() {
                    return;
                }
            }
            if last_tick.elapsed() >= TICK {
                last_tick = Instant::now();
                if messages.send(Msg::Tick(shared::now_ms())).is_err() {
                    return;
                }
            }
        }
    });
}

/// Turns SIGTERM, SIGHUP and SIGINT into a clean quit.
fn watch_signals(messages: Sender<Msg>) {
    std::thread::spawn(move || {
        let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        else {
            return;
        };
        runtime.block_on(async move {
            #[cfg(unix)]
            {
                use tokio::signal::unix::{signal, SignalKind};
                let (Ok(mut term), Ok(mut hup), Ok(mut int)) = (
                    signal(SignalKind::terminate()),
                    signal(SignalKind::hangup()),
                    signal(SignalKind::interrupt()),
                ) else {
                    return;
                };
                tokio::select! {
                    _ = term.recv() => {}
                    _ = hup.recv() => {}
                    _ = int.recv() => {}
                }
            }
            #[cfg(not(unix))]
            {
                let _ = tokio::signal::ctrl_c().await;
            }
            let _ = messages.send(Msg::Quit);
        });
    });
}
