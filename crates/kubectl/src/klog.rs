//! kubectl's log lines (klog): `E1122 10:53:30.160587   25350 portforward.go:424] message`, a
//! severity letter, the date and time in UTC, the process id right-aligned in 7 columns (the
//! emulation's is always 1), and where in kubectl's source the line was logged.

/// One klog line, newline included.
pub fn line(severity: char, now: jiff::Timestamp, location: &str, message: &str) -> String {
    let t = now.to_zoned(jiff::tz::TimeZone::UTC);
    format!(
        "{severity}{:02}{:02} {:02}:{:02}:{:02}.{:06} {:>7} {location}] {message}\n",
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.subsec_nanosecond() / 1000,
        1
    )
}

/// A structured value as klog writes it: Go-quoted, so quotes and backslashes are escaped.
pub fn quoted(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_has_klogs_header() {
        let now: jiff::Timestamp = "2026-11-22T00:12:38.819626Z".parse().unwrap();
        assert_eq!(
            line('W', now, "diff.go:723", "x"),
            "W1122 00:12:38.819626       1 diff.go:723] x\n"
        );
    }

    #[test]
    fn structured_values_are_go_quoted() {
        assert_eq!(quoted(r#"ns "x\y""#), r#""ns \"x\\y\"""#);
    }
}
