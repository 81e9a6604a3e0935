//! Filters as aggregation stages, and page patterns as anchored regular
//! expressions.
//!
//! Session conditions apply to `sessions` documents, either the pipeline's
//! own documents or the session joined into each event under `s`. Derived
//! values (entry page, referrer, duration) are computed by `$addFields` under
//! names starting with `_` before they are matched.

use super::documents::fields as f;
use crate::page_key::PagePattern;
use crate::store::core::session_filter::{self, Compare, Count, SessionCondition};
use crate::store::core::steps::{DEAD_END_MS, SCORE_DEAD_END, SCORE_QUICK_BACK};
use crate::store::query::{Filter, TimeRange};
use mongodb::bson::{doc, Bson, Document};

/// Where the session's fields are in the pipeline's documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SessionAt {
    /// The documents are sessions.
    Root,
    /// The documents are events with their session joined under `s`.
    Joined,
}

impl SessionAt {
    fn field(self, name: &str) -> String {
        match self {
            Self::Root => name.to_owned(),
            Self::Joined => format!("s.{name}"),
        }
    }

    /// The field holding the session's key.
    fn key_field(self) -> &'static str {
        match self {
            Self::Root => f::ID,
            Self::Joined => f::SID,
        }
    }
}

/// The condition `{ $regex: … }` of a page pattern: the same keys as
/// [`PagePattern::matches`]. `*` stays within a path segment, `**` crosses
/// segments; a key's query is ignored unless the pattern has one.
pub(crate) fn pattern_regex(pattern: &PagePattern) -> Document {
    doc! { "$regex": pattern_regex_text(pattern) }
}

/// The anchored regular expression of a page pattern.
fn pattern_regex_text(pattern: &PagePattern) -> String {
    let text = pattern.as_str();
    let with_query = text.contains('?');
    let (one, many) = if with_query {
        ("[^/]*", "[\\s\\S]*")
    } else {
        ("[^/?]*", "[^?]*")
    };
    let mut re = String::with_capacity(text.len() * 2 + 16);
    re.push('^');
    if text.starts_with('/') {
        // Any host: whatever comes before the path.
        re.push_str("[^/]*");
    }
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '*' {
            if chars.peek() == Some(&'*') {
                chars.next();
                re.push_str(many);
            } else {
                re.push_str(one);
            }
        } else {
            if c.is_ascii_punctuation() {
                re.push('\\');
            }
            re.push(c);
        }
    }
    if !with_query {
        re.push_str("(\\?[\\s\\S]*)?");
    }
    re.push('$');
    re
}

/// The condition a time range puts on a time field, `None` for all time.
pub(crate) fn time_range(range: TimeRange) -> Option<Document> {
    let mut ts = Document::new();
    if let Some(from) = range.from {
        ts.insert("$gte", from);
    }
    if let Some(to) = range.to {
        ts.insert("$lt", to);
    }
    (!ts.is_empty()).then_some(ts)
}

/// Stages keeping the sessions that match `filter`, as
/// [`session_filter`] decides its conditions. `with_range` applies the time
/// range to session start (session-scoped views); `with_site` applies the
/// site (event-scoped views match the event's own site).
pub(crate) fn session_stages(
    filter: &Filter,
    at: SessionAt,
    with_range: bool,
    with_site: bool,
) -> Vec<Document> {
    let mut matched = Matched::default();
    let mut clicked = None;
    for condition in session_filter::session_conditions(filter, with_range) {
        match condition {
            SessionCondition::Site(_) if !with_site => {}
            SessionCondition::ClickedPage { pattern, .. } => clicked = Some(pattern),
            condition => matched.add(condition, at),
        }
    }
    let mut stages = matched.stages();
    if let Some(pattern) = clicked {
        // From the session's pages, which count their clicks (a bound on
        // the clicks' time is of no use there).
        stages.push(doc! { "$lookup": {
            "from": super::schema::PAGES,
            "localField": at.key_field(),
            "foreignField": f::SID,
            "as": "_cp",
        } });
        stages.push(doc! { "$match": { "_cp": { "$elemMatch": {
            f::CLICKS: { "$gt": 0_i64 },
            f::PAGE: pattern_regex(pattern),
        } } } });
        stages.push(doc! { "$project": { "_cp": 0 } });
    }
    stages
}

/// The conditions on the session document's own fields (`plain`), and on
/// values derived from it (`derived`, computed by `$addFields` under names
/// starting with `_`, then matched by `on_derived`).
#[derive(Default)]
struct Matched {
    plain: Document,
    derived: Document,
    on_derived: Document,
}

impl Matched {
    fn add(&mut self, condition: SessionCondition<'_>, at: SessionAt) {
        let path = |name: &str| format!("${}", at.field(name));
        match condition {
            SessionCondition::Site(site) => {
                self.plain.insert(at.field(f::SITE), site);
            }
            SessionCondition::Start(range) => {
                if let Some(start) = time_range(range) {
                    self.plain.insert(at.field(f::START), start);
                }
            }
            SessionCondition::Device(code) => {
                self.plain.insert(at.field(f::DEVICE), code);
            }
            SessionCondition::Browser(browser) => {
                self.plain
                    .insert(at.field(f::BROWSER_KEY), browser.to_ascii_lowercase());
            }
            SessionCondition::Keys(keys) => {
                self.plain.insert(at.key_field(), doc! { "$in": keys });
            }
            SessionCondition::Count(count, compare) => {
                let field = match count {
                    Count::Events => f::EVENTS,
                    Count::PageViews => f::PAGE_VIEWS,
                    Count::RageClicks => f::RAGE_CLICKS,
                    // Counted once a session has steps; absent before.
                    Count::QuickBacks => {
                        let value = doc! { "$ifNull": [path(f::QUICK_BACKS), 0_i64] };
                        return self.derive("_qb", value, compared(compare));
                    }
                };
                self.plain.insert(at.field(field), compared(compare));
            }
            SessionCondition::Referrer(referrer) => self.derive(
                "_ref",
                doc! { "$arrayElemAt": [path(f::ENTRY), 3] },
                referrer.map_or(Bson::Null, |r| Bson::String(r.to_ascii_lowercase())),
            ),
            SessionCondition::EntryPage(pattern) => self.derive(
                "_ep",
                doc! { "$arrayElemAt": [path(f::ENTRY), 2] },
                pattern_regex(pattern),
            ),
            SessionCondition::DeadEnd(dead_end) => {
                self.derive("_dead", dead_end_expr(at), i32::from(dead_end));
            }
            SessionCondition::MinDuration(min) => self.derive(
                "_dur",
                doc! { "$subtract": [path(f::END), path(f::START)] },
                doc! { "$gte": min },
            ),
            // Looked up apart ([`session_stages`]).
            SessionCondition::ClickedPage { .. } => {}
        }
    }

    fn derive(&mut self, name: &str, value: impl Into<Bson>, wanted: impl Into<Bson>) {
        self.derived.insert(name, value);
        self.on_derived.insert(name, wanted);
    }

    fn stages(self) -> Vec<Document> {
        let mut stages = Vec::new();
        if !self.plain.is_empty() {
            stages.push(doc! { "$match": self.plain });
        }
        if !self.derived.is_empty() {
            stages.push(doc! { "$addFields": self.derived });
            stages.push(doc! { "$match": self.on_derived });
        }
        stages
    }
}

/// A count's comparison as a condition.
fn compared(compare: Compare) -> Bson {
    match compare {
        Compare::AtLeast(n) => Bson::Document(doc! { "$gte": n }),
        Compare::Equal(n) => Bson::Int64(n),
        Compare::NotEqual(n) => Bson::Document(doc! { "$ne": n }),
    }
}

/// Whether the session is a dead end
/// ([`crate::store::core::steps::is_dead_end`]), as an expression: 1 or 0
/// (booleans and comparisons with null are formulated away, see the
/// divergences in ARCHITECTURE.md).
pub(crate) fn dead_end_expr(at: SessionAt) -> Document {
    let path = |name: &str| format!("${}", at.field(name));
    // Without a rage click the difference is huge: never a dead end.
    let last_rage = doc! { "$ifNull": [path(f::LAST_RAGE), NO_RAGE] };
    doc! { "$cond": [
        { "$lte": [{ "$subtract": [path(f::END), last_rage] }, DEAD_END_MS] },
        1_i32,
        0_i32,
    ] }
}

/// A time long before any session, standing for "no rage click".
const NO_RAGE: i64 = -(1 << 60);

/// The frustration score
/// ([`crate::store::core::steps::frustration_score`]), as an expression.
pub(crate) fn frustration_expr() -> Document {
    let at = SessionAt::Root;
    doc! { "$add": [
        { "$ifNull": [f::path::RAGE_CLICKS, 0_i64] },
        { "$multiply": [SCORE_QUICK_BACK, { "$ifNull": [f::path::QUICK_BACKS, 0_i64] }] },
        { "$multiply": [dead_end_expr(at), SCORE_DEAD_END] },
    ] }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The regex must accept exactly the keys the pattern matches; checked
    /// against [`PagePattern::matches`] with a tiny regex evaluator for the
    /// constructs [`pattern_regex`] emits.
    #[test]
    fn regexes_agree_with_patterns() {
        let keys = [
            "shop.example/",
            "shop.example/a",
            "shop.example/product/1",
            "shop.example/product/1/reviews",
            "shop.example/product/1?utm_source=x",
            "other.example/product/abc",
            "shop.example/products/1",
            "a.b/docs/x/y/z",
            "localhost:4000/demo",
            "shop.example/p/42?utm_source=x",
            "shop.example/p.42",
        ];
        let patterns = [
            "/product/*",
            "/product/**",
            "shop.example/",
            "/",
            "*.example/product/*",
            "**",
            "/p/42",
            "/p/42?utm_source=x",
            "/p/42?utm_source=*",
            "/docs/**",
            "localhost:4000/demo",
            "/p.42",
        ];
        for p in patterns {
            let pattern = PagePattern::new(p);
            let re = pattern_regex_text(&pattern);
            for k in keys {
                assert_eq!(
                    tiny_match(&re, k),
                    pattern.matches(k),
                    "pattern {p} ({re}) on {k}"
                );
            }
        }
    }

    /// Evaluates the regex subset `pattern_regex` produces: `^`, `$`,
    /// escaped literals, `[^…]*`, `[\s\S]*` and a trailing `(\?[\s\S]*)?`.
    fn tiny_match(re: &str, subject: &str) -> bool {
        #[derive(Debug)]
        enum Tok {
            Lit(char),
            Star(Vec<char>),
            Any,
            OptQuery,
        }
        let body = re.trim_start_matches('^').trim_end_matches('$');
        let mut toks = Vec::new();
        let mut rest = body;
        while !rest.is_empty() {
            if let Some(r) = rest.strip_prefix("(\\?[\\s\\S]*)?") {
                toks.push(Tok::OptQuery);
                rest = r;
            } else if let Some(r) = rest.strip_prefix("[\\s\\S]*") {
                toks.push(Tok::Any);
                rest = r;
            } else if let Some(r) = rest.strip_prefix("[^") {
                let end = r.find("]*").unwrap();
                toks.push(Tok::Star(r[..end].chars().collect()));
                rest = &r[end + 2..];
            } else if let Some(r) = rest.strip_prefix('\\') {
                let c = r.chars().next().unwrap();
                toks.push(Tok::Lit(c));
                rest = &r[c.len_utf8()..];
            } else {
                let c = rest.chars().next().unwrap();
                toks.push(Tok::Lit(c));
                rest = &rest[c.len_utf8()..];
            }
        }
        fn go(toks: &[Tok], s: &[char]) -> bool {
            match toks.first() {
                None => s.is_empty(),
                Some(Tok::Lit(c)) => s.first() == Some(c) && go(&toks[1..], &s[1..]),
                Some(Tok::Star(not)) => {
                    let mut i = 0;
                    loop {
                        if go(&toks[1..], &s[i..]) {
                            return true;
                        }
                        if i == s.len() || not.contains(&s[i]) {
                            return false;
                        }
                        i += 1;
                    }
                }
                Some(Tok::Any) => (0..=s.len()).any(|i| go(&toks[1..], &s[i..])),
                Some(Tok::OptQuery) => {
                    go(&toks[1..], s) || (s.first() == Some(&'?') && go(&toks[1..], &[]))
                }
            }
        }
        let chars: Vec<char> = subject.chars().collect();
        go(&toks, &chars)
    }
}
