//! The shell's grammar: a small POSIX subset, parsed into lists of pipelines.
//!
//! Supported: single and double quotes, backslash escapes, `$VAR`/`${VAR}`/`$?` and `$(...)`
//! expansion, comments, pipes, `&&`, `||`, `;`, `&` and the redirections `>`, `>>`, `<`, `2>`,
//! `2>>`, `2>&1`, `&>`. Nothing here runs anything: a parsed line is plain data.

use std::fmt;

/// The longest line the shell accepts. Longer lines are refused before parsing, so hostile input
/// cannot make the parser or the expansions do unbounded work.
pub const MAX_LINE_BYTES: usize = 64 * 1024;

/// How deep `$(...)` may nest; deeper nesting is refused as a syntax error.
pub const MAX_SUBSTITUTION_DEPTH: usize = 8;

/// One piece of a word, before expansion.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Part {
    /// Text taken as written (after quote removal).
    Literal { text: String, quoted: bool },
    /// `$NAME`, `${NAME}` or `$?`.
    Var { name: String, quoted: bool },
    /// `$(line)`: the output of another line.
    Substitution { line: String, quoted: bool },
}

/// A shell word: parts glued together (`"$A"-x'y'` is one word of three parts).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Word {
    pub parts: Vec<Part>,
}

impl Word {
    pub fn literal(text: &str) -> Word {
        Word {
            parts: vec![Part::Literal {
                text: text.into(),
                quoted: false,
            }],
        }
    }

    /// The word's text if it has no expansions and no quotes (used to recognise assignments,
    /// aliases and keywords, which bash only recognises unquoted).
    pub fn plain(&self) -> Option<&str> {
        match self.parts.as_slice() {
            [Part::Literal {
                text,
                quoted: false,
            }] => Some(text),
            _ => None,
        }
    }

    /// Whether any part came from quotes (so `""` is an empty argument, not nothing).
    pub fn has_quotes(&self) -> bool {
        self.parts.iter().any(|p| match p {
            Part::Literal { quoted, .. }
            | Part::Var { quoted, .. }
            | Part::Substitution { quoted, .. } => *quoted,
        })
    }
}

/// Where a redirection sends (or takes) a stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// A workspace file (or `/dev/null`).
    File(Word),
    /// Another descriptor, as in `2>&1`.
    Fd(u8),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Redirect {
    /// 0 for `<`, 1 for `>`, 2 for `2>`.
    pub fd: u8,
    pub target: Target,
    pub append: bool,
}

/// A simple command: `NAME=value ... word... redirections...`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Command {
    pub assignments: Vec<(String, Word)>,
    pub words: Vec<Word>,
    pub redirects: Vec<Redirect>,
}

/// Commands joined by `|`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pipeline {
    pub commands: Vec<Command>,
}

/// What separates a pipeline from the next one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Separator {
    /// `;` or the end of the line.
    Then,
    /// `&&`
    And,
    /// `||`
    Or,
    /// `&`: run in the background and go on at once.
    Background,
}

/// A whole line: pipelines and what follows each.
pub type List = Vec<(Pipeline, Separator)>;

/// A line the shell cannot parse; the message is bash's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError(pub String);

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Token {
    Word(Word),
    Pipe,
    And,
    Or,
    Semi,
    Amp,
    Redirect { fd: u8, append: bool, dup: bool },
    RedirectIn,
    RedirectBoth { append: bool },
}

impl Token {
    fn describe(&self) -> String {
        match self {
            Token::Word(_) => "word".into(),
            Token::Pipe => "|".into(),
            Token::And => "&&".into(),
            Token::Or => "||".into(),
            Token::Semi => ";".into(),
            Token::Amp => "&".into(),
            Token::Redirect { append: true, .. } => ">>".into(),
            Token::Redirect { dup: true, .. } => ">&".into(),
            Token::Redirect { .. } => ">".into(),
            Token::RedirectIn => "<".into(),
            Token::RedirectBoth { .. } => "&>".into(),
        }
    }
}

/// Parses one line.
pub fn parse(line: &str) -> Result<List, SyntaxError> {
    parse_at_depth(line, 0)
}

fn parse_at_depth(line: &str, depth: usize) -> Result<List, SyntaxError> {
    if depth > MAX_SUBSTITUTION_DEPTH {
        return Err(SyntaxError(
            "bash: command substitution nested too deeply".into(),
        ));
    }
    let tokens = Lexer::new(line, depth).tokens()?;
    build(tokens)
}

fn unexpected(token: &str) -> SyntaxError {
    SyntaxError(format!(
        "bash: syntax error near unexpected token `{token}'"
    ))
}

fn build(tokens: Vec<Token>) -> Result<List, SyntaxError> {
    let mut list = List::new();
    let mut pipeline = Pipeline::default();
    let mut command = Command::default();
    let mut tokens = tokens.into_iter().peekable();
    // Whether the current command has anything in it (a word, assignment or redirection).
    let empty =
        |c: &Command| c.words.is_empty() && c.assignments.is_empty() && c.redirects.is_empty();
    while let Some(token) = tokens.next() {
        match token {
            Token::Word(w) => {
                if command.words.is_empty() {
                    if let Some((name, value)) = assignment(&w) {
                        command.assignments.push((name, value));
                        continue;
                    }
                }
                command.words.push(w);
            }
            Token::Redirect { fd, append, dup } => {
                let target = match tokens.next() {
                    Some(Token::Word(w)) if dup => {
                        match w.plain().and_then(|s| s.parse::<u8>().ok()) {
                            Some(n) if n <= 2 => Target::Fd(n),
                            _ => Target::File(w),
                        }
                    }
                    Some(Token::Word(w)) => Target::File(w),
                    Some(t) => return Err(unexpected(&t.describe())),
                    None => return Err(unexpected("newline")),
                };
                command.redirects.push(Redirect { fd, target, append });
            }
            Token::RedirectIn => match tokens.next() {
                Some(Token::Word(w)) => command.redirects.push(Redirect {
                    fd: 0,
                    target: Target::File(w),
                    append: false,
                }),
                Some(t) => return Err(unexpected(&t.describe())),
                None => return Err(unexpected("newline")),
            },
            Token::RedirectBoth { append } => match tokens.next() {
                Some(Token::Word(w)) => {
                    command.redirects.push(Redirect {
                        fd: 1,
                        target: Target::File(w),
                        append,
                    });
                    command.redirects.push(Redirect {
                        fd: 2,
                        target: Target::Fd(1),
                        append: false,
                    });
                }
                Some(t) => return Err(unexpected(&t.describe())),
                None => return Err(unexpected("newline")),
            },
            Token::Pipe => {
                if empty(&command) {
                    return Err(unexpected("|"));
                }
                pipeline.commands.push(std::mem::take(&mut command));
                if tokens.peek().is_none() {
                    // bash would prompt for the rest of the pipeline; one line has no rest.
                    return Err(SyntaxError(
                        "bash: syntax error: unexpected end of file".into(),
                    ));
                }
            }
            Token::And | Token::Or | Token::Semi | Token::Amp => {
                let separator = match token {
                    Token::And => Separator::And,
                    Token::Or => Separator::Or,
                    Token::Amp => Separator::Background,
                    _ => Separator::Then,
                };
                if empty(&command) {
                    return Err(unexpected(&token.describe()));
                }
                pipeline.commands.push(std::mem::take(&mut command));
                list.push((std::mem::take(&mut pipeline), separator));
                if matches!(separator, Separator::And | Separator::Or) && tokens.peek().is_none() {
                    return Err(SyntaxError(
                        "bash: syntax error: unexpected end of file".into(),
                    ));
                }
            }
        }
    }
    if !empty(&command) {
        pipeline.commands.push(command);
        list.push((pipeline, Separator::Then));
    }
    Ok(list)
}

/// `NAME=value` as the first words of a command.
fn assignment(w: &Word) -> Option<(String, Word)> {
    let Some(Part::Literal {
        text,
        quoted: false,
    }) = w.parts.first()
    else {
        return None;
    };
    let (name, rest) = text.split_once('=')?;
    if !is_name(name) {
        return None;
    }
    let mut value = Word::default();
    if !rest.is_empty() {
        value.parts.push(Part::Literal {
            text: rest.into(),
            quoted: false,
        });
    }
    value.parts.extend(w.parts[1..].iter().cloned());
    Some((name.to_string(), value))
}

/// A valid variable name: letters, digits and `_`, not starting with a digit.
pub fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}

struct Lexer<'a> {
    chars: std::iter::Peekable<std::str::CharIndices<'a>>,
    src: &'a str,
    depth: usize,
}

impl<'a> Lexer<'a> {
    fn new(src: &'a str, depth: usize) -> Lexer<'a> {
        Lexer {
            chars: src.char_indices().peekable(),
            src,
            depth,
        }
    }

    fn peek(&mut self) -> Option<char> {
        self.chars.peek().map(|(_, c)| *c)
    }

    fn next(&mut self) -> Option<char> {
        self.chars.next().map(|(_, c)| c)
    }

    fn tokens(mut self) -> Result<Vec<Token>, SyntaxError> {
        let mut out = Vec::new();
        loop {
            while matches!(self.peek(), Some(c) if c == ' ' || c == '\t' || c == '\r' || c == '\n')
            {
                self.next();
            }
            let Some(c) = self.peek() else { break };
            match c {
                '#' => break,
                '|' => {
                    self.next();
                    if self.peek() == Some('|') {
                        self.next();
                        out.push(Token::Or);
                    } else {
                        out.push(Token::Pipe);
                    }
                }
                '&' => {
                    self.next();
                    match self.peek() {
                        Some('&') => {
                            self.next();
                            out.push(Token::And);
                        }
                        Some('>') => {
                            self.next();
                            let append = self.peek() == Some('>');
                            if append {
                                self.next();
                            }
                            out.push(Token::RedirectBoth { append });
                        }
                        _ => out.push(Token::Amp),
                    }
                }
                ';' => {
                    self.next();
                    if self.peek() == Some(';') {
                        return Err(unexpected(";;"));
                    }
                    out.push(Token::Semi);
                }
                '>' => {
                    self.next();
                    out.push(self.redirect_out(1));
                }
                '<' => {
                    self.next();
                    out.push(Token::RedirectIn);
                }
                '(' | ')' => return Err(unexpected(&c.to_string())),
                '0'..='2' if self.digit_redirect() => {
                    let fd = self.next().and_then(|d| d.to_digit(10)).unwrap_or(1) as u8;
                    if self.peek() == Some('<') {
                        self.next();
                        out.push(Token::RedirectIn);
                    } else {
                        self.next();
                        out.push(self.redirect_out(fd));
                    }
                }
                _ => out.push(Token::Word(self.word()?)),
            }
        }
        Ok(out)
    }

    /// Whether a digit here starts `N>` or `N<` rather than a word.
    fn digit_redirect(&mut self) -> bool {
        let mut ahead = self.chars.clone();
        ahead.next();
        matches!(ahead.next(), Some((_, '>')) | Some((_, '<')))
    }

    /// After a `>`: `>>`, `>&N` or plain `>`.
    fn redirect_out(&mut self, fd: u8) -> Token {
        match self.peek() {
            Some('>') => {
                self.next();
                Token::Redirect {
                    fd,
                    append: true,
                    dup: false,
                }
            }
            Some('&') => {
                self.next();
                Token::Redirect {
                    fd,
                    append: false,
                    dup: true,
                }
            }
            Some('|') => {
                self.next();
                Token::Redirect {
                    fd,
                    append: false,
                    dup: false,
                }
            }
            _ => Token::Redirect {
                fd,
                append: false,
                dup: false,
            },
        }
    }

    fn word(&mut self) -> Result<Word, SyntaxError> {
        let mut word = Word::default();
        let mut lit = String::new();
        let flush = |lit: &mut String, word: &mut Word, quoted: bool| {
            if !lit.is_empty() || quoted {
                word.parts.push(Part::Literal {
                    text: std::mem::take(lit),
                    quoted,
                });
            }
        };
        while let Some(c) = self.peek() {
            match c {
                ' ' | '\t' | '\r' | '\n' | '|' | '&' | ';' | '<' | '>' | '(' | ')' => break,
                '\\' => {
                    self.next();
                    match self.next() {
                        Some(e) => lit.push(e),
                        None => {}
                    }
                }
                '\'' => {
                    self.next();
                    flush(&mut lit, &mut word, false);
                    let mut s = String::new();
                    loop {
                        match self.next() {
                            Some('\'') => break,
                            Some(ch) => s.push(ch),
                            None => {
                                return Err(SyntaxError(
                                    "bash: unexpected EOF while looking for matching `''".into(),
                                ))
                            }
                        }
                    }
                    word.parts.push(Part::Literal {
                        text: s,
                        quoted: true,
                    });
                }
                '"' => {
                    self.next();
                    flush(&mut lit, &mut word, false);
                    self.double_quoted(&mut word)?;
                }
                '$' => {
                    self.next();
                    match self.dollar(false)? {
                        Some(part) => {
                            flush(&mut lit, &mut word, false);
                            word.parts.push(part);
                        }
                        None => lit.push('$'),
                    }
                }
                '`' => {
                    return Err(SyntaxError(
                        "bash: backquote substitution is not supported here; use $(...)".into(),
                    ))
                }
                _ => {
                    self.next();
                    lit.push(c);
                }
            }
        }
        flush(&mut lit, &mut word, false);
        Ok(word)
    }

    fn double_quoted(&mut self, word: &mut Word) -> Result<(), SyntaxError> {
        let mut s = String::new();
        let mut pushed_any = false;
        loop {
            match self.next() {
                Some('"') => break,
                Some('\\') => match self.peek() {
                    Some(e @ ('"' | '\\' | '$' | '`')) => {
                        self.next();
                        s.push(e);
                    }
                    _ => s.push('\\'),
                },
                Some('$') => match self.dollar(true)? {
                    Some(part) => {
                        if !s.is_empty() {
                            word.parts.push(Part::Literal {
                                text: std::mem::take(&mut s),
                                quoted: true,
                            });
                        }
                        word.parts.push(part);
                        pushed_any = true;
                    }
                    None => s.push('$'),
                },
                Some(ch) => s.push(ch),
                None => {
                    return Err(SyntaxError(
                        "bash: unexpected EOF while looking for matching `\"'".into(),
                    ))
                }
            }
        }
        if !s.is_empty() || !pushed_any {
            word.parts.push(Part::Literal {
                text: s,
                quoted: true,
            });
        }
        Ok(())
    }

    /// After a `$`: a variable, `${...}`, `$?` or `$(...)`; `None` when the `$` is literal.
    fn dollar(&mut self, quoted: bool) -> Result<Option<Part>, SyntaxError> {
        match self.peek() {
            Some('?') => {
                self.next();
                Ok(Some(Part::Var {
                    name: "?".into(),
                    quoted,
                }))
            }
            Some('{') => {
                self.next();
                let mut name = String::new();
                loop {
                    match self.next() {
                        Some('}') => break,
                        Some(ch) => name.push(ch),
                        None => {
                            return Err(SyntaxError(
                                "bash: unexpected EOF while looking for matching `}'".into(),
                            ))
                        }
                    }
                }
                if !is_name(&name) && name != "?" {
                    return Err(SyntaxError(format!("bash: ${{{name}}}: bad substitution")));
                }
                Ok(Some(Part::Var { name, quoted }))
            }
            Some('(') => {
                self.next();
                let start = self.chars.peek().map_or(self.src.len(), |(i, _)| *i);
                let end = self.matching_paren()?;
                let line = self.src[start..end].to_string();
                // Parse now so that errors inside are reported for the whole line.
                parse_at_depth(&line, self.depth + 1)?;
                Ok(Some(Part::Substitution { line, quoted }))
            }
            Some(c) if c == '_' || c.is_ascii_alphabetic() => {
                let mut name = String::new();
                while let Some(c) = self.peek() {
                    if c == '_' || c.is_ascii_alphanumeric() {
                        name.push(c);
                        self.next();
                    } else {
                        break;
                    }
                }
                Ok(Some(Part::Var { name, quoted }))
            }
            _ => Ok(None),
        }
    }

    /// Consumes up to the `)` closing a `$(`, honouring quotes; returns its byte offset.
    fn matching_paren(&mut self) -> Result<usize, SyntaxError> {
        let mut depth = 1usize;
        let mut quote: Option<char> = None;
        while let Some((i, c)) = self.chars.next() {
            match (quote, c) {
                (Some(q), c) if c == q => quote = None,
                (Some('"'), '\\') => {
                    self.chars.next();
                }
                (Some(_), _) => {}
                (None, '\'' | '"') => quote = Some(c),
                (None, '\\') => {
                    self.chars.next();
                }
                (None, '(') => depth += 1,
                (None, ')') => {
                    depth -= 1;
                    if depth == 0 {
                        return Ok(i);
                    }
                }
                _ => {}
            }
        }
        Err(SyntaxError(
            "bash: unexpected EOF while looking for matching `)'".into(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<Vec<Word>> {
        parse(line)
            .unwrap()
            .into_iter()
            .flat_map(|(p, _)| p.commands.into_iter().map(|c| c.words))
            .collect()
    }

    fn lit(s: &str, quoted: bool) -> Part {
        Part::Literal {
            text: s.into(),
            quoted,
        }
    }

    #[test]
    fn quotes_and_escapes_make_single_words() {
        let w = words(r#"echo 'a b' "c d" e\ f"#);
        assert_eq!(w[0].len(), 4);
        assert_eq!(w[0][1].parts, [lit("a b", true)]);
        assert_eq!(w[0][2].parts, [lit("c d", true)]);
        assert_eq!(w[0][3].parts, [lit("e f", false)]);
        let w = words(r#"echo "say \"hi\" \n" 'it''s'"#);
        assert_eq!(w[0][1].parts, [lit("say \"hi\" \\n", true)]);
        assert_eq!(w[0][2].parts, [lit("it", true), lit("s", true)]);
    }

    #[test]
    fn variables_and_substitutions() {
        let w = words(r#"echo $HOME "${NS}-x" $? $(kubectl get pods -o name | head -1) $ cost\$5"#);
        assert_eq!(
            w[0][1].parts,
            [Part::Var {
                name: "HOME".into(),
                quoted: false
            }]
        );
        assert_eq!(
            w[0][2].parts,
            [
                Part::Var {
                    name: "NS".into(),
                    quoted: true
                },
                lit("-x", true)
            ]
        );
        assert_eq!(
            w[0][3].parts,
            [Part::Var {
                name: "?".into(),
                quoted: false
            }]
        );
        assert_eq!(
            w[0][4].parts,
            [Part::Substitution {
                line: "kubectl get pods -o name | head -1".into(),
                quoted: false
            }]
        );
        assert_eq!(w[0][5].parts, [lit("$", false)]);
        assert_eq!(w[0][6].parts, [lit("cost$5", false)]);
    }

    #[test]
    fn operators_split_pipelines() {
        let list = parse("a | b && c || d; e & f").unwrap();
        let seps: Vec<_> = list.iter().map(|(_, s)| *s).collect();
        assert_eq!(
            seps,
            [
                Separator::And,
                Separator::Or,
                Separator::Then,
                Separator::Background,
                Separator::Then
            ]
        );
        assert_eq!(list[0].0.commands.len(), 2);
        // Operators need no spaces around them.
        assert_eq!(parse("a|b&&c").unwrap().len(), 2);
    }

    #[test]
    fn redirections() {
        let list = parse("kubectl get pods > out.txt 2>&1 >> log 2>/dev/null < in").unwrap();
        let c = &list[0].0.commands[0];
        assert_eq!(c.words.len(), 3);
        assert_eq!(
            c.redirects,
            [
                Redirect {
                    fd: 1,
                    target: Target::File(Word::literal("out.txt")),
                    append: false
                },
                Redirect {
                    fd: 2,
                    target: Target::Fd(1),
                    append: false
                },
                Redirect {
                    fd: 1,
                    target: Target::File(Word::literal("log")),
                    append: true
                },
                Redirect {
                    fd: 2,
                    target: Target::File(Word::literal("/dev/null")),
                    append: false
                },
                Redirect {
                    fd: 0,
                    target: Target::File(Word::literal("in")),
                    append: false
                },
            ]
        );
        // A digit not followed by `>` is an ordinary word.
        assert_eq!(words("head -n 2")[0].len(), 3);
    }

    #[test]
    fn assignments_and_comments() {
        let list = parse("A=1 B='x y' env # a comment | not a pipe").unwrap();
        let c = &list[0].0.commands[0];
        assert_eq!(c.assignments.len(), 2);
        assert_eq!(c.assignments[1].1.parts, [lit("x y", true)]);
        assert_eq!(c.words, [Word::literal("env")]);
        // Only leading words are assignments; `#` inside a word is not a comment.
        let w = words("echo a=b c#d");
        assert_eq!(w[0].len(), 3);
        assert!(parse("# only a comment").unwrap().is_empty());
    }

    #[test]
    fn syntax_errors_are_bash_messages() {
        assert_eq!(
            parse("| grep x").unwrap_err().0,
            "bash: syntax error near unexpected token `|'"
        );
        assert_eq!(
            parse("a && && b").unwrap_err().0,
            "bash: syntax error near unexpected token `&&'"
        );
        assert_eq!(
            parse("echo 'open").unwrap_err().0,
            "bash: unexpected EOF while looking for matching `''"
        );
        assert_eq!(
            parse("echo \"open").unwrap_err().0,
            "bash: unexpected EOF while looking for matching `\"'"
        );
        assert_eq!(
            parse("echo >").unwrap_err().0,
            "bash: syntax error near unexpected token `newline'"
        );
        assert_eq!(
            parse("echo $(ls").unwrap_err().0,
            "bash: unexpected EOF while looking for matching `)'"
        );
        assert!(parse("a |").is_err());
        assert!(parse("a &&").is_err());
    }

    #[test]
    fn deep_substitution_is_refused() {
        let line = format!("{}x{}", "$(echo ".repeat(40), ")".repeat(40));
        assert!(parse(&line).is_err());
        let ok = format!("{}x{}", "$(echo ".repeat(3), ")".repeat(3));
        assert!(parse(&ok).is_ok());
    }
}
