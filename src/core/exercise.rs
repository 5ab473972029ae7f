//! An exercise as a console sees it: the room's clock (which the facilitator controls) and,
//! at the facilitator's seat only, the injects still to come.

use serde::{Deserialize, Serialize};

use super::time::Offset;

/// An inject not yet released, as the facilitator's console lists it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Upcoming {
    /// The inject's name (the fixture's `inject`).
    pub id: String,
    /// When it is due, by the fixture.
    pub t: Offset,
    /// Records it holds.
    pub records: usize,
    /// What its first record says, in a few words.
    pub gist: String,
}

/// What the control plane last said of the exercise.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Exercise {
    pub paused: bool,
    /// Rollout seconds per wall second while it runs.
    pub speed: f64,
    /// The injects still to come (the facilitator's seat only), in the order they come due.
    pub injects: Vec<Upcoming>,
}
