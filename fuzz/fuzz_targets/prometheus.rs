//! An answer from the Prometheus HTTP API: the first line is the HTTP status (200 when it is
//! not a number), the rest the body.
#![no_main]

use libfuzzer_sys::fuzz_target;
use warroom::shell::prometheus;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (status, body) = warroom_fuzz::http_answer(text);
    if let Err(e) = prometheus::parse(status, body) {
        let _ = e.to_string();
    }
});
