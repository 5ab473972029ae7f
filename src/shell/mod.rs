//! The I/O shell: files, terminal, clocks and sinks around the pure core.

pub mod alertmanager;
pub mod app;
pub mod events;
pub mod generate;
pub mod headless;
pub mod input;
pub mod live;
pub mod load;
pub mod prometheus;
pub mod replay;
pub mod sinks;
pub mod snapshot;
pub mod sources;
pub mod terminal;
