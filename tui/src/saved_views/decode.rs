//! The views file read into a [`Book`].
//!
//! The text is parsed with `toml_edit`, which keeps where every key and value
//! is, so each problem can name its line: a syntax error (the file's whole
//! content is then left out), or an entry whose value is not what the key
//! takes (that entry alone is left out, the others are read). Keys this
//! version does not know are ignored here and kept by [`super::encode`], so a
//! newer console's fields survive an older one's save.

use super::{Book, Problem, SavedView};
use crate::filters::{parse_span, Range};
use crate::sort_order;
use crate::view::View;
use serde::de::DeserializeOwned;
use shared::event::DeviceClass;
use shared::page_key::PagePattern;
use shared::store::query::{Filter, SessionRef, Sort, WidthSegment};
use std::ops::Range as Span;
use std::path::PathBuf;
use toml_edit::{Document, Item, TableLike};

/// What is wrong with one value, and where.
struct Bad {
    span: Option<Span<usize>>,
    message: String,
}

impl Bad {
    fn at(item: &Item, message: String) -> Self {
        Self {
            span: item.span(),
            message,
        }
    }
}

/// Reads the text of the file at `path` (the path only names it in problems).
pub fn parse(path: PathBuf, text: &str) -> Book {
    let mut book = Book::empty(path);
    let doc = match Document::parse(text) {
        Ok(doc) => doc,
        Err(error) => {
            book.problems.push(Problem {
                entry: None,
                line: error.span().map(|s| line_of(text, s.start)),
                message: error.message().trim().to_owned(),
            });
            return book;
        }
    };
    let Some(item) = doc.get("views") else {
        return book;
    };
    let Some(views) = item.as_table_like() else {
        book.problems.push(Problem {
            entry: None,
            line: span_of(doc.as_table(), "views", item).map(|s| line_of(text, s.start)),
            message: "`views` must hold tables of views: [views.NAME]".into(),
        });
        return book;
    };
    for (name, item) in views.iter() {
        match entry(item) {
            Ok(view) => book.entries.push((name.to_owned(), view)),
            Err(bad) => {
                let span = bad.span.or_else(|| span_of(views, name, item));
                book.problems.push(Problem {
                    entry: Some(name.to_owned()),
                    line: span.map(|s| line_of(text, s.start)),
                    message: format!("view {name:?}: {}", bad.message),
                });
            }
        }
    }
    book
}

/// Where `item` (under `key` in `table`) is: its own span, else its key's.
fn span_of(table: &dyn TableLike, key: &str, item: &Item) -> Option<Span<usize>> {
    item.span()
        .or_else(|| table.key(key).and_then(|k| k.span()))
}

/// The 1-based line of byte `offset` in `text`.
fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

fn entry(item: &Item) -> Result<SavedView, Bad> {
    let Some(table) = item.as_table_like() else {
        return Err(Bad::at(
            item,
            "must be a table: [views.NAME] with view = \"…\"".into(),
        ));
    };
    let fields = Fields(table);
    let view = fields
        .parsed("view", parse_view, VIEWS)?
        .ok_or_else(|| Bad::at(item, format!("has no view = \"…\" ({VIEWS})")))?;
    let session = fields.string("session")?.map(|id| SessionRef {
        site: None,
        session_id: id,
    });
    let session_site = fields.string("session_site")?;
    Ok(SavedView {
        view,
        range: fields.parsed("range", Range::parse, RANGES)?,
        filter: match table.get("filters") {
            Some(item) => filters(item)?,
            None => Filter::default(),
        },
        sessions_sort: fields.parsed(
            "sessions_sort",
            |t| parse_sort(t, sort_order::session),
            "a session column (start, duration, events, pages, clicks, entry, exit, \
             device, browser, referrer, rage_clicks), then asc or desc",
        )?,
        pages_sort: fields.parsed(
            "pages_sort",
            |t| parse_sort(t, sort_order::page),
            "a page column (views, visitors, clicks, scroll_depth, rage_clicks, page), \
             then asc or desc",
        )?,
        heatmap_page: fields.string("heatmap_page")?.map(|p| PagePattern::new(&p)),
        heatmap_segment: fields.parsed(
            "heatmap_segment",
            WidthSegment::parse,
            "all, desktop, tablet or mobile",
        )?,
        session: session.map(|s| SessionRef {
            site: session_site,
            ..s
        }),
        funnel_steps: fields.strings("funnel_steps")?,
        path_start: fields.string("path_start")?,
    })
}

const VIEWS: &str = "overview, sessions, journey, heatmap, pages or live";
const RANGES: &str = "a time range: 15m, 24h, 7d, all or 2025-01-01..2025-01-31";

/// The `filters` table: the command line's filter flags, `_` for `-`.
fn filters(item: &Item) -> Result<Filter, Bad> {
    let Some(table) = item.as_table_like() else {
        return Err(Bad::at(
            item,
            "filters must be a table: filters = { device = \"mobile\" }".into(),
        ));
    };
    let fields = Fields(table);
    Ok(Filter {
        site: fields.string("site")?,
        range: Default::default(),
        device: fields.parsed(
            "device",
            DeviceClass::parse,
            "desktop, tablet, mobile, tv, bot or unknown",
        )?,
        browser: fields.string("browser")?,
        referrer: fields.string("referrer")?,
        entry_page: fields.string("entry_page")?.map(|p| PagePattern::new(&p)),
        min_duration_ms: fields.parsed("min_duration", parse_span, "a duration: 30s, 5m, 1h")?,
        min_events: fields.count("min_events")?,
        bounced: fields.boolean("bounced")?,
        has_rage_clicks: fields.boolean("rage")?,
        clicked_page: fields.string("clicked_page")?.map(|p| PagePattern::new(&p)),
        has_quick_backs: fields.boolean("quick_backs")?,
        dead_end: fields.boolean("dead_end")?,
        // Session keys name rows of one database: never saved.
        sessions: None,
    })
}

fn parse_view(text: &str) -> Option<View> {
    View::ALL
        .into_iter()
        .find(|v| v.title().eq_ignore_ascii_case(text.trim()))
}

/// `duration`, `duration desc`, `entry asc`: a column, then a direction (the
/// column's own when left out).
fn parse_sort<K: DeserializeOwned>(text: &str, natural: fn(K) -> Sort<K>) -> Option<Sort<K>> {
    let mut words = text.split_whitespace();
    let name = words.next()?.replace('-', "_").to_ascii_lowercase();
    let key: K = serde_json::from_value(serde_json::Value::String(name)).ok()?;
    let mut sort = natural(key);
    match words.next().map(str::to_ascii_lowercase).as_deref() {
        None => {}
        Some("desc") => sort.descending = true,
        Some("asc") => sort.descending = false,
        Some(_) => return None,
    }
    words.next().is_none().then_some(sort)
}

/// Typed access to the keys of one table.
struct Fields<'a>(&'a dyn TableLike);

impl Fields<'_> {
    /// A non-empty string.
    fn string(&self, key: &str) -> Result<Option<String>, Bad> {
        let Some(item) = self.0.get(key) else {
            return Ok(None);
        };
        match item.as_str().map(str::trim) {
            Some("") => Err(Bad::at(item, format!("{key} is empty"))),
            Some(text) => Ok(Some(text.to_owned())),
            None => Err(Bad::at(item, format!("{key} must be a string in quotes"))),
        }
    }

    /// A string `parse` reads; `what` says what it takes.
    fn parsed<T>(
        &self,
        key: &str,
        parse: impl Fn(&str) -> Option<T>,
        what: &str,
    ) -> Result<Option<T>, Bad> {
        let Some(text) = self.string(key)? else {
            return Ok(None);
        };
        match parse(&text) {
            Some(value) => Ok(Some(value)),
            None => Err(Bad {
                span: self.0.get(key).and_then(Item::span),
                message: format!("{key} = {text:?} is not {what}"),
            }),
        }
    }

    fn boolean(&self, key: &str) -> Result<Option<bool>, Bad> {
        let Some(item) = self.0.get(key) else {
            return Ok(None);
        };
        match item.as_bool() {
            Some(b) => Ok(Some(b)),
            None => Err(Bad::at(item, format!("{key} must be true or false"))),
        }
    }

    /// A whole number from 0 up.
    fn count(&self, key: &str) -> Result<Option<u32>, Bad> {
        let Some(item) = self.0.get(key) else {
            return Ok(None);
        };
        match item.as_integer().and_then(|n| u32::try_from(n).ok()) {
            Some(n) => Ok(Some(n)),
            None => Err(Bad::at(item, format!("{key} must be a whole number"))),
        }
    }

    /// A list of strings.
    fn strings(&self, key: &str) -> Result<Option<Vec<String>>, Bad> {
        let Some(item) = self.0.get(key) else {
            return Ok(None);
        };
        let list = item.as_array().and_then(|array| {
            array
                .iter()
                .map(|v| v.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>()
        });
        match list {
            Some(list) => Ok(Some(list)),
            None => Err(Bad::at(
                item,
                format!("{key} must be a list of strings: [\"…\", \"…\"]"),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::store::query::{PageSortKey, SessionSortKey};

    fn book(text: &str) -> Book {
        parse("/cfg/views.toml".into(), text)
    }

    #[test]
    fn reads_every_field() {
        let book = book(
            r#"
# my views
[views.mobile-rage]
view = "sessions"
range = "7d"
filters = { device = "mobile", rage = true, min_events = 3, min_duration = "30s", bounced = false }
sessions_sort = "duration asc"
pages_sort = "page"
heatmap_page = "/pricing"
heatmap_segment = "mobile"
funnel_steps = ["page:/pricing*", "event:signup"]
path_start = "/pricing"

[views."one session"]
view = "Journey"
session = "sess-alpha"
session_site = "demo"
"#,
        );
        assert_eq!(book.problems, []);
        let names: Vec<&str> = book.entries.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["mobile-rage", "one session"]);
        let Some(v) = book.get("mobile-rage") else {
            panic!("mobile-rage")
        };
        assert_eq!(v.view, View::Sessions);
        assert_eq!(v.range, Range::parse("7d"));
        assert_eq!(v.filter.device, Some(DeviceClass::Mobile));
        assert_eq!(v.filter.has_rage_clicks, Some(true));
        assert_eq!(v.filter.bounced, Some(false));
        assert_eq!(v.filter.min_events, Some(3));
        assert_eq!(v.filter.min_duration_ms, Some(30_000));
        assert_eq!(
            v.sessions_sort,
            Some(Sort {
                key: SessionSortKey::Duration,
                descending: false
            })
        );
        assert_eq!(v.pages_sort, Some(sort_order::page(PageSortKey::Page)));
        assert_eq!(v.heatmap_page, Some(PagePattern::new("/pricing")));
        assert_eq!(v.heatmap_segment, Some(WidthSegment::Mobile));
        assert_eq!(
            v.funnel_steps.as_deref(),
            Some(&["page:/pricing*".to_owned(), "event:signup".to_owned()][..])
        );
        assert_eq!(v.path_start.as_deref(), Some("/pricing"));
        let Some(j) = book.get("one session") else {
            panic!("one session")
        };
        assert_eq!(j.view, View::Journey);
        assert_eq!(
            j.session,
            Some(SessionRef {
                site: Some("demo".into()),
                session_id: "sess-alpha".into()
            })
        );
    }

    #[test]
    fn filters_may_be_a_table_of_their_own() {
        let book =
            book("[views.x]\nview = \"pages\"\n\n[views.x.filters]\nbrowser = \"Firefox\"\n");
        assert_eq!(book.problems, []);
        let browser = book.get("x").and_then(|v| v.filter.browser.clone());
        assert_eq!(browser.as_deref(), Some("Firefox"));
    }

    #[test]
    fn a_syntax_error_names_its_line_and_leaves_the_file_out() {
        let book =
            book("[views.a]\nview = \"pages\"\n\n[views.b]\nview = \"live\nrange = \"7d\"\n");
        assert!(book.entries.is_empty());
        let [problem] = &book.problems[..] else {
            panic!("one problem: {:?}", book.problems)
        };
        assert_eq!(problem.entry, None);
        assert_eq!(problem.line, Some(5), "{problem:?}");
        let text = book.describe(problem);
        assert!(text.starts_with("/cfg/views.toml line 5: "), "{text}");
    }

    #[test]
    fn a_bad_value_leaves_out_its_entry_only_and_names_its_line() {
        let book = book(
            "[views.good]\nview = \"overview\"\n\n[views.bad]\nview = \"sessions\"\nfilters = { device = \"fridge\" }\n",
        );
        assert!(book.get("good").is_some());
        assert!(book.get("bad").is_none());
        let [problem] = &book.problems[..] else {
            panic!("one problem: {:?}", book.problems)
        };
        assert_eq!(problem.entry.as_deref(), Some("bad"));
        assert_eq!(problem.line, Some(6));
        assert!(
            problem.message.contains("\"fridge\""),
            "{}",
            problem.message
        );
    }

    #[test]
    fn each_kind_of_mistake_is_explained() {
        let cases = [
            ("view = \"funnels\"", "funnels"),
            ("range = \"soon\"", "time range"),
            ("range = 7", "string"),
            ("sessions_sort = \"fame\"", "session column"),
            ("pages_sort = \"views sideways\"", "page column"),
            ("heatmap_segment = \"watch\"", "desktop"),
            ("filters = { min_events = -1 }", "whole number"),
            ("filters = { rage = \"yes\" }", "true or false"),
            ("filters = \"mobile\"", "filters must be a table"),
            ("filters = { browser = \"\" }", "empty"),
            ("funnel_steps = \"page:/\"", "list of strings"),
            ("funnel_steps = [1, 2]", "list of strings"),
        ];
        for (line, expected) in cases {
            let text = if line.starts_with("view =") {
                format!("[views.x]\n{line}\n")
            } else {
                format!("[views.x]\nview = \"pages\"\n{line}\n")
            };
            let book = book(&text);
            let [problem] = &book.problems[..] else {
                panic!("{line}: one problem, not {:?}", book.problems)
            };
            assert!(
                problem.message.contains(expected),
                "{line}: {}",
                problem.message
            );
            assert_eq!(problem.line, Some(text.lines().count()), "{line}");
        }
    }

    #[test]
    fn an_entry_without_a_view_is_named() {
        let book = book("[views.x]\nrange = \"7d\"\n");
        let [problem] = &book.problems[..] else {
            panic!("one problem")
        };
        assert!(
            problem.message.contains("has no view"),
            "{}",
            problem.message
        );
        assert_eq!(problem.line, Some(1));
    }

    #[test]
    fn views_that_are_not_tables_are_named() {
        let book = book("views = 3\n");
        assert_eq!(book.problems.len(), 1);
        assert_eq!(book.problems[0].line, Some(1));
        let book = book_of_inline();
        assert_eq!(book.problems, []);
        assert!(book.get("a").is_some());
    }

    fn book_of_inline() -> Book {
        book("views = { a = { view = \"live\" } }\n")
    }

    #[test]
    fn unknown_keys_are_ignored_when_read() {
        let book = book("theme = \"dark\"\n[views.x]\nview = \"pages\"\nfunnel_window = \"1h\"\n");
        assert_eq!(book.problems, []);
        assert!(book.get("x").is_some());
    }
}
