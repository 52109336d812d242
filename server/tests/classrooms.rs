//! A class of 30 through the public API: join, work on real exercises of the course, the
//! instructor's dashboard and actions, a server restart; on SQLite and on PostgreSQL.

mod storage;

use std::time::Duration;

use axum::http::{header, Method, StatusCode};
use futures_util::StreamExt;
use serde_json::{json, Value};
use storage::{call, config, put_file, shell, Backend, Postgres, Reply, TempDir};

const LEARNERS: usize = 30;

struct Learner {
    id: String,
    token: String,
    name: String,
}

fn course() -> course::Course {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../lessons");
    course::loader::load(&dir).0
}

async fn post(app: &axum::Router, path: &str, token: Option<&str>, body: Value) -> Reply {
    call(app, Method::POST, path, token, Some(body)).await
}

async fn get(app: &axum::Router, path: &str, token: Option<&str>) -> Reply {
    call(app, Method::GET, path, token, None).await
}

async fn check(app: &axum::Router, l: &Learner, exercise: &str, body: Value) -> Value {
    let r = post(
        app,
        &format!("/api/sessions/{}/exercises/{exercise}/check", l.id),
        Some(&l.token),
        body,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.json()
}

/// The dashboard without what may legitimately differ between two reads.
fn stable(mut dashboard: Value) -> Value {
    dashboard["classroom"]
        .as_object_mut()
        .unwrap()
        .remove("presenter_session");
    dashboard
}

async fn a_class_of_thirty(backend: Backend) {
    let course = course();
    let (quiz_lesson, quiz) = course.exercise("architecture-quiz").unwrap();
    let (pods_lesson, first_pod) = course.exercise("first-pod").unwrap();
    let answers = json!(quiz.solutions[0].answers);
    let wrong = &first_pod.wrong[0];
    assert_eq!(wrong.name, "image without a tag");

    let dir = TempDir::new("wh-class");
    let state = server::AppState::open(config(dir.path(), &backend, "one"))
        .await
        .unwrap();
    let app = server::app(state.clone());

    // The instructor creates a class of the first two lessons' exercises.
    let r = post(
        &app,
        "/api/classrooms",
        None,
        json!({"title": "Kubernetes, day 1", "lessons": [quiz_lesson.id, pods_lesson.id], "size_limit": LEARNERS}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let class = r.json();
    let class_id = class["id"].as_str().unwrap().to_string();
    let code = class["join_code"].as_str().unwrap().to_string();
    let teacher = class["instructor_token"].as_str().unwrap().to_string();
    assert_eq!(class["join_url"], format!("/join?code={code}"));
    assert_eq!(
        class["instructor_url"],
        format!("/classrooms/{class_id}#token={teacher}")
    );

    // Thirty learners join with the code (as typed: lower case, spaces) and a name.
    let mut learners = Vec::new();
    for i in 0..LEARNERS {
        let name = format!("Learner {i:02}");
        let r = post(
            &app,
            "/api/classrooms/join",
            None,
            json!({"code": format!(" {} ", code.to_lowercase()), "name": name}),
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let v = r.json();
        let cookie = r.headers[header::SET_COOKIE].to_str().unwrap();
        assert!(cookie.starts_with(&format!(
            "wheelhouse_session={}.",
            v["id"].as_str().unwrap()
        )));
        assert_eq!(v["classroom"]["title"], "Kubernetes, day 1");
        learners.push(Learner {
            id: v["id"].as_str().unwrap().to_string(),
            token: v["token"].as_str().unwrap().to_string(),
            name,
        });
    }
    let r = post(
        &app,
        "/api/classrooms/join",
        None,
        json!({"code": code, "name": "Late"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert_eq!(r.json()["error"], "this class is full (30 learners)");

    // Everyone passes the quiz. Learners 0-19 try the pod exercise with the known-wrong
    // attempt (0-9 three times: stuck), 0-9 also take a hint; 20-29 have not started it.
    for (i, l) in learners.iter().enumerate() {
        assert_eq!(
            check(&app, l, &quiz.id, json!({"answers": answers})).await["passed"],
            true
        );
        if i >= 20 {
            continue;
        }
        let r = post(
            &app,
            &format!("/api/sessions/{}/exercises/first-pod/start", l.id),
            Some(&l.token),
            json!({}),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        for f in &wrong.files {
            put_file(
                &app,
                &l.id,
                &l.token,
                &f.path,
                f.content.as_deref().unwrap(),
            )
            .await;
        }
        for line in &wrong.commands {
            shell(&app, &l.id, &l.token, line).await;
        }
        let tries = if i < 10 { 3 } else { 1 };
        for _ in 0..tries {
            let grade = check(&app, l, "first-pod", json!({})).await;
            assert_eq!(grade["passed"], false);
        }
        if i < 10 {
            let r = post(
                &app,
                &format!("/api/sessions/{}/exercises/first-pod/hint", l.id),
                Some(&l.token),
                json!({}),
            )
            .await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        }
    }

    // Only the instructor token opens the dashboard.
    let progress_path = format!("/api/classrooms/{class_id}/progress");
    assert_eq!(
        get(&app, &progress_path, None).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        get(&app, &progress_path, Some(&learners[0].token))
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let r = get(&app, &progress_path, Some(&teacher)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let d = r.json();
    assert_eq!(d["learners"].as_array().unwrap().len(), LEARNERS);
    let exercises: Vec<&str> = d["exercises"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap())
        .collect();
    let expected: Vec<&str> = [quiz_lesson, pods_lesson]
        .iter()
        .flat_map(|l| l.exercises.iter().map(|e| e.id.as_str()))
        .collect();
    assert_eq!(exercises, expected);
    assert_eq!(
        d["summary"][&quiz.id],
        json!({"passed": 30, "working": 0, "not_started": 0, "stuck": 0})
    );
    assert_eq!(
        d["summary"]["first-pod"],
        json!({"passed": 0, "working": 20, "not_started": 10, "stuck": 10})
    );
    let row = |i: usize| d["learners"][i].clone();
    assert_eq!(row(0)["name"], "Learner 00");
    assert_eq!(
        row(0)["exercises"]["first-pod"]["attempts"],
        3,
        "{}",
        row(0)
    );
    assert_eq!(row(0)["exercises"]["first-pod"]["hints"], 1);
    assert_eq!(row(0)["stuck"], true);
    assert_eq!(row(15)["exercises"]["first-pod"]["status"], "working");
    assert_eq!(row(15)["stuck"], false);
    assert_eq!(row(25)["exercises"]["first-pod"]["status"], "not_started");
    assert_eq!(row(25)["passed"], 1);
    assert_eq!(d["stuck"].as_array().unwrap().len(), 10);
    let worst = &d["most_common_failing_check"];
    assert_eq!(worst["exercise"], "first-pod");
    assert_eq!(worst["learners"], 20, "{worst}");
    // It is a check that the wrong attempt fails, by the grader's own name.
    let failing = check(&app, &learners[0], "first-pod", json!({})).await;
    let names: Vec<&str> = failing["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["passed"] == false)
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&worst["check"].as_str().unwrap()),
        "{names:?} {worst}"
    );

    // CSV: a header and one row per learner and exercise.
    let r = get(
        &app,
        &format!("/api/classrooms/{class_id}/export.csv"),
        Some(&teacher),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.headers[header::CONTENT_TYPE], "text/csv; charset=utf-8");
    let lines: Vec<&str> = r.text.lines().collect();
    assert_eq!(lines.len(), 1 + LEARNERS * expected.len());
    assert!(
        lines.contains(
            &format!(
                "Learner 00,{},first-pod,working,4,1,yes,{}",
                learners[0].id,
                names.join("; ")
            )
            .as_str()
        ),
        "{}",
        r.text
    );

    // Learners see only their own session.
    let (a, b) = (&learners[0], &learners[1]);
    let r = get(
        &app,
        &format!("/api/sessions/{}/files/pod.yaml", b.id),
        Some(&a.token),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = get(
        &app,
        &format!("/api/sessions/{}/classroom", a.id),
        Some(&a.token),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.json().get("join_code").is_none(),
        "learners do not see the code's secrets"
    );

    // The instructor opens a learner's session read-only: files, history, cluster, and a
    // terminal on a copy of the cluster.
    let learner_path = format!("/api/classrooms/{class_id}/learners/{}", a.id);
    let r = get(&app, &learner_path, Some(&teacher)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let view = r.json();
    assert_eq!(view["name"], "Learner 00");
    assert!(view["files"]["pod.yaml"]
        .as_str()
        .unwrap()
        .contains("image: nginx"));
    assert!(view["history"]
        .as_array()
        .unwrap()
        .contains(&json!("kubectl apply -f pod.yaml")));
    assert!(view["cluster"]["objects"]
        .as_array()
        .unwrap()
        .iter()
        .any(|o| o["kind"] == "Pod" && o["metadata"]["name"] == "web"));
    let r = post(
        &app,
        &format!("{learner_path}/shell"),
        Some(&teacher),
        json!({"line": "kubectl delete pod web"}),
    )
    .await;
    assert_eq!(r.json()["exit_code"], 0, "{}", r.text);
    let (out, _, _) = shell(&app, &a.id, &a.token, "kubectl get pod web -o name").await;
    assert_eq!(out, "pod/web\n", "the learner's own cluster is untouched");
    assert_eq!(
        get(&app, &learner_path, Some(&b.token)).await.status,
        StatusCode::UNAUTHORIZED
    );

    // Live dashboard over SSE: the first event is the whole dashboard.
    let r = axum::http::Request::get(format!("/api/classrooms/{class_id}/events?token={teacher}"))
        .body(axum::body::Body::empty())
        .unwrap();
    let response = tower::ServiceExt::oneshot(app.clone(), r).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()[header::CONTENT_TYPE],
        "text/event-stream"
    );
    let mut stream = response.into_body().into_data_stream();
    let mut text = String::new();
    while !text.contains("\n\n") {
        let chunk = tokio::time::timeout(Duration::from_secs(10), stream.next())
            .await
            .expect("an event within 10 s")
            .unwrap()
            .unwrap();
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(text.starts_with("event: progress\ndata: {"), "{text}");
    drop(stream);

    // Lock, rotate, end.
    let lock = format!("/api/classrooms/{class_id}/lock");
    assert_eq!(
        post(
            &app,
            &lock,
            Some(&learners[0].token),
            json!({"locked": true})
        )
        .await
        .status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        post(&app, &lock, Some(&teacher), json!({"locked": true}))
            .await
            .json()["locked"],
        true
    );
    let r = post(
        &app,
        "/api/classrooms/join",
        None,
        json!({"code": code, "name": "X"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    post(&app, &lock, Some(&teacher), json!({"locked": false})).await;
    let r = post(
        &app,
        &format!("/api/classrooms/{class_id}/join-code"),
        Some(&teacher),
        json!({}),
    )
    .await;
    let new_code = r.json()["join_code"].as_str().unwrap().to_string();
    assert_ne!(new_code, code);
    let r = post(
        &app,
        "/api/classrooms/join",
        None,
        json!({"code": code, "name": "X"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "the old code is dead");
    let r = post(
        &app,
        "/api/classrooms/join",
        None,
        json!({"code": new_code, "name": "X"}),
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::CONFLICT,
        "the new code works (and the class is full)"
    );

    // Push an exercise to everyone; reset one learner.
    let r = post(
        &app,
        &format!("/api/classrooms/{class_id}/push"),
        Some(&teacher),
        json!({"exercise": "first-pod"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json()["started"], 30, "{}", r.text);
    let r = get(
        &app,
        &format!("/api/sessions/{}/classroom", learners[29].id),
        Some(&learners[29].token),
    )
    .await;
    assert_eq!(r.json()["pushed"]["exercise"], "first-pod");
    let r = get(
        &app,
        &format!("/api/sessions/{}/progress", learners[29].id),
        Some(&learners[29].token),
    )
    .await;
    assert_eq!(r.json()["active"], "first-pod", "{}", r.text);
    shell(&app, &b.id, &b.token, "kubectl create configmap mine").await;
    let r = post(
        &app,
        &format!("/api/classrooms/{class_id}/learners/{}/reset", b.id),
        Some(&teacher),
        json!({}),
    )
    .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let (_, err, code_) = shell(&app, &b.id, &b.token, "kubectl get configmap mine").await;
    assert_eq!(code_, 1, "{err}");

    // Presenter mode: the instructor's own playground, the same one each time.
    let presenter = format!("/api/classrooms/{class_id}/presenter");
    let p1 = post(&app, &presenter, Some(&teacher), json!({}))
        .await
        .json();
    let p2 = post(&app, &presenter, Some(&teacher), json!({}))
        .await
        .json();
    assert_eq!(p1["id"], p2["id"]);
    let (out, _, _) = shell(
        &app,
        p1["id"].as_str().unwrap(),
        p1["token"].as_str().unwrap(),
        "kubectl get nodes -o name",
    )
    .await;
    assert_eq!(out, "node/minikube\n");

    // Restart: everything is still there.
    let before = stable(get(&app, &progress_path, Some(&teacher)).await.json());
    let l = &learners[7];
    let view_path = format!("/api/classrooms/{class_id}/learners/{}", l.id);
    let view_before = get(&app, &view_path, Some(&teacher)).await.json();
    state.shutdown().await;
    drop(app);
    let state = server::AppState::open(config(dir.path(), &backend, "two"))
        .await
        .unwrap();
    let app = server::app(state.clone());
    let after = stable(get(&app, &progress_path, Some(&teacher)).await.json());
    assert_eq!(after, before);
    // The learner's files, terminal history, cluster and progress, exactly.
    let view_after = get(&app, &view_path, Some(&teacher)).await.json();
    assert_eq!(view_after, view_before);
    assert!(view_after["history"]
        .as_array()
        .unwrap()
        .contains(&json!("kubectl apply -f pod.yaml")));
    let r = get(
        &app,
        &format!("/api/sessions/{}/files/pod.yaml", l.id),
        Some(&l.token),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);

    // Ending the class closes it for good.
    let r = post(
        &app,
        &format!("/api/classrooms/{class_id}/end"),
        Some(&teacher),
        json!({}),
    )
    .await;
    assert_eq!(r.json()["ended"], true);
    let r = post(
        &app,
        "/api/classrooms/join",
        None,
        json!({"code": new_code, "name": "X"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::GONE);
    state.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_a_class_of_thirty() {
    a_class_of_thirty(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_class_of_thirty() {
    let Some(pg) = Postgres::start() else { return };
    a_class_of_thirty(Backend::Postgres(pg.create_database("class"))).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn classrooms_refuse_bad_input() {
    let dir = TempDir::new("wh-class-input");
    let state = server::AppState::open(config(dir.path(), &Backend::Sqlite, "one"))
        .await
        .unwrap();
    let app = server::app(state.clone());
    let r = post(&app, "/api/classrooms", None, json!({"size_limit": 0})).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = post(&app, "/api/classrooms", None, json!({})).await;
    assert_eq!(r.status, StatusCode::CREATED);
    let code = r.json()["join_code"].as_str().unwrap().to_string();
    let r = post(
        &app,
        "/api/classrooms/join",
        None,
        json!({"code": code, "name": "  "}),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = post(
        &app,
        "/api/classrooms/join",
        None,
        json!({"code": "NOPE99", "name": "A"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = get(&app, "/api/classrooms/nope/progress", Some("x")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // Memory-only state (no database): a clear refusal, not a crash.
    let memory = server::app(server::AppState::new(server::Config::default()));
    let r = post(&memory, "/api/classrooms", None, json!({})).await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    state.shutdown().await;
}
