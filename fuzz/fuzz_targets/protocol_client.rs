//! A message from a console, read the way a control plane reads it (`read_client`: no null
//! keys, every key within its limit); a command is then applied to a control plane's
//! scenario over a shipped fixture's plan (at its start, or where the fixture ends), and must
//! be answered.
#![no_main]

use libfuzzer_sys::fuzz_target;
use warroom::format::protocol::{read_client, ClientMsg};
use warroom::server::scenario::Scenario;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(msg) = read_client(text) else {
        return;
    };
    let again = serde_json::to_string(&msg).expect("an accepted message encodes");
    let back: ClientMsg =
        serde_json::from_str(&again).expect("an accepted message, encoded, reads back");
    assert_eq!(back, msg, "a message changes on the way through: {again}");
    if let ClientMsg::Command(cmd) = &msg {
        let states = warroom_fuzz::states();
        let state = &states[data.len() % states.len()];
        let mut sc = Scenario::from_state(state, 1, false);
        let now = sc.clock();
        let first = sc.command(cmd, now);
        // A retry (the same command again) is answered too.
        let second = sc.command(cmd, now);
        assert!(
            !first.is_empty() && !second.is_empty(),
            "a command goes unanswered"
        );
    }
});
