//! The command line: the interactive console by default, subcommands for the
//! same queries without it, and `demo`.

use crate::filters::{parse_span, Range};
use clap::{Args, Parser, Subcommand, ValueEnum};
use shared::event::DeviceClass;
use shared::page_key::PagePattern;
use shared::store::flow_query::FunnelStep;
use shared::store::query::{Filter, PageSortKey, SessionSortKey, WidthSegment};

/// analytics-tui: self-hosted user analytics in the terminal — sessions,
/// journeys, click heatmaps and live events.
#[derive(Debug, Parser)]
#[command(name = "analytics-tui", version, about)]
pub struct Cli {
    /// Database: `sqlite:PATH`, a file path, or `mongodb://…`. Defaults to
    /// analytics.db in the user's data directory.
    #[arg(long, env = shared::store::DB_ENV, global = true)]
    pub db: Option<String>,

    /// Open the console on this saved view (`v` lists them, `V` saves one);
    /// filters given as flags apply on top of the view's.
    #[arg(long, global = true, value_name = "NAME")]
    pub view: Option<String>,

    /// The saved views file. Defaults to analytics-tui/views.toml in the
    /// user's configuration directory ($XDG_CONFIG_HOME, else ~/.config).
    #[arg(long, env = crate::saved_views::VIEWS_FILE_ENV, global = true, value_name = "PATH")]
    pub views_file: Option<std::path::PathBuf>,

    #[command(flatten)]
    pub filters: FilterArgs,

    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Conditions shared by the console and every subcommand.
#[derive(Debug, Clone, Default, Args)]
pub struct FilterArgs {
    /// Time range: 15m, 1h, 24h, 7d, 30d, all, or YYYY-MM-DD..YYYY-MM-DD
    /// (console default 24h; subcommands default to all).
    #[arg(long, global = true, value_parser = parse_range)]
    pub since: Option<Range>,
    /// Only this site key.
    #[arg(long, global = true)]
    pub site: Option<String>,
    /// desktop, tablet, mobile, tv, bot or unknown.
    #[arg(long, global = true, value_parser = parse_device)]
    pub device: Option<DeviceClass>,
    /// Browser name, e.g. Chrome.
    #[arg(long, global = true)]
    pub browser: Option<String>,
    /// Referrer host, or `direct`.
    #[arg(long, global = true)]
    pub referrer: Option<String>,
    /// Sessions that entered on pages matching this pattern.
    #[arg(long, global = true)]
    pub entry_page: Option<String>,
    /// Sessions at least this long: 30s, 5m, 1h.
    #[arg(long, global = true, value_parser = parse_duration)]
    pub min_duration: Option<i64>,
    /// Sessions with at least this many events.
    #[arg(long, global = true)]
    pub min_events: Option<u32>,
    /// Only bounced sessions (one page view).
    #[arg(long, global = true)]
    pub bounced: bool,
    /// Only sessions with rage clicks.
    #[arg(long, global = true)]
    pub rage: bool,
    /// Sessions that clicked on pages matching this pattern.
    #[arg(long, global = true)]
    pub clicked_page: Option<String>,
    /// Only sessions with quick backs (a page left and returned to within 10 s).
    #[arg(long, global = true)]
    pub quick_backs: bool,
    /// Only dead-end sessions (ended within 10 s of a rage click).
    #[arg(long, global = true)]
    pub dead_end: bool,
}

fn parse_range(text: &str) -> Result<Range, String> {
    Range::parse(text).ok_or_else(|| {
        format!("{text:?} is not a time range (15m, 24h, 7d, all, 2025-01-01..2025-01-31)")
    })
}

fn parse_device(text: &str) -> Result<DeviceClass, String> {
    DeviceClass::parse(text).ok_or_else(|| {
        format!("{text:?} is not a device (desktop, tablet, mobile, tv, bot, unknown)")
    })
}

fn parse_duration(text: &str) -> Result<i64, String> {
    parse_span(text).ok_or_else(|| format!("{text:?} is not a duration (30s, 5m, 1h)"))
}

impl FilterArgs {
    /// The filter without its range.
    pub fn conditions(&self) -> Filter {
        Filter {
            site: self.site.clone(),
            range: Default::default(),
            device: self.device,
            browser: self.browser.clone(),
            referrer: self.referrer.clone(),
            entry_page: self.entry_page.as_deref().map(PagePattern::new),
            min_duration_ms: self.min_duration,
            min_events: self.min_events,
            bounced: self.bounced.then_some(true),
            has_rage_clicks: self.rage.then_some(true),
            clicked_page: self.clicked_page.as_deref().map(PagePattern::new),
            has_quick_backs: self.quick_backs.then_some(true),
            dead_end: self.dead_end.then_some(true),
            sessions: None,
        }
    }

    /// The full filter at time `now` (all time without `--since`).
    pub fn filter(&self, now: i64) -> Filter {
        let mut filter = self.conditions();
        filter.range = self.since.unwrap_or(Range::All).resolve(now);
        filter
    }
}

/// Output formats of the tabular subcommands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Format {
    #[default]
    Table,
    Json,
    Csv,
}

/// Output formats of `heatmap`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum HeatFormat {
    /// Shaded characters, no colour.
    #[default]
    Text,
    /// Coloured with ANSI escape sequences.
    Ansi,
    Json,
}

/// Segments as a command-line value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum SegmentArg {
    #[default]
    All,
    Desktop,
    Tablet,
    Mobile,
}

impl From<SegmentArg> for WidthSegment {
    fn from(s: SegmentArg) -> Self {
        match s {
            SegmentArg::All => WidthSegment::All,
            SegmentArg::Desktop => WidthSegment::Desktop,
            SegmentArg::Tablet => WidthSegment::Tablet,
            SegmentArg::Mobile => WidthSegment::Mobile,
        }
    }
}

/// Drawing of `heatmap`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum DotsArg {
    #[default]
    Braille,
    Half,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Headline figures, the time series and top lists.
    Overview {
        #[arg(long, value_enum, default_value_t)]
        format: Format,
        /// Also the figures of `previous` (the period of the same length
        /// just before --since) or of a range (24h, 7d, 2025-01-01..2025-01-31).
        #[arg(long, value_parser = parse_compare)]
        compare: Option<Compare>,
    },
    /// The most common paths from a page (or from each session's entry page),
    /// or with --to the paths that lead to a page.
    Paths {
        /// Start page pattern (`/pricing`, `/product/*`); default: the entry page.
        #[arg(long, conflicts_with = "to")]
        from: Option<String>,
        /// The paths that lead to pages matching this pattern.
        #[arg(long)]
        to: Option<String>,
        /// Pages per path, the start included.
        #[arg(long, default_value_t = shared::store::flow_query::DEFAULT_DEPTH, value_parser = clap::value_parser!(u32).range(1..=20))]
        depth: u32,
        /// Branches kept under each page, the most followed first.
        #[arg(long, default_value_t = shared::store::flow_query::DEFAULT_BRANCHES, value_parser = clap::value_parser!(u32).range(1..=100))]
        branches: u32,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// How many sessions go through ordered steps, and where they drop off.
    Funnel {
        /// A step: page:PATTERN or event:NAME (repeat, in order; 2 to 20 steps).
        #[arg(long = "step", required = true, num_args = 1, value_parser = parse_funnel_step)]
        steps: Vec<FunnelStep>,
        /// Longest time from the first step to the last: 30m, 2h.
        #[arg(long, value_parser = parse_duration)]
        within: Option<i64>,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// The session list, a page at a time.
    Sessions {
        #[arg(long, default_value_t = 50)]
        limit: u32,
        #[arg(long, default_value_t = 0)]
        offset: u64,
        /// start, duration, events, pages, clicks, entry, exit, device,
        /// browser, referrer, rage_clicks, frustration.
        #[arg(long, default_value = "start", value_parser = parse_session_sort)]
        sort: SessionSortKey,
        /// Ascending instead of descending.
        #[arg(long)]
        asc: bool,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// One session's events in order.
    Journey {
        session_id: String,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Page keys with views, visitors, clicks, scroll depth and rage clicks.
    Pages {
        /// Only pages matching this pattern (`/path`, `host/path`, `*`, `**`).
        #[arg(long)]
        page: Option<String>,
        /// page, views, visitors, clicks, scroll_depth, rage_clicks.
        #[arg(long, default_value = "views", value_parser = parse_page_sort)]
        sort: PageSortKey,
        #[arg(long)]
        asc: bool,
        #[arg(long, default_value_t = 100)]
        limit: u32,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// The click heatmap of the pages matching a pattern.
    Heatmap {
        #[arg(long)]
        page: String,
        /// Width in terminal columns.
        #[arg(long, default_value_t = 80)]
        width: u16,
        #[arg(long, value_enum, default_value_t)]
        segment: SegmentArg,
        #[arg(long, value_enum, default_value_t)]
        dots: DotsArg,
        #[arg(long, value_enum, default_value_t)]
        format: HeatFormat,
        /// The layout version to draw over (the `version` of `--format
        /// json`'s `layout`); by default the newest of the segment.
        #[arg(long, value_parser = crate::heat_layout::parse_version)]
        layout_version: Option<shared::layout::Fingerprint>,
        /// Compare with `previous` (the period of the same length just
        /// before --since) or a range (24h, 7d, 2025-01-01..2025-01-31): the
        /// change of each cell's share of the clicks, on the same grid and
        /// layout, and the elements whose share moved most.
        #[arg(long, value_parser = parse_compare)]
        compare: Option<Compare>,
    },
    /// Raw stored events in time order (`--format json`: one object per line).
    Events {
        #[arg(long, default_value_t = 100)]
        limit: u32,
        #[arg(long, default_value_t = 0)]
        offset: u64,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Deletes everything stored of one visitor of the site given by
    /// `--site`: their sessions, events and their share of every figure.
    /// The only subcommand that writes.
    DeleteVisitor {
        /// The visitor id, as `sessions --format json` shows it.
        visitor_id: String,
    },
    /// Runs ingestd in-process with simulated traffic and opens the live console.
    Demo {
        /// Port on 127.0.0.1 (a free one if taken).
        #[arg(long, default_value_t = 4000)]
        port: u16,
        /// Simulated sessions per minute (0: none; click the demo site yourself).
        #[arg(long, default_value_t = 40)]
        rate: u32,
        /// Simulated sessions per weekday in the two weeks of history written
        /// into an empty database on the first run (0: none).
        #[arg(long, default_value_t = crate::backfill::SESSIONS_PER_DAY)]
        history: u32,
    },
}

/// What `--compare` compares with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compare {
    /// The period of the same length just before the range.
    Previous,
    /// Any range.
    Range(Range),
}

fn parse_compare(text: &str) -> Result<Compare, String> {
    if text.trim().eq_ignore_ascii_case("previous") {
        return Ok(Compare::Previous);
    }
    Range::parse(text).map(Compare::Range).ok_or_else(|| {
        format!("{text:?} is neither `previous` nor a time range (24h, 7d, 2025-01-01..2025-01-31)")
    })
}

fn parse_funnel_step(text: &str) -> Result<FunnelStep, String> {
    FunnelStep::parse(text)
}

fn parse_session_sort(text: &str) -> Result<SessionSortKey, String> {
    serde_json::from_value(serde_json::Value::String(text.replace('-', "_")))
        .map_err(|_| format!("{text:?} is not a session column"))
}

fn parse_page_sort(text: &str) -> Result<PageSortKey, String> {
    serde_json::from_value(serde_json::Value::String(text.replace('-', "_")))
        .map_err(|_| format!("{text:?} is not a page column"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_filters_and_subcommands() {
        let cli = Cli::try_parse_from([
            "analytics-tui",
            "sessions",
            "--limit",
            "5",
            "--sort",
            "rage-clicks",
            "--device",
            "mobile",
            "--since",
            "7d",
            "--bounced",
        ]);
        let cli = cli.unwrap_or_else(|e| panic!("{e}"));
        let filter = cli.filters.filter(10 * 86_400_000);
        assert_eq!(filter.device, Some(DeviceClass::Mobile));
        assert_eq!(filter.bounced, Some(true));
        assert_eq!(filter.range.from, Some(3 * 86_400_000));
        assert!(matches!(
            cli.command,
            Some(Command::Sessions {
                limit: 5,
                sort: SessionSortKey::RageClicks,
                ..
            })
        ));
        assert!(Cli::try_parse_from(["analytics-tui", "--since", "soon"]).is_err());
    }

    #[test]
    fn takes_a_saved_view_and_its_file() {
        let cli = Cli::try_parse_from([
            "analytics-tui",
            "--view",
            "mobile rage",
            "--views-file",
            "/tmp/v.toml",
        ]);
        let cli = cli.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(cli.view.as_deref(), Some("mobile rage"));
        assert_eq!(
            cli.views_file.as_deref(),
            Some(std::path::Path::new("/tmp/v.toml"))
        );
        let cli = Cli::try_parse_from(["analytics-tui", "demo", "--view", "x"]);
        let cli = cli.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(cli.view.as_deref(), Some("x"));
    }

    #[test]
    fn device_takes_tv() {
        let cli = Cli::try_parse_from(["analytics-tui", "sessions", "--device", "tv"]);
        let cli = cli.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(cli.filters.filter(0).device, Some(DeviceClass::Tv));
        assert!(Cli::try_parse_from(["analytics-tui", "--device", "fridge"]).is_err());
    }
}
