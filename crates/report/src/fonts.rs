//! Fonts for reports: Noto Sans for Latin and Vietnamese, Noto Sans CJK SC for
//! Chinese, Noto Sans Bengali and Noto Sans Devanagari, found on the system
//! (Debian's `fonts-noto-core` and `fonts-noto-cjk`) or in `FIELDAUDIT_FONT_DIR`.
//!
//! The font files are not in the repository (the CJK collection alone is 20 MB):
//! the packaged app depends on the distribution's font packages, or ships the
//! files and points `FIELDAUDIT_FONT_DIR` at them. Every font in
//! `FIELDAUDIT_FONT_DIR` is loaded; from system directories only the Noto
//! families above (regular and bold), so start-up stays quick. Fonts are loaded
//! once per process. Before typesetting, [`FontSet::check_coverage`] makes sure
//! every script in the report has a font, so a missing font is a clear error, not
//! boxes on paper. The PDF embeds the subset of each font it uses.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use typst::text::{Font, FontBook};
use typst::utils::LazyHash;

use crate::ReportError;

/// Families the layout asks for, in fallback order.
pub const FAMILIES: &[&str] = &["Noto Sans", "Noto Sans CJK SC", "Noto Sans Bengali", "Noto Sans Devanagari", "Noto Sans Mono"];

/// File name prefixes of those families in the system font directories.
const SYSTEM_FILES: &[&str] = &["NotoSans-", "NotoSansCJK-", "NotoSansCJKsc-", "NotoSansSC-", "NotoSansBengali-", "NotoSansDevanagari-", "NotoSansMono-"];

/// Styles loaded from system directories.
const SYSTEM_STYLES: &[&str] = &["-Regular.", "-Bold.", "-Italic.", "-BoldItalic."];

/// Loaded fonts and their book.
pub struct FontSet {
    /// What typst looks fonts up in.
    pub book: LazyHash<FontBook>,
    /// The faces, indexed as in the book.
    pub fonts: Vec<Font>,
    /// Where they came from (for messages).
    pub dirs: Vec<PathBuf>,
}

/// Directories searched: `FIELDAUDIT_FONT_DIR` (a path list) first, then the
/// platform's font directories.
pub fn font_dirs() -> (Vec<PathBuf>, Vec<PathBuf>) {
    let custom: Vec<PathBuf> = std::env::var_os("FIELDAUDIT_FONT_DIR").map(|v| std::env::split_paths(&v).filter(|p| !p.as_os_str().is_empty()).collect()).unwrap_or_default();
    let mut system = vec![PathBuf::from("/usr/share/fonts"), PathBuf::from("/usr/local/share/fonts"), PathBuf::from("/Library/Fonts"), PathBuf::from("/System/Library/Fonts")];
    if let Some(home) = std::env::var_os("HOME") {
        system.push(Path::new(&home).join(".local/share/fonts"));
        system.push(Path::new(&home).join(".fonts"));
        system.push(Path::new(&home).join("Library/Fonts"));
    }
    if let Some(windir) = std::env::var_os("WINDIR") {
        system.push(Path::new(&windir).join("Fonts"));
    }
    (custom, system)
}

fn is_font_file(p: &Path) -> bool {
    matches!(p.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref(), Some("ttf" | "otf" | "ttc" | "otc"))
}

fn walk(dir: &Path, depth: u32, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() && depth < 6 {
            walk(&p, depth + 1, out);
        } else if is_font_file(&p) {
            out.push(p);
        }
    }
}

fn load() -> FontSet {
    let (custom, system) = font_dirs();
    let mut files = Vec::new();
    for d in &custom {
        walk(d, 0, &mut files);
    }
    let mut sys_files = Vec::new();
    for d in &system {
        walk(d, 0, &mut sys_files);
    }
    files.extend(sys_files.into_iter().filter(|p| {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        SYSTEM_FILES.iter().any(|pre| name.starts_with(pre)) && SYSTEM_STYLES.iter().any(|s| name.contains(s))
    }));
    let mut fonts = Vec::new();
    for f in files {
        let Ok(bytes) = std::fs::read(&f) else { continue };
        fonts.extend(Font::iter(typst::foundations::Bytes::new(bytes)));
    }
    let book = FontBook::from_fonts(&fonts);
    let mut dirs = custom;
    dirs.extend(system.into_iter().filter(|d| d.is_dir()));
    FontSet { book: LazyHash::new(book), fonts, dirs }
}

/// The fonts, loaded on first use.
pub fn fonts() -> &'static FontSet {
    static FONTS: OnceLock<FontSet> = OnceLock::new();
    FONTS.get_or_init(load)
}

/// A script the report languages use, for coverage messages.
fn script_of(c: char) -> Option<&'static str> {
    match c as u32 {
        0x0041..=0x005A | 0x0061..=0x007A | 0x00C0..=0x024F | 0x1EA0..=0x1EFF => Some("Latin (English, Vietnamese)"),
        0x0980..=0x09FF => Some("Bengali"),
        0x0900..=0x097F => Some("Devanagari (Hindi)"),
        0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0x3000..=0x303F | 0xFF00..=0xFFEF => Some("Chinese"),
        _ => None,
    }
}

impl FontSet {
    /// Fails with the scripts no loaded font covers (with an example of each).
    pub fn check_coverage(&self, texts: &[&str]) -> Result<(), ReportError> {
        let mut missing: BTreeMap<&'static str, char> = BTreeMap::new();
        let mut seen = std::collections::HashSet::new();
        for t in texts {
            for c in t.chars() {
                if !seen.insert(c) {
                    continue;
                }
                let Some(script) = script_of(c) else { continue };
                if missing.contains_key(script) {
                    continue;
                }
                if !self.fonts.iter().any(|f| f.info().coverage.contains(c as u32)) {
                    missing.insert(script, c);
                }
            }
        }
        if missing.is_empty() {
            return Ok(());
        }
        let scripts = missing.iter().map(|(s, c)| format!("{s} (e.g. {c:?})")).collect::<Vec<_>>().join(", ");
        let searched = self.dirs.iter().map(|d| d.display().to_string()).collect::<Vec<_>>().join(", ");
        Err(ReportError::FontMissing { scripts, searched })
    }
}
