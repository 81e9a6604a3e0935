//! The demo site as a real browser lays it out, for the simulated traffic:
//! for each page and each viewport the simulated devices use (1440×900,
//! 1366×768 and 1280×800 desktop, 820×1180 tablet, 390×844 and 412×915
//! phones), the page size, the box, label and tracker selector of every
//! element the simulated visitors click, and the layout snapshot `layout.js`
//! sent at that viewport, its boxes exactly as sent. The data is
//! `demo_site.json`, embedded.
//!
//! How the numbers were taken: one run of headless Chromium (the Debian
//! `chromium`, driven over the DevTools protocol as the real-browser tests
//! do) loaded each page of the demo site from an in-process ingestd, set the
//! viewport with `Emulation.setDeviceMetricsOverride` (scale 1, not mobile),
//! reloaded, and then, once the page had loaded and its fonts were ready:
//! imported the served `layout.js` and kept what its default export passed
//! to `send` (`page_left` and `boxes`); measured each clicked element's page
//! box (`getBoundingClientRect()` plus the scroll, whole pixels), its label
//! (`text()` of `tracker/src/common.js`, blanks collapsed) and its selector
//! (`selector()` of the same file, checked to name the element the traffic
//! names); read `[innerWidth, innerHeight]` and
//! `[scrollWidth, scrollHeight]`. Where the navigation is behind the menu
//! button (below 768 px) its links were measured with the menu open
//! (`menu: true`), as a visitor sees them when clicking one; the layout
//! snapshot was taken with it closed, as `layout.js` finds the page, so it
//! has no box for them. Measure again after changing the demo site.

use serde::Deserialize;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::OnceLock;

#[derive(Debug, Default, Deserialize)]
struct Site {
    pages: Vec<Page>,
}

#[derive(Debug, Deserialize)]
struct Page {
    /// The page's path under the demo site's URL (`""`: the home page).
    path: String,
    widths: Vec<Measured>,
}

/// One page of the demo site at one viewport.
#[derive(Debug, Deserialize)]
pub struct Measured {
    /// `[innerWidth, innerHeight]`.
    pub viewport: [u32; 2],
    /// `[scrollWidth, scrollHeight]`.
    pub page: [u32; 2],
    /// What `layout.js` sent as `page_left`.
    pub page_left: i32,
    /// The clicked elements, by the selector the traffic names them with.
    targets: HashMap<String, Target>,
    /// What `layout.js` sent as `boxes`.
    pub boxes: Vec<Value>,
}

/// An element the simulated visitors click, as measured.
#[derive(Debug, Deserialize)]
pub struct Target {
    /// The tracker's selector for it.
    pub selector: String,
    /// The tracker's label for it.
    pub label: String,
    /// Its page box `[x, y, width, height]`.
    #[serde(rename = "box")]
    pub rect: [i32; 4],
    /// Measured with the navigation menu open.
    pub menu: bool,
}

impl Measured {
    /// The element the traffic names `selector`, if it was measured here.
    pub fn target(&self, selector: &str) -> Option<&Target> {
        self.targets.get(selector)
    }
}

/// The page at `path` at a viewport `width` px wide, if it was measured.
pub fn measured(path: &str, width: u32) -> Option<&'static Measured> {
    site()
        .pages
        .iter()
        .find(|p| p.path == path)?
        .widths
        .iter()
        .find(|m| m.viewport[0] == width)
}

/// The embedded measurements. They are compiled in, so they parse (a unit
/// test says so); were they ever not to, the site would have no
/// measurements and the traffic no clicks, rather than the demo stopping.
fn site() -> &'static Site {
    static SITE: OnceLock<Site> = OnceLock::new();
    SITE.get_or_init(|| serde_json::from_str(include_str!("demo_site.json")).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_measurements_parse_and_name_their_elements_by_the_tracker_rule() {
        let site: Site =
            serde_json::from_str(include_str!("demo_site.json")).expect("demo_site.json parses");
        assert_eq!(site.pages.len(), 4);
        for page in &site.pages {
            assert_eq!(page.widths.len(), 6, "{}", page.path);
            for m in &page.widths {
                assert_eq!(m.page[0], m.viewport[0], "no sideways scroll");
                assert!(!m.boxes.is_empty());
                for (name, target) in &m.targets {
                    assert_eq!(&target.selector, name, "{} at {}", page.path, m.viewport[0]);
                    let [x, y, w, h] = target.rect;
                    assert!(
                        x >= 0 && y >= 0 && w > 0 && h > 0,
                        "{name}: {:?}",
                        target.rect
                    );
                    assert!(x + w <= m.page[0] as i32, "{name} inside the page width");
                    assert!(y + h <= m.page[1] as i32, "{name} inside the page height");
                }
            }
        }
    }
}
