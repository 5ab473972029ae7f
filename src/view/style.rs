//! Styles for states, shared by every panel: the overall status, wave states and SLO bands.

use super::theme::Theme;
use crate::core::status::Status;
use crate::core::wave::WaveStatus;
use ratatui::style::Style;

/// Style for a band.
pub(crate) fn band_style(b: crate::core::slo::Band, t: &Theme) -> Style {
    use crate::core::slo::Band;
    match b {
        Band::Pass => t.ok,
        Band::Warn => t.warn,
        Band::Crit => t.crit,
        Band::NoData => t.nodata,
    }
}

pub(crate) fn status_style(s: Status, t: &Theme) -> Style {
    match s {
        Status::Healthy => t.ok,
        Status::Degraded => t.warn,
        Status::Critical => t.crit,
        Status::Paused => t.paused,
        Status::RolledBack => t.rolled_back,
    }
}

pub(crate) fn wave_style(s: WaveStatus, t: &Theme) -> Style {
    match s {
        WaveStatus::Pending => t.pending,
        WaveStatus::Active => t.active,
        WaveStatus::Paused => t.paused,
        WaveStatus::Passed => t.ok,
        WaveStatus::Failed => t.crit,
        WaveStatus::RolledBack => t.rolled_back,
    }
}
