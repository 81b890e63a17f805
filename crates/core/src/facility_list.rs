//! The facility registry as a CSV in the Open Supply Hub list layout, so a brand
//! can publish its supplier list from FieldAudit. Columns: `country, name,
//! address, sector, lat, lng` (what an Open Supply Hub list upload needs), then
//! `os_id, number_of_workers, parent_company, facility_type, processing_type,
//! product_type`; several values in one cell are separated by `|`. Importing the
//! file back ([`crate::import`]) yields the same facilities.

use std::io::Write;

use crate::{CoreError, Result, Store};

/// The header row.
pub const OPEN_SUPPLY_HUB_COLUMNS: &[&str] =
    &["country", "name", "address", "sector", "lat", "lng", "os_id", "number_of_workers", "parent_company", "facility_type", "processing_type", "product_type"];

impl Store {
    /// Writes every facility (not deleted) as Open Supply Hub CSV; returns how many.
    pub fn export_open_supply_hub(&self, out: impl Write) -> Result<usize> {
        let mut w = csv::Writer::from_writer(out);
        let fail = |e: csv::Error| CoreError::Invalid(format!("cannot write the facility list: {e}"));
        w.write_record(OPEN_SUPPLY_HUB_COLUMNS).map_err(fail)?;
        let mut n = 0;
        for f in self.existing_for_import()? {
            let r = f.record;
            let workers = match (r.workers_min, r.workers_max) {
                (Some(a), Some(b)) if a == b => a.to_string(),
                (Some(a), Some(b)) => format!("{a}-{b}"),
                (Some(a), None) => format!("{a}+"),
                (None, Some(b)) => format!("<{b}"),
                (None, None) => String::new(),
            };
            let num = |v: Option<f64>| v.map(|x| x.to_string()).unwrap_or_default();
            w.write_record([
                r.country_code,
                r.name,
                r.address,
                r.sectors.join("|"),
                num(r.lat),
                num(r.lng),
                r.os_id.unwrap_or_default(),
                workers,
                r.parent_company.unwrap_or_default(),
                r.facility_type.unwrap_or_default(),
                String::new(),
                r.product_types.join("|"),
            ])
            .map_err(fail)?;
            n += 1;
        }
        w.flush().map_err(|e| CoreError::io("cannot write the facility list", e))?;
        Ok(n)
    }
}
