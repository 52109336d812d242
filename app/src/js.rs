//! Bindings to the JavaScript glue bundled from `web/` (`window.wheelhouse`): the xterm.js terminal
//! and the lazily loaded Monaco editor. The glue is loaded before hydration starts, and these are
//! only called from event handlers and effects, which run in the browser only.

#[cfg(feature = "hydrate")]
mod bindings {
    use wasm_bindgen::prelude::*;

    #[wasm_bindgen]
    extern "C" {
        /// Types a line into the terminal and runs it, as if the learner had.
        #[wasm_bindgen(js_namespace = ["wheelhouse", "terminal"], js_name = run)]
        pub fn terminal_run(line: &str);

        /// Shows a workspace file in the editor; `text`, when given, replaces its content.
        #[wasm_bindgen(js_namespace = ["wheelhouse", "editor"], js_name = open)]
        pub fn editor_open(path: &str, text: Option<String>);

        /// Resolves once every edit has been saved to the session.
        #[wasm_bindgen(js_namespace = ["wheelhouse", "editor"], js_name = save)]
        pub fn editor_save() -> js_sys::Promise;

        /// Shows the server's diagnostics for a file inline (an empty list clears them).
        #[wasm_bindgen(js_namespace = ["wheelhouse", "editor"], js_name = setDiagnostics)]
        pub fn editor_diagnostics(path: &str, messages: Vec<String>);

        #[wasm_bindgen(js_namespace = wheelhouse, js_name = setTheme)]
        pub fn set_theme(theme: &str);

        #[wasm_bindgen(js_namespace = wheelhouse, js_name = copyText)]
        pub fn copy_text(text: &str);

        /// `workbench` or `presenter` (large type, no editor; for a projector).
        #[wasm_bindgen(js_namespace = wheelhouse, js_name = setLayout)]
        pub fn set_layout(layout: &str);
    }
}

#[cfg(feature = "hydrate")]
pub use bindings::*;

#[cfg(not(feature = "hydrate"))]
mod server_side {
    //! The same names on the server, where nothing calls them.
    pub fn terminal_run(_: &str) {}
    pub fn editor_open(_: &str, _: Option<String>) {}
    pub fn editor_diagnostics(_: &str, _: Vec<String>) {}
    pub fn set_theme(_: &str) {}
    pub fn copy_text(_: &str) {}
    pub fn set_layout(_: &str) {}
}

#[cfg(not(feature = "hydrate"))]
pub use server_side::*;

/// Waits until the editor has saved every edit (no-op on the server).
pub async fn editor_saved() {
    #[cfg(feature = "hydrate")]
    {
        let _ = wasm_bindgen_futures::JsFuture::from(bindings::editor_save()).await;
    }
}
