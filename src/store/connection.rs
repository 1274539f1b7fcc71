//! How an ODBC client reaches one dataset: the connection-string
//! attributes and the password kept apart, with the quoting ODBC requires.
//! Backends describe their datasets with it; `mdm dataset connection`
//! prints it.

/// How an ODBC client reaches one dataset: connection-string attributes in
/// order, and the password kept apart so that it is only ever shown on
/// request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Connection {
    pub attributes: Vec<(String, String)>,
    pub password: Option<String>,
}

impl Connection {
    /// `key=value;...` with values quoted as ODBC requires; the password is
    /// `***` unless `show_password`.
    pub fn connection_string(&self, show_password: bool) -> String {
        let mut parts: Vec<String> = self
            .attributes
            .iter()
            .map(|(key, value)| format!("{key}={}", quote_odbc_value(value)))
            .collect();
        if let Some(password) = &self.password {
            let shown = if show_password {
                password.as_str()
            } else {
                "***"
            };
            parts.push(format!("Pwd={}", quote_odbc_value(shown)));
        }
        parts.join(";") + ";"
    }

    /// An `odbc.ini` section named `section` (a DSN attribute cannot appear
    /// in a DSN; its driver is named instead).
    pub fn odbc_ini(&self, section: &str, show_password: bool) -> String {
        let mut text = format!("[{section}]\n");
        for (key, value) in &self.attributes {
            text.push_str(&format!("{key}={value}\n"));
        }
        if let Some(password) = &self.password {
            let shown = if show_password {
                password.as_str()
            } else {
                "***"
            };
            text.push_str(&format!("Password={shown}\n"));
        }
        text
    }
}

/// Quotes a connection-string value when it needs it (`{...}`, with `}`
/// doubled). Separators (`;`) and the values drivers misread unbraced
/// (`+`) are odbc-api's rule ([`escape_separators`]); mdm also braces
/// values with braces or `=`, padded values and empty ones, which some
/// drivers would otherwise cut or trim.
pub fn quote_odbc_value(value: &str) -> String {
    if value.contains(['{', '}', '=']) || value.trim() != value || value.is_empty() {
        braced(value)
    } else {
        escape_separators(value)
    }
}

/// `{value}` with `}` doubled.
fn braced(value: &str) -> String {
    format!("{{{}}}", value.replace('}', "}}"))
}

/// odbc-api's escaping of attribute values.
#[cfg(feature = "odbc")]
fn escape_separators(value: &str) -> String {
    odbc_api::escape_attribute_value(value).into_owned()
}

/// odbc-api's escaping of attribute values, for builds without ODBC (which
/// still print connection strings for other tools): the same rule.
#[cfg(not(feature = "odbc"))]
fn escape_separators(value: &str) -> String {
    if value.contains([';', '+']) {
        braced(value)
    } else {
        value.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_string_values_are_quoted_when_needed() {
        assert_eq!(quote_odbc_value("plain"), "plain");
        assert_eq!(quote_odbc_value("a;b"), "{a;b}");
        assert_eq!(quote_odbc_value("x}y"), "{x}}y}");
        assert_eq!(quote_odbc_value(" padded"), "{ padded}");
        assert_eq!(quote_odbc_value(""), "{}");
    }

    #[test]
    fn values_with_a_plus_are_braced() {
        assert_eq!(quote_odbc_value("pa+ss"), "{pa+ss}");
        assert_eq!(quote_odbc_value("a+}b"), "{a+}}b}");
    }

    #[test]
    fn passwords_are_shown_only_on_request() {
        let connection = Connection {
            attributes: vec![
                ("Driver".into(), "X".into()),
                ("Database".into(), "d;b".into()),
            ],
            password: Some("p}w".into()),
        };
        assert_eq!(
            connection.connection_string(false),
            "Driver=X;Database={d;b};Pwd=***;"
        );
        assert_eq!(
            connection.connection_string(true),
            "Driver=X;Database={d;b};Pwd={p}}w};"
        );
        assert!(connection.odbc_ini("mdm_x", false).contains("Password=***"));
    }
}
