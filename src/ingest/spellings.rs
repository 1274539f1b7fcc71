//! Finding a column's spelling over every value (pass 1): the first value
//! that is not a plain number or ISO date opens the readings it allows
//! (consistent with the values before it), each later value keeps the
//! readings it also parses under, and at the end one reading is left, or
//! several that would give different values. Then the other columns of
//! the same file decide (a file is day-first or month-first, uses one
//! decimal mark), or the column stays text and says why: nothing that
//! could be read two ways is guessed.

use std::sync::OnceLock;

use super::infer::Inferred;
use crate::model::spelling::{DateOrder, DateSpelling, NumberSpelling, Parsed, Spelling};

/// The number readings a file may have, from its delimiter and
/// `--decimal`.
#[derive(Clone, Copy, Debug)]
pub struct Allowed {
    /// `1234,5` and `1.234,5` (not in comma-delimited files unless asked).
    pub decimal_comma: bool,
    /// `1,234.5`, `1 234.5` (unless `--decimal ,`).
    pub decimal_point: bool,
}

/// The date patterns tried on a column whose values are not ISO dates.
const DATE_PATTERNS: &[&str] = &[
    "%d/%m/%Y",
    "%m/%d/%Y",
    "%d.%m.%Y",
    "%m.%d.%Y",
    "%d-%m-%Y",
    "%m-%d-%Y",
    "%Y.%m.%d",
    "%d %b %Y",
    "%b %d, %Y",
    "%b %d %Y",
    "%d-%b-%Y",
    "%d %b, %Y",
];

fn date_patterns() -> &'static [DateSpelling] {
    static PATTERNS: OnceLock<Vec<DateSpelling>> = OnceLock::new();
    PATTERNS.get_or_init(|| {
        DATE_PATTERNS
            .iter()
            .map(|p| DateSpelling::from_pattern(p).expect("built-in patterns parse"))
            .collect()
    })
}

/// One reading still possible for a column.
#[derive(Clone, Debug)]
struct Candidate {
    spelling: Spelling,
    found: Inferred,
    /// Month names seen written in full.
    full_month: Option<bool>,
}

/// The readings still possible for one column.
#[derive(Clone, Debug)]
pub struct Candidates {
    list: Vec<Candidate>,
    /// Given by the user: every value must parse.
    pub forced: bool,
}

/// What decides between readings: a decimal mark or a date order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Convention {
    Decimal(char),
    Order(DateOrder),
}

/// A column's reading at the end of pass 1.
pub enum Resolution {
    Spelled(Spelling, Inferred),
    /// Left as text, with why.
    Text(String),
}

fn inferred(parsed: Parsed) -> Inferred {
    match parsed {
        Parsed::Integer(_) => Inferred::Integer,
        Parsed::Float(_) => Inferred::Float,
        Parsed::Date(_) => Inferred::Date,
        Parsed::Datetime(_) => Inferred::Datetime,
    }
}

impl Candidate {
    /// Reads one more value; false when it does not parse.
    fn admit(&mut self, text: &str, forced: bool) -> bool {
        let parsed = match &mut self.spelling {
            Spelling::Number(number) => {
                match number.read(text, !forced && number.group.is_none()) {
                    Some((parsed, group)) => {
                        if group.is_some() {
                            number.group = group;
                        }
                        parsed
                    }
                    None => return false,
                }
            }
            Spelling::Date(date) => match date.read(text) {
                Some((parsed, full)) => {
                    if let Some(full) = full {
                        self.full_month = Some(self.full_month == Some(true) || full);
                    }
                    parsed
                }
                None => return false,
            },
        };
        self.found = self.found.join(inferred(parsed));
        true
    }

    fn convention(&self) -> Convention {
        match &self.spelling {
            Spelling::Number(number) => Convention::Decimal(number.decimal),
            Spelling::Date(date) => Convention::Order(date.order()),
        }
    }

    fn settled(&self) -> (Spelling, Inferred) {
        let spelling = match &self.spelling {
            Spelling::Date(date) => Spelling::Date(date.adjusted(
                self.full_month,
                self.found == Inferred::Datetime || date.with_time,
            )),
            number => number.clone(),
        };
        (spelling, self.found)
    }
}

impl Candidates {
    /// The readings of a value that is not a plain number or ISO date, in
    /// a column whose earlier values joined to `history` (`dotted`: one of
    /// them had a decimal point that is no group mark). `None` when there
    /// is none: the column is text.
    pub fn open(
        text: &str,
        history: Inferred,
        dotted: bool,
        allowed: Allowed,
    ) -> Option<Candidates> {
        let mut list = Vec::new();
        let first = *text.as_bytes().first()?;
        let numeric_history = matches!(
            history,
            Inferred::Null | Inferred::Integer | Inferred::Float
        );
        if numeric_history && (first.is_ascii_digit() || matches!(first, b'-' | b'+' | b',' | b'.'))
        {
            let mut marks = Vec::new();
            if allowed.decimal_point {
                marks.push('.');
            }
            if allowed.decimal_comma && !dotted {
                marks.push(',');
            }
            for decimal in marks {
                let mut candidate = Candidate {
                    spelling: Spelling::Number(NumberSpelling {
                        decimal,
                        group: None,
                    }),
                    found: history,
                    full_month: None,
                };
                if candidate.admit(text, false) {
                    list.push(candidate);
                }
            }
        }
        if history == Inferred::Null && first.is_ascii_alphanumeric() {
            for date in date_patterns() {
                let mut candidate = Candidate {
                    spelling: Spelling::Date(date.clone()),
                    found: Inferred::Null,
                    full_month: None,
                };
                if candidate.admit(text, false) {
                    list.push(candidate);
                }
            }
        }
        (!list.is_empty()).then_some(Candidates {
            list,
            forced: false,
        })
    }

    /// The one reading the user gave.
    pub fn forced(spelling: Spelling) -> Candidates {
        Candidates {
            list: vec![Candidate {
                spelling,
                found: Inferred::Null,
                full_month: None,
            }],
            forced: true,
        }
    }

    /// Keeps the readings `text` parses under; false when none is left.
    pub fn admit(&mut self, text: &str) -> bool {
        if self.forced {
            // The given reading stays, to be named in the error.
            return self.list[0].admit(text, true);
        }
        self.list.retain_mut(|c| c.admit(text, false));
        !self.list.is_empty()
    }

    /// The first reading's text form (what a forced column must match).
    pub fn text(&self) -> String {
        self.list
            .first()
            .map_or_else(String::new, |c| c.spelling.text())
    }

    /// The convention of a column with one reading left (what other
    /// columns of the file may follow).
    pub fn decided(&self) -> Option<Convention> {
        match self.list.as_slice() {
            [only] => Some(only.convention()),
            _ => None,
        }
    }

    /// The column's reading: the one left, else the one the file's other
    /// columns (`evidence`) follow, else text with why.
    pub fn resolve(&self, column: &str, evidence: &[Convention]) -> Resolution {
        if let [only] = self.list.as_slice() {
            let (spelling, found) = only.settled();
            return match found {
                // A forced column of nulls only.
                Inferred::Null => Resolution::Text("no values".into()),
                _ => Resolution::Spelled(spelling, found),
            };
        }
        let following: Vec<&Candidate> = self
            .list
            .iter()
            .filter(|c| evidence.contains(&c.convention()))
            .collect();
        if let [only] = following.as_slice() {
            let (spelling, found) = only.settled();
            return Resolution::Spelled(spelling, found);
        }
        let readings: Vec<String> = self.list.iter().map(|c| c.settled().0.text()).collect();
        let why = match self.list[0].spelling {
            Spelling::Date(_) => format!(
                "its dates read as {} alike (no day above 12); give --date-format {column}={}",
                readings.join(" or "),
                readings[0]
            ),
            Spelling::Number(_) => format!(
                "its numbers read as {} alike (groups of three digits after the mark); give --decimal , or --decimal .",
                readings.join(" or ")
            ),
        };
        Resolution::Text(why)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ANY: Allowed = Allowed {
        decimal_comma: true,
        decimal_point: true,
    };

    fn column(values: &[&str], allowed: Allowed) -> Resolution {
        let mut candidates = Candidates::open(values[0], Inferred::Null, false, allowed).unwrap();
        for value in &values[1..] {
            assert!(candidates.admit(value), "{value}");
        }
        candidates.resolve("c", &[])
    }

    fn spelled(resolution: Resolution) -> (String, Inferred) {
        match resolution {
            Resolution::Spelled(spelling, found) => (spelling.text(), found),
            Resolution::Text(why) => panic!("text: {why}"),
        }
    }

    #[test]
    fn a_day_above_twelve_decides_the_order() {
        let values = ["05/03/2020", "28/01/2018", "13/02/2019"];
        assert_eq!(
            spelled(column(&values, ANY)),
            ("%d/%m/%Y".into(), Inferred::Date)
        );
        let values = ["01/28/2018 13:45", "02/13/2019 08:00"];
        assert_eq!(
            spelled(column(&values, ANY)),
            ("%m/%d/%Y %H:%M:%S".into(), Inferred::Datetime)
        );
    }

    #[test]
    fn ambiguous_dates_stay_text_unless_the_file_decides() {
        let values = ["05/03/2020", "01/02/2019"];
        let Resolution::Text(why) = column(&values, ANY) else {
            panic!("guessed");
        };
        assert!(why.contains("%d/%m/%Y or %m/%d/%Y"), "{why}");
        let mut candidates = Candidates::open(values[0], Inferred::Null, false, ANY).unwrap();
        assert!(candidates.admit(values[1]));
        let evidence = [Convention::Order(DateOrder::DayFirst)];
        assert!(matches!(
            candidates.resolve("c", &evidence),
            Resolution::Spelled(..)
        ));
    }

    #[test]
    fn month_names_and_grouped_numbers_are_read() {
        let values = ["Jan 5, 2021", "March 13, 2020"];
        assert_eq!(spelled(column(&values, ANY)).0, "%B %d, %Y");
        let values = ["5 January 2021", "13 Feb 2020"];
        assert_eq!(spelled(column(&values, ANY)).0, "%d %B %Y");
        let values = ["1,234.50", "999.00", "12,345"];
        assert_eq!(
            spelled(column(&values, ANY)),
            ("1,234.5".into(), Inferred::Float)
        );
        let values = ["1.234,50", "999,00"];
        assert_eq!(
            spelled(column(&values, ANY)),
            ("1.234,5".into(), Inferred::Float)
        );
        let values = ["1 234,50", "12"];
        assert_eq!(spelled(column(&values, ANY)).0, "1 234,5");
        let values = ["1234,5", "-0,25"];
        assert_eq!(spelled(column(&values, ANY)).0, "1234,5");
    }

    #[test]
    fn a_number_that_reads_two_ways_is_not_guessed() {
        assert!(matches!(
            column(&["1,234", "5,678"], ANY),
            Resolution::Text(_)
        ));
        let point_only = Allowed {
            decimal_comma: false,
            decimal_point: true,
        };
        assert_eq!(
            spelled(column(&["1,234", "5,678"], point_only)),
            ("1,234.5".into(), Inferred::Integer)
        );
        // A value before the first grouped one had a decimal point that
        // is no group mark: the comma cannot be the decimal mark.
        let candidates = Candidates::open("1,234", Inferred::Float, true, ANY).unwrap();
        assert_eq!(candidates.decided(), Some(Convention::Decimal('.')));
    }
}
