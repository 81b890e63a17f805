//! Country names and codes → ISO 3166-1 alpha-2.
//!
//! The ISO table itself (names, alpha-2, alpha-3 and common short names) comes from
//! the `celes` crate. On top of it this module handles the messy spellings brand lists
//! use: any case, stray punctuation ("BANGLADESH;"), accents ("Türkiye"), the
//! "KOREA, REPUBLIC OF" inverted form, parenthesised extras ("China (PRC)"), and a
//! small alias table for names ISO does not list ("VIET NAM", "HONG KONG SAR",
//! "UAE", "Kosovo" → XK as Open Supply Hub uses it).

use celes::Country;

use super::clean::{clean_text, fold_key};

/// Folded spellings (see [`fold_key`]) that the ISO table does not know, with their
/// alpha-2 code.
const ALIASES: &[(&str, &str)] = &[
    ("hongkongsar", "HK"),
    ("hongkongsarchina", "HK"),
    ("hongkongchina", "HK"),
    ("chinahongkong", "HK"),
    ("chinahongkongsar", "HK"),
    ("hksar", "HK"),
    ("macaosar", "MO"),
    ("macausar", "MO"),
    ("macaosarchina", "MO"),
    ("chinamacao", "MO"),
    ("prc", "CN"),
    ("prchina", "CN"),
    ("peoplesrepublicofchina", "CN"),
    ("thepeoplesrepublicofchina", "CN"),
    ("mainlandchina", "CN"),
    ("chinamainland", "CN"),
    ("taiwanprovinceofchina", "TW"),
    ("taiwanroc", "TW"),
    ("chinesetaipei", "TW"),
    ("republicofchina", "TW"),
    ("korea", "KR"),
    ("skorea", "KR"),
    ("korearep", "KR"),
    ("korearepublic", "KR"),
    ("rok", "KR"),
    ("nkorea", "KP"),
    ("dprk", "KP"),
    ("dprkorea", "KP"),
    ("koreadpr", "KP"),
    ("vietnam", "VN"),
    ("socialistrepublicofvietnam", "VN"),
    ("uk", "GB"),
    ("britain", "GB"),
    ("usa", "US"),
    ("us", "US"),
    ("unitedstatesofamerica", "US"),
    ("uae", "AE"),
    ("emirates", "AE"),
    ("laopdr", "LA"),
    ("kingdomofcambodia", "KH"),
    ("kingdomofthailand", "TH"),
    ("czechrepublic", "CZ"),
    ("slovakrepublic", "SK"),
    ("kyrgyzrepublic", "KG"),
    ("drc", "CD"),
    ("drcongo", "CD"),
    ("congodr", "CD"),
    ("congokinshasa", "CD"),
    ("democraticrepublicofcongo", "CD"),
    ("congobrazzaville", "CG"),
    ("republicofcongo", "CG"),
    ("republicofthecongo", "CG"),
    ("kosovo", "XK"),
    ("xk", "XK"),
    ("turkiye", "TR"),
    ("srilanka", "LK"),
    ("bolivia", "BO"),
    ("plurinationalstateofbolivia", "BO"),
    ("vatican", "VA"),
    ("swaziland", "SZ"),
    ("ivorycoast", "CI"),
];

fn lookup(key: &str) -> Option<&'static str> {
    if key.is_empty() {
        return None;
    }
    if let Some((_, code)) = ALIASES.iter().find(|(alias, _)| *alias == key) {
        return Some(code);
    }
    let found = Country::from_name(key)
        .or_else(|_| Country::from_alias(key))
        .or_else(|_| Country::from_name(format!("the{key}")))
        .ok()?;
    Some(found.alpha2)
}

/// Country names in the order "Korea, Republic of" → "Republic of Korea".
fn uninverted(cleaned: &str) -> Option<String> {
    let (head, tail) = cleaned.split_once(',')?;
    let tail = tail.trim();
    (!tail.is_empty() && !tail.contains(',')).then(|| format!("{tail} {head}"))
}

/// The ISO 3166-1 alpha-2 code (upper case) for a country name or code as found in
/// facility lists, or `None` if it names no country.
///
/// Accepts alpha-2 and alpha-3 codes in any case ("bd", "BGD"), English ISO and
/// short names ("Bangladesh", "Viet Nam", "Türkiye", "Czech Republic"), inverted
/// forms ("KOREA, REPUBLIC OF"), extras in parentheses ("China (PRC)", "Taiwan
/// (ROC)") and stray punctuation ("BANGLADESH;"). "N/A", numbers and other
/// non-names give `None`; numeric ISO codes are not accepted, since a number in a
/// country column is much more often a shifted column than a code.
pub fn normalise_country(input: &str) -> Option<&'static str> {
    let cleaned = clean_text(input);
    if cleaned.is_empty() || cleaned.chars().any(|c| c.is_ascii_digit()) {
        return None;
    }
    // Codes: only when the cell is exactly 2 or 3 letters, so that "N/A" is not
    // Namibia and "U.S." is handled as a name.
    if cleaned.chars().all(|c| c.is_ascii_alphabetic()) {
        let code = match cleaned.len() {
            2 => Country::from_alpha2(&cleaned).ok(),
            3 => Country::from_alpha3(&cleaned).ok(),
            _ => None,
        };
        if let Some(country) = code {
            return Some(country.alpha2);
        }
    }
    if let Some(code) = lookup(&fold_key(&cleaned)) {
        return Some(code);
    }
    if let Some(code) = uninverted(&cleaned).and_then(|s| lookup(&fold_key(&s))) {
        return Some(code);
    }
    // "China (PRC)": try the text outside the parentheses, then inside.
    if let (Some(open), Some(close)) = (cleaned.find('('), cleaned.rfind(')')) {
        if open < close {
            let outside = format!("{} {}", &cleaned[..open], &cleaned[close + 1..]);
            let inside = &cleaned[open + 1..close];
            return lookup(&fold_key(&outside)).or_else(|| normalise_code_or_name(inside));
        }
    }
    None
}

/// The inside of parentheses may be a code ("(CN)") or a name.
fn normalise_code_or_name(text: &str) -> Option<&'static str> {
    if text.contains('(') {
        return None;
    }
    normalise_country(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_in_any_case() {
        assert_eq!(normalise_country("BD"), Some("BD"));
        assert_eq!(normalise_country("bd"), Some("BD"));
        assert_eq!(normalise_country(" cn "), Some("CN"));
        assert_eq!(normalise_country("BGD"), Some("BD"));
        assert_eq!(normalise_country("vnm"), Some("VN"));
        assert_eq!(normalise_country("USA"), Some("US"));
        assert_eq!(normalise_country("UK"), Some("GB"));
        assert_eq!(normalise_country("XK"), Some("XK"));
    }

    #[test]
    fn names_from_the_fixture_files() {
        for (name, code) in [
            ("BANGLADESH", "BD"),
            ("CHINA", "CN"),
            ("INDIA", "IN"),
            ("THAILAND", "TH"),
            ("INDONESIA", "ID"),
            ("VIETNAM", "VN"),
        ] {
            assert_eq!(normalise_country(name), Some(code), "{name}");
        }
    }

    #[test]
    fn messy_names() {
        for (name, code) in [
            ("VIET NAM", "VN"),
            ("Viet Nam", "VN"),
            ("TURKIYE", "TR"),
            ("Türkiye", "TR"),
            ("Turkey", "TR"),
            ("HONG KONG SAR", "HK"),
            ("Hong Kong", "HK"),
            ("Hong Kong SAR, China", "HK"),
            ("KOREA, REPUBLIC OF", "KR"),
            ("Korea, Democratic People's Republic of", "KP"),
            ("South Korea", "KR"),
            ("Czech Republic", "CZ"),
            ("Czechia", "CZ"),
            ("Taiwan", "TW"),
            ("Taiwan, Province of China", "TW"),
            ("Iran, Islamic Republic of", "IR"),
            ("United States", "US"),
            ("United States of America", "US"),
            ("U.S.A.", "US"),
            ("United Kingdom", "GB"),
            ("Russia", "RU"),
            ("Russian Federation", "RU"),
            ("Lao PDR", "LA"),
            ("Côte d'Ivoire", "CI"),
            ("Cote d’Ivoire", "CI"),
            ("Netherlands", "NL"),
            ("The Netherlands", "NL"),
            ("Myanmar", "MM"),
            ("Burma", "MM"),
            ("Sri Lanka", "LK"),
            ("Cambodia", "KH"),
            ("Pakistan", "PK"),
            ("El Salvador", "SV"),
            ("Egypt", "EG"),
            ("China (PRC)", "CN"),
            ("Taiwan (ROC)", "TW"),
            ("Bangladesh (BD)", "BD"),
            ("BANGLADESH;", "BD"),
            ("ＣＨＩＮＡ", "CN"),
            ("CHINA□", "CN"),
            ("Macao SAR", "MO"),
            ("Kosovo", "XK"),
            ("Bolivia, Plurinational State of", "BO"),
        ] {
            assert_eq!(normalise_country(name), Some(code), "{name}");
        }
    }

    #[test]
    fn non_countries() {
        for name in [
            "", "  ", "ATLANTIS", "N/A", "n.a.", "-", "123", "004", "Asia", "Chinaa", "XX", "ZZZ",
        ] {
            assert_eq!(normalise_country(name), None, "{name:?}");
        }
    }
}
