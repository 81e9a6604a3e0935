//! Moving a selection through a list and keeping it on screen, the same way
//! in every view.

/// `from + delta` within `0..len`.
pub(super) fn step(from: u64, delta: i64, len: u64) -> u64 {
    if len == 0 {
        return 0;
    }
    let target = (from as i64).saturating_add(delta);
    target.clamp(0, len as i64 - 1) as u64
}

/// `from + delta` within `0..len`, for lists indexed by `usize`.
pub(super) fn step_index(from: usize, delta: i64, len: usize) -> usize {
    step(from as u64, delta, len as u64) as usize
}

/// The scroll offset that keeps `selected` within `rows` visible rows.
pub(super) fn keep_visible(scroll: usize, selected: usize, rows: usize) -> usize {
    let rows = rows.max(1);
    if selected < scroll {
        selected
    } else if selected >= scroll + rows {
        selected + 1 - rows
    } else {
        scroll
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_saturate_at_both_ends() {
        assert_eq!(step(0, -1, 3), 0);
        assert_eq!(step(1, 1, 3), 2);
        assert_eq!(step(2, 5, 3), 2);
        assert_eq!(step(2, i64::MIN / 2, 3), 0);
        assert_eq!(step(0, i64::MAX / 2, 3), 2);
        assert_eq!(step(4, 1, 0), 0, "an empty list selects row 0");
    }

    #[test]
    fn the_selection_stays_on_screen() {
        assert_eq!(keep_visible(0, 3, 5), 0);
        assert_eq!(keep_visible(0, 7, 5), 3);
        assert_eq!(keep_visible(5, 2, 5), 2);
        assert_eq!(keep_visible(0, 2, 0), 2, "at least one row is visible");
    }
}
