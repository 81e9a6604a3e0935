//! The bot pattern list: a pinned copy of the `isbot` project's patterns
//! (`shared/data/bot-patterns.json`, public domain, see the licence file beside
//! it), compiled once per process.
//!
//! The list is written for JavaScript's backtracking engine and a handful of
//! entries use look-around. Those few run on `fancy-regex`; every other entry
//! is joined into one `regex` alternation, which runs as a linear-time automaton,
//! so an agent costs one pass plus a few small backtracking checks.

use std::ops::Range;
use std::sync::OnceLock;

/// The pinned list, one regular expression per entry, matched case-insensitively.
const PATTERNS: &str = include_str!("../../data/bot-patterns.json");

struct Compiled {
    plain: Option<regex::Regex>,
    look_around: Vec<fancy_regex::Regex>,
}

static COMPILED: OnceLock<Compiled> = OnceLock::new();

/// Compiles the list now rather than on first use.
pub fn prepare() {
    COMPILED.get_or_init(compile);
}

/// Where in `ua` a bot pattern matched, or `None` for an agent the list does
/// not know.
pub fn find(ua: &str) -> Option<Range<usize>> {
    let compiled = COMPILED.get_or_init(compile);
    if let Some(m) = compiled.plain.as_ref().and_then(|re| re.find(ua)) {
        return Some(m.range());
    }
    compiled
        .look_around
        .iter()
        // A pattern that exceeds the backtracking limit is taken as no match.
        .find_map(|re| re.find(ua).ok().flatten())
        .map(|m| m.range())
}

/// `pattern` in this crate's syntax. JavaScript reads a `-` after a class
/// escape inside brackets (`[\w\d-.]`) as a plain hyphen; here it would be a
/// range, so it is escaped (which is harmless outside brackets too).
fn adapt(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 4);
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(c);
        if c == '\\' {
            let Some(escaped) = chars.next() else { break };
            out.push(escaped);
            if "wdsWDS".contains(escaped) && chars.peek() == Some(&'-') {
                chars.next();
                out.push_str("\\-");
            }
        }
    }
    out
}

fn uses_look_around(pattern: &str) -> bool {
    ["(?=", "(?!", "(?<=", "(?<!"]
        .iter()
        .any(|t| pattern.contains(t))
}

/// Compiles the list. An entry that does not compile is left out (the tests
/// check that every pinned entry compiles, so this only guards an update).
fn compile() -> Compiled {
    let patterns: Vec<String> = serde_json::from_str(PATTERNS).unwrap_or_default();
    let patterns: Vec<String> = patterns.iter().map(|p| adapt(p)).collect();
    let (look_around, plain): (Vec<&String>, Vec<&String>) =
        patterns.iter().partition(|p| uses_look_around(p));
    let plain: Vec<&str> = plain
        .into_iter()
        .map(String::as_str)
        .filter(|p| regex::Regex::new(p).is_ok())
        .collect();
    let plain = regex::RegexBuilder::new(&plain.join("|"))
        .case_insensitive(true)
        .size_limit(1 << 24)
        .build()
        .ok();
    let look_around = look_around
        .into_iter()
        .filter_map(|p| fancy_regex::Regex::new(&format!("(?i){p}")).ok())
        .collect();
    Compiled { plain, look_around }
}

/// The pinned entries that do not compile, and how many entries there are.
#[cfg(test)]
pub(super) fn failing_patterns() -> (Vec<String>, usize) {
    let patterns: Vec<String> = serde_json::from_str(PATTERNS).unwrap_or_default();
    let failing = patterns
        .iter()
        .map(|p| adapt(p))
        .filter(|p| {
            if uses_look_around(p) {
                fancy_regex::Regex::new(p).is_err()
            } else {
                regex::Regex::new(p).is_err()
            }
        })
        .collect();
    (failing, patterns.len())
}
