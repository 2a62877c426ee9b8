//! People and what they may do: email addresses, names, roles and the password policy.

use serde::{Deserialize, Serialize};
use std::fmt;

/// An email address as typed (trimmed), compared without regard to case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailAddress(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    #[error("Enter an email address")]
    Empty,
    #[error("Enter an email address in the correct format, like name@example.com")]
    Format,
    #[error("Email address must be 254 characters or fewer")]
    TooLong,
    #[error(
        "Enter an email address using only letters a to z, numbers and symbols such as . - _ +"
    )]
    NotAscii,
}

impl EmailAddress {
    pub fn parse(raw: &str) -> Result<Self, EmailError> {
        let email = raw.trim();
        if email.is_empty() {
            return Err(EmailError::Empty);
        }
        if email.chars().count() > 254 {
            return Err(EmailError::TooLong);
        }
        // Both databases then compare addresses the same way (SQLite's lower() folds ASCII only).
        if !email.is_ascii() {
            return Err(EmailError::NotAscii);
        }
        let Some((local, domain)) = email.rsplit_once('@') else {
            return Err(EmailError::Format);
        };
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && domain
                .chars()
                .all(|c| c.is_alphanumeric() || c == '-' || c == '.');
        let local_ok = !local.is_empty()
            && local.chars().count() <= 64
            && !local
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || c == '@' || c == '<' || c == '>');
        if !domain_ok || !local_ok {
            return Err(EmailError::Format);
        }
        Ok(Self(email.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form used for uniqueness and look-ups.
    pub fn normalized(&self) -> String {
        self.0.to_ascii_lowercase()
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A person's full name: trimmed, 1 to 100 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonName(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PersonNameError {
    #[error("Enter the full name")]
    Empty,
    #[error("Full name must be 100 characters or fewer")]
    TooLong,
    #[error("Full name must not contain control characters")]
    ControlCharacters,
}

impl PersonName {
    pub fn parse(raw: &str) -> Result<Self, PersonNameError> {
        let name = raw.trim();
        if name.is_empty() {
            return Err(PersonNameError::Empty);
        }
        if name.chars().count() > 100 {
            return Err(PersonNameError::TooLong);
        }
        if name.chars().any(char::is_control) {
            return Err(PersonNameError::ControlCharacters);
        }
        Ok(Self(name.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PersonName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a user may do. Organisation roles belong to users of a connecting organisation;
/// programme roles to Pensions Dashboards Programme staff. A user can hold several.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Role {
    ServiceManager,
    PrimaryBusinessContact,
    ProgrammeStaff,
    ProgrammeAdmin,
}

impl Role {
    pub const ALL: [Role; 4] = [
        Self::ServiceManager,
        Self::PrimaryBusinessContact,
        Self::ProgrammeStaff,
        Self::ProgrammeAdmin,
    ];
    pub const ORGANISATION: [Role; 2] = [Self::ServiceManager, Self::PrimaryBusinessContact];
    pub const PROGRAMME: [Role; 2] = [Self::ProgrammeStaff, Self::ProgrammeAdmin];

    pub fn code(self) -> &'static str {
        match self {
            Self::ServiceManager => "service_manager",
            Self::PrimaryBusinessContact => "primary_business_contact",
            Self::ProgrammeStaff => "programme_staff",
            Self::ProgrammeAdmin => "programme_admin",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::ServiceManager => "Service manager",
            Self::PrimaryBusinessContact => "Primary business contact",
            Self::ProgrammeStaff => "Programme staff",
            Self::ProgrammeAdmin => "Programme admin",
        }
    }

    pub fn is_programme(self) -> bool {
        Self::PROGRAMME.contains(&self)
    }
}

/// Checks a set of roles against the kind of account: organisation users hold only
/// organisation roles, programme users only programme roles, and everyone at least one.
pub fn check_roles(roles: &[Role], has_organisation: bool) -> Result<(), &'static str> {
    if roles.is_empty() {
        return Err("Select at least one role");
    }
    if has_organisation && roles.iter().any(|r| r.is_programme()) {
        return Err(
            "Programme roles are for Pensions Dashboards Programme staff, not organisation users",
        );
    }
    if !has_organisation && roles.iter().any(|r| !r.is_programme()) {
        return Err("Organisation roles need the user to belong to an organisation");
    }
    Ok(())
}

/// Shortest password accepted, in characters.
pub const MIN_PASSWORD: usize = 8;
/// Longest password accepted, in characters (well above what password managers generate).
pub const MAX_PASSWORD: usize = 256;

/// A password that meets the policy: 8 to 256 characters, no composition rules, not easy to
/// guess, and not containing the user's name, email address or organisation name.
/// It is never trimmed or changed in case.
#[derive(Clone, PartialEq, Eq)]
pub struct NewPassword(String);

impl fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NewPassword(***)")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("Enter a password")]
    Empty,
    #[error("Password must be 8 characters or more")]
    TooShort,
    #[error("Password must be 256 characters or fewer")]
    TooLong,
    #[error("Password must not contain your name, email address or organisation name")]
    Personal,
    #[error("Password is too common or easy to guess. Try three or more random words")]
    Common,
}

/// What the password must not contain.
#[derive(Debug, Default, Clone)]
pub struct PasswordContext<'a> {
    pub name: &'a str,
    pub email: &'a str,
    pub organisation: Option<&'a str>,
}

impl<'a> PasswordContext<'a> {
    /// The words to look for: the whole name, each part of it of 4 or more letters, the
    /// email's local part and domain name, and the organisation's name and longer words.
    fn words(&self) -> Vec<String> {
        let mut words = Vec::new();
        let mut add = |w: &str| {
            let w = w.trim().to_lowercase();
            if w.chars().count() >= 4 && !words.contains(&w) {
                words.push(w);
            }
        };
        add(self.name);
        self.name.split_whitespace().for_each(&mut add);
        if let Some((local, domain)) = self.email.split_once('@') {
            add(local);
            local.split(['.', '_', '-', '+']).for_each(&mut add);
            if let Some(first) = domain.split('.').next() {
                add(first);
            }
        }
        if let Some(org) = self.organisation {
            add(org);
            org.split_whitespace()
                .filter(|w| {
                    !matches!(
                        w.to_lowercase().as_str(),
                        "ltd" | "limited" | "plc" | "pensions" | "pension" | "scheme" | "trust"
                    )
                })
                .for_each(&mut add);
        }
        words
    }
}

impl NewPassword {
    /// `is_guessable` is the common-password check (the server uses a password-strength
    /// estimator with large offline lists of common passwords).
    pub fn parse(
        raw: &str,
        context: &PasswordContext<'_>,
        is_guessable: impl Fn(&str) -> bool,
    ) -> Result<Self, PasswordError> {
        let length = raw.chars().count();
        if length == 0 {
            return Err(PasswordError::Empty);
        }
        if length < MIN_PASSWORD {
            return Err(PasswordError::TooShort);
        }
        if length > MAX_PASSWORD {
            return Err(PasswordError::TooLong);
        }
        let lower = raw.to_lowercase();
        if context.words().iter().any(|w| lower.contains(w.as_str())) {
            return Err(PasswordError::Personal);
        }
        if is_guessable(raw) {
            return Err(PasswordError::Common);
        }
        Ok(Self(raw.to_string()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn never(_: &str) -> bool {
        false
    }

    fn ctx() -> PasswordContext<'static> {
        PasswordContext {
            name: "Sam Manager",
            email: "sam.manager@acme-pensions.example",
            organisation: Some("Acme Pensions Ltd"),
        }
    }

    #[test]
    fn emails_are_trimmed_and_compared_without_case() {
        let e = EmailAddress::parse("  Sam.Manager@Example.ORG ").unwrap();
        assert_eq!(e.as_str(), "Sam.Manager@Example.ORG");
        assert_eq!(e.normalized(), "sam.manager@example.org");
    }

    #[test]
    fn malformed_emails_are_refused() {
        for bad in [
            "sam",
            "sam@",
            "@example.org",
            "sam@example",
            "sam @example.org",
            "sam@exa mple.org",
            "sam@.example.org",
            "sam@example..org",
            "<sam>@example.org",
        ] {
            assert_eq!(EmailAddress::parse(bad), Err(EmailError::Format), "{bad}");
        }
        assert_eq!(EmailAddress::parse("  "), Err(EmailError::Empty));
        let long = format!("{}@example.org", "a".repeat(250));
        assert_eq!(EmailAddress::parse(&long), Err(EmailError::TooLong));
        assert_eq!(
            EmailAddress::parse("Ünal@example.org"),
            Err(EmailError::NotAscii)
        );
    }

    #[test]
    fn roles_round_trip_and_split_into_two_kinds() {
        for role in Role::ALL {
            assert_eq!(Role::from_code(role.code()), Some(role));
        }
        assert!(Role::ProgrammeAdmin.is_programme());
        assert!(!Role::ServiceManager.is_programme());
        assert!(check_roles(&[Role::ServiceManager, Role::PrimaryBusinessContact], true).is_ok());
        assert!(check_roles(&[Role::ProgrammeStaff], false).is_ok());
        assert!(check_roles(&[], true).is_err());
        assert!(check_roles(&[Role::ProgrammeAdmin], true).is_err());
        assert!(check_roles(&[Role::ServiceManager], false).is_err());
    }

    #[test]
    fn password_length_limits() {
        assert_eq!(
            NewPassword::parse("", &ctx(), never),
            Err(PasswordError::Empty)
        );
        assert_eq!(
            NewPassword::parse("seven77", &ctx(), never),
            Err(PasswordError::TooShort)
        );
        assert!(NewPassword::parse("eight888", &ctx(), never).is_ok());
        assert!(NewPassword::parse(&"x".repeat(64), &ctx(), never).is_ok());
        assert!(NewPassword::parse(&"x".repeat(256), &ctx(), never).is_ok());
        assert_eq!(
            NewPassword::parse(&"x".repeat(257), &ctx(), never),
            Err(PasswordError::TooLong)
        );
    }

    #[test]
    fn length_counts_characters_and_nothing_is_trimmed() {
        // 8 characters, 16 bytes
        let p = NewPassword::parse("ééééééé ", &ctx(), never).unwrap();
        assert_eq!(p.expose(), "ééééééé ");
    }

    #[test]
    fn personal_words_are_refused_whatever_their_case() {
        for bad in [
            "MANAGERmanager1",
            "my acme-pensions pw",
            "xxsam.managerxx",
            "acme pensions ltd rocks",
        ] {
            assert_eq!(
                NewPassword::parse(bad, &ctx(), never),
                Err(PasswordError::Personal),
                "{bad}"
            );
        }
    }

    #[test]
    fn guessable_passwords_are_refused_with_their_own_message() {
        let guessable = |p: &str| p == "password123";
        assert_eq!(
            NewPassword::parse("password123", &ctx(), guessable),
            Err(PasswordError::Common)
        );
        assert!(NewPassword::parse("correct horse battery staple", &ctx(), guessable).is_ok());
    }

    #[test]
    fn debug_output_hides_the_password() {
        let p = NewPassword::parse("a secret phrase here", &ctx(), never).unwrap();
        assert!(!format!("{p:?}").contains("secret"));
    }

    proptest! {
        #[test]
        fn any_password_of_8_to_256_chars_without_personal_words_is_accepted(p in "[0-9!#%&*+=?^~ ]{8,256}") {
            prop_assert!(NewPassword::parse(&p, &ctx(), never).is_ok());
        }
    }
}
