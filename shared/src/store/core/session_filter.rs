//! What a [`Filter`] asks of a session, as conditions on the values a
//! session row or document stores: the meaning of every filter field,
//! decided here once. Each engine renders the conditions in its own query
//! language, so that a bounce, a direct visit or a dead end means the same
//! on every engine.

use crate::page_key::PagePattern;
use crate::store::query::{Filter, TimeRange, DIRECT_REFERRER};

/// A count a session stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Count {
    Events,
    PageViews,
    RageClicks,
    /// Counted once a session has steps; a session without is at 0.
    QuickBacks,
}

/// How a count compares with a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compare {
    AtLeast(i64),
    Equal(i64),
    NotEqual(i64),
}

/// One condition on a session; a session matches a filter when it meets
/// every condition of [`session_conditions`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionCondition<'a> {
    /// Of the site with this key.
    Site(&'a str),
    /// Started in the range: at or after its start, before its end.
    Start(TimeRange),
    /// Of this device class (its stored code).
    Device(i64),
    /// Of this browser, compared without regard to ASCII case.
    Browser(&'a str),
    /// Entered from this external referrer host, compared without regard to
    /// ASCII case; `None`: entered directly, with no external referrer.
    Referrer(Option<&'a str>),
    /// Entered on a page matching the pattern.
    EntryPage(&'a PagePattern),
    /// Its end minus its start is at least this many milliseconds.
    MinDuration(i64),
    Count(Count, Compare),
    /// Is a dead end ([`crate::store::core::steps::is_dead_end`]), or is
    /// not.
    DeadEnd(bool),
    /// One of these sessions, by the engine's own keys.
    Keys(&'a [String]),
    /// Clicked on a page matching the pattern. A session's clicks come no
    /// earlier than its start, so with a range on the start they come no
    /// earlier than `since`: an engine may bound the clicks it reads by it.
    ClickedPage {
        pattern: &'a PagePattern,
        since: Option<i64>,
    },
}

/// The conditions of `filter`, in the order of its fields. `with_range`
/// applies the time range to the session's start (session-scoped views);
/// event-scoped views apply it to the events' time themselves.
pub fn session_conditions(filter: &Filter, with_range: bool) -> Vec<SessionCondition<'_>> {
    use SessionCondition as C;
    let range = if with_range {
        filter.range
    } else {
        TimeRange::ALL
    };
    let mut conditions = Vec::new();
    if let Some(site) = &filter.site {
        conditions.push(C::Site(site));
    }
    if range != TimeRange::ALL {
        conditions.push(C::Start(range));
    }
    if let Some(device) = filter.device {
        conditions.push(C::Device(device.code()));
    }
    if let Some(browser) = &filter.browser {
        conditions.push(C::Browser(browser));
    }
    if let Some(referrer) = &filter.referrer {
        let direct = referrer.eq_ignore_ascii_case(DIRECT_REFERRER);
        conditions.push(C::Referrer((!direct).then_some(referrer.as_str())));
    }
    if let Some(pattern) = &filter.entry_page {
        conditions.push(C::EntryPage(pattern));
    }
    if let Some(min) = filter.min_duration_ms {
        conditions.push(C::MinDuration(min));
    }
    if let Some(min) = filter.min_events {
        conditions.push(C::Count(Count::Events, Compare::AtLeast(i64::from(min))));
    }
    // A bounce is a session of exactly one page view
    // ([`crate::store::core::overview::bounced`]).
    let either = |wanted: bool, yes: Compare, no: Compare| if wanted { yes } else { no };
    if let Some(bounced) = filter.bounced {
        let compare = either(bounced, Compare::Equal(1), Compare::NotEqual(1));
        conditions.push(C::Count(Count::PageViews, compare));
    }
    let some = |wanted: bool| either(wanted, Compare::AtLeast(1), Compare::Equal(0));
    if let Some(raged) = filter.has_rage_clicks {
        conditions.push(C::Count(Count::RageClicks, some(raged)));
    }
    if let Some(backed) = filter.has_quick_backs {
        conditions.push(C::Count(Count::QuickBacks, some(backed)));
    }
    if let Some(dead_end) = filter.dead_end {
        conditions.push(C::DeadEnd(dead_end));
    }
    if let Some(keys) = &filter.sessions {
        conditions.push(C::Keys(keys));
    }
    if let Some(pattern) = &filter.clicked_page {
        conditions.push(C::ClickedPage {
            pattern,
            since: range.from,
        });
    }
    conditions
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::DeviceClass;

    #[test]
    fn each_filter_field_is_one_condition() {
        let pattern = PagePattern::new("/product/*");
        let filter = Filter {
            site: Some("shop".into()),
            range: TimeRange {
                from: Some(10),
                to: Some(20),
            },
            device: Some(DeviceClass::Mobile),
            browser: Some("Firefox".into()),
            referrer: Some("news.example".into()),
            entry_page: Some(pattern.clone()),
            min_duration_ms: Some(5_000),
            min_events: Some(3),
            bounced: Some(true),
            has_rage_clicks: Some(false),
            clicked_page: Some(pattern.clone()),
            has_quick_backs: Some(true),
            dead_end: Some(false),
            sessions: Some(vec!["7".into()]),
        };
        let keys = ["7".to_owned()];
        use SessionCondition as C;
        assert_eq!(
            session_conditions(&filter, true),
            vec![
                C::Site("shop"),
                C::Start(filter.range),
                C::Device(DeviceClass::Mobile.code()),
                C::Browser("Firefox"),
                C::Referrer(Some("news.example")),
                C::EntryPage(&pattern),
                C::MinDuration(5_000),
                C::Count(Count::Events, Compare::AtLeast(3)),
                C::Count(Count::PageViews, Compare::Equal(1)),
                C::Count(Count::RageClicks, Compare::Equal(0)),
                C::Count(Count::QuickBacks, Compare::AtLeast(1)),
                C::DeadEnd(false),
                C::Keys(&keys),
                C::ClickedPage {
                    pattern: &pattern,
                    since: Some(10),
                },
            ]
        );
    }

    #[test]
    fn without_the_range_nothing_bounds_the_start_or_the_clicks() {
        let pattern = PagePattern::new("/checkout");
        let filter = Filter {
            range: TimeRange {
                from: Some(10),
                to: None,
            },
            bounced: Some(false),
            has_rage_clicks: Some(true),
            clicked_page: Some(pattern.clone()),
            ..Filter::default()
        };
        use SessionCondition as C;
        assert_eq!(
            session_conditions(&filter, false),
            vec![
                C::Count(Count::PageViews, Compare::NotEqual(1)),
                C::Count(Count::RageClicks, Compare::AtLeast(1)),
                C::ClickedPage {
                    pattern: &pattern,
                    since: None,
                },
            ]
        );
    }

    #[test]
    fn direct_is_named_in_any_case() {
        for name in ["direct", "Direct", "DIRECT"] {
            let filter = Filter {
                referrer: Some(name.into()),
                ..Filter::default()
            };
            assert_eq!(
                session_conditions(&filter, true),
                vec![SessionCondition::Referrer(None)]
            );
        }
    }
}
