//! Text cleanup for imported cells, and the folded keys used to spot duplicates.
//!
//! Brand lists come out of Excel, ERP exports and copy-paste from PDFs, so their cells
//! carry junk: "□" placeholders where a character did not survive an encoding change,
//! full-width commas and spaces (`，`, U+3000), no-break and zero-width spaces, a BOM,
//! control characters, trailing `;`, doubled commas and runs of spaces.
//! [`clean_text`] removes that junk but keeps the text a person would want to read
//! (accents and case stay: "Industrias Químicas Perlacos, S.L." is unchanged).
//! [`fold_key`] goes further and is only for comparing: case-folded, accents
//! removed, punctuation and spaces dropped.

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// Characters that stand for a lost character (rendering placeholders, the Unicode
/// replacement character); they are turned into a space.
fn is_placeholder(c: char) -> bool {
    matches!(
        c,
        '\u{25A1}' // □ white square
        | '\u{25A0}' // ■ black square
        | '\u{25AF}' // ▯
        | '\u{FFFD}' // replacement character
    )
}

/// Characters that are dropped outright: zero-width characters, BOM, soft hyphen,
/// directional marks and private-use code points.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{FEFF}'
            | '\u{00AD}'
            | '\u{E000}'..='\u{F8FF}'
    )
}

/// Cleans one cell for display and storage.
///
/// - full-width ASCII (`，`, `１`, `Ａ`) and the ideographic space/comma become ASCII;
/// - "□"-style placeholders, control characters and any Unicode space become a space;
///   zero-width characters, BOM and soft hyphens are removed;
/// - runs of whitespace collapse to one space, spaces before `,`/`;` are removed and
///   doubled commas (`,,`, `, ,`) become one;
/// - leading and trailing spaces, commas and semicolons are trimmed.
///
/// Letters, accents and case are kept.
pub fn clean_text(input: &str) -> String {
    // Pass 1: map characters, collapsing whitespace as we go.
    let mut spaced = String::with_capacity(input.len());
    let mut pending_space = false;
    for c in input.chars() {
        let mapped = match c {
            c if is_invisible(c) => None,
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0),
            '\u{3001}' | '\u{FF64}' => Some(','),
            c if is_placeholder(c) || c.is_control() || c.is_whitespace() => Some(' '),
            c => Some(c),
        };
        match mapped {
            None => {}
            Some(' ') => pending_space = true,
            Some(c) => {
                if pending_space && !spaced.is_empty() {
                    spaced.push(' ');
                }
                pending_space = false;
                spaced.push(c);
            }
        }
    }

    // Pass 2: tidy separators: no space before ',' or ';', no repeated commas.
    let mut out = String::with_capacity(spaced.len());
    for c in spaced.chars() {
        match c {
            ',' | ';' => {
                while out.ends_with(' ') {
                    out.pop();
                }
                if c == ',' && out.ends_with(',') {
                    continue;
                }
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out.trim_matches(|c: char| c == ' ' || c == ',' || c == ';')
        .to_string()
}

/// Cleans a cell and returns `None` when nothing is left.
pub fn clean_optional(input: &str) -> Option<String> {
    let cleaned = clean_text(input);
    (!cleaned.is_empty()).then_some(cleaned)
}

/// Splits a multi-value cell on `|`, cleans each part, drops empty parts and
/// repeats (compared with [`fold_key`]), keeping the first spelling of each.
pub fn split_multi(input: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for part in input.split('|') {
        let cleaned = clean_text(part);
        if cleaned.is_empty() {
            continue;
        }
        let key = fold_key(&cleaned);
        if !out.iter().any(|v| fold_key(v) == key) {
            out.push(cleaned);
        }
    }
    out
}

/// The comparison form of a text: compatibility-normalised (NFKD), accents removed,
/// case-folded, and everything but letters and digits dropped.
///
/// `"CO.,LTD"`, `"Co., Ltd"` and `"co ltd"` all fold to `"coltd"`;
/// `"Química"` folds to `"quimica"`.
pub fn fold_key(input: &str) -> String {
    let cleaned = clean_text(input);
    let mut out = String::with_capacity(cleaned.len());
    for c in cleaned.nfkd() {
        if is_combining_mark(c) || !c.is_alphanumeric() {
            continue;
        }
        match c {
            // Letters NFKD does not decompose.
            'ß' => out.push_str("ss"),
            'ø' | 'Ø' => out.push('o'),
            'æ' | 'Æ' => out.push_str("ae"),
            'œ' | 'Œ' => out.push_str("oe"),
            'ł' | 'Ł' => out.push('l'),
            'đ' | 'Đ' | 'ð' | 'Ð' => out.push('d'),
            'ı' => out.push('i'),
            'þ' | 'Þ' => out.push_str("th"),
            c => out.extend(c.to_lowercase()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_stray_characters_from_fixture_cells() {
        assert_eq!(
            clean_text("VAWAL MIRZAPUR,GAZIPUR,BANGLADESH;"),
            "VAWAL MIRZAPUR,GAZIPUR,BANGLADESH"
        );
        assert_eq!(
            clean_text(
                "BLOCK A, 5/F, YUCHENG NORTH ROAD WEST,□LUN JIAO TOWN, FOSHAN,GUANGDONG, CHINA□"
            ),
            "BLOCK A, 5/F, YUCHENG NORTH ROAD WEST, LUN JIAO TOWN, FOSHAN,GUANGDONG, CHINA"
        );
        assert_eq!(
            clean_text("NO.376-5 SHICHA ROAD，SHENMING INTERNATIONAL CENTER, GUANGZHOU"),
            "NO.376-5 SHICHA ROAD,SHENMING INTERNATIONAL CENTER, GUANGZHOU"
        );
        assert_eq!(
            clean_text("FU JIAN PROVINCE\u{2002}\u{2002}\u{2002}\u{2002}"),
            "FU JIAN PROVINCE"
        );
        assert_eq!(
            clean_text("Shenzhen, \u{a0}518106, Guangdong"),
            "Shenzhen, 518106, Guangdong"
        );
        assert_eq!(
            clean_text("Baoji City,   , Baoji , 721300, Shanxi"),
            "Baoji City, Baoji, 721300, Shanxi"
        );
        assert_eq!(
            clean_text("Chuntang West Village,, Caota Town,, Zhuji City, 311812, "),
            "Chuntang West Village, Caota Town, Zhuji City, 311812"
        );
        assert_eq!(
            clean_text("SHISHI  HENGCHANG  SPORTS  GOODS  TRADE  CO.,LTD"),
            "SHISHI HENGCHANG SPORTS GOODS TRADE CO.,LTD"
        );
    }

    #[test]
    fn removes_invisible_and_control_characters() {
        assert_eq!(clean_text("\u{FEFF}Acme\u{200B} Ltd\u{0007}"), "Acme Ltd");
        assert_eq!(clean_text("Line one\r\nline two\t"), "Line one line two");
        assert_eq!(clean_text("ＡＢＣ　Ｌｔｄ１２"), "ABC Ltd12");
        assert_eq!(clean_text("  ;, "), "");
    }

    #[test]
    fn keeps_accents_and_case() {
        assert_eq!(
            clean_text("Industrias Químicas Perlacos, S.L."),
            "Industrias Químicas Perlacos, S.L."
        );
        assert_eq!(
            clean_text("Erateks Tekstil Sanayi ve Ticaret A.Ş. "),
            "Erateks Tekstil Sanayi ve Ticaret A.Ş."
        );
    }

    #[test]
    fn fold_key_ignores_case_punctuation_spacing_and_accents() {
        assert_eq!(
            fold_key("XINHUIFU SHOES&CLOTHING CO.,LTD"),
            "xinhuifushoesclothingcoltd"
        );
        assert_eq!(
            fold_key("Xinhuifu Shoes & Clothing Co., Ltd."),
            "xinhuifushoesclothingcoltd"
        );
        assert_eq!(fold_key("Industrias Químicas"), "industriasquimicas");
        assert_eq!(fold_key("DÖHLER GMBH"), fold_key("Dohler GmbH"));
        assert_eq!(fold_key("Riedstraße 7-9"), "riedstrasse79");
        assert_eq!(fold_key("ul. Młynarska 5"), "ulmlynarska5");
        assert_eq!(fold_key("Nhà máy Dệt"), "nhamaydet");
        assert_eq!(fold_key("FUJIAN PROVINCE□"), fold_key("FUJIAN PROVINCE"));
        assert_ne!(fold_key("No. 12 Road"), fold_key("No. 13 Road"));
    }

    #[test]
    fn split_multi_cleans_and_dedupes() {
        assert_eq!(split_multi("Apparel|Health"), vec!["Apparel", "Health"]);
        assert_eq!(
            split_multi(" Apparel | apparel ||Footwear;"),
            vec!["Apparel", "Footwear"]
        );
        assert!(split_multi(" | ").is_empty());
    }
}
