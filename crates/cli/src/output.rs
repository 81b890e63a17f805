//! Printing: aligned plain-text tables for people, JSON for scripts.

use std::sync::OnceLock;

use serde::Serialize;

static LANG: OnceLock<String> = OnceLock::new();

/// Sets the output language (`--lang`), once, at start-up.
pub fn set_lang(lang: &str) {
    let _ = LANG.set(lang.to_owned());
}

/// The output language for checklist text and labels (`en` unless `--lang` says).
pub fn lang() -> &'static str {
    LANG.get().map_or("en", String::as_str)
}

/// Prints `value` as pretty JSON.
pub fn json<T: Serialize>(value: &T) -> anyhow::Result<()> {
    crate::out!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

/// Prints rows as a table with a header, columns padded to their widest cell.
pub fn table(header: &[&str], rows: &[Vec<String>]) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        crate::out!("{}", padded.join("  ").trim_end());
    };
    line(header.to_vec());
    for row in rows {
        line(row.iter().map(String::as_str).collect());
    }
}

/// The last 8 characters of an id, as lists show it (commands accept it).
pub fn short(id: &uuid::Uuid) -> String {
    let s = id.to_string();
    s[s.len() - 8..].to_owned()
}

/// Writes one line to stdout. When the reader has gone away (`fieldaudit … | head`)
/// the command ends quietly instead of panicking.
pub fn write_line(args: std::fmt::Arguments<'_>) {
    use std::io::Write;
    if let Err(e) = writeln!(std::io::stdout().lock(), "{args}") {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
    }
}

/// `println!` that survives a closed pipe.
#[macro_export]
macro_rules! out {
    ($($t:tt)*) => { $crate::output::write_line(format_args!($($t)*)) };
}
