//! Turning stored values into safe, short terminal text.
//!
//! Every string read from the store passes through [`safe`] before it is drawn
//! or printed: it removes escape sequences' introducers, C0/C1 controls, bidi
//! controls and zero-width characters (via `shared::sanitize`), so nothing a
//! visitor typed can move the cursor, recolour the screen or reorder text.

use chrono::{DateTime, FixedOffset, Local, TimeZone, Utc};
use std::sync::atomic::{AtomicBool, Ordering};

/// Longest string drawn in one cell of a table.
pub const MAX_DRAWN: usize = 512;

/// The sanitised form of a stored string.
pub fn safe(input: &str) -> String {
    let cleaned = shared::sanitize::clean(input, MAX_DRAWN);
    // `clean` already drops every forbidden character; this keeps the promise
    // even if its rules and the terminal's differ in future.
    cleaned
        .chars()
        .filter(|c| !shared::sanitize::is_forbidden(*c))
        .collect()
}

/// The sanitised form of an optional string, or `fallback`.
pub fn safe_or(input: Option<&str>, fallback: &str) -> String {
    match input {
        Some(s) if !s.trim().is_empty() => safe(s),
        _ => fallback.to_owned(),
    }
}

/// Cuts `text` to `width` characters, marking the cut with `…`.
pub fn ellipsize(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_owned();
    }
    if width == 0 {
        return String::new();
    }
    let mut out: String = text.chars().take(width - 1).collect();
    out.push('…');
    out
}

/// A duration in milliseconds as `4s`, `3m 05s`, `2h 10m`, `3d 4h`.
pub fn duration(ms: i64) -> String {
    let secs = ms.max(0) / 1000;
    match secs {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m {:02}s", s / 60, s % 60),
        s if s < 86_400 => format!("{}h {:02}m", s / 3600, (s % 3600) / 60),
        s => format!("{}d {}h", s / 86_400, (s % 86_400) / 3600),
    }
}

/// A signed offset in milliseconds as `+1.2s`, `+3m 05s`.
pub fn offset(ms: i64) -> String {
    if ms.abs() < 10_000 {
        format!("+{:.1}s", ms as f64 / 1000.0)
    } else {
        format!("+{}", duration(ms))
    }
}

static FORCE_UTC: AtomicBool = AtomicBool::new(false);

/// Shows every time in UTC instead of local time (for reproducible output).
pub fn force_utc() {
    FORCE_UTC.store(true, Ordering::Relaxed);
}

fn local(ms: i64) -> Option<DateTime<FixedOffset>> {
    let utc = Utc.timestamp_millis_opt(ms).single()?;
    if FORCE_UTC.load(Ordering::Relaxed) {
        return Some(utc.fixed_offset());
    }
    Some(utc.with_timezone(&Local).fixed_offset())
}

/// A timestamp as local `YYYY-MM-DD HH:MM:SS`.
pub fn datetime(ms: i64) -> String {
    local(ms).map_or_else(|| "-".into(), |t| t.format("%Y-%m-%d %H:%M:%S").to_string())
}

/// A timestamp as local `YYYY-MM-DD HH:MM`.
pub fn date_minute(ms: i64) -> String {
    local(ms).map_or_else(|| "-".into(), |t| t.format("%Y-%m-%d %H:%M").to_string())
}

/// A timestamp as local `MM-DD HH:MM`.
pub fn short_datetime(ms: i64) -> String {
    local(ms).map_or_else(|| "-".into(), |t| t.format("%m-%d %H:%M").to_string())
}

/// A timestamp as local `HH:MM:SS`.
pub fn clock(ms: i64) -> String {
    local(ms).map_or_else(|| "-".into(), |t| t.format("%H:%M:%S").to_string())
}

/// A count with thousands separators: `12,345`.
pub fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A fraction as a percentage: `42.0%`.
pub fn percent(fraction: f64) -> String {
    if fraction.is_finite() {
        format!("{:.1}%", fraction * 100.0)
    } else {
        "-".into()
    }
}

/// A change of a share in percentage points, signed (`+12.5 pts`).
pub fn points(delta: f64) -> String {
    if delta.is_finite() {
        format!("{:+.1} pts", delta * 100.0)
    } else {
        "-".into()
    }
}

/// A page key without its host (`shop.example/pricing` → `/pricing`);
/// anything else (`(exit)`) as it is.
pub fn path_of(key: &str) -> &str {
    match key.find('/') {
        Some(i) if i > 0 => &key[i..],
        _ => key,
    }
}

/// The relative change from `before` to `now`, `+12.5%`; `-` without a base.
pub fn change(now: f64, before: f64) -> String {
    if before == 0.0 || !before.is_finite() || !now.is_finite() {
        return "-".to_owned();
    }
    format!("{:+.1}%", (now - before) / before * 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safe_removes_escapes_and_invisible_characters() {
        let nasty = "a\u{1b}[31mb\u{9b}c\u{202e}d\u{200b}e\u{7}f\u{2066}g";
        let out = safe(nasty);
        assert!(out.chars().all(|c| !shared::sanitize::is_forbidden(c)));
        assert!(!out.contains('\u{1b}'));
        assert_eq!(out, "a[31mbcdefg");
    }

    #[test]
    fn formats_numbers_and_durations() {
        assert_eq!(count(1_234_567), "1,234,567");
        assert_eq!(count(12), "12");
        assert_eq!(duration(65_000), "1m 05s");
        assert_eq!(duration(3_600_000 * 26), "1d 2h");
        assert_eq!(offset(1500), "+1.5s");
        assert_eq!(ellipsize("abcdef", 4), "abc…");
        assert_eq!(percent(0.5), "50.0%");
    }

    #[test]
    fn changes_are_relative_and_signed() {
        assert_eq!(change(110.0, 100.0), "+10.0%");
        assert_eq!(change(50.0, 100.0), "-50.0%");
        assert_eq!(change(5.0, 0.0), "-");
    }
}
