//! What the benchmarks share.

/// The word a requirement line ends with.
pub fn verdict(ok: bool) -> &'static str {
    if ok {
        "PASS"
    } else {
        "FAIL"
    }
}

/// Writes a seeded generated fixture of `records` records to `path`.
#[allow(
    dead_code,
    reason = "only the benches that make their own files use it"
)]
pub fn generate(path: &std::path::Path, records: u64, seed: u64) -> std::io::Result<()> {
    use std::io::Write;
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    warroom::shell::generate::write(&mut out, records, seed)?;
    out.flush()
}
