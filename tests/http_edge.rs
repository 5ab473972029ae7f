//! The control plane's HTTP edge, as a slow or odd client meets it: a request head split
//! over many packets, a WebSocket upgrade with large headers, a client that never finishes
//! its head, and one that sends no HTTP at all.

#![allow(clippy::unwrap_used, clippy::panic)]

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use warroom::server::net::{self, ControlPlane, Tokens};
use warroom::server::scenario::Scenario;

async fn plane() -> std::net::SocketAddr {
    let plane = ControlPlane::new(Scenario::batch_patches_demo(7), 1.0, Tokens::default());
    let (addr, serving) = net::bind("127.0.0.1:0".parse().unwrap(), plane)
        .await
        .unwrap();
    tokio::spawn(serving);
    addr
}

/// Sends `parts` with a pause between them and returns everything the server answers.
async fn exchange(addr: std::net::SocketAddr, parts: &[&[u8]], pause: Duration) -> String {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.set_nodelay(true).unwrap();
    for p in parts {
        // The server may answer (and close) before all of it is sent.
        let _ = s.write_all(p).await;
        tokio::time::sleep(pause).await;
    }
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_split_over_many_packets_is_answered() {
    let addr = plane().await;
    let request = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    let parts: Vec<&[u8]> = request.chunks(3).collect();
    let answer = exchange(addr, &parts, Duration::from_millis(5)).await;
    assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
    assert!(answer.ends_with("ok\n"), "{answer}");
    let answer = exchange(
        addr,
        &[b"GET /metr", b"ics?x=1 HTTP/1.1\r\n", b"\r\n"],
        Duration::from_millis(20),
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
    assert!(answer.contains("warroom_requests_total"), "{answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upgrade_in_pieces_with_large_headers_becomes_a_console() {
    let addr = plane().await;
    let big = "x".repeat(8_000);
    let head = format!(
        "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: {big}\r\nUpgrade: websocket\r\n\
         Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
         Sec-WebSocket-Version: 13\r\n\r\n"
    );
    let mut s = TcpStream::connect(addr).await.unwrap();
    for part in head.as_bytes().chunks(1000) {
        s.write_all(part).await.unwrap();
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let mut buf = vec![0u8; 1024];
    let n = tokio::time::timeout(Duration::from_secs(5), s.read(&mut buf))
        .await
        .unwrap()
        .unwrap();
    let answer = String::from_utf8_lossy(&buf[..n]);
    assert!(
        answer.starts_with("HTTP/1.1 101"),
        "the upgrade is accepted: {answer}"
    );
    assert!(
        answer.contains("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="),
        "the handshake answers the key: {answer}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_head_that_never_ends_is_closed_and_one_that_is_not_http_is_refused() {
    let addr = plane().await;
    let started = Instant::now();
    let answer = exchange(
        addr,
        &[b"GET /healthz HTTP/1.1\r\nHost: x\r\n"],
        Duration::ZERO,
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    let took = started.elapsed();
    assert!(
        took >= Duration::from_secs(4) && took < Duration::from_secs(9),
        "closed after {took:?}"
    );
    let answer = exchange(addr, &[b"\x16\x03\x01 hello\r\n\r\n"], Duration::ZERO).await;
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    // A head over 16 KiB is refused, not read on.
    let huge = format!("GET / HTTP/1.1\r\nX-Big: {}\r\n", "y".repeat(20_000));
    let answer = exchange(addr, &[huge.as_bytes()], Duration::ZERO).await;
    assert!(answer.starts_with("HTTP/1.1 431"), "{answer}");
    // And the control plane still answers.
    let answer = exchange(addr, &[b"GET /healthz HTTP/1.0\r\n\r\n"], Duration::ZERO).await;
    assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
}
