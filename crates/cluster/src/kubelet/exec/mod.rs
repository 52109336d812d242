//! `kubectl exec`: commands run inside a simulated container.
//!
//! A request names a pod, a container and an argv, as `pods/exec` does. It is refused the way
//! the API server, the kubelet and the container runtime refuse it (unknown container, pod not
//! yet on a node, container not running, program not in the image), and otherwise runs against
//! the container as the kubelet started it: its environment (the image's `ENV`, `env`/`envFrom`
//! from ConfigMaps and Secrets, the Service variables injected at start), its mounted files, the
//! cluster network through [`crate::network`] and its DNS names. Files written by a command are
//! kept in the kubelet's state (see [`fs`]), so they are part of snapshots.
//!
//! A command either runs at once ([`Cluster::exec`]), or as an [`ExecProcess`] fed by a stream
//! of input: a shell with a terminal reads one line at a time; a program reading its stdin
//! without a terminal runs when the input ends.

pub mod commands;
pub mod fs;
pub mod os;
pub mod shell;
mod tar;

use jiff::Timestamp;
use k8s_openapi::api::core::v1::{Pod, Volume};

use crate::images::App;
use crate::object::Object;
use crate::store::Key;
use crate::{Cluster, Status};

use fs::{Fs, Mount};
use os::{ImageOs, Os};
use shell::Shell;

pub use fs::WrittenFiles;

/// An output stream of the command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

/// What a command printed, in order, and its exit code.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExecOutput {
    pub chunks: Vec<(Stream, String)>,
    pub exit_code: i32,
}

impl ExecOutput {
    pub fn push(&mut self, stream: Stream, text: &str) {
        if text.is_empty() {
            return;
        }
        match self.chunks.last_mut() {
            Some((s, t)) if *s == stream => t.push_str(text),
            _ => self.chunks.push((stream, text.to_string())),
        }
    }

    pub fn append(&mut self, other: ExecOutput) {
        for (s, t) in other.chunks {
            self.push(s, &t);
        }
        self.exit_code = other.exit_code;
    }

    fn stream(&self, which: Stream) -> String {
        self.chunks
            .iter()
            .filter(|(s, _)| *s == which)
            .map(|(_, t)| t.as_str())
            .collect()
    }

    pub fn stdout(&self) -> String {
        self.stream(Stream::Stdout)
    }

    pub fn stderr(&self) -> String {
        self.stream(Stream::Stderr)
    }
}

/// Why an exec did not start.
#[derive(Clone, Debug, PartialEq)]
pub enum ExecError {
    /// The API server refused the request (a `Status`: unknown pod or container, no node yet).
    Api(Status),
    /// The kubelet refused the stream: its plain-text answer to the upgrade
    /// (`container not found ("web")`), which kubectl prints after `unable to upgrade connection: `.
    Kubelet(String),
}

/// The container a command runs in, as the kubelet sees it at the time of the exec.
#[derive(Clone, Debug, PartialEq)]
pub struct Container {
    pub namespace: String,
    pub pod: String,
    pub pod_uid: String,
    pub pod_ip: String,
    pub name: String,
    pub container_id: String,
    pub os: ImageOs,
    /// The process environment, in the order a program sees it.
    pub env: Vec<(String, String)>,
    pub fs: Fs,
    pub workdir: String,
    /// The container's processes (PID 1 first), as `ps` shows them.
    pub processes: Vec<String>,
    pub started: Timestamp,
    /// The cluster DNS Service's address (`nameserver` in resolv.conf).
    pub dns_ip: String,
    /// Whether the exec has a terminal.
    pub tty: bool,
}

fn bad_request(message: String) -> ExecError {
    ExecError::Api(Status::new(400, "BadRequest", message))
}

impl Cluster {
    /// The command a container's main process runs (its `command` and `args`, or the image's
    /// shell for a shell image without either), for `kubectl attach`.
    pub fn main_command(&self, namespace: &str, pod: &str, container: &str) -> Vec<String> {
        let key = Key {
            kind: "Pod",
            namespace: namespace.into(),
            name: pod.into(),
        };
        let Some(Object::Pod(p)) = self.store().get(&key).map(|o| o.as_ref()) else {
            return Vec::new();
        };
        let Some(c) = p
            .spec
            .as_ref()
            .and_then(|s| s.containers.iter().find(|c| c.name == container))
        else {
            return Vec::new();
        };
        let mut argv: Vec<String> = c.command.clone().unwrap_or_default();
        argv.extend(c.args.clone().unwrap_or_default());
        if argv.is_empty() {
            argv.push("sh".into());
        }
        argv
    }

    /// The main process of a running container ended by itself with `code` (an attached shell
    /// told to `exit`): the kubelet sees the container terminate, as it would the real process.
    pub fn end_main_process(&mut self, namespace: &str, pod: &str, container: &str, code: i32) {
        let now = self.now();
        let Some(rt) = self
            .runtime
            .kubelet
            .pods
            .get_mut(&super::PodName::new(namespace, pod))
        else {
            return;
        };
        let Some(inst) = rt
            .containers
            .iter_mut()
            .find(|c| c.name == container && c.stage == super::Stage::Running)
            .and_then(|c| c.current.as_mut())
        else {
            return;
        };
        let secs = crate::clock::seconds_between(inst.started, now);
        let reason = if code == 0 { "Completed" } else { "Error" };
        inst.plan.exit = Some((secs, code, reason.into()));
        let key = Key {
            kind: "Pod",
            namespace: namespace.into(),
            name: pod.into(),
        };
        super::sync_pod(self, &key);
    }

    /// Runs `argv` in a container and returns its output; `container` may be omitted for a pod
    /// with one container. `stdin` is given to the command as its whole input.
    pub fn exec(
        &mut self,
        namespace: &str,
        pod: &str,
        container: Option<&str>,
        argv: &[String],
        stdin: &str,
    ) -> Result<ExecOutput, ExecError> {
        let c = self.exec_container(namespace, pod, container, false)?;
        let (mut p, mut out) = ExecProcess::start(self, c, argv, !stdin.is_empty(), false);
        if !p.is_done() {
            p.write(stdin);
            out.append(p.close_stdin(self));
        }
        Ok(out)
    }

    /// The container an exec request reaches, or the refusal of the API server or kubelet.
    pub fn exec_container(
        &self,
        namespace: &str,
        pod: &str,
        container: Option<&str>,
        tty: bool,
    ) -> Result<Container, ExecError> {
        let key = Key {
            kind: "Pod",
            namespace: namespace.into(),
            name: pod.into(),
        };
        let Some(Object::Pod(p)) = self.store().get(&key).map(|o| o.as_ref()) else {
            return Err(ExecError::Api(Status::new(
                404,
                "NotFound",
                format!("pods \"{pod}\" not found"),
            )));
        };
        let spec = p.spec.clone().unwrap_or_default();
        let names: Vec<&str> = spec.containers.iter().map(|c| c.name.as_str()).collect();
        let init: Vec<&str> = spec
            .init_containers
            .iter()
            .flatten()
            .map(|c| c.name.as_str())
            .collect();
        let name = match container {
            Some(c) if names.contains(&c) || init.contains(&c) => c.to_string(),
            Some(c) => {
                return Err(bad_request(format!(
                    "container {c} is not valid for pod {pod}"
                )))
            }
            None if names.len() == 1 => names[0].to_string(),
            None => {
                let mut msg = format!(
                    "a container name must be specified for pod {pod}, choose one of: [{}]",
                    names.join(" ")
                );
                if !init.is_empty() {
                    msg.push_str(&format!(
                        " or one of the init containers: [{}]",
                        init.join(" ")
                    ));
                }
                return Err(bad_request(msg));
            }
        };
        let Some(node) = spec.node_name.clone().filter(|n| !n.is_empty()) else {
            return Err(bad_request(format!(
                "pod {pod} does not have a host assigned"
            )));
        };
        let not_found = || ExecError::Kubelet(format!("container not found (\"{name}\")"));
        let rt = self
            .runtime
            .kubelet
            .pods
            .get(&super::PodName::new(namespace, pod))
            .ok_or_else(not_found)?;
        let c = rt
            .containers
            .iter()
            .find(|c| c.name == name)
            .filter(|c| c.stage == super::Stage::Running)
            .ok_or_else(not_found)?;
        let inst = c.current.as_ref().ok_or_else(not_found)?;
        let cspec = spec
            .containers
            .iter()
            .chain(spec.init_containers.iter().flatten())
            .find(|c| c.name == name)
            .cloned()
            .unwrap_or_default();
        let image = ImageOs::of(&c.image);
        let mut env: Vec<(String, String)> = vec![
            ("PATH".into(), image.path().into()),
            ("HOSTNAME".into(), pod.into()),
        ];
        if tty {
            env.push(("TERM".into(), "xterm".into()));
        }
        // Docker merges the container's variables into the image's: same names are replaced in
        // place, new ones appended; `HOME` comes last, added for the exec'd process.
        env.extend(image.env.iter().cloned());
        for (k, v) in &inst.plan.env {
            match env.iter_mut().find(|(n, _)| n == k) {
                Some(e) => e.1 = v.clone(),
                None => env.push((k.clone(), v.clone())),
            }
        }
        if !env.iter().any(|(k, _)| k == "HOME") {
            env.push(("HOME".into(), "/root".into()));
        }
        let dns_ip = self
            .store()
            .get(&Key {
                kind: "Service",
                namespace: "kube-system".into(),
                name: "kube-dns".into(),
            })
            .and_then(|o| match o.as_ref() {
                Object::Service(s) => s.spec.as_ref()?.cluster_ip.clone(),
                _ => None,
            })
            .unwrap_or_else(|| "10.96.0.10".into());
        let fs = filesystem(
            p,
            &cspec,
            &image,
            &node,
            &rt.pod_ip,
            &inst.plan.files,
            &inst.container_id,
            &dns_ip,
            self,
        );
        let mut processes = match (cspec.command.as_deref(), cspec.args.as_deref()) {
            (None, None) | (Some([]), _) => default_processes(&image, &c.image),
            (cmd, args) => vec![cmd
                .unwrap_or_default()
                .iter()
                .chain(args.unwrap_or_default())
                .cloned()
                .collect::<Vec<_>>()
                .join(" ")],
        };
        if processes.is_empty() {
            processes.push(c.image.clone());
        }
        Ok(Container {
            namespace: namespace.into(),
            pod: pod.into(),
            pod_uid: p.metadata.uid.clone().unwrap_or_default(),
            pod_ip: rt.pod_ip.clone(),
            name,
            container_id: inst.container_id.clone(),
            os: image,
            env,
            fs,
            workdir: cspec.working_dir.clone().unwrap_or_else(|| "/".into()),
            processes,
            started: inst.started,
            dns_ip,
            tty,
        })
    }
}

/// What `ps` shows for an image started with its default command.
fn default_processes(image: &ImageOs, name: &str) -> Vec<String> {
    let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect();
    match image.app {
        Some(App::Nginx | App::DevopsFrontend) => v(&[
            "nginx: master process nginx -g daemon off;",
            "nginx: worker process",
            "nginx: worker process",
        ]),
        Some(App::Redis) => v(&["redis-server *:6379"]),
        Some(App::Postgres) => v(&["postgres"]),
        Some(App::Mysql) => v(&["mysqld"]),
        Some(App::Httpd) => v(&["httpd -DFOREGROUND"]),
        Some(App::HpaExample) => v(&["apache2 -DFOREGROUND"]),
        Some(App::NodeWeb) => v(&["node server.js"]),
        Some(App::DevopsBackend) => v(&[
            "/usr/local/bin/python /usr/local/bin/uvicorn main:app --host 0.0.0.0 --port 8000",
        ]),
        Some(App::Shell) => v(&["sh"]),
        _ => vec![crate::images::ImageRef::parse(name)
            .repository
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_string()],
    }
}

/// The files a container sees; see [`fs`].
#[allow(clippy::too_many_arguments)]
fn filesystem(
    pod: &Pod,
    c: &k8s_openapi::api::core::v1::Container,
    image: &ImageOs,
    node: &str,
    pod_ip: &str,
    projected: &std::collections::BTreeMap<String, String>,
    container_id: &str,
    dns_ip: &str,
    cluster: &Cluster,
) -> Fs {
    let ns = pod.metadata.namespace.clone().unwrap_or_default();
    let name = pod.metadata.name.clone().unwrap_or_default();
    let uid = pod.metadata.uid.clone().unwrap_or_default();
    let spec = pod.spec.clone().unwrap_or_default();
    let mut fixed: std::collections::BTreeMap<String, String> = image
        .files()
        .into_iter()
        .filter(|(_, c)| !c.is_empty())
        .map(|(p, c)| (p.to_string(), c))
        .collect();
    fixed.insert("/etc/hostname".into(), format!("{name}\n"));
    fixed.insert(
        "/etc/hosts".into(),
        format!("# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n{pod_ip}\t{name}\n"),
    );
    fixed.insert(
        "/etc/resolv.conf".into(),
        format!("nameserver {dns_ip}\nsearch {ns}.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5\n"),
    );
    if spec.automount_service_account_token != Some(false) {
        let dir = "/var/run/secrets/kubernetes.io/serviceaccount";
        fixed.insert(format!("{dir}/namespace"), ns.clone());
        fixed.insert(format!("{dir}/ca.crt"), "-----BEGIN CERTIFICATE-----\nMIIDBjCCAe6gAwIBAgIBATANBgkqhkiG9w0BAQsFADAVMRMwEQYDVQQDEwptaW5p\na3ViZUNBMB4XDTI2MDEwMTAwMDAwMFoXDTM2MDEwMTAwMDAwMFowFTETMBEGA1UE\n-----END CERTIFICATE-----\n".into());
        fixed.insert(
            format!("{dir}/token"),
            format!("eyJhbGciOiJSUzI1NiIsImtpZCI6IndoZWVsaG91c2UifQ.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6{}.c2ltdWxhdGVk", ns.len()),
        );
    }
    for (p, content) in projected {
        fixed.insert(p.clone(), content.clone());
    }
    let mut mounts = Vec::new();
    for m in c.volume_mounts.iter().flatten() {
        let Some(v) = spec.volumes.iter().flatten().find(|v| v.name == m.name) else {
            continue;
        };
        let path = fs::absolute("/", &m.mount_path);
        let storage = volume_storage(v, &ns, &uid, node, cluster);
        if let Some(d) = &v.downward_api {
            for item in d.items.iter().flatten() {
                let value = item
                    .field_ref
                    .as_ref()
                    .map(|f| downward_value(pod, &f.field_path))
                    .unwrap_or_default();
                fixed.insert(format!("{path}/{}", item.path), value);
            }
        }
        mounts.push(Mount {
            read_only: m.read_only == Some(true) || storage.is_none(),
            storage,
            path,
        });
    }
    let dirs = image
        .root_dirs()
        .iter()
        .map(|d| format!("/{d}"))
        .chain(["/tmp".to_string(), "/root".to_string()])
        .collect();
    Fs {
        fixed,
        dirs,
        mounts,
        root_storage: format!("container/{container_id}"),
    }
}

/// Where a writable volume keeps its files: see [`fs`].
fn volume_storage(
    v: &Volume,
    ns: &str,
    uid: &str,
    node: &str,
    cluster: &Cluster,
) -> Option<String> {
    if v.empty_dir.is_some() {
        return Some(format!("emptyDir/{uid}/{}", v.name));
    }
    if let Some(h) = &v.host_path {
        return Some(format!("hostPath/{node}{}", h.path));
    }
    if let Some(claim) = &v.persistent_volume_claim {
        let bound = cluster
            .store()
            .get(&Key {
                kind: "PersistentVolumeClaim",
                namespace: ns.into(),
                name: claim.claim_name.as_str().into(),
            })
            .and_then(|o| match o.as_ref() {
                Object::PersistentVolumeClaim(c) => c.spec.as_ref()?.volume_name.clone(),
                _ => None,
            });
        return Some(match bound {
            Some(pv) => format!("pv/{pv}"),
            None => format!("pvc/{ns}/{}", claim.claim_name),
        });
    }
    None
}

/// A downward API file's content (labels and annotations as `key="value"` lines).
fn downward_value(pod: &Pod, path: &str) -> String {
    let lines = |m: Option<&std::collections::BTreeMap<String, String>>| -> String {
        m.into_iter()
            .flatten()
            .map(|(k, v)| format!("{k}=\"{v}\""))
            .collect::<Vec<_>>()
            .join("\n")
    };
    match path {
        "metadata.labels" => lines(pod.metadata.labels.as_ref()),
        "metadata.annotations" => lines(pod.metadata.annotations.as_ref()),
        "metadata.name" => pod.metadata.name.clone().unwrap_or_default(),
        "metadata.namespace" => pod.metadata.namespace.clone().unwrap_or_default(),
        "metadata.uid" => pod.metadata.uid.clone().unwrap_or_default(),
        _ => String::new(),
    }
}

/// The container runtime's refusal of a program that is not in the image (Docker's wording),
/// printed on the exec's output with exit code 126.
fn runtime_refusal(program: &str) -> String {
    let why = if program.contains('/') {
        format!("stat {program}: no such file or directory")
    } else {
        "executable file not found in $PATH".to_string()
    };
    format!("OCI runtime exec failed: exec failed: unable to start container process: exec: \"{program}\": {why}: unknown\n")
}

/// Whether a program with these arguments would read its standard input.
fn reads_stdin(argv: &[String]) -> bool {
    let name = commands::program_name(&argv[0]);
    let files = argv[1..].iter().filter(|a| !a.starts_with('-')).count();
    match name {
        "sh" | "ash" | "dash" | "bash" => !argv.iter().any(|a| a == "-c"),
        "cat" | "wc" | "sort" | "head" | "tail" => files == 0,
        "grep" => files <= 1,
        // `tar x` / `tar t` with `-f -` (what `kubectl cp` into a pod runs).
        "tar" => argv[1..]
            .first()
            .is_some_and(|a| a.trim_start_matches('-').contains(['x', 't'])),
        _ => false,
    }
}

/// A command running with a stream of input (the WebSocket or the browser terminal).
#[derive(Clone, Debug)]
pub struct ExecProcess {
    container: Container,
    argv: Vec<String>,
    /// An interactive shell (a shell started with a terminal).
    shell: Option<Shell>,
    /// Input gathered for a program that runs when its input ends.
    input: String,
    exit: Option<i32>,
}

impl ExecProcess {
    /// Starts `argv`: returns the process and what it printed at once (a shell's prompt, or a
    /// whole command's output when it does not wait for input).
    pub fn start(
        cluster: &mut Cluster,
        container: Container,
        argv: &[String],
        stdin: bool,
        tty: bool,
    ) -> (ExecProcess, ExecOutput) {
        let mut p = ExecProcess {
            container,
            argv: argv.to_vec(),
            shell: None,
            input: String::new(),
            exit: None,
        };
        let mut out = ExecOutput::default();
        let Some(program) = argv.first() else {
            out.push(Stream::Stdout, &runtime_refusal(""));
            out.exit_code = 126;
            p.exit = Some(126);
            return (p, out);
        };
        let base = commands::program_name(program);
        let exists = p.container.os.os != Os::Distroless
            && (p.container.os.has(base) || commands::is_builtin_like(base))
            && (!program.contains('/') || commands::on_path(program));
        if !exists {
            out.push(Stream::Stdout, &runtime_refusal(program));
            out.exit_code = 126;
            p.exit = Some(126);
            return (p, out);
        }
        let is_shell = matches!(base, "sh" | "ash" | "dash" | "bash");
        if is_shell && tty && stdin && !argv.iter().any(|a| a == "-c") {
            let shell = Shell::new(p.container.clone(), program, true);
            out.push(Stream::Stdout, &shell.prompt());
            p.shell = Some(shell);
            return (p, out);
        }
        if stdin && !tty && reads_stdin(argv) {
            return (p, out);
        }
        let r = p.run_whole(cluster, "");
        (p, r)
    }

    fn run_whole(&mut self, cluster: &mut Cluster, stdin: &str) -> ExecOutput {
        let mut out = ExecOutput::default();
        let mut ctx = commands::Ctx {
            container: &self.container,
            cwd: &self.container.workdir,
            env: &self.container.env,
            cluster,
        };
        out.exit_code = commands::run(&mut ctx, &self.argv, stdin, &mut out);
        self.exit = Some(out.exit_code);
        out
    }

    /// Whether the command has ended.
    pub fn is_done(&self) -> bool {
        self.exit.is_some()
    }

    pub fn exit_code(&self) -> Option<i32> {
        self.exit
    }

    /// The interactive shell's prompt, if this is one.
    pub fn prompt(&self) -> Option<String> {
        self.shell.as_ref().map(Shell::prompt)
    }

    /// Input for a program that reads it all before running.
    pub fn write(&mut self, data: &str) {
        self.input.push_str(data);
    }

    /// One line typed at an interactive shell (without its newline): its output, then the next
    /// prompt unless the shell exited.
    pub fn line(&mut self, cluster: &mut Cluster, line: &str) -> ExecOutput {
        let mut out = self.input_line(cluster, line);
        if let Some(p) = self.prompt().filter(|_| !self.is_done()) {
            out.push(Stream::Stdout, &p);
        }
        out
    }

    /// [`Self::line`] without the next prompt, for a terminal that draws prompts itself.
    pub fn input_line(&mut self, cluster: &mut Cluster, line: &str) -> ExecOutput {
        let Some(shell) = self.shell.as_mut() else {
            self.input.push_str(line);
            self.input.push('\n');
            return ExecOutput::default();
        };
        let mut out = shell.run_line(cluster, line);
        if let Some(code) = shell.exited {
            self.exit = Some(code);
            out.exit_code = code;
        }
        out
    }

    /// Whether this is a shell reading a terminal.
    pub fn is_interactive(&self) -> bool {
        self.shell.is_some()
    }

    /// The end of input (Ctrl-D at an empty prompt, or the client closing stdin).
    pub fn close_stdin(&mut self, cluster: &mut Cluster) -> ExecOutput {
        if self.exit.is_some() {
            return ExecOutput {
                chunks: Vec::new(),
                exit_code: self.exit.unwrap_or(0),
            };
        }
        if let Some(shell) = &self.shell {
            let code = shell.status;
            self.exit = Some(code);
            return ExecOutput {
                chunks: Vec::new(),
                exit_code: code,
            };
        }
        let input = std::mem::take(&mut self.input);
        let base = commands::program_name(&self.argv[0]).to_string();
        if matches!(base.as_str(), "sh" | "ash" | "dash" | "bash")
            && !self.argv.iter().any(|a| a == "-c")
        {
            let mut shell = Shell::new(self.container.clone(), &self.argv[0], false);
            let out = shell.run_script(cluster, &input, "");
            self.exit = Some(out.exit_code);
            return out;
        }
        self.run_whole(cluster, &input)
    }
}

#[cfg(test)]
mod tests;
