//! GOV.UK Design System components as Leptos components.

mod forms;
mod layout;
mod page_title;

pub use forms::{ErrorSummary, Radios, SuccessBanner, TextInput, Textarea};
pub use layout::Layout;
pub use page_title::{page_title, PageTitle};
