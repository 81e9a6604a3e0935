//! Saved views: named snapshots of what the console shows, kept in a TOML
//! file in the user's configuration directory.
//!
//! ```toml
//! [views.mobile-rage]
//! view = "sessions"                 # overview, sessions, journey, heatmap, pages, live, paths, funnel
//! range = "7d"                      # as --since: 15m, 24h, 7d, all, 2025-01-01..2025-01-31
//! filters = { device = "mobile", rage = true }
//! sessions_sort = "duration desc"   # a column, then asc or desc (optional)
//! ```
//!
//! The file is `$XDG_CONFIG_HOME/analytics-tui/views.toml` (usually
//! `~/.config/analytics-tui/views.toml`; [`location`]); `--views-file` or
//! `ANALYTICS_VIEWS_FILE` names another.
//!
//! - [`decode`] reads the file into a [`Book`]. A syntax error leaves the
//!   whole file out, a bad entry only itself; each [`Problem`] names its line.
//! - [`encode`] writes one entry into the file as it is on disk (`toml_edit`),
//!   so comments, order, the other entries and keys this version does not know
//!   all survive a save.
//! - [`load`] and [`save`] do the file's I/O. The console asks for them as
//!   [`Job`]s that the runtime runs and answers as [`Done`], so `update` never
//!   touches the disk.

mod decode;
mod encode;
mod file;

pub use decode::parse;
pub use file::{load, location, save, VIEWS_FILE_ENV};

use crate::filters::{self, Range};
use crate::view::View;
use shared::page_key::PagePattern;
use shared::store::query::{Filter, PageSortKey, SessionRef, SessionSortKey, Sort, WidthSegment};
use std::path::PathBuf;

/// Characters a view's name may have at most.
pub const NAME_MAX_CHARS: usize = 40;

/// One saved view: what opening it restores. What an entry leaves out is the
/// console's default (no filter, the lists' first sorts, no heatmap page,
/// every width), except `range` (kept as it is when left out, so a
/// hand-written entry can be only a filter).
#[derive(Debug, Clone, PartialEq)]
pub struct SavedView {
    pub view: View,
    pub range: Option<Range>,
    /// The conditions; its `range` is unused.
    pub filter: Filter,
    pub sessions_sort: Option<Sort<SessionSortKey>>,
    pub pages_sort: Option<Sort<PageSortKey>>,
    /// The page pattern whose heatmap is open.
    pub heatmap_page: Option<PagePattern>,
    pub heatmap_segment: Option<WidthSegment>,
    /// The session a Journey view shows.
    pub session: Option<SessionRef>,
    /// The Funnel view's steps (`page:/pricing*`, `event:signup`).
    pub funnel_steps: Option<Vec<String>>,
    /// The page the Paths view starts from (none: the entry page).
    pub path_start: Option<String>,
}

impl SavedView {
    /// `view` with nothing else set.
    pub fn of(view: View) -> Self {
        Self {
            view,
            range: None,
            filter: Filter::default(),
            sessions_sort: None,
            pages_sort: None,
            heatmap_page: None,
            heatmap_segment: None,
            session: None,
            funnel_steps: None,
            path_start: None,
        }
    }

    /// One line about the view: its range, filters and heatmap page.
    pub fn summary(&self) -> String {
        let mut parts = Vec::new();
        if let Some(range) = self.range {
            parts.push(range.label());
        }
        for (name, value) in filters::chips(&self.filter) {
            parts.push(format!("{name} {value}"));
        }
        if let Some(page) = &self.heatmap_page {
            parts.push(format!("map {}", crate::text::safe(page.as_str())));
        }
        if let Some(segment) = self.heatmap_segment {
            parts.push(format!("{} widths", segment.as_str()));
        }
        if let Some(session) = &self.session {
            parts.push(format!(
                "session {}",
                crate::text::safe(&session.session_id)
            ));
        }
        if let Some(start) = &self.path_start {
            parts.push(format!("paths from {}", crate::text::safe(start)));
        }
        if let Some(steps) = &self.funnel_steps {
            parts.push(format!("funnel of {} steps", steps.len()));
        }
        if parts.is_empty() {
            "no filters".into()
        } else {
            parts.join(" · ")
        }
    }
}

/// Why the file, or one entry of it, could not be read.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// The entry it is about; `None` for the whole file.
    pub entry: Option<String>,
    /// 1-based line in the file, where known.
    pub line: Option<usize>,
    pub message: String,
}

/// The views file as read: its views in file order, and what was wrong.
#[derive(Debug, Clone, PartialEq)]
pub struct Book {
    pub path: PathBuf,
    pub entries: Vec<(String, SavedView)>,
    pub problems: Vec<Problem>,
}

impl Book {
    /// No views (the file does not exist yet).
    pub fn empty(path: PathBuf) -> Self {
        Self {
            path,
            entries: Vec::new(),
            problems: Vec::new(),
        }
    }

    pub fn get(&self, name: &str) -> Option<&SavedView> {
        self.entries.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// `PATH line N: message`.
    pub fn describe(&self, problem: &Problem) -> String {
        describe(&self.path.display().to_string(), problem)
    }

    /// `views.toml line N: message`: the file by its name only.
    pub fn describe_briefly(&self, problem: &Problem) -> String {
        let name = self.path.file_name().map_or_else(
            || self.path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        describe(&name, problem)
    }

    /// The first problem, with how many more there are, for a one-line
    /// message: the file by its name (`views.toml line N: message`).
    pub fn problem_summary(&self) -> Option<String> {
        let first = self.problems.first()?;
        let text = self.describe_briefly(first);
        Some(match self.problems.len() {
            1 => text,
            n => format!("{text} (and {} more)", n - 1),
        })
    }

    /// The view named `name`, or why there is none: the file's problem, the
    /// entry's, or the names there are.
    pub fn select(&self, name: &str) -> Result<&SavedView, String> {
        if let Some(view) = self.get(name) {
            return Ok(view);
        }
        let problem = self
            .problems
            .iter()
            .find(|p| p.entry.is_none() || p.entry.as_deref() == Some(name));
        if let Some(problem) = problem {
            return Err(format!(
                "cannot open the saved view {name:?}: {}",
                self.describe(problem)
            ));
        }
        let names: Vec<&str> = self.entries.iter().map(|(n, _)| n.as_str()).collect();
        if names.is_empty() {
            Err(format!(
                "no saved view {name:?}: {} holds none yet (V in the console saves one)",
                self.path.display()
            ))
        } else {
            Err(format!(
                "no saved view {name:?} in {}; the saved views are: {}",
                self.path.display(),
                names.join(", ")
            ))
        }
    }
}

/// `FILE line N: message`, or `FILE message` for the file as a whole
/// (`views.toml is not a file`).
fn describe(file: &str, problem: &Problem) -> String {
    match problem.line {
        Some(line) => format!("{file} line {line}: {}", problem.message),
        None => format!("{file} {}", problem.message),
    }
}

/// A name fit to save a view under: 1 to 40 letters, digits, spaces, `-`,
/// `_` or `.`, without spaces at either end. Returns it trimmed.
pub fn check_name(name: &str) -> Result<&str, String> {
    let name = name.trim();
    if name.is_empty() {
        return Err("type a name for the view".into());
    }
    if name.chars().count() > NAME_MAX_CHARS {
        return Err(format!("a name has at most {NAME_MAX_CHARS} characters"));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_alphanumeric() || matches!(c, ' ' | '-' | '_' | '.')))
    {
        let shown = if c.is_control() { '?' } else { c };
        return Err(format!(
            "{shown:?} is not allowed: letters, digits, spaces, - _ ."
        ));
    }
    Ok(name)
}

/// File work the console asks for; the runtime runs it with [`Job::run`].
#[derive(Debug, Clone, PartialEq)]
pub enum Job {
    /// Read the file again (the list is opened).
    Load(PathBuf),
    /// Write `view` under `name` into the file.
    Save {
        path: PathBuf,
        name: String,
        view: Box<SavedView>,
    },
}

/// What a [`Job`] found.
#[derive(Debug, Clone, PartialEq)]
pub enum Done {
    Loaded(Book),
    /// The file as written, or why it was not.
    Saved {
        name: String,
        result: Result<Book, String>,
    },
}

impl Job {
    pub fn run(self) -> Done {
        match self {
            Self::Load(path) => Done::Loaded(load(&path)),
            Self::Save { path, name, view } => Done::Saved {
                result: save(&path, &name, &view),
                name,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_short_and_plain() {
        assert_eq!(check_name("  mobile rage "), Ok("mobile rage"));
        assert_eq!(check_name("q1.checkout_v-2"), Ok("q1.checkout_v-2"));
        assert!(check_name("é-ü").is_ok(), "letters of any script");
        assert!(check_name("").is_err());
        assert!(check_name("   ").is_err());
        assert!(check_name("a/b").is_err());
        assert!(check_name("a\"b").is_err());
        assert!(check_name("a\u{1b}[31m").is_err());
        assert!(check_name(&"x".repeat(NAME_MAX_CHARS)).is_ok());
        assert!(check_name(&"x".repeat(NAME_MAX_CHARS + 1)).is_err());
    }

    #[test]
    fn selecting_an_unknown_name_lists_the_saved_ones() {
        let book = parse(
            "/cfg/views.toml".into(),
            "[views.a]\nview = \"pages\"\n[views.b]\nview = \"live\"\n",
        );
        assert!(book.select("a").is_ok());
        let Err(error) = book.select("c") else {
            panic!("no view c")
        };
        assert!(error.contains("/cfg/views.toml"), "{error}");
        assert!(error.contains("a, b"), "{error}");
        let empty = Book::empty("/cfg/views.toml".into());
        let Err(error) = empty.select("c") else {
            panic!("no view c")
        };
        assert!(error.contains("holds none"), "{error}");
    }

    #[test]
    fn selecting_in_a_broken_file_names_the_line() {
        let book = parse(
            "/cfg/views.toml".into(),
            "[views.a]\nview = \"pages\"\nrange = 7d\n",
        );
        let Err(error) = book.select("a") else {
            panic!("a broken file")
        };
        assert!(
            error.starts_with("cannot open the saved view \"a\": /cfg/views.toml line 3: "),
            "{error}"
        );
    }
}
