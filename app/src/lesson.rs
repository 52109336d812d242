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
    pub exercises: Vec<Exercise>,
    /// The text, rendered by the server (`GET /api/lessons/rendered`).
    #[serde(skip)]
    pub rendered: Rendered,
}

/// One lesson's markdown rendered by the server.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct Rendered {
    #[serde(default)]
    pub segments: Vec<Segment>,
    /// Exercise id → task HTML.
    #[serde(default)]
    pub tasks: std::collections::BTreeMap<String, String>,
}

/// `GET /api/lessons` joined with `GET /api/lessons/rendered`.
async fn load_course() -> Result<Course, String> {
    let mut course: Course = serde_json::from_value(api::get_json("/api/lessons").await?)
        .map_err(|e| format!("unexpected course format: {e}"))?;
    let mut rendered: std::collections::BTreeMap<String, Rendered> =
        serde_json::from_value(api::get_json("/api/lessons/rendered").await?["lessons"].take())
            .map_err(|e| format!("unexpected lesson format: {e}"))?;
    for lesson in &mut course.lessons {
        lesson.rendered = rendered.remove(&lesson.id).unwrap_or_default();
    }
    Ok(course)
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct Exercise {
    pub id: String,
    pub title: String,
    /// `task`, `debug` or `quiz`.
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub task: String,
    /// How many hints there are (their text is revealed one by one by the server).
    #[serde(default)]
    pub hints: usize,
    #[serde(default)]
    pub questions: Vec<Question>,
    /// What the grader checks, by name.
    #[serde(default)]
    pub checks: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct Question {
    pub id: String,
    pub question: String,
    #[serde(default)]
    pub choices: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct Attempt {
    #[serde(default)]
    pub files: Vec<FileSpec>,
    #[serde(default)]
    pub commands: Vec<String>,
    #[serde(default)]
    pub answers: std::collections::BTreeMap<String, String>,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct FileSpec {
    pub path: String,
    #[serde(default)]
    pub content: Option<String>,
}

/// `GET /api/sessions/{id}/progress`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct Progress {
    #[serde(default)]
    pub exercises: std::collections::BTreeMap<String, ExerciseProgress>,
    #[serde(default)]
    pub active: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct ExerciseProgress {
    #[serde(default)]
    pub passed: bool,
    #[serde(default)]
    pub attempts: u32,
    #[serde(default)]
    pub hints_used: usize,
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

/// The learner's record, shared by the pane and its exercise cards.
pub type ProgressSignal = RwSignal<Progress>;

#[component]
pub fn LessonPane(session: String) -> impl IntoView {
    let course = RwSignal::new(None::<Result<Course, String>>);
    let current = RwSignal::new(0usize);
    let progress: ProgressSignal = RwSignal::new(Progress::default());
    {
        let session = session.clone();
        Effect::new(move |_| {
            let session = session.clone();
            leptos::task::spawn_local(async move {
                let result = load_course().await;
                let record = api::get_json(&format!("/api/sessions/{session}/progress"))
                    .await
                    .ok()
                    .and_then(|v| serde_json::from_value::<Progress>(v).ok())
                    .unwrap_or_default();
                // Come back to the lesson of the exercise in progress.
                if let (Ok(course), Some(active)) = (&result, &record.active) {
                    if let Some(i) = course
                        .lessons
                        .iter()
                        .position(|l| l.exercises.iter().any(|e| &e.id == active))
                    {
                        current.set(i);
                    }
                }
                progress.set(record);
                course.set(Some(result));
            });
        });
    }
    let session = StoredValue::new(session);

    view! {
        <section class="lesson pane" id="pane-lesson" aria-label="Lesson">
            <h2 class="pane-title">"Lesson"</h2>
            <div class="lesson-scroll">
                {move || match course.get() {
                    None => view! { <p class="muted">"Loading the course…"</p> }.into_any(),
                    Some(Err(e)) => view! {
                        <div class="notice">
                            <p>"The course is not available (" {e} ")."</p>
                            <p>"Meanwhile, try the terminal: " <code>"kubectl get nodes"</code></p>
                        </div>
                    }.into_any(),
                    Some(Ok(course)) if course.lessons.is_empty() => view! {
                        <p class="muted">"No lessons yet."</p>
                    }.into_any(),
                    Some(Ok(course)) => {
                        let total: usize = course.lessons.iter().map(|l| l.exercises.len()).sum();
                        let lessons = course.lessons.clone();
                        let count = lessons.len();
                        let titles = lessons.iter().enumerate().map(|(i, l)| {
                            view! { <option value=i.to_string() selected=move || current.get() == i>{format!("{}. {}", i + 1, l.title)}</option> }
                        }).collect_view();
                        view! {
                            <div class="course-nav">
                                <select aria-label="Choose a lesson"
                                    on:change=move |ev| current.set(event_target_value(&ev).parse().unwrap_or(0))>
                                    {titles}
                                </select>
                                <span class="progress" role="status" aria-label="Progress">
                                    {move || format!("{}/{} passed", progress.with(|p| p.exercises.values().filter(|e| e.passed).count()), total)}
                                </span>
                            </div>
                            {move || {
                                let lesson = lessons.get(current.get()).cloned().unwrap_or_default();
                                view! { <LessonText lesson=lesson session=session.get_value() progress=progress/> }
                            }}
                            <div class="lesson-nav">
                                <button class="button" disabled=move || current.get() == 0
                                    on:click=move |_| current.update(|c| *c = c.saturating_sub(1))>"← Previous"</button>
                                <button class="button" disabled=move || { current.get() + 1 >= count }
                                    on:click=move |_| current.update(|c| *c = (*c + 1).min(count - 1))>"Next →"</button>
                            </div>
                        }.into_any()
                    }
                }}
            </div>
        </section>
    }
}

#[component]
fn LessonText(lesson: Lesson, session: String, progress: ProgressSignal) -> impl IntoView {
    let segments = lesson.rendered.segments.clone();
    let tasks = lesson.rendered.tasks.clone();
    view! {
        <article class="lesson-text">
            {segments.into_iter().map(|segment| match segment {
                Segment::Html(html) => view! { <div inner_html=html></div> }.into_any(),
                Segment::Code { info, text } => view! { <CodeBlock info text/> }.into_any(),
            }).collect_view()}
            {lesson.exercises.into_iter().map(|exercise| {
                let task = tasks.get(&exercise.id).cloned().unwrap_or_default();
                view! { <ExerciseCard exercise task session=session.clone() progress/> }
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
    /// The task, as HTML rendered by the server.
    task: String,
    session: String,
    progress: ProgressSignal,
) -> impl IntoView {
    let result = RwSignal::new(None::<Result<CheckResult, String>>);
    let hints = RwSignal::new(Vec::<String>::new());
    let solution = RwSignal::new(None::<Result<Vec<Attempt>, String>>);
    let answers = RwSignal::new(std::collections::BTreeMap::<String, String>::new());
    let busy = RwSignal::new(false);
    let id = exercise.id.clone();
    let hint_count = exercise.hints;
    let base = format!("/api/sessions/{session}/exercises/{id}");
    let base = StoredValue::new(base);
    let id = StoredValue::new(id);
    let record = move || {
        progress.with(|p| {
            p.exercises
                .get(&id.get_value())
                .cloned()
                .unwrap_or_default()
        })
    };
    let tried = move || record().attempts > 0 || result.with(Option::is_some);

    // Hints already revealed (they survive a refresh).
    if hint_count > 0 {
        Effect::new(move |_| {
            leptos::task::spawn_local(async move {
                if let Ok(v) = api::get_json(&format!("{}/hints", base.get_value())).await {
                    hints.set(serde_json::from_value(v["hints"].clone()).unwrap_or_default());
                }
            });
        });
    }

    let start = move |_| {
        busy.set(true);
        leptos::task::spawn_local(async move {
            let r = api::post_json(
                &format!("{}/start", base.get_value()),
                &serde_json::json!({}),
            )
            .await;
            match r {
                Ok(v) => {
                    result.set(None);
                    // The exercise's files go into the editor.
                    let session = base
                        .get_value()
                        .split('/')
                        .nth(3)
                        .unwrap_or_default()
                        .to_string();
                    let files: Vec<String> =
                        serde_json::from_value(v["files"].clone()).unwrap_or_default();
                    for path in files {
                        if let Ok(text) =
                            api::get_text(&format!("/api/sessions/{session}/files/{path}")).await
                        {
                            expect_context::<EditorFiles>().load(&path, &text);
                        }
                    }
                    progress.update(|p| p.active = Some(id.get_value()));
                }
                Err(e) => result.set(Some(Err(e))),
            }
            busy.set(false);
        });
    };
    let check = move |_| {
        busy.set(true);
        leptos::task::spawn_local(async move {
            js::editor_saved().await;
            let body = serde_json::json!({ "answers": answers.get_untracked() });
            let r = api::post_json(&format!("{}/check", base.get_value()), &body)
                .await
                .and_then(|v| serde_json::from_value::<CheckResult>(v).map_err(|e| e.to_string()));
            if let Ok(r) = &r {
                progress.update(|p| {
                    let e = p.exercises.entry(id.get_value()).or_default();
                    e.attempts += 1;
                    e.passed |= r.passed;
                });
            }
            result.set(Some(r));
            busy.set(false);
        });
    };
    let hint = move |_: leptos::ev::MouseEvent| {
        leptos::task::spawn_local(async move {
            if let Ok(v) = api::post_json(
                &format!("{}/hint", base.get_value()),
                &serde_json::json!({}),
            )
            .await
            {
                hints.set(serde_json::from_value(v["hints"].clone()).unwrap_or_default());
            }
        });
    };
    let show_solution = move |_: leptos::ev::MouseEvent| {
        leptos::task::spawn_local(async move {
            let r = api::get_json(&format!("{}/solution", base.get_value()))
                .await
                .and_then(|v| {
                    serde_json::from_value::<Vec<Attempt>>(v["solutions"].clone())
                        .map_err(|e| e.to_string())
                });
            solution.set(Some(r));
        });
    };
    let questions = exercise.questions.clone();

    view! {
        <div class="exercise" role="region" aria-label=format!("Exercise: {}", exercise.title) data-exercise=id.get_value()>
            <h3>
                {move || if record().passed { "✓ " } else { "" }}
                {exercise.title.clone()}
                <span class="muted kind">{format!(" {}", exercise.kind)}</span>
            </h3>
            <div class="task" inner_html=task></div>
            {questions.into_iter().map(|q| {
                let qid = q.id.clone();
                view! {
                    <fieldset class="question">
                        <legend>{q.question.clone()}</legend>
                        {if q.choices.is_empty() {
                            let qid = qid.clone();
                            view! {
                                <input type="text" aria-label=q.question.clone()
                                    on:input=move |ev| { let v = event_target_value(&ev); answers.update(|a| { a.insert(qid.clone(), v); }); }/>
                            }.into_any()
                        } else {
                            q.choices.iter().map(|choice| {
                                let (qid, choice) = (qid.clone(), choice.clone());
                                let value = choice.clone();
                                view! {
                                    <label class="choice">
                                        <input type="radio" name=format!("{}-{}", id.get_value(), qid)
                                            on:change=move |_| answers.update(|a| { a.insert(qid.clone(), value.clone()); })/>
                                        {choice}
                                    </label>
                                }
                            }).collect_view().into_any()
                        }}
                    </fieldset>
                }
            }).collect_view()}
            <div class="exercise-actions">
                <button class="button" on:click=start disabled=move || busy.get()>
                    {move || if progress.with(|p| p.active.as_deref() == Some(id.get_value().as_str())) { "Reset" } else { "Start" }}
                </button>
                <button class="button primary" on:click=check disabled=move || busy.get()>"Check"</button>
                <button class="button" disabled=move || { hints.with(Vec::len) >= hint_count } on:click=hint>
                    {move || format!("Hint ({}/{})", hints.with(Vec::len), hint_count)}
                </button>
                <Show when=tried>
                    <button class="button" on:click=show_solution>"Solution"</button>
                </Show>
            </div>
            {move || result.get().map(|r| match r {
                Ok(r) => view! {
                    <div class=if r.passed { "checks passed" } else { "checks failed" } role="status" aria-label="Check result">
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
                Err(e) => view! { <div class="checks failed" role="status" aria-label="Check result">{e}</div> }.into_any(),
            })}
            <ol class="hints" aria-label="Hints">
                {move || hints.get().into_iter().map(|h| view! { <li inner_html=markdown::inline_html(&h)></li> }).collect_view()}
            </ol>
            {move || solution.get().map(|s| match s {
                Ok(attempts) => attempts.into_iter().take(1).map(|a| view! {
                    <div class="solution" aria-label="Solution">
                        {a.files.into_iter().map(|f| view! {
                            <CodeBlock info=format!("yaml {}", f.path) text=f.content.unwrap_or_default()/>
                        }).collect_view()}
                        {(!a.commands.is_empty()).then(|| view! { <CodeBlock info="sh".to_string() text=a.commands.join("\n")/> })}
                        {a.answers.into_iter().map(|(q, v)| view! { <p>{format!("{q}: {v}")}</p> }).collect_view()}
                    </div>
                }).collect_view().into_any(),
                Err(e) => view! { <p class="error">{e}</p> }.into_any(),
            })}
        </div>
    }
}
