//! What the OpenAPI document says about every operation beyond its own
//! annotation: the answers that come from the middleware rather than the
//! handler, the headers on every answer, who may call, and the server.
//!
//! An annotation lists what its handler decides. What the layers around every
//! handler decide (the URL and header limits in `security`, the request id in
//! `observe`, the gate's key, origin and rate limit on `/v1/` in `gate`, the
//! admin token, the body limit and the directory of record behind the admin
//! routes, the `ETag` of `caching`) is added here, once, from the same rules
//! those layers follow, as shared `components.responses` and
//! `components.headers` referenced by `$ref`. A generated client then knows
//! every answer an operation can give, and no operation is said to give one it
//! cannot.

use utoipa::Modify;
use utoipa::openapi::content::ContentBuilder;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::path::Operation;
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::schema::{Object, Type};
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::server::ServerBuilder;
use utoipa::openapi::{OpenApi, Ref, RefOr};

use super::gated;
use crate::error::PROBLEM_JSON;

/// The security scheme of the admin routes: their annotations name it.
const ADMIN_TOKEN: &str = "admin_token";
/// The security scheme of a partner's key, optional on the gated routes.
const API_KEY: &str = "api_key";

pub struct Contract;

impl Modify for Contract {
    fn modify(&self, openapi: &mut OpenApi) {
        openapi.servers = Some(vec![
            ServerBuilder::new().url("/").description(Some("The server that serves this document")).build(),
        ]);
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            API_KEY,
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-Api-Key",
                "A partner's key: its own rate limit, and only its origins in a browser. Optional: \
                 without one a caller is limited by address",
            ))),
        );
        components.add_security_scheme(
            ADMIN_TOKEN,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("An admin token from LOCATOR_ADMIN_TOKENS (name:token pairs)"))
                    .build(),
            ),
        );
        components.headers.extend(HEADERS.iter().map(|(name, kind, description)| {
            let header = HeaderBuilder::new()
                .schema(Some(Object::with_type(kind.clone())))
                .description(Some(*description))
                .build();
            (name.to_string(), RefOr::T(header))
        }));
        components
            .responses
            .extend(RESPONSES.iter().map(|shared| (shared.name.to_owned(), RefOr::T(shared.response()))));
        for (path, item) in openapi.paths.paths.iter_mut() {
            let operations = [&mut item.get, &mut item.put, &mut item.post, &mut item.delete];
            for operation in operations.into_iter().flatten() {
                complete(path, operation);
            }
        }
    }
}

/// The headers answers carry: name, type, meaning.
const HEADERS: [(&str, Type, &str); 9] = [
    (
        "X-Request-Id",
        Type::String,
        "This request's id, on every log line it caused: the caller's own `X-Request-Id` when that is \
         1 to 64 letters, digits, `-`, `_` or `.`, else a new one",
    ),
    (
        "ETag",
        Type::String,
        "Weak entity tag of this answer: send it as `If-None-Match` to be answered 304 while it holds",
    ),
    ("Cache-Control", Type::String, "`public, max-age=N`: how many seconds the answer may be reused"),
    ("RateLimit-Limit", Type::Integer, "Requests a minute this caller may make"),
    ("RateLimit-Remaining", Type::Integer, "Requests left now"),
    ("RateLimit-Reset", Type::Integer, "Seconds until the allowance is whole again"),
    ("RateLimit-Policy", Type::String, "The limit and its window in seconds, as `600;w=60`"),
    ("Retry-After", Type::Integer, "Seconds to wait before the next request is allowed"),
    ("WWW-Authenticate", Type::String, "`Bearer`: how to authenticate"),
];

/// The rate-limit headers of an answer that passed the gate's limiter.
const RATE_LIMIT: [&str; 4] =
    ["RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset", "RateLimit-Policy"];

/// A problem+json answer that several operations give alike.
struct Shared {
    name: &'static str,
    status: &'static str,
    description: &'static str,
    headers: &'static [&'static str],
}

impl Shared {
    fn response(&self) -> Response {
        let mut response = problem(self.description);
        add_headers(&mut response, &["X-Request-Id"]);
        add_headers(&mut response, self.headers);
        response
    }

    fn reference(&self) -> (String, RefOr<Response>) {
        (self.status.to_owned(), RefOr::Ref(Ref::from_response_name(self.name)))
    }
}

const URI_TOO_LONG: Shared =
    Shared { name: "UriTooLong", status: "414", description: "The URL is longer than 8 KiB", headers: &[] };
const HEADERS_TOO_LARGE: Shared = Shared {
    name: "HeadersTooLarge",
    status: "431",
    description: "The request's headers are larger than 16 KiB",
    headers: &[],
};
const UNKNOWN_API_KEY: Shared = Shared {
    name: "UnknownApiKey",
    status: "401",
    description: "An `X-Api-Key` that no partner holds: check it, or call without one",
    headers: &[],
};
const ORIGIN_NOT_ALLOWED: Shared = Shared {
    name: "OriginNotAllowed",
    status: "403",
    description: "A partner's key sent from a page whose `Origin` the partner does not list",
    headers: &[],
};
const RATE_LIMITED: Shared = Shared {
    name: "RateLimited",
    status: "429",
    description: "Over this caller's rate limit: retry after `Retry-After` seconds",
    headers: &["Retry-After", RATE_LIMIT[0], RATE_LIMIT[1], RATE_LIMIT[2], RATE_LIMIT[3]],
};
const ADMIN_UNAUTHORIZED: Shared = Shared {
    name: "AdminUnauthorized",
    status: "401",
    description: "No valid admin bearer token",
    headers: &["WWW-Authenticate"],
};
const PAYLOAD_TOO_LARGE: Shared = Shared {
    name: "PayloadTooLarge",
    status: "413",
    description: "The body is larger than the server reads (`--max-body-mib`, default 64 MiB): import \
                  larger files with the `import` command",
    headers: &[],
};
const DIRECTORY_UNAVAILABLE: Shared = Shared {
    name: "DirectoryUnavailable",
    status: "503",
    description: "The directory of record cannot be reached: nothing was written (searches go on from the \
                  snapshot)",
    headers: &[],
};
const RESPONSES: [Shared; 8] = [
    URI_TOO_LONG,
    HEADERS_TOO_LARGE,
    UNKNOWN_API_KEY,
    ORIGIN_NOT_ALLOWED,
    RATE_LIMITED,
    ADMIN_UNAUTHORIZED,
    PAYLOAD_TOO_LARGE,
    DIRECTORY_UNAVAILABLE,
];

/// Adds to `operation` (at `path`) what the layers around its handler answer
/// and send, and who may call it.
fn complete(path: &str, operation: &mut Operation) {
    let admin =
        operation.security.iter().flatten().any(|r| *r == SecurityRequirement::new(ADMIN_TOKEN, [""; 0]));
    let gated = gated(path);
    // What can answer 304 answers through `caching::cacheable`, which tags it.
    let cacheable = operation.responses.responses.contains_key("304");
    let responses = &mut operation.responses.responses;
    // Every query string is parsed strictly, so any operation refuses an
    // unknown parameter; annotations with parameters say more.
    responses
        .entry("400".into())
        .or_insert_with(|| RefOr::T(problem("A query parameter this operation does not take")));
    // The handler's own answers: what every layer it passed through adds.
    for response in responses.values_mut() {
        let RefOr::T(response) = response else { continue };
        add_headers(response, &["X-Request-Id"]);
        if gated {
            add_headers(response, &RATE_LIMIT);
        }
    }
    if cacheable {
        for status in ["200", "304"] {
            if let Some(RefOr::T(response)) = responses.get_mut(status) {
                add_headers(response, &["ETag", "Cache-Control"]);
            }
        }
    }
    let mut shared = vec![URI_TOO_LONG, HEADERS_TOO_LARGE];
    if gated {
        shared.extend([UNKNOWN_API_KEY, ORIGIN_NOT_ALLOWED, RATE_LIMITED]);
        operation.security =
            Some(vec![SecurityRequirement::default(), SecurityRequirement::new(API_KEY, [""; 0])]);
    } else if admin {
        shared.extend([ADMIN_UNAUTHORIZED, DIRECTORY_UNAVAILABLE]);
        if operation.request_body.is_some() {
            shared.push(PAYLOAD_TOO_LARGE);
        }
    } else {
        operation.security = Some(Vec::new());
    }
    responses.extend(shared.iter().map(Shared::reference));
}

/// An answer with a problem+json body.
fn problem(description: &str) -> Response {
    let body = ContentBuilder::new().schema(Some(Ref::from_schema_name("Problem"))).build();
    ResponseBuilder::new().description(description).content(PROBLEM_JSON, body).build()
}

/// Adds `names` from `components.headers` to `response`.
fn add_headers(response: &mut Response, names: &[&str]) {
    for name in names {
        let reference = Ref::new(format!("#/components/headers/{name}"));
        response.headers.insert((*name).to_owned(), RefOr::Ref(reference));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shared_header_is_declared() {
        let declared: Vec<&str> = HEADERS.iter().map(|(name, ..)| *name).collect();
        for shared in RESPONSES {
            for name in shared.headers {
                assert!(declared.contains(name), "{} uses {name}", shared.name);
            }
        }
    }
}
