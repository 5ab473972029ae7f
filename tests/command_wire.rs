//! Commands as a hostile or careless client sends them over the wire: two commanders
//! starting the same rollout at once, a command aimed at nothing, keys set to `null`, ids
//! and reasons over their limits. Against a conducted control plane in this process, on
//! loopback.

#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use std::path::Path;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;
use warroom::config::plan_file;

const PLAN: &str = r#"
[rollout]
id = "r"
service = "s"
from = "v1"
to = "v2"
strategy = "canary"

[[wave]]
id = "w1"
name = "Canary"
traffic = 10
bake = "10m"
approval = "manual"

[[wave]]
id = "w2"
name = "All"
traffic = 100

[actuator]
kind = "exec"
advance = ["true"]
pause = ["true"]
resume = ["true"]
rollback = ["true"]
"#;

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A plain WebSocket console: hello sent, the server's hello read. Returns the session.
async fn console(url: &str) -> (Ws, String) {
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let hello = json!({"type":"hello","protocol":"2.1","client":"wire test","actor":"ana","role":"commander"});
    ws.send(Message::text(hello.to_string())).await.unwrap();
    loop {
        let v = next(&mut ws).await;
        if v["type"] == "hello" {
            return (ws, v["session"].as_str().unwrap().to_string());
        }
    }
}

async fn next(ws: &mut Ws) -> Value {
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("a message within 10 s")
            .unwrap()
            .unwrap();
        if let Message::Text(t) = msg {
            return serde_json::from_str(&t).unwrap();
        }
    }
}

/// Reads until the outcome of `id`, returning (result, reason).
async fn outcome_of(ws: &mut Ws, id: &str) -> (String, String) {
    loop {
        let v = next(ws).await;
        let r = &v["record"];
        if v["type"] == "event" && r["type"] == "outcome" && r["id"] == id {
            return (
                r["result"].as_str().unwrap().to_string(),
                r["reason"].as_str().unwrap_or_default().to_string(),
            );
        }
    }
}

/// Reads until the outcomes of both ids, in whichever order they come.
async fn outcomes_of(ws: &mut Ws, ids: [&str; 2]) -> [(String, String); 2] {
    let mut got: [Option<(String, String)>; 2] = [None, None];
    while got.iter().any(Option::is_none) {
        let v = next(ws).await;
        let r = &v["record"];
        if v["type"] == "event" && r["type"] == "outcome" {
            if let Some(i) = ids.iter().position(|id| r["id"] == *id) {
                got[i] = Some((
                    r["result"].as_str().unwrap().to_string(),
                    r["reason"].as_str().unwrap_or_default().to_string(),
                ));
            }
        }
    }
    got.map(Option::unwrap)
}

/// Reads until an `error` message, returning its code and message.
async fn error_of(ws: &mut Ws) -> (String, String) {
    loop {
        let v = next(ws).await;
        assert!(
            !(v["type"] == "event" && v["record"]["type"] == "command"),
            "a refused message must leave no record: {v}"
        );
        if v["type"] == "error" {
            return (
                v["code"].as_str().unwrap().to_string(),
                v["message"].as_str().unwrap().to_string(),
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_commanders_starting_the_rollout_at_once_start_it_once() {
    let file = plan_file::parse("plan.toml", PLAN, Path::new(".")).unwrap();
    let c = common::conduct(&file, "127.0.0.1:0".parse().unwrap()).await;
    let (mut ana, session) = console(&c.url).await;
    let (mut bob, _) = console(&c.url).await;
    let go = |id: &str| {
        json!({"type":"command","id":id,"action":"advance","actor":id,"wave":"not started","session":session})
            .to_string()
    };
    // Both press Advance on the rollout that has not started, at the same moment.
    let (a, b) = tokio::join!(
        ana.send(Message::text(go("ana-1"))),
        bob.send(Message::text(go("bob-1")))
    );
    a.unwrap();
    b.unwrap();
    let [first, second] = outcomes_of(&mut ana, ["ana-1", "bob-1"]).await;
    let mut results = [first.0.as_str(), second.0.as_str()];
    results.sort_unstable();
    assert_eq!(results, ["accepted", "conflict"], "{first:?} {second:?}");
    let conflict = if first.0 == "conflict" {
        &first
    } else {
        &second
    };
    assert_eq!(
        conflict.1,
        "aimed at the rollout before it started; current wave is w1 (active)"
    );
    // Bob's console saw the same two outcomes.
    assert_eq!(
        outcomes_of(&mut bob, ["ana-1", "bob-1"]).await,
        [first.clone(), second.clone()]
    );

    // An advance that names no state is refused whatever the state.
    let bare =
        json!({"type":"command","id":"ana-2","action":"advance","actor":"ana","session":session});
    ana.send(Message::text(bare.to_string())).await.unwrap();
    let (result, reason) = outcome_of(&mut ana, "ana-2").await;
    assert_eq!(result, "rejected");
    assert!(
        reason.contains("must name the wave it is aimed at"),
        "{reason}"
    );
    // The plane still sits at wave 1: nothing was applied twice.
    let w = c.plane.log_since(0);
    let started = w
        .iter()
        .filter(|(_, r)| r["type"] == "wave" && r["state"] == "active")
        .count();
    assert_eq!(started, 1, "{w:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nulls_and_oversized_keys_are_refused_as_messages_and_leave_no_record() {
    let file = plan_file::parse("plan.toml", PLAN, Path::new(".")).unwrap();
    let c = common::conduct(&file, "127.0.0.1:0".parse().unwrap()).await;
    let (mut ws, session) = console(&c.url).await;
    // The conductor's own first note ("Ready to start …") comes when it comes: count from
    // after it, or a slow start would count it among what the commands left.
    let settle = std::time::Instant::now() + Duration::from_secs(5);
    while c.plane.log_since(0).is_empty() && std::time::Instant::now() < settle {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let before = c.plane.log_since(0).len();
    let long = "k".repeat(128);
    let cases = [
        (
            json!({"type":"command","id":"n-1","action":"advance","actor":"ana","wave":null,"session":session}),
            "`wave` is null: leave an optional key out instead",
        ),
        (
            json!({"type":"command","id":"n-2","action":"note","actor":"ana","reason":null}),
            "`reason` is null: leave an optional key out instead",
        ),
        (
            json!({"type":"command","id":format!("{long}-1"),"action":"note","actor":"ana","reason":"x"}),
            "`id` is 130 bytes; at most 128 are allowed",
        ),
        (
            json!({"type":"command","id":"n-3","action":"pause","wave":"w1","actor":"ana","reason":"r".repeat(513)}),
            "`reason` is 513 characters; at most 512 are allowed",
        ),
        (
            json!({"type":"command","id":"n-5","action":"note","actor":"ana","reason":"r".repeat(4097)}),
            "`reason` is 4097 characters; at most 4096 are allowed",
        ),
        (
            json!({"type":"command","id":"n\u{1b}[2J","action":"note","actor":"ana","reason":"x"}),
            "`id` holds control or invisible characters; ids are plain text",
        ),
        (
            json!({"type":"command","id":"n-4","action":"note","actor":"a".repeat(129),"reason":"x"}),
            "`actor` is 129 bytes; at most 128 are allowed",
        ),
    ];
    for (msg, want) in &cases {
        ws.send(Message::text(msg.to_string())).await.unwrap();
        let (code, message) = error_of(&mut ws).await;
        assert_eq!((code.as_str(), message.as_str()), ("bad_message", *want));
    }
    // The longest id allowed comes back whole, and the connection is still good.
    let ok = json!({"type":"command","id":long,"action":"note","actor":"ana","reason":"fits"});
    ws.send(Message::text(ok.to_string())).await.unwrap();
    assert_eq!(outcome_of(&mut ws, &long).await.0, "accepted");
    let log = c.plane.log_since(0);
    assert_eq!(
        log.len(),
        before + 3,
        "only the note's command, outcome and note: {:?}",
        &log[before..]
    );

    // A hello with a null is no hello, and says why.
    let (mut raw, _) = tokio_tungstenite::connect_async(&c.url).await.unwrap();
    let hello = json!({"type":"hello","protocol":"2.1","client":"x","actor":"ana","role":"commander","session":null});
    raw.send(Message::text(hello.to_string())).await.unwrap();
    let v = next(&mut raw).await;
    assert_eq!(v["code"], "no_hello", "{v}");
    assert_eq!(
        v["message"],
        "the first message must be a hello (`session` is null: leave an optional key out instead)"
    );
}
