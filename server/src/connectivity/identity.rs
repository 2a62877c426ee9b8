//! The portal's own test identity: the client certificate it presents for mutual TLS, the CA that
//! issued it (organisations can download it and choose to trust it), and the key that signs the
//! synthetic user tokens (published at `/.well-known/jwks.json`).
//!
//! An operator configures these as PEM files. In dev and demo mode, whatever is not configured is
//! generated on first start and kept in the keys folder, so restarts keep the same identity. The
//! dev CA also issues the certificate of the demo's find-endpoint simulator, and dev mode trusts it.

use std::{
    fs,
    path::{Path, PathBuf},
};

use anyhow::{bail, Context};
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose, SanType,
};
use rustls::pki_types::{pem::PemObject, CertificateDer, PrivateKeyDer};

use jose::{Alg, Signer};

/// Where the identity comes from.
#[derive(Debug, Clone)]
pub struct IdentitySettings {
    pub keys_dir: PathBuf,
    pub client_cert: Option<PathBuf>,
    pub client_key: Option<PathBuf>,
    pub client_ca: Option<PathBuf>,
    pub signing_key: Option<PathBuf>,
    pub signing_alg: Alg,
    /// Generate what is missing (dev and demo mode); production refuses to start without it.
    pub generate_missing: bool,
}

impl IdentitySettings {
    /// Everything generated into `keys_dir` (dev mode, tests and the bench).
    pub fn generated(keys_dir: PathBuf, signing_alg: Alg) -> Self {
        Self {
            keys_dir,
            client_cert: None,
            client_key: None,
            client_ca: None,
            signing_key: None,
            signing_alg,
            generate_missing: true,
        }
    }
}

/// The loaded identity.
pub struct Identity {
    pub client_chain: Vec<CertificateDer<'static>>,
    pub client_key: PrivateKeyDer<'static>,
    /// The CA certificate organisations may trust for the portal's test traffic (PEM).
    pub client_ca_pem: String,
    pub signer: std::sync::Arc<Signer>,
    /// Dev and demo mode: the generated CA, which can issue server certificates for the
    /// simulator, and which the engine then trusts.
    pub dev_ca: Option<DevCa>,
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identity")
            .field("client_chain", &self.client_chain.len())
            .field("signer", &self.signer)
            .field("dev_ca", &self.dev_ca.is_some())
            .finish_non_exhaustive()
    }
}

/// A CA whose key is on this machine (dev and demo mode, and tests).
pub struct DevCa {
    pub cert_pem: String,
    key_pem: String,
    issuer: rcgen::Issuer<'static, KeyPair>,
}

/// A certificate and its key, as PEM.
#[derive(Clone)]
pub struct Issued {
    pub cert_pem: String,
    pub key_pem: String,
}

impl DevCa {
    /// A new CA with the given common name (tests make their own).
    pub fn generate(common_name: &str) -> anyhow::Result<Self> {
        let key = KeyPair::generate().context("could not generate a CA key")?;
        let mut params = CertificateParams::default();
        params.distinguished_name = name(common_name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        params.not_before = rcgen::date_time_ymd(2024, 1, 1);
        params.not_after = rcgen::date_time_ymd(2045, 1, 1);
        let cert = params.self_signed(&key).context("could not make the CA")?;
        Ok(Self {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
            issuer: rcgen::Issuer::new(params, key),
        })
    }

    pub fn load(cert_pem: &str, key_pem: &str) -> anyhow::Result<Self> {
        let key = KeyPair::from_pem(key_pem).context("could not read the CA key")?;
        let issuer = rcgen::Issuer::from_ca_cert_pem(cert_pem, key)
            .context("could not read the CA certificate")?;
        Ok(Self {
            cert_pem: cert_pem.to_string(),
            key_pem: key_pem.to_string(),
            issuer,
        })
    }

    /// A client certificate for mutual TLS.
    pub fn issue_client(&self, common_name: &str) -> anyhow::Result<Issued> {
        let mut params = CertificateParams::default();
        params.distinguished_name = name(common_name);
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.not_before = rcgen::date_time_ymd(2024, 1, 1);
        params.not_after = rcgen::date_time_ymd(2044, 1, 1);
        self.sign(params)
    }

    /// A server certificate for the given host names and addresses, valid between the dates.
    pub fn issue_server(
        &self,
        hosts: &[&str],
        not_before: (i32, u8, u8),
        not_after: (i32, u8, u8),
    ) -> anyhow::Result<Issued> {
        let mut params = CertificateParams::default();
        params.distinguished_name = name(hosts.first().copied().unwrap_or("localhost"));
        params.subject_alt_names = hosts
            .iter()
            .map(|h| match h.parse::<std::net::IpAddr>() {
                Ok(ip) => Ok(SanType::IpAddress(ip)),
                Err(_) => Ok(SanType::DnsName((*h).try_into()?)),
            })
            .collect::<Result<_, rcgen::Error>>()
            .context("bad host name for a certificate")?;
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.not_before = rcgen::date_time_ymd(not_before.0, not_before.1, not_before.2);
        params.not_after = rcgen::date_time_ymd(not_after.0, not_after.1, not_after.2);
        self.sign(params)
    }

    fn sign(&self, params: CertificateParams) -> anyhow::Result<Issued> {
        let key = KeyPair::generate().context("could not generate a key")?;
        let cert = params
            .signed_by(&key, &self.issuer)
            .context("could not sign a certificate")?;
        Ok(Issued {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        })
    }
}

fn name(common_name: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(
        DnType::OrganizationName,
        "Pensions dashboards connection portal",
    );
    dn.push(DnType::CommonName, common_name);
    dn
}

impl Identity {
    /// Loads the configured identity, generating what is missing when allowed.
    pub fn load(s: &IdentitySettings) -> anyhow::Result<Self> {
        let (client_chain, client_key, client_ca_pem, dev_ca) =
            match (&s.client_cert, &s.client_key, &s.client_ca) {
                (Some(cert), Some(key), Some(ca)) => {
                    let chain = read_certs(cert)?;
                    let key = read_key(key)?;
                    let ca_pem = read(ca)?;
                    publishable_ca(&ca_pem)
                        .with_context(|| format!("PORTAL_CLIENT_CA {}", ca.display()))?;
                    read_certs(ca)?;
                    (chain, key, ca_pem, None)
                }
                (None, None, None) if s.generate_missing => {
                    let dir = &s.keys_dir;
                    generate_if_missing(dir, s.signing_alg)?;
                    let ca = DevCa::load(
                        &read(&dir.join("dev-ca.pem"))?,
                        &read(&dir.join("dev-ca-key.pem"))?,
                    )?;
                    let chain = read_certs(&dir.join("client.pem"))?;
                    let key = read_key(&dir.join("client-key.pem"))?;
                    (chain, key, ca.cert_pem.clone(), Some(ca))
                }
                (None, None, None) => bail!(
                    "production mode needs the portal's client certificate for mutual TLS: set \
                     PORTAL_CLIENT_CERT, PORTAL_CLIENT_KEY and PORTAL_CLIENT_CA (PEM files)"
                ),
                _ => bail!(
                    "set all three of PORTAL_CLIENT_CERT, PORTAL_CLIENT_KEY and PORTAL_CLIENT_CA, or none"
                ),
            };
        let signer = match &s.signing_key {
            Some(path) => Signer::from_pkcs8_pem(s.signing_alg, &read(path)?)
                .with_context(|| format!("could not read the signing key {}", path.display()))?,
            None if s.generate_missing => {
                generate_if_missing(&s.keys_dir, s.signing_alg)?;
                let path = s.keys_dir.join(signing_file(s.signing_alg));
                Signer::from_pkcs8_pem(s.signing_alg, &read(&path)?)
                    .with_context(|| format!("could not read {}", path.display()))?
            }
            None => bail!(
                "production mode needs the key that signs test user tokens: set PORTAL_SIGNING_KEY (a PKCS#8 PEM file)"
            ),
        };
        Ok(Self {
            client_chain,
            client_key,
            client_ca_pem,
            signer: std::sync::Arc::new(signer),
            dev_ca,
        })
    }
}

fn signing_file(alg: Alg) -> String {
    format!("signing-{}.pem", alg.as_str().to_lowercase())
}

const GENERATED: [&str; 4] = [
    "dev-ca.pem",
    "dev-ca-key.pem",
    "client.pem",
    "client-key.pem",
];

/// Makes the dev CA, client certificate and signing key in the keys folder when any is missing.
/// They are made together in a scratch folder that is then renamed into place, so processes
/// starting at once (tests) all end up using one matching set.
fn generate_if_missing(dir: &Path, alg: Alg) -> anyhow::Result<()> {
    let wanted = || {
        GENERATED
            .iter()
            .map(|f| f.to_string())
            .chain([signing_file(alg)])
    };
    if wanted().all(|f| dir.join(f).exists()) {
        return Ok(());
    }
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&parent)
        .with_context(|| format!("could not create {}", parent.display()))?;
    let scratch = parent.join(format!(".keys-{}", uuid::Uuid::new_v4()));
    fs::create_dir_all(&scratch)
        .with_context(|| format!("could not create {}", scratch.display()))?;
    let made = (|| -> anyhow::Result<()> {
        let ca = DevCa::generate("Connection portal dev test CA")?;
        write_private(&scratch.join("dev-ca-key.pem"), &ca.key_pem)?;
        write_public(&scratch.join("dev-ca.pem"), &ca.cert_pem)?;
        let issued = ca.issue_client("connection-portal-test-client")?;
        write_private(&scratch.join("client-key.pem"), &issued.key_pem)?;
        write_public(&scratch.join("client.pem"), &issued.cert_pem)?;
        let signer = Signer::generate(alg).context("could not generate a signing key")?;
        write_private(
            &scratch.join(signing_file(alg)),
            &signer
                .to_pkcs8_pem()
                .context("could not encode the signing key")?,
        )
    })();
    if let Err(e) = made {
        let _ = fs::remove_dir_all(&scratch);
        return Err(e);
    }
    // Renaming onto a missing or empty folder is atomic; otherwise someone else won, or the
    // folder holds part of a set (another algorithm's key): then add only what is missing.
    if fs::rename(&scratch, dir).is_err() {
        let has_ca = dir.join("dev-ca.pem").exists() && dir.join("dev-ca-key.pem").exists();
        for f in wanted() {
            let target = dir.join(&f);
            let is_ca_set = f != signing_file(alg);
            if !target.exists() && (!has_ca || !is_ca_set) {
                let _ = fs::rename(scratch.join(&f), &target);
            }
        }
        let _ = fs::remove_dir_all(&scratch);
    } else {
        tracing::info!(dir = %dir.display(), "generated the dev test CA, client certificate and signing key");
    }
    Ok(())
}

fn read(path: &Path) -> anyhow::Result<String> {
    fs::read_to_string(path).with_context(|| format!("could not read {}", path.display()))
}

/// The client CA is published at `/connectivity/client-ca.pem`: a file that also holds a private
/// key (of any kind, encrypted or not) must never be served, so the portal refuses to start.
pub fn publishable_ca(pem: &str) -> anyhow::Result<()> {
    if pem.contains("PRIVATE KEY-----") {
        bail!(
            "holds a private key; give a file with the CA certificate only, since it is published"
        );
    }
    Ok(())
}

pub fn read_certs(path: &Path) -> anyhow::Result<Vec<CertificateDer<'static>>> {
    let pem = read(path)?;
    parse_certs(&pem).with_context(|| format!("no certificate in {}", path.display()))
}

pub fn parse_certs(pem: &str) -> anyhow::Result<Vec<CertificateDer<'static>>> {
    let certs: Vec<_> = CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<Result<_, _>>()
        .context("bad PEM")?;
    if certs.is_empty() {
        bail!("no certificate found");
    }
    Ok(certs)
}

fn read_key(path: &Path) -> anyhow::Result<PrivateKeyDer<'static>> {
    let pem = read(path)?;
    PrivateKeyDer::from_pem_slice(pem.as_bytes())
        .with_context(|| format!("no private key in {}", path.display()))
}

fn write_public(path: &Path, text: &str) -> anyhow::Result<()> {
    fs::write(path, text).with_context(|| format!("could not write {}", path.display()))
}

/// Writes a key readable by the owner only.
fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("could not write {}", path.display()))?;
    file.write_all(text.as_bytes())
        .with_context(|| format!("could not write {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(dir: &Path) -> IdentitySettings {
        IdentitySettings::generated(dir.to_path_buf(), Alg::Rs256)
    }

    #[test]
    fn a_client_ca_file_holding_a_private_key_is_never_published() {
        let dir = tempfile::tempdir().unwrap();
        Identity::load(&settings(dir.path())).unwrap();
        let given = |ca: &str| {
            let mut s = settings(dir.path());
            s.generate_missing = false;
            s.client_cert = Some(dir.path().join("client.pem"));
            s.client_key = Some(dir.path().join("client-key.pem"));
            s.client_ca = Some(dir.path().join(ca));
            s.signing_key = Some(dir.path().join(signing_file(Alg::Rs256)));
            Identity::load(&s)
        };
        let ca = std::fs::read_to_string(dir.path().join("dev-ca.pem")).unwrap();
        let key = std::fs::read_to_string(dir.path().join("dev-ca-key.pem")).unwrap();
        std::fs::write(dir.path().join("ca-with-key.pem"), format!("{ca}{key}")).unwrap();
        let Err(err) = given("ca-with-key.pem") else {
            panic!("a CA file with a key must be refused");
        };
        assert!(
            format!("{err:#}").contains("holds a private key"),
            "{err:#}"
        );
        let ok = given("dev-ca.pem").expect("the certificate alone is fine");
        assert_eq!(ok.client_ca_pem, ca);
    }

    #[test]
    fn generated_identity_is_kept_across_restarts() {
        let dir = tempfile::tempdir().unwrap();
        let first = Identity::load(&settings(dir.path())).unwrap();
        let second = Identity::load(&settings(dir.path())).unwrap();
        assert_eq!(first.signer.kid(), second.signer.kid());
        assert_eq!(first.client_ca_pem, second.client_ca_pem);
        assert_eq!(first.client_chain, second.client_chain);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(dir.path().join("client-key.pem"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o077, 0, "private keys are not readable by others");
        }
    }

    #[test]
    fn production_without_material_is_refused_with_the_settings_to_use() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = settings(dir.path());
        s.generate_missing = false;
        let err = Identity::load(&s).unwrap_err().to_string();
        assert!(err.contains("PORTAL_CLIENT_CERT"), "{err}");
        s.client_cert = Some(dir.path().join("x.pem"));
        let err = Identity::load(&s).unwrap_err().to_string();
        assert!(err.contains("all three"), "{err}");
    }
}
