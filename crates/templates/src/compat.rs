//! Whether a new version of a published checklist may follow the previous one.
//!
//! Answers are stored against item ids, and an audit keeps the version it started
//! with; a new version must not make those answers mean something else. The
//! server publishing a version (`fieldaudit-server template publish`) refuses it
//! when [`check_next_version`] lists a problem.

use std::collections::HashSet;

use crate::Template;

/// Problems that stop `next` from being published after `previous`, in words an
/// author can act on (empty when it may be published). `answered` holds the item
/// ids that audits still in progress have answered.
pub fn check_next_version(
    previous: &Template,
    next: &Template,
    answered: &HashSet<String>,
) -> Vec<String> {
    let mut problems = Vec::new();
    if next.id != previous.id {
        problems.push(format!(
            "template id `{}` is not `{}`",
            next.id, previous.id
        ));
        return problems;
    }
    if next.version <= previous.version {
        problems.push(format!(
            "version {} is not newer than the published version {}; number the new version {}",
            next.version,
            previous.version,
            previous.version + 1
        ));
    }
    for (_, old) in previous.items() {
        match next.item(&old.id) {
            Some((_, new)) if new.answer.name() != old.answer.name() => problems.push(format!(
                "item {}: its answer type changes from {} to {}; answers already recorded would change meaning, so give the changed question a new id",
                old.id,
                old.answer.name(),
                new.answer.name()
            )),
            Some(_) => {}
            None if answered.contains(&old.id) => problems.push(format!(
                "item {}: dropped, but audits in progress have answered it; keep the item in this version (it can be hidden with show_if) or wait until those audits are finished",
                old.id
            )),
            None => {}
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template(version: u32, items: &str) -> Template {
        let source = format!("id = \"acme\"\nversion = {version}\ntitle.en = \"ACME\"\n[[sections]]\nid = \"s\"\ntitle.en = \"S\"\n{items}");
        Template::parse_toml(&source, "acme.toml").expect("parses")
    }

    const A_YES_NO: &str =
        "[[sections.items]]\nid = \"s.a\"\ntext.en = \"A?\"\nanswer = \"yes_no\"\n";
    const A_NUMBER: &str =
        "[[sections.items]]\nid = \"s.a\"\ntext.en = \"A\"\nanswer = \"number\"\n";
    const B_TEXT: &str = "[[sections.items]]\nid = \"s.b\"\ntext.en = \"B\"\nanswer = \"text\"\n";

    #[test]
    fn a_new_version_keeps_answer_types_and_answered_items() {
        let v1 = template(1, &format!("{A_YES_NO}{B_TEXT}"));
        let none = HashSet::new();
        assert!(
            check_next_version(&v1, &template(2, &format!("{A_YES_NO}{B_TEXT}")), &none).is_empty()
        );
        assert!(
            check_next_version(&v1, &template(2, A_YES_NO), &none).is_empty(),
            "an unanswered item may go"
        );

        let answered: HashSet<String> = ["s.b".to_owned()].into();
        let p = check_next_version(&v1, &template(2, A_YES_NO), &answered);
        assert_eq!(p.len(), 1);
        assert!(
            p[0].starts_with("item s.b: dropped, but audits in progress have answered it"),
            "{p:?}"
        );

        let p = check_next_version(&v1, &template(2, &format!("{A_NUMBER}{B_TEXT}")), &none);
        assert_eq!(p, ["item s.a: its answer type changes from yes_no to number; answers already recorded would change meaning, so give the changed question a new id"]);

        let p = check_next_version(&v1, &template(1, &format!("{A_YES_NO}{B_TEXT}")), &none);
        assert!(
            p[0].contains("not newer than the published version 1"),
            "{p:?}"
        );
    }
}
