//! A wave's progress: its state, when it got there, and its bake clock (which stops while the
//! wave is paused).

use serde::{Deserialize, Serialize};

use super::time::{Offset, Span};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaveState {
    pub status: WaveStatus,
    /// When the wave entered its current status.
    pub since: Option<Offset>,
    /// Bake time accumulated before the current active stretch.
    baked_before: Span,
    /// Start of the current active stretch.
    active_since: Option<Offset>,
}

impl Default for WaveState {
    fn default() -> Self {
        WaveState {
            status: WaveStatus::Pending,
            since: None,
            baked_before: Span::ZERO,
            active_since: None,
        }
    }
}

impl WaveState {
    /// Moves every time it holds by `by`.
    pub fn shift(&mut self, by: Span) {
        self.since = self.since.map(|t| t.saturating_add(by));
        self.active_since = self.active_since.map(|t| t.saturating_add(by));
    }

    pub fn set(&mut self, status: WaveStatus, t: Offset) {
        if let Some(start) = self.active_since.take() {
            self.baked_before = Span(self.baked_before.0.saturating_add(t.since(start).0.max(0)));
        }
        if status == WaveStatus::Active {
            self.active_since = Some(t);
        }
        if status == WaveStatus::Pending {
            self.baked_before = Span::ZERO;
        }
        self.status = status;
        self.since = Some(t);
    }

    /// Bake time so far at `now`, not counting paused time.
    #[must_use]
    pub fn baked(&self, now: Offset) -> Span {
        let running = self.active_since.map_or(0, |s| now.since(s).0.max(0));
        Span(self.baked_before.0.saturating_add(running))
    }

    /// The wave holds traffic (active or paused).
    #[must_use]
    pub fn is_current(&self) -> bool {
        matches!(self.status, WaveStatus::Active | WaveStatus::Paused)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WaveStatus {
    Pending,
    Active,
    Paused,
    Passed,
    Failed,
    RolledBack,
}

impl WaveStatus {
    #[must_use]
    pub fn word(self) -> &'static str {
        match self {
            WaveStatus::Pending => "PENDING",
            WaveStatus::Active => "ACTIVE",
            WaveStatus::Paused => "PAUSED",
            WaveStatus::Passed => "PASSED",
            WaveStatus::Failed => "FAILED",
            WaveStatus::RolledBack => "ROLLED BACK",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bake_clock_stops_while_paused() {
        let mut w = WaveState::default();
        w.set(WaveStatus::Active, Offset::from_secs(0));
        assert_eq!(w.baked(Offset::from_secs(60)), Span::from_secs(60));
        w.set(WaveStatus::Paused, Offset::from_secs(100));
        assert_eq!(w.baked(Offset::from_secs(500)), Span::from_secs(100));
        w.set(WaveStatus::Active, Offset::from_secs(600));
        assert_eq!(w.baked(Offset::from_secs(650)), Span::from_secs(150));
    }
}
