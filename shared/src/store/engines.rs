//! The engines this build holds, each registered under its URL schemes.
//!
//! Every engine is a cargo feature of `shared` (`sqlite`, `mongodb`; both on
//! by default). A URL whose scheme names an engine left out of the build is
//! refused with [`StoreError::EngineMissing`], so the message says what to
//! rebuild rather than that the URL is wrong. Adding an engine means adding
//! its entry here, implementing the adapter contract
//! ([`crate::store::core`]) and passing the conformance suite.

use super::{DbUrl, Engine, EventReader, EventWriter, StoreError};
use crate::progress::Progress;

/// Opens the write side of a database of this engine.
type OpenWriter = fn(&DbUrl, &dyn Progress) -> Result<Box<dyn EventWriter>, StoreError>;
/// Opens the read side of a database of this engine.
type OpenReader = fn(&DbUrl) -> Result<Box<dyn EventReader>, StoreError>;

/// One engine: the URL schemes that select it and, when it is built in, how
/// it opens.
pub(super) struct Registration {
    pub(super) engine: Engine,
    /// Schemes, as written before `:` (a bare file path selects SQLite).
    pub(super) schemes: &'static [&'static str],
    opened: Option<(OpenWriter, OpenReader)>,
}

/// Every engine the product knows, built in or not.
pub(super) const ENGINES: [Registration; 2] = [
    Registration {
        engine: Engine::Sqlite,
        schemes: &["sqlite"],
        opened: sqlite_entry(),
    },
    Registration {
        engine: Engine::Mongo,
        schemes: &["mongodb", "mongodb+srv"],
        opened: mongo_entry(),
    },
];

const fn sqlite_entry() -> Option<(OpenWriter, OpenReader)> {
    #[cfg(feature = "sqlite")]
    {
        fn writer(
            url: &DbUrl,
            progress: &dyn Progress,
        ) -> Result<Box<dyn EventWriter>, StoreError> {
            match url {
                DbUrl::Sqlite(path) => Ok(Box::new(super::sqlite::SqliteWriter::open_reporting(
                    path, progress,
                )?)),
                other => Err(StoreError::InvalidUrl(other.to_string())),
            }
        }
        fn reader(url: &DbUrl) -> Result<Box<dyn EventReader>, StoreError> {
            match url {
                DbUrl::Sqlite(path) => Ok(Box::new(super::sqlite::SqliteReader::open(path)?)),
                other => Err(StoreError::InvalidUrl(other.to_string())),
            }
        }
        Some((writer, reader))
    }
    #[cfg(not(feature = "sqlite"))]
    None
}

const fn mongo_entry() -> Option<(OpenWriter, OpenReader)> {
    #[cfg(feature = "mongodb")]
    {
        fn writer(
            url: &DbUrl,
            progress: &dyn Progress,
        ) -> Result<Box<dyn EventWriter>, StoreError> {
            match url {
                DbUrl::Mongo(url) => Ok(Box::new(super::mongo::MongoWriter::open_reporting(
                    url, progress,
                )?)),
                other => Err(StoreError::InvalidUrl(other.to_string())),
            }
        }
        fn reader(url: &DbUrl) -> Result<Box<dyn EventReader>, StoreError> {
            match url {
                DbUrl::Mongo(url) => Ok(Box::new(super::mongo::MongoReader::open(url)?)),
                other => Err(StoreError::InvalidUrl(other.to_string())),
            }
        }
        Some((writer, reader))
    }
    #[cfg(not(feature = "mongodb"))]
    None
}

/// The registration of `engine`.
fn registration(engine: Engine) -> &'static Registration {
    match engine {
        Engine::Sqlite => &ENGINES[0],
        Engine::Mongo => &ENGINES[1],
    }
}

/// The engine a URL's scheme selects, if any.
pub(super) fn by_scheme(scheme: &str) -> Option<Engine> {
    ENGINES
        .iter()
        .find(|r| r.schemes.contains(&scheme))
        .map(|r| r.engine)
}

pub(super) fn open_writer(
    url: &DbUrl,
    progress: &dyn Progress,
) -> Result<Box<dyn EventWriter>, StoreError> {
    let engine = url.engine();
    let (writer, _) = registration(engine)
        .opened
        .ok_or(StoreError::EngineMissing(engine))?;
    writer(url, progress)
}

pub(super) fn open_reader(url: &DbUrl) -> Result<Box<dyn EventReader>, StoreError> {
    let engine = url.engine();
    let (_, reader) = registration(engine)
        .opened
        .ok_or(StoreError::EngineMissing(engine))?;
    reader(url)
}
