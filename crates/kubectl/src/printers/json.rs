//! JSON as kubectl prints it: Go's `json.MarshalIndent(obj, "", "    ")` plus a newline.
//!
//! Go sorts map keys bytewise, escapes `<`, `>`, `&`, U+2028 and U+2029 (HTML-safe encoding), and
//! writes empty collections as `{}` and `[]`.

use serde_json::Value;

/// Renders a value with four-space indentation and a trailing newline.
pub fn to_string(value: &Value) -> String {
    let mut out = String::with_capacity(1024);
    write(&mut out, value, 0, "    ");
    out.push('\n');
    out
}

/// Compact Go-style JSON (sorted keys, HTML-safe escapes), as kubectl stores in annotations.
pub fn to_compact(value: &Value) -> String {
    let mut out = String::new();
    write(&mut out, value, 0, "");
    out
}

fn newline(out: &mut String, depth: usize, indent: &str) {
    if indent.is_empty() {
        return;
    }
    out.push('\n');
    for _ in 0..depth {
        out.push_str(indent);
    }
}

fn write(out: &mut String, value: &Value, depth: usize, indent: &str) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&number(n)),
        Value::String(s) => string(out, s),
        Value::Array(items) => {
            if items.is_empty() {
                out.push_str("[]");
                return;
            }
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, depth + 1, indent);
                write(out, item, depth + 1, indent);
            }
            newline(out, depth, indent);
            out.push(']');
        }
        Value::Object(map) => {
            if map.is_empty() {
                out.push_str("{}");
                return;
            }
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort_unstable();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, depth + 1, indent);
                string(out, k);
                out.push(':');
                if !indent.is_empty() {
                    out.push(' ');
                }
                write(out, &map[k.as_str()], depth + 1, indent);
            }
            newline(out, depth, indent);
            out.push('}');
        }
    }
}

fn number(n: &serde_json::Number) -> String {
    if n.is_i64() || n.is_u64() {
        return n.to_string();
    }
    let f = n.as_f64().unwrap_or(0.0);
    let abs = f.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        // Go's 'e' format with a two-digit minimum exponent trimmed: 1e-07 → 1e-7.
        let s = format!("{f:e}");
        let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
        let e: i32 = e.parse().unwrap_or(0);
        return format!("{m}e{}{}", if e < 0 { '-' } else { '+' }, e.abs());
    }
    format!("{f}")
}

/// A Go `encoding/json` string literal.
pub fn string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn indents_by_four_and_sorts_keys() {
        let v = json!({"b": [1, {"z": true, "a": null}], "a": {}, "c": [], "d": "x<y>&z"});
        assert_eq!(
            to_string(&v),
            "{\n    \"a\": {},\n    \"b\": [\n        1,\n        {\n            \"a\": null,\n            \"z\": true\n        }\n    ],\n    \"c\": [],\n    \"d\": \"x\\u003cy\\u003e\\u0026z\"\n}\n"
        );
    }

    #[test]
    fn compact_form_for_annotations() {
        assert_eq!(
            to_compact(&json!({"b": 1, "a": "\u{1}"})),
            "{\"a\":\"\\u0001\",\"b\":1}"
        );
        assert_eq!(to_compact(&json!(0.5)), "0.5");
    }
}
