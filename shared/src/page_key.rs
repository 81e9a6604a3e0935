//! Page keys: the normalised form of a URL that pages, heatmaps and journeys
//! group by, and the patterns that select them.
//!
//! A page key is `host[:port]/path[?kept=query]`: the host lower-cased, the
//! scheme's default port dropped, the fragment dropped, the query dropped except
//! the parameters named by a [`QueryKeepList`], and a trailing slash dropped
//! except on the root path. Parsing is done by the `url` crate (WHATWG rules),
//! which also lower-cases the host, removes default ports and resolves `.`/`..`.

use url::Url;

/// Why a URL cannot become a page key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PageKeyError {
    #[error("url is not a valid absolute URL ({0})")]
    Invalid(String),
    #[error("url scheme must be http or https, not {0:?}")]
    Scheme(String),
    #[error("url has no host")]
    NoHost,
}

/// Query parameters that survive normalisation. Entries ending in `*` match a
/// prefix (`utm_*`). The default keeps none.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueryKeepList {
    entries: Vec<String>,
}

impl QueryKeepList {
    /// Builds a keep-list from names such as `ref` or `utm_*`.
    pub fn new<I, S>(entries: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            entries: entries.into_iter().map(Into::into).collect(),
        }
    }

    fn keeps(&self, name: &str) -> bool {
        self.entries
            .iter()
            .any(|entry| match entry.strip_suffix('*') {
                Some(prefix) => name.starts_with(prefix),
                None => name == entry,
            })
    }
}

/// Normalises `raw` into a page key.
pub fn page_key(raw: &str, keep: &QueryKeepList) -> Result<String, PageKeyError> {
    let url = Url::parse(raw).map_err(|e| PageKeyError::Invalid(e.to_string()))?;
    match url.scheme() {
        "http" | "https" => {}
        other => return Err(PageKeyError::Scheme(other.to_owned())),
    }
    let host = url.host_str().ok_or(PageKeyError::NoHost)?;
    let mut key = String::with_capacity(raw.len());
    key.push_str(host);
    if let Some(port) = url.port() {
        key.push(':');
        key.push_str(&port.to_string());
    }
    let path = url.path();
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        key.push('/');
    } else {
        key.push_str(trimmed);
    }
    if url.query().is_some() && !keep.entries.is_empty() {
        let mut kept: Vec<(String, String)> = url
            .query_pairs()
            .filter(|(name, _)| keep.keeps(name))
            .map(|(n, v)| (n.into_owned(), v.into_owned()))
            .collect();
        if !kept.is_empty() {
            kept.sort();
            let query = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(kept)
                .finish();
            key.push('?');
            key.push_str(&query);
        }
    }
    Ok(key)
}

/// The host part of a URL (lower-cased), used to tell external referrers from
/// internal navigation. `None` when the URL does not parse or has no host.
pub fn url_host(raw: &str) -> Option<String> {
    let url = Url::parse(raw).ok()?;
    url.host_str().map(str::to_owned)
}

/// A pattern over page keys, as typed in the console or given with `--page`.
///
/// - `shop.example/p/42` matches that page key exactly;
/// - `/p/42` (a leading `/`) matches that path on any host;
/// - `*` matches any run of characters within one path segment (not `/`),
///   `**` matches across segments: `/product/*` merges `/product/1` and
///   `/product/2` but not `/product/1/reviews`; `/docs/**` takes the whole tree.
///
/// A key's query part (kept parameters) is ignored when the pattern has none.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(from = "String", into = "String")]
pub struct PagePattern {
    text: String,
    any_host: bool,
}

impl PagePattern {
    /// Parses a pattern. Surrounding whitespace is ignored.
    pub fn new(text: &str) -> Self {
        let mut text = text.trim();
        // Page keys have no trailing slash except on the root path, so neither
        // does a pattern: `/demo/` means the page `/demo`.
        let path_start = if text.starts_with('/') {
            0
        } else {
            text.find('/').unwrap_or(text.len())
        };
        while text.len() > path_start + 1 && text.ends_with('/') {
            text = &text[..text.len() - 1];
        }
        Self {
            any_host: text.starts_with('/'),
            text: text.to_owned(),
        }
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// True when the pattern contains a wildcard.
    pub fn is_wildcard(&self) -> bool {
        self.text.contains('*')
    }

    /// Does `key` (a page key) match this pattern?
    pub fn matches(&self, key: &str) -> bool {
        let key = if self.text.contains('?') {
            key
        } else {
            key.split_once('?').map_or(key, |(head, _)| head)
        };
        let subject = if self.any_host {
            match key.find('/') {
                Some(slash) => &key[slash..],
                None => return false,
            }
        } else {
            key
        };
        glob_match(self.text.as_bytes(), subject.as_bytes())
    }
}

impl From<String> for PagePattern {
    fn from(text: String) -> Self {
        Self::new(&text)
    }
}

impl From<PagePattern> for String {
    fn from(pattern: PagePattern) -> Self {
        pattern.text
    }
}

/// Glob matching with `*` (not across `/`) and `**` (across anything).
fn glob_match(pattern: &[u8], subject: &[u8]) -> bool {
    match pattern.first() {
        None => subject.is_empty(),
        Some(b'*') => {
            let crosses = pattern.get(1) == Some(&b'*');
            let rest = if crosses {
                &pattern[2..]
            } else {
                &pattern[1..]
            };
            let mut i = 0;
            loop {
                if glob_match(rest, &subject[i..]) {
                    return true;
                }
                if i == subject.len() || (!crosses && subject[i] == b'/') {
                    return false;
                }
                i += 1;
            }
        }
        Some(&c) => subject.first() == Some(&c) && glob_match(&pattern[1..], &subject[1..]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_a_table_of_urls() {
        let none = QueryKeepList::default();
        let utm = QueryKeepList::new(["utm_*", "ref"]);
        let cases: &[(&str, &QueryKeepList, &str)] = &[
            (
                "https://Shop.Example/p/42?utm_source=x#top",
                &none,
                "shop.example/p/42",
            ),
            (
                "https://shop.example/p/42?utm_source=x&b=2#top",
                &utm,
                "shop.example/p/42?utm_source=x",
            ),
            (
                "https://shop.example/?ref=hn&utm_medium=a&z=1",
                &utm,
                "shop.example/?ref=hn&utm_medium=a",
            ),
            ("http://shop.example:80/a/", &none, "shop.example/a"),
            ("https://shop.example:443/a//", &none, "shop.example/a"),
            ("https://shop.example:8443/a", &none, "shop.example:8443/a"),
            ("http://localhost:4000/demo/", &none, "localhost:4000/demo"),
            ("https://shop.example", &none, "shop.example/"),
            ("https://shop.example/", &none, "shop.example/"),
            ("https://shop.example/A/B", &none, "shop.example/A/B"),
            ("https://shop.example/a/./b/../c", &none, "shop.example/a/c"),
            (
                "https://shop.example/caf%C3%A9",
                &none,
                "shop.example/caf%C3%A9",
            ),
            ("https://shop.example/café", &none, "shop.example/caf%C3%A9"),
            (
                "https://xn--bcher-kva.example/",
                &none,
                "xn--bcher-kva.example/",
            ),
            ("https://bücher.example/", &none, "xn--bcher-kva.example/"),
            ("https://[::1]:8080/x", &none, "[::1]:8080/x"),
            ("https://user:pw@shop.example/x", &none, "shop.example/x"),
            ("https://shop.example/x?", &utm, "shop.example/x"),
        ];
        for (raw, keep, want) in cases {
            assert_eq!(page_key(raw, keep).as_deref(), Ok(*want), "{raw}");
        }
    }

    #[test]
    fn rejects_non_web_urls() {
        let none = QueryKeepList::default();
        assert!(matches!(
            page_key("/relative", &none),
            Err(PageKeyError::Invalid(_))
        ));
        assert_eq!(
            page_key("file:///etc/passwd", &none),
            Err(PageKeyError::Scheme("file".into()))
        );
        assert_eq!(
            page_key("javascript:alert(1)", &none),
            Err(PageKeyError::Scheme("javascript".into()))
        );
        assert!(page_key("", &none).is_err());
    }

    #[test]
    fn patterns_match_keys() {
        let p = PagePattern::new("/product/*");
        assert!(p.matches("shop.example/product/1"));
        assert!(p.matches("other.example/product/abc"));
        assert!(!p.matches("shop.example/product/1/reviews"));
        assert!(!p.matches("shop.example/products/1"));
        assert!(PagePattern::new("/docs/**").matches("a.b/docs/x/y/z"));
        assert!(PagePattern::new("shop.example/").matches("shop.example/"));
        assert!(!PagePattern::new("shop.example/").matches("evil.example/"));
        assert!(PagePattern::new("*.example/p/*").matches("shop.example/p/42"));
        assert!(PagePattern::new("/p/42").matches("shop.example/p/42?utm_source=x"));
        assert!(!PagePattern::new("/p/42?utm_source=y").matches("shop.example/p/42?utm_source=x"));
        assert!(PagePattern::new("**").matches("anything.example/at/all"));
        assert!(!PagePattern::new("/").matches("shop.example/a"));
        assert!(PagePattern::new("/").matches("shop.example/"));
        assert!(PagePattern::new("/demo/").matches("localhost:4000/demo"));
        assert!(PagePattern::new("localhost:4000/demo//").matches("localhost:4000/demo"));
        assert!(PagePattern::new("shop.example/").matches("shop.example/"));
        assert_eq!(PagePattern::new("/demo/").as_str(), "/demo");
    }
}
