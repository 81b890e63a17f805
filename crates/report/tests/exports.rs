//! Exports read back by tools nobody here wrote: Python's csv module for the
//! CSV files in the ZIP, openpyxl for the workbook; and the Open Supply Hub
//! facility list imported back into the same facilities.

use std::process::Command;

use fieldaudit_core::import::FacilityRecord;
use fieldaudit_core::Store;
use fieldaudit_report::exports::{export, export_facilities, ExportFormat};

mod common;

/// The first of `python3` on PATH and the distribution's /usr/bin/python3 that can
/// import openpyxl (scripts/install-deps.sh installs python3-openpyxl for the latter).
fn python_with_openpyxl() -> &'static str {
    static FOUND: std::sync::OnceLock<&'static str> = std::sync::OnceLock::new();
    FOUND.get_or_init(|| {
        ["python3", "/usr/bin/python3"]
            .into_iter()
            .find(|p| Command::new(p).args(["-c", "import openpyxl"]).status().is_ok_and(|s| s.success()))
            .expect("no python3 with openpyxl: run scripts/install-deps.sh")
    })
}

fn python(script: &str, arg: &str) -> String {
    let out = Command::new(python_with_openpyxl()).arg("-c").arg(script).arg(arg).output().expect("python3 is needed for this test");
    assert!(out.status.success(), "python: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn csv_zip_and_xlsx_open_with_python_and_match_the_store() {
    let f = common::fixture();
    let tables = f.store.export_tables(Some(f.audit)).unwrap();
    let expected: serde_json::Map<String, serde_json::Value> =
        tables.iter().map(|t| (t.name.clone(), serde_json::json!({ "rows": t.rows.len(), "columns": t.columns.iter().map(|c| c.name.clone()).collect::<Vec<_>>() }))).collect();
    assert_eq!(expected["answer"]["rows"], f.store.answers(f.audit).unwrap().len());
    assert_eq!(expected["finding"]["rows"], f.store.findings(f.audit).unwrap().len());
    assert_eq!(expected["fee"]["rows"], 2);
    assert_eq!(expected["interview"]["rows"], 3);

    let zip = f.dir.path().join("audit.zip");
    export(&f.store, ExportFormat::Csv, Some(f.audit), &zip).unwrap();
    let read_zip = r#"
import csv, io, json, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
out = {}
for name in z.namelist():
    if name.endswith('.csv'):
        rows = list(csv.reader(io.TextIOWrapper(z.open(name), encoding='utf-8', newline='')))
        out[name[:-4]] = {'columns': rows[0], 'rows': len(rows) - 1}
out['_readme'] = z.read('README.txt').decode('utf-8')
out['_all'] = b''.join(z.read(n) for n in z.namelist()).decode('utf-8')
print(json.dumps(out))
"#;
    let got: serde_json::Value = serde_json::from_str(&python(read_zip, zip.to_str().unwrap())).unwrap();
    for (name, exp) in &expected {
        assert_eq!(&got[name]["rows"], &exp["rows"], "{name}");
        assert_eq!(&got[name]["columns"], &exp["columns"], "{name}");
        assert!(got["_readme"].as_str().unwrap().contains(&format!("{name}.csv")), "README lacks {name}");
    }
    let all = got["_all"].as_str().unwrap();
    assert!(!all.contains("QXZINTERVIEWWJV"), "interview content in the export");
    assert!(all.contains("W-07") && all.contains("1250.50"));

    let xlsx = f.dir.path().join("audit.xlsx");
    export(&f.store, ExportFormat::Xlsx, Some(f.audit), &xlsx).unwrap();
    let read_xlsx = r#"
import json, sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1], read_only=True)
out = {}
for ws in wb.worksheets:
    rows = list(ws.iter_rows(values_only=True))
    out[ws.title] = {'columns': list(rows[0]) if rows else [], 'rows': len(rows) - 1}
print(json.dumps(out))
"#;
    let got: serde_json::Value = serde_json::from_str(&python(read_xlsx, xlsx.to_str().unwrap())).unwrap();
    assert_eq!(got.as_object().unwrap().len(), expected.len() + 1, "one sheet per entity plus README: {got}");
    for (name, exp) in &expected {
        assert_eq!(&got[name]["rows"], &exp["rows"], "{name}");
        assert_eq!(&got[name]["columns"], &exp["columns"], "{name}");
    }

    // Everything on the device: at least as many rows; bad input leaves nothing.
    let all = f.dir.path().join("all.xlsx");
    let summary = export(&f.store, ExportFormat::Xlsx, None, &all).unwrap();
    assert!(summary.rows >= tables.iter().map(|t| t.rows.len()).sum::<usize>());
    let missing = f.dir.path().join("nope").join("x.zip");
    assert!(export(&f.store, ExportFormat::Csv, None, &missing).unwrap_err().to_string().contains("does not exist"));
    assert!(!missing.exists());
}

#[test]
fn the_open_supply_hub_list_imports_back_to_the_same_facilities() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::create(dir.path(), "office").unwrap();
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/facility-lists/summer-2019-compliance.csv");
    let preview = store.preview_facility_import(std::fs::File::open(&fixtures).unwrap()).unwrap();
    store.apply_facility_import(&preview).unwrap();
    store
        .add_facility(&FacilityRecord {
            name: "Dhaka \"Knit\", Ltd.".into(),
            address: "Plot 7, Ashulia | Savar".into(),
            country_code: "BD".into(),
            sectors: vec!["Apparel".into(), "Textiles".into()],
            lat: Some(23.8912345),
            lng: Some(90.3216789),
            workers_min: Some(1001),
            workers_max: Some(5000),
            os_id: Some("BD2019123ABCDEF".into()),
            parent_company: Some("Knit Group".into()),
            facility_type: Some("Final Product Assembly".into()),
            product_types: vec!["T-shirts".into(), "Polo shirts".into()],
        })
        .unwrap();
    let out = dir.path().join("suppliers.csv");
    let n = export_facilities(&store, &out).unwrap();
    let before: Vec<FacilityRecord> = sorted(&store);
    assert_eq!(n, before.len());
    let header = std::fs::read_to_string(&out).unwrap().lines().next().unwrap().to_owned();
    assert!(header.starts_with("country,name,address,sector,lat,lng,os_id"), "{header}");

    let other = tempfile::tempdir().unwrap();
    let mut fresh = Store::create(other.path(), "brand").unwrap();
    let preview = fresh.preview_facility_import(std::fs::File::open(&out).unwrap()).unwrap();
    assert!(preview.reject.is_empty(), "{:?}", preview.reject);
    fresh.apply_facility_import(&preview).unwrap();
    assert_eq!(sorted(&fresh), before, "the re-imported facilities differ");

    // Into the same registry: nothing new, nothing changed.
    let again = store.preview_facility_import(std::fs::File::open(&out).unwrap()).unwrap();
    assert_eq!(again.summary.add, 0, "{:?}", again.add.iter().map(|a| &a.record.name).collect::<Vec<_>>());
    assert_eq!(again.summary.merge_with_changes, 0);
}

fn sorted(store: &Store) -> Vec<FacilityRecord> {
    let mut v: Vec<FacilityRecord> = store.existing_for_import().unwrap().into_iter().map(|e| e.record).collect();
    v.sort_by(|a, b| (&a.name, &a.address).cmp(&(&b.name, &b.address)));
    v
}
