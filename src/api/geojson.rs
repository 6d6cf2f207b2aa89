//! A search page as an RFC 7946 GeoJSON FeatureCollection, for map frontends:
//! features to put on a map, not rows to lay out.

use serde::Serialize;
use utoipa::ToSchema;

use super::dto::{Address, display_name};
use super::physicians::RadiusView;
use crate::directory::{Location, Physician};
use crate::geocode::Origin;

/// The `type` member of a FeatureCollection: a single value, so that a
/// generated client can tell the GeoJSON objects apart.
#[derive(Serialize, ToSchema)]
pub enum FeatureCollectionType {
    FeatureCollection,
}

/// The `type` member of a Feature.
#[derive(Serialize, ToSchema)]
pub enum FeatureType {
    Feature,
}

/// The `type` member of a Point.
#[derive(Serialize, ToSchema)]
pub enum PointType {
    Point,
}

/// A page of results: one Point feature per result location. The search's
/// origin, radius, total and paging cursor are foreign members (RFC 7946 §6.1),
/// as in the JSON answer.
#[derive(Serialize, ToSchema)]
pub struct FeatureCollection<'a> {
    pub r#type: FeatureCollectionType,
    pub features: Vec<Feature<'a>>,
    pub origin: Option<Origin>,
    pub radius: Option<RadiusView>,
    pub total: Option<usize>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// One practice location of one result.
#[derive(Serialize, ToSchema)]
pub struct Feature<'a> {
    pub r#type: FeatureType,
    /// The location's id, `{npi}-{ordinal}`.
    #[schema(example = "1234567893-1")]
    pub id: String,
    pub geometry: PointGeometry,
    pub properties: FeatureProperties<'a>,
}

/// A GeoJSON Point.
#[derive(Serialize, ToSchema)]
pub struct PointGeometry {
    pub r#type: PointType,
    /// Longitude then latitude (RFC 7946 order), decimal degrees.
    #[schema(example = json!([-73.9931, 40.7512]), min_items = 2, max_items = 2)]
    pub coordinates: [f64; 2],
}

/// What a map marker shows: the physician in brief and this location.
#[derive(Serialize, ToSchema)]
pub struct FeatureProperties<'a> {
    #[schema(example = "1234567893")]
    pub npi: String,
    #[schema(example = "Ada Núñez, MD")]
    pub display_name: String,
    /// Specialty slugs, primary first.
    #[schema(example = json!(["neuromuscular-medicine"]))]
    pub specialties: Vec<&'static str>,
    /// Condition slugs.
    #[schema(example = json!(["lems", "myasthenia-gravis"]))]
    pub conditions: Vec<&'static str>,
    pub accepting_new_patients: bool,
    pub telehealth: bool,
    #[schema(example = "Kelhaven Neuromuscular Center")]
    pub practice_name: &'a str,
    pub address: Address<'a>,
    #[schema(example = "212-555-0147")]
    pub phone: &'a str,
    /// Service slugs offered here.
    #[schema(example = json!(["emg"]))]
    pub services: Vec<&'static str>,
    /// Geodesic distance from the origin in the request's unit; null without one.
    #[schema(example = 1.8342)]
    pub distance: Option<f64>,
}

/// The feature of one location of `physician`, `distance` away (in the unit).
pub fn feature<'a>(physician: &'a Physician, location: &'a Location, distance: Option<f64>) -> Feature<'a> {
    Feature {
        r#type: FeatureType::Feature,
        id: location.id(physician.npi),
        geometry: PointGeometry {
            r#type: PointType::Point,
            coordinates: [location.point.lng(), location.point.lat()],
        },
        properties: FeatureProperties {
            npi: physician.npi.to_string(),
            display_name: display_name(physician),
            specialties: physician.specialties.iter().map(|s| s.slug()).collect(),
            conditions: physician.conditions.iter().map(|c| c.slug()).collect(),
            accepting_new_patients: physician.accepting_new_patients,
            telehealth: physician.telehealth,
            practice_name: &location.practice_name,
            address: Address::of(location),
            phone: location.phone.as_str(),
            services: location.services.iter().map(|s| s.slug()).collect(),
            distance,
        },
    }
}
