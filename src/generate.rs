//! The deterministic generator of fictional directories.
//!
//! The same `(count, seed)` always gives the same directory, so the committed
//! seed (`data/directory.csv`) and benchmark directories of a million physicians
//! come from one piece of code. Names are drawn from lists, places from real ZIP
//! centroids (the gazetteer), with states weighted by population; every person,
//! practice, phone number (555-01xx) and NPI is invented.

use std::collections::{BTreeMap, HashSet};

use crate::clock::civil_from_days;
use crate::directory::{Location, Physician};
use crate::domain::{
    Condition, Credential, Date, Gender, GeoPoint, GeocodePrecision, Language, Npi, Phone, Service,
    Specialty, UsState,
};
use crate::geocode::{Gazetteer, ZipKind, ZipPlace};

/// The seed's generation parameters (`generate --count 3000 --seed 2026`).
pub const SEED_COUNT: usize = 3000;
pub const SEED_SEED: u64 = 2026;

/// 2020 census populations in thousands: the weight of each state's share.
#[rustfmt::skip]
const POPULATION: [(&str, u32); 52] = [
    ("AL", 5024), ("AK", 733), ("AZ", 7152), ("AR", 3012), ("CA", 39538), ("CO", 5774),
    ("CT", 3606), ("DE", 990), ("DC", 690), ("FL", 21538), ("GA", 10712), ("HI", 1455),
    ("ID", 1839), ("IL", 12813), ("IN", 6786), ("IA", 3190), ("KS", 2938), ("KY", 4506),
    ("LA", 4658), ("ME", 1362), ("MD", 6177), ("MA", 7030), ("MI", 10077), ("MN", 5706),
    ("MS", 2961), ("MO", 6154), ("MT", 1084), ("NE", 1962), ("NV", 3105), ("NH", 1378),
    ("NJ", 9289), ("NM", 2118), ("NY", 20201), ("NC", 10439), ("ND", 779), ("OH", 11799),
    ("OK", 3959), ("OR", 4237), ("PA", 13003), ("RI", 1097), ("SC", 5118), ("SD", 887),
    ("TN", 6911), ("TX", 29146), ("UT", 3272), ("VT", 643), ("VA", 8631), ("WA", 7705),
    ("WV", 1794), ("WI", 5894), ("WY", 577), ("PR", 3286),
];

/// Land neighbours of each state and DC: where a physician near a border is
/// often licensed too. Islands and territories have none.
#[rustfmt::skip]
const NEIGHBOURS: [(&str, &str); 49] = [
    ("AL", "FL GA MS TN"), ("AZ", "CA CO NM NV UT"), ("AR", "LA MO MS OK TN TX"), ("CA", "AZ NV OR"),
    ("CO", "AZ KS NE NM OK UT WY"), ("CT", "MA NY RI"), ("DE", "MD NJ PA"), ("DC", "MD VA"),
    ("FL", "AL GA"), ("GA", "AL FL NC SC TN"), ("ID", "MT NV OR UT WA WY"), ("IL", "IA IN KY MO WI"),
    ("IN", "IL KY MI OH"), ("IA", "IL MN MO NE SD WI"), ("KS", "CO MO NE OK"),
    ("KY", "IL IN MO OH TN VA WV"), ("LA", "AR MS TX"), ("ME", "NH"), ("MD", "DC DE PA VA WV"),
    ("MA", "CT NH NY RI VT"), ("MI", "IN OH WI"), ("MN", "IA ND SD WI"), ("MS", "AL AR LA TN"),
    ("MO", "AR IA IL KS KY NE OK TN"), ("MT", "ID ND SD WY"), ("NE", "CO IA KS MO SD WY"),
    ("NV", "AZ CA ID OR UT"), ("NH", "MA ME VT"), ("NJ", "DE NY PA"), ("NM", "AZ CO OK TX UT"),
    ("NY", "CT MA NJ PA VT"), ("NC", "GA SC TN VA"), ("ND", "MN MT SD"), ("OH", "IN KY MI PA WV"),
    ("OK", "AR CO KS MO NM TX"), ("OR", "CA ID NV WA"), ("PA", "DE MD NJ NY OH WV"), ("RI", "CT MA"),
    ("SC", "GA NC"), ("SD", "IA MN MT ND NE WY"), ("TN", "AL AR GA KY MO MS NC VA"),
    ("TX", "AR LA NM OK"), ("UT", "AZ CO ID NM NV WY"), ("VT", "MA NH NY"),
    ("VA", "DC KY MD NC TN WV"), ("WA", "ID OR"), ("WV", "KY MD OH PA VA"), ("WI", "IA IL MI MN"),
    ("WY", "CO ID MT NE SD UT"),
];

/// Members of an interstate licensure compact (an illustrative list): a
/// physician licensed through it holds them all.
const COMPACT: &str = "AL AZ CO CT DE DC GA GU ID IL IA KS KY ME MD MI MN MS MT NE NV NH NJ ND OH OK PA \
                       SD TN TX UT VT VA WA WV WI WY";

/// Practices placed on purpose: the Aleutians (Adak and Unalaska, reached from
/// the far western islands across the 180th meridian) and Guam.
const FIXED_PLACES: [&str; 3] = ["99546", "99685", "96910"];

const GIVEN_FEMALE: &[&str] = &[
    "Abigail",
    "Adaeze",
    "Aiko",
    "Amara",
    "Ana",
    "Anaïs",
    "Beatriz",
    "Camila",
    "Chloé",
    "Dana",
    "Daniela",
    "Elena",
    "Eliza",
    "Esperanza",
    "Farah",
    "Fatima",
    "Grace",
    "Hana",
    "Ingrid",
    "Isabel",
    "Jia",
    "Joanna",
    "Karin",
    "Leilani",
    "Lucía",
    "Mai",
    "Maren",
    "Marisol",
    "Meera",
    "Mira",
    "Nadia",
    "Noor",
    "Olga",
    "Paloma",
    "Priya",
    "Renée",
    "Rosa",
    "Ruth",
    "Sakura",
    "Sofía",
    "Tamar",
    "Thu",
    "Valentina",
    "Wren",
    "Ximena",
    "Yara",
    "Yesenia",
    "Zoë",
];
const GIVEN_MALE: &[&str] = &[
    "Aarav",
    "Adrián",
    "Ahmed",
    "Andrés",
    "Arjun",
    "Bartosz",
    "Bongani",
    "Caleb",
    "Chen",
    "Darius",
    "Diego",
    "Emeka",
    "Étienne",
    "Felipe",
    "François",
    "Gabriel",
    "Hamid",
    "Hiroshi",
    "Ibrahim",
    "Ivan",
    "Jakub",
    "Jamal",
    "Joaquín",
    "Jonas",
    "Kai",
    "Kwame",
    "Lars",
    "Liam",
    "Luis",
    "Malik",
    "Marco",
    "Mateo",
    "Minh",
    "Nikolai",
    "Omar",
    "Pavel",
    "Rafael",
    "Ravi",
    "Samuel",
    "Sebastián",
    "Sung-min",
    "Tariq",
    "Thomas",
    "Tomás",
    "Viktor",
    "Wei",
    "Yusuf",
    "Zoltán",
];
const FAMILY: &[&str] = &[
    "Abara",
    "Acosta",
    "Adeyemi",
    "Albright",
    "Andrade",
    "Bakshi",
    "Balogun",
    "Becker",
    "Bergström",
    "Brannigan",
    "Castellanos",
    "Chaudhry",
    "Cortés",
    "Dąbrowski",
    "Delacroix",
    "Demir",
    "Dunmore",
    "Eklund",
    "Esposito",
    "Farrow",
    "Fitzgerald",
    "Galloway",
    "García-Ruiz",
    "Haddad",
    "Halvorsen",
    "Hargrove",
    "Ibarra",
    "Ishikawa",
    "Jovanović",
    "Kapoor",
    "Kealoha",
    "Kowalczyk",
    "Lindqvist",
    "Llewellyn",
    "Lozano",
    "Mahlangu",
    "Marchetti",
    "Moreau",
    "Muñoz",
    "Nakamura",
    "Ndiaye",
    "Novák",
    "Núñez",
    "Okafor",
    "Olatunji",
    "O'Rourke",
    "Pacheco",
    "Petrov",
    "Quintero",
    "Rahman",
    "Ramírez",
    "Rasmussen",
    "Rinaldi",
    "Sandoval",
    "Schäfer",
    "Sepúlveda",
    "Soto",
    "Strand",
    "Suleiman",
    "Takahashi",
    "Thorne",
    "Trần",
    "Uchenna",
    "Valdés",
    "Varga",
    "Vasquez",
    "Wachowski",
    "Whitfield",
    "Xu",
    "Yamamoto",
    "Yilmaz",
    "Zielinski",
    "Zúñiga",
];
const NAME_ROOTS: &[&str] = &[
    "Al", "Bren", "Cor", "Dal", "Es", "Fen", "Gal", "Hol", "Ivor", "Jas", "Kel", "Lor", "Mar", "Nor", "Or",
    "Pel", "Quen", "Ros", "Sel", "Tor", "Ul", "Ven", "Wil", "Yar", "Zel",
];
const NAME_ENDINGS: &[&str] =
    &["ada", "bury", "crest", "dale", "ford", "haven", "mere", "more", "ton", "wick", "wood", "vale"];
const STREET_KINDS: &[&str] = &["Street", "Avenue", "Road", "Boulevard", "Lane", "Parkway", "Drive"];

/// A small, fast, portable PRNG (SplitMix64): the output must never depend on a
/// library's version.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// True with probability `p`.
    fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }

    /// An index drawn with the given weights.
    fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u64 = weights.iter().map(|&w| u64::from(w)).sum();
        let mut ticket = self.next() % total;
        for (i, &w) in weights.iter().enumerate() {
            if ticket < u64::from(w) {
                return i;
            }
            ticket -= u64::from(w);
        }
        weights.len() - 1
    }
}

/// The kinds of practice the generator draws, each with its conditions and
/// services and how likely each is.
struct Profile {
    /// Primary specialty slugs and their weights (percent of physicians).
    primaries: &'static [(&'static str, u32)],
    /// Specialties that may be added as a secondary.
    secondaries: &'static [&'static str],
    conditions: &'static [(&'static str, f64)],
    services: &'static [(&'static str, f64)],
    practice: &'static [&'static str],
}

const PROFILES: [Profile; 4] = [
    Profile {
        primaries: &[
            ("neuromuscular-medicine", 12),
            ("clinical-neurophysiology", 8),
            ("pmr-neuromuscular-medicine", 3),
            ("electrodiagnostic-medicine", 1),
        ],
        secondaries: &["neurology", "clinical-neurophysiology", "neuromuscular-medicine"],
        conditions: &[
            ("myasthenia-gravis", 0.9),
            ("lems", 0.35),
            ("cidp", 0.7),
            ("guillain-barre-syndrome", 0.6),
            ("als", 0.5),
            ("peripheral-neuropathy", 0.8),
            ("inflammatory-myopathy", 0.5),
            ("muscular-dystrophy", 0.4),
            ("spinal-muscular-atrophy", 0.25),
            ("paraneoplastic-syndromes", 0.2),
        ],
        services: &[
            ("emg", 0.85),
            ("nerve-conduction", 0.85),
            ("repetitive-nerve-stimulation", 0.4),
            ("antibody-testing", 0.4),
            ("infusion", 0.3),
            ("plasma-exchange", 0.1),
            ("physical-therapy", 0.2),
        ],
        practice: &["Neuromuscular Center", "Nerve & Muscle Clinic", "Neuromuscular Associates"],
    },
    Profile {
        primaries: &[
            ("neurology", 40),
            ("child-neurology", 8),
            ("vascular-neurology", 5),
            ("behavioral-neurology", 3),
            ("neurocritical-care", 3),
        ],
        secondaries: &[
            "neurology",
            "clinical-neurophysiology",
            "vascular-neurology",
            "neuromuscular-medicine",
        ],
        conditions: &[
            ("myasthenia-gravis", 0.35),
            ("lems", 0.06),
            ("peripheral-neuropathy", 0.5),
            ("multiple-sclerosis", 0.5),
            ("epilepsy", 0.6),
            ("stroke", 0.5),
            ("guillain-barre-syndrome", 0.2),
            ("cidp", 0.15),
            ("spinal-muscular-atrophy", 0.05),
            ("muscular-dystrophy", 0.05),
        ],
        services: &[("emg", 0.3), ("nerve-conduction", 0.3), ("infusion", 0.15), ("antibody-testing", 0.1)],
        practice: &["Neurology Associates", "Neurology Clinic", "Neuroscience Institute"],
    },
    Profile {
        primaries: &[("physical-medicine-rehabilitation", 8)],
        secondaries: &["pmr-neuromuscular-medicine"],
        conditions: &[
            ("peripheral-neuropathy", 0.5),
            ("muscular-dystrophy", 0.2),
            ("als", 0.15),
            ("stroke", 0.4),
            ("lems", 0.03),
        ],
        services: &[("emg", 0.7), ("nerve-conduction", 0.7), ("physical-therapy", 0.7)],
        practice: &["Rehabilitation Medicine", "Spine & Rehabilitation Center"],
    },
    Profile {
        primaries: &[("medical-oncology", 6), ("hematology-oncology", 3)],
        secondaries: &["medical-oncology", "hematology-oncology"],
        conditions: &[("small-cell-lung-cancer", 0.7), ("paraneoplastic-syndromes", 0.4), ("lems", 0.12)],
        services: &[("infusion", 0.9), ("ct-imaging", 0.7)],
        practice: &["Cancer Center", "Oncology Associates"],
    },
];

const EXTRA_LANGUAGES: &[(&str, f64)] = &[
    ("es", 0.18),
    ("zh", 0.04),
    ("fr", 0.03),
    ("hi", 0.03),
    ("vi", 0.02),
    ("ko", 0.02),
    ("tl", 0.02),
    ("ar", 0.02),
    ("ru", 0.02),
    ("pt", 0.02),
    ("de", 0.01),
    ("pl", 0.01),
    ("ht", 0.01),
];

fn term<T>(parse: fn(&str) -> Result<T, String>, slug: &str) -> T {
    parse(slug).unwrap_or_else(|e| panic!("generator vocabulary: {e}"))
}

/// Standard ZIP codes per state, in ZIP order, for reproducible draws.
fn zips_by_state(gazetteer: &Gazetteer) -> BTreeMap<UsState, Vec<&ZipPlace>> {
    let mut by_state: BTreeMap<UsState, Vec<&ZipPlace>> = BTreeMap::new();
    for place in gazetteer.zips().filter(|z| z.kind == ZipKind::Standard) {
        by_state.entry(place.state).or_default().push(place);
    }
    for zips in by_state.values_mut() {
        zips.sort_by_key(|z| z.zip);
    }
    by_state
}

/// Generates `count` physicians from `seed`, handing each to `sink` in turn
/// (so a million need not be held in memory).
pub fn generate<E>(
    count: usize,
    seed: u64,
    mut sink: impl FnMut(Physician) -> Result<(), E>,
) -> Result<(), E> {
    let gazetteer = Gazetteer::get();
    let by_state = zips_by_state(gazetteer);
    let states: Vec<(UsState, u32)> = POPULATION
        .iter()
        .map(|&(code, weight)| (UsState::parse(code).expect("known state"), weight))
        .collect();
    let weights: Vec<u32> = states.iter().map(|s| s.1).collect();
    let fixed: Vec<&ZipPlace> = FIXED_PLACES
        .iter()
        .map(|z| gazetteer.zip(crate::domain::ZipCode::parse(z).expect("valid")).expect("gazetteer has it"))
        .collect();
    let profile_weights: Vec<u32> = PROFILES.iter().map(|p| p.primaries.iter().map(|x| x.1).sum()).collect();

    let mut rng = Rng(seed);
    let mut npis = HashSet::new();
    for i in 0..count {
        // Every state first, then the fixed places, then by population.
        let home: &ZipPlace = if i < states.len() {
            rng.pick(&by_state[&states[i].0])
        } else if i < states.len() + fixed.len() {
            fixed[i - states.len()]
        } else {
            let state = states[rng.weighted(&weights)].0;
            rng.pick(&by_state[&state])
        };
        let is_fixed = (states.len()..states.len() + fixed.len()).contains(&i);
        // The fixed places are neuromuscular practices that know LEMS, so that a
        // search from the Aleutians for LEMS specialists finds someone.
        let profile = if is_fixed { &PROFILES[0] } else { &PROFILES[rng.weighted(&profile_weights)] };
        let npi = loop {
            let candidate = Npi::from_base(100_000_000 + rng.below(200_000_000) as u32);
            if npis.insert(candidate) {
                break candidate;
            }
        };
        sink(physician(&mut rng, npi, profile, home, &by_state, is_fixed))?;
    }
    Ok(())
}

fn physician(
    rng: &mut Rng,
    npi: Npi,
    profile: &Profile,
    home: &ZipPlace,
    by_state: &BTreeMap<UsState, Vec<&ZipPlace>>,
    knows_lems: bool,
) -> Physician {
    let gender = if rng.chance(0.45) { Gender::Female } else { Gender::Male };
    let given = match gender {
        Gender::Female => rng.pick(GIVEN_FEMALE),
        Gender::Male => rng.pick(GIVEN_MALE),
    };
    let family = rng.pick(FAMILY);
    let primary_weights: Vec<u32> = profile.primaries.iter().map(|p| p.1).collect();
    let primary = term(Specialty::parse, profile.primaries[rng.weighted(&primary_weights)].0);
    let mut specialties = vec![primary];
    if rng.chance(0.25) {
        let secondary = term(Specialty::parse, rng.pick(profile.secondaries));
        if secondary != primary {
            specialties.push(secondary);
        }
    }
    let mut conditions: Vec<Condition> = profile
        .conditions
        .iter()
        .filter(|&&(slug, p)| rng.chance(p) || (knows_lems && slug == "lems"))
        .map(|&(slug, _)| term(Condition::parse, slug))
        .collect();
    conditions.sort();
    let spanish = if home.state.code() == "PR" { 0.95 } else { 0.0 };
    let mut languages = vec![term(Language::parse, "en")];
    languages.extend(
        EXTRA_LANGUAGES
            .iter()
            .filter(|&&(code, p)| rng.chance(if code == "es" { p.max(spanish) } else { p }))
            .map(|&(code, _)| term(Language::parse, code)),
    );
    let (year, month, day) = civil_from_days(20_089 + rng.below(690) as i64); // from 2025-01-01
    let practice =
        format!("{}{} {}", rng.pick(NAME_ROOTS), rng.pick(NAME_ENDINGS), rng.pick(profile.practice));
    let location_count = [1, 1, 1, 1, 1, 1, 2, 2, 2, 3][rng.below(10)];
    let locations: Vec<Location> = (1..=location_count)
        .map(|ordinal| {
            let place = if ordinal == 1 { home } else { rng.pick(&by_state[&home.state]) };
            location(rng, ordinal, &practice, profile, place)
        })
        .collect();
    Physician {
        licensed_states: licenses(npi, &locations),
        npi,
        given_name: given.to_owned(),
        family_name: family.to_owned(),
        credentials: if rng.chance(0.12) { Credential::Do } else { Credential::Md },
        gender,
        specialties,
        conditions,
        languages,
        accepting_new_patients: rng.chance(0.68),
        telehealth: rng.chance(0.55),
        last_updated: Date::parse(&format!("{year:04}-{month:02}-{day:02}")).expect("a valid date"),
        locations,
    }
}

/// Where a physician is licensed: every state they practise in; a third of
/// them also in some of those states' neighbours, and one in twenty-five in
/// every compact state. Drawn from a stream of the physician's own (seeded by
/// the NPI), so that licenses left every other field of a directory as it was.
fn licenses(npi: Npi, locations: &[Location]) -> Vec<UsState> {
    let mut rng = Rng(npi.get());
    let codes = |list: &'static str| list.split_whitespace().map(|c| UsState::parse(c).expect("known state"));
    let mut states: Vec<UsState> = locations.iter().map(|l| l.state).collect();
    if rng.chance(1.0 / 3.0) {
        for l in locations {
            let neighbours = NEIGHBOURS.iter().find(|n| n.0 == l.state.code()).map_or("", |n| n.1);
            states.extend(codes(neighbours).filter(|_| rng.chance(0.5)));
        }
    }
    if rng.chance(0.04) {
        states.extend(codes(COMPACT));
    }
    states.sort_by_key(|s| s.code());
    states.dedup();
    states
}

fn location(rng: &mut Rng, ordinal: u8, practice: &str, profile: &Profile, place: &ZipPlace) -> Location {
    // Within about half a kilometre of the ZIP centroid, rounded to 6 decimals
    // (10 cm) so that the CSV text is the exact value.
    let mut jitter = || (rng.below(10_001) as f64 - 5_000.0) / 1_000_000.0;
    let round = |x: f64| (x * 1e6).round() / 1e6;
    let lat = round((place.point.lat() + jitter()).clamp(-90.0, 90.0));
    let lng = round((place.point.lng() + jitter()).clamp(-180.0, 180.0));
    let area = place.area_codes.first().map_or("555", String::as_str);
    let phone = Phone::parse(&format!("{area}-555-01{:02}", rng.below(100))).expect("a valid phone number");
    let suffix = if ordinal == 1 { String::new() } else { format!(" – {}", place.city) };
    Location {
        ordinal,
        practice_name: format!("{practice}{suffix}").into(),
        street: format!(
            "{} {}{} {}",
            10 + rng.below(9_990),
            rng.pick(NAME_ROOTS),
            rng.pick(NAME_ENDINGS),
            rng.pick(STREET_KINDS)
        )
        .into(),
        city: place.city.as_str().into(),
        state: place.state,
        zip: place.zip,
        phone,
        point: GeoPoint::new(lat, lng).unwrap_or(place.point),
        precision: GeocodePrecision::Address,
        services: profile
            .services
            .iter()
            .filter(|&&(_, p)| rng.chance(p))
            .map(|&(slug, _)| term(Service::parse, slug))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(count: usize, seed: u64) -> Vec<Physician> {
        let mut out = Vec::new();
        generate::<()>(count, seed, |p| {
            out.push(p);
            Ok(())
        })
        .unwrap();
        out
    }

    #[test]
    fn is_deterministic_and_seed_dependent() {
        assert_eq!(collect(200, 1), collect(200, 1));
        assert_ne!(collect(200, 1), collect(200, 2));
    }

    #[test]
    fn physicians_are_licensed_where_they_practise_some_beyond() {
        let physicians = collect(2000, 3);
        let mut more = 0;
        for p in &physicians {
            assert!(p.locations.iter().all(|l| p.licensed_states.contains(&l.state)), "{p:?}");
            let practised: HashSet<UsState> = p.locations.iter().map(|l| l.state).collect();
            more += usize::from(p.licensed_states.len() > practised.len());
        }
        assert!((400..900).contains(&more), "{more} of 2000 licensed beyond where they practise");
        assert!(physicians.iter().any(|p| p.licensed_states.len() > 30), "some through the compact");
    }

    #[test]
    fn covers_every_state_dc_pr_and_the_aleutians() {
        let physicians = collect(100, 9);
        let mut states: Vec<&str> =
            physicians.iter().flat_map(|p| &p.locations).map(|l| l.state.code()).collect();
        states.sort();
        states.dedup();
        assert_eq!(states.len(), 53, "50 states, DC, PR and GU: {states:?}");
        assert!(physicians.iter().any(|p| p.locations.iter().any(|l| l.zip.as_str() == "99546")));
    }
}
