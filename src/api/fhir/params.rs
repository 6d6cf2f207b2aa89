//! FHIR search parameters: what each resource type accepts (the declaration
//! the CapabilityStatement is written from, so it lists exactly what is
//! parsed), and the parsing itself.
//!
//! R4 semantics: a parameter repeated is AND, values separated by commas are
//! OR; string parameters match the start of a word-folded value (`:exact`
//! matches exactly); an unknown parameter is a 400 unless the request says
//! `Prefer: handling=lenient`, when it is ignored and left out of the `self`
//! link. A parameter given without a value is ignored.

use crate::api::fhir::outcome::Outcome;
use crate::api::fhir::resources::{Id, NPI_SYSTEM, NUCC_SYSTEM};
use crate::api::fhir::vocabulary::CONDITIONS;
use crate::domain::text::fold;
use crate::domain::{Condition, GeoPoint, Npi, Specialty};
use crate::search::cursor::fnv1a;
use crate::search::{Candidate, Cursor, CursorKey, Near, PlaceKey};

/// A search parameter as the CapabilityStatement lists it.
pub struct Declared {
    pub name: &'static str,
    /// Its FHIR search parameter type.
    pub kind: &'static str,
    pub doc: &'static str,
}

/// What searching one resource type takes.
pub struct Searchable {
    pub resource: &'static str,
    pub params: &'static [Declared],
    /// `_include` values.
    pub includes: &'static [&'static str],
    /// The parameter that ranks by distance, if any.
    near: Option<&'static str>,
}

const fn param(name: &'static str, kind: &'static str, doc: &'static str) -> Declared {
    Declared { name, kind, doc }
}

pub const PRACTITIONER: Searchable = Searchable {
    resource: "Practitioner",
    params: &[
        param("_id", "token", "The NPI"),
        param("identifier", "token", "The NPI, system http://hl7.org/fhir/sid/us-npi"),
        param("name", "string", "Any part of the name starts with the text (case- and accent-insensitive)"),
        param("family", "string", "The family name starts with the text"),
        param("given", "string", "The given name starts with the text"),
    ],
    includes: &[],
    near: None,
};

pub const LOCATION: Searchable = Searchable {
    resource: "Location",
    params: &[
        param("_id", "token", "The location id, {npi}-{ordinal}"),
        param(
            "near",
            "special",
            "lat|lng|distance|units: within the geodesic (WGS84) distance, nearest first; units km \
             (default), m, [mi_i] or [mi_us]; without a distance, the nearest _count",
        ),
        param("address-city", "string", "The city starts with the text"),
        param("address-state", "string", "The two-letter state code"),
        param("address-postalcode", "string", "The ZIP code starts with the text"),
        param("organization", "reference", "The practice (Organization) at the location"),
    ],
    includes: &[],
    near: Some("near"),
};

pub const PRACTITIONER_ROLE: Searchable = Searchable {
    resource: "PractitionerRole",
    params: &[
        param("_id", "token", "The role id, {npi}-{ordinal} (its location's)"),
        param(
            "location.near",
            "special",
            "lat|lng|distance|units, as Location's near: roles ranked by the geodesic distance to their \
             location",
        ),
        param("specialty", "token", "NUCC taxonomy code, system http://nucc.org/provider-taxonomy"),
        param("practitioner", "reference", "The Practitioner (NPI)"),
        param("location", "reference", "The Location"),
        param("organization", "reference", "The Organization"),
        param("service", "reference", "A HealthcareService offered in the role"),
        param("condition", "token", "A condition the physician treats (our CodeSystem conditions)"),
        param("newpatients", "token", "Plan-Net AcceptingPatientsCS: newpt or nopt"),
        param(
            "_lastUpdated",
            "date",
            "When the physician's record was last confirmed (eq, ne, gt, lt, ge, le)",
        ),
    ],
    includes: &[
        "PractitionerRole:practitioner",
        "PractitionerRole:location",
        "PractitionerRole:organization",
        "PractitionerRole:service",
    ],
    near: Some("location.near"),
};

/// Every searchable resource type.
pub const SEARCHABLE: [&Searchable; 3] = [&PRACTITIONER, &PRACTITIONER_ROLE, &LOCATION];

/// The parameters that shape the answer rather than select.
const RESULT_PARAMS: [&str; 4] = ["_count", "_total", "_sort", "cursor"];
pub const DEFAULT_COUNT: usize = 20;
pub const MAX_COUNT: usize = 100;
/// The most values the criteria of one search take, each of a
/// comma-separated list counted (`_count`, `_total`, `_sort`, `cursor`,
/// `_include` and `near` aside). Every value is a test run against every
/// resource the search reaches, so this bounds what one request can cost.
pub const MAX_VALUES: usize = 100;
/// The longest value, in characters (a cursor aside), as `/v1`'s `q`.
pub const MAX_VALUE_CHARS: usize = 100;

/// A distance unit `near` accepts: its UCUM code, a label, metres in one.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Unit {
    pub code: &'static str,
    pub label: &'static str,
    pub metres: f64,
}

pub const UNITS: [Unit; 4] = [
    Unit { code: "km", label: "km", metres: 1000.0 },
    Unit { code: "m", label: "m", metres: 1.0 },
    Unit { code: "[mi_i]", label: "mi", metres: 1609.344 },
    // 5280 US survey feet of 1200/3937 m.
    Unit { code: "[mi_us]", label: "mi (US survey)", metres: 5280.0 * 1200.0 / 3937.0 },
];

/// A string parameter's field.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Field {
    City,
    State,
    PostalCode,
    Name,
    Family,
    Given,
}

/// How a date parameter compares.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Prefix {
    Eq,
    Ne,
    Gt,
    Lt,
    Ge,
    Le,
}

/// One parameter occurrence: a test any of whose values may pass.
#[derive(Clone, Debug, PartialEq)]
pub enum Criterion {
    Physicians(Vec<Npi>),
    Locations(Vec<(Npi, u8)>),
    Services(Vec<Id>),
    Specialties(Vec<Specialty>),
    Conditions(Vec<Condition>),
    Accepting(Vec<bool>),
    Text { field: Field, values: Vec<String>, exact: bool },
    Updated(Vec<(Prefix, String)>),
}

impl Field {
    /// The texts of a physician (at a location) this field names: as stored
    /// for `:exact`, else folded (from the snapshot's keys; a code, which
    /// folding would only lower-case, as it is).
    fn texts<'s>(self, c: &Candidate<'s>, exact: bool) -> [Option<&'s str>; 2] {
        let (p, l) = (c.physician(), c.location());
        match self {
            Field::Name if exact => [Some(&p.given_name), Some(&p.family_name)],
            Field::Name => [Some(c.folded_given()), Some(c.folded_family())],
            Field::Family => [Some(if exact { &p.family_name } else { c.folded_family() }), None],
            Field::Given => [Some(if exact { &p.given_name } else { c.folded_given() }), None],
            Field::City if exact => [l.map(|l| &*l.city), None],
            Field::City => [c.folded_city(), None],
            Field::State => [l.map(|l| l.state.code()), None],
            Field::PostalCode => [l.map(|l| l.zip.as_str()), None],
        }
    }
}

/// Whether `text` starts with `prefix`, ASCII case aside (folded text is
/// lower case already; a code is compared as folding would).
fn starts_ignoring_case(text: &str, prefix: &str) -> bool {
    text.get(..prefix.len()).is_some_and(|start| start.eq_ignore_ascii_case(prefix))
}

impl Criterion {
    /// Whether a physician (at a location, for a location's resources)
    /// passes. Text is compared with the folded keys the snapshot keeps, so
    /// nothing is folded per resource.
    pub fn admits(&self, c: &Candidate<'_>) -> bool {
        let (p, l) = (c.physician(), c.location());
        let at = |npi: Npi, ordinal: u8| p.npi == npi && l.is_some_and(|l| l.ordinal == ordinal);
        match self {
            Criterion::Physicians(npis) => npis.contains(&p.npi),
            Criterion::Locations(ids) => ids.iter().any(|&(npi, o)| at(npi, o)),
            Criterion::Services(ids) => ids.iter().any(|id| match *id {
                Id::Service(npi, o, service) => {
                    at(npi, o) && service.map_or(p.telehealth, |s| l.is_some_and(|l| l.services.contains(&s)))
                }
                _ => false,
            }),
            Criterion::Specialties(wanted) => p.specialties.iter().any(|s| wanted.contains(s)),
            Criterion::Conditions(wanted) => p.conditions.iter().any(|c| wanted.contains(c)),
            Criterion::Accepting(wanted) => wanted.contains(&p.accepting_new_patients),
            Criterion::Text { field, values, exact } => {
                let texts = field.texts(c, *exact);
                let matches = |t: &str, v: &str| if *exact { t == v } else { starts_ignoring_case(t, v) };
                values.iter().any(|v| texts.iter().flatten().any(|t| matches(t, v)))
            }
            Criterion::Updated(tests) => {
                let date = p.last_updated.as_str();
                tests.iter().any(|(prefix, value)| {
                    let ordering = date[..value.len().min(date.len())].cmp(value.as_str());
                    match prefix {
                        Prefix::Eq => ordering.is_eq(),
                        Prefix::Ne => ordering.is_ne(),
                        Prefix::Gt => ordering.is_gt(),
                        Prefix::Lt => ordering.is_lt(),
                        Prefix::Ge => ordering.is_ge(),
                        Prefix::Le => ordering.is_le(),
                    }
                })
            }
        }
    }
}

/// Which resources a role search includes.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Includes {
    pub practitioner: bool,
    pub location: bool,
    pub organization: bool,
    pub service: bool,
}

/// A parsed search.
#[derive(Debug)]
pub struct SearchRequest {
    pub criteria: Vec<Criterion>,
    pub near: Option<(Near, Unit)>,
    pub count: usize,
    pub total: bool,
    pub includes: Includes,
    pub after: Option<PlaceKey>,
    /// The pairs taken, as given, for the `self` and `next` links.
    pub used: Vec<(String, String)>,
    /// Identifies the criteria, so a cursor is honoured only for its search.
    pub fingerprint: u64,
}

/// Parses the query string of a search of `searchable`; a cursor must be
/// signed with `key`.
pub fn parse(
    searchable: &Searchable,
    query: &str,
    lenient: bool,
    key: &CursorKey,
) -> Result<SearchRequest, Outcome> {
    let mut faults: Vec<(String, String)> = Vec::new();
    let mut used: Vec<(String, String)> = Vec::new();
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        let (name, value) = (name.into_owned(), value.into_owned());
        if accepts(searchable, &name) {
            if !value.is_empty() {
                used.push((name, value));
            }
        } else if !lenient && !faults.iter().any(|(n, _)| *n == name) {
            let accepted: Vec<&str> = searchable.params.iter().map(|p| p.name).collect();
            faults.push((name, format!("unknown parameter; accepted: {}", accepted.join(", "))));
        }
    }
    let mut request = SearchRequest {
        criteria: Vec::new(),
        near: None,
        count: DEFAULT_COUNT,
        total: false,
        includes: Includes::default(),
        after: None,
        used: Vec::new(),
        fingerprint: 0,
    };
    for name in RESULT_PARAMS.iter().chain(searchable.near.iter()) {
        if used.iter().filter(|(n, _)| n == name).count() > 1 {
            faults.push((name.to_string(), "given more than once; this parameter takes one value".into()));
        }
    }
    let mut values = 0;
    for (name, value) in used.iter().filter(|(name, _)| name != "cursor") {
        if value.split(',').any(|v| v.chars().count() > MAX_VALUE_CHARS) {
            faults.push((name.clone(), format!("a value is longer than {MAX_VALUE_CHARS} characters")));
        }
        // The tests: what shapes the answer (its size, order, inclusions) is
        // bounded by its own rules.
        if RESULT_PARAMS.contains(&name.as_str())
            || name == "_include"
            || Some(name.as_str()) == searchable.near
        {
            continue;
        }
        let before = values;
        values += value.split(',').count();
        if before <= MAX_VALUES && values > MAX_VALUES {
            faults.push((
                name.clone(),
                format!(
                    "too many values: a search takes at most {MAX_VALUES}, each value of a comma-separated \
                     list counted"
                ),
            ));
        }
    }
    let mut sort_near = false;
    for (name, value) in &used {
        let mut fault = |message: String| faults.push((name.clone(), message));
        let (base_name, modifier) = name.split_once(':').map_or((name.as_str(), None), |(n, m)| (n, Some(m)));
        match base_name {
            "_count" => match value.parse::<usize>() {
                Ok(n) => request.count = n.min(MAX_COUNT),
                Err(_) => fault(format!("{value:?} is not a whole number")),
            },
            "_total" => match value.as_str() {
                "accurate" => request.total = true,
                "none" | "estimate" => {}
                _ => fault(format!("{value:?} is not supported; use accurate or none")),
            },
            "_sort" => match value.as_str() {
                "near" if searchable.near.is_some() => sort_near = true,
                _ => fault(format!(
                    "{value:?} is not supported; results come nearest first with a near search"
                )),
            },
            "cursor" => {}
            "_include" => match includes(searchable, value, &mut request.includes) {
                Ok(()) => {}
                Err(message) => fault(message),
            },
            "near" | "location.near" => match near(value) {
                Ok(near) => request.near = Some(near),
                Err(message) => fault(message),
            },
            _ => match criterion(searchable.resource, base_name, modifier.is_some(), value) {
                Ok(criterion) => request.criteria.push(criterion),
                Err(message) => fault(message),
            },
        }
    }
    if sort_near && request.near.is_none() {
        let near = searchable.near.unwrap_or("near");
        faults.push(("_sort".into(), format!("near needs {near}=lat|lng|distance|units")));
    }
    let mut keyed: Vec<String> = used
        .iter()
        .filter(|(n, _)| !RESULT_PARAMS.contains(&n.as_str()) && n != "_include")
        .map(|(n, v)| format!("{n}={v}"))
        .collect();
    keyed.sort();
    request.fingerprint = fnv1a(format!("{}?{}", searchable.resource, keyed.join("&")).as_bytes());
    if let Some((_, text)) = used.iter().find(|(n, _)| n == "cursor") {
        match Cursor::decode(text, request.fingerprint, key).map(|c| PlaceKey::after(&c.position)) {
            Ok(Some(key)) => request.after = Some(key),
            Ok(None) => faults.push(("cursor".into(), "belongs to a different search".into())),
            Err(e) => faults.push(("cursor".into(), e.to_string().replace("next_cursor", "the next link"))),
        }
    }
    request.used = used;
    if faults.is_empty() { Ok(request) } else { Err(Outcome::invalid(faults)) }
}

/// Whether `searchable` takes a parameter of this name (`:exact` on strings).
fn accepts(searchable: &Searchable, name: &str) -> bool {
    let declared = |n: &str| searchable.params.iter().find(|p| p.name == n);
    RESULT_PARAMS.contains(&name)
        || name == "_include" && !searchable.includes.is_empty()
        || declared(name).is_some()
        || name.strip_suffix(":exact").and_then(declared).is_some_and(|p| p.kind == "string")
}

fn includes(searchable: &Searchable, value: &str, into: &mut Includes) -> Result<(), String> {
    // `Type:param` or `Type:param:Target`.
    let known = searchable.includes.iter().find(|i| {
        value == **i
            || value
                .strip_prefix(**i)
                .and_then(|t| t.strip_prefix(':'))
                .is_some_and(|target| target == include_target(i))
    });
    match known.map(|i| include_target(i)) {
        Some("Practitioner") => into.practitioner = true,
        Some("Location") => into.location = true,
        Some("Organization") => into.organization = true,
        Some("HealthcareService") => into.service = true,
        _ => {
            return Err(format!(
                "{value:?} is not supported; valid values: {}",
                searchable.includes.join(", ")
            ));
        }
    }
    Ok(())
}

fn include_target(include: &str) -> &'static str {
    match include.rsplit(':').next() {
        Some("practitioner") => "Practitioner",
        Some("location") => "Location",
        Some("organization") => "Organization",
        _ => "HealthcareService",
    }
}

/// `lat|lng|distance|units`.
fn near(value: &str) -> Result<(Near, Unit), String> {
    let parts: Vec<&str> = value.split('|').collect();
    if !(2..=4).contains(&parts.len()) {
        return Err("must be lat|lng, lat|lng|distance or lat|lng|distance|units".into());
    }
    let number = |s: &str, what: &str| {
        s.trim()
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| format!("{what} {s:?} is not a number"))
    };
    let (lat, lng) = (number(parts[0], "latitude")?, number(parts[1], "longitude")?);
    let origin = GeoPoint::new(lat, lng).map_err(|e| format!("latitude {lat}, longitude {lng}: {e}"))?;
    let unit = match parts.get(3).copied().filter(|u| !u.is_empty()) {
        None => UNITS[0],
        Some(code) => *UNITS.iter().find(|u| u.code == code).ok_or_else(|| {
            let codes: Vec<&str> = UNITS.iter().map(|u| u.code).collect();
            format!("unknown unit {code:?}; valid units: {}", codes.join(", "))
        })?,
    };
    let within_m = match parts.get(2).copied().filter(|d| !d.is_empty()) {
        None => None,
        Some(d) => {
            let distance = number(d, "distance")?;
            if distance <= 0.0 {
                return Err(format!("distance {d:?} must be greater than 0"));
            }
            Some(distance * unit.metres)
        }
    };
    Ok((Near { origin, within_m }, unit))
}

/// A token `system|code` (or a bare code): the code, if the system is
/// absent or `system`; `None` if another system's (which matches nothing).
fn token<'v>(value: &'v str, system: &str) -> Option<&'v str> {
    let code = match value.split_once('|') {
        None => value,
        Some((s, code)) if s == system => code,
        Some(_) => return None,
    };
    (!code.is_empty()).then_some(code)
}

/// A reference `Type/id` (or a bare id, or a URL ending so), if of `kind`.
fn reference<'v>(value: &'v str, kind: &str) -> Result<&'v str, String> {
    let mut segments = value.rsplitn(3, '/');
    let id = segments.next().unwrap_or_default();
    match segments.next() {
        None => Ok(id),
        Some(k) if k == kind => Ok(id),
        Some(_) => Err(format!("{value:?} is not a reference to a {kind}")),
    }
}

/// The criterion one occurrence of a parameter sets.
fn criterion(resource: &str, name: &str, exact: bool, value: &str) -> Result<Criterion, String> {
    let values = value.split(',');
    let locations = |kind: &str| -> Result<Criterion, String> {
        let mut ids = Vec::new();
        for v in value.split(',') {
            if let Some(Id::Location(npi, ordinal)) = Id::parse(reference(v, kind)?) {
                ids.push((npi, ordinal));
            }
        }
        Ok(Criterion::Locations(ids))
    };
    let text = |field: Field| Criterion::Text {
        field,
        values: value.split(',').map(|v| if exact { v.to_owned() } else { fold(v.trim()) }).collect(),
        exact,
    };
    Ok(match (resource, name) {
        ("Practitioner", "_id") => Criterion::Physicians(values.filter_map(|v| Npi::parse(v).ok()).collect()),
        ("Practitioner", "identifier") => Criterion::Physicians(
            values.filter_map(|v| token(v, NPI_SYSTEM)).filter_map(|v| Npi::parse(v).ok()).collect(),
        ),
        ("Practitioner", "name") => text(Field::Name),
        ("Practitioner", "family") => text(Field::Family),
        ("Practitioner", "given") => text(Field::Given),
        ("Location", "_id") | ("PractitionerRole", "_id") => locations(resource)?,
        ("Location" | "PractitionerRole", "organization") => locations("Organization")?,
        ("PractitionerRole", "location") => locations("Location")?,
        ("Location", "address-city") => text(Field::City),
        ("Location", "address-state") => text(Field::State),
        ("Location", "address-postalcode") => text(Field::PostalCode),
        ("PractitionerRole", "practitioner") => {
            let mut npis = Vec::new();
            for v in values {
                npis.extend(Npi::parse(reference(v, "Practitioner")?).ok());
            }
            Criterion::Physicians(npis)
        }
        ("PractitionerRole", "service") => {
            let mut ids = Vec::new();
            for v in values {
                ids.extend(
                    Id::parse(reference(v, "HealthcareService")?).filter(|id| matches!(id, Id::Service(..))),
                );
            }
            Criterion::Services(ids)
        }
        ("PractitionerRole", "specialty") => Criterion::Specialties(
            values
                .filter_map(|v| token(v, NUCC_SYSTEM))
                .filter_map(|code| Specialty::all().find(|s| s.entry().code.as_deref() == Some(code)))
                .collect(),
        ),
        ("PractitionerRole", "condition") => {
            let system = CONDITIONS.url();
            // Before 2.0 the system was the serving host's own
            // `…/fhir/CodeSystem/conditions`, and a client may have saved
            // one: say so rather than match nothing in silence.
            let saved = values.clone().filter_map(|v| v.split_once('|')).map(|(s, _)| s);
            if let Some(old) =
                saved.into_iter().find(|s| *s != system && s.ends_with("/CodeSystem/conditions"))
            {
                return Err(format!(
                    "{old:?} is not the conditions system; it is {system} (or give the bare code)"
                ));
            }
            Criterion::Conditions(
                values.filter_map(|v| token(v, &system)).filter_map(|c| Condition::parse(c).ok()).collect(),
            )
        }
        ("PractitionerRole", "newpatients") => Criterion::Accepting(
            values
                .filter_map(|v| {
                    token(v, "http://hl7.org/fhir/us/davinci-pdex-plan-net/CodeSystem/AcceptingPatientsCS")
                })
                .filter_map(|code| match code {
                    "newpt" => Some(true),
                    "nopt" => Some(false),
                    _ => None,
                })
                .collect(),
        ),
        ("PractitionerRole", "_lastUpdated") => {
            Criterion::Updated(values.map(date_test).collect::<Result<_, _>>()?)
        }
        _ => return Err("unknown parameter".into()),
    })
}

/// `[prefix]YYYY[-MM[-DD[Thh:mm:ss…]]]`, compared at the date's precision
/// (a time is beyond the directory's: it is dropped).
fn date_test(value: &str) -> Result<(Prefix, String), String> {
    let prefixes = [
        ("eq", Prefix::Eq),
        ("ne", Prefix::Ne),
        ("gt", Prefix::Gt),
        ("lt", Prefix::Lt),
        ("ge", Prefix::Ge),
        ("le", Prefix::Le),
    ];
    let (prefix, date) = prefixes
        .iter()
        .find_map(|(p, prefix)| value.strip_prefix(p).map(|rest| (*prefix, rest)))
        .unwrap_or((Prefix::Eq, value));
    let date = date.split('T').next().unwrap_or_default();
    let shape_ok = matches!(date.len(), 4 | 7 | 10)
        && date
            .bytes()
            .enumerate()
            .all(|(i, b)| if i == 4 || i == 7 { b == b'-' } else { b.is_ascii_digit() });
    if !shape_ok {
        return Err(format!("{value:?} is not a date: [eq|ne|gt|lt|ge|le]YYYY[-MM[-DD]]"));
    }
    Ok((prefix, date.to_owned()))
}
