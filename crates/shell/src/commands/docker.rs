//! `docker`, on the laptop: build from the workspace's Dockerfile, list, tag, log in, push to the
//! simulated registry. Output is Docker 28's (BuildKit's final screen for `build`).

use super::laptop::{self, human_duration, human_size, image_id, normalize, split, DockerImage};
use super::Done;
use crate::exec::Cx;
use crate::runtime::LocalImage;

pub(crate) fn run(cx: &mut Cx, args: &[String], stdin: Option<String>) -> Done {
    let (sub, rest) = match args.split_first() {
        Some((s, r)) => (s.as_str(), r),
        None => return Done::out(USAGE),
    };
    match (sub, rest.first().map(String::as_str)) {
        ("build", _) => build(cx, rest),
        ("buildx", Some("build")) | ("image", Some("build")) => build(cx, &rest[1..]),
        ("images", _) => images(cx, rest),
        ("image", Some("ls" | "list")) => images(cx, &rest[1..]),
        ("tag", _) => tag(cx, rest),
        ("image", Some("tag")) => tag(cx, &rest[1..]),
        ("push", _) => push(cx, rest),
        ("image", Some("push")) => push(cx, &rest[1..]),
        ("pull", _) => pull(cx, rest),
        ("image", Some("pull")) => pull(cx, &rest[1..]),
        ("rmi", _) => rmi(cx, rest),
        ("image", Some("rm")) => rmi(cx, &rest[1..]),
        ("login", _) => login(cx, rest, stdin),
        ("logout", _) => {
            cx.sh.laptop.docker_user = None;
            Done::out("Removing login credentials for https://index.docker.io/v1/\n")
        }
        ("ps", _) => ps(cx),
        ("version" | "--version" | "-v", _) => Done::out("Docker version 28.1.1, build 4eba377\n"),
        ("--help" | "help" | "-h", _) => Done::out(USAGE),
        ("run" | "exec" | "compose" | "logs" | "start" | "stop" | "rm" | "inspect", _) => Done::err(
            format!(
                "docker {sub}: containers do not run on this laptop; run them in the cluster, e.g. `kubectl run web --image=nginx`\n"
            ),
            1,
        ),
        (other, _) => Done::err(
            format!("docker: unknown command: docker {other}\n\nRun 'docker --help' for more information\n"),
            1,
        ),
    }
}

const USAGE: &str = "Usage:  docker [OPTIONS] COMMAND\n\nA self-sufficient runtime for containers\n\nCommon Commands:\n  build       Build an image from a Dockerfile\n  pull        Download an image from a registry\n  push        Upload an image to a registry\n  images      List images\n  login       Authenticate to a registry\n  logout      Log out from a registry\n  version     Show the Docker version information\n\nManagement Commands:\n  image       Manage images\n\nCommands:\n  rmi         Remove one or more images\n  tag         Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE\n\nRun 'docker COMMAND --help' for more information on a command.\n";

fn now_secs(cx: &mut Cx) -> i64 {
    cx.rt.cluster().now().as_second()
}

/// One Dockerfile instruction.
struct Instruction {
    keyword: String,
    args: String,
}

fn parse_dockerfile(text: &str) -> Result<Vec<Instruction>, String> {
    let mut out = Vec::new();
    let mut pending = String::new();
    let mut start_line = 0;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if pending.is_empty() && (line.is_empty() || line.starts_with('#')) {
            continue;
        }
        if pending.is_empty() {
            start_line = i + 1;
        }
        if let Some(cont) = line.strip_suffix('\\') {
            pending.push_str(cont);
            pending.push(' ');
            continue;
        }
        pending.push_str(line);
        let full = std::mem::take(&mut pending);
        let (keyword, args) = full.split_once(char::is_whitespace).unwrap_or((&full, ""));
        let keyword = keyword.to_ascii_uppercase();
        const KNOWN: &[&str] = &[
            "FROM",
            "RUN",
            "CMD",
            "LABEL",
            "EXPOSE",
            "ENV",
            "ADD",
            "COPY",
            "ENTRYPOINT",
            "VOLUME",
            "USER",
            "WORKDIR",
            "ARG",
            "ONBUILD",
            "STOPSIGNAL",
            "HEALTHCHECK",
            "SHELL",
            "MAINTAINER",
        ];
        if !KNOWN.contains(&keyword.as_str()) {
            return Err(format!(
                "dockerfile parse error on line {start_line}: unknown instruction: {}",
                full.split_whitespace().next().unwrap_or_default()
            ));
        }
        out.push(Instruction {
            keyword,
            args: args.trim().to_string(),
        });
    }
    Ok(out)
}

fn build(cx: &mut Cx, args: &[String]) -> Done {
    let mut tags = Vec::new();
    let mut dockerfile: Option<String> = None;
    let mut context: Option<String> = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "-t" | "--tag" => match it.next() {
                Some(t) => tags.push(t.clone()),
                None => return Done::err("ERROR: flag needs an argument: 't' in -t\n", 1),
            },
            "-f" | "--file" => dockerfile = it.next().cloned(),
            "--build-arg" | "--target" | "--platform" | "--progress" => {
                it.next();
            }
            "--no-cache" | "-q" | "--quiet" | "--pull" | "--load" => {}
            s if s.starts_with("--tag=") => tags.push(s[6..].to_string()),
            s if s.starts_with("-t") && s.len() > 2 => tags.push(s[2..].to_string()),
            s if s.starts_with("--file=") => dockerfile = Some(s[7..].to_string()),
            s if s.starts_with('-') => {
                return Done::err(format!("ERROR: unknown flag: {s}\n"), 1)
            }
            _ if context.is_some() => {
                return Done::err(
                    "ERROR: docker: 'docker buildx build' requires 1 argument\n\nUsage:  docker buildx build [OPTIONS] PATH | URL | -\n\nRun 'docker buildx build --help' for more information\n",
                    1,
                )
            }
            _ => context = Some(a.clone()),
        }
    }
    let Some(context) = context else {
        return Done::err(
            "ERROR: docker: 'docker buildx build' requires 1 argument\n\nUsage:  docker buildx build [OPTIONS] PATH | URL | -\n\nRun 'docker buildx build --help' for more information\n",
            1,
        );
    };
    for t in &tags {
        if !laptop::valid_reference(&normalize(t)) {
            return Done::err(
                format!("ERROR: invalid tag \"{t}\": repository name must be lowercase\n"),
                1,
            );
        }
    }
    let context_key = match cx.resolve(&context) {
        Ok(k) => k,
        Err(_) => {
            return Done::err(
                format!("ERROR: unable to prepare context: path \"{context}\" not found\n"),
                1,
            )
        }
    };
    if let Some(k) = &context_key {
        if !cx.is_dir(k) {
            return Done::err(
                format!("ERROR: unable to prepare context: path \"{context}\" not found\n"),
                1,
            );
        }
    }
    let dockerfile_key = match &dockerfile {
        Some(f) => cx.resolve(f).ok().flatten().unwrap_or_default(),
        None => match &context_key {
            Some(k) => format!("{k}/Dockerfile"),
            None => "Dockerfile".into(),
        },
    };
    let dockerfile_name = dockerfile.clone().unwrap_or_else(|| "Dockerfile".into());
    let Some(text) = cx.files.get(&dockerfile_key).cloned() else {
        return Done::err(
            format!(
                "[+] Building 0.0s (1/1) FINISHED\n => [internal] load build definition from {dockerfile_name}\n => => transferring dockerfile: 2B\nERROR: failed to build: failed to solve: failed to read dockerfile: open {dockerfile_name}: no such file or directory\n"
            ),
            1,
        );
    };
    let instructions = match parse_dockerfile(&text) {
        Ok(i) => i,
        Err(e) => return Done::err(format!("ERROR: failed to build: failed to solve: {e}\n"), 1),
    };
    let Some(from) = instructions
        .first()
        .filter(|i| i.keyword == "FROM" || i.keyword == "ARG")
    else {
        return Done::err(
            "ERROR: failed to build: failed to solve: no build stage in current context\n",
            1,
        );
    };
    let base = from
        .args
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string();
    let base_ref = normalize(&base);
    let base_size = match cx.sh.laptop.image(&base_ref) {
        Some(i) => Some(i.size_bytes),
        None => cx.rt.registry_image(&base_ref),
    };
    let Some(base_size) = base_size else {
        let qualified = qualified(&base_ref);
        return Done::err(
            format!(
                "ERROR: failed to build: failed to solve: {base}: failed to resolve source metadata for {qualified}: pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed\n"
            ),
            1,
        );
    };
    // The build context: every workspace file under the context directory.
    let prefix = context_key
        .as_ref()
        .map(|k| format!("{k}/"))
        .unwrap_or_default();
    let context_files: Vec<(&String, &String)> = cx
        .files
        .iter()
        .filter(|(k, _)| k.starts_with(&prefix))
        .collect();
    let context_bytes: usize = context_files.iter().map(|(_, v)| v.len()).sum();
    let mut id_parts: Vec<&[u8]> = vec![text.as_bytes()];
    for (k, v) in &context_files {
        id_parts.push(k.as_bytes());
        id_parts.push(v.as_bytes());
    }
    let id = image_id(&id_parts);
    let steps: Vec<&Instruction> = instructions
        .iter()
        .filter(|i| {
            matches!(
                i.keyword.as_str(),
                "FROM" | "RUN" | "COPY" | "ADD" | "WORKDIR"
            )
        })
        .collect();
    let layers = steps
        .iter()
        .filter(|i| matches!(i.keyword.as_str(), "RUN" | "COPY" | "ADD"))
        .count() as u32;
    let exposed: Vec<u16> = instructions
        .iter()
        .filter(|i| i.keyword == "EXPOSE")
        .flat_map(|i| {
            i.args
                .split_whitespace()
                .filter_map(|p| p.split('/').next()?.parse().ok())
                .collect::<Vec<u16>>()
        })
        .collect();
    let created = now_secs(cx);
    let size = base_size + context_bytes as u64 + 4096 * u64::from(layers);
    let image = DockerImage {
        reference: "<none>:<none>".into(),
        id: id.clone(),
        created: Some(created),
        size_bytes: size,
        base: Some(base_ref.clone()),
        exposed_ports: exposed,
        layers,
    };
    if tags.is_empty() {
        cx.sh.laptop.images.retain(|i| i.id != id);
        cx.sh.laptop.images.push(image);
    } else {
        for t in &tags {
            cx.sh.laptop.tag(image.clone(), t);
        }
    }
    Done {
        stderr: build_screen(
            cx.sh.columns as usize,
            &dockerfile_name,
            &text,
            &base_ref,
            &steps,
            context_bytes,
            &id,
            &tags,
        ),
        ..Done::default()
    }
}

/// `docker.io/library/nginx:1.27` for `nginx:1.27`.
fn qualified(reference: &str) -> String {
    let (repo, _) = split(reference);
    let first = repo.split('/').next().unwrap_or_default();
    if first.contains('.') || first.contains(':') || first == "localhost" {
        reference.to_string()
    } else if repo.contains('/') {
        format!("docker.io/{reference}")
    } else {
        format!("docker.io/library/{reference}")
    }
}

fn bytes_short(n: usize) -> String {
    if n < 1000 {
        format!("{n}B")
    } else {
        format!("{:.2}kB", n as f64 / 1000.0)
    }
}

/// BuildKit's last screen in a terminal: one line per vertex, durations right-aligned.
#[allow(clippy::too_many_arguments)]
fn build_screen(
    columns: usize,
    dockerfile: &str,
    text: &str,
    base: &str,
    steps: &[&Instruction],
    context_bytes: usize,
    id: &str,
    tags: &[String],
) -> String {
    let n = steps.len();
    let mut lines: Vec<(String, &str)> = vec![
        (
            format!(" => [internal] load build definition from {dockerfile}"),
            "0.0s",
        ),
        (
            format!(
                " => => transferring dockerfile: {}",
                bytes_short(text.len())
            ),
            "0.0s",
        ),
        (
            format!(" => [internal] load metadata for {}", qualified(base)),
            "0.6s",
        ),
        (" => [internal] load .dockerignore".to_string(), "0.0s"),
        (" => => transferring context: 2B".to_string(), "0.0s"),
    ];
    for (i, s) in steps.iter().enumerate() {
        if i == 0 {
            lines.push((format!(" => [1/{n}] FROM {}", qualified(base)), "0.0s"));
            lines.push((" => [internal] load build context".to_string(), "0.0s"));
            lines.push((
                format!(
                    " => => transferring context: {}",
                    bytes_short(context_bytes)
                ),
                "0.0s",
            ));
        } else {
            lines.push((
                format!(" => [{}/{n}] {} {}", i + 1, s.keyword, s.args),
                "0.1s",
            ));
        }
    }
    lines.push((" => exporting to image".to_string(), "0.1s"));
    lines.push((" => => exporting layers".to_string(), "0.1s"));
    lines.push((format!(" => => writing image {id}"), "0.0s"));
    for t in tags {
        lines.push((
            format!(" => => naming to {}", qualified(&normalize(t))),
            "0.0s",
        ));
    }
    let width = columns.max(60);
    let header_left = format!(
        "[+] Building 1.2s ({n_done}/{n_done}) FINISHED",
        n_done = lines.len() - 4
    );
    let header_right = "docker:default";
    let mut out = String::new();
    let pad = width
        .saturating_sub(header_left.chars().count() + header_right.len())
        .max(1);
    out.push_str(&format!("{header_left}{}{header_right}\n", " ".repeat(pad)));
    for (left, time) in lines {
        let mut left: String = left
            .chars()
            .take(width.saturating_sub(time.len() + 1))
            .collect();
        let pad = width
            .saturating_sub(left.chars().count() + time.len())
            .max(1);
        left.push_str(&" ".repeat(pad));
        left.push_str(time);
        out.push_str(&left);
        out.push('\n');
    }
    out
}

fn images(cx: &mut Cx, args: &[String]) -> Done {
    let quiet = args.iter().any(|a| a == "-q" || a == "--quiet");
    let filter = args
        .iter()
        .find(|a| !a.starts_with('-'))
        .map(|r| normalize(r));
    let now = now_secs(cx);
    let mut rows: Vec<&DockerImage> = cx
        .sh
        .laptop
        .images
        .iter()
        .filter(|i| match &filter {
            Some(f) => {
                let (repo, tag) = split(f);
                let (irepo, itag) = split(&i.reference);
                irepo == repo && (tag == "latest" && !f.ends_with(":latest") || itag == tag)
            }
            None => true,
        })
        .collect();
    // Newest first, as Docker lists them.
    rows.sort_by_key(|i| std::cmp::Reverse(i.created.unwrap_or(i64::MIN)));
    if quiet {
        return Done::out(
            rows.iter()
                .map(|i| format!("{}\n", &i.id[7..19]))
                .collect::<String>(),
        );
    }
    let mut table = vec![[
        "REPOSITORY".to_string(),
        "TAG".into(),
        "IMAGE ID".into(),
        "CREATED".into(),
        "SIZE".into(),
    ]];
    for i in rows {
        let (repo, tag) = split(&i.reference);
        let created = match i.created {
            Some(t) => format!("{} ago", human_duration(now - t)),
            None => "2 weeks ago".to_string(),
        };
        table.push([
            repo.to_string(),
            tag.to_string(),
            i.id[7..19].to_string(),
            created,
            human_size(i.size_bytes),
        ]);
    }
    Done::out(docker_table(&table))
}

/// Docker's table writer: minimum width 10, padding 3, last column unpadded.
fn docker_table<const N: usize>(rows: &[[String; N]]) -> String {
    let widths: Vec<usize> = (0..N)
        .map(|c| {
            rows.iter()
                .map(|r| r[c].chars().count())
                .max()
                .unwrap_or(0)
                .max(10 - 3)
                + 3
        })
        .collect();
    let mut out = String::new();
    for r in rows {
        for (c, cell) in r.iter().enumerate() {
            if c + 1 == N {
                out.push_str(cell);
            } else {
                out.push_str(cell);
                out.push_str(&" ".repeat(widths[c] - cell.chars().count()));
            }
        }
        out.push('\n');
    }
    out
}

fn tag(cx: &mut Cx, args: &[String]) -> Done {
    let [src, dst] = args else {
        return Done::err(
            "docker: 'docker tag' requires 2 arguments\n\nUsage:  docker tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]\n\nSee 'docker tag --help' for more information\n",
            1,
        );
    };
    let Some(image) = cx.sh.laptop.image(src).cloned() else {
        return Done::err(
            format!(
                "Error response from daemon: No such image: {}\n",
                normalize(src)
            ),
            1,
        );
    };
    if !laptop::valid_reference(&normalize(dst)) {
        return Done::err(
            format!("Error parsing reference: \"{dst}\" is not a valid repository/tag: invalid reference format: repository name (library/{dst}) must be lowercase\n"),
            1,
        );
    }
    cx.sh.laptop.tag(image, dst);
    Done::default()
}

fn layer_ids(image: &DockerImage) -> Vec<String> {
    (0..image.layers + 2)
        .map(|i| image_id(&[image.id.as_bytes(), &[i as u8]])[7..19].to_string())
        .collect()
}

fn push(cx: &mut Cx, args: &[String]) -> Done {
    let Some(reference) = args.iter().find(|a| !a.starts_with('-')) else {
        return Done::err(
            "docker: 'docker push' requires 1 argument\n\nUsage:  docker push [OPTIONS] NAME[:TAG]\n\nSee 'docker push --help' for more information\n",
            1,
        );
    };
    let r = normalize(reference);
    let Some(image) = cx.sh.laptop.image(&r).cloned() else {
        return Done::err(
            format!(
                "An image does not exist locally with the tag: {}\n",
                split(&r).0
            ),
            1,
        );
    };
    let (repo, tag) = split(&r);
    let qualified_repo = split(&qualified(&r)).0.to_string();
    let mut out = format!("The push refers to repository [{qualified_repo}]\n");
    let layers = layer_ids(&image);
    // Docker Hub: only the logged-in user's namespace is writable; official images never are.
    let namespace = repo.split_once('/').map(|(n, _)| n);
    let registry_host = repo
        .split('/')
        .next()
        .filter(|h| h.contains('.') || h.contains(':'));
    if registry_host.is_none() {
        let allowed = match (&cx.sh.laptop.docker_user, namespace) {
            (Some(user), Some(ns)) => user.eq_ignore_ascii_case(ns),
            _ => false,
        };
        if !allowed {
            for l in &layers {
                out.push_str(&format!("{l}: Preparing\n"));
            }
            return Done {
                stdout: out,
                stderr: "denied: requested access to the resource is denied\n".into(),
                code: 1,
            };
        }
    }
    let already = cx.rt.registry_image(&r).is_some();
    let (own, base) = layers.split_at(image.layers as usize);
    for l in own {
        out.push_str(&format!(
            "{l}: {}\n",
            if already {
                "Layer already exists"
            } else {
                "Pushed"
            }
        ));
    }
    let base_repo = image
        .base
        .as_deref()
        .map(|b| {
            let (repo, _) = split(b);
            if repo.contains('/') {
                repo.to_string()
            } else {
                format!("library/{repo}")
            }
        })
        .unwrap_or_else(|| "library/alpine".into());
    for l in base {
        if already {
            out.push_str(&format!("{l}: Layer already exists\n"));
        } else {
            out.push_str(&format!("{l}: Mounted from {base_repo}\n"));
        }
    }
    let digest = image_id(&[image.id.as_bytes(), b"manifest"]);
    out.push_str(&format!(
        "{tag}: digest: {digest} size: {}\n",
        1200 + 210 * layers.len()
    ));
    if let Err(e) = cx.rt.push_image(&LocalImage {
        reference: r.clone(),
        base: image.base.clone(),
        exposed_ports: image.exposed_ports.clone(),
        size_bytes: image.size_bytes,
    }) {
        return Done {
            stdout: format!("The push refers to repository [{qualified_repo}]\n"),
            stderr: format!("unknown: {e}\n"),
            code: 1,
        };
    }
    Done::out(out)
}

fn pull(cx: &mut Cx, args: &[String]) -> Done {
    let Some(reference) = args.iter().find(|a| !a.starts_with('-')) else {
        return Done::err(
            "docker: 'docker pull' requires 1 argument\n\nUsage:  docker pull [OPTIONS] NAME[:TAG|@DIGEST]\n\nSee 'docker pull --help' for more information\n",
            1,
        );
    };
    let r = normalize(reference);
    let (repo, tag) = split(&r);
    let Some(size) = cx.rt.registry_image(&r) else {
        return Done::err(
            format!("Error response from daemon: pull access denied for {repo}, repository does not exist or may require 'docker login': denied: requested access to the resource is denied\n"),
            1,
        );
    };
    let id = image_id(&[r.as_bytes(), b"pulled"]);
    let image = DockerImage {
        reference: r.clone(),
        id: id.clone(),
        created: None,
        size_bytes: size,
        base: Some(r.clone()),
        exposed_ports: Vec::new(),
        layers: 0,
    };
    let had = cx.sh.laptop.image(&r).is_some();
    cx.sh.laptop.tag(image.clone(), &r);
    let digest = image_id(&[r.as_bytes(), b"digest"]);
    let mut out = format!(
        "{tag}: Pulling from {}\n",
        split(&qualified(&r)).0.trim_start_matches("docker.io/")
    );
    if had {
        out.push_str(&format!(
            "Digest: {digest}\nStatus: Image is up to date for {}\n{}\n",
            r,
            qualified(&r)
        ));
    } else {
        for l in layer_ids(&image) {
            out.push_str(&format!("{l}: Pull complete\n"));
        }
        out.push_str(&format!(
            "Digest: {digest}\nStatus: Downloaded newer image for {r}\n{}\n",
            qualified(&r)
        ));
    }
    Done::out(out)
}

fn rmi(cx: &mut Cx, args: &[String]) -> Done {
    let mut d = Done::default();
    for a in args.iter().filter(|a| !a.starts_with('-')) {
        let r = normalize(a);
        match cx
            .sh
            .laptop
            .images
            .iter()
            .position(|i| i.reference == r || i.id[7..].starts_with(a.as_str()))
        {
            Some(pos) => {
                let img = cx.sh.laptop.images.remove(pos);
                d.stdout.push_str(&format!("Untagged: {}\n", img.reference));
                if !cx.sh.laptop.images.iter().any(|i| i.id == img.id) {
                    d.stdout.push_str(&format!("Deleted: {}\n", img.id));
                }
            }
            None => {
                d.stderr
                    .push_str(&format!("Error response from daemon: No such image: {r}\n"));
                d.code = 1;
            }
        }
    }
    d
}

fn login(cx: &mut Cx, args: &[String], stdin: Option<String>) -> Done {
    let mut user = None;
    let mut password = None;
    let mut password_stdin = false;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "-u" | "--username" => user = it.next().cloned(),
            "-p" | "--password" => password = it.next().cloned(),
            "--password-stdin" => password_stdin = true,
            s if s.starts_with("--username=") => user = Some(s[11..].to_string()),
            s if s.starts_with("--password=") => password = Some(s[11..].to_string()),
            _ => {}
        }
    }
    let mut d = Done::default();
    if password_stdin {
        password = stdin.map(|s| s.trim_end_matches('\n').to_string());
    } else if password.is_some() {
        d.stderr
            .push_str("WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n");
    }
    let (Some(user), Some(password)) = (user, password) else {
        return Done::err(
            "Error: Cannot perform an interactive login from a non TTY device\n(this terminal has no prompt: use `docker login -u USER --password-stdin` or `-p PASSWORD`)\n",
            1,
        );
    };
    if password.is_empty() {
        return Done::err("Error: Password Required\n", 1);
    }
    cx.sh.laptop.docker_user = Some(user.to_ascii_lowercase());
    d.stdout.push_str("Login Succeeded\n");
    d
}

fn ps(cx: &mut Cx) -> Done {
    let mut rows = vec![[
        "CONTAINER ID".to_string(),
        "IMAGE".into(),
        "COMMAND".into(),
        "CREATED".into(),
        "STATUS".into(),
        "PORTS".into(),
        "NAMES".into(),
    ]];
    if cx.sh.laptop.minikube_running {
        rows.push([
            "5f4c2a9e1b7d".into(),
            "gcr.io/k8s-minikube/kicbase:v0.0.47".into(),
            "\"/usr/local/bin/entr…\"".into(),
            "2 hours ago".into(),
            "Up 2 hours".into(),
            "127.0.0.1:32772->22/tcp, 127.0.0.1:32771->2376/tcp, 127.0.0.1:32769->5000/tcp, 127.0.0.1:32770->8443/tcp, 127.0.0.1:32768->32443/tcp".into(),
            "minikube".into(),
        ]);
    }
    for k in &cx.sh.laptop.kind_clusters {
        rows.push([
            image_id(&[k.as_bytes()])[7..19].to_string(),
            "kindest/node:v1.33.1".into(),
            "\"/usr/local/bin/entr…\"".into(),
            "About an hour ago".into(),
            "Up About an hour".into(),
            "127.0.0.1:39245->6443/tcp".into(),
            format!("{k}-control-plane"),
        ]);
    }
    Done::out(docker_table(&rows))
}
