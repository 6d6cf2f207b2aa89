//! The service assembled from its settings: the one place it is built, by
//! `serve` and by the tests alike (so what the tests run is what is served).

use std::sync::Arc;
use std::time::Duration;

use actix_web::{HttpServer, web};

use crate::api::auth::AdminTokens;
use crate::api::partners::Access;
use crate::api::public_url::{PublicBase, PublicUrl};
use crate::api::{self, AppState};
use crate::db::{Database, DatabaseUrl};
use crate::error::Error;
use crate::store::Store;

/// Everything the service is built from, already read and checked.
#[derive(Debug)]
pub struct Settings {
    /// `sqlite://PATH` or `postgres://…`.
    pub database_url: String,
    /// Connections the pool keeps at most.
    pub pool_size: u32,
    /// Load the fictional seed into a directory never written (else only migrate).
    pub seed: bool,
    /// How often to look for other instances' writes (and retry a failed refresh).
    pub poll_interval: Duration,
    pub admin: AdminTokens,
    pub access: Access,
    /// `Cache-Control: max-age` of the read answers, in seconds.
    pub cache_max_age: u32,
    /// The largest request body read (an admin import), in bytes.
    pub max_body_bytes: usize,
    /// The most of the directory an import over HTTP may prune unless
    /// forced, in percent.
    pub max_prune_percent: u8,
    /// Memory kept for physicians' JSON, in bytes (0 keeps none).
    pub physician_json_bytes: usize,
    pub bind: String,
    /// Where `/metrics` is served, apart from the API (`None`: nowhere).
    pub metrics_bind: Option<String>,
    /// The base of the absolute URLs written (`--public-url`); without one,
    /// what a trusted proxy forwards, else `http://{bind}`.
    pub public_url: Option<PublicUrl>,
    /// Time a client has to send its request headers.
    pub request_timeout: Duration,
    /// Time in-flight requests get after SIGTERM or SIGINT.
    pub shutdown_grace: Duration,
}

impl Settings {
    /// The defaults, on `database_url`.
    pub fn new(database_url: impl Into<String>) -> Self {
        Settings {
            database_url: database_url.into(),
            pool_size: crate::db::DEFAULT_POOL_SIZE,
            seed: true,
            poll_interval: Duration::from_secs(1),
            admin: AdminTokens::default(),
            access: Access::default(),
            cache_max_age: api::DEFAULT_CACHE_MAX_AGE,
            max_body_bytes: api::admin::MAX_IMPORT_BYTES,
            max_prune_percent: crate::import::DEFAULT_MAX_PRUNE_PERCENT,
            physician_json_bytes: api::DEFAULT_PHYSICIAN_JSON_MIB as usize * 1024 * 1024,
            bind: "127.0.0.1:8080".into(),
            metrics_bind: None,
            public_url: None,
            request_timeout: Duration::from_secs(10),
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

pub struct Application {
    state: web::Data<AppState>,
    bind: String,
    metrics_bind: Option<String>,
    request_timeout: Duration,
    shutdown_grace: Duration,
}

impl Application {
    /// Opens the directory (migrated, and seeded if new and asked), builds the
    /// first snapshot, starts watching for other instances' writes, and
    /// assembles the HTTP state. Blocking.
    pub fn build(settings: Settings) -> Result<Self, Error> {
        if settings.public_url.is_none() && !settings.access.trusted_proxies().is_empty() {
            // A proxy that only appends X-Forwarded-For passes a client's
            // X-Forwarded-Host on: the links would follow it.
            tracing::warn!(
                "--trusted-proxies without --public-url: FHIR links follow the host the proxies forward, \
                 so each must set or strip X-Forwarded-Host and X-Forwarded-Proto"
            );
        }
        let public = PublicBase::new(settings.public_url, &settings.bind).map_err(Error::Config)?;
        let database =
            Database::with_pool_size(DatabaseUrl::parse(&settings.database_url)?, settings.pool_size);
        if settings.seed {
            database.prepare()?;
        } else {
            database.migrate()?;
        }
        let store = Arc::new(Store::open(database)?);
        store.watch(settings.poll_interval.max(Duration::from_millis(50)));
        let state = AppState::new(store, settings.admin, public)
            .with_cache_max_age(settings.cache_max_age)
            .with_access(settings.access)
            .with_max_body_bytes(settings.max_body_bytes)
            .with_max_prune_percent(settings.max_prune_percent)
            .with_physician_json_bytes(settings.physician_json_bytes);
        Ok(Application {
            state: web::Data::new(state),
            bind: settings.bind,
            metrics_bind: settings.metrics_bind,
            request_timeout: settings.request_timeout,
            shutdown_grace: settings.shutdown_grace,
        })
    }

    pub fn state(&self) -> web::Data<AppState> {
        self.state.clone()
    }

    /// Listens and serves until SIGTERM or SIGINT (then refuses new
    /// connections and lets in-flight requests finish within the grace): the
    /// API on its address, `/metrics` on its own, if any.
    pub async fn run(self) -> Result<(), Error> {
        let state = self.state;
        let metrics = match &self.metrics_bind {
            Some(bind) => {
                let state = state.clone();
                let server = HttpServer::new(move || api::metrics::app(state.clone()))
                    .workers(1)
                    .client_request_timeout(self.request_timeout)
                    .shutdown_timeout(self.shutdown_grace.as_secs())
                    .bind(bind)
                    .map_err(|e| cannot_listen(bind, "--metrics-bind", e))?;
                tracing::info!("metrics on http://{bind}/metrics");
                Some(server.run())
            }
            None => None,
        };
        let server = HttpServer::new(move || api::app(state.clone()))
            .client_request_timeout(self.request_timeout)
            .client_disconnect_timeout(Duration::from_secs(2))
            .keep_alive(Duration::from_secs(30))
            .shutdown_timeout(self.shutdown_grace.as_secs())
            .bind(&self.bind)
            .map_err(|e| cannot_listen(&self.bind, "--bind", e))?;
        tracing::info!("listening on http://{}", self.bind);
        let api = server.run();
        let served = match metrics {
            Some(metrics) => futures_util::future::try_join(api, metrics).await.map(drop),
            None => api.await,
        };
        served.map_err(|e| Error::Internal(e.to_string()))
    }
}

fn cannot_listen(bind: &str, flag: &str, e: std::io::Error) -> Error {
    Error::Config(format!("cannot listen on {bind} ({flag}): {e}"))
}
