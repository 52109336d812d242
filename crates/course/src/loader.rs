//! Reading `lessons/` into a [`Course`], and every rule an author's lesson must follow.

use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};

use crate::model::{Course, Exercise, ExerciseKind, FileSpec, Lesson, LessonMeta};

/// A problem in the course content, with the file it is in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub file: PathBuf,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.file.display(), self.message)
    }
}

/// Loads the course, collecting every problem rather than stopping at the first.
pub fn load(dir: &Path) -> (Course, Vec<Problem>) {
    let mut problems = Vec::new();
    let mut lessons = Vec::new();
    let mut entries: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(rd) => rd.filter_map(|e| e.ok().map(|e| e.path())).collect(),
        Err(e) => {
            problems.push(Problem {
                file: dir.to_path_buf(),
                message: format!("cannot read the lessons directory: {e}"),
            });
            return (Course { lessons }, problems);
        }
    };
    entries.sort();
    for path in entries.into_iter().filter(|p| p.is_dir()) {
        if !path.join("lesson.md").is_file() {
            problems.push(Problem {
                file: path.clone(),
                message: "a lesson directory needs a lesson.md".into(),
            });
            continue;
        }
        if let Some(lesson) = load_lesson(&path, &mut problems) {
            lessons.push(lesson);
        }
    }
    if lessons.is_empty() {
        problems.push(Problem {
            file: dir.to_path_buf(),
            message: "no lessons found".into(),
        });
    }
    let mut ids = HashSet::new();
    for l in &lessons {
        for e in &l.exercises {
            if !ids.insert(e.id.clone()) {
                problems.push(Problem {
                    file: e.source.clone(),
                    message: format!("exercise id {:?} is used twice in the course", e.id),
                });
            }
        }
    }
    (Course { lessons }, problems)
}

/// Loads the course, failing on any problem (what the server does at start-up).
pub fn load_strict(dir: &Path) -> Result<Course, Vec<Problem>> {
    match load(dir) {
        (course, p) if p.is_empty() => Ok(course),
        (_, p) => Err(p),
    }
}

fn problem(problems: &mut Vec<Problem>, file: &Path, message: impl Into<String>) {
    problems.push(Problem {
        file: file.to_path_buf(),
        message: message.into(),
    });
}

/// Splits `---\n<yaml>\n---\n<markdown>`.
pub fn split_front_matter(text: &str) -> Option<(&str, &str)> {
    let rest = text.strip_prefix("---\n")?;
    let end = rest.find("\n---\n")?;
    Some((&rest[..end], &rest[end + 5..]))
}

fn load_lesson(dir: &Path, problems: &mut Vec<Problem>) -> Option<Lesson> {
    let md_path = dir.join("lesson.md");
    let text = match std::fs::read_to_string(&md_path) {
        Ok(t) => t,
        Err(e) => {
            problem(problems, &md_path, format!("cannot read: {e}"));
            return None;
        }
    };
    let Some((front, markdown)) = split_front_matter(&text) else {
        problem(
            problems,
            &md_path,
            "lesson.md must start with front matter (---, title, summary, ---)",
        );
        return None;
    };
    let meta: LessonMeta = match serde_yaml_ng::from_str(front) {
        Ok(m) => m,
        Err(e) => {
            problem(problems, &md_path, format!("front matter: {e}"));
            return None;
        }
    };
    check_markdown(dir, &md_path, markdown, problems);
    let mut exercises = Vec::new();
    let ex_dir = dir.join("exercises");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&ex_dir)
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"));
    files.sort();
    for path in files {
        if let Some(ex) = load_exercise(&path, problems) {
            exercises.push(ex);
        }
    }
    if exercises.is_empty() {
        problem(
            problems,
            &md_path,
            "every lesson needs at least one graded exercise (exercises/*.yaml)",
        );
    }
    Some(Lesson {
        id: dir
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned(),
        meta,
        markdown: markdown.to_string(),
        exercises,
        dir: dir.to_path_buf(),
    })
}

/// A fenced code block's info string: language and attributes (`sh run`, `yaml file=pod.yaml`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fence {
    pub lang: String,
    pub run: bool,
    pub file: Option<String>,
    pub body: String,
}

/// The fenced code blocks of a markdown text.
pub fn fences(markdown: &str) -> Vec<Fence> {
    let mut out = Vec::new();
    let mut current: Option<(Fence, String)> = None;
    for line in markdown.lines() {
        let trimmed = line.trim_start();
        match current.take() {
            None => {
                if let Some(info) = trimmed.strip_prefix("```") {
                    let mut words = info.split_whitespace();
                    let lang = words.next().unwrap_or_default().to_string();
                    let mut f = Fence {
                        lang,
                        run: false,
                        file: None,
                        body: String::new(),
                    };
                    for w in words {
                        if w == "run" {
                            f.run = true;
                        } else if let Some(name) = w.strip_prefix("file=") {
                            f.file = Some(name.to_string());
                        }
                    }
                    current = Some((f, String::new()));
                }
            }
            Some((mut f, mut body)) => {
                if trimmed.starts_with("```") {
                    f.body = body;
                    out.push(f);
                } else {
                    body.push_str(line);
                    body.push('\n');
                    current = Some((f, body));
                }
            }
        }
    }
    out
}

/// Relative link targets of a markdown text (`[text](target)`), web and anchor links left out.
pub fn relative_links(markdown: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_fence = false;
    for line in markdown.lines() {
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
            continue;
        }
        if in_fence {
            continue;
        }
        let mut rest = line;
        while let Some(i) = rest.find("](") {
            let after = &rest[i + 2..];
            let Some(end) = after.find(')') else { break };
            let target = after[..end].split('#').next().unwrap_or_default().trim();
            if !target.is_empty() && !target.contains("://") && !target.starts_with("mailto:") {
                out.push(target.to_string());
            }
            rest = &after[end..];
        }
    }
    out
}

fn check_markdown(dir: &Path, file: &Path, markdown: &str, problems: &mut Vec<Problem>) {
    let mut unclosed = markdown
        .lines()
        .filter(|l| l.trim_start().starts_with("```"))
        .count();
    unclosed %= 2;
    if unclosed == 1 {
        problem(problems, file, "a fenced code block is not closed");
    }
    for f in fences(markdown) {
        if f.run && !matches!(f.lang.as_str(), "sh" | "bash" | "shell") {
            problem(
                problems,
                file,
                format!(
                    "only shell blocks can be marked run (found ```{} run)",
                    f.lang
                ),
            );
        }
        if let Some(name) = &f.file {
            if !matches!(f.lang.as_str(), "yaml" | "yml") {
                problem(
                    problems,
                    file,
                    format!("file={name}: only YAML blocks can be loaded into the editor"),
                );
            }
            // Usually manifests, but values files and the like are YAML too: parsing is the rule.
            if let Err(e) = crate::yaml_documents(&f.body) {
                problem(problems, file, format!("file={name}: invalid YAML: {e}"));
            }
        }
    }
    for link in relative_links(markdown) {
        if !dir.join(&link).exists() {
            problem(problems, file, format!("broken link {link}"));
        }
    }
}

fn load_exercise(path: &Path, problems: &mut Vec<Problem>) -> Option<Exercise> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            problem(problems, path, format!("cannot read: {e}"));
            return None;
        }
    };
    let mut ex: Exercise = match serde_yaml_ng::from_str(&text) {
        Ok(e) => e,
        Err(e) => {
            problem(problems, path, e.to_string());
            return None;
        }
    };
    ex.source = path.to_path_buf();
    let base = path.parent().unwrap_or(Path::new("."));
    let before = problems.len();
    if ex.id.is_empty()
        || !ex
            .id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        problem(
            problems,
            path,
            format!(
                "exercise id {:?} must be lower-case letters, digits and dashes",
                ex.id
            ),
        );
    }
    if ex.hints.len() < 2 {
        problem(problems, path, "an exercise needs at least two hints");
    }
    if ex.solutions.is_empty() {
        problem(problems, path, "an exercise needs a solution");
    }
    if ex.checks.is_empty() {
        problem(problems, path, "an exercise needs at least one check");
    }
    if ex.pending.as_deref().is_some_and(|r| r.trim().is_empty()) {
        problem(
            problems,
            path,
            "pending needs a reason (the runtime feature it waits for)",
        );
    }
    for c in &ex.checks {
        for e in c.validate() {
            problem(problems, path, e);
        }
    }
    let questions: Vec<_> = ex.checks.iter().flat_map(|c| c.questions()).collect();
    let mut qids = BTreeSet::new();
    for q in &questions {
        if !qids.insert(q.id.clone()) {
            problem(
                problems,
                path,
                format!("question id {} is used twice", q.id),
            );
        }
    }
    if ex.kind == ExerciseKind::Quiz && questions.is_empty() {
        problem(problems, path, "a quiz needs questions");
    }
    resolve_files(base, path, &mut ex.setup.files, problems);
    for o in ex.setup.objects.clone() {
        match std::fs::read_to_string(base.join(&o)) {
            Ok(t) => match crate::yaml_documents(&t) {
                Ok(_) => ex.setup.objects_yaml.push(t),
                Err(e) => problem(
                    problems,
                    path,
                    format!("setup object {o}: invalid YAML: {e}"),
                ),
            },
            Err(_) => problem(
                problems,
                path,
                format!("setup object {o}: no such file beside the exercise"),
            ),
        }
    }
    for s in &mut ex.solutions {
        resolve_files(base, path, &mut s.files, problems);
    }
    for w in &mut ex.wrong {
        resolve_files(base, path, &mut w.files, problems);
    }
    (problems.len() == before).then_some(ex)
}

fn resolve_files(base: &Path, path: &Path, files: &mut [FileSpec], problems: &mut Vec<Problem>) {
    for f in files {
        match (&f.content, &f.from) {
            (Some(_), None) => {}
            (None, Some(from)) => match std::fs::read_to_string(base.join(from)) {
                Ok(t) => f.content = Some(t),
                Err(_) => problem(
                    problems,
                    path,
                    format!("file {}: {from} does not exist beside the exercise", f.path),
                ),
            },
            _ => problem(
                problems,
                path,
                format!("file {}: give exactly one of content or from", f.path),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn front_matter_and_fences() {
        let (front, body) = split_front_matter("---\ntitle: T\nsummary: S\n---\n# Hi\n").unwrap();
        assert_eq!(front, "title: T\nsummary: S");
        assert_eq!(body, "# Hi\n");
        assert!(split_front_matter("# no front matter").is_none());
        let f = fences(
            "text\n```sh run\nkubectl get pods\n```\n\n```yaml file=pod.yaml\nkind: Pod\n```\n",
        );
        assert_eq!(f.len(), 2);
        assert!(f[0].run && f[0].lang == "sh" && f[0].body == "kubectl get pods\n");
        assert_eq!(f[1].file.as_deref(), Some("pod.yaml"));
    }

    #[test]
    fn links_outside_code() {
        let l = relative_links("see [pods](../02-pods/lesson.md#top) and [k8s](https://kubernetes.io)\n```\n[x](nope)\n```\n");
        assert_eq!(l, ["../02-pods/lesson.md"]);
    }

    fn tmp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("course-loader-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn a_lesson_with_its_exercise_loads_and_mistakes_are_reported() {
        let root = tmp("ok");
        let l = root.join("01-intro");
        std::fs::create_dir_all(l.join("exercises/files")).unwrap();
        std::fs::write(l.join("lesson.md"), "---\ntitle: Intro\nsummary: S\n---\n```yaml file=p.yaml\napiVersion: v1\nkind: Pod\n```\n[next](missing.md)\n").unwrap();
        std::fs::write(l.join("exercises/a.yaml"), "id: intro-a\ntitle: A\ntask: do\nchecks: [{exists: {kind: Pod, name: p}}]\nhints: [one, two]\nsolutions: [{files: [{path: p.yaml, from: files/p.yaml}]}]\n").unwrap();
        std::fs::write(
            l.join("exercises/files/p.yaml"),
            "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n",
        )
        .unwrap();
        let (course, problems) = load(&root);
        assert_eq!(course.lessons.len(), 1);
        assert_eq!(course.lessons[0].meta.title, "Intro");
        let msgs: Vec<String> = problems.iter().map(|p| p.message.clone()).collect();
        assert_eq!(msgs, ["broken link missing.md"]);
        let (_, ex) = course.exercise("intro-a").unwrap();
        assert!(ex.solutions[0].files[0]
            .content
            .as_deref()
            .unwrap()
            .contains("kind: Pod"));
    }

    #[test]
    fn exercise_rules() {
        let root = tmp("bad");
        let l = root.join("01-intro");
        std::fs::create_dir_all(l.join("exercises")).unwrap();
        std::fs::write(
            l.join("lesson.md"),
            "---\ntitle: Intro\nsummary: S\n---\nbody\n",
        )
        .unwrap();
        std::fs::write(l.join("exercises/a.yaml"), "id: Bad_Id\ntitle: A\ntask: do\nchecks: []\nhints: [one]\nsolutions: []\npending: ' '\n").unwrap();
        let (_, problems) = load_strict(&root)
            .map(|c| (c, vec![]))
            .unwrap_or_else(|p| (Course { lessons: vec![] }, p));
        let msgs: Vec<String> = problems.iter().map(|p| p.message.clone()).collect();
        for want in [
            "must be lower-case",
            "two hints",
            "needs a solution",
            "at least one check",
            "pending needs a reason",
            "at least one graded exercise",
        ] {
            assert!(msgs.iter().any(|m| m.contains(want)), "{want}: {msgs:?}");
        }
    }
}
