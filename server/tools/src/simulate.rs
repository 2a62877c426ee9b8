//! `portal-tools simulate-find-endpoint`: the find-endpoint simulator (the `simulator` crate) on
//! the command line, until Ctrl-C or SIGTERM.

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use anyhow::Context as _;
use simulator::{
    start, Answer, ServerTls, SimulatorError, SimulatorOptions, DEFAULT_AUDIENCE, DEFAULT_LISTEN,
    DEFAULT_SLOW_FOR,
};

/// Runs a find-endpoint simulator: an HTTPS server that stands in for an organisation's find
/// endpoint, to rehearse receiving PDP's find request.
#[derive(Debug, Clone, clap::Args)]
pub struct SimulatorArgs {
    /// Address to listen on (HTTPS).
    #[arg(long, value_name = "ADDR", default_value_t = DEFAULT_LISTEN)]
    pub listen: SocketAddr,
    /// Server certificate chain, PEM (leaf first). With --key; without both, a self-signed
    /// certificate for localhost is made.
    #[arg(long, value_name = "PATH", requires = "key")]
    pub cert: Option<PathBuf>,
    /// Private key for --cert, PEM.
    #[arg(long, value_name = "PATH", requires = "cert")]
    pub key: Option<PathBuf>,
    /// Write the certificate the simulator presents (PEM) here, for clients to trust.
    #[arg(long, value_name = "PATH")]
    pub write_cert: Option<PathBuf>,
    /// Require client certificates issued by the CA certificate(s) in this PEM file.
    #[arg(long, value_name = "PATH")]
    pub client_ca: Option<PathBuf>,
    /// Verify the user token against this JWKS URL.
    #[arg(long, value_name = "URL")]
    pub jwks_url: Option<String>,
    /// The audience (aud) the user token must carry.
    #[arg(long, value_name = "AUD", default_value = DEFAULT_AUDIENCE)]
    pub audience: String,
    /// How to answer: 202, 200, 400, 401, 500, slow or drop.
    #[arg(long, value_name = "ANSWER", default_value_t = Answer::Accepted)]
    pub answer: Answer,
    /// How long "slow" waits before answering 202, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = DEFAULT_SLOW_FOR.as_secs())]
    pub slow_secs: u64,
    /// Also listen for control requests (plain HTTP; loopback only), e.g. 127.0.0.1:8444.
    #[arg(long, value_name = "ADDR")]
    pub control: Option<SocketAddr>,
}

impl SimulatorArgs {
    /// Reads the files named and makes the options [`start`] takes.
    pub fn to_options(&self) -> anyhow::Result<SimulatorOptions> {
        let read = |path: &PathBuf, what: &str| {
            std::fs::read_to_string(path)
                .with_context(|| format!("could not read the {what} {}", path.display()))
        };
        let tls = match (&self.cert, &self.key) {
            (Some(cert), Some(key)) => ServerTls::Pem {
                cert_chain_pem: read(cert, "certificate chain")?,
                key_pem: read(key, "private key")?,
            },
            (None, None) => ServerTls::SelfSigned,
            _ => anyhow::bail!("give both --cert and --key, or neither"),
        };
        let client_ca_pem = match &self.client_ca {
            Some(path) => Some(read(path, "client CA")?),
            None => None,
        };
        if let Some(control) = self.control {
            if !control.ip().is_loopback() {
                anyhow::bail!(SimulatorError::ControlNotLoopback(control));
            }
        }
        Ok(SimulatorOptions {
            listen: self.listen,
            tls,
            client_ca_pem,
            jwks_url: self.jwks_url.clone(),
            audience: self.audience.clone(),
            answer: self.answer,
            slow_for: Duration::from_secs(self.slow_secs),
            control: self.control,
        })
    }
}

/// Starts the simulator, prints where it listens, and runs until Ctrl-C (or SIGTERM).
pub async fn run(args: SimulatorArgs) -> anyhow::Result<()> {
    let options = args.to_options()?;
    // SIGTERM is listened for from here on: one sent as soon as the lines below are out still
    // stops the simulator cleanly.
    let stop = server::startup::shutdown_signal();
    let simulator = start(options)
        .await
        .context("the find-endpoint simulator could not start")?;
    if let Some(path) = &args.write_cert {
        std::fs::write(path, simulator.server_cert_pem())
            .with_context(|| format!("could not write the certificate to {}", path.display()))?;
        tracing::info!(path = %path.display(), "wrote the simulator's certificate");
    }
    println!(
        "Find-endpoint simulator listening on https://{} (answering {})",
        simulator.local_addr(),
        simulator.answer()
    );
    if let Some(control) = simulator.control_addr() {
        println!(
            "Find-endpoint simulator control listening on http://{control} (GET or PUT /answer, GET /requests)"
        );
    }
    // Ctrl-C or SIGTERM, as for the portal itself.
    stop.await;
    simulator.shutdown().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_line() {
        use clap::Parser;
        #[derive(Parser)]
        struct Cli {
            #[command(flatten)]
            args: SimulatorArgs,
        }
        let cli = Cli::try_parse_from(["sim"]).unwrap();
        assert_eq!(cli.args.listen, DEFAULT_LISTEN);
        assert_eq!(cli.args.answer, Answer::Accepted);
        assert_eq!(cli.args.slow_secs, 40);
        assert_eq!(cli.args.audience, DEFAULT_AUDIENCE);
        let options = cli.args.to_options().unwrap();
        assert!(matches!(options.tls, ServerTls::SelfSigned));

        let cli = Cli::try_parse_from([
            "sim",
            "--listen",
            "127.0.0.1:9443",
            "--answer",
            "drop",
            "--slow-secs",
            "5",
            "--control",
            "127.0.0.1:9444",
            "--jwks-url",
            "http://127.0.0.1:1/jwks",
        ])
        .unwrap();
        assert_eq!(cli.args.answer, Answer::Drop);
        assert_eq!(
            cli.args.to_options().unwrap().slow_for,
            Duration::from_secs(5)
        );

        assert!(Cli::try_parse_from(["sim", "--cert", "a.pem"]).is_err());
        assert!(Cli::try_parse_from(["sim", "--key", "k.pem"]).is_err());
        assert!(Cli::try_parse_from(["sim", "--answer", "418"]).is_err());
        let cli = Cli::try_parse_from(["sim", "--control", "0.0.0.0:9444"]).unwrap();
        assert!(cli.args.to_options().is_err());
        let cli = Cli::try_parse_from([
            "sim",
            "--cert",
            "/nonexistent/c.pem",
            "--key",
            "/nonexistent/k.pem",
        ])
        .unwrap();
        assert!(cli.args.to_options().is_err());
    }
}
