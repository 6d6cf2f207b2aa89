//! The README's curl examples really work.

use crate::helpers::spawn_app;
use crate::helpers::{Backend, both_backends};

async fn every_curl_example_in_the_readme_answers_as_documented(backend: Backend) {
    let app = spawn_app(backend).await;
    let readme = include_str!("../../README.md");
    let prefix = "curl -s 'http://127.0.0.1:8080";
    let mut checked = 0;
    for line in readme.lines().filter(|l| l.starts_with(prefix)) {
        let path = line[prefix.len()..].split('\'').next().unwrap();
        let expected = if line.ends_with("# 400") { 400 } else { 200 };
        let reply = app.get(path).await;
        assert_eq!(reply.status, expected, "{line}: {:?}", reply.body);
        if expected == 200 {
            // Nothing in the radius is an answer when the nearest beyond it are named.
            let none = |key: &str| reply.body[key].as_array().is_some_and(|r| r.is_empty());
            let empty = none("results") && reply.body["beyond_radius"].as_array().is_none_or(Vec::is_empty)
                || reply.body["resourceType"] == "Bundle"
                    && reply.body["entry"].as_array().is_none_or(|e| e.is_empty());
            assert!(!empty, "an example that finds nothing: {line}");
        }
        checked += 1;
    }
    assert!(checked >= 10, "found only {checked} examples");
}

both_backends!(every_curl_example_in_the_readme_answers_as_documented,);
