//! A whole fixture file: its header (the plan) and then whatever records follow.
#![no_main]

use std::io::Cursor;

use libfuzzer_sys::fuzz_target;
use warroom::format::fixture;

fuzz_target!(|data: &[u8]| {
    match fixture::open("fuzz.jsonl", Cursor::new(data)) {
        Ok(mut reader) => warroom_fuzz::read_all(&mut reader, data.len() + 1, |_, _| {}),
        Err(e) => {
            assert!(
                e.line >= 1 && e.column >= 1,
                "refusal without a place: {e:?}"
            );
            let _ = e.to_string();
        }
    }
});
