//! The controlled vocabularies a search filters on: specialties (NUCC taxonomy),
//! conditions treated and services offered at a location.
//!
//! Each is a small CSV in `data/`, compiled into the binary, so a term value in the
//! program always names a known entry: unknown values are refused when parsed.

use std::fmt;
use std::marker::PhantomData;
use std::sync::LazyLock;

/// One entry of a vocabulary.
#[derive(Debug)]
pub struct Entry {
    /// URL-safe identifier, e.g. `neuromuscular-medicine` or `lems`.
    pub slug: String,
    /// Human-readable name.
    pub name: String,
    /// The NUCC taxonomy code, for specialties.
    pub code: Option<String>,
    /// The NUCC grouping, for specialties.
    pub group: Option<String>,
}

/// A list of entries, looked up by slug or code.
#[derive(Debug)]
pub struct Vocabulary {
    entries: Vec<Entry>,
}

impl Vocabulary {
    fn from_csv(text: &str) -> Self {
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let headers = reader.headers().expect("embedded vocabulary has a header").clone();
        let column = |name: &str| headers.iter().position(|h| h == name);
        let (slug, name) = (column("slug"), column("display_name"));
        let (code, group) = (column("code"), column("group"));
        let entries = reader
            .records()
            .map(|record| {
                let record = record.expect("embedded vocabulary is valid CSV");
                let field = |i: Option<usize>| i.and_then(|i| record.get(i)).map(str::to_owned);
                Entry {
                    slug: field(slug).expect("slug column"),
                    name: field(name).expect("display_name column"),
                    code: field(code),
                    group: field(group),
                }
            })
            .collect();
        Vocabulary { entries }
    }

    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    fn position(&self, value: &str) -> Option<usize> {
        self.entries.iter().position(|e| e.slug == value || e.code.as_deref() == Some(value))
    }

    fn valid_slugs(&self) -> String {
        let slugs: Vec<&str> = self.entries.iter().map(|e| e.slug.as_str()).collect();
        slugs.join(", ")
    }
}

/// Which vocabulary a [`Term`] belongs to.
pub trait Kind: 'static {
    /// What the term is called in messages, e.g. "specialty".
    const NOUN: &'static str;
    fn vocabulary() -> &'static Vocabulary;
}

/// A known entry of the vocabulary `K`.
pub struct Term<K> {
    index: u16,
    kind: PhantomData<K>,
}

impl<K: Kind> Term<K> {
    /// Looks a slug (or, for specialties, a NUCC code) up; the error lists the
    /// valid slugs.
    pub fn parse(value: &str) -> Result<Self, String> {
        let vocabulary = K::vocabulary();
        match vocabulary.position(value) {
            Some(i) => Ok(Term::at(i)),
            None => Err(format!("unknown {} {value:?}; valid values: {}", K::NOUN, vocabulary.valid_slugs())),
        }
    }

    /// Every term of the vocabulary, in file order.
    pub fn all() -> impl Iterator<Item = Self> {
        (0..K::vocabulary().entries.len()).map(Term::at)
    }

    fn at(index: usize) -> Self {
        Term { index: u16::try_from(index).expect("vocabularies are small"), kind: PhantomData }
    }

    pub fn entry(self) -> &'static Entry {
        &K::vocabulary().entries[usize::from(self.index)]
    }

    pub fn slug(self) -> &'static str {
        &self.entry().slug
    }

    /// Position in the vocabulary: a dense index for per-term tables.
    pub fn index(self) -> usize {
        usize::from(self.index)
    }
}

// Manual impls: derives would needlessly require `K` itself to be Copy, Eq...
impl<K> Clone for Term<K> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<K> Copy for Term<K> {}
impl<K> PartialEq for Term<K> {
    fn eq(&self, other: &Self) -> bool {
        self.index == other.index
    }
}
impl<K> Eq for Term<K> {}
impl<K> PartialOrd for Term<K> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl<K> Ord for Term<K> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.index.cmp(&other.index)
    }
}
impl<K> std::hash::Hash for Term<K> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.index.hash(state)
    }
}
impl<K: Kind> fmt::Debug for Term<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}({})", K::NOUN, self.slug())
    }
}

/// A set of terms of one vocabulary as a bit mask: the search tests a
/// physician's specialties against a filter with one AND instead of a loop.
/// Vocabularies are compiled in and hold at most 32 terms (a test checks).
pub struct TermSet<K> {
    bits: u32,
    kind: PhantomData<K>,
}

impl<K> TermSet<K> {
    pub fn is_empty(self) -> bool {
        self.bits == 0
    }

    pub fn contains(self, term: Term<K>) -> bool {
        self.bits & (1 << term.index) != 0
    }

    pub fn intersects(self, other: Self) -> bool {
        self.bits & other.bits != 0
    }

    /// The members, in vocabulary order.
    pub fn iter(self) -> impl Iterator<Item = Term<K>> {
        (0..32u16).filter(move |i| self.bits & (1 << i) != 0).map(|index| Term { index, kind: PhantomData })
    }
}

impl<K> FromIterator<Term<K>> for TermSet<K> {
    fn from_iter<I: IntoIterator<Item = Term<K>>>(terms: I) -> Self {
        TermSet { bits: terms.into_iter().fold(0, |bits, t| bits | 1 << t.index), kind: PhantomData }
    }
}

impl<K> Clone for TermSet<K> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<K> Copy for TermSet<K> {}
impl<K> Default for TermSet<K> {
    fn default() -> Self {
        TermSet { bits: 0, kind: PhantomData }
    }
}
impl<K: Kind> fmt::Debug for TermSet<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

macro_rules! vocabulary {
    ($(#[$doc:meta])* $kind:ident, $alias:ident, $noun:literal, $file:literal) => {
        $(#[$doc])*
        #[derive(Debug)]
        pub enum $kind {}
        impl Kind for $kind {
            const NOUN: &'static str = $noun;
            fn vocabulary() -> &'static Vocabulary {
                static V: LazyLock<Vocabulary> =
                    LazyLock::new(|| Vocabulary::from_csv(include_str!(concat!("../../data/", $file))));
                &V
            }
        }
        $(#[$doc])*
        pub type $alias = Term<$kind>;
    };
}

vocabulary!(
    /// A NUCC provider taxonomy entry the directory lists (`data/taxonomy.csv`).
    SpecialtyKind, Specialty, "specialty", "taxonomy.csv"
);
vocabulary!(
    /// A condition a physician treats (`data/conditions.csv`).
    ConditionKind, Condition, "condition", "conditions.csv"
);
vocabulary!(
    /// A service offered at a practice location (`data/services.csv`).
    ServiceKind, Service, "service", "services.csv"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specialties_parse_by_slug_or_code() {
        let by_slug = Specialty::parse("neuromuscular-medicine").unwrap();
        let by_code = Specialty::parse("2084N0008X").unwrap();
        assert_eq!(by_slug, by_code);
        assert_eq!(by_slug.entry().code.as_deref(), Some("2084N0008X"));
    }

    #[test]
    fn unknown_terms_list_the_valid_slugs() {
        let message = Condition::parse("lambert-eaton").unwrap_err();
        assert!(message.contains("lems") && message.contains("myasthenia-gravis"), "{message}");
        assert!(Service::parse("EMG").is_err(), "slugs are case-sensitive");
    }

    #[test]
    fn vocabularies_have_unique_slugs_and_codes() {
        fn check<K: Kind>() {
            let entries = K::vocabulary().entries();
            assert!(!entries.is_empty());
            assert!(entries.len() <= 32, "a TermSet holds at most 32 terms");
            for (i, e) in entries.iter().enumerate() {
                assert_eq!(Term::<K>::parse(&e.slug).map(Term::index), Ok(i));
                if let Some(code) = &e.code {
                    assert_eq!(Term::<K>::parse(code).map(Term::index), Ok(i));
                }
            }
        }
        check::<SpecialtyKind>();
        check::<ConditionKind>();
        check::<ServiceKind>();
    }

    #[test]
    fn term_sets_hold_exactly_their_members() {
        let all: Vec<Specialty> = Specialty::all().collect();
        let some: TermSet<SpecialtyKind> = [all[0], all[3], all[all.len() - 1]].into_iter().collect();
        assert_eq!(some.iter().collect::<Vec<_>>(), vec![all[0], all[3], all[all.len() - 1]]);
        assert!(some.contains(all[3]) && !some.contains(all[1]));
        let other: TermSet<SpecialtyKind> = [all[1], all[3]].into_iter().collect();
        assert!(some.intersects(other));
        assert!(!some.intersects([all[1]].into_iter().collect()));
        assert!(TermSet::<SpecialtyKind>::default().is_empty() && !some.is_empty());
    }
}
