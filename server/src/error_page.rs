//! The "Sorry, there is a problem with the service" page, rendered without Leptos so it still
//! works when rendering is what failed. It shows a reference to quote, never internals.

use axum::{
    body::Body,
    http::{header, Response, StatusCode},
};

/// A short reference a user can quote to support; the same value is in the error log line.
pub fn new_reference() -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    id[..8].to_uppercase()
}

const SERVICE_ERROR_TITLE: &str = app::pages::SERVICE_PROBLEM_TITLE;

fn service_error_body(reference: &str) -> String {
    format!(
        "<p class=\"govuk-body\">{try_again}</p>\
         <p class=\"govuk-body\">{nothing_lost}</p>\
         <p class=\"govuk-body\">If you contact us about this problem, quote reference <strong class=\"portal-reference\">{reference}</strong>.</p>\
         <p class=\"govuk-body\"><a class=\"govuk-link\" href=\"/help\">Get help with the portal</a></p>",
        try_again = app::pages::SERVICE_PROBLEM_TRY_AGAIN,
        nothing_lost = app::pages::SERVICE_PROBLEM_NOTHING_LOST,
    )
}

pub fn service_error_html(css_href: &str, reference: &str) -> String {
    page_html(
        css_href,
        SERVICE_ERROR_TITLE,
        &service_error_body(reference),
    )
}

/// A whole page in the portal's frame, for responses made outside Leptos. `body` is trusted HTML.
pub fn page_html(css_href: &str, title: &str, body: &str) -> String {
    format!(
        r##"<!DOCTYPE html>
<html lang="en" class="govuk-template">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} - Pensions dashboards connection portal</title>
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="{css_href}">
</head>
<body class="govuk-template__body">
<a href="#main-content" class="govuk-skip-link">Skip to main content</a>
<header class="govuk-template__header" role="banner"><div class="govuk-generic-header"><div class="govuk-generic-header__container govuk-width-container"><div class="govuk-generic-header__logo"><a href="/" class="govuk-generic-header__homepage-link">Pensions dashboards connection portal</a></div></div></div></header>
<div class="govuk-width-container"><main class="govuk-main-wrapper" id="main-content" tabindex="-1">
<div class="govuk-grid-row"><div class="govuk-grid-column-two-thirds">
<h1 class="govuk-heading-l">{title}</h1>
{body}
</div></div>
</main></div>
<footer class="govuk-footer" role="contentinfo"><div class="govuk-width-container"><div class="govuk-footer__meta"><div class="govuk-footer__meta-item govuk-footer__meta-item--grow"><h2 class="govuk-visually-hidden">Support links</h2><ul class="govuk-footer__inline-list"><li class="govuk-footer__inline-list-item"><a class="govuk-footer__link" href="/help">Help</a></li><li class="govuk-footer__inline-list-item"><a class="govuk-footer__link" href="/accessibility">Accessibility statement</a></li><li class="govuk-footer__inline-list-item"><a class="govuk-footer__link" href="/cookies">Cookies</a></li><li class="govuk-footer__inline-list-item"><a class="govuk-footer__link" href="/privacy">Privacy</a></li></ul></div></div></div></footer>
</body>
</html>"##
    )
}

/// A page response with the given status.
pub fn page_response(
    css_href: &str,
    status: StatusCode,
    title: &str,
    body: &str,
) -> Response<Body> {
    let mut response = Response::new(Body::from(page_html(css_href, title, body)));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("text/html; charset=utf-8"),
    );
    response
}

/// A complete 500 response with the page above.
pub fn service_error_response(css_href: &str, reference: &str) -> Response<Body> {
    page_response(
        css_href,
        StatusCode::INTERNAL_SERVER_ERROR,
        SERVICE_ERROR_TITLE,
        &service_error_body(reference),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_short_and_distinct() {
        let a = new_reference();
        let b = new_reference();
        assert_eq!(a.len(), 8);
        assert_ne!(a, b);
    }

    #[test]
    fn page_shows_the_reference_and_the_apology() {
        let html = service_error_html("/pkg/portal.css", "ABCD1234");
        assert!(html.contains("Sorry, there is a problem with the service"));
        assert!(html.contains("ABCD1234"));
        assert!(html.contains(r#"lang="en""#));
    }
}
