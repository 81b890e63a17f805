//! The words of a report in the reader's language.
//!
//! Reports use the UI's own translation tables (`ui/src/i18n/*.ts`, embedded at
//! build time), so a code such as `critical` or `in_progress` reads the same on the
//! screen and on paper, and translators keep one set of files. Report-only words
//! are the `report.*` keys there. A key missing in a language falls back to
//! English, like the UI.

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::{CoreError, Result};

/// Languages the UI and reports are written in (BCP 47 tags): the templates'
/// supported languages, so checklist text and report wording agree.
pub use fieldaudit_templates::SUPPORTED_LANGUAGES as LANGUAGES;

const SOURCES: &[(&str, &str)] = &[
    ("en", include_str!("../../../../ui/src/i18n/en.ts")),
    ("zh-Hans", include_str!("../../../../ui/src/i18n/zh-Hans.ts")),
    ("bn", include_str!("../../../../ui/src/i18n/bn.ts")),
    ("vi", include_str!("../../../../ui/src/i18n/vi.ts")),
    ("hi", include_str!("../../../../ui/src/i18n/hi.ts")),
];

type Table = HashMap<String, String>;

/// Reads the `"key": "value",` lines of one translation module. Other lines
/// (comments, the `export` wrapper) are skipped.
fn parse(source: &str) -> Table {
    let mut table = Table::new();
    for line in source.lines() {
        let line = line.trim();
        let Some(rest) = line.strip_prefix('"') else { continue };
        let Some((key, value)) = rest.split_once("\": ") else { continue };
        let value = value.trim_end_matches(',').trim();
        // The values are JSON-compatible string literals (double quotes, \" \\ \n).
        if let Ok(text) = serde_json::from_str::<String>(value) {
            table.insert(key.to_owned(), text);
        }
    }
    table
}

fn tables() -> &'static HashMap<&'static str, Table> {
    static TABLES: OnceLock<HashMap<&'static str, Table>> = OnceLock::new();
    TABLES.get_or_init(|| SOURCES.iter().map(|(lang, src)| (*lang, parse(src))).collect())
}

/// A language's words, falling back to English.
#[derive(Clone, Copy, Debug)]
pub struct Labels {
    lang: &'static str,
}

impl Labels {
    /// The labels of `lang`; an unknown language is an error that lists the known ones.
    pub fn new(lang: &str) -> Result<Labels> {
        let lang = LANGUAGES.iter().copied().find(|l| l.eq_ignore_ascii_case(lang)).ok_or_else(|| {
            CoreError::Invalid(format!("unknown language {lang:?}: reports are written in {}", LANGUAGES.join(", ")))
        })?;
        Ok(Labels { lang })
    }

    /// The language tag.
    pub fn lang(&self) -> &'static str {
        self.lang
    }

    /// The text of `key`, in English when this language lacks it, or the key itself.
    pub fn get(&self, key: &str) -> String {
        let t = tables();
        t.get(self.lang)
            .and_then(|m| m.get(key))
            .or_else(|| t.get("en").and_then(|m| m.get(key)))
            .cloned()
            .unwrap_or_else(|| key.to_owned())
    }

    /// A stored code (`critical`, `in_progress`, `unannounced`…) in words; an
    /// unknown code is shown as it is stored.
    pub fn code(&self, code: &str) -> String {
        let key = format!("code.{code}");
        let text = self.get(&key);
        if text == key {
            code.replace('_', " ")
        } else {
            text
        }
    }

    /// `key` with `{name}` placeholders filled.
    pub fn fill(&self, key: &str, values: &[(&str, String)]) -> String {
        let mut text = self.get(key);
        for (name, value) in values {
            text = text.replace(&format!("{{{name}}}"), value);
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_has_the_report_words_and_codes_fall_back() {
        for lang in LANGUAGES {
            let l = Labels::new(lang).unwrap();
            assert_ne!(l.get("report.site_title"), "report.site_title", "{lang}");
            assert_ne!(l.code("critical"), "critical", "{lang}");
        }
        assert_ne!(Labels::new("bn").unwrap().code("critical"), Labels::new("en").unwrap().code("critical"));
        assert_eq!(Labels::new("en").unwrap().code("no_such_code"), "no such code");
        let err = Labels::new("xx").unwrap_err().to_string();
        assert!(err.contains("\"xx\"") && err.contains("zh-Hans"), "{err}");
    }
}
