//! The live find endpoint URL: which URLs are accepted, and the parts the engine connects to.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::MAX_URL_CHARS;

/// Why a live find endpoint URL was refused. Display gives the message shown
/// beside the form field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EndpointUrlError {
    #[error("Enter your live find endpoint URL")]
    Empty,
    #[error("Enter a URL that starts with https://")]
    NotHttps,
    #[error("Remove the user name and password from the URL")]
    Credentials,
    #[error("Enter a URL with a valid host name, like https://pensions.example.com/find-requests")]
    NoHost,
    #[error("Enter a URL with a valid host name, like https://pensions.example.com/find-requests")]
    BadHost,
    #[error("Enter a port number between 1 and 65535, or leave the port out")]
    BadPort,
    #[error("Remove the part of the URL from # onwards")]
    Fragment,
    #[error("Remove the spaces from the URL")]
    Whitespace,
    #[error("The URL must be 2,000 characters or fewer")]
    TooLong,
}

/// A checked https URL for an organisation's live find endpoint.
///
/// `as_str` gives the URL exactly as typed (after trimming). The other
/// accessors give parts worked out when it was parsed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct FindEndpointUrl {
    raw: String,
    host: String,
    port: u16,
    target: String,
    ip_literal: bool,
}

impl FindEndpointUrl {
    /// Checks a URL as typed by a user.
    pub fn parse(raw: &str) -> Result<Self, EndpointUrlError> {
        let url = raw.trim();
        if url.is_empty() {
            return Err(EndpointUrlError::Empty);
        }
        if url.chars().count() > MAX_URL_CHARS {
            return Err(EndpointUrlError::TooLong);
        }
        if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(EndpointUrlError::Whitespace);
        }
        let (scheme, rest) = url.split_once("://").ok_or(EndpointUrlError::NotHttps)?;
        if !scheme.eq_ignore_ascii_case("https") {
            return Err(EndpointUrlError::NotHttps);
        }
        if rest.contains('#') {
            return Err(EndpointUrlError::Fragment);
        }
        let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, target) = rest.split_at(authority_end);
        if authority.contains('@') {
            return Err(EndpointUrlError::Credentials);
        }
        if authority.is_empty() {
            return Err(EndpointUrlError::NoHost);
        }

        let (host, ip_literal, port_text) = if let Some(bracketed) = authority.strip_prefix('[') {
            let (inside, after) = bracketed.split_once(']').ok_or(EndpointUrlError::BadHost)?;
            if inside.parse::<Ipv6Addr>().is_err() {
                return Err(EndpointUrlError::BadHost);
            }
            let port_text = if after.is_empty() {
                None
            } else {
                Some(after.strip_prefix(':').ok_or(EndpointUrlError::BadHost)?)
            };
            (inside, true, port_text)
        } else {
            let (host, port_text) = match authority.split_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (authority, None),
            };
            if host.is_empty() {
                return Err(EndpointUrlError::NoHost);
            }
            let ip_literal = check_host_name(host)?;
            (host, ip_literal, port_text)
        };

        let port = match port_text {
            None => 443,
            Some(p) => parse_port(p)?,
        };

        let target = if target.is_empty() {
            "/".to_owned()
        } else if target.starts_with('?') {
            format!("/{target}")
        } else {
            target.to_owned()
        };

        Ok(Self {
            raw: url.to_owned(),
            host: host.to_ascii_lowercase(),
            port,
            target,
            ip_literal,
        })
    }

    /// The URL as typed, without surrounding whitespace.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// Lower-case host name or IP address, without IPv6 brackets.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// Port to connect to; 443 when the URL has none.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Path and query for the request line; "/" when the URL has no path.
    pub fn path_and_query(&self) -> &str {
        &self.target
    }

    /// True when the host is an IPv4 or IPv6 address rather than a name.
    pub fn is_ip_literal(&self) -> bool {
        self.ip_literal
    }
}

/// Checks an unbracketed host. Returns true for an IPv4 literal.
fn check_host_name(host: &str) -> Result<bool, EndpointUrlError> {
    if host.len() > 253 {
        return Err(EndpointUrlError::BadHost);
    }
    let last_label = host.rsplit('.').next().unwrap_or(host);
    if !last_label.is_empty() && last_label.bytes().all(|b| b.is_ascii_digit()) {
        // A numeric last label can only be a dotted IPv4 address.
        return match host.parse::<Ipv4Addr>() {
            Ok(_) => Ok(true),
            Err(_) => Err(EndpointUrlError::BadHost),
        };
    }
    for label in host.split('.') {
        let ok = !label.is_empty()
            && label.len() <= 63
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !label.starts_with('-')
            && !label.ends_with('-');
        if !ok {
            return Err(EndpointUrlError::BadHost);
        }
    }
    Ok(false)
}

fn parse_port(text: &str) -> Result<u16, EndpointUrlError> {
    if text.is_empty() || text.len() > 5 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(EndpointUrlError::BadPort);
    }
    match text.parse::<u32>() {
        Ok(n) if (1..=65535).contains(&n) => {
            u16::try_from(n).map_err(|_| EndpointUrlError::BadPort)
        }
        _ => Err(EndpointUrlError::BadPort),
    }
}

impl fmt::Display for FindEndpointUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

impl AsRef<str> for FindEndpointUrl {
    fn as_ref(&self) -> &str {
        &self.raw
    }
}

impl FromStr for FindEndpointUrl {
    type Err = EndpointUrlError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for FindEndpointUrl {
    type Error = EndpointUrlError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<FindEndpointUrl> for String {
    fn from(value: FindEndpointUrl) -> Self {
        value.raw
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_simple_https() {
        let u = FindEndpointUrl::parse("https://pensions.example.com/find-requests").unwrap();
        assert_eq!(u.as_str(), "https://pensions.example.com/find-requests");
        assert_eq!(u.host(), "pensions.example.com");
        assert_eq!(u.port(), 443);
        assert_eq!(u.path_and_query(), "/find-requests");
        assert!(!u.is_ip_literal());
    }

    #[test]
    fn url_uppercase_scheme_accepted_and_kept() {
        let u = FindEndpointUrl::parse("HTTPS://Pensions.Example.COM/Find").unwrap();
        assert_eq!(u.as_str(), "HTTPS://Pensions.Example.COM/Find");
        assert_eq!(u.host(), "pensions.example.com");
        assert_eq!(u.path_and_query(), "/Find");
    }

    #[test]
    fn url_http_refused() {
        assert_eq!(
            FindEndpointUrl::parse("http://example.com/find"),
            Err(EndpointUrlError::NotHttps)
        );
    }

    #[test]
    fn url_other_or_missing_scheme_refused() {
        for raw in [
            "ftp://example.com/",
            "example.com/find",
            "https:/example.com",
            "//example.com/x",
            "httpss://example.com",
        ] {
            assert_eq!(
                FindEndpointUrl::parse(raw),
                Err(EndpointUrlError::NotHttps),
                "{raw}"
            );
        }
    }

    #[test]
    fn url_userinfo_refused() {
        assert_eq!(
            FindEndpointUrl::parse("https://user:pass@example.com/find"),
            Err(EndpointUrlError::Credentials)
        );
        assert_eq!(
            FindEndpointUrl::parse("https://user@example.com"),
            Err(EndpointUrlError::Credentials)
        );
    }

    #[test]
    fn url_at_sign_in_path_is_fine() {
        let u = FindEndpointUrl::parse("https://example.com/a@b").unwrap();
        assert_eq!(u.path_and_query(), "/a@b");
    }

    #[test]
    fn url_ipv6_literal_with_port() {
        let u = FindEndpointUrl::parse("https://[2001:DB8::1]:8443/find").unwrap();
        assert_eq!(u.host(), "2001:db8::1");
        assert_eq!(u.port(), 8443);
        assert_eq!(u.path_and_query(), "/find");
        assert!(u.is_ip_literal());
        assert_eq!(u.as_str(), "https://[2001:DB8::1]:8443/find");
    }

    #[test]
    fn url_ipv6_without_port() {
        let u = FindEndpointUrl::parse("https://[::1]").unwrap();
        assert_eq!(u.host(), "::1");
        assert_eq!(u.port(), 443);
        assert_eq!(u.path_and_query(), "/");
    }

    #[test]
    fn url_bad_ipv6_refused() {
        assert_eq!(
            FindEndpointUrl::parse("https://[zz::1]/"),
            Err(EndpointUrlError::BadHost)
        );
        assert_eq!(
            FindEndpointUrl::parse("https://[::1/"),
            Err(EndpointUrlError::BadHost)
        );
        assert_eq!(
            FindEndpointUrl::parse("https://[::1]x/"),
            Err(EndpointUrlError::BadHost)
        );
        assert_eq!(
            FindEndpointUrl::parse("https://2001:db8::1/"),
            Err(EndpointUrlError::BadHost)
        );
    }

    #[test]
    fn url_ipv4_literal() {
        let u = FindEndpointUrl::parse("https://203.0.113.7:9443/find").unwrap();
        assert_eq!(u.host(), "203.0.113.7");
        assert_eq!(u.port(), 9443);
        assert!(u.is_ip_literal());
    }

    #[test]
    fn url_bad_ipv4_refused() {
        for raw in [
            "https://999.1.1.1/",
            "https://1.2.3/",
            "https://1234/",
            "https://01.2.3.4/",
        ] {
            assert_eq!(
                FindEndpointUrl::parse(raw),
                Err(EndpointUrlError::BadHost),
                "{raw}"
            );
        }
    }

    #[test]
    fn url_trailing_slash_kept() {
        let u = FindEndpointUrl::parse("https://example.com/find/").unwrap();
        assert_eq!(u.as_str(), "https://example.com/find/");
        assert_eq!(u.path_and_query(), "/find/");
    }

    #[test]
    fn url_no_path_is_not_changed() {
        let u = FindEndpointUrl::parse("https://example.com").unwrap();
        assert_eq!(u.as_str(), "https://example.com");
        assert_eq!(u.path_and_query(), "/");
    }

    #[test]
    fn url_query_kept() {
        let u = FindEndpointUrl::parse("https://example.com/find?env=test&x=1").unwrap();
        assert_eq!(u.path_and_query(), "/find?env=test&x=1");
        assert_eq!(u.as_str(), "https://example.com/find?env=test&x=1");
    }

    #[test]
    fn url_query_without_path() {
        let u = FindEndpointUrl::parse("https://example.com:444?a=1").unwrap();
        assert_eq!(u.port(), 444);
        assert_eq!(u.path_and_query(), "/?a=1");
        assert_eq!(u.as_str(), "https://example.com:444?a=1");
    }

    #[test]
    fn url_port_limits() {
        assert_eq!(
            FindEndpointUrl::parse("https://example.com:0/"),
            Err(EndpointUrlError::BadPort)
        );
        assert_eq!(
            FindEndpointUrl::parse("https://example.com:70000/"),
            Err(EndpointUrlError::BadPort)
        );
        assert_eq!(
            FindEndpointUrl::parse("https://example.com:65536/"),
            Err(EndpointUrlError::BadPort)
        );
        assert_eq!(
            FindEndpointUrl::parse("https://example.com:/"),
            Err(EndpointUrlError::BadPort)
        );
        assert_eq!(
            FindEndpointUrl::parse("https://example.com:44a/"),
            Err(EndpointUrlError::BadPort)
        );
        assert_eq!(
            FindEndpointUrl::parse("https://example.com:-1/"),
            Err(EndpointUrlError::BadPort)
        );
        assert_eq!(
            FindEndpointUrl::parse("https://example.com:1")
                .unwrap()
                .port(),
            1
        );
        assert_eq!(
            FindEndpointUrl::parse("https://example.com:65535")
                .unwrap()
                .port(),
            65535
        );
    }

    #[test]
    fn url_spaces_refused() {
        assert_eq!(
            FindEndpointUrl::parse("https://example.com/find requests"),
            Err(EndpointUrlError::Whitespace)
        );
        assert_eq!(
            FindEndpointUrl::parse("https://exa mple.com/"),
            Err(EndpointUrlError::Whitespace)
        );
    }

    #[test]
    fn url_control_characters_refused() {
        assert_eq!(
            FindEndpointUrl::parse("https://example.com/a\tb"),
            Err(EndpointUrlError::Whitespace)
        );
        assert_eq!(
            FindEndpointUrl::parse("https://example.com/a\u{0}b"),
            Err(EndpointUrlError::Whitespace)
        );
    }

    #[test]
    fn url_surrounding_whitespace_trimmed() {
        let u = FindEndpointUrl::parse("  https://example.com/find \n").unwrap();
        assert_eq!(u.as_str(), "https://example.com/find");
    }

    #[test]
    fn url_fragment_refused() {
        assert_eq!(
            FindEndpointUrl::parse("https://example.com/find#top"),
            Err(EndpointUrlError::Fragment)
        );
        assert_eq!(
            FindEndpointUrl::parse("https://example.com#"),
            Err(EndpointUrlError::Fragment)
        );
    }

    #[test]
    fn url_empty_refused() {
        assert_eq!(FindEndpointUrl::parse(""), Err(EndpointUrlError::Empty));
        assert_eq!(
            FindEndpointUrl::parse("   \t"),
            Err(EndpointUrlError::Empty)
        );
    }

    #[test]
    fn url_length_limit() {
        let base = "https://example.com/";
        let ok = format!("{base}{}", "a".repeat(MAX_URL_CHARS - base.len()));
        assert_eq!(ok.chars().count(), 2000);
        assert!(FindEndpointUrl::parse(&ok).is_ok());
        let long = format!("{ok}a");
        assert_eq!(long.chars().count(), 2001);
        assert_eq!(
            FindEndpointUrl::parse(&long),
            Err(EndpointUrlError::TooLong)
        );
    }

    #[test]
    fn url_missing_host_refused() {
        assert_eq!(
            FindEndpointUrl::parse("https://"),
            Err(EndpointUrlError::NoHost)
        );
        assert_eq!(
            FindEndpointUrl::parse("https:///find"),
            Err(EndpointUrlError::NoHost)
        );
        assert_eq!(
            FindEndpointUrl::parse("https://:443/find"),
            Err(EndpointUrlError::NoHost)
        );
        assert_eq!(
            FindEndpointUrl::parse("https://?q=1"),
            Err(EndpointUrlError::NoHost)
        );
    }

    #[test]
    fn url_bad_host_names_refused() {
        let long_label = format!("https://{}.example.com/", "a".repeat(64));
        let long_host = format!("https://{}com/", "abcdefghi.".repeat(26));
        for raw in [
            "https://-pensions.example.com/",
            "https://pensions-.example.com/",
            "https://pen_sions.example.com/",
            "https://a..example.com/",
            "https://.example.com/",
            "https://example.com./",
            "https://pénsions.example.com/",
            "https://exa%6dple.com/",
            long_label.as_str(),
            long_host.as_str(),
        ] {
            assert_eq!(
                FindEndpointUrl::parse(raw),
                Err(EndpointUrlError::BadHost),
                "{raw}"
            );
        }
    }

    #[test]
    fn url_good_host_names_accepted() {
        let max_label = format!("https://{}.example.com/", "a".repeat(63));
        for raw in [
            "https://localhost",
            "https://a-b.c-d.example",
            "https://123abc.example.com",
            "https://x1.2y",
            max_label.as_str(),
        ] {
            assert!(FindEndpointUrl::parse(raw).is_ok(), "{raw}");
        }
    }

    #[test]
    fn url_error_messages() {
        let host_msg =
            "Enter a URL with a valid host name, like https://pensions.example.com/find-requests";
        let cases = [
            (EndpointUrlError::Empty, "Enter your live find endpoint URL"),
            (
                EndpointUrlError::NotHttps,
                "Enter a URL that starts with https://",
            ),
            (
                EndpointUrlError::Credentials,
                "Remove the user name and password from the URL",
            ),
            (EndpointUrlError::NoHost, host_msg),
            (EndpointUrlError::BadHost, host_msg),
            (
                EndpointUrlError::BadPort,
                "Enter a port number between 1 and 65535, or leave the port out",
            ),
            (
                EndpointUrlError::Fragment,
                "Remove the part of the URL from # onwards",
            ),
            (
                EndpointUrlError::Whitespace,
                "Remove the spaces from the URL",
            ),
            (
                EndpointUrlError::TooLong,
                "The URL must be 2,000 characters or fewer",
            ),
        ];
        for (err, msg) in cases {
            assert_eq!(err.to_string(), msg);
        }
    }

    #[test]
    fn url_serde_round_trip_revalidates() {
        use serde::de::value::{Error as DeError, StrDeserializer};
        use serde::de::IntoDeserializer;

        let de: StrDeserializer<'_, DeError> = "HTTPS://Example.com/find/".into_deserializer();
        let u = FindEndpointUrl::deserialize(de).unwrap();
        assert_eq!(u.host(), "example.com");
        assert_eq!(String::from(u.clone()), "HTTPS://Example.com/find/");

        let bad: StrDeserializer<'_, DeError> = "http://example.com".into_deserializer();
        let err = FindEndpointUrl::deserialize(bad).unwrap_err();
        assert!(err.to_string().contains("https://"));
    }

    #[test]
    fn url_from_str_and_display() {
        let u: FindEndpointUrl = "https://example.com/x".parse().unwrap();
        assert_eq!(u.to_string(), "https://example.com/x");
        assert_eq!(
            u,
            FindEndpointUrl::parse(" https://example.com/x ").unwrap()
        );
    }
}
