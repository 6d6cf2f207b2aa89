//! Every bad input is a problem+json answer naming the parameter; nothing is a 500.

use crate::helpers::{Backend, both_backends};
use crate::helpers::{assert_problem, spawn_app};

async fn bad_search_parameters_are_400_naming_the_parameter(backend: Backend) {
    let app = spawn_app(backend).await;
    let cases: &[(&str, &str)] = &[
        ("foo=1", "foo"),
        ("zip=10001&foo=1", "foo"),
        ("zip=10001&lat=40&lng=-73", "lat"),
        ("zip=10001&city=Boston&state=MA", "zip"),
        ("lat=40", "lng"),
        ("lng=-73", "lat"),
        ("lat=abc&lng=1", "lat"),
        ("lat=NaN&lng=1", "lat"),
        ("lat=1&lng=inf", "lng"),
        ("lat=-infinity&lng=1", "lat"),
        ("lat=90.5&lng=1", "lat"),
        ("lat=1&lng=-180.01", "lng"),
        ("lat=1&lat=2&lng=3", "lat"),
        ("zip=10001&radius=0", "radius"),
        ("zip=10001&radius=-5", "radius"),
        ("zip=10001&radius=1000.5", "radius"),
        ("zip=10001&radius=1610&unit=km", "radius"),
        ("zip=10001&radius=NaN", "radius"),
        ("zip=10001&radius=ten", "radius"),
        ("zip=10001&unit=yd", "unit"),
        ("radius=10", "radius"),
        ("zip=1000", "zip"),
        ("zip=10001-12", "zip"),
        ("zip=abcde", "zip"),
        ("zip=00000", "zip"),
        ("zip=09001", "zip"),
        ("zip=", "zip"),
        ("city=Boston", "state"),
        ("state=MA", "city"),
        ("city=Boston&state=ZZ", "state"),
        ("city=Atlantis&state=MA", "city"),
        ("specialty=brain-surgery", "specialty"),
        ("condition=flu", "condition"),
        ("service=massage", "service"),
        ("accepting_new_patients=yes", "accepting_new_patients"),
        ("telehealth=1", "telehealth"),
        ("language=spanish", "language"),
        ("gender=other", "gender"),
        ("q=", "q"),
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=-1", "limit"),
        ("limit=2.5", "limit"),
        ("zip=10001&beyond=11", "beyond"),
        ("zip=10001&beyond=-1", "beyond"),
        ("zip=10001&beyond=three", "beyond"),
        ("beyond=3", "beyond"),
        ("cursor=not-a-cursor", "cursor"),
        ("cursor=", "cursor"),
    ];
    for (query, parameter) in cases {
        let reply = app.get(&format!("/v1/physicians?{query}")).await;
        assert_problem(&reply, 400, Some(parameter));
    }
}

async fn an_overlong_name_query_is_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let reply = app.get(&format!("/v1/physicians?q={}", "a".repeat(101))).await;
    assert_problem(&reply, 400, Some("q"));
    assert_eq!(app.get(&format!("/v1/physicians?q={}", "a".repeat(100))).await.status, 200);
}

async fn all_faults_are_reported_at_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let reply = app.get("/v1/physicians?zip=10001&radius=0&limit=500&bogus=1").await;
    assert_problem(&reply, 400, Some("radius"));
    assert_problem(&reply, 400, Some("limit"));
    assert_problem(&reply, 400, Some("bogus"));
    assert!(reply.body["errors"][0]["message"].as_str().unwrap().contains("accepted: lat, lng"));
}

async fn unknown_terms_list_the_valid_slugs(backend: Backend) {
    let app = spawn_app(backend).await;
    let reply = app.get("/v1/physicians?condition=lambert-eaton").await;
    let message = reply.body["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("lems"), "{message}");
}

async fn cursors_only_work_for_the_query_that_issued_them(backend: Backend) {
    let app = spawn_app(backend).await;
    let first = app.ok("/v1/physicians?zip=10001&limit=2").await;
    let cursor = first["next_cursor"].as_str().unwrap().to_owned();
    assert_eq!(app.get(&format!("/v1/physicians?zip=10001&limit=2&cursor={cursor}")).await.status, 200);
    // A different limit is the same query, and so is another `beyond`: like the
    // limit, it shapes the last page and changes no page's results.
    assert_eq!(app.get(&format!("/v1/physicians?zip=10001&limit=5&cursor={cursor}")).await.status, 200);
    assert_eq!(
        app.get(&format!("/v1/physicians?zip=10001&limit=2&beyond=9&cursor={cursor}")).await.status,
        200
    );
    for other in [
        "zip=10002",
        "zip=10001&radius=51",
        "zip=10001&condition=lems",
        "zip=10001&unit=km",
        "zip=10001&licensed_in=NY",
        "",
    ] {
        let reply = app.get(&format!("/v1/physicians?{other}&limit=2&cursor={cursor}")).await;
        assert_problem(&reply, 400, Some("cursor"));
    }
    // Any altered character is refused.
    for i in 0..cursor.len() {
        let mut altered = cursor.clone().into_bytes();
        altered[i] = if altered[i] == b'A' { b'B' } else { b'A' };
        let altered = String::from_utf8(altered).unwrap();
        let reply = app.get(&format!("/v1/physicians?zip=10001&limit=2&cursor={altered}")).await;
        assert_problem(&reply, 400, Some("cursor"));
    }
    let listed = app.ok("/v1/physicians?limit=2").await;
    let name_cursor = listed["next_cursor"].as_str().unwrap();
    let reply = app.get(&format!("/v1/physicians?zip=10001&limit=2&cursor={name_cursor}")).await;
    assert_problem(&reply, 400, Some("cursor"));
}

async fn detail_errors(backend: Backend) {
    let app = spawn_app(backend).await;
    assert_problem(&app.get("/v1/physicians/123").await, 400, Some("npi"));
    assert_problem(&app.get("/v1/physicians/1234567890").await, 400, Some("npi"));
    assert_problem(&app.get("/v1/physicians/12345678ab").await, 400, Some("npi"));
    assert_problem(&app.get("/v1/physicians/1234567893").await, 404, None);
    let npi = app.physicians[0].npi;
    assert_problem(&app.get(&format!("/v1/physicians/{npi}?x=1")).await, 400, Some("x"));
}

async fn unknown_paths_and_parameters_elsewhere_are_problems(backend: Backend) {
    let app = spawn_app(backend).await;
    assert_problem(&app.get("/v2/physicians").await, 404, None);
    assert_problem(&app.get("/").await, 404, None);
    for path in ["/v1/specialties", "/v1/conditions", "/v1/services", "/healthz", "/readyz"] {
        assert_problem(&app.get(&format!("{path}?verbose=1")).await, 400, Some("verbose"));
    }
    assert_problem(&app.get("/v1/geocode").await, 400, Some("zip"));
    assert_problem(&app.get("/v1/geocode?zip=10001&lat=1").await, 400, Some("lat"));
    assert_problem(&app.get("/v1/geocode?zip=99999").await, 400, Some("zip"));
}

async fn hostile_bytes_never_cause_a_server_error(backend: Backend) {
    let app = spawn_app(backend).await;
    let queries = [
        "%FF%FE=1",
        "zip=%00%00%00%00%00",
        "q=%F0%9F%99%82",
        "lat=1e308&lng=1e308",
        "lat=-0&lng=-0",
        "lat=0x10&lng=1",
        "zip=%EF%BC%91%EF%BC%90%EF%BC%90%EF%BC%90%EF%BC%91", // full-width digits
        "specialty=%E2%80%AE",
        "limit=99999999999999999999999",
        "cursor=%FF%FF%FF",
        "&&&==&",
        "radius=1e-320&zip=10001",
    ];
    for q in queries {
        let reply = app.get(&format!("/v1/physicians?{q}")).await;
        assert!(reply.status < 500, "{q}: {:?}", reply.body);
        if reply.status != 200 {
            assert_eq!(reply.content_type, "application/problem+json", "{q}");
        }
    }
}

async fn other_methods_are_problems_too(backend: Backend) {
    // A route asked with a method it does not take: 405 naming the ones it does.
    use actix_web::http::Method;
    let app = spawn_app(backend).await;
    let npi = app.physicians[0].npi;
    let cases = [
        (Method::POST, "/v1/physicians".to_owned(), "GET, HEAD"),
        (Method::DELETE, "/v1/specialties".to_owned(), "GET, HEAD"),
        (Method::PATCH, format!("/v1/admin/physicians/{npi}"), "PUT, DELETE"),
        (Method::TRACE, "/healthz".to_owned(), "GET, HEAD"),
        (Method::GET, "/v1/admin/imports".to_owned(), "POST"),
    ];
    for (method, uri, allow) in cases {
        let reply =
            app.request(actix_web::test::TestRequest::default().method(method.clone()).uri(&uri)).await;
        assert_problem(&reply, 405, None);
        assert_eq!(reply.header("allow"), Some(allow), "{method} {uri}");
    }
    // HEAD is GET without a body, wherever GET is.
    let head = app
        .request(actix_web::test::TestRequest::default().method(Method::HEAD).uri("/v1/specialties"))
        .await;
    assert_eq!(head.status, 200);
    // An unknown path is still a 404.
    let reply = app.request(actix_web::test::TestRequest::post().uri("/v1/nothing")).await;
    assert_problem(&reply, 404, None);
}

both_backends!(
    bad_search_parameters_are_400_naming_the_parameter,
    an_overlong_name_query_is_refused,
    all_faults_are_reported_at_once,
    unknown_terms_list_the_valid_slugs,
    cursors_only_work_for_the_query_that_issued_them,
    detail_errors,
    unknown_paths_and_parameters_elsewhere_are_problems,
    hostile_bytes_never_cause_a_server_error,
    other_methods_are_problems_too,
);
