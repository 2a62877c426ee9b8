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

    /// What a field parsed to, or `None` with the parse's message recorded against the field.
    pub fn check<T>(&mut self, field: &str, parsed: Result<T, String>) -> Option<T> {
        self.check_any(parsed.map_err(|m| (field.to_string(), m)))
    }

    /// As [`check`](Self::check), for a parse of several fields that names the field at fault.
    pub fn check_any<T>(&mut self, parsed: Result<T, (String, String)>) -> Option<T> {
        parsed.map_err(|e| self.errors.push(e)).ok()
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

    #[test]
    fn a_checked_parse_records_its_message_only_when_it_fails() {
        let mut f = FormState::default();
        assert_eq!(f.check("a", Ok::<_, String>(3)), Some(3));
        assert!(!f.has_errors());
        assert_eq!(f.check::<i32>("a", Err("Enter a number".into())), None);
        assert_eq!(
            f.check_any::<i32>(Err(("b_time".into(), "Enter a time".into()))),
            None
        );
        assert_eq!(f.error("a").as_deref(), Some("Enter a number"));
        assert_eq!(f.error("b_time").as_deref(), Some("Enter a time"));
    }
}
