//! The TypeScript types of everything crossing the bridge, generated from the Rust
//! types with ts-rs into `ui/src/bindings/`. The test fails when the committed files
//! differ from what the Rust types generate; `UPDATE_BINDINGS=1 cargo test -p
//! fieldaudit-app bindings` rewrites them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ts_rs::{Config, TS};

/// Generates every binding into `dir`.
fn export_all(dir: &Path) -> Result<(), ts_rs::ExportError> {
    let cfg = Config::new().with_out_dir(dir).with_large_int("number");
    crate::commands::AppInfo::export_all(&cfg)?;
    crate::commands::FeesView::export_all(&cfg)?;
    crate::commands::PhotoData::export_all(&cfg)?;
    crate::error::UiError::export_all(&cfg)?;
    crate::state::Preferences::export_all(&cfg)?;
    fieldaudit_core::facilities::FacilitySummary::export_all(&cfg)?;
    fieldaudit_core::facilities::ImportApplied::export_all(&cfg)?;
    fieldaudit_core::import::ImportPreview::export_all(&cfg)?;
    fieldaudit_core::workspace::FacilityPage::export_all(&cfg)?;
    fieldaudit_core::workspace::ChecklistChoice::export_all(&cfg)?;
    fieldaudit_core::workspace::AuditWorkspace::export_all(&cfg)?;
    fieldaudit_core::audits::NewAudit::export_all(&cfg)?;
    fieldaudit_core::audits::FindingWithActions::export_all(&cfg)?;
    fieldaudit_core::audits::ActionUpdate::export_all(&cfg)?;
    fieldaudit_core::fees::NewFee::export_all(&cfg)?;
    fieldaudit_templates::Severity::export_all(&cfg)?;
    fieldaudit_core::sync::SyncStatus::export_all(&cfg)?;
    fieldaudit_core::sync::SyncProgress::export_all(&cfg)?;
    fieldaudit_core::sync::SyncReport::export_all(&cfg)?;
    fieldaudit_core::sync::ConflictView::export_all(&cfg)?;
    fieldaudit_core::sync::QuarantinedOp::export_all(&cfg)?;
    fieldaudit_core::sync::Resolution::export_all(&cfg)?;
    fieldaudit_core::interviews::InterviewsOverview::export_all(&cfg)?;
    fieldaudit_core::signoff::SignoffCheck::export_all(&cfg)?;
    fieldaudit_core::review::ReviewDecision::export_all(&cfg)?;
    fieldaudit_core::interviews::InterviewForm::export_all(&cfg)?;
    fieldaudit_core::interviews::InterviewReview::export_all(&cfg)?;
    fieldaudit_core::cap::CapItem::export_all(&cfg)?;
    fieldaudit_core::cap::workbook::CapImport::export_all(&cfg)?;
    fieldaudit_core::follow_up::PreviousFinding::export_all(&cfg)?;
    fieldaudit_core::follow_up::VerificationInput::export_all(&cfg)?;
    fieldaudit_core::follow_up::FindingHistory::export_all(&cfg)?;
    fieldaudit_core::model::SupplierResponse::export_all(&cfg)?;
    Ok(())
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
