//! Duplicate detection and merging.
//!
//! Two facilities are the same when their [`DedupeKey`]s are equal (folded name +
//! folded address + country code), or when they carry the same Open Supply Hub ID.
//! Merging never overwrites: it fills fields that are empty and unions the sectors
//! and product types. A non-empty value that differs is kept and the other one is
//! reported as a [`FieldConflict`], so a person can see what was not taken.
//!
//! Coordinates and worker counts are pairs: they are taken together, and only when
//! both halves are empty on the receiving side, so a facility never ends up with a
//! latitude from one source and a longitude from another.

use serde::Serialize;
use serde_json::{json, Value};

use super::clean::fold_key;
use super::{FacilityRecord, FieldChange, FieldConflict};

/// The identity of a facility for duplicate detection.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct DedupeKey {
    /// [`fold_key`] of the name.
    pub name: String,
    /// [`fold_key`] of the address.
    pub address: String,
    /// ISO alpha-2, upper case.
    pub country_code: String,
}

/// The dedupe key of a record.
pub fn dedupe_key(record: &FacilityRecord) -> DedupeKey {
    DedupeKey {
        name: fold_key(&record.name),
        address: fold_key(&record.address),
        country_code: record.country_code.trim().to_ascii_uppercase(),
    }
}

/// The comparison form of an Open Supply Hub ID, or `None` if it is blank.
pub fn os_id_key(os_id: Option<&str>) -> Option<String> {
    let key = fold_key(os_id?);
    (!key.is_empty()).then_some(key)
}

fn text_value(s: &str) -> Value {
    Value::String(s.to_string())
}

fn list_value(items: &[String]) -> Value {
    json!(items)
}

/// `target ∪ extra`, compared with [`fold_key`], keeping `target`'s order first.
fn union(target: &[String], extra: &[String]) -> Vec<String> {
    let mut out = target.to_vec();
    for item in extra {
        let key = fold_key(item);
        if !out.iter().any(|v| fold_key(v) == key) {
            out.push(item.clone());
        }
    }
    out
}

/// What merging `incoming` into `base` would change, and which incoming values
/// were not taken. `base` is not modified.
pub fn changes(
    base: &FacilityRecord,
    incoming: &FacilityRecord,
) -> (Vec<FieldChange>, Vec<FieldConflict>) {
    let mut changes = Vec::new();
    let mut conflicts = Vec::new();

    let mut text = |field: &'static str, base: &str, incoming: &str| {
        if incoming.is_empty() {
        } else if base.is_empty() {
            changes.push(FieldChange {
                field,
                value: text_value(incoming),
            });
        } else if fold_key(base) != fold_key(incoming) {
            conflicts.push(FieldConflict {
                field,
                kept: text_value(base),
                ignored: text_value(incoming),
            });
        }
    };
    text("name", &base.name, &incoming.name);
    text("address", &base.address, &incoming.address);
    text("country_code", &base.country_code, &incoming.country_code);
    text(
        "os_id",
        base.os_id.as_deref().unwrap_or(""),
        incoming.os_id.as_deref().unwrap_or(""),
    );
    text(
        "parent_company",
        base.parent_company.as_deref().unwrap_or(""),
        incoming.parent_company.as_deref().unwrap_or(""),
    );
    text(
        "facility_type",
        base.facility_type.as_deref().unwrap_or(""),
        incoming.facility_type.as_deref().unwrap_or(""),
    );

    let mut list = |field: &'static str, base: &[String], incoming: &[String]| {
        let merged = union(base, incoming);
        if merged.len() != base.len() {
            changes.push(FieldChange {
                field,
                value: list_value(&merged),
            });
        }
    };
    list("sectors", &base.sectors, &incoming.sectors);
    list(
        "product_types",
        &base.product_types,
        &incoming.product_types,
    );

    // Coordinates: a pair.
    match ((base.lat, base.lng), (incoming.lat, incoming.lng)) {
        ((None, None), (Some(lat), Some(lng))) => {
            changes.push(FieldChange {
                field: "lat",
                value: json!(lat),
            });
            changes.push(FieldChange {
                field: "lng",
                value: json!(lng),
            });
        }
        ((Some(a), Some(b)), (Some(c), Some(d)))
            if (a - c).abs() > 1e-6 || (b - d).abs() > 1e-6 =>
        {
            conflicts.push(FieldConflict {
                field: "lat",
                kept: json!(a),
                ignored: json!(c),
            });
            conflicts.push(FieldConflict {
                field: "lng",
                kept: json!(b),
                ignored: json!(d),
            });
        }
        _ => {}
    }

    // Worker counts: a pair.
    let base_workers = (base.workers_min, base.workers_max);
    let incoming_workers = (incoming.workers_min, incoming.workers_max);
    if incoming_workers != (None, None) {
        if base_workers == (None, None) {
            if let Some(min) = incoming.workers_min {
                changes.push(FieldChange {
                    field: "workers_min",
                    value: json!(min),
                });
            }
            if let Some(max) = incoming.workers_max {
                changes.push(FieldChange {
                    field: "workers_max",
                    value: json!(max),
                });
            }
        } else if base_workers != incoming_workers {
            conflicts.push(FieldConflict {
                field: "workers_min",
                kept: json!(base.workers_min),
                ignored: json!(incoming.workers_min),
            });
            conflicts.push(FieldConflict {
                field: "workers_max",
                kept: json!(base.workers_max),
                ignored: json!(incoming.workers_max),
            });
        }
    }

    (changes, conflicts)
}

/// Merges `incoming` into `target` (fills blanks, unions lists, never overwrites)
/// and returns the incoming values that were not taken.
pub fn merge_into(target: &mut FacilityRecord, incoming: &FacilityRecord) -> Vec<FieldConflict> {
    let (changes, conflicts) = changes(target, incoming);
    for change in changes {
        apply(target, &change);
    }
    conflicts
}

fn as_list(value: &Value) -> Vec<String> {
    value
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Applies one change (as produced by [`changes`]) to a record.
fn apply(record: &mut FacilityRecord, change: &FieldChange) {
    let text = change.value.as_str().map(str::to_string);
    match change.field {
        "name" => record.name = text.unwrap_or_default(),
        "address" => record.address = text.unwrap_or_default(),
        "country_code" => record.country_code = text.unwrap_or_default(),
        "os_id" => record.os_id = text,
        "parent_company" => record.parent_company = text,
        "facility_type" => record.facility_type = text,
        "sectors" => record.sectors = as_list(&change.value),
        "product_types" => record.product_types = as_list(&change.value),
        "lat" => record.lat = change.value.as_f64(),
        "lng" => record.lng = change.value.as_f64(),
        "workers_min" => record.workers_min = change.value.as_i64(),
        "workers_max" => record.workers_max = change.value.as_i64(),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(name: &str, address: &str, country: &str) -> FacilityRecord {
        FacilityRecord {
            name: name.into(),
            address: address.into(),
            country_code: country.into(),
            ..FacilityRecord::default()
        }
    }

    #[test]
    fn dedupe_key_is_case_punctuation_and_space_insensitive() {
        let a = record(
            "XINHUIFU SHOES&CLOTHING CO.,LTD",
            "SHICHUN VILLAGE, CHIDIAN TOWN",
            "CN",
        );
        let b = record(
            "Xinhuifu Shoes & Clothing Co., Ltd.",
            "Shichun Village,Chidian Town;",
            "cn",
        );
        assert_eq!(dedupe_key(&a), dedupe_key(&b));
        let other_country = record(
            "Xinhuifu Shoes & Clothing Co., Ltd.",
            "Shichun Village, Chidian Town",
            "VN",
        );
        assert_ne!(dedupe_key(&a), dedupe_key(&other_country));
        let other_address = record(
            "Xinhuifu Shoes & Clothing Co., Ltd.",
            "Shichun Village 2",
            "CN",
        );
        assert_ne!(dedupe_key(&a), dedupe_key(&other_address));
    }

    #[test]
    fn fills_blanks_and_never_overwrites() {
        let mut base = record("Acme", "1 Road", "BD");
        base.sectors = vec!["Apparel".into()];
        base.parent_company = Some("Acme Group".into());
        base.workers_min = Some(100);
        base.workers_max = Some(100);
        let mut incoming = record("ACME", "1 ROAD", "BD");
        incoming.sectors = vec!["apparel".into(), "Footwear".into()];
        incoming.parent_company = Some("Other Group".into());
        incoming.facility_type = Some("Final Product Assembly".into());
        incoming.lat = Some(23.8);
        incoming.lng = Some(90.4);
        incoming.workers_min = Some(1001);
        incoming.workers_max = Some(5000);

        let (changes, conflicts) = changes(&base, &incoming);
        let fields: Vec<_> = changes.iter().map(|c| c.field).collect();
        assert_eq!(fields, vec!["facility_type", "sectors", "lat", "lng"]);
        assert_eq!(changes[1].value, json!(["Apparel", "Footwear"]));
        assert_eq!(changes[2].value, json!(23.8));
        let conflicted: Vec<_> = conflicts.iter().map(|c| c.field).collect();
        assert_eq!(
            conflicted,
            vec!["parent_company", "workers_min", "workers_max"]
        );
        assert_eq!(conflicts[0].kept, json!("Acme Group"));
        assert_eq!(conflicts[0].ignored, json!("Other Group"));

        let mut merged = base.clone();
        merge_into(&mut merged, &incoming);
        assert_eq!(merged.name, "Acme");
        assert_eq!(merged.parent_company.as_deref(), Some("Acme Group"));
        assert_eq!(
            merged.facility_type.as_deref(),
            Some("Final Product Assembly")
        );
        assert_eq!(merged.sectors, vec!["Apparel", "Footwear"]);
        assert_eq!((merged.lat, merged.lng), (Some(23.8), Some(90.4)));
        assert_eq!(
            (merged.workers_min, merged.workers_max),
            (Some(100), Some(100))
        );
    }

    #[test]
    fn nothing_new_means_no_changes() {
        let mut base = record("Acme", "1 Road", "BD");
        base.sectors = vec!["Apparel".into()];
        let incoming = record("ACME;", "1 Road", "BD");
        let (changes, conflicts) = changes(&base, &incoming);
        assert!(changes.is_empty(), "{changes:?}");
        assert!(conflicts.is_empty(), "{conflicts:?}");
    }

    #[test]
    fn coordinates_move_as_a_pair() {
        let mut base = record("Acme", "1 Road", "BD");
        base.lat = Some(23.0);
        let mut incoming = record("Acme", "1 Road", "BD");
        incoming.lat = Some(24.0);
        incoming.lng = Some(90.0);
        let (changes, _) = changes(&base, &incoming);
        assert!(
            changes.iter().all(|c| c.field != "lat" && c.field != "lng"),
            "{changes:?}"
        );
    }

    #[test]
    fn os_id_key_ignores_case_and_blanks() {
        assert_eq!(
            os_id_key(Some(" cn2019303bq3fzp ")),
            os_id_key(Some("CN2019303BQ3FZP"))
        );
        assert_eq!(os_id_key(Some("  ")), None);
        assert_eq!(os_id_key(None), None);
    }
}
