//! Command-line and environment configuration (no global mutable state).

use clap::{Args, Parser, Subcommand};
use std::num::NonZeroU32;
use std::path::PathBuf;

use std::path::Path;
use std::time::Duration;

use crate::api::auth::AdminTokens;
use crate::api::client::TrustedProxies;
use crate::api::partners::{Access, Origins};
use crate::api::public_url::PublicUrl;
use crate::application::Settings;
use crate::error::Error;

/// Default `DATABASE_URL`: a SQLite file in the working directory.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://physician-locator.sqlite3";

#[derive(Debug, Parser)]
#[command(
    name = "physician-locator",
    version,
    about = "Finds neurologists and neuromuscular specialists near a place"
)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Settings for `serve`, the default subcommand.
    #[command(flatten)]
    pub serve: ServeArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP server (the default): migrate and seed the database if needed,
    /// build the snapshot, listen. Boxed: its many flags would make every
    /// command as large.
    Serve(Box<ServeArgs>),
    /// Create or upgrade the database schema.
    Migrate(DatabaseArgs),
    /// Load a file into the directory: validated, all-or-nothing, one transaction.
    Import(ImportArgs),
    /// Write a deterministic fictional directory in the CSV layout.
    Generate(GenerateArgs),
    /// Print the OpenAPI document.
    Openapi {
        /// Write to this file instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Debug, Args)]
pub struct DatabaseArgs {
    /// `sqlite://PATH` (a relative PATH is in the working directory).
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    pub database_url: String,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address and port to listen on.
    #[arg(long, env = "LOCATOR_BIND", default_value = "127.0.0.1:8080")]
    pub bind: String,
    /// Address and port of the `/metrics` listener, apart from the API's so
    /// that only the operator's network reaches it (empty: no metrics).
    #[arg(long, env = "LOCATOR_METRICS_BIND", default_value = "127.0.0.1:9090")]
    pub metrics_bind: String,
    /// Admin API tokens as `name:token` pairs, comma-separated (each token at
    /// least 16 characters). Without any, the admin API is off.
    #[arg(long, env = "LOCATOR_ADMIN_TOKENS", hide_env_values = true)]
    pub admin_tokens: Option<String>,
    /// A file of `name:token` lines, instead of or beside `--admin-tokens`.
    #[arg(long, env = "LOCATOR_ADMIN_TOKENS_FILE")]
    pub admin_tokens_file: Option<PathBuf>,
    /// Do not load the fictional seed into an empty directory (for a real
    /// directory, imported separately).
    #[arg(long, env = "LOCATOR_NO_SEED")]
    pub no_seed: bool,
    /// How often to check the directory version for other instances' writes.
    #[arg(long, env = "LOCATOR_POLL_MS", default_value_t = 1000)]
    pub poll_ms: u64,
    /// Seconds clients and proxies may reuse a search, detail or vocabulary
    /// answer (`Cache-Control: public, max-age=N`); they revalidate with the
    /// `ETag` after. 0 makes every reuse revalidate.
    #[arg(long, env = "LOCATOR_CACHE_MAX_AGE", default_value_t = crate::api::DEFAULT_CACHE_MAX_AGE)]
    pub cache_max_age: u32,
    /// A TOML file of partners: name, SHA-256 of the key, requests per minute,
    /// allowed origins (see the README). Without one, every caller is anonymous.
    #[arg(long, env = "LOCATOR_PARTNERS_FILE")]
    pub partners_file: Option<PathBuf>,
    /// Requests a minute each anonymous client address may make.
    #[arg(long, env = "LOCATOR_ANONYMOUS_RPM", default_value_t = NonZeroU32::new(crate::api::partners::DEFAULT_ANONYMOUS_PER_MINUTE).expect("not zero"))]
    pub anonymous_rpm: NonZeroU32,
    /// Origins whose pages may call without a key (CORS), comma-separated
    /// `https://host[:port]`, or `*` for any. Default: none.
    #[arg(long, env = "LOCATOR_CORS_ORIGINS", default_value = "", value_parser = Origins::parse_list)]
    pub cors_origins: Origins,
    /// Reverse proxies whose `Forwarded` / `X-Forwarded-For` headers name the
    /// client (for rate limits), and whose forwarded host and scheme are the
    /// public URL when `--public-url` is not set, as comma-separated CIDR
    /// blocks or addresses, e.g. `10.0.0.0/8,::1`. From any other peer those
    /// headers are ignored. Default: none.
    #[arg(long, env = "LOCATOR_TRUSTED_PROXIES", default_value = "", value_parser = TrustedProxies::parse)]
    pub trusted_proxies: TrustedProxies,
    /// The URL clients reach this service at, e.g. `https://locator.example.org`
    /// (http or https, a host, maybe a path; no user, query or fragment): the
    /// base of every absolute URL written (FHIR links) and the origin of the
    /// widget. Request headers never change it. Default: what a trusted proxy
    /// forwards (`Forwarded` host/proto, `X-Forwarded-Host`/`-Proto`), else
    /// `http://{--bind}`.
    #[arg(long, env = "LOCATOR_PUBLIC_URL", value_parser = PublicUrl::parse)]
    pub public_url: Option<PublicUrl>,
    /// The largest request body read (an admin import), in MiB; larger
    /// bodies get 413. Larger files go through the `import` command.
    #[arg(long, env = "LOCATOR_MAX_BODY_MIB", default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub max_body_mib: u32,
    /// The most of the directory an import over HTTP may remove with
    /// `prune=true`, in percent of its physicians; more is refused (409)
    /// unless the request says `force_prune=true`.
    #[arg(long, env = "LOCATOR_MAX_PRUNE_PERCENT", default_value_t = crate::import::DEFAULT_MAX_PRUNE_PERCENT, value_parser = clap::value_parser!(u8).range(0..=100))]
    pub max_prune_percent: u8,
    /// Memory kept for physicians' JSON, written once and copied into the
    /// answers after, in MiB; 0 writes every answer afresh.
    #[arg(long, env = "LOCATOR_PHYSICIAN_JSON_MIB", default_value_t = crate::api::DEFAULT_PHYSICIAN_JSON_MIB, value_parser = clap::value_parser!(u32).range(0..=65536))]
    pub physician_json_mib: u32,
    /// Seconds a client may take to send a request's headers before it is
    /// answered 408 and disconnected.
    #[arg(long, env = "LOCATOR_REQUEST_TIMEOUT_SECS", default_value_t = 10)]
    pub request_timeout_secs: u64,
    /// Seconds in-flight requests may take to finish after SIGTERM or SIGINT;
    /// new connections are refused from the signal on.
    #[arg(long, env = "LOCATOR_SHUTDOWN_GRACE_SECS", default_value_t = 10)]
    pub shutdown_grace_secs: u64,
    /// Connections to the directory of record kept at most (a use waits up
    /// to 5 s for a free one).
    #[arg(long, env = "LOCATOR_DB_POOL_SIZE", default_value_t = crate::db::DEFAULT_POOL_SIZE, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub db_pool_size: u32,
    #[command(flatten)]
    pub database: DatabaseArgs,
}

impl ServeArgs {
    /// The settings these arguments give, with the files they name read and
    /// checked.
    pub fn settings(&self) -> Result<Settings, Error> {
        let read = |what: &str, path: &Path| {
            std::fs::read_to_string(path)
                .map_err(|e| Error::Config(format!("cannot read {what} {}: {e}", path.display())))
        };
        let mut tokens = self.admin_tokens.clone().unwrap_or_default();
        if let Some(path) = &self.admin_tokens_file {
            tokens = format!("{tokens}\n{}", read("admin tokens file", path)?);
        }
        let partners = match &self.partners_file {
            Some(path) => Access::parse_partners(&read("partners file", path)?)?,
            None => Vec::new(),
        };
        Ok(Settings {
            pool_size: self.db_pool_size,
            seed: !self.no_seed,
            poll_interval: Duration::from_millis(self.poll_ms),
            admin: AdminTokens::parse(&tokens)?,
            access: Access::new(partners, self.anonymous_rpm, self.cors_origins.clone())
                .with_trusted_proxies(self.trusted_proxies.clone()),
            cache_max_age: self.cache_max_age,
            max_body_bytes: self.max_body_mib as usize * 1024 * 1024,
            max_prune_percent: self.max_prune_percent,
            physician_json_bytes: self.physician_json_mib as usize * 1024 * 1024,
            bind: self.bind.clone(),
            metrics_bind: Some(self.metrics_bind.clone()).filter(|bind| !bind.is_empty()),
            public_url: self.public_url.clone(),
            request_timeout: Duration::from_secs(self.request_timeout_secs),
            shutdown_grace: Duration::from_secs(self.shutdown_grace_secs),
            ..Settings::new(&self.database.database_url)
        })
    }
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// How many physicians.
    #[arg(long, default_value_t = crate::generate::SEED_COUNT)]
    pub count: usize,
    /// Random seed: the same count and seed always give the same directory.
    #[arg(long, default_value_t = crate::generate::SEED_SEED)]
    pub seed: u64,
    /// Write to this file instead of standard output.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The file to import.
    pub file: PathBuf,
    /// Its layout; by default guessed from the name (`.ndjson`/`.jsonl`,
    /// `npidata_pfile_*` for NPPES, otherwise the project's CSV).
    #[arg(long, value_enum)]
    pub format: Option<crate::import::Format>,
    /// Report what would change (added, updated, removed, unchanged) without writing.
    #[arg(long)]
    pub dry_run: bool,
    /// Also remove physicians that are not in the file.
    #[arg(long)]
    pub prune: bool,
    /// The most of the directory `--prune` may remove, in percent of its
    /// physicians; more refuses the import (a dry run says so too).
    #[arg(long, default_value_t = crate::import::DEFAULT_MAX_PRUNE_PERCENT, value_parser = clap::value_parser!(u8).range(0..=100))]
    pub max_prune_percent: u8,
    /// Prune however many physicians the file leaves out, past
    /// `--max-prune-percent`.
    #[arg(long, requires = "prune")]
    pub force_prune: bool,
    /// Apply the valid rows even if some rows are invalid (they are reported).
    #[arg(long)]
    pub skip_invalid: bool,
    #[command(flatten)]
    pub database: DatabaseArgs,
}
