//! `k8s.io/client-go/util/jsonpath` as kubectl uses it (`AllowMissingKeys(true)`): templates with
//! literal text, `{.a.b}`, `[*]`, `[n]`, `[a:b]`, `..name`, `['key.with.dots']`, filters
//! `[?(@.x=="y")]`, `{range ...}{end}` and quoted strings such as `{"\n"}`.

use serde_json::Value;

/// A jsonpath template error, worded like client-go's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Error(pub String);

#[derive(Debug, Clone, PartialEq)]
enum Node {
    Text(String),
    Path(Vec<Step>),
    Range(Vec<Step>, Vec<Node>),
}

#[derive(Debug, Clone, PartialEq)]
enum Step {
    Field(String),
    Wildcard,
    Recursive(String),
    Index(i64),
    Slice(Option<i64>, Option<i64>),
    Filter(Vec<Step>, String, Option<Literal>),
}

#[derive(Debug, Clone, PartialEq)]
enum Literal {
    Str(String),
    Num(f64),
    Bool(bool),
}

/// A parsed template.
#[derive(Debug, Clone)]
pub struct JsonPath {
    nodes: Vec<Node>,
}

impl JsonPath {
    pub fn parse(template: &str) -> Result<JsonPath, Error> {
        let mut p = Parser {
            chars: template.chars().collect(),
            pos: 0,
        };
        let (nodes, end) = p.nodes(false)?;
        if end {
            return Err(Error("not in range, nothing to end".into()));
        }
        Ok(JsonPath { nodes })
    }

    /// Evaluates and prints like `JSONPath.Execute`: results of one expression separated by
    /// spaces; strings raw, numbers as Go prints float64, collections as compact JSON.
    pub fn execute(&self, data: &Value) -> Result<String, Error> {
        let mut out = String::new();
        exec_nodes(&self.nodes, data, &mut out)?;
        Ok(out)
    }

    /// The values of each expression, for custom columns.
    pub fn find_results<'a>(&self, data: &'a Value) -> Vec<Vec<&'a Value>> {
        self.nodes
            .iter()
            .filter_map(|n| match n {
                Node::Path(steps) => Some(eval(steps, data)),
                _ => None,
            })
            .collect()
    }
}

fn exec_nodes(nodes: &[Node], data: &Value, out: &mut String) -> Result<(), Error> {
    for node in nodes {
        match node {
            Node::Text(t) => out.push_str(t),
            Node::Path(steps) => {
                let results = eval(steps, data);
                for (i, v) in results.iter().enumerate() {
                    out.push_str(&text(v));
                    if i + 1 != results.len() {
                        out.push(' ');
                    }
                }
            }
            Node::Range(steps, body) => {
                for v in eval(steps, data) {
                    match v {
                        Value::Array(items) => {
                            for item in items {
                                exec_nodes(body, item, out)?;
                            }
                        }
                        other => exec_nodes(body, other, out)?,
                    }
                }
            }
        }
    }
    Ok(())
}

/// How jsonpath prints one value.
pub fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Object(_) | Value::Array(_) => super::json::to_compact(v),
        Value::Number(n) => go_float(n.as_f64().unwrap_or(0.0)),
        Value::Bool(b) => b.to_string(),
        Value::Null => String::new(),
    }
}

/// Go's `%v` of a float64 (shortest form, exponent outside 1e-4..1e21).
pub fn go_float(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e21 {
        return format!("{}", f as i128);
    }
    let abs = f.abs();
    if abs < 1e-4 || abs >= 1e21 {
        let s = format!("{f:e}");
        let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
        let e: i32 = e.parse().unwrap_or(0);
        return format!("{m}e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs());
    }
    format!("{f}")
}

/// Go's `fmt.Sprintf("%v", v)` of a decoded JSON value (custom-columns cells).
pub fn go_v(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => match n.as_i64() {
            Some(i) => i.to_string(),
            None => go_float(n.as_f64().unwrap_or(0.0)),
        },
        Value::Bool(b) => b.to_string(),
        Value::Null => "<nil>".into(),
        Value::Array(items) => {
            format!("[{}]", items.iter().map(go_v).collect::<Vec<_>>().join(" "))
        }
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            let parts: Vec<String> = keys
                .iter()
                .map(|k| format!("{k}:{}", go_v(&m[k.as_str()])))
                .collect();
            format!("map[{}]", parts.join(" "))
        }
    }
}

fn eval<'a>(steps: &[Step], data: &'a Value) -> Vec<&'a Value> {
    let mut cur: Vec<&'a Value> = vec![data];
    for step in steps {
        let mut next = Vec::new();
        for v in cur {
            apply(step, v, &mut next);
        }
        cur = next;
    }
    cur
}

fn apply<'a>(step: &Step, v: &'a Value, out: &mut Vec<&'a Value>) {
    match step {
        Step::Field(name) => {
            if let Some(x) = v.get(name.as_str()) {
                out.push(x);
            }
        }
        Step::Wildcard => match v {
            Value::Array(items) => out.extend(items.iter()),
            Value::Object(m) => {
                let mut keys: Vec<&String> = m.keys().collect();
                keys.sort();
                out.extend(keys.into_iter().map(|k| &m[k.as_str()]));
            }
            _ => {}
        },
        Step::Recursive(name) => recurse(name, v, out),
        Step::Index(i) => {
            if let Value::Array(items) = v {
                let len = items.len() as i64;
                let idx = if *i < 0 { len + i } else { *i };
                if (0..len).contains(&idx) {
                    out.push(&items[idx as usize]);
                }
            }
        }
        Step::Slice(a, b) => {
            if let Value::Array(items) = v {
                let len = items.len() as i64;
                let norm = |x: i64| if x < 0 { (len + x).max(0) } else { x.min(len) };
                let start = a.map_or(0, norm);
                let end = b.map_or(len, norm);
                if start < end {
                    out.extend(items[start as usize..end as usize].iter());
                }
            }
        }
        Step::Filter(path, op, lit) => {
            let items: Vec<&Value> = match v {
                Value::Array(items) => items.iter().collect(),
                other => vec![other],
            };
            for item in items {
                let found = eval(path, item);
                let keep = match (op.as_str(), lit) {
                    ("exists", _) => !found.is_empty(),
                    (op, Some(lit)) => found.first().is_some_and(|x| compare(x, op, lit)),
                    _ => false,
                };
                if keep {
                    out.push(item);
                }
            }
        }
    }
}

fn recurse<'a>(name: &str, v: &'a Value, out: &mut Vec<&'a Value>) {
    match v {
        Value::Object(m) => {
            if name == "*" {
                out.push(v);
            } else if let Some(x) = m.get(name) {
                out.push(x);
            }
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            for k in keys {
                recurse(name, &m[k.as_str()], out);
            }
        }
        Value::Array(items) => {
            for i in items {
                recurse(name, i, out);
            }
        }
        _ => {}
    }
}

fn compare(x: &Value, op: &str, lit: &Literal) -> bool {
    use std::cmp::Ordering;
    let ord = match (x, lit) {
        (Value::String(s), Literal::Str(l)) => s.as_str().cmp(l.as_str()),
        (Value::Number(n), Literal::Num(l)) => n
            .as_f64()
            .unwrap_or(0.0)
            .partial_cmp(l)
            .unwrap_or(Ordering::Less),
        (Value::Bool(b), Literal::Bool(l)) => b.cmp(l),
        _ => return op == "!=",
    };
    match op {
        "==" => ord == Ordering::Equal,
        "!=" => ord != Ordering::Equal,
        "<" => ord == Ordering::Less,
        ">" => ord == Ordering::Greater,
        "<=" => ord != Ordering::Greater,
        ">=" => ord != Ordering::Less,
        _ => false,
    }
}

struct Parser {
    chars: Vec<char>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    /// Parses nodes until the input ends or `{end}`; returns whether `{end}` was seen.
    fn nodes(&mut self, in_range: bool) -> Result<(Vec<Node>, bool), Error> {
        let mut nodes = Vec::new();
        let mut text = String::new();
        while let Some(c) = self.peek() {
            if c != '{' {
                text.push(c);
                self.pos += 1;
                continue;
            }
            if !text.is_empty() {
                nodes.push(Node::Text(std::mem::take(&mut text)));
            }
            self.pos += 1;
            let start = self.pos;
            let mut depth = 0;
            let mut quote: Option<char> = None;
            while let Some(c) = self.peek() {
                match (quote, c) {
                    (Some(q), c) if c == q => quote = None,
                    (Some(_), '\\') => self.pos += 1,
                    (Some(_), _) => {}
                    (None, '"') | (None, '\'') => quote = Some(c),
                    (None, '[') | (None, '(') => depth += 1,
                    (None, ']') | (None, ')') => depth -= 1,
                    (None, '}') if depth <= 0 => break,
                    _ => {}
                }
                self.pos += 1;
            }
            if self.peek() != Some('}') {
                return Err(Error("unclosed action".into()));
            }
            let inner: String = self.chars[start..self.pos].iter().collect();
            self.pos += 1;
            let inner = inner.trim();
            if inner == "end" {
                if !in_range {
                    return Err(Error("not in range, nothing to end".into()));
                }
                return Ok((nodes, true));
            }
            if let Some(rest) = inner.strip_prefix("range ") {
                let steps = parse_path(rest.trim())?;
                let (body, ended) = self.nodes(true)?;
                if !ended {
                    return Err(Error("unclosed range".into()));
                }
                nodes.push(Node::Range(steps, body));
                continue;
            }
            if inner.starts_with('"') && inner.ends_with('"') && inner.len() >= 2 {
                nodes.push(Node::Text(unquote(&inner[1..inner.len() - 1])));
                continue;
            }
            nodes.push(Node::Path(parse_path(inner)?));
        }
        if !text.is_empty() {
            nodes.push(Node::Text(text));
        }
        Ok((nodes, false))
    }
}

fn unquote(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some('r') => out.push('\r'),
                Some(o) => out.push(o),
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn parse_path(s: &str) -> Result<Vec<Step>, Error> {
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    let mut steps = Vec::new();
    if matches!(chars.first(), Some('$') | Some('@')) {
        i = 1;
    }
    while i < chars.len() {
        match chars[i] {
            '.' => {
                let recursive = chars.get(i + 1) == Some(&'.');
                i += if recursive { 2 } else { 1 };
                // `\.` keeps a dot inside a name (`kubernetes\.io/change-cause`).
                let mut name = String::new();
                while i < chars.len() && !matches!(chars[i], '.' | '[' | ' ' | ')') {
                    if chars[i] == '\\' && i + 1 < chars.len() {
                        name.push(chars[i + 1]);
                        i += 2;
                        continue;
                    }
                    name.push(chars[i]);
                    i += 1;
                }
                if recursive {
                    steps.push(Step::Recursive(name));
                } else if name == "*" {
                    steps.push(Step::Wildcard);
                } else if !name.is_empty() {
                    steps.push(Step::Field(name));
                }
            }
            '[' => {
                let start = i + 1;
                let mut depth = 0;
                let mut quote: Option<char> = None;
                let mut j = start;
                while j < chars.len() {
                    let c = chars[j];
                    match (quote, c) {
                        (Some(q), c) if c == q => quote = None,
                        (Some(_), _) => {}
                        (None, '"') | (None, '\'') => quote = Some(c),
                        (None, '[') | (None, '(') => depth += 1,
                        (None, ')') => depth -= 1,
                        (None, ']') if depth == 0 => break,
                        (None, ']') => depth -= 1,
                        _ => {}
                    }
                    j += 1;
                }
                if j >= chars.len() {
                    return Err(Error("unterminated array".into()));
                }
                let inner: String = chars[start..j].iter().collect();
                steps.push(parse_bracket(inner.trim())?);
                i = j + 1;
            }
            c if c.is_whitespace() => i += 1,
            _ => {
                // A bare field name at the start (`metadata.name` inside braces).
                let start = i;
                while i < chars.len() && !matches!(chars[i], '.' | '[') {
                    i += 1;
                }
                let name: String = chars[start..i].iter().collect();
                steps.push(Step::Field(name));
            }
        }
    }
    Ok(steps)
}

fn parse_bracket(inner: &str) -> Result<Step, Error> {
    if inner == "*" {
        return Ok(Step::Wildcard);
    }
    if let Some(f) = inner.strip_prefix("?(").and_then(|f| f.strip_suffix(')')) {
        for op in ["==", "!=", "<=", ">=", "<", ">"] {
            if let Some((lhs, rhs)) = f.split_once(op) {
                let rhs = rhs.trim();
                let lit = if (rhs.starts_with('"') && rhs.ends_with('"'))
                    || (rhs.starts_with('\'') && rhs.ends_with('\''))
                {
                    Literal::Str(rhs[1..rhs.len() - 1].to_string())
                } else if rhs == "true" || rhs == "false" {
                    Literal::Bool(rhs == "true")
                } else {
                    Literal::Num(
                        rhs.parse()
                            .map_err(|_| Error(format!("unrecognized filter value {rhs}")))?,
                    )
                };
                return Ok(Step::Filter(
                    parse_path(lhs.trim())?,
                    op.to_string(),
                    Some(lit),
                ));
            }
        }
        return Ok(Step::Filter(parse_path(f.trim())?, "exists".into(), None));
    }
    if (inner.starts_with('\'') && inner.ends_with('\''))
        || (inner.starts_with('"') && inner.ends_with('"'))
    {
        return Ok(Step::Field(inner[1..inner.len() - 1].to_string()));
    }
    if let Some((a, b)) = inner.split_once(':') {
        let num = |s: &str| -> Result<Option<i64>, Error> {
            let s = s.split(':').next().unwrap_or("").trim();
            if s.is_empty() {
                Ok(None)
            } else {
                s.parse()
                    .map(Some)
                    .map_err(|_| Error(format!("invalid array index {s}")))
            }
        };
        return Ok(Step::Slice(num(a)?, num(b)?));
    }
    inner
        .parse()
        .map(Step::Index)
        .map_err(|_| Error(format!("invalid array index {inner}")))
}

/// kubectl's `RelaxedJSONPathExpression` for custom columns: `.a.b` or `a.b` → `{.a.b}`.
pub fn relaxed(expr: &str) -> Result<String, Error> {
    if expr.starts_with('{') && expr.ends_with('}') {
        return Ok(expr.to_string());
    }
    let trimmed = expr.trim_start_matches('.');
    if expr.is_empty() {
        return Ok("{}".into());
    }
    Ok(format!("{{.{trimmed}}}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(t: &str, v: &Value) -> String {
        JsonPath::parse(t).unwrap().execute(v).unwrap()
    }

    #[test]
    fn escaped_dots_stay_in_the_name() {
        let d = json!({"metadata": {"annotations": {"kubernetes.io/change-cause": "why"}}});
        assert_eq!(
            run("{.metadata.annotations.kubernetes\\.io/change-cause}", &d),
            "why"
        );
    }

    #[test]
    fn fields_wildcards_and_ranges() {
        let list = json!({"items": [
            {"metadata": {"name": "a", "labels": {"app.kubernetes.io/name": "x"}}, "spec": {"replicas": 3},
             "status": {"conditions": [{"type": "Ready", "status": "True"}]}},
            {"metadata": {"name": "b"}, "spec": {"replicas": 1},
             "status": {"conditions": [{"type": "Ready", "status": "False"}]}}
        ]});
        assert_eq!(run("{.items[*].metadata.name}", &list), "a b");
        assert_eq!(
            run("{range .items[*]}{.metadata.name}{\"\\n\"}{end}", &list),
            "a\nb\n"
        );
        assert_eq!(run("{.items[0].spec.replicas}", &list), "3");
        assert_eq!(run("{.items[-1].metadata.name}", &list), "b");
        assert_eq!(run("{.items[0:1].metadata.name}", &list), "a");
        assert_eq!(
            run(
                "{.items[0].metadata.labels['app\\.kubernetes\\.io/name']}",
                &list
            ),
            ""
        );
        assert_eq!(
            run(
                "{.items[0].metadata.labels['app.kubernetes.io/name']}",
                &list
            ),
            "x"
        );
        assert_eq!(
            run("{.items[?(@.spec.replicas>2)].metadata.name}", &list),
            "a"
        );
        assert_eq!(
            run(
                "{.items[*].status.conditions[?(@.type==\"Ready\")].status}",
                &list
            ),
            "True False"
        );
        assert_eq!(run("{..name}", &list), "a b");
        assert_eq!(
            run("names: {.items[*].metadata.name}!", &list),
            "names: a b!"
        );
        assert_eq!(run("{.items[0].missing}", &list), "");
        assert_eq!(run("{.items[1].metadata}", &list), "{\"name\":\"b\"}");
    }

    #[test]
    fn errors_and_relaxed_expressions() {
        assert!(JsonPath::parse("{.a").is_err());
        assert!(JsonPath::parse("{end}").is_err());
        assert_eq!(relaxed(".metadata.name").unwrap(), "{.metadata.name}");
        assert_eq!(relaxed("metadata.name").unwrap(), "{.metadata.name}");
        assert_eq!(go_v(&json!({"b": 1, "a": [1, "x"]})), "map[a:[1 x] b:1]");
    }
}
