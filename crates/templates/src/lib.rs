//! FieldAudit checklist templates: the file format, its validation, answer
//! checking and scoring rules, and the nine built-in checklists (text in five languages).
//!
//! A template is a versioned TOML file (format: `templates/README.md` at the
//! repository root). [`Template::parse_toml`] turns one into a checked
//! [`Template`] or a [`TemplateError`] naming the file, the item and the reason.
//! The built-in checklists are embedded from the repository's `templates/` folder
//! at build time and parsed once ([`builtin`], [`builtin_template`]).
//!
//! - [`model`] — templates, sections, items, answer types, rules, conditions;
//! - [`answer`] — [`Item::validate_answer`] and [`Item::evaluate`];
//! - [`compat`] — whether a new published version may follow the previous one;
//! - [`text`] — localised text;
//! - [`xlsform`] — checklists as XLSForm-style workbooks (read and written);
//! - [`severity`] — the severity scale;
//! - [`error`] — [`TemplateError`].

pub mod answer;
pub mod compat;
pub mod error;
pub mod model;
mod parse;
pub mod severity;
pub mod text;
pub mod xlsform;

use std::io::Read;
use std::path::Path;
use std::sync::OnceLock;

use include_dir::{include_dir, Dir};

pub use answer::{parse_date, NOT_APPLICABLE};
pub use error::TemplateError;
pub use model::{
    AnswerType, ChoiceOption, Computed, Condition, ConditionTest, FailRule, FailWhen, Item,
    RepeatSpec, Section, Template,
};
pub use severity::{Severity, UnknownSeverity};
pub use text::{Text, SUPPORTED_LANGUAGES};

/// Largest template file [`load_file`] reads (1 MiB); real templates are a few
/// tens of kilobytes.
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;

static TEMPLATE_DIR: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/../../templates");

impl Template {
    /// Parses and checks a template from TOML source. `file` names the source in
    /// errors (e.g. `templates/fire-safety.toml`).
    pub fn parse_toml(source: &str, file: &str) -> Result<Template, TemplateError> {
        parse::parse(source, file)
    }
}

/// Reads and checks a template file (for `fieldaudit template validate FILE`): a
/// TOML template, or an XLSForm-style workbook when the name ends in `.xlsx`
/// ([`xlsform`]).
pub fn load_file(path: &Path) -> Result<Template, TemplateError> {
    if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("xlsx")) {
        return xlsform::load_xlsx(path);
    }
    let name = path.display().to_string();
    let cannot_read =
        |e: std::io::Error| TemplateError::file(&name, format!("cannot read the file: {e}"));
    let file = std::fs::File::open(path).map_err(cannot_read)?;
    let mut source = String::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_string(&mut source)
        .map_err(cannot_read)?;
    if source.len() as u64 > MAX_FILE_BYTES {
        return Err(TemplateError::file(
            &name,
            format!("file is larger than {MAX_FILE_BYTES} bytes"),
        ));
    }
    Template::parse_toml(&source, &name)
}

struct Builtins {
    templates: Vec<Template>,
    errors: Vec<TemplateError>,
}

fn builtins() -> &'static Builtins {
    static BUILTINS: OnceLock<Builtins> = OnceLock::new();
    BUILTINS.get_or_init(|| {
        let mut files: Vec<_> = TEMPLATE_DIR
            .files()
            .filter(|f| f.path().extension().is_some_and(|e| e == "toml"))
            .collect();
        files.sort_by_key(|f| f.path());
        let mut templates: Vec<Template> = Vec::new();
        let mut errors = Vec::new();
        for f in files {
            let name = format!("templates/{}", f.path().display());
            let parsed = match f.contents_utf8() {
                Some(source) => Template::parse_toml(source, &name),
                None => Err(TemplateError::file(&name, "file is not UTF-8")),
            };
            match parsed {
                Ok(t)
                    if templates
                        .iter()
                        .any(|o| o.id == t.id && o.version == t.version) =>
                {
                    errors.push(TemplateError::file(
                        &name,
                        format!("template {} version {} is defined twice", t.id, t.version),
                    ))
                }
                Ok(t) => templates.push(t),
                Err(e) => errors.push(e),
            }
        }
        Builtins { templates, errors }
    })
}

/// The built-in templates (every version of each), embedded at build time from
/// the repository's `templates/` folder and parsed once, in file-name order.
/// A file that fails to parse is left out and reported by [`builtin_errors`]
/// (a test keeps that list empty).
pub fn builtin() -> &'static [Template] {
    &builtins().templates
}

/// Errors from built-in template files that did not parse (empty in a correct
/// build).
pub fn builtin_errors() -> &'static [TemplateError] {
    &builtins().errors
}

/// The built-in template with this id and version (what an audit pinned).
pub fn builtin_template(id: &str, version: u32) -> Option<&'static Template> {
    builtin()
        .iter()
        .find(|t| t.id == id && t.version == version)
}

/// The newest built-in version of a template (for starting a new audit).
pub fn builtin_latest(id: &str) -> Option<&'static Template> {
    builtin()
        .iter()
        .filter(|t| t.id == id)
        .max_by_key(|t| t.version)
}

#[cfg(test)]
#[path = "builtin_tests.rs"]
mod builtin_tests;

#[cfg(test)]
mod test_fixture;

#[cfg(test)]
#[path = "translation_tests.rs"]
mod translation_tests;

#[cfg(test)]
#[path = "xlsform_tests.rs"]
mod xlsform_tests;
