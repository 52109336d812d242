//! Safe decoding of manifest files (YAML or JSON, several documents).
//!
//! Manifests come from learners and from anyone on the internet, so decoding is bounded before
//! the YAML parser sees the text: libyaml (under serde_yaml_ng) takes time quadratic in the
//! nesting depth of flow collections (`[[[[...`), so the depth is pre-scanned and capped, and the
//! size is capped. Alias bombs ("billion laughs") are refused by serde_yaml_ng's own repetition
//! limit. Errors read like kubectl's (`error converting YAML to JSON: yaml: ...`).

use serde_json::Value;

/// Largest manifest file decoded (the API server itself accepts request bodies up to 3 MiB).
pub const MAX_MANIFEST_BYTES: usize = 3 * 1024 * 1024;

/// Deepest nesting of collections accepted. Real manifests stay under 20 levels; go-yaml's own
/// limit is 10,000, far past what libyaml parses in bounded time.
pub const MAX_DEPTH: usize = 256;

/// Why a manifest could not be decoded; rendered after `error parsing <file>: `.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ManifestError {
    #[error("error converting YAML to JSON: yaml: input of {0} bytes is larger than the limit of 3145728")]
    TooLarge(usize),
    #[error("error converting YAML to JSON: yaml: exceeded max depth of {MAX_DEPTH}")]
    TooDeep,
    #[error("error converting YAML to JSON: yaml: {0}")]
    Yaml(String),
}

/// The deepest nesting in `text`, an upper bound of what the YAML parser will see: flow
/// brackets outside quoted scalars and comments, and block indentation (two columns a level).
///
/// A quote opens a quoted scalar only where YAML allows one to start (after `: `, `- `, `[`, `{`,
/// `,` or at the start of a line), so an apostrophe in plain text (`don't`) hides nothing; and
/// the scan forgets quotes at the end of a line, so a quote can only ever hide brackets on its
/// own line, which the parser then also reads as text. Erring means over-counting, never under.
pub fn nesting_depth(text: &str) -> usize {
    let mut max = 0;
    let mut depth = 0usize;
    for line in text.lines() {
        let indent = line.len() - line.trim_start_matches([' ', '-']).len();
        max = max.max(indent / 2);
        let mut quote: Option<char> = None;
        let mut prev_significant = ' ';
        let mut at_start = true;
        let mut chars = line.chars().peekable();
        let mut prev = ' ';
        while let Some(c) = chars.next() {
            match quote {
                Some('"') if c == '\\' => {
                    chars.next();
                }
                Some('\'') if c == '\'' && chars.peek() == Some(&'\'') => {
                    chars.next();
                }
                Some(q) if c == q => quote = None,
                Some(_) => {}
                None => match c {
                    '#' if prev.is_whitespace() => break,
                    '"' | '\''
                        if at_start
                            || matches!(prev_significant, ':' | '-' | '[' | '{' | ',' | '?') =>
                    {
                        quote = Some(c)
                    }
                    '[' | '{' => {
                        depth += 1;
                        max = max.max(depth);
                    }
                    ']' | '}' => depth = depth.saturating_sub(1),
                    _ => {}
                },
            }
            if !c.is_whitespace() {
                prev_significant = c;
                at_start = false;
            }
            prev = c;
        }
    }
    max
}

/// Decodes every non-empty document of a manifest file, in order.
pub fn parse_documents(text: &str) -> Result<Vec<Value>, ManifestError> {
    if text.len() > MAX_MANIFEST_BYTES {
        return Err(ManifestError::TooLarge(text.len()));
    }
    if nesting_depth(text) > MAX_DEPTH {
        return Err(ManifestError::TooDeep);
    }
    let mut docs = Vec::new();
    for doc in serde_yaml_ng::Deserializer::from_str(text) {
        let value: Value =
            serde::Deserialize::deserialize(doc).map_err(|e| ManifestError::Yaml(e.to_string()))?;
        if !value.is_null() {
            docs.push(value);
        }
    }
    Ok(docs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    #[test]
    fn ordinary_manifests_decode() {
        let docs =
            parse_documents("a: 1\n---\n# just a comment\n---\nb: [1, {c: \"[[[\"}]\n").unwrap();
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[1]["b"][1]["c"], "[[[");
    }

    #[test]
    fn deep_flow_nesting_is_refused_before_parsing() {
        let deep = format!("x: {}{}\n", "[".repeat(200_000), "]".repeat(200_000));
        let t = Instant::now();
        assert_eq!(parse_documents(&deep), Err(ManifestError::TooDeep));
        assert!(t.elapsed().as_millis() < 500);
        let ok = format!("x: {}{}\n", "[".repeat(20), "]".repeat(20));
        assert!(parse_documents(&ok).is_ok());
    }

    #[test]
    fn brackets_in_quotes_and_comments_do_not_count() {
        assert_eq!(nesting_depth("a: '[[[['\nb: \"{{{{\" # [[[[\n"), 0);
        assert_eq!(nesting_depth("a: \"x\\\"[\"\nb: 'it''s ['\n"), 0);
    }

    #[test]
    fn apostrophes_in_plain_text_hide_nothing() {
        let sneaky = format!("a: don't {}{}\n", "[".repeat(300), "]".repeat(300));
        assert_eq!(nesting_depth(&sneaky), 300);
        let across_lines = format!("a: |\n  '\nb: {}{}\n", "[".repeat(300), "]".repeat(300));
        assert_eq!(nesting_depth(&across_lines), 300);
    }

    #[test]
    fn alias_bombs_are_refused() {
        let mut bomb = String::from("a0: &a0 \"lol\"\n");
        for i in 1..12 {
            bomb.push_str(&format!(
                "a{i}: &a{i} [{}]\n",
                vec![format!("*a{}", i - 1); 10].join(", ")
            ));
        }
        let t = Instant::now();
        assert!(matches!(
            parse_documents(&bomb),
            Err(ManifestError::Yaml(_))
        ));
        assert!(t.elapsed().as_secs() < 2);
    }

    #[test]
    fn oversized_input_is_refused() {
        let big = "a".repeat(MAX_MANIFEST_BYTES + 1);
        assert_eq!(
            parse_documents(&big),
            Err(ManifestError::TooLarge(MAX_MANIFEST_BYTES + 1))
        );
    }
}
