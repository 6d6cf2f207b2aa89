//! Our own definitions, served beside the directory: the condition and
//! service vocabularies as CodeSystems, the condition-expertise extension,
//! and the `condition` SearchParameter.
//!
//! Their canonical URLs are fixed, under [`CANONICAL`], whatever host serves
//! them or the request names: a client that keeps a system URI (to search
//! `condition={system}|lems`, to read a coding) can use it against any
//! deployment, by any host name. Each is also served under the server's own
//! `/fhir` (`/fhir/CodeSystem/conditions`), its `url` the canonical one.

use serde_json::{Value, json};

use crate::domain::vocabulary::{ConditionKind, Kind, ServiceKind, Term};

/// A vocabulary served as a CodeSystem.
pub struct CodeSystem {
    pub id: &'static str,
    title: &'static str,
    concepts: fn() -> Vec<(&'static str, &'static str)>,
}

fn concepts<K: Kind>() -> Vec<(&'static str, &'static str)> {
    Term::<K>::all().map(|t| (t.slug(), t.entry().name.as_str())).collect()
}

pub const CONDITIONS: CodeSystem = CodeSystem {
    id: "conditions",
    title: "Conditions physicians treat",
    concepts: concepts::<ConditionKind>,
};
pub const SERVICES: CodeSystem =
    CodeSystem { id: "services", title: "Services offered at a location", concepts: concepts::<ServiceKind> };
pub const CODE_SYSTEMS: [&CodeSystem; 2] = [&CONDITIONS, &SERVICES];

/// The base of our canonical URLs: the project's own name, not an address
/// any deployment answers at (canonical URLs name; they need not resolve).
pub const CANONICAL: &str = "https://physician-locator.example/fhir";

impl CodeSystem {
    /// The canonical URL: the `system` of its codings.
    pub fn url(&self) -> String {
        format!("{CANONICAL}/CodeSystem/{}", self.id)
    }

    pub fn resource(&self) -> Value {
        let concepts = (self.concepts)();
        json!({
            "resourceType": "CodeSystem",
            "id": self.id,
            "url": self.url(),
            "name": self.id.to_uppercase(),
            "title": self.title,
            "status": "active",
            "caseSensitive": true,
            "content": "complete",
            "count": concepts.len(),
            "concept": concepts.iter().map(|(code, display)| json!({ "code": code, "display": display })).collect::<Vec<_>>(),
        })
    }
}

/// The extension on a `PractitionerRole` naming a condition the physician
/// treats, coded in [`CONDITIONS`].
pub fn condition_extension() -> String {
    format!("{CANONICAL}/StructureDefinition/condition-expertise")
}

/// The id of our `condition` SearchParameter.
pub const CONDITION_PARAMETER: &str = "practitionerrole-condition";

pub fn condition_parameter_url() -> String {
    format!("{CANONICAL}/SearchParameter/{CONDITION_PARAMETER}")
}

/// `PractitionerRole?condition=`: roles whose physician treats a condition.
pub fn condition_parameter() -> Value {
    json!({
        "resourceType": "SearchParameter",
        "id": CONDITION_PARAMETER,
        "url": condition_parameter_url(),
        "name": "condition",
        "status": "active",
        "description": format!("Roles whose physician treats the condition: a code of {}", CONDITIONS.url()),
        "code": "condition",
        "base": ["PractitionerRole"],
        "type": "token",
        "expression": format!("PractitionerRole.extension('{}').value", condition_extension()),
    })
}
