//! Signed JWTs (compact JWS) with RS256, PS256 and ES256, and the JWK/JWKS documents that publish
//! the public keys: the glue between the portal and the `jsonwebtoken` crate, which does the
//! encoding, signing (on ring) and verification.
//!
//! What is ours: [`Signer`] reads or makes one private key and names it by its RFC 7638 JWK
//! thumbprint (`jsonwebtoken` 9 has no thumbprint; ring, which it signs with, cannot make RSA
//! keys, so the `rsa` crate does that). [`Verifier`] keeps the usable keys of a JWKS by kid and
//! turns what is wrong with a token into a [`TokenRejection`] that a person can act on; it reads
//! the header itself to choose the key and the reason, and checks the times against the caller's
//! clock, which `jsonwebtoken` cannot be given.
//!
//! Nothing here logs or formats private key material: `Signer`'s `Debug` shows only the algorithm
//! and the kid, and key parsing errors never echo the input.

use std::{
    collections::{hash_map::Entry, HashMap},
    fmt,
    str::FromStr,
};

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use jsonwebtoken::{
    errors::ErrorKind,
    jwk::{
        AlgorithmParameters, CommonParameters, EllipticCurve, EllipticCurveKeyParameters,
        EllipticCurveKeyType, Jwk, KeyAlgorithm, KeyOperations, PublicKeyUse, RSAKeyParameters,
        RSAKeyType,
    },
    Algorithm, DecodingKey, EncodingKey, Header, Validation,
};
use ring::{
    rand::SystemRandom,
    signature::{EcdsaKeyPair, KeyPair as _, RsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING},
};
use rsa::pkcs8::{der::pem, EncodePrivateKey, LineEnding, PrivateKeyInfo};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

/// Size of the RSA keys [`Signer::generate`] makes.
const RSA_GENERATE_BITS: usize = 2048;
/// Smallest RSA modulus accepted, for signing and for verifying.
pub const MIN_RSA_BITS: usize = 2048;
/// Largest RSA modulus accepted in a JWKS (ring signs with keys up to this size too).
const MAX_RSA_BITS: usize = 4096;
/// Longest part of an untrusted value (a kid, an alg) that is repeated in messages and logs.
const ECHO_MAX: usize = 80;

/// A JWS signature algorithm this module supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Alg {
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    Rs256,
    /// RSASSA-PSS with SHA-256, MGF1 with SHA-256 and a 32-byte salt.
    Ps256,
    /// ECDSA on P-256 with SHA-256 (signature is the 64-byte `r || s`).
    Es256,
}

impl Alg {
    /// Every supported algorithm.
    pub const ALL: [Alg; 3] = [Alg::Rs256, Alg::Ps256, Alg::Es256];

    /// The JOSE name: "RS256", "PS256" or "ES256".
    pub const fn as_str(self) -> &'static str {
        match self {
            Alg::Rs256 => "RS256",
            Alg::Ps256 => "PS256",
            Alg::Es256 => "ES256",
        }
    }

    fn is_rsa(self) -> bool {
        matches!(self, Alg::Rs256 | Alg::Ps256)
    }

    fn algorithm(self) -> Algorithm {
        match self {
            Alg::Rs256 => Algorithm::RS256,
            Alg::Ps256 => Algorithm::PS256,
            Alg::Es256 => Algorithm::ES256,
        }
    }

    fn key_algorithm(self) -> KeyAlgorithm {
        match self {
            Alg::Rs256 => KeyAlgorithm::RS256,
            Alg::Ps256 => KeyAlgorithm::PS256,
            Alg::Es256 => KeyAlgorithm::ES256,
        }
    }

    fn from_key_algorithm(alg: KeyAlgorithm) -> Option<Self> {
        Alg::ALL.into_iter().find(|a| a.key_algorithm() == alg)
    }
}

impl fmt::Display for Alg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Alg {
    type Err = JoseError;

    /// Exact JOSE names only ("RS256", "PS256", "ES256"): JOSE algorithm names are case-sensitive.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Alg::ALL
            .into_iter()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| JoseError::UnsupportedAlg(printable(s)))
    }
}

/// Errors from making keys, reading or writing them, signing, or reading a JWKS.
#[derive(Debug, thiserror::Error)]
pub enum JoseError {
    #[error("unsupported algorithm \"{0}\": expected RS256, PS256 or ES256")]
    UnsupportedAlg(String),
    #[error("could not generate a key for {alg}: {reason}")]
    KeyGeneration { alg: Alg, reason: String },
    #[error("the private key could not be read for {alg}: {reason}")]
    InvalidKey { alg: Alg, reason: String },
    #[error("the private key is {found}, which cannot sign {alg}")]
    KeyMismatch { alg: Alg, found: &'static str },
    #[error("the private key could not be written as PKCS#8 PEM")]
    KeyEncoding,
    #[error("signing failed: {0}")]
    Signing(String),
    #[error("the claims to sign must be a JSON object")]
    ClaimsNotObject,
    #[error("could not serialise JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("a JWKS must be a JSON object with a \"keys\" array")]
    InvalidJwks,
}

/// Why a token was not accepted. The `Display` text is meant for a person (it goes into problem
/// responses and logs) and never contains the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenRejection {
    /// Not three base64url parts of JSON header, JSON object payload and signature.
    Malformed,
    /// The header's `alg` is not RS256/PS256/ES256, or does not suit the key its kid names.
    UnsupportedAlg(String),
    /// The header's `kid` is missing (empty string) or names no key in the JWKS.
    UnknownKid(String),
    BadSignature,
    Expired,
    NotYetValid,
    WrongAudience,
    MissingClaim(&'static str),
}
impl fmt::Display for TokenRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenRejection::Malformed => f.write_str("the user token is not a well-formed signed JWT"),
            TokenRejection::UnsupportedAlg(alg) => write!(
                f,
                "the user token is signed with \"{alg}\", which is not accepted (RS256, PS256 or ES256, matching the key its kid names)"
            ),
            TokenRejection::UnknownKid(kid) if kid.is_empty() => {
                f.write_str("the user token's header does not name its signing key (no kid)")
            }
            TokenRejection::UnknownKid(kid) => write!(
                f,
                "the user token was signed with key \"{kid}\", which is not in the JWKS"
            ),
            TokenRejection::BadSignature => f.write_str("the user token's signature does not verify"),
            TokenRejection::Expired => f.write_str("the user token has expired"),
            TokenRejection::NotYetValid => {
                f.write_str("the user token is not valid yet (its nbf is in the future)")
            }
            TokenRejection::WrongAudience => {
                f.write_str("the user token is meant for another audience (aud does not match)")
            }
            TokenRejection::MissingClaim(claim) => {
                write!(f, "the user token has no \"{claim}\" claim")
            }
        }
    }
}

impl std::error::Error for TokenRejection {}

/// A private signing key with its algorithm and kid.
pub struct Signer {
    alg: Alg,
    kid: String,
    /// The private key as PKCS#8 DER, kept to write it out again.
    pkcs8: Vec<u8>,
    key: EncodingKey,
    /// ES256 keys are also held parsed: ring signs with them directly, where jsonwebtoken would
    /// parse the DER again for every signature (twice the cost of the signature itself).
    ec: Option<EcdsaKeyPair>,
    /// `base64url(header) + "."`, worked out once.
    header_b64: String,
    header: Header,
    /// The public JWK, worked out once.
    jwk: Value,
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer")
            .field("alg", &self.alg)
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

/// The public half as JWK parameters (base64url).
enum PublicParams {
    Rsa { n: String, e: String },
    Ec { x: String, y: String },
}

impl Signer {
    /// A fresh key: RSA-2048 for RS256 and PS256, P-256 for ES256.
    pub fn generate(alg: Alg) -> Result<Self, JoseError> {
        let failed = |reason: String| JoseError::KeyGeneration { alg, reason };
        let pkcs8 = if alg.is_rsa() {
            rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, RSA_GENERATE_BITS)
                .map_err(|e| failed(e.to_string()))?
                .to_pkcs8_der()
                .map_err(|e| failed(e.to_string()))?
                .as_bytes()
                .to_vec()
        } else {
            EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new())
                .map_err(|_| failed("the system random source failed".to_owned()))?
                .as_ref()
                .to_vec()
        };
        Self::from_pkcs8_der(alg, pkcs8)
    }

    /// Reads an unencrypted PKCS#8 private key ("-----BEGIN PRIVATE KEY-----"): RSA (2048 bits or
    /// more) for RS256/PS256, P-256 for ES256.
    pub fn from_pkcs8_pem(alg: Alg, pem: &str) -> Result<Self, JoseError> {
        let invalid = |reason: &str| JoseError::InvalidKey {
            alg,
            reason: reason.to_owned(),
        };
        match pem::decode_vec(pem.trim().as_bytes()) {
            Ok(("PRIVATE KEY", der)) => Self::from_pkcs8_der(alg, der),
            Ok(("RSA PRIVATE KEY" | "EC PRIVATE KEY", _)) => Err(invalid(
                "this is a PKCS#1/SEC1 key; convert it to PKCS#8 (openssl pkcs8 -topk8 -nocrypt)",
            )),
            Ok(("ENCRYPTED PRIVATE KEY", _)) => Err(invalid(
                "encrypted keys are not supported; give an unencrypted PKCS#8 key",
            )),
            _ => Err(invalid("not a private key in PKCS#8 PEM")),
        }
    }

    fn from_pkcs8_der(alg: Alg, pkcs8: Vec<u8>) -> Result<Self, JoseError> {
        let invalid = |reason: &str| JoseError::InvalidKey {
            alg,
            reason: reason.to_owned(),
        };
        let rng = SystemRandom::new();
        let mut ec = None;
        let (key, public) = if alg.is_rsa() {
            let pair = match RsaKeyPair::from_pkcs8(&pkcs8) {
                Ok(pair) => pair,
                Err(_)
                    if EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &pkcs8, &rng)
                        .is_ok() =>
                {
                    return Err(JoseError::KeyMismatch {
                        alg,
                        found: "a P-256 EC key",
                    })
                }
                // ring names what it refused in a fixed word ("TooSmall", ...).
                Err(rejected) => {
                    return Err(invalid(match rejected.to_string().as_str() {
                        "TooSmall" => "the RSA key is shorter than 2048 bits",
                        "TooLarge" => "the RSA key is longer than 4096 bits",
                        "PrivateModulusLenNotMultipleOf512Bits" => {
                            "the RSA key size must be a multiple of 512 bits (2048, 3072 or 4096)"
                        }
                        "InconsistentComponents" => "the RSA key is inconsistent",
                        _ => "not an RSA private key in PKCS#8 PEM",
                    }))
                }
            };
            let public = ring::rsa::PublicKeyComponents::<Vec<u8>>::from(pair.public());
            // jsonwebtoken signs RSA with the PKCS#1 key that the PKCS#8 wrapper holds.
            let pkcs1 = PrivateKeyInfo::try_from(pkcs8.as_slice())
                .map_err(|_| invalid("not an RSA private key in PKCS#8 PEM"))?
                .private_key
                .to_vec();
            (
                EncodingKey::from_rsa_der(&pkcs1),
                PublicParams::Rsa {
                    n: URL_SAFE_NO_PAD.encode(public.n),
                    e: URL_SAFE_NO_PAD.encode(public.e),
                },
            )
        } else {
            let pair =
                match EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &pkcs8, &rng) {
                    Ok(pair) => pair,
                    Err(_) if RsaKeyPair::from_pkcs8(&pkcs8).is_ok() => {
                        return Err(JoseError::KeyMismatch {
                            alg,
                            found: "an RSA key",
                        })
                    }
                    Err(_) => return Err(invalid("not a P-256 private key in PKCS#8 PEM")),
                };
            // The uncompressed point: 0x04, then x and y, 32 bytes each.
            let point = pair.public_key().as_ref();
            let (Some(x), Some(y)) = (point.get(1..33), point.get(33..65)) else {
                return Err(invalid("the P-256 public key is not an uncompressed point"));
            };
            let params = PublicParams::Ec {
                x: URL_SAFE_NO_PAD.encode(x),
                y: URL_SAFE_NO_PAD.encode(y),
            };
            ec = Some(pair);
            (EncodingKey::from_ec_der(&pkcs8), params)
        };
        let kid = thumbprint(&public);
        let jwk = serde_json::to_value(public_jwk(alg, &kid, public))?;
        let mut header = Header::new(alg.algorithm());
        header.kid = Some(kid.clone());
        let header_b64 = header_part(&header)?;
        Ok(Self {
            alg,
            kid,
            pkcs8,
            key,
            ec,
            header_b64,
            header,
            jwk,
        })
    }

    /// The private key as unencrypted PKCS#8 PEM (LF line endings). Treat the result as a secret.
    pub fn to_pkcs8_pem(&self) -> Result<String, JoseError> {
        pem::encode_string("PRIVATE KEY", LineEnding::LF, &self.pkcs8)
            .map_err(|_| JoseError::KeyEncoding)
    }

    /// The key id: the RFC 7638 JWK SHA-256 thumbprint of the public key, base64url.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    pub fn alg(&self) -> Alg {
        self.alg
    }

    /// Signs `claims` (a JSON object) as a compact JWS with header
    /// `{"typ":"JWT","alg":..,"kid":..}`. RSA goes through jsonwebtoken; ES256 is signed by
    /// ring with the key parsed once (the JWS is the same: ring's fixed-width `r || s` is the
    /// JWS ES256 signature).
    pub fn sign(&self, claims: &Value) -> Result<String, JoseError> {
        if !claims.is_object() {
            return Err(JoseError::ClaimsNotObject);
        }
        let Some(pair) = &self.ec else {
            return jsonwebtoken::encode(&self.header, claims, &self.key)
                .map_err(|e| JoseError::Signing(e.to_string()));
        };
        let mut token = self.header_b64.clone();
        URL_SAFE_NO_PAD.encode_string(serde_json::to_vec(claims)?, &mut token);
        let signature = pair
            .sign(&SystemRandom::new(), token.as_bytes())
            .map_err(|_| JoseError::Signing("ring could not sign with the P-256 key".into()))?;
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(signature.as_ref(), &mut token);
        Ok(token)
    }

    /// The public key as a JWK with `use` "sig", `alg` and `kid`.
    pub fn public_jwk(&self) -> Value {
        self.jwk.clone()
    }
}

/// `base64url(header) + "."`: the start of every token a key signs.
fn header_part(header: &Header) -> Result<String, JoseError> {
    Ok(format!(
        "{}.",
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(header)?)
    ))
}

fn public_jwk(alg: Alg, kid: &str, public: PublicParams) -> Jwk {
    Jwk {
        common: CommonParameters {
            public_key_use: Some(PublicKeyUse::Signature),
            key_algorithm: Some(alg.key_algorithm()),
            key_id: Some(kid.to_owned()),
            ..CommonParameters::default()
        },
        algorithm: match public {
            PublicParams::Rsa { n, e } => AlgorithmParameters::RSA(RSAKeyParameters {
                key_type: RSAKeyType::RSA,
                n,
                e,
            }),
            PublicParams::Ec { x, y } => {
                AlgorithmParameters::EllipticCurve(EllipticCurveKeyParameters {
                    key_type: EllipticCurveKeyType::EC,
                    curve: EllipticCurve::P256,
                    x,
                    y,
                })
            }
        },
    }
}

/// RFC 7638: SHA-256 over the required members in lexicographic order, no whitespace. The
/// members are base64url text, which needs no JSON escaping.
fn thumbprint(public: &PublicParams) -> String {
    match public {
        PublicParams::Rsa { n, e } => rsa_thumbprint(n, e),
        PublicParams::Ec { x, y } => ec_thumbprint(x, y),
    }
}

fn rsa_thumbprint(n: &str, e: &str) -> String {
    sha256_b64(&format!(r#"{{"e":"{e}","kty":"RSA","n":"{n}"}}"#))
}

fn ec_thumbprint(x: &str, y: &str) -> String {
    sha256_b64(&format!(
        r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#
    ))
}

fn sha256_b64(text: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(text.as_bytes()))
}

/// `{"keys": [...]}`.
pub fn jwks(keys: &[Value]) -> Value {
    json!({ "keys": keys })
}

struct VerifyKey {
    /// The JWK's `alg`, when it gives one; otherwise any algorithm that suits the key type.
    alg: Option<Alg>,
    rsa: bool,
    key: DecodingKey,
}

impl VerifyKey {
    fn accepts(&self, alg: Alg) -> bool {
        alg.is_rsa() == self.rsa && self.alg.is_none_or(|a| a == alg)
    }
}

/// Public keys from a JWKS, by kid, for checking tokens.
pub struct Verifier {
    keys: HashMap<String, VerifyKey>,
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut kids: Vec<&str> = self.kids().collect();
        kids.sort_unstable();
        f.debug_struct("Verifier").field("kids", &kids).finish()
    }
}

impl Verifier {
    /// Takes the keys it can use from a JWKS: RSA (2048 to 4096 bits) and P-256 EC keys with a
    /// kid, meant for signatures (`use` absent or "sig"), whose `alg` (when given) is RS256, PS256
    /// or ES256. Other keys are skipped (logged at debug); the first of two keys with the same kid
    /// wins. Fails only when the document is not `{"keys": [...]}`.
    pub fn from_jwks(jwks: &Value) -> Result<Self, JoseError> {
        let keys = jwks
            .get("keys")
            .and_then(Value::as_array)
            .ok_or(JoseError::InvalidJwks)?;
        let mut out = HashMap::new();
        for (index, jwk) in keys.iter().enumerate() {
            match parse_jwk(jwk) {
                Ok((kid, key)) => match out.entry(kid) {
                    Entry::Occupied(taken) => tracing::debug!(
                        index,
                        kid = %printable(taken.key()),
                        "JWKS key skipped: duplicate kid"
                    ),
                    Entry::Vacant(free) => {
                        free.insert(key);
                    }
                },
                Err(reason) => tracing::debug!(index, reason, "JWKS key skipped"),
            }
        }
        Ok(Self { keys: out })
    }

    /// The kids of the usable keys, in no particular order.
    pub fn kids(&self) -> impl Iterator<Item = &str> {
        self.keys.keys().map(String::as_str)
    }

    pub fn contains_kid(&self, kid: &str) -> bool {
        self.keys.contains_key(kid)
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Checks a compact JWS and returns its claims. `now_unix` is the current time in seconds;
    /// `leeway_secs` (negative counts as 0) is allowed on `exp` and `nbf`. Requires `aud` (equal
    /// to `audience`, or an array containing it), `exp`, `iss` and `sub`.
    pub fn verify(
        &self,
        token: &str,
        now_unix: i64,
        audience: &str,
        leeway_secs: i64,
    ) -> Result<Value, TokenRejection> {
        let token = token.trim();
        let mut parts = token.split('.');
        let header = match (parts.next(), parts.next(), parts.next(), parts.next()) {
            (Some(h), Some(p), Some(s), None)
                if !h.is_empty() && !p.is_empty() && !s.is_empty() =>
            {
                decode_json_object(h).ok_or(TokenRejection::Malformed)?
            }
            _ => return Err(TokenRejection::Malformed),
        };
        // The header is read here rather than by the crate so that an unknown alg is named, and
        // an extension marked critical is refused (RFC 7515 section 4.1.11): none is understood.
        if header.contains_key("crit") {
            return Err(TokenRejection::Malformed);
        }
        let alg_name = header
            .get("alg")
            .and_then(Value::as_str)
            .ok_or(TokenRejection::Malformed)?;
        let alg = Alg::from_str(alg_name)
            .map_err(|_| TokenRejection::UnsupportedAlg(printable(alg_name)))?;
        let kid = match header.get("kid").and_then(Value::as_str) {
            Some(kid) if !kid.is_empty() => kid,
            _ => return Err(TokenRejection::UnknownKid(String::new())),
        };
        let key = self
            .keys
            .get(kid)
            .ok_or_else(|| TokenRejection::UnknownKid(printable(kid)))?;
        if !key.accepts(alg) {
            return Err(TokenRejection::UnsupportedAlg(alg.as_str().to_owned()));
        }

        // Signature and audience by the crate; the times below, against the caller's clock.
        let mut validation = Validation::new(alg.algorithm());
        validation.validate_exp = false;
        validation.set_required_spec_claims(&["aud"]);
        validation.set_audience(&[audience]);
        let claims = jsonwebtoken::decode::<Map<String, Value>>(token, &key.key, &validation)
            .map_err(|e| match e.kind() {
                ErrorKind::InvalidSignature => TokenRejection::BadSignature,
                ErrorKind::InvalidAudience => TokenRejection::WrongAudience,
                ErrorKind::MissingRequiredClaim(_) => TokenRejection::MissingClaim("aud"),
                _ => TokenRejection::Malformed,
            })?
            .claims;

        let leeway = leeway_secs.max(0);
        let exp = numeric_date(&claims, "exp")?.ok_or(TokenRejection::MissingClaim("exp"))?;
        if now_unix > exp.saturating_add(leeway) {
            return Err(TokenRejection::Expired);
        }
        if let Some(nbf) = numeric_date(&claims, "nbf")? {
            if nbf > now_unix.saturating_add(leeway) {
                return Err(TokenRejection::NotYetValid);
            }
        }
        for claim in ["iss", "sub"] {
            match claims.get(claim) {
                Some(Value::String(s)) if !s.is_empty() => {}
                _ => return Err(TokenRejection::MissingClaim(claim)),
            }
        }
        Ok(Value::Object(claims))
    }
}

fn decode_json_object(part: &str) -> Option<Map<String, Value>> {
    let bytes = URL_SAFE_NO_PAD.decode(part).ok()?;
    match serde_json::from_slice(&bytes).ok()? {
        Value::Object(map) => Some(map),
        _ => None,
    }
}

/// A NumericDate claim: `Ok(None)` when absent, `Malformed` when present but not a number.
fn numeric_date(
    claims: &Map<String, Value>,
    name: &'static str,
) -> Result<Option<i64>, TokenRejection> {
    match claims.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            // Fractional seconds are allowed; `as` saturates out-of-range values.
            .or_else(|| n.as_f64().map(|f| f.floor() as i64))
            .map(Some)
            .ok_or(TokenRejection::Malformed),
        Some(_) => Err(TokenRejection::Malformed),
    }
}

/// A JWKS entry this module can use, or why not. The crate reads the JWK; the rules on what
/// is usable (a kid, for signatures, a supported alg, the key sizes) are ours.
fn parse_jwk(value: &Value) -> Result<(String, VerifyKey), &'static str> {
    let jwk: Jwk = serde_json::from_value(value.clone())
        .map_err(|_| "not an RSA, EC, OKP or oct JWK with the parameters its kty needs")?;
    let common = &jwk.common;
    let kid = match &common.key_id {
        Some(kid) if !kid.is_empty() => kid.clone(),
        _ => return Err("no kid"),
    };
    if common
        .public_key_use
        .as_ref()
        .is_some_and(|usage| *usage != PublicKeyUse::Signature)
    {
        return Err("use is not \"sig\"");
    }
    if common
        .key_operations
        .as_ref()
        .is_some_and(|ops| !ops.contains(&KeyOperations::Verify))
    {
        return Err("key_ops does not include \"verify\"");
    }
    let alg = match common.key_algorithm {
        None => None,
        Some(alg) => Some(Alg::from_key_algorithm(alg).ok_or("alg is not RS256, PS256 or ES256")?),
    };
    let b64 = |value: &str| -> Result<Vec<u8>, &'static str> {
        URL_SAFE_NO_PAD
            .decode(value)
            .map_err(|_| "a key parameter is not base64url")
    };
    let rsa = match &jwk.algorithm {
        AlgorithmParameters::RSA(params) => {
            if alg.is_some_and(|a| !a.is_rsa()) {
                return Err("an RSA key with a non-RSA alg");
            }
            let n = b64(&params.n)?;
            let bits = match n.iter().position(|&b| b != 0) {
                Some(first) => (n.len() - first) * 8 - n[first].leading_zeros() as usize,
                None => 0,
            };
            if bits < MIN_RSA_BITS {
                return Err("RSA key shorter than 2048 bits");
            }
            if bits > MAX_RSA_BITS {
                return Err("RSA key longer than 4096 bits");
            }
            if b64(&params.e)?.iter().all(|&b| b == 0) {
                return Err("not a usable RSA public key");
            }
            true
        }
        AlgorithmParameters::EllipticCurve(params) => {
            if params.curve != EllipticCurve::P256 {
                return Err("EC key not on P-256");
            }
            if alg.is_some_and(|a| a != Alg::Es256) {
                return Err("a P-256 key with an alg other than ES256");
            }
            let (x, y) = (b64(&params.x)?, b64(&params.y)?);
            if x.len() != 32 || y.len() != 32 {
                return Err("P-256 coordinates must be 32 bytes");
            }
            if !is_p256_point(&[&[0x04], x.as_slice(), y.as_slice()].concat()) {
                return Err("not a P-256 point");
            }
            false
        }
        _ => return Err("kty is not RSA or EC"),
    };
    let key = DecodingKey::from_jwk(&jwk).map_err(|_| "a key parameter is not base64url")?;
    Ok((kid, VerifyKey { alg, rsa, key }))
}

/// Whether an uncompressed point is on P-256. ring checks a public key only when it uses one, so
/// a broken key would otherwise fail each token later as a bad signature; an ECDH agreement with
/// a throwaway key is ring's public way to ask, once, when the JWKS is read.
fn is_p256_point(point: &[u8]) -> bool {
    use ring::agreement::{agree_ephemeral, EphemeralPrivateKey, UnparsedPublicKey, ECDH_P256};
    EphemeralPrivateKey::generate(&ECDH_P256, &SystemRandom::new())
        .and_then(|mine| agree_ephemeral(mine, &UnparsedPublicKey::new(&ECDH_P256, point), |_| ()))
        .is_ok()
}

/// An untrusted value made safe to repeat: printable ASCII only, at most [`ECHO_MAX`] characters.
fn printable(s: &str) -> String {
    let mut out: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '?'
            }
        })
        .take(ECHO_MAX)
        .collect();
    if s.chars().count() > ECHO_MAX {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::OnceLock;

    const AUD: &str = "https://auth.example/am/oauth2";
    const NOW: i64 = 1_750_000_000;

    /// RSA key generation is slow in debug builds: make each kind once.
    fn signer(alg: Alg) -> &'static Signer {
        static RS: OnceLock<Signer> = OnceLock::new();
        static PS: OnceLock<Signer> = OnceLock::new();
        static ES: OnceLock<Signer> = OnceLock::new();
        let cell = match alg {
            Alg::Rs256 => &RS,
            Alg::Ps256 => &PS,
            Alg::Es256 => &ES,
        };
        cell.get_or_init(|| Signer::generate(alg).unwrap())
    }

    fn claims() -> Value {
        json!({
            "iss": "https://pdp.example",
            "sub": "user-123",
            "aud": AUD,
            "iat": NOW,
            "exp": NOW + 300,
        })
    }

    fn verifier_for(signers: &[&Signer]) -> Verifier {
        let keys: Vec<Value> = signers.iter().map(|s| s.public_jwk()).collect();
        Verifier::from_jwks(&jwks(&keys)).unwrap()
    }

    fn b64json(v: &Value) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap())
    }

    #[test]
    fn round_trip_for_every_alg() {
        for alg in Alg::ALL {
            let s = signer(alg);
            assert_eq!(s.alg(), alg);
            let token = s.sign(&claims()).unwrap();
            let v = verifier_for(&[s]);
            let got = v.verify(&token, NOW, AUD, 30).unwrap();
            assert_eq!(got, claims(), "{alg}");

            let header: Value = serde_json::from_slice(
                &URL_SAFE_NO_PAD
                    .decode(token.split('.').next().unwrap())
                    .unwrap(),
            )
            .unwrap();
            assert_eq!(
                header,
                json!({"typ": "JWT", "alg": alg.as_str(), "kid": s.kid()})
            );
            let header_text = String::from_utf8(
                URL_SAFE_NO_PAD
                    .decode(token.split('.').next().unwrap())
                    .unwrap(),
            )
            .unwrap();
            assert!(
                header_text.starts_with(r#"{"typ":"JWT","alg":"#),
                "{header_text}"
            );
        }
    }

    #[test]
    fn generated_and_loaded_keys_sign_alike() {
        for alg in Alg::ALL {
            let generated = signer(alg);
            let loaded = Signer::from_pkcs8_pem(alg, &generated.to_pkcs8_pem().unwrap()).unwrap();
            // What the reloaded key signs, the original's JWK verifies, and the other way round.
            for (from, to) in [(generated, &loaded), (&loaded, generated)] {
                let token = from.sign(&claims()).unwrap();
                assert_eq!(
                    verifier_for(&[to]).verify(&token, NOW, AUD, 30).unwrap(),
                    claims(),
                    "{alg}"
                );
            }
            // ES256 signatures are r || s, 64 bytes (RFC 7518 section 3.4); RSA ones the modulus size.
            let token = loaded.sign(&claims()).unwrap();
            let signature = URL_SAFE_NO_PAD
                .decode(token.rsplit('.').next().unwrap())
                .unwrap();
            assert_eq!(
                signature.len(),
                if alg.is_rsa() { 256 } else { 64 },
                "{alg}"
            );
        }
    }

    #[test]
    fn jwk_shapes() {
        let rs = signer(Alg::Rs256).public_jwk();
        assert_eq!(rs["kty"], "RSA");
        assert_eq!(rs["use"], "sig");
        assert_eq!(rs["alg"], "RS256");
        assert_eq!(rs["e"], "AQAB");
        assert_eq!(rs["kid"], signer(Alg::Rs256).kid());
        assert!(rs.get("d").is_none());
        let es = signer(Alg::Es256).public_jwk();
        assert_eq!(es["kty"], "EC");
        assert_eq!(es["crv"], "P-256");
        assert_eq!(es["x"].as_str().unwrap().len(), 43);
        assert_eq!(es["y"].as_str().unwrap().len(), 43);
        assert!(es.get("d").is_none());
        assert_eq!(jwks(std::slice::from_ref(&es)), json!({"keys": [es]}));
    }

    #[test]
    fn thumbprint_matches_rfc7638_example() {
        // The RSA key of RFC 7638 section 3.1 and its published thumbprint.
        let n = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
        assert_eq!(
            rsa_thumbprint(n, "AQAB"),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
        // And a generated key's kid is the thumbprint of its own JWK.
        let jwk = signer(Alg::Es256).public_jwk();
        assert_eq!(
            ec_thumbprint(jwk["x"].as_str().unwrap(), jwk["y"].as_str().unwrap()),
            signer(Alg::Es256).kid()
        );
        let jwk = signer(Alg::Rs256).public_jwk();
        assert_eq!(
            rsa_thumbprint(jwk["n"].as_str().unwrap(), jwk["e"].as_str().unwrap()),
            signer(Alg::Rs256).kid()
        );
    }

    #[test]
    fn es256_signed_by_ring_matches_jsonwebtoken_and_verifies() {
        let s = signer(Alg::Es256);
        let ours = s.sign(&claims()).unwrap();
        let theirs = jsonwebtoken::encode(&s.header, &claims(), &s.key).unwrap();
        let parts = |t: &str| t.split('.').map(str::to_owned).collect::<Vec<_>>();
        let (a, b) = (parts(&ours), parts(&theirs));
        assert_eq!(a[..2], b[..2], "same header and payload");
        assert_eq!(
            URL_SAFE_NO_PAD.decode(&a[2]).unwrap().len(),
            64,
            "r || s, 32 bytes each"
        );
        let mut key = DecodingKey::from_jwk(&serde_json::from_value(s.public_jwk()).unwrap())
            .map(|k| (k, Validation::new(Algorithm::ES256)))
            .unwrap();
        key.1.required_spec_claims.clear();
        key.1.validate_exp = false;
        key.1.validate_aud = false;
        assert!(jsonwebtoken::decode::<Value>(&ours, &key.0, &key.1).is_ok());
    }

    #[test]
    fn tampered_payload_is_bad_signature() {
        let s = signer(Alg::Es256);
        let token = s.sign(&claims()).unwrap();
        let mut parts: Vec<&str> = token.split('.').collect();
        let mut evil = claims();
        evil["sub"] = json!("someone-else");
        let evil_payload = b64json(&evil);
        parts[1] = &evil_payload;
        let tampered = parts.join(".");
        assert_eq!(
            verifier_for(&[s]).verify(&tampered, NOW, AUD, 30),
            Err(TokenRejection::BadSignature)
        );
    }

    #[test]
    fn another_key_with_same_kid_is_bad_signature() {
        for alg in [Alg::Es256, Alg::Rs256] {
            let real = signer(alg);
            let mut impostor = Signer::generate(alg).unwrap();
            impostor.kid = real.kid().to_owned();
            impostor.header.kid = Some(real.kid().to_owned());
            impostor.header_b64 = header_part(&impostor.header).unwrap();
            let token = impostor.sign(&claims()).unwrap();
            assert_eq!(
                verifier_for(&[real]).verify(&token, NOW, AUD, 30),
                Err(TokenRejection::BadSignature),
                "{alg}"
            );
        }
    }

    #[test]
    fn rs256_token_is_not_accepted_as_ps256() {
        let s = signer(Alg::Rs256);
        // Same RSA key published for PS256: an RS256 token must not pass.
        let mut jwk = s.public_jwk();
        jwk["alg"] = json!("PS256");
        let v = Verifier::from_jwks(&jwks(&[jwk])).unwrap();
        assert_eq!(
            v.verify(&s.sign(&claims()).unwrap(), NOW, AUD, 30),
            Err(TokenRejection::UnsupportedAlg("RS256".into()))
        );
    }

    #[test]
    fn unknown_and_missing_kid() {
        let s = signer(Alg::Es256);
        let other = Signer::generate(Alg::Es256).unwrap();
        let token = other.sign(&claims()).unwrap();
        let err = verifier_for(&[s]).verify(&token, NOW, AUD, 30).unwrap_err();
        assert_eq!(err, TokenRejection::UnknownKid(other.kid().to_owned()));
        assert!(err.to_string().contains(other.kid()));

        let header = b64json(&json!({"alg": "ES256", "typ": "JWT"}));
        let no_kid = format!("{header}.{}.AAAA", b64json(&claims()));
        let err = verifier_for(&[s])
            .verify(&no_kid, NOW, AUD, 30)
            .unwrap_err();
        assert_eq!(err, TokenRejection::UnknownKid(String::new()));
        assert!(err.to_string().contains("no kid"));
    }

    #[test]
    fn unsupported_algs_are_refused() {
        let s = signer(Alg::Es256);
        let v = verifier_for(&[s]);
        for alg in ["none", "HS256", "es256"] {
            let header = b64json(&json!({"alg": alg, "kid": s.kid()}));
            let token = format!("{header}.{}.AAAA", b64json(&claims()));
            assert_eq!(
                v.verify(&token, NOW, AUD, 30),
                Err(TokenRejection::UnsupportedAlg(alg.to_owned()))
            );
        }
        assert!("HS256".parse::<Alg>().is_err());
        assert_eq!("PS256".parse::<Alg>().unwrap(), Alg::Ps256);
    }

    #[test]
    fn time_checks_with_leeway() {
        let s = signer(Alg::Es256);
        let v = verifier_for(&[s]);
        let token = s.sign(&claims()).unwrap();
        // exp = NOW + 300; 30 s of leeway.
        assert!(v.verify(&token, NOW + 330, AUD, 30).is_ok());
        assert_eq!(
            v.verify(&token, NOW + 331, AUD, 30),
            Err(TokenRejection::Expired)
        );
        assert_eq!(
            TokenRejection::Expired.to_string(),
            "the user token has expired"
        );

        let mut c = claims();
        c["nbf"] = json!(NOW + 100);
        let future = s.sign(&c).unwrap();
        assert_eq!(
            v.verify(&future, NOW, AUD, 30),
            Err(TokenRejection::NotYetValid)
        );
        assert!(v.verify(&future, NOW + 70, AUD, 30).is_ok());

        let mut c = claims();
        c.as_object_mut().unwrap().remove("exp");
        assert_eq!(
            v.verify(&s.sign(&c).unwrap(), NOW, AUD, 30),
            Err(TokenRejection::MissingClaim("exp"))
        );
    }

    #[test]
    fn audience_and_required_claims() {
        let s = signer(Alg::Es256);
        let v = verifier_for(&[s]);
        let mut c = claims();
        c["aud"] = json!("https://elsewhere.example");
        assert_eq!(
            v.verify(&s.sign(&c).unwrap(), NOW, AUD, 30),
            Err(TokenRejection::WrongAudience)
        );
        c["aud"] = json!(["https://elsewhere.example", AUD]);
        assert!(v.verify(&s.sign(&c).unwrap(), NOW, AUD, 30).is_ok());
        c["aud"] = json!(["https://elsewhere.example"]);
        assert_eq!(
            v.verify(&s.sign(&c).unwrap(), NOW, AUD, 30),
            Err(TokenRejection::WrongAudience)
        );
        for claim in ["aud", "iss", "sub"] {
            let mut c = claims();
            c.as_object_mut().unwrap().remove(claim);
            let err = v.verify(&s.sign(&c).unwrap(), NOW, AUD, 30).unwrap_err();
            assert_eq!(err, TokenRejection::MissingClaim(claim));
            assert!(err.to_string().contains(claim));
        }
    }

    #[test]
    fn malformed_tokens() {
        let s = signer(Alg::Es256);
        let v = verifier_for(&[s]);
        let token = s.sign(&claims()).unwrap();
        let parts: Vec<&str> = token.split('.').collect();
        for bad in [
            String::new(),
            "abc".to_owned(),
            format!("{}.{}", parts[0], parts[1]),
            format!("{token}.extra"),
            format!("{}.{}.", parts[0], parts[1]),
            format!("!!!.{}.{}", parts[1], parts[2]),
            format!("{}.{}.%%%", parts[0], parts[1]),
        ] {
            assert_eq!(
                v.verify(&bad, NOW, AUD, 30),
                Err(TokenRejection::Malformed),
                "{bad}"
            );
        }
        assert!(s.sign(&json!(["not", "an", "object"])).is_err());
    }

    #[test]
    fn debug_shows_no_key_material() {
        for alg in Alg::ALL {
            let s = signer(alg);
            let debug = format!("{s:?}");
            assert!(debug.contains(s.kid()), "{debug}");
            assert!(debug.contains(&format!("{alg:?}")), "{debug}");
            let pem = s.to_pkcs8_pem().unwrap();
            let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
            assert!(!debug.contains(&body[..40]), "{debug}");
            assert_eq!(
                debug,
                format!("Signer {{ alg: {alg:?}, kid: {:?}, .. }}", s.kid())
            );
        }
    }

    #[test]
    fn pem_round_trip_keeps_the_kid() {
        for alg in Alg::ALL {
            let s = signer(alg);
            let pem = s.to_pkcs8_pem().unwrap();
            assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"));
            let back = Signer::from_pkcs8_pem(alg, &pem).unwrap();
            assert_eq!(back.kid(), s.kid());
            assert_eq!(back.public_jwk(), s.public_jwk());
            // A token from the reloaded key verifies against the original's JWK.
            let token = back.sign(&claims()).unwrap();
            assert!(verifier_for(&[s]).verify(&token, NOW, AUD, 30).is_ok());
        }
    }

    #[test]
    fn pem_for_the_wrong_alg_is_refused() {
        let ec_pem = signer(Alg::Es256).to_pkcs8_pem().unwrap();
        assert!(matches!(
            Signer::from_pkcs8_pem(Alg::Rs256, &ec_pem),
            Err(JoseError::KeyMismatch { .. })
        ));
        let rsa_pem = signer(Alg::Rs256).to_pkcs8_pem().unwrap();
        assert!(matches!(
            Signer::from_pkcs8_pem(Alg::Es256, &rsa_pem),
            Err(JoseError::KeyMismatch { .. })
        ));
        let err = Signer::from_pkcs8_pem(
            Alg::Es256,
            "-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----",
        )
        .unwrap_err();
        assert!(!err.to_string().contains("nope"));
    }

    #[test]
    fn jwks_skips_unusable_keys() {
        let s = signer(Alg::Es256);
        let mut enc = s.public_jwk();
        enc["use"] = json!("enc");
        enc["kid"] = json!("enc-key");
        let doc = json!({"keys": [
            {"kty": "oct", "kid": "sym", "k": "AAAA"},
            {"kty": "EC", "crv": "P-384", "kid": "p384", "x": "AA", "y": "AA"},
            {"kty": "EC", "crv": "P-256", "kid": "bad-point", "x": URL_SAFE_NO_PAD.encode([1u8; 32]), "y": URL_SAFE_NO_PAD.encode([2u8; 32])},
            {"kty": "RSA", "kid": "tiny", "n": "AQAB", "e": "AQAB"},
            {"kty": "RSA", "kid": "huge", "n": URL_SAFE_NO_PAD.encode([0xffu8; 513]), "e": "AQAB"},
            enc,
            "not a key",
            s.public_jwk(),
        ]});
        let v = Verifier::from_jwks(&doc).unwrap();
        assert_eq!(v.kids().collect::<Vec<_>>(), vec![s.kid()]);
        assert!(v.contains_kid(s.kid()));
        assert!(Verifier::from_jwks(&json!({"nokeys": []})).is_err());
        assert!(Verifier::from_jwks(&json!({"keys": []}))
            .unwrap()
            .is_empty());
    }

    #[test]
    fn short_pkcs1_and_encrypted_keys_are_refused_with_advice() {
        use rsa::pkcs1::EncodeRsaPrivateKey;
        let small = rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, 1024).unwrap();
        let pem = small.to_pkcs8_pem(LineEnding::LF).unwrap();
        let err = Signer::from_pkcs8_pem(Alg::Rs256, &pem).unwrap_err();
        assert!(err.to_string().contains("shorter than 2048 bits"), "{err}");

        let pkcs1 = small.to_pkcs1_pem(LineEnding::LF).unwrap();
        let err = Signer::from_pkcs8_pem(Alg::Rs256, &pkcs1).unwrap_err();
        assert!(err.to_string().contains("convert it to PKCS#8"), "{err}");

        let encrypted =
            "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----";
        let err = Signer::from_pkcs8_pem(Alg::Es256, encrypted).unwrap_err();
        assert!(
            err.to_string().contains("encrypted keys are not supported"),
            "{err}"
        );
    }

    #[test]
    fn critical_header_extensions_are_refused() {
        let s = signer(Alg::Es256);
        let token = s.sign(&claims()).unwrap();
        let (_, rest) = token.split_once('.').unwrap();
        let header =
            b64json(&json!({"typ": "JWT", "alg": "ES256", "kid": s.kid(), "crit": ["exp"]}));
        assert_eq!(
            verifier_for(&[s]).verify(&format!("{header}.{rest}"), NOW, AUD, 30),
            Err(TokenRejection::Malformed)
        );
    }

    #[test]
    fn untrusted_kid_is_made_printable() {
        let long = "k\u{7}".repeat(100);
        let p = printable(&long);
        assert!(p.chars().count() <= ECHO_MAX + 1);
        assert!(!p.contains('\u{7}'));
    }
}
