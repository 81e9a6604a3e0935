//! Colours: the palette every view draws with, and the colour depth of the
//! terminal (`NO_COLOR` → none; `COLORTERM=truecolor|24bit` → RGB; otherwise
//! the 256-colour palette).
//!
//! Views draw in RGB; [`adapt`] rewrites the finished frame for the terminal's
//! depth, so no view needs to know it.

use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier, Style};

/// How many colours the terminal shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColorDepth {
    /// `NO_COLOR` is set: attributes (bold, reverse) only.
    None,
    /// The xterm 256-colour palette.
    Ansi256,
    /// 24-bit RGB.
    TrueColor,
}

impl ColorDepth {
    /// Reads `NO_COLOR` and `COLORTERM`.
    pub fn detect() -> Self {
        Self::from_env(
            std::env::var_os("NO_COLOR").map(|v| !v.is_empty()),
            std::env::var("COLORTERM").ok().as_deref(),
        )
    }

    /// The depth for the given `NO_COLOR` (set and non-empty) and `COLORTERM`.
    pub fn from_env(no_color: Option<bool>, colorterm: Option<&str>) -> Self {
        if no_color == Some(true) {
            return Self::None;
        }
        match colorterm.map(str::to_ascii_lowercase).as_deref() {
            Some("truecolor" | "24bit") => Self::TrueColor,
            _ => Self::Ansi256,
        }
    }
}

pub const ACCENT: Color = Color::Rgb(97, 175, 239);
pub const MUTED: Color = Color::Rgb(128, 128, 140);
pub const GOOD: Color = Color::Rgb(152, 195, 121);
pub const WARN: Color = Color::Rgb(229, 192, 123);
pub const BAD: Color = Color::Rgb(224, 108, 117);
pub const SERIES_A: Color = Color::Rgb(97, 175, 239);
pub const SERIES_B: Color = Color::Rgb(198, 120, 221);
/// Background of the page area in a heatmap.
pub const PAGE_BG: Color = Color::Rgb(30, 32, 40);
/// The wireframe under a heatmap: dim against [`PAGE_BG`], so the heat's
/// ramp stands out above it.
pub const WIRE: Color = Color::Rgb(78, 84, 104);
/// Labels inside the wireframe, a step brighter than its outlines.
pub const WIRE_LABEL: Color = Color::Rgb(122, 128, 148);

pub fn title() -> Style {
    Style::new().fg(ACCENT).add_modifier(Modifier::BOLD)
}
pub fn muted() -> Style {
    Style::new().fg(MUTED)
}
pub fn header() -> Style {
    Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
}
/// The selected row: reversed, so it shows without colour too.
pub fn selected() -> Style {
    Style::new().add_modifier(Modifier::REVERSED)
}
pub fn error() -> Style {
    Style::new().fg(BAD).add_modifier(Modifier::BOLD)
}
pub fn chip() -> Style {
    Style::new().fg(Color::Rgb(20, 20, 24)).bg(WARN)
}
pub fn key() -> Style {
    Style::new().fg(ACCENT).add_modifier(Modifier::BOLD)
}

/// Rewrites every colour of `buffer` for `depth`.
pub fn adapt(buffer: &mut Buffer, depth: ColorDepth) {
    if depth == ColorDepth::TrueColor {
        return;
    }
    for cell in &mut buffer.content {
        cell.fg = convert(cell.fg, depth);
        cell.bg = convert(cell.bg, depth);
        cell.underline_color = convert(cell.underline_color, depth);
    }
}

fn convert(color: Color, depth: ColorDepth) -> Color {
    match (depth, color) {
        (ColorDepth::None, _) => Color::Reset,
        (ColorDepth::Ansi256, Color::Rgb(r, g, b)) => Color::Indexed(rgb_to_256(r, g, b)),
        (_, other) => other,
    }
}

/// The nearest colour of the xterm 256-colour palette (cube or grey ramp).
pub fn rgb_to_256(r: u8, g: u8, b: u8) -> u8 {
    const LEVELS: [u8; 6] = [0, 95, 135, 175, 215, 255];
    let level = |v: u8| -> usize {
        LEVELS
            .iter()
            .enumerate()
            .min_by_key(|(_, l)| (i32::from(**l) - i32::from(v)).abs())
            .map_or(0, |(i, _)| i)
    };
    let (ri, gi, bi) = (level(r), level(g), level(b));
    let cube = (LEVELS[ri], LEVELS[gi], LEVELS[bi]);
    let dist = |a: (u8, u8, u8)| -> i32 {
        let d = |x: u8, y: u8| (i32::from(x) - i32::from(y)).pow(2);
        d(a.0, r) + d(a.1, g) + d(a.2, b)
    };
    let mean = (u32::from(r) + u32::from(g) + u32::from(b)) / 3;
    let grey_index = ((mean.saturating_sub(8)) / 10).min(23) as u8;
    let grey_value = 8 + grey_index * 10;
    let cube_index = 16 + 36 * ri as u8 + 6 * gi as u8 + bi as u8;
    if dist((grey_value, grey_value, grey_value)) < dist(cube) {
        232 + grey_index
    } else {
        cube_index
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::layout::Rect;

    #[test]
    fn depth_follows_the_environment() {
        assert_eq!(
            ColorDepth::from_env(Some(true), Some("truecolor")),
            ColorDepth::None
        );
        assert_eq!(
            ColorDepth::from_env(None, Some("truecolor")),
            ColorDepth::TrueColor
        );
        assert_eq!(ColorDepth::from_env(Some(false), None), ColorDepth::Ansi256);
    }

    #[test]
    fn maps_rgb_into_the_256_palette() {
        assert_eq!(rgb_to_256(255, 0, 0), 196);
        assert_eq!(rgb_to_256(0, 0, 0), 16);
        assert_eq!(rgb_to_256(128, 128, 128), 244);
    }

    #[test]
    fn no_color_removes_every_colour() {
        let mut buffer = Buffer::empty(Rect::new(0, 0, 2, 1));
        buffer.set_style(
            buffer.area,
            Style::new().fg(BAD).bg(GOOD).add_modifier(Modifier::BOLD),
        );
        adapt(&mut buffer, ColorDepth::None);
        assert!(buffer
            .content
            .iter()
            .all(|c| c.fg == Color::Reset && c.bg == Color::Reset));
        assert!(buffer
            .content
            .iter()
            .all(|c| c.modifier.contains(Modifier::BOLD)));
    }
}
