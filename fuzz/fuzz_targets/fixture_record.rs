//! Record lines after a shipped fixture's header: the first byte picks the header (and
//! whether the lines are read as a newer minor version would be), the rest are the lines.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&sel, lines)) = data.split_first() else {
        return;
    };
    let h = warroom_fuzz::header(sel);
    let mut reader = warroom_fuzz::records(&h, lines);
    warroom_fuzz::read_all(&mut reader, lines.len() + 1, |_, _| {});
});
