//! Header row → facility fields.
//!
//! Columns are matched by name, never by position. A header is compared after
//! lower-casing and turning every run of spaces and punctuation into `_`, so
//! "Facility Name", "facility_name" and " FACILITY-NAME " are the same column. Each
//! field has a list of accepted spellings ([`ALIASES`]); unknown columns are ignored
//! and listed in the preview so a person can see what was not imported.

use serde::Serialize;

use super::clean::clean_text;

/// A facility field that a column can feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Column {
    /// Facility name.
    Name,
    /// Street address.
    Address,
    /// Country as an ISO code (preferred when both code and name columns exist).
    CountryCode,
    /// Country as a name (or a code; it goes through the same normalisation).
    Country,
    /// Sectors, `|`-separated.
    Sector,
    /// Latitude.
    Lat,
    /// Longitude.
    Lng,
    /// Number of workers, exact or a range.
    Workers,
    /// Open Supply Hub ID.
    OsId,
    /// Parent company.
    ParentCompany,
    /// Facility type, `|`-separated.
    FacilityType,
    /// Processing type (Open Supply Hub); joined with the facility type.
    ProcessingType,
    /// Product types, `|`-separated.
    ProductType,
}

/// Accepted header spellings (after [`header_key`]) for each column.
pub const ALIASES: &[(Column, &[&str])] = &[
    (
        Column::Name,
        &[
            "name",
            "facility_name",
            "facility",
            "factory_name",
            "factory",
            "supplier_name",
            "supplier",
            "site_name",
            "manufacturer_name",
            "company_name",
        ],
    ),
    (
        Column::Address,
        &[
            "address",
            "facility_address",
            "factory_address",
            "supplier_address",
            "site_address",
            "full_address",
            "street_address",
        ],
    ),
    (
        Column::CountryCode,
        &[
            "country_code",
            "countrycode",
            "iso_country_code",
            "country_iso",
            "iso_code",
            "iso2",
        ],
    ),
    (
        Column::Country,
        &[
            "country",
            "country_name",
            "countryname",
            "country_region",
            "facility_country",
        ],
    ),
    (Column::Sector, &["sector", "sectors", "industry"]),
    (Column::Lat, &["lat", "latitude", "y"]),
    (Column::Lng, &["lng", "lon", "long", "longitude", "x"]),
    (
        Column::Workers,
        &[
            "number_of_workers",
            "workers",
            "no_of_workers",
            "num_workers",
            "worker_count",
            "workers_count",
            "total_workers",
            "number_of_employees",
            "employees",
        ],
    ),
    (
        Column::OsId,
        &["os_id", "osid", "open_supply_hub_id", "oar_id"],
    ),
    (
        Column::ParentCompany,
        &[
            "parent_company",
            "parent_company_name",
            "parent",
            "group",
            "parent_group",
        ],
    ),
    (
        Column::FacilityType,
        &[
            "facility_type",
            "facility_types",
            "facility_type_processing_type",
        ],
    ),
    (
        Column::ProcessingType,
        &["processing_type", "processing_types"],
    ),
    (
        Column::ProductType,
        &["product_type", "product_types", "products", "product"],
    ),
];

/// The comparison form of a header: cleaned, lower case, runs of anything but
/// letters and digits turned into a single `_`, no leading or trailing `_`.
pub fn header_key(header: &str) -> String {
    let mut out = String::new();
    for c in clean_text(header).to_lowercase().chars() {
        if c.is_alphanumeric() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('_') {
            out.push('_');
        }
    }
    while out.ends_with('_') {
        out.pop();
    }
    out
}

/// The column a header feeds, if any.
pub fn column_for_header(header: &str) -> Option<Column> {
    let key = header_key(header);
    ALIASES
        .iter()
        .find(|(_, names)| names.contains(&key.as_str()))
        .map(|(column, _)| *column)
}

/// One header cell and what it was mapped to; shown in the preview.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ColumnMapping {
    /// 1-based column number.
    pub column: usize,
    /// The header as written in the file (cleaned).
    pub header: String,
    /// The field it feeds, or `None` when the column is ignored.
    pub field: Option<Column>,
}

/// Where each field's values are, by 0-based column index. A field can have several
/// columns (e.g. `country_code` and `country_name`); the first non-empty one wins.
#[derive(Debug, Clone, Default)]
pub struct HeaderMap {
    slots: Vec<(Column, Vec<usize>)>,
    /// The mapping of every header cell, for the preview.
    pub mappings: Vec<ColumnMapping>,
    /// The number of header cells.
    pub width: usize,
}

impl HeaderMap {
    /// Maps a header row.
    pub fn new<'a>(headers: impl IntoIterator<Item = &'a str>) -> Self {
        let mut map = HeaderMap::default();
        for (index, header) in headers.into_iter().enumerate() {
            let field = column_for_header(header);
            if let Some(column) = field {
                match map.slots.iter_mut().find(|(c, _)| *c == column) {
                    Some((_, indices)) => indices.push(index),
                    None => map.slots.push((column, vec![index])),
                }
            }
            map.mappings.push(ColumnMapping {
                column: index + 1,
                header: clean_text(header),
                field,
            });
            map.width = index + 1;
        }
        // Country code columns first, so a code beats a name.
        map.slots.sort_by_key(|(c, _)| *c != Column::CountryCode);
        map
    }

    /// The column indices feeding `column`, in priority order.
    pub fn indices(&self, column: Column) -> Vec<usize> {
        self.slots
            .iter()
            .filter(|(c, _)| *c == column)
            .flat_map(|(_, indices)| indices.iter().copied())
            .collect()
    }

    /// Whether any column feeds `column`.
    pub fn has(&self, column: Column) -> bool {
        self.slots.iter().any(|(c, _)| *c == column)
    }

    /// Whether any column gives the country (as a code or a name).
    pub fn has_country(&self) -> bool {
        self.has(Column::CountryCode) || self.has(Column::Country)
    }

    /// The country columns, codes first.
    pub fn country_indices(&self) -> Vec<usize> {
        let mut indices = self.indices(Column::CountryCode);
        indices.extend(self.indices(Column::Country));
        indices
    }

    /// The headers as written, for error messages.
    pub fn found_headers(&self) -> Vec<String> {
        self.mappings
            .iter()
            .map(|m| m.header.clone())
            .filter(|h| !h.is_empty())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_keys_ignore_case_spacing_and_punctuation() {
        assert_eq!(header_key(" Facility Name "), "facility_name");
        assert_eq!(header_key("FACILITY-NAME"), "facility_name");
        assert_eq!(header_key("Number of Workers"), "number_of_workers");
        assert_eq!(header_key("\u{FEFF}country"), "country");
        assert_eq!(header_key("Lat."), "lat");
        assert_eq!(header_key("Country/Region"), "country_region");
    }

    #[test]
    fn aliases_map_to_fields() {
        for (header, column) in [
            ("name", Column::Name),
            ("Facility Name", Column::Name),
            ("Supplier name", Column::Name),
            ("address", Column::Address),
            ("country", Column::Country),
            ("country_name", Column::Country),
            ("Country Code", Column::CountryCode),
            ("country_code", Column::CountryCode),
            ("latitude", Column::Lat),
            ("Longitude", Column::Lng),
            ("lng", Column::Lng),
            ("number_of_workers", Column::Workers),
            ("Workers", Column::Workers),
            ("os_id", Column::OsId),
            ("OS ID", Column::OsId),
            ("sector", Column::Sector),
            ("parent_company", Column::ParentCompany),
            ("facility_type", Column::FacilityType),
            ("processing_type", Column::ProcessingType),
            ("product_type", Column::ProductType),
        ] {
            assert_eq!(column_for_header(header), Some(column), "{header}");
        }
        assert_eq!(column_for_header("contributor"), None);
        assert_eq!(column_for_header(""), None);
    }

    #[test]
    fn country_code_beats_country_name() {
        let map = HeaderMap::new(["os_id", "name", "country_name", "address", "country_code"]);
        assert_eq!(map.country_indices(), vec![4, 2]);
        assert_eq!(map.indices(Column::Name), vec![1]);
        assert!(map.has_country());
        assert_eq!(map.width, 5);
    }

    #[test]
    fn several_columns_for_one_field_keep_their_order() {
        let map = HeaderMap::new(["Name", "Facility name", "Country", "Notes"]);
        assert_eq!(map.indices(Column::Name), vec![0, 1]);
        assert_eq!(map.mappings[3].field, None);
        assert_eq!(
            map.found_headers(),
            vec!["Name", "Facility name", "Country", "Notes"]
        );
    }
}
