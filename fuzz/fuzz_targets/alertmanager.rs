//! An answer to Alertmanager's `GET /api/v2/alerts`: the first line is the HTTP status (200
//! when it is not a number), the rest the body. A list read is then tracked twice (all of
//! it, then every other alert) the way successive polls are.
#![no_main]

use libfuzzer_sys::fuzz_target;
use warroom::shell::alertmanager::{self, Tracker};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (status, body) = warroom_fuzz::http_answer(text);
    match alertmanager::parse(status, body) {
        Ok(alerts) => {
            let mut tracker = Tracker::new();
            let _ = tracker.update(&alerts);
            let fewer: Vec<_> = alerts.iter().step_by(2).cloned().collect();
            let _ = tracker.update(&fewer);
            let _ = (tracker.firing(), tracker.critical(), tracker.dropped());
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
});
