//! The TLS provider, measured: rustls over aws-lc-rs (its default provider, the one the feeder
//! and the SDK use) against rustls over *ring*, in one run.
//!
//! - `tls/decrypt_150/*`, `tls/decrypt_1400/*`: one TLS 1.3 application-data record of 150 B
//!   (a bookTicker or a trade) and of 1.4 KB (a depth diff) taken in by the client as the feeder
//!   takes frames in: `read_tls`, `process_new_packets`, then the plaintext read out.
//! - `tls/handshake/*`: a whole TLS 1.3 handshake in memory, client and server side, with an
//!   ECDSA P-256 certificate and each provider's preferred key exchange (aws-lc-rs: X25519 with
//!   ML-KEM-768; *ring*: X25519).
//!
//! rustls' own constructor of a *ring* provider is deprecated (it has no post-quantum key
//! exchange), so the *ring* provider here is put together from its public parts: *ring*'s
//! cipher suites and key exchange, webpki's *ring* signature algorithms, *ring*'s random
//! numbers and key loading.
//!
//! Run: `cargo bench --locked -p mdbus-benches --bench tls`.

use std::{
    io::{Read, Write},
    sync::Arc,
    time::{Duration, Instant},
};

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use rustls::{
    ClientConfig, ClientConnection, RootCertStore, ServerConfig, ServerConnection, SignatureScheme,
    crypto::{CryptoProvider, GetRandomFailed, KeyProvider, SecureRandom, WebPkiSupportedAlgorithms},
    pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName},
    sign::SigningKey,
};

/// *ring*'s random numbers.
#[derive(Debug)]
struct RingRandom;

impl SecureRandom for RingRandom {
    fn fill(&self, buf: &mut [u8]) -> Result<(), GetRandomFailed> {
        ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), buf).map_err(|_| GetRandomFailed)
    }
}

/// *ring*'s private-key loading.
#[derive(Debug)]
struct RingKeys;

impl KeyProvider for RingKeys {
    fn load_private_key(&self, key: PrivateKeyDer<'static>) -> Result<Arc<dyn SigningKey>, rustls::Error> {
        rustls::crypto::ring::sign::any_supported_type(&key)
    }
}

/// webpki's *ring* verification algorithms for the signature schemes of TLS 1.3 with an ECDSA or
/// Ed25519 certificate (what this benchmark's certificate needs).
static RING_SIG_ALGS: WebPkiSupportedAlgorithms = WebPkiSupportedAlgorithms {
    all: &[webpki::ring::ECDSA_P256_SHA256, webpki::ring::ECDSA_P384_SHA384, webpki::ring::ED25519],
    mapping: &[
        (SignatureScheme::ECDSA_NISTP256_SHA256, &[webpki::ring::ECDSA_P256_SHA256]),
        (SignatureScheme::ECDSA_NISTP384_SHA384, &[webpki::ring::ECDSA_P384_SHA384]),
        (SignatureScheme::ED25519, &[webpki::ring::ED25519]),
    ],
};

fn ring_provider() -> CryptoProvider {
    CryptoProvider {
        cipher_suites: rustls::crypto::ring::DEFAULT_CIPHER_SUITES.to_vec(),
        kx_groups: rustls::crypto::ring::DEFAULT_KX_GROUPS.to_vec(),
        signature_verification_algorithms: RING_SIG_ALGS,
        secure_random: &RingRandom,
        key_provider: &RingKeys,
    }
}

/// A client and a server configuration over `provider`, the client trusting the server's
/// self-signed certificate.
struct Pair {
    client: Arc<ClientConfig>,
    server: Arc<ServerConfig>,
}

fn pair(provider: CryptoProvider) -> Pair {
    let provider = Arc::new(provider);
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".into()]).expect("certificate");
    let cert: CertificateDer<'static> = ck.cert.der().clone();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(ck.signing_key.serialize_der()));
    let mut roots = RootCertStore::empty();
    roots.add(cert.clone()).expect("root");
    let client = ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[&rustls::version::TLS13])
        .expect("client versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    let server = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .expect("server versions")
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)
        .expect("server certificate");
    Pair { client: Arc::new(client), server: Arc::new(server) }
}

/// Moves every pending TLS byte from `from` to `to`; returns whether any moved.
fn transfer<A, B>(from: &mut rustls::ConnectionCommon<A>, to: &mut rustls::ConnectionCommon<B>) -> bool {
    let mut buf = Vec::new();
    while from.wants_write() {
        from.write_tls(&mut buf).expect("write_tls");
    }
    if buf.is_empty() {
        return false;
    }
    let mut rd = &buf[..];
    while !rd.is_empty() {
        to.read_tls(&mut rd).expect("read_tls");
        to.process_new_packets().expect("process");
    }
    true
}

/// A finished handshake between a new client and server.
fn connect(p: &Pair) -> (ClientConnection, ServerConnection) {
    let name = ServerName::try_from("localhost").expect("name");
    let mut c = ClientConnection::new(p.client.clone(), name).expect("client");
    let mut s = ServerConnection::new(p.server.clone()).expect("server");
    while c.is_handshaking() || s.is_handshaking() {
        let moved = transfer(&mut *c, &mut *s) | transfer(&mut *s, &mut *c);
        assert!(moved, "handshake stalled");
    }
    // The server's session tickets.
    transfer(&mut *s, &mut *c);
    (c, s)
}

/// Records encrypted at a time, outside the timed part.
const BATCH: u64 = 2048;

/// Time for the client to take in `iters` application-data records of `size` bytes.
fn decrypt(p: &Pair, size: usize, iters: u64) -> Duration {
    let (mut c, mut s) = connect(p);
    let payload = vec![b'x'; size];
    let mut plain = vec![0u8; size];
    let mut total = Duration::ZERO;
    let mut left = iters;
    let mut wire = Vec::new();
    while left > 0 {
        let n = left.min(BATCH);
        wire.clear();
        let mut ends = Vec::with_capacity(n as usize);
        for _ in 0..n {
            s.writer().write_all(&payload).expect("write");
            while s.wants_write() {
                s.write_tls(&mut wire).expect("write_tls");
            }
            ends.push(wire.len());
        }
        let start = Instant::now();
        let mut at = 0;
        for end in ends {
            let mut rd = &wire[at..end];
            while !rd.is_empty() {
                c.read_tls(&mut rd).expect("read_tls");
            }
            c.process_new_packets().expect("process");
            c.reader().read_exact(&mut plain).expect("plaintext");
            at = end;
        }
        total += start.elapsed();
        std::hint::black_box(&plain);
        left -= n;
    }
    total
}

fn providers() -> [(&'static str, Pair); 2] {
    [("aws-lc-rs", pair(rustls::crypto::aws_lc_rs::default_provider())), ("ring", pair(ring_provider()))]
}

fn tls(c: &mut Criterion) {
    let providers = providers();
    let mut g = c.benchmark_group("tls");
    for size in [150usize, 1400] {
        for (name, p) in &providers {
            g.bench_function(BenchmarkId::new(format!("decrypt_{size}"), name), |b| {
                b.iter_custom(|iters| decrypt(p, size, iters))
            });
        }
    }
    for (name, p) in &providers {
        g.bench_function(BenchmarkId::new("handshake", name), |b| b.iter(|| connect(p)));
    }
    g.finish();
}

criterion_group!(benches, tls);
criterion_main!(benches);
