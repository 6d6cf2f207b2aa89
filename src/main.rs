//! The `physician-locator` binary: a thin CLI over the library.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;

use physician_locator::api;
use physician_locator::application::Application;
use physician_locator::config::{Cli, Command, GenerateArgs, ImportArgs, ServeArgs};
use physician_locator::db::{Database, DatabaseUrl};
use physician_locator::directory::formats::csv;
use physician_locator::import::{self, Format, Options, progress::Progress};
use physician_locator::{Error, generate};
use tracing_subscriber::EnvFilter;

/// mimalloc rather than glibc's allocator: a million-physician snapshot is
/// about fifteen million small allocations, which mimalloc packs tighter and
/// frees faster (see BENCHMARKS.md, "Memory").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    init_logging();
    let cli = Cli::parse();
    let result = match cli.command {
        None => serve(cli.serve),
        Some(Command::Serve(args)) => serve(*args),
        Some(Command::Migrate(args)) => migrate(&args.database_url),
        Some(Command::Import(args)) => import(args),
        Some(Command::Generate(args)) => write_generated(args),
        Some(Command::Openapi { out }) => write_openapi(out),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Logs to standard error: readable lines on a terminal, JSON lines (one
/// object per event, with the request id of the request it belongs to)
/// otherwise, for a log collector. `RUST_LOG` filters (default `info`).
fn init_logging() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let logs = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if std::io::stderr().is_terminal() { logs.init() } else { logs.json().init() }
}

fn open(url: &str) -> Result<Database, Error> {
    Ok(Database::new(DatabaseUrl::parse(url)?))
}

fn migrate(url: &str) -> Result<(), Error> {
    let version = open(url)?.migrate()?;
    tracing::info!("database ready at directory version {version}");
    Ok(())
}

fn serve(args: ServeArgs) -> Result<(), Error> {
    let application = Application::build(args.settings()?)?;
    // Loading freed as much as the snapshot keeps (rows, vectors); return
    // those pages now rather than at mimalloc's next purge, which an idle
    // server may not reach for a long time.
    // SAFETY: mi_collect only frees memory mimalloc owns and no one uses.
    unsafe { libmimalloc_sys::mi_collect(true) };
    let state = application.state();
    let snapshot = state.snapshot();
    tracing::info!(
        "{}: directory version {}, {} physicians, {} locations; admin API {}; {} partners",
        state.store().database().url().display(),
        snapshot.version(),
        snapshot.physician_count(),
        snapshot.location_count(),
        if state.admin().is_enabled() { "on" } else { "off" },
        state.access().partner_count()
    );
    drop((state, snapshot));
    actix_web::rt::System::new().block_on(application.run())
}

fn import(args: ImportArgs) -> Result<(), Error> {
    let db = open(&args.database.database_url)?;
    // Only the schema: an import never mixes the fictional seed into a directory.
    db.migrate()?;
    let file = std::fs::File::open(&args.file)
        .map_err(|e| Error::Config(format!("cannot read {}: {e}", args.file.display())))?;
    let size = file.metadata().map_or(0, |m| m.len());
    let (input, mut progress) = Progress::for_file(std::io::BufReader::new(file), size);
    let format = args.format.unwrap_or_else(|| Format::from_path(&args.file));
    let options = Options {
        dry_run: args.dry_run,
        prune: args.prune,
        skip_invalid: args.skip_invalid,
        max_prune_percent: (!args.force_prune).then_some(args.max_prune_percent),
    };
    let started = std::time::Instant::now();
    let written = db.write("cli", |conn| import::import(conn, input, format, options, &mut progress))?;
    let report = import::report(written);
    for e in &report.errors {
        eprintln!("line {}: {}: {}", e.line, e.field, e.message);
    }
    if report.invalid > report.errors.len() {
        eprintln!("… and {} more invalid rows", report.invalid - report.errors.len());
    }
    let verb = if report.applied {
        "applied"
    } else if report.dry_run {
        "dry run, nothing written"
    } else {
        "nothing applied"
    };
    eprintln!(
        "{verb}: {} added, {} updated, {} removed, {} unchanged, {} invalid, {} skipped; directory version {} ({:.1} s)",
        report.added,
        report.updated,
        report.removed,
        report.unchanged,
        report.invalid,
        report.skipped,
        report.version,
        started.elapsed().as_secs_f64()
    );
    if let Some(over) = report.prune_over_limit {
        return Err(Error::Config(format!(
            "--prune {over} (--max-prune-percent): the import was not applied; check the file, or pass --force-prune"
        )));
    }
    if report.refused {
        return Err(Error::Config(format!("{} invalid rows: the import was not applied", report.invalid)));
    }
    Ok(())
}

fn output(path: Option<std::path::PathBuf>) -> Result<Box<dyn Write>, Error> {
    Ok(match path {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(&path)
                .map_err(|e| Error::Config(format!("cannot write {}: {e}", path.display())))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    })
}

fn write_generated(args: GenerateArgs) -> Result<(), Error> {
    let io = |e: std::io::Error| Error::Internal(format!("writing the directory: {e}"));
    let mut writer = csv::Writer::new(output(args.out)?);
    generate::generate(args.count, args.seed, |p| writer.write(&p)).map_err(io)?;
    writer.finish().map_err(io)
}

fn write_openapi(out: Option<std::path::PathBuf>) -> Result<(), Error> {
    let text = api::openapi().to_pretty_json().map_err(|e| Error::Internal(e.to_string()))?;
    let mut out = output(out)?;
    writeln!(out, "{text}").and_then(|()| out.flush()).map_err(|e| Error::Internal(e.to_string()))
}
