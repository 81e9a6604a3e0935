//! Maps and sets with a fast hash (`foldhash`), for the store's hot paths:
//! the path and funnel rules look labels up once or more per step of every
//! session, a commit gathers its deltas by session, page and cell (SipHash
//! was 1.8 % of the writer's time), rage judging groups clicks by cell, and
//! the heatmap reads sum millions of rollup entries. The hash is seeded at
//! random per process, as the standard one is.

pub(crate) type FastMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
pub(crate) type FastSet<K> = std::collections::HashSet<K, foldhash::fast::RandomState>;
