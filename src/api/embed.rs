//! `GET /embed`: the search widget partner sites put in an `<iframe>`. A page,
//! its script and its style sheet, all compiled into the binary (no CDN, no
//! framework), talking to this same origin's API. The script reads the page's
//! own URL parameters to preset the form; the server checks their names and
//! the two that style the page, so a typo in a partner's snippet is a clear
//! 400, not a silently ignored preset.

use std::borrow::Cow;
use std::marker::PhantomData;

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, get, web};
use serde::Deserialize;
use serde::de::{self, Deserializer};
use utoipa::IntoParams;

use super::AppState;
use super::params::{NoParams, Query};
use super::security::embed_policy;
use crate::domain::{Radius, Unit};
use crate::error::{Error, Problem};

const PAGE: &str = include_str!("embed/index.html");
const SCRIPT: &str = include_str!("embed/widget.js");
const STYLE: &str = include_str!("embed/widget.css");

/// Presets for the widget; each is optional. The server checks them, the
/// widget's script reads them from the page's URL.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EmbedParams {
    /// ZIP code to search from at once.
    #[param(example = "99546", min_length = 1)]
    zip: Option<String>,
    /// Specialty slug or NUCC code to preselect.
    #[param(example = "neuromuscular-medicine", min_length = 1)]
    specialty: Option<String>,
    /// Condition slug: `lems` ticks "knows LEMS".
    #[param(example = "lems", min_length = 1)]
    condition: Option<String>,
    /// Search radius in miles, greater than 0 and at most 1000.
    #[param(example = 100, exclusive_minimum = 0, maximum = 1000)]
    radius: Option<f64>,
    /// The partner's API key, sent as `X-Api-Key` with each search; then only
    /// the partner's `allowed_origins` may frame the widget.
    #[param(min_length = 1)]
    key: Option<String>,
    /// Accent colour as six or three hex digits, with or without `#`.
    #[param(value_type = Option<String>, example = "1d5fa8", pattern = "^#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")]
    accent: Option<Checked<HexColour>>,
    /// Language of the widget: `en` (default) or `es`.
    #[param(value_type = Option<String>, example = "es", pattern = "^(en|es)$")]
    lang: Option<Checked<WidgetLanguage>>,
}

/// A preset the server checks and the widget's script reads.
struct Checked<Rule>(PhantomData<Rule>);

/// What a [`Checked`] preset must be.
trait Rule {
    fn check(value: &str) -> Result<(), String>;
}

impl<'de, R: Rule> Deserialize<'de> for Checked<R> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = <Cow<'de, str>>::deserialize(deserializer)?;
        R::check(&value).map(|()| Checked(PhantomData)).map_err(de::Error::custom)
    }
}

/// Six or three hex digits, with or without `#`.
struct HexColour;

impl Rule for HexColour {
    fn check(v: &str) -> Result<(), String> {
        if is_hex_colour(v) { Ok(()) } else { Err(format!("{v:?} is not a hex colour such as 1d5fa8")) }
    }
}

/// The widget's languages.
struct WidgetLanguage;

impl Rule for WidgetLanguage {
    fn check(v: &str) -> Result<(), String> {
        if ["en", "es"].contains(&v) {
            Ok(())
        } else {
            Err(format!("unknown language {v:?}; valid values: en, es"))
        }
    }
}

fn is_hex_colour(value: &str) -> bool {
    let digits = value.strip_prefix('#').unwrap_or(value);
    matches!(digits.len(), 3 | 6) && digits.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The embeddable search widget (HTML). Put it in an `<iframe>`; URL
/// parameters preset it.
#[utoipa::path(
    tag = "embed",
    params(EmbedParams),
    responses(
        (status = 200, description = "The widget page", content_type = "text/html"),
        (status = 400, description = "An unknown preset, a malformed radius, accent or lang, or an unknown key", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/embed")]
pub async fn page(
    state: web::Data<AppState>,
    Query(params, mut faults): Query<EmbedParams>,
) -> Result<HttpResponse, Error> {
    // The other presets are checked by the extractor and read by the script.
    let EmbedParams {
        key,
        radius,
        zip: _zip,
        specialty: _specialty,
        condition: _condition,
        accent: _accent,
        lang: _lang,
    } = params;
    // With a partner's key, only the partner's pages may frame the widget, so
    // another site cannot spend the partner's quota by embedding it.
    let partner = key.and_then(|key| {
        let partner = state.access().partner(key.as_bytes());
        if partner.is_none() {
            faults.reject("key", "unknown API key: check the key in your snippet");
        }
        partner
    });
    if let Some(Err(message)) = radius.map(|miles| Radius::new(miles, Unit::Mi)) {
        faults.reject("radius", message);
    }
    faults.finish(())?;
    let mut page = asset("text/html; charset=utf-8", PAGE);
    if let Some(partner) = partner {
        let policy = embed_policy(&partner.allowed_origins.sources());
        let policy = HeaderValue::from_str(&policy).map_err(|e| Error::Internal(e.to_string()))?;
        page.headers_mut().insert(header::CONTENT_SECURITY_POLICY, policy);
    }
    Ok(page)
}

/// The widget's script.
#[utoipa::path(tag = "embed", params(NoParams), responses((status = 200, description = "JavaScript", content_type = "text/javascript")))]
#[get("/embed/widget.js")]
pub async fn script(_none: NoParams) -> Result<HttpResponse, Error> {
    Ok(asset("text/javascript; charset=utf-8", SCRIPT))
}

/// The widget's style sheet.
#[utoipa::path(tag = "embed", params(NoParams), responses((status = 200, description = "CSS", content_type = "text/css")))]
#[get("/embed/widget.css")]
pub async fn style(_none: NoParams) -> Result<HttpResponse, Error> {
    Ok(asset("text/css; charset=utf-8", STYLE))
}

/// A compiled-in file; it changes only with the binary, so caches may keep it
/// for a day.
fn asset(content_type: &'static str, body: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, HeaderValue::from_static(content_type)))
        .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=86400")))
        .body(body)
}

#[cfg(test)]
mod tests {
    use super::is_hex_colour;

    #[test]
    fn accepts_only_hex_colours() {
        for ok in ["1d5fa8", "#1D5FA8", "abc", "#fff"] {
            assert!(is_hex_colour(ok), "{ok}");
        }
        for bad in ["", "#", "1d5fa", "red", "#1d5fa8;", "url(x)", "12345g"] {
            assert!(!is_hex_colour(bad), "{bad}");
        }
    }
}
