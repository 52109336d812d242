//! What the learner's simulated laptop needs from the session's cluster beyond the Kubernetes API:
//! the nodes' container runtime (image loads), the image registry (pushes) and the network (HTTP
//! from the laptop to NodePorts and, through port-forwards, to pods).
//!
//! The shell is written against this trait; the cluster runtime implements it (see the `impl` for
//! [`Cluster`] at the bottom), and tests can substitute their own.

use cluster::{images, network, Cluster};

/// An HTTP request as curl sends it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpRequest {
    pub method: String,
    /// Path and query, starting with `/`.
    pub path: String,
    /// The `Host` header value (`192.168.49.2:30080`, `localhost:8080`).
    pub host: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

/// An HTTP response from a simulated container.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpResponse {
    pub status: u16,
    /// Reason phrase (`OK`, `Not Found`).
    pub reason: String,
    /// Headers in the order the server sends them.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

/// Where a connection from the laptop lands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Endpoint {
    /// A node's address and a port on it (NodePort services, through kube-proxy).
    Node { ip: String, port: u16 },
    /// A container port of one pod (what `kubectl port-forward` connects to).
    Pod {
        namespace: String,
        name: String,
        port: u16,
    },
}

/// Why a connection failed, in the terms curl reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NetError {
    /// Nothing listens there (curl exit 7, "Couldn't connect to server").
    Refused,
    /// Packets go nowhere (curl exit 28 after its connect timeout).
    Unreachable,
    /// The connection was accepted and then closed with no reply (curl exit 52).
    EmptyReply,
}

/// An image in the laptop's Docker, as `docker build`/`docker tag` made it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocalImage {
    /// `node-app:v1`, `mon-user/devops-backend:latest`.
    pub reference: String,
    /// The `FROM` image it was built on, when built here (lets the runtime give a home-made image
    /// the behaviour of its base, e.g. nginx serving on 80).
    pub base: Option<String>,
    /// Ports from `EXPOSE`.
    pub exposed_ports: Vec<u16>,
    pub size_bytes: u64,
}

/// The session cluster's machinery outside its API.
pub trait Runtime {
    /// The cluster whose API the shell's kubectl talks to.
    fn cluster(&mut self) -> &mut Cluster;

    /// `minikube image load` / `kind load docker-image`: the image is now in every node's image
    /// store, so pods using it (and `imagePullPolicy: IfNotPresent`) stop failing to pull.
    /// Returns the nodes that did not have it yet; an error when the cluster cannot run it.
    fn load_image(&mut self, image: &LocalImage) -> Result<Vec<String>, String>;

    /// `docker push`: the registry now serves the image to every node.
    fn push_image(&mut self, image: &LocalImage) -> Result<(), String>;

    /// The size of an image the registry serves (public, or pushed), `None` if it has none by that
    /// reference. `docker build` checks its `FROM` here; `docker push` reports layers as
    /// "Layer already exists" when the image is there already.
    fn registry_image(&mut self, reference: &str) -> Option<u64>;

    /// One HTTP exchange from the laptop.
    fn http(&mut self, to: &Endpoint, request: &HttpRequest) -> Result<HttpResponse, NetError>;
}

/// The session's cluster as the laptop sees it: its nodes' image stores, its registry and its
/// network model (`cluster::images`, `cluster::network`).
impl Runtime for Cluster {
    fn cluster(&mut self) -> &mut Cluster {
        self
    }

    fn load_image(&mut self, image: &LocalImage) -> Result<Vec<String>, String> {
        self.load_image_into_nodes(&image.reference)
            .map_err(|e| e.to_string())
    }

    fn push_image(&mut self, image: &LocalImage) -> Result<(), String> {
        self.registry_push(&image.reference)
            .map_err(|e| e.to_string())
    }

    fn registry_image(&mut self, reference: &str) -> Option<u64> {
        let r = images::ImageRef::parse(reference);
        images::lookup_tagged(&r)
            .filter(|s| s.availability == images::Availability::Public)
            .map(|s| s.size_bytes)
    }

    fn http(&mut self, to: &Endpoint, request: &HttpRequest) -> Result<HttpResponse, NetError> {
        let answer = match to {
            Endpoint::Node { ip, port } => self.http_request(
                network::Origin::Outside,
                &format!("http://{ip}:{port}{}", request.path),
            ),
            Endpoint::Pod {
                namespace,
                name,
                port,
            } => {
                // A port-forward enters the pod's network namespace, as a request from the pod
                // itself to its own address would.
                let pods = cluster::resources::by_plural("", "pods").expect("pods are served");
                let ip = self
                    .get(pods, Some(namespace), name)
                    .ok()
                    .and_then(|p| p.to_value()["status"]["podIP"].as_str().map(str::to_string))
                    .ok_or(NetError::EmptyReply)?;
                self.http_request(
                    network::Origin::Pod { namespace, name },
                    &format!("http://{ip}:{port}{}", request.path),
                )
            }
        };
        match answer {
            Ok(r) => Ok(HttpResponse {
                status: r.status,
                reason: network::reason_phrase(r.status).to_string(),
                headers: vec![("Content-Length".into(), r.body.len().to_string())],
                body: r.body,
            }),
            Err(network::NetError::Refused { .. } | network::NetError::BadUrl) => {
                Err(NetError::Refused)
            }
            Err(network::NetError::EmptyReply) => Err(NetError::EmptyReply),
            Err(network::NetError::Timeout { .. } | network::NetError::Unresolved(_)) => {
                Err(NetError::Unreachable)
            }
        }
    }
}
