//! Storage: the write trait ([`EventWriter`]) that ingestd's single writer
//! commits through, the read trait ([`EventReader`]) every console view queries,
//! and [`DbUrl`], the one option that selects an engine for both binaries.
//!
//! The SQLite engine ([`sqlite`]) is the embedded default; the MongoDB engine
//! ([`mongo`]) serves deployments of several ingestd copies.

pub mod core;
mod engines;
mod error;
pub(crate) mod fast_hash;
pub mod flow_query;
pub mod heat;
pub mod layout_query;
#[cfg(feature = "mongodb")]
pub mod mongo;
pub mod query;
pub mod reach;
#[cfg(feature = "sqlite")]
pub mod sqlite;

use crate::event::EventBatch;
use crate::progress::{Progress, Silent};
use layout_query::{LayoutQuery, SiteLayout, StoredLayout};
use query::*;
use std::path::PathBuf;

pub use error::{DriverError, Engine, StoreError};

/// What committing one batch did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AppendOutcome {
    /// Events newly stored.
    pub inserted: usize,
    /// Events already stored by an earlier copy (same site and event id).
    pub duplicates: usize,
}

/// The write side. One writer per database.
pub trait EventWriter: Send {
    /// Commits `batches` with every rollup, durably: when this returns `Ok`,
    /// the events survive a crash or power cut. Events whose `(site, id)` is
    /// already stored are skipped and counted as duplicates. On `Err` the
    /// caller answers an error and the client resends, which is always safe;
    /// what stays behind depends on the engine:
    /// - SQLite: all or nothing (one transaction): none of the batches is
    ///   stored;
    /// - MongoDB: no transaction: some events may be stored, marked pending;
    ///   the writer rebuilds the rollups they touch before its next commit
    ///   (or any writer, once the mark is stale), so every read counts each
    ///   stored event once, and the resent copies are duplicates.
    fn append(&mut self, batches: &[EventBatch]) -> Result<Vec<AppendOutcome>, StoreError> {
        self.append_with_layouts(batches, &[])
    }

    /// [`Self::append`], storing the layout snapshots `layouts` in the same
    /// commit (the same promise: durable on `Ok`; on `Err` the resend is
    /// safe, since a stored version only widens its capture span). The rules
    /// are [`core::layouts`].
    fn append_with_layouts(
        &mut self,
        batches: &[EventBatch],
        layouts: &[SiteLayout],
    ) -> Result<Vec<AppendOutcome>, StoreError>;

    /// The newest stored layout version of each site × page × width segment
    /// captured at or after `since_ms` (ms since the epoch), newest first:
    /// what ingestd knows of the layouts when it starts.
    fn newest_layouts(&mut self, since_ms: i64) -> Result<Vec<StoredLayout>, StoreError>;

    /// Removes every session of one visitor of one site, with all its events
    /// and every contribution to the rollups: afterwards every read answers
    /// as if they had never been stored. Returns the number of events removed.
    fn delete_visitor(&mut self, site: &str, visitor_id: &str) -> Result<u64, StoreError> {
        self.delete_visitor_reporting(site, visitor_id, &Silent)
    }

    /// [`Self::delete_visitor`], reporting the sessions removed to `progress`.
    fn delete_visitor_reporting(
        &mut self,
        site: &str,
        visitor_id: &str,
        progress: &dyn Progress,
    ) -> Result<u64, StoreError>;

    /// Retention: removes, like [`Self::delete_visitor`], every session whose
    /// last event is older than `cutoff_ms` (ms since the epoch). Returns the
    /// number of events removed.
    fn expire_before(&mut self, cutoff_ms: i64) -> Result<u64, StoreError>;
}

/// `fetch`'s answer read on one snapshot of `store`
/// ([`EventReader::snapshot`]).
pub fn on_snapshot<T>(
    store: &dyn EventReader,
    fetch: impl Fn(&dyn EventReader) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    let mut answer = None;
    store.snapshot(&mut |reader| {
        answer = Some(fetch(reader)?);
        Ok(())
    })?;
    match answer {
        Some(answer) => Ok(answer),
        // An engine that did not call it back: read as is.
        None => fetch(store),
    }
}

/// The read side: everything the console shows.
pub trait EventReader: Send {
    fn overview(&self, filter: &Filter) -> Result<Overview, StoreError>;
    fn sessions(
        &self,
        filter: &Filter,
        sort: Sort<SessionSortKey>,
        page: PageRequest,
    ) -> Result<SessionPage, StoreError>;
    fn journey(&self, session: &SessionRef) -> Result<Option<Journey>, StoreError>;
    fn pages(
        &self,
        filter: &Filter,
        pattern: Option<&crate::page_key::PagePattern>,
        sort: Sort<PageSortKey>,
        page: PageRequest,
    ) -> Result<Vec<PageStats>, StoreError>;
    /// How far down the pages of `query` their views were read
    /// ([`core::scroll_reach`]); its `columns` play no part.
    fn scroll_reach(&self, query: &HeatmapQuery) -> Result<ScrollReach, StoreError>;
    fn heatmap(&self, query: &HeatmapQuery) -> Result<Heatmap, StoreError>;
    /// [`Self::heatmap`] binned on `grid` (another heatmap's,
    /// [`heat::Scale::of`]) instead of its own clicks' grid, so that two
    /// ranges' cells line up ([`core::heatmap::heatmap_on`]).
    fn heatmap_on(&self, query: &HeatmapQuery, grid: &heat::Scale) -> Result<Heatmap, StoreError>;
    /// Where inside their elements the anchored clicks of `query` on the
    /// elements `selectors` fell ([`core::heatmap::anchors`]): what
    /// [`core::anchoring::place`] needs to draw [`Self::heatmap`] over a
    /// layout. Empty for no selectors.
    fn heat_anchors(
        &self,
        query: &HeatmapQuery,
        selectors: &[String],
    ) -> Result<query::ElementAnchors, StoreError>;
    /// Raw events in time order.
    fn events(&self, filter: &Filter, page: PageRequest) -> Result<Vec<StoredEvent>, StoreError>;
    /// Events stored after `cursor` (or the newest `limit` without one), oldest first.
    fn live_tail(&self, cursor: Option<&str>, limit: u32) -> Result<LiveTail, StoreError>;
    /// A number that changes whenever another connection commits; cheap to poll.
    fn change_token(&self) -> Result<u64, StoreError>;
    /// The steps of the sessions `filter` selects, for paths and funnels
    /// ([`core::flows`]).
    fn steps(&self, filter: &Filter) -> Result<flow_query::StepSet, StoreError>;

    /// Runs `read` with this reader on one snapshot of the store, so that
    /// its queries (a map, its anchors, its reach, a compared range's map)
    /// agree with each other while writers commit. SQLite holds one read
    /// transaction for them; MongoDB runs each query at its own moment
    /// (snapshot reads need a session on a replica set), as it does alone.
    fn snapshot(
        &self,
        read: &mut dyn FnMut(&dyn EventReader) -> Result<(), StoreError>,
    ) -> Result<(), StoreError>;

    /// The layout versions of the pages `query` matches at its segment,
    /// merged and newest first ([`core::layouts::versions`]).
    fn layouts(&self, query: &LayoutQuery) -> Result<Vec<StoredLayout>, StoreError>;

    /// One version of [`Self::layouts`]: `version` when given, else the
    /// newest of `segment` ([`core::layouts::pick`]).
    fn layout(
        &self,
        query: &LayoutQuery,
        segment: WidthSegment,
        version: Option<crate::layout::Fingerprint>,
    ) -> Result<Option<StoredLayout>, StoreError> {
        Ok(core::layouts::pick(self.layouts(query)?, segment, version))
    }
}

/// Where the data lives: the one option shared by every binary (`--db`, or the
/// `ANALYTICS_DB` environment variable).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DbUrl {
    Sqlite(PathBuf),
    Mongo(String),
}

/// How the engines name the removal of a visitor's sessions to a [`Progress`].
pub(crate) const DELETING_VISITOR: &str = "deleting the visitor's sessions";

/// Environment variable read by every binary for the database location.
pub const DB_ENV: &str = "ANALYTICS_DB";

impl DbUrl {
    /// Parses `sqlite:PATH`, `sqlite://PATH`, `mongodb://…`, `mongodb+srv://…` or a
    /// plain file path. The scheme picks the engine ([`engines`]).
    pub fn parse(text: &str) -> Result<Self, StoreError> {
        let text = text.trim();
        let scheme = text.split_once(':').map(|(scheme, _)| scheme);
        match scheme.and_then(engines::by_scheme) {
            Some(Engine::Mongo) if text.contains("://") => Ok(Self::Mongo(text.to_owned())),
            Some(Engine::Mongo) => Err(StoreError::InvalidUrl(text.to_owned())),
            Some(Engine::Sqlite) | None => {
                let path = text
                    .strip_prefix("sqlite://")
                    .or_else(|| text.strip_prefix("sqlite:"))
                    .unwrap_or(text);
                if path.is_empty() || (path.contains("://") && !text.starts_with("sqlite")) {
                    return Err(StoreError::InvalidUrl(text.to_owned()));
                }
                Ok(Self::Sqlite(PathBuf::from(path)))
            }
        }
    }

    /// The engine this URL selects.
    pub fn engine(&self) -> Engine {
        match self {
            Self::Sqlite(_) => Engine::Sqlite,
            Self::Mongo(_) => Engine::Mongo,
        }
    }

    /// The default: `analytics.db` in the user's data directory
    /// (`$XDG_DATA_HOME/analytics-tui/`, usually `~/.local/share/analytics-tui/`).
    pub fn default_location() -> Self {
        let dir = dirs::data_dir()
            .unwrap_or_else(|| PathBuf::from("."))
            .join("analytics-tui");
        Self::Sqlite(dir.join("analytics.db"))
    }

    /// The URL given, else `ANALYTICS_DB`, else the default.
    pub fn resolve(given: Option<&str>) -> Result<Self, StoreError> {
        match given {
            Some(text) => Self::parse(text),
            None => match std::env::var(DB_ENV) {
                Ok(text) if !text.trim().is_empty() => Self::parse(&text),
                _ => Ok(Self::default_location()),
            },
        }
    }

    /// Opens the write side, creating and migrating the database as needed.
    pub fn open_writer(&self) -> Result<Box<dyn EventWriter>, StoreError> {
        self.open_writer_reporting(&Silent)
    }

    /// [`Self::open_writer`], reporting the progress of a migration (SQLite)
    /// or of the index set-up (MongoDB) to `progress`.
    pub fn open_writer_reporting(
        &self,
        progress: &dyn Progress,
    ) -> Result<Box<dyn EventWriter>, StoreError> {
        engines::open_writer(self, progress)
    }

    /// Opens the read side (read-only).
    pub fn open_reader(&self) -> Result<Box<dyn EventReader>, StoreError> {
        engines::open_reader(self)
    }
}

impl std::fmt::Display for DbUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Sqlite(path) => write!(f, "sqlite:{}", path.display()),
            Self::Mongo(url) => f.write_str(&without_password(url)),
        }
    }
}

/// A MongoDB URL fit to show: any password replaced by `***`.
fn without_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    // Credentials end at the last `@` before the path or options.
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => {
            let user = rest[..at].split(':').next().unwrap_or_default();
            let hidden = if rest[..at].contains(':') { ":***" } else { "" };
            format!("{scheme}://{user}{hidden}{}", &rest[at..])
        }
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_db_urls() {
        assert_eq!(
            DbUrl::parse("sqlite:/tmp/a.db").unwrap(),
            DbUrl::Sqlite("/tmp/a.db".into())
        );
        assert_eq!(
            DbUrl::parse("sqlite:///tmp/a.db").unwrap(),
            DbUrl::Sqlite("/tmp/a.db".into())
        );
        assert_eq!(
            DbUrl::parse("sqlite://rel.db").unwrap(),
            DbUrl::Sqlite("rel.db".into())
        );
        assert_eq!(
            DbUrl::parse("data/x.db").unwrap(),
            DbUrl::Sqlite("data/x.db".into())
        );
        assert_eq!(
            DbUrl::parse("mongodb://localhost:27017/a").unwrap(),
            DbUrl::Mongo("mongodb://localhost:27017/a".into())
        );
        assert_eq!(
            DbUrl::parse("mongodb://ana:s3cr@t@db1:27017,db2/a?replicaSet=rs")
                .unwrap()
                .to_string(),
            "mongodb://ana:***@db1:27017,db2/a?replicaSet=rs"
        );
        assert_eq!(
            DbUrl::parse("mongodb+srv://db.example/a")
                .unwrap()
                .to_string(),
            "mongodb+srv://db.example/a"
        );
        assert_eq!(
            DbUrl::parse("mongodb+srv://db.example/a").unwrap().engine(),
            Engine::Mongo
        );
        assert_eq!(DbUrl::parse("a.db").unwrap().engine(), Engine::Sqlite);
        assert!(DbUrl::parse("mongodb:x").is_err());
        assert!(DbUrl::parse("").is_err());
        assert!(DbUrl::parse("postgres://x").is_err());
        assert!(
            matches!(DbUrl::default_location(), DbUrl::Sqlite(p) if p.ends_with("analytics-tui/analytics.db"))
        );
    }

    /// A URL of an engine left out of the build says so.
    #[cfg(not(feature = "mongodb"))]
    #[test]
    fn engines_left_out_are_named() {
        let url = DbUrl::parse("mongodb://db.example/a").unwrap();
        assert!(matches!(
            url.open_reader(),
            Err(StoreError::EngineMissing(Engine::Mongo))
        ));
    }
}
