//! `warroom.toml`: the metric and alert sources' configuration, then laid over each shipped
//! fixture's plan the way a live console lays it over its control plane's.
#![no_main]

use libfuzzer_sys::fuzz_target;
use warroom::core::plan::Plan;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match warroom::config::parse("warroom.toml", text) {
        Ok(config) => {
            let overlay = config.overlay();
            for h in warroom_fuzz::headers() {
                let (spec, _notes) = overlay.apply(&h.fixture.plan.spec);
                let _ = Plan::new(spec);
            }
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
});
