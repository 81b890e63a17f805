//! Checklists as XLSForm-style spreadsheets, the habit auditors know from ODK and
//! Kobo: a `settings` sheet (id, version, title), a `survey` sheet (one row per
//! question, `begin group`/`end group` rows around each section) and a `choices`
//! sheet (the options of `select_one`/`select_multiple` questions). Layout:
//! `templates/README.md`, "Checklists as spreadsheets".
//!
//! [`read_xlsx`] turns a workbook into the same [`Template`] a TOML file gives:
//! it reads the cells with calamine, refuses what a spreadsheet can get wrong
//! (formula cells, unknown columns or types, duplicate names, empty labels,
//! unreadable conditions, severities the scale lacks) naming the sheet, row and
//! column, then writes the equivalent TOML and runs the one template validator on
//! it, so every rule of the TOML format holds here too; its findings are
//! reported against the spreadsheet row they came from. [`write_xlsx`] writes a
//! template in this layout (rust_xlsxwriter), so a built-in checklist can be
//! given to an organisation as the starting point for its own.

use std::collections::HashMap;
use std::io::Cursor;

use calamine::{Data, Range, Reader, Xlsx};

use crate::model::{AnswerType, Computed, Condition, ConditionTest, FailWhen, Template};
use crate::text::SUPPORTED_LANGUAGES;
use crate::{Severity, TemplateError, Text};

/// Largest workbook [`read_xlsx`] accepts (2 MiB): a checklist of a few hundred
/// questions in five languages is well under 200 KB.
pub const MAX_XLSX_BYTES: u64 = 2 * 1024 * 1024;

/// Columns of the `survey` sheet without a language (`label::bn` and the like are
/// the localised ones, [`SURVEY_TEXT_COLUMNS`]).
const SURVEY_COLUMNS: [&str; 13] = [
    "type",
    "name",
    "relevant",
    "severity_if_failed",
    "required",
    "blocks_production",
    "allow_na",
    "evidence_photo",
    "min",
    "max",
    "calculation",
    "repeat_min",
    "repeat_max",
];
/// Localised columns of the `survey` sheet (`label::en`, `hint::vi`, ...).
const SURVEY_TEXT_COLUMNS: [&str; 4] = ["label", "hint", "unit", "repeat_label"];
const CHOICES_COLUMNS: [&str; 3] = ["list_name", "name", "severity"];
const CHOICES_TEXT_COLUMNS: [&str; 1] = ["label"];
const SETTINGS_COLUMNS: [&str; 3] = ["form_id", "version", "confidential"];
const SETTINGS_TEXT_COLUMNS: [&str; 2] = ["form_title", "description"];

const QUESTION_TYPES: &str = "yes_no, integer, decimal, calculate, date, text, image, select_one LIST, select_multiple LIST, begin group, end group, begin repeat, end repeat";

/// Reads a checklist workbook from a file (`fieldaudit template validate FILE.xlsx`).
pub fn load_xlsx(path: &std::path::Path) -> Result<Template, TemplateError> {
    let name = path.display().to_string();
    let meta = std::fs::metadata(path)
        .map_err(|e| TemplateError::file(&name, format!("cannot read the file: {e}")))?;
    if meta.len() > MAX_XLSX_BYTES {
        return Err(too_large(&name, meta.len()));
    }
    let bytes = std::fs::read(path)
        .map_err(|e| TemplateError::file(&name, format!("cannot read the file: {e}")))?;
    read_xlsx(&bytes, &name)
}

fn too_large(file: &str, len: u64) -> TemplateError {
    TemplateError::file(
        file,
        format!("the workbook is {len} bytes; a checklist workbook may be at most {MAX_XLSX_BYTES} bytes (remove pictures and unused sheets)"),
    )
}

/// One cell's text.
#[derive(Clone)]
struct Cell {
    text: String,
}

/// One data row of a sheet: its spreadsheet row number (1-based, as shown) and
/// its cells by normalised column name (`label::zh-Hans`).
struct Row {
    number: u32,
    cells: HashMap<String, Cell>,
}

impl Row {
    fn get(&self, col: &str) -> &str {
        self.cells.get(col).map_or("", |c| c.text.as_str())
    }
}

/// Where a sheet's problem is, for messages.
struct At<'a> {
    file: &'a str,
    sheet: &'a str,
}

impl At<'_> {
    fn row(
        &self,
        row: &Row,
        column: Option<&str>,
        reason: impl std::fmt::Display,
    ) -> TemplateError {
        let column = column.map(|c| format!(", column {c}")).unwrap_or_default();
        TemplateError::file(
            self.file,
            format!("sheet {}, row {}{column}: {reason}", self.sheet, row.number),
        )
    }
}

/// The spreadsheet letters of a 0-based column index (0 → A, 27 → AB).
fn column_letters(mut index: u32) -> String {
    let mut out = Vec::new();
    loop {
        out.push(b'A' + (index % 26) as u8);
        if index < 26 {
            break;
        }
        index = index / 26 - 1;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// The normalised name of a header cell: `label::English (en)` and `label::en`
/// both give `label::en`; the base name is lower-cased.
fn normalise_header(raw: &str) -> Result<String, String> {
    let raw = raw.trim();
    let Some((base, lang)) = raw.split_once("::") else {
        return Ok(raw.to_ascii_lowercase());
    };
    let lang = lang.trim();
    let tag = match (lang.rfind('('), lang.ends_with(')')) {
        (Some(open), true) => &lang[open + 1..lang.len() - 1],
        _ => lang,
    };
    match SUPPORTED_LANGUAGES
        .iter()
        .find(|l| l.eq_ignore_ascii_case(tag.trim()))
    {
        Some(l) => Ok(format!("{}::{l}", base.trim().to_ascii_lowercase())),
        None => Err(format!(
            "column `{raw}` names language `{tag}`; supported: {}",
            SUPPORTED_LANGUAGES.join(", ")
        )),
    }
}

/// A cell's text. Numbers read as written (`2`, `1.5`), booleans as yes/no.
fn cell_text(data: &Data) -> Result<String, &'static str> {
    Ok(match data {
        Data::Empty => String::new(),
        Data::String(s) => s.trim().to_owned(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => {
            if *b {
                "yes".into()
            } else {
                "no".into()
            }
        }
        Data::DateTime(_) | Data::DateTimeIso(_) | Data::DurationIso(_) => {
            return Err("holds a date; type the value as text")
        }
        Data::Error(_) => {
            return Err("holds a spreadsheet error (#REF!, #N/A ...); type the value itself")
        }
    })
}

/// Reads a sheet into rows, refusing formula cells and unknown columns.
fn read_sheet(
    book: &mut Xlsx<Cursor<&[u8]>>,
    file: &str,
    sheet: &str,
    plain: &[&str],
    localised: &[&str],
) -> Result<Option<Vec<Row>>, TemplateError> {
    let Some(name) = book
        .sheet_names()
        .into_iter()
        .find(|n| n.trim().eq_ignore_ascii_case(sheet))
    else {
        return Ok(None);
    };
    let at = |reason: String| TemplateError::file(file, format!("sheet {sheet}, {reason}"));
    let formulas = book
        .worksheet_formula(&name)
        .map_err(|e| at(format!("cannot be read: {e}")))?;
    if let Some((r, c, f)) = formulas.cells().find(|(_, _, f)| !f.trim().is_empty()) {
        let (r0, c0) = formulas.start().unwrap_or((0, 0));
        return Err(at(format!(
            "row {}, column {}: the cell holds a formula (={}); type its value instead, formulas are not read",
            r0 + r as u32 + 1,
            column_letters(c0 + c as u32),
            f.trim()
        )));
    }
    let range: Range<Data> = book
        .worksheet_range(&name)
        .map_err(|e| at(format!("cannot be read: {e}")))?;
    let (r0, c0) = range.start().unwrap_or((0, 0));
    let mut rows = range.rows();
    let Some(header) = rows.next() else {
        return Ok(Some(Vec::new()));
    };
    let header_row = r0 + 1;
    let mut columns: Vec<Option<String>> = Vec::new();
    for (i, h) in header.iter().enumerate() {
        let letter = column_letters(c0 + i as u32);
        let text = cell_text(h).map_err(|e| {
            at(format!(
                "row {header_row}, column {letter}: the header cell {e}"
            ))
        })?;
        if text.is_empty() {
            columns.push(None);
            continue;
        }
        let key = normalise_header(&text)
            .map_err(|e| at(format!("row {header_row}, column {letter}: {e}")))?;
        let base = key.split("::").next().unwrap_or("");
        let known = if key.contains("::") {
            localised.contains(&base)
        } else {
            plain.contains(&base) || localised.contains(&base)
        };
        if !known {
            let mut expected: Vec<String> = plain.iter().map(|s| s.to_string()).collect();
            expected.extend(localised.iter().map(|s| format!("{s}::LANG")));
            return Err(at(format!(
                "row {header_row}, column {letter}: unknown column `{text}` (expected: {})",
                expected.join(", ")
            )));
        }
        // `label` without a language is English, as in XLSForm.
        let key = if localised.contains(&key.as_str()) {
            format!("{key}::en")
        } else {
            key
        };
        if columns.iter().flatten().any(|k| *k == key) {
            return Err(at(format!(
                "row {header_row}, column {letter}: column `{text}` appears twice"
            )));
        }
        columns.push(Some(key));
    }
    let mut out = Vec::new();
    for (n, row) in rows.enumerate() {
        let number = header_row + n as u32 + 1;
        let mut cells = HashMap::new();
        for (i, data) in row.iter().enumerate() {
            let letter = column_letters(c0 + i as u32);
            let text = cell_text(data)
                .map_err(|e| at(format!("row {number}, column {letter}: the cell {e}")))?;
            match columns.get(i).cloned().flatten() {
                Some(key) => {
                    cells.insert(key, Cell { text });
                }
                None if !text.is_empty() => {
                    return Err(at(format!("row {number}, column {letter}: a value in a column without a header; add the header or clear the cell")));
                }
                None => {}
            }
        }
        if cells.values().any(|c| !c.text.is_empty()) {
            out.push(Row { number, cells });
        }
    }
    Ok(Some(out))
}

/// Builds TOML text, remembering which spreadsheet row each line came from.
struct TomlOut {
    text: String,
    line_rows: Vec<Option<(&'static str, u32)>>,
}

impl TomlOut {
    fn line(&mut self, from: Option<(&'static str, u32)>, line: String) {
        self.text.push_str(&line);
        self.text.push('\n');
        self.line_rows.push(from);
    }
}

fn quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// The localised text of `base` in a row as a TOML inline table, or `None` when
/// every language is empty.
fn text_table(row: &Row, base: &str) -> Option<String> {
    let parts: Vec<String> = SUPPORTED_LANGUAGES
        .iter()
        .filter_map(|l| {
            let v = row.get(&format!("{base}::{l}"));
            (!v.is_empty()).then(|| format!("{l} = {}", quote(v)))
        })
        .collect();
    (!parts.is_empty()).then(|| format!("{{ {} }}", parts.join(", ")))
}

fn yes_no(at: &At<'_>, row: &Row, col: &str) -> Result<Option<bool>, TemplateError> {
    match row.get(col).to_ascii_lowercase().as_str() {
        "" => Ok(None),
        "yes" | "true" | "1" | "true()" => Ok(Some(true)),
        "no" | "false" | "0" | "false()" => Ok(Some(false)),
        other => Err(at.row(row, Some(col), format!("`{other}` is not yes or no"))),
    }
}

fn number(at: &At<'_>, row: &Row, col: &str) -> Result<Option<String>, TemplateError> {
    let v = row.get(col);
    if v.is_empty() {
        return Ok(None);
    }
    match v.parse::<f64>() {
        Ok(n) if n.is_finite() => Ok(Some(v.to_owned())),
        _ => Err(at.row(row, Some(col), format!("`{v}` is not a number"))),
    }
}

fn severity(at: &At<'_>, row: &Row, col: &str, s: &str) -> Result<Severity, TemplateError> {
    s.trim()
        .parse::<Severity>()
        .map_err(|e| at.row(row, Some(col), e))
}

/// `${item}` → `item`.
fn reference(s: &str) -> Option<&str> {
    let s = s.trim();
    s.strip_prefix("${")?.strip_suffix('}').map(str::trim)
}

fn unquote(s: &str) -> Option<&str> {
    let s = s.trim();
    s.strip_prefix('\'')
        .and_then(|v| v.strip_suffix('\''))
        .or_else(|| s.strip_prefix('"').and_then(|v| v.strip_suffix('"')))
}

/// One `relevant` term: `${x} = 'v'`, `selected(${x}, 'v')`, `${x} > 2`, `${x} < 2`.
enum Term {
    Is(String, String),
    Above(String, String),
    Below(String, String),
}

fn term(s: &str) -> Option<Term> {
    let s = s.trim();
    if let Some(args) = s
        .strip_prefix("selected(")
        .and_then(|r| r.strip_suffix(')'))
    {
        let (item, value) = args.split_once(',')?;
        return Some(Term::Is(
            reference(item)?.to_owned(),
            unquote(value)?.to_owned(),
        ));
    }
    for (op, make) in [("=", 0), (">", 1), ("<", 2)] {
        if let Some((l, r)) = s.split_once(op) {
            let item = reference(l)?.to_owned();
            return match make {
                0 => Some(Term::Is(item, unquote(r)?.to_owned())),
                _ => {
                    let n = r.trim();
                    n.parse::<f64>().ok().filter(|n| n.is_finite())?;
                    Some(if make == 1 {
                        Term::Above(item, n.to_owned())
                    } else {
                        Term::Below(item, n.to_owned())
                    })
                }
            };
        }
    }
    None
}

/// A `relevant` expression as a TOML `show_if` table.
fn condition(at: &At<'_>, row: &Row) -> Result<Option<String>, TemplateError> {
    let expr = row.get("relevant");
    if expr.is_empty() {
        return Ok(None);
    }
    let unreadable = || {
        at.row(
            row,
            Some("relevant"),
            format!("cannot read the condition `{expr}`; write ${{item}} = 'value', selected(${{item}}, 'value'), several of those joined by `or` on the same item, or ${{item}} > number / ${{item}} < number"),
        )
    };
    let terms: Vec<Term> = expr
        .split(" or ")
        .map(term)
        .collect::<Option<_>>()
        .ok_or_else(unreadable)?;
    match terms.as_slice() {
        [Term::Is(item, v)] => Ok(Some(format!(
            "{{ item = {}, equals = {} }}",
            quote(item),
            quote(v)
        ))),
        [Term::Above(item, n)] => Ok(Some(format!("{{ item = {}, above = {n} }}", quote(item)))),
        [Term::Below(item, n)] => Ok(Some(format!("{{ item = {}, below = {n} }}", quote(item)))),
        [Term::Is(first, _), ..] => {
            let mut values = Vec::new();
            for t in &terms {
                match t {
                    Term::Is(item, v) if item == first => values.push(quote(v)),
                    _ => return Err(unreadable()),
                }
            }
            Ok(Some(format!(
                "{{ item = {}, any_of = [{}] }}",
                quote(first),
                values.join(", ")
            )))
        }
        _ => Err(unreadable()),
    }
}

/// `severity_if_failed` (`yes: critical`, `below 2: major; below 3: observation`,
/// `older_than_days 365: major`) as TOML fail rules.
fn fail_rules(at: &At<'_>, row: &Row) -> Result<Option<String>, TemplateError> {
    let col = "severity_if_failed";
    let spec = row.get(col);
    if spec.is_empty() {
        return Ok(None);
    }
    let mut rules = Vec::new();
    for part in spec.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let bad = || {
            at.row(row, Some(col), format!("cannot read the rule `{part}`; write `yes: critical`, `no: major`, `below 2: major`, `above 60: critical` or `older_than_days 365: major`, several joined by `;`"))
        };
        let (when, sev) = part.rsplit_once(':').ok_or_else(bad)?;
        let sev = severity(at, row, col, sev)?;
        let mut words = when.split_whitespace();
        let rule = match (words.next(), words.next(), words.next()) {
            (Some(v @ ("yes" | "no")), None, None) => format!("on = {}", quote(v)),
            (Some(op @ ("above" | "below")), Some(n), None)
                if n.parse::<f64>().is_ok_and(f64::is_finite) =>
            {
                format!("{op} = {n}")
            }
            (Some("older_than_days"), Some(n), None) if n.parse::<u32>().is_ok() => {
                format!("older_than_days = {n}")
            }
            _ => return Err(bad()),
        };
        rules.push(format!("{{ {rule}, severity = {} }}", quote(sev.as_str())));
    }
    Ok(Some(format!("[{}]", rules.join(", "))))
}

/// Reads and checks a checklist workbook. `file` names it in errors.
pub fn read_xlsx(bytes: &[u8], file: &str) -> Result<Template, TemplateError> {
    if bytes.len() as u64 > MAX_XLSX_BYTES {
        return Err(too_large(file, bytes.len() as u64));
    }
    let mut book: Xlsx<Cursor<&[u8]>> = Xlsx::new(Cursor::new(bytes))
        .map_err(|e| TemplateError::file(file, format!("not a readable XLSX workbook ({e}); save it from your spreadsheet program as .xlsx")))?;
    let settings = read_sheet(
        &mut book,
        file,
        "settings",
        &SETTINGS_COLUMNS,
        &SETTINGS_TEXT_COLUMNS,
    )?
    .ok_or_else(|| {
        TemplateError::file(
            file,
            "no `settings` sheet: add one with the columns form_id, version and form_title::en",
        )
    })?;
    let survey = read_sheet(
        &mut book,
        file,
        "survey",
        &SURVEY_COLUMNS,
        &SURVEY_TEXT_COLUMNS,
    )?
    .ok_or_else(|| {
        TemplateError::file(file, "no `survey` sheet: add one with a row per question")
    })?;
    let choices = read_sheet(
        &mut book,
        file,
        "choices",
        &CHOICES_COLUMNS,
        &CHOICES_TEXT_COLUMNS,
    )?
    .unwrap_or_default();
    let (toml, rows) = to_toml(file, &settings, &survey, &choices)?;
    crate::parse::parse(&toml.text, file).map_err(|e| located(e, file, &toml, &rows))
}

/// Where items and sections came from: id → (sheet, row).
struct Rows {
    items: HashMap<String, (&'static str, u32)>,
    sections: HashMap<String, (&'static str, u32)>,
}

/// The validator's error, pointed at the spreadsheet row (and column, when the
/// reason names a template key) it came from.
fn located(e: TemplateError, file: &str, toml: &TomlOut, rows: &Rows) -> TemplateError {
    let mut reason = e.reason.clone();
    let mut place: Option<(&'static str, u32)> = None;
    if let Some(rest) = reason.strip_prefix("line ") {
        if let Some((line, after)) = rest.split_once(',') {
            if let (Ok(line), Some((_, msg))) =
                (line.trim().parse::<usize>(), after.split_once(": "))
            {
                place = toml
                    .line_rows
                    .get(line.saturating_sub(1))
                    .copied()
                    .flatten();
                reason = msg.to_owned();
            }
        }
    }
    if let Some(item) = &e.item {
        place = rows.items.get(item).copied().or(place);
        reason = format!("item `{item}`: {reason}");
    } else if let Some(rest) = reason.strip_prefix("section `") {
        if let Some((id, _)) = rest.split_once('`') {
            place = rows.sections.get(id).copied().or(place);
        }
    }
    let column =
        reason
            .split('`')
            .nth(1)
            .and_then(|key| match key.split('.').next().unwrap_or(key) {
                "show_if" => Some("relevant"),
                "fail" => Some("severity_if_failed"),
                "text" => Some("label"),
                "help" => Some("hint"),
                "compute" => Some("calculation"),
                "options" => Some("type"),
                k @ ("min" | "max" | "unit" | "allow_na" | "evidence_photo"
                | "blocks_production") => Some(k),
                _ => None,
            });
    let column = column.map(|c| format!(", column {c}")).unwrap_or_default();
    match place {
        Some((sheet, row)) => {
            TemplateError::file(file, format!("sheet {sheet}, row {row}{column}: {reason}"))
        }
        None => TemplateError::file(file, format!("sheet settings: {reason}")),
    }
}

fn to_toml(
    file: &str,
    settings: &[Row],
    survey: &[Row],
    choices: &[Row],
) -> Result<(TomlOut, Rows), TemplateError> {
    let mut out = TomlOut {
        text: String::new(),
        line_rows: Vec::new(),
    };
    let mut rows = Rows {
        items: HashMap::new(),
        sections: HashMap::new(),
    };

    let at = At {
        file,
        sheet: "settings",
    };
    let s = match settings {
        [one] => one,
        [] => {
            return Err(TemplateError::file(
                file,
                "sheet settings: no row; fill row 2 with form_id, version and form_title::en",
            ))
        }
        [_, extra, ..] => {
            return Err(at.row(
                extra,
                None,
                "only one settings row is read; remove the others",
            ))
        }
    };
    let from = Some(("settings", s.number));
    let id = s.get("form_id");
    if id.is_empty() {
        return Err(at.row(
            s,
            Some("form_id"),
            "empty: give the checklist an id like `acme-code-of-conduct`",
        ));
    }
    out.line(from, format!("id = {}", quote(id)));
    let version = s.get("version");
    match version.parse::<u32>() {
        Ok(v) => out.line(from, format!("version = {v}")),
        Err(_) => {
            return Err(at.row(
                s,
                Some("version"),
                format!("`{version}` is not a version number (1, 2, ...)"),
            ))
        }
    }
    let title = text_table(s, "form_title").ok_or_else(|| {
        at.row(
            s,
            Some("form_title::en"),
            "empty: the checklist needs a title",
        )
    })?;
    if s.get("form_title::en").is_empty() {
        return Err(at.row(
            s,
            Some("form_title::en"),
            "empty: the English title is required (other languages fall back to it)",
        ));
    }
    out.line(from, format!("title = {title}"));
    if let Some(d) = text_table(s, "description") {
        out.line(from, format!("description = {d}"));
    }
    if let Some(c) = yes_no(&at, s, "confidential")? {
        out.line(from, format!("confidential = {c}"));
    }

    // Choices, by list name, in order.
    let at_c = At {
        file,
        sheet: "choices",
    };
    let mut lists: HashMap<String, Vec<String>> = HashMap::new();
    let mut seen_choice: HashMap<(String, String), u32> = HashMap::new();
    for r in choices {
        let list = r.get("list_name");
        let name = r.get("name");
        if list.is_empty() {
            return Err(at_c.row(
                r,
                Some("list_name"),
                "empty: say which list this choice belongs to",
            ));
        }
        if name.is_empty() {
            return Err(at_c.row(
                r,
                Some("name"),
                "empty: give the choice a name (stored as the answer)",
            ));
        }
        if let Some(first) = seen_choice.insert((list.to_owned(), name.to_owned()), r.number) {
            return Err(at_c.row(
                r,
                Some("name"),
                format!("duplicate name `{name}` in list `{list}` (first on row {first})"),
            ));
        }
        if r.get("label::en").is_empty() {
            return Err(at_c.row(
                r,
                Some("label::en"),
                "empty label: every choice needs an English label",
            ));
        }
        let mut parts = vec![
            format!("id = {}", quote(name)),
            format!("text = {}", text_table(r, "label").unwrap_or_default()),
        ];
        let sev = r.get("severity");
        if !sev.is_empty() {
            parts.push(format!(
                "severity = {}",
                quote(severity(&at_c, r, "severity", sev)?.as_str())
            ));
        }
        lists
            .entry(list.to_owned())
            .or_default()
            .push(format!("{{ {} }}", parts.join(", ")));
    }

    let at = At {
        file,
        sheet: "survey",
    };
    let mut open: Option<(&Row, bool)> = None;
    let mut in_section_items = 0usize;
    let mut names: HashMap<String, u32> = HashMap::new();
    for r in survey {
        let from = Some(("survey", r.number));
        let kind = r
            .get("type")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        let name = r.get("name");
        let needs_name = !matches!(kind.as_str(), "end group" | "end repeat");
        if needs_name && name.is_empty() {
            return Err(at.row(
                r,
                Some("name"),
                "empty: every question and group needs a name (its stable id)",
            ));
        }
        if needs_name {
            if let Some(first) = names.insert(name.to_owned(), r.number) {
                return Err(at.row(r, Some("name"), format!("duplicate name `{name}` (first on row {first}); names are the ids answers are stored against and must be unique")));
            }
        }
        match kind.as_str() {
            "begin group" | "begin repeat" => {
                if let Some((first, _)) = open {
                    return Err(at.row(r, Some("type"), format!("a group cannot start inside another (row {} is still open); add `end group` before it", first.number)));
                }
                let repeat = kind == "begin repeat";
                if r.get("label::en").is_empty() {
                    return Err(at.row(
                        r,
                        Some("label::en"),
                        "empty label: every section needs an English title",
                    ));
                }
                rows.sections.insert(name.to_owned(), ("survey", r.number));
                out.line(from, "[[sections]]".into());
                out.line(from, format!("id = {}", quote(name)));
                out.line(
                    from,
                    format!("title = {}", text_table(r, "label").unwrap_or_default()),
                );
                if let Some(h) = text_table(r, "hint") {
                    out.line(from, format!("help = {h}"));
                }
                if repeat {
                    let label = text_table(r, "repeat_label").ok_or_else(|| at.row(r, Some("repeat_label::en"), "empty: a repeat needs a name for one instance (\"Building\", \"Floor\")"))?;
                    let mut parts = vec![format!("label = {label}")];
                    if let Some(n) = number(&at, r, "repeat_min")? {
                        parts.push(format!("min = {n}"));
                    }
                    if let Some(n) = number(&at, r, "repeat_max")? {
                        parts.push(format!("max = {n}"));
                    }
                    out.line(from, format!("repeat = {{ {} }}", parts.join(", ")));
                }
                if let Some(c) = condition(&at, r)? {
                    out.line(from, format!("show_if = {c}"));
                }
                open = Some((r, repeat));
                in_section_items = 0;
            }
            "end group" | "end repeat" => {
                match open {
                    Some((first, repeat)) if repeat == (kind == "end repeat") => {
                        if in_section_items == 0 {
                            return Err(at.row(first, Some("type"), "the group has no questions"));
                        }
                    }
                    Some((first, _)) => {
                        return Err(at.row(
                            r,
                            Some("type"),
                            format!(
                                "`{kind}` does not match the `begin` on row {}",
                                first.number
                            ),
                        ))
                    }
                    None => {
                        return Err(at.row(
                            r,
                            Some("type"),
                            format!("`{kind}` without a `begin` before it"),
                        ))
                    }
                }
                open = None;
            }
            _ => {
                if open.is_none() {
                    return Err(at.row(r, Some("type"), "a question outside any group: put every question between `begin group` and `end group` rows (a group is a section)"));
                }
                in_section_items += 1;
                item(&at, r, &kind, &lists, &mut out)?;
                rows.items.insert(name.to_owned(), ("survey", r.number));
            }
        }
    }
    if let Some((first, _)) = open {
        return Err(at.row(
            first,
            Some("type"),
            "the group is never closed: add an `end group` row after its last question",
        ));
    }
    if rows.sections.is_empty() {
        return Err(TemplateError::file(
            file,
            "sheet survey: no questions; add `begin group`, question rows and `end group`",
        ));
    }
    Ok((out, rows))
}

fn item(
    at: &At<'_>,
    r: &Row,
    kind: &str,
    lists: &HashMap<String, Vec<String>>,
    out: &mut TomlOut,
) -> Result<(), TemplateError> {
    let from = Some(("survey", r.number));
    if r.get("label::en").is_empty() {
        return Err(at.row(
            r,
            Some("label::en"),
            "empty label: every question needs its English text",
        ));
    }
    out.line(from, "[[sections.items]]".into());
    out.line(from, format!("id = {}", quote(r.get("name"))));
    out.line(
        from,
        format!("text = {}", text_table(r, "label").unwrap_or_default()),
    );
    if let Some(h) = text_table(r, "hint") {
        out.line(from, format!("help = {h}"));
    }
    let calculation = r.get("calculation");
    let (answer, extra): (&str, Vec<String>) = match kind.split_once(' ').unwrap_or((kind, "")) {
        ("yes_no", "") => ("yes_no", vec![]),
        ("integer", "") => ("number", vec!["integer = true".into()]),
        ("decimal" | "calculate", "") => ("number", vec![]),
        ("date", "") => ("date", vec![]),
        ("text", "") => ("text", vec![]),
        ("image", "") => ("photo", vec![]),
        (select @ ("select_one" | "select_multiple"), list) if !list.is_empty() => {
            let options = lists.get(list).ok_or_else(|| {
                at.row(
                    r,
                    Some("type"),
                    format!("list `{list}` has no rows on the choices sheet"),
                )
            })?;
            let mut extra = vec![format!("options = [{}]", options.join(", "))];
            if select == "select_multiple" {
                extra.push("multiple = true".into());
            }
            ("choice", extra)
        }
        _ => {
            return Err(at.row(
                r,
                Some("type"),
                format!("unknown type `{kind}` (expected one of: {QUESTION_TYPES})"),
            ))
        }
    };
    if kind == "calculate" && calculation.is_empty() {
        return Err(at.row(
            r,
            Some("calculation"),
            "empty: a `calculate` row needs ${a} div ${b}",
        ));
    }
    out.line(from, format!("answer = {}", quote(answer)));
    for line in extra {
        out.line(from, line);
    }
    for col in ["allow_na", "evidence_photo", "blocks_production"] {
        if let Some(v) = yes_no(at, r, col)? {
            out.line(from, format!("{col} = {v}"));
        }
    }
    yes_no(at, r, "required")?;
    for col in ["min", "max"] {
        if let Some(n) = number(at, r, col)? {
            out.line(from, format!("{col} = {n}"));
        }
    }
    if let Some(u) = text_table(r, "unit") {
        out.line(from, format!("unit = {u}"));
    }
    if !calculation.is_empty() {
        let parts: Option<(&str, &str)> = calculation
            .split_once(" div ")
            .or_else(|| calculation.split_once('/'))
            .and_then(|(a, b)| Some((reference(a)?, reference(b)?)));
        let Some((a, b)) = parts else {
            return Err(at.row(
                r,
                Some("calculation"),
                format!("cannot read `{calculation}`; write ${{numerator}} div ${{denominator}}"),
            ));
        };
        out.line(
            from,
            format!("compute = {{ divide = {}, by = {} }}", quote(a), quote(b)),
        );
    }
    if let Some(c) = condition(at, r)? {
        out.line(from, format!("show_if = {c}"));
    }
    if let Some(f) = fail_rules(at, r)? {
        out.line(from, format!("fail = {f}"));
    }
    Ok(())
}

/// The columns [`write_xlsx`] writes on each sheet, in order.
fn header(plain_before: &[&str], localised: &[&str], plain_after: &[&str]) -> Vec<String> {
    let mut h: Vec<String> = plain_before.iter().map(|s| s.to_string()).collect();
    for base in localised {
        h.extend(SUPPORTED_LANGUAGES.iter().map(|l| format!("{base}::{l}")));
    }
    h.extend(plain_after.iter().map(|s| s.to_string()));
    h
}

fn put_text(cells: &mut HashMap<String, String>, base: &str, text: Option<&Text>) {
    if let Some(t) = text {
        for lang in t.languages() {
            cells.insert(format!("{base}::{lang}"), t.get(lang).to_owned());
        }
    }
}

fn number_text(n: f64) -> String {
    format!("{n}")
}

fn condition_text(template: &Template, c: &Condition) -> String {
    let multiple = matches!(
        template.item(&c.item).map(|(_, i)| &i.answer),
        Some(AnswerType::Choice { multiple: true, .. })
    );
    let is = |v: &str| {
        if multiple {
            format!("selected(${{{}}}, '{v}')", c.item)
        } else {
            format!("${{{}}} = '{v}'", c.item)
        }
    };
    match &c.test {
        ConditionTest::Equals(v) => is(v),
        ConditionTest::AnyOf(vs) => vs.iter().map(|v| is(v)).collect::<Vec<_>>().join(" or "),
        ConditionTest::Above(n) => format!("${{{}}} > {}", c.item, number_text(*n)),
        ConditionTest::Below(n) => format!("${{{}}} < {}", c.item, number_text(*n)),
    }
}

/// Writes a template as a checklist workbook in the layout [`read_xlsx`] reads.
pub fn write_xlsx(template: &Template) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let bold = rust_xlsxwriter::Format::new().set_bold();
    let sheet_rows = |name: &str,
                      columns: &[String],
                      rows: Vec<HashMap<String, String>>,
                      book: &mut rust_xlsxwriter::Workbook|
     -> Result<(), rust_xlsxwriter::XlsxError> {
        let sheet = book.add_worksheet();
        sheet.set_name(name)?;
        for (c, h) in columns.iter().enumerate() {
            sheet.write_string_with_format(0, c as u16, h, &bold)?;
        }
        for (r, cells) in rows.iter().enumerate() {
            for (c, h) in columns.iter().enumerate() {
                if let Some(v) = cells.get(h).filter(|v| !v.is_empty()) {
                    sheet.write_string(r as u32 + 1, c as u16, v)?;
                }
            }
        }
        sheet.set_freeze_panes(1, 0)?;
        Ok(())
    };

    let mut s = HashMap::new();
    s.insert("form_id".to_owned(), template.id.clone());
    s.insert("version".to_owned(), template.version.to_string());
    put_text(&mut s, "form_title", Some(&template.title));
    put_text(&mut s, "description", template.description.as_ref());
    s.insert(
        "confidential".to_owned(),
        if template.confidential { "yes" } else { "no" }.to_owned(),
    );
    sheet_rows(
        "settings",
        &header(
            &["form_id", "version"],
            &SETTINGS_TEXT_COLUMNS,
            &["confidential"],
        ),
        vec![s],
        &mut book,
    )?;

    let mut survey = Vec::new();
    let mut choices = Vec::new();
    for section in &template.sections {
        let mut g = HashMap::new();
        g.insert(
            "type".to_owned(),
            if section.repeat.is_some() {
                "begin repeat"
            } else {
                "begin group"
            }
            .to_owned(),
        );
        g.insert("name".to_owned(), section.id.clone());
        put_text(&mut g, "label", Some(&section.title));
        put_text(&mut g, "hint", section.help.as_ref());
        if let Some(r) = &section.repeat {
            put_text(&mut g, "repeat_label", Some(&r.label));
            g.insert("repeat_min".to_owned(), r.min.to_string());
            if let Some(max) = r.max {
                g.insert("repeat_max".to_owned(), max.to_string());
            }
        }
        if let Some(c) = &section.show_if {
            g.insert("relevant".to_owned(), condition_text(template, c));
        }
        survey.push(g);
        for item in &section.items {
            let mut q = HashMap::new();
            let kind = match &item.answer {
                AnswerType::YesNo => "yes_no".to_owned(),
                AnswerType::Number { .. } if item.integer => "integer".to_owned(),
                AnswerType::Number { .. } => "decimal".to_owned(),
                AnswerType::Date => "date".to_owned(),
                AnswerType::Text => "text".to_owned(),
                AnswerType::Photo => "image".to_owned(),
                AnswerType::Choice { options, multiple } => {
                    for o in options {
                        let mut c = HashMap::new();
                        c.insert("list_name".to_owned(), item.id.clone());
                        c.insert("name".to_owned(), o.id.clone());
                        put_text(&mut c, "label", Some(&o.text));
                        if let Some(sev) = o.severity {
                            c.insert("severity".to_owned(), sev.as_str().to_owned());
                        }
                        choices.push(c);
                    }
                    format!(
                        "{} {}",
                        if *multiple {
                            "select_multiple"
                        } else {
                            "select_one"
                        },
                        item.id
                    )
                }
            };
            q.insert("type".to_owned(), kind);
            q.insert("name".to_owned(), item.id.clone());
            put_text(&mut q, "label", Some(&item.text));
            put_text(&mut q, "hint", item.help.as_ref());
            if let AnswerType::Number { min, max, unit } = &item.answer {
                if let Some(n) = min {
                    q.insert("min".to_owned(), number_text(*n));
                }
                if let Some(n) = max {
                    q.insert("max".to_owned(), number_text(*n));
                }
                put_text(&mut q, "unit", unit.as_ref());
            }
            if item.allow_na {
                q.insert("allow_na".to_owned(), "yes".to_owned());
            }
            if item.evidence_photo {
                q.insert("evidence_photo".to_owned(), "yes".to_owned());
            }
            if item.blocks_production {
                q.insert("blocks_production".to_owned(), "yes".to_owned());
            }
            if let Some(Computed::Ratio {
                numerator,
                denominator,
            }) = &item.compute
            {
                q.insert(
                    "calculation".to_owned(),
                    format!("${{{numerator}}} div ${{{denominator}}}"),
                );
            }
            if let Some(c) = &item.show_if {
                q.insert("relevant".to_owned(), condition_text(template, c));
            }
            let rules: Vec<String> = item
                .fail
                .iter()
                .map(|rule| {
                    let when = match &rule.when {
                        FailWhen::Answer(v) => v.clone(),
                        FailWhen::Above(n) => format!("above {}", number_text(*n)),
                        FailWhen::Below(n) => format!("below {}", number_text(*n)),
                        FailWhen::OlderThanDays(d) => format!("older_than_days {d}"),
                    };
                    format!("{when}: {}", rule.severity.as_str())
                })
                .collect();
            if !rules.is_empty() {
                q.insert("severity_if_failed".to_owned(), rules.join("; "));
            }
            survey.push(q);
        }
        let mut end = HashMap::new();
        end.insert(
            "type".to_owned(),
            if section.repeat.is_some() {
                "end repeat"
            } else {
                "end group"
            }
            .to_owned(),
        );
        survey.push(end);
    }
    let survey_columns = header(
        &["type", "name"],
        &["label", "hint"],
        &[
            "relevant",
            "severity_if_failed",
            "allow_na",
            "evidence_photo",
            "blocks_production",
            "min",
            "max",
        ],
    );
    let mut survey_columns = survey_columns;
    survey_columns.extend(header(&[], &["unit"], &["calculation"]));
    survey_columns.extend(header(
        &[],
        &["repeat_label"],
        &["repeat_min", "repeat_max"],
    ));
    sheet_rows("survey", &survey_columns, survey, &mut book)?;
    sheet_rows(
        "choices",
        &header(&["list_name", "name"], &CHOICES_TEXT_COLUMNS, &["severity"]),
        choices,
        &mut book,
    )?;
    book.save_to_buffer()
}
