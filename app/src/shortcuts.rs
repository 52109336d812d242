//! The keyboard shortcuts and the dialog that lists them (opened by its button or the `?` key).
//! The keys themselves are handled by the JS glue (`web/src/main.js`), before Monaco and xterm.js
//! see them.

use leptos::prelude::*;

/// Every shortcut, as the dialog lists it: keys, then what they do.
pub const SHORTCUTS: &[(&str, &str)] = &[
    ("Ctrl+Enter", "Apply the open file (kubectl apply -f)"),
    ("Ctrl+S", "Save the open file now"),
    ("Ctrl+`", "Focus the terminal"),
    ("Ctrl+Shift+E", "Focus the editor"),
    (
        "Arrow keys",
        "Resize the pane beside a focused splitter (Shift: larger steps)",
    ),
    ("?", "Show these shortcuts"),
    ("Esc", "Close this list"),
];

#[component]
pub fn ShortcutsHelp() -> impl IntoView {
    let (open, set_open) = signal(false);
    view! {
        <button class="button" id="shortcuts-button" on:click=move |_| set_open.update(|o| *o = !*o)
            aria-haspopup="dialog" aria-expanded=move || open.get().to_string()
            aria-label="Keyboard shortcuts" title="Keyboard shortcuts (?)">
            "?"
        </button>
        <Show when=move || open.get()>
            <div class="dialog" id="shortcuts-dialog" role="dialog" aria-label="Keyboard shortcuts">
                <h2 class="dialog-title">"Keyboard shortcuts"</h2>
                <p class="muted">"On a Mac, Cmd works wherever Ctrl is written."</p>
                <dl class="shortcuts">
                    {SHORTCUTS.iter().map(|(keys, what)| view! {
                        <dt><kbd>{*keys}</kbd></dt>
                        <dd>{*what}</dd>
                    }).collect_view()}
                </dl>
                <button class="button" data-close on:click=move |_| set_open.set(false)>"Close"</button>
            </div>
        </Show>
    }
}
