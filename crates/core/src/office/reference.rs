//! Importing the organisation's reference tables on an admin's device, and reading
//! them back: the dated exchange-rate table (CSV) and the World Bank Worldwide
//! Governance Indicators (WGI) data file, from which country risk is computed.
//!
//! A file is checked whole before anything is written: a missing column, a value
//! that is not a number, an unknown currency or country code, a duplicate row —
//! each problem is reported with its line (header = line 1) and reason, and the file
//! is refused whole. A good file is written in one transaction through the store's
//! write path, so it syncs to every device of the organisation.
//!
//! **Exchange rates** (`date,from,to,rate`, header names case-insensitive; extra
//! columns ignored): `rate` units of `to` for one unit of `from` on `date`. Rows
//! merge by (from, to, date), so importing next month's table adds to the history.
//!
//! **WGI** in its published long layout (`code, countryname, year, indicator,
//! estimate, stddev, nsource, pctrank, …`; also accepted: `country_code`,
//! `percentile_rank`). Country codes are ISO 3166 alpha-3 as the World Bank writes
//! them (alpha-2 accepted too); the World Bank's own legacy codes (ADO, ROM, ZAR,
//! TMP, WBG, KSV) are mapped. `..` or an empty cell is "no data" as the World Bank
//! writes it. For each country and indicator the latest year with a percentile rank
//! is kept. Importing a file **replaces** the previous WGI data (rows it no longer
//! has are deleted), so a real file replaces the shipped sample.
//!
//! Country risk (DOMAIN.md): 100 − the mean percentile rank of rule of law, control
//! of corruption, government effectiveness, and voice & accountability, for the
//! latest year that has all four; the year and dataset travel with it.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::str::FromStr;

use chrono::NaiveDate;
use fieldaudit_protocol::reference::{exchange_rate_id, wgi_value_id, WgiIndicator};
use fieldaudit_protocol::EntityKind;
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::json;

use crate::{CoreError, Result, Store};

/// The small sample WGI file shipped for tests and the demo. Its values are
/// invented round numbers near the published ones, labelled as a sample in every
/// row's `dataset`; never present them as current data.
pub const SAMPLE_WGI_CSV: &str = include_str!("wgi-sample.csv");
/// The dataset label of the shipped sample.
pub const SAMPLE_WGI_LABEL: &str = "SAMPLE (illustrative, not current WGI data)";

/// One problem of a refused file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct LineProblem {
    /// Line in the file (header = 1); 0 for the file as a whole.
    pub line: usize,
    /// What is wrong and what to fix.
    pub reason: String,
}

/// A reference file refused whole.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{what} refused, nothing was imported: {}", .problems.iter().map(|p| if p.line == 0 { p.reason.clone() } else { format!("line {}: {}", p.line, p.reason) }).collect::<Vec<_>>().join("; "))]
pub struct ReferenceFileError {
    /// Which kind of file.
    pub what: &'static str,
    /// Every problem found (the first 50).
    pub problems: Vec<LineProblem>,
}

impl From<ReferenceFileError> for CoreError {
    fn from(e: ReferenceFileError) -> CoreError {
        CoreError::Invalid(e.to_string())
    }
}

/// One parsed exchange rate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RateRow {
    /// The day the rate applies from.
    pub date: NaiveDate,
    /// ISO 4217 code converted from.
    pub from: String,
    /// ISO 4217 code converted to.
    pub to: String,
    /// Units of `to` per unit of `from`.
    pub rate: Decimal,
}

/// One parsed WGI value (the latest year of a country and indicator).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WgiRow {
    /// ISO 3166 alpha-2.
    pub country: String,
    /// Which indicator.
    pub indicator: WgiIndicator,
    /// The year of the value.
    pub year: i32,
    /// The estimate (about −2.5..2.5), when given.
    pub estimate: Option<Decimal>,
    /// Percentile rank 0–100.
    pub percentile_rank: Decimal,
}

/// What an import wrote.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ReferenceImportSummary {
    /// Rows in the file (after header).
    pub rows_read: usize,
    /// Rows stored (for WGI: one per country and indicator, latest year).
    pub rows_stored: usize,
    /// Rows of an earlier import deleted because the new file replaces them.
    pub rows_removed: usize,
    /// The dataset label stored with the rows.
    pub dataset: String,
}

/// Country risk of one country.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CountryRisk {
    /// ISO 3166 alpha-2.
    pub country: String,
    /// 100 − mean percentile rank of RL, CC, GE, VA (0 = lowest risk).
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub risk: Decimal,
    /// The WGI year the four values come from (the oldest of them).
    pub year: i32,
    /// Where the values came from (file name, or the sample's label).
    pub dataset: String,
    /// Whether the values are the shipped sample.
    pub sample: bool,
}

/// Reads CSV text into a header index and records with their line numbers.
struct Table {
    header: HashMap<String, usize>,
    rows: Vec<(usize, csv::StringRecord)>,
}

fn read_table(what: &'static str, text: &str) -> Result<Table, ReferenceFileError> {
    let whole = |reason: String| ReferenceFileError {
        what,
        problems: vec![LineProblem { line: 0, reason }],
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header = reader
        .headers()
        .map_err(|e| whole(format!("not readable as CSV: {e}")))?
        .clone();
    if header.iter().all(str::is_empty) {
        return Err(whole("the file is empty; expected a header row".into()));
    }
    let header = header
        .iter()
        .enumerate()
        .map(|(i, h)| (h.to_ascii_lowercase().replace([' ', '-'], "_"), i))
        .collect();
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line() as usize);
            ReferenceFileError {
                what,
                problems: vec![LineProblem {
                    line,
                    reason: format!("not readable as CSV: {e}"),
                }],
            }
        })?;
        let line = record.position().map_or(0, |p| p.line() as usize);
        if record.iter().all(str::is_empty) {
            continue;
        }
        rows.push((line, record));
    }
    if rows.is_empty() {
        return Err(whole("the file has a header but no rows".into()));
    }
    Ok(Table { header, rows })
}

impl Table {
    /// The index of the first of `names` present; a whole-file problem when none is.
    fn column(&self, names: &[&str], problems: &mut Vec<LineProblem>) -> usize {
        match names.iter().find_map(|n| self.header.get(*n)) {
            Some(i) => *i,
            None => {
                problems.push(LineProblem {
                    line: 1,
                    reason: format!("missing column {:?} (the header must name it)", names[0]),
                });
                usize::MAX
            }
        }
    }
}

fn cell<'r>(record: &'r csv::StringRecord, i: usize) -> &'r str {
    record.get(i).unwrap_or("")
}

fn is_currency(code: &str) -> bool {
    code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase())
}

fn finish<T>(
    what: &'static str,
    mut problems: Vec<LineProblem>,
    value: T,
) -> Result<T, ReferenceFileError> {
    if problems.is_empty() {
        Ok(value)
    } else {
        problems.truncate(50);
        Err(ReferenceFileError { what, problems })
    }
}

/// Parses an exchange-rate table; refused whole on any problem.
pub fn parse_exchange_rates(text: &str) -> Result<Vec<RateRow>, ReferenceFileError> {
    const WHAT: &str = "exchange-rate file";
    let table = read_table(WHAT, text)?;
    let mut problems = Vec::new();
    let c_date = table.column(&["date", "rate_date"], &mut problems);
    let c_from = table.column(&["from", "from_currency", "currency"], &mut problems);
    let c_to = table.column(&["to", "to_currency", "reporting_currency"], &mut problems);
    let c_rate = table.column(&["rate"], &mut problems);
    if !problems.is_empty() {
        return finish(WHAT, problems, Vec::new());
    }
    let mut seen: HashMap<(String, String, NaiveDate), usize> = HashMap::new();
    let mut out = Vec::new();
    for (line, r) in &table.rows {
        let line = *line;
        let mut bad = |reason: String| problems.push(LineProblem { line, reason });
        let date = match NaiveDate::parse_from_str(cell(r, c_date), "%Y-%m-%d") {
            Ok(d) => Some(d),
            Err(_) => {
                bad(format!(
                    "date {:?} is not a date YYYY-MM-DD",
                    cell(r, c_date)
                ));
                None
            }
        };
        let from = cell(r, c_from).to_ascii_uppercase();
        let to = cell(r, c_to).to_ascii_uppercase();
        for code in [&from, &to] {
            if !is_currency(code) {
                bad(format!(
                    "currency {code:?} is not an ISO 4217 code such as USD"
                ));
            }
        }
        if from == to && is_currency(&from) {
            bad(format!(
                "a rate from {from} to itself is always 1; remove the row"
            ));
        }
        let rate = match Decimal::from_str(cell(r, c_rate)) {
            Ok(v) if v > Decimal::ZERO => Some(v),
            Ok(v) => {
                bad(format!("rate {v} must be more than zero"));
                None
            }
            Err(_) => {
                bad(format!(
                    "rate {:?} is not a number (write it like 0.00912, with a point)",
                    cell(r, c_rate)
                ));
                None
            }
        };
        if let (Some(date), Some(rate)) = (date, rate) {
            if let Some(first) = seen.insert((from.clone(), to.clone(), date), line) {
                problems.push(LineProblem {
                    line,
                    reason: format!(
                        "duplicate row: {from}→{to} on {date} is already on line {first}"
                    ),
                });
            }
            out.push(RateRow {
                date,
                from,
                to,
                rate,
            });
        }
    }
    finish(WHAT, problems, out)
}

/// The ISO alpha-2 code of a WGI country code (alpha-3 as the World Bank writes
/// it, its legacy codes, or alpha-2).
fn wgi_country(code: &str) -> Option<String> {
    let code = code.trim().to_ascii_uppercase();
    let legacy = match code.as_str() {
        "ADO" => Some("AD"),
        "ROM" => Some("RO"),
        "ZAR" => Some("CD"),
        "TMP" => Some("TL"),
        "WBG" => Some("PS"),
        "KSV" | "XKX" => Some("XK"),
        _ => None,
    };
    if let Some(a2) = legacy {
        return Some(a2.to_owned());
    }
    let country = match code.len() {
        3 => celes::Country::from_alpha3(&code).ok(),
        2 => celes::Country::from_alpha2(&code).ok(),
        _ => None,
    }?;
    Some(country.alpha2.to_owned())
}

/// "No data" as the World Bank writes it.
fn no_data(s: &str) -> bool {
    s.is_empty() || s == ".." || s == "#N/A"
}

/// A parsed WGI file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParsedWgi {
    /// The latest year's value per country and indicator.
    pub rows: Vec<WgiRow>,
    /// Data rows read.
    pub rows_read: usize,
    /// Whether the file labels itself a sample (a `note` column saying SAMPLE), as
    /// the shipped sample does.
    pub sample: bool,
}

/// Parses a WGI data file (long layout); refused whole on any problem.
pub fn parse_wgi(text: &str) -> Result<ParsedWgi, ReferenceFileError> {
    const WHAT: &str = "WGI file";
    let table = read_table(WHAT, text)?;
    let mut problems = Vec::new();
    let c_code = table.column(
        &["code", "country_code", "countrycode", "iso3"],
        &mut problems,
    );
    let c_year = table.column(&["year"], &mut problems);
    let c_ind = table.column(&["indicator", "indicator_code"], &mut problems);
    let c_est = table.column(&["estimate"], &mut problems);
    let c_pct = table.column(&["pctrank", "percentile_rank", "percentile"], &mut problems);
    if !problems.is_empty() {
        return finish(
            WHAT,
            problems,
            ParsedWgi {
                rows: Vec::new(),
                rows_read: 0,
                sample: false,
            },
        );
    }
    let c_note = table.header.get("note").copied();
    let sample = c_note.is_some_and(|c| {
        table
            .rows
            .iter()
            .any(|(_, r)| cell(r, c).to_ascii_uppercase().contains("SAMPLE"))
    });
    let mut seen: HashMap<(String, WgiIndicator, i32), usize> = HashMap::new();
    let mut latest: BTreeMap<(String, WgiIndicator), WgiRow> = BTreeMap::new();
    for (line, r) in &table.rows {
        let line = *line;
        let mut bad = |reason: String| problems.push(LineProblem { line, reason });
        let raw_code = cell(r, c_code);
        let country = wgi_country(raw_code);
        if country.is_none() {
            bad(format!(
                "unknown country code {raw_code:?}; expected an ISO 3166 alpha-3 code such as BGD"
            ));
        }
        let year = match cell(r, c_year).parse::<i32>() {
            Ok(y) if (1990..=2100).contains(&y) => Some(y),
            _ => {
                bad(format!(
                    "year {:?} is not a year such as 2023",
                    cell(r, c_year)
                ));
                None
            }
        };
        let indicator = WgiIndicator::parse(cell(r, c_ind));
        if indicator.is_none() {
            bad(format!(
                "indicator {:?} is not one of {}",
                cell(r, c_ind),
                WgiIndicator::NAMES.join(", ")
            ));
        }
        let number =
            |s: &str, what: &str, problems: &mut Vec<LineProblem>| -> Option<Option<Decimal>> {
                if no_data(s) {
                    return Some(None);
                }
                match Decimal::from_str(s).or_else(|_| Decimal::from_scientific(s)) {
                    Ok(v) => Some(Some(v)),
                    Err(_) => {
                        problems.push(LineProblem {
                            line,
                            reason: format!("{what} {s:?} is not a number (or .. for no data)"),
                        });
                        None
                    }
                }
            };
        let estimate = number(cell(r, c_est), "estimate", &mut problems);
        let pct = number(cell(r, c_pct), "percentile rank", &mut problems);
        if let Some(Some(p)) = pct {
            if p < Decimal::ZERO || p > Decimal::ONE_HUNDRED {
                problems.push(LineProblem {
                    line,
                    reason: format!("percentile rank {p} is outside 0–100"),
                });
            }
        }
        let (Some(country), Some(year), Some(indicator), Some(estimate), Some(pct)) =
            (country, year, indicator, estimate, pct)
        else {
            continue;
        };
        if let Some(first) = seen.insert((country.clone(), indicator, year), line) {
            problems.push(LineProblem {
                line,
                reason: format!(
                    "duplicate row: {country} {} {year} is already on line {first}",
                    indicator.as_str()
                ),
            });
            continue;
        }
        let Some(percentile_rank) = pct else { continue };
        let row = WgiRow {
            country: country.clone(),
            indicator,
            year,
            estimate: estimate.map(|e| e.round_dp(4)),
            percentile_rank: percentile_rank.round_dp(4),
        };
        match latest.get(&(country.clone(), indicator)) {
            Some(have) if have.year >= year => {}
            _ => {
                latest.insert((country, indicator), row);
            }
        }
    }
    let read = table.rows.len();
    if problems.is_empty() && latest.is_empty() {
        problems.push(LineProblem {
            line: 0,
            reason: "no row has a percentile rank; is this a WGI data file?".into(),
        });
    }
    finish(
        WHAT,
        problems,
        ParsedWgi {
            rows: latest.into_values().collect(),
            rows_read: read,
            sample,
        },
    )
}

/// Refuses unless this device is signed in as an admin of its organisation.
fn require_admin(store: &Store, what: &str) -> Result<()> {
    let session = crate::sync::session::load(store.data_dir())?.ok_or_else(|| {
        CoreError::Invalid(format!(
            "sign in to your organisation's server as an admin to import {what}"
        ))
    })?;
    if session.role != "admin" {
        return Err(CoreError::Invalid(format!(
            "only admins import {what}; {} is signed in as {} (the table syncs to every device once an admin imports it)",
            session.user, session.role
        )));
    }
    Ok(())
}

impl Store {
    /// Imports an exchange-rate table (an admin's device; it syncs to every device).
    pub fn import_exchange_rates(
        &mut self,
        text: &str,
        source: &str,
    ) -> Result<ReferenceImportSummary> {
        require_admin(self, "exchange rates")?;
        let rows = parse_exchange_rates(text)?;
        self.write_exchange_rates(&rows, source)
    }

    /// Writes parsed rates (no role check: for [`Store::import_exchange_rates`], the
    /// demo seed and tests).
    pub(crate) fn write_exchange_rates(
        &mut self,
        rows: &[RateRow],
        source: &str,
    ) -> Result<ReferenceImportSummary> {
        self.write(|w| {
            for r in rows {
                let date = r.date.to_string();
                w.set(
                    EntityKind::ExchangeRate,
                    exchange_rate_id(&r.from, &r.to, &date),
                    &[
                        ("rate_date", json!(date)),
                        ("from_currency", json!(r.from)),
                        ("to_currency", json!(r.to)),
                        ("rate", json!(r.rate.normalize().to_string())),
                        ("source", json!(source)),
                        ("deleted", json!(false)),
                    ],
                )?;
            }
            Ok(())
        })?;
        Ok(ReferenceImportSummary {
            rows_read: rows.len(),
            rows_stored: rows.len(),
            rows_removed: 0,
            dataset: source.to_owned(),
        })
    }

    /// Imports a WGI data file (an admin's device), replacing the WGI data held.
    pub fn import_wgi(&mut self, text: &str, dataset: &str) -> Result<ReferenceImportSummary> {
        require_admin(self, "WGI data")?;
        self.write_wgi(text, dataset)
    }

    /// Parses and writes a WGI file (no role check: for [`Store::import_wgi`], the
    /// demo seed and tests).
    pub(crate) fn write_wgi(
        &mut self,
        text: &str,
        dataset: &str,
    ) -> Result<ReferenceImportSummary> {
        let ParsedWgi {
            rows,
            rows_read: read,
            sample,
        } = parse_wgi(text)?;
        let dataset = if sample { SAMPLE_WGI_LABEL } else { dataset };
        let keep: HashSet<uuid::Uuid> = rows
            .iter()
            .map(|r| wgi_value_id(&r.country, r.indicator))
            .collect();
        let removed = self.write(|w| {
            for r in &rows {
                w.set(
                    EntityKind::WgiValue,
                    wgi_value_id(&r.country, r.indicator),
                    &[
                        ("country_code", json!(r.country)),
                        ("indicator", json!(r.indicator.as_str())),
                        ("year", json!(r.year)),
                        (
                            "estimate",
                            json!(r.estimate.map(|e| e.normalize().to_string())),
                        ),
                        (
                            "percentile_rank",
                            json!(r.percentile_rank.normalize().to_string()),
                        ),
                        ("dataset", json!(dataset)),
                        ("deleted", json!(false)),
                    ],
                )?;
            }
            let old: Vec<String> = {
                let mut stmt = w
                    .conn()
                    .prepare("SELECT id FROM wgi_value WHERE coalesce(deleted, 0) = 0")?;
                let ids = stmt
                    .query_map([], |r| r.get(0))?
                    .collect::<rusqlite::Result<_>>()?;
                ids
            };
            let mut removed = 0;
            for id in old {
                let id = uuid::Uuid::parse_str(&id).map_err(|e| CoreError::Corrupt {
                    entity: "wgi_value".into(),
                    field: "id".into(),
                    reason: e.to_string(),
                })?;
                if !keep.contains(&id) {
                    w.set(EntityKind::WgiValue, id, &[("deleted", json!(true))])?;
                    removed += 1;
                }
            }
            Ok(removed)
        })?;
        Ok(ReferenceImportSummary {
            rows_read: read,
            rows_stored: rows.len(),
            rows_removed: removed,
            dataset: dataset.to_owned(),
        })
    }

    /// Country risk of every country with all four indicators, highest risk first.
    pub fn country_risks(&self) -> Result<Vec<CountryRisk>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT country_code, group_concat(percentile_rank, '|'), min(year), max(dataset), count(*)
             FROM wgi_value
             WHERE coalesce(deleted, 0) = 0 AND percentile_rank IS NOT NULL AND indicator IN ('rl', 'cc', 'ge', 'va')
             GROUP BY country_code HAVING count(*) = 4",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i32>(2)?,
                r.get::<_, String>(3)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (country, ranks, year, dataset) = row?;
            let mut sum = Decimal::ZERO;
            for p in ranks.split('|') {
                sum += Decimal::from_str(p).map_err(|e| CoreError::Corrupt {
                    entity: "wgi_value".into(),
                    field: "percentile_rank".into(),
                    reason: e.to_string(),
                })?;
            }
            let mut risk = (Decimal::ONE_HUNDRED - sum / Decimal::from(4)).round_dp(1);
            risk.rescale(1);
            out.push(CountryRisk {
                sample: dataset == SAMPLE_WGI_LABEL,
                country,
                risk,
                year,
                dataset,
            });
        }
        out.sort_by(|a, b| b.risk.cmp(&a.risk).then_with(|| a.country.cmp(&b.country)));
        Ok(out)
    }

    /// The organisation's exchange rates, newest first.
    pub fn exchange_rates(&self) -> Result<Vec<RateRow>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT rate_date, from_currency, to_currency, rate FROM exchange_rate
             WHERE coalesce(deleted, 0) = 0 AND rate_date IS NOT NULL AND rate IS NOT NULL
             ORDER BY rate_date DESC, from_currency, to_currency",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
            ))
        })?;
        let corrupt = |field: &str, reason: String| CoreError::Corrupt {
            entity: "exchange_rate".into(),
            field: field.into(),
            reason,
        };
        let mut out = Vec::new();
        for row in rows {
            let (date, from, to, rate) = row?;
            out.push(RateRow {
                date: NaiveDate::parse_from_str(&date, "%Y-%m-%d")
                    .map_err(|e| corrupt("rate_date", e.to_string()))?,
                from,
                to,
                rate: Decimal::from_str(&rate).map_err(|e| corrupt("rate", e.to_string()))?,
            });
        }
        Ok(out)
    }
}
