//! `portal-tools`: what developers and `make bench` run beside the portal, kept out of the
//! `portal` binary operators run: the find-endpoint simulator, load-test data and the
//! connectivity engine's load figures.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use server::config::{parse_command_line, Config, LogFormat, Settings};

mod bench_connectivity;
mod bench_seed;
mod simulate;

/// The same allocator as the portal's, so that the engine is measured as it runs there.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Debug, Parser)]
#[command(
    name = "portal-tools",
    version,
    about = "The connection portal's developer tools: a find-endpoint simulator and the bench tools"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a find-endpoint simulator: a stand-in for an organisation's live find endpoint that
    /// checks the portal's synthetic find request and answers as told (202, 200, 400, 401, 500,
    /// slow or drop). For rehearsals, demos and tests.
    SimulateFindEndpoint(simulate::SimulatorArgs),
    /// Load-test fixtures (dev mode only): organisations, each with a service manager
    /// (bench-manager-N@bench.example) and schemes, all with the given password. Reads the
    /// portal's settings (DATABASE_URL, PORTAL_MODE, ...) as `portal` does.
    BenchSeed {
        #[arg(long, default_value_t = 32)]
        organisations: usize,
        #[arg(long, default_value_t = 50)]
        schemes: usize,
        #[arg(long, env = "PORTAL_BENCH_PASSWORD")]
        password: String,
        /// Also give every scheme an OAT request (statuses and dates spread out) and make a
        /// programme staff account, `bench-staff@bench.example`: the staff queue's load.
        #[arg(long)]
        requests: bool,
        #[command(flatten)]
        settings: Box<Settings>,
    },
    /// Load figures for the connectivity test engine against a local simulator (127.0.0.1 only).
    BenchConnectivity {
        #[arg(long, default_value_t = 1000)]
        runs: usize,
        #[arg(long, default_value_t = 200)]
        concurrency: usize,
        /// Rounds of both phases, alternating which goes first; the median round is reported.
        #[arg(long, default_value_t = 5)]
        rounds: usize,
        /// The user tokens' signing algorithm: RS256 (the default), PS256 or ES256.
        #[arg(long, default_value = "RS256")]
        alg: jose::Alg,
    },
}

fn main() -> ExitCode {
    let cli = match parse_command_line::<Cli>("portal-tools") {
        Ok(cli) => cli,
        Err(exit) => return exit,
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("portal-tools: could not start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("portal-tools: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::SimulateFindEndpoint(args) => {
            server::telemetry::init(LogFormat::Pretty);
            simulate::run(args).await
        }
        Command::BenchSeed {
            organisations,
            schemes,
            password,
            requests,
            settings,
        } => {
            let config = Config::from_settings(*settings)?;
            server::telemetry::init(config.log_format);
            bench_seed::seed(&config, organisations, schemes, &password, requests).await
        }
        Command::BenchConnectivity {
            runs,
            concurrency,
            rounds,
            alg,
        } => {
            server::telemetry::init(LogFormat::Pretty);
            bench_connectivity::run(runs, concurrency, rounds, alg).await
        }
    }
}
