//! Static files embedded in the binary: the tracker scripts and the demo site.
//!
//! `GET /tracker.js` and `GET /layout.js` serve the committed, minified builds
//! of `tracker/src` (`tracker/dist/`), gzip-compressed once at start-up when
//! the client accepts gzip, with a strong `ETag` (answering `304` to
//! `If-None-Match`) and an hour of caching: the scripts' URLs are not
//! versioned, so clients revalidate. `layout.js` is a module that the tracker
//! imports from the page's origin, so it is served to any origin
//! (`Access-Control-Allow-Origin: *`; it is public and sent without
//! credentials).
//! `GET /demo/…` serves the demo site; every `/demo/app/…` path is the
//! single-page app, so its `pushState` URLs survive a reload.

use bytes::Bytes;
use flate2::write::GzEncoder;
use flate2::Compression;
use std::hash::{Hash, Hasher};
use std::io::Write;

/// The tracker as shipped.
pub const TRACKER_JS: &[u8] = include_bytes!("../../tracker/dist/tracker.js");

/// The layout snapshot script as shipped, which the tracker loads when a
/// reply asks for a snapshot.
pub const LAYOUT_JS: &[u8] = include_bytes!("../../tracker/dist/layout.js");

/// The demo site's files: (path under `/demo/`, content type, bytes).
pub const DEMO_FILES: &[(&str, &str, &[u8])] = &[
    ("index.html", HTML, include_bytes!("../demo/index.html")),
    ("pricing.html", HTML, include_bytes!("../demo/pricing.html")),
    ("blog.html", HTML, include_bytes!("../demo/blog.html")),
    ("app.html", HTML, include_bytes!("../demo/app.html")),
    (
        "style.css",
        "text/css; charset=utf-8",
        include_bytes!("../demo/style.css"),
    ),
];

const HTML: &str = "text/html; charset=utf-8";

/// A file ready to serve: plain and gzip bodies, and its ETag.
#[derive(Debug, Clone)]
pub struct Asset {
    pub content_type: &'static str,
    pub plain: Bytes,
    pub gzip: Bytes,
    pub etag: String,
    pub cache_control: &'static str,
    /// Readable by any origin (`Access-Control-Allow-Origin: *`): a module
    /// script fetched from another origin needs it.
    pub any_origin: bool,
}

impl Asset {
    fn new(content_type: &'static str, bytes: &'static [u8], cache_control: &'static str) -> Self {
        Self {
            content_type,
            plain: Bytes::from_static(bytes),
            gzip: Bytes::from(gzip(bytes)),
            etag: etag(bytes),
            cache_control,
            any_origin: false,
        }
    }
}

/// gzip at the highest level.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::with_capacity(bytes.len() / 2), Compression::best());
    // Writing into a Vec cannot fail.
    let _ = encoder.write_all(bytes);
    encoder.finish().unwrap_or_default()
}

fn etag(bytes: &[u8]) -> String {
    // A content hash; it only has to be stable for one build of the binary.
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    bytes.hash(&mut hasher);
    format!("\"{:016x}-{}\"", hasher.finish(), bytes.len())
}

/// Every embedded file, prepared once.
pub struct Assets {
    pub tracker: Asset,
    pub layout: Asset,
    demo: Vec<(&'static str, Asset)>,
}

impl Default for Assets {
    fn default() -> Self {
        Self {
            tracker: Asset::new(
                "text/javascript; charset=utf-8",
                TRACKER_JS,
                "public, max-age=3600",
            ),
            // A module the tracker imports from the pages' origin.
            layout: Asset {
                any_origin: true,
                ..Asset::new(
                    "text/javascript; charset=utf-8",
                    LAYOUT_JS,
                    "public, max-age=3600",
                )
            },
            demo: DEMO_FILES
                .iter()
                .map(|(name, content_type, bytes)| {
                    (*name, Asset::new(content_type, bytes, "no-cache"))
                })
                .collect(),
        }
    }
}

impl Assets {
    /// The demo file for a path under `/demo/` (without that prefix).
    pub fn demo(&self, rest: &str) -> Option<&Asset> {
        let name = match rest {
            "" => "index.html",
            "app" => "app.html",
            _ if rest.starts_with("app/") => "app.html",
            other => other,
        };
        self.demo.iter().find(|(n, _)| *n == name).map(|(_, a)| a)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_demo_file_is_embedded() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("demo");
        let mut on_disk: Vec<String> = std::fs::read_dir(dir)
            .map(|entries| {
                entries
                    .filter_map(|e| e.ok())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        on_disk.sort();
        let mut embedded: Vec<String> = DEMO_FILES.iter().map(|(n, ..)| n.to_string()).collect();
        embedded.sort();
        assert_eq!(on_disk, embedded);
    }

    #[test]
    fn routes_demo_paths() {
        let assets = Assets::default();
        for (path, want) in [
            ("", "index.html"),
            ("app", "app.html"),
            ("app/orders", "app.html"),
            ("blog.html", "blog.html"),
        ] {
            let got = assets.demo(path).map(|a| a.plain.clone());
            let expected = DEMO_FILES
                .iter()
                .find(|(n, ..)| *n == want)
                .map(|(_, _, b)| Bytes::from_static(b));
            assert_eq!(got, expected, "{path}");
        }
        assert!(assets.demo("../Cargo.toml").is_none());
        assert!(assets.demo("nope.html").is_none());
    }

    #[test]
    fn gzip_round_trips() {
        use std::io::Read;
        let assets = Assets::default();
        for (asset, bytes) in [(&assets.tracker, TRACKER_JS), (&assets.layout, LAYOUT_JS)] {
            let mut out = Vec::new();
            flate2::read::GzDecoder::new(&asset.gzip[..])
                .read_to_end(&mut out)
                .unwrap_or_default();
            assert_eq!(out, bytes);
        }
    }
}
