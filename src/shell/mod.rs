//! The I/O shell: files, terminal, clocks and sinks around the pure core.

pub mod actuator;
pub mod alertmanager;
pub mod backoff;
pub mod fixtures;
pub mod generate;
pub mod keys;
pub mod metrics_poll;
pub mod prometheus;
pub mod replay;
pub mod run;
pub mod screen;
pub mod sinks;
pub mod snapshot;
pub mod terminal;
pub mod ws_client;

/// An HTTP client builder that trusts the bundled Mozilla roots, as reqwest 0.12's
/// `rustls-tls` did: reqwest 0.13 would use the system's store and refuse to build any
/// client (even for `http://`) on a host that has none.
pub(crate) fn http_client() -> reqwest::ClientBuilder {
    let roots = webpki_root_certs::TLS_SERVER_ROOT_CERTS
        .iter()
        .filter_map(|c| reqwest::Certificate::from_der(c).ok());
    reqwest::Client::builder().tls_certs_only(roots)
}
