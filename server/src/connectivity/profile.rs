//! The synthetic find request's body, as a versioned template (a "profile").
//!
//! PDP's find request schema is not public, so the body follows a proposal (see the README). A
//! profile is a JSON file an operator can replace without a code change once the real schema is
//! known: `body` is sent with its placeholders filled in, and `find_request_claims` are the
//! claims of the second signed token (`{{find_request_token}}`). Placeholders are whole string
//! values: `{{user_token}}`, `{{find_request_token}}`, `{{request_id}}`, `{{issuer}}`,
//! `{{audience}}`. The find data are obviously synthetic and can never match a real person.

use anyhow::{bail, Context};
use serde_json::{json, Map, Value};

/// The built-in profile.
pub const DEFAULT_PROFILE: &str = r#"{
  "profile": "guess-2026-A",
  "body": {
    "user_token": "{{user_token}}",
    "find_request_token": "{{find_request_token}}"
  },
  "find_request_claims": {
    "find_data": {
      "given_name": { "value": "Oatsynthetic", "verified": true },
      "family_name": { "value": "Testperson", "verified": true },
      "date_of_birth": { "value": "1901-01-01", "verified": true },
      "address": {
        "value": { "line1": "1 Synthetic Street", "postcode": "ZZ99 9ZZ", "country": "GB" },
        "verified": true
      },
      "email": { "value": "oat-{{request_id}}@example.invalid", "verified": true },
      "mobile": { "value": "+447700900123", "verified": true },
      "nino": { "value": "QQ123456C", "verified": false }
    }
  }
}"#;

#[derive(Debug, Clone)]
pub struct Profile {
    pub name: String,
    body: Value,
    find_request_claims: Map<String, Value>,
}

/// What fills a profile's placeholders for one attempt.
pub struct Fill<'a> {
    pub user_token: &'a str,
    pub find_request_token: &'a str,
    pub request_id: &'a str,
    pub issuer: &'a str,
    pub audience: &'a str,
}

impl Profile {
    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let value: Value = serde_json::from_str(text).context("the profile is not valid JSON")?;
        let name = value
            .get("profile")
            .and_then(Value::as_str)
            .filter(|n| !n.trim().is_empty() && n.len() <= 100)
            .context("the profile needs a \"profile\" name of 1 to 100 characters")?
            .to_string();
        let body = value
            .get("body")
            .filter(|b| b.is_object())
            .cloned()
            .context("the profile needs a \"body\" object")?;
        let find_request_claims = match value.get("find_request_claims") {
            None => Map::new(),
            Some(Value::Object(m)) => m.clone(),
            Some(_) => bail!("\"find_request_claims\" must be an object"),
        };
        Ok(Self {
            name,
            body,
            find_request_claims,
        })
    }

    pub fn builtin() -> Self {
        // The built-in text is a constant checked by a test below.
        Self::parse(DEFAULT_PROFILE).unwrap_or_else(|_| Self {
            name: "guess-2026-A".into(),
            body: json!({"user_token": "{{user_token}}"}),
            find_request_claims: Map::new(),
        })
    }

    /// Whether the body asks for the second token (so it is signed only when used).
    pub fn wants_find_request_token(&self) -> bool {
        contains_placeholder(&self.body, "{{find_request_token}}")
    }

    /// The extra claims of the find-request token, with placeholders filled.
    pub fn find_request_claims(&self, fill: &Fill<'_>) -> Map<String, Value> {
        match fill_value(&Value::Object(self.find_request_claims.clone()), fill) {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    /// The body to send, serialised.
    pub fn body(&self, fill: &Fill<'_>) -> Vec<u8> {
        serde_json::to_vec(&fill_value(&self.body, fill)).unwrap_or_default()
    }
}

fn contains_placeholder(v: &Value, placeholder: &str) -> bool {
    match v {
        Value::String(s) => s.contains(placeholder),
        Value::Array(a) => a.iter().any(|x| contains_placeholder(x, placeholder)),
        Value::Object(m) => m.values().any(|x| contains_placeholder(x, placeholder)),
        _ => false,
    }
}

fn fill_value(v: &Value, fill: &Fill<'_>) -> Value {
    match v {
        Value::String(s) => Value::String(
            s.replace("{{user_token}}", fill.user_token)
                .replace("{{find_request_token}}", fill.find_request_token)
                .replace("{{request_id}}", fill.request_id)
                .replace("{{issuer}}", fill.issuer)
                .replace("{{audience}}", fill.audience),
        ),
        Value::Array(a) => Value::Array(a.iter().map(|x| fill_value(x, fill)).collect()),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, x)| (k.clone(), fill_value(x, fill)))
                .collect(),
        ),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fill() -> Fill<'static> {
        Fill {
            user_token: "UT",
            find_request_token: "FRT",
            request_id: "0b0e7f5c-0000-4000-8000-000000000001",
            issuer: "https://portal.example/synthetic-pfs",
            audience: "https://aud.example",
        }
    }

    #[test]
    fn builtin_profile_parses_and_fills_every_placeholder() {
        let p = Profile::parse(DEFAULT_PROFILE).unwrap();
        assert_eq!(p.name, "guess-2026-A");
        assert!(p.wants_find_request_token());
        let body: Value = serde_json::from_slice(&p.body(&fill())).unwrap();
        assert_eq!(
            body,
            json!({"user_token": "UT", "find_request_token": "FRT"})
        );
        let claims = p.find_request_claims(&fill());
        assert_eq!(
            claims["find_data"]["email"]["value"],
            "oat-0b0e7f5c-0000-4000-8000-000000000001@example.invalid"
        );
        assert_eq!(claims["find_data"]["nino"]["value"], "QQ123456C");
    }

    #[test]
    fn a_replacement_profile_changes_the_body_without_code() {
        let p = Profile::parse(
            r#"{"profile": "pdp-v1.3", "body": {"token": "{{user_token}}", "meta": ["{{request_id}}", 3]}}"#,
        )
        .unwrap();
        assert!(!p.wants_find_request_token());
        let body: Value = serde_json::from_slice(&p.body(&fill())).unwrap();
        assert_eq!(
            body,
            json!({"token": "UT", "meta": ["0b0e7f5c-0000-4000-8000-000000000001", 3]})
        );
    }

    #[test]
    fn bad_profiles_are_refused_with_the_reason() {
        for (text, want) in [
            ("not json", "not valid JSON"),
            (r#"{"body": {}}"#, "\"profile\" name"),
            (r#"{"profile": "x", "body": []}"#, "\"body\" object"),
            (
                r#"{"profile": "x", "body": {}, "find_request_claims": 1}"#,
                "must be an object",
            ),
        ] {
            let err = Profile::parse(text).unwrap_err().to_string();
            assert!(err.contains(want), "{text}: {err}");
        }
    }
}
