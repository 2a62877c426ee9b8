//! The browser entry point. Pages are server-rendered HTML that works without JavaScript; only
//! the islands (components marked `#[island]` in `app`) run here. The page's loader script
//! (`app::PageAssets::loader_script`) fetches this bundle only when the page has an island, calls
//! `hydrate`, then each island's own export.

// Links the app crate, whose islands export their hydration functions from this module.
use app as _;

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
}
