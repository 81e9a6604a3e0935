//! `analytics-tui delete-visitor`: the real binary removes one visitor of one
//! site from a real database file and leaves everyone else alone.

mod common;

use common::*;
use serde_json::Value;
use shared::event::DeviceClass;
use std::process::{Command, Output};

fn run(db: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_analytics-tui"))
        .arg("--db")
        .arg(db)
        .args(args)
        .env_remove("ANALYTICS_DB")
        .output()
        .expect("run analytics-tui")
}

fn visitors(db: &std::path::Path) -> Vec<String> {
    let out = run(db, &["sessions", "--format", "json", "--limit", "100"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Value = serde_json::from_slice(&out.stdout).expect("sessions JSON");
    let mut ids: Vec<String> = rows
        .as_array()
        .or_else(|| rows["rows"].as_array())
        .expect("a list of sessions")
        .iter()
        .map(|s| s["visitor_id"].as_str().unwrap_or_default().to_owned())
        .collect();
    ids.sort();
    ids
}

#[test]
fn deletes_one_visitor_and_nothing_else() {
    let session = |id: &str, start: i64| {
        SessionBuilder::new(id, DeviceClass::Desktop, "Chrome", "Linux")
            .view(start, "/", "Home", None)
            .click(start + 1_000, "/", 100, 200, "#buy", "Buy")
            .view(start + 5_000, "/pricing", "Pricing", None)
            .build()
    };
    let fixture = fixture_with(vec![session("a", T0), session("b", T0 + 60_000)]);
    let db = fixture.path.as_path();
    assert_eq!(visitors(db), ["v-a", "v-b"]);

    let out = run(db, &["delete-visitor", "--site", "demo", "v-a"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "deleted 3 events of visitor v-a on site demo"
    );
    assert_eq!(visitors(db), ["v-b"]);
    let journey = run(db, &["journey", "a", "--format", "json"]);
    assert!(
        !journey.status.success(),
        "the journey of a deleted session is gone"
    );

    // Again: nothing left; another site's visitor with that id is untouched.
    let out = run(db, &["delete-visitor", "--site", "other", "v-b"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("deleted 0 events"));
    assert_eq!(visitors(db), ["v-b"]);
}

#[test]
fn needs_a_site_and_an_existing_database() {
    let fixture = fixture_with(Vec::new());
    let out = run(&fixture.path, &["delete-visitor", "v-a"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--site"));

    let missing = fixture.dir.path().join("nope.db");
    let out = run(&missing, &["delete-visitor", "--site", "demo", "v-a"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no database"));
    assert!(!missing.exists(), "a missing database is not created");
}
