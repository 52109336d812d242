//! HTTPS for the real kubectl: client-go sends a bearer token only over TLS, so `wheelhouse serve`
//! also listens with a self-signed certificate (kept under the data directory, so kubeconfigs
//! handed out stay valid across restarts) and puts it in every kubeconfig as the cluster's
//! `certificate-authority-data`. Behind a TLS-terminating proxy this listener is not needed.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use axum::extract::ConnectInfo;
use axum::Router;
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// The HTTPS listener a kubeconfig points at.
#[derive(Clone, Debug)]
pub struct Endpoint {
    pub port: u16,
    /// The certificate, PEM: the kubeconfig's certificate authority.
    pub ca_pem: String,
}

/// The certificate and key under `dir/tls/`, made on first use for `localhost`, `127.0.0.1`,
/// `::1` and `hostnames`, and made again when the names change.
pub fn certificate(dir: &Path, hostnames: &[String]) -> std::io::Result<(String, String)> {
    let tls = dir.join("tls");
    let (cert_path, key_path, names_path) =
        (tls.join("cert.pem"), tls.join("key.pem"), tls.join("names"));
    let mut names: Vec<String> = ["localhost", "127.0.0.1", "::1"]
        .into_iter()
        .map(String::from)
        .chain(hostnames.iter().cloned())
        .collect();
    names.dedup();
    let wanted = names.join("\n");
    if let (Ok(cert), Ok(key), Ok(had)) = (
        std::fs::read_to_string(&cert_path),
        std::fs::read_to_string(&key_path),
        std::fs::read_to_string(&names_path),
    ) {
        if had == wanted {
            return Ok((cert, key));
        }
    }
    let (cert, key) = self_signed(names).map_err(std::io::Error::other)?;
    std::fs::create_dir_all(&tls)?;
    std::fs::write(&cert_path, &cert)?;
    write_private(&key_path, &key)?;
    std::fs::write(&names_path, wanted)?;
    Ok((cert, key))
}

/// A self-signed certificate that is its own CA (so it can be a kubeconfig's certificate
/// authority) and a server certificate for `names`.
fn self_signed(names: Vec<String>) -> Result<(String, String), rcgen::Error> {
    let mut params = rcgen::CertificateParams::new(names)?;
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "wheelhouse");
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params.key_usages = vec![
        rcgen::KeyUsagePurpose::DigitalSignature,
        rcgen::KeyUsagePurpose::KeyCertSign,
    ];
    params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
    let key = rcgen::KeyPair::generate()?;
    let cert = params.self_signed(&key)?;
    Ok((cert.pem(), key.serialize_pem()))
}

fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    std::fs::write(path, text)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}

/// Serves `app` over TLS (HTTP/1.1 with upgrades, for watches and exec) until `shutdown` ends.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    cert_pem: &str,
    key_pem: &str,
    shutdown: impl std::future::Future<Output = ()>,
) -> std::io::Result<()> {
    let certs = vec![CertificateDer::from_pem_slice(cert_pem.as_bytes())
        .map_err(|e| std::io::Error::other(e.to_string()))?];
    let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes())
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(std::io::Error::other)?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(std::io::Error::other)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    tokio::pin!(shutdown);
    loop {
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(_) => continue,
            },
            _ = &mut shutdown => return Ok(()),
        };
        let acceptor = acceptor.clone();
        // The rate limits key on the client's address, as over plain HTTP.
        let app = app
            .clone()
            .layer(axum::Extension(ConnectInfo::<SocketAddr>(peer)));
        tokio::spawn(async move {
            let Ok(tls) = acceptor.accept(tcp).await else {
                return;
            };
            let service = hyper_util::service::TowerToHyperService::new(app);
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(hyper_util::rt::TokioIo::new(tls), service)
                .with_upgrades()
                .await;
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_certificate_is_kept_and_remade_when_the_names_change() {
        let dir = std::env::temp_dir().join(format!("wheelhouse-tls-{}", std::process::id()));
        let (a, _) = certificate(&dir, &[]).unwrap();
        let (b, _) = certificate(&dir, &[]).unwrap();
        assert_eq!(a, b, "kept across restarts");
        let (c, key) = certificate(&dir, &["play.example".into()]).unwrap();
        assert_ne!(a, c, "new names, new certificate");
        assert!(c.starts_with("-----BEGIN CERTIFICATE-----"));
        assert!(key.contains("PRIVATE KEY"));
        std::fs::remove_dir_all(dir).unwrap();
    }
}
