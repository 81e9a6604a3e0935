//! [`RejectCode`]: why one event was rejected, as clients, documents and
//! metrics name it.
//!
//! One enum serves validation (each [`crate::validate::EventRejection`] has
//! one), replies ([`crate::contract::RejectedEvent::code`]), the OpenAPI
//! document (the `code` enum lists [`RejectCode::ALL`]) and ingestd's
//! per-reason counters. It lives apart from both the contract and validation
//! so that neither has to import the other for it. Codes are part of the
//! published contract: codes may be added, none renamed or removed.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

crate::code_enum! {
    /// A stable, machine-readable reason a single event was rejected.
    pub enum RejectCode {
        /// Not a JSON object of the event's shape.
        Malformed => "malformed",
        /// A `type` other than the known ones.
        UnknownType => "unknown_type",
        /// A field its type requires is absent.
        MissingField => "missing_field",
        /// The event id is empty, too long or not printable ASCII.
        InvalidId => "invalid_id",
        /// The page URL cannot be read.
        InvalidUrl => "invalid_url",
        /// A number out of its range.
        InvalidNumber => "invalid_number",
        /// Custom props too many, too large or nested.
        InvalidProps => "invalid_props",
        /// The page's host is not one of the site's hostnames.
        HostNotAllowed => "host_not_allowed",
        /// Sent by an automated client.
        Bot => "bot",
        /// A layout snapshot with more boxes than allowed, or a box not of
        /// the documented shape (a bad number, a missing field).
        InvalidLayout => "invalid_layout",
        /// A layout snapshot for a site whose layout capture is turned off.
        LayoutOff => "layout_off",
    }
}

impl RejectCode {
    /// The code spelled `code`, if there is one.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == code)
    }
}

/// A code equals its published spelling, so a reply's code can be checked
/// against the string a client sees.
impl PartialEq<&str> for RejectCode {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl Serialize for RejectCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for RejectCode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let code = String::deserialize(deserializer)?;
        Self::from_code(&code)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown reject code {code:?}")))
    }
}

#[cfg(test)]
mod tests {
    use super::RejectCode;

    #[test]
    fn codes_are_the_published_ones_in_order() {
        let codes = RejectCode::ALL.map(RejectCode::as_str);
        assert_eq!(
            codes,
            [
                "malformed",
                "unknown_type",
                "missing_field",
                "invalid_id",
                "invalid_url",
                "invalid_number",
                "invalid_props",
                "host_not_allowed",
                "bot",
                "invalid_layout",
                "layout_off",
            ]
        );
        for (i, code) in RejectCode::ALL.into_iter().enumerate() {
            assert_eq!(code.index(), i);
            assert_eq!(RejectCode::from_code(code.as_str()), Some(code));
        }
        assert_eq!(RejectCode::from_code("nope"), None);
    }

    #[test]
    fn serialises_as_its_code() {
        let json = serde_json::to_string(&RejectCode::HostNotAllowed).unwrap();
        assert_eq!(json, "\"host_not_allowed\"");
        let back: RejectCode = serde_json::from_str(&json).unwrap();
        assert_eq!(back, RejectCode::HostNotAllowed);
        assert!(serde_json::from_str::<RejectCode>("\"nope\"").is_err());
        assert_eq!(RejectCode::Bot, "bot");
        assert_ne!(RejectCode::Bot, "malformed");
    }
}
