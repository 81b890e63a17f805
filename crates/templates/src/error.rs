//! The one error a template file can produce: which file, which item (when the
//! mistake belongs to one) and why, so an author can find and fix it.

/// A template file that was rejected.
///
/// Displays as `templates/x.toml: item fire.exit_locked: duplicate item id`, or
/// without the item part for file-level mistakes. Syntax and shape errors carry
/// `line L, column C` at the start of `reason`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {}{reason}", item.as_ref().map(|i| format!("item {i}: ")).unwrap_or_default())]
pub struct TemplateError {
    /// The file as it was named to the loader (e.g. `templates/fire-safety.toml`).
    pub file: String,
    /// The id of the item at fault, if the mistake is in an item.
    pub item: Option<String>,
    /// What is wrong, in words an author can act on.
    pub reason: String,
}

impl TemplateError {
    /// An error about the file as a whole.
    pub fn file(file: &str, reason: impl Into<String>) -> Self {
        TemplateError {
            file: file.to_string(),
            item: None,
            reason: reason.into(),
        }
    }

    /// An error about one item.
    pub fn item(file: &str, item: &str, reason: impl Into<String>) -> Self {
        TemplateError {
            file: file.to_string(),
            item: Some(item.to_string()),
            reason: reason.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_file_item_and_reason() {
        let e = TemplateError::item("templates/x.toml", "fire.exit_locked", "duplicate item id");
        assert_eq!(
            e.to_string(),
            "templates/x.toml: item fire.exit_locked: duplicate item id"
        );
        let e = TemplateError::file("templates/x.toml", "line 3, column 1: expected `=`");
        assert_eq!(
            e.to_string(),
            "templates/x.toml: line 3, column 1: expected `=`"
        );
    }
}
