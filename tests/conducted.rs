//! A planned rollout conducted against a real Prometheus: the control plane polls it itself and
//! publishes the samples, so a console with no `--config` sees the numbers and the gates; an
//! auto wave starts once its gates are green; a breach that lasts fires the trigger, whose
//! `rollback` policy goes through the exec actuator as a command by `conductor`.
//!
//! Prometheus (Debian's) scrapes a small loopback endpoint whose value the test sets.

#![allow(clippy::unwrap_used, clippy::panic, clippy::too_many_lines)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use warroom::config::plan_file;
use warroom::core::command::{Action, OutcomeKind, Role};
use warroom::core::source::PROMETHEUS;
use warroom::core::wave::WaveStatus;
use warroom::server::scenario::CONDUCTOR;

mod common;
use common::console::Console;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prometheus_numbers_start_the_rollout_and_a_lasting_breach_rolls_it_back() {
    let value = Arc::new(AtomicU64::new(5)); // 0.5 %
    let scraped = common::serve_gauge("checkout_error_ratio", value.clone()).await;
    let prom = common::start_prometheus(scraped);
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("calls");
    let script = dir.path().join("act.sh");
    std::fs::write(
        &script,
        "#!/bin/sh\necho \"$WARROOM_VERB $WARROOM_WAVE $WARROOM_TRAFFIC\" >> \"$1\"\necho \"done: $WARROOM_VERB\"\n",
    )
    .unwrap();
    let mut perm = std::fs::metadata(&script).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perm, 0o755);
    std::fs::set_permissions(&script, perm).unwrap();
    let plan = format!(
        r#"
[rollout]
id = "checkout"
service = "checkout"
from = "v1"
to = "v2"
strategy = "canary"

[[wave]]
id = "w1"
name = "Canary"
traffic = 10
bake = "1h"
approval = "auto"
gates = [{{ slo = "error_rate" }}]

[[wave]]
id = "w2"
name = "All"
traffic = 100
bake = "1h"
approval = "manual"

[prometheus]
url = "{url}"
interval = "1s"
timeout = "2s"

[[slo]]
id = "error_rate"
name = "Error Rate"
query = "100 * max(checkout_error_ratio)"
unit = "%"
direction = "lower"
target = 1
warning = 2
critical = 5

[[trigger]]
label = "Error rate above 5% for 2s"
slo = "error_rate"
above = 5
for = "2s"
policy = "rollback"

[actuator]
kind = "exec"
advance = ["{script}", "{log}"]
rollback = ["{script}", "{log}"]
timeout = "10s"
"#,
        url = prom.url,
        script = script.display(),
        log = log.display()
    );
    let file = plan_file::parse("checkout.toml", &plan, dir.path()).unwrap();
    let conducted = common::conduct(&file, "127.0.0.1:0".parse().unwrap()).await;
    // A console with no configuration of its own.
    let mut c = Console::connect(&conducted.url, Role::Commander, None);
    c.until(30, "wave 1 started on a green gate", |c| {
        c.app.state.current_wave() == Some(0)
    })
    .await;
    let start = c
        .app
        .state
        .commands
        .iter()
        .find(|k| k.by.as_deref() == Some(CONDUCTOR))
        .cloned()
        .unwrap();
    assert_eq!(start.action, Action::Advance);
    assert!(
        start
            .reason
            .as_deref()
            .is_some_and(|r| r.starts_with("approval auto:") && r.contains("starting Canary")),
        "{:?}",
        start.reason
    );
    // The gate was green on Prometheus's number, which the console got from the control
    // plane (in its state image or as events).
    let last = c.app.state.slos[0].last.and_then(|l| l.value);
    assert!(
        last.is_some_and(|v| (v - 0.5).abs() < 1e-9),
        "the console sees Prometheus's samples: {last:?}"
    );
    assert_eq!(c.app.state.slos[0].source.as_deref(), Some(PROMETHEUS));
    // The error rate jumps to 12 %: after 2 s of breach the trigger rolls back.
    value.store(120, Ordering::SeqCst);
    c.until(40, "the rollback", |c| {
        c.app.state.waves[0].status == WaveStatus::RolledBack
    })
    .await;
    let rollback = c.conductor_rollback("Error rate above 5% for 2s");
    assert_eq!(
        rollback.outcome.as_ref().map(|o| o.0),
        Some(OutcomeKind::Accepted)
    );
    let calls = std::fs::read_to_string(&log).unwrap();
    assert_eq!(calls, "advance w1 10\nrollback w1 0\n");
    // Once: the breach goes on, but nothing is rolled back twice.
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    assert_eq!(std::fs::read_to_string(&log).unwrap(), calls);
}
