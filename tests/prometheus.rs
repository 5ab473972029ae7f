//! The Prometheus client against a real Prometheus (Debian's `prometheus` package), started on
//! loopback by the harness in `common` with temporary storage, scraping a real control plane's
//! /metrics. When the binary is missing the harness installs the package; if that fails the
//! test fails (it never skips), so a CI run without it is red, not silently green.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use common::{free_port, start_prometheus};
use warroom::server::net::{self, ControlPlane, Tokens};
use warroom::server::scenario::Scenario;
use warroom::shell::prometheus::{Client, QueryError, Value};

fn client(url: &str, timeout: Duration) -> Client {
    Client::new(url.parse().unwrap(), None, timeout).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queries_with_known_answers_against_a_real_prometheus() {
    let plane = ControlPlane::new(Scenario::batch_patches_demo(4), 5.0, Tokens::default());
    let (target, serving) = net::bind("127.0.0.1:0".parse().unwrap(), plane)
        .await
        .unwrap();
    tokio::spawn(serving);
    let prom = start_prometheus(target);
    let c = client(&prom.url, Duration::from_secs(5));
    // Wait on the data, not on readiness: the first scrape comes a few seconds in.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(Value::Vector(v)) = c.instant("warroom_traffic_share").await {
            if v.len() == 2 {
                break;
            }
        }
        assert!(Instant::now() < deadline, "no data scraped within 60 s");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    assert_eq!(
        c.instant("vector(42)").await.unwrap(),
        Value::Vector(vec![(std::collections::BTreeMap::default(), 42.0)])
    );
    assert_eq!(
        c.instant("scalar(vector(1.5))").await.unwrap(),
        Value::Scalar(1.5)
    );
    assert_eq!(
        c.instant("absent(up)").await.unwrap(),
        Value::Vector(vec![]),
        "an empty result is no data"
    );
    let Value::Vector(nan) = c.instant("vector(0) / 0").await.unwrap() else {
        panic!()
    };
    assert!(nan[0].1.is_nan());
    // Several series: traffic shares per version, adding up to 1.
    let Value::Vector(shares) = c.instant("warroom_traffic_share").await.unwrap() else {
        panic!()
    };
    let versions: Vec<&str> = shares.iter().map(|(l, _)| l["version"].as_str()).collect();
    assert_eq!(versions.len(), 2, "{shares:?}");
    assert!(
        (shares.iter().map(|(_, v)| v).sum::<f64>() - 1.0).abs() < 1e-9,
        "{shares:?}"
    );
    // The server's own words for a bad query.
    match c.instant("rate(").await {
        Err(QueryError::Api { error_type, error }) => assert!(
            error_type == "bad_data" && error.contains("parse error"),
            "{error_type}: {error}"
        ),
        other => panic!("{other:?}"),
    }
    // A range query.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    let Value::Matrix(series) = c
        .range("sum(warroom_traffic_share)", now - 5.0, now, 1.0)
        .await
        .unwrap()
    else {
        panic!()
    };
    assert!(!series[0].1.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dead_and_hanging_servers_are_errors_not_waits() {
    // Nothing listening.
    let port = free_port();
    let err = client(&format!("http://127.0.0.1:{port}/"), Duration::from_secs(2))
        .instant("up")
        .await
        .unwrap_err();
    assert!(matches!(err, QueryError::Connect(_)), "{err:?}");
    // Accepts, then never answers: the query's own timeout ends it.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = listener.accept().await {
            held.push(s);
        }
    });
    let started = Instant::now();
    let err = client(&format!("http://{addr}/"), Duration::from_millis(800))
        .instant("up")
        .await
        .unwrap_err();
    assert_eq!(err, QueryError::Timeout(Duration::from_millis(800)));
    assert!(started.elapsed() < Duration::from_secs(3));
}
