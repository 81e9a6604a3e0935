//! Storage: the write trait ([`EventWriter`]) that ingestd's single writer
//! commits through, the read trait ([`EventReader`]) every console view queries,
//! and [`DbUrl`], the one option that selects an engine for both binaries.
//!
//! The SQLite engine ([`sqlite`]) is the embedded default; the MongoDB engine
//! ([`mongo`]) serves deployments of several ingestd copies.

pub mod heat;
pub mod mongo;
pub mod query;
pub mod sqlite;

use crate::event::EventBatch;
use crate::progress::{Progress, Silent};
use query::*;
use std::path::PathBuf;

/// Errors of a store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("cannot prepare the database directory {path}: {source}")]
    Directory {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("no database at {0} (start ingestd to create it, or pass --db)")]
    NotFound(PathBuf),
    #[error("the database schema is version {found}, newer than this program understands ({supported}); upgrade the program")]
    SchemaTooNew { found: i64, supported: i64 },
    #[error("the database schema is version {found}; open it once with ingestd to migrate it to {supported}")]
    SchemaTooOld { found: i64, supported: i64 },
    #[error("invalid database URL {0:?}: expected sqlite:PATH, a file path, or mongodb://…")]
    InvalidUrl(String),
    #[error("the {0} engine is not available in this build")]
    Unsupported(&'static str),
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
    #[error("MongoDB error: {0}")]
    Mongo(String),
}

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
    /// Commits `batches` in one transaction, with every rollup, durably: when
    /// this returns `Ok`, the events survive a crash or power cut. All or
    /// nothing: on `Err`, none of the batches is stored. Events whose
    /// `(site, id)` is already stored are skipped and counted as duplicates.
    fn append(&mut self, batches: &[EventBatch]) -> Result<Vec<AppendOutcome>, StoreError>;

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
    fn heatmap(&self, query: &HeatmapQuery) -> Result<Heatmap, StoreError>;
    /// Raw events in time order.
    fn events(&self, filter: &Filter, page: PageRequest) -> Result<Vec<StoredEvent>, StoreError>;
    /// Events stored after `cursor` (or the newest `limit` without one), oldest first.
    fn live_tail(&self, cursor: Option<&str>, limit: u32) -> Result<LiveTail, StoreError>;
    /// A number that changes whenever another connection commits; cheap to poll.
    fn change_token(&self) -> Result<u64, StoreError>;
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
    /// plain file path.
    pub fn parse(text: &str) -> Result<Self, StoreError> {
        let text = text.trim();
        if text.starts_with("mongodb://") || text.starts_with("mongodb+srv://") {
            return Ok(Self::Mongo(text.to_owned()));
        }
        let path = text
            .strip_prefix("sqlite://")
            .or_else(|| text.strip_prefix("sqlite:"))
            .unwrap_or(text);
        if path.is_empty() || (path.contains("://") && !text.starts_with("sqlite")) {
            return Err(StoreError::InvalidUrl(text.to_owned()));
        }
        Ok(Self::Sqlite(PathBuf::from(path)))
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
        match self {
            Self::Sqlite(path) => Ok(Box::new(sqlite::SqliteWriter::open_reporting(
                path, progress,
            )?)),
            Self::Mongo(url) => Ok(Box::new(mongo::MongoWriter::open_reporting(url, progress)?)),
        }
    }

    /// Opens the read side (read-only).
    pub fn open_reader(&self) -> Result<Box<dyn EventReader>, StoreError> {
        match self {
            Self::Sqlite(path) => Ok(Box::new(sqlite::SqliteReader::open(path)?)),
            Self::Mongo(url) => Ok(Box::new(mongo::MongoReader::open(url)?)),
        }
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
        assert!(DbUrl::parse("").is_err());
        assert!(DbUrl::parse("postgres://x").is_err());
        assert!(
            matches!(DbUrl::default_location(), DbUrl::Sqlite(p) if p.ends_with("analytics-tui/analytics.db"))
        );
    }
}
