//! Strict query-string parsing.
//!
//! Every endpoint declares its parameters once, as a `utoipa::IntoParams`
//! struct; that declaration is both the OpenAPI text and the list of accepted
//! names, so an undocumented parameter cannot be accepted and an unknown one is
//! always a 400. Faults are collected, not stopped at, so one answer names
//! every bad parameter.

use utoipa::IntoParams;
use utoipa::openapi::path::ParameterIn;

use crate::error::{Error, ParamError};

/// The decoded query pairs of one request, and the faults found so far.
pub struct QueryParams {
    pairs: Vec<(String, String)>,
    errors: Vec<ParamError>,
}

impl QueryParams {
    /// Decodes `query` and refuses names that `P` does not declare.
    pub fn parse<P: IntoParams>(query: &str) -> Self {
        let allowed: Vec<String> =
            P::into_params(|| Some(ParameterIn::Query)).into_iter().map(|p| p.name).collect();
        let mut params = QueryParams { pairs: Vec::new(), errors: Vec::new() };
        for (name, value) in form_urlencoded::parse(query.as_bytes()) {
            if allowed.iter().any(|a| *a == name) {
                params.pairs.push((name.into_owned(), value.into_owned()));
            } else if !params.errors.iter().any(|e| e.parameter == name) {
                let message = if allowed.is_empty() {
                    "unknown parameter: this endpoint takes no query parameters".to_owned()
                } else {
                    format!("unknown parameter; accepted: {}", allowed.join(", "))
                };
                params.errors.push(ParamError::new(name, message));
            }
        }
        params
    }

    fn fail(&mut self, name: &str, message: impl Into<String>) {
        self.errors.push(ParamError::new(name, message));
    }

    /// The value of a parameter that may appear at most once; an empty value is
    /// a fault, not an absent parameter.
    pub fn text(&mut self, name: &str) -> Option<String> {
        let mut values = self.pairs.iter().filter(|(n, _)| n == name).map(|(_, v)| v.clone());
        let first = values.next()?;
        if values.next().is_some() {
            self.fail(name, "given more than once; this parameter takes one value");
            return None;
        }
        if first.trim().is_empty() {
            self.fail(name, "must not be empty");
            return None;
        }
        Some(first)
    }

    /// Every value of a repeatable parameter, each parsed.
    pub fn list<T>(&mut self, name: &str, parse: impl Fn(&str) -> Result<T, String>) -> Vec<T> {
        let values: Vec<String> =
            self.pairs.iter().filter(|(n, _)| n == name).map(|(_, v)| v.clone()).collect();
        values.iter().filter_map(|v| parse(v).map_err(|message| self.fail(name, message)).ok()).collect()
    }

    /// A single value, parsed.
    pub fn parsed<T>(&mut self, name: &str, parse: impl Fn(&str) -> Result<T, String>) -> Option<T> {
        let value = self.text(name)?;
        parse(&value).map_err(|message| self.fail(name, message)).ok()
    }

    /// A decimal number (NaN and infinities are left to the domain check).
    pub fn number(&mut self, name: &str) -> Option<f64> {
        self.parsed(name, |v| v.trim().parse::<f64>().map_err(|_| format!("{v:?} is not a number")))
    }

    /// A whole number in `range`.
    pub fn whole(&mut self, name: &str, range: std::ops::RangeInclusive<usize>) -> Option<usize> {
        self.parsed(name, |v| match v.parse::<usize>() {
            Ok(n) if range.contains(&n) => Ok(n),
            _ => Err(format!("{v:?} is not a whole number from {} to {}", range.start(), range.end())),
        })
    }

    pub fn boolean(&mut self, name: &str) -> Option<bool> {
        self.parsed(name, |v| match v {
            "true" => Ok(true),
            "false" => Ok(false),
            _ => Err(format!("{v:?} is not a boolean: use true or false")),
        })
    }

    /// Records a fault found by a later, cross-parameter check.
    pub fn reject(&mut self, name: &str, message: impl Into<String>) {
        self.fail(name, message);
    }

    /// Whether a parameter was given at all (whatever its value).
    pub fn has(&self, name: &str) -> bool {
        self.pairs.iter().any(|(n, _)| n == name)
    }

    /// `value` if no fault was found, else a 400 listing every fault.
    pub fn finish<T>(self, value: T) -> Result<T, Error> {
        if self.errors.is_empty() { Ok(value) } else { Err(Error::InvalidParams(self.errors)) }
    }
}

/// The declaration of an endpoint that takes no query parameters.
#[derive(IntoParams)]
pub struct NoParams {}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(IntoParams)]
    #[into_params(parameter_in = Query)]
    #[allow(dead_code)]
    struct Sample {
        a: Option<f64>,
        b: Vec<String>,
    }

    #[test]
    fn refuses_unknown_repeated_and_empty_values() {
        let mut p = QueryParams::parse::<Sample>("a=1&a=2&c=3&b=&b=x");
        assert_eq!(p.number("a"), None);
        assert_eq!(p.list("b", |v| Ok::<_, String>(v.to_owned())), vec!["", "x"]);
        let Err(Error::InvalidParams(errors)) = p.finish(()) else { panic!() };
        let names: Vec<&str> = errors.iter().map(|e| e.parameter.as_str()).collect();
        assert_eq!(names, ["c", "a"]);
    }

    #[test]
    fn decodes_percent_and_plus() {
        let mut p = QueryParams::parse::<Sample>("b=N%C3%BA%C3%B1ez+Ada");
        assert_eq!(p.list("b", |v| Ok::<_, String>(v.to_owned())), vec!["Núñez Ada"]);
        assert!(p.finish(()).is_ok());
    }
}
