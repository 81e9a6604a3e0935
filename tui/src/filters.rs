//! The filter bar: time range presets, the editable filter fields, and the
//! chips that show what is applied. Everything here is plain data; `app`
//! decides when to apply it.

use crate::text::safe;
use shared::event::DeviceClass;
use shared::page_key::PagePattern;
use shared::store::query::{Filter, TimeRange};

/// The time range choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Range {
    /// The last `ms` milliseconds (a preset or a typed span).
    Last(i64),
    /// Fixed bounds (typed).
    Between(TimeRange),
    All,
}

const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;

/// The range the console starts with.
pub const DEFAULT_RANGE: Range = Range::Last(DAY);

/// The presets `t` cycles through.
pub const PRESETS: [Range; 6] = [
    Range::Last(15 * MINUTE),
    Range::Last(HOUR),
    Range::Last(DAY),
    Range::Last(7 * DAY),
    Range::Last(30 * DAY),
    Range::All,
];

impl Range {
    /// The next preset (a custom range goes back to the first).
    pub fn next(self) -> Self {
        let at = PRESETS.iter().position(|p| *p == self);
        match at {
            Some(i) => PRESETS[(i + 1) % PRESETS.len()],
            None => PRESETS[0],
        }
    }

    /// The bounds at time `now`.
    pub fn resolve(self, now: i64) -> TimeRange {
        match self {
            Self::Last(ms) => TimeRange::last(ms, now),
            Self::Between(range) => range,
            Self::All => TimeRange::ALL,
        }
    }

    pub fn label(self) -> String {
        match self {
            Self::Last(ms) => format!("last {}", span_label(ms)),
            Self::All => "all time".into(),
            Self::Between(r) => format!(
                "{} … {}",
                r.from
                    .map_or_else(|| "start".into(), crate::text::short_datetime),
                r.to.map_or_else(|| "now".into(), crate::text::short_datetime)
            ),
        }
    }

    /// The range as [`Range::parse`] reads it: `90m`, `7d`, `all`,
    /// `2025-01-01..2025-01-31` (the end day included, as typed).
    pub fn spec(self) -> String {
        match self {
            Self::Last(ms) => span_label(ms),
            Self::All => "all".into(),
            Self::Between(r) => {
                let day = |ms: i64| {
                    chrono::DateTime::from_timestamp_millis(ms)
                        .map(|t| t.format("%Y-%m-%d").to_string())
                        .unwrap_or_default()
                };
                let from = r.from.map(day).unwrap_or_default();
                let to = r.to.map(|to| day(to - DAY)).unwrap_or_default();
                format!("{from}..{to}")
            }
        }
    }

    /// Parses `15m`, `24h`, `7d`, `2w`, `all`, or `YYYY-MM-DD..YYYY-MM-DD`
    /// (either side may be empty; the end day is included).
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        if text.eq_ignore_ascii_case("all") {
            return Some(Self::All);
        }
        if let Some((from, to)) = text.split_once("..") {
            let from = match from.trim() {
                "" => None,
                day => Some(day_start(day)?),
            };
            let to = match to.trim() {
                "" => None,
                day => Some(day_start(day)? + DAY),
            };
            return Some(Self::Between(TimeRange { from, to }));
        }
        parse_span(text).map(Self::Last)
    }
}

/// `90m` / `24h` / `7d` / `2w` / `30s` → milliseconds.
pub fn parse_span(text: &str) -> Option<i64> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit())?;
    let (number, unit) = text.split_at(split);
    let n: i64 = number.parse().ok().filter(|n| *n > 0)?;
    let unit_ms = match unit.trim() {
        "s" => 1000,
        "m" | "min" => MINUTE,
        "h" => HOUR,
        "d" => DAY,
        "w" => 7 * DAY,
        _ => return None,
    };
    n.checked_mul(unit_ms)
}

/// A span as `15m`, `24h`, `7d`.
pub fn span_label(ms: i64) -> String {
    // Whole days from two days up; a single day reads better as 24h.
    if ms > DAY && ms % DAY == 0 {
        return format!("{}d", ms / DAY);
    }
    if ms >= HOUR && ms % HOUR == 0 {
        return format!("{}h", ms / HOUR);
    }
    if ms >= MINUTE && ms % MINUTE == 0 {
        return format!("{}m", ms / MINUTE);
    }
    format!("{}s", ms / 1000)
}

fn day_start(day: &str) -> Option<i64> {
    let date = chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").ok()?;
    Some(date.and_hms_opt(0, 0, 0)?.and_utc().timestamp_millis())
}

/// The fields of the filter bar, in display order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Device,
    Browser,
    Referrer,
    EntryPage,
    MinDuration,
    MinEvents,
    Bounced,
    Rage,
    QuickBacks,
    DeadEnd,
    ClickedPage,
}

impl Field {
    pub const ALL: [Field; 11] = [
        Self::Device,
        Self::Browser,
        Self::Referrer,
        Self::EntryPage,
        Self::MinDuration,
        Self::MinEvents,
        Self::Bounced,
        Self::Rage,
        Self::QuickBacks,
        Self::DeadEnd,
        Self::ClickedPage,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::Device => "device",
            Self::Browser => "browser",
            Self::Referrer => "referrer",
            Self::EntryPage => "entry page",
            Self::MinDuration => "min duration",
            Self::MinEvents => "min events",
            Self::Bounced => "bounced",
            Self::Rage => "rage clicks",
            Self::QuickBacks => "quick backs",
            Self::DeadEnd => "dead end",
            Self::ClickedPage => "clicked page",
        }
    }

    /// True for fields that cycle through choices instead of taking text.
    pub fn cycles(self) -> bool {
        matches!(
            self,
            Self::Device | Self::Bounced | Self::Rage | Self::QuickBacks | Self::DeadEnd
        )
    }

    /// The field's value in `filter`, for display (sanitised).
    pub fn value(self, filter: &Filter) -> Option<String> {
        match self {
            Self::Device => filter.device.map(|d| d.as_str().to_owned()),
            Self::Browser => filter.browser.as_deref().map(safe),
            Self::Referrer => filter.referrer.as_deref().map(safe),
            Self::EntryPage => filter.entry_page.as_ref().map(|p| safe(p.as_str())),
            Self::MinDuration => filter
                .min_duration_ms
                .map(|ms| format!("≥{}", span_label(ms))),
            Self::MinEvents => filter.min_events.map(|n| format!("≥{n}")),
            Self::Bounced => filter.bounced.map(yes_no),
            Self::Rage => filter.has_rage_clicks.map(yes_no),
            Self::QuickBacks => filter.has_quick_backs.map(yes_no),
            Self::DeadEnd => filter.dead_end.map(yes_no),
            Self::ClickedPage => filter.clicked_page.as_ref().map(|p| safe(p.as_str())),
        }
    }

    /// Moves a cycling field to its next choice.
    pub fn cycle(self, filter: &mut Filter) {
        match self {
            Self::Device => {
                filter.device = match filter.device {
                    None => Some(DeviceClass::Desktop),
                    Some(DeviceClass::Desktop) => Some(DeviceClass::Tablet),
                    Some(DeviceClass::Tablet) => Some(DeviceClass::Mobile),
                    Some(DeviceClass::Mobile) => Some(DeviceClass::Tv),
                    Some(_) => None,
                }
            }
            Self::Bounced => filter.bounced = next_bool(filter.bounced),
            Self::Rage => filter.has_rage_clicks = next_bool(filter.has_rage_clicks),
            Self::QuickBacks => filter.has_quick_backs = next_bool(filter.has_quick_backs),
            Self::DeadEnd => filter.dead_end = next_bool(filter.dead_end),
            _ => {}
        }
    }

    /// Sets a text field from typed input; empty input clears it. Returns an
    /// error message for input that does not parse.
    pub fn set(self, filter: &mut Filter, input: &str) -> Result<(), String> {
        let input = input.trim();
        let text = (!input.is_empty()).then(|| input.to_owned());
        match self {
            Self::Device => {
                filter.device = match text {
                    None => None,
                    Some(t) => Some(
                        DeviceClass::parse(&t).ok_or_else(|| format!("unknown device {t:?}"))?,
                    ),
                }
            }
            Self::Browser => filter.browser = text,
            Self::Referrer => filter.referrer = text,
            Self::EntryPage => filter.entry_page = text.map(|t| PagePattern::new(&t)),
            Self::ClickedPage => filter.clicked_page = text.map(|t| PagePattern::new(&t)),
            Self::MinDuration => {
                filter.min_duration_ms = match text {
                    None => None,
                    Some(t) => Some(parse_span(&t).ok_or("durations look like 30s, 5m or 1h")?),
                }
            }
            Self::MinEvents => {
                filter.min_events = match text {
                    None => None,
                    Some(t) => Some(t.parse().map_err(|_| "a whole number of events")?),
                }
            }
            Self::Bounced => filter.bounced = text.map(|t| parse_bool(&t)).transpose()?,
            Self::Rage => filter.has_rage_clicks = text.map(|t| parse_bool(&t)).transpose()?,
            Self::QuickBacks => {
                filter.has_quick_backs = text.map(|t| parse_bool(&t)).transpose()?
            }
            Self::DeadEnd => filter.dead_end = text.map(|t| parse_bool(&t)).transpose()?,
        }
        Ok(())
    }

    pub fn clear(self, filter: &mut Filter) {
        let _ = self.set(filter, "");
    }
}

fn yes_no(b: bool) -> String {
    if b { "yes" } else { "no" }.into()
}

fn next_bool(value: Option<bool>) -> Option<bool> {
    match value {
        None => Some(true),
        Some(true) => Some(false),
        Some(false) => None,
    }
}

fn parse_bool(text: &str) -> Result<bool, String> {
    match text.to_ascii_lowercase().as_str() {
        "yes" | "y" | "true" | "1" => Ok(true),
        "no" | "n" | "false" | "0" => Ok(false),
        _ => Err(format!("expected yes or no, not {text:?}")),
    }
}

/// `base` with every condition `over` sets put in its place (the command
/// line's filters over a saved view's).
pub fn overlay(base: &Filter, over: &Filter) -> Filter {
    Filter {
        site: over.site.clone().or_else(|| base.site.clone()),
        range: base.range,
        device: over.device.or(base.device),
        browser: over.browser.clone().or_else(|| base.browser.clone()),
        referrer: over.referrer.clone().or_else(|| base.referrer.clone()),
        entry_page: over.entry_page.clone().or_else(|| base.entry_page.clone()),
        min_duration_ms: over.min_duration_ms.or(base.min_duration_ms),
        min_events: over.min_events.or(base.min_events),
        bounced: over.bounced.or(base.bounced),
        has_rage_clicks: over.has_rage_clicks.or(base.has_rage_clicks),
        clicked_page: over
            .clicked_page
            .clone()
            .or_else(|| base.clicked_page.clone()),
        has_quick_backs: over.has_quick_backs.or(base.has_quick_backs),
        dead_end: over.dead_end.or(base.dead_end),
        sessions: over.sessions.clone().or_else(|| base.sessions.clone()),
    }
}

/// The name of the chip of chosen sessions ([`Filter::sessions`]), which
/// the console names by where they came from.
pub const SESSIONS_CHIP: &str = "sessions";

/// The chips for the applied filter: `(name, value)`.
pub fn chips(filter: &Filter) -> Vec<(&'static str, String)> {
    let mut chips: Vec<(&'static str, String)> = Vec::new();
    if let Some(site) = &filter.site {
        chips.push(("site", safe(site)));
    }
    for field in Field::ALL {
        if let Some(value) = field.value(filter) {
            chips.push((field.name(), value));
        }
    }
    if let Some(sessions) = &filter.sessions {
        chips.push((SESSIONS_CHIP, format!("{} chosen", sessions.len())));
    }
    chips
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_cycle_and_custom_ranges_parse() {
        let mut range = PRESETS[0];
        let mut labels = Vec::new();
        for _ in 0..PRESETS.len() {
            labels.push(range.label());
            range = range.next();
        }
        assert_eq!(
            labels,
            ["last 15m", "last 1h", "last 24h", "last 7d", "last 30d", "all time"]
        );
        assert_eq!(range, PRESETS[0]);
        assert_eq!(Range::parse("90m"), Some(Range::Last(90 * MINUTE)));
        assert_eq!(Range::parse("all"), Some(Range::All));
        assert_eq!(Range::parse("nonsense"), None);
        let Some(Range::Between(r)) = Range::parse("2025-01-01..2025-01-02") else {
            panic!("a date range")
        };
        assert_eq!(r.to.zip(r.from).map(|(t, f)| t - f), Some(2 * DAY));
    }

    #[test]
    fn a_range_reads_back_from_its_spec() {
        let typed = [
            "90m",
            "45s",
            "3d",
            "2w",
            "2025-01-01..2025-01-31",
            "..2025-02-01",
        ];
        let ranges = PRESETS
            .into_iter()
            .chain(typed.iter().filter_map(|t| Range::parse(t)));
        for range in ranges {
            assert_eq!(Range::parse(&range.spec()), Some(range), "{}", range.spec());
        }
        assert_eq!(DEFAULT_RANGE.spec(), "24h");
        let Some(days) = Range::parse("2025-01-01..2025-01-31") else {
            panic!("a date range")
        };
        assert_eq!(days.spec(), "2025-01-01..2025-01-31");
    }

    #[test]
    fn overlay_keeps_what_the_top_leaves_unset() {
        let base = Filter {
            device: Some(DeviceClass::Mobile),
            browser: Some("Safari".into()),
            ..Filter::default()
        };
        let over = Filter {
            browser: Some("Firefox".into()),
            has_rage_clicks: Some(true),
            ..Filter::default()
        };
        let both = overlay(&base, &over);
        assert_eq!(both.device, Some(DeviceClass::Mobile));
        assert_eq!(both.browser.as_deref(), Some("Firefox"));
        assert_eq!(both.has_rage_clicks, Some(true));
        assert_eq!(overlay(&base, &Filter::default()), base);
    }

    #[test]
    fn fields_set_cycle_and_show_as_chips() {
        let mut filter = Filter::default();
        Field::Device.cycle(&mut filter);
        Field::Rage.cycle(&mut filter);
        assert!(Field::MinDuration.set(&mut filter, "5m").is_ok());
        assert!(Field::MinEvents.set(&mut filter, "x").is_err());
        assert!(Field::EntryPage.set(&mut filter, "/blog/*").is_ok());
        assert_eq!(
            chips(&filter),
            vec![
                ("device", "desktop".to_string()),
                ("entry page", "/blog/*".to_string()),
                ("min duration", "≥5m".to_string()),
                ("rage clicks", "yes".to_string())
            ]
        );
        Field::EntryPage.clear(&mut filter);
        assert!(filter.entry_page.is_none());
    }

    #[test]
    fn device_cycles_through_every_screen_class_and_back_to_any() {
        let mut filter = Filter::default();
        let mut seen = Vec::new();
        for _ in 0..5 {
            Field::Device.cycle(&mut filter);
            seen.push(filter.device);
        }
        use DeviceClass::{Desktop, Mobile, Tablet, Tv};
        assert_eq!(
            seen,
            [Some(Desktop), Some(Tablet), Some(Mobile), Some(Tv), None]
        );
        assert!(Field::Device.set(&mut filter, "tv").is_ok());
        assert_eq!(filter.device, Some(Tv));
    }
}
