//! Property 4: what the directory writes, it reads back unchanged: the CSV
//! layout (what `generate` writes and imports read), and the JSON layout
//! (what `GET /v1/physicians/{npi}` writes and NDJSON imports and the admin
//! `PUT` read).

use std::io::BufReader;

use proptest::prelude::*;

use physician_locator::api::dto::PhysicianView;
use physician_locator::directory::Physician;
use physician_locator::directory::formats::{csv, json, ndjson};
use physician_locator::domain::{GeoPoint, GeocodePrecision};

use crate::arb::{self, Detail};
use crate::config;

fn write_csv(physicians: &[Physician]) -> Vec<u8> {
    let mut out = Vec::new();
    csv::write(&mut out, physicians).expect("writing to memory");
    out
}

fn to_json(physician: &Physician) -> String {
    serde_json::to_string(&PhysicianView::from(physician)).expect("a view serializes")
}

proptest! {
    #![proptest_config(config(128))]

    /// Physicians written as CSV are read back equal, in order: names and
    /// addresses that need quoting, accents, several locations, coordinates
    /// to the last bit, ZIP-centroid locations written without coordinates.
    #[test]
    fn csv_export_then_import_round_trips(physicians in arb::directory(1..=12, Detail::Records)) {
        let text = write_csv(&physicians);
        let back = csv::read(text.as_slice());
        prop_assert_eq!(back.as_ref(), Ok(&physicians), "{}", String::from_utf8_lossy(&text));
        // Written again, the file is the same.
        prop_assert_eq!(write_csv(&back.expect("read")), text);
    }

    /// One physician as the API shows it is read back equal by the JSON
    /// reader (admin `PUT`), and a file of them by the NDJSON import.
    #[test]
    fn json_view_then_import_round_trips(physicians in arb::directory(1..=6, Detail::Records)) {
        for physician in &physicians {
            let text = to_json(physician);
            let back = json::parse(&text);
            prop_assert_eq!(back.as_ref(), Ok(physician), "{}", text);
        }
        let lines: Vec<String> = physicians.iter().map(to_json).collect();
        let file = lines.join("\n");
        let back: Vec<Physician> = ndjson::source(BufReader::new(file.as_bytes()))
            .map(|item| item.map(|record| record.physician))
            .collect::<Result<_, _>>()
            .map_err(|e| TestCaseError::fail(format!("{e}")))?;
        prop_assert_eq!(back, physicians);
    }

    /// A CSV export with one byte changed is read (accepted or refused, row
    /// by row) without panicking.
    #[test]
    fn a_damaged_csv_export_is_read_without_panicking(
        physicians in arb::directory(1..=4, Detail::Records),
        at in any::<prop::sample::Index>(),
        byte in any::<u8>(),
    ) {
        let mut text = write_csv(&physicians);
        let i = at.index(text.len());
        text[i] = byte;
        let _ = csv::read(text.as_slice());
    }
}

/// The README's NDJSON example: one location, no coordinates, so placed at
/// its ZIP code's centroid (Adak, AK 99546).
const README_EXAMPLE: &str = r#"{"npi":"1234567893","given_name":"Ada","family_name":"Example","credentials":"MD","gender":"female","specialties":["neuromuscular-medicine"],"conditions":["lems"],"languages":["en"],"accepting_new_patients":true,"telehealth":false,"last_updated":"2026-11-01","locations":[{"practice_name":"Example Clinic","address":{"street":"1 Example Way","city":"Adak","state":"AK","zip":"99546"},"phone":"907-555-0101","services":["emg"]}]}"#;

/// The minimal case of the JSON property: a ZIP-centroid location, shown
/// by the API with `"geocode_precision":"zip"` and its centroid's `lat` and
/// `lng`, comes back from the JSON reader (admin `PUT`, NDJSON import) as
/// the practice's own position, `"address"`.
#[test]
fn a_zip_centroid_location_stays_one_through_json() {
    let physician = json::parse(README_EXAMPLE).expect("the README's example");
    assert_eq!(physician.locations[0].precision, GeocodePrecision::Zip);
    let text = to_json(&physician);
    assert!(text.contains(r#""geocode_precision":"zip""#), "{text}");
    let back = json::parse(&text).expect("the API's own view");
    assert_eq!(back.locations[0].precision, GeocodePrecision::Zip, "read back from {text}");
    assert_eq!(back, physician);
}

/// The minimal case of the JSON property: coordinates written by the API
/// with all their digits are read back one unit in the last place off
/// (`serde_json` parses floats exactly only with its `float_roundtrip`
/// feature), so the same record is a change.
#[test]
fn coordinates_come_back_from_json_to_the_last_bit() {
    let mut physician = json::parse(README_EXAMPLE).expect("the README's example");
    let location = &mut physician.locations[0];
    location.point = GeoPoint::new(51.880100000000084, -176.6581).expect("in range");
    location.precision = GeocodePrecision::Address;
    let text = to_json(&physician);
    assert!(text.contains(r#""lat":51.880100000000084"#), "{text}");
    let back = json::parse(&text).expect("the API's own view");
    assert_eq!(
        back.locations[0].point.lat().to_bits(),
        51.880100000000084f64.to_bits(),
        "read back from {text}"
    );
}
