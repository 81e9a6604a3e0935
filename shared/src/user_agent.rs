//! User agent → device class, browser and OS, with the `woothee` parser.
//!
//! woothee knows browsers, operating systems and crawlers but has no tablet
//! category: it files tablets under "smartphone". A tablet is recognised here by
//! the two signals every tablet browser gives: an iPad, or Android without the
//! `Mobile` token (Google's documented convention for Android tablets).
//! Results are memoised per thread, since one client sends many requests.

use crate::event::{ClientInfo, DeviceClass};
use std::cell::RefCell;
use std::collections::HashMap;

/// How many distinct user agents each thread remembers.
const CACHE_CAPACITY: usize = 1024;
/// Longest user agent looked at; longer headers are cut (on a char boundary).
const MAX_USER_AGENT_BYTES: usize = 512;

thread_local! {
    static PARSER: woothee::parser::Parser = woothee::parser::Parser::new();
    static CACHE: RefCell<HashMap<String, ClientInfo>> = RefCell::new(HashMap::new());
}

/// Describes the client behind `user_agent`. An absent or unrecognised agent
/// gives [`DeviceClass::Unknown`].
pub fn classify(user_agent: Option<&str>) -> ClientInfo {
    let Some(ua) = user_agent.map(str::trim).filter(|ua| !ua.is_empty()) else {
        return ClientInfo::default();
    };
    let ua = truncate(ua, MAX_USER_AGENT_BYTES);
    if let Some(hit) = CACHE.with(|c| c.borrow().get(ua).cloned()) {
        return hit;
    }
    let info = PARSER.with(|p| parse(p, ua));
    CACHE.with(|c| {
        let mut cache = c.borrow_mut();
        if cache.len() >= CACHE_CAPACITY {
            cache.clear();
        }
        cache.insert(ua.to_owned(), info.clone());
    });
    info
}

/// At most the first `max` bytes of `s`, cut on a character boundary
/// (user agents are looked at only so far).
pub fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

fn parse(parser: &woothee::parser::Parser, ua: &str) -> ClientInfo {
    let Some(result) = parser.parse(ua) else {
        return ClientInfo::default();
    };
    let is_tablet = ua.contains("iPad") || (ua.contains("Android") && !ua.contains("Mobile"));
    let device = match result.category {
        "pc" => DeviceClass::Desktop,
        "smartphone" | "mobilephone" if is_tablet => DeviceClass::Tablet,
        "smartphone" | "mobilephone" => DeviceClass::Mobile,
        "crawler" => DeviceClass::Bot,
        _ => DeviceClass::Unknown,
    };
    let name = |s: &str| {
        if s.is_empty() || s == woothee::woothee::VALUE_UNKNOWN {
            "unknown".to_owned()
        } else {
            crate::sanitize::clean(s, 64)
        }
    };
    ClientInfo {
        device,
        browser: name(result.name),
        os: name(result.os),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(ua: &str, device: DeviceClass, browser: &str, os: &str) {
        let info = classify(Some(ua));
        assert_eq!(info.device, device, "{ua}");
        assert_eq!(info.browser, browser, "{ua}");
        assert_eq!(info.os, os, "{ua}");
    }

    #[test]
    fn classifies_common_agents() {
        check(
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
            DeviceClass::Desktop, "Chrome", "Linux",
        );
        check(
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
            DeviceClass::Desktop,
            "Firefox",
            "Windows 10",
        );
        check(
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
            DeviceClass::Mobile, "Safari", "iPhone",
        );
        check(
            "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
            DeviceClass::Tablet, "Safari", "iPad",
        );
        check(
            "Mozilla/5.0 (Linux; Android 14; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
            DeviceClass::Tablet, "Chrome", "Android",
        );
        check(
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
            DeviceClass::Mobile, "Chrome", "Android",
        );
        check(
            "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
            DeviceClass::Bot,
            "Googlebot",
            "unknown",
        );
    }

    #[test]
    fn absent_or_garbage_agents_are_unknown() {
        assert_eq!(classify(None), ClientInfo::default());
        assert_eq!(classify(Some("   ")), ClientInfo::default());
        assert_eq!(classify(Some("\u{1b}[31m")).device, DeviceClass::Unknown);
        let long = "é".repeat(5000);
        assert_eq!(classify(Some(&long)).device, DeviceClass::Unknown);
    }
}
