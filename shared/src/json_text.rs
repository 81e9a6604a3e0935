//! JSON text as browsers write it: lone surrogate escapes made valid.
//!
//! A JavaScript string is UTF-16 and may hold half of a surrogate pair, for
//! example when a label is cut between the two halves of an emoji.
//! `JSON.stringify` writes such a half as an escape (`"\ud83d"`), which is valid
//! JSON text but not a Unicode scalar value, so a strict parser refuses the
//! whole document. [`replace_lone_surrogates`] rewrites each escape of a lone
//! half as `\ufffd` (the replacement character) before parsing: a broken
//! string costs its broken character, never the event that carries it.
//!
//! The rewrite keeps the text's length (both escapes are six bytes), and
//! backslashes occur only inside JSON strings, so escapes can be found without
//! tracking where strings start and end.

use std::borrow::Cow;

const REPLACEMENT: &[u8; 6] = b"\\ufffd";

/// `text` with every escaped lone surrogate replaced by `\ufffd`; borrowed
/// (no copy) when there is none, which is the common case.
pub fn replace_lone_surrogates(text: &[u8]) -> Cow<'_, [u8]> {
    let lone = lone_surrogate_escapes(text);
    if lone.is_empty() {
        return Cow::Borrowed(text);
    }
    let mut fixed = text.to_vec();
    for start in lone {
        fixed[start..start + REPLACEMENT.len()].copy_from_slice(REPLACEMENT);
    }
    Cow::Owned(fixed)
}

/// The byte offsets of the `\uXXXX` escapes that encode a lone surrogate.
fn lone_surrogate_escapes(text: &[u8]) -> Vec<usize> {
    let mut lone = Vec::new();
    let mut i = 0;
    while let Some(offset) = text[i..].iter().position(|&b| b == b'\\') {
        let at = i + offset;
        match unicode_escape(text, at) {
            Some(0xD800..=0xDBFF) => {
                if matches!(unicode_escape(text, at + 6), Some(0xDC00..=0xDFFF)) {
                    i = at + 12;
                } else {
                    lone.push(at);
                    i = at + 6;
                }
            }
            Some(0xDC00..=0xDFFF) => {
                lone.push(at);
                i = at + 6;
            }
            Some(_) => i = at + 6,
            // Any other escape is two bytes (`\"`, `\\`, `\n`, …); a stray
            // backslash is left for the parser to refuse.
            None => i = at + 2,
        }
        if i >= text.len() {
            break;
        }
    }
    lone
}

/// The code unit of a `\uXXXX` escape starting at `at`, if one does.
fn unicode_escape(text: &[u8], at: usize) -> Option<u16> {
    let escape = text.get(at..at + 6)?;
    if escape[0] != b'\\' || escape[1] != b'u' {
        return None;
    }
    let hex = std::str::from_utf8(&escape[2..]).ok()?;
    u16::from_str_radix(hex, 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixed(text: &str) -> String {
        String::from_utf8(replace_lone_surrogates(text.as_bytes()).into_owned()).unwrap()
    }

    #[test]
    fn leaves_valid_text_untouched_and_borrowed() {
        for text in [
            r#"{"a":"plain"}"#,
            r#"{"a":"\ud83d\ude00 pair"}"#,
            r#"{"a":"\\ud83d is an escaped backslash"}"#,
            r#"{"a":"\u00e9\n\"\\"}"#,
        ] {
            assert!(matches!(
                replace_lone_surrogates(text.as_bytes()),
                Cow::Borrowed(_)
            ));
        }
    }

    #[test]
    fn replaces_lone_halves_only() {
        assert_eq!(fixed(r#"{"a":"x\ud83d"}"#), r#"{"a":"x\ufffd"}"#);
        assert_eq!(fixed(r#"{"a":"\ude00x"}"#), r#"{"a":"\ufffdx"}"#);
        assert_eq!(
            fixed(r#"{"a":"\uD83D\ud83d\ude00"}"#),
            r#"{"a":"\ufffd\ud83d\ude00"}"#
        );
        assert_eq!(fixed(r#"{"a":"\ud83d\n"}"#), r#"{"a":"\ufffd\n"}"#);
        let parsed: serde_json::Value =
            serde_json::from_str(&fixed(r#"{"a":"Caf\u00e9 \ud83d"}"#)).unwrap();
        assert_eq!(parsed["a"], "Café \u{fffd}");
    }

    #[test]
    fn survives_truncated_and_stray_escapes() {
        for text in [r"\", r"\u", r"\ud8", r"\ud83d\u", r"\ud83d\", r"\\\"] {
            let _ = replace_lone_surrogates(text.as_bytes());
        }
        assert_eq!(fixed(r"\ud83d"), r"\ufffd");
    }
}
