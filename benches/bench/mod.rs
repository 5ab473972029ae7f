//! What the benchmarks share.

/// The word a requirement line ends with.
pub fn verdict(ok: bool) -> &'static str {
    if ok {
        "PASS"
    } else {
        "FAIL"
    }
}
