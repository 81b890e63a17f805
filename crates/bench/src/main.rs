//! `fieldaudit-bench`: FieldAudit's performance harness.
//!
//! One run measures, on this machine, what FieldAudit exists for — saving answers,
//! pushing and pulling change logs through a real server over loopback HTTP, a
//! no-op sync against a long history, many devices at once, bytes on the wire and
//! peak memory — each next to a raw-SQLite baseline of the same rows measured in
//! the same run. It prints a table and, with `--json FILE`, writes the rows as JSON.
//! A scenario that fails makes the run exit non-zero (the CI smoke run relies on it).
//!
//! The server is the real `fieldaudit-server` binary run as a child process (so its
//! peak memory can be read from `/proc/<pid>/status`); devices are real
//! `fieldaudit-core` data directories synced with `fieldaudit_core::sync::sync`,
//! the big syncs in a child process of this binary (hidden `device-sync`
//! subcommand) so that the device's peak memory is its own.
//! See BENCHMARKS.md at the repository root for how to run it and the results.

mod baseline;
mod data;
mod office;
mod report;
mod report_pdf;
mod scenarios;
mod scoped;
mod server;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

/// FieldAudit performance harness.
#[derive(Parser)]
#[command(name = "fieldaudit-bench", version, about)]
struct Cli {
    /// Preset sizes: `tiny` (smoke run, seconds) or `full` (the sizes BENCHMARKS.md reports).
    #[arg(long, value_enum, default_value = "full")]
    scale: Scale,
    /// Answers saved in scenario 1 (overrides the preset).
    #[arg(long)]
    answers: Option<usize>,
    /// Field changes pushed and pulled in scenarios 2–4 (overrides the preset).
    #[arg(long)]
    changes: Option<usize>,
    /// Large history for the no-op sync of scenario 5 (overrides the preset).
    #[arg(long)]
    history: Option<usize>,
    /// Small history for the no-op sync of scenario 5 (overrides the preset).
    #[arg(long)]
    small_history: Option<usize>,
    /// Team devices of scenario 6, a multiple of 5 (teams of five; overrides the preset).
    #[arg(long)]
    devices: Option<usize>,
    /// Reviewer devices of scenario 6, which receive every audit (overrides the preset).
    #[arg(long)]
    reviewers: Option<usize>,
    /// Audits in scenario 12's large organisation (overrides the preset).
    #[arg(long)]
    big_org_audits: Option<usize>,
    /// Syncs per device in scenario 6 (overrides the preset).
    #[arg(long)]
    rounds: Option<usize>,
    /// Also run scenarios 2–4 and 6 on this PostgreSQL server (a fresh database is
    /// created on it and dropped afterwards), e.g. postgres://postgres@127.0.0.1:5432/postgres.
    #[arg(long, env = "FIELDAUDIT_TEST_DATABASE_URL")]
    database_url: Option<String>,
    /// Skip PostgreSQL even when FIELDAUDIT_TEST_DATABASE_URL is set.
    #[arg(long)]
    no_postgres: bool,
    /// The `fieldaudit-server` binary (default: next to this binary, then under
    /// $CARGO_TARGET_DIR or ./target, release before debug).
    #[arg(long, env = "FIELDAUDIT_SERVER_BIN")]
    server_bin: Option<PathBuf>,
    /// Write the results as JSON to this file.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Audits on the office device of scenario 10 (overrides the preset).
    #[arg(long)]
    office_audits: Option<usize>,
    /// Run only these scenarios (numbers 1–12, comma-separated); default all.
    #[arg(long, value_delimiter = ',')]
    only: Vec<u32>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// (internal) Runs one sync of a device data directory and prints timings and
    /// peak memory as JSON; the harness runs it as a child process.
    #[command(hide = true)]
    DeviceSync {
        /// The device's data directory.
        dir: PathBuf,
    },
}

/// Preset sizes.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Scale {
    /// A few seconds in total: the CI smoke run.
    Tiny,
    /// The sizes of the issue: 10k answers, 100k changes, 1M history, 200 devices.
    Full,
}

/// The sizes of one run.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Sizes {
    /// Scenario 1.
    pub answers: usize,
    /// Scenarios 2–4, 8, 9.
    pub changes: usize,
    /// Scenario 5, large history.
    pub history: usize,
    /// Scenario 5, small history.
    pub small_history: usize,
    /// Scenario 6: team devices (teams of five).
    pub devices: usize,
    /// Scenario 6: reviewer devices (receive everything).
    pub reviewers: usize,
    /// Scenario 6: audits per team.
    pub team_audits: usize,
    /// Scenario 6: syncs per device.
    pub rounds: usize,
    /// Scenario 6: answers written before each sync (4 changes each).
    pub batch_answers: usize,
    /// Scenario 10: audits on the office device (200 answers, 10 findings each).
    pub office_audits: usize,
    /// Scenario 12: audits of the small organisation.
    pub small_org_audits: usize,
    /// Scenario 12: audits of the large organisation.
    pub big_org_audits: usize,
    /// Scenario 12: answers per audit.
    pub org_answers: usize,
}

impl Sizes {
    fn from(cli: &Cli) -> Sizes {
        let base = match cli.scale {
            Scale::Tiny => Sizes { answers: 200, changes: 2_000, history: 10_000, small_history: 1_000, devices: 10, reviewers: 1, team_audits: 2, rounds: 3, batch_answers: 5, office_audits: 50, small_org_audits: 20, big_org_audits: 400, org_answers: 3 },
            Scale::Full => Sizes { answers: 10_000, changes: 100_000, history: 1_000_000, small_history: 10_000, devices: 200, reviewers: 3, team_audits: 2, rounds: 5, batch_answers: 5, office_audits: 5_000, small_org_audits: 100, big_org_audits: 10_000, org_answers: 10 },
        };
        Sizes {
            answers: cli.answers.unwrap_or(base.answers),
            changes: cli.changes.unwrap_or(base.changes),
            history: cli.history.unwrap_or(base.history),
            small_history: cli.small_history.unwrap_or(base.small_history),
            devices: cli.devices.unwrap_or(base.devices),
            reviewers: cli.reviewers.unwrap_or(base.reviewers),
            team_audits: base.team_audits,
            rounds: cli.rounds.unwrap_or(base.rounds),
            batch_answers: base.batch_answers,
            office_audits: cli.office_audits.unwrap_or(base.office_audits),
            small_org_audits: base.small_org_audits,
            big_org_audits: cli.big_org_audits.unwrap_or(base.big_org_audits),
            org_answers: base.org_answers,
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(Command::DeviceSync { dir }) = &cli.command {
        return scenarios::device_sync_child(dir);
    }
    let sizes = Sizes::from(&cli);
    let wanted = |n: u32| cli.only.is_empty() || cli.only.contains(&n);
    // Scenarios 10 (office panels) and 11 (reports) run on a device alone; the others need the server.
    let server_bin = if (1..=9).chain([12]).any(wanted) {
        match server::find_server_bin(cli.server_bin.clone()) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("error: {e:#}");
                return ExitCode::FAILURE;
            }
        }
    } else {
        PathBuf::from("(not needed)")
    };
    let pg = if cli.no_postgres { None } else { cli.database_url.clone() };
    let mut report = report::Report::new(sizes.clone(), &server_bin);
    eprintln!("fieldaudit-bench: sizes {sizes:?}; server {}", server_bin.display());
    let ctx = scenarios::Ctx { sizes, server_bin, pg };
    scenarios::run_all(&ctx, &wanted, &mut report);
    report.print();
    if let Some(path) = &cli.json {
        if let Err(e) = report.write_json(path) {
            eprintln!("error: cannot write {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
    }
    if report.errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        eprintln!("\n{} scenario(s) failed:", report.errors.len());
        for e in &report.errors {
            eprintln!("  {e}");
        }
        ExitCode::FAILURE
    }
}
