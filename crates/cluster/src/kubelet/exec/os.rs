//! What an image's filesystem offers to `kubectl exec`: its shell (busybox `ash`, Debian's
//! `dash` and `bash`, or none at all in distroless images), which programs are on `$PATH`, the
//! environment baked into the image, and a few well-known files.

use crate::images::{self, App, ImageRef};

/// The family of an image's root filesystem; decides the shell, its prompt and its messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Os {
    /// `busybox`: one binary for every tool, `ash` as `sh`.
    Busybox,
    /// `alpine` and images built on it: busybox tools plus musl's `getent`.
    Alpine,
    /// Debian-based official images (`nginx`, `redis`, `postgres`, `node`, `python`, ...):
    /// `sh` is `dash`, `bash` exists, no `ps`, `ping`, `wget` or `nslookup`.
    Debian,
    /// `ubuntu`: like Debian, with `ps`.
    Ubuntu,
    /// Images with no shell and no tools (`registry.k8s.io/*`, distroless).
    Distroless,
}

/// The profile of the image a container runs.
#[derive(Clone, Debug, PartialEq)]
pub struct ImageOs {
    pub os: Os,
    pub app: Option<App>,
    /// Programs the image adds on top of its OS (`nginx`, `curl`, `redis-cli`, ...).
    extra: &'static [&'static str],
    /// Environment variables set by the image's Dockerfile (`ENV`), after PATH.
    pub env: Vec<(String, String)>,
}

const PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// busybox applets the runner knows.
const BUSYBOX_TOOLS: &[&str] = &[
    "sh", "ash", "cat", "date", "echo", "env", "false", "grep", "head", "hostname", "id", "ls",
    "mkdir", "nslookup", "printenv", "ps", "pwd", "rm", "sleep", "sort", "tail", "touch", "true",
    "uname", "wc", "wget", "whoami", "which", "test", "[", "uptime", "tar",
];

/// coreutils and friends in a Debian slim base.
const DEBIAN_TOOLS: &[&str] = &[
    "sh", "dash", "bash", "cat", "date", "echo", "env", "false", "grep", "head", "hostname", "id",
    "ls", "mkdir", "printenv", "pwd", "rm", "sleep", "sort", "tail", "touch", "true", "uname",
    "wc", "whoami", "which", "test", "[", "getent", "tar",
];

impl ImageOs {
    /// The profile of `image` (a container's `image` field).
    pub fn of(image: &str) -> ImageOs {
        let r = ImageRef::parse(image);
        let spec = images::lookup(&r);
        let app = spec.map(|s| s.app);
        let alpine_tag = r.tag.contains("alpine");
        let (os, extra, env): (Os, &'static [&'static str], Vec<(&str, &str)>) =
            match (r.repository.as_str(), app) {
                ("busybox", _) => (Os::Busybox, &[], vec![]),
                ("alpine" | "polinux/stress", _) => (Os::Alpine, &["stress"], vec![]),
                ("ubuntu", _) => (Os::Ubuntu, &["ps"], vec![]),
                (_, Some(App::Nginx | App::DevopsFrontend)) => (
                    if alpine_tag || app == Some(App::DevopsFrontend) {
                        Os::Alpine
                    } else {
                        Os::Debian
                    },
                    &["nginx", "curl"],
                    vec![
                        ("NGINX_VERSION", "1.27.5"),
                        ("NJS_VERSION", "0.8.10"),
                        ("NJS_RELEASE", "1~bookworm"),
                        ("PKG_RELEASE", "1~bookworm"),
                        ("DYNPKG_RELEASE", "1~bookworm"),
                    ],
                ),
                (_, Some(App::HpaExample)) => (
                    Os::Debian,
                    &["apache2", "apachectl", "php"],
                    vec![
                        ("PHP_VERSION", "5.6.14"),
                        ("APACHE_CONFDIR", "/etc/apache2"),
                    ],
                ),
                (_, Some(App::Httpd)) => (
                    Os::Debian,
                    &["httpd", "apachectl"],
                    vec![
                        ("HTTPD_PREFIX", "/usr/local/apache2"),
                        ("HTTPD_VERSION", "2.4.63"),
                    ],
                ),
                (_, Some(App::Redis)) => (
                    if alpine_tag { Os::Alpine } else { Os::Debian },
                    &["redis-cli", "redis-server"],
                    vec![("REDIS_VERSION", "7.4.2")],
                ),
                (_, Some(App::Postgres)) => (
                    Os::Debian,
                    &["psql", "postgres", "pg_isready"],
                    vec![
                        ("PG_MAJOR", "17"),
                        ("PG_VERSION", "17.2-1.pgdg120+1"),
                        ("PGDATA", "/var/lib/postgresql/data"),
                    ],
                ),
                (_, Some(App::Mysql)) => (
                    Os::Debian,
                    &["mysql", "mysqld"],
                    vec![("MYSQL_VERSION", "9.1.0-1.el9")],
                ),
                (_, Some(App::NodeWeb)) => (
                    Os::Alpine,
                    &["node", "npm"],
                    vec![("NODE_VERSION", "22.12.0"), ("YARN_VERSION", "1.22.22")],
                ),
                (_, Some(App::Interpreter)) if r.repository == "node" => (
                    if alpine_tag { Os::Alpine } else { Os::Debian },
                    &["node", "npm"],
                    vec![("NODE_VERSION", "22.12.0"), ("YARN_VERSION", "1.22.22")],
                ),
                (_, Some(App::Interpreter | App::DevopsBackend)) => (
                    if alpine_tag { Os::Alpine } else { Os::Debian },
                    &["python", "python3", "pip"],
                    vec![("LANG", "C.UTF-8"), ("PYTHON_VERSION", "3.13.1")],
                ),
                (_, Some(App::Liveness | App::System)) => (Os::Distroless, &[], vec![]),
                (_, Some(App::Shell)) => (Os::Busybox, &[], vec![]),
                // Not in the catalogue (or no profile yet): the common case is a Debian-based
                // application image.
                _ => (Os::Debian, &[], vec![]),
            };
        ImageOs {
            os,
            app,
            extra,
            env: env
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    pub fn path(&self) -> &'static str {
        PATH
    }

    /// Whether `program` (a name, not a path) is on the image's `$PATH`.
    pub fn has(&self, program: &str) -> bool {
        let base: &[&str] = match self.os {
            Os::Busybox | Os::Alpine => BUSYBOX_TOOLS,
            Os::Debian | Os::Ubuntu => DEBIAN_TOOLS,
            Os::Distroless => &[],
        };
        base.contains(&program)
            || self.extra.contains(&program)
            || (self.os == Os::Alpine && program == "getent")
    }

    /// The top-level directories `ls /` shows.
    pub fn root_dirs(&self) -> &'static [&'static str] {
        match self.os {
            Os::Busybox => &[
                "bin", "dev", "etc", "home", "lib", "lib64", "proc", "root", "sys", "tmp", "usr",
                "var",
            ],
            Os::Alpine => &[
                "bin", "dev", "etc", "home", "lib", "media", "mnt", "opt", "proc", "root", "run",
                "sbin", "srv", "sys", "tmp", "usr", "var",
            ],
            Os::Debian | Os::Ubuntu => &[
                "bin", "boot", "dev", "etc", "home", "lib", "lib64", "media", "mnt", "opt", "proc",
                "root", "run", "sbin", "srv", "sys", "tmp", "usr", "var",
            ],
            Os::Distroless => &["bin", "dev", "etc", "proc", "sys", "tmp", "usr", "var"],
        }
    }

    /// Files shipped in the image that learners look at.
    pub fn files(&self) -> Vec<(&'static str, String)> {
        let mut out = vec![("/etc/os-release", self.os_release().to_string())];
        if matches!(self.app, Some(App::Nginx | App::DevopsFrontend)) {
            out.push((
                "/etc/nginx/conf.d/default.conf",
                NGINX_DEFAULT_CONF.to_string(),
            ));
            out.push(("/etc/nginx/nginx.conf", NGINX_CONF.to_string()));
            out.push((
                "/usr/share/nginx/html/index.html",
                crate::kubelet::process::NGINX_WELCOME.to_string(),
            ));
            out.push(("/usr/share/nginx/html/50x.html", NGINX_50X.to_string()));
        }
        out
    }

    fn os_release(&self) -> &'static str {
        match self.os {
            Os::Alpine => "NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.21.2\nPRETTY_NAME=\"Alpine Linux v3.21\"\nHOME_URL=\"https://alpinelinux.org/\"\nBUG_REPORT_URL=\"https://gitlab.alpinelinux.org/alpine/aports/-/issues\"\n",
            Os::Ubuntu => "PRETTY_NAME=\"Ubuntu 24.04.1 LTS\"\nNAME=\"Ubuntu\"\nVERSION_ID=\"24.04\"\nVERSION=\"24.04.1 LTS (Noble Numbat)\"\nVERSION_CODENAME=noble\nID=ubuntu\nID_LIKE=debian\n",
            Os::Busybox | Os::Distroless => "",
            Os::Debian => "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nVERSION=\"12 (bookworm)\"\nVERSION_CODENAME=bookworm\nID=debian\nHOME_URL=\"https://www.debian.org/\"\nSUPPORT_URL=\"https://www.debian.org/support\"\nBUG_REPORT_URL=\"https://bugs.debian.org/\"\n",
        }
    }

    /// `nginx -v` and friends: what the image's own programs print for a version query.
    pub fn version_of(&self, program: &str) -> Option<(bool, String)> {
        // (on stderr, text)
        Some(match program {
            "nginx" => (true, "nginx version: nginx/1.27.5\n".into()),
            "redis-cli" | "redis-server" => (false, format!("{program} 7.4.2\n")),
            "node" => (false, "v22.12.0\n".into()),
            "npm" => (false, "10.9.0\n".into()),
            "python" | "python3" => (false, "Python 3.13.1\n".into()),
            "psql" => (
                false,
                "psql (PostgreSQL) 17.2 (Debian 17.2-1.pgdg120+1)\n".into(),
            ),
            "curl" => (
                false,
                "curl 7.88.1 (x86_64-pc-linux-gnu) libcurl/7.88.1 OpenSSL/3.0.15 zlib/1.2.13\n"
                    .into(),
            ),
            _ => return None,
        })
    }
}

const NGINX_DEFAULT_CONF: &str = "server {
    listen       80;
    listen  [::]:80;
    server_name  localhost;

    #access_log  /var/log/nginx/host.access.log  main;

    location / {
        root   /usr/share/nginx/html;
        index  index.html index.htm;
    }

    #error_page  404              /404.html;

    # redirect server error pages to the static page /50x.html
    #
    error_page   500 502 503 504  /50x.html;
    location = /50x.html {
        root   /usr/share/nginx/html;
    }
}
";

const NGINX_CONF: &str = "
user  nginx;
worker_processes  auto;

error_log  /var/log/nginx/error.log notice;
pid        /run/nginx.pid;


events {
    worker_connections  1024;
}


http {
    include       /etc/nginx/mime.types;
    default_type  application/octet-stream;

    log_format  main  '$remote_addr - $remote_user [$time_local] \"$request\" '
                      '$status $body_bytes_sent \"$http_referer\" '
                      '\"$http_user_agent\" \"$http_x_forwarded_for\"';

    access_log  /var/log/nginx/access.log  main;

    sendfile        on;
    #tcp_nopush     on;

    keepalive_timeout  65;

    #gzip  on;

    include /etc/nginx/conf.d/*.conf;
}
";

const NGINX_50X: &str = "<!DOCTYPE html>
<html>
<head>
<title>Error</title>
<style>
html { color-scheme: light dark; }
body { width: 35em; margin: 0 auto;
font-family: Tahoma, Verdana, Arial, sans-serif; }
</style>
</head>
<body>
<h1>An error occurred.</h1>
<p>Sorry, the page you are looking for is currently unavailable.<br/>
Please try again later.</p>
<p>If you are the system administrator of this resource then you might find more information in the <a href=\"http://nginx.org/r/error_log\">error log</a>.</p>
<p><em>Faithfully yours, nginx.</em></p>
</body>
</html>
";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_map_to_their_base_systems() {
        assert_eq!(ImageOs::of("nginx").os, Os::Debian);
        assert_eq!(ImageOs::of("nginx:1.27-alpine").os, Os::Alpine);
        assert_eq!(ImageOs::of("busybox:1.36").os, Os::Busybox);
        assert_eq!(
            ImageOs::of("registry.k8s.io/coredns/coredns:v1.11.1").os,
            Os::Distroless
        );
        assert!(ImageOs::of("nginx").has("curl"));
        assert!(!ImageOs::of("nginx").has("ps"));
        assert!(!ImageOs::of("busybox").has("curl"));
        assert!(ImageOs::of("busybox").has("wget"));
    }
}
