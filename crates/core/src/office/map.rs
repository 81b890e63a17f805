//! The supply-chain map's numbers: facilities as points (from their coordinates)
//! and, per country, active suppliers, audits and country risk, so the map can
//! shade countries by either. The boundaries themselves ship with the UI; each
//! country carries its ISO 3166 numeric code, the key those boundary files use.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;
use uuid::Uuid;

use super::{bind_named, OfficeFilter};
use crate::cap::{FIX_OVERDUE_SQL, RUNNING_STATUSES_SQL};
use crate::{CoreError, Result, Store};

/// A facility on the map.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct MapPoint {
    /// The facility.
    pub facility_id: Uuid,
    /// Its name.
    pub name: Option<String>,
    /// ISO alpha-2.
    pub country: Option<String>,
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lng: f64,
    /// Audits in the period.
    pub audits: u32,
    /// CAP items not closed.
    pub open_caps: u32,
    /// Of those, overdue.
    pub overdue_caps: u32,
}

/// A country on the map.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct MapCountry {
    /// ISO alpha-2.
    pub country: String,
    /// ISO 3166 numeric code (`050` for BD), the id of its boundary in Natural
    /// Earth's files; `None` for codes ISO does not assign (XK).
    pub iso_numeric: Option<String>,
    /// Listed facilities (not deleted).
    pub active_suppliers: u32,
    /// Audits in the period.
    pub audits: u32,
    /// Country risk, when the WGI data has the country.
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub risk: Option<Decimal>,
    /// The WGI year of that risk.
    pub risk_year: Option<i32>,
    /// Whether that risk comes from the shipped sample file.
    pub risk_is_sample: bool,
}

impl MapCountry {
    fn new(country: &str) -> MapCountry {
        MapCountry {
            country: country.to_owned(),
            iso_numeric: celes::Country::from_alpha2(country)
                .ok()
                .map(|c| c.code.to_owned()),
            active_suppliers: 0,
            audits: 0,
            risk: None,
            risk_year: None,
            risk_is_sample: false,
        }
    }
}

/// The map panel.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct MapPanel {
    /// Facilities with coordinates.
    pub points: Vec<MapPoint>,
    /// Facilities without coordinates (not drawn).
    pub without_coordinates: u32,
    /// Countries with suppliers, audits or a risk value.
    pub countries: Vec<MapCountry>,
}

impl Store {
    /// The map panel as of `today`.
    pub fn map_panel(&self, filter: &OfficeFilter, today: NaiveDate) -> Result<MapPanel> {
        filter.check()?;
        let mut p = filter.params().to_vec();
        p.push((":today", Some(today.to_string())));
        let mut stmt = self.conn().prepare_cached(&format!(
            "SELECT fac.id, fac.name, fac.country_code, fac.lat, fac.lng,
                    (SELECT count(*) FROM audit a WHERE a.facility_id = fac.id AND {}),
                    (SELECT count(*) FROM corrective_action ca JOIN finding f ON f.id = ca.finding_id JOIN audit a ON a.id = f.audit_id
                       WHERE a.facility_id = fac.id AND coalesce(a.deleted, 0) = 0 AND coalesce(ca.deleted, 0) = 0 AND coalesce(f.deleted, 0) = 0
                         AND coalesce(ca.status, 'open') IN {RUNNING_STATUSES_SQL}),
                    (SELECT count(*) FROM corrective_action ca JOIN finding f ON f.id = ca.finding_id JOIN audit a ON a.id = f.audit_id
                       WHERE a.facility_id = fac.id AND coalesce(a.deleted, 0) = 0 AND coalesce(ca.deleted, 0) = 0 AND coalesce(f.deleted, 0) = 0 AND {FIX_OVERDUE_SQL})
             FROM facility fac
             WHERE coalesce(fac.deleted, 0) = 0 AND (:country IS NULL OR fac.country_code = :country)
             ORDER BY fac.name",
            OfficeFilter::SQL
        ))?;
        bind_named(&mut stmt, &p)?;
        let mut rows = stmt.raw_query();
        let mut points = Vec::new();
        let mut without_coordinates = 0;
        let mut countries: std::collections::BTreeMap<String, MapCountry> = Default::default();
        while let Some(r) = rows.next()? {
            let id: String = r.get(0)?;
            let country: Option<String> = r.get(2)?;
            let audits: u32 = r.get(5)?;
            if let Some(c) = &country {
                let e = countries
                    .entry(c.clone())
                    .or_insert_with(|| MapCountry::new(c));
                e.active_suppliers += 1;
                e.audits += audits;
            }
            match (r.get::<_, Option<f64>>(3)?, r.get::<_, Option<f64>>(4)?) {
                (Some(lat), Some(lng)) => points.push(MapPoint {
                    facility_id: Uuid::parse_str(&id).map_err(|e| CoreError::Corrupt {
                        entity: "facility".into(),
                        field: "id".into(),
                        reason: e.to_string(),
                    })?,
                    name: r.get(1)?,
                    country,
                    lat,
                    lng,
                    audits,
                    open_caps: r.get(6)?,
                    overdue_caps: r.get(7)?,
                }),
                _ => without_coordinates += 1,
            }
        }
        drop(rows);
        let only = p[2].1.clone();
        for risk in self.country_risks()? {
            if only.as_deref().is_some_and(|c| c != risk.country) {
                continue;
            }
            let e = countries
                .entry(risk.country.clone())
                .or_insert_with(|| MapCountry::new(&risk.country));
            e.risk = Some(risk.risk);
            e.risk_year = Some(risk.year);
            e.risk_is_sample = risk.sample;
        }
        Ok(MapPanel {
            points,
            without_coordinates,
            countries: countries.into_values().collect(),
        })
    }
}
