//! Progress bars for long operations (schema migrations, deleting a
//! visitor, the demo's back-fill) on standard error — only when it is a
//! terminal: piped or redirected, the binary writes no progress at all, so
//! scripts and logs see only results and errors.
//!
//! The library reports through [`shared::progress::Progress`]; [`Bar`] draws
//! those reports with `indicatif`, and [`reporter`] picks it or
//! [`Silent`] by [`draws`], the one rule for when progress is shown.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use shared::progress::{Progress, Silent};
use std::io::IsTerminal;
use std::sync::Mutex;

/// Whether progress is drawn: only on a terminal that can move the cursor
/// (`TERM=dumb` cannot redraw a line, so a bar would print a line per update).
pub fn draws(stderr_is_terminal: bool, term: Option<&str>) -> bool {
    stderr_is_terminal && term != Some("dumb")
}

/// The reporter for this process: a [`Bar`] on standard error when
/// [`draws`] says so, [`Silent`] otherwise.
pub fn reporter() -> Box<dyn Progress> {
    let term = std::env::var("TERM").ok();
    if draws(std::io::stderr().is_terminal(), term.as_deref()) {
        Box::new(Bar::default())
    } else {
        Box::new(Silent)
    }
}

/// Draws each task as a bar on standard error (a spinner when its length is
/// unknown); a finished task stays on screen as one line.
#[derive(Default)]
pub struct Bar {
    current: Mutex<Option<ProgressBar>>,
}

impl Bar {
    fn with_current(&self, f: impl FnOnce(&mut Option<ProgressBar>)) {
        // A panic elsewhere while the lock was held only loses a redraw.
        let mut current = self.current.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut current);
    }
}

impl Progress for Bar {
    fn begin(&self, task: &str, total: Option<u64>) {
        let bar = match total {
            Some(total) => ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr())
                .with_style(
                    ProgressStyle::with_template(
                        "{msg} [{bar:30}] {human_pos}/{human_len} ({elapsed})",
                    )
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
                ),
            None => ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()),
        };
        bar.set_message(crate::text::safe(task));
        self.with_current(|current| {
            if let Some(previous) = current.replace(bar) {
                previous.finish();
            }
        });
    }

    fn advance(&self, units: u64) {
        self.with_current(|current| {
            if let Some(bar) = current {
                bar.inc(units);
            }
        });
    }

    fn end(&self) {
        self.with_current(|current| {
            if let Some(bar) = current.take() {
                bar.finish();
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_is_drawn_only_on_a_terminal_that_can_redraw() {
        assert!(draws(true, Some("xterm-256color")));
        assert!(draws(true, None));
        assert!(!draws(false, Some("xterm-256color")));
        assert!(!draws(false, None));
        assert!(!draws(true, Some("dumb")));
    }

    #[test]
    fn a_bar_follows_its_tasks() {
        let bar = Bar::default();
        bar.begin("first", Some(10));
        bar.advance(4);
        let position = |bar: &Bar| {
            let mut at = None;
            bar.with_current(|c| at = c.as_ref().map(ProgressBar::position));
            at
        };
        assert_eq!(position(&bar), Some(4));
        bar.begin("second", None);
        assert_eq!(position(&bar), Some(0), "a new task starts from zero");
        bar.end();
        assert_eq!(position(&bar), None);
        bar.advance(1);
        assert_eq!(position(&bar), None, "nothing to advance after the end");
    }
}
