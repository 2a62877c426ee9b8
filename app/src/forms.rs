//! Form state for post/redirect/get: what the user typed and what was wrong, shown on the page
//! the browser comes back to, with and without JavaScript.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FormState {
    /// Field name and the value as typed (never passwords).
    pub values: Vec<(String, String)>,
    /// The id of the field to link to, and the message, in page order.
    pub errors: Vec<(String, String)>,
}

impl FormState {
    pub fn value(&self, field: &str) -> String {
        self.values
            .iter()
            .find(|(k, _)| k == field)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }

    pub fn error(&self, field: &str) -> Option<String> {
        self.errors
            .iter()
            .find(|(k, _)| k == field)
            .map(|(_, m)| m.clone())
    }

    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }

    pub fn with_value(mut self, field: &str, value: &str) -> Self {
        self.values.push((field.to_string(), value.to_string()));
        self
    }

    pub fn with_error(mut self, field: &str, message: impl Into<String>) -> Self {
        self.errors.push((field.to_string(), message.into()));
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_and_errors_are_found_by_field() {
        let f = FormState::default()
            .with_value("email", "a@b.org")
            .with_error("email", "Enter a correct email address and password");
        assert_eq!(f.value("email"), "a@b.org");
        assert_eq!(f.value("other"), "");
        assert!(f.has_errors());
        assert_eq!(f.error("password"), None);
    }
}
