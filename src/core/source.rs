//! Where the data comes from and whether it is reaching us: the main feed and the other
//! sources (Prometheus, Alertmanager), with the names they go by on screen.

use std::sync::Arc;

use super::time::Span;

/// The control plane, as a source on screen and on the timeline.
pub const CONTROL_PLANE: &str = "control-plane";
/// Prometheus's HTTP API.
pub const PROMETHEUS: &str = "prometheus";
/// Alertmanager's API.
pub const ALERTMANAGER: &str = "alertmanager";
/// A fixture being replayed.
pub const FIXTURE: &str = "fixture";

/// The health of the feed this state comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceStatus {
    pub name: Arc<str>,
    pub link: Link,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Link {
    /// Playing a recorded fixture.
    Replay,
    Connected,
    Connecting {
        attempt: u32,
    },
    /// Not reachable: why, the attempts so far, and the time left until the next one.
    Down {
        reason: Box<str>,
        attempt: u32,
        retry_in: Option<Span>,
    },
}

impl SourceStatus {
    /// "prometheus: failing: …" for the timeline, with the words for up and down.
    #[must_use]
    pub fn describe(&self, up: &str, down: &str) -> String {
        let name = &self.name;
        match &self.link {
            Link::Replay => format!("{name}: replaying"),
            Link::Connected => format!("{name}: {up}"),
            Link::Connecting { attempt } => format!("{name}: connecting (attempt {attempt})"),
            Link::Down { reason, .. } => format!("{name}: {down}: {reason}"),
        }
    }
}
