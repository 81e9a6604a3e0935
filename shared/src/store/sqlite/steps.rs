//! Each session's steps ([`crate::store::core::steps`]) as one blob
//! ([`crate::store::core::step_blobs`]) in `session_steps`, keyed by the
//! session's start, so that paths and funnels read one small row per session
//! of their range, in order.

use super::reader::{session_conditions, start_in_range, Conditions, SqliteReader};
use crate::store::core::step_blobs::{encode, walk, RawLabel};
use crate::store::core::steps::{is_dead_end, merge, quick_backs, Step, StepLabel};
use crate::store::fast_hash::{FastMap, FastSet};
use crate::store::flow_query::{FlowLabel, FlowStep, StepSet};
use crate::store::query::Filter;
use crate::store::StoreError;
use rusqlite::{params, params_from_iter, Transaction};

/// Fills the steps, quick backs and last rage click of every session from
/// its stored events (schema version 4).
pub(super) fn backfill(tx: &Transaction<'_>) -> Result<(), StoreError> {
    tx.execute_batch(
        "UPDATE sessions SET last_rage_ts =
             (SELECT MAX(ts) FROM events e WHERE e.session_id = sessions.id AND e.kind = 1
                                              AND (e.flags & 2) <> 0)",
    )?;
    let mut select = tx.prepare(
        "SELECT session_id, ts, id, kind, page_id, name FROM events
         WHERE kind IN (0, 3) ORDER BY session_id",
    )?;
    let mut update =
        tx.prepare("UPDATE sessions SET steps = ?2, quick_backs = ?3 WHERE id = ?1")?;
    let mut rows = select.query([])?;
    let mut current: Option<(i64, Vec<Step<i64>>)> = None;
    let mut flush = |session: i64, mut steps: Vec<Step<i64>>| -> Result<(), StoreError> {
        merge(&mut steps, Vec::new());
        update.execute(params![session, encode(&steps), quick_backs(&steps)])?;
        Ok(())
    };
    while let Some(r) = rows.next()? {
        let session: i64 = r.get(0)?;
        let label = if r.get::<_, i64>(3)? == 0 {
            StepLabel::Page(r.get(4)?)
        } else {
            StepLabel::Event(r.get::<_, Option<String>>(5)?.unwrap_or_default())
        };
        let step = Step {
            ts: r.get(1)?,
            order: r.get(2)?,
            label,
        };
        match &mut current {
            Some((id, steps)) if *id == session => steps.push(step),
            _ => {
                if let Some((id, steps)) = current.replace((session, vec![step])) {
                    flush(id, steps)?;
                }
            }
        }
    }
    if let Some((id, steps)) = current {
        flush(id, steps)?;
    }
    Ok(())
}

/// The steps of the sessions `filter` selects, pages named by their keys.
/// A session whose blob cannot be read is left out.
///
/// The blobs are read from `session_steps` alone, a range of small rows in
/// start order, when the filter holds only a range; other conditions join
/// the sessions. Dead ends are the few sessions with a rage click, read
/// first through their own index.
pub(super) fn step_set(reader: &SqliteReader, filter: &Filter) -> Result<StepSet, StoreError> {
    let dead_ends = dead_ends(reader, filter)?;
    let mut c = Conditions::default();
    session_conditions(filter, false, &mut c);
    let join = if c.is_empty() {
        ""
    } else {
        " JOIN sessions s ON s.id = st.session_id"
    };
    start_in_range(filter.range, "st.start_ts", &mut c);
    let sql = format!(
        "SELECT st.session_id, st.steps FROM session_steps st{join}{}",
        c.sql()
    );
    let mut set = StepSet::default();
    // Page ids are looked up once each, on first sight.
    let mut labels = PageLabels::default();
    let mut page_key = reader
        .conn
        .prepare_cached("SELECT key FROM pages WHERE id = ?1")?;
    let mut steps: Vec<FlowStep> = Vec::new();
    let mut stmt = reader.conn.prepare_cached(&sql)?;
    let mut rows = stmt.query(params_from_iter(c.params.iter()))?;
    while let Some(r) = rows.next()? {
        let id: i64 = r.get(0)?;
        let blob = r.get_ref(1)?.as_blob().unwrap_or_default();
        steps.clear();
        let mut failed: Option<StoreError> = None;
        let read = walk(blob, |ts, _, label| {
            let label = match label {
                RawLabel::Page(page) => match labels.get(page) {
                    Some(label) => FlowLabel::Page(label),
                    None => {
                        let key = page_key
                            .query_row([page], |r| r.get::<_, String>(0))
                            .unwrap_or_else(|e| {
                                failed.get_or_insert(e.into());
                                String::new()
                            });
                        let label = set.page(&key);
                        labels.insert(page, label);
                        FlowLabel::Page(label)
                    }
                },
                RawLabel::Event(name) => FlowLabel::Event(set.name(&String::from_utf8_lossy(name))),
            };
            steps.push(FlowStep { ts, label });
        });
        if let Some(e) = failed {
            return Err(e);
        }
        if read.is_ok() {
            set.push_flagged(id, steps.drain(..), dead_ends.contains(&id));
        }
    }
    Ok(set)
}

/// The step set's label of each page id seen: a dense table for the ids a
/// database gives (row ids from 1 up), a map for any others. A month of
/// sessions looks a label up for each of its millions of page views.
#[derive(Default)]
struct PageLabels {
    dense: Vec<u32>,
    sparse: FastMap<i64, u32>,
}

impl PageLabels {
    /// Ids below this go in the dense table (4 MiB at most).
    const DENSE: i64 = 1 << 20;
    const UNSEEN: u32 = u32::MAX;

    fn get(&self, page: i64) -> Option<u32> {
        if (0..Self::DENSE).contains(&page) {
            self.dense
                .get(page as usize)
                .copied()
                .filter(|l| *l != Self::UNSEEN)
        } else {
            self.sparse.get(&page).copied()
        }
    }

    fn insert(&mut self, page: i64, label: u32) {
        if (0..Self::DENSE).contains(&page) {
            let at = page as usize;
            if self.dense.len() <= at {
                self.dense.resize(at + 1, Self::UNSEEN);
            }
            self.dense[at] = label;
        } else {
            self.sparse.insert(page, label);
        }
    }
}

/// The sessions `filter` selects that are dead ends.
fn dead_ends(reader: &SqliteReader, filter: &Filter) -> Result<FastSet<i64>, StoreError> {
    let mut c = Conditions::default();
    session_conditions(filter, true, &mut c);
    c.push("s.last_rage_ts IS NOT NULL", []);
    let sql = format!(
        "SELECT s.id, s.end_ts, s.last_rage_ts FROM sessions s{}",
        c.sql()
    );
    let mut stmt = reader.conn.prepare_cached(&sql)?;
    let mut rows = stmt.query(params_from_iter(c.params.iter()))?;
    let mut dead = FastSet::default();
    while let Some(r) = rows.next()? {
        if is_dead_end(r.get(1)?, r.get(2)?) {
            dead.insert(r.get(0)?);
        }
    }
    Ok(dead)
}

/// Moves a session's steps row when its start moves (an earlier event came
/// late), and writes its steps when `blob` holds new ones.
pub(super) fn store(
    tx: &Transaction<'_>,
    session_id: i64,
    old_start: i64,
    new_start: i64,
    blob: Option<&[u8]>,
) -> rusqlite::Result<()> {
    match blob {
        Some(blob) => {
            if old_start != new_start {
                tx.prepare_cached(
                    "DELETE FROM session_steps WHERE start_ts = ?1 AND session_id = ?2",
                )?
                .execute(params![old_start, session_id])?;
            }
            tx.prepare_cached(
                "INSERT INTO session_steps (start_ts, session_id, steps) VALUES (?1, ?2, ?3)
                 ON CONFLICT (start_ts, session_id) DO UPDATE SET steps = excluded.steps",
            )?
            .execute(params![new_start, session_id, blob])?;
        }
        None if old_start != new_start => {
            tx.prepare_cached(
                "UPDATE session_steps SET start_ts = ?3 WHERE start_ts = ?1 AND session_id = ?2",
            )?
            .execute(params![old_start, session_id, new_start])?;
        }
        None => {}
    }
    Ok(())
}

/// A session's stored steps blob, if it has one.
pub(super) fn stored(
    tx: &Transaction<'_>,
    session_id: i64,
    start: i64,
) -> rusqlite::Result<Option<Vec<u8>>> {
    use rusqlite::OptionalExtension;
    tx.prepare_cached("SELECT steps FROM session_steps WHERE start_ts = ?1 AND session_id = ?2")?
        .query_row(params![start, session_id], |r| r.get(0))
        .optional()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_labels_hold_any_id() {
        let mut labels = PageLabels::default();
        assert_eq!(labels.get(3), None);
        for (id, label) in [
            (3, 0),
            (0, 1),
            (-5, 2),
            (PageLabels::DENSE, 3),
            (i64::MAX, 4),
        ] {
            labels.insert(id, label);
        }
        assert_eq!(labels.get(3), Some(0));
        assert_eq!(labels.get(0), Some(1));
        assert_eq!(labels.get(-5), Some(2));
        assert_eq!(labels.get(PageLabels::DENSE), Some(3));
        assert_eq!(labels.get(i64::MAX), Some(4));
        assert_eq!(labels.get(2), None);
        assert_eq!(labels.get(1_000), None);
        assert!(labels.dense.len() <= 4);
    }
}
