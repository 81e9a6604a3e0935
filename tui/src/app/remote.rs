//! [`Remote`]: data fetched from the store, with its loading and error state
//! and the generation of the request it waits for.

use crate::worker::Answer;
use std::time::{Duration, Instant};

/// How long a request may take before the view says it is loading: a quick
/// answer then replaces the old one without a flash of "loading…".
pub const PROGRESS_AFTER: Duration = Duration::from_millis(100);

/// Data fetched from the store, with its loading and error state.
#[derive(Debug, Clone, PartialEq)]
pub struct Remote<T> {
    pub data: Option<T>,
    /// The generation of the request in flight; answers with another one
    /// were superseded.
    pub pending: Option<u64>,
    pub error: Option<String>,
    /// False when the filter changed since the data was requested.
    pub fresh: bool,
    /// When the request in flight was sent.
    pub asked: Option<Instant>,
}

impl<T> Default for Remote<T> {
    fn default() -> Self {
        Self {
            data: None,
            pending: None,
            error: None,
            fresh: false,
            asked: None,
        }
    }
}

impl<T> Remote<T> {
    pub fn loading(&self) -> bool {
        self.pending.is_some()
    }

    /// How long the request in flight has taken, once that is more than
    /// [`PROGRESS_AFTER`]: the time to show progress.
    pub fn slow(&self) -> Option<Duration> {
        let waited = self.asked.filter(|_| self.loading())?.elapsed();
        (waited >= PROGRESS_AFTER).then_some(waited)
    }

    /// Waits for the answer to request `generation`; any older answer is now
    /// stale. The data stays on screen until the answer arrives.
    pub(super) fn wait_for(&mut self, generation: u64) {
        self.pending = Some(generation);
        self.fresh = true;
        self.asked = Some(Instant::now());
    }

    /// Takes the answer to request `generation` if it is the one in flight
    /// (true), and drops it if a newer request superseded it (false).
    pub(super) fn accept(&mut self, generation: u64, result: Result<T, String>) -> bool {
        if self.pending != Some(generation) {
            return false;
        }
        self.pending = None;
        match result {
            Ok(data) => {
                self.data = Some(data);
                self.error = None;
            }
            Err(error) => self.error = Some(error),
        }
        true
    }
}

/// The answer's data if it is the kind `pick` takes; an answer of another
/// kind is an error.
pub(super) fn unpack<T>(
    result: Result<Answer, String>,
    pick: impl FnOnce(Answer) -> Option<T>,
) -> Result<T, String> {
    pick(result?).ok_or_else(|| "unexpected answer".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_newest_request_is_answered() {
        let mut remote = Remote::<u32>::default();
        remote.wait_for(1);
        remote.wait_for(2);
        assert!(!remote.accept(1, Ok(10)), "superseded");
        assert_eq!(remote.data, None);
        assert!(remote.loading());
        assert!(remote.accept(2, Ok(20)));
        assert_eq!(remote.data, Some(20));
        assert!(!remote.loading());
        assert!(!remote.accept(2, Ok(30)), "answered already");
        assert_eq!(remote.data, Some(20));
    }

    #[test]
    fn an_error_keeps_the_old_data() {
        let mut remote = Remote::<u32>::default();
        remote.wait_for(1);
        remote.accept(1, Ok(10));
        remote.wait_for(2);
        remote.accept(2, Err("gone".into()));
        assert_eq!(remote.data, Some(10));
        assert_eq!(remote.error.as_deref(), Some("gone"));
    }

    #[test]
    fn an_answer_of_another_kind_is_an_error() {
        let answer = Ok(Answer::Journey(None));
        let picked = unpack(answer, |a| match a {
            Answer::Journey(j) => Some(j),
            _ => None,
        });
        assert_eq!(picked, Ok(None));
        let wrong = unpack(Ok(Answer::Journey(None)), |a| match a {
            Answer::Pages(p) => Some(p),
            _ => None,
        });
        assert_eq!(wrong, Err("unexpected answer".into()));
    }
}
