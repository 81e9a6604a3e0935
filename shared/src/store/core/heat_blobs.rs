//! The blobs of sealed heat days and blocks (the SQLite engine packs its
//! past days of the heat rollups into them): a run
//! per key (a selector, a page width, a band) in key order: the zig-zag
//! varint key, the varint length of the run's entries in bytes, then the
//! entries, each a row's other columns as zig-zag varints; an element's
//! label is its length (`-1`: none) and its UTF-8 bytes. The length lets a
//! read skip the runs of selectors it does not want.
//!
//! [`merge`] sums the blobs of several days into one by the rollups' own
//! rules (counts add, maxima and labels take the greatest).

use super::varint::{self, put_signed, Cursor};
use crate::store::reach::BandCounts;
use crate::store::StoreError;
use std::collections::BTreeMap;

/// What a blob holds: the rows of one of the heat rollups (cells, anchors,
/// page extents, elements, the scroll reach); its value is the code stored
/// beside the blob.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Cells = 0,
    Anchors = 1,
    Extents = 2,
    Elements = 3,
    Reach = 4,
}

/// The blob of `rows`, sorted by their first column, each row's other
/// columns the entry.
pub(crate) fn encode_ints<const N: usize>(rows: &[[i64; N]]) -> Vec<u8> {
    encode(
        rows,
        |r| r[0],
        |r, out| {
            for &v in &r[1..] {
                put_signed(out, v);
            }
        },
    )
}

/// The blob of elements `(selector, clicks, rage_clicks, label)`, sorted:
/// a label is its length (`-1`: none) and its UTF-8 bytes.
pub(crate) fn encode_elements(rows: &[(i64, i64, i64, Option<String>)]) -> Vec<u8> {
    encode(
        rows,
        |e| e.0,
        |e, out| {
            put_signed(out, e.1);
            put_signed(out, e.2);
            match &e.3 {
                Some(label) => {
                    put_signed(out, label.len() as i64);
                    out.extend_from_slice(label.as_bytes());
                }
                None => put_signed(out, -1),
            }
        },
    )
}

/// The blob of `rows`, sorted by `key`: a run per key of the entries
/// `entry` writes.
fn encode<R>(rows: &[R], key: impl Fn(&R) -> i64, entry: impl Fn(&R, &mut Vec<u8>)) -> Vec<u8> {
    let mut out = Vec::with_capacity(rows.len() * 6);
    let mut run = Vec::new();
    for group in rows.chunk_by(|a, b| key(a) == key(b)) {
        run.clear();
        for row in group {
            entry(row, &mut run);
        }
        put_signed(&mut out, key(&group[0]));
        varint::put(&mut out, run.len() as u64);
        out.extend_from_slice(&run);
    }
    out
}

/// Calls `cell(selector, gx, gy, clicks, rage_clicks)` with each cell of a
/// cells blob.
pub(crate) fn each_cell(
    blob: &[u8],
    mut cell: impl FnMut(i64, i64, i64, i64, i64),
) -> Result<(), StoreError> {
    each_run(
        blob,
        "sealed heat cells",
        |_| true,
        |selector, entries| {
            while !entries.is_empty() {
                let (gx, gy) = (entries.signed()?, entries.signed()?);
                cell(selector, gx, gy, entries.signed()?, entries.signed()?);
            }
            Ok(())
        },
    )
}

/// Calls `anchor(selector, anchor, clicks, rage_clicks)` with each anchor
/// of an anchors blob whose selector is `wanted`.
pub(crate) fn each_anchor(
    blob: &[u8],
    wanted: impl Fn(i64) -> bool,
    mut anchor: impl FnMut(i64, i64, i64, i64),
) -> Result<(), StoreError> {
    each_run(blob, "sealed heat anchors", wanted, |selector, entries| {
        while !entries.is_empty() {
            let code = entries.signed()?;
            anchor(selector, code, entries.signed()?, entries.signed()?);
        }
        Ok(())
    })
}

/// Calls `extent(width, clicks, max_ph, max_y)` with each page width of an
/// extents blob.
pub(crate) fn each_extent(
    blob: &[u8],
    mut extent: impl FnMut(i64, i64, Option<i64>, i64),
) -> Result<(), StoreError> {
    each_run(
        blob,
        "sealed heat extents",
        |_| true,
        |width, entries| {
            while !entries.is_empty() {
                let clicks = entries.signed()?;
                let max_ph = Some(entries.signed()?).filter(|&h| h >= 0);
                extent(width, clicks, max_ph, entries.signed()?);
            }
            Ok(())
        },
    )
}

/// Calls `element(selector, clicks, rage_clicks, label)` with each element
/// of an elements blob.
pub(crate) fn each_element(
    blob: &[u8],
    mut element: impl FnMut(i64, i64, i64, Option<&str>),
) -> Result<(), StoreError> {
    each_run(
        blob,
        "sealed heat elements",
        |_| true,
        |selector, entries| {
            while !entries.is_empty() {
                let (clicks, rage) = (entries.signed()?, entries.signed()?);
                let label = match usize::try_from(entries.signed()?) {
                    Ok(len) => Some(
                        std::str::from_utf8(entries.bytes(len)?).map_err(|_| entries.corrupt())?,
                    ),
                    Err(_) => None,
                };
                element(selector, clicks, rage, label);
            }
            Ok(())
        },
    )
}

/// Calls `band(band, counts)` with each band of a reach blob.
pub(crate) fn each_band(
    blob: &[u8],
    mut band: impl FnMut(i64, BandCounts),
) -> Result<(), StoreError> {
    each_run(
        blob,
        "sealed scroll reach",
        |_| true,
        |start, entries| {
            while !entries.is_empty() {
                let views = entries.signed()?;
                let folds = entries.signed()?;
                band(start, BandCounts { views, folds });
            }
            Ok(())
        },
    )
}

fn each_run(
    blob: &[u8],
    what: &'static str,
    wanted: impl Fn(i64) -> bool,
    mut run: impl FnMut(i64, &mut Cursor<'_>) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    let mut blob = Cursor::new(blob, what);
    while !blob.is_empty() {
        let selector = blob.signed()?;
        let len = usize::try_from(blob.varint()?).map_err(|_| blob.corrupt())?;
        let entries = blob.bytes(len)?;
        if wanted(selector) {
            run(selector, &mut Cursor::new(entries, what))?;
        }
    }
    Ok(())
}

/// One blob of `kind` summing `blobs` (of that kind).
pub(crate) fn merge<'a>(
    kind: Kind,
    blobs: impl Iterator<Item = &'a [u8]>,
) -> Result<Vec<u8>, StoreError> {
    Ok(match kind {
        Kind::Cells => {
            let mut sums: BTreeMap<[i64; 3], [i64; 2]> = BTreeMap::new();
            for blob in blobs {
                each_cell(blob, |s, gx, gy, clicks, rage| {
                    let sum = sums.entry([s, gx, gy]).or_default();
                    sum[0] += clicks;
                    sum[1] += rage;
                })?;
            }
            let rows: Vec<[i64; 5]> = sums
                .into_iter()
                .map(|([s, gx, gy], [c, r])| [s, gx, gy, c, r])
                .collect();
            encode_ints(&rows)
        }
        Kind::Anchors => {
            let mut sums: BTreeMap<[i64; 2], [i64; 2]> = BTreeMap::new();
            for blob in blobs {
                each_anchor(
                    blob,
                    |_| true,
                    |s, anchor, clicks, rage| {
                        let sum = sums.entry([s, anchor]).or_default();
                        sum[0] += clicks;
                        sum[1] += rage;
                    },
                )?;
            }
            let rows: Vec<[i64; 4]> = sums
                .into_iter()
                .map(|([s, a], [c, r])| [s, a, c, r])
                .collect();
            encode_ints(&rows)
        }
        Kind::Extents => {
            let mut sums: BTreeMap<i64, [i64; 3]> = BTreeMap::new();
            for blob in blobs {
                each_extent(blob, |width, clicks, max_ph, max_y| {
                    let sum = sums.entry(width).or_insert([0, -1, i64::MIN]);
                    sum[0] += clicks;
                    sum[1] = sum[1].max(max_ph.unwrap_or(-1));
                    sum[2] = sum[2].max(max_y);
                })?;
            }
            let rows: Vec<[i64; 4]> = sums
                .into_iter()
                .map(|(w, [c, ph, y])| [w, c, ph, y])
                .collect();
            encode_ints(&rows)
        }
        Kind::Elements => {
            let mut sums: BTreeMap<i64, (i64, i64, Option<String>)> = BTreeMap::new();
            for blob in blobs {
                each_element(blob, |s, clicks, rage, label| {
                    let sum = sums.entry(s).or_default();
                    sum.0 += clicks;
                    sum.1 += rage;
                    if label > sum.2.as_deref() {
                        sum.2 = label.map(str::to_owned);
                    }
                })?;
            }
            let rows: Vec<(i64, i64, i64, Option<String>)> = sums
                .into_iter()
                .map(|(s, (c, r, label))| (s, c, r, label))
                .collect();
            encode_elements(&rows)
        }
        Kind::Reach => {
            let mut sums: BTreeMap<i64, BandCounts> = BTreeMap::new();
            for blob in blobs {
                each_band(blob, |band, counts| {
                    *sums.entry(band).or_default() += counts
                })?;
            }
            let rows: Vec<[i64; 3]> = sums
                .into_iter()
                .filter(|(_, counts)| !counts.is_zero())
                .map(|(band, c)| [band, c.views, c.folds])
                .collect();
            encode_ints(&rows)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blobs_give_back_their_rows_and_skip_unwanted_selectors() {
        let mut cells = vec![
            [7, 199, 1_000, 3, 1],
            [0, 0, 0, 1, 0],
            [7, 2, 5, 1, 0],
            [12, 50, 70_000, 1 << 33, 0],
            [0, 1, 9, -2, 0],
        ];
        cells.sort_unstable();
        let mut read = Vec::new();
        each_cell(&encode_ints(&cells), |s, gx, gy, c, r| {
            read.push([s, gx, gy, c, r])
        })
        .expect("cells");
        assert_eq!(read, cells);

        let anchors = vec![[3, 0, 1, 0], [3, 1023, 2, 1], [5, 17, 4, 4], [9, 1, 1, 0]];
        let mut wanted = Vec::new();
        each_anchor(
            &encode_ints(&anchors),
            |s| s != 5,
            |s, a, c, r| wanted.push([s, a, c, r]),
        )
        .expect("anchors");
        assert_eq!(wanted, [[3, 0, 1, 0], [3, 1023, 2, 1], [9, 1, 1, 0]]);

        assert!(each_cell(&[], |_, _, _, _, _| panic!("no cells")).is_ok());
        let blob = encode_ints(&cells);
        let err = each_cell(&blob[..blob.len() - 1], |_, _, _, _, _| {}).expect_err("cut");
        assert!(err.to_string().contains("sealed heat cells"), "{err}");
    }

    #[test]
    fn extents_elements_and_bands_read_back() {
        let extents = [
            [375, 4, -1, 900],
            [1280, 2, 4_000, 3_990],
            [1280, 1, 2_000, 10],
        ];
        let mut read = Vec::new();
        each_extent(&encode_ints(&extents), |w, c, ph, y| {
            read.push((w, c, ph, y))
        })
        .expect("extents");
        assert_eq!(
            read,
            [
                (375, 4, None, 900),
                (1280, 2, Some(4_000), 3_990),
                (1280, 1, Some(2_000), 10)
            ]
        );

        let elements = vec![
            (4, 2, 1, None),
            (4, 1, 0, Some(String::new())),
            (9, 3, 0, Some("Ajouter au panier · 🛒".to_owned())),
        ];
        let mut read = Vec::new();
        each_element(&encode_elements(&elements), |s, c, r, label| {
            read.push((s, c, r, label.map(str::to_owned)));
        })
        .expect("elements");
        assert_eq!(read, elements);

        let bands = [[0, 7, 0], [2_400, -3, 2], [48_000, -4, 0]];
        let mut read = Vec::new();
        each_band(&encode_ints(&bands), |b, c| {
            read.push([b, c.views, c.folds])
        })
        .expect("bands");
        assert_eq!(read, bands);
    }

    /// Days merge by the rollups' rules: counts add, maxima and labels take
    /// the greatest, bands that cancel out go.
    #[test]
    fn merged_days_sum_their_rows() {
        let merged =
            |kind, days: &[Vec<u8>]| merge(kind, days.iter().map(Vec::as_slice)).expect("merge");
        let cells = merged(
            Kind::Cells,
            &[
                encode_ints(&[[1, 2, 3, 1, 0], [4, 0, 0, 2, 1]]),
                encode_ints(&[[1, 2, 3, 5, 1]]),
            ],
        );
        assert_eq!(cells, encode_ints(&[[1, 2, 3, 6, 1], [4, 0, 0, 2, 1]]));
        let extents = merged(
            Kind::Extents,
            &[
                encode_ints(&[[1280, 1, -1, 50]]),
                encode_ints(&[[1280, 2, 900, 40], [375, 1, -1, 7]]),
            ],
        );
        assert_eq!(extents, encode_ints(&[[375, 1, -1, 7], [1280, 3, 900, 50]]));
        let elements = merged(
            Kind::Elements,
            &[
                encode_elements(&[(7, 1, 0, Some("b".into()))]),
                encode_elements(&[(7, 2, 1, None), (8, 1, 0, None)]),
                encode_elements(&[(7, 1, 0, Some("a".into()))]),
            ],
        );
        assert_eq!(
            elements,
            encode_elements(&[(7, 4, 1, Some("b".into())), (8, 1, 0, None)])
        );
        let reach = merged(
            Kind::Reach,
            &[
                encode_ints(&[[0, 2, 0], [5, -2, 0], [88, 0, 2]]),
                encode_ints(&[[5, 2, 0], [9, -2, 0], [88, 0, 1]]),
            ],
        );
        assert_eq!(reach, encode_ints(&[[0, 2, 0], [9, -2, 0], [88, 0, 3]]));
        let anchors = merged(
            Kind::Anchors,
            &[encode_ints(&[[3, 9, 1, 0]]), encode_ints(&[[3, 9, 1, 1]])],
        );
        assert_eq!(anchors, encode_ints(&[[3, 9, 2, 1]]));
    }
}
