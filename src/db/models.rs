//! Database rows. These mirror the tables and hold plain text; the checked
//! domain form is [`crate::directory::Physician`], converted in both directions
//! there. The CSV layout carries the same fields.

use diesel::prelude::*;

use super::schema::{audit_log, locations, physicians};

#[derive(Clone, Debug, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = physicians)]
pub struct PhysicianRow {
    pub npi: String,
    pub given_name: String,
    pub family_name: String,
    pub credentials: String,
    pub gender: String,
    pub specialties: String,
    pub conditions: String,
    pub languages: String,
    pub accepting_new_patients: bool,
    pub telehealth: bool,
    pub last_updated: String,
    pub licensed_states: String,
}

#[derive(Clone, Debug, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = locations)]
pub struct LocationRow {
    pub npi: String,
    pub ordinal: i32,
    pub practice_name: String,
    pub street: String,
    pub city: String,
    pub state: String,
    pub zip: String,
    pub phone: String,
    pub lat: f64,
    pub lng: f64,
    pub services: String,
    pub geocode_precision: String,
}

/// One line of the audit log.
#[derive(Clone, Debug, Insertable)]
#[diesel(table_name = audit_log)]
pub struct NewAuditEntry<'a> {
    pub at: String,
    pub actor: &'a str,
    pub action: &'a str,
    pub npi: Option<String>,
}
