//! The control plane under a crowd of slow and stalled clients, on loopback: hundreds of
//! connections that send nothing, send their request a byte at a time, or say hello and then
//! never read. Fresh consoles and `/healthz` must keep answering, a console that stops
//! reading must be dropped within the send limit (not at the idle limit), the limits must
//! refuse with a clear answer, and every descriptor must come back.

#![allow(clippy::unwrap_used, clippy::panic)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::tungstenite::Message;
use warroom::server::net::{self, ControlPlane, Limits, Tokens};
use warroom::server::scenario::Scenario;

async fn plane(limits: Limits) -> (SocketAddr, Arc<ControlPlane>) {
    let plane = ControlPlane::new(Scenario::batch_patches_demo(3), 1.0, Tokens::default());
    let (addr, serving) = net::bind_with("127.0.0.1:0".parse().unwrap(), plane.clone(), limits)
        .await
        .unwrap();
    tokio::spawn(serving);
    (addr, plane)
}

/// One plain HTTP GET, answered within `secs`: the whole answer.
async fn get(addr: SocketAddr, path: &str, secs: u64) -> String {
    let answer = tokio::time::timeout(Duration::from_secs(secs), async {
        let mut s = TcpStream::connect(addr).await.unwrap();
        let req = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        s.write_all(req.as_bytes()).await.unwrap();
        let mut out = Vec::new();
        let _ = s.read_to_end(&mut out).await;
        String::from_utf8_lossy(&out).into_owned()
    })
    .await;
    answer.unwrap_or_else(|_| panic!("GET {path} not answered within {secs} s"))
}

/// A gauge or counter of `/metrics`.
async fn metric(addr: SocketAddr, name: &str) -> u64 {
    let body = get(addr, "/metrics", 5).await;
    body.lines()
        .find_map(|l| l.strip_prefix(&format!("{name} ")))
        .unwrap_or_else(|| panic!("no {name} in {body}"))
        .trim()
        .parse()
        .unwrap()
}

async fn wait_for(what: &str, secs: u64, mut ok: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !ok().await {
        assert!(Instant::now() < deadline, "{what} within {secs} s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

type Ws = tokio_tungstenite::WebSocketStream<TcpStream>;

/// A console that says hello over a socket with a tiny receive buffer, and never reads.
async fn stalled_console(addr: SocketAddr) -> Ws {
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let stream = socket.connect(addr).await.unwrap();
    let (mut ws, _) = tokio_tungstenite::client_async(format!("ws://{addr}/"), stream)
        .await
        .unwrap();
    let hello =
        json!({"type":"hello","protocol":"2.1","client":"stalled","actor":"s","role":"commander"});
    ws.send(Message::text(hello.to_string())).await.unwrap();
    ws
}

/// A fresh console's hello arrives within `secs`.
async fn fresh_console_answers(addr: SocketAddr, secs: u64) {
    let started = Instant::now();
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}"))
        .await
        .unwrap();
    let hello =
        json!({"type":"hello","protocol":"2.1","client":"fresh","actor":"f","role":"observer"});
    ws.send(Message::text(hello.to_string())).await.unwrap();
    let first = tokio::time::timeout(Duration::from_secs(secs), ws.next())
        .await
        .expect("a hello in time")
        .unwrap()
        .unwrap();
    let v: Value = serde_json::from_str(first.to_text().unwrap()).unwrap();
    assert_eq!(v["type"], "hello", "{v}");
    assert!(started.elapsed() < Duration::from_secs(secs));
}

fn open_descriptors() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundreds_of_slow_and_stalled_clients_leave_fresh_consoles_and_healthz_answering() {
    let limits = Limits {
        connections: 900,
        per_address: 800,
        send_within: Duration::from_secs(2),
        ..Limits::default()
    };
    let (addr, _plane) = plane(limits).await;
    let baseline = open_descriptors();

    // 300 that send nothing, 100 that send their request a byte every 400 ms.
    let mut silent = Vec::new();
    for _ in 0..300 {
        silent.push(TcpStream::connect(addr).await.unwrap());
    }
    let mut dribbling = Vec::new();
    for _ in 0..100 {
        dribbling.push(tokio::spawn(async move {
            let mut s = TcpStream::connect(addr).await.unwrap();
            for b in b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" {
                if s.write_all(&[*b]).await.is_err() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(400)).await;
            }
            let mut out = Vec::new();
            let _ = s.read_to_end(&mut out).await;
            String::from_utf8_lossy(&out).into_owned()
        }));
    }
    // 100 consoles that stop reading after their hello.
    let mut stalled = Vec::new();
    for _ in 0..100 {
        stalled.push(stalled_console(addr).await);
    }
    let open = metric(addr, "warroom_connections").await;
    assert!(open >= 500, "{open} connections open");

    // With all of them open, a fresh console and /healthz answer at once.
    fresh_console_answers(addr, 2).await;
    assert!(get(addr, "/healthz", 2).await.ends_with("ok\n"));

    // A busy room: notes of 500 characters, each published to every console. The stalled
    // ones fill their sockets and are dropped by the send limit.
    let (mut writer, mut reader) = tokio_tungstenite::connect_async(format!("ws://{addr}"))
        .await
        .unwrap()
        .0
        .split();
    let hello =
        json!({"type":"hello","protocol":"2.1","client":"busy","actor":"b","role":"commander"});
    writer.send(Message::text(hello.to_string())).await.unwrap();
    let drain = tokio::spawn(async move { while let Some(Ok(_)) = reader.next().await {} });
    let spam_started = Instant::now();
    for n in 0..1500 {
        let note = json!({"type":"command","id":format!("b-{n}"),"action":"note","actor":"b","reason":"x".repeat(500)});
        writer.send(Message::text(note.to_string())).await.unwrap();
    }
    wait_for("100 stalled consoles dropped as slow", 14, async || {
        metric(addr, "warroom_consoles_dropped_slow_total").await == 100
    })
    .await;
    let dropped_after = spam_started.elapsed();
    assert!(
        dropped_after < Duration::from_secs(14),
        "dropped {dropped_after:?} after the room got busy: by the send limit, not the 15 s idle rule"
    );
    fresh_console_answers(addr, 2).await;

    // The silent and dribbling clients get 408 once their 5 s are up.
    for d in dribbling {
        let answer = d.await.unwrap();
        assert!(answer.starts_with("HTTP/1.1 408"), "{answer:?}");
    }
    let mut buf = [0u8; 256];
    let n = tokio::time::timeout(Duration::from_secs(10), silent[0].read(&mut buf))
        .await
        .expect("the silent client is answered")
        .unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 408"));
    drop(silent);
    drop(stalled);
    drop(writer);
    drain.abort();

    // Every place is given back: only the /metrics request itself is open.
    wait_for("connections back to none", 10, async || {
        metric(addr, "warroom_connections").await == 1
    })
    .await;
    wait_for("descriptors released", 10, async || {
        open_descriptors() <= baseline + 4
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_limits_refuse_with_503_and_the_reason() {
    // Per address.
    let (addr, _p) = plane(Limits {
        connections: 100,
        per_address: 20,
        send_within: Duration::from_secs(2),
        ..Limits::default()
    })
    .await;
    let mut held = Vec::new();
    for _ in 0..20 {
        held.push(TcpStream::connect(addr).await.unwrap());
    }
    let answer = get(addr, "/healthz", 5).await;
    assert!(
        answer.starts_with("HTTP/1.1 503 Service Unavailable"),
        "{answer}"
    );
    assert!(
        answer.ends_with(
            "too many connections from 127.0.0.1: 20 open, at most 20 per address (--max-per-address)\n"
        ),
        "{answer}"
    );
    // A console is refused the same way, and says so.
    let err = tokio_tungstenite::connect_async(format!("ws://{addr}"))
        .await
        .expect_err("refused");
    assert!(err.to_string().contains("503"), "{err}");
    drop(held);
    // The places come back as the server sees the closes; until then it still refuses.
    let mut refused_meanwhile = 0;
    wait_for("a place again", 5, async || {
        let answer = get(addr, "/healthz", 5).await;
        refused_meanwhile += u64::from(answer.starts_with("HTTP/1.1 503"));
        answer.ends_with("ok\n")
    })
    .await;
    assert_eq!(
        metric(addr, "warroom_connections_refused_total").await,
        2 + refused_meanwhile
    );

    // In all.
    let (addr, _p) = plane(Limits {
        connections: 10,
        per_address: 100,
        send_within: Duration::from_secs(2),
        ..Limits::default()
    })
    .await;
    let mut held = Vec::new();
    for _ in 0..10 {
        held.push(TcpStream::connect(addr).await.unwrap());
    }
    let answer = get(addr, "/healthz", 5).await;
    assert!(
        answer.ends_with("too many connections: 10 open, at most 10 (--max-connections)\n"),
        "{answer}"
    );
}
