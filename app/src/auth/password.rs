//! Argon2id hashing off the async runtime, with a cap on how many run at once.

use std::sync::Arc;

use argon2::{
    password_hash::{
        rand_core::OsRng, PasswordHash, PasswordHasher as _, PasswordVerifier, SaltString,
    },
    Argon2,
};
use tokio::sync::Semaphore;

use crate::domain::NewPassword;

/// Longest candidate password verified at sign-in, in bytes; anything longer is simply wrong
/// (after the same amount of work), so no one can make us hash megabytes.
pub const MAX_CANDIDATE_BYTES: usize = 1024;

#[derive(Debug, thiserror::Error)]
pub enum PasswordHashError {
    #[error("password hashing failed: {0}")]
    Hash(String),
    #[error("the hashing task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
    #[error("the hashing queue is closed")]
    Closed,
}

/// Hashes and verifies passwords with argon2id (m=19456 KiB, t=2, p=1: the argon2 crate's
/// defaults and the OWASP minimum) on the blocking pool, at most `max_concurrent` at a time, so a
/// burst of sign-ins cannot take every core from page rendering.
#[derive(Debug, Clone)]
pub struct PasswordHasher {
    permits: Arc<Semaphore>,
    dummy: Arc<str>,
}

impl PasswordHasher {
    pub fn new(max_concurrent: usize) -> Result<Self, PasswordHashError> {
        // Verified when the email is unknown, so both cases take the same time.
        let dummy = hash_blocking("a password nobody has: dummy for timing")?;
        Ok(Self {
            permits: Arc::new(Semaphore::new(max_concurrent.max(1))),
            dummy: dummy.into(),
        })
    }

    pub async fn hash(&self, password: &NewPassword) -> Result<String, PasswordHashError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| PasswordHashError::Closed)?;
        let password = password.expose().to_string();
        tokio::task::spawn_blocking(move || hash_blocking(&password)).await?
    }

    /// True only when `stored` is a hash of `candidate`. With no stored hash (unknown email, or
    /// an invited user who has not set one) the dummy is verified and the answer is false.
    pub async fn verify(
        &self,
        candidate: &str,
        stored: Option<&str>,
    ) -> Result<bool, PasswordHashError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| PasswordHashError::Closed)?;
        let too_long = candidate.len() > MAX_CANDIDATE_BYTES;
        let candidate = if too_long {
            String::new()
        } else {
            candidate.to_string()
        };
        let (hash, real) = match stored {
            Some(h) => (h.to_string(), true),
            None => (self.dummy.to_string(), false),
        };
        let ok = tokio::task::spawn_blocking(move || {
            PasswordHash::new(&hash)
                .map(|parsed| {
                    Argon2::default()
                        .verify_password(candidate.as_bytes(), &parsed)
                        .is_ok()
                })
                .unwrap_or(false)
        })
        .await?;
        Ok(ok && real && !too_long)
    }
}

fn hash_blocking(password: &str) -> Result<String, PasswordHashError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| PasswordHashError::Hash(e.to_string()))
}

/// The common-password check: a password-strength estimate of "too guessable" (score 0 or 1 of
/// 4), computed offline against large lists of common passwords, words and patterns.
pub fn is_guessable(password: &str) -> bool {
    // Long passphrases are not common passwords; estimating them costs more than it tells.
    if password.chars().count() > 64 {
        return false;
    }
    u8::from(zxcvbn::zxcvbn(password, &[]).score()) < 2
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{PasswordContext, PasswordError};

    fn new_password(p: &str) -> NewPassword {
        NewPassword::parse(p, &PasswordContext::default(), |_| false).unwrap()
    }

    #[tokio::test]
    async fn hashes_are_argon2id_with_at_least_the_owasp_parameters_and_salted() {
        let hasher = PasswordHasher::new(2).unwrap();
        let a = hasher
            .hash(&new_password("a long enough phrase"))
            .await
            .unwrap();
        let b = hasher
            .hash(&new_password("a long enough phrase"))
            .await
            .unwrap();
        assert!(a.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{a}");
        assert_ne!(a, b, "salted");
        assert!(hasher
            .verify("a long enough phrase", Some(&a))
            .await
            .unwrap());
        assert!(!hasher
            .verify("a long enough phrasE", Some(&a))
            .await
            .unwrap());
        assert!(!hasher.verify("a long enough phrase", None).await.unwrap());
    }

    #[tokio::test]
    async fn over_long_candidates_are_wrong_not_truncated() {
        let hasher = PasswordHasher::new(1).unwrap();
        let long = "y".repeat(MAX_CANDIDATE_BYTES + 1);
        let hash = hash_blocking(&long).unwrap();
        assert!(!hasher.verify(&long, Some(&hash)).await.unwrap());
    }

    #[test]
    fn common_passwords_are_guessable_and_random_phrases_are_not() {
        for common in [
            "password123",
            "qwertyuiop",
            "iloveyou1",
            "12345678",
            "Password1",
        ] {
            assert!(is_guessable(common), "{common}");
        }
        for strong in [
            "correct horse battery staple",
            "violet kettle marathon tuesday",
        ] {
            assert!(!is_guessable(strong), "{strong}");
        }
        let all_lower_16 = "quietmapleorbitz";
        assert!(!is_guessable(all_lower_16));
        assert_eq!(
            NewPassword::parse("password123", &PasswordContext::default(), is_guessable),
            Err(PasswordError::Common)
        );
    }
}
