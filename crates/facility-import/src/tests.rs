//! Tests of the whole preview: whole-file errors, line numbers, rejects, warnings,
//! in-file duplicates and merging into existing facilities.

use serde_json::json;

use super::*;

fn preview(csv: &str) -> ImportPreview {
    preview_with(csv, &[])
}

fn preview_with(csv: &str, existing: &[ExistingFacility]) -> ImportPreview {
    match preview_import(csv.as_bytes(), existing) {
        Ok(p) => p,
        Err(e) => panic!("preview failed: {e}"),
    }
}

fn error(bytes: &[u8]) -> ImportError {
    match preview_import(bytes, &[]) {
        Ok(p) => panic!("expected an error, got {p:?}"),
        Err(e) => e,
    }
}

/// Every data line is in exactly one of add, merge, reject.
fn accounted_lines(p: &ImportPreview) -> Vec<u64> {
    let mut lines: Vec<u64> = p
        .add
        .iter()
        .flat_map(|a| a.lines.clone())
        .chain(p.merge.iter().flat_map(|m| m.lines.clone()))
        .chain(p.reject.iter().map(|r| r.line))
        .collect();
    lines.sort_unstable();
    lines
}

#[test]
fn empty_files_are_errors() {
    assert_eq!(error(b""), ImportError::Empty);
    assert_eq!(error(b"   \r\n\n"), ImportError::Empty);
    assert_eq!(error("\u{FEFF}".as_bytes()), ImportError::Empty);
    assert_eq!(error(b",,,\n,,\n"), ImportError::Empty);
    let header_only = error(b"name,country,address\r\n");
    assert_eq!(header_only, ImportError::NoRows { header_line: 1 });
    assert!(header_only.to_string().contains("no facility rows"));
}

#[test]
fn invalid_utf8_names_the_line() {
    // "Química" in Windows-1252 on line 3.
    let bytes = b"name,country\nAcme,BD\nQu\xedmica,ES\n";
    let err = error(bytes);
    assert_eq!(err, ImportError::NotUtf8 { line: 3 });
    assert!(err.to_string().contains("CSV UTF-8"), "{err}");
}

#[test]
fn spreadsheets_and_binary_are_not_csv() {
    assert!(matches!(
        error(b"PK\x03\x04rest of a zip"),
        ImportError::NotCsv { .. }
    ));
    assert!(matches!(
        error(b"\xFF\xFEn\0a\0"),
        ImportError::NotCsv { .. }
    ));
    let err = error(b"name,country\nA\0,BD\n");
    assert!(err.to_string().contains("binary"), "{err}");
}

#[test]
fn missing_name_column_lists_found_columns() {
    let err = error(b"supplier id,country,address\n1,BD,Dhaka\n");
    assert_eq!(
        err,
        ImportError::MissingColumns {
            missing: vec!["name"],
            found: vec!["supplier id".into(), "country".into(), "address".into()],
        }
    );
    let text = err.to_string();
    assert!(text.contains("no name column"), "{text}");
    assert!(
        text.contains("found: supplier id, country, address"),
        "{text}"
    );

    let err = error(b"id;title\n1;x\n");
    assert!(
        matches!(&err, ImportError::MissingColumns { missing, .. } if missing == &vec!["name", "country"]),
        "{err:?}"
    );
}

#[test]
fn header_aliases_and_open_supply_hub_columns() {
    let csv = "\
os_id,Facility Name,Address,Country_Code,country_name,Latitude,Longitude,sector,number_of_workers,parent_company,facility_type,processing_type,product_type,contributor
BD2019303ABCDEF,Acme Knit Ltd,\"Plot 1, Gazipur\",BD,Bangladesh,23.9,90.4,Apparel|Textiles,1001-5000,Acme Group,Final Product Assembly,Knitting,T-shirts|Polos,Brand X
";
    let p = preview(csv);
    assert_eq!(p.summary.add, 1);
    let r = &p.add[0].record;
    assert_eq!(r.os_id.as_deref(), Some("BD2019303ABCDEF"));
    assert_eq!(r.name, "Acme Knit Ltd");
    assert_eq!(r.address, "Plot 1, Gazipur");
    assert_eq!(r.country_code, "BD");
    assert_eq!((r.lat, r.lng), (Some(23.9), Some(90.4)));
    assert_eq!(r.sectors, vec!["Apparel", "Textiles"]);
    assert_eq!((r.workers_min, r.workers_max), (Some(1001), Some(5000)));
    assert_eq!(r.parent_company.as_deref(), Some("Acme Group"));
    assert_eq!(
        r.facility_type.as_deref(),
        Some("Final Product Assembly|Knitting")
    );
    assert_eq!(r.product_types, vec!["T-shirts", "Polos"]);
    let ignored: Vec<_> = p
        .columns
        .iter()
        .filter(|c| c.field.is_none())
        .map(|c| c.header.as_str())
        .collect();
    assert_eq!(ignored, vec!["contributor"]);
}

#[test]
fn country_code_column_falls_back_to_country_name() {
    let csv = "name,country_code,country_name\nA,,Viet Nam\nB,XX,Türkiye\nC,,\n";
    let p = preview(csv);
    let codes: Vec<_> = p
        .add
        .iter()
        .map(|a| a.record.country_code.as_str())
        .collect();
    assert_eq!(codes, vec!["VN", "TR"]);
    assert_eq!(
        p.reject,
        vec![RejectedRow {
            line: 4,
            reason: "country is empty; give a country name or ISO code such as BD".into()
        }]
    );
}

#[test]
fn rejects_say_line_and_what_to_fix() {
    let csv = "name,country,address\nGood,BD,Dhaka\n,BD,No name street\nAtlantis Mill,ATLANTIS,Sea floor\n  □ ;,CN,x\nShifted, Ltd,CN,Road,extra\n";
    let p = preview(csv);
    assert_eq!(p.summary.add, 1);
    assert_eq!(
        p.reject,
        vec![
            RejectedRow { line: 3, reason: "name is empty; every facility needs a name".into() },
            RejectedRow {
                line: 4,
                reason: "country \"ATLANTIS\" is not a country name or ISO code; use a code such as BD".into()
            },
            RejectedRow { line: 5, reason: "name is empty; every facility needs a name".into() },
            RejectedRow {
                line: 6,
                reason: "the row has 5 values but the header has 3 columns; a value containing the separator is probably missing its quotes".into()
            },
        ]
    );
    assert_eq!(accounted_lines(&p), vec![2, 3, 4, 5, 6]);
}

#[test]
fn quoted_multiline_fields_keep_editor_line_numbers() {
    let csv = "name,country,address\r\n\"Acme\",BD,\"Plot 1\r\nGazipur\r\nDhaka\"\r\nBeta,ATLANTIS,x\r\n\"Gamma\nMills\",CN,\"a\"\r\nDelta,,y\r\n";
    let p = preview(csv);
    assert_eq!(p.add.len(), 2);
    assert_eq!(p.add[0].lines, vec![2]);
    assert_eq!(p.add[0].record.address, "Plot 1 Gazipur Dhaka");
    assert_eq!(p.add[1].lines, vec![6]);
    assert_eq!(p.add[1].record.name, "Gamma Mills");
    let rejected: Vec<u64> = p.reject.iter().map(|r| r.line).collect();
    assert_eq!(rejected, vec![5, 8]);
}

#[test]
fn blank_rows_and_title_lines_are_skipped() {
    let csv = "Supplier list Summer 2019,,\n,,\nname,country,address\nA,BD,x\n,,\n\nB,IN,y\n";
    let p = preview(csv);
    assert_eq!(p.header_line, 3);
    assert_eq!(p.summary.rows, 2);
    let lines: Vec<_> = p.add.iter().map(|a| a.lines[0]).collect();
    assert_eq!(lines, vec![4, 7]);
    assert_eq!(p.warnings.len(), 1);
    assert_eq!(p.warnings[0].line, 1);
    assert_eq!(p.warnings[0].field, "row");
}

#[test]
fn semicolon_and_tab_separated_files() {
    let p = preview("Name;Country;Address\nA;ES;c/ Berlin, 33\n");
    assert_eq!(p.add[0].record.address, "c/ Berlin, 33");
    let p = preview("Name\tCountry\nA\tES\n");
    assert_eq!(p.add[0].record.country_code, "ES");
}

#[test]
fn bad_coordinates_are_dropped_with_a_warning() {
    let csv = "name,country,lat,lng\nA,BD,23.8,90.4\nB,BD,123.4,23.8\nC,BD,,90.4\nD,BD,0,0\nE,BD,abc,90\nF,BD,\"23,8\",\"90,4\"\nG,BD,23.8,190\n";
    let p = preview(csv);
    assert_eq!(p.summary.add, 7, "rows with bad coordinates are kept");
    let coords: Vec<_> = p.add.iter().map(|a| (a.record.lat, a.record.lng)).collect();
    assert_eq!(
        coords,
        vec![
            (Some(23.8), Some(90.4)),
            (None, None),
            (None, None),
            (None, None),
            (None, None),
            (Some(23.8), Some(90.4)),
            (None, None)
        ]
    );
    let warned: Vec<_> = p.warnings.iter().map(|w| (w.line, w.field)).collect();
    assert_eq!(
        warned,
        vec![(3, "lat"), (4, "lat"), (5, "lat"), (6, "lat"), (8, "lng")]
    );
    assert!(
        p.warnings[0]
            .reason
            .contains("outside -90..90 (lat and lng look swapped)"),
        "{}",
        p.warnings[0].reason
    );
    assert!(
        p.warnings[1].reason.contains("lat is empty"),
        "{}",
        p.warnings[1].reason
    );
}

#[test]
fn unreadable_worker_count_is_a_warning() {
    let csv = "name,country,workers\nA,BD,lots\nB,BD,<1000\n";
    let p = preview(csv);
    assert_eq!(p.summary.add, 2);
    assert_eq!(
        (p.add[0].record.workers_min, p.add[0].record.workers_max),
        (None, None)
    );
    assert_eq!(
        (p.add[1].record.workers_min, p.add[1].record.workers_max),
        (None, Some(999))
    );
    assert_eq!(p.warnings.len(), 1);
    assert_eq!((p.warnings[0].line, p.warnings[0].field), (2, "workers"));
}

#[test]
fn duplicates_in_file_are_merged_into_the_first_row() {
    let csv = "\
name,country,address,sector,lat,lng
\"XINHUIFU SHOES&CLOTHING CO.,LTD\",CHINA,\"SHICHUN VILLAGE, CHIDIAN TOWN\",Apparel,,
Other,CN,Elsewhere,Apparel,1,1
\"Xinhuifu Shoes & Clothing Co., Ltd.\",CN,\"Shichun Village,Chidian Town□\",Footwear,24.86,118.57
XINHUIFU SHOES&CLOTHING CO.,LTD,CN,SHICHUN VILLAGE,Apparel,,
";
    // Line 5 has an unquoted comma in the name: rejected, not merged.
    let p = preview(csv);
    assert_eq!(p.summary.add, 2);
    assert_eq!(p.add[0].lines, vec![2, 4]);
    assert_eq!(p.add[0].record.name, "XINHUIFU SHOES&CLOTHING CO.,LTD");
    assert_eq!(p.add[0].record.sectors, vec!["Apparel", "Footwear"]);
    assert_eq!(
        (p.add[0].record.lat, p.add[0].record.lng),
        (Some(24.86), Some(118.57))
    );
    assert_eq!(p.duplicates_in_file.len(), 1);
    assert_eq!(
        (
            p.duplicates_in_file[0].line,
            p.duplicates_in_file[0].duplicate_of_line
        ),
        (4, 2)
    );
    assert_eq!(p.reject.iter().map(|r| r.line).collect::<Vec<_>>(), vec![5]);
}

#[test]
fn same_os_id_is_the_same_facility() {
    let csv =
        "os_id,name,country,address\nCN123,Alpha Ltd,CN,Road 1\ncn123,Alpha Limited,CN,Road One\n";
    let p = preview(csv);
    assert_eq!(p.summary.add, 1);
    assert_eq!(p.add[0].lines, vec![2, 3]);
    let fields: Vec<_> = p.duplicates_in_file[0]
        .conflicts
        .iter()
        .map(|c| c.field)
        .collect();
    assert_eq!(fields, vec!["name", "address"]);
}

#[test]
fn merging_into_existing_fills_blanks_and_never_overwrites() {
    let id = uuid::Uuid::from_u128(7);
    let existing = vec![ExistingFacility {
        id,
        record: FacilityRecord {
            name: "Noman Terry Towel Mills Ltd".into(),
            address: "Vawal Mirzapur, Gazipur, Bangladesh".into(),
            country_code: "BD".into(),
            sectors: vec!["Apparel".into()],
            parent_company: Some("Noman Group".into()),
            ..FacilityRecord::default()
        },
    }];
    let csv = "\
country,name,address,sector,lat,lng,parent_company
BANGLADESH,NOMAN TERRY TOWEL MILLS LTD,\"VAWAL MIRZAPUR,GAZIPUR,BANGLADESH;\",Apparel|Home Textiles,24.0838737,90.350102,Other Group
BANGLADESH,New Mill,Dhaka,Apparel,,,
";
    let p = preview_with(csv, &existing);
    assert_eq!(p.summary.add, 1);
    assert_eq!(p.add[0].record.name, "New Mill");
    assert_eq!(p.merge.len(), 1);
    let m = &p.merge[0];
    assert_eq!(m.existing_id, id);
    assert_eq!(m.lines, vec![2]);
    assert_eq!(
        m.changes,
        vec![
            FieldChange {
                field: "sectors",
                value: json!(["Apparel", "Home Textiles"])
            },
            FieldChange {
                field: "lat",
                value: json!(24.0838737)
            },
            FieldChange {
                field: "lng",
                value: json!(90.350102)
            },
        ]
    );
    assert_eq!(
        m.conflicts,
        vec![FieldConflict {
            field: "parent_company",
            kept: json!("Noman Group"),
            ignored: json!("Other Group")
        }]
    );
    assert_eq!(p.summary.merge_with_changes, 1);
}

#[test]
fn matching_existing_with_nothing_new_has_no_changes() {
    let existing = vec![ExistingFacility {
        id: uuid::Uuid::from_u128(1),
        record: FacilityRecord {
            name: "A".into(),
            address: "x".into(),
            country_code: "BD".into(),
            ..Default::default()
        },
    }];
    let p = preview_with("name,country,address\na,Bangladesh,X;\n", &existing);
    assert_eq!(p.merge.len(), 1);
    assert!(p.merge[0].changes.is_empty());
    assert_eq!(p.summary.merge_with_changes, 0);
    assert!(p.add.is_empty());
}

#[test]
fn two_rows_matching_one_existing_facility_become_one_merge() {
    let existing = vec![ExistingFacility {
        id: uuid::Uuid::from_u128(2),
        record: FacilityRecord {
            name: "A".into(),
            address: "x".into(),
            country_code: "BD".into(),
            os_id: Some("BD1".into()),
            ..Default::default()
        },
    }];
    let csv =
        "os_id,name,country,address,sector\nBD1,A renamed,BD,elsewhere,Apparel\n,A,BD,x,Footwear\n";
    let p = preview_with(csv, &existing);
    assert_eq!(p.merge.len(), 1);
    assert_eq!(p.merge[0].lines, vec![2, 3]);
    assert_eq!(
        p.merge[0].changes,
        vec![FieldChange {
            field: "sectors",
            value: json!(["Apparel", "Footwear"])
        }]
    );
    assert_eq!(p.duplicates_in_file.len(), 1);
    assert_eq!(p.duplicates_in_file[0].line, 3);
}

#[test]
fn preview_serialises_to_json() {
    let p = preview("name,country\nA,BD\nB,??\n");
    let value = serde_json::to_value(&p).expect("serialisable");
    assert_eq!(value["summary"]["add"], json!(1));
    assert_eq!(value["reject"][0]["line"], json!(3));
    assert_eq!(value["columns"][0]["field"], json!("name"));
    let err = serde_json::to_value(ImportError::NoRows { header_line: 1 }).expect("serialisable");
    assert_eq!(err["kind"], json!("no_rows"));
}

#[test]
fn same_name_other_address_is_a_possible_duplicate() {
    let existing = vec![ExistingFacility {
        id: uuid::Uuid::from_u128(3),
        record: FacilityRecord {
            name: "Gamma".into(),
            address: "Old road".into(),
            country_code: "CN".into(),
            ..Default::default()
        },
    }];
    let csv = "name,country,address\n\"BAI NA SHOES CO., LTD\",CN,\"OUBEI TOWN,YONGJIA\"\nBAI NA SHOES CO.,LTD,CN,OUBEI TOWN WENZHOU\nGamma,CN,New road\nBAI NA SHOES CO LTD,VN,x\n";
    let p = preview_with(csv, &existing);
    // Line 3 has an unquoted comma: rejected. Use quotes properly:
    assert_eq!(p.reject.iter().map(|r| r.line).collect::<Vec<_>>(), vec![3]);
    let csv = "name,country,address\n\"BAI NA SHOES CO., LTD\",CN,\"OUBEI TOWN,YONGJIA\"\n\"BAI NA SHOES CO.,LTD\",CN,OUBEI TOWN WENZHOU\nGamma,CN,New road\nBAI NA SHOES CO LTD,VN,x\n";
    let p = preview_with(csv, &existing);
    assert_eq!(p.summary.add, 4);
    let found: Vec<_> = p
        .possible_duplicates
        .iter()
        .map(|d| (d.line, d.similar_to_line, d.similar_to_existing))
        .collect();
    assert_eq!(
        found,
        vec![
            (3, Some(2), None),
            (4, None, Some(uuid::Uuid::from_u128(3)))
        ]
    );
    assert!(
        p.possible_duplicates[0].reason.contains("line 2"),
        "{}",
        p.possible_duplicates[0].reason
    );
}

mod never_panics {
    use proptest::prelude::*;

    use super::super::*;

    /// Cells made of the characters that break real lists.
    fn messy_cell() -> impl Strategy<Value = String> {
        proptest::string::string_regex(
            "[a-zA-Z0-9 ,;|\"□，　\u{a0}\u{200b}\u{feff}\r\n<>+~–.-]{0,12}",
        )
        .expect("valid regex")
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn arbitrary_bytes_give_a_preview_or_an_error(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = preview_import(&bytes[..], &[]);
        }

        #[test]
        fn messy_rows_are_all_accounted_for(rows in proptest::collection::vec(proptest::collection::vec(messy_cell(), 1..6), 1..8)) {
            let mut text = String::from("name,country,address,number_of_workers,lat,lng\n");
            for row in &rows {
                let quoted: Vec<String> = row.iter().map(|c| format!("\"{}\"", c.replace('"', "\"\""))).collect();
                text.push_str(&quoted.join(","));
                text.push('\n');
            }
            if let Ok(p) = preview_import(text.as_bytes(), &[]) {
                let mut lines: Vec<u64> = p.add.iter().flat_map(|a| a.lines.clone())
                    .chain(p.reject.iter().map(|r| r.line))
                    .collect();
                let unique = lines.len();
                lines.sort_unstable();
                lines.dedup();
                prop_assert_eq!(unique, lines.len(), "a line is in two places");
                prop_assert_eq!(lines.len(), p.summary.rows);
                for a in &p.add {
                    prop_assert_eq!(a.record.country_code.len(), 2);
                    prop_assert!(!a.record.name.is_empty());
                }
            }
        }

        #[test]
        fn cleaning_is_idempotent(s in "\\PC{0,40}|[ ,;□，\u{a0}a-z]{0,20}") {
            let once = clean_text(&s);
            prop_assert_eq!(clean_text(&once), once.clone());
            prop_assert_eq!(fold_key(&once), fold_key(&s));
        }

        #[test]
        fn worker_counts_and_countries_never_panic(s in "\\PC{0,30}") {
            if let Ok((Some(min), Some(max))) = parse_worker_count(&s) {
                prop_assert!(min <= max);
            }
            if let Some(code) = normalise_country(&s) {
                prop_assert_eq!(code.len(), 2);
            }
        }
    }
}
