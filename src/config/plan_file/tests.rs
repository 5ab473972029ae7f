use super::*;

fn dir() -> PathBuf {
    PathBuf::from("examples/plans")
}

#[test]
fn the_exec_demo_is_three_auto_waves_through_record_sh() {
    let text = std::fs::read_to_string("examples/plans/exec-demo.toml").expect("example");
    let p = parse("exec-demo.toml", &text, &dir()).expect("valid");
    let waves: Vec<_> = p
        .plan
        .spec
        .waves
        .iter()
        .map(|w| (w.traffic, w.approval))
        .collect();
    assert_eq!(
        waves,
        vec![
            (10.0, Some(Approval::Auto)),
            (50.0, Some(Approval::Auto)),
            (100.0, Some(Approval::Auto))
        ]
    );
    let ActuatorSpec::Exec { verbs, dir: d, .. } = &p.actuator else {
        panic!("exec actuator expected, got {:?}", p.actuator.kind());
    };
    assert_eq!(
        verbs[&Verb::Advance],
        vec!["../actuators/record.sh".to_string()]
    );
    assert_eq!(d, &dir());
    assert!(p.sources.is_none());
}

#[test]
fn counts_agree_with_their_nouns() {
    assert_eq!(count(0, "SLO", "SLOs"), "0 SLOs");
    assert_eq!(count(1, "SLO", "SLOs"), "1 SLO");
    assert_eq!(count(2, "SLO", "SLOs"), "2 SLOs");
}

#[test]
fn a_one_batch_plan_says_1_batch_once() {
    let text = r#"
[rollout]
id = "fleet"
service = "fleet"
from = "v1"
to = "v2"
strategy = "batches"
traffic_unit = "sites"

[[wave]]
id = "all"
name = "All sites"
traffic = 3
approval = "auto"

[actuator]
kind = "simulate"
"#;
    let p = parse("plan.toml", text, &dir()).expect("valid");
    assert_eq!(
        summary(&p),
        "fleet: 1 batch: 3 sites (auto); no SLOs; no triggers; no checklist; actuator simulated \
         traffic"
    );
}
