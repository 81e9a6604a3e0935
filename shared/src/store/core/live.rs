//! The live tail's cursor: the storage position of the last event shown, as
//! text. Engines number events in storage order (SQLite's row id, MongoDB's
//! `seq`), so the events after a cursor are the next ones stored.

use crate::store::query::StoredEvent;
use crate::store::StoreError;

/// The position a cursor names (`None`: start from the newest events).
pub fn position(cursor: Option<&str>) -> Result<Option<i64>, StoreError> {
    cursor
        .map(|c| {
            c.parse::<i64>()
                .map_err(|_| StoreError::InvalidCursor(c.to_owned()))
        })
        .transpose()
}

/// The cursor to ask with next: the last event's, or the same one when
/// nothing new was stored.
pub fn next(events: &[StoredEvent], given: Option<i64>) -> Option<String> {
    match events.last() {
        Some(last) => Some(last.cursor.clone()),
        None => given.map(|p| p.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_are_positions() {
        assert_eq!(position(None).ok(), Some(None));
        assert_eq!(position(Some("42")).ok(), Some(Some(42)));
        assert!(matches!(
            position(Some("x")),
            Err(StoreError::InvalidCursor(c)) if c == "x"
        ));
        assert_eq!(next(&[], Some(7)), Some("7".to_owned()));
        assert_eq!(next(&[], None), None);
    }
}
