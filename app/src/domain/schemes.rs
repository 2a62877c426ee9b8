//! Further pension providers and schemes: who may add them and when, what a valid one is, and
//! how a CSV file of them is read and checked row by row. Pure rules; the server stores them.

use super::status::SchemeStatus;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::oat::{parse_iso_date, DateError, DateRule};
use super::OrganisationName;

/// The most rows one CSV file may hold.
pub const MAX_CSV_ROWS: usize = 500;
/// The largest CSV file accepted, in bytes.
pub const MAX_CSV_BYTES: usize = 1024 * 1024;
/// The columns a CSV file must have, in this order, on its first line.
pub const CSV_HEADER: [&str; 4] = ["name", "regulator", "regulator_number", "connection_date"];

/// The regulator a provider or scheme answers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Regulator {
    /// The Financial Conduct Authority (pension providers).
    Fca,
    /// The Pensions Regulator (occupational pension schemes).
    Tpr,
}

impl Regulator {
    /// Reads "FCA" or "TPR", in any case, spaces around ignored.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw.trim().to_ascii_uppercase().as_str() {
            "FCA" => Some(Self::Fca),
            "TPR" => Some(Self::Tpr),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Self::Fca => "FCA",
            Self::Tpr => "TPR",
        }
    }
}

/// A regulator's reference number: 1 to 20 letters and digits, kept in capitals so that
/// "ab123" and "AB123" are the same number.
pub fn parse_regulator_number(raw: &str) -> Option<String> {
    let n = raw.trim();
    if n.is_empty() || n.len() > 20 || !n.chars().all(|c| c.is_ascii_alphanumeric()) {
        return None;
    }
    Some(n.to_ascii_uppercase())
}

pub const NAME_MESSAGE: &str =
    "Enter the name of the pension provider or scheme, in 200 characters or fewer";
pub const REGULATOR_MESSAGE: &str = "Select the regulator: FCA or TPR";
pub const NUMBER_MESSAGE: &str =
    "Enter the regulator number, using only letters and numbers (up to 20)";

/// A provider or scheme that obeys every rule, ready to be stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewScheme {
    pub name: String,
    pub regulator: Regulator,
    pub regulator_number: String,
    pub connection_date: NaiveDate,
}

/// Checks one provider or scheme. Errors come as (field, message) pairs in the order of the
/// fields, so a form can show them all at once.
pub fn check_scheme(
    name: &str,
    regulator: &str,
    regulator_number: &str,
    date: Result<NaiveDate, DateError>,
    rule: &DateRule,
) -> Result<NewScheme, Vec<(&'static str, String)>> {
    let mut errors = Vec::new();
    let name = OrganisationName::parse(name).ok();
    if name.is_none() {
        errors.push(("scheme_name", NAME_MESSAGE.to_string()));
    }
    let regulator = Regulator::parse(regulator);
    if regulator.is_none() {
        errors.push(("regulator", REGULATOR_MESSAGE.to_string()));
    }
    let number = parse_regulator_number(regulator_number);
    if number.is_none() {
        errors.push(("regulator_number", NUMBER_MESSAGE.to_string()));
    }
    let date = date.and_then(|d| rule.check(d));
    if let Err(e) = &date {
        errors.push(("connection_date", e.to_string()));
    }
    match (name, regulator, number, date) {
        (Some(name), Some(regulator), Some(regulator_number), Ok(connection_date)) => {
            Ok(NewScheme {
                name: name.as_str().to_string(),
                regulator,
                regulator_number,
                connection_date,
            })
        }
        _ => Err(errors),
    }
}

/// A date in a CSV file: `2027-01-31` or the UK way, `31/01/2027`.
pub fn parse_csv_date(raw: &str) -> Result<NaiveDate, DateError> {
    let raw = raw.trim();
    if raw.contains('/') {
        return NaiveDate::parse_from_str(raw, "%d/%m/%Y").map_err(|_| DateError::NotReal);
    }
    parse_iso_date(raw)
}

/// Whether the organisation may add further providers and schemes yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Availability {
    /// No vouching scheme is registered yet.
    NoVouchingScheme,
    /// The vouching scheme has not passed operational acceptance testing yet.
    NotPassed,
    Available,
}

impl Availability {
    /// From the vouching scheme's testing status, if there is one.
    pub fn from_vouching_status(status: Option<SchemeStatus>) -> Self {
        use SchemeStatus::*;
        match status {
            None => Self::NoVouchingScheme,
            Some(Passed | GoLiveConfirmed | Live) => Self::Available,
            Some(_) => Self::NotPassed,
        }
    }
}

/// What is wrong with a CSV file as a whole.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum CsvError {
    #[error("Select a CSV file to upload")]
    Empty,
    #[error("The selected file must be smaller than 1 MB")]
    TooBig,
    #[error("The selected file must be a CSV file saved as UTF-8 text")]
    NotText,
    #[error("The first line of the file must be the column names: name,regulator,regulator_number,connection_date")]
    Header,
    #[error("The selected file has no rows under the column names")]
    NoRows,
    #[error("The selected file must have {MAX_CSV_ROWS} rows or fewer")]
    TooManyRows,
    #[error("The selected file has a quoted value that is never closed (line {0})")]
    OpenQuote(usize),
}

/// Splits CSV text into records of fields, with the line each record starts on. Fields may be
/// quoted ("a, b"), with "" for a quote inside; lines end with LF or CRLF; blank lines are
/// skipped.
pub fn split_csv(text: &str) -> Result<Vec<(usize, Vec<String>)>, CsvError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut records = Vec::new();
    let mut fields: Vec<String> = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut line = 1;
    let mut start = 1;
    let mut chars = text.chars().peekable();
    let mut end_record = |fields: &mut Vec<String>, field: &mut String, start: usize| {
        fields.push(std::mem::take(field));
        let record = std::mem::take(fields);
        if !(record.len() == 1 && record[0].trim().is_empty()) {
            records.push((start, record));
        }
    };
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => {
                if c == '\n' {
                    line += 1;
                }
                field.push(c);
            }
            (false, '"') if field.trim().is_empty() => {
                field.clear();
                quoted = true;
            }
            (false, ',') => fields.push(std::mem::take(&mut field)),
            (false, '\r') if chars.peek() == Some(&'\n') => {}
            (false, '\n') => {
                end_record(&mut fields, &mut field, start);
                line += 1;
                start = line;
            }
            (false, c) => field.push(c),
        }
    }
    if quoted {
        return Err(CsvError::OpenQuote(start));
    }
    end_record(&mut fields, &mut field, start);
    Ok(records)
}

/// One row of an uploaded file and what is wrong with it (nothing, for a good row).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowReport {
    /// The line of the file the row starts on (the column names are line 1).
    pub line: usize,
    pub name: String,
    pub errors: Vec<String>,
}

/// The result of checking a whole file: every row's report, and the schemes when all are good.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CsvCheck {
    pub rows: Vec<RowReport>,
    pub schemes: Vec<NewScheme>,
}

impl CsvCheck {
    /// The whole file is accepted only when every row is good: one bad row rejects it all, so
    /// a corrected file can be uploaded again without making duplicates.
    pub fn accepted(&self) -> bool {
        !self.rows.is_empty() && self.rows.iter().all(|r| r.errors.is_empty())
    }

    pub fn rows_in_error(&self) -> usize {
        self.rows.iter().filter(|r| !r.errors.is_empty()).count()
    }

    /// Adds an error to the row on `line` (checks made outside, such as numbers already
    /// registered).
    pub fn add_error(&mut self, line: usize, message: String) {
        if let Some(r) = self.rows.iter_mut().find(|r| r.line == line) {
            r.errors.push(message);
        }
        self.schemes.clear();
    }
}

/// Checks a CSV file of providers and schemes against the same rules as the one-at-a-time
/// form, and for the same regulator number twice in the file.
pub fn check_csv(bytes: &[u8], rule: &DateRule) -> Result<CsvCheck, CsvError> {
    if bytes.is_empty() {
        return Err(CsvError::Empty);
    }
    if bytes.len() > MAX_CSV_BYTES {
        return Err(CsvError::TooBig);
    }
    let text = std::str::from_utf8(bytes).map_err(|_| CsvError::NotText)?;
    if text.contains('\0') {
        return Err(CsvError::NotText);
    }
    let mut records = split_csv(text)?.into_iter();
    let header = records.next().ok_or(CsvError::Empty)?.1;
    let names: Vec<String> = header.iter().map(|h| h.trim().to_lowercase()).collect();
    if names != CSV_HEADER {
        return Err(CsvError::Header);
    }
    let records: Vec<_> = records.collect();
    if records.is_empty() {
        return Err(CsvError::NoRows);
    }
    if records.len() > MAX_CSV_ROWS {
        return Err(CsvError::TooManyRows);
    }
    let mut rows = Vec::with_capacity(records.len());
    let mut schemes = Vec::with_capacity(records.len());
    let mut seen: Vec<(Regulator, String, usize)> = Vec::new();
    for (line, fields) in records {
        let name = fields
            .first()
            .map(|s| s.trim().to_string())
            .unwrap_or_default();
        if fields.len() != CSV_HEADER.len() {
            rows.push(RowReport {
                line,
                name,
                errors: vec![format!(
                    "The row must have {} values separated by commas; it has {}",
                    CSV_HEADER.len(),
                    fields.len()
                )],
            });
            continue;
        }
        let mut errors = Vec::new();
        match check_scheme(
            &fields[0],
            &fields[1],
            &fields[2],
            parse_csv_date(&fields[3]),
            rule,
        ) {
            Ok(s) => {
                if let Some((_, _, first)) = seen
                    .iter()
                    .find(|(r, n, _)| *r == s.regulator && *n == s.regulator_number)
                {
                    errors.push(format!(
                        "{} {} is also on line {first}: each provider or scheme must be on one line only",
                        s.regulator.code(),
                        s.regulator_number
                    ));
                } else {
                    seen.push((s.regulator, s.regulator_number.clone(), line));
                }
                schemes.push(s);
            }
            Err(e) => errors.extend(e.into_iter().map(|(_, m)| m)),
        }
        rows.push(RowReport { line, name, errors });
    }
    let mut check = CsvCheck { rows, schemes };
    if !check.accepted() {
        check.schemes.clear();
    }
    Ok(check)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule() -> DateRule {
        DateRule::new(NaiveDate::from_ymd_opt(2026, 11, 25).unwrap(), None)
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn a_good_scheme_is_normalised() {
        let s = check_scheme(
            " Acme Master Trust ",
            "tpr",
            " ab123 ",
            Ok(date(2026, 12, 2)),
            &rule(),
        )
        .unwrap();
        assert_eq!(s.name, "Acme Master Trust");
        assert_eq!(s.regulator, Regulator::Tpr);
        assert_eq!(s.regulator_number, "AB123");
        assert_eq!(s.connection_date, date(2026, 12, 2));
    }

    #[test]
    fn every_bad_field_is_reported_in_field_order() {
        let e = check_scheme("", "PRA", "12-34", Ok(date(2026, 12, 1)), &rule()).unwrap_err();
        let fields: Vec<&str> = e.iter().map(|(f, _)| *f).collect();
        assert_eq!(
            fields,
            [
                "scheme_name",
                "regulator",
                "regulator_number",
                "connection_date"
            ]
        );
        assert_eq!(
            e[3].1,
            "Connection date must be the same as or after 2 December 2026"
        );
    }

    #[test]
    fn the_date_rule_is_the_oat_rule() {
        let e = check_scheme("A", "FCA", "1", Ok(date(2028, 11, 26)), &rule()).unwrap_err();
        assert_eq!(
            e[0].1,
            "This portal accepts connection dates up to 25 November 2028: enter that date or an earlier one"
        );
        let e = check_scheme("A", "FCA", "1", Err(DateError::Empty), &rule()).unwrap_err();
        assert_eq!(e[0].1, "Enter the connection date");
    }

    #[test]
    fn only_a_passed_vouching_scheme_makes_adding_available() {
        use Availability::*;
        assert_eq!(Availability::from_vouching_status(None), NoVouchingScheme);
        use SchemeStatus::*;
        for s in [NotRequested, Requested, TestScheduled, Failed] {
            assert_eq!(
                Availability::from_vouching_status(Some(s)),
                NotPassed,
                "{s:?}"
            );
        }
        for s in [Passed, GoLiveConfirmed, Live] {
            assert_eq!(
                Availability::from_vouching_status(Some(s)),
                Available,
                "{s:?}"
            );
        }
    }

    #[test]
    fn csv_dates_may_be_iso_or_uk() {
        assert_eq!(parse_csv_date("2027-01-31"), Ok(date(2027, 1, 31)));
        assert_eq!(parse_csv_date(" 31/01/2027 "), Ok(date(2027, 1, 31)));
        assert_eq!(parse_csv_date("31/02/2027"), Err(DateError::NotReal));
        assert_eq!(parse_csv_date(""), Err(DateError::Empty));
    }

    #[test]
    fn csv_splits_quotes_commas_and_line_ends() {
        let text = "\u{feff}a,b\r\n\"x, \"\"y\"\"\",2\n\n\"multi\nline\",3\n";
        let records = split_csv(text).unwrap();
        assert_eq!(
            records,
            vec![
                (1, vec!["a".to_string(), "b".to_string()]),
                (2, vec!["x, \"y\"".to_string(), "2".to_string()]),
                (4, vec!["multi\nline".to_string(), "3".to_string()]),
            ]
        );
        assert_eq!(split_csv("a\n\"open,1\n"), Err(CsvError::OpenQuote(2)));
    }

    const HEADER: &str = "name,regulator,regulator_number,connection_date\n";

    #[test]
    fn a_good_file_gives_every_scheme() {
        let file = format!("{HEADER}Acme Stakeholder,FCA,123456,2026-12-10\n\"Acme, Final Salary\",TPR,10023456,10/01/2027\n");
        let c = check_csv(file.as_bytes(), &rule()).unwrap();
        assert!(c.accepted());
        assert_eq!(c.schemes.len(), 2);
        assert_eq!(c.schemes[1].name, "Acme, Final Salary");
        assert_eq!(c.rows[1].line, 3);
    }

    #[test]
    fn one_bad_row_rejects_the_file_and_says_which_and_why() {
        let file = format!(
            "{HEADER}Good,FCA,1,2026-12-10\nBad,XYZ,2,2026-12-01\nShort,FCA\nTwice,fca,1,2026-12-11\n"
        );
        let c = check_csv(file.as_bytes(), &rule()).unwrap();
        assert!(!c.accepted());
        assert!(
            c.schemes.is_empty(),
            "nothing is added from a rejected file"
        );
        assert_eq!(c.rows_in_error(), 3);
        assert!(c.rows[0].errors.is_empty());
        assert_eq!(
            c.rows[1].errors,
            vec![
                REGULATOR_MESSAGE.to_string(),
                "Connection date must be the same as or after 2 December 2026".to_string()
            ]
        );
        assert!(c.rows[2].errors[0].contains("it has 2"));
        assert_eq!(
            c.rows[3].errors,
            vec!["FCA 1 is also on line 2: each provider or scheme must be on one line only"]
        );
    }

    #[test]
    fn whole_file_problems_are_named() {
        assert_eq!(check_csv(b"", &rule()), Err(CsvError::Empty));
        assert_eq!(check_csv(b"a,b\n1,2\n", &rule()), Err(CsvError::Header));
        assert_eq!(check_csv(HEADER.as_bytes(), &rule()), Err(CsvError::NoRows));
        assert_eq!(
            check_csv(&[0xff, 0xfe, 0x00], &rule()),
            Err(CsvError::NotText)
        );
        let big = vec![b'a'; MAX_CSV_BYTES + 1];
        assert_eq!(check_csv(&big, &rule()), Err(CsvError::TooBig));
        let many = format!(
            "{HEADER}{}",
            "A,FCA,1,2026-12-10\n".repeat(MAX_CSV_ROWS + 1)
        );
        assert_eq!(
            check_csv(many.as_bytes(), &rule()),
            Err(CsvError::TooManyRows)
        );
        // Column names are read without regard to case or spaces.
        let ok = "Name, Regulator ,REGULATOR_NUMBER,connection_date\nA,FCA,1,2026-12-10";
        assert!(check_csv(ok.as_bytes(), &rule()).unwrap().accepted());
    }

    #[test]
    fn errors_added_later_reject_the_file() {
        let file = format!("{HEADER}A,FCA,1,2026-12-10\n");
        let mut c = check_csv(file.as_bytes(), &rule()).unwrap();
        c.add_error(2, "FCA 1 is already registered".into());
        assert!(!c.accepted());
        assert!(c.schemes.is_empty());
    }
}
