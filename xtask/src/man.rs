//! Man pages: `ingestd(8)`, `analytics-tui(1)` and one `analytics-tui-SUB(1)`
//! per subcommand (the main page lists them under that name, as git's and
//! cargo's pages do). clap_mangen renders the name, synopsis, description and
//! every option with its environment variable; the sections clap does not
//! know about (files, signals, the console's keys) are added here, the keys
//! from the same table that drives the console's footer and help.

use crate::Generated;
use clap::CommandFactory;
use clap_mangen::Man;
use roff::{bold, italic, roman, Roff};
use std::path::PathBuf;

/// Where the package puts what the pages mention.
pub const DEFAULT_FILE: &str = "/etc/default/ingestd";
pub const STATE_DIRECTORY: &str = "/var/lib/ingestd";
pub const UNIT: &str = "ingestd.service";
/// Where the console keeps its saved views.
pub const VIEWS_FILE: &str = "~/.config/analytics-tui/views.toml";

/// Every page, as `man/NAME.SECTION`.
pub fn pages() -> anyhow::Result<Vec<Generated>> {
    let mut pages = vec![ingestd()?];
    pages.extend(analytics_tui()?);
    Ok(pages)
}

fn ingestd() -> anyhow::Result<Generated> {
    let man = Man::new(ingestd::Config::command())
        .section("8")
        .manual("System Administration");
    let mut page = render(&man)?;
    let mut extra = Roff::new();
    extra.control("SH", ["SIGNALS"]);
    extra.text([roman(
        "SIGINT or SIGTERM stops ingestd gracefully: it stops accepting \
         connections, finishes open requests, commits everything queued, and exits 0.",
    )]);
    extra.control("SH", ["FILES"]);
    definition(
        &mut extra,
        DEFAULT_FILE,
        "Settings for the service, as KEY=value lines of the environment \
         variables above (read by the systemd unit).",
    );
    definition(
        &mut extra,
        &format!("{STATE_DIRECTORY}/analytics.db"),
        "The database of the service (systemd keeps it under /var/lib/private/ingestd, \
         readable by root).",
    );
    definition(
        &mut extra,
        &format!("/usr/lib/systemd/system/{UNIT}"),
        "The hardened systemd unit: systemctl enable --now ingestd.",
    );
    extra.control("SH", ["SEE ALSO"]);
    extra.text([
        bold("analytics-tui"),
        roman("(1), "),
        bold("systemd.exec"),
        roman("(5), "),
        bold("systemctl"),
        roman("(1)"),
    ]);
    page.push_str(&extra.to_roff());
    Ok(man_file(&man, page))
}

fn analytics_tui() -> anyhow::Result<Vec<Generated>> {
    let mut command = tui::cli::Cli::command().disable_help_subcommand(true);
    // Building names each subcommand `analytics-tui-SUB` and propagates the
    // global options (`--db`, the filters) to it.
    command.build();
    let man = Man::new(command.clone());
    let mut page = render(&man)?;
    page.push_str(&keys_section().to_roff());
    page.push_str(&console_files().to_roff());
    let mut pages = vec![man_file(&man, page)];
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
        let man = Man::new(sub.clone());
        let mut page = render(&man)?;
        let mut see_also = Roff::new();
        see_also.control("SH", ["SEE ALSO"]);
        see_also.text([bold("analytics-tui"), roman("(1)")]);
        page.push_str(&see_also.to_roff());
        pages.push(man_file(&man, page));
    }
    Ok(pages)
}

/// The console's keys, from `tui::keys::BINDINGS`.
fn keys_section() -> Roff {
    let mut keys = Roff::new();
    keys.control("SH", ["KEYS"]);
    keys.text([roman("In the interactive console (no subcommand):")]);
    for binding in tui::keys::BINDINGS {
        keys.control("TP", []);
        keys.text([bold(binding.label)]);
        keys.text([roman(binding.help)]);
    }
    keys
}

/// The files the console reads besides the database.
fn console_files() -> Roff {
    let mut files = Roff::new();
    files.control("SH", ["FILES"]);
    definition(
        &mut files,
        VIEWS_FILE,
        "Saved views (v lists them, V saves one), in TOML; under $XDG_CONFIG_HOME \
         when it is set. --views-file or ANALYTICS_VIEWS_FILE names another file.",
    );
    files
}

/// A `.TP` paragraph: a term in italics, then its description.
fn definition(roff: &mut Roff, term: &str, text: &str) {
    roff.control("TP", []);
    roff.text([italic(term)]);
    roff.text([roman(text)]);
}

fn render(man: &Man) -> anyhow::Result<String> {
    let mut bytes = Vec::new();
    man.render(&mut bytes)?;
    Ok(String::from_utf8(bytes)?)
}

fn man_file(man: &Man, page: String) -> Generated {
    Generated {
        path: PathBuf::from("man").join(man.get_filename()),
        contents: page.into_bytes(),
    }
}
