//! Attributes of a physician a patient may filter on.

use serde::Serialize;
use utoipa::ToSchema;

/// Gender as recorded in the directory (NPPES records `F` or `M`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Gender {
    Female,
    Male,
}

impl Gender {
    pub fn parse(s: &str) -> Result<Self, String> {
        match s {
            "female" => Ok(Gender::Female),
            "male" => Ok(Gender::Male),
            _ => Err(format!("unknown gender {s:?}; valid values: female, male")),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Gender::Female => "female",
            Gender::Male => "male",
        }
    }
}

/// A physician's medical degree.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, ToSchema)]
pub enum Credential {
    /// Doctor of Medicine.
    #[serde(rename = "MD")]
    Md,
    /// Doctor of Osteopathic Medicine.
    #[serde(rename = "DO")]
    Do,
}

impl Credential {
    pub fn parse(s: &str) -> Result<Self, String> {
        match s {
            "MD" => Ok(Credential::Md),
            "DO" => Ok(Credential::Do),
            _ => Err(format!("unknown credential {s:?}; valid values: MD, DO")),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Credential::Md => "MD",
            Credential::Do => "DO",
        }
    }
}

/// Every ISO 639-1 two-letter language code.
const ISO_639_1: &str = "aa ab ae af ak am an ar as av ay az ba be bg bi bm bn bo br bs ca ce ch co cr cs cu cv cy \
da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu hy hz \
ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky la lb lg li ln lo \
lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv ny oc oj om or os pa pi pl ps \
pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr ss st su sv sw ta te tg th ti tk tl tn \
to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo za zh zu";

/// A spoken language by its ISO 639-1 code, e.g. `es`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Language([u8; 2]);

impl Language {
    pub fn parse(s: &str) -> Result<Self, String> {
        let valid = s.len() == 2 && ISO_639_1.split(' ').any(|code| code == s);
        match s.as_bytes() {
            &[a, b] if valid => Ok(Language([a, b])),
            _ => Err(format!("{s:?} is not an ISO 639-1 language code (two lower-case letters, e.g. es)")),
        }
    }

    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("language codes are ASCII")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages_are_iso_639_1() {
        assert_eq!(Language::parse("es").unwrap().as_str(), "es");
        for bad in ["ES", "spa", "xx", "", "e"] {
            assert!(Language::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(ISO_639_1.split(' ').count(), 183);
    }
}
