//! A plan file (`warroom serve --plan`): the rollout, its sources, triggers and actuator.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use warroom::config::plan_file;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match plan_file::parse("plan.toml", text, Path::new("/nonexistent/plans")) {
        Ok(file) => {
            let _ = plan_file::summary(&file);
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
});
