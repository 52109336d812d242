//! The learner's simulated laptop: its Docker images and login, and the state of minikube and kind.
//! The cluster itself lives in the session; this is what the laptop knows about it.

use serde::{Deserialize, Serialize};

/// An image in the laptop's Docker.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DockerImage {
    /// `repository:tag` in short form (`node-app:v1`); untagged builds are `<none>:<none>`.
    pub reference: String,
    /// The full `sha256:` id.
    pub id: String,
    /// Simulated creation time (seconds since the epoch); `None` for images built before the session.
    pub created: Option<i64>,
    pub size_bytes: u64,
    pub base: Option<String>,
    pub exposed_ports: Vec<u16>,
    /// Layers added on top of the base (one per RUN/COPY/ADD), for `docker push` output.
    pub layers: u32,
}

/// The laptop.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Laptop {
    pub images: Vec<DockerImage>,
    /// The Docker Hub user `docker login` logged in as.
    pub docker_user: Option<String>,
    /// Whether the minikube cluster is running (the session's cluster starts running).
    pub minikube_running: bool,
    /// kind clusters created with `kind create cluster` (they are the session's cluster too).
    pub kind_clusters: Vec<String>,
}

/// The course's own images, built in its Docker module before Kubernetes: the laptop has them,
/// no registry does (until pushed), so using them in a pod gives the ImagePullBackOff the course
/// teaches to fix.
const COURSE_IMAGES: &[(&str, u64, Option<&str>, &[u16])] = &[
    ("node-app:v1", 1_117_842_311, Some("node:18"), &[8080]),
    ("node-demo:v1", 1_117_842_311, Some("node:18"), &[8080]),
    (
        "mon-user/devops-backend:latest",
        187_401_113,
        Some("python:3.12-slim"),
        &[8000],
    ),
    (
        "mon-user/devops-frontend:latest",
        49_330_112,
        Some("nginx:alpine"),
        &[80],
    ),
];

impl Default for Laptop {
    fn default() -> Laptop {
        Laptop {
            images: COURSE_IMAGES
                .iter()
                .map(|(reference, size, base, ports)| DockerImage {
                    reference: reference.to_string(),
                    id: image_id(&[reference.as_bytes()]),
                    created: None,
                    size_bytes: *size,
                    base: base.map(str::to_string),
                    exposed_ports: ports.to_vec(),
                    layers: 3,
                })
                .collect(),
            docker_user: None,
            minikube_running: true,
            kind_clusters: Vec::new(),
        }
    }
}

/// Docker's short form of a reference: no `docker.io/`, no `library/`, `:latest` added.
pub fn normalize(reference: &str) -> String {
    let (name, tag) = match reference.rsplit_once('@') {
        Some((n, d)) => (n.to_string(), format!("@{d}")),
        None => match reference.rsplit_once(':') {
            Some((n, t)) if !t.contains('/') => (n.to_string(), format!(":{t}")),
            _ => (reference.to_string(), ":latest".to_string()),
        },
    };
    let name = name
        .strip_prefix("docker.io/")
        .or_else(|| name.strip_prefix("index.docker.io/"))
        .unwrap_or(&name)
        .to_string();
    let name = name.strip_prefix("library/").unwrap_or(&name).to_string();
    format!("{name}{tag}")
}

/// Splits a normalized reference into repository and tag.
pub fn split(reference: &str) -> (&str, &str) {
    match reference.rsplit_once(':') {
        Some((r, t)) if !t.contains('/') => (r, t),
        _ => (reference, "latest"),
    }
}

/// A reference is valid when it is lower case and made of Docker's name characters.
pub fn valid_reference(reference: &str) -> bool {
    let (repo, tag) = split(reference);
    !repo.is_empty()
        && repo
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-/:".contains(c))
        && !tag.is_empty()
        && tag.len() <= 128
        && tag
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
}

/// A stable 64-hex-digit id from some bytes (FNV-1a, four rounds): images built from the same
/// inputs get the same id, as with a reproducible build.
pub fn image_id(parts: &[&[u8]]) -> String {
    let mut out = String::from("sha256:");
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for round in 0..4u8 {
        for p in parts {
            for b in p.iter().copied().chain([round, 0xff]) {
                h ^= u64::from(b);
                h = h.wrapping_mul(0x0100_0000_01b3);
            }
        }
        out.push_str(&format!("{h:016x}"));
    }
    out
}

impl Laptop {
    pub fn image(&self, reference: &str) -> Option<&DockerImage> {
        let r = normalize(reference);
        self.images.iter().find(|i| i.reference == r)
    }

    /// Adds or re-points a tag (the old image keeps its other tags, or becomes `<none>`).
    pub fn tag(&mut self, mut image: DockerImage, reference: &str) {
        let r = normalize(reference);
        if let Some(old) = self.images.iter_mut().find(|i| i.reference == r) {
            if old.id == image.id {
                return;
            }
            old.reference = "<none>:<none>".into();
        }
        image.reference = r;
        self.images.push(image);
        // An untagged image that another tag still names is not dangling: drop the `<none>` row.
        let ids: Vec<String> = self
            .images
            .iter()
            .filter(|i| i.reference != "<none>:<none>")
            .map(|i| i.id.clone())
            .collect();
        self.images
            .retain(|i| i.reference != "<none>:<none>" || !ids.contains(&i.id));
    }
}

/// go-units' `HumanDuration`, as `docker images` prints CREATED.
pub fn human_duration(seconds: i64) -> String {
    let s = seconds.max(0);
    let minutes = s / 60;
    let hours = (s as f64 / 3600.0 + 0.5) as i64;
    if s < 1 {
        "Less than a second".into()
    } else if s == 1 {
        "1 second".into()
    } else if s < 60 {
        format!("{s} seconds")
    } else if minutes == 1 {
        "About a minute".into()
    } else if minutes < 60 {
        format!("{minutes} minutes")
    } else if hours == 1 {
        "About an hour".into()
    } else if hours < 48 {
        format!("{hours} hours")
    } else if hours < 24 * 7 * 2 {
        format!("{} days", hours / 24)
    } else if hours < 24 * 30 * 2 {
        format!("{} weeks", hours / 24 / 7)
    } else if hours < 24 * 365 * 2 {
        format!("{} months", hours / 24 / 30)
    } else {
        format!("{} years", hours / 24 / 365)
    }
}

/// go-units' `HumanSizeWithPrecision(size, 3)`: decimal units, three significant digits.
pub fn human_size(bytes: u64) -> String {
    let units = ["B", "kB", "MB", "GB", "TB", "PB"];
    let mut size = bytes as f64;
    let mut i = 0;
    while size >= 1000.0 && i + 1 < units.len() {
        size /= 1000.0;
        i += 1;
    }
    format!("{}{}", format_g3(size), units[i])
}

/// Go's `%.3g` for the sizes above (no exponent form needed below 1000).
fn format_g3(v: f64) -> String {
    let digits = if v >= 100.0 {
        0
    } else if v >= 10.0 {
        1
    } else {
        2
    };
    let s = format!("{v:.digits$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_normalize_like_docker() {
        assert_eq!(normalize("nginx"), "nginx:latest");
        assert_eq!(normalize("docker.io/library/nginx:1.27"), "nginx:1.27");
        assert_eq!(normalize("localhost:5000/app"), "localhost:5000/app:latest");
        assert!(valid_reference("mon-user/devops-backend:latest"));
        assert!(!valid_reference("Node-App:v1"));
    }

    #[test]
    fn go_units_formats() {
        assert_eq!(human_size(1_117_842_311), "1.12GB");
        assert_eq!(human_size(72_188_133), "72.2MB");
        assert_eq!(human_size(187_401_113), "187MB");
        assert_eq!(human_size(4_000_000), "4MB");
        assert_eq!(human_size(999), "999B");
        assert_eq!(human_duration(0), "Less than a second");
        assert_eq!(human_duration(45), "45 seconds");
        assert_eq!(human_duration(90), "About a minute");
        assert_eq!(human_duration(150), "2 minutes");
        assert_eq!(human_duration(3 * 3600), "3 hours");
        assert_eq!(human_duration(15 * 86400), "2 weeks");
    }

    #[test]
    fn retagging_moves_the_tag() {
        let mut l = Laptop::default();
        let img = l.image("node-app:v1").unwrap().clone();
        l.tag(img.clone(), "mon-user/node-app:v1");
        assert_eq!(
            l.image("docker.io/mon-user/node-app:v1").unwrap().id,
            img.id
        );
        assert!(l.image("node-app:v1").is_some());
    }
}
