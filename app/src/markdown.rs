//! Lesson markdown → HTML, with the code blocks kept apart so the lesson pane can give each one its
//! "run" (shell lines) or "load" (manifests) button.
//!
//! The markdown parser runs on the server only (`GET /api/lessons/rendered`): it is a fifth of the
//! browser's WASM otherwise. The browser gets [`Segment`]s, and renders hints (short, inline
//! markdown) with [`inline_html`].

#[cfg(feature = "ssr")]
use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag, TagEnd};
use serde::{Deserialize, Serialize};

/// A piece of a rendered lesson.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Segment {
    /// Rendered HTML of prose (pulldown-cmark escapes text; raw HTML in lessons is authored by us).
    Html(String),
    /// A fenced code block: its info string (language first, e.g. `yaml web.yaml`) and its text.
    Code { info: String, text: String },
}

/// What a code block's button does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CodeAction {
    /// Shell lines, typed into the terminal one by one.
    Run,
    /// A manifest, opened in the editor.
    Load,
    None,
}

impl Segment {
    pub fn action(info: &str, text: &str) -> CodeAction {
        match info.split_whitespace().next().unwrap_or("") {
            "yaml" | "yml" => CodeAction::Load,
            "sh" | "bash" | "shell" | "console" => CodeAction::Run,
            "" if text.trim_start().starts_with("kubectl ") => CodeAction::Run,
            _ => CodeAction::None,
        }
    }
}

/// Splits markdown into prose HTML and code blocks.
#[cfg(feature = "ssr")]
pub fn segments(markdown: &str) -> Vec<Segment> {
    let mut out = Vec::new();
    let mut prose: Vec<Event> = Vec::new();
    let mut code: Option<(String, String)> = None;
    for event in Parser::new_ext(
        markdown,
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH,
    ) {
        match (&mut code, event) {
            (None, Event::Start(Tag::CodeBlock(kind))) => {
                flush(&mut prose, &mut out);
                let info = match kind {
                    CodeBlockKind::Fenced(info) => info.trim().to_string(),
                    CodeBlockKind::Indented => String::new(),
                };
                code = Some((info, String::new()));
            }
            (Some((_, text)), Event::Text(t)) => text.push_str(&t),
            (Some(_), Event::End(TagEnd::CodeBlock)) => {
                let (info, text) = code.take().unwrap_or_default();
                out.push(Segment::Code { info, text });
            }
            (Some(_), _) => {}
            (None, event) => prose.push(event),
        }
    }
    flush(&mut prose, &mut out);
    out
}

#[cfg(feature = "ssr")]
fn flush(prose: &mut Vec<Event>, out: &mut Vec<Segment>) {
    if prose.is_empty() {
        return;
    }
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, prose.drain(..));
    out.push(Segment::Html(html));
}

/// The markdown as one HTML string (exercise tasks, which have no buttons).
#[cfg(feature = "ssr")]
pub fn to_html(markdown: &str) -> String {
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, Parser::new(markdown));
    html
}

/// Inline markdown (`code`, **strong**, *emphasis*) as HTML, everything else escaped: enough for
/// hints, which are a sentence or two.
pub fn inline_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut open = [false; 3]; // code, strong, em
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '`' => {
                out.push_str(if open[0] { "</code>" } else { "<code>" });
                open[0] = !open[0];
            }
            '*' if !open[0] && chars.peek() == Some(&'*') => {
                chars.next();
                out.push_str(if open[1] { "</strong>" } else { "<strong>" });
                open[1] = !open[1];
            }
            '*' if !open[0] => {
                out.push_str(if open[2] { "</em>" } else { "<em>" });
                open[2] = !open[2];
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    for (is_open, close) in open.iter().zip(["</code>", "</strong>", "</em>"]) {
        if *is_open {
            out.push_str(close);
        }
    }
    out
}

#[cfg(test)]
mod inline_tests {
    use super::inline_html;

    #[test]
    fn hints_render_code_and_emphasis_and_escape_the_rest() {
        assert_eq!(
            inline_html("Use `kubectl get pods -o wide` and **look** at <NODE>"),
            "Use <code>kubectl get pods -o wide</code> and <strong>look</strong> at &lt;NODE&gt;"
        );
        assert_eq!(inline_html("a `*b*` *c"), "a <code>*b*</code> <em>c</em>");
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    #[test]
    fn code_blocks_are_kept_apart_with_their_language() {
        let md = "# Pods\n\nRun this:\n\n```sh\nkubectl get pods\n```\n\nThen *load*:\n\n```yaml web.yaml\nkind: Pod\n```\n";
        let s = segments(md);
        assert_eq!(s.len(), 4);
        assert!(matches!(&s[0], Segment::Html(h) if h.contains("<h1>Pods</h1>")));
        assert_eq!(
            s[1],
            Segment::Code {
                info: "sh".into(),
                text: "kubectl get pods\n".into()
            }
        );
        assert!(matches!(&s[2], Segment::Html(h) if h.contains("<em>load</em>")));
        assert_eq!(
            s[3],
            Segment::Code {
                info: "yaml web.yaml".into(),
                text: "kind: Pod\n".into()
            }
        );
    }

    #[test]
    fn buttons_follow_the_language() {
        assert_eq!(Segment::action("yaml web.yaml", ""), CodeAction::Load);
        assert_eq!(Segment::action("bash", ""), CodeAction::Run);
        assert_eq!(Segment::action("", "kubectl get pods"), CodeAction::Run);
        assert_eq!(Segment::action("json", "{}"), CodeAction::None);
    }
}

/// The workspace file a manifest block loads into: named in the info string (```` ```yaml web.yaml ````),
/// else after the object (`<name>.yaml`), else `manifest.yaml`.
pub fn file_name(info: &str, text: &str) -> String {
    if let Some(name) = info.split_whitespace().nth(1) {
        return name.to_string();
    }
    let mut in_metadata = false;
    for line in text.lines() {
        if line.starts_with("metadata:") {
            in_metadata = true;
        } else if in_metadata {
            if let Some(name) = line.trim_start().strip_prefix("name:") {
                let name = name.trim().trim_matches(['"', '\'']);
                if !name.is_empty() && line.starts_with("  ") && !line.starts_with("   ") {
                    return format!("{name}.yaml");
                }
            }
            if !line.starts_with(' ') && !line.is_empty() {
                in_metadata = false;
            }
        }
    }
    "manifest.yaml".into()
}

#[cfg(test)]
mod file_name_tests {
    use super::file_name;

    #[test]
    fn manifests_load_into_a_named_file() {
        assert_eq!(file_name("yaml web.yaml", "kind: Pod"), "web.yaml");
        let pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  labels:\n    name: x\n  name: nginx\nspec: {}\n";
        assert_eq!(file_name("yaml", pod), "nginx.yaml");
        assert_eq!(file_name("yaml", "a: 1"), "manifest.yaml");
    }
}
