//! Answering a parsed search from the snapshot, as a `searchset` Bundle:
//! matches in the search's order (each with its distance when ranked by
//! one), then the included resources, and `self` and `next` links whose
//! cursor resumes exactly after the last match.

use serde_json::{Value, json};

use super::params::{Criterion, Includes, SearchRequest, Searchable, Unit};
use super::resources::{self, services};
use crate::directory::{Location, Physician};
use crate::search::{Candidate, Cursor, CursorKey, Filters, PlaceKey, PlaceQuery, Snapshot};

/// The canonical URL of the extension that carries a match's distance.
const LOCATION_DISTANCE: &str = "http://hl7.org/fhir/StructureDefinition/location-distance";

/// A page of matches: resources with their distance, whether more follow,
/// and where the next page starts.
struct Matches {
    entries: Vec<(Value, Option<f64>)>,
    included: Vec<Value>,
    total: Option<usize>,
    next: Option<PlaceKey>,
}

/// The Bundle answering `request`, a search of `searchable`; its next link's
/// cursor signed with `cursor_key`.
pub fn search(
    snapshot: &Snapshot,
    searchable: &Searchable,
    request: &SearchRequest,
    base: &str,
    cursor_key: &CursorKey,
) -> Value {
    let matches = if request.criteria.iter().any(Criterion::impossible) {
        Matches { entries: Vec::new(), included: Vec::new(), total: request.total.then_some(0), next: None }
    } else if searchable.resource == "Practitioner" {
        practitioners(snapshot, request)
    } else {
        places(snapshot, searchable.resource, request)
    };
    let unit = request.near.map(|(_, unit)| unit);
    let mut entries: Vec<Value> = matches
        .entries
        .into_iter()
        .map(|(resource, metres)| entry(base, resource, "match", metres.zip(unit)))
        .collect();
    entries.extend(matches.included.into_iter().map(|resource| entry(base, resource, "include", None)));
    let url = |pairs: &[(String, String)]| {
        let query = form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish();
        format!("{base}/{}{}{query}", searchable.resource, if query.is_empty() { "" } else { "?" })
    };
    let mut links = vec![json!({ "relation": "self", "url": url(&request.used) })];
    if let Some(key) = matches.next {
        let mut pairs: Vec<(String, String)> =
            request.used.iter().filter(|(n, _)| n != "cursor").cloned().collect();
        let cursor = Cursor { fingerprint: request.fingerprint, position: key.position() };
        pairs.push(("cursor".into(), cursor.encode(cursor_key)));
        links.push(json!({ "relation": "next", "url": url(&pairs) }));
    }
    let mut bundle =
        json!({ "resourceType": "Bundle", "type": "searchset", "link": links, "entry": entries });
    if let Some(total) = matches.total {
        bundle["total"] = json!(total);
    }
    bundle
}

fn entry(base: &str, resource: Value, mode: &str, distance: Option<(f64, Unit)>) -> Value {
    let full_url = format!(
        "{base}/{}/{}",
        resource["resourceType"].as_str().unwrap_or_default(),
        resource["id"].as_str().unwrap_or_default()
    );
    let mut search = json!({ "mode": mode });
    if let Some((metres, unit)) = distance {
        search["extension"] = json!([{
            "url": LOCATION_DISTANCE,
            "valueDistance": {
                "value": metres / unit.metres, "unit": unit.label,
                "system": "http://unitsofmeasure.org", "code": unit.code,
            },
        }]);
    }
    json!({ "fullUrl": full_url, "resource": resource, "search": search })
}

impl Criterion {
    /// Whether no physician can pass: a parameter none of whose values names
    /// anything in the directory. Answered at once, without a walk.
    fn impossible(&self) -> bool {
        match self {
            Criterion::Physicians(v) => v.is_empty(),
            Criterion::Locations(v) => v.is_empty(),
            Criterion::Services(v) => v.is_empty(),
            Criterion::Specialties(v) => v.is_empty(),
            Criterion::Conditions(v) => v.is_empty(),
            Criterion::Accepting(v) => v.is_empty(),
            Criterion::Text { .. } | Criterion::Updated(_) => false,
        }
    }
}

/// Practitioners in NPI order.
fn practitioners(snapshot: &Snapshot, request: &SearchRequest) -> Matches {
    let admits = |c: &Candidate<'_>| request.criteria.iter().all(|criterion| criterion.admits(c));
    let after = request.after.map(|key| key.npi);
    let mut page: Vec<&Physician> = snapshot
        .physicians_from(after)
        .filter(|c| after.is_none_or(|npi| c.physician().npi > npi))
        .filter(admits)
        .map(|c| c.physician())
        .take(request.count + 1)
        .collect();
    let more = page.len() > request.count;
    page.truncate(request.count);
    let total = request.total.then(|| snapshot.physicians_from(None).filter(admits).count());
    let next = page.last().filter(|_| more).map(|p| PlaceKey { metres: 0.0, npi: p.npi, ordinal: 0 });
    let entries = page.into_iter().map(|p| (resources::practitioner(p), None)).collect();
    Matches { entries, included: Vec::new(), total, next }
}

/// Locations, or the roles practised at them, nearest first or in id order.
fn places(snapshot: &Snapshot, resource: &str, request: &SearchRequest) -> Matches {
    let keep = |c: &Candidate<'_>| request.criteria.iter().all(|criterion| criterion.admits(c));
    let query = PlaceQuery {
        near: request.near.map(|(near, _)| near),
        filters: filters(&request.criteria),
        keep: &keep,
    };
    let found = snapshot.places(&query, request.count, request.after, request.total);
    let next = found.places.last().filter(|_| found.more).map(|place| place.key());
    let mut included = Vec::new();
    let entries = found
        .places
        .iter()
        .map(|place| {
            let (p, l) = (place.physician, place.location);
            if resource == "Location" {
                return (resources::location(p, l), place.metres);
            }
            included.extend(includes(p, l, request.includes));
            (resources::practitioner_role(p, l), place.metres)
        })
        .collect();
    // A practitioner with several roles on the page is included once.
    let mut seen = std::collections::HashSet::new();
    included.retain(|r: &Value| seen.insert((r["resourceType"].to_string(), r["id"].to_string())));
    Matches { entries, included, total: found.total, next }
}

/// The filters the search's index can apply while it walks: the first
/// specialty and condition criteria (the rest are applied by `keep`, which
/// tests every criterion).
fn filters(criteria: &[Criterion]) -> Filters {
    let mut filters = Filters::default();
    if let Some(Criterion::Specialties(v)) = criteria.iter().find(|c| matches!(c, Criterion::Specialties(_)))
    {
        filters.specialties = v.iter().copied().collect();
    }
    if let Some(Criterion::Conditions(v)) = criteria.iter().find(|c| matches!(c, Criterion::Conditions(_))) {
        filters.conditions = v.iter().copied().collect();
    }
    filters
}

/// The resources a role's `_include`s add.
fn includes(p: &Physician, l: &Location, includes: Includes) -> Vec<Value> {
    let mut out = Vec::new();
    if includes.practitioner {
        out.push(resources::practitioner(p));
    }
    if includes.location {
        out.push(resources::location(p, l));
    }
    if includes.organization {
        out.push(resources::organization(p, l));
    }
    if includes.service {
        out.extend(services(p, l).into_iter().map(|s| resources::healthcare_service(p, l, s)));
    }
    out
}
