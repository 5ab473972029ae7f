//! The one-word answer to "how is it going?", as glyph, word and colour on screen.

use serde::{Deserialize, Serialize};

/// The one-word answer to "how is it going?".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Healthy,
    Degraded,
    Critical,
    Paused,
    RolledBack,
}

impl Status {
    #[must_use]
    pub fn word(self) -> &'static str {
        match self {
            Status::Healthy => "HEALTHY",
            Status::Degraded => "DEGRADED",
            Status::Critical => "CRITICAL",
            Status::Paused => "PAUSED",
            Status::RolledBack => "ROLLED BACK",
        }
    }
}
