//! Name matching that ignores case and accents, so `nunez` finds "Núñez".

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Lower-cases and strips accents (canonical decomposition, combining marks dropped).
pub fn fold(s: &str) -> String {
    s.nfd().filter(|c| !is_combining_mark(*c)).flat_map(char::to_lowercase).collect()
}

#[cfg(test)]
mod tests {
    use super::fold;

    #[test]
    fn folds_case_and_accents() {
        assert_eq!(fold("Núñez-Ávila"), "nunez-avila");
        assert_eq!(fold("ZOË François"), "zoe francois");
        assert_eq!(fold("Łukasz"), "łukasz", "letters that are not decomposable stay");
    }
}
