//! Bot filtering by user agent, and its counters.
//!
//! A request is from a bot when it has no user agent (every browser sends
//! one), when the agent names a headless or automation browser, or when it
//! matches the maintained bot pattern list that [`shared::user_agent`] pins
//! (crawlers, AI assistants, link previews, monitors, scanners, HTTP
//! libraries): a match on a word that calls itself a bot, crawler or spider is
//! a `crawler`, any other match a `bot_pattern`. Bot requests are refused with
//! the reason in the reply and counted per reason in `/metrics`; nothing is
//! dropped silently.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// Longest user agent looked at (bytes); the tokens that matter come early.
const MAX_USER_AGENT_BYTES: usize = 1024;

/// Tokens of headless and automation browsers (lower case).
const AUTOMATION_TOKENS: [&str; 6] = [
    "headless",
    "phantomjs",
    "selenium",
    "webdriver",
    "puppeteer",
    "playwright",
];

/// Why a request counts as a bot's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BotReason {
    NoUserAgent,
    Crawler,
    Automation,
    Pattern,
}

impl BotReason {
    pub const ALL: [BotReason; 4] = [
        Self::NoUserAgent,
        Self::Crawler,
        Self::Automation,
        Self::Pattern,
    ];

    /// The metrics label and the word in replies.
    pub fn label(self) -> &'static str {
        match self {
            Self::NoUserAgent => "no_user_agent",
            Self::Crawler => "crawler",
            Self::Automation => "automation",
            Self::Pattern => "bot_pattern",
        }
    }
}

/// The filter and its per-reason counters.
pub struct BotFilter {
    counts: [AtomicU64; BotReason::ALL.len()],
}

impl Default for BotFilter {
    fn default() -> Self {
        Self {
            counts: std::array::from_fn(|_| AtomicU64::new(0)),
        }
    }
}

impl BotFilter {
    /// Why `user_agent` is a bot's, or `None` for a browser.
    pub fn classify(&self, user_agent: Option<&str>) -> Option<BotReason> {
        let Some(ua) = user_agent.map(str::trim).filter(|ua| !ua.is_empty()) else {
            return Some(BotReason::NoUserAgent);
        };
        let ua = shared::user_agent::truncate(ua, MAX_USER_AGENT_BYTES);
        let lower = ua.to_ascii_lowercase();
        if AUTOMATION_TOKENS.iter().any(|t| lower.contains(t)) {
            return Some(BotReason::Automation);
        }
        let word = shared::user_agent::bot_word(ua)?.to_ascii_lowercase();
        Some(
            if shared::user_agent::CRAWLER_WORDS
                .iter()
                .any(|w| word.contains(w))
            {
                BotReason::Crawler
            } else {
                BotReason::Pattern
            },
        )
    }

    /// Counts one refused request.
    pub fn count(&self, reason: BotReason) {
        if let Some(i) = BotReason::ALL.iter().position(|r| *r == reason) {
            self.counts[i].fetch_add(1, Relaxed);
        }
    }

    /// The counters in Prometheus text.
    pub fn render(&self, out: &mut String) {
        let _ = writeln!(
            out,
            "# HELP ingestd_bot_requests_total Requests refused as bot traffic, by reason.\n# TYPE ingestd_bot_requests_total counter"
        );
        for (reason, n) in BotReason::ALL.iter().zip(&self.counts) {
            let _ = writeln!(
                out,
                "ingestd_bot_requests_total{{reason=\"{}\"}} {}",
                reason.label(),
                n.load(Relaxed)
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browsers_pass() {
        let filter = BotFilter::default();
        for ua in [
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
            // Phones whose model name or browser the pattern list would
            // take for a tool's.
            "Mozilla/5.0 (Linux; Android 14; Robot X2) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
            "dv(iPh13,2);pr(UCBrowser/13.4.0.1306);ov(16_6);ss(390x844);bt(UC);pm(0);bv(0);nm(0);im(0);nt(1);",
        ] {
            assert_eq!(filter.classify(Some(ua)), None, "{ua}");
        }
    }

    #[test]
    fn bots_are_named_by_reason() {
        let filter = BotFilter::default();
        let cases = [
            (None, BotReason::NoUserAgent),
            (Some("  "), BotReason::NoUserAgent),
            (
                Some("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"),
                BotReason::Crawler,
            ),
            (
                Some("Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)"),
                BotReason::Crawler,
            ),
            (
                Some("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36"),
                BotReason::Automation,
            ),
            (Some("curl/8.5.0"), BotReason::Pattern),
            (Some("python-requests/2.32.3"), BotReason::Pattern),
            (Some("Go-http-client/1.1"), BotReason::Pattern),
            (
                Some("Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)"),
                BotReason::Pattern,
            ),
        ];
        for (ua, reason) in cases {
            let got = filter.classify(ua);
            assert!(
                got == Some(reason) || (reason == BotReason::Pattern && got.is_some()),
                "{ua:?}: {got:?}"
            );
        }
    }

    #[test]
    fn counts_render_per_reason() {
        let filter = BotFilter::default();
        filter.count(BotReason::Crawler);
        filter.count(BotReason::Crawler);
        let mut text = String::new();
        filter.render(&mut text);
        assert!(text.contains("ingestd_bot_requests_total{reason=\"crawler\"} 2\n"));
        assert!(text.contains("ingestd_bot_requests_total{reason=\"no_user_agent\"} 0\n"));
    }
}
