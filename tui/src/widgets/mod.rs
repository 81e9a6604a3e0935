//! Widgets that know nothing of the application state.

pub mod heat_diff;
pub mod heatmap;
pub mod reach_gutter;
pub mod wireframe;
