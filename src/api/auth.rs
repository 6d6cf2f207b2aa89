//! Bearer tokens for the admin API, and the door of its scope.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::AUTHORIZATION;
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpRequest, ResponseError, web};

use sha2::{Digest, Sha256};

use super::AppState;
use crate::error::Error;

/// The shortest token accepted: shorter ones are guessable.
const MIN_TOKEN_LEN: usize = 16;

/// Named admin tokens from configuration. Empty means the admin API is off.
#[derive(Clone, Debug, Default)]
pub struct AdminTokens {
    tokens: Vec<(String, String)>,
}

impl AdminTokens {
    /// Parses `name:token` pairs separated by commas or new lines (blank lines
    /// and `#` comments allowed, for a file).
    pub fn parse(text: &str) -> Result<Self, Error> {
        let mut tokens = Vec::new();
        for entry in text.split([',', '\n']).map(str::trim).filter(|e| !e.is_empty() && !e.starts_with('#')) {
            let (name, token) = entry
                .split_once(':')
                .map(|(n, t)| (n.trim(), t.trim()))
                .filter(|(n, _)| !n.is_empty())
                .ok_or_else(|| Error::Config("admin tokens are name:token pairs".into()))?;
            if token.len() < MIN_TOKEN_LEN {
                return Err(Error::Config(format!(
                    "the admin token for {name:?} is shorter than {MIN_TOKEN_LEN} characters"
                )));
            }
            tokens.push((name.to_owned(), token.to_owned()));
        }
        Ok(AdminTokens { tokens })
    }

    pub fn is_enabled(&self) -> bool {
        !self.tokens.is_empty()
    }

    /// The name of the token the request carries; a missing or wrong token
    /// is a 401.
    fn authenticate(&self, req: &HttpRequest) -> Result<String, Error> {
        let presented = req
            .headers()
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split_once(' '))
            // The scheme is case-insensitive (RFC 9110).
            .and_then(|(scheme, token)| scheme.eq_ignore_ascii_case("bearer").then_some(token))
            .ok_or(Error::Unauthorized)?;
        // Every token is compared, in time independent of where they differ.
        let mut found = None;
        for (name, token) in &self.tokens {
            if tokens_match(presented, token) {
                found = Some(name.clone());
            }
        }
        found.ok_or(Error::Unauthorized)
    }
}

/// Who wrote: the name of the admin token a request was let in with, for
/// the audit log. The door puts it in the request's extensions.
#[derive(Clone, Debug)]
pub struct Actor(pub String);

/// The door of the admin scope. It decides from the headers alone, before
/// anything reads the body, so an unauthorized upload costs nothing: with the
/// admin API off every admin path is a 404; without a valid token, a 401;
/// from a network that failed too often, a 429 without its token even being
/// compared. With the admin API on, a request no route takes (an unknown
/// path, a method the route does not allow) goes on to the router's 404 or
/// 405, where no handler reads its body either. (Routes and the methods the
/// document lists come from the same `#[put]`/`#[post]` attributes, so they
/// cannot disagree.)
pub async fn authorize(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return Ok(req.into_response(Error::Internal("the admin door has no state".into()).error_response()));
    };
    if state.admin().is_enabled() && !super::is_routed(req.request()) {
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    super::sweep_limits_if_due(&state);
    let admitted = admit(&state, req.request());
    match admitted {
        Ok(actor) => {
            req.extensions_mut().insert(actor);
            Ok(next.call(req).await?.map_into_boxed_body())
        }
        Err(refusal) => Ok(req.into_response(refusal.error_response())),
    }
}

fn admit(state: &AppState, req: &HttpRequest) -> Result<Actor, Error> {
    if !state.admin().is_enabled() {
        return Err(Error::NotFound(format!("no resource at {}", req.path())));
    }
    let address = state.access().client_address(req)?;
    if let Some(retry_after) = state.limiter().locked_out(address) {
        return Err(Error::LockedOut { retry_after });
    }
    state.admin().authenticate(req).map(Actor).map_err(|refusal| {
        match state.limiter().failed_login(address) {
            Some(retry_after) => Error::LockedOut { retry_after },
            None => refusal,
        }
    })
}

/// Compares the two tokens' SHA-256 digests in constant time: neither the
/// position of the first difference nor the token's length shows in the time.
fn tokens_match(presented: &str, token: &str) -> bool {
    constant_time_eq(&Sha256::digest(presented), &Sha256::digest(token))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut difference = a.len() ^ b.len();
    for i in 0..a.len().max(b.len()) {
        difference |= usize::from(a.get(i).copied().unwrap_or(0) ^ b.get(i).copied().unwrap_or(0));
    }
    difference == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_pairs_and_refuses_weak_tokens() {
        let tokens =
            AdminTokens::parse("ops:0123456789abcdef, import:fedcba9876543210\n# comment\n").unwrap();
        assert_eq!(tokens.tokens.len(), 2);
        assert!(AdminTokens::parse("ops:short").is_err());
        assert!(AdminTokens::parse("no-colon-here-0123456789").is_err());
        assert!(!AdminTokens::parse("").unwrap().is_enabled());
    }

    #[test]
    fn compares_whole_tokens() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
        assert!(!constant_time_eq(b"", b"a"));
    }
}
