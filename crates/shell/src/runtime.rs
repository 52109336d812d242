//! What the learner's simulated laptop needs from the session's cluster beyond the Kubernetes API:
//! the nodes' container runtime (image loads), the image registry (pushes) and the network (HTTP
//! from the laptop to NodePorts and, through port-forwards, to pods).
//!
//! The shell is written against this trait; the cluster runtime implements it (see the `impl` for
//! [`Cluster`] at the bottom), and tests can substitute their own.

use cluster::Cluster;

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
    fn load_image(&mut self, image: &LocalImage);

    /// `docker push`: the registry now serves the image to every node.
    fn push_image(&mut self, image: &LocalImage);

    /// The size of an image the registry serves (public, or pushed), `None` if it has none by that
    /// reference. `docker build` checks its `FROM` here; `docker push` reports layers as
    /// "Layer already exists" when the image is there already.
    fn registry_image(&mut self, reference: &str) -> Option<u64>;

    /// One HTTP exchange from the laptop.
    fn http(&mut self, to: &Endpoint, request: &HttpRequest) -> Result<HttpResponse, NetError>;
}

/// The session's cluster as the laptop sees it.
impl Runtime for Cluster {
    fn cluster(&mut self) -> &mut Cluster {
        self
    }

    fn load_image(&mut self, _image: &LocalImage) {}

    fn push_image(&mut self, _image: &LocalImage) {}

    fn registry_image(&mut self, _reference: &str) -> Option<u64> {
        None
    }

    fn http(&mut self, _to: &Endpoint, _request: &HttpRequest) -> Result<HttpResponse, NetError> {
        Err(NetError::Refused)
    }
}
