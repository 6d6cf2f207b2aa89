//! Name matching that ignores case and accents, so `nunez` finds "Núñez".

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Lower-cases and strips accents (canonical decomposition, combining marks dropped).
pub fn fold(s: &str) -> String {
    s.nfd().filter(|c| !is_combining_mark(*c)).flat_map(char::to_lowercase).collect()
}

/// Whether `value` has the shape of `pattern`, where `N` stands for any ASCII
/// digit and every other character for itself: `NNN-NNN-NNNN` is a phone number.
pub fn has_shape(value: &str, pattern: &str) -> bool {
    value.len() == pattern.len()
        && value
            .bytes()
            .zip(pattern.bytes())
            .all(|(v, p)| if p == b'N' { v.is_ascii_digit() } else { v == p })
}

/// ASCII text of a fixed length, held inline: a phone number or a date is
/// 12 or 10 bytes, where a `String` would add a pointer, two lengths and an
/// allocation, for each of a million records.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Inline<const N: usize>([u8; N]);

impl<const N: usize> Inline<N> {
    /// `value` if it has the shape of `pattern` (see [`has_shape`]).
    pub fn of_shape(value: &str, pattern: &str) -> Option<Self> {
        has_shape(value, pattern).then(|| Inline(value.as_bytes().try_into().expect("length checked")))
    }

    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("built from a str")
    }
}

impl<const N: usize> std::fmt::Debug for Inline<N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.as_str(), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_are_matched_exactly() {
        assert!(has_shape("212-555-0100", "NNN-NNN-NNNN"));
        assert!(!has_shape("2125550100", "NNN-NNN-NNNN"));
        assert!(!has_shape("212-555-010x", "NNN-NNN-NNNN"));
        assert!(!has_shape("212-555-01000", "NNN-NNN-NNNN"));
        assert_eq!(Inline::<10>::of_shape("2026-11-24", "NNNN-NN-NN").unwrap().as_str(), "2026-11-24");
        assert!(Inline::<10>::of_shape("2026/11/24", "NNNN-NN-NN").is_none());
    }

    #[test]
    fn folds_case_and_accents() {
        assert_eq!(fold("Núñez-Ávila"), "nunez-avila");
        assert_eq!(fold("ZOË François"), "zoe francois");
        assert_eq!(fold("Łukasz"), "łukasz", "letters that are not decomposable stay");
    }
}
