//! The location forms a request may give: `lat`+`lng`, `zip`, or `city`+`state`.

use super::params::Faults;
use crate::domain::{GeoPoint, UsState, ZipCode};
use crate::geocode::{Gazetteer, Origin};

const ONE_FORM: &str = "give one location form only: lat and lng, zip, or city and state";

/// The location parameters of a request, each already parsed on its own (a
/// bad one is `None`, its fault recorded). An endpoint that does not declare
/// a form passes `None` for it.
pub struct Place {
    pub lat: Option<f64>,
    pub lng: Option<f64>,
    pub zip: Option<ZipCode>,
    pub city: Option<String>,
    pub state: Option<UsState>,
}

/// Resolves the request's location, if it gives one. Faults (two forms, half a
/// form, an unknown place) are added to `faults`. With `required`, giving no
/// location at all is a fault too.
pub fn resolve(place: Place, faults: &mut Faults, required: bool) -> Option<Origin> {
    let point_given = faults.given("lat") || faults.given("lng");
    let zip_given = faults.given("zip");
    let city_given = faults.given("city") || faults.given("state");
    let forms = [point_given, zip_given, city_given].iter().filter(|&&g| g).count();
    if forms > 1 {
        let first =
            ["lat", "lng", "zip", "city", "state"].into_iter().find(|n| faults.given(n)).unwrap_or("zip");
        faults.reject(first, ONE_FORM);
        return None;
    }
    if point_given {
        for (name, value) in [("lat", place.lat), ("lng", place.lng)] {
            if value.is_none() && !faults.given(name) {
                let other = if name == "lat" { "lng" } else { "lat" };
                faults.reject(name, format!("is required with {other}"));
            }
        }
        // Check each coordinate on its own so that both faults are reported.
        let lat = place
            .lat
            .filter(|&v| GeoPoint::new(v, 0.0).map_err(|e| faults.reject("lat", e.to_string())).is_ok());
        let lng = place
            .lng
            .filter(|&v| GeoPoint::new(0.0, v).map_err(|e| faults.reject("lng", e.to_string())).is_ok());
        let point = GeoPoint::new(lat?, lng?);
        return point.ok().map(Origin::at);
    }
    if zip_given {
        return Gazetteer::get().locate_zip(place.zip?).map_err(|m| faults.reject("zip", m)).ok();
    }
    if city_given {
        for (name, other) in [("city", "state"), ("state", "city")] {
            if !faults.given(name) {
                faults.reject(name, format!("is required with {other}"));
            }
        }
        return Gazetteer::get()
            .locate_city(&place.city?, place.state?)
            .map_err(|m| faults.reject("city", m))
            .ok();
    }
    if required {
        faults.reject("zip", "a location is required: zip, or city and state");
    }
    None
}
