//! The page list's order: by the chosen column, ties by page key (always
//! ascending), then the requested window. Engines that cannot push the
//! order into their query sort the rows they summed with this.

use crate::store::query::{PageRequest, PageSortKey, PageStats, Sort};

/// Sorts `rows` as `sort` asks and returns the window `page` of them. A page
/// without scroll reports has no mean depth and sorts before every depth
/// (after them when descending), as SQL's `NULL` does.
pub fn order(
    mut rows: Vec<PageStats>,
    sort: Sort<PageSortKey>,
    page: PageRequest,
) -> Vec<PageStats> {
    rows.sort_by(|a, b| {
        let by_key = match sort.key {
            PageSortKey::Page => a.page.cmp(&b.page),
            PageSortKey::Views => a.views.cmp(&b.views),
            PageSortKey::Visitors => a.visitors.cmp(&b.visitors),
            PageSortKey::Clicks => a.clicks.cmp(&b.clicks),
            PageSortKey::ScrollDepth => match (a.mean_scroll_depth, b.mean_scroll_depth) {
                (Some(x), Some(y)) => x.total_cmp(&y),
                (x, y) => x.is_some().cmp(&y.is_some()),
            },
            PageSortKey::RageClicks => a.rage_clicks.cmp(&b.rage_clicks),
        };
        let by_key = if sort.descending {
            by_key.reverse()
        } else {
            by_key
        };
        by_key.then_with(|| a.page.cmp(&b.page))
    });
    let skip = usize::try_from(page.offset).unwrap_or(usize::MAX);
    rows.into_iter()
        .skip(skip)
        .take(page.limit as usize)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(page: &str, views: u64, depth: Option<f64>) -> PageStats {
        PageStats {
            page: page.to_owned(),
            views,
            visitors: 1,
            sessions: 1,
            clicks: 0,
            mean_scroll_depth: depth,
            rage_clicks: 0,
        }
    }

    fn pages(rows: &[PageStats]) -> Vec<&str> {
        rows.iter().map(|r| r.page.as_str()).collect()
    }

    #[test]
    fn ties_go_by_page_ascending_and_the_window_is_taken_after_sorting() {
        let rows = vec![
            row("/c", 2, None),
            row("/b", 5, None),
            row("/a", 2, None),
            row("/d", 1, None),
        ];
        let views = |descending| Sort {
            key: PageSortKey::Views,
            descending,
        };
        let all = PageRequest::first(10);
        assert_eq!(
            pages(&order(rows.clone(), views(true), all)),
            ["/b", "/a", "/c", "/d"]
        );
        assert_eq!(
            pages(&order(rows.clone(), views(false), all)),
            ["/d", "/a", "/c", "/b"]
        );
        let by_page = Sort {
            key: PageSortKey::Page,
            descending: true,
        };
        assert_eq!(
            pages(&order(rows.clone(), by_page, all)),
            ["/d", "/c", "/b", "/a"]
        );
        let window = PageRequest {
            offset: 1,
            limit: 2,
        };
        assert_eq!(pages(&order(rows, views(true), window)), ["/a", "/c"]);
    }

    #[test]
    fn pages_without_scroll_reports_sort_as_sql_null() {
        let rows = vec![
            row("/a", 1, Some(0.5)),
            row("/b", 1, None),
            row("/c", 1, Some(0.9)),
        ];
        let depth = |descending| Sort {
            key: PageSortKey::ScrollDepth,
            descending,
        };
        let all = PageRequest::first(10);
        assert_eq!(
            pages(&order(rows.clone(), depth(false), all)),
            ["/b", "/a", "/c"]
        );
        assert_eq!(pages(&order(rows, depth(true), all)), ["/c", "/a", "/b"]);
    }
}
