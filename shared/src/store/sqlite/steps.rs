//! Each session's steps ([`crate::store::core::steps`]) as one blob in
//! `sessions.steps`, so that paths and funnels read one row per session.
//!
//! A blob is a run of steps, each: the zig-zag varint of its time minus the
//! previous step's, the same for its order (the event's row id), then a tag:
//! `0` and the varint page id of a page view, or `1`, the varint length and
//! the UTF-8 name of a custom event. About 6 bytes a page view.

use super::reader::{session_conditions, Conditions, SqliteReader};
use crate::store::core::steps::{merge, quick_backs, Step, StepLabel};
use crate::store::flow_query::{SessionSteps, StepSet};
use crate::store::query::Filter;
use crate::store::StoreError;
use rusqlite::{params, params_from_iter, Transaction};
use std::collections::HashMap;

const PAGE: u8 = 0;
const EVENT: u8 = 1;

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_signed(out: &mut Vec<u8>, v: i64) {
    put_varint(out, ((v << 1) ^ (v >> 63)) as u64);
}

/// The blob of `steps`.
pub(super) fn encode(steps: &[Step<i64>]) -> Vec<u8> {
    let mut out = Vec::with_capacity(steps.len() * 6);
    let (mut ts, mut order) = (0i64, 0i64);
    for step in steps {
        put_signed(&mut out, step.ts.wrapping_sub(ts));
        put_signed(&mut out, step.order.wrapping_sub(order));
        (ts, order) = (step.ts, step.order);
        match &step.label {
            StepLabel::Page(page) => {
                out.push(PAGE);
                put_signed(&mut out, *page);
            }
            StepLabel::Event(name) => {
                out.push(EVENT);
                put_varint(&mut out, name.len() as u64);
                out.extend_from_slice(name.as_bytes());
            }
        }
    }
    out
}

/// Reads a blob back, naming pages by `page`.
pub(super) fn decode<P>(
    blob: &[u8],
    mut page: impl FnMut(i64) -> P,
) -> Result<Vec<Step<P>>, StoreError> {
    let corrupt = || StoreError::Corrupt("a session's steps are unreadable".to_owned());
    let mut at = 0usize;
    let varint = |at: &mut usize| -> Result<u64, StoreError> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = *blob.get(*at).ok_or_else(corrupt)?;
            *at += 1;
            v |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(corrupt())
    };
    let signed = |v: u64| ((v >> 1) as i64) ^ -((v & 1) as i64);
    let mut steps = Vec::new();
    let (mut ts, mut order) = (0i64, 0i64);
    while at < blob.len() {
        ts = ts.wrapping_add(signed(varint(&mut at)?));
        order = order.wrapping_add(signed(varint(&mut at)?));
        let tag = *blob.get(at).ok_or_else(corrupt)?;
        at += 1;
        let label = match tag {
            PAGE => StepLabel::Page(page(signed(varint(&mut at)?))),
            EVENT => {
                let len = usize::try_from(varint(&mut at)?).map_err(|_| corrupt())?;
                let bytes = blob.get(at..at.saturating_add(len)).ok_or_else(corrupt)?;
                at += len;
                StepLabel::Event(String::from_utf8_lossy(bytes).into_owned())
            }
            _ => return Err(corrupt()),
        };
        steps.push(Step { ts, order, label });
    }
    Ok(steps)
}

/// Merges a commit's new steps into a session's blob; returns the blob and
/// the session's quick backs.
pub(super) fn merged(
    stored: Option<&[u8]>,
    new: &[Step<i64>],
) -> Result<(Vec<u8>, i64), StoreError> {
    let mut steps = match stored {
        Some(blob) => decode(blob, |p| p)?,
        None => Vec::new(),
    };
    merge(&mut steps, new.to_vec());
    Ok((encode(&steps), quick_backs(&steps)))
}

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
pub(super) fn step_set(reader: &SqliteReader, filter: &Filter) -> Result<StepSet, StoreError> {
    let mut c = Conditions::default();
    session_conditions(filter, true, &mut c);
    c.push("s.steps IS NOT NULL", []);
    let sql = format!("SELECT s.id, s.steps FROM sessions s{}", c.sql());
    let mut labels: HashMap<i64, u32> = HashMap::new();
    let mut page_ids: Vec<i64> = Vec::new();
    let mut sessions = Vec::new();
    let mut stmt = reader.conn.prepare_cached(&sql)?;
    let mut rows = stmt.query(params_from_iter(c.params.iter()))?;
    while let Some(r) = rows.next()? {
        let id: i64 = r.get(0)?;
        let blob = r.get_ref(1)?.as_blob().unwrap_or_default();
        let label = |page: i64| {
            *labels.entry(page).or_insert_with(|| {
                page_ids.push(page);
                (page_ids.len() - 1) as u32
            })
        };
        if let Ok(steps) = decode(blob, label) {
            sessions.push(SessionSteps {
                key: id.to_string(),
                steps,
            });
        }
    }
    let mut pages = vec![String::new(); page_ids.len()];
    let mut keys = reader.conn.prepare_cached(
        "SELECT id, key FROM pages WHERE id IN (SELECT value FROM json_each(?1))",
    )?;
    for chunk in page_ids.chunks(10_000) {
        let ids = serde_json::to_string(chunk).unwrap_or_default();
        let mut rows = keys.query([ids])?;
        while let Some(r) = rows.next()? {
            if let Some(label) = labels.get(&r.get::<_, i64>(0)?) {
                pages[*label as usize] = r.get(1)?;
            }
        }
    }
    Ok(StepSet { pages, sessions })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blobs_read_back_what_was_written() {
        let steps = vec![
            Step {
                ts: 1_767_225_600_000,
                order: 5,
                label: StepLabel::Page(7),
            },
            Step {
                ts: 1_767_225_599_000,
                order: 3,
                label: StepLabel::Event("sign up ✓".to_owned()),
            },
            Step {
                ts: -4,
                order: i64::MAX,
                label: StepLabel::Page(i64::MIN),
            },
        ];
        let blob = encode(&steps);
        assert_eq!(decode(&blob, |p| p).expect("decoded"), steps);
        assert!(decode(&blob[..blob.len() - 1], |p| p).is_err());
        assert!(decode(&[0, 0, 9], |p| p).is_err());
    }
}
