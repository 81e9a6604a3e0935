//! The page list: counts, patterns, session-scoped filters, sort keys, paging.

use super::fixtures::*;
use super::reading::*;
use super::StoreFactory;
use shared::event::DeviceClass;
use shared::page_key::PagePattern;
use shared::store::query::*;

/// Page rows: counts, patterns and session-scoped filters.
pub fn case_pages(factory: &dyn StoreFactory) {
    let (mut w, r) = factory.open();
    load(&mut *w, &standard_batches());
    let all = Filter::default();
    let expected = standard_pages();
    assert_eq!(pages_of(&*r, &all, None), expected);
    let select = |keys: &[&str]| -> Vec<PageStats> {
        expected
            .iter()
            .filter(|p| keys.contains(&p.page.as_str()))
            .cloned()
            .collect()
    };
    let patterns: &[(&str, &[&str])] = &[
        (
            "/product/*",
            &["shop.example/product/1", "shop.example/product/2"],
        ),
        (
            "/product/**",
            &[
                "shop.example/product/1",
                "shop.example/product/1/reviews",
                "shop.example/product/2",
            ],
        ),
        ("shop.example/product/1", &["shop.example/product/1"]),
        ("/", &["shop.example/"]),
        (
            "blog.example/**",
            &["blog.example/post/1", "blog.example/post/2"],
        ),
        ("/nope", &[]),
    ];
    for (p, keys) in patterns {
        assert_eq!(pages_of(&*r, &all, Some(p)), select(keys), "pattern {p}");
    }
    assert_eq!(
        pages_of(&*r, &site("blog"), None),
        select(&["blog.example/post/1", "blog.example/post/2"])
    );
    assert!(pages_of(&*r, &site("blog"), Some("/product/*")).is_empty());
    let mobile = Filter {
        device: Some(DeviceClass::Mobile),
        ..all.clone()
    };
    assert_eq!(
        pages_of(&*r, &mobile, None),
        select(&["shop.example/product/2"])
    );
    let rage = Filter {
        has_rage_clicks: Some(false),
        ..site("shop")
    };
    let no_rage = select(&[
        "shop.example/",
        "shop.example/cart",
        "shop.example/product/1",
        "shop.example/product/1/reviews",
    ]);
    assert_eq!(pages_of(&*r, &rage, None), no_rage);

    // Sessions that started in the range count with all their events: s3
    // started inside it, its view of /product/1 two minutes later counts too.
    let started = range(Some(T0 + 2 * HOUR), Some(T0 + 2 * HOUR + MIN));
    assert_eq!(
        pages_of(&*r, &started, None),
        [
            stats("shop.example/", 1, 1, 1, 0),
            stats("shop.example/product/1", 1, 1, 1, 0)
        ]
    );
}

fn page_sort_value(key: PageSortKey, p: &PageStats) -> SortValue {
    use SortValue::*;
    match key {
        PageSortKey::Page => Text(Some(p.page.clone())),
        PageSortKey::Views => Int(p.views as i64),
        PageSortKey::Visitors => Int(p.visitors as i64),
        PageSortKey::Clicks => Int(p.clicks as i64),
        PageSortKey::ScrollDepth => Real(p.mean_scroll_depth),
        PageSortKey::RageClicks => Int(p.rage_clicks as i64),
    }
}

/// Every page sort key both ways (ties by page key, ascending) and paging.
pub fn case_pages_sort_and_paging(factory: &dyn StoreFactory) {
    let (mut w, r) = factory.open();
    load(&mut *w, &standard_batches());
    let all = Filter::default();
    let keys = [
        PageSortKey::Page,
        PageSortKey::Views,
        PageSortKey::Visitors,
        PageSortKey::Clicks,
        PageSortKey::ScrollDepth,
        PageSortKey::RageClicks,
    ];
    for key in keys {
        for descending in [false, true] {
            let mut expected = standard_pages();
            expected.sort_by(|a, b| {
                let (va, vb) = (page_sort_value(key, a), page_sort_value(key, b));
                let by_key = va.partial_cmp(&vb).unwrap_or(std::cmp::Ordering::Equal);
                let by_key = if descending { by_key.reverse() } else { by_key };
                by_key.then_with(|| a.page.cmp(&b.page))
            });
            let actual = r
                .pages(&all, None, Sort { key, descending }, EVERYTHING)
                .unwrap_or_else(|e| panic!("pages by {key:?}: {e}"));
            let names =
                |rows: &[PageStats]| rows.iter().map(|p| p.page.clone()).collect::<Vec<_>>();
            assert_eq!(
                names(&actual),
                names(&expected),
                "{key:?} descending={descending}"
            );
            assert_eq!(actual, expected);
        }
    }
    let by_page = Sort {
        key: PageSortKey::Page,
        descending: false,
    };
    let slice = |offset, limit| -> Vec<String> {
        r.pages(&all, None, by_page, PageRequest { offset, limit })
            .expect("pages slice")
            .into_iter()
            .map(|p| p.page)
            .collect()
    };
    assert_eq!(
        slice(0, 3),
        [
            "blog.example/post/1",
            "blog.example/post/2",
            "shop.example/"
        ]
    );
    assert_eq!(
        slice(3, 3),
        [
            "shop.example/cart",
            "shop.example/product/1",
            "shop.example/product/1/reviews"
        ]
    );
    assert_eq!(slice(6, 3), ["shop.example/product/2"]);
    assert!(slice(7, 3).is_empty());
    let by_views = Sort {
        key: PageSortKey::Views,
        descending: true,
    };
    let top: Vec<String> = r
        .pages(
            &all,
            Some(&PagePattern::new("shop.example/**")),
            by_views,
            PageRequest::first(2),
        )
        .expect("top pages")
        .into_iter()
        .map(|p| p.page)
        .collect();
    assert_eq!(top, ["shop.example/", "shop.example/product/1"]);
}
