//! The one difference in SQL text between the backends: statements are written once
//! in PostgreSQL's form, and [`to_sqlite`] rewrites them for SQLite.
//!
//! Two rewrites, nothing else:
//! - `$N` becomes `?N`. SQLite reads `$1` as a *named* parameter and numbers named
//!   parameters in order of first appearance, so `… $2 … $4 … LIMIT $3` would bind
//!   the third value to `$4`. `?N` keeps the number.
//! - ` FOR UPDATE` is dropped. SQLite has no row locks; a write transaction there
//!   is `BEGIN IMMEDIATE`, which holds the whole database's write lock instead.
//!
//! Text inside single-quoted literals, double-quoted identifiers and `--` comments
//! is left alone.

/// `sql` (PostgreSQL form) rewritten for SQLite.
pub fn to_sqlite(sql: &str) -> String {
    let bytes = sql.as_bytes();
    let mut out = String::with_capacity(sql.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            quote @ (b'\'' | b'"') => {
                let end = bytes[i + 1..]
                    .iter()
                    .position(|&b| b == quote)
                    .map_or(bytes.len(), |p| i + 1 + p + 1);
                out.push_str(&sql[i..end]);
                i = end;
            }
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                let end = bytes[i..]
                    .iter()
                    .position(|&b| b == b'\n')
                    .map_or(bytes.len(), |p| i + p);
                out.push_str(&sql[i..end]);
                i = end;
            }
            b'$' if bytes.get(i + 1).is_some_and(u8::is_ascii_digit) => {
                out.push('?');
                i += 1;
            }
            c if c.is_ascii_whitespace() => match after_for_update(&bytes[i..]) {
                0 => {
                    out.push(char::from(c));
                    i += 1;
                }
                lock => i += lock,
            },
            _ => {
                let next = sql[i..].chars().next().map_or(1, char::len_utf8);
                out.push_str(&sql[i..i + next]);
                i += next;
            }
        }
    }
    out
}

/// The length of a leading ` FOR UPDATE` (whitespace, `FOR`, whitespace, `UPDATE`,
/// then a word boundary; any case), or 0.
fn after_for_update(rest: &[u8]) -> usize {
    let skip_ws = |from: usize| {
        from + rest[from..]
            .iter()
            .take_while(|b| b.is_ascii_whitespace())
            .count()
    };
    let word = |at: usize, w: &[u8]| {
        rest.len() >= at + w.len() && rest[at..at + w.len()].eq_ignore_ascii_case(w)
    };
    let a = skip_ws(0);
    if a == 0 || !word(a, b"FOR") {
        return 0;
    }
    let b = skip_ws(a + 3);
    if b == a + 3 || !word(b, b"UPDATE") {
        return 0;
    }
    let end = b + 6;
    match rest.get(end) {
        Some(c) if c.is_ascii_alphanumeric() || *c == b'_' => 0,
        _ => end,
    }
}

#[cfg(test)]
mod tests {
    use super::to_sqlite;

    #[test]
    fn numbered_parameters_keep_their_numbers() {
        assert_eq!(
            to_sqlite("SELECT a FROM t WHERE o = $1 AND s > $2 AND d <> $4 ORDER BY s LIMIT $3"),
            "SELECT a FROM t WHERE o = ?1 AND s > ?2 AND d <> ?4 ORDER BY s LIMIT ?3"
        );
        assert_eq!(to_sqlite("VALUES ($10, $2)"), "VALUES (?10, ?2)");
    }

    #[test]
    fn row_locks_are_dropped() {
        assert_eq!(
            to_sqlite("SELECT last FROM org_seq WHERE organisation_id = $1 FOR UPDATE"),
            "SELECT last FROM org_seq WHERE organisation_id = ?1"
        );
        assert_eq!(
            to_sqlite("SELECT w FROM device WHERE id = $1\n   for  update"),
            "SELECT w FROM device WHERE id = ?1"
        );
        // Only the whole words.
        assert_eq!(
            to_sqlite("SELECT x FROM t WHERE a = $1 FOR UPDATES"),
            "SELECT x FROM t WHERE a = ?1 FOR UPDATES"
        );
        assert_eq!(to_sqlite("SELECT x FORUPDATE"), "SELECT x FORUPDATE");
    }

    #[test]
    fn literals_identifiers_and_comments_are_left_alone() {
        assert_eq!(
            to_sqlite("SELECT '$1 FOR UPDATE', \"$2\" FROM t -- $3 FOR UPDATE\nWHERE a = $4"),
            "SELECT '$1 FOR UPDATE', \"$2\" FROM t -- $3 FOR UPDATE\nWHERE a = ?4"
        );
        assert_eq!(
            to_sqlite("INSERT INTO d (n) VALUES ('server') ON CONFLICT (id) DO NOTHING"),
            "INSERT INTO d (n) VALUES ('server') ON CONFLICT (id) DO NOTHING"
        );
        // A lone dollar sign, an unterminated literal and non-ASCII text survive.
        assert_eq!(to_sqlite("SELECT '$ é' || $"), "SELECT '$ é' || $");
        assert_eq!(to_sqlite("SELECT 'open $1"), "SELECT 'open $1");
    }
}
