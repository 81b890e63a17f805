//! Localised text: every label and help text in a template carries English and,
//! as translations arrive, Simplified Chinese, Bengali, Vietnamese and Hindi.

use std::collections::BTreeMap;

use serde::Serialize;

/// Language tags a template may carry text in. English (`en`) is required on every
/// text; the others are optional and fall back to English when missing.
pub const SUPPORTED_LANGUAGES: [&str; 5] = ["en", "zh-Hans", "bn", "vi", "hi"];

/// A piece of text in one or more languages. English is always present.
///
/// Serialises as a flat JSON object: `{"en": "...", "zh-Hans": "..."}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Text {
    en: String,
    #[serde(flatten)]
    translations: BTreeMap<String, String>,
}

impl Text {
    /// Text with English only.
    pub fn new(en: impl Into<String>) -> Self {
        Text {
            en: en.into(),
            translations: BTreeMap::new(),
        }
    }

    /// Adds (or replaces) the text for `lang`. Setting `en` replaces the English text.
    pub fn with(mut self, lang: &str, text: impl Into<String>) -> Self {
        if lang == "en" {
            self.en = text.into();
        } else {
            self.translations.insert(lang.to_string(), text.into());
        }
        self
    }

    /// The English text.
    pub fn en(&self) -> &str {
        &self.en
    }

    /// The text in `lang`, falling back to English.
    ///
    /// Matching is exact first, then case-insensitive, then on ever shorter prefixes
    /// of the tag (`zh-Hans-CN` finds `zh-Hans`), so a UI locale finds its text.
    pub fn get(&self, lang: &str) -> &str {
        let mut tag = lang;
        loop {
            if tag.eq_ignore_ascii_case("en") {
                return &self.en;
            }
            if let Some(t) = self.translations.get(tag) {
                return t;
            }
            if let Some((_, t)) = self
                .translations
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(tag))
            {
                return t;
            }
            match tag.rfind('-') {
                Some(cut) => tag = &tag[..cut],
                None => return &self.en,
            }
        }
    }

    /// Whether a translation exists for exactly `lang` (English always does).
    pub fn has(&self, lang: &str) -> bool {
        lang == "en" || self.translations.contains_key(lang)
    }

    /// The languages this text is available in, English first.
    pub fn languages(&self) -> impl Iterator<Item = &str> {
        std::iter::once("en").chain(self.translations.keys().map(String::as_str))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn get_falls_back_to_english() {
        let t = Text::new("Exit locked")
            .with("zh-Hans", "出口上锁")
            .with("bn", "বাহির তালাবদ্ধ");
        assert_eq!(t.en(), "Exit locked");
        assert_eq!(t.get("en"), "Exit locked");
        assert_eq!(t.get("zh-Hans"), "出口上锁");
        assert_eq!(t.get("zh-hans"), "出口上锁");
        assert_eq!(t.get("zh-Hans-CN"), "出口上锁");
        assert_eq!(t.get("bn"), "বাহির তালাবদ্ধ");
        assert_eq!(t.get("vi"), "Exit locked");
        assert_eq!(t.get(""), "Exit locked");
        assert!(t.has("bn") && !t.has("hi"));
        assert_eq!(
            t.languages().collect::<Vec<_>>(),
            vec!["en", "bn", "zh-Hans"]
        );
    }

    #[test]
    fn serialises_as_flat_object() {
        let t = Text::new("Yes").with("vi", "Có");
        assert_eq!(
            serde_json::to_value(&t).ok(),
            Some(serde_json::json!({"en": "Yes", "vi": "Có"}))
        );
    }
}
