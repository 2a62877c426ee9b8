//! Compact JWS (signed JWT) with RS256, PS256 and ES256, and the JWK/JWKS documents that publish
//! the public keys.
//!
//! [`Signer`] holds one private key and signs claims; its key id (`kid`) is the RFC 7638 JWK
//! thumbprint of the public key, so the same key always has the same kid. [`Verifier`] is built
//! from a JWKS and checks a token's header, signature and time, audience and presence claims.
//!
//! Nothing here logs or formats private key material: `Signer`'s `Debug` shows only the algorithm
//! and the kid, and key parsing errors never echo the input.

use std::{
    collections::{hash_map::Entry, HashMap},
    fmt,
    str::FromStr,
};

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use p256::ecdsa::{
    signature::{Signer as _, Verifier as _},
    Signature as EcSignature, SigningKey as EcSigningKey, VerifyingKey as EcVerifyingKey,
};
use rand::rngs::OsRng;
use rsa::{
    pkcs8::{DecodePrivateKey, EncodePrivateKey, LineEnding},
    traits::PublicKeyParts,
    BigUint, Pkcs1v15Sign, Pss, RsaPrivateKey, RsaPublicKey,
};
use serde::Serialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// Size of the RSA keys [`Signer::generate`] makes.
const RSA_GENERATE_BITS: usize = 2048;
/// Smallest RSA modulus accepted, for signing and for verifying.
pub const MIN_RSA_BITS: usize = 2048;
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

/// The private half, with the public JWK parameters (base64url) worked out once.
enum KeyMaterial {
    Rsa {
        private: Box<RsaPrivateKey>,
        /// The same key for ring, whose RSA signing is several times faster than the `rsa`
        /// crate's (it matters at hundreds of runs at once); `None` only if ring refuses a key
        /// the `rsa` crate accepted, and then the `rsa` crate signs.
        fast: Option<Box<ring::signature::RsaKeyPair>>,
        n: String,
        e: String,
    },
    Ec {
        private: Box<EcSigningKey>,
        /// The same key for ring, whose P-256 signing is several times faster than the `p256`
        /// crate's; `None` only if ring refuses the key, and then the `p256` crate signs.
        fast: Option<Box<ring::signature::EcdsaKeyPair>>,
        x: String,
        y: String,
    },
}

/// A private signing key with its algorithm and kid.
pub struct Signer {
    alg: Alg,
    kid: String,
    key: KeyMaterial,
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer")
            .field("alg", &self.alg)
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

#[derive(Serialize)]
struct Header<'a> {
    typ: &'static str,
    alg: &'static str,
    kid: &'a str,
}

impl Signer {
    /// A fresh key: RSA-2048 for RS256 and PS256, P-256 for ES256.
    pub fn generate(alg: Alg) -> Result<Self, JoseError> {
        let key = if alg.is_rsa() {
            let private = RsaPrivateKey::new(&mut OsRng, RSA_GENERATE_BITS).map_err(|e| {
                JoseError::KeyGeneration {
                    alg,
                    reason: e.to_string(),
                }
            })?;
            rsa_material(private)
        } else {
            ec_material(EcSigningKey::random(&mut OsRng)).map_err(|reason| {
                JoseError::KeyGeneration {
                    alg,
                    reason: reason.to_owned(),
                }
            })?
        };
        Ok(Self::with_key(alg, key))
    }

    /// Reads an unencrypted PKCS#8 private key ("-----BEGIN PRIVATE KEY-----"): RSA (2048 bits or
    /// more) for RS256/PS256, P-256 for ES256.
    pub fn from_pkcs8_pem(alg: Alg, pem: &str) -> Result<Self, JoseError> {
        let pem = pem.trim();
        let invalid = |reason: &str| JoseError::InvalidKey {
            alg,
            reason: reason.to_owned(),
        };
        if pem.contains("BEGIN RSA PRIVATE KEY") || pem.contains("BEGIN EC PRIVATE KEY") {
            return Err(invalid(
                "this is a PKCS#1/SEC1 key; convert it to PKCS#8 (openssl pkcs8 -topk8 -nocrypt)",
            ));
        }
        if pem.contains("BEGIN ENCRYPTED PRIVATE KEY") {
            return Err(invalid(
                "encrypted keys are not supported; give an unencrypted PKCS#8 key",
            ));
        }
        let key = if alg.is_rsa() {
            match RsaPrivateKey::from_pkcs8_pem(pem) {
                Ok(private) => {
                    if private.size() * 8 < MIN_RSA_BITS {
                        return Err(invalid("the RSA key is shorter than 2048 bits"));
                    }
                    private
                        .validate()
                        .map_err(|_| invalid("the RSA key is inconsistent"))?;
                    rsa_material(private)
                }
                Err(_) if EcSigningKey::from_pkcs8_pem(pem).is_ok() => {
                    return Err(JoseError::KeyMismatch {
                        alg,
                        found: "a P-256 EC key",
                    })
                }
                Err(_) => return Err(invalid("not an RSA private key in PKCS#8 PEM")),
            }
        } else {
            match EcSigningKey::from_pkcs8_pem(pem) {
                Ok(private) => ec_material(private).map_err(invalid)?,
                Err(_) if RsaPrivateKey::from_pkcs8_pem(pem).is_ok() => {
                    return Err(JoseError::KeyMismatch {
                        alg,
                        found: "an RSA key",
                    })
                }
                Err(_) => return Err(invalid("not a P-256 private key in PKCS#8 PEM")),
            }
        };
        Ok(Self::with_key(alg, key))
    }

    /// The private key as unencrypted PKCS#8 PEM (LF line endings). Treat the result as a secret.
    pub fn to_pkcs8_pem(&self) -> Result<String, JoseError> {
        let pem = match &self.key {
            KeyMaterial::Rsa { private, .. } => private.to_pkcs8_pem(LineEnding::LF),
            KeyMaterial::Ec { private, .. } => private.to_pkcs8_pem(LineEnding::LF),
        }
        .map_err(|_| JoseError::KeyEncoding)?;
        Ok(pem.as_str().to_owned())
    }

    /// The key id: the RFC 7638 JWK SHA-256 thumbprint of the public key, base64url.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    pub fn alg(&self) -> Alg {
        self.alg
    }

    /// Signs `claims` (a JSON object) as a compact JWS with header
    /// `{"typ":"JWT","alg":..,"kid":..}`.
    pub fn sign(&self, claims: &Value) -> Result<String, JoseError> {
        if !claims.is_object() {
            return Err(JoseError::ClaimsNotObject);
        }
        let header = serde_json::to_vec(&Header {
            typ: "JWT",
            alg: self.alg.as_str(),
            kid: &self.kid,
        })?;
        let payload = serde_json::to_vec(claims)?;
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header),
            URL_SAFE_NO_PAD.encode(payload)
        );
        let signature = self.sign_bytes(signing_input.as_bytes())?;
        Ok(format!(
            "{signing_input}.{}",
            URL_SAFE_NO_PAD.encode(signature)
        ))
    }

    fn sign_bytes(&self, input: &[u8]) -> Result<Vec<u8>, JoseError> {
        let signing = |e: &dyn fmt::Display| JoseError::Signing(e.to_string());
        match (&self.key, self.alg) {
            (
                KeyMaterial::Rsa {
                    fast: Some(pair), ..
                },
                Alg::Rs256 | Alg::Ps256,
            ) => {
                let padding: &'static dyn ring::signature::RsaEncoding = if self.alg == Alg::Rs256 {
                    &ring::signature::RSA_PKCS1_SHA256
                } else {
                    &ring::signature::RSA_PSS_SHA256
                };
                let mut signature = vec![0; pair.public().modulus_len()];
                pair.sign(
                    padding,
                    &ring::rand::SystemRandom::new(),
                    input,
                    &mut signature,
                )
                .map_err(|e| signing(&e))?;
                Ok(signature)
            }
            (KeyMaterial::Rsa { private, .. }, Alg::Rs256) => {
                let digest = Sha256::digest(input);
                private
                    .sign_with_rng(&mut OsRng, Pkcs1v15Sign::new::<Sha256>(), &digest)
                    .map_err(|e| signing(&e))
            }
            (KeyMaterial::Rsa { private, .. }, Alg::Ps256) => {
                let digest = Sha256::digest(input);
                private
                    .sign_with_rng(&mut OsRng, Pss::new::<Sha256>(), &digest)
                    .map_err(|e| signing(&e))
            }
            (
                KeyMaterial::Ec {
                    fast: Some(pair), ..
                },
                Alg::Es256,
            ) => {
                // The FIXED algorithm gives r || s, 64 bytes, as JWS wants (RFC 7518 §3.4).
                let signature = pair
                    .sign(&ring::rand::SystemRandom::new(), input)
                    .map_err(|e| signing(&e))?;
                Ok(signature.as_ref().to_vec())
            }
            (KeyMaterial::Ec { private, .. }, Alg::Es256) => {
                let signature: EcSignature = private.try_sign(input).map_err(|e| signing(&e))?;
                Ok(signature.to_bytes().to_vec())
            }
            // Constructors never pair a key with an algorithm it cannot serve.
            _ => Err(JoseError::Signing(
                "the key does not suit the algorithm".to_owned(),
            )),
        }
    }

    /// The public key as a JWK with `use` "sig", `alg` and `kid`.
    pub fn public_jwk(&self) -> Value {
        match &self.key {
            KeyMaterial::Rsa { n, e, .. } => json!({
                "kty": "RSA",
                "use": "sig",
                "alg": self.alg.as_str(),
                "kid": self.kid,
                "n": n,
                "e": e,
            }),
            KeyMaterial::Ec { x, y, .. } => json!({
                "kty": "EC",
                "crv": "P-256",
                "x": x,
                "y": y,
                "use": "sig",
                "alg": self.alg.as_str(),
                "kid": self.kid,
            }),
        }
    }

    fn with_key(alg: Alg, key: KeyMaterial) -> Self {
        let kid = thumbprint(&key);
        Self { alg, kid, key }
    }
}

fn rsa_material(private: RsaPrivateKey) -> KeyMaterial {
    let n = URL_SAFE_NO_PAD.encode(private.n().to_bytes_be());
    let e = URL_SAFE_NO_PAD.encode(private.e().to_bytes_be());
    let fast = private
        .to_pkcs8_der()
        .ok()
        .and_then(|der| ring::signature::RsaKeyPair::from_pkcs8(der.as_bytes()).ok())
        .map(Box::new);
    KeyMaterial::Rsa {
        private: Box::new(private),
        fast,
        n,
        e,
    }
}

fn ec_material(private: EcSigningKey) -> Result<KeyMaterial, &'static str> {
    let point = private.verifying_key().to_encoded_point(false);
    let (Some(x), Some(y)) = (point.x(), point.y()) else {
        return Err("the P-256 public key has no affine coordinates");
    };
    let x = URL_SAFE_NO_PAD.encode(x);
    let y = URL_SAFE_NO_PAD.encode(y);
    let fast = private
        .to_pkcs8_der()
        .ok()
        .and_then(|der| {
            ring::signature::EcdsaKeyPair::from_pkcs8(
                &ring::signature::ECDSA_P256_SHA256_FIXED_SIGNING,
                der.as_bytes(),
                &ring::rand::SystemRandom::new(),
            )
            .ok()
        })
        .map(Box::new);
    Ok(KeyMaterial::Ec {
        private: Box::new(private),
        fast,
        x,
        y,
    })
}

/// RFC 7638: SHA-256 over the required members in lexicographic order, no whitespace. The
/// members are base64url text, which needs no JSON escaping.
fn thumbprint(key: &KeyMaterial) -> String {
    match key {
        KeyMaterial::Rsa { n, e, .. } => rsa_thumbprint(n, e),
        KeyMaterial::Ec { x, y, .. } => ec_thumbprint(x, y),
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

enum PublicKey {
    Rsa(Box<RsaPublicKey>),
    Ec(Box<EcVerifyingKey>),
}

struct VerifyKey {
    /// The JWK's `alg`, when it gives one; otherwise any algorithm that suits the key type.
    alg: Option<Alg>,
    key: PublicKey,
}

impl VerifyKey {
    fn accepts(&self, alg: Alg) -> bool {
        let suits_type = match self.key {
            PublicKey::Rsa(_) => alg.is_rsa(),
            PublicKey::Ec(_) => alg == Alg::Es256,
        };
        suits_type && self.alg.is_none_or(|a| a == alg)
    }

    fn verify(&self, alg: Alg, input: &[u8], signature: &[u8]) -> bool {
        match (&self.key, alg) {
            (PublicKey::Rsa(key), Alg::Rs256) => key
                .verify(
                    Pkcs1v15Sign::new::<Sha256>(),
                    &Sha256::digest(input),
                    signature,
                )
                .is_ok(),
            (PublicKey::Rsa(key), Alg::Ps256) => key
                .verify(Pss::new::<Sha256>(), &Sha256::digest(input), signature)
                .is_ok(),
            (PublicKey::Ec(key), Alg::Es256) => EcSignature::from_slice(signature)
                .map(|sig| key.verify(input, &sig).is_ok())
                .unwrap_or(false),
            _ => false,
        }
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
    /// `leeway_secs` (negative counts as 0) is allowed on `exp` and `nbf`. Requires `exp`, `aud`
    /// (equal to `audience`, or an array containing it), `iss` and `sub`.
    pub fn verify(
        &self,
        token: &str,
        now_unix: i64,
        audience: &str,
        leeway_secs: i64,
    ) -> Result<Value, TokenRejection> {
        let leeway = leeway_secs.max(0);
        let token = token.trim();
        let mut parts = token.split('.');
        let (header_b64, payload_b64, signature_b64) =
            match (parts.next(), parts.next(), parts.next(), parts.next()) {
                (Some(h), Some(p), Some(s), None)
                    if !h.is_empty() && !p.is_empty() && !s.is_empty() =>
                {
                    (h, p, s)
                }
                _ => return Err(TokenRejection::Malformed),
            };

        let header = decode_json_object(header_b64).ok_or(TokenRejection::Malformed)?;
        if header.contains_key("crit") {
            // No extension is understood here, so RFC 7515 section 4.1.11 says reject.
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

        let signature = URL_SAFE_NO_PAD
            .decode(signature_b64)
            .map_err(|_| TokenRejection::Malformed)?;
        let signing_input_len = header_b64.len() + 1 + payload_b64.len();
        let signing_input = token
            .as_bytes()
            .get(..signing_input_len)
            .ok_or(TokenRejection::Malformed)?;
        if !key.verify(alg, signing_input, &signature) {
            return Err(TokenRejection::BadSignature);
        }

        let claims = decode_json_object(payload_b64).ok_or(TokenRejection::Malformed)?;

        let exp = numeric_date(&claims, "exp")?.ok_or(TokenRejection::MissingClaim("exp"))?;
        if now_unix > exp.saturating_add(leeway) {
            return Err(TokenRejection::Expired);
        }
        if let Some(nbf) = numeric_date(&claims, "nbf")? {
            if nbf > now_unix.saturating_add(leeway) {
                return Err(TokenRejection::NotYetValid);
            }
        }
        match claims.get("aud") {
            None | Some(Value::Null) => return Err(TokenRejection::MissingClaim("aud")),
            Some(Value::String(aud)) if aud == audience => {}
            Some(Value::Array(auds)) if auds.iter().any(|a| a.as_str() == Some(audience)) => {}
            Some(_) => return Err(TokenRejection::WrongAudience),
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

fn decode_json_object(part: &str) -> Option<serde_json::Map<String, Value>> {
    let bytes = URL_SAFE_NO_PAD.decode(part).ok()?;
    match serde_json::from_slice(&bytes).ok()? {
        Value::Object(map) => Some(map),
        _ => None,
    }
}

/// A NumericDate claim: `Ok(None)` when absent, `Malformed` when present but not a number.
fn numeric_date(
    claims: &serde_json::Map<String, Value>,
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

fn parse_jwk(jwk: &Value) -> Result<(String, VerifyKey), &'static str> {
    let jwk = jwk.as_object().ok_or("not a JSON object")?;
    let text = |name: &str| jwk.get(name).and_then(Value::as_str);
    let kid = match text("kid") {
        Some(kid) if !kid.is_empty() => kid.to_owned(),
        _ => return Err("no kid"),
    };
    if let Some(usage) = jwk.get("use") {
        if usage.as_str() != Some("sig") {
            return Err("use is not \"sig\"");
        }
    }
    if let Some(ops) = jwk.get("key_ops") {
        let verifies = ops
            .as_array()
            .is_some_and(|ops| ops.iter().any(|op| op.as_str() == Some("verify")));
        if !verifies {
            return Err("key_ops does not include \"verify\"");
        }
    }
    let alg = match jwk.get("alg") {
        None => None,
        Some(alg) => Some(
            alg.as_str()
                .and_then(|a| Alg::from_str(a).ok())
                .ok_or("alg is not RS256, PS256 or ES256")?,
        ),
    };
    let b64 = |name: &str| -> Result<Vec<u8>, &'static str> {
        let value = text(name).ok_or("a key parameter is missing")?;
        URL_SAFE_NO_PAD
            .decode(value.trim_end_matches('='))
            .map_err(|_| "a key parameter is not base64url")
    };
    let key = match text("kty") {
        Some("RSA") => {
            if alg.is_some_and(|a| !a.is_rsa()) {
                return Err("an RSA key with a non-RSA alg");
            }
            let n = BigUint::from_bytes_be(&b64("n")?);
            let e = BigUint::from_bytes_be(&b64("e")?);
            let key = RsaPublicKey::new(n, e).map_err(|_| "not a usable RSA public key")?;
            if key.size() * 8 < MIN_RSA_BITS {
                return Err("RSA key shorter than 2048 bits");
            }
            PublicKey::Rsa(Box::new(key))
        }
        Some("EC") => {
            if text("crv") != Some("P-256") {
                return Err("EC key not on P-256");
            }
            if alg.is_some_and(|a| a != Alg::Es256) {
                return Err("a P-256 key with an alg other than ES256");
            }
            let (x, y) = (b64("x")?, b64("y")?);
            if x.len() != 32 || y.len() != 32 {
                return Err("P-256 coordinates must be 32 bytes");
            }
            let mut sec1 = Vec::with_capacity(65);
            sec1.push(0x04);
            sec1.extend_from_slice(&x);
            sec1.extend_from_slice(&y);
            let key = EcVerifyingKey::from_sec1_bytes(&sec1).map_err(|_| "not a P-256 point")?;
            PublicKey::Ec(Box::new(key))
        }
        _ => return Err("kty is not RSA or EC"),
    };
    Ok((kid, VerifyKey { alg, key }))
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
    fn ring_signs_every_generated_and_loaded_key() {
        for alg in Alg::ALL {
            let generated = signer(alg);
            let loaded = Signer::from_pkcs8_pem(alg, &generated.to_pkcs8_pem().unwrap()).unwrap();
            for s in [generated, &loaded] {
                let fast = match &s.key {
                    KeyMaterial::Rsa { fast, .. } => fast.is_some(),
                    KeyMaterial::Ec { fast, .. } => fast.is_some(),
                };
                assert!(
                    fast,
                    "{alg}: ring refused the key, so the slow signer would be used"
                );
            }
            // What ring signs, the verifier (RustCrypto) accepts.
            let token = loaded.sign(&claims()).unwrap();
            assert_eq!(
                verifier_for(&[generated])
                    .verify(&token, NOW, AUD, 30)
                    .unwrap(),
                claims()
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
            let other = Signer::generate(alg).unwrap();
            let impostor = Signer {
                kid: real.kid().to_owned(),
                ..other
            };
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
    fn untrusted_kid_is_made_printable() {
        let long = "k\u{7}".repeat(100);
        let p = printable(&long);
        assert!(p.chars().count() <= ECHO_MAX + 1);
        assert!(!p.contains('\u{7}'));
    }
}
