//! YAML as kubectl prints it: `sigs.k8s.io/yaml` = JSON re-encoded by go-yaml v2.
//!
//! go-yaml's choices decide every byte: keys in its "natural" order, block sequences not
//! indented under their key, `{}`/`[]` for empty collections, strings that would resolve to
//! another type (`"yes"`, `"1.0"`, `""`, timestamps) double-quoted, strings the emitter cannot
//! write plain (`':'`, `'#x'`, leading spaces) single-quoted, multi-line strings as literal blocks
//! (`|`, `|-`, `|+`), and long lines folded at spaces past column 80.

use serde_json::Value;

const BEST_WIDTH: usize = 80;

/// Renders a value as a YAML document (with a trailing newline).
pub fn to_string(value: &Value) -> String {
    let mut e = Emitter {
        out: String::with_capacity(1024),
        column: 0,
    };
    e.node(value, 0, Ctx::Top);
    // Every node leaves the line open (a literal block too: it gives back its last break).
    e.out.push('\n');
    e.out
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Ctx {
    Top,
    /// After `key:` on the same line.
    MapValue,
    /// After `- ` on the same line.
    SeqItem,
}

struct Emitter {
    out: String,
    column: usize,
}

impl Emitter {
    fn put(&mut self, s: &str) {
        self.out.push_str(s);
        match s.rfind('\n') {
            Some(i) => self.column = s[i + 1..].chars().count(),
            None => self.column += s.chars().count(),
        }
    }

    fn newline_indent(&mut self, indent: usize) {
        self.out.push('\n');
        self.out.extend(std::iter::repeat_n(' ', indent));
        self.column = indent;
    }

    /// Emits `value`; `indent` is the indentation of the collection that holds it.
    fn node(&mut self, value: &Value, indent: usize, ctx: Ctx) {
        match value {
            Value::Object(map) if !map.is_empty() => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort_by(|a, b| natural_cmp(a, b));
                // Nested mappings start on a new line, two deeper; in a sequence item they
                // continue on the item's line.
                let inner = match ctx {
                    Ctx::Top => indent,
                    Ctx::MapValue => indent + 2,
                    Ctx::SeqItem => indent + 2,
                };
                for (i, k) in keys.iter().enumerate() {
                    let first_inline = i == 0 && ctx == Ctx::SeqItem;
                    if !first_inline && !(i == 0 && ctx == Ctx::Top && self.out.is_empty()) {
                        self.newline_indent(inner);
                    }
                    self.scalar_str(k, inner, true);
                    self.put(":");
                    let v = &map[k.as_str()];
                    match v {
                        Value::Array(a) if !a.is_empty() => {
                            // go-yaml does not indent a block sequence under its key.
                            self.node(v, inner, Ctx::MapValue);
                        }
                        Value::Object(m) if !m.is_empty() => self.node(v, inner, Ctx::MapValue),
                        _ => {
                            self.put(" ");
                            self.node(v, inner, Ctx::MapValue);
                        }
                    }
                }
            }
            Value::Array(items) if !items.is_empty() => {
                let inner = match ctx {
                    Ctx::Top | Ctx::MapValue => indent,
                    Ctx::SeqItem => indent + 2,
                };
                for (i, item) in items.iter().enumerate() {
                    let first_inline = i == 0 && ctx == Ctx::SeqItem;
                    if !first_inline && !(i == 0 && ctx == Ctx::Top && self.out.is_empty()) {
                        self.newline_indent(inner);
                    }
                    self.put("- ");
                    self.node(item, inner, Ctx::SeqItem);
                }
            }
            Value::Object(_) => self.put("{}"),
            Value::Array(_) => self.put("[]"),
            Value::Null => self.put("null"),
            Value::Bool(b) => self.put(if *b { "true" } else { "false" }),
            Value::Number(n) => {
                let text = number(n);
                self.put(&text);
            }
            Value::String(s) => {
                let block_indent = match ctx {
                    Ctx::Top => indent,
                    _ => indent + 2,
                };
                self.scalar_str(s, block_indent, false);
            }
        }
    }

    /// A string scalar; `indent` is where continuation lines and block content go.
    fn scalar_str(&mut self, s: &str, indent: usize, simple_key: bool) {
        let a = analyze(s);
        let resolves_to_other = !simple_key_plain_ok(s);
        let style = if s.contains('\n') {
            if !a.block_allowed || simple_key {
                Style::Double
            } else {
                Style::Literal
            }
        } else if !resolves_to_other {
            if !a.block_plain_allowed || (s.is_empty() && simple_key) {
                if a.single_quoted_allowed {
                    Style::Single
                } else {
                    Style::Double
                }
            } else {
                Style::Plain
            }
        } else {
            Style::Double
        };
        let allow_breaks = !simple_key;
        match style {
            Style::Plain => self.write_folding(s, indent, allow_breaks, false),
            Style::Single => {
                self.put("'");
                self.write_folding(s, indent, allow_breaks, true);
                self.put("'");
            }
            Style::Double => self.write_double(s, indent, allow_breaks),
            Style::Literal => self.write_literal(s, indent),
        }
    }

    fn write_folding(&mut self, s: &str, indent: usize, allow_breaks: bool, single: bool) {
        let chars: Vec<char> = s.chars().collect();
        let mut spaces = false;
        let mut buf = [0u8; 4];
        for (i, &c) in chars.iter().enumerate() {
            if c == ' ' {
                let next_space = chars.get(i + 1) == Some(&' ');
                let inner = if single {
                    i > 0 && i + 1 < chars.len()
                } else {
                    true
                };
                if allow_breaks && !spaces && self.column > BEST_WIDTH && inner && !next_space {
                    self.newline_indent(indent);
                } else {
                    self.put(" ");
                }
                spaces = true;
            } else {
                if single && c == '\'' {
                    self.put("''");
                } else {
                    self.put(c.encode_utf8(&mut buf));
                }
                spaces = false;
            }
        }
    }

    fn write_double(&mut self, s: &str, indent: usize, allow_breaks: bool) {
        self.put("\"");
        let chars: Vec<char> = s.chars().collect();
        let mut spaces = false;
        let mut buf = [0u8; 4];
        for (i, &c) in chars.iter().enumerate() {
            if !printable(c) || c == '"' || c == '\\' || c == '\u{feff}' || c == '\n' {
                let esc = match c {
                    '\0' => "\\0".to_string(),
                    '\u{7}' => "\\a".into(),
                    '\u{8}' => "\\b".into(),
                    '\t' => "\\t".into(),
                    '\n' => "\\n".into(),
                    '\u{b}' => "\\v".into(),
                    '\u{c}' => "\\f".into(),
                    '\r' => "\\r".into(),
                    '\u{1b}' => "\\e".into(),
                    '"' => "\\\"".into(),
                    '\\' => "\\\\".into(),
                    '\u{85}' => "\\N".into(),
                    '\u{a0}' => "\\_".into(),
                    '\u{2028}' => "\\L".into(),
                    '\u{2029}' => "\\P".into(),
                    c if (c as u32) <= 0xFF => format!("\\x{:02X}", c as u32),
                    c if (c as u32) <= 0xFFFF => format!("\\u{:04X}", c as u32),
                    c => format!("\\U{:08X}", c as u32),
                };
                self.put(&esc);
                spaces = false;
            } else if c == ' ' {
                if allow_breaks
                    && !spaces
                    && self.column > BEST_WIDTH
                    && i != 0
                    && i + 1 != chars.len()
                {
                    self.newline_indent(indent);
                    if chars.get(i + 1) == Some(&' ') {
                        self.put("\\");
                    }
                } else {
                    self.put(" ");
                }
                spaces = true;
            } else {
                self.put(c.encode_utf8(&mut buf));
                spaces = false;
            }
        }
        self.put("\"");
    }

    fn write_literal(&mut self, s: &str, indent: usize) {
        self.put("|");
        if s.starts_with(' ') || s.starts_with('\n') {
            self.put("2");
        }
        let bytes = s.as_bytes();
        let chomp = if !s.ends_with('\n') {
            "-"
        } else if bytes.len() == 1 || bytes[bytes.len() - 2] == b'\n' {
            "+"
        } else {
            ""
        };
        self.put(chomp);
        let mut breaks = true;
        // libyaml writes a line break after the header, then indents each non-empty line.
        self.out.push('\n');
        self.column = 0;
        let mut buf = [0u8; 4];
        for c in s.chars() {
            if c == '\n' {
                self.out.push('\n');
                self.column = 0;
                breaks = true;
            } else {
                if breaks {
                    self.out.extend(std::iter::repeat_n(' ', indent));
                    self.column = indent;
                }
                self.put(c.encode_utf8(&mut buf));
                breaks = false;
            }
        }
        // The next line starts fresh; trim the final newline the block already wrote.
        if self.out.ends_with('\n') {
            self.out.pop();
        }
    }
}

enum Style {
    Plain,
    Single,
    Double,
    Literal,
}

fn number(n: &serde_json::Number) -> String {
    if let Some(i) = n.as_i64() {
        return i.to_string();
    }
    if let Some(u) = n.as_u64() {
        return u.to_string();
    }
    let f = n.as_f64().unwrap_or(0.0);
    format_float_g(f)
}

/// Go's `strconv.FormatFloat(f, 'g', -1, 64)`, as go-yaml writes floats (whole floats such as
/// 1.0 print as `1`).
pub fn format_float_g(f: f64) -> String {
    if f.is_nan() {
        return ".nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 {
            "+.inf".into()
        } else {
            "-.inf".into()
        };
    }
    if f == 0.0 {
        return "0".into();
    }
    let exp = f.abs().log10().floor() as i32;
    if !(-4..21).contains(&exp) {
        let s = format!("{f:e}");
        let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
        let e: i32 = e.parse().unwrap_or(0);
        let sign = if e < 0 { '-' } else { '+' };
        return format!("{m}e{sign}{:02}", e.abs());
    }
    let s = format!("{f}");
    s
}

struct Analysis {
    block_plain_allowed: bool,
    single_quoted_allowed: bool,
    block_allowed: bool,
}

fn printable(c: char) -> bool {
    matches!(c as u32, 0x0A | 0x20..=0x7E | 0x85 | 0xA0..=0xD7FF | 0xE000..=0xFFFD | 0x10000..=0x10FFFF)
        && c != '\u{feff}'
}

/// libyaml's `yaml_emitter_analyze_scalar` (block context).
fn analyze(s: &str) -> Analysis {
    if s.is_empty() {
        return Analysis {
            block_plain_allowed: true,
            single_quoted_allowed: true,
            block_allowed: false,
        };
    }
    let chars: Vec<char> = s.chars().collect();
    let mut block_indicators = s.starts_with("---") || s.starts_with("...");
    let mut line_breaks = false;
    let mut special = false;
    let (mut leading_space, mut leading_break, mut trailing_space, mut trailing_break) =
        (false, false, false, false);
    let (mut break_space, mut space_break) = (false, false);
    let (mut previous_space, mut previous_break) = (false, false);
    let mut preceded_by_ws = true;
    let n = chars.len();
    for i in 0..n {
        let c = chars[i];
        let followed_by_ws = i + 1 >= n
            || matches!(
                chars[i + 1],
                ' ' | '\t' | '\n' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}'
            );
        if i == 0 {
            match c {
                '#' | ',' | '[' | ']' | '{' | '}' | '&' | '*' | '!' | '|' | '>' | '\'' | '"'
                | '%' | '@' | '`' => block_indicators = true,
                '?' | ':' | '-' if followed_by_ws => block_indicators = true,
                _ => {}
            }
        } else {
            match c {
                ':' if followed_by_ws => block_indicators = true,
                '#' if preceded_by_ws => block_indicators = true,
                _ => {}
            }
        }
        if !printable(c) {
            special = true;
        }
        let is_break = matches!(c, '\n' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}');
        if c == ' ' {
            if i == 0 {
                leading_space = true;
            }
            if i + 1 == n {
                trailing_space = true;
            }
            if previous_break {
                break_space = true;
            }
            previous_space = true;
            previous_break = false;
        } else if is_break {
            line_breaks = true;
            if i == 0 {
                leading_break = true;
            }
            if i + 1 == n {
                trailing_break = true;
            }
            if previous_space {
                space_break = true;
            }
            previous_space = false;
            previous_break = true;
        } else {
            previous_space = false;
            previous_break = false;
        }
        preceded_by_ws = matches!(
            c,
            ' ' | '\t' | '\n' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}'
        );
    }
    let mut a = Analysis {
        block_plain_allowed: true,
        single_quoted_allowed: true,
        block_allowed: true,
    };
    if leading_space || leading_break || trailing_space || trailing_break {
        a.block_plain_allowed = false;
    }
    if trailing_space {
        a.block_allowed = false;
    }
    if break_space {
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
    }
    if space_break || special {
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
        a.block_allowed = false;
    }
    if line_breaks || block_indicators {
        a.block_plain_allowed = false;
    }
    a
}

/// True when go-yaml's resolver would read the plain string back as a string (not a bool, null,
/// number, timestamp or base-60 float).
fn simple_key_plain_ok(s: &str) -> bool {
    !resolves_non_string(s)
}

fn resolves_non_string(s: &str) -> bool {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return true,
        "y" | "Y" | "yes" | "Yes" | "YES" | "n" | "N" | "no" | "No" | "NO" | "true" | "True"
        | "TRUE" | "false" | "False" | "FALSE" | "on" | "On" | "ON" | "off" | "Off" | "OFF" => {
            return true
        }
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" | "-.inf" | "-.Inf" | "-.INF"
        | ".nan" | ".NaN" | ".NAN" | "<<" => return true,
        _ => {}
    }
    let first = s.as_bytes()[0];
    if !(first.is_ascii_digit() || matches!(first, b'+' | b'-' | b'.')) {
        return false;
    }
    is_yaml_int(s) || is_yaml_float(s) || is_timestamp(s) || is_base60_float(s)
}

fn is_yaml_int(s: &str) -> bool {
    let plain = s.replace('_', "");
    let body = plain.strip_prefix(['+', '-']).unwrap_or(&plain);
    if body.is_empty() {
        return false;
    }
    if let Some(b) = body.strip_prefix("0b") {
        return !b.is_empty() && b.chars().all(|c| c == '0' || c == '1');
    }
    if let Some(h) = body.strip_prefix("0x") {
        return !h.is_empty() && h.chars().all(|c| c.is_ascii_hexdigit());
    }
    if body.chars().all(|c| c.is_ascii_digit()) {
        // Octal "0777" is an int too; any digit string is.
        return true;
    }
    // Base-60 ints such as 1:30 (YAML 1.1).
    let mut parts = body.split(':');
    let head = parts.next().unwrap_or("");
    !head.is_empty()
        && head.chars().all(|c| c.is_ascii_digit())
        && body.contains(':')
        && parts.all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()) && p.len() <= 2)
}

fn is_yaml_float(s: &str) -> bool {
    // Go's strconv.ParseFloat on the text with underscores removed, as go-yaml v2 does.
    let plain = s.replace('_', "");
    let body = plain.strip_prefix(['+', '-']).unwrap_or(&plain);
    if body.is_empty() {
        return false;
    }
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let digits_ok = {
        let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        let all = |p: &str| p.chars().all(|c| c.is_ascii_digit());
        all(int) && all(frac) && !(int.is_empty() && frac.is_empty())
    };
    let exp_ok = match exponent {
        None => true,
        Some(e) => {
            let e = e.strip_prefix(['+', '-']).unwrap_or(e);
            !e.is_empty() && e.chars().all(|c| c.is_ascii_digit())
        }
    };
    digits_ok && exp_ok
}

fn is_base60_float(s: &str) -> bool {
    // ^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    let (main, _frac) = body.split_once('.').unwrap_or((body, ""));
    let mut parts = main.split(':');
    let head = parts.next().unwrap_or("");
    if head.is_empty() || !head.starts_with(|c: char| c.is_ascii_digit()) || !main.contains(':') {
        return false;
    }
    head.chars().all(|c| c.is_ascii_digit() || c == '_')
        && parts.all(|p| {
            let b = p.as_bytes();
            match b.len() {
                1 => b[0].is_ascii_digit(),
                2 => (b'0'..=b'5').contains(&b[0]) && b[1].is_ascii_digit(),
                _ => false,
            }
        })
        && _frac.chars().all(|c| c.is_ascii_digit() || c == '_')
}

/// go-yaml's timestamp forms: `2006-01-02`, with `T`/`t`/space and a time, optional fraction and zone.
fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 10 || !(b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'-') {
        return false;
    }
    let formats = [
        "%Y-%m-%dT%H:%M:%S%.fZ",
        "%Y-%m-%dT%H:%M:%S%.f%:z",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%d",
    ];
    let _ = formats;
    if s.len() == 10 {
        return jiff::civil::Date::strptime("%Y-%m-%d", s).is_ok();
    }
    s.parse::<jiff::Timestamp>().is_ok()
        || jiff::civil::DateTime::strptime("%Y-%m-%d %H:%M:%S", s).is_ok()
        || jiff::civil::DateTime::strptime("%Y-%m-%dT%H:%M:%S", s).is_ok()
}

/// go-yaml v2's key order: digit runs compare numerically, a non-letter sorts before a letter.
pub fn natural_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    let ar: Vec<char> = a.chars().collect();
    let br: Vec<char> = b.chars().collect();
    let less = |x: &[char], y: &[char]| -> bool {
        let mut i = 0;
        while i < x.len() && i < y.len() {
            if x[i] == y[i] {
                i += 1;
                continue;
            }
            let al = x[i].is_alphabetic();
            let bl = y[i].is_alphabetic();
            if al && bl {
                return x[i] < y[i];
            }
            if al || bl {
                return bl;
            }
            let (mut an, mut bn): (i64, i64) = (0, 0);
            if x[i] == '0' || y[i] == '0' {
                let mut j = i;
                while j > 0 && x[j - 1].is_ascii_digit() {
                    j -= 1;
                    if x[j] != '0' {
                        an = 1;
                        bn = 1;
                        break;
                    }
                }
            }
            let mut ai = i;
            while ai < x.len() && x[ai].is_ascii_digit() {
                an = an.wrapping_mul(10).wrapping_add(x[ai] as i64 - '0' as i64);
                ai += 1;
            }
            let mut bi = i;
            while bi < y.len() && y[bi].is_ascii_digit() {
                bn = bn.wrapping_mul(10).wrapping_add(y[bi] as i64 - '0' as i64);
                bi += 1;
            }
            if an != bn {
                return an < bn;
            }
            if ai != bi {
                return ai < bi;
            }
            return x[i] < y[i];
        }
        x.len() < y.len()
    };
    if less(&ar, &br) {
        Ordering::Less
    } else if less(&br, &ar) {
        Ordering::Greater
    } else {
        Ordering::Equal
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn kubernetes_object_layout() {
        let v = json!({
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "web", "labels": {"app": "web"}, "creationTimestamp": "2026-01-01T00:00:00Z"},
            "spec": {"containers": [{"name": "web", "image": "nginx:1.25", "ports": [{"containerPort": 80}], "resources": {}}],
                     "volumes": []},
            "status": {}
        });
        assert_eq!(
            to_string(&v),
            "apiVersion: v1\nkind: Pod\nmetadata:\n  creationTimestamp: \"2026-01-01T00:00:00Z\"\n  labels:\n    app: web\n  name: web\nspec:\n  containers:\n  - image: nginx:1.25\n    name: web\n    ports:\n    - containerPort: 80\n    resources: {}\n  volumes: []\nstatus: {}\n"
        );
    }

    #[test]
    fn tricky_strings_are_quoted_like_go_yaml() {
        let cases = [
            ("yes", "\"yes\""),
            ("on", "\"on\""),
            ("1.0", "\"1.0\""),
            ("123", "\"123\""),
            ("", "\"\""),
            ("null", "\"null\""),
            (":", "':'"),
            ("#", "'#'"),
            ("a#b", "a#b"),
            ("a #b", "'a #b'"),
            (" lead", "' lead'"),
            ("trail ", "'trail '"),
            ("it's", "it's"),
            ("'q'", "'''q'''"),
            ("*", "'*'"),
            ("- x", "'- x'"),
            ("-x", "-x"),
            ("a: b", "'a: b'"),
            ("tab\there", "\"tab\\there\""),
            ("1:30", "\"1:30\""),
            ("2024-01-01", "\"2024-01-01\""),
            ("nginx:1.25", "nginx:1.25"),
            ("10.0.0.1", "10.0.0.1"),
            ("1e3", "\"1e3\""),
            ("0x1F", "\"0x1F\""),
            ("~", "\"~\""),
            ("{}", "'{}'"),
        ];
        for (input, want) in cases {
            assert_eq!(
                to_string(&json!({ "k": input })),
                format!("k: {want}\n"),
                "{input:?}"
            );
        }
    }

    #[test]
    fn multi_line_strings_are_literal_blocks() {
        assert_eq!(to_string(&json!({"k": "a\nb"})), "k: |-\n  a\n  b\n");
        assert_eq!(to_string(&json!({"k": "a\nb\n"})), "k: |\n  a\n  b\n");
        assert_eq!(
            to_string(&json!({"k": "a\n\nb\n\n"})),
            "k: |+\n  a\n\n  b\n\n"
        );
        assert_eq!(to_string(&json!({"k": "  a\nb"})), "k: |2-\n    a\n  b\n");
        assert_eq!(to_string(&json!({"k": "a \nb"})), "k: \"a \\nb\"\n");
        assert_eq!(
            to_string(&json!({"m": {"k": "x\ny\n"}})),
            "m:\n  k: |\n    x\n    y\n"
        );
        assert_eq!(to_string(&json!({"l": ["x\ny"]})), "l:\n- |-\n  x\n  y\n");
    }

    #[test]
    fn long_plain_strings_fold_past_column_80() {
        let words = "word ".repeat(30);
        let s = words.trim_end();
        let out = to_string(&json!({ "message": s }));
        let first = out.lines().next().unwrap();
        assert!(first.len() > 80 && first.len() <= 86, "{first}");
        assert!(out.lines().nth(1).unwrap().starts_with("  word"));
    }

    #[test]
    fn nested_sequences_and_maps_in_items() {
        let v = json!({"a": [[1, 2], {"x": 1, "y": [3]}, {}], "b": null, "c": true, "d": 1.5, "e": 2.0});
        assert_eq!(
            to_string(&v),
            "a:\n- - 1\n  - 2\n- x: 1\n  \"y\":\n  - 3\n- {}\nb: null\nc: true\nd: 1.5\ne: 2\n"
        );
    }

    #[test]
    fn keys_sort_naturally() {
        let mut keys = vec!["a10", "a2", "B", "a", "_x", "a-b", "ab"];
        keys.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(keys, ["_x", "B", "a", "a-b", "a2", "a10", "ab"]);
    }

    #[test]
    fn top_level_list() {
        assert_eq!(to_string(&json!([{"a": 1}, "b"])), "- a: 1\n- b\n");
    }
}
