//! The second factor: time-based one-time codes (RFC 6238: HMAC-SHA1, 6 digits, 30-second
//! steps) from an authenticator app, and single-use recovery codes for when the app is lost.
//! Pure rules, tested here; the store keeps the secret, the last accepted step and the hashed
//! recovery codes.

use rand::{rngs::OsRng, Rng, RngCore};
use sha2::{Digest, Sha256};
use totp_rs::{Algorithm, Secret, TOTP};

/// Seconds in one time step.
pub const STEP_SECONDS: i64 = 30;
/// Digits in a code.
pub const DIGITS: usize = 6;
/// Steps either side of now a code may come from (clock drift between phone and server).
pub const DRIFT_STEPS: i64 = 1;
/// Wrong codes that end a half-signed-in session.
pub const MAX_WRONG_CODES: u32 = 5;
/// Recovery codes made at enrolment.
pub const RECOVERY_CODES: usize = 10;
/// Letters and digits a recovery code is made of: no 0/o, 1/l/i, so it can be read aloud.
const RECOVERY_ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";

/// A shared secret: 20 random bytes (160 bits, the size RFC 4226 recommends).
#[derive(Clone, PartialEq, Eq)]
pub struct TotpSecret(Vec<u8>);

impl std::fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpSecret(***)")
    }
}

impl TotpSecret {
    pub fn generate() -> Self {
        let mut bytes = vec![0u8; 20];
        OsRng.fill_bytes(&mut bytes);
        Self(bytes)
    }

    /// From its base32 text (as stored, or as typed into an app), ignoring spaces and case.
    pub fn from_base32(text: &str) -> Option<Self> {
        let clean: String = text
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let bytes = Secret::Encoded(clean.trim_end_matches('=').to_string())
            .to_bytes()
            .ok()?;
        (bytes.len() >= 16).then_some(Self(bytes))
    }

    /// Unpadded base32, as authenticator apps take it.
    pub fn to_base32(&self) -> String {
        match Secret::Raw(self.0.clone()).to_encoded() {
            Secret::Encoded(text) => text,
            Secret::Raw(_) => String::new(),
        }
    }

    /// The base32 text in groups of four, for typing into an app by hand.
    pub fn grouped(&self) -> String {
        let text = self.to_base32();
        text.as_bytes()
            .chunks(4)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn totp(&self) -> Option<TOTP> {
        TOTP::new(
            Algorithm::SHA1,
            DIGITS,
            0,
            STEP_SECONDS as u64,
            self.0.clone(),
        )
        .ok()
    }

    /// The code for one time step.
    pub fn code_at_step(&self, step: i64) -> String {
        let time = u64::try_from(step.max(0) * STEP_SECONDS).unwrap_or(0);
        self.totp().map(|t| t.generate(time)).unwrap_or_default()
    }

    /// The `otpauth://` address an authenticator app reads from the QR code.
    pub fn otpauth_uri(&self, issuer: &str, account: &str) -> String {
        format!(
            "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}",
            percent(issuer),
            percent(account),
            self.to_base32(),
            percent(issuer),
        )
    }
}

/// The time step an instant (Unix seconds) falls in.
pub fn step_of(unix_seconds: i64) -> i64 {
    unix_seconds.div_euclid(STEP_SECONDS)
}

/// What a typed code turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeCheck {
    /// Right, for this step: record it as the last accepted one.
    Accepted {
        step: i64,
    },
    /// Right, but for a step already used (or older): a code works once.
    Replayed,
    Wrong,
}

/// Checks a 6-digit code against the steps around now, refusing any step at or before
/// `last_step` (so a code, once accepted, never works again, nor does an older one).
pub fn check_code(
    secret: &TotpSecret,
    typed: &str,
    now_unix: i64,
    last_step: Option<i64>,
) -> CodeCheck {
    let Some(code) = six_digits(typed) else {
        return CodeCheck::Wrong;
    };
    let now_step = step_of(now_unix);
    let mut replayed = false;
    for step in (now_step - DRIFT_STEPS)..=(now_step + DRIFT_STEPS) {
        let expected = secret.code_at_step(step);
        if constant_time_eq(expected.as_bytes(), code.as_bytes()) {
            if last_step.is_some_and(|last| step <= last) {
                replayed = true;
                continue;
            }
            return CodeCheck::Accepted { step };
        }
    }
    if replayed {
        CodeCheck::Replayed
    } else {
        CodeCheck::Wrong
    }
}

/// The digits of a typed code, allowing spaces and dashes ("123 456"), or None.
pub fn six_digits(typed: &str) -> Option<String> {
    let digits: String = typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    (digits.len() == DIGITS && digits.chars().all(|c| c.is_ascii_digit())).then_some(digits)
}

/// Makes the recovery codes shown once at enrolment: 10 letters and digits each, written as
/// two groups of five ("abcde-fghjk"), about 49 bits each.
pub fn new_recovery_codes() -> Vec<String> {
    let mut rng = OsRng;
    (0..RECOVERY_CODES)
        .map(|_| {
            let chars: String = (0..10)
                .map(|_| {
                    let i = rng.gen_range(0..RECOVERY_ALPHABET.len());
                    char::from(RECOVERY_ALPHABET[i])
                })
                .collect();
            format!("{}-{}", &chars[..5], &chars[5..])
        })
        .collect()
}

/// The stored form of a recovery code: SHA-256 of its letters and digits, lower-cased. Random
/// codes of this length need no slow hash; the database never holds a usable code.
pub fn recovery_code_hash(typed: &str) -> Option<String> {
    let clean: String = typed
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    if clean.len() != 10 || !clean.bytes().all(|b| RECOVERY_ALPHABET.contains(&b)) {
        return None;
    }
    Some(hex::encode(Sha256::digest(clean.as_bytes())))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn percent(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'@' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238's SHA-1 test secret ("12345678901234567890").
    fn rfc_secret() -> TotpSecret {
        TotpSecret(b"12345678901234567890".to_vec())
    }

    #[test]
    fn codes_match_rfc_6238_test_vectors() {
        // Appendix B lists 8-digit codes; the 6-digit code is their last six digits.
        for (time, eight) in [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
        ] {
            assert_eq!(
                rfc_secret().code_at_step(step_of(time)),
                eight[2..],
                "{time}"
            );
        }
    }

    #[test]
    fn base32_goes_there_and_back_and_ignores_spaces_and_case() {
        let s = TotpSecret::generate();
        let text = s.to_base32();
        assert_eq!(text.len(), 32);
        assert_eq!(TotpSecret::from_base32(&text), Some(s.clone()));
        assert_eq!(
            TotpSecret::from_base32(&s.grouped().to_lowercase()),
            Some(s)
        );
        assert_eq!(rfc_secret().to_base32(), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        assert_eq!(TotpSecret::from_base32("not base32!"), None);
        assert_eq!(
            TotpSecret::from_base32("GEZDGNBV"),
            None,
            "too short to be a secret"
        );
    }

    #[test]
    fn a_code_is_accepted_within_one_step_of_drift_and_only_once() {
        let s = rfc_secret();
        let now = 1_700_000_015;
        let step = step_of(now);
        let current = s.code_at_step(step);
        assert_eq!(
            check_code(&s, &current, now, None),
            CodeCheck::Accepted { step }
        );
        assert_eq!(
            check_code(&s, &current, now, Some(step)),
            CodeCheck::Replayed
        );
        let previous = s.code_at_step(step - 1);
        assert_eq!(
            check_code(&s, &previous, now, None),
            CodeCheck::Accepted { step: step - 1 }
        );
        // Once a later step is used, an earlier code is refused too.
        assert_eq!(
            check_code(&s, &previous, now, Some(step)),
            CodeCheck::Replayed
        );
        let next = s.code_at_step(step + 1);
        assert_eq!(
            check_code(&s, &next, now, Some(step)),
            CodeCheck::Accepted { step: step + 1 }
        );
        for far in [step - 2, step + 2] {
            assert_eq!(
                check_code(&s, &s.code_at_step(far), now, None),
                CodeCheck::Wrong
            );
        }
        assert_eq!(check_code(&s, "12345", now, None), CodeCheck::Wrong);
        assert_eq!(check_code(&s, "abcdef", now, None), CodeCheck::Wrong);
        let spaced = format!("{} {}", &current[..3], &current[3..]);
        assert_eq!(
            check_code(&s, &spaced, now, None),
            CodeCheck::Accepted { step }
        );
    }

    #[test]
    fn recovery_codes_are_distinct_readable_and_hash_as_typed() {
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), RECOVERY_CODES);
        let mut unique = codes.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), RECOVERY_CODES);
        for code in &codes {
            assert_eq!(code.len(), 11);
            let hash = recovery_code_hash(code).expect("a code of ours");
            assert_eq!(
                recovery_code_hash(&code.to_uppercase().replace('-', " ")),
                Some(hash)
            );
        }
        assert_eq!(recovery_code_hash("abcde-fghi"), None, "too short");
        assert_eq!(
            recovery_code_hash("abcde-fghi1"),
            None,
            "1 is not in the alphabet"
        );
    }

    #[test]
    fn the_app_address_names_the_issuer_and_account() {
        let uri = rfc_secret().otpauth_uri("Connection portal", "kim@pdp.example");
        assert_eq!(
            uri,
            "otpauth://totp/Connection%20portal:kim@pdp.example?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Connection%20portal&algorithm=SHA1&digits=6&period=30"
        );
    }
}
