//! The TLS client configuration shared by every connection: rustls with the aws-lc-rs provider
//! passed explicitly (post-quantum key exchange preferred), the compiled-in web roots, plus
//! extra roots from configuration. BENCHMARKS.md ("TLS provider") has the figures behind the
//! choice of provider.

use std::{path::Path, sync::Arc};

use rustls::{
    ClientConfig, RootCertStore,
    pki_types::{CertificateDer, pem::PemObject},
};

/// Errors building the TLS configuration.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsError {
    /// A root file could not be read or holds no certificate.
    #[error("trusted root {path}: {message}")]
    Root {
        /// The file.
        path: String,
        /// What went wrong.
        message: String,
    },
    /// rustls refused the configuration.
    #[error("tls configuration: {0}")]
    Config(String),
}

/// Builds the client configuration: web roots plus the PEM certificates in `extra_roots`, plus
/// `extra_pem` (certificates given as text, e.g. a simulator's).
///
/// # Errors
///
/// [`TlsError::Root`] for an unreadable or empty root file, [`TlsError::Config`] otherwise.
pub fn client_config(extra_roots: &[impl AsRef<Path>], extra_pem: &[&str]) -> Result<Arc<ClientConfig>, TlsError> {
    let mut roots = RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let mut add = |label: String, certs: Vec<CertificateDer<'static>>| -> Result<(), TlsError> {
        if certs.is_empty() {
            return Err(TlsError::Root { path: label, message: "no certificate in it".into() });
        }
        for c in certs {
            roots.add(c).map_err(|e| TlsError::Root { path: label.clone(), message: e.to_string() })?;
        }
        Ok(())
    };
    for path in extra_roots {
        let p = path.as_ref();
        let certs = CertificateDer::pem_file_iter(p)
            .and_then(|it| it.collect::<Result<Vec<_>, _>>())
            .map_err(|e| TlsError::Root { path: p.display().to_string(), message: e.to_string() })?;
        add(p.display().to_string(), certs)?;
    }
    for (i, pem) in extra_pem.iter().enumerate() {
        let certs = CertificateDer::pem_slice_iter(pem.as_bytes())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| TlsError::Root { path: format!("inline certificate {i}"), message: e.to_string() })?;
        add(format!("inline certificate {i}"), certs)?;
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let cfg = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Config(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(cfg))
}
