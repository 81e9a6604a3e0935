//! Progress of long store operations — schema migrations and their
//! back-fills, MongoDB index set-up, removing a visitor's sessions — reported
//! through one small trait, [`Progress`], so that the library never writes to
//! a terminal: a binary passes an implementation that draws (or one that
//! stays quiet), and [`Silent`] is what every call without one gets.
//!
//! A task is announced by [`Progress::begin`] with its length in units when
//! known (migration steps, sessions), advanced unit by unit, and closed by
//! [`Progress::end`]. A reporter may be handed several tasks in a row.

/// Receives the progress of long operations. Every method does nothing by
/// default, so an implementation keeps only what it shows.
///
/// `Sync` because an engine may report from inside its driver's runtime.
pub trait Progress: Sync {
    /// A task starts: what it does, and how many units it takes if known.
    fn begin(&self, _task: &str, _total: Option<u64>) {}
    /// `units` more of the current task are done.
    fn advance(&self, _units: u64) {}
    /// The current task is over (done, or failed: the caller says which).
    fn end(&self) {}
}

/// Reports nothing: the progress of calls that do not ask for it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl Progress for Silent {}

/// Writes down every report, in order, for the tests of the operations that
/// report.
#[cfg(test)]
#[derive(Debug, Default)]
pub(crate) struct Recorder(std::sync::Mutex<Vec<String>>);

#[cfg(test)]
impl Recorder {
    pub(crate) fn log(&self) -> Vec<String> {
        self.0.lock().map(|l| l.clone()).unwrap_or_default()
    }

    fn push(&self, entry: String) {
        if let Ok(mut log) = self.0.lock() {
            log.push(entry);
        }
    }
}

#[cfg(test)]
impl Progress for Recorder {
    fn begin(&self, task: &str, total: Option<u64>) {
        self.push(format!("begin {task} ({total:?})"));
    }
    fn advance(&self, units: u64) {
        self.push(format!("advance {units}"));
    }
    fn end(&self) {
        self.push("end".into());
    }
}
