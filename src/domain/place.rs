//! US postal places: states and territories, ZIP codes; and the fixed-shape
//! fields of a practice record, phone numbers and dates.

use std::fmt;

use super::text::Inline;

/// Postal codes and names of the states, DC and the inhabited territories.
#[rustfmt::skip]
const STATES: [(&str, &str); 56] = [
    ("AL", "Alabama"), ("AK", "Alaska"), ("AZ", "Arizona"), ("AR", "Arkansas"),
    ("CA", "California"), ("CO", "Colorado"), ("CT", "Connecticut"), ("DE", "Delaware"),
    ("DC", "District of Columbia"), ("FL", "Florida"), ("GA", "Georgia"), ("HI", "Hawaii"),
    ("ID", "Idaho"), ("IL", "Illinois"), ("IN", "Indiana"), ("IA", "Iowa"), ("KS", "Kansas"),
    ("KY", "Kentucky"), ("LA", "Louisiana"), ("ME", "Maine"), ("MD", "Maryland"),
    ("MA", "Massachusetts"), ("MI", "Michigan"), ("MN", "Minnesota"), ("MS", "Mississippi"),
    ("MO", "Missouri"), ("MT", "Montana"), ("NE", "Nebraska"), ("NV", "Nevada"),
    ("NH", "New Hampshire"), ("NJ", "New Jersey"), ("NM", "New Mexico"), ("NY", "New York"),
    ("NC", "North Carolina"), ("ND", "North Dakota"), ("OH", "Ohio"), ("OK", "Oklahoma"),
    ("OR", "Oregon"), ("PA", "Pennsylvania"), ("RI", "Rhode Island"), ("SC", "South Carolina"),
    ("SD", "South Dakota"), ("TN", "Tennessee"), ("TX", "Texas"), ("UT", "Utah"), ("VT", "Vermont"),
    ("VA", "Virginia"), ("WA", "Washington"), ("WV", "West Virginia"), ("WI", "Wisconsin"),
    ("WY", "Wyoming"), ("PR", "Puerto Rico"), ("GU", "Guam"), ("VI", "U.S. Virgin Islands"),
    ("AS", "American Samoa"), ("MP", "Northern Mariana Islands"),
];

/// A US state, DC or inhabited territory, by its two-letter postal code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UsState(u8);

impl UsState {
    /// Parses a two-letter postal code, in either case.
    pub fn parse(s: &str) -> Result<Self, String> {
        let upper = s.to_ascii_uppercase();
        STATES
            .iter()
            .position(|(code, _)| *code == upper)
            .map(|i| UsState(i as u8))
            .ok_or_else(|| format!("unknown state {s:?}: use a two-letter postal code such as NY or PR"))
    }

    pub fn code(self) -> &'static str {
        STATES[usize::from(self.0)].0
    }

    pub fn name(self) -> &'static str {
        STATES[usize::from(self.0)].1
    }
}

impl fmt::Display for UsState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A five-digit ZIP code. ZIP+4 input is accepted and reduced to its first five
/// digits, which is all the gazetteer locates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ZipCode([u8; 5]);

impl ZipCode {
    /// Accepts `12345` or `12345-6789`.
    pub fn parse(s: &str) -> Result<Self, String> {
        let bytes = s.as_bytes();
        let digits = |b: &[u8]| b.iter().all(u8::is_ascii_digit);
        let ok = match bytes.len() {
            5 => digits(bytes),
            10 => digits(&bytes[..5]) && bytes[5] == b'-' && digits(&bytes[6..]),
            _ => false,
        };
        if !ok {
            return Err(format!("{s:?} is not a ZIP code: use 5 digits or ZIP+4 (12345-6789)"));
        }
        let mut zip = [0; 5];
        zip.copy_from_slice(&bytes[..5]);
        Ok(ZipCode(zip))
    }

    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("ZIP codes are ASCII digits")
    }
}

impl fmt::Display for ZipCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zip_codes_take_five_digits_or_zip_plus_four() {
        assert_eq!(ZipCode::parse("10001").unwrap().as_str(), "10001");
        assert_eq!(ZipCode::parse("00601-1234").unwrap().as_str(), "00601");
        for bad in ["1000", "100010", "10001-123", "10001 1234", "1000a", "", "10001-", "１0001"] {
            assert!(ZipCode::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn states_parse_in_either_case() {
        assert_eq!(UsState::parse("pr").unwrap().code(), "PR");
        assert_eq!(UsState::parse("GU").unwrap().name(), "Guam");
        assert!(UsState::parse("XX").is_err());
        assert!(UsState::parse("AP").is_err(), "military mail codes are not places");
    }
}

/// A US phone number, `NNN-NNN-NNNN`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Phone(Inline<12>);

impl Phone {
    pub fn parse(s: &str) -> Result<Self, String> {
        Inline::of_shape(s, "NNN-NNN-NNNN")
            .map(Phone)
            .ok_or_else(|| format!("{s:?} is not a phone number (NNN-NNN-NNNN)"))
    }

    /// Whether the number is in 555-0100 to 555-0199, the range reserved for
    /// fiction: no real practice answers there.
    pub fn is_fictional(&self) -> bool {
        let text = self.as_str();
        text.get(4..10) == Some("555-01")
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

/// A calendar date, `YYYY-MM-DD` (month 1-12, day 1-31).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date(Inline<10>);

impl Date {
    pub fn parse(s: &str) -> Result<Self, String> {
        let in_range = |r: std::ops::Range<usize>, max: u32| {
            s.get(r).and_then(|n| n.parse::<u32>().ok()).is_some_and(|n| (1..=max).contains(&n))
        };
        Inline::of_shape(s, "NNNN-NN-NN")
            .filter(|_| in_range(5..7, 12) && in_range(8..10, 31))
            .map(Date)
            .ok_or_else(|| format!("{s:?} is not a date (YYYY-MM-DD)"))
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}
