//! `GET /fhir/metadata`: the CapabilityStatement, written from the same
//! declarations the search parser reads ([`super::params::SEARCHABLE`]), so
//! it lists every parameter and include we take and nothing else.

use serde_json::{Value, json};

use super::params::{PRACTITIONER_ROLE, SEARCHABLE};
use super::resources::profile;
use super::vocabulary::condition_parameter_url;

/// The Plan-Net resource types read by id but not searched.
const READ_ONLY: [&str; 2] = ["Organization", "HealthcareService"];
/// When what the statement says last changed.
const STATEMENT_DATE: &str = "2026-12-02";
/// Our own definitions, read by id.
const DEFINITIONS: [&str; 2] = ["CodeSystem", "SearchParameter"];

pub fn statement(base: &str) -> Value {
    let mut resources: Vec<Value> = SEARCHABLE
        .iter()
        .map(|searchable| {
            let params: Vec<Value> = searchable
                .params
                .iter()
                .map(|p| {
                    let mut param = json!({ "name": p.name, "type": p.kind, "documentation": p.doc });
                    if searchable.resource == PRACTITIONER_ROLE.resource && p.name == "condition" {
                        param["definition"] = json!(condition_parameter_url());
                    }
                    param
                })
                .collect();
            let mut resource = json!({
                "type": searchable.resource,
                "supportedProfile": [profile(searchable.resource)],
                "interaction": [{ "code": "read" }, { "code": "search-type" }],
                "searchParam": params,
            });
            if !searchable.includes.is_empty() {
                resource["searchInclude"] = json!(searchable.includes);
            }
            resource
        })
        .collect();
    resources.extend(READ_ONLY.iter().map(|kind| {
        json!({ "type": kind, "supportedProfile": [profile(kind)], "interaction": [{ "code": "read" }] })
    }));
    resources
        .extend(DEFINITIONS.iter().map(|kind| json!({ "type": kind, "interaction": [{ "code": "read" }] })));
    json!({
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": STATEMENT_DATE,
        "kind": "instance",
        "instantiates": ["http://hl7.org/fhir/us/davinci-pdex-plan-net/CapabilityStatement/plan-net"],
        "software": { "name": env!("CARGO_PKG_NAME"), "version": env!("CARGO_PKG_VERSION") },
        "implementation": { "description": "The physician directory as FHIR R4, read and search only", "url": base },
        "fhirVersion": "4.0.1",
        "format": ["json"],
        "rest": [{
            "mode": "server",
            "documentation": "Searches take _count (default 20, at most 100), _total=accurate, and follow \
                Bundle.link next (an opaque cursor). An unknown parameter is refused (400) unless the \
                request has Prefer: handling=lenient. near and location.near are exact: geodesic on WGS84, \
                nearest first, the distance in each match's search.extension (location-distance).",
            "resource": resources,
        }],
    })
}
