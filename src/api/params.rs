//! Strict query-string parsing, declared once per endpoint.
//!
//! An endpoint's parameters are one struct deriving both `serde::Deserialize`
//! and `utoipa::IntoParams`: the typed fields are what the handler reads, and
//! the same struct is the OpenAPI text and the list of accepted names, so an
//! undocumented parameter cannot be accepted and an unknown one is always a
//! 400. [`Query`] is the extractor (name `P` in `#[utoipa::path(params(P))]`
//! too: utoipa 6 documents only the `IntoParams` types listed there). Faults
//! are collected, not stopped at, so one answer names every bad parameter.
//!
//! What the extractor refuses, each as a fault naming the parameter:
//! - a name `P` does not declare;
//! - an empty (or blank) value;
//! - a second value, unless the field is a `Vec` (a repeatable parameter);
//! - a value its type refuses: `"abc" is not a number`, `use true or false`,
//!   or the message of the type's own parse (the domain types deserialize
//!   through `parse`). A value type is read from its text: give an enum a
//!   `parse` whose message lists the valid values, not a derived `Deserialize`.
//!
//! A refused value leaves its field as if it had not been given: an `Option`
//! is `None`, a repeatable `Vec` (with `#[serde(default)]`) lacks that element.
//!
//! Cross-parameter checks are the handler's: it adds them to [`Faults`] and
//! calls [`Faults::finish`].

use std::any::TypeId;
use std::collections::HashMap;
use std::fmt;
use std::future::{Ready, ready};
use std::sync::{LazyLock, PoisonError, RwLock};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use serde::de::value::StrDeserializer;
use serde::de::{self, DeserializeOwned, DeserializeSeed, Visitor};
use serde::{Deserialize, forward_to_deserialize_any};
use utoipa::IntoParams;
use utoipa::openapi::path::ParameterIn;

use crate::error::{Error, ParamError};

/// The extractor: the parameters `P` declares, typed, and the faults found in
/// them. The handler adds its cross-parameter checks and calls
/// [`Faults::finish`], which answers one 400 listing every fault. Only a
/// required field (neither `Option` nor defaulted) that is missing or refused
/// fails the extraction itself, with every fault found.
///
/// ```ignore
/// /// Physicians by name.
/// #[derive(Deserialize, IntoParams)]
/// #[into_params(parameter_in = Query)]
/// pub struct NameParams {
///     /// Text the name contains.
///     #[param(min_length = 1)]
///     q: Option<String>,
///     /// Two-letter state codes; repeat for any of several.
///     #[serde(default)]
///     #[param(value_type = Option<Vec<String>>)]
///     state: Vec<UsState>,
///     /// Results per page. Default 20.
///     limit: Option<u32>,
/// }
///
/// #[utoipa::path(params(NameParams), responses(...))]
/// #[get("/names")]
/// async fn names(Query(params, mut faults): Query<NameParams>) -> Result<HttpResponse, Error> {
///     if params.limit.is_some() && params.q.is_none() {
///         faults.reject("limit", "needs q");
///     }
///     let params = faults.finish(params)?;
///     ...
/// }
/// ```
pub struct Query<P>(pub P, pub Faults);

/// The faults found in a request's parameters so far, and which were given.
#[derive(Debug, Default)]
pub struct Faults {
    given: Vec<String>,
    errors: Vec<ParamError>,
}

impl Faults {
    /// Records a fault found by a later, cross-parameter check.
    pub fn reject(&mut self, name: &str, message: impl Into<String>) {
        self.errors.push(ParamError::new(name, message));
    }

    /// Whether a parameter was given at all, whatever its value.
    pub fn given(&self, name: &str) -> bool {
        self.given.iter().any(|n| n == name)
    }

    /// `value` if no fault was found, else a 400 listing every fault.
    pub fn finish<T>(self, value: T) -> Result<T, Error> {
        if self.errors.is_empty() { Ok(value) } else { Err(Error::InvalidParams(self.errors)) }
    }
}

/// The names `P` declares, read from its `IntoParams` on first use and kept:
/// that builds every parameter's OpenAPI description, schema and example,
/// which for the search cost more than the search itself. One leaked list
/// per parameter type, a handful in all.
fn declared<P: IntoParams + 'static>() -> &'static [String] {
    static DECLARED: LazyLock<RwLock<HashMap<TypeId, &'static [String]>>> = LazyLock::new(Default::default);
    let id = TypeId::of::<P>();
    if let Some(names) = DECLARED.read().unwrap_or_else(PoisonError::into_inner).get(&id) {
        return names;
    }
    let names: Vec<String> =
        P::into_params(|| Some(ParameterIn::Query)).into_iter().map(|p| p.name).collect();
    DECLARED.write().unwrap_or_else(PoisonError::into_inner).entry(id).or_insert_with(|| names.leak())
}

impl<P: DeserializeOwned + IntoParams + 'static> Query<P> {
    /// Decodes `query` (percent and `+` decoding), refuses names that `P` does
    /// not declare, and deserializes the rest into `P`, collecting faults.
    pub fn parse(query: &str) -> Result<Self, Error> {
        let allowed = declared::<P>();
        let mut faults = Faults::default();
        let mut pairs = Vec::new();
        for (name, value) in form_urlencoded::parse(query.as_bytes()) {
            if allowed.iter().any(|a| *a == name) {
                pairs.push((name.into_owned(), value.into_owned()));
            } else if !faults.errors.iter().any(|e| e.parameter == name) {
                let message = if allowed.is_empty() {
                    "unknown parameter: this endpoint takes no query parameters".to_owned()
                } else {
                    format!("unknown parameter; accepted: {}", allowed.join(", "))
                };
                faults.reject(&name, message);
            }
        }
        faults.given = allowed.iter().filter(|a| pairs.iter().any(|(n, _)| n == *a)).cloned().collect();
        // serde stops at the first error; record it, leave out what caused it
        // (the parameter, or one element of a repeatable one) and go again, so
        // a bad `Option` is `None` and a bad element is left out.
        loop {
            let fault = match P::deserialize(Pairs(&pairs)) {
                Ok(params) => return Ok(Query(params, faults)),
                Err(fault) => fault,
            };
            let name = fault.parameter.unwrap_or("query");
            if !faults.errors.iter().any(|e| e.parameter == name) || fault.pair.is_some() {
                faults.reject(name, fault.message);
            }
            let before = pairs.len();
            match fault.pair {
                Some(i) => drop(pairs.remove(i)),
                None => pairs.retain(|(n, _)| n != name),
            }
            if pairs.len() == before {
                // A required parameter is missing or bad: no `P` to hand over.
                return Err(Error::InvalidParams(faults.errors));
            }
        }
    }
}

impl<P: DeserializeOwned + IntoParams + 'static> FromRequest for Query<P> {
    type Error = Error;
    type Future = Ready<Result<Self, Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Query::parse(req.query_string()))
    }
}

/// The declaration and the extractor of an endpoint that takes no query
/// parameters: any parameter is a 400.
#[derive(Deserialize, IntoParams)]
pub struct NoParams {}

impl FromRequest for NoParams {
    type Error = Error;
    type Future = Ready<Result<Self, Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(
            Query::<NoParams>::parse(req.query_string()).and_then(|Query(none, faults)| faults.finish(none)),
        )
    }
}

/// A deserialization fault: the message, and the parameter (and the pair,
/// for an element of a repeatable one) once known.
#[derive(Debug)]
struct Fault {
    parameter: Option<&'static str>,
    pair: Option<usize>,
    message: String,
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Fault {}

impl de::Error for Fault {
    fn custom<T: fmt::Display>(message: T) -> Self {
        Fault { parameter: None, pair: None, message: message.to_string() }
    }

    fn missing_field(field: &'static str) -> Self {
        Fault { parameter: Some(field), pair: None, message: "is required".to_owned() }
    }
}

/// Deserializer methods of [`Values`] that take the one value.
macro_rules! one_value {
    ($($method:ident)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Fault> {
            self.one()?.$method(visitor)
        }
    )*};
}

/// Deserializer methods of [`Value`] for whole numbers.
macro_rules! whole_number {
    ($($method:ident $visit:ident)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Fault> {
            visitor.$visit(self.whole()?)
        }
    )*};
}

/// The declared pairs of a query, as a struct of parameters.
struct Pairs<'a>(&'a [(String, String)]);

impl<'de> de::Deserializer<'de> for Pairs<'_> {
    type Error = Fault;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Fault> {
        Err(de::Error::custom("parameters deserialize only as a struct"))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Fault> {
        let given: Vec<&'static str> =
            fields.iter().copied().filter(|f| self.0.iter().any(|(n, _)| n == f)).collect();
        visitor.visit_map(Fields { pairs: self.0, given: given.into_iter(), at: "" })
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option unit
        unit_struct newtype_struct seq tuple tuple_struct map enum identifier ignored_any
    }
}

/// The given fields of a struct of parameters, in declaration order.
struct Fields<'a> {
    pairs: &'a [(String, String)],
    given: std::vec::IntoIter<&'static str>,
    at: &'static str,
}

impl<'de> de::MapAccess<'de> for Fields<'_> {
    type Error = Fault;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, Fault> {
        let Some(name) = self.given.next() else { return Ok(None) };
        self.at = name;
        seed.deserialize(StrDeserializer::new(name)).map(Some)
    }

    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, Fault> {
        let name = self.at;
        let values =
            self.pairs.iter().enumerate().filter(|(_, (n, _))| n == name).map(|(i, (_, v))| (i, v.as_str()));
        seed.deserialize(Values(values.collect())).map_err(|fault| Fault { parameter: Some(name), ..fault })
    }
}

/// Every value given for one parameter, with its pair's index.
struct Values<'a>(Vec<(usize, &'a str)>);

impl<'a> Values<'a> {
    /// The one value of a parameter that is not repeatable.
    fn one(self) -> Result<Value<'a>, Fault> {
        match self.0[..] {
            [(_, value)] => Ok(Value(value)),
            _ => Err(de::Error::custom("given more than once; this parameter takes one value")),
        }
    }
}

impl<'de> de::Deserializer<'de> for Values<'_> {
    type Error = Fault;

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Fault> {
        visitor.visit_some(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Fault> {
        visitor.visit_seq(Elements(self.0.into_iter()))
    }

    one_value! {
        deserialize_any deserialize_bool deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64
        deserialize_i128 deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64 deserialize_u128
        deserialize_f32 deserialize_f64 deserialize_char deserialize_str deserialize_string
        deserialize_bytes deserialize_byte_buf deserialize_unit deserialize_map deserialize_identifier
        deserialize_ignored_any
    }

    forward_to_deserialize_any! { unit_struct newtype_struct tuple tuple_struct struct enum }
}

/// The values of a repeatable parameter; a fault names its pair.
struct Elements<'a>(std::vec::IntoIter<(usize, &'a str)>);

impl<'de> de::SeqAccess<'de> for Elements<'_> {
    type Error = Fault;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, Fault> {
        let Some((i, value)) = self.0.next() else { return Ok(None) };
        seed.deserialize(Value(value)).map(Some).map_err(|fault| Fault { pair: Some(i), ..fault })
    }
}

/// One value of a parameter.
struct Value<'a>(&'a str);

impl Value<'_> {
    fn text(&self) -> Result<&str, Fault> {
        if self.0.trim().is_empty() { Err(de::Error::custom("must not be empty")) } else { Ok(self.0) }
    }

    fn whole<N: std::str::FromStr>(&self) -> Result<N, Fault> {
        let v = self.text()?;
        v.parse().map_err(|_| de::Error::custom(format!("{v:?} is not a whole number")))
    }
}

impl<'de> de::Deserializer<'de> for Value<'_> {
    type Error = Fault;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Fault> {
        visitor.visit_str(self.text()?)
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Fault> {
        match self.text()? {
            "true" => visitor.visit_bool(true),
            "false" => visitor.visit_bool(false),
            v => Err(de::Error::custom(format!("{v:?} is not a boolean: use true or false"))),
        }
    }

    /// A decimal number (NaN and infinities are left to the domain check).
    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Fault> {
        let v = self.text()?;
        let number =
            v.trim().parse::<f64>().map_err(|_| de::Error::custom(format!("{v:?} is not a number")))?;
        visitor.visit_f64(number)
    }

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Fault> {
        self.deserialize_f64(visitor)
    }

    whole_number! {
        deserialize_u8 visit_u8 deserialize_u16 visit_u16 deserialize_u32 visit_u32
        deserialize_u64 visit_u64 deserialize_u128 visit_u128 deserialize_i8 visit_i8
        deserialize_i16 visit_i16 deserialize_i32 visit_i32 deserialize_i64 visit_i64
        deserialize_i128 visit_i128
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Fault> {
        visitor.visit_some(self)
    }

    forward_to_deserialize_any! {
        char str string bytes byte_buf unit unit_struct newtype_struct seq tuple tuple_struct map
        struct enum identifier ignored_any
    }
}

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;

    use super::*;
    use crate::domain::{Gender, Specialty};

    #[derive(Debug, Deserialize, IntoParams)]
    #[into_params(parameter_in = Query)]
    struct Sample {
        a: Option<f64>,
        #[serde(default)]
        b: Vec<String>,
        yes: Option<bool>,
        n: Option<u32>,
        gender: Option<Gender>,
        #[serde(default)]
        #[param(value_type = Option<Vec<String>>)]
        specialty: Vec<Specialty>,
    }

    #[derive(Debug, Deserialize, IntoParams)]
    #[into_params(parameter_in = Query)]
    struct Required {
        needed: String,
        other: Option<bool>,
    }

    /// The faults of `query`, as (parameter, message) pairs, and the value.
    fn parse<P: DeserializeOwned + IntoParams + 'static>(query: &str) -> (Option<P>, Vec<(String, String)>) {
        let (value, errors) = match Query::<P>::parse(query) {
            Ok(Query(value, faults)) => (Some(value), faults.errors),
            Err(Error::InvalidParams(errors)) => (None, errors),
            Err(e) => panic!("{e}"),
        };
        (value, errors.into_iter().map(|e| (e.parameter, e.message)).collect())
    }

    fn names(faults: &[(String, String)]) -> Vec<&str> {
        faults.iter().map(|(name, _)| name.as_str()).collect()
    }

    #[test]
    fn reads_typed_values() {
        let query = "a=1.5&b=x&b=y&yes=false&n=7&gender=female&specialty=neurology&specialty=2084N0008X";
        let (sample, faults) = parse::<Sample>(query);
        assert_eq!(faults, []);
        let sample = sample.unwrap();
        assert_eq!(sample.a, Some(1.5));
        assert_eq!(sample.b, ["x", "y"]);
        assert_eq!((sample.yes, sample.n, sample.gender), (Some(false), Some(7), Some(Gender::Female)));
        assert_eq!(sample.specialty.len(), 2);
        let (sample, faults) = parse::<Sample>("");
        assert_eq!(faults, []);
        assert!(sample.is_some_and(|s| s.a.is_none() && s.b.is_empty() && s.specialty.is_empty()));
    }

    #[test]
    fn refuses_unknown_names_once_each_listing_the_accepted_ones() {
        let (sample, faults) = parse::<Sample>("c=1&a=2&c=3&B=4");
        assert_eq!(names(&faults), ["c", "B"]);
        assert_eq!(faults[0].1, "unknown parameter; accepted: a, b, yes, n, gender, specialty");
        assert_eq!(sample.unwrap().a, Some(2.0));
        let (_, faults) = parse::<NoParams>("verbose=1");
        assert_eq!(faults[0].1, "unknown parameter: this endpoint takes no query parameters");
    }

    #[test]
    fn refuses_a_repeated_single_value_but_not_a_repeatable_one() {
        let (sample, faults) = parse::<Sample>("a=1&a=1&b=x&b=x");
        assert_eq!(faults, [("a".into(), "given more than once; this parameter takes one value".into())]);
        let sample = sample.unwrap();
        assert_eq!((sample.a, sample.b), (None, vec!["x".to_owned(), "x".to_owned()]));
    }

    #[test]
    fn refuses_empty_and_blank_values() {
        let (sample, faults) = parse::<Sample>("a=&b=&b=x&yes=+&gender=%20");
        assert_eq!(names(&faults), ["a", "b", "yes", "gender"]);
        assert!(faults.iter().all(|(_, message)| message == "must not be empty"), "{faults:?}");
        assert_eq!(sample.unwrap().b, ["x"], "the empty element is left out");
    }

    #[test]
    fn refuses_bad_typed_values_with_their_messages() {
        let (sample, faults) =
            parse::<Sample>("a=abc&yes=1&n=-1&gender=other&specialty=brain&specialty=neurology&specialty=x");
        let expected = [
            ("a", r#""abc" is not a number"#),
            ("yes", r#""1" is not a boolean: use true or false"#),
            ("n", r#""-1" is not a whole number"#),
            ("gender", r#"unknown gender "other"; valid values: female, male"#),
        ];
        for (i, (name, message)) in expected.iter().enumerate() {
            assert_eq!((faults[i].0.as_str(), faults[i].1.as_str()), (*name, *message));
        }
        assert_eq!(names(&faults[4..]), ["specialty", "specialty"]);
        assert!(faults[4].1.starts_with(r#"unknown specialty "brain"; valid values: "#), "{}", faults[4].1);
        let sample = sample.unwrap();
        assert_eq!((sample.a, sample.yes, sample.n, sample.gender), (None, None, None, None));
        assert_eq!(sample.specialty, [Specialty::parse("neurology").unwrap()], "the good element is kept");
    }

    #[test]
    fn reports_several_faults_at_once_unknown_names_first() {
        let (_, faults) = parse::<Sample>("n=x&zz=1&a=1&a=2&yes=&b=ok");
        assert_eq!(names(&faults), ["zz", "a", "yes", "n"]);
    }

    #[test]
    fn numbers_are_trimmed_and_left_to_the_domain_to_bound() {
        let (sample, faults) = parse::<Sample>("a=+40.5");
        assert_eq!((faults.len(), sample.unwrap().a), (0, Some(40.5)), "+ decodes to a space");
        let (sample, _) = parse::<Sample>("a=NaN");
        assert!(sample.unwrap().a.is_some_and(f64::is_nan));
    }

    #[test]
    fn decodes_percent_and_plus() {
        let (sample, faults) = parse::<Sample>("b=N%C3%BA%C3%B1ez+Ada&%62=a%2Bb%26c");
        assert_eq!(faults, []);
        assert_eq!(sample.unwrap().b, ["Núñez Ada", "a+b&c"]);
    }

    #[test]
    fn a_required_parameter_missing_or_refused_fails_the_extraction() {
        let (value, faults) = parse::<Required>("other=x");
        assert!(value.is_none());
        assert_eq!(names(&faults), ["other", "needed"]);
        assert_eq!(faults[1].1, "is required");
        let (value, faults) = parse::<Required>("needed=a&needed=b");
        assert!(value.is_none());
        assert_eq!(
            faults,
            [("needed".into(), "given more than once; this parameter takes one value".into())]
        );
        let (value, faults) = parse::<Required>("needed=a");
        assert_eq!((value.map(|r| (r.needed, r.other)), faults), (Some(("a".to_owned(), None)), vec![]));
    }

    #[test]
    fn cross_parameter_faults_join_the_others() {
        let Ok(Query(sample, mut faults)) = Query::<Sample>::parse("a=x&n=3") else { panic!() };
        assert!(faults.given("a") && faults.given("n") && !faults.given("b"));
        if sample.n.is_some() && sample.a.is_none() {
            faults.reject("n", "needs a");
        }
        let Err(Error::InvalidParams(errors)) = faults.finish(sample) else { panic!() };
        assert_eq!(errors.iter().map(|e| e.parameter.as_str()).collect::<Vec<_>>(), ["a", "n"]);
    }

    #[actix_web::test]
    async fn extracts_from_a_request() {
        let req = TestRequest::with_uri("/x?a=2&b=y").to_http_request();
        let Query(sample, faults) = Query::<Sample>::extract(&req).await.unwrap();
        assert_eq!((sample.a, sample.b), (Some(2.0), vec!["y".to_owned()]));
        assert!(faults.finish(()).is_ok());
        assert!(NoParams::extract(&TestRequest::with_uri("/x").to_http_request()).await.is_ok());
        let refused = NoParams::extract(&TestRequest::with_uri("/x?v=1").to_http_request()).await;
        assert!(matches!(refused, Err(Error::InvalidParams(errors)) if errors[0].parameter == "v"));
    }
}
