//! The network model: what an HTTP request reaches. Service virtual IPs and DNS names
//! (`svc`, `svc.ns`, `svc.ns.svc.cluster.local`), pod IPs, NodePorts on node IPs, and Ingress
//! rules (when an ingress controller is installed, i.e. an IngressClass exists). A Service
//! request goes to one ready endpoint, picked at random as kube-proxy's iptables rules do; with
//! none it is refused; a wrong port times out; an unknown name does not resolve. Errors carry
//! curl's messages and exit codes, so `curl`, `wget`, `port-forward` and `minikube service` in
//! the terminal can print what the real tools print.

use k8s_openapi::api::core::v1::{Pod, Service};

use crate::clock;
use crate::controllers::endpoints::{selected_pods, target_port};
use crate::controllers::is_ready;
use crate::kubelet::process::{self, HttpAnswer};
use crate::kubelet::Stage;
use crate::object::Object;
use crate::Cluster;

/// Where a request starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin<'a> {
    /// The learner's machine: reaches node IPs (NodePorts, the ingress controller), not cluster IPs.
    Outside,
    /// Inside a pod (`kubectl exec ... -- curl`): cluster DNS with the pod's namespace search path.
    Pod { namespace: &'a str, name: &'a str },
}

/// A served response.
#[derive(Clone, Debug, PartialEq)]
pub struct HttpResponse {
    pub status: u16,
    pub body: String,
    /// The pod that answered (namespace, name).
    pub pod: (String, String),
}

/// Why a request got no HTTP response, with curl's exit codes and messages.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NetError {
    #[error("curl: (3) URL rejected: Malformed input to a URL function")]
    BadUrl,
    #[error("curl: (6) Could not resolve host: {0}")]
    Unresolved(String),
    #[error(
        "curl: (7) Failed to connect to {host} port {port} after 0 ms: Couldn't connect to server"
    )]
    Refused { host: String, port: u16 },
    #[error("curl: (28) Failed to connect to {host} port {port} after 130000 ms: Couldn't connect to server")]
    Timeout { host: String, port: u16 },
    #[error("curl: (52) Empty reply from server")]
    EmptyReply,
}

impl NetError {
    /// curl's exit code.
    pub fn exit_code(&self) -> i32 {
        match self {
            NetError::BadUrl => 3,
            NetError::Unresolved(_) => 6,
            NetError::Refused { .. } => 7,
            NetError::Timeout { .. } => 28,
            NetError::EmptyReply => 52,
        }
    }
}

struct Url {
    host: String,
    port: u16,
    path: String,
}

fn parse_url(url: &str) -> Result<Url, NetError> {
    let rest = url.strip_prefix("http://").unwrap_or(url);
    if rest.starts_with("https://") || rest.is_empty() {
        return Err(NetError::BadUrl);
    }
    let (hostport, path) = match rest.find('/') {
        Some(i) => (&rest[..i], rest[i..].to_string()),
        None => (rest, "/".to_string()),
    };
    let (host, port) = match hostport.rsplit_once(':') {
        Some((h, p)) => (h.to_string(), p.parse().map_err(|_| NetError::BadUrl)?),
        None => (hostport.to_string(), 80),
    };
    if host.is_empty() {
        return Err(NetError::BadUrl);
    }
    Ok(Url { host, port, path })
}

/// Where a request ends up before the HTTP exchange.
enum Target {
    Service(Service, u16),
    PodIp(String, u16),
    /// Through the ingress controller, with the request's Host.
    Ingress(String),
}

impl Cluster {
    /// Sends `GET url` from `from` and returns what comes back.
    pub fn http_request(&mut self, from: Origin<'_>, url: &str) -> Result<HttpResponse, NetError> {
        let u = parse_url(url)?;
        let target = self.resolve(from, &u)?;
        match target {
            Target::Service(svc, port) => self.via_service(&svc, port, &u),
            Target::PodIp(ip, port) => {
                let pod = self.pod_by_ip(&ip).ok_or(NetError::Timeout {
                    host: ip.clone(),
                    port,
                })?;
                self.ask_pod(&pod, port, &u.path, &u.host)
            }
            Target::Ingress(host) => self.via_ingress(&host, &u),
        }
    }

    /// The pods a `GET url` from `from` may reach, each equally likely, with the port it
    /// lands on: one pod for a pod IP, the ready endpoints for a Service (kube-proxy spreads
    /// requests evenly over them). Nothing when the request would fail. Used for load.
    pub(crate) fn request_targets(&self, from: Origin<'_>, url: &str) -> Vec<(Pod, u16)> {
        let Ok(u) = parse_url(url) else {
            return Vec::new();
        };
        match self.resolve(from, &u) {
            Ok(Target::Service(svc, port)) => {
                let spec = svc.spec.clone().unwrap_or_default();
                let Some(sp) = spec
                    .ports
                    .iter()
                    .flatten()
                    .find(|p| p.port == i32::from(port) || p.node_port == Some(i32::from(port)))
                    .cloned()
                else {
                    return Vec::new();
                };
                selected_pods(self, &svc)
                    .into_iter()
                    .filter(|p| p.metadata.deletion_timestamp.is_none() && is_ready(p))
                    .filter_map(|p| {
                        let tp = target_port(&p, sp.target_port.as_ref(), sp.port)?;
                        Some((p, u16::try_from(tp).ok()?))
                    })
                    .collect()
            }
            Ok(Target::PodIp(ip, port)) => {
                self.pod_by_ip(&ip).map(|p| (p, port)).into_iter().collect()
            }
            _ => Vec::new(),
        }
    }

    fn services(&self) -> Vec<Service> {
        self.store()
            .list("Service", None)
            .filter_map(|o| match o.as_ref() {
                Object::Service(s) => Some((**s).clone()),
                _ => None,
            })
            .collect()
    }

    fn node_ips(&self) -> Vec<String> {
        self.store()
            .list("Node", None)
            .filter_map(|o| match o.as_ref() {
                Object::Node(n) => n
                    .status
                    .as_ref()?
                    .addresses
                    .as_ref()?
                    .iter()
                    .find(|a| a.type_ == "InternalIP")
                    .map(|a| a.address.clone()),
                _ => None,
            })
            .collect()
    }

    fn ingress_controller_installed(&self) -> bool {
        self.store().list("IngressClass", None).next().is_some()
    }

    fn resolve(&self, from: Origin<'_>, u: &Url) -> Result<Target, NetError> {
        let is_ip =
            u.host.split('.').count() == 4 && u.host.split('.').all(|p| p.parse::<u8>().is_ok());
        if is_ip {
            // A node IP: NodePorts, or the ingress controller on 80.
            if self.node_ips().contains(&u.host) {
                if let Some(svc) = self.services().into_iter().find(|s| {
                    s.spec
                        .as_ref()
                        .and_then(|sp| sp.ports.as_ref())
                        .is_some_and(|ps| ps.iter().any(|p| p.node_port == Some(i32::from(u.port))))
                }) {
                    return Ok(Target::Service(svc, u.port));
                }
                if u.port == 80 && self.ingress_controller_installed() {
                    return Ok(Target::Ingress(u.host.clone()));
                }
                return Err(NetError::Refused {
                    host: u.host.clone(),
                    port: u.port,
                });
            }
            if let Some(svc) = self.services().into_iter().find(|s| {
                s.spec.as_ref().and_then(|sp| sp.cluster_ip.as_deref()) == Some(u.host.as_str())
            }) {
                if matches!(from, Origin::Outside) {
                    return Err(NetError::Timeout {
                        host: u.host.clone(),
                        port: u.port,
                    });
                }
                return Ok(Target::Service(svc, u.port));
            }
            if matches!(from, Origin::Outside) {
                return Err(NetError::Timeout {
                    host: u.host.clone(),
                    port: u.port,
                });
            }
            return Ok(Target::PodIp(u.host.clone(), u.port));
        }
        if matches!(from, Origin::Outside) {
            if u.host == "localhost" || u.host == "127.0.0.1" {
                return Err(NetError::Refused {
                    host: u.host.clone(),
                    port: u.port,
                });
            }
            // A host named in an Ingress rule (the learner points it at the node in /etc/hosts).
            if self.ingress_controller_installed() && self.ingress_hosts().contains(&u.host) {
                return Ok(Target::Ingress(u.host.clone()));
            }
            return Err(NetError::Unresolved(u.host.clone()));
        }
        let Origin::Pod { namespace, .. } = from else {
            unreachable!("outside handled above")
        };
        // Cluster DNS: name, name.ns, name.ns.svc, name.ns.svc.cluster.local.
        let host = u.host.trim_end_matches('.');
        let parts: Vec<&str> = host.split('.').collect();
        // A pod behind a headless Service by its hostname (a StatefulSet's `web-0.nginx`):
        // `<hostname>.<subdomain>[.<ns>[.svc[.cluster.local]]]`, searched in the caller's
        // namespace first, as the pod's resolv.conf search path does.
        let pod_record = match parts.as_slice() {
            [pod, sub] => Some((*pod, *sub, namespace)),
            [pod, sub, ns] | [pod, sub, ns, "svc"] | [pod, sub, ns, "svc", "cluster", "local"] => {
                Some((*pod, *sub, *ns))
            }
            _ => None,
        };
        if let Some(ip) = pod_record.and_then(|(pod, sub, ns)| self.pod_hostname_ip(pod, sub, ns)) {
            return Ok(Target::PodIp(ip, u.port));
        }
        let (name, ns) = match parts.as_slice() {
            [name] => (*name, namespace),
            [name, ns] => (*name, *ns),
            [name, ns, "svc"] => (*name, *ns),
            [name, ns, "svc", "cluster", "local"] => (*name, *ns),
            _ => return Err(NetError::Unresolved(u.host.clone())),
        };
        self.services()
            .into_iter()
            .find(|s| {
                s.metadata.name.as_deref() == Some(name)
                    && s.metadata.namespace.as_deref() == Some(ns)
            })
            .map(|s| Target::Service(s, u.port))
            .ok_or_else(|| NetError::Unresolved(u.host.clone()))
    }

    /// The IP of the pod with `hostname` and `subdomain` in `ns`, when a headless Service
    /// named like the subdomain exists there (only then does cluster DNS publish the record).
    fn pod_hostname_ip(&self, hostname: &str, subdomain: &str, ns: &str) -> Option<String> {
        let headless = self.services().into_iter().any(|s| {
            s.metadata.name.as_deref() == Some(subdomain)
                && s.metadata.namespace.as_deref() == Some(ns)
                && s.spec.as_ref().and_then(|sp| sp.cluster_ip.as_deref()) == Some("None")
        });
        if !headless {
            return None;
        }
        self.store().list("Pod", Some(ns)).find_map(|o| {
            let p = o.as_pod()?;
            let spec = p.spec.as_ref()?;
            (spec.hostname.as_deref() == Some(hostname)
                && spec.subdomain.as_deref() == Some(subdomain))
            .then(|| p.status.as_ref()?.pod_ip.clone())
            .flatten()
        })
    }

    fn ingress_hosts(&self) -> Vec<String> {
        self.store()
            .list("Ingress", None)
            .filter_map(|o| match o.as_ref() {
                Object::Ingress(i) => Some(
                    i.spec
                        .as_ref()?
                        .rules
                        .iter()
                        .flatten()
                        .filter_map(|r| r.host.clone())
                        .collect::<Vec<_>>(),
                ),
                _ => None,
            })
            .flatten()
            .collect()
    }

    fn pod_by_ip(&self, ip: &str) -> Option<Pod> {
        self.store()
            .list("Pod", None)
            .find_map(|o| match o.as_ref() {
                Object::Pod(p)
                    if p.status.as_ref().and_then(|s| s.pod_ip.as_deref()) == Some(ip) =>
                {
                    Some((**p).clone())
                }
                _ => None,
            })
    }

    /// kube-proxy: a Service port (cluster port, or node port from outside) to a ready endpoint.
    fn via_service(&mut self, svc: &Service, port: u16, u: &Url) -> Result<HttpResponse, NetError> {
        let spec = svc.spec.clone().unwrap_or_default();
        let ip = spec.cluster_ip.clone().unwrap_or_default();
        let sp = spec
            .ports
            .iter()
            .flatten()
            .find(|p| p.port == i32::from(port) || p.node_port == Some(i32::from(port)))
            .cloned();
        let Some(sp) = sp else {
            return Err(NetError::Timeout {
                host: u.host.clone(),
                port,
            });
        };
        let ready: Vec<Pod> = selected_pods(self, svc)
            .into_iter()
            .filter(|p| p.metadata.deletion_timestamp.is_none() && is_ready(p))
            .collect();
        if ready.is_empty() {
            // kube-proxy installs a REJECT rule for a Service without ready endpoints.
            let host = if u.host.is_empty() {
                ip
            } else {
                u.host.clone()
            };
            return Err(NetError::Refused { host, port });
        }
        let pick = self.random_below(ready.len() as u32) as usize;
        let pod = ready[pick].clone();
        let Some(tp) = target_port(&pod, sp.target_port.as_ref(), sp.port) else {
            return Err(NetError::Refused {
                host: u.host.clone(),
                port,
            });
        };
        self.ask_pod(&pod, u16::try_from(tp).unwrap_or(0), &u.path, &u.host)
    }

    fn via_ingress(&mut self, host: &str, u: &Url) -> Result<HttpResponse, NetError> {
        const NOT_FOUND: &str = "<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n<center><h1>404 Not Found</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";
        let mut best: Option<(
            usize,
            String,
            String,
            k8s_openapi::api::networking::v1::ServiceBackendPort,
        )> = None;
        for o in self.store().list("Ingress", None) {
            let Object::Ingress(ing) = o.as_ref() else {
                continue;
            };
            let ns = ing.metadata.namespace.clone().unwrap_or_default();
            for rule in ing.spec.iter().flat_map(|s| s.rules.iter().flatten()) {
                if rule.host.as_deref().is_some_and(|h| h != host) {
                    continue;
                }
                for p in rule.http.iter().flat_map(|h| h.paths.iter()) {
                    let path = p.path.clone().unwrap_or_else(|| "/".into());
                    let matches = match p.path_type.as_str() {
                        "Exact" => u.path == path,
                        _ => {
                            u.path == path
                                || u.path
                                    .starts_with(&format!("{}/", path.trim_end_matches('/')))
                                || path == "/"
                        }
                    };
                    if !matches {
                        continue;
                    }
                    if let Some(svc) = &p.backend.service {
                        if best.as_ref().is_none_or(|b| path.len() > b.0) {
                            best = Some((
                                path.len(),
                                ns.clone(),
                                svc.name.clone(),
                                svc.port.clone().unwrap_or_default(),
                            ));
                        }
                    }
                }
            }
        }
        let not_found = HttpResponse {
            status: 404,
            body: NOT_FOUND.into(),
            pod: ("ingress-nginx".into(), "ingress-nginx-controller".into()),
        };
        let Some((_, ns, name, port)) = best else {
            return Ok(not_found);
        };
        let Some(svc) = self.services().into_iter().find(|s| {
            s.metadata.name.as_deref() == Some(&name)
                && s.metadata.namespace.as_deref() == Some(&ns)
        }) else {
            return Ok(HttpResponse { status: 503, body: "<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>\r\n<body>\r\n<center><h1>503 Service Temporarily Unavailable</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n".into(), pod: not_found.pod });
        };
        let number = port.number.or_else(|| {
            let n = port.name.clone()?;
            svc.spec
                .as_ref()?
                .ports
                .as_ref()?
                .iter()
                .find(|p| p.name.as_deref() == Some(&n))
                .map(|p| p.port)
        });
        let inner = Url {
            host: String::new(),
            port: number.unwrap_or(80) as u16,
            path: u.path.clone(),
        };
        match self.via_service(&svc, inner.port, &inner) {
            Ok(r) => Ok(r),
            Err(_) => Ok(HttpResponse { status: 503, body: "<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>\r\n<body>\r\n<center><h1>503 Service Temporarily Unavailable</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n".into(), pod: not_found.pod }),
        }
    }

    /// The HTTP exchange with a pod's process listening on `port`.
    fn ask_pod(
        &self,
        pod: &Pod,
        port: u16,
        path: &str,
        host: &str,
    ) -> Result<HttpResponse, NetError> {
        let ns = pod.metadata.namespace.clone().unwrap_or_default();
        let name = pod.metadata.name.clone().unwrap_or_default();
        let ip = pod
            .status
            .as_ref()
            .and_then(|s| s.pod_ip.clone())
            .unwrap_or_default();
        let host = if host.is_empty() {
            ip
        } else {
            host.to_string()
        };
        let Some(rt) = self
            .runtime
            .kubelet
            .pods
            .get(&crate::kubelet::PodName::new(&ns, &name))
        else {
            return Err(NetError::Refused { host, port });
        };
        let now = self.now();
        let mut answer = HttpAnswer::Refused;
        for c in rt.containers.iter().filter(|c| c.stage == Stage::Running) {
            let Some(inst) = &c.current else { continue };
            let secs = clock::seconds_between(inst.started, now);
            let a = process::http(&inst.plan, port, path, secs);
            if a != HttpAnswer::Refused {
                answer = a;
                break;
            }
        }
        match answer {
            HttpAnswer::Response { status, body } => Ok(HttpResponse {
                status,
                body,
                pod: (ns, name),
            }),
            HttpAnswer::Refused => Err(NetError::Refused { host, port }),
            HttpAnswer::EmptyReply => Err(NetError::EmptyReply),
        }
    }

    /// `GET path` sent to `localhost:port` inside a pod's network namespace: where the kubelet
    /// delivers a `kubectl port-forward` connection. `Refused` when the pod does not exist or
    /// no running container listens on the port.
    pub fn request_in_pod(
        &self,
        namespace: &str,
        name: &str,
        port: u16,
        path: &str,
    ) -> Result<HttpResponse, NetError> {
        let key = crate::store::Key {
            kind: "Pod",
            namespace: namespace.into(),
            name: name.into(),
        };
        match self.store().get(&key).map(|o| o.as_ref()) {
            Some(Object::Pod(pod)) => self.ask_pod(pod, port, path, "localhost"),
            _ => Err(NetError::Refused {
                host: "localhost".into(),
                port,
            }),
        }
    }

    /// Whether a connection to `localhost:port` inside the pod finds a listener.
    pub fn listens_in_pod(&self, namespace: &str, name: &str, port: u16) -> bool {
        !matches!(
            self.request_in_pod(namespace, name, port, "/"),
            Err(NetError::Refused { .. })
        )
    }

    /// `minikube service NAME --url`: `http://<node IP>:<nodePort>` for each node port.
    pub fn service_urls(&self, namespace: &str, name: &str) -> Option<Vec<String>> {
        let svc = self.services().into_iter().find(|s| {
            s.metadata.name.as_deref() == Some(name)
                && s.metadata.namespace.as_deref() == Some(namespace)
        })?;
        let ip = self
            .node_ips()
            .into_iter()
            .next()
            .unwrap_or_else(|| "192.168.49.2".into());
        Some(
            svc.spec?
                .ports
                .unwrap_or_default()
                .iter()
                .filter_map(|p| p.node_port.map(|n| format!("http://{ip}:{n}")))
                .collect(),
        )
    }
}

/// The reason phrase of an HTTP status.
pub fn reason_phrase(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        304 => "Not Modified",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        413 => "Request Entity Too Large",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "",
    }
}
