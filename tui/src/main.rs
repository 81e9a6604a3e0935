//! `analytics-tui`: the console (default), query subcommands, and `demo`.
//! See the library's documentation for how the pieces fit.

#![forbid(unsafe_code)]

use anyhow::{bail, Context, Result};
use clap::Parser;
use shared::store::DbUrl;
use std::io::Write;
use tui::app::View;
use tui::cli::{Cli, Command};
use tui::runtime::{self, Options};
use tui::saved_views::{self, Book};
use tui::worker::Source;

fn main() {
    if let Err(error) = run() {
        let message = format!("{error:#}");
        eprintln!("analytics-tui: {}", tui::text::safe(&message));
        std::process::exit(1);
    }
}

fn run() -> Result<()> {
    let cli = Cli::parse();
    let db = DbUrl::resolve(cli.db.as_deref())?;
    match cli.command {
        None => runtime::run(
            Source::Url(db.clone()),
            console_options(&cli, View::Overview, db.to_string())?,
        ),
        Some(Command::Demo {
            port,
            rate,
            history,
        }) => {
            let console = Options {
                // The demo opens on the default range, whatever `--since` says.
                range: None,
                ..console_options(&cli, View::Live, String::new())?
            };
            tui::demo::run(db, port, rate, history, console)
        }
        Some(_) if cli.view.is_some() => {
            bail!("--view opens a saved view in the console; the subcommands take their filters as flags")
        }
        Some(Command::DeleteVisitor { visitor_id }) => {
            let site = cli
                .filters
                .site
                .context("delete-visitor needs the visitor's site: --site KEY")?;
            if let DbUrl::Sqlite(path) = &db {
                if !path.exists() {
                    return Err(shared::store::StoreError::NotFound(path.clone()).into());
                }
            }
            let progress = tui::progress::reporter();
            let mut writer = db.open_writer_reporting(progress.as_ref())?;
            let events = writer.delete_visitor_reporting(&site, &visitor_id, progress.as_ref())?;
            println!(
                "deleted {events} events of visitor {} on site {}",
                tui::text::safe(&visitor_id),
                tui::text::safe(&site)
            );
            Ok(())
        }
        Some(command) => {
            let store = db.open_reader()?;
            let filter = cli.filters.filter(shared::now_ms());
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            match tui::output::run(store.as_ref(), &command, &filter, &mut out) {
                Err(e) if is_broken_pipe(&e) => return Ok(()),
                other => other?,
            }
            match out.flush() {
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                other => other.context("cannot write the output"),
            }
        }
    }
}

/// How the console starts: the command line's filters, and the saved views
/// file. The view `--view` names is checked here, so that a wrong name or a
/// file that does not parse stops before the terminal is taken, with the
/// reason (the names there are, or the line at fault).
fn console_options(cli: &Cli, view: View, source: String) -> Result<Options> {
    let views: Option<Book> =
        saved_views::location(cli.views_file.as_deref()).map(|path| saved_views::load(&path));
    if let Some(name) = &cli.view {
        let Some(book) = &views else {
            bail!("no configuration directory to find saved views in: set XDG_CONFIG_HOME or pass --views-file");
        };
        book.select(name).map_err(anyhow::Error::msg)?;
    }
    Ok(Options {
        view,
        filter: cli.filters.conditions(),
        range: cli.filters.since,
        source,
        views,
        open: cli.view.clone(),
    })
}

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error
        .downcast_ref::<std::io::Error>()
        .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
}
