//! Where physicians hold a license: read from every layout, stored, upgraded
//! into an older database, and searched by `licensed_in` for telehealth.

use diesel::migration::MigrationSource;
use diesel::{Connection, PgConnection, SqliteConnection};
use diesel_migrations::{FileBasedMigrations, MigrationHarness};
use serde_json::{Value, json};

use crate::admin::put;
use crate::helpers::{Backend, TestDatabase, assert_problem, both_backends, spawn_app};
use physician_locator::db::{Database, DatabaseUrl};

/// Two physicians as the first schema stored them, before licenses.
const OLD_ROWS: &str = "
    INSERT INTO physicians VALUES
        ('1234567893', 'Ada', 'Example', 'MD', 'female', '2084N0008X', 'lems', 'en', true, true, '2026-11-01'),
        ('1000000004', 'Tomas', 'Sample', 'DO', 'male', '2084N0400X', '', 'en;es', false, false, '2026-10-01');
    INSERT INTO locations VALUES
        ('1234567893', 1, 'Example Clinic', '1 Example Way', 'New York', 'NY', '10001', '212-555-0100', 40.75, -73.99, '', 'address'),
        ('1234567893', 2, 'Example Clinic', '2 Example Way', 'Hoboken', 'NJ', '07030', '201-555-0101', 40.74, -74.03, '', 'address'),
        ('1234567893', 3, 'Example Clinic', '3 Example Way', 'New York', 'NY', '10002', '212-555-0102', 40.71, -73.98, '', 'address'),
        ('1000000004', 1, 'Sample Clinic', '4 Calle Ejemplo', 'Adjuntas', 'PR', '00601', '787-555-0103', 18.16, -66.72, '', 'address');";

/// Applies only the first migration of `tree`, then writes [`OLD_ROWS`].
fn at_the_first_schema<C>(mut conn: C, tree: &str)
where
    C: Connection + MigrationHarness<C::Backend>,
    FileBasedMigrations: MigrationSource<C::Backend>,
{
    let migrations =
        FileBasedMigrations::from_path(format!("{}/migrations/{tree}", env!("CARGO_MANIFEST_DIR"))).unwrap();
    conn.run_next_migration(migrations).unwrap();
    conn.batch_execute(OLD_ROWS).unwrap();
}

/// An older directory upgrades in place: each physician is licensed where
/// they practise.
async fn an_older_directory_upgrades_with_licenses_where_they_practise(backend: Backend) {
    let test_db = TestDatabase::new(backend);
    match backend {
        Backend::Sqlite => at_the_first_schema(
            SqliteConnection::establish(test_db.url.trim_start_matches("sqlite://")).unwrap(),
            "sqlite",
        ),
        Backend::Postgres => at_the_first_schema(PgConnection::establish(&test_db.url).unwrap(), "postgres"),
    }
    let db = Database::new(DatabaseUrl::parse(&test_db.url).unwrap());
    db.migrate().unwrap();
    let (_, physicians) = db.load().unwrap();
    let licensed: Vec<Vec<&str>> =
        physicians.iter().map(|p| p.licensed_states.iter().map(|s| s.code()).collect()).collect();
    assert_eq!(licensed, [vec!["PR"], vec!["NJ", "NY"]]);
}

fn npis(page: &Value) -> Vec<&str> {
    let results = page["results"].as_array().unwrap().iter();
    results
        .chain(page["beyond_radius"].as_array().unwrap())
        .map(|r| r["physician"]["npi"].as_str().unwrap())
        .collect()
}

/// "Who can see me by video in Wyoming, nearest first", from Yellowstone:
/// telehealth physicians licensed there, most of them practising elsewhere.
async fn licensed_in_keeps_who_may_see_a_patient_in_a_state(backend: Backend) {
    let app = spawn_app(backend).await;
    let page = app.ok("/v1/physicians?telehealth=true&licensed_in=WY&zip=82190&beyond=10").await;
    let found = npis(&page);
    assert!(found.len() >= 10, "{page}");
    let results = page["results"].as_array().unwrap().iter().chain(page["beyond_radius"].as_array().unwrap());
    for r in results {
        assert_eq!(r["physician"]["telehealth"], true);
        assert!(r["physician"]["licensed_states"].as_array().unwrap().iter().any(|s| s == "WY"), "{r}");
    }
    let elsewhere = app.physicians.iter().filter(|p| {
        found.contains(&p.npi.to_string().as_str()) && p.locations.iter().all(|l| l.state.code() != "WY")
    });
    assert!(elsewhere.count() > 0, "licenses reach across state lines");

    // Repeated: licensed in any of them.
    let either = app.ok("/v1/physicians?licensed_in=WY&licensed_in=pr&q=a&limit=100").await;
    for r in either["results"].as_array().unwrap() {
        let states = r["physician"]["licensed_states"].as_array().unwrap();
        assert!(states.iter().any(|s| s == "WY" || s == "PR"), "{r}");
    }
    for bad in
        ["licensed_in=XX", "licensed_in=", "licensed_in=Wyoming", "zip=82190&licensed_in=WY&licensed_in=AP"]
    {
        assert_problem(&app.get(&format!("/v1/physicians?{bad}")).await, 400, Some("licensed_in"));
    }
}

/// The detail shows the licenses; PUT takes them back, adds the locations'
/// states and refuses one that is not a state.
async fn licenses_travel_through_detail_and_put(backend: Backend) {
    let app = spawn_app(backend).await;
    let p = &app.physicians[7];
    let uri = format!("/v1/physicians/{}", p.npi);
    let mut body = app.ok(&uri).await;
    let stored: Vec<&str> = p.licensed_states.iter().map(|s| s.code()).collect();
    assert_eq!(body["licensed_states"], json!(stored));
    body["licensed_states"] = json!(["VI", "gu"]);
    let reply = put(&app, &p.npi.to_string(), &body).await;
    assert!(reply.status < 300, "{:?}", reply.body);
    let mut want: Vec<&str> = p.locations.iter().map(|l| l.state.code()).chain(["GU", "VI"]).collect();
    want.sort();
    want.dedup();
    assert_eq!(app.ok(&uri).await["licensed_states"], json!(want));
    body["licensed_states"] = json!(["ZZ"]);
    assert_problem(&put(&app, &p.npi.to_string(), &body).await, 400, Some("body.licensed_states"));
}

both_backends!(
    an_older_directory_upgrades_with_licenses_where_they_practise,
    licensed_in_keeps_who_may_see_a_patient_in_a_state,
    licenses_travel_through_detail_and_put,
);
