//! The store's records as flat tables, one per entity, for CSV and XLSX exports
//! (ODK-style: repeat instances, answers and fees are rows of their own, joined on
//! ids). Columns follow the sync registry, so a field added there is exported
//! too; each column is documented from its value type.
//!
//! What is never exported: interview content (the `interview` table has only what
//! every device shows: date, interviewer, language, format), conflicts, reviewer
//! keys, and deleted rows. Workers appear only by their pseudonymous reference.

use fieldaudit_protocol::registry::ValueType;
use fieldaudit_protocol::EntityKind;
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use crate::store::select_rows;
use crate::{Result, Store};

/// Entities exported, in order, with what a row is.
pub const EXPORTED: &[(EntityKind, &str)] = &[
    (EntityKind::Facility, "one factory or site"),
    (EntityKind::Audit, "one audit visit"),
    (EntityKind::RepeatInstance, "one instance of a repeated section (a building, a floor), joined to answers on instance_id"),
    (EntityKind::Answer, "the answer to one checklist item (in one repeat instance)"),
    (EntityKind::Finding, "a finding, raised by a failed item or by hand"),
    (EntityKind::CorrectiveAction, "a corrective action (CAP item), joined to findings on finding_id"),
    (EntityKind::Attachment, "a photo or document (metadata; the file is identified by sha256)"),
    (EntityKind::FeeRecord, "one sampled worker's recruitment-fee record, by pseudonymous reference only"),
    (EntityKind::Fee, "one fee a worker paid, joined to fee records on fee_record_id"),
    (EntityKind::Interview, "a worker interview: metadata only, never its content"),
    (EntityKind::Signoff, "an auditor's sign-off of an audit (ed25519 signature over the digest)"),
];

/// The format of a data export (the same two formats as the office exports).
pub use crate::office::cap_tracker::ExportFormat;

/// A documented column.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TableColumn {
    /// Column name (the registry field, or `id`).
    pub name: String,
    /// What it holds.
    pub description: String,
}

/// One entity's rows.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ExportTable {
    /// Entity name (`finding`); the CSV file and sheet name.
    pub name: String,
    /// What one row is.
    pub description: String,
    /// Columns.
    pub columns: Vec<TableColumn>,
    /// Rows of cells, as text.
    pub rows: Vec<Vec<String>>,
}

fn describe(ty: &ValueType) -> String {
    match ty {
        ValueType::Text => "text".into(),
        ValueType::Int => "whole number".into(),
        ValueType::Float => "number".into(),
        ValueType::Decimal => "decimal number (exact, e.g. 1250.50)".into(),
        ValueType::Bool => "true or false".into(),
        ValueType::Date => "date YYYY-MM-DD".into(),
        ValueType::DateTime => "date and time, RFC 3339, UTC".into(),
        ValueType::Ref(e) => format!("id of a {e} row"),
        ValueType::Enum(values) => format!("one of: {}", values.join(", ")),
        ValueType::Currency => "ISO 4217 currency code".into(),
        ValueType::Country => "ISO 3166-1 alpha-2 country code".into(),
        ValueType::Sha256 => "SHA-256 of the file, hex".into(),
        ValueType::TextList => "list, values separated by |".into(),
        ValueType::Sealed => "sealed (never exported)".into(),
        ValueType::Json => "answer value: text, number, yes/no, na, or a JSON list for multiple choice".into(),
    }
}

/// Whether a field is left out of exports.
fn exported_field(entity: EntityKind, name: &str, ty: &ValueType) -> bool {
    !matches!(ty, ValueType::Sealed) && name != "deleted" && !(entity == EntityKind::Signoff && name == "signature")
}

/// A cell as text: strings as they are, lists `|`-joined, other JSON compact.
fn cell(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Bool(b)) => b.to_string(),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Array(items)) if items.iter().all(Value::is_string) => items.iter().filter_map(Value::as_str).collect::<Vec<_>>().join("|"),
        Some(other) => other.to_string(),
    }
}

/// The `WHERE` clause that selects an entity's rows of one audit (`?1`).
fn audit_filter(entity: EntityKind) -> &'static str {
    match entity {
        EntityKind::Facility => "id = (SELECT facility_id FROM audit WHERE id = ?1)",
        EntityKind::Audit => "id = ?1",
        EntityKind::CorrectiveAction => "finding_id IN (SELECT id FROM finding WHERE audit_id = ?1)",
        EntityKind::Fee => "fee_record_id IN (SELECT id FROM fee_record WHERE audit_id = ?1)",
        _ => "audit_id = ?1",
    }
}

impl Store {
    /// Every exported entity as a table: of one audit, or everything on the device.
    pub fn export_tables(&self, audit: Option<Uuid>) -> Result<Vec<ExportTable>> {
        if let Some(a) = audit {
            self.audit(a)?;
        }
        let mut out = Vec::new();
        for (entity, description) in EXPORTED {
            let fields: Vec<_> = entity.fields().iter().filter(|f| exported_field(*entity, f.name, &f.ty)).collect();
            let mut columns = vec![TableColumn { name: "id".into(), description: format!("{entity} id (UUID)") }];
            columns.extend(fields.iter().map(|f| TableColumn { name: f.name.to_owned(), description: describe(&f.ty) }));
            let live = "coalesce(deleted, 0) = 0";
            let rows = match audit {
                Some(a) => select_rows(self.conn(), *entity, &format!("{live} AND {} ORDER BY id", audit_filter(*entity)), [a.to_string()])?,
                None => select_rows(self.conn(), *entity, &format!("{live} ORDER BY id"), [])?,
            };
            let rows = rows.iter().map(|r| columns.iter().map(|c| cell(r.get(&c.name))).collect()).collect();
            out.push(ExportTable { name: entity.as_str().to_owned(), description: (*description).to_owned(), columns, rows });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_follow_the_registry_and_leave_out_interview_content() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::create(dir.path(), "laptop").unwrap();
        let audit = crate::test_support::fire_safety_audit(&mut store);
        let tables = store.export_tables(Some(audit)).unwrap();
        let names: Vec<&str> = tables.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["facility", "audit", "repeat_instance", "answer", "finding", "corrective_action", "attachment", "fee_record", "fee", "interview", "signoff"]);
        let interview = tables.iter().find(|t| t.name == "interview").unwrap();
        assert!(!interview.columns.iter().any(|c| c.name == "sealed" || c.name == "deleted"));
        let answers = tables.iter().find(|t| t.name == "answer").unwrap();
        assert_eq!(answers.rows.len(), store.answers(audit).unwrap().len());
        assert!(answers.rows.len() > 0);
        assert_eq!(tables.iter().find(|t| t.name == "audit").unwrap().rows.len(), 1);
        let err = store.export_tables(Some(Uuid::now_v7())).unwrap_err().to_string();
        assert!(err.contains("audit"), "{err}");
    }
}
