//! Facilities on this device: creating one by hand, listing and searching, and
//! applying a facility-list import preview (see [`crate::import`]) all-or-nothing.

use fieldaudit_protocol::EntityKind;
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use crate::import::{ExistingFacility, FacilityRecord, ImportPreview};
use crate::model::Facility;
use crate::store::select_rows;
use crate::{CoreError, Result, Store};

/// What applying an import did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ImportApplied {
    /// Facilities created.
    pub added: usize,
    /// Existing facilities that received new values.
    pub updated: usize,
    /// Rows rejected (not imported).
    pub rejected: usize,
}

/// A facility in a list, with when it was last audited.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FacilitySummary {
    /// The facility.
    #[serde(flatten)]
    pub facility: Facility,
    /// First day of its latest audit on this device.
    pub last_audit: Option<String>,
    /// Open corrective actions across its audits.
    pub open_actions: u32,
}

pub use crate::import::record_fields;

impl Store {
    /// Creates a facility by hand.
    pub fn add_facility(&mut self, record: &FacilityRecord) -> Result<Uuid> {
        if record.name.trim().is_empty() {
            return Err(CoreError::Invalid("a facility needs a name".into()));
        }
        let id = Uuid::now_v7();
        self.write(|w| {
            w.set(EntityKind::Facility, id, &record_fields(record))
                .map(|_| ())
        })?;
        Ok(id)
    }

    /// One facility.
    pub fn facility(&self, id: Uuid) -> Result<Facility> {
        self.get(EntityKind::Facility, id)?
            .ok_or_else(|| CoreError::not_found("facility", id))
    }

    /// Facilities whose name, address, country or OS ID contains `search`
    /// (case-insensitive), by name, with their last audit and open actions.
    pub fn facilities(&self, search: &str) -> Result<Vec<FacilitySummary>> {
        let pattern = format!(
            "%{}%",
            search
                .trim()
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        let rows = select_rows(
            self.conn(),
            EntityKind::Facility,
            "coalesce(deleted, 0) = 0 AND name IS NOT NULL AND (name LIKE ?1 ESCAPE '\\' OR address LIKE ?1 ESCAPE '\\' OR country_code LIKE ?1 ESCAPE '\\' OR os_id LIKE ?1 ESCAPE '\\') ORDER BY name COLLATE NOCASE, id",
            [pattern],
        )?;
        let mut last_audit = self.conn().prepare_cached(
            "SELECT max(start_date) FROM audit WHERE facility_id = ?1 AND coalesce(deleted, 0) = 0",
        )?;
        let mut open_actions = self.conn().prepare_cached(
            "SELECT count(*) FROM corrective_action ca JOIN finding f ON f.id = ca.finding_id JOIN audit a ON a.id = f.audit_id
             WHERE a.facility_id = ?1 AND coalesce(ca.deleted, 0) = 0 AND coalesce(f.deleted, 0) = 0 AND f.status = 'open'
               AND ca.status IN ('open', 'in_progress', 'disputed')",
        )?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let facility: Facility =
                serde_json::from_value(Value::Object(row)).map_err(|e| CoreError::Corrupt {
                    entity: "facility".into(),
                    field: "*".into(),
                    reason: e.to_string(),
                })?;
            let id = facility.id.to_string();
            let last: Option<String> = last_audit.query_row([&id], |r| r.get(0))?;
            let open: i64 = open_actions.query_row([&id], |r| r.get(0))?;
            out.push(FacilitySummary {
                facility,
                last_audit: last,
                open_actions: open as u32,
            });
        }
        Ok(out)
    }

    /// Facilities as the import compares against them.
    pub fn existing_for_import(&self) -> Result<Vec<ExistingFacility>> {
        Ok(self
            .facilities("")?
            .into_iter()
            .map(|s| {
                let f = s.facility;
                ExistingFacility {
                    id: f.id,
                    record: FacilityRecord {
                        name: f.name.unwrap_or_default(),
                        address: f.address.unwrap_or_default(),
                        country_code: f.country_code.unwrap_or_default(),
                        sectors: f.sectors.unwrap_or_default(),
                        lat: f.lat,
                        lng: f.lng,
                        workers_min: f.workers_min,
                        workers_max: f.workers_max,
                        os_id: f.os_id,
                        parent_company: f.parent_company,
                        facility_type: f.facility_type,
                        product_types: f.product_types.unwrap_or_default(),
                    },
                }
            })
            .collect())
    }

    /// Reads a facility list and previews the import against this device's facilities.
    pub fn preview_facility_import(&self, input: impl std::io::Read) -> Result<ImportPreview> {
        let existing = self.existing_for_import()?;
        crate::import::preview_import(input, &existing)
            .map_err(|e| CoreError::Invalid(e.to_string()))
    }

    /// Applies a preview in one transaction: every new facility and every merge, or
    /// nothing. Fails if a facility it merges into has since been deleted.
    pub fn apply_facility_import(&mut self, preview: &ImportPreview) -> Result<ImportApplied> {
        self.write(|w| {
            let mut applied = ImportApplied { rejected: preview.reject.len(), ..Default::default() };
            for new in &preview.add {
                w.set(EntityKind::Facility, Uuid::now_v7(), &record_fields(&new.record))?;
                applied.added += 1;
            }
            for merge in &preview.merge {
                if !w.exists(EntityKind::Facility, merge.existing_id)? {
                    return Err(CoreError::Invalid(format!(
                        "facility {} (lines {:?}) was deleted since the preview; preview the file again",
                        merge.existing_id, merge.lines
                    )));
                }
                let fields: Vec<(&str, Value)> = merge.changes.iter().map(|c| (c.field, c.value.clone())).collect();
                if w.set(EntityKind::Facility, merge.existing_id, &fields)? > 0 {
                    applied.updated += 1;
                }
            }
            Ok(applied)
        })
    }
}
