//! The office commands as an admin and scripts use them: reference imports (refused
//! whole with line and reason), the plan, the CAP tracker and the dashboard, with
//! --json and --csv, over the demo office seed.

use std::path::Path;
use std::process::{Command, Output};

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fieldaudit"))
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .output()
        .unwrap()
}

fn ok(dir: &Path, args: &[&str]) -> String {
    let out = run(dir, args);
    assert!(
        out.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn fails(dir: &Path, args: &[&str]) -> String {
    let out = run(dir, args);
    assert!(!out.status.success(), "{args:?} should fail");
    String::from_utf8(out.stderr).unwrap()
}

/// Signs the data directory in as `role` without a server (the session file the
/// login command writes).
fn signed_in(dir: &Path, role: &str) {
    let session = serde_json::json!({"server_url": "http://127.0.0.1:9", "organisation": "acme", "user": "ada", "role": role, "token": "t"});
    std::fs::write(dir.join("session.json"), session.to_string()).unwrap();
}

#[test]
fn admin_imports_reference_tables_and_scripts_read_the_office() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    ok(dir, &["init", "--device-name", "Office"]);
    let fixtures = format!(
        "{}/../../../shared/fixtures/facility-lists/summer-2019-compliance.csv",
        env!("CARGO_MANIFEST_DIR")
    );
    ok(dir, &["facility", "import", &fixtures]);

    let rates = dir.join("rates.csv");
    std::fs::write(&rates, "date,from,to,rate\n2026-01-01,BDT,USD,0.0082\n").unwrap();
    signed_in(dir, "auditor");
    assert!(fails(dir, &["rates", "import", rates.to_str().unwrap()])
        .contains("only admins import exchange rates"));
    signed_in(dir, "admin");
    assert!(ok(dir, &["rates", "import", rates.to_str().unwrap()])
        .contains("imported 1 exchange rates"));
    let bad = dir.join("bad.csv");
    std::fs::write(
        &bad,
        "date,from,to,rate\n2026-02-01,BDT,USD,0.0083\n2026-03-01,BDT,USD,lots\n",
    )
    .unwrap();
    let e = fails(dir, &["rates", "import", bad.to_str().unwrap()]);
    assert!(
        e.contains("line 3")
            && e.contains("\"lots\" is not a number")
            && e.contains("nothing was imported"),
        "{e}"
    );
    assert_eq!(
        ok(dir, &["rates", "list"]).lines().count(),
        2,
        "the refused file added nothing"
    );

    let wgi = format!(
        "{}/../core/src/office/wgi-sample.csv",
        env!("CARGO_MANIFEST_DIR")
    );
    assert!(ok(dir, &["risk", "import", &wgi]).contains("SAMPLE"));
    let bad_wgi = dir.join("wgi.csv");
    std::fs::write(
        &bad_wgi,
        "code,year,indicator,estimate,pctrank\nBGD,2023,rl,-0.6,20\nQQQ,2023,rl,-0.6,20\n",
    )
    .unwrap();
    assert!(fails(dir, &["risk", "import", bad_wgi.to_str().unwrap()])
        .contains("line 3: unknown country code \"QQQ\""));

    // The demo office seed through the store's API, then the figures as scripts read them.
    let summary = ok(dir, &["demo", "--office"]);
    assert!(summary.contains("demo office:"), "{summary}");
    let plan: serde_json::Value = serde_json::from_str(&ok(dir, &["plan", "--json"])).unwrap();
    let plan = plan.as_array().unwrap();
    assert!(!plan.is_empty());
    let priorities: Vec<u64> = plan
        .iter()
        .map(|r| r["priority"].as_u64().unwrap())
        .collect();
    assert!(
        priorities.windows(2).all(|w| w[0] >= w[1]),
        "highest priority first"
    );
    assert!(plan.iter().any(|r| r["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .any(|x| x.as_str().unwrap().contains("sample data"))));
    let csv = ok(dir, &["plan", "--csv", "--country", "CN"]);
    assert!(csv.starts_with("priority,facility,country"));
    assert!(csv.lines().skip(1).all(|l| l.contains(",CN,")), "{csv}");

    let caps: serde_json::Value = serde_json::from_str(&ok(
        dir,
        &["cap", "list", "--json", "--country", "CN", "--overdue"],
    ))
    .unwrap();
    assert!(caps
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["country"] == "CN" && c["overdue"] == true));
    let out = dir.join("caps.xlsx");
    assert!(ok(dir, &["cap", "list", "--out", out.to_str().unwrap()]).contains("CAP items"));
    assert_eq!(&std::fs::read(&out).unwrap()[..2], b"PK");
    assert!(fails(dir, &["cap", "list", "--sort", "colour"]).contains("cannot sort by"));

    let dash: serde_json::Value =
        serde_json::from_str(&ok(dir, &["dashboard", "--json", "--currency", "USD"])).unwrap();
    assert!(dash["assessments"]["total_audits"].as_u64().unwrap() > 0);
    assert_eq!(dash["fees"]["reporting_currency"], "USD");
    let csv = ok(dir, &["dashboard", "--csv"]);
    assert!(csv.starts_with("panel,figure,key,value") && csv.contains("caps,closure rate %"));
    assert!(ok(dir, &["queue", "--list", "approved"]).contains("sign-off verifies"));
}
