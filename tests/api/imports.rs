//! What an import or a write stores is what the file says, once: terms are
//! sets, errors name the line that holds the bad value, and `prune` never
//! removes a physician the file mentions.

use serde_json::{Value, json};

use crate::admin::{import, put};
use crate::helpers::{
    ADMIN_TOKEN, Backend, Reply, TestApp, assert_problem, both_backends, spawn_app, spawn_app_configured,
};
use physician_locator::application::Settings;

const NPPES_FIXTURE: &str = include_str!("../fixtures/npidata_pfile_fictional.csv");

/// An NPPES file: the fixture's header, then its first provider once per
/// entry of `rows`, with those columns changed.
fn nppes_file(rows: &[&[(&str, &str)]]) -> String {
    let mut reader = csv::Reader::from_reader(NPPES_FIXTURE.as_bytes());
    let header = reader.headers().unwrap().clone();
    let first = reader.records().next().unwrap().unwrap();
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(&header).unwrap();
    for edits in rows {
        let row = header
            .iter()
            .zip(&first)
            .map(|(column, value)| edits.iter().find(|(c, _)| *c == column).map_or(value, |(_, v)| *v));
        writer.write_record(row).unwrap();
    }
    String::from_utf8(writer.into_inner().unwrap()).unwrap()
}

fn slugs(list: &Value) -> Vec<&str> {
    list.as_array().unwrap().iter().map(|t| t.as_str().or(t["slug"].as_str()).unwrap()).collect()
}

/// The parameters a refused import names, e.g. `body line 3: npi`.
fn refusals(reply: &Reply) -> Vec<&str> {
    assert_eq!(reply.status, 422, "{:?}", reply.body);
    reply.body["errors"].as_array().unwrap().iter().map(|e| e["parameter"].as_str().unwrap()).collect()
}

/// `app`'s first physicians in the CSV layout, as lines (the header first).
fn csv_lines(app: &TestApp, count: usize) -> Vec<String> {
    let mut out = Vec::new();
    physician_locator::directory::formats::csv::write(&mut out, &app.physicians[..count]).unwrap();
    String::from_utf8(out).unwrap().lines().map(str::to_owned).collect()
}

async fn lems_count(app: &TestApp) -> u64 {
    let body = app.ok("/v1/conditions").await;
    let lems = body["items"].as_array().unwrap().iter().find(|c| c["slug"] == "lems").unwrap();
    lems["physicians"].as_u64().unwrap()
}

async fn repeated_terms_are_stored_and_counted_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let before = lems_count(&app).await;
    let npi = "1234567893";
    let body = json!({
        "npi": npi, "given_name": "Ada", "family_name": "Example", "credentials": "MD", "gender": "female",
        "specialties": ["neurology", "2084N0600X", "2084N0400X"],
        "conditions": ["lems", "lems"], "languages": ["en", "es", "en"],
        "accepting_new_patients": true, "telehealth": true, "last_updated": "2026-11-01",
        "locations": [{
            "practice_name": "Example Clinic", "phone": "907-555-0101",
            "address": {"street": "1 Example Way", "city": "Adak", "state": "AK", "zip": "99546"},
            "services": ["emg", "infusion", "emg"]
        }]
    });
    let reply = put(&app, npi, &body).await;
    assert_eq!(reply.status, 201, "{:?}", reply.body);
    let stored = app.ok(&format!("/v1/physicians/{npi}")).await;
    assert_eq!(
        slugs(&stored["specialties"]),
        ["neurology", "clinical-neurophysiology"],
        "slug and code are one"
    );
    assert_eq!(slugs(&stored["conditions"]), ["lems"]);
    assert_eq!(slugs(&stored["languages"]), ["en", "es"]);
    assert_eq!(slugs(&stored["locations"][0]["services"]), ["emg", "infusion"]);
    assert_eq!(lems_count(&app).await, before + 1);
}

async fn nppes_taxonomy_codes_repeated_apart_are_one_specialty(backend: Backend) {
    let app = spawn_app(backend).await;
    let taxonomy = |i: u8, code, primary| {
        [
            (format!("Healthcare Provider Taxonomy Code_{i}"), code),
            (format!("Healthcare Provider Primary Taxonomy Switch_{i}"), primary),
        ]
    };
    let columns: Vec<(String, &str)> =
        [taxonomy(1, "2084N0400X", "Y"), taxonomy(2, "2084N0600X", "N"), taxonomy(3, "2084N0400X", "N")]
            .into_iter()
            .flatten()
            .collect();
    let edits: Vec<(&str, &str)> = columns.iter().map(|(c, v)| (c.as_str(), *v)).collect();
    let reply = import(&app, "format=nppes", "text/csv", nppes_file(&[&edits])).await;
    assert_eq!(reply.body["added"], 1, "{:?}", reply.body);
    let stored = app.ok("/v1/physicians/1900000013").await;
    assert_eq!(
        slugs(&stored["specialties"]),
        ["neurology", "clinical-neurophysiology"],
        "primary first, once each"
    );
}

async fn import_errors_name_the_line_that_holds_the_bad_value(backend: Backend) {
    let app = spawn_app(backend).await;
    // CSV with CRLF line ends (as a spreadsheet writes them) and a blank line.
    let mut lines = csv_lines(&app, 5);
    let npi = app.physicians[0].npi.to_string();
    let check = (npi.as_bytes()[9] - b'0' + 1) % 10;
    lines[1] = lines[1].replacen(&npi, &format!("{}{check}", &npi[..9]), 1);
    lines.insert(2, String::new());
    let body = lines.join("\r\n") + "\r\n";
    let reply = import(&app, "", "text/csv", body).await;
    assert_eq!(refusals(&reply), ["body line 2: npi"]);
    let mut lines = csv_lines(&app, 5);
    lines.insert(1, String::new());
    let last = lines.len() - 1;
    lines[last] = lines[last].replacen(",MD,", ",XX,", 1).replacen(",DO,", ",XX,", 1);
    let reply = import(&app, "", "text/csv", lines.join("\r\n")).await;
    assert_eq!(refusals(&reply), [format!("body line {}: credentials", last + 1)]);

    // NDJSON: blank lines count.
    let mut good = app.ok(&format!("/v1/physicians/{npi}")).await;
    let mut bad = good.clone();
    bad["locations"][0]["phone"] = json!("555-0100");
    good["telehealth"] = json!(true);
    let body = format!("\n{good}\n\n  \n{bad}\n");
    let reply = import(&app, "", "application/x-ndjson", body).await;
    assert_eq!(refusals(&reply), ["body line 5: phone"]);

    // NPPES, CRLF: the header is line 1.
    let file = nppes_file(&[&[], &[("NPI", "1900000047"), ("Provider Credential Text", "NP")]]);
    let reply = import(&app, "format=nppes", "text/csv", file.replace('\n', "\r\n")).await;
    assert_eq!(refusals(&reply), ["body line 3: Provider Credential Text"]);
}

/// The same row on both backends: a control character in any text field is
/// refused, naming the field (PostgreSQL cannot store a NUL: it failed the
/// write with a 503, and the whole import with no line), and an import
/// refuses the row by its line or, with `skip_invalid`, applies the rest.
async fn control_characters_are_refused_by_field_and_line(backend: Backend) {
    let app = spawn_app(backend).await;
    let version = app.ok("/readyz").await["version"].clone();
    let npi = app.physicians[0].npi.to_string();
    let good = app.ok(&format!("/v1/physicians/{npi}")).await;
    type Spoil = fn(&mut Value);
    let cases: [(&str, Spoil); 4] = [
        ("body.given_name", |b| b["given_name"] = json!("a\u{0}b")),
        ("body.family_name", |b| b["family_name"] = json!("Smith\u{1b}[31m")),
        ("body.street", |b| b["locations"][0]["address"]["street"] = json!("1 Main St\nApt 2")),
        ("body.city", |b| b["locations"][0]["address"]["city"] = json!("Adak\u{85}")),
    ];
    for (parameter, spoil) in cases {
        let mut body = good.clone();
        spoil(&mut body);
        assert_problem(&put(&app, &npi, &body).await, 400, Some(parameter));
    }

    // CSV: the row is refused by its line, or skipped.
    let mut lines = csv_lines(&app, 3);
    let given = app.physicians[1].given_name.as_str();
    lines[2] = lines[2].replacen(given, &format!("{given}\u{0}"), 1);
    let body = lines.join("\n");
    let reply = import(&app, "", "text/csv", body.clone()).await;
    assert_eq!(refusals(&reply), ["body line 3: given_name"]);
    let reply = import(&app, "skip_invalid=true&dry_run=true", "text/csv", body).await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    assert_eq!((reply.body["invalid"].as_u64(), reply.body["unchanged"].as_u64()), (Some(1), Some(2)));

    // NDJSON and NPPES alike.
    let mut bad = good.clone();
    bad["locations"][0]["practice_name"] = json!("Clinic\u{7f}");
    let reply = import(&app, "", "application/x-ndjson", format!("{good}\n{bad}\n")).await;
    assert_eq!(refusals(&reply), ["body line 2: practice_name"]);
    let file = nppes_file(&[&[], &[("NPI", "1900000047"), ("Provider First Name", "LU\u{0}CIA")]]);
    let reply = import(&app, "format=nppes&skip_invalid=true", "text/csv", file).await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    assert_eq!((reply.body["added"].as_u64(), reply.body["invalid"].as_u64()), (Some(1), Some(1)));
    assert_eq!(reply.body["errors"][0]["field"], "given_name");
    assert_eq!(app.get("/v1/physicians/1900000047").await.status, 404, "the refused row is not stored");
    assert_eq!(app.ok(&format!("/v1/physicians/{npi}")).await, good);
    assert_ne!(app.ok("/readyz").await["version"], version, "the valid NPPES row was applied");
}

/// A prune may remove at most `--max-prune-percent` (default 10) of the
/// directory unless forced: over it, the import is refused whole (409
/// naming `prune`, saying how many and the limit), a dry run included.
async fn a_prune_over_the_limit_is_refused_unless_forced(backend: Backend) {
    let app = spawn_app(backend).await;
    let total = app.physicians.len();
    let version = app.ok("/readyz").await["version"].clone();
    let kept = csv_lines(&app, 50).join("\n");
    for query in ["prune=true&dry_run=true", "prune=true"] {
        let reply = import(&app, query, "text/csv", kept.clone()).await;
        assert_problem(&reply, 409, Some("prune"));
        let message = reply.body["errors"][0]["message"].as_str().unwrap();
        let expected = format!("would remove {} of the directory's {total} physicians", total - 50);
        assert!(message.contains(&expected) && message.contains("limit of 10%"), "{message}");
        assert!(message.contains("force_prune=true"), "{message}");
        let report = &reply.body["report"];
        assert_eq!((report["refused"].as_bool(), report["removed"].as_u64()), (Some(true), Some(0)));
        assert_eq!(
            report["prune_over_limit"],
            json!({"would_remove": total - 50, "directory": total, "max_percent": 10})
        );
    }
    assert_eq!(app.ok("/readyz").await["version"], version, "nothing written");
    assert_eq!(app.ok("/readyz").await["physicians"], total);

    // Forced, or within the limit, it applies.
    let reply = import(&app, "prune=true&force_prune=true&dry_run=true", "text/csv", kept.clone()).await;
    assert_eq!((reply.status, reply.body["removed"].as_u64()), (200, Some(total as u64 - 50)));
    let tenth = total / 10;
    let most = csv_lines(&app, total - tenth).join("\n");
    let reply = import(&app, "prune=true&dry_run=true", "text/csv", most).await;
    assert_eq!((reply.status, reply.body["removed"].as_u64()), (200, Some(tenth as u64)), "{:?}", reply.body);
    let reply = import(&app, "force_prune=true&dry_run=true", "text/csv", kept).await;
    assert_problem(&reply, 400, Some("force_prune"));

    // The serving instance sets the limit.
    let app = spawn_app_configured(backend, &format!("tests:{ADMIN_TOKEN}"), |settings| Settings {
        max_prune_percent: 99,
        ..settings
    })
    .await;
    let reply = import(&app, "prune=true", "text/csv", csv_lines(&app, 50).join("\n")).await;
    assert_eq!((reply.status, reply.body["removed"].as_u64()), (200, Some(total as u64 - 50)));
    assert_eq!(app.ok("/readyz").await["physicians"], 50);
}

/// Applies `body` with `prune` (forced past the limit on its share) and
/// `skip_invalid` (a dry run unless `write`).
async fn prune(app: &TestApp, content_type: &str, body: String, write: bool) -> Reply {
    let query = format!("prune=true&force_prune=true&skip_invalid=true&dry_run={}", !write);
    import(app, &query, content_type, body).await
}

/// Asserts that `reply` refused a prune for the row on `line`, whose NPI
/// cannot be read, and wrote nothing.
fn assert_prune_refused(reply: &Reply, line: usize) {
    assert_eq!(reply.body["report"]["refused"], true, "{:?}", reply.body);
    assert_eq!(reply.body["report"]["removed"], 0);
    let errors = reply.body["errors"].as_array().unwrap();
    let refusal = |e: &&Value| e["message"].as_str().unwrap().starts_with("prune needs every row's NPI");
    let refusal = errors.iter().find(refusal).unwrap();
    assert_eq!(refusal["parameter"], format!("body line {line}: npi"));
}

async fn prune_never_removes_a_physician_the_file_mentions(backend: Backend) {
    let app = spawn_app(backend).await;
    let total = app.physicians.len() as u64;
    let version = app.ok("/readyz").await["version"].clone();

    // CSV: a row with a field missing has no NPI to read; nothing is removed.
    let mut lines = csv_lines(&app, 5);
    let last = lines.len() - 1;
    let npi = app.physicians[4].npi.to_string();
    let cut = lines[last].rfind(',').unwrap();
    lines[last].truncate(cut);
    for write in [false, true] {
        let reply = prune(&app, "text/csv", lines.join("\n"), write).await;
        let line = format!("body line {}: ", last + 1);
        assert_eq!(refusals(&reply), [format!("{line}row"), format!("{line}npi")]);
        assert_prune_refused(&reply, last + 1);
    }
    assert_eq!(app.get(&format!("/v1/physicians/{npi}")).await.status, 200);
    assert_eq!(app.ok("/readyz").await["version"], version, "nothing written");

    // The NPI column is read by its name, wherever it stands: a bad row with a
    // readable NPI keeps its physician.
    let mut lines = csv_lines(&app, 5);
    let moved: Vec<String> = lines
        .iter()
        .map(|line| {
            let (npi, rest) = line.split_once(',').unwrap();
            format!("{rest},{npi}")
        })
        .collect();
    lines = moved;
    lines[last] = lines[last].replacen("-555-", "-555", 1);
    let reply = prune(&app, "text/csv", lines.join("\n"), false).await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    assert_eq!((reply.body["invalid"].as_u64(), reply.body["removed"].as_u64()), (Some(1), Some(total - 5)));

    // NDJSON: an NPI written as a number or with spaces around it is still the
    // physician's; a line that is not JSON, or an NPI that is not one, is not.
    let mut bodies = Vec::new();
    for p in &app.physicians[..3] {
        bodies.push(app.ok(&format!("/v1/physicians/{}", p.npi)).await);
    }
    let ndjson = |third: String| format!("{}\n{}\n{third}\n", bodies[0], bodies[1]);
    let third = &bodies[2];
    let npi = third["npi"].as_str().unwrap();
    let mut spaced = third.clone();
    spaced["npi"] = json!(format!(" {npi} "));
    spaced["locations"][0]["phone"] = json!("555-0100");
    let mut numeric = third.clone();
    numeric["npi"] = json!(npi.parse::<u64>().unwrap());
    for mentioned in [spaced, numeric] {
        let reply = prune(&app, "application/x-ndjson", ndjson(mentioned.to_string()), false).await;
        assert_eq!(
            (reply.body["invalid"].as_u64(), reply.body["removed"].as_u64()),
            (Some(1), Some(total - 3)),
            "{:?}",
            reply.body
        );
    }
    let mut split = third.clone();
    split["npi"] = json!(format!("{} {}", &npi[..4], &npi[4..]));
    let text = third.to_string();
    for unknown in [text[..text.len() / 2].to_owned(), split.to_string()] {
        let reply = prune(&app, "application/x-ndjson", ndjson(unknown), true).await;
        assert_prune_refused(&reply, 3);
    }
    assert_eq!(app.ok("/readyz").await["physicians"], total);
}

both_backends!(
    control_characters_are_refused_by_field_and_line,
    a_prune_over_the_limit_is_refused_unless_forced,
    prune_never_removes_a_physician_the_file_mentions,
    import_errors_name_the_line_that_holds_the_bad_value,
    repeated_terms_are_stored_and_counted_once,
    nppes_taxonomy_codes_repeated_apart_are_one_specialty,
);
