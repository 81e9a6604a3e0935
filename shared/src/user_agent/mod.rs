//! User agent → device class, browser and OS, and whether it is a bot's.
//!
//! Bots are found with a pinned copy of a maintained pattern list
//! ([`crawlers`]), which is not asked about a phone's model name ([`model`])
//! nor about agents of browsers that exist only on phones; device classes,
//! browsers and systems with the rules in [`device`], [`model`] and
//! [`names`]; the client hints ([`hints`]) refine both where a Chromium
//! browser sends them. Readings are memoised per thread, since one client
//! sends many requests.

mod crawlers;
mod device;
mod device_models;
pub mod hints;
mod model;
mod names;
#[cfg(test)]
mod tests;

pub use hints::ClientHints;

use crate::event::{ClientInfo, DeviceClass};
use std::cell::RefCell;
use std::collections::HashMap;
use std::ops::Range;

/// How many distinct user agents each thread remembers.
const CACHE_CAPACITY: usize = 1024;
/// Longest user agent looked at; longer headers are cut (on a char boundary).
const MAX_USER_AGENT_BYTES: usize = 512;
/// Words (lower case) by which an agent calls itself a crawler.
pub const CRAWLER_WORDS: [&str; 4] = ["bot", "crawl", "spider", "slurp"];
/// Browsers (lower case) that exist only on phones, whose agents have shapes
/// or names the bot list takes for tools' or crawlers' ("dv(iPh14,2);
/// pr(UCBrowser/…)", "WAP Browser/MAUI (HTTP PGDL; HTTPS)", "…/NetFront/3.5
/// Profile/MIDP-2.1", Sogou's mobile browser, whose name the list knows from
/// Sogou's spiders). An agent naming one is a phone's unless it also calls
/// itself a crawler, as every Sogou spider does.
const PHONE_BROWSERS: [&str; 8] = [
    "ucbrowser",
    "wap browser",
    "wap-browser",
    "wap_browser",
    "maui",
    "netfront",
    "sogoumobilebrowser",
    "sogoumse",
];
/// Longest stored browser or OS name, in characters.
const MAX_NAME_CHARS: usize = 64;

/// What one agent (with its hints) was read as.
#[derive(Debug, Clone)]
struct Reading {
    info: ClientInfo,
    /// The agent's own word that a bot pattern matched (e.g. "Googlebot").
    bot: Option<String>,
}

thread_local! {
    static CACHE: RefCell<HashMap<String, Reading>> = RefCell::new(HashMap::new());
}

/// Compiles the bot list and the device rules now. They are otherwise
/// compiled by the first agent classified, which would make a daemon's first
/// request after a start wait for them (most of a second in a debug build).
pub fn prepare() {
    crawlers::prepare();
    device::prepare();
}

/// Describes the client behind `user_agent`. An absent or unrecognised agent
/// gives [`DeviceClass::Unknown`].
pub fn classify(user_agent: Option<&str>) -> ClientInfo {
    classify_with(user_agent, &ClientHints::default())
}

/// Describes the client behind `user_agent` and the client hints it sent.
pub fn classify_with(user_agent: Option<&str>, hints: &ClientHints<'_>) -> ClientInfo {
    read(user_agent, hints).map(|r| r.info).unwrap_or_default()
}

/// The word of `user_agent` that marks it as a bot's (a crawler's name, a
/// tool's or library's), or `None` when the pattern list does not know it.
pub fn bot_word(user_agent: &str) -> Option<String> {
    read(Some(user_agent), &ClientHints::default()).and_then(|r| r.bot)
}

fn read(user_agent: Option<&str>, hints: &ClientHints<'_>) -> Option<Reading> {
    let ua = user_agent.map(str::trim).filter(|ua| !ua.is_empty())?;
    let ua = truncate(ua, MAX_USER_AGENT_BYTES);
    let key = format!("{ua}\u{0}{}", hints.key());
    if let Some(hit) = CACHE.with(|c| c.borrow().get(&key).cloned()) {
        return Some(hit);
    }
    let reading = parse(ua, hints);
    CACHE.with(|c| {
        let mut cache = c.borrow_mut();
        if cache.len() >= CACHE_CAPACITY {
            cache.clear();
        }
        cache.insert(key, reading.clone());
    });
    Some(reading)
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

fn parse(ua: &str, hints: &ClientHints<'_>) -> Reading {
    let lower = ua.to_ascii_lowercase();
    // TV tokens win over the bot list, which takes some TVs' own app agents
    // ("WebAppManager", "Roku/DVP") for tools; a device the model lists call
    // a TV does not (a crawler may name any model).
    let named_tv = device::named_tv(ua, &lower);
    let bot = (!named_tv).then(|| find_bot(ua, &lower)).flatten();
    // A bot's agent is not read further (no model lookup).
    let device = match (&bot, named_tv) {
        (Some(_), _) => DeviceClass::Bot,
        (None, true) => DeviceClass::Tv,
        (None, false) => device::with_hints(device::naming_no_tv(ua, &lower), hints),
    };
    let clean = |name: Option<String>| match name {
        Some(name) if !name.trim().is_empty() => crate::sanitize::clean(&name, MAX_NAME_CHARS),
        _ => "unknown".to_owned(),
    };
    let browser = match &bot {
        Some(word) => Some(word.clone()),
        None => names::browser(&lower, hints),
    };
    let os = match &bot {
        Some(_) => None,
        None => names::os(&lower, hints),
    };
    Reading {
        info: ClientInfo {
            device,
            browser: clean(browser),
            os: clean(os),
        },
        bot: bot.map(|word| clean(Some(word))),
    }
}

/// The bot's name when the pattern list knows `ua`. A match on the device
/// field is on a maker's model name or build ("GM Discovery II",
/// "S222 Build/CUBOT"), so the agent is asked again with the field written
/// as the reduced agents write it ("K").
fn find_bot(ua: &str, lower: &str) -> Option<String> {
    let calls_itself_crawler = || CRAWLER_WORDS.iter().any(|w| lower.contains(w));
    if PHONE_BROWSERS.iter().any(|b| lower.contains(b)) && !calls_itself_crawler() {
        return None;
    }
    let matched = crawlers::find(ua)?;
    match model::field(ua) {
        // A match that only touches the field (a pattern may take the
        // character before it) is asked again: any other match remains.
        Some(field) if matched.start < field.end && field.start < matched.end => {
            let masked = format!("{}K{}", &ua[..field.start], &ua[field.end..]);
            crawlers::find(&masked).map(|m| bot_name(&masked, m))
        }
        _ => Some(bot_name(ua, matched)),
    }
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '-' | '_' | '.')
}

/// A bot's name: its first word that calls it a crawler ("Googlebot", not the
/// "www.google.com" of its address), else the word around what the list
/// matched.
fn bot_name(ua: &str, matched: Range<usize>) -> String {
    ua.split(|c: char| !is_word(c))
        .find(|word| {
            let lower = word.to_ascii_lowercase();
            CRAWLER_WORDS.iter().any(|w| lower.contains(w))
        })
        .map(|word| word.trim_matches(|c: char| !c.is_alphanumeric()).to_owned())
        .filter(|word| !word.is_empty())
        .unwrap_or_else(|| word_around(ua, matched))
}

/// The whole word of `ua` around the `matched` bytes; the match itself when
/// it is not inside a word.
fn word_around(ua: &str, matched: Range<usize>) -> String {
    let (start, end) = (matched.start, matched.end);
    let from = ua[..start]
        .char_indices()
        .rev()
        .take_while(|(_, c)| is_word(*c))
        .last()
        .map_or(start, |(i, _)| i);
    let to = ua[end..]
        .char_indices()
        .find(|(_, c)| !is_word(*c))
        .map_or(ua.len(), |(i, _)| end + i);
    let word = ua[from..to].trim_matches(|c: char| !c.is_alphanumeric());
    if word.is_empty() {
        ua[start..end].trim().to_owned()
    } else {
        word.to_owned()
    }
}
