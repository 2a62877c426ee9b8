//! GOV.UK Design System components as Leptos components.

mod forms;
mod layout;
mod page_title;
mod tag;

pub use forms::{ErrorSummary, Radios, SuccessBanner, TextInput, Textarea};
pub use layout::Layout;
pub use page_title::{page_title, PageTitle};
pub use tag::{status_tag_class, StatusTag};
