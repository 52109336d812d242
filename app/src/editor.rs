//! The editor pane: a tab per workspace file, the Monaco editor (loaded lazily by the JS glue), and
//! "Apply", which runs `kubectl apply -f <file>` in the session and shows what kubectl said.

use leptos::prelude::*;

use crate::{api, js, PageData};

/// The file a new workspace starts with, so the first thing a learner sees is a manifest.
pub const STARTER_FILE: &str = "pod.yaml";

#[component]
pub fn EditorPane(session: String) -> impl IntoView {
    let EditorFiles { files, active } = expect_context::<EditorFiles>();
    let result = RwSignal::new(None::<api::ShellOutput>);
    let applying = RwSignal::new(false);

    let open = move |name: String| {
        active.set(name.clone());
        js::editor_open(&name, None);
    };
    let new_file = move |_| {
        #[cfg(feature = "hydrate")]
        {
            let name = web_sys::window()
                .and_then(|w| {
                    w.prompt_with_message("New file name (for example web.yaml)")
                        .ok()
                        .flatten()
                })
                .map(|n| n.trim().to_string())
                .filter(|n| !n.is_empty());
            if let Some(name) = name {
                if !files.with(|f| f.contains(&name)) {
                    files.update(|f| f.push(name.clone()));
                }
                open(name);
            }
        }
    };
    let apply = move |_| {
        let session = session.clone();
        let file = active.get_untracked();
        applying.set(true);
        leptos::task::spawn_local(async move {
            js::editor_saved().await;
            let output = api::shell(&session, &format!("kubectl apply -f {file}"))
                .await
                .unwrap_or_else(|e| api::ShellOutput {
                    stderr: e,
                    exit_code: 1,
                    ..Default::default()
                });
            let problems: Vec<String> = output.stderr.lines().map(str::to_string).collect();
            js::editor_diagnostics(&file, problems);
            result.set(Some(output));
            applying.set(false);
        });
    };

    view! {
        <section class="editor pane" id="pane-editor" aria-label="Editor">
            <div class="editor-bar">
                <div class="tabs" role="tablist" aria-label="Workspace files">
                    <For each=move || files.get() key=|name| name.clone() let:name>
                        {
                            let label = name.clone();
                            let target = name.clone();
                            let selected = name.clone();
                            view! {
                                <button role="tab" class="tab"
                                    aria-selected=move || (active.get() == selected).to_string()
                                    on:click=move |_| open(target.clone())>
                                    {label}
                                </button>
                            }
                        }
                    </For>
                    <button class="tab new" on:click=new_file aria-label="New file">"+"</button>
                </div>
                <button id="apply" class="button primary" on:click=apply
                    disabled=move || applying.get()
                    title="kubectl apply -f this file (Ctrl+Enter)">
                    {move || format!("Apply {}", active.get())}
                </button>
            </div>
            <div id="editor-host" class="editor-host" data-file=move || active.get()>
                <div class="editor-loading">"Loading the editor…"</div>
            </div>
            <Show when=move || result.with(Option::is_some)>
                <div class=move || if result.with(|r| r.as_ref().is_some_and(|o| o.exit_code == 0)) { "apply-result ok" } else { "apply-result failed" }
                    role="status" aria-label="Apply result">
                    <pre>{move || result.with(|r| r.as_ref().map(|o| format!("{}{}", o.stdout, o.stderr)).unwrap_or_default())}</pre>
                    <button class="button small" on:click=move |_| result.set(None) aria-label="Dismiss">"×"</button>
                </div>
            </Show>
        </section>
    }
}

/// The editor's files, for the lesson pane's "load" buttons.
#[derive(Clone, Copy)]
pub struct EditorFiles {
    pub files: RwSignal<Vec<String>>,
    pub active: RwSignal<String>,
}

impl EditorFiles {
    /// The workspace's files as the page was rendered, the first one open.
    pub fn new(page: &PageData) -> EditorFiles {
        let mut names: Vec<String> = page.files.iter().map(|(name, _)| name.clone()).collect();
        if names.is_empty() {
            names.push(STARTER_FILE.to_string());
        }
        EditorFiles {
            active: RwSignal::new(names[0].clone()),
            files: RwSignal::new(names),
        }
    }

    /// Opens `name` with `text` in the editor (adding a tab for it if needed).
    pub fn load(&self, name: &str, text: &str) {
        if !self.files.with(|f| f.iter().any(|n| n == name)) {
            self.files.update(|f| f.push(name.to_string()));
        }
        self.active.set(name.to_string());
        js::editor_open(name, Some(text.to_string()));
    }
}
