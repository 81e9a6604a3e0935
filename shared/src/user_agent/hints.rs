//! User-Agent Client Hints: the low-entropy hints Chromium browsers send on
//! every request (`Sec-CH-UA`, `Sec-CH-UA-Mobile`, `Sec-CH-UA-Platform`).
//!
//! They are more precise than the agent string where Chromium has frozen it:
//! the reduced agent says "Android 10; K" for every Android device and
//! "Windows NT 10.0" for Windows 11, and an Android tablet in desktop mode
//! sends a Linux desktop agent while its hints still say `"Android"`, `?0`.

/// The raw hint header values, as sent (each absent when not sent).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClientHints<'a> {
    /// `Sec-CH-UA`: the brand list, e.g. `"Chromium";v="131", "Google Chrome";v="131"`.
    pub brands: Option<&'a str>,
    /// `Sec-CH-UA-Mobile`: `?1` on a phone, `?0` elsewhere.
    pub mobile: Option<&'a str>,
    /// `Sec-CH-UA-Platform`: a quoted name, e.g. `"Android"`.
    pub platform: Option<&'a str>,
}

/// The platforms the hint names (the values its specification lists).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Platform {
    Android,
    ChromeOs,
    Ios,
    Linux,
    MacOs,
    Windows,
}

impl ClientHints<'_> {
    /// `Some(true)` for `?1`, `Some(false)` for `?0`, `None` otherwise.
    pub fn is_mobile(&self) -> Option<bool> {
        match self.mobile.map(str::trim) {
            Some("?1") => Some(true),
            Some("?0") => Some(false),
            _ => None,
        }
    }

    /// The platform, when the hint names a known one.
    pub fn platform(&self) -> Option<Platform> {
        let name = unquote(self.platform?);
        Some(match name.to_ascii_lowercase().as_str() {
            "android" => Platform::Android,
            "chrome os" | "chromeos" | "chromium os" => Platform::ChromeOs,
            "ios" => Platform::Ios,
            "linux" => Platform::Linux,
            "macos" => Platform::MacOs,
            "windows" => Platform::Windows,
            _ => return None,
        })
    }

    /// The browser's own brand from the brand list: the first entry that is
    /// neither a GREASE decoy ("Not A;Brand" and its variants) nor the
    /// "Chromium" engine brand, which every Chromium browser lists.
    pub fn brand(&self) -> Option<&str> {
        let brands = self.brands?;
        let mut engine = None;
        for entry in brands.split(',') {
            let name = unquote(entry.split(';').next().unwrap_or(""));
            let lower = name.to_ascii_lowercase();
            if name.is_empty() || lower.contains("not") && lower.contains("brand") {
                continue;
            }
            if lower == "chromium" {
                engine = Some(name);
                continue;
            }
            return Some(name);
        }
        engine
    }

    /// A stable text of the hints, for the memo key.
    pub(super) fn key(&self) -> String {
        format!(
            "{}\u{0}{}\u{0}{}",
            self.brands.unwrap_or(""),
            self.mobile.unwrap_or(""),
            self.platform.unwrap_or("")
        )
    }
}

/// `value` without surrounding whitespace and one pair of double quotes.
fn unquote(value: &str) -> &str {
    let value = value.trim();
    value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or(value)
        .trim()
}
