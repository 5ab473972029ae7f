//! Plan files (`warroom serve --plan`, `warroom plan check`): every example in
//! `examples/plans/` loads and says what its seed document says (waves and their traffic, the
//! actuator, the rollback triggers), every script an exec plan runs is there and executable,
//! and a corpus of broken plans each produce the exact refusal, with file, line, key path and
//! value.

#![allow(clippy::too_many_lines)] // a corpus of cases, read top to bottom

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use warroom::config::plan_file::{self, ActuatorSpec, PlanFile, Trigger, Verb, When};
use warroom::config::Secret;
use warroom::core::plan::Approval::{self, Auto, Manual};
use warroom::core::plan::{Policy, Strategy};
use warroom::core::severity::Severity;
use warroom::core::time::Span;

const EXAMPLES: &str = "examples/plans";

fn example(name: &str) -> Result<PlanFile, plan_file::PlanFileError> {
    plan_file::load(&Path::new(EXAMPLES).join(name))
}

fn example_paths() -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(EXAMPLES)
        .expect("examples/plans")
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    paths.sort();
    paths
}

/// Each wave's traffic, in order.
fn traffic(p: &PlanFile) -> Vec<f64> {
    p.plan.spec.waves.iter().map(|w| w.traffic).collect()
}

/// Each wave's approval, in order (`manual` when the file leaves it out).
fn approvals(p: &PlanFile) -> Vec<Approval> {
    p.plan
        .spec
        .waves
        .iter()
        .map(|w| w.approval.unwrap_or(Manual))
        .collect()
}

/// A trigger in words: `error_rate > 10 for 5m`, `p95_latency < 90 for 0s`,
/// `alerts critical for 0s`.
fn what(p: &PlanFile, t: &Trigger) -> String {
    match t.when {
        When::Slo { slo, index } => {
            let spec = &p.plan.spec.slos[slo];
            let ts = &spec.triggers[index];
            assert_eq!(ts.policy, Some(t.policy), "{}: policy on the SLO", t.label);
            match (ts.above, ts.below) {
                (Some(v), None) => format!("{} > {v} for {}", spec.id, ts.for_),
                (None, Some(v)) => format!("{} < {v} for {}", spec.id, ts.for_),
                _ => format!("{}: neither above nor below", spec.id),
            }
        }
        When::Alerts { severity, for_ } => {
            let s = match severity {
                Severity::Critical => "critical",
                Severity::Warning => "warning",
                Severity::Info => "info",
            };
            format!("alerts {s} for {for_}")
        }
    }
}

/// The triggers with this policy, in words, in file order.
fn triggers(p: &PlanFile, policy: Policy) -> Vec<String> {
    p.triggers
        .iter()
        .filter(|t| t.policy == policy)
        .map(|t| what(p, t))
        .collect()
}

/// The wave ids a trigger watches (`None`: every wave).
fn watched(p: &PlanFile, t: &Trigger) -> Option<Vec<String>> {
    t.waves.as_ref().map(|ws| {
        ws.iter()
            .map(|&i| p.plan.spec.waves[i].id.clone())
            .collect()
    })
}

/// An exec actuator's commands; `None` for any other kind.
fn exec_verbs(p: &PlanFile) -> Option<&BTreeMap<Verb, Vec<String>>> {
    match &p.actuator {
        ActuatorSpec::Exec { verbs, .. } => Some(verbs),
        _ => None,
    }
}

fn slo_ids(p: &PlanFile) -> Vec<&str> {
    p.plan.spec.slos.iter().map(|s| s.id.as_str()).collect()
}

// ---------------------------------------------------------------------------------------------
// The examples.

#[test]
fn every_example_plan_loads() {
    let paths = example_paths();
    let names: Vec<String> = paths
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        [
            "batch-patches.toml",
            "edgeplug-batches.toml",
            "exec-demo.toml",
            "multi-sonicator-firmware.toml",
            "orchestrator-blue-green.toml",
            "trackshift-argo.toml",
        ],
        "the examples docs/plan-format.md lists"
    );
    let mut failures = Vec::new();
    for path in &paths {
        match plan_file::load(path) {
            Ok(p) => {
                // What `warroom plan check` prints after "FILE: ok: ".
                let line = plan_file::summary(&p);
                assert!(line.starts_with(&p.plan.spec.id), "{line}");
            }
            Err(e) => failures.push(e.to_string()),
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn every_exec_program_with_a_relative_path_is_an_executable_file() {
    use std::os::unix::fs::PermissionsExt as _;
    let mut checked = 0;
    for path in example_paths() {
        let p = plan_file::load(&path).unwrap();
        let ActuatorSpec::Exec { verbs, dir, .. } = &p.actuator else {
            continue;
        };
        assert_eq!(dir, Path::new(EXAMPLES), "{}", path.display());
        for (verb, argv) in verbs {
            let program = Path::new(&argv[0]);
            // Bare names (`kubectl`) are looked up on PATH; absolute paths are the machine's.
            if !argv[0].contains('/') || program.is_absolute() {
                continue;
            }
            let file = dir.join(program);
            let meta = std::fs::metadata(&file).unwrap_or_else(|e| {
                panic!(
                    "{}: {} runs {}: {e}",
                    path.display(),
                    verb.word(),
                    file.display()
                )
            });
            assert!(meta.is_file(), "{} is not a file", file.display());
            assert!(
                meta.permissions().mode() & 0o111 != 0,
                "{}: {} is not executable (chmod +x)",
                path.display(),
                file.display()
            );
            let text = std::fs::read_to_string(&file).unwrap();
            assert!(
                text.starts_with("#!/bin/sh\n"),
                "{} is not a POSIX sh script",
                file.display()
            );
            let syntax = std::process::Command::new("sh")
                .arg("-n")
                .arg(&file)
                .output()
                .unwrap();
            assert!(
                syntax.status.success(),
                "{}: {}",
                file.display(),
                String::from_utf8_lossy(&syntax.stderr)
            );
            checked += 1;
        }
    }
    // exec-demo 4, edgeplug 4, orchestrator 2, multi-sonicator 4, trackshift 2 (advance and
    // rollback).
    assert_eq!(checked, 16);
}

#[test]
fn exec_demo_is_three_auto_waves_through_record_sh() {
    let p = example("exec-demo.toml").unwrap();
    assert_eq!(traffic(&p), [10.0, 50.0, 100.0]);
    assert_eq!(approvals(&p), [Auto; 3]);
    assert_eq!(
        exec_verbs(&p).expect("an exec actuator")[&Verb::Advance],
        ["../actuators/record.sh".to_string()]
    );
    assert!(p.sources.is_none());
    assert!(p.triggers.is_empty());
}

#[test]
fn batch_patches_is_four_manual_waves_behind_an_unleash_flag() {
    let p = example("batch-patches.toml").unwrap();
    let spec = &p.plan.spec;
    assert_eq!(spec.id, "batch-patches-v1.0.0");
    assert_eq!((spec.from.as_str(), spec.to.as_str()), ("legacy", "v1.0.0"));
    assert_eq!(spec.strategy, Strategy::Canary);
    assert_eq!(spec.traffic_unit, None);
    let ids: Vec<&str> = spec.waves.iter().map(|w| w.id.as_str()).collect();
    assert_eq!(ids, ["w1", "w2", "w3", "w4"]);
    assert_eq!(traffic(&p), [10.0, 25.0, 50.0, 100.0]);
    assert_eq!(approvals(&p), [Manual; 4]);
    let bakes: Vec<Option<Span>> = spec.waves.iter().map(|w| w.bake).collect();
    assert_eq!(
        bakes,
        [
            Some(Span::from_secs(86_400)),
            Some(Span::from_secs(2 * 86_400)),
            Some(Span::from_secs(2 * 86_400)),
            Some(Span::from_secs(2 * 86_400)),
        ]
    );

    assert_eq!(
        p.actuator,
        ActuatorSpec::Unleash {
            url: "http://127.0.0.1:4242".parse().unwrap(),
            token: Secret::Env("UNLEASH_ADMIN_TOKEN".into()),
            project: "default".into(),
            environment: "production".into(),
            feature: "batch-patches-v1".into(),
            poll: Span::from_secs(5),
            timeout: Span::from_secs(5),
        }
    );

    // "ANY CRITICAL alert" and "Error rate > 10% for > 5min" roll back, in every wave.
    assert_eq!(
        triggers(&p, Policy::Rollback),
        ["alerts critical for 0s", "error_rate > 10 for 5m"]
    );
    for t in p.triggers.iter().filter(|t| t.policy == Policy::Rollback) {
        assert_eq!(t.waves, None, "{} watches every wave", t.label);
    }
    let labels: Vec<&str> = p.triggers.iter().map(|t| t.label.as_str()).collect();
    assert!(labels.contains(&"ANY CRITICAL alert"), "{labels:?}");
    assert!(
        labels.contains(&"Error rate > 10% for > 5min"),
        "{labels:?}"
    );
    assert_eq!(
        triggers(&p, Policy::Pause),
        ["p95_latency > 600 for 5m", "p99_latency > 1500 for 5m"]
    );
    assert_eq!(triggers(&p, Policy::Notify), ["error_rate > 5 for 5m"]);

    // The SLOs read what `warroom serve` exposes, like examples/warroom.toml.
    let sources = p.sources.as_ref().expect("[prometheus]");
    assert_eq!(sources.prometheus.url.as_str(), "http://127.0.0.1:9090/");
    assert_eq!(
        sources
            .alertmanager
            .as_ref()
            .expect("[alertmanager]")
            .url
            .as_str(),
        "http://127.0.0.1:9093/"
    );
    assert_eq!(
        slo_ids(&p),
        ["error_rate", "success_rate", "p95_latency", "p99_latency"]
    );
    assert_eq!(
        sources.slos[0].query,
        "100 * sum(rate(warroom_request_errors_total[1m])) / sum(rate(warroom_requests_total[1m]))"
    );
    for s in &sources.slos {
        assert!(
            s.query.contains("warroom_request"),
            "{}: {}",
            s.spec.id,
            s.query
        );
    }

    // Wave 1's go/no-go, as the seed words it, with the checklist items behind it.
    let gates: Vec<&str> = spec.waves[0]
        .gates
        .iter()
        .map(|g| g.label.as_str())
        .collect();
    assert_eq!(
        gates,
        [
            "Zero CRITICAL alerts",
            "Error rate < 5%",
            "P95 latency < 500ms",
            "All ALARM tests pass",
            "Team comfortable with monitoring",
        ]
    );
    let sections: Vec<&str> = spec.checklist.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(
        sections,
        [
            "code_quality",
            "infra",
            "team",
            "approval",
            "gonogo_w1",
            "gonogo_w2",
            "gonogo_w3",
            "gonogo_w4"
        ]
    );
    let ciso = spec
        .checklist
        .iter()
        .flat_map(|s| &s.items)
        .find(|i| i.id == "appr_ciso")
        .unwrap();
    assert_eq!(ciso.owner.as_deref(), Some("CISO"));
}

#[test]
fn edgeplug_moves_substations_in_manual_batches() {
    let p = example("edgeplug-batches.toml").unwrap();
    let spec = &p.plan.spec;
    assert_eq!(spec.strategy, Strategy::Batches);
    assert_eq!(spec.traffic_unit.as_deref(), Some("substations"));
    let ids: Vec<&str> = spec.waves.iter().map(|w| w.id.as_str()).collect();
    assert_eq!(ids, ["staging", "canary", "batch-1", "batch-2", "batch-3"]);
    assert_eq!(traffic(&p), [0.0, 5.0, 15.0, 30.0, 50.0]);
    assert_eq!(approvals(&p), [Manual; 5]);
    assert_eq!(
        slo_ids(&p),
        [
            "safety_violations",
            "devices_communicating",
            "agent_health",
            "grid_stability"
        ]
    );

    let verbs = exec_verbs(&p).expect("an exec actuator");
    for verb in Verb::ALL {
        assert_eq!(
            verbs[&verb],
            [
                "../actuators/edgeplug-fleet.sh".to_string(),
                verb.word().to_string()
            ]
        );
    }

    assert_eq!(
        triggers(&p, Policy::Rollback),
        [
            "safety_violations > 0 for 0s",
            "devices_communicating < 80 for 2m",
            "grid_stability > 5 for 2m"
        ]
    );
    assert_eq!(
        triggers(&p, Policy::Pause),
        ["agent_health < 90 for 2m", "alerts critical for 0s"]
    );
    // Staging puts the new agent on no substation: no trigger watches it.
    for t in &p.triggers {
        assert_eq!(
            watched(&p, t).as_deref(),
            Some(&["canary", "batch-1", "batch-2", "batch-3"].map(String::from)[..]),
            "{}",
            t.label
        );
    }
    // Staging's go/no-go is the SOP's whole Deployment Procedure section.
    assert_eq!(
        spec.waves[0].gates[0].check.as_deref(),
        Some("deploy-procedure")
    );
}

#[test]
fn orchestrator_is_a_blue_green_cutover_with_green_as_the_rollback() {
    let p = example("orchestrator-blue-green.toml").unwrap();
    let spec = &p.plan.spec;
    assert_eq!(spec.strategy, Strategy::BlueGreen);
    let ids: Vec<&str> = spec.waves.iter().map(|w| w.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "phase-0",
            "phase-1",
            "phase-2",
            "phase-3",
            "phase-4",
            "cutover-50",
            "cutover-100",
            "phase-6"
        ]
    );
    assert_eq!(traffic(&p), [0.0, 0.0, 0.0, 0.0, 0.0, 50.0, 100.0, 100.0]);
    assert_eq!(
        approvals(&p),
        [Manual, Manual, Auto, Auto, Manual, Auto, Auto, Manual]
    );

    // Advance and rollback only: pausing a cutover moves no weight.
    let verbs = exec_verbs(&p).expect("an exec actuator");
    assert_eq!(
        verbs.keys().copied().collect::<Vec<_>>(),
        [Verb::Advance, Verb::Rollback]
    );
    assert_eq!(
        verbs[&Verb::Rollback][0],
        "../actuators/orchestrator-blue-green.sh"
    );

    // "Critical Errors (Immediate Rollback)", while Blue carries users.
    assert_eq!(
        triggers(&p, Policy::Rollback),
        [
            "error_rate > 10 for 2m",
            "p95_latency > 5000 for 0s",
            "cpu > 95 for 5m"
        ]
    );
    for t in p.triggers.iter().filter(|t| t.policy == Policy::Rollback) {
        assert_eq!(
            watched(&p, t).as_deref(),
            Some(&["cutover-50", "cutover-100", "phase-6"].map(String::from)[..]),
            "{}",
            t.label
        );
    }
    // "High Priority Errors (Review + Rollback)" hold the cutover for the review.
    assert_eq!(
        triggers(&p, Policy::Pause),
        [
            "error_rate > 5 for 5m",
            "p95_latency > 1000 for 5m",
            "memory > 85 for 5m",
            "alerts critical for 0s"
        ]
    );
    assert_eq!(
        triggers(&p, Policy::Notify),
        [
            "error_rate > 1 for 10m",
            "p95_latency > 500 for 0s",
            "alerts warning for 0s"
        ]
    );
    // Phase 0 gates on the four pre-deployment sections: 60 items.
    let checks: Vec<&str> = spec.waves[0]
        .gates
        .iter()
        .filter_map(|g| g.check.as_deref())
        .collect();
    assert_eq!(checks, ["A", "B", "C", "D"]);
    let items: usize = spec.checklist.iter().map(|s| s.items.len()).sum();
    assert_eq!(items, 60);
}

#[test]
fn multi_sonicator_flashes_controllers_through_the_pipeline() {
    let p = example("multi-sonicator-firmware.toml").unwrap();
    let spec = &p.plan.spec;
    assert_eq!(spec.strategy, Strategy::Batches);
    assert_eq!(spec.traffic_unit.as_deref(), Some("controllers"));
    assert_eq!(
        (spec.from.as_str(), spec.to.as_str()),
        ("fw-1.3.2", "fw-1.4.0")
    );
    assert_eq!(traffic(&p), [2.0, 8.0, 24.0, 48.0]);
    assert_eq!(approvals(&p), [Auto, Auto, Auto, Manual]);
    assert_eq!(
        exec_verbs(&p)
            .expect("an exec actuator")
            .keys()
            .copied()
            .collect::<Vec<_>>(),
        Verb::ALL
    );
    assert_eq!(
        triggers(&p, Policy::Rollback),
        ["update_downtime > 30 for 0s"]
    );
    assert_eq!(
        triggers(&p, Policy::Pause),
        [
            "alerts critical for 0s",
            "modbus_errors > 1 for 15m",
            "monitoring_coverage < 95 for 5m"
        ]
    );
    assert_eq!(
        triggers(&p, Policy::Notify),
        ["critical_response > 15 for 0s"]
    );
    // Every gating feature and acceptance criterion is pre-deployment: no gate names one.
    for w in &spec.waves {
        assert!(w.gates.iter().all(|g| g.check.is_none()), "{}", w.id);
    }
}

#[test]
fn trackshift_goes_through_the_argo_rollouts_plugin() {
    let p = example("trackshift-argo.toml").unwrap();
    let spec = &p.plan.spec;
    assert_eq!(spec.strategy, Strategy::Canary);
    let ids: Vec<&str> = spec.waves.iter().map(|w| w.id.as_str()).collect();
    assert_eq!(ids, ["p25", "p50", "p100"]);
    assert_eq!(traffic(&p), [25.0, 50.0, 100.0]);
    assert_eq!(approvals(&p), [Manual, Auto, Manual]);

    let verbs = exec_verbs(&p).expect("an exec actuator");
    let argv = |v: &[&str]| v.iter().map(ToString::to_string).collect::<Vec<_>>();
    assert_eq!(
        verbs[&Verb::Advance],
        argv(&[
            "../actuators/argo-rollouts-advance.sh",
            "trackshift-gateway",
            "trackshift"
        ])
    );
    assert_eq!(
        verbs[&Verb::Pause],
        argv(&[
            "kubectl",
            "argo",
            "rollouts",
            "pause",
            "trackshift-gateway",
            "-n",
            "trackshift"
        ])
    );
    // The plugin has no `resume`, and `promote` would move the Rollout past its pause step:
    // resume only unpauses.
    assert_eq!(
        verbs[&Verb::Resume],
        argv(&[
            "kubectl",
            "patch",
            "rollout",
            "trackshift-gateway",
            "-n",
            "trackshift",
            "--type",
            "merge",
            "-p",
            r#"{"spec":{"paused":false}}"#
        ])
    );
    assert_eq!(
        verbs[&Verb::Rollback],
        argv(&[
            "../actuators/argo-rollouts-rollback.sh",
            "trackshift-gateway",
            "trackshift"
        ])
    );

    assert_eq!(
        triggers(&p, Policy::Rollback),
        [
            "chunk_latency > 500 for 10m",
            "job_failure_rate > 5 for 15m"
        ]
    );
    assert_eq!(
        triggers(&p, Policy::Pause),
        ["connector_errors > 20 for 30m", "alerts critical for 0s"]
    );
    // The critical-chunk latency gate allows WARN: the playbook's line is the critical one.
    let latency = &spec.waves[0].gates[1];
    assert_eq!(latency.slo.as_deref(), Some("chunk_latency"));
    assert!(latency.allow.is_some());
}

/// A fake `kubectl` on PATH that prints what the Argo Rollouts plugin prints (backends.md
/// §3.2), records its arguments in the file `calls`, and fails the verb named in $FAIL like
/// the plugin does. Returns its directory (keep it alive), `calls` and the PATH to run with.
fn fake_kubectl() -> (tempfile::TempDir, PathBuf, String) {
    use std::os::unix::fs::PermissionsExt as _;
    let bin = tempfile::tempdir().expect("a temporary directory");
    let calls = bin.path().join("calls");
    let fake = bin.path().join("kubectl");
    let script = r#"#!/bin/sh
printf '%s\n' "$*" >> "$CALLS"
if [ "$3" = "${FAIL:-}" ]; then
    echo "Error: rollouts.argoproj.io \"$4\" not found" >&2
    exit 1
fi
case "$3" in
abort) echo "rollout '$4' aborted" ;;
undo) echo "rollout '$4' undo" ;;
promote) echo "rollout '$4' promoted" ;;
esac
"#;
    std::fs::write(&fake, script).expect("write the fake kubectl");
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755))
        .expect("make the fake kubectl executable");
    let path = format!(
        "{}:{}",
        bin.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    (bin, calls, path)
}

#[test]
fn the_argo_advance_script_promotes_and_fully_promotes_on_completion() {
    let (_bin, calls, path) = fake_kubectl();
    let run = |complete: Option<&str>, fail: &str| {
        let _ = std::fs::remove_file(&calls);
        let mut cmd = std::process::Command::new("examples/actuators/argo-rollouts-advance.sh");
        cmd.args(["trackshift-gateway", "trackshift"])
            .env("PATH", &path)
            .env("CALLS", &calls)
            .env("FAIL", fail)
            .env_remove("WARROOM_COMPLETE");
        if let Some(c) = complete {
            cmd.env("WARROOM_COMPLETE", c);
        }
        let out = cmd.output().expect("run the advance script");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            std::fs::read_to_string(&calls).unwrap_or_default(),
        )
    };
    let promote = "argo rollouts promote trackshift-gateway -n trackshift\n";
    for complete in [None, Some("0")] {
        let (code, stdout, called) = run(complete, "");
        assert_eq!(code, Some(0), "WARROOM_COMPLETE={complete:?}");
        assert_eq!(called, promote, "WARROOM_COMPLETE={complete:?}");
        assert_eq!(stdout, "rollout 'trackshift-gateway' promoted\n");
    }
    // Leaving the last wave completes the rollout: a full promotion, which changes nothing on
    // a finished Rollout.
    let (code, _, called) = run(Some("1"), "");
    assert_eq!(code, Some(0));
    assert_eq!(
        called,
        "argo rollouts promote trackshift-gateway -n trackshift --full\n"
    );
    // The plugin fails: so does the script.
    let (code, _, called) = run(None, "promote");
    assert_ne!(code, Some(0));
    assert_eq!(called, promote);
}

#[test]
fn the_argo_rollback_script_aborts_then_undoes_and_fails_with_either() {
    let (_bin, calls, path) = fake_kubectl();
    let run = |fail: &str| {
        let _ = std::fs::remove_file(&calls);
        let out = std::process::Command::new("examples/actuators/argo-rollouts-rollback.sh")
            .args(["trackshift-gateway", "trackshift"])
            .env("PATH", &path)
            .env("CALLS", &calls)
            .env("FAIL", fail)
            .output()
            .expect("run the rollback script");
        let called = std::fs::read_to_string(&calls).unwrap_or_default();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
            called,
        )
    };

    let (code, stdout, _, called) = run("");
    assert_eq!(code, Some(0));
    assert_eq!(
        called,
        "argo rollouts abort trackshift-gateway -n trackshift\n\
         argo rollouts undo trackshift-gateway -n trackshift\n"
    );
    assert_eq!(
        stdout,
        "rollout 'trackshift-gateway' aborted\nrollout 'trackshift-gateway' undo\n"
    );

    // abort fails: undo is not run, and the script fails with the plugin's words.
    let (code, _, stderr, called) = run("abort");
    assert_ne!(code, Some(0));
    assert_eq!(
        called,
        "argo rollouts abort trackshift-gateway -n trackshift\n"
    );
    assert!(stderr.contains("Error: rollouts.argoproj.io"), "{stderr}");

    // undo fails after abort: the script fails too.
    let (code, _, _, called) = run("undo");
    assert_ne!(code, Some(0));
    assert_eq!(called.lines().count(), 2, "{called}");

    // Without its two arguments it runs nothing.
    std::fs::remove_file(&calls).unwrap();
    let out = std::process::Command::new("examples/actuators/argo-rollouts-rollback.sh")
        .arg("trackshift-gateway")
        .env("PATH", &path)
        .env("CALLS", &calls)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(!calls.exists(), "kubectl ran without a namespace");
}

#[test]
fn the_print_only_actuators_change_nothing_and_say_so() {
    let all = &["advance", "pause", "resume", "rollback"][..];
    for (script, wave, last, verbs) in [
        (
            "examples/actuators/edgeplug-fleet.sh",
            "batch-1",
            "batch-3",
            all,
        ),
        (
            "examples/actuators/multi-sonicator-pipeline.sh",
            "b2",
            "b4",
            all,
        ),
        (
            "examples/actuators/orchestrator-blue-green.sh",
            "cutover-50",
            "phase-6",
            &["advance", "rollback"][..],
        ),
    ] {
        for verb in verbs {
            let out = std::process::Command::new(script)
                .arg(verb)
                .env("WARROOM_VERB", verb)
                .env("WARROOM_ROLLOUT", "demo")
                .env("WARROOM_WAVE", wave)
                .env("WARROOM_TRAFFIC", "50")
                .env("WARROOM_PREVIOUS_TRAFFIC", "0")
                .env("WARROOM_COMMAND_ID", "cmd-1")
                .env("WARROOM_REASON", "a reason with spaces")
                .env("WARROOM_COMPLETE", "0")
                .output()
                .unwrap();
            let stdout = String::from_utf8_lossy(&out.stdout);
            assert_eq!(out.status.code(), Some(0), "{script} {verb}: {out:?}");
            assert!(
                stdout.contains("nothing was changed (example actuator)"),
                "{script} {verb}: {stdout}"
            );
            assert!(!stdout.contains("complete"), "{script} {verb}: {stdout}");
        }
        // The advance out of the last step completes the rollout: nothing moves.
        let out = std::process::Command::new(script)
            .arg("advance")
            .env("WARROOM_VERB", "advance")
            .env("WARROOM_ROLLOUT", "demo")
            .env("WARROOM_WAVE", last)
            .env("WARROOM_TRAFFIC", "100")
            .env("WARROOM_PREVIOUS_TRAFFIC", "100")
            .env("WARROOM_COMPLETE", "1")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{script}: {out:?}");
        assert!(
            stdout.contains(" complete: ") && !stdout.contains("would run"),
            "{script}: {stdout}"
        );
        // An unknown verb, or none, is refused.
        let out = std::process::Command::new(script)
            .arg("promote")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{script}");
        let out = std::process::Command::new(script).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{script}");
    }
}

// ---------------------------------------------------------------------------------------------
// Broken plans.

/// A valid base: `[rollout]` (lines 1-6), two waves (wave[0] on lines 8-13, wave[1] on 15-18),
/// `[prometheus]` (20-21), one SLO (23-31), one trigger (33-37), a checklist section with one
/// item (39-45) and an exec actuator (47-50). Cases edit one spot of it.
const BASE: &str = r#"[rollout]
id = "demo"
service = "demo"
from = "v1"
to = "v2"
strategy = "canary"

[[wave]]
id = "w1"
name = "Wave 1"
traffic = 10
bake = "5m"
gates = [{ slo = "error_rate" }, { check = "signed" }]

[[wave]]
id = "w2"
name = "Wave 2"
traffic = 100

[prometheus]
url = "http://127.0.0.1:9090"

[[slo]]
id = "error_rate"
name = "Error Rate"
query = "100 * sum(rate(warroom_request_errors_total[1m])) / sum(rate(warroom_requests_total[1m]))"
unit = "%"
direction = "lower"
target = 2
warning = 5
critical = 10

[[trigger]]
slo = "error_rate"
above = 10
for = "5m"
policy = "rollback"

[[checklist]]
id = "gonogo"
title = "Go/No-Go"

[[checklist.item]]
id = "signed"
text = "Go/no-go signed"

[actuator]
kind = "exec"
advance = ["./advance.sh"]
rollback = ["./rollback.sh"]
"#;

fn with(from: &str, to: &str) -> String {
    assert!(BASE.contains(from), "case does not apply: {from:?}");
    BASE.replacen(from, to, 1)
}

fn plus(extra: &str) -> String {
    format!("{BASE}\n{extra}")
}

fn error_of(text: &str) -> String {
    match plan_file::parse("plan.toml", text, Path::new(".")) {
        Ok(_) => "parsed without error".into(),
        Err(e) => e.to_string(),
    }
}

#[test]
fn the_base_itself_parses() {
    let p = plan_file::parse("plan.toml", BASE, Path::new(".")).unwrap();
    assert_eq!(traffic(&p), [10.0, 100.0]);
    assert_eq!(triggers(&p, Policy::Rollback), ["error_rate > 10 for 5m"]);
    // The label a trigger gets when the file gives none.
    assert_eq!(p.triggers[0].label, "Error Rate > 10% for 5m");
    let ActuatorSpec::Exec { dir, timeout, .. } = &p.actuator else {
        panic!("exec expected");
    };
    assert_eq!(dir, Path::new("."));
    assert_eq!(*timeout, Span::from_secs(30));
}

#[test]
fn broken_plans_name_file_line_key_and_value() {
    let unleash = "[actuator]\nkind = \"unleash\"\nurl = \"http://127.0.0.1:4242\"\nfeature = \"batch-patches-v1\"\n";
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "missing [rollout]",
            with("[rollout]\nid = \"demo\"\nservice = \"demo\"\nfrom = \"v1\"\nto = \"v2\"\nstrategy = \"canary\"\n", ""),
            "plan.toml: rollout: missing [rollout] section (id, service, from, to, strategy)",
        ),
        (
            "no [[wave]]",
            with(
                "[[wave]]\nid = \"w1\"\nname = \"Wave 1\"\ntraffic = 10\nbake = \"5m\"\ngates = [{ slo = \"error_rate\" }, { check = \"signed\" }]\n\n[[wave]]\nid = \"w2\"\nname = \"Wave 2\"\ntraffic = 100\n",
                "",
            ),
            "plan.toml: wave: no [[wave]] entries (a rollout needs at least one)",
        ),
        (
            "traffic 200",
            with("traffic = 100", "traffic = 200"),
            "plan.toml: line 18: wave[1].traffic: 200 is not a percentage between 0 and 100",
        ),
        (
            "unknown key in a wave",
            with("traffic = 100", "traffic = 100\ncolour = \"red\""),
            "plan.toml: line 19: wave[1].colour: unknown field `colour`, expected one of `id`, `name`, `traffic`, `bake`, `target`, `approval`, `gates`",
        ),
        (
            "bad duration",
            with("bake = \"5m\"", "bake = \"5mins\""),
            r#"plan.toml: line 12: wave[0].bake: unknown unit "mins" (use d, h, m, min, s or ms) in "5mins""#,
        ),
        (
            "gate with two kinds",
            with("{ check = \"signed\" }", "{ slo = \"error_rate\", check = \"signed\" }"),
            r#"plan.toml: line 13: wave[0].gates[1]: a gate needs exactly one of "slo", "check", "alerts" or "burn""#,
        ),
        (
            "gate naming an unknown SLO",
            with("{ slo = \"error_rate\" }", "{ slo = \"eror_rate\" }"),
            r#"plan.toml: line 13: wave[0].gates[0].slo: no SLO "eror_rate" in the plan"#,
        ),
        (
            "trigger without policy",
            with("for = \"5m\"\npolicy = \"rollback\"\n", "for = \"5m\"\n"),
            "plan.toml: line 33: trigger[0]: missing field `policy`",
        ),
        (
            "trigger with both above and below",
            with("above = 10\n", "above = 10\nbelow = 1\n"),
            r#"plan.toml: line 36: trigger[0].below: above = 10 and below = 1: an SLO trigger needs exactly one of "above" or "below""#,
        ),
        (
            "SLO trigger with neither above nor below",
            with("above = 10\n", ""),
            r#"plan.toml: line 33: trigger[0]: an SLO trigger needs exactly one of "above" or "below""#,
        ),
        (
            "below on an SLO where lower is better",
            with("above = 10\n", "below = 1\n"),
            r#"plan.toml: line 35: trigger[0].below: below = 1 on SLO "error_rate", whose direction is "lower" (lower is better): it would fire on good values (use above)"#,
        ),
        (
            "above on an SLO where higher is better",
            with(
                "direction = \"lower\"\ntarget = 2\nwarning = 5\ncritical = 10\n",
                "direction = \"higher\"\ntarget = 98\nwarning = 95\ncritical = 90\n",
            ),
            r#"plan.toml: line 35: trigger[0].above: above = 10 on SLO "error_rate", whose direction is "higher" (higher is better): it would fire on good values (use below)"#,
        ),
        (
            "trigger naming an unknown wave",
            with("policy = \"rollback\"\n", "policy = \"rollback\"\nwaves = [\"w1\", \"w9\"]\n"),
            r#"plan.toml: line 38: trigger[0].waves[1]: no wave "w9" in the plan"#,
        ),
        (
            "alert gate without [alertmanager]",
            with("{ check = \"signed\" }", "{ alerts = \"critical\" }"),
            "plan.toml: line 13: wave[0].gates[1].alerts: an alert gate needs an [alertmanager] to read alerts from",
        ),
        (
            "gate with two kinds, one of them alerts, without [alertmanager]",
            with("{ check = \"signed\" }", "{ alerts = \"critical\", check = \"signed\" }"),
            r#"plan.toml: line 13: wave[0].gates[1]: a gate needs exactly one of "slo", "check", "alerts" or "burn""#,
        ),
        (
            "gate written as an array of its values",
            with("{ check = \"signed\" }", "[\"check\", \"signed\"]"),
            "plan.toml: line 13: wave[0].gates[1]: expected a table, found an array",
        ),
        (
            "bake with a stray space",
            with("bake = \"5m\"", "bake = \" 5m\""),
            r#"plan.toml: line 12: wave[0].bake: a space at character 1 of " 5m" (durations are written without spaces: "5m")"#,
        ),
        (
            "alert matcher regex that does not compile",
            with(
                "[[checklist]]\n",
                "[alertmanager]\nurl = \"http://127.0.0.1:9093\"\nmatchers = ['severity=~\"crit(\"']\n\n[[checklist]]\n",
            ),
            r#"plan.toml: line 41: alertmanager.matchers[0]: "severity=~\"crit(\"" has a value that is not a regular expression: unclosed group (=~ and !~ take RE2 syntax, matched against the whole label value)"#,
        ),
        (
            "exec without rollback",
            with("rollback = [\"./rollback.sh\"]\n", ""),
            r#"plan.toml: line 47: actuator.rollback: missing: the exec actuator needs a command for advance and for rollback (an argument list, e.g. ["kubectl", "argo", "rollouts", "promote", "my-app"])"#,
        ),
        (
            "exec program with spaces",
            with("advance = [\"./advance.sh\"]", "advance = [\"kubectl argo rollouts promote demo\"]"),
            r#"plan.toml: line 49: actuator.advance[0]: "kubectl argo rollouts promote demo" has spaces: the command is an argument list, never run through a shell (write ["prog", "arg", ...])"#,
        ),
        (
            "exec program path with spaces",
            with("advance = [\"./advance.sh\"]", "advance = [\"./advance.sh --dry-run\"]"),
            r#"plan.toml: line 49: actuator.advance[0]: "./advance.sh --dry-run" has spaces: the command is an argument list, never run through a shell (write ["prog", "arg", ...])"#,
        ),
        (
            "unknown actuator kind",
            with("kind = \"exec\"", "kind = \"helm\""),
            r#"plan.toml: line 48: actuator.kind: "helm" is not an actuator (exec, webhook, unleash or simulate)"#,
        ),
        (
            "a key of another actuator kind",
            with("rollback = [\"./rollback.sh\"]\n", "rollback = [\"./rollback.sh\"]\nfeature = \"batch-patches-v1\"\n"),
            "plan.toml: line 51: actuator.feature: not a key of the exec actuator (it takes advance, pause, resume, rollback, timeout)",
        ),
        (
            "SLO with a query but no [prometheus]",
            with("[prometheus]\nurl = \"http://127.0.0.1:9090\"\n", ""),
            r#"plan.toml: line 24: slo[0].query: "100 * sum(rate(warroom_request_errors_total[1m])) / sum(rate(warroom_requests_total[1m]))", but there is no [prometheus] to ask (add one, or leave the query out for simulated values)"#,
        ),
        (
            "SLO with series = each",
            with("critical = 10\n", "critical = 10\nseries = \"each\"\n"),
            r#"plan.toml: line 32: slo[0].series: "each" makes one gauge per series on a console; a planned rollout gates and triggers on SLOs that aggregate to one value"#,
        ),
        (
            "slo.triggers in a plan file",
            with("critical = 10\n", "critical = 10\ntriggers = [{ above = 10, for = \"5m\" }]\n"),
            r#"plan.toml: line 32: slo[0].triggers: in a plan file, rollback triggers are [[trigger]] tables with a policy (slo = "error_rate", above or below, for, policy)"#,
        ),
        (
            "duplicate wave id",
            with("id = \"w2\"", "id = \"w1\""),
            r#"plan.toml: line 16: wave[1].id: duplicate wave id "w1""#,
        ),
        (
            "simulate next to [prometheus]",
            with(
                "[actuator]\nkind = \"exec\"\nadvance = [\"./advance.sh\"]\nrollback = [\"./rollback.sh\"]\n",
                "[actuator]\nkind = \"simulate\"\n",
            ),
            r#"plan.toml: line 20: prometheus: kind = "simulate" makes the SLO values up, and polling [prometheus] as well would fight it: leave out [prometheus] (and the SLO queries), or use another actuator"#,
        ),
        (
            "unleash without a token",
            with("[actuator]\nkind = \"exec\"\nadvance = [\"./advance.sh\"]\nrollback = [\"./rollback.sh\"]\n", unleash),
            "plan.toml: line 47: actuator: an admin API token is needed: set token_env to the name of an environment variable that holds it, or token_file to a file",
        ),
        // A few more of the refusals docs/plan-format.md promises.
        (
            "trigger naming an unknown SLO",
            with("slo = \"error_rate\"\nabove", "slo = \"eror_rate\"\nabove"),
            r#"plan.toml: line 34: trigger[0].slo: no SLO "eror_rate" in the plan"#,
        ),
        (
            "missing [actuator]",
            with("[actuator]\nkind = \"exec\"\nadvance = [\"./advance.sh\"]\nrollback = [\"./rollback.sh\"]\n", ""),
            r#"plan.toml: actuator: missing [actuator] section (kind = "exec", "webhook", "unleash" or "simulate")"#,
        ),
        (
            "exec with an empty command",
            with("advance = [\"./advance.sh\"]", "advance = []"),
            "plan.toml: line 49: actuator.advance: [] names no program",
        ),
        (
            "actuator timeout over 10 minutes",
            plus("timeout = \"11m\"\n"),
            r#"plan.toml: line 52: actuator.timeout: "11m" is longer than 10m: a command nobody hears back from for that long is lost to the room"#,
        ),
        (
            "unleash on a fleet of substations",
            with(
                "[actuator]\nkind = \"exec\"\nadvance = [\"./advance.sh\"]\nrollback = [\"./rollback.sh\"]\n",
                &format!("{unleash}token_env = \"UNLEASH_ADMIN_TOKEN\"\n"),
            )
            .replacen("strategy = \"canary\"", "strategy = \"batches\"\ntraffic_unit = \"substations\"", 1),
            r#"plan.toml: line 49: actuator.kind: "unleash" rolls a flag out to a percentage of users, but rollout.traffic_unit is "substations""#,
        ),
        (
            "sample_interval next to [prometheus]",
            with("strategy = \"canary\"", "strategy = \"canary\"\nsample_interval = \"15s\""),
            "plan.toml: line 7: rollout.sample_interval: samples come every prometheus.interval when [prometheus] is given; leave this out",
        ),
        (
            "unknown strategy",
            with("strategy = \"canary\"", "strategy = \"big-bang\""),
            "plan.toml: line 6: rollout.strategy: unknown variant `big-bang`, expected one of `canary`, `blue-green`, `batches`",
        ),
        (
            "gate on an unknown checklist item",
            with("{ check = \"signed\" }", "{ check = \"sigend\" }"),
            r#"plan.toml: line 13: wave[0].gates[1].check: no checklist item or section "sigend" in the plan"#,
        ),
        (
            "unknown trigger policy",
            with("policy = \"rollback\"", "policy = \"page\""),
            "plan.toml: line 37: trigger[0].policy: unknown variant `page`, expected one of `notify`, `pause`, `rollback`",
        ),
    ];
    let mut failures = Vec::new();
    for (what, text, expected) in &cases {
        let got = error_of(text);
        if got != *expected {
            failures.push(format!(
                "{what}:\n  expected: {expected}\n  got:      {got}"
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn the_summary_counts_things_in_words_that_agree() {
    let base = plan_file::parse("plan.toml", BASE, Path::new(".")).unwrap();
    assert_eq!(
        plan_file::summary(&base),
        "demo: canary, 2 waves: 10% (manual) → 100% (manual); 1 SLO from http://127.0.0.1:9090/; \
         1 trigger; checklist 1 section, 1 item; actuator exec (advance, rollback)"
    );
    assert_eq!(
        plan_file::summary(&example("exec-demo.toml").unwrap()),
        "exec-demo: canary, 3 waves: 10% (auto) → 50% (auto) → 100% (auto); no SLOs; \
         no triggers; checklist 1 section, 1 item; actuator exec (advance, pause, resume, \
         rollback; observe)"
    );
    assert_eq!(
        plan_file::summary(&example("batch-patches.toml").unwrap()),
        "batch-patches-v1.0.0: canary, 4 waves: 10% (manual) → 25% (manual) → 50% (manual) → \
         100% (manual); 4 SLOs from http://127.0.0.1:9090/, alerts from Alertmanager; \
         5 triggers; checklist 8 sections, 34 items; actuator unleash flag batch-patches-v1 in \
         production"
    );
    // The strategy's word is said once: "5 batches", not "batches 5 batches".
    let edgeplug = plan_file::summary(&example("edgeplug-batches.toml").unwrap());
    assert!(
        edgeplug.starts_with(
            "edgeplug-fleet-rollback-tabletop: 5 batches: 0 substations (manual) → 5 substations"
        ),
        "{edgeplug}"
    );
    let orchestrator = plan_file::summary(&example("orchestrator-blue-green.toml").unwrap());
    assert!(
        orchestrator
            .starts_with("orchestrator-blue-green-cutover-rollback: blue-green, 8 phases: "),
        "{orchestrator}"
    );
    // A simulated plan: its SLOs are counted as simulated, one of them in the singular.
    let simulated = with(
        "[actuator]\nkind = \"exec\"\nadvance = [\"./advance.sh\"]\nrollback = [\"./rollback.sh\"]\n",
        "[actuator]\nkind = \"simulate\"\n",
    )
    .replacen("[prometheus]\nurl = \"http://127.0.0.1:9090\"\n", "", 1)
    .replacen("query = \"100 * sum(rate(warroom_request_errors_total[1m])) / sum(rate(warroom_requests_total[1m]))\"\n", "", 1)
    .replacen("traffic = 100", "traffic = 100\napproval = \"auto\"", 1);
    let p = plan_file::parse("plan.toml", &simulated, Path::new(".")).unwrap();
    assert_eq!(
        plan_file::summary(&p),
        "demo: canary, 2 waves: 10% (manual) → 100% (auto); 1 simulated SLO; 1 trigger; \
         checklist 1 section, 1 item; actuator simulated traffic"
    );
}

#[test]
fn load_names_the_path_it_was_given() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plan.toml");
    std::fs::write(&path, with("traffic = 100", "traffic = 200")).unwrap();
    let e = plan_file::load(&path).unwrap_err().to_string();
    assert_eq!(
        e,
        format!(
            "{}: line 18: wave[1].traffic: 200 is not a percentage between 0 and 100",
            path.display()
        )
    );
    let missing = dir.path().join("nope.toml");
    let e = plan_file::load(&missing).unwrap_err().to_string();
    assert!(
        e.starts_with(&format!("{}: cannot read: ", missing.display())),
        "{e}"
    );
    // Relative program paths are resolved against the file's directory.
    std::fs::write(&path, BASE).unwrap();
    let p = plan_file::load(&path).unwrap();
    let ActuatorSpec::Exec { dir: d, .. } = &p.actuator else {
        panic!("exec expected");
    };
    assert_eq!(d, dir.path());
}

/// The exec demo's observe command reads record.sh's log back: its last line is the
/// command's (0), it is not (1), there is no log (2).
#[test]
fn record_observe_reads_the_log_back() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("actuator.log");
    let run = |log: Option<&std::path::Path>, wave: &str| {
        let mut cmd = std::process::Command::new("examples/actuators/record-observe.sh");
        cmd.env_remove("WARROOM_ACTUATOR_LOG")
            .env("WARROOM_VERB", "advance")
            .env("WARROOM_WAVE", wave)
            .env("WARROOM_TRAFFIC", "50")
            .env("WARROOM_COMPLETE", "0")
            .env("WARROOM_OBSERVE", "1");
        if let Some(l) = log {
            cmd.env("WARROOM_ACTUATOR_LOG", l);
        }
        cmd.output().unwrap().status.code()
    };
    std::fs::write(&log, "advance w1 10\nadvance w2 50\n").unwrap();
    assert_eq!(run(Some(&log), "w2"), Some(0));
    assert_eq!(run(Some(&log), "w3"), Some(1));
    assert_eq!(run(None, "w2"), Some(2));
}
