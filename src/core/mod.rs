//! The pure core: the rollout model and the reducer. No I/O and no clock reads here.

pub mod app;
pub mod burn;
pub mod checklist;
pub mod command;
pub mod effects;
pub mod input;
pub mod intent;
pub mod outbox;
pub mod overlay;
pub mod plan;
pub mod playback;
pub mod record;
pub mod rng;
pub mod sanitize;
pub mod severity;
pub mod slo;
pub mod source;
pub mod state;
pub mod status;
pub mod time;
pub mod timeline;
pub mod ui;
pub mod wave;
pub mod words;
