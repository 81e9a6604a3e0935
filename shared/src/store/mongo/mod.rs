//! The MongoDB engine: one database (the URL's path, `analytics` by default)
//! shared by any number of ingestd copies and consoles.
//!
//! - [`MongoWriter`] inserts each commit's events unordered in one round trip
//!   (`_id` = site and event id, so a resent event is a duplicate), then
//!   updates the rollups (`sessions`, `pages`, `heat_cells`, `heat_extents`,
//!   `heat_elements`) by bulk upserts with `$inc` / `$min` / `$max`, all with
//!   write concern majority and journaling.
//! - [`MongoReader`] answers every console query with aggregation pipelines
//!   run by the server; only grouped rows travel to the client.
//!
//! The driver is asynchronous; each half owns a small private runtime and
//! bounds every call by a deadline ([`OPERATION_TIMEOUT`]), so a dead or
//! hung server turns into an error within seconds instead of a stuck thread.
//!
//! Modules: [`schema`] (collections, indexes, composite keys), [`documents`]
//! (events to documents and back), [`rollups`] (what a commit adds to every
//! rollup), [`conditions`] (filters and page patterns as pipeline stages),
//! [`writer`], [`reader`] and [`heat_reader`].

mod conditions;
mod documents;
mod heat_reader;
mod layouts;
mod reach_backfill;
mod reach_reader;
mod reader;
mod repair;
mod rollups;
mod schema;
mod steps;
mod writer;

pub use reader::MongoReader;
pub use writer::MongoWriter;

use crate::store::{Engine, StoreError};
use mongodb::bson::Document;
use mongodb::options::{Acknowledgment, ClientOptions, WriteConcern};
use mongodb::{Client, Database};
use std::future::Future;
use std::time::Duration;

/// The database used when the URL names none.
pub const DEFAULT_DATABASE: &str = "analytics";

/// Longest wait for a reachable server before an operation fails, unless the
/// URL sets `serverSelectionTimeoutMS`: short enough that ingestd answers 503
/// within 5 s of the cluster going away.
const SERVER_SELECTION_TIMEOUT: Duration = Duration::from_secs(2);
/// Longest wait for a TCP connection and handshake, unless the URL sets
/// `connectTimeoutMS`.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// Longest wait for a majority of the replica set to acknowledge a write.
const WRITE_CONCERN_TIMEOUT: Duration = Duration::from_secs(10);
/// Deadline of one whole store call (a commit, a query): past it the call
/// fails, so ingestd answers 503 rather than holding requests.
pub const OPERATION_TIMEOUT: Duration = Duration::from_secs(20);

impl From<mongodb::error::Error> for StoreError {
    fn from(error: mongodb::error::Error) -> Self {
        StoreError::Driver {
            engine: Engine::Mongo,
            source: Box::new(error),
        }
    }
}

impl From<mongodb::bson::de::Error> for StoreError {
    fn from(error: mongodb::bson::de::Error) -> Self {
        StoreError::Corrupt(error.to_string())
    }
}

/// A client, the database, and the runtime the driver runs on.
pub(crate) struct Connection {
    /// Always `Some` until dropped.
    runtime: Option<tokio::runtime::Runtime>,
    client: Client,
    db: Database,
}

/// Runs `work` to completion on `runtime`. Called from inside another async
/// runtime (ingestd opens its writer from its server task), it blocks on a
/// thread of its own, since a runtime cannot block inside another.
fn block_on<F>(runtime: &tokio::runtime::Runtime, work: F) -> F::Output
where
    F: Future + Send,
    F::Output: Send,
{
    if tokio::runtime::Handle::try_current().is_err() {
        return runtime.block_on(work);
    }
    std::thread::scope(|scope| {
        scope
            .spawn(|| runtime.block_on(work))
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

impl Connection {
    /// Connects to `url` (`mongodb://…` or `mongodb+srv://…`) and checks that
    /// the server answers.
    pub(crate) fn open(url: &str) -> Result<Self, StoreError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("mongodb-driver")
            .enable_all()
            .build()
            .map_err(|source| StoreError::Spawn {
                what: "MongoDB driver runtime",
                source,
            })?;
        let (client, db) = block_on(&runtime, async {
            let parsed = tokio::time::timeout(OPERATION_TIMEOUT, ClientOptions::parse(url))
                .await
                .map_err(|_| StoreError::Timeout {
                    engine: Engine::Mongo,
                    seconds: OPERATION_TIMEOUT.as_secs(),
                })?;
            // The URL may hold a password: errors never repeat it.
            let mut options = parsed?;
            options
                .server_selection_timeout
                .get_or_insert(SERVER_SELECTION_TIMEOUT);
            options.connect_timeout.get_or_insert(CONNECT_TIMEOUT);
            options.write_concern = Some(write_concern());
            options
                .app_name
                .get_or_insert_with(|| "analytics".to_owned());
            let name = options
                .default_database
                .clone()
                .unwrap_or_else(|| DEFAULT_DATABASE.to_owned());
            let client = Client::with_options(options)?;
            let db = client.database(&name);
            Ok::<_, StoreError>((client, db))
        })?;
        let connection = Self {
            runtime: Some(runtime),
            client,
            db,
        };
        connection.run(async {
            connection
                .db
                .run_command(mongodb::bson::doc! { "ping": 1 })
                .await?;
            Ok(())
        })?;
        Ok(connection)
    }

    /// Runs `work` on the driver's runtime, failing it after [`OPERATION_TIMEOUT`].
    pub(crate) fn run<T: Send>(
        &self,
        work: impl Future<Output = Result<T, StoreError>> + Send,
    ) -> Result<T, StoreError> {
        let Some(runtime) = &self.runtime else {
            return Err(StoreError::Closed(Engine::Mongo));
        };
        block_on(runtime, async {
            tokio::time::timeout(OPERATION_TIMEOUT, work)
                .await
                .map_err(|_| StoreError::Timeout {
                    engine: Engine::Mongo,
                    seconds: OPERATION_TIMEOUT.as_secs(),
                })?
        })
    }

    pub(crate) fn db(&self) -> &Database {
        &self.db
    }

    /// The name of the database in use.
    pub fn database_name(&self) -> &str {
        self.db.name()
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        let Some(runtime) = self.runtime.take() else {
            return;
        };
        // Close pooled connections before the runtime that drives them goes.
        let client = self.client.clone();
        let _ = block_on(&runtime, async {
            tokio::time::timeout(Duration::from_secs(2), client.shutdown()).await
        });
        if tokio::runtime::Handle::try_current().is_ok() {
            // A runtime cannot be dropped inside another: let it go off-thread.
            runtime.shutdown_background();
        }
    }
}

/// Majority of the replica set, journaled: an acknowledged commit survives
/// the loss of the primary and a power cut.
fn write_concern() -> WriteConcern {
    WriteConcern::builder()
        .w(Acknowledgment::Majority)
        .journal(true)
        .w_timeout(WRITE_CONCERN_TIMEOUT)
        .build()
}

/// The write concern as a command field, for commands sent as documents.
fn write_concern_doc() -> Document {
    mongodb::bson::doc! {
        "w": "majority",
        "j": true,
        "wtimeout": WRITE_CONCERN_TIMEOUT.as_millis() as i64,
    }
}
