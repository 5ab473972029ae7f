//! The I/O shell: files, terminal, clocks and sinks around the pure core.

pub mod headless;
pub mod load;
pub mod snapshot;
pub mod replay;
pub mod app;
pub mod input;
pub mod terminal;
pub mod events;
pub mod generate;
