//! ODBC escape sequences in statement text, translated to DuckDB's SQL:
//! `{fn f(...)}` (scalar functions), `{d '...'}`, `{t '...'}`, `{ts '...'}`
//! (date and time literals), `{oj ...}` (outer joins), `{escape '...'}`
//! (LIKE escapes), `{call p(...)}` and `{INTERVAL ...}`. String literals,
//! quoted identifiers and comments are left untouched.

/// Scalar functions whose ODBC name DuckDB spells differently.
fn function_name(name: &str) -> Option<&'static str> {
    Some(match name.to_ascii_uppercase().as_str() {
        "UCASE" => "upper",
        "LCASE" => "lower",
        "IFNULL" => "coalesce",
        "CHAR_LENGTH" | "CHARACTER_LENGTH" | "LENGTH" => "length",
        "LOCATE" => "instr",
        "DATABASE" => "current_database",
        "USER" => "current_user",
        "CURDATE" | "CURRENT_DATE" => "current_date",
        "CURTIME" | "CURRENT_TIME" => "current_time",
        "NOW" | "CURRENT_TIMESTAMP" => "now",
        "DAYOFMONTH" => "dayofmonth",
        "DAYOFWEEK" => "dayofweek",
        "DAYOFYEAR" => "dayofyear",
        "TRUNCATE" => "trunc",
        "LOG" => "ln",
        "RAND" => "random",
        _ => return None,
    })
}

/// Translates every escape sequence in `sql`; text without `{` is returned
/// as it is.
pub fn translate(sql: &str) -> String {
    if !sql.contains('{') {
        return sql.to_string();
    }
    let mut out = String::with_capacity(sql.len());
    let mut rest = sql;
    translate_into(&mut rest, &mut out, false);
    out
}

/// Copies `rest` into `out`, translating escapes, until the end of the
/// text or (when `nested`) the `}` that closes the current escape.
fn translate_into(rest: &mut &str, out: &mut String, nested: bool) {
    while let Some(c) = rest.chars().next() {
        match c {
            '\'' | '"' => {
                let end = quoted_end(rest, c);
                out.push_str(&rest[..end]);
                *rest = &rest[end..];
            }
            '-' if rest.starts_with("--") => {
                let end = rest.find('\n').map_or(rest.len(), |i| i + 1);
                out.push_str(&rest[..end]);
                *rest = &rest[end..];
            }
            '/' if rest.starts_with("/*") => {
                let end = rest.find("*/").map_or(rest.len(), |i| i + 2);
                out.push_str(&rest[..end]);
                *rest = &rest[end..];
            }
            '{' => {
                *rest = &rest[1..];
                translate_escape(rest, out);
            }
            '}' if nested => {
                *rest = &rest[1..];
                return;
            }
            _ => {
                out.push(c);
                *rest = &rest[c.len_utf8()..];
            }
        }
    }
}

/// The length of the quoted literal or identifier at the start of `text`
/// (doubled quotes stay inside it).
fn quoted_end(text: &str, quote: char) -> usize {
    let mut chars = text.char_indices().skip(1).peekable();
    while let Some((i, c)) = chars.next() {
        if c == quote {
            if let Some((_, next)) = chars.peek() {
                if *next == quote {
                    chars.next();
                    continue;
                }
            }
            return i + 1;
        }
    }
    text.len()
}

/// Translates one escape whose `{` has been consumed.
fn translate_escape(rest: &mut &str, out: &mut String) {
    let trimmed = rest.trim_start();
    let keyword_end = trimmed
        .find(|c: char| !c.is_ascii_alphabetic())
        .unwrap_or(trimmed.len());
    let keyword = trimmed[..keyword_end].to_ascii_lowercase();
    let after = &trimmed[keyword_end..];
    let mut inner = String::new();
    match keyword.as_str() {
        "d" | "t" | "ts" => {
            *rest = after;
            translate_into(rest, &mut inner, true);
            let kind = match keyword.as_str() {
                "d" => "DATE",
                "t" => "TIME",
                _ => "TIMESTAMP",
            };
            out.push_str(&format!("{kind} {}", inner.trim()));
        }
        "fn" => {
            *rest = after;
            translate_into(rest, &mut inner, true);
            let body = inner.trim();
            let name_end = body
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .unwrap_or(body.len());
            match function_name(&body[..name_end]) {
                // CURDATE() and friends are keywords without parentheses in
                // DuckDB when written as current_date.
                Some(name @ ("current_date" | "current_time")) => {
                    let arguments = body[name_end..].trim();
                    if arguments == "()" || arguments.is_empty() {
                        out.push_str(name);
                    } else {
                        out.push_str(&format!("{name}{arguments}"));
                    }
                }
                Some(name) => out.push_str(&format!("{name}{}", &body[name_end..])),
                None => out.push_str(body),
            }
        }
        "oj" | "call" | "escape" | "interval" => {
            *rest = after;
            translate_into(rest, &mut inner, true);
            let prefix = match keyword.as_str() {
                "call" => "CALL ",
                "escape" => "ESCAPE ",
                "interval" => "INTERVAL ",
                _ => "",
            };
            out.push_str(&format!("{prefix}{}", inner.trim()));
        }
        _ if trimmed.starts_with('?') => {
            // {? = call ...}: no return values from procedures in DuckDB.
            *rest = trimmed;
            translate_into(rest, &mut inner, true);
            out.push_str(inner.trim());
        }
        _ => {
            // Not an escape (a JSON or struct literal): keep the brace.
            out.push('{');
            translate_into(rest, out, true);
            out.push('}');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::translate;

    #[test]
    fn escapes_become_duckdb_sql() {
        assert_eq!(
            translate("SELECT {d '2024-01-02'}"),
            "SELECT DATE '2024-01-02'"
        );
        assert_eq!(
            translate("SELECT {ts '2024-01-02 03:04:05'}, {t '03:04:05'}"),
            "SELECT TIMESTAMP '2024-01-02 03:04:05', TIME '03:04:05'"
        );
        assert_eq!(translate("SELECT {fn UCASE('a')}"), "SELECT upper('a')");
        assert_eq!(translate("SELECT {fn CURDATE()}"), "SELECT current_date");
        assert_eq!(
            translate("SELECT * FROM {oj a LEFT OUTER JOIN b ON a.x = b.x}"),
            "SELECT * FROM a LEFT OUTER JOIN b ON a.x = b.x"
        );
        assert_eq!(
            translate("SELECT 'x' LIKE 'a\\_%' {escape '\\'}"),
            "SELECT 'x' LIKE 'a\\_%' ESCAPE '\\'"
        );
        assert_eq!(translate("SELECT '{d ''x''}'"), "SELECT '{d ''x''}'");
        assert_eq!(translate("SELECT {'a': 1}"), "SELECT {'a': 1}");
    }
}
