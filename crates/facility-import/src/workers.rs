//! Worker counts: exact numbers and the ranges brand lists and Open Supply Hub use.
//!
//! A count becomes `(workers_min, workers_max)`:
//!
//! | input | min | max |
//! | --- | --- | --- |
//! | `500`, `1,200`, `1.200`, `~500`, `about 500 workers` | n | n |
//! | `1001-5000`, `1001–5000`, `1001 to 5000`, `1000~5000`, `between 1001 and 5000` | a | b |
//! | `<1000`, `Less than 1000`, `under 1000`, `fewer than 1000` | – | n − 1 |
//! | `<=1000`, `up to 1000`, `max 1000`, `1000 or less` | – | n |
//! | `>10000`, `More than 10000`, `over 10000`, `above 10000` | n + 1 | – |
//! | `5000+`, `>=5000`, `at least 5000`, `5000 or more` | n | – |
//! | empty, `n/a`, `unknown`, `-` | – | – |
//!
//! "–" means unknown (`None`): "less than 1000" says nothing about the lower bound.
//! Anything else (words, decimals, negative numbers, a range written backwards) is an
//! error whose text says what is accepted.

use super::clean::clean_text;

/// Separators accepted between groups of three digits ("1,200", "1.200", "1 200").
fn is_group_separator(c: char) -> bool {
    matches!(c, ',' | '.' | ' ' | '\'' | '’')
}

/// Replaces every number in `text` by `#` and returns the shape and the numbers.
/// A separator followed by exactly three digits continues the number.
fn shape_and_numbers(text: &str) -> Result<(String, Vec<i64>), String> {
    let chars: Vec<char> = text.chars().collect();
    let mut shape = String::new();
    let mut numbers = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            shape.push(chars[i]);
            i += 1;
            continue;
        }
        let mut digits = String::new();
        while i < chars.len() && chars[i].is_ascii_digit() {
            digits.push(chars[i]);
            i += 1;
        }
        loop {
            let group = chars.get(i + 1..i + 4);
            let after = chars.get(i + 4);
            let continues = i < chars.len()
                && is_group_separator(chars[i])
                && group.is_some_and(|g| g.iter().all(char::is_ascii_digit))
                && !after.is_some_and(char::is_ascii_digit);
            if !continues {
                break;
            }
            digits.extend(&chars[i + 1..i + 4]);
            i += 4;
        }
        let value: i64 = digits
            .parse()
            .map_err(|_| format!("{digits} is too large for a worker count"))?;
        numbers.push(value);
        shape.push('#');
    }
    Ok((shape, numbers))
}

/// Words that add nothing to the count.
const FILLER: &[&str] = &[
    "approximately",
    "approx.",
    "approx",
    "about",
    "around",
    "circa",
    "ca.",
    "workers",
    "worker",
    "employees",
    "employee",
    "people",
    "persons",
    "staff",
    "total",
];

fn strip_filler(shape: &str) -> String {
    let mut s = shape.to_string();
    for word in FILLER {
        s = s.replace(word, "");
    }
    let mut s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    if let Some(rest) = s.strip_prefix('~') {
        s = rest.to_string();
    }
    s
}

/// Parses a worker count or range into `(min, max)`; see the module docs for the
/// accepted forms. The error says what is wrong and what would be accepted.
pub fn parse_worker_count(input: &str) -> Result<(Option<i64>, Option<i64>), String> {
    let cleaned = clean_text(input).to_lowercase();
    if matches!(
        cleaned.as_str(),
        "" | "-" | "--" | "?" | "n/a" | "na" | "n.a." | "none" | "unknown" | "not applicable"
    ) {
        return Ok((None, None));
    }
    let unreadable = || {
        format!(
            "worker count \"{}\" is not a number or range; use e.g. 500, 1001-5000, <1000 or 5000+",
            clean_text(input)
        )
    };
    let (shape, numbers) = shape_and_numbers(&cleaned)?;
    let shape = strip_filler(&shape)
        .replace(['–', '—', '‒', '−', '〜', '～'], "-")
        .replace('≤', "<=")
        .replace('≥', ">=");
    let n = |k: usize| numbers.get(k).copied();
    let (min, max) = match (shape.as_str(), n(0), n(1)) {
        ("#", Some(a), None) => (Some(a), Some(a)),
        ("#-#" | "#to#" | "#~#" | "between#and#" | "from#to#", Some(a), Some(b)) => {
            if a > b {
                return Err(format!(
                    "worker range {a}-{b} has the larger number first; write {b}-{a}"
                ));
            }
            (Some(a), Some(b))
        }
        ("<#" | "lessthan#" | "under#" | "fewerthan#" | "below#", Some(a), None) => {
            if a == 0 {
                return Err(unreadable());
            }
            (None, Some(a - 1))
        }
        (
            "<=#" | "upto#" | "max#" | "max.#" | "maximum#" | "atmost#" | "#orless" | "#orfewer",
            Some(a),
            None,
        ) => (None, Some(a)),
        (">#" | "morethan#" | "over#" | "above#" | "greaterthan#", Some(a), None) => {
            (Some(a.saturating_add(1)), None)
        }
        (
            "#+" | ">=#" | "atleast#" | "min#" | "min.#" | "minimum#" | "#ormore" | "#andabove"
            | "#andover" | "#plus",
            Some(a),
            None,
        ) => (Some(a), None),
        _ => return Err(unreadable()),
    };
    Ok((min, max))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(input: &str) -> (Option<i64>, Option<i64>) {
        match parse_worker_count(input) {
            Ok(v) => v,
            Err(e) => panic!("{input:?}: {e}"),
        }
    }

    #[test]
    fn exact_numbers() {
        assert_eq!(ok("500"), (Some(500), Some(500)));
        assert_eq!(ok(" 1,200 "), (Some(1200), Some(1200)));
        assert_eq!(ok("1.200"), (Some(1200), Some(1200)));
        assert_eq!(ok("1 200 000"), (Some(1_200_000), Some(1_200_000)));
        assert_eq!(ok("１２００"), (Some(1200), Some(1200)));
        assert_eq!(ok("~500"), (Some(500), Some(500)));
        assert_eq!(ok("about 500 workers"), (Some(500), Some(500)));
        assert_eq!(ok("0"), (Some(0), Some(0)));
    }

    #[test]
    fn ranges() {
        assert_eq!(ok("1001-5000"), (Some(1001), Some(5000)));
        assert_eq!(ok("1001–5000"), (Some(1001), Some(5000)));
        assert_eq!(ok("1,001 — 5,000"), (Some(1001), Some(5000)));
        assert_eq!(ok("1001 to 5000"), (Some(1001), Some(5000)));
        assert_eq!(ok("1000~5000"), (Some(1000), Some(5000)));
        assert_eq!(ok("Between 1001 and 5000"), (Some(1001), Some(5000)));
    }

    #[test]
    fn open_ranges() {
        assert_eq!(ok("<1000"), (None, Some(999)));
        assert_eq!(ok("< 1000"), (None, Some(999)));
        assert_eq!(ok("Less than 1000"), (None, Some(999)));
        assert_eq!(ok("<=1000"), (None, Some(1000)));
        assert_eq!(ok("≤1000"), (None, Some(1000)));
        assert_eq!(ok("up to 1000"), (None, Some(1000)));
        assert_eq!(ok("5000+"), (Some(5000), None));
        assert_eq!(ok(">=5000"), (Some(5000), None));
        assert_eq!(ok(">10000"), (Some(10001), None));
        assert_eq!(ok("More than 10000"), (Some(10001), None));
        assert_eq!(ok("More than 10,000 workers"), (Some(10001), None));
    }

    #[test]
    fn empty_means_unknown() {
        for input in ["", "  ", "N/A", "unknown", "-"] {
            assert_eq!(ok(input), (None, None), "{input:?}");
        }
    }

    #[test]
    fn rejects_what_is_not_a_count() {
        for input in [
            "lots",
            "1.5",
            "1,5",
            "-500",
            "5000-1001",
            "<0",
            "12 34 56 x",
            "99999999999999999999",
        ] {
            let err = parse_worker_count(input).expect_err(input);
            assert!(!err.is_empty());
        }
        let err = parse_worker_count("lots").expect_err("lots");
        assert!(
            err.contains("\"lots\"") && err.contains("1001-5000"),
            "{err}"
        );
        let err = parse_worker_count("5000-1001").expect_err("backwards");
        assert!(err.contains("larger number first"), "{err}");
    }
}
