//! GOV.UK Design System components as Leptos components.

mod layout;
mod page_title;

pub use layout::Layout;
pub use page_title::{page_title, PageTitle};
