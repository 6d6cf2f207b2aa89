//! The `physician-locator` binary: a thin CLI over the library.

use std::io::Write;
use std::process::ExitCode;

use actix_web::{HttpServer, web};
use clap::Parser;

use physician_locator::api::{self, AppState};
use physician_locator::config::{Cli, Command, GenerateArgs, ServeArgs};
use physician_locator::db::{Database, DatabaseUrl};
use physician_locator::directory::csv;
use physician_locator::search::Snapshot;
use physician_locator::{Error, generate};

fn main() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    let cli = Cli::parse();
    let result = match cli.command {
        None => serve(cli.serve),
        Some(Command::Serve(args)) => serve(args),
        Some(Command::Migrate(args)) => migrate(&args.database_url),
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

fn open(url: &str) -> Result<Database, Error> {
    Ok(Database::new(DatabaseUrl::parse(url)?))
}

fn migrate(url: &str) -> Result<(), Error> {
    let version = open(url)?.prepare()?;
    log::info!("database ready at directory version {version}");
    Ok(())
}

fn serve(args: ServeArgs) -> Result<(), Error> {
    let db = open(&args.database.database_url)?;
    db.prepare()?;
    let (version, physicians) = db.load()?;
    let snapshot = Snapshot::build(version, physicians);
    log::info!(
        "directory version {version}: {} physicians, {} locations",
        snapshot.physician_count(),
        snapshot.location_count()
    );
    let state = web::Data::new(AppState::new(snapshot));
    actix_web::rt::System::new().block_on(async move {
        let server = HttpServer::new(move || api::app(state.clone()))
            .bind(&args.bind)
            .map_err(|e| Error::Config(format!("cannot listen on {}: {e}", args.bind)))?;
        log::info!("listening on http://{}", args.bind);
        server.run().await.map_err(|e| Error::Internal(e.to_string()))
    })
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
