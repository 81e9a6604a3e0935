//! [`StoreError`]: what can go wrong in a store, by cause, whatever the
//! engine. A driver's own error is kept as the source.

use std::fmt;
use std::path::PathBuf;

/// The engines a store can run on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Mongo,
}

impl fmt::Display for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Sqlite => "SQLite",
            Self::Mongo => "MongoDB",
        })
    }
}

/// A driver error, kept whole as the source.
pub type DriverError = Box<dyn std::error::Error + Send + Sync>;

/// Errors of a store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database (through its driver) failed an operation.
    #[error("{engine} error: {source}")]
    Driver {
        engine: Engine,
        #[source]
        source: DriverError,
    },
    /// The database took a write command but failed some of its writes, or
    /// could not have them acknowledged as durable.
    #[error("{engine} did not store every write: {detail}")]
    WriteFailed { engine: Engine, detail: String },
    /// The database did not answer within the store's deadline.
    #[error("no answer from {engine} within {seconds} s")]
    Timeout { engine: Engine, seconds: u64 },
    /// The store was used after its connection was closed.
    #[error("the {0} connection is closed")]
    Closed(Engine),
    /// The database cannot run in the mode the store needs.
    #[error("{engine} cannot be used here: {detail}")]
    Unsupported { engine: Engine, detail: String },
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
    /// The URL names an engine this build was made without.
    #[error("the {0} engine is not available in this build")]
    EngineMissing(Engine),
    /// Stored data breaks the store's own rules.
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
    /// A live-tail cursor this store did not hand out.
    #[error("not a live-tail cursor: {0:?}")]
    InvalidCursor(String),
    /// A thread the store needs could not be started.
    #[error("cannot start the {what}: {source}")]
    Spawn {
        what: &'static str,
        source: std::io::Error,
    },
}

impl StoreError {
    /// The engine whose database failed, for the errors that come from one.
    pub fn engine(&self) -> Option<Engine> {
        match self {
            Self::Driver { engine, .. }
            | Self::WriteFailed { engine, .. }
            | Self::Timeout { engine, .. }
            | Self::Unsupported { engine, .. } => Some(*engine),
            Self::Closed(engine) => Some(*engine),
            _ => None,
        }
    }
}

#[cfg(feature = "sqlite")]
impl From<rusqlite::Error> for StoreError {
    fn from(error: rusqlite::Error) -> Self {
        Self::Driver {
            engine: Engine::Sqlite,
            source: Box::new(error),
        }
    }
}
