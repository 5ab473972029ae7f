//! A message from a control plane, read the way a console reads it: the message, then the
//! plan of a hello, the state image of an image part, or the record of an event.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde::Deserialize;
use warroom::core::plan::Plan;
use warroom::core::state::Image;
use warroom::format::protocol::ServerMsg;
use warroom::format::record::{decode, Raw, Strictness};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(msg) = serde_json::from_str::<ServerMsg>(text) else {
        return;
    };
    // Whatever was accepted can be sent on as it is (a recording, a relay).
    let again = serde_json::to_string(&msg).expect("an accepted message encodes");
    serde_json::from_str::<ServerMsg>(&again).expect("an accepted message, encoded, reads back");
    let plan = warroom_fuzz::plan(data.len());
    match msg {
        ServerMsg::Hello { rollout, .. } => {
            if let Err(e) = Plan::new(rollout) {
                let _ = e.to_string();
            }
        }
        ServerMsg::Image { part } => {
            if let Ok(image) = Image::decode(&part) {
                let _ = image.fits(&plan);
            }
        }
        ServerMsg::Event { record, .. } => {
            if let Ok(raw) = Raw::deserialize(&record) {
                let _ = decode(&raw, &plan, Strictness::Lenient, |_| {});
            }
        }
        ServerMsg::Heartbeat { .. } | ServerMsg::Error { .. } => {}
    }
});
