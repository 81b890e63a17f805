//! Tests of template parsing: each mistake a template file can contain is
//! rejected with the file, the item (when there is one) and the specific reason.

use crate::{AnswerType, ConditionTest, FailWhen, Severity, Template, TemplateError};

const FILE: &str = "templates/test.toml";

const HEAD: &str = "id = \"test\"\nversion = 1\ntitle.en = \"Test\"\n";

/// A template with one section `s` holding the given item tables.
fn one_section(items: &str) -> String {
    format!("{HEAD}\n[[sections]]\nid = \"s\"\ntitle.en = \"S\"\n{items}")
}

fn item(body: &str) -> String {
    format!("\n[[sections.items]]\n{body}\n")
}

fn yes_no(id: &str, extra: &str) -> String {
    item(&format!(
        "id = \"{id}\"\ntext.en = \"{id}?\"\nanswer = \"yes_no\"\n{extra}"
    ))
}

fn err(source: &str) -> TemplateError {
    match Template::parse_toml(source, FILE) {
        Ok(t) => panic!("expected an error, parsed template {}", t.id),
        Err(e) => e,
    }
}

fn ok(source: &str) -> Template {
    match Template::parse_toml(source, FILE) {
        Ok(t) => t,
        Err(e) => panic!("expected a template, got: {e}"),
    }
}

fn item_err(e: &TemplateError, item: &str, reason: &str) {
    assert_eq!(e.file, FILE, "{e}");
    assert_eq!(e.item.as_deref(), Some(item), "{e}");
    assert_eq!(e.reason, reason, "{e}");
}

fn file_err(e: &TemplateError, reason: &str) {
    assert_eq!(e.file, FILE, "{e}");
    assert_eq!(e.item, None, "{e}");
    assert_eq!(e.reason, reason, "{e}");
}

#[test]
fn minimal_template_parses() {
    let t = ok(&one_section(&yes_no(
        "a",
        "fail = [{ on = \"yes\", severity = \"critical\" }]\nevidence_photo = true",
    )));
    assert_eq!(
        (t.id.as_str(), t.version, t.title.en()),
        ("test", 1, "Test")
    );
    let (section, a) = t.item("a").expect("item a");
    assert_eq!(section.id, "s");
    assert_eq!(a.answer, AnswerType::YesNo);
    assert!(a.evidence_photo && !a.allow_na);
    assert_eq!(a.fail.len(), 1);
    assert_eq!(a.fail[0].when, FailWhen::Answer("yes".into()));
    assert_eq!(a.fail[0].severity, Severity::Critical);
    assert!(t.item("b").is_none());
}

#[test]
fn translations_are_kept() {
    let t = ok(&one_section(&item(
        "id = \"a\"\ntext = { en = \"Exit locked?\", zh-Hans = \"出口上锁？\", vi = \"Lối thoát bị khóa?\" }\nanswer = \"yes_no\"",
    )));
    let (_, a) = t.item("a").expect("item a");
    assert_eq!(a.text.get("zh-Hans"), "出口上锁？");
    assert_eq!(a.text.get("vi"), "Lối thoát bị khóa?");
    assert_eq!(a.text.get("bn"), "Exit locked?");
}

#[test]
fn duplicate_item_id() {
    let src = one_section(&format!(
        "{}{}",
        yes_no("fire.exit_locked", ""),
        yes_no("fire.exit_locked", "")
    ));
    let e = err(&src);
    item_err(
        &e,
        "fire.exit_locked",
        "duplicate item id (first used on line 9)",
    );
    assert_eq!(
        e.to_string(),
        "templates/test.toml: item fire.exit_locked: duplicate item id (first used on line 9)"
    );
}

#[test]
fn duplicate_item_id_across_sections() {
    let src = format!(
        "{}\n[[sections]]\nid = \"t\"\ntitle.en = \"T\"\n{}",
        one_section(&yes_no("a", "")),
        yes_no("a", "")
    );
    item_err(&err(&src), "a", "duplicate item id (first used on line 9)");
}

#[test]
fn unknown_answer_type() {
    let e = err(&one_section(&item(
        "id = \"a\"\ntext.en = \"A\"\nanswer = \"yesno\"",
    )));
    item_err(
        &e,
        "a",
        "unknown answer type `yesno` (expected one of: yes_no, number, date, text, choice, photo)",
    );
}

#[test]
fn condition_on_missing_item() {
    let e = err(&one_section(&yes_no(
        "a",
        "show_if = { item = \"ghost\", equals = \"yes\" }",
    )));
    item_err(
        &e,
        "a",
        "`show_if` refers to item `ghost`, which does not exist",
    );
}

#[test]
fn condition_on_itself() {
    let e = err(&one_section(&yes_no(
        "a",
        "show_if = { item = \"a\", equals = \"yes\" }",
    )));
    item_err(&e, "a", "`show_if` refers to the item itself");
}

#[test]
fn condition_cycle() {
    let src = one_section(&format!(
        "{}{}{}",
        yes_no("a", "show_if = { item = \"c\", equals = \"yes\" }"),
        yes_no("b", "show_if = { item = \"a\", equals = \"yes\" }"),
        yes_no("c", "show_if = { item = \"b\", equals = \"no\" }"),
    ));
    item_err(&err(&src), "a", "condition cycle: a → c → b → a");
}

#[test]
fn condition_cycle_through_a_section_condition() {
    // Section `t` is shown only if `b` is yes, and `b` is shown only if `c` (in `t`) is yes.
    let src = format!(
        "{}\n[[sections]]\nid = \"t\"\ntitle.en = \"T\"\nshow_if = {{ item = \"b\", equals = \"yes\" }}\n{}",
        one_section(&format!("{}{}", yes_no("a", ""), yes_no("b", "show_if = { item = \"c\", equals = \"yes\" }"))),
        yes_no("c", "")
    );
    item_err(&err(&src), "b", "condition cycle: b → c → b");
}

#[test]
fn conditions_without_a_cycle_are_accepted() {
    let src = one_section(&format!(
        "{}{}{}",
        yes_no("c", "show_if = { item = \"b\", equals = \"yes\" }"),
        yes_no("b", "show_if = { item = \"a\", equals = \"yes\" }"),
        yes_no("a", ""),
    ));
    let t = ok(&src);
    let (_, c) = t.item("c").expect("c");
    assert_eq!(
        c.show_if.as_ref().map(|s| (&*s.item, &s.test)),
        Some(("b", &ConditionTest::Equals("yes".into())))
    );
}

#[test]
fn condition_value_must_be_possible() {
    let src = one_section(&format!(
        "{}{}",
        yes_no("a", ""),
        yes_no("b", "show_if = { item = \"a\", equals = \"maybe\" }")
    ));
    item_err(
        &err(&src),
        "b",
        "`show_if` tests `a` for \"maybe\", which it cannot take (expected one of: yes, no)",
    );
}

#[test]
fn condition_na_needs_allow_na() {
    let cond = "show_if = { item = \"a\", equals = \"na\" }";
    let src = one_section(&format!("{}{}", yes_no("a", ""), yes_no("b", cond)));
    item_err(
        &err(&src),
        "b",
        "`show_if` tests `a` for \"na\", which it cannot take (expected one of: yes, no)",
    );
    let src = one_section(&format!(
        "{}{}",
        yes_no("a", "allow_na = true"),
        yes_no("b", cond)
    ));
    assert!(Template::parse_toml(&src, FILE).is_ok());
}

#[test]
fn condition_needs_one_test() {
    let e = err(&one_section(&format!(
        "{}{}",
        yes_no("a", ""),
        yes_no(
            "b",
            "show_if = { item = \"a\", equals = \"yes\", any_of = [\"no\"] }"
        )
    )));
    item_err(
        &e,
        "b",
        "`show_if` needs exactly one of `equals`, `any_of`, `above`, `below`",
    );
}

#[test]
fn condition_on_text_item_is_rejected() {
    let src = one_section(&format!(
        "{}{}",
        item("id = \"a\"\ntext.en = \"A\"\nanswer = \"number\""),
        yes_no("b", "show_if = { item = \"a\", equals = \"3\" }")
    ));
    item_err(
        &err(&src),
        "b",
        "`show_if` tests `a` for a value, but it is a number item (only yes_no and choice items can be tested for a value; use `above` or `below`)",
    );
    let src = one_section(&format!(
        "{}{}",
        yes_no("a", ""),
        yes_no("b", "show_if = { item = \"a\", above = 0 }")
    ));
    item_err(
        &err(&src),
        "b",
        "`show_if` compares `a` as a number, but it is a yes_no item",
    );
}

#[test]
fn condition_into_a_repeat_section_from_outside_is_rejected() {
    let src = format!(
        "{}\n[[sections]]\nid = \"r\"\ntitle.en = \"R\"\nrepeat = {{ label.en = \"Building\", min = 1 }}\n{}",
        one_section(&yes_no("a", "show_if = { item = \"b\", equals = \"yes\" }")),
        yes_no("b", "")
    );
    item_err(
        &err(&src),
        "a",
        "`show_if` refers to `b`, which is in repeat section `r`; only items of the same section or of non-repeating sections can be referred to",
    );
}

#[test]
fn unknown_severity() {
    let e = err(&one_section(&yes_no(
        "a",
        "fail = [{ on = \"yes\", severity = \"high\" }]",
    )));
    item_err(
        &e,
        "a",
        "fail rule 1: unknown severity `high` (expected one of: critical, major, minor, observation, good_practice)",
    );
    let e = err(&one_section(&item(
        "id = \"a\"\ntext.en = \"A\"\nanswer = \"choice\"\noptions = [{ id = \"x\", text.en = \"X\", severity = \"urgent\" }, { id = \"y\", text.en = \"Y\" }]",
    )));
    item_err(
        &e,
        "a",
        "option `x`: unknown severity `urgent` (expected one of: critical, major, minor, observation, good_practice)",
    );
}

#[test]
fn choice_without_options() {
    let e = err(&one_section(&item(
        "id = \"a\"\ntext.en = \"A\"\nanswer = \"choice\"",
    )));
    item_err(&e, "a", "choice item has no options");
    let e = err(&one_section(&item(
        "id = \"a\"\ntext.en = \"A\"\nanswer = \"choice\"\noptions = []",
    )));
    item_err(&e, "a", "choice item has no options");
    let e = err(&one_section(&item(
        "id = \"a\"\ntext.en = \"A\"\nanswer = \"choice\"\noptions = [{ id = \"x\", text.en = \"X\" }]",
    )));
    item_err(&e, "a", "a choice item needs at least two options");
}

#[test]
fn duplicate_and_reserved_option_ids() {
    let e = err(&one_section(&item(
        "id = \"a\"\ntext.en = \"A\"\nanswer = \"choice\"\noptions = [{ id = \"x\", text.en = \"X\" }, { id = \"x\", text.en = \"X2\" }]",
    )));
    item_err(&e, "a", "duplicate option id `x`");
    let e = err(&one_section(&item(
        "id = \"a\"\ntext.en = \"A\"\nanswer = \"choice\"\noptions = [{ id = \"x\", text.en = \"X\" }, { id = \"na\", text.en = \"N/A\" }]",
    )));
    item_err(
        &e,
        "a",
        "option id `na` is reserved for \"not applicable\"; use `allow_na = true`",
    );
}

#[test]
fn missing_english_text() {
    let e = err(&one_section(&item(
        "id = \"a\"\ntext.vi = \"Có?\"\nanswer = \"yes_no\"",
    )));
    item_err(&e, "a", "`text` has no `en` (English) text");
    let e = err(&one_section(&item(
        "id = \"a\"\ntext.en = \"A\"\nhelp.zh-Hans = \"检查\"\nanswer = \"yes_no\"",
    )));
    item_err(&e, "a", "`help` has no `en` (English) text");
    let e = err(&one_section(&item(
        "id = \"a\"\ntext.en = \"  \"\nanswer = \"yes_no\"",
    )));
    item_err(&e, "a", "`text.en` is empty");
    let e = err("id = \"test\"\nversion = 1\ntitle.vi = \"Kiểm tra\"\n[[sections]]\nid = \"s\"\ntitle.en = \"S\"\n[[sections.items]]\nid = \"a\"\ntext.en = \"A\"\nanswer = \"yes_no\"\n");
    file_err(&e, "`title` has no `en` (English) text");
}

#[test]
fn unknown_language() {
    let e = err(&one_section(&item(
        "id = \"a\"\ntext = { en = \"A\", fr = \"A ?\" }\nanswer = \"yes_no\"",
    )));
    item_err(
        &e,
        "a",
        "`text` has unknown language `fr` (supported: en, zh-Hans, bn, vi, hi)",
    );
}

#[test]
fn syntax_error_has_line_and_column() {
    let e = err("id = \"x\"\nversion = \n");
    assert_eq!(e.item, None);
    assert!(e.reason.starts_with("line 2, column 11: "), "{e}");
}

#[test]
fn unknown_key_is_rejected_with_item_and_line() {
    let e = err(&one_section(&yes_no("a", "severty = \"major\"")));
    assert_eq!(e.item.as_deref(), Some("a"));
    assert!(
        e.reason
            .starts_with("line 13, column 1: unknown field `severty`"),
        "{e}"
    );
    let e = err(&format!("{HEAD}colour = 1\n"));
    assert_eq!(e.item, None);
    assert!(
        e.reason
            .starts_with("line 4, column 1: unknown field `colour`"),
        "{e}"
    );
}

#[test]
fn wrong_value_type_names_item_and_position() {
    let e = err(&one_section(&yes_no(
        "a",
        "fail = [{ on = 3, severity = \"major\" }]",
    )));
    item_err(
        &e,
        "a",
        "line 13, column 16: invalid type: integer `3`, expected a string",
    );
}

#[test]
fn keys_for_another_answer_type_are_rejected() {
    let e = err(&one_section(&yes_no("a", "min = 0")));
    item_err(&e, "a", "`min` only applies to number items, not yes_no");
    let e = err(&one_section(&item(
        "id = \"a\"\ntext.en = \"A\"\nanswer = \"text\"\nmultiple = true",
    )));
    item_err(&e, "a", "`multiple` only applies to choice items, not text");
}

#[test]
fn fail_rules_must_fit_the_answer_type() {
    let e = err(&one_section(&yes_no(
        "a",
        "fail = [{ above = 3, severity = \"major\" }]",
    )));
    item_err(
        &e,
        "a",
        "fail rule 1: `above` does not apply to yes_no items",
    );
    let e = err(&one_section(&yes_no(
        "a",
        "fail = [{ on = \"maybe\", severity = \"major\" }]",
    )));
    item_err(
        &e,
        "a",
        "fail rule 1: `on` must be \"yes\" or \"no\", not \"maybe\"",
    );
    let e = err(&one_section(&yes_no(
        "a",
        "fail = [{ severity = \"major\" }]",
    )));
    item_err(
        &e,
        "a",
        "fail rule 1 needs exactly one of `on`, `above`, `below`, `older_than_days`",
    );
    let e = err(&one_section(&item(
        "id = \"a\"\ntext.en = \"A\"\nanswer = \"number\"\nfail = [{ above = 60, severity = \"major\" }, { older_than_days = 3, severity = \"minor\" }]",
    )));
    item_err(
        &e,
        "a",
        "fail rule 2: `older_than_days` does not apply to number items",
    );
    let e = err(&one_section(&item(
        "id = \"a\"\ntext.en = \"A\"\nanswer = \"choice\"\noptions = [{ id = \"x\", text.en = \"X\" }, { id = \"y\", text.en = \"Y\" }]\nfail = [{ on = \"x\", severity = \"major\" }]",
    )));
    item_err(&e, "a", "fail rule 1: `on` does not apply to choice items (choice items put `severity` on their options)");
}

#[test]
fn number_bounds_must_be_ordered() {
    let e = err(&one_section(&item(
        "id = \"a\"\ntext.en = \"A\"\nanswer = \"number\"\nmin = 5\nmax = 3",
    )));
    item_err(&e, "a", "`min` (5) is greater than `max` (3)");
}

#[test]
fn bad_ids_are_rejected() {
    let e = err(&one_section(&yes_no("Fire.Exit", "")));
    item_err(
        &e,
        "Fire.Exit",
        "item id must be lowercase letters, digits and `_`, in parts separated by `.`, each part starting with a letter",
    );
    let e = err(&one_section(&yes_no("a", "")).replace("id = \"test\"", "id = \"Fire Safety\""));
    file_err(
        &e,
        "template id `Fire Safety` must be lowercase letters and digits separated by `-`",
    );
}

#[test]
fn header_mistakes() {
    let e = err(&one_section(&yes_no("a", "")).replace("version = 1", "version = 0"));
    file_err(&e, "`version` must be 1 or more");
    let e = err(HEAD);
    file_err(
        &e,
        "no sections: a template needs at least one [[sections]] table",
    );
    let e = err(&format!(
        "{HEAD}\n[[sections]]\nid = \"s\"\ntitle.en = \"S\"\n"
    ));
    file_err(
        &e,
        "line 5, column 1: section `s` has no items ([[sections.items]])",
    );
    let e = err(&one_section(&item("text.en = \"A\"\nanswer = \"yes_no\"")));
    file_err(
        &e,
        "line 9, column 1: section `s`: item 1 has no string `id`",
    );
}

#[test]
fn duplicate_section_id() {
    let src = format!(
        "{}\n[[sections]]\nid = \"s\"\ntitle.en = \"S again\"\n{}",
        one_section(&yes_no("a", "")),
        yes_no("b", "")
    );
    file_err(
        &err(&src),
        "section `s`: duplicate section id (first used on line 5)",
    );
}

#[test]
fn repeat_bounds() {
    let src = |repeat: &str| {
        format!(
            "{HEAD}\n[[sections]]\nid = \"r\"\ntitle.en = \"R\"\nrepeat = {repeat}\n{}",
            yes_no("a", "")
        )
    };
    file_err(
        &err(&src("{ label.en = \"B\", min = 3, max = 2 }")),
        "section `r`: `repeat.min` (3) is greater than `repeat.max` (2)",
    );
    file_err(
        &err(&src("{ label.en = \"B\", max = 0 }")),
        "section `r`: `repeat.max` must be 1 or more",
    );
    file_err(
        &err(&src("{ label.vi = \"B\" }")),
        "section `r`: `repeat.label` has no `en` (English) text",
    );
    let t = ok(&src("{ label.en = \"Building\", min = 1, max = 20 }"));
    let repeat = t.sections[0].repeat.as_ref().expect("repeat");
    assert_eq!(
        (repeat.label.en(), repeat.min, repeat.max),
        ("Building", 1, Some(20))
    );
}

#[test]
fn section_condition_must_point_outside_into_a_plain_section() {
    let src = format!(
        "{}\n[[sections]]\nid = \"t\"\ntitle.en = \"T\"\nshow_if = {{ item = \"b\", equals = \"yes\" }}\n{}",
        one_section(&yes_no("a", "")),
        yes_no("b", "")
    );
    file_err(
        &err(&src),
        "section `t`: `show_if` refers to `b`, an item of the same section",
    );
    let src = format!(
        "{}\n[[sections]]\nid = \"t\"\ntitle.en = \"T\"\nshow_if = {{ item = \"nope\", equals = \"yes\" }}\n{}",
        one_section(&yes_no("a", "")),
        yes_no("b", "")
    );
    file_err(
        &err(&src),
        "section `t`: `show_if` refers to item `nope`, which does not exist",
    );
}

#[test]
fn computed_items_need_number_inputs() {
    let area = item("id = \"area\"\ntext.en = \"Area\"\nanswer = \"number\"\nmin = 0");
    let people = yes_no("people", "");
    let ratio = item(
        "id = \"per\"\ntext.en = \"Per person\"\nanswer = \"number\"\ncompute = { divide = \"area\", by = \"people\" }",
    );
    item_err(
        &err(&one_section(&format!("{area}{people}{ratio}"))),
        "per",
        "`compute` refers to `people`, which is not an answered number item",
    );
    let ratio_missing = item(
        "id = \"per\"\ntext.en = \"Per person\"\nanswer = \"number\"\ncompute = { divide = \"area\", by = \"nobody\" }",
    );
    item_err(
        &err(&one_section(&format!("{area}{ratio_missing}"))),
        "per",
        "`compute` refers to item `nobody`, which does not exist",
    );
    let on_yes_no = yes_no("per", "compute = { divide = \"area\", by = \"area\" }");
    item_err(
        &err(&one_section(&format!("{area}{on_yes_no}"))),
        "per",
        "`compute` only applies to number items, not yes_no",
    );
}

#[test]
fn confidential_templates_take_no_photos() {
    let src = one_section(&item("id = \"a\"\ntext.en = \"Photo\"\nanswer = \"photo\""))
        .replace("version = 1", "version = 1\nconfidential = true");
    item_err(
        &err(&src),
        "a",
        "a confidential template cannot take photos (a photo could identify a worker)",
    );
    let src = one_section(&yes_no("a", "evidence_photo = true"))
        .replace("version = 1", "version = 1\nconfidential = true");
    item_err(
        &err(&src),
        "a",
        "a confidential template cannot take photos (a photo could identify a worker)",
    );
}

#[test]
fn garbage_input_is_an_error_not_a_panic() {
    for src in [
        "",
        "\u{0}",
        "[[[",
        "sections = 3",
        "sections = [1]",
        "[[sections]]\nitems = 5",
        "id = 1",
        "a.b.c.d = { x = [[[]]] }",
    ] {
        assert!(Template::parse_toml(src, FILE).is_err(), "{src:?}");
    }
}

#[test]
fn numbers_must_be_finite() {
    let e = err(&one_section(&item(
        "id = \"a\"\ntext.en = \"A\"\nanswer = \"number\"\nmax = inf",
    )));
    item_err(&e, "a", "`max` must be a finite number, not inf");
    let e = err(&one_section(&item(
        "id = \"a\"\ntext.en = \"A\"\nanswer = \"number\"\nfail = [{ below = nan, severity = \"major\" }]",
    )));
    item_err(&e, "a", "`fail.below` must be a finite number, not NaN");
    let e = err(&one_section(&format!(
        "{}{}",
        item("id = \"a\"\ntext.en = \"A\"\nanswer = \"number\""),
        yes_no("b", "show_if = { item = \"a\", above = -inf }")
    )));
    item_err(
        &e,
        "b",
        "`show_if` must compare with a finite number, not -inf",
    );
}
