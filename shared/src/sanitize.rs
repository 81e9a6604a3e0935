//! Cleaning of every string that reaches storage (and, later, a terminal).
//!
//! Removed: C0 and C1 control characters (which covers ESC, so no escape
//! sequence survives), DEL, bidirectional overrides and isolates, zero-width
//! characters and other invisible format characters. Tabs and line breaks become
//! single spaces, runs of whitespace collapse, and the result is trimmed and cut
//! to a limit on a character boundary.

/// True for characters that must never be stored or drawn.
pub fn is_forbidden(c: char) -> bool {
    c.is_control() // C0, DEL, C1
        || matches!(c,
            '\u{200B}'..='\u{200F}'   // zero-width space/joiners, LRM, RLM
            | '\u{202A}'..='\u{202E}' // bidi embeddings and overrides
            | '\u{2060}'..='\u{2064}' // word joiner, invisible operators
            | '\u{2066}'..='\u{2069}' // bidi isolates
            | '\u{061C}'              // Arabic letter mark
            | '\u{180E}'              // Mongolian vowel separator
            | '\u{FEFF}'              // zero-width no-break space / BOM
            | '\u{FFF9}'..='\u{FFFB}' // interlinear annotation controls
            | '\u{E0000}'..='\u{E007F}' // tag characters
        )
}

/// Cleans `input` and keeps at most `max_chars` characters.
///
/// Whitespace (including tabs and newlines, which are control characters) is
/// collapsed to single spaces so that a label stays on one line.
pub fn clean(input: &str, max_chars: usize) -> String {
    let mut out = String::with_capacity(input.len().min(max_chars.saturating_mul(4)));
    let mut kept = 0usize;
    let mut pending_space = false;
    for c in input.chars() {
        if c.is_whitespace() {
            pending_space = kept > 0;
            continue;
        }
        if is_forbidden(c) {
            continue;
        }
        if pending_space {
            if kept + 1 >= max_chars {
                break;
            }
            out.push(' ');
            kept += 1;
            pending_space = false;
        }
        if kept >= max_chars {
            break;
        }
        out.push(c);
        kept += 1;
    }
    out
}

/// Cleans an optional string; an empty result becomes `None`.
pub fn clean_opt(input: Option<&str>, max_chars: usize) -> Option<String> {
    let cleaned = clean(input?, max_chars);
    (!cleaned.is_empty()).then_some(cleaned)
}

/// True when `input` would pass through [`clean`] unchanged (with no limit).
pub fn is_clean(input: &str) -> bool {
    clean(input, usize::MAX) == input
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_escape_sequences_and_controls() {
        assert_eq!(clean("a\u{1b}[31mred\u{1b}[0m", 100), "a[31mred[0m");
        assert_eq!(clean("x\u{9b}2Jy", 100), "x2Jy");
        assert_eq!(
            clean("\u{1b}]8;;http://evil\u{7}link", 100),
            "]8;;http://evillink"
        );
        assert_eq!(clean("nul\0byte\u{8}\u{7f}", 100), "nulbyte");
    }

    #[test]
    fn strips_bidi_and_zero_width() {
        assert_eq!(
            clean("ab\u{202E}cd\u{2066}e\u{200B}f\u{FEFF}", 100),
            "abcdef"
        );
    }

    #[test]
    fn collapses_whitespace_and_trims() {
        assert_eq!(clean("  Buy\n\n  now\t! ", 100), "Buy now !");
        assert_eq!(clean("\r\n", 100), "");
    }

    #[test]
    fn truncates_on_char_boundary() {
        assert_eq!(clean("héllo wörld", 5), "héllo");
        assert_eq!(clean("日本語テキスト", 3), "日本語");
        assert_eq!(clean("ab cd", 3), "ab");
        assert_eq!(clean("abc", 0), "");
    }

    #[test]
    fn clean_opt_drops_empty() {
        assert_eq!(clean_opt(Some("\u{1b}"), 10), None);
        assert_eq!(clean_opt(None, 10), None);
        assert_eq!(clean_opt(Some(" ok "), 10).as_deref(), Some("ok"));
    }
}
