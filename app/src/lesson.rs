//! The lesson pane: the course from `GET /api/lessons`, each lesson's text with runnable code
//! blocks, and its exercises (task, check with per-check feedback, hints one at a time, the
//! solution once the learner has tried, reset).

use leptos::prelude::*;
use serde::Deserialize;

use crate::editor::EditorFiles;
use crate::markdown::{self, CodeAction, Segment};
use crate::{api, js};

#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct Course {
    #[serde(default)]
    pub lessons: Vec<Lesson>,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct Lesson {
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub summary: String,
    #[serde(default)]
    pub markdown: String,
    #[serde(default)]
    pub exercises: Vec<Exercise>,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct Exercise {
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub task: String,
    #[serde(default)]
    pub hints: Vec<String>,
    #[serde(default)]
    pub solutions: Vec<Attempt>,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct Attempt {
    #[serde(default)]
    pub files: Vec<FileSpec>,
    #[serde(default)]
    pub commands: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct FileSpec {
    pub path: String,
    #[serde(default)]
    pub content: Option<String>,
}

/// `POST .../check`'s answer.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct CheckResult {
    pub passed: bool,
    #[serde(default)]
    pub checks: Vec<Check>,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct Check {
    pub name: String,
    pub passed: bool,
    #[serde(default)]
    pub message: String,
}

#[component]
pub fn LessonPane(session: String) -> impl IntoView {
    let course = RwSignal::new(None::<Result<Course, String>>);
    let current = RwSignal::new(0usize);
    let passed = RwSignal::new(std::collections::BTreeSet::<String>::new());
    Effect::new(move |_| {
        leptos::task::spawn_local(async move {
            let result = api::get_json("/api/lessons").await.and_then(|v| {
                serde_json::from_value::<Course>(v).map_err(|e| format!("unexpected course format: {e}"))
            });
            course.set(Some(result));
        });
    });
    let session = StoredValue::new(session);

    view! {
        <section class="lesson pane" aria-label="Lesson">
            <h2 class="pane-title">"Lesson"</h2>
            <div class="lesson-scroll">
                {move || match course.get() {
                    None => view! { <p class="muted">"Loading the course…"</p> }.into_any(),
                    Some(Err(e)) => view! {
                        <div class="notice">
                            <p>"The course is not available yet (" {e} ")."</p>
                            <p>"Meanwhile, try the terminal: " <code>"kubectl get nodes"</code></p>
                        </div>
                    }.into_any(),
                    Some(Ok(course)) if course.lessons.is_empty() => view! {
                        <p class="muted">"No lessons yet."</p>
                    }.into_any(),
                    Some(Ok(course)) => {
                        let total: usize = course.lessons.iter().map(|l| l.exercises.len()).sum();
                        let lessons = course.lessons.clone();
                        let titles = lessons.iter().enumerate().map(|(i, l)| {
                            view! { <option value=i.to_string() selected=move || current.get() == i>{l.title.clone()}</option> }
                        }).collect_view();
                        view! {
                            <div class="course-nav">
                                <label>
                                    <span class="visually-hidden">"Lesson"</span>
                                    <select aria-label="Choose a lesson"
                                        on:change=move |ev| current.set(event_target_value(&ev).parse().unwrap_or(0))>
                                        {titles}
                                    </select>
                                </label>
                                <span class="progress" aria-label="Progress">
                                    {move || format!("{}/{} exercises passed", passed.with(|p| p.len()), total)}
                                </span>
                            </div>
                            {move || {
                                let lesson = lessons.get(current.get()).cloned().unwrap_or_default();
                                view! { <LessonText lesson=lesson session=session.get_value() passed=passed/> }
                            }}
                        }.into_any()
                    }
                }}
            </div>
        </section>
    }
}

#[component]
fn LessonText(
    lesson: Lesson,
    session: String,
    passed: RwSignal<std::collections::BTreeSet<String>>,
) -> impl IntoView {
    let segments = markdown::segments(&lesson.markdown);
    view! {
        <article class="lesson-text">
            {segments.into_iter().map(|segment| match segment {
                Segment::Html(html) => view! { <div inner_html=html></div> }.into_any(),
                Segment::Code { info, text } => view! { <CodeBlock info text/> }.into_any(),
            }).collect_view()}
            {lesson.exercises.into_iter().map(|exercise| {
                view! { <ExerciseCard exercise session=session.clone() passed/> }
            }).collect_view()}
        </article>
    }
}

/// A code block with its "run" or "load" button.
#[component]
fn CodeBlock(info: String, text: String) -> impl IntoView {
    let action = Segment::action(&info, &text);
    let button = match action {
        CodeAction::Run => {
            let text = text.clone();
            Some(view! {
                <button class="button small" aria-label="Run in the terminal" on:click=move |_| {
                    for line in text.lines().map(|l| l.trim().trim_start_matches("$ ")) {
                        if !line.is_empty() && !line.starts_with('#') {
                            js::terminal_run(line);
                        }
                    }
                }>"Run"</button>
            }.into_any())
        }
        CodeAction::Load => {
            let (info, text) = (info.clone(), text.clone());
            Some(view! {
                <button class="button small" aria-label="Load into the editor" on:click=move |_| {
                    let files = expect_context::<EditorFiles>();
                    files.load(&markdown::file_name(&info, &text), &text);
                }>"Load"</button>
            }.into_any())
        }
        CodeAction::None => None,
    };
    view! {
        <div class="code-block">
            <pre class="code"><code>{text}</code></pre>
            {button}
        </div>
    }
}

#[component]
fn ExerciseCard(
    exercise: Exercise,
    session: String,
    passed: RwSignal<std::collections::BTreeSet<String>>,
) -> impl IntoView {
    let result = RwSignal::new(None::<Result<CheckResult, String>>);
    let hints_shown = RwSignal::new(0usize);
    let tried = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let id = exercise.id.clone();
    let base = format!("/api/sessions/{session}/exercises/{id}");
    let (start_url, check_url) = (format!("{base}/start"), format!("{base}/check"));
    let hints = exercise.hints.clone();
    let hint_count = hints.len();
    let solution = exercise.solutions.first().cloned();

    let start = move |_| {
        let url = start_url.clone();
        busy.set(true);
        leptos::task::spawn_local(async move {
            let r = api::post_json(&url, &serde_json::json!({})).await;
            result.set(r.err().map(Err));
            hints_shown.set(0);
            busy.set(false);
        });
    };
    let check = {
        let id = id.clone();
        move |_| {
            let (url, id) = (check_url.clone(), id.clone());
            busy.set(true);
            leptos::task::spawn_local(async move {
                js::editor_saved().await;
                let r = api::post_json(&url, &serde_json::json!({})).await.and_then(|v| {
                    serde_json::from_value::<CheckResult>(v).map_err(|e| e.to_string())
                });
                if let Ok(r) = &r {
                    if r.passed {
                        passed.update(|p| {
                            p.insert(id);
                        });
                    }
                }
                tried.set(true);
                result.set(Some(r));
                busy.set(false);
            });
        }
    };

    view! {
        <div class="exercise" role="region" aria-label=format!("Exercise: {}", exercise.title) data-exercise=id.clone()>
            <h3>{exercise.title.clone()}</h3>
            <div class="task" inner_html=markdown::to_html(&exercise.task)></div>
            <div class="exercise-actions">
                <button class="button" on:click=start disabled=move || busy.get()>"Start / reset"</button>
                <button class="button primary" on:click=check disabled=move || busy.get()>"Check"</button>
                <button class="button" disabled=move || hints_shown.get() >= hint_count
                    on:click=move |_| hints_shown.update(|n| *n += 1)>
                    {move || format!("Hint ({}/{})", hints_shown.get(), hint_count)}
                </button>
            </div>
            {move || result.get().map(|r| match r {
                Ok(r) => view! {
                    <div class=if r.passed { "checks passed" } else { "checks failed" } role="status">
                        <strong>{if r.passed { "Passed!" } else { "Not yet." }}</strong>
                        <ul>
                            {r.checks.into_iter().map(|c| view! {
                                <li class=if c.passed { "check ok" } else { "check failing" }>
                                    {if c.passed { "✓ " } else { "✗ " }} {c.name} {(!c.message.is_empty()).then(|| format!(": {}", c.message))}
                                </li>
                            }).collect_view()}
                        </ul>
                    </div>
                }.into_any(),
                Err(e) => view! { <div class="checks failed" role="status">{e}</div> }.into_any(),
            })}
            <ol class="hints">
                {move || hints.iter().take(hints_shown.get()).map(|h| view! {
                    <li inner_html=markdown::to_html(h)></li>
                }).collect_view()}
            </ol>
            {solution.map(|s| view! {
                <Show when=move || tried.get()>
                    <details class="solution">
                        <summary>"Show a solution"</summary>
                        {s.files.iter().map(|f| view! {
                            <CodeBlock info=format!("yaml {}", f.path) text=f.content.clone().unwrap_or_default()/>
                        }).collect_view()}
                        {(!s.commands.is_empty()).then(|| view! { <CodeBlock info="sh".to_string() text=s.commands.join("\n")/> })}
                    </details>
                </Show>
            })}
        </div>
    }
}
