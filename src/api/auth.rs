//! Bearer tokens for the admin API.

use actix_web::HttpRequest;
use actix_web::http::header::AUTHORIZATION;

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

    /// The name of the token the request carries. With no tokens configured the
    /// admin API does not exist (404); a missing or wrong token is a 401.
    pub fn authenticate(&self, req: &HttpRequest) -> Result<String, Error> {
        if !self.is_enabled() {
            return Err(Error::NotFound(format!("no resource at {}", req.path())));
        }
        let presented = req
            .headers()
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or(Error::Unauthorized)?;
        // Every token is compared, in time independent of where they differ.
        let mut found = None;
        for (name, token) in &self.tokens {
            if constant_time_eq(presented.as_bytes(), token.as_bytes()) {
                found = Some(name.clone());
            }
        }
        found.ok_or(Error::Unauthorized)
    }
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
