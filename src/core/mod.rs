//! The pure core: the rollout model and the reducer. No I/O and no clock reads here.

pub mod burn;
pub mod checklist;
pub mod command;
pub mod console;
pub mod intent;
pub mod plan;
pub mod playback;
pub mod record;
pub mod slo;
pub mod state;
pub mod text;
pub mod time;
pub mod timeline;
pub mod wave;
