//! The supplier's CAP workbook (RBA's "download open CAP to Excel" habit): the
//! open CAP items of a facility as an XLSX the supplier fills in offline, and the
//! filled file read back.
//!
//! Written with `rust_xlsxwriter` and read with `calamine` (kept crates; XLSX is a
//! zip of XML that is easy to get subtly wrong by hand). The sheet `CAP` has one
//! row per item: the id and what was found, the CAP as agreed and its deadlines in
//! protected cells, then empty, unlocked columns for root cause, corrective
//! action, preventive action, responsible person, planned completion date and
//! evidence description. The sheet `About` names the facility.
//!
//! Reading back checks everything before anything is stored ([`CapImport`]): the
//! sheet and header, every id (known, a CAP item of this facility, still open, not
//! twice), every date (a date, not in the past), every length, no formulas or
//! error cells, and that an answer is not already waiting for a reviewer (the same
//! file imported twice). Each problem names its row (as the spreadsheet numbers
//! it) and what to fix; with any problem, or with no row answered, nothing is
//! applied.

use std::io::Cursor;
use std::path::Path;

use calamine::{Data, Reader, Xlsx};
use chrono::{Days, NaiveDate};
use rust_xlsxwriter::{Format, Workbook};
use serde::Serialize;
use uuid::Uuid;

use super::supplier::ResponseInput;
use fieldaudit_protocol::closed_sets::{FollowUpStatus, SupplierResponseState};

use super::CapItem;
use crate::{CoreError, Result, Store};

/// The sheet with the CAP items.
pub const SHEET: &str = "CAP";
/// The sheet that names the facility.
pub const ABOUT_SHEET: &str = "About";
/// The longest text accepted in a response cell.
pub const MAX_CELL_CHARS: usize = 2000;
/// The longest name accepted as the responsible person.
pub const MAX_NAME_CHARS: usize = 200;
/// The column of the responsible person.
const RESPONSIBLE_COLUMN: usize = 11;
/// The column of the planned completion date.
const DATE_COLUMN: usize = 12;

/// The columns, in order; the first eight are FieldAudit's, the rest the supplier's.
pub const COLUMNS: [&str; 14] = [
    "CAP item id",
    "Audit",
    "Severity",
    "Finding",
    "CAP as agreed",
    "Plan due",
    "Fix by",
    "Blocks production",
    "Root cause",
    "Corrective action",
    "Preventive action",
    "Responsible person",
    "Planned completion date (YYYY-MM-DD)",
    "Evidence description",
];
const FIRST_SUPPLIER_COLUMN: usize = 8;

/// One row's problem.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RowProblem {
    /// The row as the spreadsheet numbers it (1 = header); 0 for the whole file.
    pub row: u32,
    /// What is wrong and what to fix.
    pub reason: String,
}

/// One field a response changes, compared with the plan in force.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ResponseChange {
    /// The column.
    pub field: String,
    /// The plan in force now.
    pub before: Option<String>,
    /// What the supplier wrote.
    pub after: String,
}

/// One answered row.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ResponseRow {
    /// The row in the spreadsheet.
    pub row: u32,
    /// The finding's title.
    pub finding: String,
    /// The response to store.
    pub response: ResponseInput,
    /// What it changes.
    pub changes: Vec<ResponseChange>,
}

/// A filled workbook, read and checked: what would be stored, or why not.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CapImport {
    /// The file's name.
    pub file_name: String,
    /// The facility named in the workbook.
    pub facility_id: Option<Uuid>,
    /// Rows with a response.
    pub rows: Vec<ResponseRow>,
    /// Rows left empty by the supplier.
    pub unanswered: u32,
    /// Problems; any problem means nothing is applied.
    pub problems: Vec<RowProblem>,
}

fn xlsx_error(e: rust_xlsxwriter::XlsxError) -> CoreError {
    CoreError::Invalid(format!("cannot write the CAP workbook: {e}"))
}

fn date_text(d: &Option<String>) -> String {
    d.clone().unwrap_or_default()
}

/// The cell's column letter and row, as a spreadsheet shows it.
fn cell_name(row: usize, col: usize) -> String {
    format!("{}{}", (b'A' + col as u8) as char, row + 1)
}

impl Store {
    /// Writes the supplier's workbook of a facility's open CAP items to `path`
    /// (through a `.partial` file renamed at the end, so a failure leaves no
    /// half-written workbook). Returns how many CAP items it holds.
    pub fn write_cap_workbook(&self, facility_id: Uuid, today: NaiveDate, path: &Path) -> Result<usize> {
        let bytes = self.export_cap_workbook(facility_id, today)?;
        let items = self.facility_cap_items(facility_id, today)?.len();
        let tmp = path.with_extension("xlsx.partial");
        std::fs::write(&tmp, &bytes).map_err(|e| CoreError::io(format!("cannot write {}", tmp.display()), e))?;
        std::fs::rename(&tmp, path).map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            CoreError::io(format!("cannot write {}", path.display()), e)
        })?;
        Ok(items)
    }

    /// The open CAP items of a facility as the supplier's workbook (XLSX bytes).
    pub fn export_cap_workbook(&self, facility_id: Uuid, today: NaiveDate) -> Result<Vec<u8>> {
        let facility = self.facility(facility_id)?;
        let items = self.facility_cap_items(facility_id, today)?;
        let mut book = Workbook::new();
        let header = Format::new()
            .set_bold()
            .set_text_wrap()
            .set_background_color("#D9E2F3");
        let locked = Format::new().set_text_wrap();
        let open = Format::new()
            .set_unlocked()
            .set_text_wrap()
            .set_background_color("#FFF2CC");
        let sheet = book.add_worksheet();
        sheet.set_name(SHEET).map_err(xlsx_error)?;
        for (c, title) in COLUMNS.iter().enumerate() {
            sheet
                .write_string_with_format(0, c as u16, *title, &header)
                .map_err(xlsx_error)?;
            let width = match c {
                0 => 38.0,
                3 | 4 | 8..=10 | 13 => 40.0,
                _ => 16.0,
            };
            sheet
                .set_column_width(c as u16, width)
                .map_err(xlsx_error)?;
        }
        for (i, item) in items.iter().enumerate() {
            let r = (i + 1) as u32;
            let audit = self.audit(item.audit_id)?;
            let cells = [
                item.action.id.to_string(),
                format!(
                    "{} {}",
                    audit.start_date.clone().unwrap_or_default(),
                    audit.audit_type.map(|t| t.as_str().replace('_', " ")).unwrap_or_default()
                ),
                item.finding.severity.map(|s| s.as_str().replace('_', " ")).unwrap_or_default(),
                [item.finding.title.clone(), item.finding.description.clone()]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(": "),
                item.action.corrective_action.clone().unwrap_or_default(),
                date_text(&item.action.plan_due_date),
                date_text(&item.action.due_date),
                if item.action.production_blocking == Some(true) {
                    "yes".into()
                } else {
                    "no".into()
                },
            ];
            for (c, v) in cells.iter().enumerate() {
                sheet
                    .write_string_with_format(r, c as u16, v, &locked)
                    .map_err(xlsx_error)?;
            }
            for c in FIRST_SUPPLIER_COLUMN..COLUMNS.len() {
                sheet.write_blank(r, c as u16, &open).map_err(xlsx_error)?;
            }
        }
        sheet.protect();
        let about = book.add_worksheet();
        about.set_name(ABOUT_SHEET).map_err(xlsx_error)?;
        about.write_string(0, 0, "FieldAudit CAP workbook: fill in the yellow columns of the CAP sheet and send the file back").map_err(xlsx_error)?;
        about
            .write_string(1, 0, "facility_id")
            .map_err(xlsx_error)?;
        about
            .write_string(1, 1, facility_id.to_string())
            .map_err(xlsx_error)?;
        about.write_string(2, 0, "facility").map_err(xlsx_error)?;
        about
            .write_string(2, 1, facility.name.unwrap_or_default())
            .map_err(xlsx_error)?;
        about
            .write_string(3, 0, "exported_on")
            .map_err(xlsx_error)?;
        about
            .write_string(3, 1, today.to_string())
            .map_err(xlsx_error)?;
        about.protect();
        book.save_to_buffer().map_err(xlsx_error)
    }

    /// Reads a filled CAP workbook and checks every row against this device's CAP
    /// items; planned dates before `today` are refused. Stores nothing.
    pub fn read_cap_workbook(
        &self,
        file_name: &str,
        bytes: &[u8],
        today: NaiveDate,
    ) -> Result<CapImport> {
        let mut out = CapImport {
            file_name: file_name.to_owned(),
            facility_id: None,
            rows: Vec::new(),
            unanswered: 0,
            problems: Vec::new(),
        };
        let whole =
            |out: &mut CapImport, reason: String| out.problems.push(RowProblem { row: 0, reason });
        let mut book: Xlsx<_> = match calamine::open_workbook_from_rs(Cursor::new(bytes)) {
            Ok(b) => b,
            Err(e) => {
                whole(&mut out, format!("{file_name} is not an XLSX workbook ({e}); send back the file FieldAudit exported, saved as .xlsx"));
                return Ok(out);
            }
        };
        let names = book.sheet_names().to_owned();
        if !names.iter().any(|n| n == SHEET) {
            whole(&mut out, format!("the workbook has no sheet named {SHEET:?} (it has {}): fill in the CAP sheet of the exported file", names.join(", ")));
            return Ok(out);
        }
        out.facility_id = book
            .worksheet_range(ABOUT_SHEET)
            .ok()
            .and_then(|r| r.get_value((1, 1)).map(|v| v.to_string()))
            .and_then(|s| Uuid::parse_str(s.trim()).ok());
        let Some(facility_id) = out.facility_id else {
            whole(&mut out, format!("the {ABOUT_SHEET} sheet does not name the facility; export the CAP workbook again with FieldAudit"));
            return Ok(out);
        };
        if self.facility(facility_id).is_err() {
            whole(&mut out, format!("the workbook is for facility {facility_id}, which this device does not know; import it where that facility's audits are"));
            return Ok(out);
        }
        let range = match book.worksheet_range(SHEET) {
            Ok(r) => r,
            Err(e) => {
                whole(&mut out, format!("cannot read the {SHEET} sheet: {e}"));
                return Ok(out);
            }
        };
        let formulas = book.worksheet_formula(SHEET).ok();
        let start = range.start().unwrap_or((0, 0));
        if start != (0, 0) {
            whole(&mut out, format!("the {SHEET} sheet must start at A1 with its header row; do not insert rows or columns above or left of it"));
            return Ok(out);
        }
        let cell = |r: usize, c: usize| range.get((r, c)).cloned().unwrap_or(Data::Empty);
        let headers_ok = COLUMNS
            .iter()
            .enumerate()
            .all(|(c, h)| cell(0, c).to_string().trim() == *h);
        if !headers_ok {
            out.problems.push(RowProblem {
                row: 1,
                reason: format!(
                    "the header row must read {} (do not rename, move or delete columns)",
                    COLUMNS.join(" | ")
                ),
            });
            return Ok(out);
        }
        if let Some(f) = &formulas {
            let (fr, fc) = f.start().unwrap_or((0, 0));
            for (r, row) in f.rows().enumerate() {
                for (c, formula) in row.iter().enumerate() {
                    if !formula.trim().is_empty() {
                        let (r, c) = (r + fr as usize, c + fc as usize);
                        out.problems.push(RowProblem {
                            row: r as u32 + 1,
                            reason: format!(
                                "cell {} holds a formula (={formula}); type the value itself",
                                cell_name(r, c)
                            ),
                        });
                    }
                }
            }
        }
        let items: Vec<CapItem> = self.facility_cap_items_all(facility_id, today)?;
        let mut seen: Vec<Uuid> = Vec::new();
        let height = range.height();
        for r in 1..height {
            let n = r as u32 + 1;
            let mut problem = |reason: String| out.problems.push(RowProblem { row: n, reason });
            let id_text = cell(r, 0).to_string();
            let supplier_cells: Vec<Data> = (FIRST_SUPPLIER_COLUMN..COLUMNS.len())
                .map(|c| cell(r, c))
                .collect();
            if id_text.trim().is_empty() {
                if supplier_cells.iter().any(|d| !matches!(d, Data::Empty)) {
                    problem("the row has answers but no CAP item id; answer only the rows FieldAudit listed".into());
                }
                continue;
            }
            let Ok(action_id) = Uuid::parse_str(id_text.trim()) else {
                problem(format!(
                    "{id_text:?} is not a CAP item id; do not change column A"
                ));
                continue;
            };
            let Some(item) = items.iter().find(|i| i.action.id == action_id) else {
                let elsewhere = self
                    .get::<crate::model::CorrectiveAction>(
                        fieldaudit_protocol::EntityKind::CorrectiveAction,
                        action_id,
                    )?
                    .is_some();
                problem(if elsewhere {
                    format!("CAP item {action_id} belongs to another facility, not this workbook's; answer it in that facility's workbook")
                } else {
                    format!("CAP item {action_id} is unknown here; do not change column A")
                });
                continue;
            };
            if seen.contains(&action_id) {
                problem(format!(
                    "CAP item {action_id} appears twice; answer each item on one row"
                ));
                continue;
            }
            seen.push(action_id);
            let mut response = ResponseInput {
                action_id,
                ..Default::default()
            };
            let mut bad = false;
            for (k, value) in supplier_cells.iter().enumerate() {
                let col = FIRST_SUPPLIER_COLUMN + k;
                let text = match value {
                    Data::Empty => None,
                    Data::String(s) => Some(s.trim().to_owned()).filter(|s| !s.is_empty()),
                    Data::Error(e) => {
                        problem(format!(
                            "cell {} shows an error ({e:?}); type the value itself",
                            cell_name(r, col)
                        ));
                        bad = true;
                        continue;
                    }
                    other => Some(other.to_string()),
                };
                if col == DATE_COLUMN {
                    let date = match value {
                        Data::DateTime(d) => serial_date(d.as_f64()),
                        Data::Float(f) => serial_date(*f),
                        Data::Int(i) => serial_date(*i as f64),
                        _ => text
                            .as_deref()
                            .map(|t| NaiveDate::parse_from_str(t, "%Y-%m-%d").ok())
                            .unwrap_or(None),
                    };
                    match (text.as_deref(), date) {
                        (None, _) => {}
                        (Some(t), None) => {
                            problem(format!(
                                "cell {}: {t:?} is not a date; write it as YYYY-MM-DD",
                                cell_name(r, col)
                            ));
                            bad = true;
                        }
                        (Some(_), Some(d)) if d < today => {
                            problem(format!("cell {}: the planned completion date {d} is in the past; give a date from {today} on", cell_name(r, col)));
                            bad = true;
                        }
                        (Some(_), Some(d)) => response.planned_completion = Some(d),
                    }
                    continue;
                }
                if let Some(t) = &text {
                    let chars = t.chars().count();
                    if chars > MAX_CELL_CHARS {
                        problem(format!("cell {} ({}) has {chars} characters; keep it to {MAX_CELL_CHARS} and attach longer documents as evidence", cell_name(r, col), COLUMNS[col]));
                        bad = true;
                        continue;
                    }
                    if col == RESPONSIBLE_COLUMN && chars > MAX_NAME_CHARS {
                        problem(format!("cell {} ({}) has {chars} characters; give the person's name and role in at most {MAX_NAME_CHARS}", cell_name(r, col), COLUMNS[col]));
                        bad = true;
                        continue;
                    }
                    if t.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
                        problem(format!("cell {} ({}) holds control characters; type plain text", cell_name(r, col), COLUMNS[col]));
                        bad = true;
                        continue;
                    }
                }
                let slot = match col {
                    8 => &mut response.root_cause,
                    9 => &mut response.corrective_action,
                    10 => &mut response.preventive_action,
                    11 => &mut response.responsible,
                    _ => &mut response.evidence_description,
                };
                *slot = text;
            }
            if bad {
                continue;
            }
            if response.is_empty() {
                out.unanswered += 1;
                continue;
            }
            if !item.is_open() {
                problem(format!(
                    "CAP item {action_id} is already {}; it needs no answer (leave its row empty)",
                    if item.finding.follow_up_status == Some(FollowUpStatus::Closed) {
                        "verified closed at a follow-up".to_owned()
                    } else {
                        item.action.status.map(|s| s.as_str().replace('_', " ")).unwrap_or_default()
                    }
                ));
                continue;
            }
            if let Some(waiting) = item
                .responses
                .iter()
                .find(|p| p.state == Some(SupplierResponseState::Pending) && same_answer(p, &response))
            {
                problem(format!(
                    "this answer to CAP item {action_id} is already waiting for a reviewer (imported from {} on {}); leave the row empty or change the answer",
                    waiting.file_name.as_deref().unwrap_or("a workbook"),
                    waiting.received_at.as_deref().and_then(|t| t.get(..10)).unwrap_or("an earlier day")
                ));
                continue;
            }
            let plan = item.accepted_response.as_ref();
            let before = |accepted: Option<&Option<String>>, agreed: &Option<String>| {
                accepted.cloned().flatten().or_else(|| agreed.clone())
            };
            let mut changes = Vec::new();
            let mut change = |field: &str, before: Option<String>, after: &Option<String>| {
                if let Some(a) = after {
                    if before.as_deref() != Some(a.as_str()) {
                        changes.push(ResponseChange {
                            field: field.into(),
                            before,
                            after: a.clone(),
                        });
                    }
                }
            };
            change(
                COLUMNS[8],
                before(plan.map(|p| &p.root_cause), &item.action.root_cause),
                &response.root_cause,
            );
            change(
                COLUMNS[9],
                before(
                    plan.map(|p| &p.corrective_action),
                    &item.action.corrective_action,
                ),
                &response.corrective_action,
            );
            change(
                COLUMNS[10],
                before(
                    plan.map(|p| &p.preventive_action),
                    &item.action.preventive_action,
                ),
                &response.preventive_action,
            );
            change(
                COLUMNS[11],
                before(plan.map(|p| &p.responsible), &item.action.owner),
                &response.responsible,
            );
            change(
                "Planned completion date",
                plan.and_then(|p| p.planned_completion.clone()),
                &response.planned_completion.map(|d| d.to_string()),
            );
            change(
                COLUMNS[13],
                plan.and_then(|p| p.evidence_description.clone()),
                &response.evidence_description,
            );
            out.rows.push(ResponseRow {
                row: n,
                finding: item.finding.title.clone().unwrap_or_default(),
                response,
                changes,
            });
        }
        if out.rows.is_empty() && out.problems.is_empty() {
            out.problems.push(RowProblem {
                row: 0,
                reason: format!(
                    "no CAP item is answered ({} row(s) left empty); fill in the yellow columns of the {SHEET} sheet",
                    out.unanswered
                ),
            });
        }
        Ok(out)
    }

    /// Reads a filled CAP workbook and, when every row is right, stores each answer
    /// as a supplier response waiting for a reviewer, all in one transaction. With
    /// any problem nothing is stored and the error lists every problem by row.
    pub fn import_cap_workbook(
        &mut self,
        file_name: &str,
        bytes: &[u8],
        today: NaiveDate,
    ) -> Result<CapImport> {
        let read = self.read_cap_workbook(file_name, bytes, today)?;
        if !read.problems.is_empty() {
            let list: Vec<String> = read
                .problems
                .iter()
                .map(|p| {
                    if p.row == 0 {
                        p.reason.clone()
                    } else {
                        format!("row {}: {}", p.row, p.reason)
                    }
                })
                .collect();
            return Err(CoreError::Invalid(format!(
                "{file_name} was not imported (nothing changed):\n{}",
                list.join("\n")
            )));
        }
        let responses: Vec<ResponseInput> = read.rows.iter().map(|r| r.response.clone()).collect();
        self.store_supplier_responses(file_name, &responses)?;
        Ok(read)
    }

    /// Every CAP item of a facility (open or not), for checking a returned workbook.
    fn facility_cap_items_all(&self, facility_id: Uuid, today: NaiveDate) -> Result<Vec<CapItem>> {
        let mut out = Vec::new();
        for audit in self.audits(Some(facility_id))? {
            out.extend(self.cap_items(audit.id, today)?);
        }
        Ok(out)
    }
}

/// Whether a stored response says what `input` says (the same file imported again).
fn same_answer(stored: &crate::model::SupplierResponse, input: &ResponseInput) -> bool {
    stored.root_cause == input.root_cause
        && stored.corrective_action == input.corrective_action
        && stored.preventive_action == input.preventive_action
        && stored.responsible == input.responsible
        && stored.planned_completion == input.planned_completion.map(|d| d.to_string())
        && stored.evidence_description == input.evidence_description
}

/// The date of an Excel serial day number (1900 date system).
fn serial_date(serial: f64) -> Option<NaiveDate> {
    if !(1.0..2_958_466.0).contains(&serial) {
        return None;
    }
    NaiveDate::from_ymd_opt(1899, 12, 30)?.checked_add_days(Days::new(serial.floor() as u64))
}
