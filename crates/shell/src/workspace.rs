//! The workspace: the editor's files, seen by the shell as its current directory (`$HOME`).

use std::collections::BTreeMap;

/// The learner's home directory, which is the workspace.
pub const HOME: &str = "/home/learner";

/// Longest file the workspace holds (the same limit as the files API).
pub const MAX_FILE_BYTES: usize = 1024 * 1024;

/// Most files the shell lets a workspace hold, and their total size: past these, writes fail
/// with "No space left on device", so a loop of redirections cannot grow a session without bound.
pub const MAX_FILES: usize = 500;
pub const MAX_WORKSPACE_BYTES: usize = 8 * 1024 * 1024;

pub type Files = BTreeMap<String, String>;

/// Whether `key` may grow by `added` bytes (creating it if needed) within the limits.
pub fn has_room(files: &Files, key: &str, added: usize) -> bool {
    let current = files.get(key).map_or(0, String::len);
    let total: usize = files.values().map(String::len).sum();
    (files.contains_key(key) || files.len() < MAX_FILES)
        && current + added <= MAX_FILE_BYTES
        && total + added <= MAX_WORKSPACE_BYTES
}

/// The message of a write that does not fit.
pub const NO_SPACE: &str = "No space left on device";

/// Why a path cannot be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PathError {
    /// Outside the workspace and not a file the shell knows of.
    NotFound,
    /// Outside the workspace, for writing.
    PermissionDenied,
    /// A directory where a file was expected.
    IsDirectory,
}

impl PathError {
    pub fn message(self) -> &'static str {
        match self {
            PathError::NotFound => "No such file or directory",
            PathError::PermissionDenied => "Permission denied",
            PathError::IsDirectory => "Is a directory",
        }
    }
}

/// The workspace key of a path as typed (`pod.yaml`, `./k8s/web.yaml`, `~/x`, `/home/learner/x`),
/// or `None` for the workspace root itself.
pub fn resolve(path: &str) -> Result<Option<String>, PathError> {
    resolve_in("", path)
}

/// [`resolve`] for a relative path typed in the workspace directory `cwd` (a key, `""` for the
/// root).
pub fn resolve_in(cwd: &str, path: &str) -> Result<Option<String>, PathError> {
    let joined;
    let rel = if let Some(rest) = path.strip_prefix(HOME) {
        if !(rest.is_empty() || rest.starts_with('/')) {
            return Err(PathError::NotFound);
        }
        rest.trim_start_matches('/')
    } else if let Some(rest) = path.strip_prefix('~') {
        if !(rest.is_empty() || rest.starts_with('/')) {
            return Err(PathError::NotFound);
        }
        rest.trim_start_matches('/')
    } else if path.starts_with('/') {
        return Err(PathError::NotFound);
    } else if cwd.is_empty() {
        path
    } else {
        joined = format!("{cwd}/{path}");
        &joined
    };
    let mut segments: Vec<&str> = Vec::new();
    for seg in rel.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                // Above the workspace is outside it.
                if segments.pop().is_none() {
                    return Err(PathError::NotFound);
                }
            }
            s => segments.push(s),
        }
    }
    if segments.is_empty() {
        return Ok(None);
    }
    let key = segments.join("/");
    if key.len() > 255 {
        return Err(PathError::NotFound);
    }
    Ok(Some(key))
}

/// Whether `key` is a directory of the workspace (some file lies under it).
pub fn is_dir(files: &Files, key: &str) -> bool {
    let prefix = format!("{key}/");
    files
        .range(prefix.clone()..)
        .next()
        .is_some_and(|(k, _)| k.starts_with(&prefix))
}

/// Reads a file for `cat`, `<` and friends.
pub fn read<'a>(files: &'a Files, cwd: &str, path: &str) -> Result<&'a str, PathError> {
    match resolve_in(cwd, path)? {
        None => Err(PathError::IsDirectory),
        Some(key) => match files.get(&key) {
            Some(text) => Ok(text),
            None if is_dir(files, &key) => Err(PathError::IsDirectory),
            None => Err(PathError::NotFound),
        },
    }
}

/// The workspace key a write to `path` goes to.
pub fn writable(files: &Files, cwd: &str, path: &str) -> Result<String, PathError> {
    match resolve_in(cwd, path) {
        Ok(Some(key)) if is_dir(files, &key) => Err(PathError::IsDirectory),
        Ok(Some(key)) => Ok(key),
        Ok(None) => Err(PathError::IsDirectory),
        Err(PathError::NotFound) if path.starts_with('/') => Err(PathError::PermissionDenied),
        Err(e) => Err(e),
    }
}

/// The entries directly inside a workspace directory (`None` = the root): files, and directories
/// with a trailing `/`.
pub fn list_dir(files: &Files, dir: Option<&str>) -> Vec<String> {
    let prefix = dir.map(|d| format!("{d}/")).unwrap_or_default();
    let mut out: Vec<String> = Vec::new();
    for key in files.keys().filter(|k| k.starts_with(&prefix)) {
        let rest = &key[prefix.len()..];
        let entry = match rest.split_once('/') {
            Some((d, _)) => format!("{d}/"),
            None => rest.to_string(),
        };
        if out.last() != Some(&entry) && !out.contains(&entry) {
            out.push(entry);
        }
    }
    out
}

/// Matches a shell glob (`*`, `?`) against a name.
pub fn glob_match(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    // Iterative matcher with one backtrack point: linear in practice, no recursion.
    let (mut pi, mut ni) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ni < n.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == n[ni]) {
            pi += 1;
            ni += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ni;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ni = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// Expands a glob against the workspace; no match leaves the word as typed (bash's default).
pub fn glob(files: &Files, cwd: &str, pattern: &str) -> Vec<String> {
    let (dir, leaf) = match pattern.rsplit_once('/') {
        Some((d, l)) => (Some(d), l),
        None => (None, pattern),
    };
    let dir_key = match resolve_in(cwd, dir.unwrap_or(".")) {
        Ok(k) => k,
        Err(_) => return vec![pattern.to_string()],
    };
    let mut matches: Vec<String> = list_dir(files, dir_key.as_deref())
        .into_iter()
        .map(|e| e.trim_end_matches('/').to_string())
        .filter(|e| !e.starts_with('.') || leaf.starts_with('.'))
        .filter(|e| glob_match(leaf, e))
        .map(|e| match dir {
            Some(d) => format!("{d}/{e}"),
            None => e,
        })
        .collect();
    matches.sort();
    if matches.is_empty() {
        vec![pattern.to_string()]
    } else {
        matches
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files() -> Files {
        [
            ("pod.yaml", "a"),
            ("k8s/web.yaml", "b"),
            ("k8s/db.yaml", "c"),
            ("Dockerfile", "d"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    #[test]
    fn paths_resolve_inside_the_workspace_only() {
        assert_eq!(resolve("./pod.yaml"), Ok(Some("pod.yaml".into())));
        assert_eq!(resolve("~/k8s//web.yaml"), Ok(Some("k8s/web.yaml".into())));
        assert_eq!(
            resolve("/home/learner/k8s/../pod.yaml"),
            Ok(Some("pod.yaml".into()))
        );
        assert_eq!(resolve("."), Ok(None));
        assert_eq!(resolve("../etc/passwd"), Err(PathError::NotFound));
        assert_eq!(resolve("/etc/passwd"), Err(PathError::NotFound));
        assert_eq!(resolve("/home/learnerx"), Err(PathError::NotFound));
        let f = files();
        assert_eq!(read(&f, "", "k8s"), Err(PathError::IsDirectory));
        assert_eq!(read(&f, "k8s", "web.yaml"), Ok("b"));
        assert_eq!(read(&f, "k8s", "../pod.yaml"), Ok("a"));
        assert_eq!(resolve_in("k8s", "~/pod.yaml"), Ok(Some("pod.yaml".into())));
        assert_eq!(writable(&f, "", "/etc/x"), Err(PathError::PermissionDenied));
    }

    #[test]
    fn listing_and_globs() {
        let f = files();
        assert_eq!(list_dir(&f, None), ["Dockerfile", "k8s/", "pod.yaml"]);
        assert_eq!(list_dir(&f, Some("k8s")), ["db.yaml", "web.yaml"]);
        assert_eq!(glob(&f, "", "*.yaml"), ["pod.yaml"]);
        assert_eq!(glob(&f, "", "k8s/*.yaml"), ["k8s/db.yaml", "k8s/web.yaml"]);
        assert_eq!(glob(&f, "k8s", "*.yaml"), ["db.yaml", "web.yaml"]);
        assert_eq!(glob(&f, "", "*.json"), ["*.json"]);
        assert!(glob_match("a*b?c", "axxbyc") && !glob_match("a*b", "ab c"));
        assert!(glob_match("*", "") && !glob_match("?", ""));
    }
}
