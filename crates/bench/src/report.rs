//! Result rows, the printed table and the JSON file.

use std::path::Path;

use serde::Serialize;

use crate::Sizes;

/// One measured number, with its baseline and target where it has them.
#[derive(Clone, Debug, Serialize)]
pub struct Row {
    /// Scenario number and backend, e.g. `2 sqlite`.
    pub scenario: String,
    /// What was measured.
    pub metric: String,
    /// The measurement.
    pub value: f64,
    /// Its unit.
    pub unit: String,
    /// The raw-SQLite baseline of the same rows, in the same unit.
    pub baseline: Option<f64>,
    /// How many times slower than the baseline (baseline rate / rate, or time / baseline time).
    pub slowdown: Option<f64>,
    /// The target, as text.
    pub target: Option<String>,
    /// Whether the target was met.
    pub met: Option<bool>,
}

/// Everything one run measured.
#[derive(Debug, Serialize)]
pub struct Report {
    /// When the run started (UTC).
    pub date: String,
    /// Sizes used.
    pub sizes: Sizes,
    /// Build profile of the harness.
    pub profile: &'static str,
    /// The server binary.
    pub server_bin: String,
    /// Machine summary.
    pub machine: String,
    /// Results.
    pub rows: Vec<Row>,
    /// Scenarios that failed, with why.
    pub errors: Vec<String>,
}

impl Report {
    /// An empty report.
    pub fn new(sizes: Sizes, server_bin: &Path) -> Report {
        Report {
            date: chrono::Utc::now().to_rfc3339(),
            sizes,
            profile: if cfg!(debug_assertions) {
                "debug"
            } else {
                "release"
            },
            server_bin: server_bin.display().to_string(),
            machine: machine(),
            rows: Vec::new(),
            errors: Vec::new(),
        }
    }

    /// Adds a row (and prints it at once, so a long run shows progress).
    pub fn add(&mut self, row: Row) {
        eprintln!(
            "  {:<10} {:<52} {:>12.2} {}",
            row.scenario, row.metric, row.value, row.unit
        );
        self.rows.push(row);
    }

    /// Records a failed scenario.
    pub fn fail(&mut self, scenario: &str, err: &anyhow::Error) {
        eprintln!("  {scenario}: FAILED: {err:#}");
        self.errors.push(format!("{scenario}: {err:#}"));
    }

    /// Prints the table (Markdown, so it can be pasted into BENCHMARKS.md).
    pub fn print(&self) {
        println!(
            "\nFieldAudit benchmark, {} ({} build), {}",
            self.date, self.profile, self.machine
        );
        println!("| scenario | metric | value | baseline | × baseline | target | met |");
        println!("|---|---|---:|---:|---:|---|---|");
        for r in &self.rows {
            println!(
                "| {} | {} | {} {} | {} | {} | {} | {} |",
                r.scenario,
                r.metric,
                fmt(r.value),
                r.unit,
                r.baseline
                    .map(|b| format!("{} {}", fmt(b), r.unit))
                    .unwrap_or_default(),
                r.slowdown.map(|s| format!("{s:.2}×")).unwrap_or_default(),
                r.target.clone().unwrap_or_default(),
                match r.met {
                    Some(true) => "met",
                    Some(false) => "NOT met",
                    None => "",
                }
            );
        }
        for e in &self.errors {
            println!("| FAILED | {e} | | | | | |");
        }
    }

    /// Writes the report as JSON.
    pub fn write_json(&self, path: &Path) -> std::io::Result<()> {
        let text = serde_json::to_string_pretty(self).map_err(std::io::Error::other)?;
        std::fs::write(path, text)
    }
}

fn fmt(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

fn machine() -> String {
    let cpus = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .next()
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map(|kb| format!("{:.1} GiB RAM", kb as f64 / 1024.0 / 1024.0))
        .unwrap_or_default();
    format!("{cpus} CPUs ({model}), {mem}")
}

/// The `p`-th percentile (0–100) of sorted samples, in milliseconds.
pub fn percentile_ms(sorted: &[std::time::Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[i.min(sorted.len() - 1)].as_secs_f64() * 1000.0
}
