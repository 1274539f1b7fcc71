//! Diagnostic records: what each handle keeps to report through
//! SQLGetDiagRec and SQLGetDiagField (`crate::get_diag`), and the SQLSTATE
//! of each DuckDB error.

use crate::odbc::{self, SqlReturn};

/// One diagnostic record.
#[derive(Clone, Debug)]
pub struct Diagnostic {
    pub state: String,
    pub native: i32,
    pub message: String,
}

/// Diagnostics of one handle, cleared by each new call.
#[derive(Default)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn push(&mut self, state: &str, message: impl Into<String>) {
        self.0.push(Diagnostic {
            state: state.to_string(),
            native: 0,
            message: format!("[MDM DuckDB] {}", message.into()),
        });
    }

    /// Records an error and returns SQL_ERROR.
    pub fn error(&mut self, state: &str, message: impl Into<String>) -> SqlReturn {
        self.push(state, message);
        odbc::ERROR
    }
}

/// SQLSTATE for a DuckDB error message, from its error class and wording.
pub fn state_of(message: &str) -> &'static str {
    let lower = message.to_ascii_lowercase();
    let class = message.split(" Error").next().unwrap_or("");
    match class {
        "Parser" | "Syntax" => "42000",
        "Catalog" if lower.contains("already exists") => "42S01",
        "Catalog" if lower.contains("column") && lower.contains("not") => "42S22",
        "Catalog" => "42S02",
        "Binder" if lower.contains("column") && lower.contains("not found") => "42S22",
        "Binder" if lower.contains("table") && lower.contains("does not exist") => "42S02",
        "Binder" => "42000",
        "Constraint" => "23000",
        "Out of Range" => "22003",
        // An invalid date, time or timestamp value ("date field value out
        // of range", "invalid date field format").
        "Conversion"
            if [
                "date field",
                "time field",
                "timestamp field",
                "interval field",
            ]
            .iter()
            .any(|w| lower.contains(w)) =>
        {
            "22007"
        }
        "Conversion" if lower.contains("out of range") || lower.contains("overflow") => "22003",
        "Conversion" | "Invalid Input" => "22018",
        "INTERRUPT" | "Interrupt" => "HY008",
        "Permission" => "42000",
        "Transaction" | "TransactionContext" => "25000",
        "Division by zero" | "Division By Zero" => "22012",
        "IO" => "HY000",
        _ if lower.contains("read-only") || lower.contains("read only") => "25006",
        _ => "HY000",
    }
}

#[cfg(test)]
mod tests {
    use super::state_of;

    #[test]
    fn invalid_datetime_values_are_22007_and_numbers_out_of_range_22003() {
        assert_eq!(
            state_of("Conversion Error: date field value out of range: \"2024-02-30\""),
            "22007"
        );
        assert_eq!(state_of("Conversion Error: invalid date field format: \"x\", expected format is (YYYY-MM-DD)"), "22007");
        assert_eq!(
            state_of(
                "Conversion Error: timestamp field value out of range: \"2024-13-01 00:00:00\""
            ),
            "22007"
        );
        assert_eq!(state_of("Conversion Error: Type INT32 with value 300 can't be cast because the value is out of range for the destination type INT8"), "22003");
        assert_eq!(
            state_of("Conversion Error: Could not convert string 'abc' to INT32"),
            "22018"
        );
    }
}
