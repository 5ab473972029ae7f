//! The I/O shell: files, terminal, clocks and sinks around the pure core.

pub mod actuator;
pub mod alertmanager;
pub mod backoff;
pub mod fixtures;
pub mod generate;
pub mod keys;
pub mod metrics_poll;
pub mod prometheus;
pub mod replay;
pub mod run;
pub mod sinks;
pub mod snapshot;
pub mod terminal;
pub mod ws_client;
