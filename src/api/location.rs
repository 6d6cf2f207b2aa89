//! The location forms a request may give: `lat`+`lng`, `zip`, or `city`+`state`.

use super::params::QueryParams;
use crate::domain::{GeoPoint, UsState, ZipCode};
use crate::geocode::{Gazetteer, Origin};

const ONE_FORM: &str = "give one location form only: lat and lng, zip, or city and state";

/// Resolves the request's location, if it gives one. Faults (two forms, half a
/// form, an unknown place) are recorded in `params`. With `required`, giving no
/// location at all is a fault too.
pub fn parse_origin(params: &mut QueryParams, required: bool) -> Option<Origin> {
    let point_given = params.has("lat") || params.has("lng");
    let zip_given = params.has("zip");
    let city_given = params.has("city") || params.has("state");
    let forms = [point_given, zip_given, city_given].iter().filter(|&&g| g).count();
    if forms > 1 {
        let first =
            ["lat", "lng", "zip", "city", "state"].into_iter().find(|n| params.has(n)).unwrap_or("zip");
        params.reject(first, ONE_FORM);
        return None;
    }
    if point_given {
        let (lat, lng) = (params.number("lat"), params.number("lng"));
        for (name, value) in [("lat", lat), ("lng", lng)] {
            if value.is_none() && !params.has(name) {
                let other = if name == "lat" { "lng" } else { "lat" };
                params.reject(name, format!("is required with {other}"));
            }
        }
        // Check each coordinate on its own so that both faults are reported.
        let lat =
            lat.filter(|&v| GeoPoint::new(v, 0.0).map_err(|e| params.reject("lat", e.to_string())).is_ok());
        let lng =
            lng.filter(|&v| GeoPoint::new(0.0, v).map_err(|e| params.reject("lng", e.to_string())).is_ok());
        let point = GeoPoint::new(lat?, lng?);
        return point.ok().map(Origin::at);
    }
    if zip_given {
        let zip = params.parsed("zip", ZipCode::parse)?;
        return Gazetteer::get().locate_zip(zip).map_err(|m| params.reject("zip", m)).ok();
    }
    if city_given {
        let city = params.text("city");
        let state = params.parsed("state", UsState::parse);
        for (name, other) in [("city", "state"), ("state", "city")] {
            if !params.has(name) {
                params.reject(name, format!("is required with {other}"));
            }
        }
        return Gazetteer::get().locate_city(&city?, state?).map_err(|m| params.reject("city", m)).ok();
    }
    if required {
        params.reject("zip", "a location is required: zip, or city and state");
    }
    None
}
