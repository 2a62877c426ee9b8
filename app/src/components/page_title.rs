use leptos::prelude::*;
use leptos_meta::Title;

use crate::SERVICE_NAME;

/// The full `<title>` text for a page: "Page - Service name", GOV.UK style.
pub fn page_title(page: &str) -> String {
    if page.is_empty() {
        SERVICE_NAME.to_string()
    } else {
        format!("{page} - {SERVICE_NAME}")
    }
}

/// Sets the document title for the current page. Every page uses this, so titles stay unique
/// and consistent.
#[component]
pub fn PageTitle(#[prop(into)] text: String) -> impl IntoView {
    view! { <Title text=page_title(&text) /> }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn title_names_the_page_then_the_service() {
        assert_eq!(
            page_title("Help"),
            "Help - Pensions dashboards connection portal"
        );
    }

    #[test]
    fn an_empty_page_name_gives_the_service_name_alone() {
        assert_eq!(page_title(""), SERVICE_NAME);
    }
}
