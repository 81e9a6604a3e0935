//! Layout snapshots: a page's wireframe at one viewport.
//!
//! `layout.js`, which the tracker loads when ingestd asks for it, sends one
//! `layout` event: the page boxes of the page's structural and interactive
//! elements, each with a [`BoxKind`], the selector a click on it would name
//! (the tracker's own rule, so clicks and boxes join) and, for headings,
//! buttons and links only, a short label. Validation turns it into a
//! [`LayoutEvent`] (`crate::validate`).
//!
//! A layout is identified by its [`Fingerprint`], computed here from the
//! structural boxes, never taken from the client:
//!
//! - the boxes: those of a [structural](BoxKind::is_structural) kind
//!   (landmarks, sections, articles, forms, headings). Buttons, links, inputs
//!   and media come and go with content (a cart badge, a carousel) without
//!   the page's layout changing;
//! - per box: its kind, its selector, x and width in whole percent of the page
//!   width, y and height in steps of [`FINGERPRINT_STEP_PX`] (rounded to the
//!   nearest). Percent of the width makes full-width bands (header, footer,
//!   sections) agree across the widths of one width segment; the steps absorb
//!   sub-pixel and few-pixel differences;
//! - in a canonical order (sorted), each box as the line
//!   `kind US selector US x US y US width US height LF` (US = U+001F). A
//!   stored selector holds no ASCII control character, so the encoding is
//!   unambiguous;
//! - hashed with 64-bit FNV-1a: a fixed, published function (no key, no seed,
//!   no dependency), so every engine and any outside tool computes the same
//!   value forever, which std's `DefaultHasher` does not promise. It is no
//!   defence against a client forging collisions; none is needed, since a
//!   client chooses its boxes anyway.

use crate::event::{Rect, Size};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// The wire `type` of a layout snapshot.
pub const LAYOUT_TYPE: &str = "layout";

/// y and height enter the fingerprint in steps of this many CSS pixels.
pub const FINGERPRINT_STEP_PX: f64 = 16.0;

crate::code_enum! {
    /// What a box is. Declaration order is the tracker's order of priority:
    /// the structural kinds first, so that a page with more elements than a
    /// snapshot holds loses its long tail of links and images, not its frame.
    pub enum BoxKind {
        /// `<header>`.
        Header => "header",
        /// `<nav>`.
        Nav => "nav",
        /// `<main>`.
        Main => "main",
        /// `<aside>`.
        Aside => "aside",
        /// `<footer>`.
        Footer => "footer",
        /// `<section>`.
        Section => "section",
        /// `<article>`.
        Article => "article",
        /// `<form>`.
        Form => "form",
        /// `<h1>`, `<h2>`, `<h3>`.
        Heading => "heading",
        /// `<button>`, `[role=button]`.
        Button => "button",
        /// `<a>`.
        Link => "link",
        /// `<input>`, `<select>`, `<textarea>`.
        Input => "input",
        /// Any other element with `data-track` or `data-testid`.
        Tracked => "tracked",
        /// `<img>`, `<svg>` of at least 40×40 px.
        Image => "image",
        /// `<video>`, `<canvas>` of at least 40×40 px.
        Media => "media",
    }
}

impl BoxKind {
    /// The kind spelled `code`, if there is one.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == code)
    }

    /// Landmarks, sections, articles, forms and headings: the boxes a
    /// layout's [`Fingerprint`] is made of.
    pub fn is_structural(self) -> bool {
        self.index() <= Self::Heading.index()
    }

    /// Whether a box of this kind may carry a label: headings, buttons and
    /// links. Any other box's label is dropped, whoever sent it.
    pub fn is_labelled(self) -> bool {
        matches!(self, Self::Heading | Self::Button | Self::Link)
    }
}

impl Serialize for BoxKind {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for BoxKind {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let code = String::deserialize(deserializer)?;
        Self::from_code(&code)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown box kind {code:?}")))
    }
}

/// One element of a snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayoutBox {
    /// The selector a click on the element names (stored as sent).
    pub selector: String,
    pub kind: BoxKind,
    /// A short visible label: headings, buttons and links only.
    pub label: Option<String>,
    /// The element's page rectangle (x from the document's left edge).
    pub rect: Rect,
}

/// The identity of a layout: see the module documentation. Shown as 16
/// lower-case hexadecimal digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Fingerprint(pub u64);

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

/// A page's wireframe at one viewport.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Layout {
    pub viewport: Size,
    pub page: Size,
    /// In the order sent: structural boxes first, then document order.
    pub boxes: Vec<LayoutBox>,
    pub fingerprint: Fingerprint,
}

impl Layout {
    /// A layout, its fingerprint computed from its boxes.
    pub fn new(viewport: Size, page: Size, boxes: Vec<LayoutBox>) -> Self {
        let fingerprint = fingerprint(page.width, &boxes);
        Self {
            viewport,
            page,
            boxes,
            fingerprint,
        }
    }
}

/// A validated layout snapshot with the fields every event has.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LayoutEvent {
    pub id: String,
    /// Client time (ms since the Unix epoch), corrected for clock skew.
    pub ts: i64,
    /// Server receive time (ms since the Unix epoch).
    pub received_at: i64,
    /// True when `ts` was replaced because the client clock was far off.
    pub clock_adjusted: bool,
    pub url: String,
    pub page_key: String,
    pub layout: Layout,
}

/// The fingerprint of the structural boxes of a page `page_width` wide.
pub fn fingerprint(page_width: u32, boxes: &[LayoutBox]) -> Fingerprint {
    let width = f64::from(page_width.max(1));
    let percent = |v: f64| (v * 100.0 / width).round() as i64;
    let step = |v: f64| (v / FINGERPRINT_STEP_PX).round() as i64;
    let mut lines: Vec<String> = boxes
        .iter()
        .filter(|b| b.kind.is_structural())
        .map(|b| {
            let r = b.rect;
            format!(
                "{}\u{1f}{}\u{1f}{}\u{1f}{}\u{1f}{}\u{1f}{}\n",
                b.kind.as_str(),
                b.selector,
                percent(f64::from(r.x)),
                step(f64::from(r.y)),
                percent(f64::from(r.width)),
                step(f64::from(r.height)),
            )
        })
        .collect();
    lines.sort_unstable();
    Fingerprint(fnv1a64(lines.iter().flat_map(|l| l.bytes())))
}

/// 64-bit FNV-1a of `bytes`.
pub fn fnv1a64(bytes: impl IntoIterator<Item = u8>) -> u64 {
    const OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    bytes.into_iter().fold(OFFSET_BASIS, |hash, b| {
        (hash ^ u64::from(b)).wrapping_mul(PRIME)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn boxed(kind: BoxKind, selector: &str, [x, y, width, height]: [i64; 4]) -> LayoutBox {
        LayoutBox {
            selector: selector.into(),
            kind,
            label: None,
            rect: Rect {
                x: x as i32,
                y: y as i32,
                width: width as u32,
                height: height as u32,
            },
        }
    }

    #[test]
    fn fnv1a_is_the_published_function() {
        // Test vectors of the FNV reference (draft-eastlake-fnv).
        assert_eq!(fnv1a64(*b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(*b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a64(*b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn kinds_are_the_published_ones() {
        let codes = BoxKind::ALL.map(BoxKind::as_str);
        assert_eq!(
            codes,
            [
                "header", "nav", "main", "aside", "footer", "section", "article", "form",
                "heading", "button", "link", "input", "tracked", "image", "media"
            ]
        );
        for kind in BoxKind::ALL {
            assert_eq!(BoxKind::from_code(kind.as_str()), Some(kind));
        }
        let structural: Vec<_> = BoxKind::ALL
            .into_iter()
            .filter(|k| k.is_structural())
            .map(BoxKind::as_str)
            .collect();
        assert_eq!(
            structural,
            ["header", "nav", "main", "aside", "footer", "section", "article", "form", "heading"]
        );
        let labelled: Vec<_> = BoxKind::ALL
            .into_iter()
            .filter(|k| k.is_labelled())
            .map(BoxKind::as_str)
            .collect();
        assert_eq!(labelled, ["heading", "button", "link"]);
        assert_eq!(BoxKind::from_code("div"), None);
        let json = serde_json::to_string(&BoxKind::Nav).unwrap_or_default();
        assert_eq!(json, "\"nav\"");
    }

    #[test]
    fn the_fingerprint_is_fixed_and_reads_only_structure() {
        let page = [
            boxed(
                BoxKind::Header,
                "body>header:nth-child(1)",
                [0, 0, 1280, 64],
            ),
            boxed(BoxKind::Main, "#main", [140, 64, 1000, 2000]),
            boxed(
                BoxKind::Heading,
                "#main>h1:nth-child(1)",
                [140, 90, 1000, 40],
            ),
        ];
        let fp = fingerprint(1280, &page);
        // The value itself is part of the contract: engines and tools compute it.
        let canonical = "header\u{1f}body>header:nth-child(1)\u{1f}0\u{1f}0\u{1f}100\u{1f}4\n\
                         heading\u{1f}#main>h1:nth-child(1)\u{1f}11\u{1f}6\u{1f}78\u{1f}3\n\
                         main\u{1f}#main\u{1f}11\u{1f}4\u{1f}78\u{1f}125\n";
        assert_eq!(fp, Fingerprint(fnv1a64(canonical.bytes())));
        assert_eq!(fp.to_string().len(), 16);

        // Order, buttons, links, labels and a few pixels do not change it.
        let mut more = page.to_vec();
        more.reverse();
        more.push(boxed(BoxKind::Button, "#buy", [10, 10, 80, 30]));
        more.push(boxed(BoxKind::Link, "#home", [0, 0, 40, 20]));
        more[0].label = Some("Welcome".into());
        more[1].rect.height += 3;
        assert_eq!(fingerprint(1280, &more), fp);
        // A full-width band at another width of the segment: the same.
        let wider = [
            boxed(
                BoxKind::Header,
                "body>header:nth-child(1)",
                [0, 0, 1440, 64],
            ),
            boxed(BoxKind::Main, "#main", [158, 64, 1125, 2000]),
            boxed(
                BoxKind::Heading,
                "#main>h1:nth-child(1)",
                [158, 90, 1125, 40],
            ),
        ];
        assert_eq!(fingerprint(1440, &wider), fp);

        // A new section, a moved heading or another selector: another layout.
        let mut changed = page.to_vec();
        changed.push(boxed(BoxKind::Section, "#offers", [0, 2064, 1280, 400]));
        assert_ne!(fingerprint(1280, &changed), fp);
        let mut moved = page.to_vec();
        moved[2].rect.y += 200;
        assert_ne!(fingerprint(1280, &moved), fp);
        let mut renamed = page.to_vec();
        renamed[1].selector = "#content".into();
        assert_ne!(fingerprint(1280, &renamed), fp);
        // No structural box at all is a fingerprint too; a zero width is safe.
        assert_eq!(fingerprint(0, &[]), Fingerprint(fnv1a64(*b"")));
    }
}
