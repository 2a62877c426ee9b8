//! `portal`: serves the connection portal, or runs one of its administrative subcommands.

use std::{process::ExitCode, sync::Arc};

use app::clock::{Clock, OffsetClock, SystemClock};
use server::{
    config::{parse_command_line, Cli, Command, Config},
    startup::{shutdown_signal, Application},
    telemetry,
};

/// mimalloc instead of the C library's allocator: page rendering makes many small short-lived
/// allocations across threads, and glibc's malloc spent a large share of the server's CPU time
/// on them under load (docs/performance.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = match parse_command_line::<Cli>("portal") {
        Ok(cli) => cli,
        Err(exit) => return exit,
    };
    let command = cli.command.clone().unwrap_or(Command::Serve);
    let config = match Config::from_settings(cli.settings) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("portal: {e}");
            return ExitCode::from(2);
        }
    };
    telemetry::init(config.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("portal: could not start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(run(command, config));
    // Work still running after shutdown is not waited for without end: a stuck task would
    // otherwise keep the process alive after it has said it stopped.
    runtime.shutdown_timeout(std::time::Duration::from_secs(5));
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "portal stopped with an error");
            eprintln!("portal: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command, config: Config) -> anyhow::Result<()> {
    match command {
        Command::CheckConfig => {
            println!("mode: {:?}", config.mode);
            println!("database: {}", app::store::redact_url(&config.database_url));
            println!("listen: {}", config.listen);
            println!("public origin: {}", config.public_origin);
            println!("secure cookies: {}", config.secure_cookies);
            println!("demo: {}", config.demo);
            Ok(())
        }
        Command::CreateAdmin { email, name } => {
            server::admin_cli::create_admin(&config, &email, &name).await
        }
        Command::Backup { file } => {
            let db = app::store::Db::connect(&config.database_url, &config.pool).await?;
            let report = app::store::backup::backup(&db, &file).await;
            db.close().await;
            let report = report?;
            println!(
                "backup written to {} ({} bytes); integrity check: ok",
                file.display(),
                report.bytes
            );
            Ok(())
        }
        Command::Migrate => {
            let db = app::store::Db::connect(&config.database_url, &config.pool).await?;
            db.migrate().await?;
            db.close().await;
            println!("migrations applied");
            Ok(())
        }
        Command::Serve => {
            let demo = config.demo;
            let mode = config.mode;
            let backend = config.backend;
            let clock: Arc<dyn Clock> = match config.clock_offset_days {
                0 => Arc::new(SystemClock),
                days => {
                    tracing::warn!(days, "the portal's clock is moved from the system clock");
                    Arc::new(OffsetClock(chrono::Duration::days(days)))
                }
            };
            let application = Application::build(config, clock).await?;
            let addr = application.local_addr()?;
            tracing::info!(%addr, ?mode, backend = backend.name(), demo, "portal listening");
            // A plain line on stdout for scripts and people: where to point the browser.
            println!("Portal listening on http://{addr}");
            if demo {
                if let Some(password) = &application.state().demo_password {
                    server::demo::print_banner(&addr, password);
                }
            }
            application.run_until(shutdown_signal()).await
        }
    }
}
