//! The SQLite engine: one file in WAL mode.
//!
//! - [`SqliteWriter`] holds the only read-write connection. `synchronous=FULL`
//!   makes each commit durable before `append` returns; rollups (sessions and
//!   per-session pages) are updated in the same transaction as the events.
//! - [`SqliteReader`] opens the file read-only; WAL readers never block the
//!   writer nor wait for it. `PRAGMA data_version` tells it cheaply when another
//!   connection has committed.
//!
//! - A checkpoint thread keeps the WAL short without making a commit pay for it.
//!
//! Page keys, sites and selectors are interned in their own tables.

/// The session columns `HourShare::read` reads, in its order; a macro so
/// that statements can be built with `concat!` at compile time.
macro_rules! hour_share_columns {
    () => {
        "start_ts, end_ts, page_views, clicks, referrer, site_id, device, browser"
    };
}

mod checkpoint;
mod heat_reader;
mod heat_rollups;
mod heat_seal;
mod intern;
mod layouts;
mod overview;
mod page_list;
mod rage_clicks;
mod reach_reader;
mod reader;
mod removal;
mod rollups;
mod schema;
mod steps;
mod writer;

pub use reader::SqliteReader;
pub use schema::SCHEMA_VERSION;
pub use writer::SqliteWriter;

use crate::page_key::PagePattern;
use rusqlite::functions::FunctionFlags;
use rusqlite::Connection;
use std::time::Duration;

/// How long a connection waits for a lock held by another before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Registers `page_match(pattern, key)`, the SQL face of [`PagePattern::matches`].
fn register_functions(conn: &Connection) -> rusqlite::Result<()> {
    conn.create_scalar_function(
        "page_match",
        2,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| {
            let pattern: String = ctx.get(0)?;
            let key: String = ctx.get(1)?;
            // Patterns repeat for every row of one query: parse once per statement.
            let parsed = ctx.get_or_create_aux(0, |_| -> rusqlite::Result<PagePattern> {
                Ok(PagePattern::new(&pattern))
            })?;
            Ok(parsed.matches(&key))
        },
    )
}
