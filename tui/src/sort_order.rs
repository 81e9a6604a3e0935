//! The order a list column sorts in when it is chosen: numbers and times
//! biggest first, names and pages A to Z. The sort keys (`s`) and saved views
//! (a sort written without a direction) both ask here.

use shared::store::query::{PageSortKey, SessionSortKey, Sort};

/// A session column in its natural direction.
pub fn session(key: SessionSortKey) -> Sort<SessionSortKey> {
    let by_name = matches!(
        key,
        SessionSortKey::Entry
            | SessionSortKey::Exit
            | SessionSortKey::Device
            | SessionSortKey::Browser
            | SessionSortKey::Referrer
    );
    Sort {
        key,
        descending: !by_name,
    }
}

/// A page column in its natural direction.
pub fn page(key: PageSortKey) -> Sort<PageSortKey> {
    Sort {
        key,
        descending: key != PageSortKey::Page,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_go_down_and_names_go_up() {
        assert!(session(SessionSortKey::Duration).descending);
        assert!(!session(SessionSortKey::Browser).descending);
        assert!(page(PageSortKey::Views).descending);
        assert!(!page(PageSortKey::Page).descending);
    }
}
