//! The I/O shell: files, terminal, clocks and sinks around the pure core.

pub mod headless;
pub mod load;
pub mod snapshot;
