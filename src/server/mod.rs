//! The control plane: the scenario engine that plays a rollout (the built-in demo, or a
//! fixture's plan once it has been replayed), answers commands, and exposes the simulated
//! service-level indicators. Pure: time comes in as an input.

pub mod hub;
pub mod net;
pub mod scenario;
pub mod sli;
