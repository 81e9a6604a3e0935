//! The demo's history: on an empty database, two weeks of simulated traffic
//! (see [`crate::traffic`]) are written before the demo starts, so every view
//! has something to show at once. A database that holds any event is left
//! alone, so later runs never back-fill again.
//!
//! Sessions follow a daily rhythm in the local time zone (quiet nights, a
//! morning and an evening peak, calmer weekends) and a slight growth over the
//! fortnight; about a third of them are returning visitors. Each visit's wire
//! batches go through the same validation and enrichment as ingestd's
//! (`shared::validate::prepare`, received when they were sent) and are
//! appended through the store's own writer in group commits, as ingestd's
//! writer thread would.
//!
//! Layout snapshots are asked for by ingestd's own rule
//! ([`ingestd::layouts`], with ingestd's default maximum age): when the
//! reply to a page's batch would have asked, the visitor's snapshot of that
//! page at its viewport ([`traffic::PageBatch::layout_batch`]) follows a
//! moment later and is stored in the same commit as its batch. So the
//! history holds about one snapshot a day of each page × width segment,
//! taken at whichever viewport was asked, as a real site's would.

use crate::traffic::{self, Visitor};
use anyhow::{anyhow, Context, Result};
use fastrand::Rng;
use ingestd::layouts::{BatchLayouts, MemoryLayouts};
use serde_json::Value;
use shared::event::EventBatch;
use shared::progress::Progress;
use shared::store::layout_query::SiteLayout;
use shared::store::query::{Filter, PageRequest};
use shared::store::{EventReader, EventWriter};
use shared::validate::{prepare, PreparedBatch, RequestContext};

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;

/// Relative traffic of each local hour of the day.
const RHYTHM: [u32; 24] = [
    2, 1, 1, 1, 1, 2, 4, 7, 10, 12, 13, 12, 11, 12, 12, 11, 10, 10, 11, 12, 11, 9, 6, 4,
];
/// Saturday's and Sunday's share of a weekday's traffic.
const WEEKEND: f64 = 0.65;
/// The chance that a visit is by someone who came before.
const RETURNING: f64 = 0.3;
/// Visits end before now: none starts in the last quarter of an hour.
const QUIET_END_MS: i64 = 15 * 60_000;
/// Events per group commit, about what ingestd gathers under load.
const GROUP_EVENTS: usize = 4_096;

/// The demo's sessions on an average weekday of its history.
pub const SESSIONS_PER_DAY: u32 = 360;

/// How much history to simulate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Plan {
    pub days: i64,
    /// Sessions on an average weekday.
    pub sessions_per_day: u32,
    /// The same seed gives the same visitors, visits and ids.
    pub seed: u64,
    /// The local time zone's offset from UTC, in ms (it shapes the rhythm).
    pub utc_offset_ms: i64,
}

impl Plan {
    /// The demo's history: two weeks ending now, in the local time zone,
    /// with `sessions_per_day` on an average weekday.
    pub fn two_weeks(sessions_per_day: u32) -> Self {
        let offset = chrono::Local::now().offset().local_minus_utc();
        Self {
            days: 14,
            sessions_per_day,
            seed: 0x00DE_7015_7021,
            utc_offset_ms: i64::from(offset) * 1000,
        }
    }
}

/// What [`fill_if_empty`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The database already held events.
    AlreadyFilled,
    Filled {
        sessions: u64,
        events: u64,
    },
}

/// Back-fills `plan`'s history ending at `now` (ms) into an empty database,
/// with pages under `base` (the demo site's URL); reports sessions written.
pub fn fill_if_empty(
    writer: &mut dyn EventWriter,
    reader: &dyn EventReader,
    base: &str,
    now: i64,
    plan: &Plan,
    progress: &dyn Progress,
) -> Result<Outcome> {
    let any = reader
        .events(
            &Filter::default(),
            PageRequest {
                offset: 0,
                limit: 1,
            },
        )
        .context("cannot tell whether the database is empty")?;
    if !any.is_empty() {
        return Ok(Outcome::AlreadyFilled);
    }
    let mut rng = Rng::with_seed(plan.seed);
    let starts = session_starts(&mut rng, plan, now);
    if starts.is_empty() {
        return Ok(Outcome::Filled {
            sessions: 0,
            events: 0,
        });
    }
    progress.begin(
        &format!("back-filling {} days of simulated traffic", plan.days),
        Some(starts.len() as u64),
    );
    let filled = write_sessions(writer, &mut rng, base, &starts, progress);
    progress.end();
    filled
}

/// When each session starts, in time order.
fn session_starts(rng: &mut Rng, plan: &Plan, now: i64) -> Vec<i64> {
    let rhythm_total: u32 = RHYTHM.iter().sum();
    let first_hour = (now - plan.days * DAY_MS).div_euclid(HOUR_MS) * HOUR_MS;
    let last_start = now - QUIET_END_MS;
    let mut starts = Vec::new();
    let mut hour = first_hour;
    while hour < last_start {
        let local = hour + plan.utc_offset_ms;
        let hour_of_day = local.rem_euclid(DAY_MS) / HOUR_MS;
        // 1970-01-01 was a Thursday: day 0 is weekday 3 counting Monday as 0.
        let weekday = (local.div_euclid(DAY_MS) + 3).rem_euclid(7);
        let weekend = if weekday >= 5 { WEEKEND } else { 1.0 };
        let growth = 0.8 + 0.4 * (hour - first_hour) as f64 / (plan.days * DAY_MS) as f64;
        let expected = f64::from(plan.sessions_per_day) * f64::from(RHYTHM[hour_of_day as usize])
            / f64::from(rhythm_total)
            * weekend
            * growth;
        let count = expected.floor() as u64 + u64::from(rng.f64() < expected.fract());
        let mut hour_starts: Vec<i64> = (0..count)
            .map(|_| hour + rng.i64(0..HOUR_MS))
            .filter(|start| *start <= last_start)
            .collect();
        hour_starts.sort_unstable();
        starts.extend(hour_starts);
        hour += HOUR_MS;
    }
    starts
}

fn write_sessions(
    writer: &mut dyn EventWriter,
    rng: &mut Rng,
    base: &str,
    starts: &[i64],
    progress: &dyn Progress,
) -> Result<Outcome> {
    let max_age_ms =
        i64::try_from(ingestd::Config::default().layout_max_age().as_millis()).unwrap_or(i64::MAX);
    let book = MemoryLayouts::new(max_age_ms);
    let mut visitors: Vec<Visitor> = Vec::new();
    let mut group: Vec<EventBatch> = Vec::new();
    let mut layouts: Vec<SiteLayout> = Vec::new();
    let (mut group_events, mut group_sessions) = (0, 0);
    let (mut sessions, mut events) = (0, 0);
    for (n, &start) in starts.iter().enumerate() {
        let visitor = if !visitors.is_empty() && rng.f64() < RETURNING {
            visitors[rng.usize(..visitors.len())].clone()
        } else {
            let visitor = Visitor::new(rng);
            visitors.push(visitor.clone());
            visitor
        };
        for page in traffic::session_batches(rng, base, start, &visitor) {
            let sent_at = page.batch["sent_at"].as_i64().unwrap_or(start);
            let received_at = sent_at + 40;
            let prepared = validated(&page.batch, &visitor, received_at)?;
            let asked = BatchLayouts::of(&prepared.batch.events, &prepared.layouts).answer(
                &book,
                &prepared.batch.site,
                true,
                received_at,
            );
            group_events += prepared.batch.events.len();
            group.push(prepared.batch);
            // The tracker loads layout.js, which waits for the browser to be
            // idle; the snapshot goes with the next flush.
            let taken_at = received_at + 1000 + rng.i64(0..1500);
            let snapshot = asked
                .then(|| page.layout_batch(traffic::id(rng), taken_at))
                .flatten();
            if let Some(snapshot) = snapshot {
                let prepared = validated(&snapshot, &visitor, taken_at + 40)?;
                let site = prepared.batch.site;
                BatchLayouts::of(&[], &prepared.layouts).answer(&book, &site, true, taken_at + 40);
                layouts.extend(prepared.layouts.into_iter().map(|layout| SiteLayout {
                    site: site.clone(),
                    layout,
                }));
            }
        }
        group_sessions += 1;
        if group_events >= GROUP_EVENTS || n + 1 == starts.len() {
            let outcomes = writer
                .append_with_layouts(&group, &layouts)
                .context("cannot store the simulated history")?;
            events += outcomes.iter().map(|o| o.inserted as u64).sum::<u64>();
            sessions += group_sessions;
            progress.advance(group_sessions);
            group.clear();
            layouts.clear();
            (group_events, group_sessions) = (0, 0);
        }
    }
    Ok(Outcome::Filled { sessions, events })
}

/// `batch` through ingestd's validation and enrichment, received at
/// `received_at`; an error if any of it is refused (the simulation is wrong).
fn validated(batch: &Value, visitor: &Visitor, received_at: i64) -> Result<PreparedBatch> {
    let body = serde_json::to_vec(batch)?;
    let keep_query = Default::default();
    let ctx = RequestContext {
        user_agent: Some(visitor.user_agent()),
        client_hints: Default::default(),
        received_at,
        keep_query: &keep_query,
    };
    let prepared =
        prepare(&body, &ctx).map_err(|e| anyhow!("a simulated batch was refused: {e}"))?;
    if let Some(rejected) = prepared.rejected.first() {
        return Err(anyhow!(
            "a simulated event was refused: {}",
            rejected.reason.code()
        ));
    }
    Ok(prepared)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_767_225_600_000 + 14 * DAY_MS + 10 * HOUR_MS;

    fn plan() -> Plan {
        Plan {
            days: 14,
            sessions_per_day: SESSIONS_PER_DAY,
            seed: 1,
            utc_offset_ms: 0,
        }
    }

    fn hour_counts(starts: &[i64]) -> [u32; 24] {
        let mut counts = [0; 24];
        for start in starts {
            counts[(start.rem_euclid(DAY_MS) / HOUR_MS) as usize] += 1;
        }
        counts
    }

    #[test]
    fn sessions_follow_the_daily_rhythm_over_two_weeks() {
        let starts = session_starts(&mut Rng::with_seed(1), &plan(), NOW);
        assert!(starts.windows(2).all(|w| w[0] <= w[1]), "in time order");
        assert!(starts.iter().all(|s| *s >= NOW - 14 * DAY_MS - HOUR_MS));
        assert!(starts.iter().all(|s| *s <= NOW - QUIET_END_MS));
        let days: std::collections::BTreeSet<i64> =
            starts.iter().map(|s| s.div_euclid(DAY_MS)).collect();
        assert!(days.len() >= 14, "{} days", days.len());
        // About 360 a weekday, fewer at weekends.
        assert!((3_500..5_500).contains(&starts.len()), "{}", starts.len());
        let hours = hour_counts(&starts);
        assert!(hours[10] > 3 * hours[3], "{hours:?}");
        assert!(hours[19] > 3 * hours[2], "{hours:?}");
    }

    #[test]
    fn the_rhythm_follows_the_local_time_zone() {
        // Eight hours east of UTC: the local 10:00 peak is 02:00 UTC.
        let east = Plan {
            utc_offset_ms: 8 * HOUR_MS,
            ..plan()
        };
        let hours = hour_counts(&session_starts(&mut Rng::with_seed(1), &east, NOW));
        assert!(hours[2] > 3 * hours[19], "{hours:?}");
    }
}
