//! The FHIR view held byte for byte: some four hundred answers over the
//! seed, every kind of search, read and refusal, on both backends, each
//! answer's SHA-256
//! compared with `tests/fixtures/fhir_answers.txt`. A change to any FHIR
//! answer fails here, naming the request, so a refactoring of the views or
//! the query engine can show it changed nothing.
//!
//! Cursors are signed with each database's own key, so their text differs
//! from one test database to the next: in answers they are replaced by a
//! mark before hashing, and a next page is asked by following the link.
//!
//! After a change that is meant, write the fixture anew and review its diff:
//! `LOCATOR_UPDATE_FIXTURES=1 cargo test --test api fhir_answers`.

use physician_locator::domain::text::fold;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::helpers::{Backend, Lcg, TestApp, both_backends, spawn_app};

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/fhir_answers.txt");

/// The requests: searches of each resource by each parameter, near points
/// spread over the seed, includes, pages, reads and refusals.
fn requests(app: &TestApp) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut rng = Lcg(21);
    let physicians = &app.physicians;
    let some = |rng: &mut Lcg| &physicians[rng.below(physicians.len())];
    for resource in ["Practitioner", "Location", "PractitionerRole"] {
        for count in [1, 7, 100] {
            out.push(format!("/fhir/{resource}?_count={count}&_total=accurate"));
        }
    }
    for _ in 0..12 {
        let p = some(&mut rng);
        let family: String = fold(&p.family_name).chars().take(3).collect();
        let given: String = p.given_name.chars().take(2).collect();
        out.push(format!("/fhir/Practitioner?name={}", enc(&family)));
        out.push(format!("/fhir/Practitioner?family={}&given={}", enc(&p.family_name), enc(&given)));
        out.push(format!("/fhir/Practitioner?family:exact={}", enc(&p.family_name)));
        out.push(format!("/fhir/Practitioner?identifier=http://hl7.org/fhir/sid/us-npi%7C{}", p.npi));
        out.push(format!("/fhir/Practitioner/{}", p.npi));
        let l = &p.locations[0];
        let id = l.id(p.npi);
        for read in ["Location", "PractitionerRole", "Organization"] {
            out.push(format!("/fhir/{read}/{id}"));
        }
        out.push(format!(
            "/fhir/Location?address-city={}&_total=accurate",
            enc(&l.city[..3.min(l.city.len())])
        ));
        out.push(format!(
            "/fhir/Location?address-city:exact={}&address-state={}",
            enc(&l.city),
            l.state.code()
        ));
        out.push(format!("/fhir/Location?address-postalcode={}", &l.zip.as_str()[..3]));
        out.push(format!("/fhir/Location?organization=Organization/{id}"));
        out.push(format!(
            "/fhir/PractitionerRole?practitioner=Practitioner/{}&_include=PractitionerRole:service",
            p.npi
        ));
        out.push(format!("/fhir/PractitionerRole?location=Location/{id}&_include=PractitionerRole:location"));
    }
    let units = ["km", "m", "%5Bmi_i%5D", "%5Bmi_us%5D"];
    for i in 0..24 {
        let p = some(&mut rng);
        let point = p.locations[0].point;
        let (lat, lng) = (point.lat() + rng.unit() - 0.5, point.lng() + rng.unit() - 0.5);
        let unit = units[i % units.len()];
        let distance = [5.0, 50.0, 500.0, 5000.0][i % 4] * if unit == "m" { 1000.0 } else { 1.0 };
        out.push(format!(
            "/fhir/Location?near={lat:.4}%7C{lng:.4}%7C{distance}%7C{unit}&_count=10&_total=accurate"
        ));
        out.push(format!("/fhir/Location?near={lat:.4}%7C{lng:.4}&_count=5"));
        let specialty = p.specialties[0].entry().code.clone().unwrap_or_default();
        out.push(format!(
            "/fhir/PractitionerRole?location.near={lat:.4}%7C{lng:.4}%7C{distance}%7C{unit}\
             &specialty=http://nucc.org/provider-taxonomy%7C{specialty}&_count=10\
             &_include=PractitionerRole:practitioner&_include=PractitionerRole:organization"
        ));
        if let Some(condition) = p.conditions.first() {
            out.push(format!(
                "/fhir/PractitionerRole?location.near={lat:.4}%7C{lng:.4}&condition={}&newpatients=newpt&_count=3",
                condition.slug()
            ));
        }
    }
    // The antimeridian and the poles.
    for (lat, lng) in [(51.88, -176.66), (52.9, 172.9), (89.9, 0.0), (-89.9, 45.0), (0.0, 180.0)] {
        out.push(format!("/fhir/Location?near={lat}%7C{lng}%7C3000%7C%5Bmi_i%5D&_count=20&_total=accurate"));
    }
    for date in ["ge2026-01-01", "lt2025-06", "eq2026", "ne2025-05-01"] {
        out.push(format!("/fhir/PractitionerRole?_lastUpdated={date}&_count=20&_total=accurate"));
    }
    for code in ["newpt", "nopt"] {
        out.push(format!("/fhir/PractitionerRole?newpatients={code}&_count=20&_total=accurate"));
    }
    out.extend(
        [
            "/fhir/metadata",
            "/fhir/CodeSystem/conditions",
            "/fhir/CodeSystem/services",
            "/fhir/SearchParameter/practitionerrole-condition",
            "/fhir/Location?near=91%7C0",
            "/fhir/Location?color=blue",
            "/fhir/Practitioner/1234567890",
            "/fhir/Patient",
        ]
        .map(String::from),
    );
    out
}

fn enc(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// The answer's text with every cursor's value replaced by a mark.
fn without_cursors(body: &str) -> String {
    let mut out = String::with_capacity(body.len());
    let mut rest = body;
    while let Some(at) = rest.find("cursor=") {
        out.push_str(&rest[..at + "cursor=".len()]);
        rest = &rest[at + "cursor=".len()..];
        let end = rest.find(['&', '"']).unwrap_or(rest.len());
        out.push('…');
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// The path and query of a `next` link, if the answer has one.
fn next_link(body: &Value) -> Option<String> {
    let url = body["link"].as_array()?.iter().find(|l| l["relation"] == "next")?["url"].as_str()?;
    Some(url[url.find("/fhir/")?..].to_owned())
}

async fn fhir_answers_are_held_byte_for_byte(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut lines = Vec::new();
    for request in requests(&app) {
        // The first page, and the next one where there is one.
        let mut uri = Some(request.clone());
        for page in 1..=2 {
            let Some(asked) = uri.take() else { break };
            let reply = app.get(&asked).await;
            let text = String::from_utf8(reply.raw.clone()).expect("UTF-8");
            let digest = Sha256::digest(format!("{}\n{}", reply.status, without_cursors(&text)));
            let hex: String = digest.iter().take(12).map(|b| format!("{b:02x}")).collect();
            lines.push(format!("{hex} {request} (page {page})"));
            uri = next_link(&reply.body);
        }
    }
    let written = lines.join("\n") + "\n";
    if std::env::var("LOCATOR_UPDATE_FIXTURES").is_ok_and(|v| v == "1") {
        std::fs::write(FIXTURE, &written).expect("write the fixture");
        return;
    }
    let held = std::fs::read_to_string(FIXTURE).expect("the fixture (LOCATOR_UPDATE_FIXTURES=1 writes it)");
    let changed: Vec<(&str, &str)> =
        held.lines().zip(written.lines()).filter(|(held, now)| held != now).take(10).collect();
    assert!(
        changed.is_empty() && held.lines().count() == written.lines().count(),
        "{} of {} FHIR answers differ from tests/fixtures/fhir_answers.txt (held, now): {changed:#?}",
        held.lines().zip(written.lines()).filter(|(h, n)| h != n).count(),
        written.lines().count()
    );
}

both_backends!(fhir_answers_are_held_byte_for_byte);
