//! Facility list import on the real, messy sample lists in
//! `shared/fixtures/facility-lists/` (beside the repository). The expected numbers
//! were checked by reading the files: see the comments at each assertion.

use fieldaudit_core::import::{
    normalise_country, preview_import, ExistingFacility, ImportPreview, RejectedRow,
};

const DIR: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/fixtures/facility-lists/"
);

fn read(file: &str) -> Vec<u8> {
    let path = format!("{DIR}{file}");
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read fixture {path}: {e}"))
}

fn preview(bytes: &[u8], existing: &[ExistingFacility]) -> ImportPreview {
    preview_import(bytes, existing).unwrap_or_else(|e| panic!("preview failed: {e}"))
}

/// Data lines of the file (2..=last), each accounted for exactly once.
fn assert_every_line_accounted(p: &ImportPreview, last_line: u64) {
    let mut lines: Vec<u64> = p
        .add
        .iter()
        .flat_map(|a| a.lines.iter().copied())
        .chain(p.merge.iter().flat_map(|m| m.lines.iter().copied()))
        .chain(p.reject.iter().map(|r| r.line))
        .collect();
    lines.sort_unstable();
    assert_eq!(lines, (2..=last_line).collect::<Vec<_>>());
}

fn assert_clean_records(p: &ImportPreview) {
    for a in &p.add {
        let r = &a.record;
        assert_eq!(r.country_code.len(), 2, "{r:?}");
        assert!(
            r.country_code.chars().all(|c| c.is_ascii_uppercase()),
            "{r:?}"
        );
        assert_eq!(
            normalise_country(&r.country_code),
            Some(r.country_code.as_str())
        );
        for text in [&r.name, &r.address] {
            assert_eq!(text.trim(), text, "{r:?}");
            assert!(
                !text.contains('□') && !text.contains('，') && !text.contains("  "),
                "{r:?}"
            );
            assert!(!text.ends_with(';') && !text.ends_with(','), "{r:?}");
            assert!(
                !text
                    .chars()
                    .any(|c| c.is_control() || c == '\u{a0}' || c == '\u{2002}'),
                "{r:?}"
            );
        }
        assert!(!r.name.is_empty());
        assert!(
            !r.sectors.is_empty(),
            "every fixture row has a sector: {r:?}"
        );
        let (lat, lng) = (r.lat.expect("lat"), r.lng.expect("lng"));
        assert!((-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lng));
    }
}

fn countries(p: &ImportPreview) -> Vec<(String, usize)> {
    let mut counts = std::collections::BTreeMap::new();
    for a in &p.add {
        *counts.entry(a.record.country_code.clone()).or_insert(0) += 1;
    }
    counts.into_iter().collect()
}

#[test]
fn summer_2017_upper_case_country_names_and_trailing_semicolons() {
    let p = preview(&read("summer-2017-compliance.csv"), &[]);
    // 46 data rows (lines 2..=47), all distinct, all valid.
    assert_eq!(p.summary.rows, 46);
    assert_eq!(p.add.len(), 46);
    assert!(p.merge.is_empty());
    assert!(p.reject.is_empty(), "{:?}", p.reject);
    assert!(p.duplicates_in_file.is_empty());
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);
    assert_every_line_accounted(&p, 47);
    assert_clean_records(&p);
    // CHINA ×39, INDIA ×5, BANGLADESH ×2.
    assert_eq!(
        countries(&p),
        vec![("BD".into(), 2), ("CN".into(), 39), ("IN".into(), 5)]
    );
    // Line 2: `"VAWAL MIRZAPUR,GAZIPUR,BANGLADESH;"` loses its trailing ';'.
    let first = &p.add[0];
    assert_eq!(first.lines, vec![2]);
    assert_eq!(first.record.name, "NOMAN TERRY TOWEL MILLS LTD");
    assert_eq!(first.record.address, "VAWAL MIRZAPUR,GAZIPUR,BANGLADESH");
    assert_eq!(first.record.country_code, "BD");
    assert_eq!(
        (first.record.lat, first.record.lng),
        (Some(24.0838737), Some(90.35010199999999))
    );
}

#[test]
fn summer_2019_duplicates_and_stray_characters() {
    let p = preview(&read("summer-2019-compliance.csv"), &[]);
    // 75 data rows (lines 2..=76); three repeat an earlier row:
    //  line 48 = line 36 (ZHEN JIANG DONG CHUANG FUR & LEATHER), identical;
    //  line 64 = line 40 (CLARA SHOE), identical;
    //  line 75 = line 3 (QUANZHOU XINXING FOOTWEAR), line 3's address ends in "□".
    assert_eq!(p.summary.rows, 75);
    assert_eq!(p.add.len(), 72);
    assert!(p.reject.is_empty(), "{:?}", p.reject);
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);
    let dups: Vec<(u64, u64)> = p
        .duplicates_in_file
        .iter()
        .map(|d| (d.line, d.duplicate_of_line))
        .collect();
    assert_eq!(dups, vec![(48, 36), (64, 40), (75, 3)]);
    assert!(p.duplicates_in_file.iter().all(|d| d.conflicts.is_empty()));
    let merged: Vec<Vec<u64>> = p
        .add
        .iter()
        .filter(|a| a.lines.len() > 1)
        .map(|a| a.lines.clone())
        .collect();
    assert_eq!(merged, vec![vec![3, 75], vec![36, 48], vec![40, 64]]);
    assert_every_line_accounted(&p, 76);
    assert_clean_records(&p);
    // CHINA ×64 (one repeated twice → 62), INDIA ×7 (CLARA SHOE twice → 6), and one
    // each of THAILAND, INDONESIA, BANGLADESH, VIETNAM.
    assert_eq!(
        countries(&p),
        vec![
            ("BD".into(), 1),
            ("CN".into(), 62),
            ("ID".into(), 1),
            ("IN".into(), 6),
            ("TH".into(), 1),
            ("VN".into(), 1)
        ]
    );

    let by_line = |line: u64| {
        p.add
            .iter()
            .find(|a| a.lines[0] == line)
            .map(|a| &a.record)
            .expect("line")
    };
    // "□" at the end of the address is removed.
    assert_eq!(
        by_line(3).address,
        "WUYI INDUSTIAL ZONE, BAIQI VILLAGE, HUI'AN COUNTY,QUANZHOU CITY, FUJIAN PROVINCE"
    );
    // "□" inside becomes a space; the trailing one goes.
    assert_eq!(
        by_line(14).address,
        "BLOCK A, 5/F, YUEGE STRUCTURE, YUCHENG NORTH ROAD WEST, LUN JIAO TOWN, SHUNDE DISTRICT, FOSHAN,GUANGDONG, CHINA"
    );
    // Full-width commas become ASCII.
    assert_eq!(
        by_line(50).address,
        "LIANG WU BET ROAD,BAI HAO VILLAGE,HOU JIE TOWN,DONG GUAN CITY,GUANG DONG PROVINCE"
    );
    // En spaces at the end are trimmed.
    assert_eq!(
        by_line(72).address,
        "FU ZHONG INDUSTRIAL PARK, CHENDAI, JIN JIANG CITY, FU JIAN PROVINCE"
    );
    // VIETNAM → VN.
    assert_eq!(by_line(47).country_code, "VN");
    // Lines 43 and 51 (BAI NA SHOES) share a name but not an address: kept apart,
    // flagged for a person to check.
    let possible: Vec<(u64, Option<u64>)> = p
        .possible_duplicates
        .iter()
        .map(|d| (d.line, d.similar_to_line))
        .collect();
    assert_eq!(possible, vec![(51, Some(43))]);
}

#[test]
fn winter_2019_iso_codes_accents_and_multi_value_sectors() {
    let p = preview(&read("winter-2019-compliance-v2.csv"), &[]);
    // 351 data rows (lines 2..=352), all distinct, all with ISO codes.
    assert_eq!(p.summary.rows, 351);
    assert_eq!(p.add.len(), 351);
    assert!(p.reject.is_empty(), "{:?}", p.reject);
    assert!(p.duplicates_in_file.is_empty());
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);
    assert_every_line_accounted(&p, 352);
    assert_clean_records(&p);
    let countries = countries(&p);
    assert_eq!(countries.len(), 40);
    assert!(countries.contains(&("CN".into(), 142)) && countries.contains(&("VN".into(), 35)));
    assert!(countries.contains(&("TW".into(), 28)) && countries.contains(&("MC".into(), 1)));

    let by_line = |line: u64| {
        p.add
            .iter()
            .find(|a| a.lines[0] == line)
            .map(|a| &a.record)
            .expect("line")
    };
    // Accents are kept.
    assert_eq!(by_line(3).name, "Industrias Químicas Perlacos, S.L.");
    // Trailing space in the name.
    assert_eq!(by_line(4).name, "Jiangsu Feilong Plastic Co., Ltd");
    // "Apparel|Health" is two sectors.
    assert_eq!(by_line(14).sectors, vec!["Apparel", "Health"]);
    // Runs of spaces collapse.
    assert_eq!(
        by_line(27).name,
        "SHISHI HENGCHANG SPORTS GOODS TRADE CO.,LTD"
    );
    // No-break space before the postcode, doubled commas and a trailing ", ".
    assert_eq!(
        by_line(28).address,
        "446, Songbai Road, Gongming Street, Guangming New District, Shenzhen, 518106, Guangdong"
    );
    assert_eq!(
        by_line(9).address,
        "Chuntang West Village, Caota Town, Zhuji City, 311812, Zhejiang"
    );
    assert_eq!(
        by_line(41).address,
        "6 Avenue Prince Albert II, Monaco, 98000"
    );
    assert_eq!(by_line(41).country_code, "MC");
}

#[test]
fn importing_the_same_list_again_changes_nothing() {
    let bytes = read("summer-2019-compliance.csv");
    let first = preview(&bytes, &[]);
    let existing: Vec<ExistingFacility> = first
        .add
        .iter()
        .enumerate()
        .map(|(i, a)| ExistingFacility {
            id: uuid::Uuid::from_u128(i as u128 + 1),
            record: a.record.clone(),
        })
        .collect();
    let again = preview(&bytes, &existing);
    assert!(again.add.is_empty(), "{:?}", again.add);
    assert_eq!(again.merge.len(), 72);
    assert!(again
        .merge
        .iter()
        .all(|m| m.changes.is_empty() && m.conflicts.is_empty()));
    assert_eq!(again.summary.merge_with_changes, 0);
    assert_every_line_accounted(&again, 76);
}

#[test]
fn a_later_list_fills_blanks_in_existing_facilities() {
    // The 2017 list as if already in the database without coordinates or sectors.
    let bytes_2017 = read("summer-2017-compliance.csv");
    let existing: Vec<ExistingFacility> = preview(&bytes_2017, &[])
        .add
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let mut record = a.record.clone();
            record.lat = None;
            record.lng = None;
            record.sectors.clear();
            // A value the import must not overwrite.
            record.parent_company = Some("Kept Group".into());
            ExistingFacility {
                id: uuid::Uuid::from_u128(i as u128 + 1),
                record,
            }
        })
        .collect();
    let p = preview(&bytes_2017, &existing);
    assert!(p.add.is_empty());
    assert_eq!(p.merge.len(), 46);
    for m in &p.merge {
        let fields: Vec<&str> = m.changes.iter().map(|c| c.field).collect();
        assert_eq!(fields, vec!["sectors", "lat", "lng"], "{m:?}");
        assert_eq!(m.changes[0].value, serde_json::json!(["Apparel"]));
        assert!(m.conflicts.is_empty());
    }
    assert_eq!(p.merge[0].existing_id, uuid::Uuid::from_u128(1));
    assert_eq!(p.merge[0].changes[1].value, serde_json::json!(24.0838737));
}

#[test]
fn broken_rows_in_a_real_list_are_rejected_with_line_and_reason() {
    // The 2017 list with three rows damaged the way hand edits damage them.
    let text = String::from_utf8(read("summer-2017-compliance.csv")).expect("UTF-8");
    let mut lines: Vec<String> = text.split("\r\n").map(str::to_string).collect();
    lines[4] = lines[4].replacen("CHINA,", "ATLANTIS,", 1); // line 5
    lines[9] = lines[9].replacen("CHINA,FUZHOU TIANFU PLASTIC CO LTD,", "CHINA,,", 1); // line 10
    lines[19] = lines[19].replace(",Apparel,", ",Apparel,abc,"); // line 20: a shifted column
    lines[29] = lines[29].replace(",Apparel,", ",Apparel,,"); // line 30: lat blank, lng shifted
    let damaged = lines.join("\r\n");
    let p = preview(damaged.as_bytes(), &[]);
    assert_eq!(
        p.reject,
        vec![
            RejectedRow {
                line: 5,
                reason: "country \"ATLANTIS\" is not a country name or ISO code; use a code such as BD".into()
            },
            RejectedRow { line: 10, reason: "name is empty; every facility needs a name".into() },
            RejectedRow {
                line: 20,
                reason: "the row has 7 values but the header has 6 columns; a value containing the separator is probably missing its quotes".into()
            },
            RejectedRow {
                line: 30,
                reason: "the row has 7 values but the header has 6 columns; a value containing the separator is probably missing its quotes".into()
            },
        ]
    );
    assert_eq!(p.add.len(), 42);
    assert_every_line_accounted(&p, 47);
}
