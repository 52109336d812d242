//! Wheelhouse's user interface.
//!
//! Rendered on the server (feature `ssr`) and hydrated in the browser (feature `hydrate`). The two
//! heavy JavaScript libraries (Monaco and xterm.js) live in the bundle built from `web/` and are
//! reached through the small bindings of [`js`]; everything else is Leptos.

#![recursion_limit = "256"]

pub mod api;
pub mod cluster;
pub mod editor;
pub mod js;
pub mod layout;
pub mod lesson;
pub mod markdown;
pub mod shortcuts;
pub mod view;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use serde::{Deserialize, Serialize};

use layout::{Orientation, PresenterToggle, Splitter};
pub use view::ClusterView;

/// What the server knows about the page's session when it renders it. The page carries it as JSON
/// (`#wheelhouse-page`), so the browser hydrates from exactly what the server rendered.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PageData {
    /// The session's id (not its token: the HttpOnly cookie authenticates the page's requests).
    pub session: String,
    /// The workspace files, path and text.
    pub files: Vec<(String, String)>,
    /// Whether the page opens in the presenter layout (`/?presenter=1`, as the instructor
    /// dashboard links to it).
    #[serde(default)]
    pub presenter: bool,
}

/// The page's data: from the server's context while rendering, from the page itself in the browser.
pub fn page_data() -> PageData {
    if let Some(page) = use_context::<PageData>() {
        return page;
    }
    #[cfg(feature = "hydrate")]
    {
        let text = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.get_element_by_id("wheelhouse-page"))
            .and_then(|e| e.text_content())
            .unwrap_or_default();
        let page: PageData = serde_json::from_str(&text).unwrap_or_default();
        provide_context(page.clone());
        page
    }
    #[cfg(not(feature = "hydrate"))]
    PageData::default()
}

/// JSON that is safe inside a `<script>` element (no `</script>` can end it early).
fn script_json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value)
        .unwrap_or_default()
        .replace('<', "\\u003c")
}

/// The whole HTML document, rendered by the server.
pub fn shell(options: LeptosOptions, page: PageData) -> impl IntoView {
    let json = script_json(&page);
    let session = page.session.clone();
    let layout = if page.presenter {
        "presenter"
    } else {
        "workbench"
    };
    provide_context(page);
    view! {
        <!DOCTYPE html>
        <html lang="en" data-layout=layout>
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light dark"/>
                <link rel="icon" href="data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'%3E%3Ccircle cx='8' cy='8' r='6' fill='none' stroke='%232f6fde' stroke-width='2'/%3E%3C/svg%3E"/>
                <link rel="stylesheet" href="/js/main.css"/>
                <script type="application/json" id="wheelhouse-page" inner_html=json></script>
                // The JS glue (xterm.js, the lazy Monaco loader) runs before hydration starts.
                <script type="module" src="/js/main.js"></script>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body data-session=session>
                <App/>
            </body>
        </html>
    }
}

/// The single page: lesson, editor, terminal and cluster view.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let page = page_data();
    let session = page.session.clone();
    provide_context(editor::EditorFiles::new(&page));
    Effect::new(move |_| {
        // Tests and scripts wait for this mark before they interact with the page.
        #[cfg(feature = "hydrate")]
        if let Some(body) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.body())
        {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
    view! {
        <Stylesheet id="wheelhouse" href="/style/main.css"/>
        <Title text="Wheelhouse"/>
        <header class="topbar">
            <h1 class="brand">"Wheelhouse"</h1>
            <span class="session" title="Your session">{format!("session {session}")}</span>
            <div class="topbar-actions">
                <KubeconfigButton session=session.clone()/>
                <PresenterToggle presenter=page.presenter/>
                <ThemeToggle/>
                <shortcuts::ShortcutsHelp/>
            </div>
        </header>
        <main class="workbench">
            <lesson::LessonPane session=session.clone()/>
            <Splitter name="lesson" controls="pane-lesson" label="Resize the lesson pane"
                orientation=Orientation::Vertical/>
            <div class="center">
                <editor::EditorPane session=session.clone()/>
                <Splitter name="editor" controls="pane-editor" label="Resize the editor and the terminal"
                    orientation=Orientation::Horizontal/>
                <section class="terminal pane" id="pane-terminal" aria-label="Terminal">
                    <h2 class="pane-title">"Terminal"</h2>
                    <div id="terminal-host" class="terminal-host" data-session=session.clone()></div>
                </section>
            </div>
            <Splitter name="cluster" controls="pane-cluster" label="Resize the cluster pane"
                orientation=Orientation::Vertical/>
            <cluster::ClusterPane session=session.clone()/>
        </main>
    }
}

/// Switches between the light and dark themes; the choice is kept in the browser.
#[component]
fn ThemeToggle() -> impl IntoView {
    let toggle = move |_| {
        #[cfg(feature = "hydrate")]
        {
            let root = web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.document_element());
            if let Some(root) = root {
                let dark = root.get_attribute("data-theme").as_deref() != Some("dark");
                let theme = if dark { "dark" } else { "light" };
                let _ = root.set_attribute("data-theme", theme);
                js::set_theme(theme);
            }
        }
    };
    view! {
        <button class="button" on:click=toggle aria-label="Switch between light and dark theme">
            "Theme"
        </button>
    }
}

/// Fetches the session's kubeconfig, copies it, and says how to use it with the real kubectl.
#[component]
fn KubeconfigButton(session: String) -> impl IntoView {
    let (open, set_open) = signal(false);
    let (text, set_text) = signal(String::new());
    let fetch = move |_| {
        let url = format!("/api/sessions/{session}/kubeconfig");
        leptos::task::spawn_local(async move {
            match api::get_text(&url).await {
                Ok(config) => {
                    js::copy_text(&config);
                    set_text.set(config);
                }
                Err(e) => set_text.set(format!("# could not fetch the kubeconfig: {e}")),
            }
            set_open.set(true);
        });
    };
    view! {
        <button class="button" on:click=fetch>"Copy kubeconfig"</button>
        <Show when=move || open.get()>
            <div class="dialog" role="dialog" aria-label="Use the real kubectl">
                <p>
                    "The kubeconfig is on your clipboard. Save it as "
                    <code>"wheelhouse.yaml"</code> " and run:"
                </p>
                <pre class="code">"KUBECONFIG=wheelhouse.yaml kubectl get nodes"</pre>
                <details>
                    <summary>"Show the kubeconfig"</summary>
                    <pre class="code kubeconfig">{move || text.get()}</pre>
                </details>
                <button class="button" on:click=move |_| set_open.set(false)>"Close"</button>
            </div>
        </Show>
    }
}
