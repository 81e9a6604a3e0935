//! The storage conformance suite: the same inputs and the same expected answers
//! for every store engine.
//!
//! An engine's integration test implements [`StoreFactory`] (a fresh, empty
//! store per call) and expands [`conformance_tests!`](crate::conformance_tests),
//! which generates one `#[test]` per case:
//!
//! ```text
//! struct MyFactory;
//! impl testkit::conformance::StoreFactory for MyFactory {
//!     fn open(&self) -> (Box<dyn EventWriter>, Box<dyn EventReader>) { … }
//! }
//! testkit::conformance_tests!(MyFactory);
//! ```
//!
//! A runner that decides at run time (say, only when a server is configured)
//! can loop over [`CASES`] instead.
//!
//! Fixtures have fixed timestamps and ids, and every expected value is written
//! out from the fixture, never read back from a store. Where the query types
//! leave a choice open, the suite fixes it so that every engine answers alike:
//!
//! - the browser and referrer filters ignore ASCII case;
//! - the session list sorts devices in [`DeviceClass`] order and puts missing
//!   values (no entry page, no referrer) first when ascending;
//! - the page list breaks ties by page key, ascending, in both directions, and
//!   puts pages without scroll data first when sorting ascending by depth;
//!   `mean_scroll_depth` is the mean over scroll events;
//! - the overview's top pages are the page list sorted by views, descending;
//! - a heatmap click at or beyond its page's width lands in the last column;
//! - the live tail follows storage order, and an event's `cursor` passed back
//!   gives the events stored after it.
//!
//! One file per area: `append` (writing), `rollups` (session rows),
//! `sessions` (the session list), `overview`, `journey`, `pages`, `heatmap`,
//! `anchoring` (clicks placed on their elements), `heat_compare` (two
//! ranges' heatmaps on one grid, compared), `layouts` (layout versions), `removal` (one visitor, retention), `rage` (rage clicks), `events` (raw
//! events, live tail, change token), `flows` (paths, funnels, frustration
//! signals) and `strings`; the fixtures are in
//! `fixtures` and `generated`, the reads and checks the cases share in
//! `reading`.
//!
//! [`DeviceClass`]: shared::event::DeviceClass

mod anchoring;
mod append;
mod events;
mod fixtures;
mod flows;
mod generated;
mod heat_compare;
mod heatmap;
mod journey;
mod layouts;
mod overview;
mod pages;
mod rage;
mod reading;
mod removal;
mod rollups;
mod scroll_reach;
mod sessions;
mod strings;

pub use anchoring::case_heatmap_anchored_clicks;
pub use append::{case_append_outcomes, case_duplicates_create_no_sessions, case_group_commit};
pub use events::{case_change_token, case_events_query, case_live_tail};
pub use flows::{case_frustration_signals, case_funnel, case_paths};
pub use heat_compare::case_heatmap_compare_on_one_grid;
pub use heatmap::{
    case_heatmap_grid, case_heatmap_rollups_match_raw_clicks,
    case_heatmap_segments_range_and_filters, case_heatmap_unknown_page,
};
pub use journey::case_journey;
pub use layouts::{case_layout_repeats_out_of_order, case_layout_versions, case_newest_layouts};
pub use overview::{case_overview, case_overview_empty_store};
pub use pages::{case_pages, case_pages_sort_and_paging};
pub use rage::{case_rage_clicks, case_rage_clicks_across_batches};
pub use removal::{
    case_delete_visitor, case_delete_visitor_takes_back_heights_and_labels, case_expire_before,
};
pub use rollups::{case_out_of_order_batches, case_rollups_match_raw_events, case_session_rollups};
pub use scroll_reach::case_scroll_reach;
pub use sessions::{case_sessions_filters, case_sessions_paging, case_sessions_sort};
pub use strings::case_strings_round_trip;

use shared::store::{EventReader, EventWriter};

/// Gives each case a fresh, empty store.
pub trait StoreFactory {
    /// A writer and a reader over the same new, empty database.
    fn open(&self) -> (Box<dyn EventWriter>, Box<dyn EventReader>);
}

/// The one list of cases, handed to `$callback` after `$args` and a `;`.
#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_cases {
    ($callback:ident ! ($($args:tt)*)) => {
        $crate::$callback!($($args)*;
            case_append_outcomes,
            case_duplicates_create_no_sessions,
            case_group_commit,
            case_session_rollups,
            case_out_of_order_batches,
            case_rollups_match_raw_events,
            case_sessions_filters,
            case_sessions_sort,
            case_sessions_paging,
            case_overview,
            case_overview_empty_store,
            case_journey,
            case_pages,
            case_pages_sort_and_paging,
            case_heatmap_grid,
            case_heatmap_segments_range_and_filters,
            case_heatmap_unknown_page,
            case_heatmap_rollups_match_raw_clicks,
            case_heatmap_anchored_clicks,
            case_scroll_reach,
            case_heatmap_compare_on_one_grid,
            case_layout_versions,
            case_layout_repeats_out_of_order,
            case_newest_layouts,
            case_delete_visitor,
            case_delete_visitor_takes_back_heights_and_labels,
            case_expire_before,
            case_rage_clicks,
            case_rage_clicks_across_batches,
            case_events_query,
            case_live_tail,
            case_change_token,
            case_strings_round_trip,
            case_paths,
            case_funnel,
            case_frustration_signals,
        );
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_test_fns {
    ($factory:expr; $($case:ident),* $(,)?) => {
        $(
            #[test]
            fn $case() {
                $crate::conformance::$case(&$factory);
            }
        )*
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_case_table {
    (; $($case:ident),* $(,)?) => {
        /// Every case with its name, in suite order.
        pub const CASES: &[(&str, fn(&dyn StoreFactory))] =
            &[$((stringify!($case), $case as fn(&dyn StoreFactory))),*];
    };
}

/// Expands to one `#[test]` per conformance case, each opening a fresh store
/// from the given [`StoreFactory`] expression.
#[macro_export]
macro_rules! conformance_tests {
    ($factory:expr) => {
        $crate::__conformance_cases!(__conformance_test_fns!($factory));
    };
}

crate::__conformance_cases!(__conformance_case_table!());
