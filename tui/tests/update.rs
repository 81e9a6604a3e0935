//! Pure `update` tests: navigation, filters, sorting, paging, stepping the
//! journey and the cross-filter, without a terminal.

mod common;

use common::*;
use ratatui::crossterm::event::{
    KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
use shared::event::DeviceClass;
use shared::layout::Layout;
use shared::page_key::PagePattern;
use shared::store::query::{PageSortKey, SessionSortKey};
use tui::app::{update, App, HeatFocus, Msg, Popup, View};
use tui::filters::Range;
use tui::keys::Action;
use tui::worker::Query;

fn press(app: &mut App, code: KeyCode) {
    send(app, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
}

#[test]
fn number_keys_and_tab_switch_views_and_esc_goes_back() {
    let mut app = App::new((100, 30), NOW);
    app.start(View::Overview);
    press(&mut app, KeyCode::Char('2'));
    assert_eq!(app.view, View::Sessions);
    press(&mut app, KeyCode::Tab);
    assert_eq!(app.view, View::Journey);
    press(&mut app, KeyCode::BackTab);
    press(&mut app, KeyCode::BackTab);
    assert_eq!(app.view, View::Overview);
    press(&mut app, KeyCode::Char('6'));
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.view, View::Overview);
    press(&mut app, KeyCode::Char('q'));
    assert!(app.quit);
}

#[test]
fn views_load_once_and_show_loading_until_answered() {
    let mut app = App::new((100, 30), NOW);
    app.start(View::Overview);
    let requests = app.take_requests();
    // The figures, and the previous period's to compare with.
    assert_eq!(requests.len(), 2);
    assert!(matches!(requests[0].query, Query::Overview(_)));
    assert!(matches!(requests[1].query, Query::PreviousOverview(_)));
    assert!(app.overview.loading());
    press(&mut app, KeyCode::Char('2'));
    press(&mut app, KeyCode::Char('1'));
    let requests = app.take_requests();
    assert!(
        requests
            .iter()
            .all(|r| !matches!(r.query, Query::Overview(_) | Query::PreviousOverview(_))),
        "overview is not asked twice"
    );
}

#[test]
fn navigation_moves_and_clamps_the_selection() {
    let fx = shop();
    let store = fx.reader();
    let mut app = App::new((100, 30), NOW);
    app.start(View::Sessions);
    settle(&mut app, store.as_ref());
    assert_eq!(app.sessions.total(), 3);
    press(&mut app, KeyCode::Char('j'));
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Char('j'));
    assert_eq!(app.sessions.selected, 2);
    press(&mut app, KeyCode::Char('g'));
    assert_eq!(app.sessions.selected, 0);
    press(&mut app, KeyCode::Char('G'));
    assert_eq!(app.sessions.selected, 2);
    press(&mut app, KeyCode::PageUp);
    assert_eq!(app.sessions.selected, 0);
    press(&mut app, KeyCode::Up);
    assert_eq!(app.sessions.selected, 0);
}

#[test]
fn sorting_cycles_columns_and_reloads_from_the_top() {
    let fx = shop();
    let store = fx.reader();
    let mut app = App::new((100, 30), NOW);
    app.start(View::Sessions);
    settle(&mut app, store.as_ref());
    press(&mut app, KeyCode::Char('G'));
    press(&mut app, KeyCode::Char('s'));
    assert_eq!(app.sessions.sort.key, SessionSortKey::Duration);
    assert_eq!(app.sessions.selected, 0);
    let requests = app.take_requests();
    assert!(
        matches!(&requests[..], [r] if matches!(&r.query, Query::Sessions { sort, .. } if sort.key == SessionSortKey::Duration))
    );
    press(&mut app, KeyCode::Char('S'));
    assert!(!app.sessions.sort.descending);
    for _ in 0..SessionSortKey::ALL.len() - 1 {
        press(&mut app, KeyCode::Char('s'));
    }
    assert_eq!(app.sessions.sort.key, SessionSortKey::Start);

    press(&mut app, KeyCode::Char('5'));
    press(&mut app, KeyCode::Char('s'));
    assert_eq!(app.pages.sort.key, PageSortKey::Visitors);
}

#[test]
fn sessions_load_by_window_never_all_rows() {
    let mut app = App::new((100, 30), NOW);
    app.start(View::Sessions);
    let requests = app.take_requests();
    let Some(Query::Sessions { page, .. }) = requests.first().map(|r| r.query.clone()) else {
        panic!("a sessions query")
    };
    assert_eq!(page.offset, 0);
    assert_eq!(page.limit, tui::app::SESSION_WINDOW);
}

#[test]
fn filters_apply_to_every_view_and_show_as_chips() {
    let mut app = App::new((100, 30), NOW);
    app.start(View::Overview);
    app.take_requests();
    press(&mut app, KeyCode::Char('f'));
    assert!(matches!(app.popup, Popup::Filters { field: 0 }));
    press(&mut app, KeyCode::Enter); // device → desktop
    press(&mut app, KeyCode::Char('j')); // browser
    press(&mut app, KeyCode::Enter); // opens a prompt
    for c in "Firefox".chars() {
        press(&mut app, KeyCode::Char(c));
    }
    press(&mut app, KeyCode::Enter);
    assert!(matches!(app.popup, Popup::Filters { field: 1 }));
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.popup, Popup::None);
    assert_eq!(app.filter.device, Some(DeviceClass::Desktop));
    assert_eq!(app.filter.browser.as_deref(), Some("Firefox"));
    let chips = tui::app::chips(&app);
    assert!(chips.contains(&("device", "desktop".into())));
    assert!(chips.contains(&("browser", "Firefox".into())));
    // The overview reloaded with the filter; other views load with it later.
    let requests = app.take_requests();
    assert!(requests.iter().any(
        |r| matches!(&r.query, Query::Overview(f) if f.browser.as_deref() == Some("Firefox"))
    ));
    press(&mut app, KeyCode::Char('2'));
    let requests = app.take_requests();
    assert!(requests.iter().any(|r| matches!(&r.query, Query::Sessions { filter, .. } if filter.device == Some(DeviceClass::Desktop))));
    press(&mut app, KeyCode::Char('F'));
    assert_eq!(app.filter, Default::default());
}

#[test]
fn time_range_cycles_and_takes_custom_input() {
    let mut app = App::new((100, 30), NOW);
    app.start(View::Overview);
    assert_eq!(app.range, Range::Last(24 * 3_600_000));
    press(&mut app, KeyCode::Char('t'));
    assert_eq!(app.range, Range::Last(7 * 24 * 3_600_000));
    let requests = app.take_requests();
    let last = requests
        .iter()
        .rfind(|r| matches!(r.query, Query::Overview(_)))
        .map(|r| r.query.clone());
    assert!(
        matches!(last, Some(Query::Overview(f)) if f.range.from == Some(NOW - 7 * 24 * 3_600_000))
    );
    press(&mut app, KeyCode::Char('T'));
    for c in "nope".chars() {
        press(&mut app, KeyCode::Char(c));
    }
    press(&mut app, KeyCode::Enter);
    assert!(
        matches!(&app.popup, Popup::Prompt(p) if p.error.is_some()),
        "a bad range keeps the prompt open"
    );
    for _ in 0..4 {
        press(&mut app, KeyCode::Backspace);
    }
    for c in "3d".chars() {
        press(&mut app, KeyCode::Char(c));
    }
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.range, Range::Last(3 * 24 * 3_600_000));
    assert_eq!(app.popup, Popup::None);
}

#[test]
fn journey_steps_with_j_and_k_and_follows_the_page() {
    let fx = shop();
    let store = fx.reader();
    let mut app = App::new((100, 30), NOW);
    app.start(View::Sessions);
    settle(&mut app, store.as_ref());
    press(&mut app, KeyCode::Char('G'));
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.view, View::Journey);
    settle(&mut app, store.as_ref());
    assert_eq!(app.journey.step, 0);
    assert_eq!(app.journey.heat_page.as_deref(), Some("shop.example/"));
    for _ in 0..4 {
        press(&mut app, KeyCode::Char('j'));
    }
    settle(&mut app, store.as_ref());
    assert_eq!(app.journey.step, 4);
    assert_eq!(
        app.journey.heat_page.as_deref(),
        Some("shop.example/pricing")
    );
    assert!(app
        .journey
        .heat
        .data
        .as_ref()
        .is_some_and(|h| h.total_clicks > 0));
    press(&mut app, KeyCode::Char('k'));
    assert_eq!(app.journey.step, 3);
    press(&mut app, KeyCode::Char('G'));
    assert_eq!(app.journey.step, 7);
    press(&mut app, KeyCode::Char('j'));
    assert_eq!(app.journey.step, 7);
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.view, View::Sessions);
}

#[test]
fn heatmap_cross_filter_shows_the_sessions_that_clicked_a_page() {
    let fx = shop();
    let store = fx.reader();
    let mut app = App::new((100, 30), NOW);
    app.start(View::Heatmap);
    settle(&mut app, store.as_ref());
    press(&mut app, KeyCode::Char('j')); // the pricing page (second by clicks)
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.heat.focus, HeatFocus::Map);
    settle(&mut app, store.as_ref());
    assert_eq!(
        app.heat.current,
        Some(PagePattern::new("shop.example/pricing"))
    );
    let map = app
        .heat
        .map
        .data
        .clone()
        .unwrap_or_else(|| panic!("a heatmap"));
    assert_eq!(
        map.columns,
        tui::widgets::heatmap::HeatMode::Braille
            .columns_for(tui::views::heatmap::map_area(app.body()).width)
    );
    press(&mut app, KeyCode::Char('c'));
    assert_eq!(app.view, View::Sessions);
    assert_eq!(
        app.filter.clicked_page,
        Some(PagePattern::new("shop.example/pricing"))
    );
    settle(&mut app, store.as_ref());
    assert_eq!(
        app.sessions.total(),
        2,
        "alpha and charlie clicked on pricing"
    );
}

#[test]
fn heatmap_search_with_a_wildcard_offers_the_merged_pattern() {
    let fx = shop();
    let store = fx.reader();
    let mut app = App::new((100, 30), NOW);
    app.start(View::Heatmap);
    settle(&mut app, store.as_ref());
    press(&mut app, KeyCode::Char('/'));
    for c in "/p*".chars() {
        press(&mut app, KeyCode::Char(c));
    }
    press(&mut app, KeyCode::Enter);
    settle(&mut app, store.as_ref());
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.heat.current, Some(PagePattern::new("/p*")));
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.heat.focus, HeatFocus::Picker);
    assert_eq!(app.view, View::Heatmap);
}

#[test]
fn the_heatmap_comes_with_its_layout_and_o_toggles_the_wireframe_without_a_query() {
    let fx = shop();
    add_layouts(&fx, &[home_layout(T0)]);
    let store = fx.reader();
    let mut app = App::new((100, 30), NOW);
    app.start(View::Heatmap);
    settle(&mut app, store.as_ref());
    press(&mut app, KeyCode::Enter);
    settle(&mut app, store.as_ref());
    let version = home_layout(T0).layout.layout.fingerprint;
    assert_eq!(
        app.heat.layout().map(|l| l.layout.fingerprint),
        Some(version),
        "the newest layout of the map's segment, loaded with it"
    );
    assert!(app.heat.wireframe().is_some(), "shown by default");
    press(&mut app, KeyCode::Char('o'));
    assert!(app.heat.wireframe().is_none());
    assert!(app.take_requests().is_empty(), "nothing to fetch");
    press(&mut app, KeyCode::Char('o'));
    assert!(app.heat.wireframe().is_some());
    // Another page, without a layout: none is kept from the one before.
    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Char('j'));
    press(&mut app, KeyCode::Enter);
    settle(&mut app, store.as_ref());
    assert_eq!(
        app.heat.current,
        Some(PagePattern::new("shop.example/pricing"))
    );
    assert_eq!(app.heat.layout(), None);
}

#[test]
fn o_steps_to_older_layout_versions_without_a_query() {
    let fx = shop();
    // An older version of the home page: its heading lower down.
    let mut older = home_layout(T0 - 3_600_000);
    let layout = &older.layout.layout;
    let mut boxes = layout.boxes.clone();
    boxes[2].rect.y += 200;
    older.layout.layout = Layout::new(layout.viewport, layout.page, boxes);
    add_layouts(&fx, &[older.clone(), home_layout(T0)]);
    let store = fx.reader();
    let mut app = App::new((100, 30), NOW);
    app.start(View::Heatmap);
    settle(&mut app, store.as_ref());
    press(&mut app, KeyCode::Enter);
    settle(&mut app, store.as_ref());
    let drawn = |app: &App| app.heat.layout().map(|l| l.layout.fingerprint);
    let newest = home_layout(T0).layout.layout.fingerprint;
    assert_eq!(drawn(&app), Some(newest));
    assert_eq!(app.heat.versions.len(), 2);
    press(&mut app, KeyCode::Char('O'));
    assert_eq!(drawn(&app), Some(older.layout.layout.fingerprint));
    assert!(app.take_requests().is_empty(), "nothing to fetch");
    press(&mut app, KeyCode::Char('O'));
    assert_eq!(drawn(&app), Some(newest), "after the oldest, the newest");
}

#[test]
fn pages_enter_opens_the_heatmap() {
    let fx = shop();
    let store = fx.reader();
    let mut app = App::new((100, 30), NOW);
    app.start(View::Pages);
    settle(&mut app, store.as_ref());
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.view, View::Heatmap);
    assert_eq!(app.heat.current, Some(PagePattern::new("shop.example/")));
}

#[test]
fn mouse_clicks_select_rows_and_tabs_and_the_wheel_scrolls() {
    let fx = shop();
    let store = fx.reader();
    let mut app = App::new((100, 30), NOW);
    app.start(View::Sessions);
    settle(&mut app, store.as_ref());
    let rows = tui::views::sessions::rows_area(app.body());
    let click = |column, row| {
        Msg::Mouse(MouseEvent {
            kind: MouseEventKind::Down(MouseButton::Left),
            column,
            row,
            modifiers: KeyModifiers::NONE,
        })
    };
    send(&mut app, click(rows.x + 3, rows.y + 2));
    assert_eq!(app.sessions.selected, 2);
    send(&mut app, click(rows.x + 3, rows.y + 2));
    assert_eq!(
        app.view,
        View::Journey,
        "a click on the selected row opens it"
    );
    let wheel = Msg::Mouse(MouseEvent {
        kind: MouseEventKind::ScrollDown,
        column: 0,
        row: 10,
        modifiers: KeyModifiers::NONE,
    });
    assert_eq!(update(&mut app, wheel), Some(Msg::Action(Action::Down)));
    let tabs = tui::render::tabs(ratatui::layout::Rect::new(0, 0, 100, 30));
    let (view, rect) = tabs[4];
    send(&mut app, click(rect.x + 1, rect.y));
    assert_eq!(app.view, view);
}

#[test]
fn live_polls_the_change_token_and_only_then_the_tail() {
    let fx = shop();
    let store = fx.reader();
    let mut app = App::new((100, 30), NOW);
    app.start(View::Live);
    settle(&mut app, store.as_ref());
    assert_eq!(app.live.events.len(), 17);
    // Within the poll interval nothing is asked.
    send(&mut app, Msg::Tick(NOW + 100));
    assert!(app.take_requests().is_empty());
    send(&mut app, Msg::Tick(NOW + 600));
    let requests = app.take_requests();
    assert!(
        matches!(&requests[..], [r] if matches!(&r.query, Query::LivePoll { token: Some(_), cursor: Some(_) }))
    );
    // An unchanged token answers without a tail.
    let answer =
        tui::worker::execute(store.as_ref(), requests[0].query.clone()).map_err(|e| e.to_string());
    assert!(matches!(
        answer,
        Ok(tui::worker::Answer::Live { tail: None, .. })
    ));
    press(&mut app, KeyCode::Char('L'));
    assert!(!app.live.on);
}

#[test]
fn page_search_narrows_as_it_is_typed_and_esc_puts_it_back() {
    let fx = shop();
    let store = fx.reader();
    let mut app = App::new((100, 30), NOW);
    app.start(View::Pages);
    settle(&mut app, store.as_ref());
    let all = app.pages.rows.data.as_ref().map_or(0, Vec::len);
    assert!(all >= 3, "fixture pages: {all}");

    press(&mut app, KeyCode::Char('/'));
    for c in "pri".chars() {
        press(&mut app, KeyCode::Char(c));
    }
    // Applied before Enter: the list already shows only /pricing.
    assert_eq!(app.pages.search.as_deref(), Some("pri"));
    settle(&mut app, store.as_ref());
    let shown: Vec<String> = app
        .pages
        .rows
        .data
        .iter()
        .flatten()
        .map(|p| p.page.clone())
        .collect();
    assert_eq!(shown, ["shop.example/pricing"]);
    assert!(matches!(app.popup, Popup::Prompt(_)), "still typing");

    // Esc gives the whole list back.
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.pages.search, None);
    settle(&mut app, store.as_ref());
    assert_eq!(app.pages.rows.data.as_ref().map_or(0, Vec::len), all);

    // Enter keeps what was typed.
    press(&mut app, KeyCode::Char('/'));
    for c in "blog".chars() {
        press(&mut app, KeyCode::Char(c));
    }
    press(&mut app, KeyCode::Enter);
    settle(&mut app, store.as_ref());
    assert_eq!(app.pages.search.as_deref(), Some("blog"));
    assert!(matches!(app.popup, Popup::None));
    assert_eq!(app.pages.rows.data.as_ref().map_or(0, Vec::len), 1);
}

#[test]
fn the_page_list_loads_by_chunks_as_the_selection_goes_down() {
    let mut session = SessionBuilder::new("many", DeviceClass::Desktop, "Chrome", "Linux");
    let pages = tui::app::PAGES_LIMIT as i64 + 40;
    for i in 0..pages {
        session = session.view(T0 + i * 1_000, &format!("/p/{i:04}"), "Page", None);
    }
    let fx = fixture_with(vec![session.build()]);
    let store = fx.reader();
    let mut app = App::new((100, 30), NOW);
    app.start(View::Pages);
    settle(&mut app, store.as_ref());
    let loaded = |app: &App| app.pages.rows.data.as_ref().map_or(0, Vec::len);
    assert_eq!(
        loaded(&app),
        tui::app::PAGES_LIMIT as usize,
        "one chunk first"
    );
    press(&mut app, KeyCode::Char('G'));
    settle(&mut app, store.as_ref());
    assert_eq!(loaded(&app), pages as usize, "the rest after moving down");
    press(&mut app, KeyCode::Char('G'));
    settle(&mut app, store.as_ref());
    assert_eq!(app.pages.selected, pages as usize - 1);
    let rows = app.pages.rows.data.as_ref().expect("rows");
    let mut keys: Vec<&str> = rows.iter().map(|p| p.page.as_str()).collect();
    keys.sort_unstable();
    keys.dedup();
    assert_eq!(keys.len(), pages as usize, "no page twice");
}

#[test]
fn b_compares_with_a_typed_range_and_empty_goes_back_to_the_previous_period() {
    let mut app = App::new((100, 30), NOW);
    app.start(View::Overview);
    app.take_requests();
    let previous_range = |app: &mut App| {
        app.take_requests().into_iter().find_map(|r| match r.query {
            Query::PreviousOverview(filter) => Some(filter.range),
            _ => None,
        })
    };
    press(&mut app, KeyCode::Char('B'));
    assert!(matches!(app.popup, Popup::Prompt(_)));
    for c in "2026-01-01..2026-01-07".chars() {
        press(&mut app, KeyCode::Char(c));
    }
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.popup, Popup::None);
    let chosen = Range::parse("2026-01-01..2026-01-07").map(|r| r.resolve(NOW));
    assert_eq!(previous_range(&mut app), chosen);
    assert_eq!(app.compared_label(), "01-01 00:00 … 01-08 00:00");

    // A bad range keeps the prompt open with its error.
    press(&mut app, KeyCode::Char('B'));
    press(&mut app, KeyCode::Char('x'));
    press(&mut app, KeyCode::Enter);
    assert!(matches!(&app.popup, Popup::Prompt(p) if p.error.is_some()));
    press(&mut app, KeyCode::Backspace);
    // Empty: the previous period of the same length again.
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.popup, Popup::None);
    let range = Range::Last(24 * 3_600_000).resolve(NOW);
    assert_eq!(
        previous_range(&mut app),
        range.previous(NOW),
        "the day before the last day"
    );
    assert_eq!(app.compared_label(), "the period before");

    // C turns comparing off: nothing is asked for the period compared with.
    press(&mut app, KeyCode::Char('C'));
    assert_eq!(previous_range(&mut app), None);
}
