//! The control plane. `scenario/` (the rollout it conducts: the built-in demo, or a fixture's
//! plan once the fixture has played) and `event_log` (sequence numbers, the bounded log and
//! catch-up) are pure: time comes in as an input. `sli` is the simulated service's counters.
//! `net` is the I/O: the control plane, its driver that moves the scenario along the wall
//! clock, the HTTP edge (`net/http`: `/metrics`, `/healthz`, request heads) and each
//! console's connection (`net/console`).

pub mod conducting;
pub mod event_log;
pub mod exercise;
pub mod journal;
pub mod net;
pub mod scenario;
pub mod sli;
pub mod tokens;
