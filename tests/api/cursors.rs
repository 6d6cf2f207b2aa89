//! A paging cursor is honoured only if the service wrote it: on `/v1` and
//! FHIR alike, a cursor forged with the right fingerprint (which anyone can
//! compute with the library) is refused, 400 naming `cursor`, whatever
//! position it names; so is the service's own cursor altered or cut short,
//! or signed with another key. The service's own next cursor pages on.

use serde_json::Value;

use crate::helpers::{Backend, TestApp, assert_problem, both_backends, spawn_app};
use physician_locator::domain::{GeoPoint, Npi, Radius, Unit};
use physician_locator::search::cursor::fnv1a;
use physician_locator::search::{Cursor, CursorKey, Filters, Position, SearchQuery};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// A cursor as version 1 wrote one, sealed with the unkeyed FNV-1a checksum
/// it carried: what a client could forge for any position.
fn checksummed(fingerprint: u64, position: &Position) -> String {
    let mut bytes = vec![1];
    bytes.extend(fingerprint.to_be_bytes());
    match position {
        Position::Distance { metres, npi } => {
            bytes.push(b'd');
            bytes.extend(metres.to_bits().to_be_bytes());
            bytes.extend(npi.get().to_be_bytes());
        }
        Position::Place { metres, npi, ordinal } => {
            bytes.push(b'p');
            bytes.extend(metres.to_bits().to_be_bytes());
            bytes.extend(npi.get().to_be_bytes());
            bytes.push(*ordinal);
        }
        Position::Name { family, given, npi } => {
            bytes.push(b'n');
            for s in [family, given] {
                bytes.extend((s.len() as u32).to_be_bytes());
                bytes.extend(s.as_bytes());
            }
            bytes.extend(npi.get().to_be_bytes());
        }
    }
    bytes.extend(fnv1a(&bytes).to_be_bytes());
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Forged cursors for a search with `fingerprint`: every kind of position,
/// the extremes among them, each sealed with the old checksum and signed
/// with a key that is not the service's.
fn forgeries(fingerprint: u64, npi: Npi) -> Vec<String> {
    let positions = [
        Position::Place { metres: 0.0, npi, ordinal: 0 },
        Position::Place { metres: 10.0, npi, ordinal: 255 },
        Position::Distance { metres: 1e300, npi },
        Position::Distance { metres: 0.0, npi },
        Position::Name { family: "m".into(), given: String::new(), npi },
    ];
    let stranger = CursorKey::new([0; 32]);
    positions
        .iter()
        .flat_map(|position| {
            let cursor = Cursor { fingerprint, position: position.clone() };
            [checksummed(fingerprint, position), cursor.encode(&stranger)]
        })
        .collect()
}

/// The service's cursor, altered: a byte flipped anywhere, cut short.
fn altered(cursor: &str) -> Vec<String> {
    let raw = URL_SAFE_NO_PAD.decode(cursor).expect("base64url");
    let mut out: Vec<String> = (0..raw.len())
        .map(|i| {
            let mut bytes = raw.clone();
            bytes[i] ^= 0x01;
            URL_SAFE_NO_PAD.encode(bytes)
        })
        .collect();
    out.extend([&cursor[..cursor.len() - 1], &cursor[..cursor.len() / 2], ""].map(str::to_owned));
    out.retain(|c| !c.is_empty());
    out
}

/// Every cursor in `cursors` on `uri` is refused as a problem naming it.
async fn v1_refuses(app: &TestApp, uri: &str, cursors: &[String]) {
    for cursor in cursors {
        let reply = app.get(&format!("{uri}&cursor={cursor}")).await;
        assert_problem(&reply, 400, Some("cursor"));
    }
}

/// Every cursor in `cursors` on `uri` is refused as an OperationOutcome naming it.
async fn fhir_refuses(app: &TestApp, uri: &str, cursors: &[String]) {
    for cursor in cursors {
        let reply = app.get(&format!("{uri}&cursor={cursor}")).await;
        assert_eq!(reply.status, 400, "{cursor}: {:?}", reply.body);
        assert_eq!(reply.body["resourceType"], "OperationOutcome");
        assert_eq!(reply.body["issue"][0]["expression"][0], "cursor", "{:?}", reply.body);
    }
}

/// The FHIR bundle's next link, as a path and query.
fn next_link(bundle: &Value) -> Option<String> {
    let url = bundle["link"].as_array()?.iter().find(|l| l["relation"] == "next")?["url"].as_str()?;
    Some(url[url.find("/fhir/")?..].to_owned())
}

async fn only_the_services_own_cursors_are_honoured(backend: Backend) {
    let app = spawn_app(backend).await;
    let npi = app.physicians[0].npi;

    // A listing by name, and a ranked search.
    let listing = "/v1/physicians?limit=2";
    let listed = SearchQuery { near: None, filters: Filters::default() }.fingerprint();
    let ranked_uri = "/v1/physicians?lat=40.75&lng=-73.99&radius=100&limit=2";
    let near = (GeoPoint::new(40.75, -73.99).unwrap(), Radius::new(100.0, Unit::Mi).unwrap());
    let ranked = SearchQuery { near: Some(near), filters: Filters::default() }.fingerprint();
    // Signed with the directory's own key (which only the service and the
    // database hold), a position of the search's kind is honoured, and one
    // of another kind refused: a listing by name never resumes by a place.
    let key = CursorKey::new(app.db.cursor_key().unwrap());
    let signed = |fingerprint, position| Cursor { fingerprint, position }.encode(&key);
    let by_name = Position::Name { family: "m".into(), given: String::new(), npi };
    let by_distance = Position::Distance { metres: 1000.0, npi };
    let by_place = Position::Place { metres: 0.0, npi, ordinal: 1 };
    app.ok(&format!("{listing}&cursor={}", signed(listed, by_name.clone()))).await;
    app.ok(&format!("{ranked_uri}&cursor={}", signed(ranked, by_distance.clone()))).await;
    let wrong_kind = [signed(listed, by_place.clone()), signed(listed, by_distance)];
    v1_refuses(&app, listing, &wrong_kind).await;
    v1_refuses(&app, ranked_uri, &[signed(ranked, by_name), signed(ranked, by_place.clone())]).await;

    for (uri, fingerprint) in [(listing, listed), (ranked_uri, ranked)] {
        v1_refuses(&app, uri, &forgeries(fingerprint, npi)).await;
        let first = app.ok(uri).await;
        let next = first["next_cursor"].as_str().expect("a next page");
        let second = app.ok(&format!("{uri}&cursor={next}")).await;
        assert_ne!(second["results"][0], first["results"][0], "the next page");
        v1_refuses(&app, uri, &altered(next)).await;
    }

    // FHIR: the fingerprint is over the resource and its criteria.
    let uri = "/fhir/Location?near=40.75%7C-73.99%7C100%7C%5Bmi_i%5D&_count=2";
    let fingerprint = fnv1a(b"Location?near=40.75|-73.99|100|[mi_i]");
    let reply = app.get(&format!("{uri}&cursor={}", signed(fingerprint, by_place))).await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    fhir_refuses(&app, uri, &forgeries(fingerprint, npi)).await;
    let first = app.get(uri).await;
    assert_eq!(first.status, 200, "{:?}", first.body);
    let next = next_link(&first.body).expect("a next page");
    let second = app.get(&next).await;
    assert_eq!(second.status, 200, "{:?}", second.body);
    assert_ne!(second.body["entry"][0], first.body["entry"][0], "the next page");
    let cursor = next.rsplit_once("cursor=").expect("a cursor").1;
    fhir_refuses(&app, uri, &altered(cursor)).await;
}

both_backends!(only_the_services_own_cursors_are_honoured);
