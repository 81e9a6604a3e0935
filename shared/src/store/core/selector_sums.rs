//! Clicks and rage clicks summed by selector and key (a cell of the
//! heatmap's scaled grid, an anchor inside an element) for the heatmap's
//! reads, which sum millions of rollup entries at ten million events.
//!
//! Entries come selector by selector (a sealed blob's runs, the rollups'
//! key order), so the last selector's sums are remembered. Keys the caller
//! bounds small (anchors: 1,024 per element) are counted in a dense array
//! per selector while a budget allows, an index being cheaper than a hash
//! lookup; others in a hash (a map's grid can be far larger than its
//! clicks, and an array that size costs more to clear than it saves).

use crate::store::fast_hash::FastMap;

/// Clicks and rage clicks.
pub(crate) type Sum = (u64, u64);

/// How many keys all dense arrays together may hold (16 bytes each).
const DENSE_BUDGET: u64 = 1 << 20;

/// One selector's sums.
struct Sums {
    /// Keys below the dense bound, when the budget gave an array.
    dense: Vec<Sum>,
    sparse: FastMap<u64, Sum>,
}

pub(crate) struct SelectorSums {
    /// Each selector's place in `sums`.
    selectors: FastMap<i64, usize>,
    sums: Vec<(i64, Sums)>,
    last: Option<(i64, usize)>,
    /// Keys are below this (others are still counted, in the hash).
    keys: u64,
    dense_left: u64,
}

impl SelectorSums {
    /// Sums of keys below `keys`.
    pub(crate) fn new(keys: u64) -> Self {
        Self {
            selectors: FastMap::default(),
            sums: Vec::new(),
            last: None,
            keys,
            dense_left: DENSE_BUDGET,
        }
    }

    pub(crate) fn add(&mut self, selector: i64, key: u64, clicks: u64, rage_clicks: u64) {
        let at = match self.last {
            Some((last, at)) if last == selector => at,
            _ => self.place_of(selector),
        };
        let sums = &mut self.sums[at].1;
        let sum = match usize::try_from(key)
            .ok()
            .and_then(|k| sums.dense.get_mut(k))
        {
            Some(sum) => sum,
            None => sums.sparse.entry(key).or_default(),
        };
        sum.0 += clicks;
        sum.1 += rage_clicks;
    }

    fn place_of(&mut self, selector: i64) -> usize {
        let (sums, keys, dense_left) = (&mut self.sums, self.keys, &mut self.dense_left);
        let at = *self.selectors.entry(selector).or_insert_with(|| {
            let dense = if keys <= *dense_left {
                *dense_left -= keys;
                vec![(0, 0); keys as usize]
            } else {
                Vec::new()
            };
            sums.push((
                selector,
                Sums {
                    dense,
                    sparse: FastMap::default(),
                },
            ));
            sums.len() - 1
        });
        self.last = Some((selector, at));
        at
    }

    /// The selectors with sums.
    pub(crate) fn selectors(&self) -> impl Iterator<Item = i64> + '_ {
        self.sums.iter().map(|s| s.0)
    }

    /// Each selector's keys with clicks or rage clicks, and their sums.
    pub(crate) fn into_sums(self) -> impl Iterator<Item = (i64, Vec<(u64, Sum)>)> {
        self.sums.into_iter().map(|(selector, sums)| {
            let dense = (0u64..).zip(sums.dense);
            let keys = dense
                .chain(sums.sparse)
                .filter(|(_, sum)| *sum != (0, 0))
                .collect();
            (selector, keys)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Dense and hashed sums, and keys past the bound, add up alike.
    #[test]
    fn sums_do_not_depend_on_where_they_are_kept() {
        let entries = [
            (3, 5, 1, 0),
            (3, 5, 2, 1),
            (9, 0, 1, 0),
            (3, 7, 1, 1),
            (9, 40, 4, 0),
        ];
        let read = |keys: u64| {
            let mut sums = SelectorSums::new(keys);
            for &(selector, key, clicks, rage) in &entries {
                sums.add(selector, key, clicks, rage);
            }
            let mut all: Vec<(i64, Vec<(u64, Sum)>)> = sums.into_sums().collect();
            for (_, keys) in &mut all {
                keys.sort_unstable();
            }
            all.sort_unstable();
            all
        };
        let expected = vec![
            (3, vec![(5, (3, 1)), (7, (1, 1))]),
            (9, vec![(0, (1, 0)), (40, (4, 0))]),
        ];
        // Dense with a key past the bound hashed, dense, one selector dense
        // and the other over the budget, both hashed.
        for keys in [10, 64, DENSE_BUDGET, DENSE_BUDGET + 1] {
            assert_eq!(read(keys), expected, "{keys} keys");
        }
    }
}
