//! How a column's values are written in its source when that is not the
//! spelling every reader takes (ISO 8601 dates, plain numbers): numbers
//! with a decimal comma or grouped digits (`1,234.50`, `1.234,50`,
//! `1 234,50`), and dates day-first, month-first or with month names
//! (`28/01/2018`, `01/28/2018`, `Jan 5, 2021`, `5 January 2021`), each
//! optionally followed by a time. A column has at most one spelling:
//! registration finds it over every value (or the user gives it), the load
//! parses with it, and `export --source-format` writes it back.
//!
//! Its text form is what `_metadata` records and `--date-format` takes: a
//! strftime-style pattern for dates (`%d/%m/%Y`, `%b %d, %Y`), and for
//! numbers the number 1234.5 as the column writes it (`1,234.5`,
//! `1.234,5`, `1 234,5`, `1234,5`).

use std::fmt::Write;

use crate::time;

/// One column's spelling.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Spelling {
    Number(NumberSpelling),
    Date(DateSpelling),
}

/// A value read with a spelling.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Parsed {
    Integer(i64),
    Float(f64),
    /// Days since 1970-01-01.
    Date(i32),
    /// Microseconds since 1970-01-01 UTC.
    Datetime(i64),
}

/// Numbers with a decimal mark and, optionally, a digit-group separator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NumberSpelling {
    /// `.` or `,`.
    pub decimal: char,
    pub group: Option<char>,
}

/// Characters that separate groups of three digits: the other decimal
/// mark, a space (also no-break and narrow no-break) or an apostrophe.
const GROUP_MARKS: [char; 5] = [',', '.', ' ', '\u{a0}', '\u{202f}'];
const APOSTROPHE: char = '\'';

impl NumberSpelling {
    /// Reads one number; `adopt` lets a spelling without a group mark
    /// take the first one it meets (detection), which it reports.
    pub fn read(&self, text: &str, adopt: bool) -> Option<(Parsed, Option<char>)> {
        read_number(text, self.decimal, self.group, adopt)
    }

    /// Writes an integer or a float in this spelling (the shortest text
    /// that reads back as the same double).
    pub fn format(&self, out: &mut String, value: Parsed) {
        let plain = match value {
            Parsed::Integer(i) => i.to_string(),
            Parsed::Float(f) if f.is_finite() => ryu::Buffer::new().format_finite(f).to_string(),
            Parsed::Float(f) => {
                out.push_str(if f.is_nan() {
                    "NaN"
                } else if f > 0.0 {
                    "inf"
                } else {
                    "-inf"
                });
                return;
            }
            Parsed::Date(_) | Parsed::Datetime(_) => return,
        };
        if plain.contains(['e', 'E']) {
            // An exponent is never grouped; only the mark changes.
            out.push_str(&plain.replace('.', &self.decimal.to_string()));
            return;
        }
        let (sign, digits) = match plain.strip_prefix('-') {
            Some(rest) => ("-", rest),
            None => ("", plain.as_str()),
        };
        let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
        out.push_str(sign);
        for (index, digit) in whole.chars().enumerate() {
            if index > 0 && (whole.len() - index).is_multiple_of(3) {
                if let Some(group) = self.group {
                    out.push(group);
                }
            }
            out.push(digit);
        }
        if !fraction.is_empty() {
            out.push(self.decimal);
            out.push_str(fraction);
        }
    }

    fn text(&self) -> String {
        match self.group {
            Some(group) => format!("1{group}234{}5", self.decimal),
            None => format!("1234{}5", self.decimal),
        }
    }

    fn from_text(text: &str) -> Result<NumberSpelling, String> {
        let chars: Vec<char> = text.chars().collect();
        let spelling = match chars.as_slice() {
            ['1', '2', '3', '4', decimal, '5'] => NumberSpelling {
                decimal: *decimal,
                group: None,
            },
            ['1', group, '2', '3', '4', decimal, '5'] => NumberSpelling {
                decimal: *decimal,
                group: Some(*group),
            },
            _ => return Err(format!("`{text}` is not a number spelling: write 1234.5 as the column does (1,234.5, 1.234,5, 1 234,5 or 1234,5)")),
        };
        let group_ok = spelling
            .group
            .is_none_or(|g| g != spelling.decimal && (GROUP_MARKS.contains(&g) || g == APOSTROPHE));
        if !matches!(spelling.decimal, '.' | ',') || !group_ok {
            return Err(format!(
                "`{text}`: the decimal mark is . or , and groups are separated by the other mark, a space or '"
            ));
        }
        Ok(spelling)
    }
}

/// One number in a spelling: an optional sign, digits (in groups of three
/// after the first when a group mark is used), an optional decimal part,
/// and an exponent only when no group mark is. Values that the plain
/// parsers take and that do not use the other mark read as they would.
fn read_number(
    text: &str,
    decimal: char,
    group: Option<char>,
    adopt: bool,
) -> Option<(Parsed, Option<char>)> {
    let first = *text.as_bytes().first()?;
    if !(first.is_ascii_digit() || matches!(first, b'-' | b'+' | b'.' | b',' | b'i' | b'I')) {
        return None;
    }
    let is_group_mark = |c: char| (GROUP_MARKS.contains(&c) || c == APOSTROPHE) && c != decimal;
    // No group mark and no decimal comma: the plain parsers decide.
    if !text.contains(|c: char| is_group_mark(c) || (decimal == ',' && c == ',')) {
        return plain_number(text).map(|p| (p, None));
    }
    let (sign, body) = match text.as_bytes()[0] {
        b'-' => ("-", &text[1..]),
        b'+' => ("", &text[1..]),
        _ => ("", text),
    };
    let mut normal = String::with_capacity(text.len());
    normal.push_str(sign);
    let mut seen_group: Option<char> = None;
    let mut run = 0usize;
    let mut runs = 0usize;
    let mut first_run = 0usize;
    let mut chars = body.char_indices();
    let mut fraction = false;
    let mut exponent = false;
    for (_, c) in chars.by_ref() {
        if c.is_ascii_digit() {
            normal.push(c);
            run += 1;
        } else if c == decimal && !fraction {
            fraction = true;
            normal.push('.');
            break;
        } else if is_group_mark(c) {
            match (seen_group, group) {
                (Some(seen), _) if seen != c => return None,
                (None, Some(fixed)) if fixed != c => return None,
                (None, None) if !adopt => return None,
                _ => {}
            }
            if run == 0 || (runs > 0 && run != 3) || run > 3 && runs == 0 {
                return None;
            }
            if runs == 0 {
                first_run = run;
            }
            seen_group = Some(c);
            runs += 1;
            run = 0;
        } else if (c == 'e' || c == 'E') && seen_group.is_none() && run > 0 {
            exponent = true;
            normal.push('e');
            break;
        } else {
            return None;
        }
    }
    if runs > 0 && run != 3 {
        return None;
    }
    // `0,123` grouped is no number anyone writes.
    if runs > 0 && first_run == 1 && body.starts_with('0') {
        return None;
    }
    if fraction {
        let mut digits = 0;
        for (_, c) in chars.by_ref() {
            if c.is_ascii_digit() {
                normal.push(c);
                digits += 1;
            } else if (c == 'e' || c == 'E') && seen_group.is_none() && digits > 0 {
                exponent = true;
                normal.push('e');
                break;
            } else {
                return None;
            }
        }
        if digits == 0 {
            return None;
        }
    }
    if exponent {
        let rest: String = chars.map(|(_, c)| c).collect();
        let digits = rest.strip_prefix(['-', '+']).unwrap_or(&rest);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        normal.push_str(&rest);
    }
    if normal.trim_start_matches('-').is_empty() {
        return None;
    }
    if !fraction && !exponent {
        // Leading zeros keep an ungrouped value text (codes, zip codes).
        let value = if runs == 0 {
            super::parse::parse_integer(&normal)?
        } else {
            normal.parse().ok()?
        };
        return Some((Parsed::Integer(value), seen_group));
    }
    if normal.starts_with('.') || normal.starts_with("-.") {
        normal.insert(normal.find('.').unwrap_or(0), '0');
    }
    let value: f64 = normal.parse().ok()?;
    (!value.is_nan()).then_some((Parsed::Float(value), seen_group))
}

/// A number as the plain parsers read it.
fn plain_number(text: &str) -> Option<Parsed> {
    if let Some(value) = super::parse::parse_integer(text) {
        return Some(Parsed::Integer(value));
    }
    if text
        .bytes()
        .all(|b| b.is_ascii_digit() || b == b'-' || b == b'+')
    {
        // Leading zeros or out of range: a code, not a number.
        return None;
    }
    super::parse::parse_float(text).map(Parsed::Float)
}

/// Dates (with an optional time) in a pattern of day, month and year.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DateSpelling {
    items: Vec<Item>,
    /// Whether the column's values carry a time of day (for the text form
    /// and for writing back).
    pub with_time: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Item {
    Day,
    Month,
    /// `Jan` or `January` (either is read; `full` is how it is written).
    MonthName {
        full: bool,
    },
    Year,
    Literal(u8),
    /// One or more spaces.
    Space,
}

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

/// Which field a date pattern puts first: what decides between readings
/// of `05/03/2020`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DateOrder {
    DayFirst,
    MonthFirst,
    /// Year first, or a month name: no value can be read two ways.
    Unambiguous,
}

impl DateSpelling {
    /// Parses a strftime-style pattern: `%d` (or `%e`), `%m`, `%b`/`%B`,
    /// `%Y`, spaces and literal characters; a time part (`%H:%M`, `%I`,
    /// `%S`, `%p`, `%z`, ...) after the date is read whatever its exact
    /// shape.
    pub fn from_pattern(pattern: &str) -> Result<DateSpelling, String> {
        let mut items = Vec::new();
        let mut with_time = false;
        let mut chars = pattern.bytes();
        while let Some(byte) = chars.next() {
            match byte {
                b'%' => match chars.next() {
                    Some(b'd' | b'e') => items.push(Item::Day),
                    Some(b'm') => items.push(Item::Month),
                    Some(b'b' | b'h') => items.push(Item::MonthName { full: false }),
                    Some(b'B') => items.push(Item::MonthName { full: true }),
                    Some(b'Y') => items.push(Item::Year),
                    Some(b'%') => items.push(Item::Literal(b'%')),
                    Some(b'H' | b'I' | b'M' | b'S' | b'p' | b'z' | b'f' | b'T' | b'R') => {
                        with_time = true;
                        break;
                    }
                    Some(b'y') => {
                        return Err(format!(
                            "`{pattern}`: two-digit years (%y) are not read: the century would be a guess; use %Y"
                        ))
                    }
                    other => {
                        return Err(format!(
                            "`{pattern}`: %{} is not a date field (use %d, %m, %b, %B, %Y and a time such as %H:%M:%S)",
                            other.map_or(String::new(), |b| (b as char).to_string())
                        ))
                    }
                },
                b' ' => {
                    if items.last() != Some(&Item::Space) {
                        items.push(Item::Space);
                    }
                }
                other => items.push(Item::Literal(other)),
            }
        }
        // The separator before the time belongs to the time.
        while matches!(items.last(), Some(Item::Space | Item::Literal(b'T'))) && with_time {
            items.pop();
        }
        let count = |wanted: fn(&Item) -> bool| items.iter().filter(|i| wanted(i)).count();
        if count(|i| *i == Item::Day) != 1
            || count(|i| matches!(i, Item::Month | Item::MonthName { .. })) != 1
            || count(|i| *i == Item::Year) != 1
        {
            return Err(format!(
                "`{pattern}` is not a date format: it needs one day (%d), one month (%m or %b) and one year (%Y)"
            ));
        }
        Ok(DateSpelling { items, with_time })
    }

    /// Which field comes first.
    pub fn order(&self) -> DateOrder {
        let position = |wanted: Item| self.items.iter().position(|i| *i == wanted);
        match (
            position(Item::Day),
            position(Item::Month),
            position(Item::Year),
        ) {
            (Some(day), Some(month), Some(year)) if year > day.min(month) => {
                if day < month {
                    DateOrder::DayFirst
                } else {
                    DateOrder::MonthFirst
                }
            }
            _ => DateOrder::Unambiguous,
        }
    }

    /// Reads one value; also says whether a month name was written in
    /// full (`None` when the pattern has no month name).
    pub fn read(&self, text: &str) -> Option<(Parsed, Option<bool>)> {
        let bytes = text.as_bytes();
        let mut at = 0;
        let (mut day, mut month, mut year) = (0u32, 0u32, 0i64);
        let mut full = None;
        for item in &self.items {
            match *item {
                Item::Day => day = digits(bytes, &mut at, 1, 2)?,
                Item::Month => month = digits(bytes, &mut at, 1, 2)?,
                Item::Year => year = digits(bytes, &mut at, 4, 4)? as i64,
                Item::MonthName { .. } => {
                    let start = at;
                    while at < bytes.len() && bytes[at].is_ascii_alphabetic() {
                        at += 1;
                    }
                    let name = text[start..at].to_ascii_lowercase();
                    // `Sep`, `Sept` and `September` are all September.
                    let index = MONTHS.iter().position(|m| {
                        *m == name
                            || name.len() == 3 && m.starts_with(&name)
                            || name == "sept" && *m == "september"
                    })?;
                    month = index as u32 + 1;
                    // `May` reads the same either way: abbreviated.
                    full = Some(name.len() > 3 && name == MONTHS[index]);
                    if bytes.get(at) == Some(&b'.') && name.len() == 3 {
                        at += 1;
                    }
                }
                Item::Literal(byte) => {
                    if bytes.get(at) != Some(&byte) {
                        return None;
                    }
                    at += 1;
                }
                Item::Space => {
                    let start = at;
                    while bytes.get(at) == Some(&b' ') {
                        at += 1;
                    }
                    if at == start {
                        return None;
                    }
                }
            }
        }
        let days = time::civil_days(year, month, day)?;
        let rest = &text[at..];
        if rest.is_empty() {
            return Some((Parsed::Date(days as i32), full));
        }
        let micros = time::parse_time_of_day(rest)?;
        Some((Parsed::Datetime(days * time::MICROS_PER_DAY + micros), full))
    }

    /// The pattern with month names written in full or abbreviated, and
    /// with or without a time.
    pub fn adjusted(&self, full_month: Option<bool>, with_time: bool) -> DateSpelling {
        let items = self
            .items
            .iter()
            .map(|item| match (item, full_month) {
                (Item::MonthName { .. }, Some(full)) => Item::MonthName { full },
                _ => *item,
            })
            .collect();
        DateSpelling { items, with_time }
    }

    /// Writes a date or timestamp in this pattern (times as
    /// `HH:MM:SS[.ffffff]`, UTC).
    pub fn format(&self, out: &mut String, value: Parsed) {
        let (days, in_day) = match value {
            Parsed::Date(days) => (days as i64, None),
            Parsed::Datetime(micros) => (
                micros.div_euclid(time::MICROS_PER_DAY),
                Some(micros.rem_euclid(time::MICROS_PER_DAY)),
            ),
            Parsed::Integer(_) | Parsed::Float(_) => return,
        };
        let (year, month, day) = time::civil_from_days(days);
        for item in &self.items {
            let _ = match *item {
                Item::Day => write!(out, "{day:02}"),
                Item::Month => write!(out, "{month:02}"),
                Item::Year => write!(out, "{year:04}"),
                Item::MonthName { full } => {
                    let name = MONTHS[month as usize - 1];
                    let shown = if full { name } else { &name[..3] };
                    out.push_str(&shown[..1].to_ascii_uppercase());
                    out.push_str(&shown[1..]);
                    Ok(())
                }
                Item::Literal(byte) => {
                    out.push(byte as char);
                    Ok(())
                }
                Item::Space => {
                    out.push(' ');
                    Ok(())
                }
            };
        }
        if let Some(micros) = in_day {
            let seconds = micros / 1_000_000;
            let _ = write!(
                out,
                " {:02}:{:02}:{:02}",
                seconds / 3600,
                seconds % 3600 / 60,
                seconds % 60
            );
            if micros % 1_000_000 != 0 {
                let _ = write!(out, ".{:06}", micros % 1_000_000);
            }
        }
    }

    fn text(&self) -> String {
        let mut text = String::new();
        for item in &self.items {
            match *item {
                Item::Day => text.push_str("%d"),
                Item::Month => text.push_str("%m"),
                Item::MonthName { full: false } => text.push_str("%b"),
                Item::MonthName { full: true } => text.push_str("%B"),
                Item::Year => text.push_str("%Y"),
                Item::Literal(b'%') => text.push_str("%%"),
                Item::Literal(byte) => text.push(byte as char),
                Item::Space => text.push(' '),
            }
        }
        if self.with_time {
            text.push_str(" %H:%M:%S");
        }
        text
    }
}

/// `min..=max` ASCII digits at `*at`, advancing past them.
fn digits(bytes: &[u8], at: &mut usize, min: usize, max: usize) -> Option<u32> {
    let start = *at;
    let mut value = 0u32;
    while *at < bytes.len() && *at - start < max && bytes[*at].is_ascii_digit() {
        value = value * 10 + u32::from(bytes[*at] - b'0');
        *at += 1;
    }
    (*at - start >= min).then_some(value)
}

impl Spelling {
    /// Parses the text form: a date pattern (with `%`) or a number.
    pub fn from_text(text: &str) -> Result<Spelling, String> {
        if text.contains('%') {
            DateSpelling::from_pattern(text).map(Spelling::Date)
        } else {
            NumberSpelling::from_text(text).map(Spelling::Number)
        }
    }

    /// The text form (`%d/%m/%Y`, `1,234.5`).
    pub fn text(&self) -> String {
        match self {
            Spelling::Number(number) => number.text(),
            Spelling::Date(date) => date.text(),
        }
    }

    /// Reads one value strictly in this spelling.
    pub fn read(&self, text: &str) -> Option<Parsed> {
        match self {
            Spelling::Number(number) => number.read(text, false).map(|(p, _)| p),
            Spelling::Date(date) => date.read(text).map(|(p, _)| p),
        }
    }

    /// Writes one value in this spelling.
    pub fn format(&self, out: &mut String, value: Parsed) {
        match self {
            Spelling::Number(number) => number.format(out, value),
            Spelling::Date(date) => date.format(out, value),
        }
    }

    /// A plain number written with a decimal comma (`1234,5`): the
    /// spelling `info` has long called "decimal comma".
    pub fn is_decimal_comma(&self) -> bool {
        matches!(
            self,
            Spelling::Number(NumberSpelling {
                decimal: ',',
                group: None
            })
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn number(decimal: char, group: Option<char>) -> NumberSpelling {
        NumberSpelling { decimal, group }
    }

    #[test]
    fn grouped_numbers_read_in_their_own_spelling_only() {
        let us = number('.', Some(','));
        assert_eq!(us.read("1,234.50", false).unwrap().0, Parsed::Float(1234.5));
        assert_eq!(
            us.read("-12,345,678", false).unwrap().0,
            Parsed::Integer(-12_345_678)
        );
        assert_eq!(us.read("999.5", false).unwrap().0, Parsed::Float(999.5));
        assert!(us.read("1,23.5", false).is_none());
        assert!(us.read("1234,567", false).is_none());
        assert!(us.read("1.234,5", false).is_none());
        let de = number(',', Some('.'));
        assert_eq!(de.read("1.234,50", false).unwrap().0, Parsed::Float(1234.5));
        assert_eq!(de.read("1.234", false).unwrap().0, Parsed::Integer(1234));
        assert!(de.read("1.5", false).is_none());
        let fr = number(',', Some('\u{a0}'));
        assert_eq!(
            fr.read("1\u{a0}234,5", false).unwrap().0,
            Parsed::Float(1234.5)
        );
        let comma = number(',', None);
        assert_eq!(comma.read("-0,5", false).unwrap().0, Parsed::Float(-0.5));
        assert!(comma.read("1 234,5", false).is_none());
        assert_eq!(
            comma.read("1 234,5", true),
            Some((Parsed::Float(1234.5), Some(' ')))
        );
        assert!(comma.read("00123", false).is_none());
    }

    #[test]
    fn numbers_write_back_in_their_spelling() {
        let cases = [
            (
                number('.', Some(',')),
                Parsed::Float(1234567.25),
                "1,234,567.25",
            ),
            (number(',', Some('.')), Parsed::Integer(-1234), "-1.234"),
            (number(',', Some(' ')), Parsed::Float(0.5), "0,5"),
            (number(',', None), Parsed::Float(1e300), "1e300"),
        ];
        for (spelling, value, text) in cases {
            let mut out = String::new();
            spelling.format(&mut out, value);
            assert_eq!(out, text);
            assert_eq!(spelling.read(&out, false).unwrap().0, value);
        }
    }

    #[test]
    fn dates_read_in_patterns_and_write_back() {
        let dmy = DateSpelling::from_pattern("%d/%m/%Y").unwrap();
        assert_eq!(dmy.order(), DateOrder::DayFirst);
        let day = time::parse_date("2018-01-28").unwrap();
        assert_eq!(dmy.read("28/01/2018").unwrap().0, Parsed::Date(day));
        assert_eq!(dmy.read("28/1/2018").unwrap().0, Parsed::Date(day));
        assert!(dmy.read("01/28/2018").is_none());
        assert!(dmy.read("29/02/2019").is_none());
        let mdy = DateSpelling::from_pattern("%m/%d/%Y %I:%M %p").unwrap();
        assert!(mdy.with_time);
        assert_eq!(mdy.order(), DateOrder::MonthFirst);
        let noon = time::parse_datetime("2018-01-28 13:05:00").unwrap();
        assert_eq!(
            mdy.read("01/28/2018 1:05 PM").unwrap().0,
            Parsed::Datetime(noon)
        );
        let named = DateSpelling::from_pattern("%b %d, %Y").unwrap();
        assert_eq!(named.order(), DateOrder::Unambiguous);
        assert_eq!(named.read("Jan 28, 2018").unwrap().0, Parsed::Date(day));
        assert_eq!(
            named.read("January 28, 2018").unwrap(),
            (Parsed::Date(day), Some(true))
        );
        let mut out = String::new();
        named
            .adjusted(Some(true), false)
            .format(&mut out, Parsed::Date(day));
        assert_eq!(out, "January 28, 2018");
        out.clear();
        dmy.adjusted(None, true)
            .format(&mut out, Parsed::Datetime(noon + 5));
        assert_eq!(out, "28/01/2018 13:05:00.000005");
        assert!(DateSpelling::from_pattern("%d/%m/%y").is_err());
        assert!(DateSpelling::from_pattern("%d/%m").is_err());
    }

    #[test]
    fn text_forms_round_trip() {
        for text in [
            "%d/%m/%Y",
            "%b %d, %Y",
            "%d-%B-%Y %H:%M:%S",
            "1,234.5",
            "1.234,5",
            "1234,5",
            "1'234.5",
        ] {
            assert_eq!(Spelling::from_text(text).unwrap().text(), text);
        }
        assert!(Spelling::from_text("1,234,5").is_err());
        assert!(Spelling::from_text("12345").is_err());
    }
}
