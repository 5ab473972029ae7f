//! Inputs the fuzz targets under `fuzz/` found, kept as tests of the main crate: each is fed
//! to the function its target fed it to, and the answer now given is asserted.
#![allow(clippy::panic)]

use std::io::Cursor;

use warroom::core::source::{Link, SourceStatus};
use warroom::core::state::State;
use warroom::format::fixture;
use warroom::format::protocol::{read_client, ClientMsg};
use warroom::server::scenario::Scenario;

fn input(name: &str) -> String {
    let path = format!(
        "{}/tests/fuzz_regressions/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn scenario() -> Scenario {
    let text = include_str!("../fixtures/batch-patches-wave3-rollback.jsonl");
    let reader = fixture::open("batch", Cursor::new(text.as_bytes())).expect("a shipped fixture");
    let state = State::new(
        reader.fixture().plan.clone(),
        SourceStatus {
            name: "control-plane".into(),
            link: Link::Connected,
        },
        256,
    );
    Scenario::from_state(&state, 1, false)
}

/// `protocol_client`: a command whose id holds U+008E (a C1 control character). The target
/// read it with plain serde and expected the scenario to answer; the control plane reads
/// with `read_client`, which refuses it as a bad message, and the scenario, given it anyway,
/// records nothing (an id that cannot come back byte for byte is never an outcome's id).
#[test]
fn a_command_id_holding_a_c1_control_character_is_refused_and_records_nothing() {
    let text = input("protocol_client-c1-control-in-id");
    let err = read_client(&text).expect_err("refused at the edge");
    assert!(
        err.contains("`id` holds control or invisible characters"),
        "{err}"
    );
    let Ok(ClientMsg::Command(cmd)) = serde_json::from_str::<ClientMsg>(&text) else {
        panic!("the input is a command as far as serde goes");
    };
    let mut sc = scenario();
    let now = sc.clock();
    assert!(sc.command(&cmd, now).is_empty(), "nothing recorded");
    assert!(sc.command(&cmd, now).is_empty(), "nor on a retry");
}
