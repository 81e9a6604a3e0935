//! MongoDB write benchmark: events per second through `MongoWriter::append`
//! against the server named by `MONGODB_URI`, without HTTP, for the same
//! group commits as the SQLite `append` benchmark. Each run writes to a fresh
//! database, dropped afterwards. Prints figures; asserts nothing.
//!
//! ```text
//! MONGODB_URI=mongodb://127.0.0.1:27017 cargo bench -p shared --bench mongo_append
//! ```

use shared::store::mongo::MongoWriter;
use testkit::mongo::{drop_database, with_database};
use testkit::workload;

fn run(uri: &str, label: &str, batches_per_commit: usize, events_per_batch: usize, commits: usize) {
    let name = format!(
        "analytics_bench_{}_{batches_per_commit}_{events_per_batch}",
        std::process::id()
    );
    let mut writer = MongoWriter::open(&with_database(uri, &name)).expect("open");
    workload::run(
        &mut writer,
        label,
        batches_per_commit,
        events_per_batch,
        commits,
    );
    drop(writer);
    drop_database(uri, &name).expect("drop the database");
}

fn main() {
    let Some(uri) = std::env::var("MONGODB_URI")
        .ok()
        .filter(|u| !u.trim().is_empty())
    else {
        println!("skipped: no MongoDB (set MONGODB_URI=mongodb://HOST:PORT to run)");
        return;
    };
    run(&uri, "64 single-event batches per commit", 64, 1, 100);
    run(&uri, "64 batches of 20 events per commit", 64, 20, 20);
    run(&uri, "1 single-event batch per commit", 1, 1, 300);
}
