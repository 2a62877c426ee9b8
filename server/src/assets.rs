//! Where the built site is and what cargo-leptos named its hashed files.

use std::path::{Path, PathBuf};

/// The hashed names of the stylesheet, script and WASM module, read once at start-up.
#[derive(Debug, Clone, Default)]
pub struct AssetHashes {
    /// Absolute path of the hash file, when one was found.
    pub file: Option<PathBuf>,
    pub css: Option<String>,
    pub js: Option<String>,
    pub wasm: Option<String>,
}

impl AssetHashes {
    /// Finds the hash file: the configured path, else `hash.txt` beside the executable, else one
    /// folder up (where a test binary in `target/<profile>/deps` finds the one cargo-leptos wrote).
    pub fn locate(configured: Option<&Path>) -> Self {
        let candidates: Vec<PathBuf> = match configured {
            Some(p) => vec![p.to_path_buf()],
            None => std::env::current_exe()
                .ok()
                .and_then(|exe| exe.parent().map(Path::to_path_buf))
                .map(|dir| {
                    let mut v = vec![dir.join("hash.txt")];
                    if let Some(up) = dir.parent() {
                        v.push(up.join("hash.txt"));
                    }
                    v
                })
                .unwrap_or_default(),
        };
        for candidate in candidates {
            if let Ok(text) = std::fs::read_to_string(&candidate) {
                let file = std::path::absolute(&candidate).unwrap_or(candidate);
                return Self::parse(&text, Some(file));
            }
        }
        Self::default()
    }

    fn parse(text: &str, file: Option<PathBuf>) -> Self {
        let mut hashes = Self {
            file,
            ..Self::default()
        };
        for line in text.lines() {
            if let Some((kind, hash)) = line.split_once(':') {
                // Hashes go into URLs and an inline script: anything but letters, digits, `-`
                // and `_` is not a hash cargo-leptos wrote.
                let hash = hash.trim();
                if hash.is_empty()
                    || !hash
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                {
                    continue;
                }
                let hash = Some(hash.to_string());
                match kind.trim() {
                    "css" => hashes.css = hash,
                    "js" => hashes.js = hash,
                    "wasm" => hashes.wasm = hash,
                    _ => {}
                }
            }
        }
        hashes
    }

    /// The stylesheet's URL path, e.g. `/pkg/portal.1a2b3c.css`.
    pub fn css_href(&self, output_name: &str) -> String {
        Self::href(output_name, self.css.as_deref(), "css")
    }

    /// The URL paths every page's head names.
    pub fn page_assets(&self, output_name: &str) -> app::PageAssets {
        app::PageAssets {
            css: self.css_href(output_name),
            js: Self::href(output_name, self.js.as_deref(), "js"),
            wasm: Self::href(output_name, self.wasm.as_deref(), "wasm"),
        }
    }

    fn href(output_name: &str, hash: Option<&str>, extension: &str) -> String {
        match hash {
            Some(h) => format!("/pkg/{output_name}.{h}.{extension}"),
            None => format!("/pkg/{output_name}.{extension}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_cargo_leptos_hash_file() {
        let h = AssetHashes::parse("js: abc\nwasm: def\ncss: 123\n", None);
        assert_eq!(h.js.as_deref(), Some("abc"));
        assert_eq!(h.wasm.as_deref(), Some("def"));
        assert_eq!(h.css_href("portal"), "/pkg/portal.123.css");
        let page = h.page_assets("portal");
        assert_eq!(page.js, "/pkg/portal.abc.js");
        assert_eq!(page.wasm, "/pkg/portal.def.wasm");
        let script = page.loader_script();
        assert!(
            script.contains(r#"import("/pkg/portal.abc.js")"#),
            "{script}"
        );
        assert!(
            script.contains(r#"module_or_path:"/pkg/portal.def.wasm""#),
            "{script}"
        );
        // The bundle is fetched only on a page with an island.
        let guard = script.find(r#"if(i.length===0)done();else import("#);
        assert!(guard.is_some(), "{script}");
    }

    #[test]
    fn a_hash_that_could_break_out_of_a_url_or_script_is_ignored() {
        let h = AssetHashes::parse("js: a\"b\ncss: </script>\nwasm: ok-1_2\n", None);
        assert_eq!(h.js, None);
        assert_eq!(h.css, None);
        assert_eq!(h.page_assets("portal").wasm, "/pkg/portal.ok-1_2.wasm");
    }

    #[test]
    fn missing_hash_file_falls_back_to_plain_names() {
        let h = AssetHashes::locate(Some(Path::new("/nonexistent/hash.txt")));
        assert!(h.file.is_none());
        assert_eq!(h.css_href("portal"), "/pkg/portal.css");
    }
}
