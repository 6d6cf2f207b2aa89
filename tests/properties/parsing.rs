//! Property 3: untrusted input. The cursor decoder never panics on any text,
//! even a forged payload signed with the key, and refuses a cursor altered
//! in any single byte; the application refuses any cursor it did not sign; the real application answers any search query string
//! (and any NPI path segment) with 200 or 4xx, never 500 and never a panic.

use std::num::NonZeroU32;

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::header::{ACCEPT, CONTENT_TYPE};
use actix_web::test as actix_test;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::{TestCaseError, TestRunner};
use serde_json::Value;

use physician_locator::api;
use physician_locator::api::partners::{Access, Origins};
use physician_locator::application::{Application, Settings};
use physician_locator::domain::text::fold;
use physician_locator::domain::vocabulary::{ConditionKind, Kind, ServiceKind, SpecialtyKind, Term};
use physician_locator::domain::{Condition, GeoPoint, Npi, Radius, Unit};
use physician_locator::search::{Cursor, CursorError, CursorKey, Filters, Position, SearchQuery};

use crate::arb;
use crate::config;

// ---------------------------------------------------------------------------
// The cursor decoder on its own.

/// Any finite, non-negative distance, the extremes over-weighted.
fn metres() -> impl Strategy<Value = f64> {
    prop_oneof![
        select(&[0.0, f64::MIN_POSITIVE, 5e-324, 1.0, 1_609_344.0, f64::MAX][..]),
        0.0..=2_000_000.0f64,
        any::<f64>().prop_filter_map("finite, non-negative", |m| (m.is_finite()).then_some(m.abs())),
    ]
}

fn cursor() -> impl Strategy<Value = Cursor> {
    let position = prop_oneof![
        (metres(), arb::npi()).prop_map(|(metres, npi)| Position::Distance { metres, npi }),
        ("\\PC{0,6}", "\\PC{0,6}", arb::npi()).prop_map(|(family, given, npi)| Position::Name {
            family,
            given,
            npi
        }),
    ];
    (any::<u64>(), position).prop_map(|(fingerprint, position)| Cursor { fingerprint, position })
}

/// A cursor payload that follows the layout only roughly (any version, tag,
/// distance bits, NPI number, string lengths and bytes), signed with the key:
/// the parser behind the signature, as if the key were known.
fn forged_payload() -> impl Strategy<Value = Vec<u8>> {
    let version = prop_oneof![4 => Just(1u8), 1 => any::<u8>()];
    let npi = prop_oneof![arb::npi().prop_map(Npi::get), any::<u64>(), Just(0), Just(9_999_999_999)];
    let distance = (
        prop_oneof![
            metres().prop_map(f64::to_bits),
            any::<u64>(),
            select(vec![
                f64::NAN.to_bits(),
                f64::INFINITY.to_bits(),
                (-1.0f64).to_bits(),
                (-0.0f64).to_bits()
            ])
        ],
        npi.clone(),
    )
        .prop_map(|(bits, npi)| {
            [vec![b'd'], bits.to_be_bytes().to_vec(), npi.to_be_bytes().to_vec()].concat()
        });
    let string = prop_oneof![
        "\\PC{0,6}".prop_map(|s: String| {
            let mut out = (s.len() as u32).to_be_bytes().to_vec();
            out.extend(s.as_bytes());
            out
        }),
        (any::<u32>(), prop::collection::vec(any::<u8>(), 0..12)).prop_map(|(len, bytes)| {
            let mut out = len.to_be_bytes().to_vec();
            out.extend(bytes);
            out
        }),
    ];
    let name = (string.clone(), string, npi)
        .prop_map(|(family, given, npi)| [vec![b'n'], family, given, npi.to_be_bytes().to_vec()].concat());
    let body = prop_oneof![
        3 => distance,
        3 => name,
        1 => prop::collection::vec(any::<u8>(), 0..40),
    ];
    let tail = prop_oneof![6 => Just(Vec::new()), 1 => prop::collection::vec(any::<u8>(), 1..4)];
    (version, any::<u64>(), body, tail).prop_map(|(version, fingerprint, body, tail)| {
        [vec![version], fingerprint.to_be_bytes().to_vec(), body, tail].concat()
    })
}

/// The key the decoder is tested with; the application has its own.
fn key() -> CursorKey {
    CursorKey::new(*b"the key of the decoder's tests!!")
}

/// `payload` signed with [`key`], as only the service could.
fn sealed(payload: &[u8]) -> String {
    let mut bytes = payload.to_vec();
    bytes.extend(key().tag(payload));
    URL_SAFE_NO_PAD.encode(bytes)
}

/// What a decoded cursor must be: what it was decoded from, re-encoded.
fn decoded_is_canonical(text: &str, fingerprint: u64) -> Result<(), TestCaseError> {
    if let Ok(cursor) = Cursor::decode(text, fingerprint, &key()) {
        prop_assert_eq!(cursor.fingerprint, fingerprint);
        if let Position::Distance { metres, .. } = cursor.position {
            prop_assert!(metres.is_finite() && metres >= 0.0, "accepted a distance of {metres}");
        }
        prop_assert_eq!(cursor.encode(&key()), text, "decoding is not the inverse of encoding");
    }
    Ok(())
}

const BASE64URL: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

proptest! {
    #![proptest_config(config(512))]

    /// Any text, and any text of the cursor's alphabet, decodes without
    /// panicking; whatever is accepted re-encodes to itself.
    #[test]
    fn decoding_any_text_never_panics(
        text in prop_oneof![any::<String>(), "[A-Za-z0-9_=+/-]{0,120}"],
        fingerprint in any::<u64>(),
    ) {
        decoded_is_canonical(&text, fingerprint)?;
    }

    /// A forged payload signed with the key (wrong version, tag, NaN or
    /// negative distance, invalid NPI, string lengths past the end, invalid
    /// UTF-8, trailing bytes) is decoded without panicking, and accepted only
    /// if it is exactly a cursor the encoder would write.
    #[test]
    fn decoding_a_forged_payload_never_panics(payload in forged_payload()) {
        let text = sealed(&payload);
        let issued_for = u64::from_be_bytes(payload[1..9].try_into().expect("eight bytes"));
        decoded_is_canonical(&text, issued_for)?;
        let other = Cursor::decode(&text, issued_for.wrapping_add(1), &key());
        prop_assert!(other.is_err(), "{:?} accepted for another query", other);
    }

    /// Every cursor survives its text form, for its own query only.
    #[test]
    fn cursors_round_trip(cursor in cursor(), other in any::<u64>()) {
        let text = cursor.encode(&key());
        prop_assert!(text.bytes().all(|b| BASE64URL.contains(&b)), "{} is not URL-safe", text);
        prop_assert_eq!(Cursor::decode(&text, cursor.fingerprint, &key()), Ok(cursor.clone()));
        if other != cursor.fingerprint {
            prop_assert_eq!(Cursor::decode(&text, other, &key()), Err(CursorError::OtherQuery));
        }
    }
}

proptest! {
    #![proptest_config(config(64))]

    /// A cursor altered in any one byte, at every position to every other
    /// value, is refused as malformed; so is its text altered in any one
    /// character, or with any one byte or character left out.
    #[test]
    fn a_cursor_altered_anywhere_is_refused(cursor in cursor()) {
        let fingerprint = cursor.fingerprint;
        let text = cursor.encode(&key());
        let raw = URL_SAFE_NO_PAD.decode(&text).expect("the encoder writes base64url");
        for i in 0..raw.len() {
            for value in 0..=u8::MAX {
                if value == raw[i] {
                    continue;
                }
                let mut bytes = raw.clone();
                bytes[i] = value;
                let altered = URL_SAFE_NO_PAD.encode(&bytes);
                prop_assert_eq!(Cursor::decode(&altered, fingerprint, &key()), Err(CursorError::Malformed), "byte {} set to {}", i, value);
            }
            let mut shorter = raw.clone();
            shorter.remove(i);
            prop_assert!(Cursor::decode(&URL_SAFE_NO_PAD.encode(&shorter), fingerprint, &key()).is_err(), "byte {} left out", i);
        }
        let others = BASE64URL.iter().copied().chain(*b"=+/ %.");
        for (i, original) in text.bytes().enumerate() {
            for c in others.clone().filter(|&c| c != original) {
                let mut altered = text.clone().into_bytes();
                altered[i] = c;
                let altered = String::from_utf8(altered).expect("ASCII");
                prop_assert_eq!(Cursor::decode(&altered, fingerprint, &key()), Err(CursorError::Malformed), "character {} set to {:?}", i, c as char);
            }
            let shorter = format!("{}{}", &text[..i], &text[i + 1..]);
            prop_assert!(Cursor::decode(&shorter, fingerprint, &key()).is_err(), "character {} left out", i);
        }
        let accented = format!("{text}é");
        prop_assert_eq!(Cursor::decode(&accented, fingerprint, &key()), Err(CursorError::Malformed));
    }
}

// ---------------------------------------------------------------------------
// The real application, in-process, over the seeded directory.

/// The application over a fresh SQLite database with the seed, no admin
/// tokens and no rate limit to speak of, and the means to call it.
struct App {
    system: actix_rt::SystemRunner,
    call: Box<dyn Fn(actix_http::Request) -> Pending>,
    _dir: tempfile::TempDir,
}

/// A reply on its way.
type Pending = std::pin::Pin<Box<dyn Future<Output = Reply>>>;

#[derive(Debug)]
struct Reply {
    status: u16,
    content_type: String,
    body: Value,
}

impl App {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("properties.sqlite3").display());
        let access = Access::new(Vec::new(), NonZeroU32::MAX, Origins::Listed(Vec::new()));
        let application = Application::build(Settings { access, ..Settings::new(url) }).expect("build");
        let state = application.state();
        let system = actix_rt::System::new();
        let service = std::rc::Rc::new(system.block_on(actix_test::init_service(api::app(state))));
        let call = Box::new(move |request| {
            let service = service.clone();
            Box::pin(async move {
                let response: ServiceResponse<_> = service.call(request).await.expect("a response");
                reply(response).await
            }) as Pending
        });
        App { system, call, _dir: dir }
    }

    fn get(&self, uri: &str, accept: Option<&str>) -> Reply {
        let mut request = actix_test::TestRequest::get().uri(uri);
        if let Some(accept) = accept {
            request = request.insert_header((ACCEPT, accept));
        }
        self.system.block_on((self.call)(request.to_request()))
    }
}

async fn reply<B: MessageBody>(response: ServiceResponse<B>) -> Reply {
    let status = response.status().as_u16();
    let content_type =
        response.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let raw = actix_test::read_body(response).await;
    let body = serde_json::from_slice(&raw).unwrap_or(Value::Null);
    Reply { status, content_type, body }
}

/// Runs a property with the app at hand (it is not `Send`, so these are
/// not `proptest!` blocks).
fn with_app<S: Strategy>(
    app: &App,
    cases: u32,
    strategy: S,
    test: impl Fn(&App, S::Value) -> Result<(), TestCaseError>,
) {
    let mut config = config(cases);
    config.source_file = Some(file!());
    let mut runner = TestRunner::new(config);
    if let Err(e) = runner.run(&strategy, |value| test(app, value)) {
        panic!("{e}\n{runner}");
    }
}

/// A search answer is a page (JSON or GeoJSON) or a problem naming a
/// parameter; nothing else.
fn well_formed(uri: &str, reply: &Reply) -> Result<(), TestCaseError> {
    match reply.status {
        200 => {
            let list = match reply.content_type.as_str() {
                "application/json" => "results",
                "application/geo+json" => "features",
                other => return Err(TestCaseError::fail(format!("{uri}: 200 as {other:?}"))),
            };
            prop_assert!(reply.body[list].is_array(), "{}: {:?}", uri, reply.body);
        }
        400 => {
            prop_assert_eq!(reply.content_type.as_str(), "application/problem+json", "{}", uri);
            let errors = reply.body["errors"].as_array();
            prop_assert!(errors.is_some_and(|e| !e.is_empty()), "{}: {:?}", uri, reply.body);
        }
        status => return Err(TestCaseError::fail(format!("{uri}: {status} {:?}", reply.body))),
    }
    Ok(())
}

const PARAMETERS: &[&str] = &[
    "lat",
    "lng",
    "zip",
    "city",
    "state",
    "radius",
    "unit",
    "specialty",
    "condition",
    "service",
    "accepting_new_patients",
    "telehealth",
    "language",
    "gender",
    "q",
    "limit",
    "cursor",
    "include_total",
    "beyond",
    "format",
    "sort",
    "LAT",
    "lat[]",
    "",
];

/// Values each parameter may meet, right and wrong.
const VALUES: &[&str] = &[
    "0",
    "-0",
    "90",
    "-90",
    "90.0000001",
    "180",
    "-180.5",
    "52.84",
    "173.18",
    "1e309",
    "-1e309",
    "NaN",
    "inf",
    "-Infinity",
    "1e-320",
    "5e-324",
    " 40.7",
    " ",
    "",
    "1,5",
    "0x1A",
    "+5",
    "5.",
    ".",
    "1000",
    "1000.0000001",
    "1609.344",
    "10001",
    "00000",
    "99546",
    "10001-1234",
    "1000",
    "San Juan",
    "PR",
    "ny",
    "ZZ",
    "mi",
    "km",
    "MI",
    "neurology",
    "2084N0008X",
    "lems",
    "LEMS",
    "emg",
    "true",
    "false",
    "True",
    "1",
    "en",
    "es",
    "xx",
    "female",
    "male",
    "F",
    "nunez",
    "Núñez",
    " a ",
    "\u{301}",
    "100",
    "101",
    "-1",
    "20.0",
    "18446744073709551616",
    "json",
    "geojson",
    "xml",
    "AQ",
    "==",
];

const ACCEPTS: &[&str] =
    &["application/geo+json", "application/json", "*/*", "text/html", "application/geo+json;q=0"];

/// Bytes a URI may carry in its query as they are; the rest are escaped.
/// `%` stays bare, so that malformed escapes (`%zz`, a lone `%`) occur.
fn uri_query(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|&b| {
            if b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/?%".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Real cursors, of ranked and listed searches of the seed, with their
/// queries, to mix in.
fn real_cursors(app: &App) -> Vec<(String, String)> {
    ["zip=10001&limit=1", "limit=1", "lat=61.2&lng=-149.9&radius=1000&unit=km&limit=2", "q=a&limit=3"]
        .iter()
        .map(|q| {
            let reply = app.get(&format!("/v1/physicians?{q}"), None);
            let cursor = reply.body["next_cursor"].as_str().unwrap_or_else(|| panic!("{q}: {reply:?}"));
            (q.to_string(), cursor.to_owned())
        })
        .collect()
}

/// A point in the seeded directory's country, or anywhere (the hard places).
fn us_point() -> impl Strategy<Value = GeoPoint> {
    prop_oneof![
        2 => (select(arb::ZIPS.clone()), -0.5..=0.5f64, -0.5..=0.5f64).prop_map(|((_, _, p), a, b)| {
            GeoPoint::new((p.lat() + a).clamp(-90.0, 90.0), (p.lng() + b).clamp(-180.0, 180.0)).expect("in range")
        }),
        1 => arb::point(),
    ]
}

const CITIES: &[(&str, &str)] = &[
    ("San Juan", "PR"),
    ("New York", "NY"),
    ("new york", "ny"),
    ("Hagatna", "GU"),
    ("Adak", "AK"),
    ("Chicago", "IL"),
];

fn slugs<K: Kind>(codes: bool) -> Vec<String> {
    Term::<K>::all()
        .flat_map(|t| [Some(t.slug().to_owned()), t.entry().code.clone().filter(|_| codes)])
        .flatten()
        .collect()
}

/// A search a client would send: an origin in any form or none, a radius,
/// filters, paging and format, all valid; then sometimes one pair spoilt or
/// added.
fn sensible_query() -> impl Strategy<Value = String> {
    type Pairs = Vec<(String, String)>;
    let pair = |name: &str, value: String| (name.to_owned(), value);
    let origin: BoxedStrategy<Pairs> = prop_oneof![
        1 => Just(Vec::new()),
        3 => us_point().prop_map(move |p| vec![pair("lat", p.lat().to_string()), pair("lng", p.lng().to_string())]),
        1 => select(arb::ZIPS.clone()).prop_map(move |z| vec![pair("zip", z.0.to_string())]),
        1 => select(CITIES).prop_map(move |(c, s)| vec![pair("city", c.to_owned()), pair("state", s.to_owned())]),
    ]
    .boxed();
    let radius = prop::option::weighted(
        0.7,
        prop_oneof![
            (1e-6..=1000.0f64).prop_map(|r| r.to_string()),
            select(&["50", "1000", "0.5"][..]).prop_map(str::to_owned)
        ],
    );
    let unit = prop::option::weighted(0.4, select(&["mi", "km"][..]));
    let filter = prop_oneof![
        select(slugs::<SpecialtyKind>(true)).prop_map(move |v| pair("specialty", v)),
        select(slugs::<ConditionKind>(false)).prop_map(move |v| pair("condition", v)),
        select(slugs::<ServiceKind>(false)).prop_map(move |v| pair("service", v)),
        any::<bool>().prop_map(move |v| pair("accepting_new_patients", v.to_string())),
        any::<bool>().prop_map(move |v| pair("telehealth", v.to_string())),
        select(arb::LANGUAGES).prop_map(move |v| pair("language", v.to_owned())),
        select(&["female", "male"][..]).prop_map(move |v| pair("gender", v.to_owned())),
        select(&["a", "nu", "Núñez", " Ma ", "zzz"][..]).prop_map(move |v| pair("q", v.to_owned())),
    ];
    let filters = prop::collection::vec(filter, 0..4);
    let paging = (
        prop::option::weighted(0.7, 1usize..=100),
        prop::option::weighted(0.3, any::<bool>()),
        prop::option::weighted(0.2, select(&["json", "geojson"][..])),
        prop::option::weighted(0.3, 0usize..=10),
    );
    let spoil = prop::option::weighted(
        0.2,
        (
            any::<prop::sample::Index>(),
            select(PARAMETERS),
            prop_oneof![select(VALUES).prop_map(str::to_owned), any::<String>()],
            any::<bool>(),
        ),
    );
    (origin, radius, unit, filters, paging, spoil).prop_map(
        move |(origin, radius, unit, filters, paging, spoil)| {
            let located = !origin.is_empty();
            let mut pairs: Pairs = origin;
            pairs.extend(radius.filter(|_| located).map(|r| pair("radius", r)));
            pairs.extend(unit.filter(|_| located).map(|u| pair("unit", u.to_owned())));
            pairs.extend(filters);
            let (limit, total, format, beyond) = paging;
            pairs.extend(beyond.filter(|_| located).map(|b| pair("beyond", b.to_string())));
            pairs.extend(limit.map(|l| pair("limit", l.to_string())));
            pairs.extend(total.map(|t| pair("include_total", t.to_string())));
            pairs.extend(format.map(|f| pair("format", f.to_owned())));
            if let Some((at, name, value, replace)) = spoil {
                let i = at.index(pairs.len() + 1);
                if replace && i < pairs.len() {
                    pairs[i].1 = value;
                } else {
                    pairs.insert(i, pair(name, value));
                }
            }
            let mut query = form_urlencoded::Serializer::new(String::new());
            for (name, value) in pairs {
                query.append_pair(&name, &value);
            }
            query.finish()
        },
    )
}

#[test]
fn any_search_query_string_is_answered_200_or_400() {
    // Raw: names, values, separators, escaped and bare bytes, in any order.
    let token = prop_oneof![
        3 => select(PARAMETERS).prop_map(|s| s.as_bytes().to_vec()),
        3 => select(VALUES).prop_map(|s| s.as_bytes().to_vec()),
        4 => select(&["&", "=", "+", "%", ";", "%2", "%zz", "%00", "%FF", "%C3%A9"][..]).prop_map(|s| s.as_bytes().to_vec()),
        2 => any::<u8>().prop_map(|b| vec![b]),
        1 => any::<String>().prop_map(String::into_bytes),
    ];
    let raw = prop::collection::vec(token, 0..40).prop_map(|tokens| uri_query(&tokens.concat()));
    // Pairs: known and unknown names with right, wrong and any values.
    let value = prop_oneof![4 => select(VALUES).prop_map(str::to_owned), 1 => any::<String>()];
    let pairs = prop::collection::vec((select(PARAMETERS), value), 0..10).prop_map(|pairs| {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (name, value) in pairs {
            query.append_pair(name, &value);
        }
        query.finish()
    });
    let accept =
        prop::option::weighted(0.3, prop_oneof![select(ACCEPTS).prop_map(str::to_owned), "[ -~]{0,20}"]);
    let cursor = prop::option::weighted(
        0.25,
        (any::<prop::sample::Index>(), any::<u8>(), any::<prop::sample::Index>(), any::<bool>()),
    );
    let strategy = (prop_oneof![1 => raw, 1 => pairs, 3 => sensible_query()], accept, cursor);
    let app = App::new();
    let cursors = real_cursors(&app);
    with_app(&app, 256, strategy, |app, (query, accept, cursor)| {
        // Sometimes a real cursor, whole or with one character changed, after
        // the query it belongs to or another.
        let mut expect = None;
        let query = match cursor {
            None => query,
            Some((which, value, at, own)) => {
                let (own_query, text) = &cursors[which.index(cursors.len())];
                let mut text = text.clone().into_bytes();
                let i = at.index(text.len());
                let original = text[i];
                if value % 2 == 0 {
                    text[i] = BASE64URL[usize::from(value) % BASE64URL.len()];
                }
                let altered = text[i] != original;
                let text = String::from_utf8(text).expect("ASCII");
                if altered {
                    expect = Some(400);
                } else if own {
                    expect = Some(200);
                }
                format!("{}&cursor={text}", if own { own_query } else { &query })
            }
        };
        let uri = format!("/v1/physicians?{query}");
        prop_assert!(
            actix_web::http::Uri::try_from(uri.as_str()).is_ok(),
            "the test made a bad URI: {}",
            uri
        );
        let reply = app.get(&uri, accept.as_deref());
        if let Some(status) = expect {
            prop_assert_eq!(reply.status, status, "{}: {:?}", uri, reply.body);
        }
        if expect == Some(400) {
            let errors = reply.body["errors"].as_array().cloned().unwrap_or_default();
            prop_assert!(errors.iter().any(|e| e["parameter"] == "cursor"), "{}: {:?}", uri, reply.body);
        }
        well_formed(&uri, &reply)
    });
}

#[test]
fn any_npi_path_segment_is_answered_200_400_or_404() {
    let segment = prop_oneof![arb::npi().prop_map(|n| n.to_string()), "[0-9]{0,12}", any::<String>(),];
    with_app(&App::new(), 128, segment, |app, segment| {
        let escaped: String = segment
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                    char::from(b).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        let uri = format!("/v1/physicians/{escaped}");
        let reply = app.get(&uri, None);
        prop_assert!([200, 400, 404].contains(&reply.status), "{}: {} {:?}", uri, reply.status, reply.body);
        Ok(())
    });
}

/// A query made of an origin and a radius, or of a name (listing), as a
/// query string and as the search it parses to.
#[derive(Clone, Debug)]
struct Forgery {
    origin: Option<(GeoPoint, f64, bool)>,
    lems: bool,
    q: Option<String>,
    /// The forged position: by distance, by name, or a FHIR place's.
    position: Position,
    limit: usize,
}

impl Forgery {
    fn query_string(&self) -> (String, SearchQuery) {
        let mut query = form_urlencoded::Serializer::new(String::new());
        let mut filters = Filters::default();
        let near = self.origin.map(|(point, radius, km)| {
            query.append_pair("lat", &point.lat().to_string());
            query.append_pair("lng", &point.lng().to_string());
            query.append_pair("radius", &radius.to_string());
            if km {
                query.append_pair("unit", "km");
            }
            let unit = if km { Unit::Km } else { Unit::Mi };
            (point, Radius::new(radius, unit).expect("radius in range"))
        });
        if self.lems {
            query.append_pair("condition", "lems");
            filters.conditions.insert(Condition::parse("lems").expect("a condition"));
        }
        if let Some(q) = &self.q {
            query.append_pair("q", q);
            filters.name = Some(fold(q.trim()));
        }
        query.append_pair("limit", &self.limit.to_string());
        let search = SearchQuery { near, filters };
        let cursor = Cursor { fingerprint: search.fingerprint(), position: self.position.clone() };
        query.append_pair("cursor", &cursor.encode(&key()));
        (query.finish(), search)
    }
}

fn forgery() -> impl Strategy<Value = Forgery> {
    let origin = prop::option::weighted(
        0.6,
        (us_point(), prop_oneof![Just(1.0), 1e-6..=1.0f64], any::<bool>()).prop_map(|(point, share, km)| {
            let max = if km { 1609.344 } else { 1000.0 };
            (point, max * share, km)
        }),
    );
    let position = prop_oneof![
        (metres(), arb::npi()).prop_map(|(metres, npi)| Position::Distance { metres, npi }),
        (prop_oneof!["[a-z]{0,3}", "\\PC{0,4}"], "[a-z]{0,3}", arb::npi())
            .prop_map(|(family, given, npi)| Position::Name { family, given, npi }),
        (metres(), arb::npi(), any::<u8>()).prop_map(|(metres, npi, ordinal)| Position::Place {
            metres,
            npi,
            ordinal
        }),
    ];
    let q =
        prop::option::weighted(0.3, select(&["a", "nu", " Ma ", "Núñez", "zzz"][..]).prop_map(str::to_owned));
    (origin, any::<bool>(), q, position, 1usize..=100)
        .prop_map(|(origin, lems, q, position, limit)| Forgery { origin, lems, q, position, limit })
}

/// A cursor forged with the right fingerprint (computable by anyone with
/// the library), at any position and of either kind, but signed with any key
/// but the directory's, is refused (400, naming `cursor`), and never fails
/// the server. (With the unkeyed checksum, these were honoured.)
#[test]
fn a_forged_cursor_with_the_right_fingerprint_is_refused() {
    with_app(&App::new(), 128, forgery(), |app, forgery| {
        let (query, _) = forgery.query_string();
        let uri = format!("/v1/physicians?{query}");
        let reply = app.get(&uri, None);
        prop_assert_eq!(reply.status, 400, "{}: {:?}", uri, reply.body);
        let errors = reply.body["errors"].as_array().expect("errors");
        prop_assert!(errors.iter().any(|e| e["parameter"] == "cursor"), "{:?}", reply.body);
        Ok(())
    });
}
