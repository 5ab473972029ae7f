//! A planned rollout's conductor (`warroom serve --plan`), on loopback, in one process.
//!
//! 1. **Command round trip through the conductor and an `exec` actuator.** The control plane
//!    conducts a plan with manual waves whose actuator runs `true` (a program that exits at
//!    once) for every verb; a real console (`shell::ws_client::run` feeding the console's own
//!    reducer) starts wave 1, then sends pause and resume alternately, 200 commands. The clock
//!    starts when the command is handed to the connection and stops when the console's state
//!    holds its outcome: the socket both ways, the queue, the spawn and exit of the process,
//!    the outcome's publication. Requirement: p99 ≤ 50 ms.
//! 2. **Conducting while polling 20 SLOs.** A real Prometheus (Debian's, installed by the
//!    tests' script when missing) scrapes the control plane's own `/metrics` every second; the
//!    plan has 20 SLOs over those series, polled every 5 s, and a rollout in progress. After
//!    the start-up queries, this process's CPU (utime + stime, `/proc/self/stat`) is read over
//!    60 s (`WARROOM_CONDUCTOR_SECS=N`), with the samples the conductor published in that
//!    window so the figure is not that of an idle loop. Requirement: under 2 % of one core.
//!
//! `WARROOM_CONDUCTOR_PARTS=1` (or `2`) runs one part. Loopback only; bounded; stops by itself.

#![allow(clippy::too_many_lines, clippy::unwrap_used, clippy::panic)] // measurement scripts read top to bottom

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use warroom::config::plan_file;
use warroom::core::command::{Action, Role};
use warroom::server::net::ControlPlane;

#[path = "../tests/common/mod.rs"]
mod common;
use common::console::{command, Console};

const COMMANDS: usize = 200;
const ROUND_TRIP_P99_MS: f64 = 50.0;
const SLOS: usize = 20;
const CPU_LIMIT_PCT: f64 = 2.0;

mod bench;
use bench::verdict;

/// The q-quantile (nearest rank) of sorted values.
fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// User + system CPU time of this process, in clock ticks (100 per second on Linux).
fn cpu_ticks() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let get = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    get(11) + get(12)
}

fn wants(part: &str) -> bool {
    std::env::var("WARROOM_CONDUCTOR_PARTS")
        .map_or(true, |p| p.split(',').any(|x| x.trim() == part))
}

const WAVES: &str = r#"
[[wave]]
id = "w1"
name = "Canary"
traffic = 10
bake = "1h"
approval = "manual"

[[wave]]
id = "w2"
name = "All"
traffic = 100
bake = "1h"
approval = "manual"
"#;

/// Serves `text` as a plan on `addr`, conducted (see `common::conduct`).
async fn conduct(text: &str, addr: std::net::SocketAddr) -> common::Conducted {
    let file = plan_file::parse("bench.toml", text, std::path::Path::new("."))
        .unwrap_or_else(|e| panic!("the bench's plan: {e}"));
    common::conduct(&file, addr).await
}

async fn round_trip() {
    let plan = format!(
        "[rollout]\nid = \"bench\"\nservice = \"svc\"\nfrom = \"v1\"\nto = \"v2\"\nstrategy = \"canary\"\n{WAVES}\n\
         [actuator]\nkind = \"exec\"\nadvance = [\"true\"]\npause = [\"true\"]\nresume = [\"true\"]\nrollback = [\"true\"]\n"
    );
    let addr = common::free_addr();
    let _conducted = conduct(&plan, addr).await;
    let mut c = Console::connect(&format!("ws://{addr}"), Role::Commander, None);
    c.until(10, "the hello", |c| c.app.state.plan.spec.id == "bench")
        .await;
    let mut times = Vec::with_capacity(COMMANDS);
    for n in 0..=COMMANDS {
        let (id, action) = match n {
            0 => ("start".to_string(), Action::Advance),
            n if n % 2 == 1 => (format!("p-{n}"), Action::Pause),
            n => (format!("r-{n}"), Action::Resume),
        };
        let started = Instant::now();
        c.commands
            .send(command(
                &id,
                action,
                // The wave it is aimed at: before the first, "not started".
                Some(if n > 0 { "w1" } else { "not started" }),
                Some("bench"),
            ))
            .await
            .unwrap();
        c.until(10, "the outcome", |c| c.outcome(&id).is_some())
            .await;
        let took = started.elapsed();
        let (kind, why) = c.outcome(&id).unwrap();
        assert_eq!(
            kind,
            warroom::core::command::OutcomeKind::Accepted,
            "{id}: {why:?}"
        );
        if n > 0 {
            times.push(took.as_secs_f64() * 1000.0);
        }
    }
    times.sort_by(f64::total_cmp);
    let (p50, p99, max) = (
        quantile(&times, 0.5),
        quantile(&times, 0.99),
        times.last().copied().unwrap_or(f64::NAN),
    );
    println!(
        "requirement command round trip through the conductor and an exec actuator p99 <= \
         {ROUND_TRIP_P99_MS} ms: {} ({COMMANDS} commands: p50 {p50:.1} ms, p99 {p99:.1} ms, max {max:.1} ms)",
        verdict(p99 <= ROUND_TRIP_P99_MS)
    );
}

const QUERIES: [(&str, &str, &str); SLOS] = [
    ("error_rate", "%", "100 * sum(rate(warroom_request_errors_total[1m])) / sum(rate(warroom_requests_total[1m]))"),
    ("error_rate_5m", "%", "100 * sum(rate(warroom_request_errors_total[5m])) / sum(rate(warroom_requests_total[5m]))"),
    ("error_rate_30s", "%", "100 * sum(rate(warroom_request_errors_total[30s])) / sum(rate(warroom_requests_total[30s]))"),
    ("error_rate_new", "%", r#"100 * sum(rate(warroom_request_errors_total{version="v2"}[1m])) / sum(rate(warroom_requests_total{version="v2"}[1m]))"#),
    ("error_rate_old", "%", r#"100 * sum(rate(warroom_request_errors_total{version="v1"}[1m])) / sum(rate(warroom_requests_total{version="v1"}[1m]))"#),
    ("p50_latency", "ms", "1000 * histogram_quantile(0.5, sum by (le) (rate(warroom_request_duration_seconds_bucket[1m])))"),
    ("p90_latency", "ms", "1000 * histogram_quantile(0.9, sum by (le) (rate(warroom_request_duration_seconds_bucket[1m])))"),
    ("p95_latency", "ms", "1000 * histogram_quantile(0.95, sum by (le) (rate(warroom_request_duration_seconds_bucket[1m])))"),
    ("p99_latency", "ms", "1000 * histogram_quantile(0.99, sum by (le) (rate(warroom_request_duration_seconds_bucket[1m])))"),
    ("p95_latency_5m", "ms", "1000 * histogram_quantile(0.95, sum by (le) (rate(warroom_request_duration_seconds_bucket[5m])))"),
    ("p95_new", "ms", r#"1000 * histogram_quantile(0.95, sum by (le) (rate(warroom_request_duration_seconds_bucket{version="v2"}[1m])))"#),
    ("p99_new", "ms", r#"1000 * histogram_quantile(0.99, sum by (le) (rate(warroom_request_duration_seconds_bucket{version="v2"}[1m])))"#),
    ("mean_latency", "ms", "1000 * sum(rate(warroom_request_duration_seconds_sum[1m])) / sum(rate(warroom_request_duration_seconds_count[1m]))"),
    ("mean_latency_new", "ms", r#"1000 * sum(rate(warroom_request_duration_seconds_sum{version="v2"}[1m])) / sum(rate(warroom_request_duration_seconds_count{version="v2"}[1m]))"#),
    ("slow_share", "%", r#"100 - 100 * sum(rate(warroom_request_duration_seconds_bucket{le="0.5"}[1m])) / sum(rate(warroom_request_duration_seconds_bucket{le="+Inf"}[1m]))"#),
    ("request_rate", "req/s", "sum(rate(warroom_requests_total[1m]))"),
    ("request_rate_new", "req/s", r#"sum(rate(warroom_requests_total{version="v2"}[1m]))"#),
    ("error_rate_per_s", "err/s", "sum(rate(warroom_request_errors_total[1m]))"),
    ("traffic_new", "%", r#"100 * sum(warroom_traffic_share{version="v2"})"#),
    ("traffic_old", "%", r#"100 * sum(warroom_traffic_share{version="v1"})"#),
];

async fn polling() {
    let secs: u64 = std::env::var("WARROOM_CONDUCTOR_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(60)
        .clamp(5, 3600);
    let addr = common::free_addr();
    let prom = common::start_prometheus(addr);
    let mut plan = format!(
        "[rollout]\nid = \"bench\"\nservice = \"svc\"\nfrom = \"v1\"\nto = \"v2\"\nstrategy = \"canary\"\n{WAVES}\n\
         [prometheus]\nurl = \"{}\"\ninterval = \"5s\"\ntimeout = \"5s\"\n\n",
        prom.url
    );
    for (id, unit, query) in QUERIES {
        // Lower is better for all but the shares and rates, which only need to be read.
        let _ = write!(
            plan,
            "[[slo]]\nid = \"{id}\"\nname = \"{id}\"\nunit = \"{unit}\"\nquery = '{query}'\n\
             direction = \"lower\"\ntarget = 1000000\nwarning = 2000000\ncritical = 3000000\n\n"
        );
    }
    plan.push_str("[actuator]\nkind = \"exec\"\nadvance = [\"true\"]\nrollback = [\"true\"]\n");
    let conducted = conduct(&plan, addr).await;
    let plane = &conducted.plane;
    // Start the rollout, so the conductor has a wave with a bake clock to look after.
    let _ = plane.command(&command("start", Action::Advance, None, Some("bench")));
    // Let Prometheus gather a minute of scrapes for the rate windows, and the start-up
    // range queries finish.
    tokio::time::sleep(Duration::from_secs(20)).await;
    let samples = |plane: &ControlPlane| {
        plane
            .log_since(0)
            .iter()
            .filter(|(_, r)| r["type"] == "metric")
            .count()
    };
    let (seen_before, ticks_before, t) = (samples(plane), cpu_ticks(), Instant::now());
    tokio::time::sleep(Duration::from_secs(secs)).await;
    let (seen_after, ticks_after, wall) = (samples(plane), cpu_ticks(), t.elapsed());
    #[allow(clippy::cast_precision_loss)]
    let pct = (ticks_after - ticks_before) as f64 / 100.0 / wall.as_secs_f64() * 100.0;
    let published = seen_after - seen_before;
    let with_values = plane
        .log_since(0)
        .iter()
        .filter(|(_, r)| r["type"] == "metric" && r["value"].is_number())
        .count();
    println!(
        "conducting one rollout while polling {SLOS} SLOs every 5 s: {published} samples published in {:.0} s \
         ({with_values} with a value so far)",
        wall.as_secs_f64()
    );
    println!(
        "requirement conductor CPU while polling {SLOS} SLOs < {CPU_LIMIT_PCT} % of one core: {} ({pct:.2} %, {published} samples published)",
        verdict(pct < CPU_LIMIT_PCT && published > 0)
    );
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    if wants("1") {
        rt.block_on(round_trip());
    }
    if wants("2") {
        rt.block_on(polling());
    }
}
