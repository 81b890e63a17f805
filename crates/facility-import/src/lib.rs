//! Facility list import: reading brand supplier lists and Open Supply Hub CSVs into a
//! preview of what would be added, merged and rejected. Nothing here writes to a
//! database: the device's store (`fieldaudit-core`) applies a preview in one
//! transaction (all or nothing), and the server's `facility import` pushes it as the
//! organisation's own changes. Both write a record's fields as [`record_fields`] says.
//!
//! # What happens to a file
//!
//! 1. **Whole-file checks** ([`ImportError`]): the file must be UTF-8 CSV text with a
//!    header row naming at least a name and a country column, and at least one row.
//!    Comma, semicolon and tab separators are recognised from the header line. A BOM
//!    is ignored. Title lines above the header (up to 10) are skipped with a warning.
//! 2. **Columns** are found by header name ([`columns`]), case- and space-insensitive,
//!    with common aliases; other columns are ignored and listed in the preview.
//! 3. **Each row** is cleaned ([`clean`]: stray "□", `;`, zero-width and control
//!    characters, full-width commas and spaces, repeated whitespace) and normalised:
//!    - no name, or a country that is missing or not recognised ([`normalise_country`])
//!      → the row is **rejected**, with its line and what to fix;
//!    - a row with more values than the header has columns → **rejected** (a comma in
//!      an unquoted value shifts the columns, so no value on it can be trusted);
//!    - coordinates that are not numbers, out of range (lat ±90, lng ±180), only half
//!      given, or exactly 0,0 → the row is **kept without coordinates** and a
//!      **warning** names the line: an auditor would rather have the facility with no
//!      map pin than lose it, and can fix the pin later;
//!    - a worker count that is not a number or range ([`parse_worker_count`]) → the row
//!      is kept without a worker count, with a warning;
//!    - rows with every cell empty are skipped silently (spreadsheets leave them).
//! 4. **Duplicates in the file** ([`dedupe`]): rows with the same folded name, address
//!    and country, or the same Open Supply Hub ID, become one facility. The first row's
//!    values win; later rows only fill blanks and add sectors/product types. Each later
//!    row is listed in [`ImportPreview::duplicates_in_file`] with any values not taken.
//! 5. **Existing facilities**: a facility matching one already in the database (by OS
//!    ID, then by dedupe key) becomes a [`MergeIntoExisting`] with only the fields that
//!    would change: blanks filled, sectors/product types unioned, nothing overwritten.
//!    An empty `changes` list means the database already has everything.
//!
//! Line numbers are the lines a person sees in an editor, header = line 1; a quoted
//! value spanning several lines counts all of them, and a row is numbered by its
//! first line.

pub mod clean;
pub mod columns;
pub mod country;
pub mod dedupe;
pub mod workers;

use std::collections::HashMap;
use std::io::Read;

use serde::{Deserialize, Serialize};

pub use clean::{clean_text, fold_key};
pub use columns::{Column, ColumnMapping};
pub use country::normalise_country;
pub use dedupe::{dedupe_key, DedupeKey};
pub use workers::parse_worker_count;

use columns::HeaderMap;

/// A facility as imported, normalised. Field names match the sync registry
/// (`fieldaudit_protocol::registry`, entity `facility`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FacilityRecord {
    /// Display name, cleaned (case and accents kept).
    pub name: String,
    /// Address, cleaned; may be empty.
    pub address: String,
    /// ISO 3166-1 alpha-2, upper case.
    pub country_code: String,
    /// Sectors, e.g. `["Apparel", "Health"]`.
    pub sectors: Vec<String>,
    /// Latitude in degrees, −90..90.
    pub lat: Option<f64>,
    /// Longitude in degrees, −180..180.
    pub lng: Option<f64>,
    /// Lower bound of the worker count (equal to `workers_max` for an exact count).
    pub workers_min: Option<i64>,
    /// Upper bound of the worker count.
    pub workers_max: Option<i64>,
    /// Open Supply Hub ID.
    pub os_id: Option<String>,
    /// Parent company.
    pub parent_company: Option<String>,
    /// Facility/processing type(s), `|`-joined when there are several.
    pub facility_type: Option<String>,
    /// Product types.
    pub product_types: Vec<String>,
}

/// A facility already in the database, for duplicate detection against it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExistingFacility {
    /// The facility's row id.
    pub id: uuid::Uuid,
    /// Its current values.
    pub record: FacilityRecord,
}

/// A facility the import would create.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct NewFacility {
    /// All CSV lines merged into it (first line first).
    pub lines: Vec<u64>,
    /// The merged, normalised record.
    pub record: FacilityRecord,
}

/// One field the import would set on an existing facility.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FieldChange {
    /// Registry field name (`address`, `sectors`, `lat`, …).
    pub field: &'static str,
    /// The new value in the registry's JSON shape: string for Text, number for
    /// Float/Int, array of strings for TextList.
    pub value: serde_json::Value,
}

/// A value that was not taken because the other side already had a different one.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FieldConflict {
    /// Registry field name.
    pub field: &'static str,
    /// The value that stays.
    pub kept: serde_json::Value,
    /// The value from the file that was not used.
    pub ignored: serde_json::Value,
}

/// Rows of the file that match a facility already in the database.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct MergeIntoExisting {
    /// The CSV lines that matched it.
    pub lines: Vec<u64>,
    /// The existing facility.
    pub existing_id: uuid::Uuid,
    /// Only the fields that would change (blanks filled, lists unioned); empty when
    /// the database already has everything the file says.
    pub changes: Vec<FieldChange>,
    /// Values from the file that differ from the database and were not taken.
    pub conflicts: Vec<FieldConflict>,
}

/// A row that will not be imported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RejectedRow {
    /// The row's first line in the file.
    pub line: u64,
    /// What is wrong and what to fix.
    pub reason: String,
}

/// A row that is imported, but with a value dropped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RowWarning {
    /// The row's first line in the file.
    pub line: u64,
    /// The field concerned (`lat`/`lng` for coordinates, `workers` for the worker
    /// count, `row` for a skipped line above the header).
    pub field: &'static str,
    /// What was dropped and why.
    pub reason: String,
}

/// A row that repeats an earlier row of the same file and was merged into it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DuplicateRow {
    /// The repeating row's line.
    pub line: u64,
    /// The first line of the facility it was merged into.
    pub duplicate_of_line: u64,
    /// Values of this row that differ from the earlier row(s) and were not taken.
    pub conflicts: Vec<FieldConflict>,
}

/// A facility of the file with the same name and country as another one (in the
/// file or in the database) but a different address: not merged, since it may be a
/// second site of the same company, but worth a look.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PossibleDuplicate {
    /// The first line of the facility.
    pub line: u64,
    /// The first line of the earlier facility of the file with the same name, if any.
    pub similar_to_line: Option<u64>,
    /// The existing facility with the same name, if any.
    pub similar_to_existing: Option<uuid::Uuid>,
    /// What to check.
    pub reason: String,
}

/// Counts, for a one-line summary.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ImportSummary {
    /// Data rows read (not counting the header and blank rows).
    pub rows: usize,
    /// Facilities to create.
    pub add: usize,
    /// Existing facilities matched (with or without changes).
    pub merge: usize,
    /// Existing facilities that would actually change.
    pub merge_with_changes: usize,
    /// Rows rejected.
    pub reject: usize,
    /// Rows merged into an earlier row of the file.
    pub duplicates_in_file: usize,
    /// Warnings (values dropped from kept rows).
    pub warnings: usize,
    /// Facilities listed as possible duplicates (same name, other address).
    pub possible_duplicates: usize,
}

/// What importing a file would do. Every data line appears in exactly one of
/// `add[].lines`, `merge[].lines` or `reject`.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ImportPreview {
    /// Facilities to create.
    pub add: Vec<NewFacility>,
    /// Existing facilities the file matches.
    pub merge: Vec<MergeIntoExisting>,
    /// Rows that will not be imported, by line.
    pub reject: Vec<RejectedRow>,
    /// Rows merged into an earlier row of the same file.
    pub duplicates_in_file: Vec<DuplicateRow>,
    /// Rows kept with a value dropped (bad coordinates, unreadable worker count).
    pub warnings: Vec<RowWarning>,
    /// Facilities with the same name and country as another but a different address;
    /// imported as separate facilities, listed for a person to check.
    pub possible_duplicates: Vec<PossibleDuplicate>,
    /// How each header column was mapped (`field: null` = ignored).
    pub columns: Vec<ColumnMapping>,
    /// The header's line.
    pub header_line: u64,
    /// Counts.
    pub summary: ImportSummary,
}

/// A problem with the whole file; nothing can be previewed. `Display` says what to fix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ImportError {
    /// The file has no content.
    #[error("the file is empty; export the facility list as CSV with a header row (name, country, address, …)")]
    Empty,
    /// The file could not be read.
    #[error("the file could not be read: {message}")]
    Read {
        /// The I/O error.
        message: String,
    },
    /// Not UTF-8 text.
    #[error("the file is not UTF-8 text (first bad byte on line {line}); save it as \"CSV UTF-8\" (in Excel: Save As → CSV UTF-8) and import again")]
    NotUtf8 {
        /// The line of the first invalid byte.
        line: u64,
    },
    /// Not CSV at all (a spreadsheet or other binary file).
    #[error("the file is not CSV: {reason}")]
    NotCsv {
        /// What it looks like instead, and what to do.
        reason: String,
    },
    /// The header lacks required columns.
    #[error("the header has no {} column (found: {}); add or rename columns so there is one named \"name\" (or \"facility name\") and one named \"country\" (or \"country_code\")", missing.join(" or "), if found.is_empty() { "no column names".to_string() } else { found.join(", ") })]
    MissingColumns {
        /// The required fields with no column.
        missing: Vec<&'static str>,
        /// The header names found on the first line.
        found: Vec<String>,
    },
    /// A header but no data rows.
    #[error("the file has a header on line {header_line} but no facility rows below it")]
    NoRows {
        /// The header's line.
        header_line: u64,
    },
    /// The CSV reader failed.
    #[error("the CSV could not be read at line {line}: {message}")]
    Csv {
        /// Where.
        line: u64,
        /// What the reader said.
        message: String,
    },
}

/// How many records are searched for the header row.
const HEADER_SEARCH_ROWS: usize = 10;

/// Checks the raw bytes and returns the text without a BOM.
fn decode(bytes: &[u8]) -> Result<&str, ImportError> {
    if bytes.starts_with(b"PK\x03\x04") {
        return Err(ImportError::NotCsv {
            reason: "it looks like an Excel workbook (.xlsx) or another zip file; open it and save it as \"CSV UTF-8\"".into(),
        });
    }
    if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        return Err(ImportError::NotCsv {
            reason:
                "it looks like an old Excel workbook (.xls); open it and save it as \"CSV UTF-8\""
                    .into(),
        });
    }
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(ImportError::NotCsv {
            reason: "it is UTF-16 text (\"Unicode Text\" in Excel); save it as \"CSV UTF-8\""
                .into(),
        });
    }
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            let line = bytes[..e.valid_up_to()]
                .iter()
                .filter(|&&b| b == b'\n')
                .count() as u64
                + 1;
            return Err(ImportError::NotUtf8 { line });
        }
    };
    if text.contains('\0') {
        return Err(ImportError::NotCsv {
            reason: "it contains binary data (NUL bytes); export the list as \"CSV UTF-8\"".into(),
        });
    }
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    if text.trim().is_empty() {
        return Err(ImportError::Empty);
    }
    Ok(text)
}

/// The separator used on the first non-blank line: `,` unless that line has more
/// `;` or tabs than commas.
fn detect_delimiter(text: &str) -> u8 {
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let count = |c: char| first.chars().filter(|&x| x == c).count();
    let (commas, semicolons, tabs) = (count(','), count(';'), count('\t'));
    if tabs > commas && tabs >= semicolons {
        b'\t'
    } else if semicolons > commas {
        b';'
    } else {
        b','
    }
}

/// One record with its first line.
struct Row {
    line: u64,
    cells: Vec<String>,
}

/// The 1-based line of a record that the CSV reader says starts at byte `offset`.
///
/// The reader's own line count lags (it has not yet counted the terminator of the
/// previous record when the next record starts), so the line is computed from the
/// byte offset: skip the line terminators the offset may point into, then count the
/// newlines before that byte. Quoted values spanning lines are counted this way too.
fn line_at(text: &str, newlines: &[usize], offset: u64) -> u64 {
    let bytes = text.as_bytes();
    let mut start = usize::try_from(offset)
        .unwrap_or(usize::MAX)
        .min(bytes.len());
    while start < bytes.len() && matches!(bytes[start], b'\r' | b'\n') {
        start += 1;
    }
    newlines.partition_point(|&n| n < start) as u64 + 1
}

fn read_rows(text: &str) -> Result<Vec<Row>, ImportError> {
    let newlines: Vec<usize> = text
        .bytes()
        .enumerate()
        .filter(|(_, b)| *b == b'\n')
        .map(|(i, _)| i)
        .collect();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(detect_delimiter(text))
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    let mut record = csv::StringRecord::new();
    loop {
        let offset = reader.position().byte();
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let line = line_at(
                    text,
                    &newlines,
                    record.position().map_or(offset, |p| p.byte()),
                );
                rows.push(Row {
                    line,
                    cells: record.iter().map(str::to_string).collect(),
                });
            }
            Err(e) => {
                let line = line_at(text, &newlines, e.position().map_or(offset, |p| p.byte()));
                return Err(ImportError::Csv {
                    line,
                    message: e.to_string(),
                });
            }
        }
    }
    Ok(rows)
}

fn is_blank(row: &Row) -> bool {
    row.cells.iter().all(|c| clean_text(c).is_empty())
}

/// The first value among `indices` that is non-empty after cleaning.
fn first_value(row: &Row, indices: &[usize]) -> Option<String> {
    indices
        .iter()
        .filter_map(|&i| row.cells.get(i))
        .map(|c| clean_text(c))
        .find(|c| !c.is_empty())
}

fn raw_first(row: &Row, map: &HeaderMap, column: Column) -> Option<String> {
    first_value(row, &map.indices(column))
}

fn multi_values(row: &Row, map: &HeaderMap, column: Column) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for i in map.indices(column) {
        if let Some(cell) = row.cells.get(i) {
            for v in clean::split_multi(cell) {
                let key = fold_key(&v);
                if !out.iter().any(|o| fold_key(o) == key) {
                    out.push(v);
                }
            }
        }
    }
    out
}

/// Parses one coordinate; accepts a decimal comma ("24,08") when there is no dot.
fn parse_coordinate(text: &str) -> Option<f64> {
    let text = text.trim();
    let text = if !text.contains('.') && text.matches(',').count() == 1 {
        text.replace(',', ".")
    } else {
        text.to_string()
    };
    text.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// Coordinates of a row, or a warning saying why they were dropped.
fn coordinates(row: &Row, map: &HeaderMap) -> (Option<(f64, f64)>, Option<RowWarning>) {
    let lat_text = raw_first(row, map, Column::Lat);
    let lng_text = raw_first(row, map, Column::Lng);
    let warn = |field: &'static str, reason: String| {
        Some(RowWarning {
            line: row.line,
            field,
            reason,
        })
    };
    let (lat_text, lng_text) = match (lat_text, lng_text) {
        (None, None) => return (None, None),
        (Some(lat), None) => {
            return (None, warn("lng", format!("lat {lat} is given but lng is empty; coordinates dropped, give both or neither")))
        }
        (None, Some(lng)) => {
            return (None, warn("lat", format!("lng {lng} is given but lat is empty; coordinates dropped, give both or neither")))
        }
        (Some(lat), Some(lng)) => (lat, lng),
    };
    let (lat, lng) = match (parse_coordinate(&lat_text), parse_coordinate(&lng_text)) {
        (Some(lat), Some(lng)) => (lat, lng),
        (None, _) => {
            return (None, warn("lat", format!("lat \"{lat_text}\" is not a number; coordinates dropped, use decimal degrees such as 23.81")))
        }
        (_, None) => {
            return (None, warn("lng", format!("lng \"{lng_text}\" is not a number; coordinates dropped, use decimal degrees such as 90.41")))
        }
    };
    let swapped_hint = if lat.abs() > 90.0 && lat.abs() <= 180.0 && lng.abs() <= 90.0 {
        " (lat and lng look swapped)"
    } else {
        ""
    };
    if !(-90.0..=90.0).contains(&lat) {
        return (
            None,
            warn(
                "lat",
                format!("lat {lat} is outside -90..90{swapped_hint}; coordinates dropped"),
            ),
        );
    }
    if !(-180.0..=180.0).contains(&lng) {
        return (
            None,
            warn(
                "lng",
                format!("lng {lng} is outside -180..180; coordinates dropped"),
            ),
        );
    }
    if lat == 0.0 && lng == 0.0 {
        return (
            None,
            warn(
                "lat",
                "coordinates 0, 0 are a placeholder, not a place; coordinates dropped".into(),
            ),
        );
    }
    (Some((lat, lng)), None)
}

/// Normalises one data row, or says why it is rejected.
fn parse_row(
    row: &Row,
    map: &HeaderMap,
    warnings: &mut Vec<RowWarning>,
) -> Result<FacilityRecord, RejectedRow> {
    let reject = |reason: String| RejectedRow {
        line: row.line,
        reason,
    };
    if row.cells.len() > map.width {
        return Err(reject(format!(
            "the row has {} values but the header has {} columns; a value containing the separator is probably missing its quotes",
            row.cells.len(),
            map.width
        )));
    }
    let name = raw_first(row, map, Column::Name)
        .ok_or_else(|| reject("name is empty; every facility needs a name".into()))?;
    let country_indices = map.country_indices();
    let country_values: Vec<String> = country_indices
        .iter()
        .filter_map(|&i| row.cells.get(i))
        .map(|c| clean_text(c))
        .filter(|c| !c.is_empty())
        .collect();
    let country_code = match country_values.first() {
        None => {
            return Err(reject(
                "country is empty; give a country name or ISO code such as BD".into(),
            ))
        }
        Some(first) => country_values
            .iter()
            .find_map(|v| normalise_country(v))
            .ok_or_else(|| {
                reject(format!(
                    "country \"{first}\" is not a country name or ISO code; use a code such as BD"
                ))
            })?,
    };

    let (coords, warning) = coordinates(row, map);
    warnings.extend(warning);

    let (workers_min, workers_max) = match raw_first(row, map, Column::Workers) {
        None => (None, None),
        Some(text) => parse_worker_count(&text).unwrap_or_else(|reason| {
            warnings.push(RowWarning {
                line: row.line,
                field: "workers",
                reason: format!("{reason}; worker count left empty"),
            });
            (None, None)
        }),
    };

    let mut facility_types = multi_values(row, map, Column::FacilityType);
    for t in multi_values(row, map, Column::ProcessingType) {
        let key = fold_key(&t);
        if !facility_types.iter().any(|f| fold_key(f) == key) {
            facility_types.push(t);
        }
    }

    Ok(FacilityRecord {
        name,
        address: raw_first(row, map, Column::Address).unwrap_or_default(),
        country_code: country_code.to_string(),
        sectors: multi_values(row, map, Column::Sector),
        lat: coords.map(|c| c.0),
        lng: coords.map(|c| c.1),
        workers_min,
        workers_max,
        os_id: raw_first(row, map, Column::OsId),
        parent_company: raw_first(row, map, Column::ParentCompany),
        facility_type: (!facility_types.is_empty()).then(|| facility_types.join("|")),
        product_types: multi_values(row, map, Column::ProductType),
    })
}

/// Facilities of the file after in-file de-duplication.
struct Group {
    lines: Vec<u64>,
    record: FacilityRecord,
}

/// Facilities with the same folded name and country as an earlier facility of the
/// file or an existing one, but another address (same address = merged already).
fn possible_duplicates(groups: &[Group], existing: &[ExistingFacility]) -> Vec<PossibleDuplicate> {
    let name_key = |r: &FacilityRecord| (fold_key(&r.name), r.country_code.clone());
    let mut existing_by_name: HashMap<(String, String), &ExistingFacility> = HashMap::new();
    for e in existing {
        existing_by_name.entry(name_key(&e.record)).or_insert(e);
    }
    let mut seen: HashMap<(String, String), &Group> = HashMap::new();
    let mut out = Vec::new();
    for group in groups {
        let key = name_key(&group.record);
        let address = fold_key(&group.record.address);
        let earlier = seen
            .get(&key)
            .filter(|g| fold_key(&g.record.address) != address);
        let in_db = existing_by_name
            .get(&key)
            .filter(|e| fold_key(&e.record.address) != address);
        if earlier.is_some() || in_db.is_some() {
            let against = match (earlier, in_db) {
                (Some(g), _) => format!("line {}", g.lines[0]),
                _ => "a facility already in the database".to_string(),
            };
            out.push(PossibleDuplicate {
                line: group.lines[0],
                similar_to_line: earlier.map(|g| g.lines[0]),
                similar_to_existing: in_db.map(|e| e.id),
                reason: format!(
                    "same name and country as {against} but a different address; imported separately, check whether it is the same facility"
                ),
            });
        }
        seen.entry(key).or_insert(group);
    }
    out
}

/// Previews importing a facility list CSV against the facilities already in the
/// database. See the module docs for the rules.
pub fn preview_import(
    mut input: impl Read,
    existing: &[ExistingFacility],
) -> Result<ImportPreview, ImportError> {
    let mut bytes = Vec::new();
    input
        .read_to_end(&mut bytes)
        .map_err(|e| ImportError::Read {
            message: e.to_string(),
        })?;
    if bytes.is_empty() {
        return Err(ImportError::Empty);
    }
    let text = decode(&bytes)?;
    let rows = read_rows(text)?;
    let first_nonblank = rows
        .iter()
        .position(|r| !is_blank(r))
        .ok_or(ImportError::Empty)?;

    // The header: the first of the first few non-blank rows naming name and country.
    let header_index = rows
        .iter()
        .enumerate()
        .skip(first_nonblank)
        .filter(|(_, r)| !is_blank(r))
        .take(HEADER_SEARCH_ROWS)
        .find(|(_, r)| {
            let map = HeaderMap::new(r.cells.iter().map(String::as_str));
            map.has(Column::Name) && map.has_country()
        })
        .map(|(i, _)| i);
    let Some(header_index) = header_index else {
        let first = &rows[first_nonblank];
        let map = HeaderMap::new(first.cells.iter().map(String::as_str));
        let mut missing = Vec::new();
        if !map.has(Column::Name) {
            missing.push("name");
        }
        if !map.has_country() {
            missing.push("country");
        }
        return Err(ImportError::MissingColumns {
            missing,
            found: map.found_headers(),
        });
    };
    let header = &rows[header_index];
    let map = HeaderMap::new(header.cells.iter().map(String::as_str));

    let mut warnings = Vec::new();
    for skipped in rows[..header_index].iter().filter(|r| !is_blank(r)) {
        warnings.push(RowWarning {
            line: skipped.line,
            field: "row",
            reason: format!(
                "line is above the header row (line {}) and was skipped",
                header.line
            ),
        });
    }

    let data: Vec<&Row> = rows[header_index + 1..]
        .iter()
        .filter(|r| !is_blank(r))
        .collect();
    if data.is_empty() {
        return Err(ImportError::NoRows {
            header_line: header.line,
        });
    }

    let mut reject = Vec::new();
    let mut groups: Vec<Group> = Vec::new();
    let mut by_key: HashMap<DedupeKey, usize> = HashMap::new();
    let mut by_os_id: HashMap<String, usize> = HashMap::new();
    let mut duplicates_in_file = Vec::new();

    for row in &data {
        let record = match parse_row(row, &map, &mut warnings) {
            Ok(record) => record,
            Err(rejected) => {
                reject.push(rejected);
                continue;
            }
        };
        let key = dedupe_key(&record);
        let os_key = dedupe::os_id_key(record.os_id.as_deref());
        let found = os_key
            .as_ref()
            .and_then(|k| by_os_id.get(k))
            .or_else(|| by_key.get(&key))
            .copied();
        let index = match found {
            Some(index) => {
                let group = &mut groups[index];
                let conflicts = dedupe::merge_into(&mut group.record, &record);
                duplicates_in_file.push(DuplicateRow {
                    line: row.line,
                    duplicate_of_line: group.lines[0],
                    conflicts,
                });
                group.lines.push(row.line);
                index
            }
            None => {
                groups.push(Group {
                    lines: vec![row.line],
                    record,
                });
                groups.len() - 1
            }
        };
        by_key.entry(key).or_insert(index);
        if let Some(os_key) = os_key {
            by_os_id.entry(os_key).or_insert(index);
        }
    }

    let possible_duplicates = possible_duplicates(&groups, existing);

    // Match against the database: OS ID first, then the dedupe key.
    let mut existing_by_os: HashMap<String, usize> = HashMap::new();
    let mut existing_by_key: HashMap<DedupeKey, usize> = HashMap::new();
    for (i, e) in existing.iter().enumerate() {
        if let Some(k) = dedupe::os_id_key(e.record.os_id.as_deref()) {
            existing_by_os.entry(k).or_insert(i);
        }
        existing_by_key.entry(dedupe_key(&e.record)).or_insert(i);
    }

    let mut add = Vec::new();
    let mut matched: Vec<(usize, Group)> = Vec::new();
    for group in groups {
        let found = dedupe::os_id_key(group.record.os_id.as_deref())
            .and_then(|k| existing_by_os.get(&k).copied())
            .or_else(|| existing_by_key.get(&dedupe_key(&group.record)).copied());
        match found {
            None => add.push(NewFacility {
                lines: group.lines,
                record: group.record,
            }),
            Some(existing_index) => match matched.iter_mut().find(|(i, _)| *i == existing_index) {
                // Two facilities of the file match the same existing one: they are
                // duplicates of each other too.
                Some((_, earlier)) => {
                    let conflicts = dedupe::merge_into(&mut earlier.record, &group.record);
                    for (n, line) in group.lines.iter().enumerate() {
                        duplicates_in_file.push(DuplicateRow {
                            line: *line,
                            duplicate_of_line: earlier.lines[0],
                            conflicts: if n == 0 {
                                conflicts.clone()
                            } else {
                                Vec::new()
                            },
                        });
                    }
                    earlier.lines.extend(group.lines);
                    earlier.lines.sort_unstable();
                }
                None => matched.push((existing_index, group)),
            },
        }
    }
    let merge: Vec<MergeIntoExisting> = matched
        .into_iter()
        .map(|(i, group)| {
            let (changes, conflicts) = dedupe::changes(&existing[i].record, &group.record);
            MergeIntoExisting {
                lines: group.lines,
                existing_id: existing[i].id,
                changes,
                conflicts,
            }
        })
        .collect();

    duplicates_in_file.sort_by_key(|d| d.line);
    warnings.sort_by_key(|w| w.line);
    let summary = ImportSummary {
        rows: data.len(),
        add: add.len(),
        merge: merge.len(),
        merge_with_changes: merge.iter().filter(|m| !m.changes.is_empty()).count(),
        reject: reject.len(),
        duplicates_in_file: duplicates_in_file.len(),
        warnings: warnings.len(),
        possible_duplicates: possible_duplicates.len(),
    };
    Ok(ImportPreview {
        add,
        merge,
        reject,
        duplicates_in_file,
        warnings,
        possible_duplicates,
        columns: map.mappings.clone(),
        header_line: header.line,
        summary,
    })
}

/// The fields of a facility record, in registry shape (entity `facility`), with
/// `deleted` false. Empty lists are written as null.
pub fn record_fields(r: &FacilityRecord) -> Vec<(&'static str, serde_json::Value)> {
    use serde_json::{json, Value};
    let opt_list = |l: &Vec<String>| if l.is_empty() { Value::Null } else { json!(l) };
    vec![
        ("name", json!(r.name)),
        ("address", json!(r.address)),
        ("country_code", json!(r.country_code)),
        ("sectors", opt_list(&r.sectors)),
        ("lat", json!(r.lat)),
        ("lng", json!(r.lng)),
        ("workers_min", json!(r.workers_min)),
        ("workers_max", json!(r.workers_max)),
        ("os_id", json!(r.os_id)),
        ("parent_company", json!(r.parent_company)),
        ("facility_type", json!(r.facility_type)),
        ("product_types", opt_list(&r.product_types)),
        ("deleted", json!(false)),
    ]
}

#[cfg(test)]
mod tests;
