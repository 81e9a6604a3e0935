//! The bounded queue in front of the single writer, and the writer thread that
//! commits what waits in it as one transaction (group commit).
//!
//! A request's batch goes in with a one-shot reply channel; the writer gathers
//! batches until it has `commit_events` events, `commit_bytes` bytes, or
//! `commit_delay` has passed since the first, commits them together with one
//! fsync, and only then answers each request. A failed commit answers every
//! request of the group with an error (→ 503) and the writer reopens the
//! database before the next commit instead of retrying a failed fsync on the
//! same handle.

use crate::metrics::Metrics;
use shared::event::EventBatch;
use shared::store::layout_query::SiteLayout;
use shared::store::{AppendOutcome, EventWriter, StoreError};
use std::sync::atomic::Ordering::Relaxed;
use std::sync::mpsc::{self, RecvTimeoutError, SyncSender, TryRecvError, TrySendError};
use std::sync::{Arc, RwLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// Opens the database's write side; called at start and after a failure.
pub type WriterOpener = Box<dyn FnMut() -> Result<Box<dyn EventWriter>, StoreError> + Send>;

/// Why a batch was not committed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum CommitError {
    #[error("the database is unavailable: {0}")]
    Store(String),
    #[error("the writer has stopped")]
    Stopped,
}

/// Why a batch could not be queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum QueueError {
    #[error("the commit queue is full")]
    Full,
    #[error("the server is shutting down")]
    Closed,
}

pub type Reply = oneshot::Receiver<Result<AppendOutcome, CommitError>>;

struct Job {
    batch: EventBatch,
    /// Layout snapshots of the request, stored in the same commit.
    layouts: Vec<SiteLayout>,
    bytes: usize,
    reply: oneshot::Sender<Result<AppendOutcome, CommitError>>,
}

/// Limits of the queue, of one commit, and of how long events are kept.
#[derive(Debug, Clone, Copy)]
pub struct QueueLimits {
    pub max_batches: usize,
    pub max_bytes: usize,
    pub commit_events: usize,
    pub commit_bytes: usize,
    pub commit_delay: Duration,
    /// Sessions older than this are deleted by the writer thread (at start
    /// and every [`EXPIRY_INTERVAL`]), between commits.
    pub retention: Option<Duration>,
}

/// How often the writer applies the retention.
pub const EXPIRY_INTERVAL: Duration = Duration::from_secs(3600);

/// The sending side, shared by every request handler.
pub struct CommitQueue {
    sender: RwLock<Option<SyncSender<Job>>>,
    max_batches: usize,
    max_bytes: usize,
    metrics: Arc<Metrics>,
}

impl CommitQueue {
    /// Whether a batch of `bytes` would find the queue full now. A hint for
    /// shedding load before a body is parsed; [`CommitQueue::submit`] is what
    /// enforces the bounds.
    pub fn looks_full(&self, bytes: usize) -> bool {
        self.metrics.queue_batches.load(Relaxed) >= self.max_batches as i64
            || self.metrics.queue_bytes.load(Relaxed) + bytes as i64 > self.max_bytes as i64
    }

    /// Queues `batch` (whose request body was `bytes` long) for commit.
    pub fn submit(&self, batch: EventBatch, bytes: usize) -> Result<Reply, QueueError> {
        self.submit_with_layouts(batch, Vec::new(), bytes)
    }

    /// [`Self::submit`], with the request's layout snapshots, committed with
    /// its events.
    pub fn submit_with_layouts(
        &self,
        batch: EventBatch,
        layouts: Vec<SiteLayout>,
        bytes: usize,
    ) -> Result<Reply, QueueError> {
        // Reserve the bytes only if they fit, so the gauge never shows more
        // than the bound, even for a moment.
        let max_bytes = self.max_bytes as i64;
        let reserved = self
            .metrics
            .queue_bytes
            .fetch_update(Relaxed, Relaxed, |queued| {
                queued
                    .checked_add(bytes as i64)
                    .filter(|after| *after <= max_bytes)
            });
        if reserved.is_err() {
            return Err(QueueError::Full);
        }
        let (reply, receiver) = oneshot::channel();
        let job = Job {
            batch,
            layouts,
            bytes,
            reply,
        };
        let sent = match self.sender.read() {
            Ok(guard) => match guard.as_ref() {
                Some(sender) => sender.try_send(job).map_err(|e| match e {
                    TrySendError::Full(_) => QueueError::Full,
                    TrySendError::Disconnected(_) => QueueError::Closed,
                }),
                None => Err(QueueError::Closed),
            },
            Err(_) => Err(QueueError::Closed),
        };
        match sent {
            Ok(()) => {
                self.metrics.queue_batches.fetch_add(1, Relaxed);
                Ok(receiver)
            }
            Err(e) => {
                self.metrics.queue_bytes.fetch_sub(bytes as i64, Relaxed);
                Err(e)
            }
        }
    }

    /// Stops taking batches; the writer commits what is queued and exits.
    pub fn close(&self) {
        if let Ok(mut guard) = self.sender.write() {
            guard.take();
        }
    }
}

/// Opens the writer, hands it to `on_open` (ingestd reads what it needs to
/// know of the store there), and starts its thread. Fails if the database
/// cannot be opened at all, so a misconfigured daemon stops at start-up.
pub fn start(
    mut opener: WriterOpener,
    limits: QueueLimits,
    metrics: Arc<Metrics>,
    on_open: impl FnOnce(&mut dyn EventWriter),
) -> Result<(CommitQueue, JoinHandle<()>), StoreError> {
    let mut writer = opener()?;
    on_open(&mut *writer);
    metrics.store_available.store(1, Relaxed);
    let (sender, receiver) = mpsc::sync_channel(limits.max_batches.max(1));
    let thread_metrics = Arc::clone(&metrics);
    let handle = std::thread::Builder::new()
        .name("ingestd-writer".into())
        .spawn(move || {
            WriterLoop {
                writer: Some(writer),
                opener,
                limits,
                metrics: thread_metrics,
                next_reopen: Instant::now(),
                next_expiry: Instant::now(),
            }
            .run(receiver)
        })
        .map_err(|source| StoreError::Spawn {
            what: "writer thread",
            source,
        })?;
    Ok((
        CommitQueue {
            sender: RwLock::new(Some(sender)),
            max_batches: limits.max_batches.max(1),
            max_bytes: limits.max_bytes,
            metrics,
        },
        handle,
    ))
}

/// Least time between a failure (of a commit or of a reopen) and the next
/// attempt to reopen the database; batches in between are answered 503.
const REOPEN_BACKOFF: Duration = Duration::from_millis(250);

struct WriterLoop {
    writer: Option<Box<dyn EventWriter>>,
    opener: WriterOpener,
    limits: QueueLimits,
    metrics: Arc<Metrics>,
    next_reopen: Instant,
    next_expiry: Instant,
}

impl WriterLoop {
    fn run(mut self, receiver: mpsc::Receiver<Job>) {
        loop {
            let first = match self.limits.retention {
                None => match receiver.recv() {
                    Ok(job) => job,
                    Err(_) => break,
                },
                Some(retention) => {
                    self.expire_if_due(retention);
                    let wait = self.next_expiry.saturating_duration_since(Instant::now());
                    match receiver.recv_timeout(wait) {
                        Ok(job) => job,
                        Err(RecvTimeoutError::Timeout) => continue,
                        Err(RecvTimeoutError::Disconnected) => break,
                    }
                }
            };
            // Each batch leaves the batch gauge as it leaves the channel, so
            // the gauge never counts more than the channel holds; its bytes
            // stay reserved until the commit starts.
            self.metrics.queue_batches.fetch_sub(1, Relaxed);
            let jobs = self.gather(first, &receiver);
            let bytes: usize = jobs.iter().map(|j| j.bytes).sum();
            self.metrics.queue_bytes.fetch_sub(bytes as i64, Relaxed);
            self.commit(jobs);
        }
        tracing::debug!("commit queue closed and drained; writer stops");
    }

    /// Takes `first` and whatever else arrives before a limit is reached.
    fn gather(&self, first: Job, receiver: &mpsc::Receiver<Job>) -> Vec<Job> {
        let deadline = Instant::now() + self.limits.commit_delay;
        let mut events = first.batch.events.len();
        let mut bytes = first.bytes;
        let mut jobs = vec![first];
        while events < self.limits.commit_events && bytes < self.limits.commit_bytes {
            let next = match receiver.try_recv() {
                Ok(job) => job,
                Err(TryRecvError::Disconnected) => break,
                Err(TryRecvError::Empty) => {
                    let now = Instant::now();
                    if now >= deadline {
                        break;
                    }
                    match receiver.recv_timeout(deadline - now) {
                        Ok(job) => job,
                        Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => break,
                    }
                }
            };
            self.metrics.queue_batches.fetch_sub(1, Relaxed);
            events += next.batch.events.len();
            bytes += next.bytes;
            jobs.push(next);
        }
        jobs
    }

    fn commit(&mut self, jobs: Vec<Job>) {
        let writer = match self.writer.as_mut() {
            Some(writer) => writer,
            None => match self.reopen() {
                Ok(writer) => writer,
                Err(error) => {
                    for job in jobs {
                        let _ = job.reply.send(Err(error.clone()));
                    }
                    return;
                }
            },
        };
        let mut layouts = Vec::new();
        let mut batches = Vec::with_capacity(jobs.len());
        let mut replies = Vec::with_capacity(jobs.len());
        for job in jobs {
            batches.push(job.batch);
            layouts.extend(job.layouts);
            replies.push(job.reply);
        }
        let started = Instant::now();
        match writer.append_with_layouts(&batches, &layouts) {
            Ok(outcomes) => {
                self.metrics.store_available.store(1, Relaxed);
                self.metrics
                    .commit_seconds
                    .observe(started.elapsed().as_secs_f64());
                let events: usize = batches.iter().map(|b| b.events.len()).sum();
                self.metrics.commit_events.observe(events as f64);
                for (reply, outcome) in replies.into_iter().zip(outcomes) {
                    let _ = reply.send(Ok(outcome));
                }
            }
            Err(error) => {
                self.metrics.commit_failures.fetch_add(1, Relaxed);
                self.metrics.store_available.store(0, Relaxed);
                tracing::error!(%error, batches = batches.len(), "commit failed; reopening the database before the next commit");
                let error = CommitError::Store(error.to_string());
                for reply in replies {
                    let _ = reply.send(Err(error.clone()));
                }
                // Never commit again on a handle whose write or fsync failed:
                // the next commit opens the database afresh, after a pause
                // in which batches are answered at once. Closing it (and its
                // checkpoint thread) happens after the replies are out.
                self.writer = None;
                self.next_reopen = Instant::now() + REOPEN_BACKOFF;
            }
        }
    }

    /// Deletes the sessions past retention when the time has come.
    fn expire_if_due(&mut self, retention: Duration) {
        let now = Instant::now();
        if now < self.next_expiry {
            return;
        }
        self.next_expiry = now + EXPIRY_INTERVAL;
        let cutoff = shared::now_ms().saturating_sub(retention.as_millis() as i64);
        let writer = match self.writer.as_mut() {
            Some(writer) => writer,
            None => match self.reopen() {
                Ok(writer) => writer,
                Err(_) => {
                    // Try again soon rather than in an hour.
                    self.next_expiry = now + REOPEN_BACKOFF;
                    return;
                }
            },
        };
        match writer.expire_before(cutoff) {
            Ok(events) => tracing::info!(events, cutoff, "retention: expired sessions deleted"),
            Err(error) => {
                tracing::error!(%error, "retention failed; reopening the database before the next commit");
                self.writer = None;
                self.next_reopen = Instant::now() + REOPEN_BACKOFF;
                self.next_expiry = now + REOPEN_BACKOFF;
            }
        }
    }

    fn reopen(&mut self) -> Result<&mut Box<dyn EventWriter>, CommitError> {
        let now = Instant::now();
        if now < self.next_reopen {
            return Err(CommitError::Store(
                "reopening the database after a failure".into(),
            ));
        }
        self.metrics.store_reopens.fetch_add(1, Relaxed);
        match (self.opener)() {
            Ok(writer) => {
                tracing::info!("database reopened");
                Ok(self.writer.insert(writer))
            }
            Err(error) => {
                // Counted from the failure, not the attempt: an attempt can
                // take seconds (a server that does not answer), and the
                // batches that arrived meanwhile are answered at once. The
                // same pause follows a failed commit.
                self.next_reopen = Instant::now() + REOPEN_BACKOFF;
                self.metrics.store_reopen_failures.fetch_add(1, Relaxed);
                tracing::error!(%error, "reopening the database failed");
                Err(CommitError::Store(error.to_string()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::event::{ClientInfo, Event, EventKind};
    use shared::store::sqlite::SqliteWriter;
    use std::sync::atomic::Ordering::Relaxed;

    fn batch(id: usize) -> EventBatch {
        EventBatch {
            site: "demo".into(),
            session_id: "s".into(),
            visitor_id: "v".into(),
            client: ClientInfo::default(),
            events: vec![Event {
                id: format!("e{id}"),
                kind: EventKind::PageView,
                ts: 1_764_000_000_000 + id as i64,
                received_at: 1_764_000_000_000,
                clock_adjusted: false,
                url: "https://a.example/".into(),
                page_key: "a.example/".into(),
                title: None,
                referrer: None,
                viewport: None,
                page: None,
                x: None,
                y: None,
                target: None,
                depth: None,
                depth_from: None,
                name: None,
                props: None,
            }],
        }
    }

    fn start_queue(
        dir: &tempfile::TempDir,
        limits: QueueLimits,
    ) -> (CommitQueue, JoinHandle<()>, Arc<Metrics>) {
        let path = dir.path().join("q.db");
        let opener: WriterOpener =
            Box::new(move || Ok(Box::new(SqliteWriter::open(&path)?) as Box<dyn EventWriter>));
        let metrics = Arc::new(Metrics::default());
        let (queue, thread) =
            start(opener, limits, Arc::clone(&metrics), |_| {}).unwrap_or_else(|e| panic!("{e}"));
        (queue, thread, metrics)
    }

    fn limits() -> QueueLimits {
        QueueLimits {
            max_batches: 100,
            max_bytes: 1 << 20,
            commit_events: 1000,
            commit_bytes: 1 << 20,
            commit_delay: Duration::ZERO,
            retention: None,
        }
    }

    /// Commits done so far (the histogram's count).
    fn commits(metrics: &Metrics) -> u64 {
        let text = metrics.render();
        text.lines()
            .find_map(|l| l.strip_prefix("ingestd_commit_batch_events_count "))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    }

    #[test]
    fn commits_on_count_then_on_delay() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let (queue, thread, metrics) = start_queue(
            &dir,
            QueueLimits {
                commit_events: 3,
                commit_delay: Duration::from_millis(300),
                ..limits()
            },
        );
        let started = Instant::now();
        let replies: Vec<Reply> = (0..7)
            .map(|i| queue.submit(batch(i), 10).unwrap_or_else(|e| panic!("{e}")))
            .collect();
        for reply in replies {
            assert_eq!(
                reply
                    .blocking_recv()
                    .ok()
                    .and_then(|r| r.ok())
                    .map(|o| o.inserted),
                Some(1)
            );
        }
        // 3 + 3 on count, the last one alone after the delay.
        assert_eq!(commits(&metrics), 3);
        assert!(started.elapsed() >= Duration::from_millis(300));
        queue.close();
        thread.join().unwrap_or_else(|_| panic!("writer panicked"));
    }

    #[test]
    fn commits_on_bytes() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let (queue, thread, metrics) = start_queue(
            &dir,
            QueueLimits {
                commit_bytes: 100,
                commit_delay: Duration::from_secs(30),
                ..limits()
            },
        );
        let started = Instant::now();
        let replies: Vec<Reply> = (0..4)
            .map(|i| queue.submit(batch(i), 50).unwrap_or_else(|e| panic!("{e}")))
            .collect();
        for reply in replies {
            assert!(reply.blocking_recv().is_ok_and(|r| r.is_ok()));
        }
        assert_eq!(commits(&metrics), 2, "two commits of 100 bytes each");
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "did not wait for the delay"
        );
        queue.close();
        thread.join().unwrap_or_else(|_| panic!("writer panicked"));
    }

    #[test]
    fn bounded_by_bytes_and_closed_after_close() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let (queue, thread, metrics) = start_queue(
            &dir,
            QueueLimits {
                max_bytes: 100,
                ..limits()
            },
        );
        assert!(matches!(queue.submit(batch(0), 101), Err(QueueError::Full)));
        assert_eq!(
            metrics.queue_bytes.load(Relaxed),
            0,
            "a refused batch leaves no bytes counted"
        );
        let reply = queue
            .submit(batch(1), 100)
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(reply.blocking_recv().is_ok_and(|r| r.is_ok()));
        queue.close();
        assert!(matches!(queue.submit(batch(2), 1), Err(QueueError::Closed)));
        thread.join().unwrap_or_else(|_| panic!("writer panicked"));
        assert_eq!(metrics.queue_batches.load(Relaxed), 0);
    }
}
