//! A session's steps ([`super::steps`]) as one blob: a run of steps, each the
//! zig-zag varint of its time minus the previous step's, the same for its
//! order (the engine's storage order), then a tag: `0` and the zig-zag
//! varint page id of a page view, or `1`, the varint length and the UTF-8
//! name of a custom event. About 6 bytes a page view.

use super::steps::{merge, quick_backs, Step, StepLabel};
use super::varint::{self, put_signed, Cursor};
use crate::store::StoreError;

const PAGE: u8 = 0;
const EVENT: u8 = 1;

/// The blob of `steps`.
pub(crate) fn encode(steps: &[Step<i64>]) -> Vec<u8> {
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
                varint::put(&mut out, name.len() as u64);
                out.extend_from_slice(name.as_bytes());
            }
        }
    }
    out
}

/// A step as a blob holds it: a page view by page id, or a custom event by
/// its name's bytes.
pub(crate) enum RawLabel<'a> {
    Page(i64),
    Event(&'a [u8]),
}

/// Calls `step` with each step of a blob, `(ts, order, label)`, in order.
pub(crate) fn walk<'a>(
    blob: &'a [u8],
    mut step: impl FnMut(i64, i64, RawLabel<'a>),
) -> Result<(), StoreError> {
    let mut blob = Cursor::new(blob, "a session's steps");
    let (mut ts, mut order) = (0i64, 0i64);
    while !blob.is_empty() {
        ts = ts.wrapping_add(blob.signed()?);
        order = order.wrapping_add(blob.signed()?);
        let label = match blob.byte()? {
            PAGE => RawLabel::Page(blob.signed()?),
            EVENT => {
                let len = usize::try_from(blob.varint()?).map_err(|_| blob.corrupt())?;
                RawLabel::Event(blob.bytes(len)?)
            }
            _ => return Err(blob.corrupt()),
        };
        step(ts, order, label);
    }
    Ok(())
}

/// Reads a blob back.
pub(crate) fn decode(blob: &[u8]) -> Result<Vec<Step<i64>>, StoreError> {
    let mut steps = Vec::new();
    walk(blob, |ts, order, label| {
        let label = match label {
            RawLabel::Page(page) => StepLabel::Page(page),
            RawLabel::Event(name) => StepLabel::Event(String::from_utf8_lossy(name).into_owned()),
        };
        steps.push(Step { ts, order, label });
    })?;
    Ok(steps)
}

/// Merges a commit's new steps into a session's blob; returns the blob and
/// the session's quick backs.
pub(crate) fn merged(
    stored: Option<&[u8]>,
    new: &[Step<i64>],
) -> Result<(Vec<u8>, i64), StoreError> {
    let mut steps = match stored {
        Some(blob) => decode(blob)?,
        None => Vec::new(),
    };
    merge(&mut steps, new.to_vec());
    Ok((encode(&steps), quick_backs(&steps)))
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
        assert_eq!(decode(&blob).expect("decoded"), steps);
        assert!(decode(&blob[..blob.len() - 1]).is_err());
        assert!(decode(&[0, 0, 9]).is_err());
    }
}
