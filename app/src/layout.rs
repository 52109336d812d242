//! The workbench's layout controls: the splitters between panes and the presenter layout toggle.
//!
//! Only the markup is here; dragging, the arrow keys and remembering sizes are the JS glue's
//! (`web/src/layout.js`), which keeps the pane sizes in CSS custom properties and each splitter's
//! `aria-valuenow` in step with them. That keeps the WASM of the first load small.

use leptos::prelude::*;

use crate::js;

/// Which way a splitter divides: between side-by-side panes (a vertical bar) or stacked ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Orientation {
    Vertical,
    Horizontal,
}

impl Orientation {
    fn as_str(self) -> &'static str {
        match self {
            Orientation::Vertical => "vertical",
            Orientation::Horizontal => "horizontal",
        }
    }
}

/// A draggable, keyboard-resizable bar that sizes the pane `controls` (an element id).
#[component]
pub fn Splitter(
    /// The size it sets (`lesson`, `cluster`, `editor`; see `web/src/layout.js`).
    name: &'static str,
    controls: &'static str,
    label: &'static str,
    orientation: Orientation,
) -> impl IntoView {
    view! {
        <div class=format!("splitter {}", orientation.as_str())
            role="separator" tabindex="0"
            data-split=name aria-controls=controls aria-label=label
            aria-orientation=orientation.as_str()
            title="Drag, or focus and use the arrow keys; double-click resets"></div>
    }
}

/// Switches between the workbench and the presenter layout (large type; lesson, terminal and
/// cluster view; for an instructor's projector).
#[component]
pub fn PresenterToggle(presenter: bool) -> impl IntoView {
    let (on, set_on) = signal(presenter);
    let toggle = move |_| {
        let next = !on.get_untracked();
        set_on.set(next);
        js::set_layout(if next { "presenter" } else { "workbench" });
    };
    view! {
        <button class="button" id="presenter-toggle" on:click=toggle
            aria-pressed=move || on.get().to_string()
            title="Large type for a projector: lesson, terminal and cluster view">
            "Presenter"
        </button>
    }
}
