//! Tests of checklists as workbooks: every built-in round-trips through the XLSX
//! layout unchanged, an organisation's own workbook reads into a template, and
//! each mistake a spreadsheet can hold is refused naming the sheet, row and
//! column, with nothing returned.

use rust_xlsxwriter::Workbook;

use crate::xlsform::{read_xlsx, write_xlsx, MAX_XLSX_BYTES};
use crate::{builtin, AnswerType, ConditionTest, Severity};

/// A workbook from sheets of rows (first row: the header). A cell starting with
/// `=` is written as a formula.
fn workbook(sheets: &[(&str, Vec<Vec<&str>>)]) -> Vec<u8> {
    let mut book = Workbook::new();
    for (name, rows) in sheets {
        let sheet = book.add_worksheet();
        sheet.set_name(*name).expect("sheet name");
        for (r, row) in rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                if cell.is_empty() {
                    continue;
                }
                if let Some(f) = cell.strip_prefix('=') {
                    sheet.write_formula(r as u32, c as u16, f).expect("formula");
                } else {
                    sheet.write_string(r as u32, c as u16, *cell).expect("cell");
                }
            }
        }
    }
    book.save_to_buffer().expect("workbook")
}

fn settings() -> (&'static str, Vec<Vec<&'static str>>) {
    (
        "settings",
        vec![
            vec!["form_id", "version", "form_title::en", "form_title::bn"],
            vec!["acme-code", "1", "ACME code of conduct", "ACME আচরণবিধি"],
        ],
    )
}

const SURVEY_HEADER: [&str; 8] = [
    "type",
    "name",
    "label::en",
    "label::vi",
    "hint::en",
    "relevant",
    "severity_if_failed",
    "unit::en",
];

fn survey(rows: &[[&'static str; 8]]) -> (&'static str, Vec<Vec<&'static str>>) {
    let mut all = vec![SURVEY_HEADER.to_vec()];
    all.extend(rows.iter().map(|r| r.to_vec()));
    ("survey", all)
}

fn choices() -> (&'static str, Vec<Vec<&'static str>>) {
    (
        "choices",
        vec![
            vec!["list_name", "name", "label::en", "label::vi", "severity"],
            vec!["exits", "clear", "Clear", "Thông thoáng", ""],
            vec!["exits", "blocked", "Blocked", "Bị chặn", "critical"],
        ],
    )
}

/// A correct organisation checklist, in rows.
fn good_rows() -> Vec<[&'static str; 8]> {
    vec![
        [
            "begin group",
            "site",
            "Site",
            "Nhà máy",
            "Walk the site.",
            "",
            "",
            "",
        ],
        [
            "yes_no",
            "site.policy",
            "Is the code of conduct posted?",
            "Bộ quy tắc có được niêm yết không?",
            "",
            "",
            "no: minor",
            "",
        ],
        [
            "select_one exits",
            "site.exits",
            "Are exits clear?",
            "Lối thoát có thông thoáng không?",
            "",
            "",
            "",
            "",
        ],
        [
            "text",
            "site.where",
            "Where is it blocked?",
            "",
            "",
            "${site.exits} = 'blocked'",
            "",
            "",
        ],
        [
            "integer",
            "site.hours",
            "Longest week",
            "",
            "",
            "",
            "above 60: major",
            "hours",
        ],
        ["end group", "", "", "", "", "", "", ""],
    ]
}

fn error_of(bytes: &[u8]) -> String {
    match read_xlsx(bytes, "acme.xlsx") {
        Ok(t) => panic!("accepted a bad workbook as {}", t.id),
        Err(e) => e.to_string(),
    }
}

#[test]
fn every_builtin_round_trips_through_the_workbook_layout() {
    assert!(builtin().len() >= 9);
    for t in builtin() {
        let bytes = write_xlsx(t).expect("write");
        let back = read_xlsx(&bytes, &format!("{}.xlsx", t.id))
            .unwrap_or_else(|e| panic!("{} does not read back: {e}", t.id));
        assert_eq!(&back, t, "{} changed on the way through XLSX", t.id);
    }
}

#[test]
fn an_organisation_workbook_reads_into_a_template() {
    let bytes = workbook(&[settings(), survey(&good_rows()), choices()]);
    let t = read_xlsx(&bytes, "acme.xlsx").expect("reads");
    assert_eq!((t.id.as_str(), t.version), ("acme-code", 1));
    assert_eq!(t.title.get("bn"), "ACME আচরণবিধি");
    assert_eq!(t.sections.len(), 1);
    let (_, exits) = t.item("site.exits").expect("exits");
    match &exits.answer {
        AnswerType::Choice { options, multiple } => {
            assert!(!multiple);
            assert_eq!(options[1].severity, Some(Severity::Critical));
            assert_eq!(options[1].text.get("vi"), "Bị chặn");
        }
        other => panic!("exits is {other:?}"),
    }
    let (_, wher) = t.item("site.where").expect("where");
    assert_eq!(
        wher.show_if.as_ref().map(|c| (&c.item[..], &c.test)),
        Some(("site.exits", &ConditionTest::Equals("blocked".into())))
    );
    let (_, hours) = t.item("site.hours").expect("hours");
    assert!(hours.integer);
    assert_eq!(hours.fail[0].severity, Severity::Major);
    assert_eq!(
        t.item("site.policy").map(|(_, i)| i.text.get("vi")),
        Some("Bộ quy tắc có được niêm yết không?")
    );
}

#[test]
fn duplicate_names_are_refused_with_sheet_row_and_column() {
    let mut rows = good_rows();
    rows[3][1] = "site.policy";
    let e = error_of(&workbook(&[settings(), survey(&rows), choices()]));
    assert!(
        e.contains(
            "sheet survey, row 5, column name: duplicate name `site.policy` (first on row 3)"
        ),
        "{e}"
    );
}

#[test]
fn unknown_types_are_refused() {
    let mut rows = good_rows();
    rows[1][0] = "yesno";
    let e = error_of(&workbook(&[settings(), survey(&rows), choices()]));
    assert!(
        e.contains("sheet survey, row 3, column type: unknown type `yesno`"),
        "{e}"
    );
}

#[test]
fn a_condition_on_a_missing_item_is_refused_at_its_row() {
    let mut rows = good_rows();
    rows[3][5] = "${site.exit} = 'blocked'";
    let e = error_of(&workbook(&[settings(), survey(&rows), choices()]));
    assert!(e.starts_with("acme.xlsx: sheet survey, row 5"), "{e}");
    assert!(e.contains("site.exit"), "{e}");
}

#[test]
fn a_severity_the_scale_lacks_is_refused() {
    let mut rows = good_rows();
    rows[1][6] = "no: severe";
    let e = error_of(&workbook(&[settings(), survey(&rows), choices()]));
    assert!(
        e.contains("sheet survey, row 3, column severity_if_failed:"),
        "{e}"
    );
    assert!(e.contains("severe"), "{e}");
    let (name, mut c) = choices();
    c[2][4] = "catastrophic";
    let e = error_of(&workbook(&[settings(), survey(&good_rows()), (name, c)]));
    assert!(e.contains("sheet choices, row 3, column severity:"), "{e}");
}

#[test]
fn formula_cells_are_refused() {
    let mut rows = good_rows();
    rows[1][2] = "=CONCAT(\"Is the code\", \" posted?\")";
    let e = error_of(&workbook(&[settings(), survey(&rows), choices()]));
    assert!(
        e.contains("sheet survey, row 3, column C: the cell holds a formula"),
        "{e}"
    );
}

#[test]
fn empty_labels_are_refused() {
    let mut rows = good_rows();
    rows[4][2] = "";
    let e = error_of(&workbook(&[settings(), survey(&rows), choices()]));
    assert!(
        e.contains("sheet survey, row 6, column label::en: empty label"),
        "{e}"
    );
}

#[test]
fn a_ten_megabyte_file_is_refused_before_it_is_read() {
    let big = vec![0u8; 10 * 1024 * 1024];
    assert!(big.len() as u64 > MAX_XLSX_BYTES);
    let e = error_of(&big);
    assert!(e.contains("at most"), "{e}");
    let dir = tempfile_dir();
    let path = dir.join("big.xlsx");
    std::fs::write(&path, &big).expect("write");
    let e = crate::load_file(&path).expect_err("refused").to_string();
    assert!(e.contains("at most"), "{e}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn other_spreadsheet_mistakes_say_where_and_what() {
    // An unknown column, a question outside a group, a group never closed, a
    // missing choices list, an unreadable condition, and not a workbook at all.
    let (name, mut rows) = survey(&good_rows());
    rows[0][7] = "units";
    let e = error_of(&workbook(&[settings(), (name, rows), choices()]));
    assert!(
        e.contains("sheet survey, row 1, column H: unknown column `units`"),
        "{e}"
    );

    let rows = good_rows();
    let e = error_of(&workbook(&[settings(), survey(&rows[1..]), choices()]));
    assert!(
        e.contains("sheet survey, row 2, column type: a question outside any group"),
        "{e}"
    );

    let e = error_of(&workbook(&[settings(), survey(&rows[..5]), choices()]));
    assert!(
        e.contains("sheet survey, row 2, column type: the group is never closed"),
        "{e}"
    );

    let e = error_of(&workbook(&[settings(), survey(&rows)]));
    assert!(
        e.contains("sheet survey, row 4, column type: list `exits` has no rows"),
        "{e}"
    );

    let mut bad = good_rows();
    bad[3][5] = "${site.exits} == blocked";
    let e = error_of(&workbook(&[settings(), survey(&bad), choices()]));
    assert!(
        e.contains("sheet survey, row 5, column relevant: cannot read the condition"),
        "{e}"
    );

    let e = error_of(b"PK not really a workbook");
    assert!(e.contains("not a readable XLSX workbook"), "{e}");
}

/// A fresh directory for a test's files.
fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "fieldaudit-xlsform-{}-{}",
        std::process::id(),
        fastrand_suffix()
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn fastrand_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
}
