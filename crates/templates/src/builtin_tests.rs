//! Tests of the nine built-in checklists: they parse, their ids are unique, they
//! carry the DOMAIN.md rules that matter most, and the worker interview cannot
//! hold a worker's identity.

use std::collections::HashSet;
use std::path::Path;

use serde_json::json;

use crate::{
    builtin, builtin_errors, builtin_latest, builtin_template, load_file, AnswerType, Severity,
    Template,
};

const EXPECTED: [&str; 9] = [
    "business-ethics",
    "dormitories",
    "emergency-preparedness",
    "environment",
    "fire-safety",
    "machine-safety",
    "recruitment",
    "wages-hours",
    "worker-interview",
];

fn template(id: &str) -> &'static Template {
    match builtin_latest(id) {
        Some(t) => t,
        None => panic!(
            "built-in template {id} missing; errors: {:?}",
            builtin_errors()
        ),
    }
}

fn today() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2026, 11, 25).expect("valid date")
}

#[test]
fn all_builtins_parse() {
    assert!(
        builtin_errors().is_empty(),
        "built-in templates failed to parse:\n{:#?}",
        builtin_errors()
    );
    let ids: Vec<&str> = builtin().iter().map(|t| t.id.as_str()).collect();
    assert_eq!(ids, EXPECTED);
    assert!(builtin().iter().all(|t| t.version == 1));
}

#[test]
fn builtin_files_are_named_after_their_template() {
    let mut seen = 0;
    for f in super::TEMPLATE_DIR
        .files()
        .filter(|f| f.path().extension().is_some_and(|e| e == "toml"))
    {
        let stem = f
            .path()
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default();
        let t = builtin()
            .iter()
            .find(|t| stem == t.id || stem == format!("{}.v{}", t.id, t.version))
            .unwrap_or_else(|| {
                panic!(
                    "{} does not match any template id (name files <id>.toml or <id>.v<N>.toml)",
                    f.path().display()
                )
            });
        assert!(!t.sections.is_empty());
        seen += 1;
    }
    assert_eq!(seen, builtin().len());
}

#[test]
fn ids_are_unique_and_every_item_is_usable() {
    for t in builtin() {
        let mut item_ids = HashSet::new();
        let mut section_ids = HashSet::new();
        for s in &t.sections {
            assert!(
                section_ids.insert(s.id.as_str()),
                "{}: duplicate section {}",
                t.id,
                s.id
            );
            for i in &s.items {
                assert!(
                    item_ids.insert(i.id.as_str()),
                    "{}: duplicate item {}",
                    t.id,
                    i.id
                );
                assert!(!i.text.en().trim().is_empty());
                assert!(
                    i.id.starts_with(&format!("{}.", s.id)),
                    "{}: item {} outside its section's prefix",
                    t.id,
                    i.id
                );
            }
        }
        // Every item with a severity can actually produce it.
        for (_, i) in t.items() {
            if let Some(worst) = i.max_severity() {
                assert!(worst >= Severity::Observation, "{}: {}", t.id, i.id);
            }
        }
    }
}

#[test]
fn builtin_lookup_by_id_and_version() {
    let fire = builtin_template("fire-safety", 1).expect("fire-safety v1");
    assert_eq!(fire.title.en(), "Fire safety & exits");
    assert!(builtin_template("fire-safety", 2).is_none());
    assert!(builtin_template("no-such-template", 1).is_none());
    assert!(std::ptr::eq(
        builtin_latest("fire-safety").expect("latest"),
        fire
    ));
}

#[test]
fn load_file_reads_the_repository_copy() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../templates/dormitories.toml");
    let loaded = load_file(&path).expect("loads");
    assert_eq!(&loaded, template("dormitories"));
}

#[test]
fn load_file_errors_name_the_file() {
    let missing = Path::new("/nonexistent/templates/x.toml");
    let e = load_file(missing).expect_err("missing file");
    assert_eq!(e.file, "/nonexistent/templates/x.toml");
    assert!(e.reason.starts_with("cannot read the file"), "{e}");

    let dir =
        std::env::temp_dir().join(format!("fieldaudit-templates-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let big = dir.join("big.toml");
    std::fs::write(&big, vec![b'#'; (crate::MAX_FILE_BYTES + 1) as usize]).expect("write");
    let e = load_file(&big).expect_err("too big");
    assert_eq!(
        e.reason,
        format!("file is larger than {} bytes", crate::MAX_FILE_BYTES)
    );
    let bad = dir.join("bad.toml");
    std::fs::write(&bad, "id = \"x\"\nversion = 1\ntitle.en = \"X\"\n[[sections]]\nid = \"s\"\ntitle.en = \"S\"\n[[sections.items]]\nid = \"s.a\"\ntext.en = \"A\"\nanswer = \"boolean\"\n").expect("write");
    let e = load_file(&bad).expect_err("bad type");
    assert_eq!(e.file, bad.display().to_string());
    assert_eq!(e.item.as_deref(), Some("s.a"));
    assert!(e.reason.starts_with("unknown answer type `boolean`"), "{e}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn fire_safety_locked_exit_is_critical_with_photo() {
    let t = template("fire-safety");
    let (section, item) = t.item("floor.exit_locked").expect("item");
    assert!(section.repeat.is_some(), "exits are checked per floor");
    assert!(item.evidence_photo);
    assert_eq!(
        item.evaluate(&json!("yes"), today()),
        Some(Severity::Critical)
    );
    assert_eq!(item.evaluate(&json!("no"), today()), None);
    let (_, blocked) = t.item("floor.exits_blocked").expect("item");
    assert_eq!(
        blocked.evaluate(&json!("blocked"), today()),
        Some(Severity::Critical)
    );
    assert_eq!(
        blocked.evaluate(&json!("partly"), today()),
        Some(Severity::Major)
    );
    assert_eq!(blocked.evaluate(&json!("clear"), today()), None);
    let (_, exits) = t.item("floor.exit_count").expect("item");
    assert_eq!(exits.evaluate(&json!(1), today()), Some(Severity::Major));
    assert_eq!(exits.evaluate(&json!(2), today()), None);
    let (_, sprinklers) = t.item("equipment.sprinklers").expect("item");
    assert!(sprinklers.allow_na);
}

#[test]
fn emergency_drill_older_than_a_year_is_major() {
    let t = template("emergency-preparedness");
    let (_, last) = t.item("drills.last_date").expect("item");
    assert_eq!(
        last.evaluate(&json!("2025-11-01"), today()),
        Some(Severity::Major)
    );
    assert_eq!(last.evaluate(&json!("2026-06-01"), today()), None);
    // Only asked once a drill has been held.
    let held = |v: &'static str| move |id: &str| (id == "drills.held").then(|| json!(v));
    assert!(t.is_visible("drills.last_date", &held("yes")));
    assert!(!t.is_visible("drills.last_date", &held("no")));
}

#[test]
fn dormitory_area_per_resident_is_computed_per_building() {
    let t = template("dormitories");
    let (section, _) = t.item("building.area_per_resident").expect("item");
    assert!(section.repeat.is_some());
    let answers = |area: f64, residents: u32| {
        move |id: &str| match id {
            "provision.provided" => Some(json!("yes")),
            "building.floor_area" => Some(json!(area)),
            "building.residents" => Some(json!(residents)),
            _ => None,
        }
    };
    assert_eq!(
        t.compute("building.area_per_resident", &answers(90.0, 60)),
        Some(json!(1.5))
    );
    assert_eq!(
        t.evaluate_item("building.area_per_resident", &answers(90.0, 60), today()),
        Some(Severity::Major)
    );
    assert_eq!(
        t.evaluate_item("building.area_per_resident", &answers(150.0, 60), today()),
        Some(Severity::Observation)
    );
    assert_eq!(
        t.evaluate_item("building.area_per_resident", &answers(180.0, 60), today()),
        None
    );
    assert_eq!(
        t.evaluate_item("building.area_per_resident", &answers(180.0, 0), today()),
        None
    );
    // No dormitories: the building section is hidden.
    assert!(
        !t.is_section_visible("building", &|id: &str| (id == "provision.provided")
            .then(|| json!("no")))
    );
}

#[test]
fn recruitment_zero_tolerance_items() {
    let t = template("recruitment");
    for id in [
        "documents.held",
        "fees.found",
        "freedom.resign",
        "freedom.overtime_refusable",
        "workforce.child_labour",
    ] {
        let (_, item) = t.item(id).expect(id);
        assert_eq!(item.max_severity(), Some(Severity::Critical), "{id}");
    }
    let (_, held) = t.item("documents.held").expect("item");
    assert!(held.evidence_photo);
    // Contract-before-departure is asked only when foreign migrants are employed.
    let migrants =
        |v: serde_json::Value| move |id: &str| (id == "workforce.migrants").then(|| v.clone());
    assert!(t.is_visible(
        "documents.contract_before_departure",
        &migrants(json!(["internal", "foreign"]))
    ));
    assert!(!t.is_visible(
        "documents.contract_before_departure",
        &migrants(json!(["internal"]))
    ));
    assert!(!t.is_visible("documents.contract_before_departure", &migrants(json!([]))));
}

#[test]
fn wages_below_minimum_and_long_weeks() {
    let t = template("wages-hours");
    let answers = |lowest: f64, minimum: f64| {
        move |id: &str| match id {
            "wages.lowest_paid" => Some(json!(lowest)),
            "wages.legal_minimum" => Some(json!(minimum)),
            _ => None,
        }
    };
    assert_eq!(
        t.evaluate_item("wages.minimum_ratio", &answers(2300.0, 2490.0), today()),
        Some(Severity::Major)
    );
    assert_eq!(
        t.evaluate_item("wages.minimum_ratio", &answers(2490.0, 2490.0), today()),
        None
    );
    let hours = |h: f64| move |id: &str| (id == "hours.highest_weekly").then(|| json!(h));
    assert!(t.is_visible("hours.exception_documented", &hours(61.0)));
    assert!(!t.is_visible("hours.exception_documented", &hours(60.0)));
    let (_, run) = t.item("hours.longest_run").expect("item");
    assert_eq!(run.evaluate(&json!(7), today()), Some(Severity::Major));
    assert_eq!(run.evaluate(&json!(6), today()), None);
}

/// Words that would ask for, or hold, a worker's identity.
const IDENTITY_WORDS: [&str; 17] = [
    "name",
    "names",
    "id",
    "ids",
    "phone",
    "telephone",
    "mobile",
    "photo",
    "photos",
    "photograph",
    "picture",
    "email",
    "address",
    "birth",
    "birthday",
    "signature",
    "fingerprint",
];
const IDENTITY_PHRASES: [&str; 6] = [
    "id number",
    "passport number",
    "employee number",
    "worker number",
    "badge number",
    "date of birth",
];

fn identity_words_in(s: &str) -> Vec<String> {
    let lower = s.to_lowercase();
    let tokens: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .collect();
    let mut hits: Vec<String> = tokens
        .iter()
        .filter(|t| IDENTITY_WORDS.contains(t))
        .map(|t| t.to_string())
        .collect();
    hits.extend(
        IDENTITY_PHRASES
            .iter()
            .filter(|p| lower.contains(*p))
            .map(|p| p.to_string()),
    );
    hits
}

#[test]
fn identity_word_check_catches_identity_questions() {
    // The check itself must catch what it is meant to catch.
    assert_eq!(identity_words_in("Worker's name"), vec!["name"]);
    assert_eq!(identity_words_in("category.worker_id"), vec!["id"]);
    assert_eq!(identity_words_in("Phone number"), vec!["phone"]);
    assert_eq!(identity_words_in("Photo of the worker"), vec!["photo"]);
    assert_eq!(identity_words_in("ID number"), vec!["id", "id number"]);
    assert!(identity_words_in("Department").is_empty());
    assert!(identity_words_in("Do they keep their own passport or identity documents?").is_empty());
}

#[test]
fn worker_interview_holds_no_identity() {
    let t = template("worker-interview");
    assert!(t.confidential, "the interview must be sealed");
    let mut checked = 0;
    for s in &t.sections {
        assert!(
            identity_words_in(&s.id).is_empty() && identity_words_in(s.title.en()).is_empty(),
            "section {}",
            s.id
        );
        assert!(
            s.repeat.is_none(),
            "an interview is one record; a per-worker repeat would be a roster"
        );
        for i in &s.items {
            let hits: Vec<String> = identity_words_in(&i.id)
                .into_iter()
                .chain(identity_words_in(i.text.en()))
                .collect();
            assert!(hits.is_empty(), "item {} asks for identity: {hits:?}", i.id);
            assert!(
                !matches!(i.answer, AnswerType::Photo),
                "item {} takes a photo",
                i.id
            );
            assert!(!i.evidence_photo, "item {} expects a photo", i.id);
            if let AnswerType::Choice { options, .. } = &i.answer {
                for o in options {
                    let hits: Vec<String> = identity_words_in(&o.id)
                        .into_iter()
                        .chain(identity_words_in(o.text.en()))
                        .collect();
                    assert!(hits.is_empty(), "option {}.{}: {hits:?}", i.id, o.id);
                }
            }
            checked += 1;
        }
    }
    assert!(checked > 20, "checked only {checked} items");
    // Categories, not identity: each DOMAIN.md category is present.
    for id in [
        "category.department",
        "category.shift",
        "category.contract",
        "category.gender",
        "category.nationality_group",
        "category.agency",
        "category.service",
    ] {
        assert!(
            matches!(
                t.item(id).map(|(_, i)| &i.answer),
                Some(AnswerType::Choice { .. })
            ),
            "{id}"
        );
    }
}

#[test]
fn worker_interview_records_evidence_not_findings() {
    let t = template("worker-interview");
    assert!(t.items().all(|(_, i)| i.max_severity().is_none()));
    // Without consent nothing but the setting is shown.
    let refused = |id: &str| (id == "setup.consent").then(|| json!("no"));
    assert!(!t.is_visible("topics.fees", &refused));
    assert!(!t.is_visible("category.gender", &refused));
    assert!(t.is_visible("setup.location", &refused));
    let agreed = |id: &str| (id == "setup.consent").then(|| json!("yes"));
    assert!(t.is_visible("topics.fees", &agreed));
}
