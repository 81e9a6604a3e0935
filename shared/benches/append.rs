//! Store write benchmark: events per second through `SqliteWriter::append`,
//! without HTTP, for group commits of single-event batches and of 20-event
//! batches, then a crowd of clicks on one spot (rage judging's worst case a
//! client can send). Prints figures; asserts nothing.
//!
//! ```text
//! cargo bench -p shared --bench append
//! ```

use shared::store::sqlite::SqliteWriter;
use testkit::workload;

fn run(label: &str, batches_per_commit: usize, events_per_batch: usize, commits: usize) {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut writer = SqliteWriter::open(&dir.path().join("bench.db")).expect("open");
    workload::run(
        &mut writer,
        label,
        batches_per_commit,
        events_per_batch,
        commits,
    );
}

fn main() {
    run("64 single-event batches per commit", 64, 1, 400);
    run("64 batches of 20 events per commit", 64, 20, 60);
    run("1 single-event batch per commit", 1, 1, 2000);
    let dir = tempfile::tempdir().expect("temp dir");
    let mut writer = SqliteWriter::open(&dir.path().join("crowd.db")).expect("open");
    workload::crowd(&mut writer, "crowd: 8 x 500 clicks on one spot", 8);
}
