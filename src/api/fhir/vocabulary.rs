//! Our own definitions, served beside the directory: the condition and
//! service vocabularies as CodeSystems, the condition-expertise extension,
//! and the `condition` SearchParameter. Their canonical URLs are where they
//! are served.

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

impl CodeSystem {
    pub fn url(&self, base: &str) -> String {
        format!("{base}/CodeSystem/{}", self.id)
    }

    pub fn resource(&self, base: &str) -> Value {
        let concepts = (self.concepts)();
        json!({
            "resourceType": "CodeSystem",
            "id": self.id,
            "url": self.url(base),
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
pub fn condition_extension(base: &str) -> String {
    format!("{base}/StructureDefinition/condition-expertise")
}

/// The id of our `condition` SearchParameter.
pub const CONDITION_PARAMETER: &str = "practitionerrole-condition";

pub fn condition_parameter_url(base: &str) -> String {
    format!("{base}/SearchParameter/{CONDITION_PARAMETER}")
}

/// `PractitionerRole?condition=`: roles whose physician treats a condition.
pub fn condition_parameter(base: &str) -> Value {
    json!({
        "resourceType": "SearchParameter",
        "id": CONDITION_PARAMETER,
        "url": condition_parameter_url(base),
        "name": "condition",
        "status": "active",
        "description": format!("Roles whose physician treats the condition: a code of {}", CONDITIONS.url(base)),
        "code": "condition",
        "base": ["PractitionerRole"],
        "type": "token",
        "expression": format!("PractitionerRole.extension('{}').value", condition_extension(base)),
    })
}
