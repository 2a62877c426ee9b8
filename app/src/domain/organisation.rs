use serde::{Deserialize, Serialize};
use std::fmt;

/// The longest organisation name the portal accepts, in characters.
pub const MAX_ORGANISATION_NAME: usize = 200;

/// An organisation's name: trimmed, 1 to 200 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrganisationName(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrganisationNameError {
    #[error("Enter the organisation name")]
    Empty,
    #[error("Organisation name must be 200 characters or fewer")]
    TooLong,
    #[error("Organisation name must not contain control characters")]
    ControlCharacters,
}

impl OrganisationName {
    pub fn parse(raw: &str) -> Result<Self, OrganisationNameError> {
        let name = raw.trim();
        if name.is_empty() {
            return Err(OrganisationNameError::Empty);
        }
        if name.chars().count() > MAX_ORGANISATION_NAME {
            return Err(OrganisationNameError::TooLong);
        }
        if name.chars().any(char::is_control) {
            return Err(OrganisationNameError::ControlCharacters);
        }
        Ok(Self(name.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for OrganisationName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What kind of organisation connects to the ecosystem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum OrganisationKind {
    PensionProvider,
    PensionScheme,
    IntegratedServiceProvider,
    ThirdPartyAdministrator,
}

impl OrganisationKind {
    pub const ALL: [OrganisationKind; 4] = [
        Self::PensionProvider,
        Self::PensionScheme,
        Self::IntegratedServiceProvider,
        Self::ThirdPartyAdministrator,
    ];

    /// The value stored in the database (and posted by forms).
    pub fn code(self) -> &'static str {
        match self {
            Self::PensionProvider => "pension_provider",
            Self::PensionScheme => "pension_scheme",
            Self::IntegratedServiceProvider => "integrated_service_provider",
            Self::ThirdPartyAdministrator => "third_party_administrator",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }

    /// How the kind reads on a page.
    pub fn label(self) -> &'static str {
        match self {
            Self::PensionProvider => "Pension provider",
            Self::PensionScheme => "Pension scheme",
            Self::IntegratedServiceProvider => "Integrated service provider",
            Self::ThirdPartyAdministrator => "Third-party administrator",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn names_are_trimmed() {
        let name = OrganisationName::parse("  Acme Pensions  ").unwrap();
        assert_eq!(name.as_str(), "Acme Pensions");
    }

    #[test]
    fn blank_names_are_refused() {
        assert_eq!(
            OrganisationName::parse(" \t "),
            Err(OrganisationNameError::Empty)
        );
    }

    #[test]
    fn control_characters_are_refused() {
        assert_eq!(
            OrganisationName::parse("Acme\u{0}Pensions"),
            Err(OrganisationNameError::ControlCharacters)
        );
    }

    #[test]
    fn length_limit_counts_characters_not_bytes() {
        let exactly = "é".repeat(MAX_ORGANISATION_NAME);
        assert!(OrganisationName::parse(&exactly).is_ok());
        let over = "é".repeat(MAX_ORGANISATION_NAME + 1);
        assert_eq!(
            OrganisationName::parse(&over),
            Err(OrganisationNameError::TooLong)
        );
    }

    #[test]
    fn every_kind_round_trips_through_its_code() {
        for kind in OrganisationKind::ALL {
            assert_eq!(OrganisationKind::from_code(kind.code()), Some(kind));
        }
        assert_eq!(OrganisationKind::from_code("bank"), None);
    }

    proptest! {
        #[test]
        fn accepted_names_are_trimmed_non_empty_and_printable(raw in ".{0,250}") {
            if let Ok(name) = OrganisationName::parse(&raw) {
                let s = name.as_str();
                prop_assert!(!s.is_empty());
                prop_assert_eq!(s, s.trim());
                prop_assert!(s.chars().count() <= MAX_ORGANISATION_NAME);
                prop_assert!(!s.chars().any(char::is_control));
            }
        }
    }
}
