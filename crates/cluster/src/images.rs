//! The image catalogue, as data: which images exist and where, how long they take to pull, what
//! their containers log, which ports they serve and what they answer, how much memory they use and
//! how they fail.
//!
//! Three places can hold an image, as on a learner's laptop:
//! - the public registry (Docker Hub and registry.k8s.io): every [`Availability::Public`] image,
//!   plus whatever the learner `docker push`ed ([`Registry::push`]);
//! - the learner's local Docker: [`Availability::LocalOnly`] images, built in the course
//!   (`node-app:v1`, `mon-user/devops-backend:latest`, ...). A node cannot pull these;
//! - each node's own image store, filled by pulls and by `minikube image load` /
//!   `kind load docker-image` ([`crate::Cluster::load_image_into_nodes`]).

use std::collections::{BTreeMap, BTreeSet};

/// A parsed image reference: `docker.io/library/nginx:1.27` and `nginx:1.27` are the same image.
#[derive(
    Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct ImageRef {
    /// The repository without the default registry and `library/`: `nginx`, `mon-user/devops-backend`,
    /// `registry.k8s.io/pause`.
    pub repository: String,
    /// The tag (`latest` when none was given) or digest.
    pub tag: String,
}

impl ImageRef {
    pub fn parse(image: &str) -> ImageRef {
        let (name, tag) = match image.rsplit_once('@') {
            Some((n, d)) => (n, d.to_string()),
            None => match image.rsplit_once(':') {
                // A colon after the last slash is a tag; before it, a registry port.
                Some((n, t)) if !t.contains('/') => (n, t.to_string()),
                _ => (image, "latest".to_string()),
            },
        };
        let name = name
            .strip_prefix("docker.io/")
            .or_else(|| name.strip_prefix("index.docker.io/"))
            .unwrap_or(name);
        let name = name.strip_prefix("library/").unwrap_or(name);
        ImageRef {
            repository: name.to_string(),
            tag,
        }
    }

    /// The short form people write: `nginx:1.27`.
    pub fn short(&self) -> String {
        format!("{}:{}", self.repository, self.tag)
    }

    /// The fully qualified form the container runtime reports in `status.containerStatuses[].image`.
    pub fn qualified(&self) -> String {
        let first = self.repository.split('/').next().unwrap_or_default();
        if first.contains('.') || first.contains(':') || first == "localhost" {
            self.short()
        } else if self.repository.contains('/') {
            format!("docker.io/{}", self.short())
        } else {
            format!("docker.io/library/{}", self.short())
        }
    }

    /// The repository name as Docker's error messages print it.
    fn docker_name(&self) -> &str {
        &self.repository
    }
}

/// Where an image can come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Availability {
    /// On the public registry: any node can pull it.
    Public,
    /// Built by the learner: only in their local Docker until loaded into the nodes or pushed.
    LocalOnly,
    /// In a private repository: pulls fail without credentials.
    Private,
}

/// What a container of this image does when started with no command override.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum App {
    Nginx,
    Httpd,
    Redis,
    Postgres,
    Mysql,
    /// `node` / `python`: an interpreter that exits at once without a script.
    Interpreter,
    /// busybox / alpine / ubuntu: `sh` with no terminal exits 0 at once; commands are interpreted.
    Shell,
    /// The course's Node.js web app (`node-app`, `node-demo`): "Hello World!" on 8080.
    NodeWeb,
    /// The course project's API on 8000.
    DevopsBackend,
    /// The course project's frontend (nginx serving static files) on 80.
    DevopsFrontend,
    /// `registry.k8s.io/liveness`: `/healthz` answers 200 for 10 s, then 500 (the upstream docs'
    /// liveness example).
    Liveness,
    /// kube-system components: run forever, quietly.
    System,
    /// `registry.k8s.io/hpa-example`: Apache with a PHP page that burns CPU and answers `OK!`
    /// (the upstream HorizontalPodAutoscaler walkthrough's php-apache).
    HpaExample,
}

/// One catalogue entry.
#[derive(Clone, Copy, Debug)]
pub struct ImageSpec {
    pub repository: &'static str,
    /// Tags that exist; pulling another tag fails with "manifest unknown".
    pub tags: &'static [&'static str],
    pub availability: Availability,
    pub size_bytes: u64,
    /// Pull time on the simulated network, in milliseconds.
    pub pull_millis: u64,
    /// Steady-state memory of the main process, in MiB.
    pub memory_mib: u64,
    /// TCP ports the default process listens on.
    pub ports: &'static [u16],
    pub app: App,
    /// Whether PID 1 exits promptly on SIGTERM (a shell running `sleep` does not, so the pod
    /// waits out its whole grace period, as real busybox pods do).
    pub stops_on_sigterm: bool,
}

const NGINX_TAGS: &[&str] = &[
    "latest",
    "1.27",
    "1.27.5",
    "1.27-alpine",
    "1.26",
    "1.25",
    "1.24",
    "1.23",
    "1.21",
    "1.19",
    "1.16",
    "1.14.2",
    "alpine",
    "stable",
];

/// The catalogue. Pull times and sizes are close to what the real images take on a home link.
pub const CATALOGUE: &[ImageSpec] = &[
    ImageSpec {
        repository: "nginx",
        tags: NGINX_TAGS,
        availability: Availability::Public,
        size_bytes: 72_188_133,
        pull_millis: 3_214,
        memory_mib: 8,
        ports: &[80],
        app: App::Nginx,
        stops_on_sigterm: true,
    },
    ImageSpec {
        repository: "httpd",
        tags: &["latest", "2.4", "2.4-alpine", "alpine"],
        availability: Availability::Public,
        size_bytes: 58_196_340,
        pull_millis: 2_871,
        memory_mib: 12,
        ports: &[80],
        app: App::Httpd,
        stops_on_sigterm: true,
    },
    ImageSpec {
        repository: "busybox",
        tags: &["latest", "1.36", "1.37", "1.35", "1.28", "stable"],
        availability: Availability::Public,
        size_bytes: 4_277_910,
        pull_millis: 1_127,
        memory_mib: 1,
        ports: &[],
        app: App::Shell,
        stops_on_sigterm: false,
    },
    ImageSpec {
        repository: "alpine",
        tags: &["latest", "3.21", "3.20", "3.19", "3.18"],
        availability: Availability::Public,
        size_bytes: 8_311_280,
        pull_millis: 1_402,
        memory_mib: 1,
        ports: &[],
        app: App::Shell,
        stops_on_sigterm: false,
    },
    ImageSpec {
        repository: "ubuntu",
        tags: &["latest", "24.04", "22.04", "20.04"],
        availability: Availability::Public,
        size_bytes: 78_122_542,
        pull_millis: 3_460,
        memory_mib: 2,
        ports: &[],
        app: App::Shell,
        stops_on_sigterm: false,
    },
    ImageSpec {
        repository: "redis",
        tags: &["latest", "7", "7.4", "7.2", "7-alpine", "alpine", "6", "8"],
        availability: Availability::Public,
        size_bytes: 117_231_208,
        pull_millis: 4_386,
        memory_mib: 9,
        ports: &[6379],
        app: App::Redis,
        stops_on_sigterm: true,
    },
    ImageSpec {
        repository: "postgres",
        tags: &[
            "latest",
            "17",
            "16",
            "15",
            "14",
            "13",
            "16-alpine",
            "alpine",
        ],
        availability: Availability::Public,
        size_bytes: 438_451_521,
        pull_millis: 9_862,
        memory_mib: 38,
        ports: &[5432],
        app: App::Postgres,
        stops_on_sigterm: true,
    },
    ImageSpec {
        repository: "mysql",
        tags: &["latest", "8", "8.0", "8.4", "9", "5.7"],
        availability: Availability::Public,
        size_bytes: 602_713_478,
        pull_millis: 12_144,
        memory_mib: 360,
        ports: &[3306, 33060],
        app: App::Mysql,
        stops_on_sigterm: true,
    },
    ImageSpec {
        repository: "node",
        tags: &[
            "latest",
            "22",
            "20",
            "18",
            "22-alpine",
            "20-alpine",
            "18-alpine",
            "lts",
            "alpine",
        ],
        availability: Availability::Public,
        size_bytes: 1_115_620_812,
        pull_millis: 15_731,
        memory_mib: 30,
        ports: &[],
        app: App::Interpreter,
        stops_on_sigterm: true,
    },
    ImageSpec {
        repository: "python",
        tags: &[
            "latest",
            "3",
            "3.13",
            "3.12",
            "3.11",
            "3.12-slim",
            "3.13-slim",
            "slim",
            "alpine",
        ],
        availability: Availability::Public,
        size_bytes: 1_019_341_280,
        pull_millis: 14_905,
        memory_mib: 10,
        ports: &[],
        app: App::Interpreter,
        stops_on_sigterm: true,
    },
    ImageSpec {
        repository: "polinux/stress",
        tags: &["latest"],
        availability: Availability::Public,
        size_bytes: 9_744_175,
        pull_millis: 1_633,
        memory_mib: 1,
        ports: &[],
        app: App::Shell,
        stops_on_sigterm: false,
    },
    ImageSpec {
        repository: "registry.k8s.io/liveness",
        tags: &["latest"],
        availability: Availability::Public,
        size_bytes: 2_579_090,
        pull_millis: 812,
        memory_mib: 2,
        ports: &[8080],
        app: App::Liveness,
        stops_on_sigterm: true,
    },
    ImageSpec {
        repository: "registry.k8s.io/hpa-example",
        tags: &["latest"],
        availability: Availability::Public,
        size_bytes: 180_562_155,
        pull_millis: 8_140,
        memory_mib: 10,
        ports: &[80],
        app: App::HpaExample,
        stops_on_sigterm: true,
    },
    ImageSpec {
        repository: "registry.k8s.io/pause",
        tags: &["3.10"],
        availability: Availability::Public,
        size_bytes: 736_000,
        pull_millis: 400,
        memory_mib: 1,
        ports: &[],
        app: App::System,
        stops_on_sigterm: true,
    },
    ImageSpec {
        repository: "registry.k8s.io/coredns/coredns",
        tags: &["v1.12.0"],
        availability: Availability::Public,
        size_bytes: 70_054_384,
        pull_millis: 2_500,
        memory_mib: 14,
        ports: &[53, 8080, 8181, 9153],
        app: App::System,
        stops_on_sigterm: true,
    },
    ImageSpec {
        repository: "gcr.io/k8s-minikube/storage-provisioner",
        tags: &["v5"],
        availability: Availability::Public,
        size_bytes: 31_465_472,
        pull_millis: 1_600,
        memory_mib: 10,
        ports: &[],
        app: App::System,
        stops_on_sigterm: true,
    },
    ImageSpec {
        repository: "registry.k8s.io/etcd",
        tags: &["3.5.21-0"],
        availability: Availability::Public,
        size_bytes: 150_000_000,
        pull_millis: 5_000,
        memory_mib: 40,
        ports: &[2379, 2380],
        app: App::System,
        stops_on_sigterm: true,
    },
    ImageSpec {
        repository: "registry.k8s.io/kube-apiserver",
        tags: &["v1.33.1"],
        availability: Availability::Public,
        size_bytes: 102_000_000,
        pull_millis: 4_000,
        memory_mib: 250,
        ports: &[8443],
        app: App::System,
        stops_on_sigterm: true,
    },
    ImageSpec {
        repository: "registry.k8s.io/kube-controller-manager",
        tags: &["v1.33.1"],
        availability: Availability::Public,
        size_bytes: 95_000_000,
        pull_millis: 4_000,
        memory_mib: 50,
        ports: &[10257],
        app: App::System,
        stops_on_sigterm: true,
    },
    ImageSpec {
        repository: "registry.k8s.io/kube-scheduler",
        tags: &["v1.33.1"],
        availability: Availability::Public,
        size_bytes: 72_000_000,
        pull_millis: 3_000,
        memory_mib: 25,
        ports: &[10259],
        app: App::System,
        stops_on_sigterm: true,
    },
    ImageSpec {
        repository: "registry.k8s.io/kube-proxy",
        tags: &["v1.33.1"],
        availability: Availability::Public,
        size_bytes: 97_932_576,
        pull_millis: 3_500,
        memory_mib: 18,
        ports: &[],
        app: App::System,
        stops_on_sigterm: true,
    },
    // The course's own images: built locally by the learner, on no registry until pushed.
    ImageSpec {
        repository: "node-app",
        tags: &["v1", "v2"],
        availability: Availability::LocalOnly,
        size_bytes: 1_117_842_311,
        pull_millis: 0,
        memory_mib: 42,
        ports: &[8080],
        app: App::NodeWeb,
        stops_on_sigterm: true,
    },
    ImageSpec {
        repository: "node-demo",
        tags: &["v1", "v2"],
        availability: Availability::LocalOnly,
        size_bytes: 1_117_842_311,
        pull_millis: 0,
        memory_mib: 42,
        ports: &[8080],
        app: App::NodeWeb,
        stops_on_sigterm: true,
    },
    ImageSpec {
        repository: "mon-user/devops-backend",
        tags: &["latest", "v1", "v2"],
        availability: Availability::LocalOnly,
        size_bytes: 187_401_113,
        pull_millis: 5_210,
        memory_mib: 55,
        ports: &[8000],
        app: App::DevopsBackend,
        stops_on_sigterm: true,
    },
    ImageSpec {
        repository: "mon-user/devops-frontend",
        tags: &["latest", "v1", "v2"],
        availability: Availability::LocalOnly,
        size_bytes: 49_330_112,
        pull_millis: 2_130,
        memory_mib: 7,
        ports: &[80],
        app: App::DevopsFrontend,
        stops_on_sigterm: true,
    },
    // A private repository: exists, but anonymous pulls are refused.
    ImageSpec {
        repository: "mon-user/private-app",
        tags: &["latest", "v1"],
        availability: Availability::Private,
        size_bytes: 90_000_000,
        pull_millis: 3_000,
        memory_mib: 20,
        ports: &[8080],
        app: App::NodeWeb,
        stops_on_sigterm: true,
    },
];

/// The catalogue entry for a repository.
pub fn lookup(image: &ImageRef) -> Option<&'static ImageSpec> {
    CATALOGUE.iter().find(|s| s.repository == image.repository)
}

/// The catalogue entry for an image that exists with this exact tag.
pub fn lookup_tagged(image: &ImageRef) -> Option<&'static ImageSpec> {
    lookup(image)
        .filter(|s| s.tags.contains(&image.tag.as_str()) || image.tag.starts_with("sha256:"))
}

/// Whether the learner's local Docker has this image (what `minikube image load` can load).
pub fn in_local_docker(image: &ImageRef) -> bool {
    lookup_tagged(image).is_some()
}

/// The simulated public registry: the catalogue's public images plus what the learner pushed.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct Registry {
    pushed: BTreeSet<ImageRef>,
}

/// How a pull from the registry ends.
#[derive(Clone, Debug, PartialEq)]
pub enum PullOutcome {
    Pulled {
        size_bytes: u64,
        millis: u64,
    },
    /// The runtime's error message (what follows `Failed to pull image "x": `).
    Failed(String),
}

impl Registry {
    /// `docker push`: the image becomes pullable by every node.
    pub fn push(&mut self, image: &ImageRef) {
        self.pushed.insert(image.clone());
    }

    pub fn has(&self, image: &ImageRef) -> bool {
        self.pushed.contains(image)
            || lookup_tagged(image).is_some_and(|s| s.availability == Availability::Public)
    }

    /// Pulls as the node's Docker engine (minikube's runtime) would, with its error messages.
    pub fn pull(&self, image: &ImageRef) -> PullOutcome {
        if self.has(image) {
            let spec = lookup(image);
            return PullOutcome::Pulled {
                size_bytes: spec.map_or(50_000_000, |s| s.size_bytes),
                millis: spec.map_or(2_000, |s| s.pull_millis.max(500)),
            };
        }
        let repo_exists_publicly =
            lookup(image).is_some_and(|s| s.availability == Availability::Public);
        if repo_exists_publicly {
            PullOutcome::Failed(format!(
                "Error response from daemon: manifest for {} not found: manifest unknown: manifest unknown",
                image.short()
            ))
        } else {
            PullOutcome::Failed(format!(
                "Error response from daemon: pull access denied for {}, repository does not exist or may require 'docker login': denied: requested access to the resource is denied",
                image.docker_name()
            ))
        }
    }
}

/// A node's container runtime image store.
/// Keyed by the image's short form (`nginx:1.27`).
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct NodeImages {
    images: BTreeMap<String, u64>,
}

impl NodeImages {
    pub fn has(&self, image: &ImageRef) -> bool {
        self.images.contains_key(&image.short())
    }

    pub fn add(&mut self, image: &ImageRef, size_bytes: u64) {
        self.images.insert(image.short(), size_bytes);
    }

    pub fn iter(&self) -> impl Iterator<Item = (&String, &u64)> {
        self.images.iter()
    }
}

/// A stable fake digest for an image, so `imageID` looks like the real `docker-pullable://...@sha256:`.
pub fn digest(image: &ImageRef) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut out = String::from("sha256:");
    for round in 0..4u8 {
        for b in image.short().bytes().chain([round]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        out.push_str(&format!("{h:016x}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_references_like_docker() {
        assert_eq!(ImageRef::parse("nginx").short(), "nginx:latest");
        assert_eq!(
            ImageRef::parse("docker.io/library/nginx:1.27").short(),
            "nginx:1.27"
        );
        assert_eq!(
            ImageRef::parse("localhost:5000/app").short(),
            "localhost:5000/app:latest"
        );
        assert_eq!(
            ImageRef::parse("nginx:1.27").qualified(),
            "docker.io/library/nginx:1.27"
        );
        assert_eq!(
            ImageRef::parse("mon-user/devops-backend").qualified(),
            "docker.io/mon-user/devops-backend:latest"
        );
        assert_eq!(
            ImageRef::parse("registry.k8s.io/pause:3.10").qualified(),
            "registry.k8s.io/pause:3.10"
        );
    }

    #[test]
    fn local_images_pull_only_after_a_push() {
        let mut r = Registry::default();
        let img = ImageRef::parse("node-app:v1");
        let PullOutcome::Failed(msg) = r.pull(&img) else {
            panic!()
        };
        assert!(msg.contains("pull access denied for node-app, repository does not exist"));
        r.push(&img);
        assert!(matches!(r.pull(&img), PullOutcome::Pulled { .. }));
    }

    #[test]
    fn a_missing_tag_of_a_public_image_is_manifest_unknown() {
        let r = Registry::default();
        let PullOutcome::Failed(msg) = r.pull(&ImageRef::parse("nginx:9.99")) else {
            panic!()
        };
        assert_eq!(
            msg,
            "Error response from daemon: manifest for nginx:9.99 not found: manifest unknown: manifest unknown"
        );
        assert!(matches!(
            r.pull(&ImageRef::parse("nginx:1.27")),
            PullOutcome::Pulled { .. }
        ));
    }
}

/// Why an image could not be loaded into the nodes.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LoadError {
    /// The learner's local Docker has no such image (it was never built or pulled).
    #[error("image {0} not found in the local docker daemon")]
    NotLocal(String),
}

impl crate::Cluster {
    /// `minikube image load IMAGE` / `kind load docker-image IMAGE`: copies an image from the
    /// learner's local Docker into every node's image store. Pods that failed to pull it start
    /// at their next retry (the kubelet's back-off), as on a real cluster. Returns the nodes the
    /// image was not yet present on (kind prints a line for each).
    pub fn load_image_into_nodes(&mut self, image: &str) -> Result<Vec<String>, LoadError> {
        let r = ImageRef::parse(image);
        let Some(spec) = lookup_tagged(&r) else {
            return Err(LoadError::NotLocal(image.to_string()));
        };
        let nodes: Vec<String> = self
            .store()
            .list("Node", None)
            .map(|o| o.name().to_string())
            .collect();
        let mut loaded = Vec::new();
        for n in nodes {
            let store = self.runtime.node_images.entry(n.clone()).or_default();
            if !store.has(&r) {
                store.add(&r, spec.size_bytes);
                loaded.push(n);
            }
        }
        Ok(loaded)
    }

    /// `docker push IMAGE`: the image becomes pullable from the registry by every node.
    pub fn registry_push(&mut self, image: &str) -> Result<(), LoadError> {
        let r = ImageRef::parse(image);
        if lookup_tagged(&r).is_none() {
            return Err(LoadError::NotLocal(image.to_string()));
        }
        self.runtime.registry.push(&r);
        Ok(())
    }

    /// Whether a node holds an image (`minikube image ls`).
    pub fn node_has_image(&self, node: &str, image: &str) -> bool {
        self.runtime
            .node_images
            .get(node)
            .is_some_and(|s| s.has(&ImageRef::parse(image)))
    }

    /// The images in a node's store, short names (`nginx:1.27`).
    pub fn node_images(&self, node: &str) -> Vec<String> {
        self.runtime
            .node_images
            .get(node)
            .map(|s| s.iter().map(|(k, _)| k.clone()).collect())
            .unwrap_or_default()
    }
}
