//! The directory's records as FHIR R4 resources, shaped by Da Vinci PDex
//! Plan-Net, and the ids that name them.
//!
//! Every id derives from the NPI and the location ordinal, so ids and the
//! references between resources stay the same across restarts and imports:
//!
//! | resource | id | one per |
//! | --- | --- | --- |
//! | `Practitioner` | `{npi}` | physician |
//! | `Location`, `Organization`, `PractitionerRole` | `{npi}-{ordinal}` (the `/v1` location id) | practice location |
//! | `HealthcareService` | `{npi}-{ordinal}-{service}` | service offered at a location, and `telehealth` |
//!
//! The directory has no practice records of its own: a practice is what a
//! physician's location names, so its `Organization` shares the location's id.

use serde_json::{Value, json};

use super::vocabulary::{self, CONDITIONS, SERVICES};
use crate::api::dto::display_name;
use crate::directory::{Location, Physician};
use crate::domain::{Npi, Service};

const PLAN_NET: &str = "http://hl7.org/fhir/us/davinci-pdex-plan-net";
pub const NPI_SYSTEM: &str = "http://hl7.org/fhir/sid/us-npi";
pub const NUCC_SYSTEM: &str = "http://nucc.org/provider-taxonomy";
/// The id of the `HealthcareService` a telehealth physician offers at each
/// location (no service slug is spelled so).
pub const TELEHEALTH: &str = "telehealth";

/// A Plan-Net profile's canonical URL.
pub fn profile(resource: &str) -> String {
    format!("{PLAN_NET}/StructureDefinition/plannet-{resource}")
}

/// A Plan-Net extension's or code system's canonical URL.
fn plan_net(kind: &str, name: &str) -> String {
    format!("{PLAN_NET}/{kind}/{name}")
}

/// What a resource id names in the directory.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Id {
    Physician(Npi),
    Location(Npi, u8),
    /// A service at a location; `None` for telehealth.
    Service(Npi, u8, Option<Service>),
}

impl Id {
    /// Parses a physician id (`{npi}`), a location id (`{npi}-{ordinal}`) or a
    /// service id (`{npi}-{ordinal}-{slug}`).
    pub fn parse(id: &str) -> Option<Id> {
        let mut parts = id.splitn(3, '-');
        let npi = Npi::parse(parts.next()?).ok()?;
        let Some(ordinal) = parts.next() else { return Some(Id::Physician(npi)) };
        if ordinal.starts_with('0') || ordinal.starts_with('+') {
            return None;
        }
        let ordinal: u8 = ordinal.parse().ok().filter(|&o| o > 0)?;
        match parts.next() {
            None => Some(Id::Location(npi, ordinal)),
            Some(TELEHEALTH) => Some(Id::Service(npi, ordinal, None)),
            Some(slug) => Service::parse(slug).ok().map(|s| Id::Service(npi, ordinal, Some(s))),
        }
    }
}

/// The id of a service at a location.
pub fn service_id(p: &Physician, l: &Location, service: Option<Service>) -> String {
    format!("{}-{}", l.id(p.npi), service.map_or(TELEHEALTH, |s| s.slug()))
}

/// The services a location's `HealthcareService`s stand for: each service
/// offered there, and telehealth if the physician offers it.
pub fn services(p: &Physician, l: &Location) -> Vec<Option<Service>> {
    let mut out: Vec<Option<Service>> = l.services.iter().copied().map(Some).collect();
    if p.telehealth {
        out.push(None);
    }
    out
}

fn meta(p: &Physician, resource: &str) -> Value {
    json!({ "profile": [profile(resource)], "lastUpdated": format!("{}T00:00:00Z", p.last_updated.as_str()) })
}

fn phone(l: &Location) -> Value {
    json!([{ "system": "phone", "value": l.phone.as_str(), "use": "work" }])
}

fn address(l: &Location) -> Value {
    json!({
        "use": "work", "type": "physical", "line": [&*l.street], "city": &*l.city,
        "state": l.state.code(), "postalCode": l.zip.as_str(), "country": "US",
    })
}

fn reference(kind: &str, id: &str, display: &str) -> Value {
    json!({ "reference": format!("{kind}/{id}"), "display": display })
}

/// Plan-Net's extension on a practitioner's qualification: its status and
/// where it is valid.
const QUALIFICATION_EXTENSION: &str =
    "http://hl7.org/fhir/us/davinci-pdex-plan-net/StructureDefinition/practitioner-qualification";
/// The code system of US states and territories by their USPS codes.
const USPS_SYSTEM: &str = "https://www.usps.com/";

fn coding(system: &str, code: &str, display: &str) -> Value {
    json!({ "coding": [{ "system": system, "code": code, "display": display }], "text": display })
}

pub fn practitioner(p: &Physician) -> Value {
    let credential = p.credentials.as_str();
    json!({
        "resourceType": "Practitioner",
        "id": p.npi.to_string(),
        "meta": meta(p, "Practitioner"),
        "identifier": [{ "use": "official", "system": NPI_SYSTEM, "value": p.npi.to_string() }],
        "active": true,
        "name": [{
            "use": "official", "text": display_name(p), "family": &p.family_name,
            "given": [&p.given_name], "suffix": [credential],
        }],
        "gender": p.gender.as_str(),
        "communication": p.languages.iter().map(|l| json!({
            "coding": [{ "system": "urn:ietf:bcp:47", "code": l.as_str() }],
        })).collect::<Vec<_>>(),
        // The degree, valid (Plan-Net's `whereValid`) in the states where the
        // physician holds a license to practise.
        "qualification": [{
            "extension": [{
                "url": QUALIFICATION_EXTENSION,
                "extension": std::iter::once(json!({ "url": "status", "valueCode": "active" }))
                    .chain(p.licensed_states.iter().map(|state| json!({
                        "url": "whereValid",
                        "valueCodeableConcept": {
                            "coding": [{ "system": USPS_SYSTEM, "code": state.code(), "display": state.name() }],
                        },
                    })))
                    .collect::<Vec<_>>(),
            }],
            "code": coding("http://terminology.hl7.org/CodeSystem/v2-0360", credential, credential),
        }],
    })
}

pub fn location(p: &Physician, l: &Location) -> Value {
    let id = l.id(p.npi);
    json!({
        "resourceType": "Location",
        "id": id,
        "meta": meta(p, "Location"),
        "status": "active",
        "name": &*l.practice_name,
        "telecom": phone(l),
        "address": address(l),
        "position": { "longitude": l.point.lng(), "latitude": l.point.lat() },
        "managingOrganization": reference("Organization", &id, &l.practice_name),
    })
}

pub fn organization(p: &Physician, l: &Location) -> Value {
    json!({
        "resourceType": "Organization",
        "id": l.id(p.npi),
        "meta": meta(p, "Organization"),
        "active": true,
        "type": [coding(&plan_net("CodeSystem", "OrgTypeCS"), "prvgrp", "Provider Group")],
        "name": &*l.practice_name,
        "telecom": phone(l),
        "address": [address(l)],
    })
}

pub fn practitioner_role(p: &Physician, l: &Location) -> Value {
    let id = l.id(p.npi);
    let accepting = if p.accepting_new_patients { ("newpt", "Accepting") } else { ("nopt", "Not Accepting") };
    let mut extension = vec![json!({
        "url": plan_net("StructureDefinition", "newpatients"),
        "extension": [{
            "url": "acceptingPatients",
            "valueCodeableConcept": coding(&plan_net("CodeSystem", "AcceptingPatientsCS"), accepting.0, accepting.1),
        }],
    })];
    extension.extend(p.conditions.iter().map(|&c| {
        json!({
            "url": vocabulary::condition_extension(),
            "valueCodeableConcept": coding(&CONDITIONS.url(), c.slug(), &c.entry().name),
        })
    }));
    json!({
        "resourceType": "PractitionerRole",
        "id": id,
        "meta": meta(p, "PractitionerRole"),
        "extension": extension,
        "active": true,
        "practitioner": reference("Practitioner", &p.npi.to_string(), &display_name(p)),
        "organization": reference("Organization", &id, &l.practice_name),
        "location": [reference("Location", &id, &l.practice_name)],
        "healthcareService": services(p, l).into_iter().map(|s| {
            reference("HealthcareService", &service_id(p, l, s), service_name(s))
        }).collect::<Vec<_>>(),
        "specialty": p.specialties.iter().map(|s| {
            let entry = s.entry();
            coding(NUCC_SYSTEM, entry.code.as_deref().unwrap_or_default(), &entry.name)
        }).collect::<Vec<_>>(),
        "telecom": phone(l),
    })
}

fn service_name(service: Option<Service>) -> &'static str {
    service.map_or("Telehealth", |s| &s.entry().name)
}

/// A service at a location, with Plan-Net's `delivery-method`: physical
/// for what the location offers, virtual for telehealth (the extension's
/// context is `HealthcareService`).
pub fn healthcare_service(p: &Physician, l: &Location, service: Option<Service>) -> Value {
    let id = l.id(p.npi);
    let (method, method_display) =
        if service.is_some() { ("physical", "Physical") } else { ("virtual", "Virtual") };
    let kind = match service {
        Some(s) => coding(&SERVICES.url(), s.slug(), &s.entry().name),
        None => json!({ "text": "Telehealth" }),
    };
    json!({
        "resourceType": "HealthcareService",
        "id": service_id(p, l, service),
        "meta": meta(p, "HealthcareService"),
        "extension": [{
            "url": plan_net("StructureDefinition", "delivery-method"),
            "extension": [{
                "url": "type",
                "valueCodeableConcept": coding(&plan_net("CodeSystem", "DeliveryMethodCS"), method, method_display),
            }],
        }],
        "active": true,
        "providedBy": reference("Organization", &id, &l.practice_name),
        "type": [kind],
        "location": [reference("Location", &id, &l.practice_name)],
        "name": service_name(service),
        "telecom": phone(l),
    })
}
