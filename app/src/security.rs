//! Content Security Policy shared by the page shell and the server's header middleware.

use http::{header::CONTENT_SECURITY_POLICY, HeaderValue};
use leptos::prelude::*;

/// The portal's Content Security Policy. Pages pass the per-request nonce that Leptos stamps on
/// its hydration script; other responses (static files, API, health) get the same policy without
/// one, so no inline script can run there at all.
pub fn content_security_policy(nonce: Option<&str>) -> String {
    let script_src = match nonce {
        Some(n) => format!("script-src 'self' 'nonce-{n}' 'strict-dynamic' 'wasm-unsafe-eval'"),
        None => "script-src 'self' 'wasm-unsafe-eval'".to_string(),
    };
    format!(
        "default-src 'self'; {script_src}; style-src 'self'; img-src 'self' data:; \
         font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; \
         frame-ancestors 'none'; form-action 'self'"
    )
}

/// Called while the shell renders: puts the policy with this response's nonce into the headers.
pub fn set_page_csp() {
    let Some(response) = use_context::<leptos_axum::ResponseOptions>() else {
        return;
    };
    let nonce = leptos::nonce::use_nonce().map(|n| n.to_string());
    if let Ok(value) = HeaderValue::from_str(&content_security_policy(nonce.as_deref())) {
        response.insert_header(CONTENT_SECURITY_POLICY, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_policy_carries_the_nonce_and_locks_down_the_rest() {
        let csp = content_security_policy(Some("abc123"));
        assert!(csp.contains("'nonce-abc123'"));
        for directive in [
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
            "form-action 'self'",
        ] {
            assert!(csp.contains(directive), "missing {directive}");
        }
        assert!(!csp.contains("unsafe-inline"));
    }

    #[test]
    fn policy_without_nonce_allows_no_inline_script() {
        let csp = content_security_policy(None);
        assert!(!csp.contains("nonce-"));
        assert!(!csp.contains("unsafe-inline"));
    }
}
