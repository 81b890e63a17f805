//! Facility import for an organisation (the `facility import` admin command): a
//! facility list CSV is previewed with `fieldaudit_facility_import::preview_import`
//! against the organisation's current facilities, and the result is written as
//! ordinary changes by the organisation's server-side device, so it reaches every
//! device through pull like any other change.

use fieldaudit_facility_import::{
    preview_import, record_fields, ExistingFacility, FacilityRecord, ImportPreview,
};
use fieldaudit_protocol::{EntityKind, PushResponse};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::store::{CurrentRow, ServerStore};

/// What an import did (or, for a dry run, would do).
#[derive(Debug)]
pub struct ImportOutcome {
    /// The preview the changes were made from (counts, rejected rows, warnings).
    pub preview: ImportPreview,
    /// The push of the resulting changes (None for a dry run or when nothing changes).
    pub pushed: Option<PushResponse>,
    /// Facilities created, by id.
    pub created: Vec<Uuid>,
}

fn text(fields: &Map<String, Value>, name: &str) -> Option<String> {
    fields.get(name).and_then(Value::as_str).map(str::to_owned)
}

fn list(fields: &Map<String, Value>, name: &str) -> Vec<String> {
    fields
        .get(name)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// A stored facility row as the import compares against it (None when deleted).
pub fn existing_facility(row: &CurrentRow) -> Option<ExistingFacility> {
    let f = &row.fields;
    if f.get("deleted").and_then(Value::as_bool) == Some(true) {
        return None;
    }
    Some(ExistingFacility {
        id: row.row_id,
        record: FacilityRecord {
            name: text(f, "name").unwrap_or_default(),
            address: text(f, "address").unwrap_or_default(),
            country_code: text(f, "country_code").unwrap_or_default(),
            sectors: list(f, "sectors"),
            lat: f.get("lat").and_then(Value::as_f64),
            lng: f.get("lng").and_then(Value::as_f64),
            workers_min: f.get("workers_min").and_then(Value::as_i64),
            workers_max: f.get("workers_max").and_then(Value::as_i64),
            os_id: text(f, "os_id"),
            parent_company: text(f, "parent_company"),
            facility_type: text(f, "facility_type"),
            product_types: list(f, "product_types"),
        },
    })
}

/// Imports a facility list CSV into the organisation `org_slug`. With `dry_run`,
/// only previews. Whole-file problems (not CSV, no name/country column…) are errors
/// that say what to fix; rejected rows are listed in the preview and skipped.
pub async fn import_facilities(
    store: &dyn ServerStore,
    org_slug: &str,
    input: impl std::io::Read,
    dry_run: bool,
) -> anyhow::Result<ImportOutcome> {
    let org = crate::admin::organisation(store, org_slug).await?;
    let rows = store.current_rows(org.id, "facility").await?;
    // The import's stamps must be newer than anything stored, so its values win the
    // merge even if a device's clock ran a little ahead of the server's.
    let newest = rows.iter().map(|r| r.newest).max();
    let existing: Vec<ExistingFacility> = rows.iter().filter_map(existing_facility).collect();
    let preview = preview_import(input, &existing).map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut ops: Vec<(Uuid, &'static str, Value)> = Vec::new();
    let mut created = Vec::new();
    for add in &preview.add {
        let id = Uuid::now_v7();
        created.push(id);
        ops.extend(
            record_fields(&add.record)
                .into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(f, v)| (id, f, v)),
        );
    }
    for merge in &preview.merge {
        ops.extend(
            merge
                .changes
                .iter()
                .map(|c| (merge.existing_id, c.field, c.value.clone())),
        );
    }
    if dry_run || ops.is_empty() {
        return Ok(ImportOutcome {
            preview,
            pushed: None,
            created: if dry_run { Vec::new() } else { created },
        });
    }
    let pushed =
        crate::reviewers::push_as_server_device(store, org.id, EntityKind::Facility, newest, ops)
            .await?;
    Ok(ImportOutcome {
        preview,
        pushed: Some(pushed),
        created,
    })
}
