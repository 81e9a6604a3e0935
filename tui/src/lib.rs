//! analytics-tui: the terminal console of the analytics system.
//!
//! It opens the store directly (the SQLite file read-only) and shows six
//! views — Overview, Sessions, Journey, Heatmap, Pages, Live — or prints the
//! same queries as tables, JSON or CSV for scripts.
//!
//! The interactive console follows the Elm architecture:
//!
//! - [`app`] — the state ([`app::App`]), the messages ([`app::Msg`]) and the
//!   one [`app::update`] function; it queues queries instead of running them;
//! - [`worker`] — the thread that owns the store reader and answers queries
//!   with `Msg::Loaded`, so the UI never waits on the database;
//! - [`render`] and [`views`] — pure drawing of the state, one module per view;
//! - [`layout`] — where every part of the screen goes, asked by both `update`
//!   (paging, mouse clicks, heatmap sizes) and the drawing code;
//! - [`widgets::heatmap`] — the click-density widget (braille or half blocks);
//!   [`widgets::wireframe`] — the page's wireframe drawn under it;
//! - [`keys`] — the one key table behind dispatch, the footer and the help;
//! - [`view`] — the views by name, which the state, keys and layout share;
//! - [`filters`] — time ranges, filter fields and chips; [`sort_order`] —
//!   the direction each list column sorts in;
//! - [`saved_views`] — named views in a TOML file (read, checked, saved in
//!   place), which the console opens and saves through file jobs;
//! - [`runtime`] — the terminal loop (events, ticks, SIGTERM, restore);
//! - [`cli`] and [`output`] — the command line and the non-interactive output;
//! - [`demo`] — ingestd in-process plus simulated traffic ([`traffic`], on
//!   the demo site as a real browser measured it: [`demo_site`]), on two
//!   weeks of history back-filled into an empty database ([`backfill`]);
//! - [`progress`] — progress bars for long operations, on a terminal only;
//! - [`text`] and [`theme`] — sanitising and formatting; colours and depth.

#![forbid(unsafe_code)]

pub mod app;
pub mod backfill;
pub mod cli;
pub mod compare_output;
pub mod demo;
pub mod demo_site;
pub mod filters;
pub mod flows_output;
pub mod heat_layout;
pub mod keys;
pub mod layout;
pub mod output;
pub mod progress;
pub mod render;
pub mod runtime;
pub mod saved_views;
pub mod sort_order;
pub mod text;
pub mod theme;
pub mod traffic;
pub mod view;
pub mod views;
pub mod widgets;
pub mod worker;
