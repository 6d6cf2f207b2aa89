//! National Provider Identifier: ten digits whose last is a Luhn check digit
//! computed over the card-issuer prefix `80840` followed by the first nine digits.

use std::fmt;

/// A National Provider Identifier with a valid check digit.
///
/// Stored as its numeric value: every NPI has exactly ten digits and no leading
/// zero issue arises, so ordering by the number is ordering by the string.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Npi(u64);

/// Why a string is not an NPI.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NpiError {
    #[error("an NPI is exactly 10 digits")]
    Format,
    #[error("the NPI check digit is wrong")]
    CheckDigit,
}

impl Npi {
    /// Parses ten ASCII digits and verifies the check digit.
    pub fn parse(s: &str) -> Result<Self, NpiError> {
        let bytes = s.as_bytes();
        if bytes.len() != 10 || !bytes.iter().all(u8::is_ascii_digit) {
            return Err(NpiError::Format);
        }
        let digits: Vec<u8> = bytes.iter().map(|b| b - b'0').collect();
        if check_digit(&digits[..9]) != digits[9] {
            return Err(NpiError::CheckDigit);
        }
        Ok(Npi(s.parse().map_err(|_| NpiError::Format)?))
    }

    /// Completes a nine-digit identifier (100000000..=299999999 in practice)
    /// with its check digit.
    pub fn from_base(base: u32) -> Self {
        let digits: Vec<u8> = format!("{base:09}").bytes().map(|b| b - b'0').collect();
        Npi(u64::from(base) * 10 + u64::from(check_digit(&digits)))
    }

    /// The NPI as a number (for compact keys such as the paging cursor).
    pub fn get(self) -> u64 {
        self.0
    }

    /// Rebuilds an NPI from [`Npi::get`], verifying it again.
    pub fn from_u64(n: u64) -> Result<Self, NpiError> {
        Self::parse(&format!("{n:010}"))
    }
}

/// Luhn check digit of `80840` followed by `digits`.
fn check_digit(digits: &[u8]) -> u8 {
    let prefixed = [8, 0, 8, 4, 0].iter().chain(digits);
    // Luhn: double every second digit counting leftwards from the rightmost
    // payload digit (the check digit's neighbour is doubled).
    let sum: u32 = prefixed
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            let d = u32::from(d);
            if i % 2 == 0 {
                let twice = d * 2;
                twice / 10 + twice % 10
            } else {
                d
            }
        })
        .sum();
    ((10 - sum % 10) % 10) as u8
}

impl fmt::Display for Npi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:010}", self.0)
    }
}

impl serde::Serialize for Npi {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_cms_worked_example() {
        // CMS's published example: 123456789 has check digit 3.
        assert_eq!(Npi::parse("1234567893").map(Npi::get), Ok(1234567893));
        assert_eq!(Npi::from_base(123456789).to_string(), "1234567893");
    }

    #[test]
    fn rejects_a_wrong_check_digit_and_bad_shapes() {
        for wrong in 0..10 {
            let s = format!("123456789{wrong}");
            let expected = if wrong == 3 { Ok(()) } else { Err(NpiError::CheckDigit) };
            assert_eq!(Npi::parse(&s).map(|_| ()), expected, "{s}");
        }
        for bad in ["", "123456789", "12345678933", "12345678a3", " 1234567893", "１234567893"] {
            assert_eq!(Npi::parse(bad), Err(NpiError::Format), "{bad:?}");
        }
    }

    #[test]
    fn every_generated_npi_validates_and_any_single_digit_change_fails() {
        for base in [100000000u32, 123456789, 198765432, 299999999] {
            let npi = Npi::from_base(base);
            let s = npi.to_string();
            assert_eq!(Npi::parse(&s), Ok(npi));
            for pos in 0..10 {
                for d in b'0'..=b'9' {
                    let mut b = s.clone().into_bytes();
                    if b[pos] == d {
                        continue;
                    }
                    b[pos] = d;
                    let altered = String::from_utf8(b).unwrap();
                    assert!(Npi::parse(&altered).is_err(), "{altered} passed");
                }
            }
        }
    }
}
