//! Wheelhouse's user interface.
//!
//! Rendered on the server (feature `ssr`) and hydrated in the browser (feature `hydrate`).

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};

/// The whole HTML document, rendered by the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The single page: lesson, editor, terminal and cluster view.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Stylesheet id="wheelhouse" href="/style/main.css"/>
        <Title text="Wheelhouse"/>
        <main class="workbench">
            <section class="lesson" aria-label="Lesson"></section>
            <section class="editor" aria-label="Editor"></section>
            <section class="terminal" aria-label="Terminal"></section>
            <section class="cluster" aria-label="Cluster"></section>
        </main>
    }
}
