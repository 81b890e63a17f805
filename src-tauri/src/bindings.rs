//! The TypeScript types of everything crossing the bridge, generated from the Rust
//! types with ts-rs into `ui/src/bindings/`, and `closed_sets.ts`: for every closed
//! set of `fieldaudit_protocol::closed_sets` a `*_VALUES` array the UI's option lists
//! are built from. The test fails when the committed files differ from what the Rust
//! types generate; `UPDATE_BINDINGS=1 cargo test -p fieldaudit-app bindings`
//! rewrites them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use fieldaudit_protocol::closed_sets::{self as sets, SetInfo, ALL_SETS};
use ts_rs::{Config, TS};

/// Generates every binding into `dir`.
fn export_all(dir: &Path) -> Result<(), ts_rs::ExportError> {
    let cfg = Config::new().with_out_dir(dir).with_large_int("number");
    crate::commands::AppInfo::export_all(&cfg)?;
    crate::commands::FeesView::export_all(&cfg)?;
    crate::commands::PhotoData::export_all(&cfg)?;
    crate::report_cmds::ReportPreview::export_all(&cfg)?;
    crate::report_cmds::ReportProgress::export_all(&cfg)?;
    crate::report_cmds::SavedFile::export_all(&cfg)?;
    crate::error::UiError::export_all(&cfg)?;
    crate::error::UiErrorKind::export_all(&cfg)?;
    fieldaudit_protocol::reference::WgiIndicator::export_all(&cfg)?;
    sets::AuditType::export_all(&cfg)?;
    sets::Notice::export_all(&cfg)?;
    sets::AuditStatus::export_all(&cfg)?;
    sets::Severity::export_all(&cfg)?;
    sets::FindingOrigin::export_all(&cfg)?;
    sets::FindingStatus::export_all(&cfg)?;
    sets::ActionStatus::export_all(&cfg)?;
    sets::AttachmentSubject::export_all(&cfg)?;
    sets::MigrantType::export_all(&cfg)?;
    sets::RecruitmentChannel::export_all(&cfg)?;
    sets::ReimbursementStatus::export_all(&cfg)?;
    sets::FeeCategory::export_all(&cfg)?;
    sets::PaidWhen::export_all(&cfg)?;
    sets::PaidTo::export_all(&cfg)?;
    sets::FeeEvidence::export_all(&cfg)?;
    sets::InterviewFormat::export_all(&cfg)?;
    sets::InterviewState::export_all(&cfg)?;
    sets::ConflictStatus::export_all(&cfg)?;
    sets::Role::export_all(&cfg)?;
    sets::TeamRole::export_all(&cfg)?;
    crate::state::Preferences::export_all(&cfg)?;
    fieldaudit_core::facilities::FacilitySummary::export_all(&cfg)?;
    fieldaudit_core::facilities::ImportApplied::export_all(&cfg)?;
    fieldaudit_core::import::ImportPreview::export_all(&cfg)?;
    fieldaudit_core::workspace::FacilityPage::export_all(&cfg)?;
    fieldaudit_core::workspace::ChecklistChoice::export_all(&cfg)?;
    fieldaudit_core::workspace::AuditWorkspace::export_all(&cfg)?;
    fieldaudit_core::teams::MyAuditsView::export_all(&cfg)?;
    fieldaudit_core::permissions::AuditPermissions::export_all(&cfg)?;
    fieldaudit_core::audits::NewAudit::export_all(&cfg)?;
    fieldaudit_core::audits::FindingWithActions::export_all(&cfg)?;
    fieldaudit_core::audits::ActionUpdate::export_all(&cfg)?;
    fieldaudit_core::fees::NewFee::export_all(&cfg)?;
    fieldaudit_core::sync::SyncStatus::export_all(&cfg)?;
    fieldaudit_core::sync::SyncProgress::export_all(&cfg)?;
    fieldaudit_core::sync::SyncReport::export_all(&cfg)?;
    fieldaudit_core::sync::ConflictView::export_all(&cfg)?;
    fieldaudit_core::sync::QuarantinedOp::export_all(&cfg)?;
    fieldaudit_core::sync::Resolution::export_all(&cfg)?;
    fieldaudit_core::interviews::InterviewsOverview::export_all(&cfg)?;
    fieldaudit_core::signoff::SignoffCheck::export_all(&cfg)?;
    fieldaudit_core::review::ReviewDecision::export_all(&cfg)?;
    fieldaudit_core::report::ReportKind::export_all(&cfg)?;
    fieldaudit_core::interviews::InterviewForm::export_all(&cfg)?;
    fieldaudit_core::interviews::InterviewReview::export_all(&cfg)?;
    fieldaudit_core::cap::CapItem::export_all(&cfg)?;
    fieldaudit_core::cap::workbook::CapImport::export_all(&cfg)?;
    fieldaudit_core::follow_up::PreviousFinding::export_all(&cfg)?;
    fieldaudit_core::follow_up::VerificationInput::export_all(&cfg)?;
    fieldaudit_core::follow_up::FindingHistory::export_all(&cfg)?;
    fieldaudit_core::model::SupplierResponse::export_all(&cfg)?;
    fieldaudit_core::cap::supplier::PendingResponse::export_all(&cfg)?;
    fieldaudit_core::office::OfficeFilter::export_all(&cfg)?;
    fieldaudit_core::office::review_queue::QueueList::export_all(&cfg)?;
    fieldaudit_core::office::review_queue::QueueEntry::export_all(&cfg)?;
    fieldaudit_core::office::cap_tracker::CapFilter::export_all(&cfg)?;
    fieldaudit_core::office::cap_tracker::CapRow::export_all(&cfg)?;
    fieldaudit_core::office::cap_tracker::ExportFormat::export_all(&cfg)?;
    fieldaudit_core::office::dashboard::Dashboard::export_all(&cfg)?;
    fieldaudit_core::office::plan::PlanRow::export_all(&cfg)?;
    fieldaudit_core::office::plan::PlanSortColumn::export_all(&cfg)?;
    fieldaudit_core::office::scorecard::Scorecard::export_all(&cfg)?;
    fieldaudit_core::office::reference::ReferenceImportSummary::export_all(&cfg)?;
    std::fs::write(dir.join(CLOSED_SETS_FILE), closed_sets_ts(ALL_SETS)).map_err(ts_rs::ExportError::Io)?;
    std::fs::write(dir.join(COMMAND_NAME_FILE), command_name_ts(crate::COMMAND_NAMES)).map_err(ts_rs::ExportError::Io)?;
    Ok(())
}

/// The generated file with the union type of every command's name.
const COMMAND_NAME_FILE: &str = "CommandName.ts";

/// `CommandName.ts`: the names of src/command_list.rs as one union type, which
/// `ui/src/lib/api.ts` calls commands by.
fn command_name_ts(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("\n  | \"{n}\"")).collect();
    format!(
        "// Generated from src-tauri/src/command_list.rs by src-tauri/src/bindings.rs. Do not edit.\n// Every command the UI may call.\nexport type CommandName ={};\n",
        quoted.concat()
    )
}

/// The generated file with every closed set's values.
const CLOSED_SETS_FILE: &str = "closed_sets.ts";

/// `AuditStatus` → `AUDIT_STATUS_VALUES`.
fn values_const(type_name: &str) -> String {
    let mut out = String::new();
    for (i, c) in type_name.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_uppercase());
    }
    out + "_VALUES"
}

/// `closed_sets.ts`: each set's values in list order, typed by its generated union.
fn closed_sets_ts(sets: &[SetInfo]) -> String {
    let mut out = String::from(
        "// Generated from crates/protocol/src/closed_sets.rs by src-tauri/src/bindings.rs. Do not edit.\n// Every value of each closed set, in the order option lists show them.\n",
    );
    for set in sets {
        out += &format!("import type {{ {0} }} from \"./{0}\";\n", set.type_name);
    }
    for set in sets {
        let names: Vec<String> = set.names.iter().map(|n| format!("\"{n}\"")).collect();
        out += &format!("\nexport const {}: readonly {}[] = [{}] as const;\n", values_const(set.type_name), set.type_name, names.join(", "));
    }
    out
}

fn files(root: &Path) -> BTreeMap<PathBuf, String> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, String>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(root, &p, out);
            } else if p.extension().is_some_and(|x| x == "ts") {
                let rel = p
                    .strip_prefix(root)
                    .map(Path::to_path_buf)
                    .unwrap_or_else(|_| p.clone());
                out.insert(rel, std::fs::read_to_string(&p).unwrap_or_default());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

#[test]
fn committed_typescript_bindings_match_the_rust_types() {
    let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/src/bindings");
    let fresh = tempfile::tempdir().expect("temp dir");
    export_all(fresh.path()).expect("ts-rs export");
    let generated = files(fresh.path());
    assert!(
        generated.len() > 20,
        "expected the bridge's types, got {:?}",
        generated.keys()
    );
    if std::env::var_os("UPDATE_BINDINGS").is_some() {
        let _ = std::fs::remove_dir_all(&committed);
        for (rel, text) in &generated {
            let path = committed.join(rel);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(&path, text).expect("write binding");
        }
        return;
    }
    let missing: Vec<_> = ALL_SETS.iter().filter(|set| !generated.contains_key(Path::new(&format!("{}.ts", set.type_name)))).collect();
    assert!(missing.is_empty(), "closed sets without a generated union type (add them to export_all): {missing:?}");
    let existing = files(&committed);
    let stale: Vec<_> = generated
        .keys()
        .filter(|k| existing.get(*k) != generated.get(*k))
        .collect();
    let extra: Vec<_> = existing
        .keys()
        .filter(|k| !generated.contains_key(*k))
        .collect();
    assert!(
        stale.is_empty() && extra.is_empty(),
        "ui/src/bindings is stale (changed or missing: {stale:?}; no longer generated: {extra:?}). Run `UPDATE_BINDINGS=1 cargo test -p fieldaudit-app --lib bindings` and commit ui/src/bindings."
    );
}

#[test]
fn the_command_name_type_lists_every_command_once() {
    let ts = command_name_ts(&["app_info", "sync_now"]);
    assert!(ts.ends_with("export type CommandName =\n  | \"app_info\"\n  | \"sync_now\";\n"), "{ts}");
    let mut names = crate::COMMAND_NAMES.to_vec();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), crate::COMMAND_NAMES.len(), "a command is listed twice in src/command_list.rs");
}

#[test]
fn closed_set_lists_are_named_after_their_types() {
    assert_eq!(values_const("AuditStatus"), "AUDIT_STATUS_VALUES");
    assert_eq!(values_const("Role"), "ROLE_VALUES");
    let ts = closed_sets_ts(&[SetInfo { type_name: "Notice", names: &["announced", "unannounced"] }]);
    assert!(ts.contains("import type { Notice } from \"./Notice\";"), "{ts}");
    assert!(ts.contains("export const NOTICE_VALUES: readonly Notice[] = [\"announced\", \"unannounced\"] as const;"), "{ts}");
}
