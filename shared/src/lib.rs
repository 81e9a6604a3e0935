//! The library both binaries stand on: the event contract, its validation and
//! enrichment, and storage.
//!
//! - [`contract`] — the v1 wire types of `POST /api/events` and the OpenAPI document;
//! - [`limits`] — every limit of the contract, in one place;
//! - [`reject_code`] — why an event was rejected, one code per reason, for
//!   replies, the OpenAPI document and metrics ([`code_enum!`] declares it);
//! - [`validate`] — body → [`event::EventBatch`], with a reason per rejected event;
//! - [`json_text`] — lone surrogate escapes in a body made valid before parsing;
//! - [`sanitize`], [`page_key`], [`user_agent`] — cleaning, URL normalisation, UA classes;
//! - [`event`] — the stored event model;
//! - [`layout`] — layout snapshots (a page's wireframe) and their fingerprint;
//! - [`progress`] — how long store operations report their progress;
//! - [`store`] — the write and read traits, [`store::DbUrl`], and the SQLite engine.

#![forbid(unsafe_code)]

pub mod code_enum;
pub mod contract;
pub mod event;
pub mod json_text;
pub mod layout;
pub mod limits;
pub mod page_key;
pub mod progress;
pub mod reject_code;
pub mod sanitize;
pub mod store;
pub mod user_agent;
pub mod validate;

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}
