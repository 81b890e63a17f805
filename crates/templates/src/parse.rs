//! Reading a template file: TOML → raw structures (every unknown key rejected) →
//! the checked [`Template`], rejecting each mistake with the file, the item and
//! the reason. The file format is documented in `templates/README.md`.

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;

use serde::de::Deserialize;
use toml::de::{DeTable, DeValue};
use toml::Spanned;

use crate::model::{
    AnswerType, ChoiceOption, Computed, Condition, ConditionTest, FailRule, FailWhen, Item,
    RepeatSpec, Section, Template,
};
use crate::text::SUPPORTED_LANGUAGES;
use crate::{Severity, TemplateError, Text};

/// Raw localised text: language tag → string.
type RawText = BTreeMap<String, String>;

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHeader {
    id: String,
    version: u32,
    title: RawText,
    description: Option<RawText>,
    #[serde(default)]
    confidential: bool,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSection {
    id: String,
    title: RawText,
    help: Option<RawText>,
    repeat: Option<RawRepeat>,
    show_if: Option<RawCondition>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRepeat {
    label: RawText,
    #[serde(default)]
    min: u32,
    max: Option<u32>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawItem {
    id: String,
    text: RawText,
    help: Option<RawText>,
    answer: String,
    #[serde(default)]
    allow_na: bool,
    show_if: Option<RawCondition>,
    #[serde(default)]
    evidence_photo: bool,
    #[serde(default)]
    blocks_production: bool,
    min: Option<f64>,
    max: Option<f64>,
    unit: Option<RawUnit>,
    integer: Option<bool>,
    options: Option<Vec<RawOption>>,
    multiple: Option<bool>,
    #[serde(default)]
    fail: Vec<RawFailRule>,
    compute: Option<RawCompute>,
}

/// A unit: a plain string (English only, the original form) or localised text
/// (`unit.en = "workers"`, `unit.bn = "..."`).
#[derive(serde::Deserialize)]
#[serde(untagged)]
enum RawUnit {
    Plain(String),
    Localised(RawText),
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOption {
    id: String,
    text: RawText,
    severity: Option<String>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFailRule {
    on: Option<String>,
    above: Option<f64>,
    below: Option<f64>,
    older_than_days: Option<u32>,
    severity: String,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCondition {
    item: String,
    equals: Option<String>,
    any_of: Option<Vec<String>>,
    above: Option<f64>,
    below: Option<f64>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCompute {
    divide: String,
    by: String,
}

/// Where in the file something is, for messages.
struct Ctx<'a> {
    file: &'a str,
    source: &'a str,
}

impl Ctx<'_> {
    fn line_col(&self, offset: usize) -> Option<(usize, usize)> {
        let before = self.source.get(..offset)?;
        let line = before.matches('\n').count() + 1;
        let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        Some((line, col))
    }

    fn line(&self, span: &Range<usize>) -> usize {
        self.line_col(span.start).map_or(0, |(l, _)| l)
    }

    fn at(&self, span: Option<Range<usize>>, context: &str, msg: &str) -> String {
        match span.and_then(|s| self.line_col(s.start)) {
            Some((l, c)) => format!("line {l}, column {c}: {context}{msg}"),
            None => format!("{context}{msg}"),
        }
    }

    fn de_error(&self, item: Option<&str>, context: &str, e: &toml::de::Error) -> TemplateError {
        let reason = self.at(e.span(), context, e.message().trim_end());
        TemplateError {
            file: self.file.to_string(),
            item: item.map(str::to_string),
            reason,
        }
    }

    fn shape(&self, item: Option<&str>, span: Range<usize>, msg: &str) -> TemplateError {
        TemplateError {
            file: self.file.to_string(),
            item: item.map(str::to_string),
            reason: self.at(Some(span), "", msg),
        }
    }
}

struct ItemSrc {
    raw: RawItem,
    line: usize,
}

struct SectionSrc {
    raw: RawSection,
    line: usize,
    items: Vec<ItemSrc>,
}

fn str_of<'a>(table: &'a DeTable<'_>, key: &str) -> Option<&'a str> {
    table.get(key).and_then(|v| v.get_ref().as_str())
}

/// Parses and checks a template. `file` names the source in errors.
pub(crate) fn parse(source: &str, file: &str) -> Result<Template, TemplateError> {
    let ctx = Ctx { file, source };
    let root = DeTable::parse(source).map_err(|e| ctx.de_error(None, "", &e))?;
    let root_span = root.span();
    let mut table = root.into_inner();
    let sections_value = table.remove("sections");
    let header =
        RawHeader::deserialize(toml::de::Deserializer::from(Spanned::new(root_span, table)))
            .map_err(|e| ctx.de_error(None, "", &e))?;

    let Some(sections_value) = sections_value else {
        return Err(TemplateError::file(
            file,
            "no sections: a template needs at least one [[sections]] table",
        ));
    };
    let sections_span = sections_value.span();
    let DeValue::Array(section_values) = sections_value.into_inner() else {
        return Err(ctx.shape(
            None,
            sections_span,
            "`sections` must be an array of tables ([[sections]])",
        ));
    };
    if section_values.is_empty() {
        return Err(TemplateError::file(
            file,
            "no sections: a template needs at least one [[sections]] table",
        ));
    }

    let mut sections = Vec::new();
    for (n, section_value) in section_values.into_iter().enumerate() {
        let span = section_value.span();
        let DeValue::Table(mut t) = section_value.into_inner() else {
            return Err(ctx.shape(
                None,
                span,
                &format!("section {} must be a table ([[sections]])", n + 1),
            ));
        };
        let label = str_of(&t, "id").map_or_else(
            || format!("section {}", n + 1),
            |id| format!("section `{id}`"),
        );
        let items_value = t.remove("items");
        let raw = RawSection::deserialize(toml::de::ValueDeserializer::from(Spanned::new(
            span.clone(),
            DeValue::Table(t),
        )))
        .map_err(|e| ctx.de_error(None, &format!("{label}: "), &e))?;
        let Some(items_value) = items_value else {
            return Err(ctx.shape(
                None,
                span,
                &format!("{label} has no items ([[sections.items]])"),
            ));
        };
        let items_span = items_value.span();
        let DeValue::Array(item_values) = items_value.into_inner() else {
            return Err(ctx.shape(
                None,
                items_span,
                &format!("{label}: `items` must be an array of tables"),
            ));
        };
        if item_values.is_empty() {
            return Err(ctx.shape(
                None,
                span,
                &format!("{label} has no items ([[sections.items]])"),
            ));
        }
        let mut items = Vec::new();
        for (m, item_value) in item_values.into_iter().enumerate() {
            let item_span = item_value.span();
            let id = match item_value.get_ref() {
                DeValue::Table(t) => str_of(t, "id").map(str::to_string),
                _ => {
                    return Err(ctx.shape(
                        None,
                        item_span,
                        &format!("{label}: item {} must be a table", m + 1),
                    ))
                }
            };
            let Some(id) = id else {
                return Err(ctx.shape(
                    None,
                    item_span,
                    &format!("{label}: item {} has no string `id`", m + 1),
                ));
            };
            let raw = RawItem::deserialize(toml::de::ValueDeserializer::from(item_value))
                .map_err(|e| ctx.de_error(Some(&id), "", &e))?;
            items.push(ItemSrc {
                raw,
                line: ctx.line(&item_span),
            });
        }
        sections.push(SectionSrc {
            raw,
            line: ctx.line(&span),
            items,
        });
    }
    build(&ctx, header, sections)
}

fn is_template_id(s: &str) -> bool {
    !s.is_empty()
        && s.split('-').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
        && s.as_bytes()[0].is_ascii_lowercase()
}

fn is_item_id(s: &str) -> bool {
    !s.is_empty()
        && s.split('.').all(|part| {
            part.as_bytes().first().is_some_and(u8::is_ascii_lowercase)
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        })
}

fn is_option_id(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// Checks raw text: `en` present and not blank, only supported languages, no
/// blank translation. `what` names the field in messages.
fn text(raw: RawText, what: &str) -> Result<Text, String> {
    for (lang, value) in &raw {
        if !SUPPORTED_LANGUAGES.contains(&lang.as_str()) {
            return Err(format!(
                "`{what}` has unknown language `{lang}` (supported: {})",
                SUPPORTED_LANGUAGES.join(", ")
            ));
        }
        if value.trim().is_empty() {
            return Err(format!("`{what}.{lang}` is empty"));
        }
    }
    let mut raw = raw;
    let Some(en) = raw.remove("en") else {
        return Err(format!("`{what}` has no `en` (English) text"));
    };
    Ok(raw
        .into_iter()
        .fold(Text::new(en), |t, (lang, v)| t.with(&lang, v)))
}

fn severity(s: &str) -> Result<Severity, String> {
    s.parse::<Severity>().map_err(|e| e.to_string())
}

fn condition(raw: RawCondition, what: &str) -> Result<Condition, String> {
    let mut tests = Vec::new();
    if let Some(v) = raw.equals {
        tests.push(ConditionTest::Equals(v));
    }
    if let Some(vs) = raw.any_of {
        if vs.is_empty() {
            return Err(format!("`{what}.any_of` is empty"));
        }
        tests.push(ConditionTest::AnyOf(vs));
    }
    if let Some(t) = raw.above {
        tests.push(ConditionTest::Above(t));
    }
    if let Some(t) = raw.below {
        tests.push(ConditionTest::Below(t));
    }
    if tests.len() != 1 {
        return Err(format!(
            "`{what}` needs exactly one of `equals`, `any_of`, `above`, `below`"
        ));
    }
    let test = tests.remove(0);
    if let ConditionTest::Above(n) | ConditionTest::Below(n) = test {
        if !n.is_finite() {
            return Err(format!(
                "`{what}` must compare with a finite number, not {n}"
            ));
        }
    }
    Ok(Condition {
        item: raw.item,
        test,
    })
}

const ANSWER_TYPES: &str = "yes_no, number, date, text, choice, photo";

fn build_item(raw: RawItem, confidential: bool) -> Result<Item, String> {
    if !is_item_id(&raw.id) {
        return Err("item id must be lowercase letters, digits and `_`, in parts separated by `.`, each part starting with a letter".into());
    }
    let numbers = [("min", raw.min), ("max", raw.max)];
    let rule_numbers = raw
        .fail
        .iter()
        .flat_map(|r| [("fail.above", r.above), ("fail.below", r.below)]);
    if let Some((key, n)) = numbers
        .into_iter()
        .chain(rule_numbers)
        .find_map(|(k, n)| n.filter(|n| !n.is_finite()).map(|n| (k, n)))
    {
        return Err(format!("`{key}` must be a finite number, not {n}"));
    }
    let kind = raw.answer.as_str();
    if !matches!(
        kind,
        "yes_no" | "number" | "date" | "text" | "choice" | "photo"
    ) {
        return Err(format!(
            "unknown answer type `{kind}` (expected one of: {ANSWER_TYPES})"
        ));
    }
    let misplaced = [
        ("min", raw.min.is_some(), "number"),
        ("max", raw.max.is_some(), "number"),
        ("unit", raw.unit.is_some(), "number"),
        ("integer", raw.integer.is_some(), "number"),
        ("compute", raw.compute.is_some(), "number"),
        ("options", raw.options.is_some(), "choice"),
        ("multiple", raw.multiple.is_some(), "choice"),
    ];
    if let Some((key, _, owner)) = misplaced
        .iter()
        .find(|(_, present, owner)| *present && *owner != kind)
    {
        return Err(format!("`{key}` only applies to {owner} items, not {kind}"));
    }
    if confidential && (kind == "photo" || raw.evidence_photo) {
        return Err(
            "a confidential template cannot take photos (a photo could identify a worker)".into(),
        );
    }
    if kind == "photo" && !raw.fail.is_empty() {
        return Err("photo items cannot have fail rules".into());
    }

    let answer = match kind {
        "yes_no" => AnswerType::YesNo,
        "number" => {
            if let (Some(lo), Some(hi)) = (raw.min, raw.max) {
                if lo > hi {
                    return Err(format!("`min` ({lo}) is greater than `max` ({hi})"));
                }
            }
            let unit = match raw.unit {
                None => None,
                Some(RawUnit::Plain(u)) if u.trim().is_empty() => {
                    return Err("`unit` is empty".into())
                }
                Some(RawUnit::Plain(u)) => Some(Text::new(u)),
                Some(RawUnit::Localised(t)) => Some(text(t, "unit")?),
            };
            AnswerType::Number {
                min: raw.min,
                max: raw.max,
                unit,
            }
        }
        "date" => AnswerType::Date,
        "text" => AnswerType::Text,
        "photo" => AnswerType::Photo,
        _ => {
            let raw_options = raw.options.unwrap_or_default();
            if raw_options.is_empty() {
                return Err("choice item has no options".into());
            }
            if raw_options.len() < 2 {
                return Err("a choice item needs at least two options".into());
            }
            let mut options: Vec<ChoiceOption> = Vec::with_capacity(raw_options.len());
            for o in raw_options {
                if !is_option_id(&o.id) {
                    return Err(format!(
                        "option id `{}` must be lowercase letters, digits and `_`",
                        o.id
                    ));
                }
                if o.id == crate::answer::NOT_APPLICABLE {
                    return Err(
                        "option id `na` is reserved for \"not applicable\"; use `allow_na = true`"
                            .into(),
                    );
                }
                if options.iter().any(|p| p.id == o.id) {
                    return Err(format!("duplicate option id `{}`", o.id));
                }
                let sev = match &o.severity {
                    Some(s) => Some(severity(s).map_err(|e| format!("option `{}`: {e}", o.id))?),
                    None => None,
                };
                let t = text(o.text, &format!("options.{}.text", o.id))?;
                options.push(ChoiceOption {
                    id: o.id,
                    text: t,
                    severity: sev,
                });
            }
            AnswerType::Choice {
                options,
                multiple: raw.multiple.unwrap_or(false),
            }
        }
    };

    let mut fail = Vec::with_capacity(raw.fail.len());
    for (n, r) in raw.fail.into_iter().enumerate() {
        let sev = severity(&r.severity).map_err(|e| format!("fail rule {}: {e}", n + 1))?;
        let mut whens = Vec::new();
        if let Some(v) = r.on {
            whens.push(FailWhen::Answer(v));
        }
        if let Some(t) = r.above {
            whens.push(FailWhen::Above(t));
        }
        if let Some(t) = r.below {
            whens.push(FailWhen::Below(t));
        }
        if let Some(d) = r.older_than_days {
            whens.push(FailWhen::OlderThanDays(d));
        }
        if whens.len() != 1 {
            return Err(format!(
                "fail rule {} needs exactly one of `on`, `above`, `below`, `older_than_days`",
                n + 1
            ));
        }
        let when = whens.remove(0);
        let fits = match (&when, kind) {
            (FailWhen::Answer(v), "yes_no") => {
                if v != "yes" && v != "no" {
                    return Err(format!(
                        "fail rule {}: `on` must be \"yes\" or \"no\", not \"{v}\"",
                        n + 1
                    ));
                }
                true
            }
            (FailWhen::Above(_) | FailWhen::Below(_), "number") => true,
            (FailWhen::OlderThanDays(_), "date") => true,
            _ => false,
        };
        if !fits {
            let key = match when {
                FailWhen::Answer(_) => "on",
                FailWhen::Above(_) => "above",
                FailWhen::Below(_) => "below",
                FailWhen::OlderThanDays(_) => "older_than_days",
            };
            let hint = if kind == "choice" {
                " (choice items put `severity` on their options)"
            } else {
                ""
            };
            return Err(format!(
                "fail rule {}: `{key}` does not apply to {kind} items{hint}",
                n + 1
            ));
        }
        fail.push(FailRule {
            when,
            severity: sev,
        });
    }

    let show_if = raw.show_if.map(|c| condition(c, "show_if")).transpose()?;
    let compute = raw.compute.map(|c| Computed::Ratio {
        numerator: c.divide,
        denominator: c.by,
    });
    if compute.is_some() && raw.allow_na {
        return Err("a computed item cannot allow N/A".into());
    }
    let raises_non_conformance = fail.iter().any(|r| r.severity.is_non_conformance())
        || matches!(&answer, AnswerType::Choice { options, .. } if options.iter().any(|o| o.severity.is_some_and(Severity::is_non_conformance)));
    if raw.blocks_production && !raises_non_conformance {
        return Err("`blocks_production` needs a fail rule (or option) raising a non-conformance: it says that finding stops the line until fixed".into());
    }
    Ok(Item {
        text: text(raw.text, "text")?,
        help: raw.help.map(|h| text(h, "help")).transpose()?,
        id: raw.id,
        answer,
        allow_na: raw.allow_na,
        show_if,
        evidence_photo: raw.evidence_photo,
        blocks_production: raw.blocks_production,
        integer: raw.integer.unwrap_or(false),
        fail,
        compute,
    })
}

fn build(
    ctx: &Ctx<'_>,
    header: RawHeader,
    sources: Vec<SectionSrc>,
) -> Result<Template, TemplateError> {
    let file = ctx.file;
    if !is_template_id(&header.id) {
        return Err(TemplateError::file(
            file,
            format!(
                "template id `{}` must be lowercase letters and digits separated by `-`",
                header.id
            ),
        ));
    }
    if header.version == 0 {
        return Err(TemplateError::file(file, "`version` must be 1 or more"));
    }
    let title = text(header.title, "title").map_err(|e| TemplateError::file(file, e))?;
    let description = header
        .description
        .map(|d| text(d, "description"))
        .transpose()
        .map_err(|e| TemplateError::file(file, e))?;

    let mut sections: Vec<Section> = Vec::with_capacity(sources.len());
    let mut section_lines: HashMap<String, usize> = HashMap::new();
    let mut item_lines: HashMap<String, usize> = HashMap::new();
    for src in sources {
        let raw = src.raw;
        let sec_err = |e: String| TemplateError::file(file, format!("section `{}`: {e}", raw.id));
        if !is_item_id(&raw.id) {
            return Err(sec_err(
                "section id must be lowercase letters, digits and `_` (parts separated by `.`)"
                    .into(),
            ));
        }
        if let Some(first) = section_lines.get(&raw.id) {
            return Err(sec_err(format!(
                "duplicate section id (first used on line {first})"
            )));
        }
        let title = text(raw.title, "title").map_err(sec_err)?;
        let help = raw
            .help
            .map(|h| text(h, "help"))
            .transpose()
            .map_err(sec_err)?;
        let repeat = match raw.repeat {
            Some(r) => {
                if r.max == Some(0) {
                    return Err(sec_err("`repeat.max` must be 1 or more".into()));
                }
                if let Some(max) = r.max.filter(|max| r.min > *max) {
                    return Err(sec_err(format!(
                        "`repeat.min` ({}) is greater than `repeat.max` ({max})",
                        r.min
                    )));
                }
                Some(RepeatSpec {
                    label: text(r.label, "repeat.label").map_err(sec_err)?,
                    min: r.min,
                    max: r.max,
                })
            }
            None => None,
        };
        let show_if = raw
            .show_if
            .map(|c| condition(c, "show_if"))
            .transpose()
            .map_err(sec_err)?;
        let mut items = Vec::with_capacity(src.items.len());
        for item_src in src.items {
            let id = item_src.raw.id.clone();
            if let Some(first) = item_lines.get(&id) {
                return Err(TemplateError::item(
                    file,
                    &id,
                    format!("duplicate item id (first used on line {first})"),
                ));
            }
            item_lines.insert(id.clone(), item_src.line);
            items.push(
                build_item(item_src.raw, header.confidential)
                    .map_err(|e| TemplateError::item(file, &id, e))?,
            );
        }
        section_lines.insert(raw.id.clone(), src.line);
        sections.push(Section {
            id: raw.id,
            title,
            help,
            repeat,
            show_if,
            items,
        });
    }

    let template = Template {
        id: header.id,
        version: header.version,
        title,
        description,
        confidential: header.confidential,
        sections,
    };
    check_references(file, &template)?;
    check_cycles(file, &template)?;
    Ok(template)
}

/// Who refers to another item: an item (by id) or a section (by id).
enum Owner<'a> {
    Item(&'a str),
    Section(&'a str),
}

impl Owner<'_> {
    fn error(&self, file: &str, reason: String) -> TemplateError {
        match self {
            Owner::Item(id) => TemplateError::item(file, id, reason),
            Owner::Section(id) => TemplateError::file(file, format!("section `{id}`: {reason}")),
        }
    }
}

fn check_references(file: &str, t: &Template) -> Result<(), TemplateError> {
    let index: HashMap<&str, (usize, &Item)> = t
        .sections
        .iter()
        .enumerate()
        .flat_map(|(si, s)| s.items.iter().map(move |i| (i.id.as_str(), (si, i))))
        .collect();
    // A reference from section `from` may reach items of the same section or of
    // any non-repeating section (a repeat instance cannot be chosen from outside).
    let reachable = |from: usize, to: usize| from == to || t.sections[to].repeat.is_none();

    for (si, section) in t.sections.iter().enumerate() {
        if let Some(cond) = &section.show_if {
            let owner = Owner::Section(&section.id);
            let (ti, _) = check_condition(file, &owner, cond, &index)?;
            if ti == si {
                return Err(owner.error(
                    file,
                    format!(
                        "`show_if` refers to `{}`, an item of the same section",
                        cond.item
                    ),
                ));
            }
            if t.sections[ti].repeat.is_some() {
                return Err(owner.error(
                    file,
                    format!(
                        "`show_if` refers to `{}`, which is in repeat section `{}`",
                        cond.item, t.sections[ti].id
                    ),
                ));
            }
        }
        for item in &section.items {
            let owner = Owner::Item(&item.id);
            if let Some(cond) = &item.show_if {
                if cond.item == item.id {
                    return Err(owner.error(file, "`show_if` refers to the item itself".into()));
                }
                let (ti, _) = check_condition(file, &owner, cond, &index)?;
                if !reachable(si, ti) {
                    return Err(owner.error(
                        file,
                        format!(
                            "`show_if` refers to `{}`, which is in repeat section `{}`; only items of the same section or of non-repeating sections can be referred to",
                            cond.item, t.sections[ti].id
                        ),
                    ));
                }
            }
            if let Some(compute) = &item.compute {
                for input in compute.inputs() {
                    let Some((ti, target)) = index.get(input) else {
                        return Err(owner.error(
                            file,
                            format!("`compute` refers to item `{input}`, which does not exist"),
                        ));
                    };
                    if input == item.id {
                        return Err(owner.error(file, "`compute` refers to the item itself".into()));
                    }
                    if !matches!(target.answer, AnswerType::Number { .. })
                        || target.compute.is_some()
                    {
                        return Err(owner.error(
                            file,
                            format!("`compute` refers to `{input}`, which is not an answered number item"),
                        ));
                    }
                    if !reachable(si, *ti) {
                        return Err(owner.error(
                            file,
                            format!(
                                "`compute` refers to `{input}`, which is in repeat section `{}`",
                                t.sections[*ti].id
                            ),
                        ));
                    }
                }
            }
        }
    }
    Ok(())
}

/// Checks one condition's target and values; returns the target's section index.
fn check_condition<'a>(
    file: &str,
    owner: &Owner<'_>,
    cond: &Condition,
    index: &HashMap<&str, (usize, &'a Item)>,
) -> Result<(usize, &'a Item), TemplateError> {
    let Some(&(ti, target)) = index.get(cond.item.as_str()) else {
        return Err(owner.error(
            file,
            format!(
                "`show_if` refers to item `{}`, which does not exist",
                cond.item
            ),
        ));
    };
    if target.compute.is_some() {
        return Err(owner.error(
            file,
            format!("`show_if` refers to computed item `{}`", cond.item),
        ));
    }
    let values: Vec<&str> = match &cond.test {
        ConditionTest::Equals(v) => vec![v.as_str()],
        ConditionTest::AnyOf(vs) => vs.iter().map(String::as_str).collect(),
        ConditionTest::Above(_) | ConditionTest::Below(_) => {
            if !matches!(target.answer, AnswerType::Number { .. }) {
                return Err(owner.error(
                    file,
                    format!(
                        "`show_if` compares `{}` as a number, but it is a {} item",
                        cond.item,
                        target.answer.name()
                    ),
                ));
            }
            return Ok((ti, target));
        }
    };
    let allowed: Vec<&str> = match &target.answer {
        AnswerType::YesNo => vec!["yes", "no"],
        AnswerType::Choice { options, .. } => options.iter().map(|o| o.id.as_str()).collect(),
        other => {
            return Err(owner.error(
                file,
                format!(
                    "`show_if` tests `{}` for a value, but it is a {} item (only yes_no and choice items can be tested for a value{})",
                    cond.item,
                    other.name(),
                    if other.name() == "number" { "; use `above` or `below`" } else { "" }
                ),
            ))
        }
    };
    for v in values {
        let ok = allowed.contains(&v) || (target.allow_na && v == crate::answer::NOT_APPLICABLE);
        if !ok {
            return Err(owner.error(
                file,
                format!(
                    "`show_if` tests `{}` for \"{v}\", which it cannot take (expected one of: {})",
                    cond.item,
                    allowed.join(", ")
                ),
            ));
        }
    }
    Ok((ti, target))
}

/// Rejects conditions that depend on themselves through other items (an item's
/// visibility depends on its own condition's target and on its section's).
fn check_cycles(file: &str, t: &Template) -> Result<(), TemplateError> {
    let ids: Vec<&str> = t.items().map(|(_, i)| i.id.as_str()).collect();
    let pos: HashMap<&str, usize> = ids.iter().enumerate().map(|(n, id)| (*id, n)).collect();
    let deps: Vec<Vec<usize>> = t
        .items()
        .map(|(s, i)| {
            let mut d: Vec<usize> = [s.show_if.as_ref(), i.show_if.as_ref()]
                .into_iter()
                .flatten()
                .filter_map(|c| pos.get(c.item.as_str()).copied())
                .collect();
            d.sort_unstable();
            d.dedup();
            d
        })
        .collect();
    // Kahn's algorithm: resolve items whose dependencies are all resolved.
    let mut pending: Vec<usize> = deps.iter().map(Vec::len).collect();
    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); ids.len()];
    for (n, d) in deps.iter().enumerate() {
        for &to in d {
            dependents[to].push(n);
        }
    }
    let mut queue: Vec<usize> = (0..ids.len()).filter(|&n| pending[n] == 0).collect();
    while let Some(n) = queue.pop() {
        for &m in &dependents[n] {
            pending[m] -= 1;
            if pending[m] == 0 {
                queue.push(m);
            }
        }
    }
    // Every unresolved item depends on another unresolved one, so walking those
    // dependencies from the first unresolved item must come back on itself.
    let Some(start) = (0..ids.len()).find(|&n| pending[n] > 0) else {
        return Ok(());
    };
    let mut path = vec![start];
    let mut cur = start;
    loop {
        let Some(&next) = deps[cur].iter().find(|&&d| pending[d] > 0) else {
            return Err(TemplateError::item(
                file,
                ids[start],
                "condition cycle".to_string(),
            ));
        };
        if let Some(at) = path.iter().position(|&p| p == next) {
            let cycle: Vec<&str> = path[at..]
                .iter()
                .chain(std::iter::once(&next))
                .map(|&n| ids[n])
                .collect();
            return Err(TemplateError::item(
                file,
                ids[path[at]],
                format!("condition cycle: {}", cycle.join(" → ")),
            ));
        }
        path.push(next);
        cur = next;
    }
}

#[cfg(test)]
#[path = "parse_tests.rs"]
mod tests;
