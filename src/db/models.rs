//! Database rows. These mirror the tables and hold plain text: a physician's
//! rows convert to the directory's unchecked [`PhysicianInput`], which
//! [`Physician::check`] reads, and a [`Physician`] to its rows through the same
//! form.

use diesel::prelude::*;

use super::schema::{audit_log, locations, physicians};
use crate::directory::Physician;
use crate::directory::input::{LocationInput, PhysicianInput};

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

impl PhysicianRow {
    /// The rows that store `physician`, its locations by ordinal.
    pub fn store(physician: &Physician) -> (PhysicianRow, Vec<LocationRow>) {
        let input = physician.to_input();
        let locations = input
            .locations
            .into_iter()
            .zip(1..)
            .map(|(l, ordinal)| LocationRow {
                npi: input.npi.clone(),
                ordinal,
                practice_name: l.practice_name,
                street: l.street,
                city: l.city,
                state: l.state,
                zip: l.zip,
                phone: l.phone,
                lat: l.lat,
                lng: l.lng,
                services: l.services,
                geocode_precision: l.geocode_precision,
            })
            .collect();
        let row = PhysicianRow {
            npi: input.npi,
            given_name: input.given_name,
            family_name: input.family_name,
            credentials: input.credentials,
            gender: input.gender,
            specialties: input.specialties,
            conditions: input.conditions,
            languages: input.languages,
            accepting_new_patients: input.accepting_new_patients,
            telehealth: input.telehealth,
            last_updated: input.last_updated,
            licensed_states: input.licensed_states,
        };
        (row, locations)
    }

    /// This row with its location rows (in ordinal order), unchecked.
    pub fn input(self, locations: Vec<LocationRow>) -> PhysicianInput {
        PhysicianInput {
            npi: self.npi,
            given_name: self.given_name,
            family_name: self.family_name,
            credentials: self.credentials,
            gender: self.gender,
            specialties: self.specialties,
            conditions: self.conditions,
            languages: self.languages,
            accepting_new_patients: self.accepting_new_patients,
            telehealth: self.telehealth,
            last_updated: self.last_updated,
            licensed_states: self.licensed_states,
            locations: locations
                .into_iter()
                .map(|l| LocationInput {
                    practice_name: l.practice_name,
                    street: l.street,
                    city: l.city,
                    state: l.state,
                    zip: l.zip,
                    phone: l.phone,
                    lat: l.lat,
                    lng: l.lng,
                    services: l.services,
                    geocode_precision: l.geocode_precision,
                })
                .collect(),
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_round_trip_through_the_checked_form() {
        let physician = crate::directory::tests::sample();
        let (row, locations) = PhysicianRow::store(&physician);
        assert_eq!(locations[0].ordinal, 1);
        let back = Physician::check(row.clone().input(locations.clone())).unwrap();
        assert_eq!(back, physician);
        assert_eq!(PhysicianRow::store(&back), (row, locations));
    }
}
