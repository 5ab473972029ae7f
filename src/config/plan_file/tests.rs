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
