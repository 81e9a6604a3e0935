//! Strings stored with escape sequences, C0/C1 controls, bidi overrides and
//! zero-width characters never reach the terminal: neither in any view nor in
//! any subcommand's output.

mod common;

use common::*;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use shared::event::DeviceClass;
use shared::sanitize::is_forbidden;
use tui::app::{App, Msg, View};
use tui::cli::{Command, DotsArg, Format, HeatFormat, SegmentArg};
use tui::render::render;

const NASTY: &str = "A\u{1b}[31mred\u{1b}[0m\u{1b}]8;;http://evil\u{7}link\u{9b}2J\u{85}\u{202e}evil\u{2066}x\u{200b}y\u{feff}\u{0}z\r\nw";

fn nasty_fixture() -> Fixture {
    let mut b = SessionBuilder::new(&format!("s{NASTY}"), DeviceClass::Desktop, NASTY, NASTY)
        .view(T0, "/x", NASTY, Some(&format!("https://{NASTY}.example/")))
        .click(T0 + 1000, "/x", 100, 100, NASTY, NASTY)
        .custom(T0 + 2000, "/x", NASTY)
        .build();
    for e in &mut b.events {
        e.page_key = format!("shop.example/{NASTY}");
        e.url = format!("https://shop.example/{NASTY}");
    }
    let fixture = fixture_with(vec![b]);
    // The page's layout, its heading labelled with the string: drawn in the
    // wireframe under the heatmaps.
    let mut layout = home_layout(T0);
    layout.layout.page_key = format!("shop.example/{NASTY}");
    layout.layout.url = format!("https://shop.example/{NASTY}");
    for b in &mut layout.layout.layout.boxes {
        b.selector = format!("{}{NASTY}", b.selector);
        if b.label.is_some() {
            b.label = Some(NASTY.into());
        }
    }
    add_layouts(&fixture, &[layout]);
    fixture
}

fn assert_clean(text: &str, what: &str) {
    let bad: Vec<char> = text
        .chars()
        .filter(|c| is_forbidden(*c) && *c != '\n')
        .collect();
    assert!(
        bad.is_empty(),
        "{what}: forbidden characters {bad:?} in\n{text}"
    );
}

#[test]
fn no_view_draws_a_forbidden_character() {
    tui::text::force_utc();
    let fx = nasty_fixture();
    let store = fx.reader();
    for view in View::ALL {
        let mut app = App::new((120, 30), NOW);
        app.start(View::Sessions);
        settle(&mut app, store.as_ref());
        // Open the nasty session's journey, then the wanted view; in the
        // heatmap also open the page's map.
        send(
            &mut app,
            Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)),
        );
        settle(&mut app, store.as_ref());
        send(&mut app, Msg::Action(tui::keys::Action::Show(view)));
        settle(&mut app, store.as_ref());
        if view == View::Heatmap {
            send(
                &mut app,
                Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)),
            );
            settle(&mut app, store.as_ref());
        }
        if view == View::Funnel {
            // Steps come from the keyboard or a saved view: one naming the
            // nasty event, as a hand-edited file could.
            use shared::store::flow_query::FunnelStep;
            app.funnel.steps = vec![
                FunnelStep::Page(shared::page_key::PagePattern::new("/x")),
                FunnelStep::Event(NASTY.into()),
            ];
            send(&mut app, Msg::Action(tui::keys::Action::Refresh));
            settle(&mut app, store.as_ref());
        }
        let mut terminal = Terminal::new(TestBackend::new(120, 30)).expect("a test terminal");
        terminal.draw(|frame| render(&app, frame)).expect("draw");
        let buffer = terminal.backend().buffer().clone();
        let text: String = buffer.content.iter().map(|c| c.symbol()).collect();
        assert_clean(&text, view.title());
        assert!(
            text.contains("red"),
            "{}: the visible part of the string is shown",
            view.title()
        );
    }
}

#[test]
fn no_subcommand_prints_a_forbidden_character() {
    tui::text::force_utc();
    let fx = nasty_fixture();
    let store = fx.reader();
    let filter = shared::store::query::Filter::default();
    let mut commands = Vec::new();
    for format in [Format::Table, Format::Json, Format::Csv] {
        commands.push(Command::Overview {
            format,
            compare: None,
        });
        commands.push(Command::Sessions {
            limit: 10,
            offset: 0,
            sort: shared::store::query::SessionSortKey::Start,
            asc: false,
            format,
        });
        commands.push(Command::Journey {
            session_id: format!("s{NASTY}"),
            format,
        });
        commands.push(Command::Pages {
            page: None,
            sort: shared::store::query::PageSortKey::Views,
            asc: false,
            limit: 10,
            format,
        });
        commands.push(Command::Events {
            limit: 10,
            offset: 0,
            format,
        });
        commands.push(Command::Paths {
            from: None,
            to: None,
            depth: 4,
            branches: 10,
            format,
        });
        commands.push(Command::Funnel {
            steps: ["page:/**", "event:x"]
                .iter()
                .map(|s| shared::store::flow_query::FunnelStep::parse(s).expect("a step"))
                .collect(),
            within: None,
            format,
        });
    }
    for format in [HeatFormat::Text, HeatFormat::Json] {
        commands.push(Command::Heatmap {
            page: "/**".into(),
            width: 40,
            segment: SegmentArg::All,
            dots: DotsArg::Braille,
            format,
            layout_version: None,
            compare: None,
        });
    }
    for command in &commands {
        let mut out = Vec::new();
        tui::output::run(store.as_ref(), command, &filter, &mut out)
            .unwrap_or_else(|e| panic!("{command:?}: {e}"));
        let text = String::from_utf8(out).expect("utf-8 output");
        assert_clean(&text, &format!("{command:?}"));
        if matches!(
            command,
            Command::Heatmap {
                format: HeatFormat::Text,
                ..
            }
        ) {
            assert!(
                text.contains("╌ fold ╌") && text.contains("[A[31mred"),
                "the wireframe and its label are drawn:\n{text}"
            );
        }
        if !matches!(
            command,
            Command::Overview {
                format: Format::Csv,
                ..
            } | Command::Funnel { .. }
        ) {
            assert!(
                text.contains("red"),
                "{command:?} prints the visible part:\n{text}"
            );
        }
    }
}
