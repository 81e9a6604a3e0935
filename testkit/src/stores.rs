//! Store factories for the conformance suite: every [`StoreFactory::open`]
//! gives a fresh, empty store, and the factory cleans up after the stores it
//! opened.
//!
//! - [`SqliteFactory`]: a database file in a temporary directory of its own
//!   per store, the directories removed when the factory is dropped;
//! - [`MongoFactory`]: a database of its own on the test server per store,
//!   dropped by [`MongoFactory::drop_all`].

use crate::conformance::StoreFactory;
use crate::mongo::{drop_database, fresh_name, with_database};
use shared::store::sqlite::{SqliteReader, SqliteWriter};
use shared::store::{DbUrl, EventReader, EventWriter};
use std::sync::Mutex;
use tempfile::TempDir;

/// A fresh SQLite database file in its own temporary directory per store.
#[derive(Default)]
pub struct SqliteFactory {
    /// The directories of the stores opened so far, kept until the factory
    /// is dropped.
    dirs: Mutex<Vec<TempDir>>,
}

impl StoreFactory for SqliteFactory {
    fn open(&self) -> (Box<dyn EventWriter>, Box<dyn EventReader>) {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("analytics.db");
        let writer = SqliteWriter::open(&path).expect("open the writer");
        let reader = SqliteReader::open(&path).expect("open the reader");
        self.dirs.lock().expect("lock").push(dir);
        (Box::new(writer), Box::new(reader))
    }
}

/// A fresh database on the MongoDB server at `uri` per `open`, each dropped
/// by [`MongoFactory::drop_all`].
pub struct MongoFactory {
    uri: String,
    opened: Mutex<Vec<String>>,
}

impl MongoFactory {
    /// A factory of databases on the server at `uri`.
    pub fn new(uri: String) -> Self {
        Self {
            uri,
            opened: Mutex::new(Vec::new()),
        }
    }

    /// Drops every database opened so far; a test fails if one cannot be
    /// dropped.
    pub fn drop_all(&self) {
        let names = std::mem::take(&mut *self.opened.lock().expect("lock"));
        for name in names {
            drop_database(&self.uri, &name).unwrap_or_else(|e| panic!("{e}"));
        }
    }
}

impl StoreFactory for MongoFactory {
    fn open(&self) -> (Box<dyn EventWriter>, Box<dyn EventReader>) {
        let name = fresh_name("case");
        self.opened.lock().expect("lock").push(name.clone());
        let url = with_database(&self.uri, &name);
        let db = DbUrl::parse(&url).expect("a MongoDB URL");
        assert_eq!(db, DbUrl::Mongo(url.clone()));
        let writer = db.open_writer().expect("open the writer");
        let reader = db.open_reader().expect("open the reader");
        (writer, reader)
    }
}
