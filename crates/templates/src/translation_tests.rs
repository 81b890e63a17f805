//! Tests of the built-in checklists' translations: every text of every built-in
//! checklist exists in all five languages, and what must survive translation
//! does — `{placeholders}`, numbers, units and the names auditors look up.

use crate::{builtin, Template, SUPPORTED_LANGUAGES};

/// Tokens that, when the English text has them, every translation must keep as
/// they are: units and the names of standards auditors cite.
const KEPT_TOKENS: [&str; 9] = ["m²", "m³", "kWh", "%", "N/A", "ETI", "ILO", "PPE", "LOTO"];

/// The `{name}` placeholders of a text, in order.
fn placeholders(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(open) = rest.find('{') {
        let Some(len) = rest[open..].find('}') else {
            break;
        };
        out.push(&rest[open..open + len + 1]);
        rest = &rest[open + len + 1..];
    }
    out
}

/// The numbers written in digits in a text ("20–25 m" gives `["20", "25"]`).
fn numbers(s: &str) -> Vec<String> {
    let mut out: Vec<String> = s
        .split(|c: char| !c.is_ascii_digit())
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect();
    out.sort();
    out
}

/// Problems with one template's translations, as "template: where (lang): what".
fn translation_problems(t: &Template) -> Vec<String> {
    let mut problems = Vec::new();
    for (what, text) in t.texts() {
        let en = text.en();
        for lang in SUPPORTED_LANGUAGES.iter().filter(|l| **l != "en") {
            if !text.has(lang) {
                problems.push(format!("{}: {what} ({lang}): missing", t.id));
                continue;
            }
            let tr = text.get(lang);
            if placeholders(tr) != placeholders(en) {
                problems.push(format!(
                    "{}: {what} ({lang}): placeholders {:?}, English has {:?}",
                    t.id,
                    placeholders(tr),
                    placeholders(en)
                ));
            }
            if numbers(tr) != numbers(en) {
                problems.push(format!(
                    "{}: {what} ({lang}): numbers {:?}, English has {:?}",
                    t.id,
                    numbers(tr),
                    numbers(en)
                ));
            }
            for token in KEPT_TOKENS.iter().filter(|k| en.contains(**k)) {
                if !tr.contains(token) {
                    problems.push(format!("{}: {what} ({lang}): `{token}` is lost", t.id));
                }
            }
            if tr == en
                && en.chars().any(|c| c.is_ascii_alphabetic())
                && !KEPT_TOKENS.contains(&en)
                && lang != &"vi"
            {
                problems.push(format!("{}: {what} ({lang}): still the English text", t.id));
            }
        }
    }
    problems
}

#[test]
fn every_builtin_text_is_in_all_five_languages() {
    assert!(builtin().len() >= 9);
    for t in builtin() {
        for lang in SUPPORTED_LANGUAGES {
            assert_eq!(
                t.untranslated(lang),
                Vec::<String>::new(),
                "{} lacks {lang} text",
                t.id
            );
        }
    }
}

#[test]
fn placeholders_numbers_and_units_survive_translation() {
    let problems: Vec<String> = builtin().iter().flat_map(translation_problems).collect();
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn the_check_finds_lost_numbers_placeholders_and_units() {
    let t = Template::parse_toml(
        r#"
id = "probe"
version = 1
title = { en = "Probe {site}", zh-Hans = "探测 {site}", bn = "প্রোব", vi = "Thăm dò {site}", hi = "प्रोब {site}" }
[[sections]]
id = "s"
title = { en = "S", zh-Hans = "节", bn = "অংশ", vi = "Phần", hi = "खंड" }
[[sections.items]]
id = "s.area"
text = { en = "Area below 2 m²", zh-Hans = "面积低于 2 m²", bn = "আয়তন 3 m²", vi = "Diện tích dưới 2 m²", hi = "क्षेत्रफल 2 से कम" }
answer = "number"
unit = { en = "%", zh-Hans = "%", bn = "%", vi = "%", hi = "%" }
"#,
        "probe.toml",
    )
    .expect("probe parses");
    let problems = translation_problems(&t);
    assert!(
        problems
            .iter()
            .any(|p| p == "probe: title (bn): placeholders [], English has [\"{site}\"]"),
        "{problems:#?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p.starts_with("probe: item s.area: text (bn): numbers [\"3\"]")),
        "{problems:#?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p == "probe: item s.area: text (hi): `m²` is lost"),
        "{problems:#?}"
    );
    assert_eq!(problems.len(), 3, "{problems:#?}");
}
