//! Where each part of the screen goes, wide or compact: one pure function that the renderer
//! and the shell (to size pages) both use.

use crate::core::app::App;

use crate::core::ui::Panel;
use ratatui::layout::{Constraint, Layout, Rect};

/// Wide or compact, chosen from the terminal size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Density {
    Compact,
    Wide,
}

impl Density {
    #[must_use]
    pub fn of(area: Rect) -> Density {
        if area.width >= 100 && area.height >= 32 {
            Density::Wide
        } else {
            Density::Compact
        }
    }
}

/// Where each part of the screen goes: one pure function, used by the renderer and by the
/// shell (which needs the timeline's height to scroll by whole pages).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Screen {
    pub header: Rect,
    /// The call to action's row, when the moment asks for one (height 0 otherwise).
    pub call: Rect,
    pub body: Rect,
    pub footer: Rect,
    pub waves: Rect,
    pub slos: Rect,
    pub checklist: Rect,
    /// The alerts list: below the checklist in the wide layout; in the compact one it takes
    /// the checklist's place while it has focus (height 0 otherwise).
    pub alerts: Rect,
    pub timeline: Rect,
}

/// The layout of `area` for this console: wide (≥ 100×32) or compact.
#[must_use]
pub fn layout(area: Rect, c: &App) -> Screen {
    layout_with(area, c, super::call::of(c).is_some())
}

/// [`layout`], told whether the call-to-action row is shown (the renderer has worked the
/// call out already).
#[must_use]
pub fn layout_with(area: Rect, c: &App, call: bool) -> Screen {
    let density = Density::of(area);
    let header_h = if density == Density::Wide { 3 } else { 2 };
    let call_h = u16::from(call);
    let [header, call, body, footer] = Layout::vertical([
        Constraint::Length(header_h),
        Constraint::Length(call_h),
        Constraint::Min(5),
        Constraint::Length(1),
    ])
    .areas(area);
    let n_slo = u16::try_from(c.state.slos.len()).unwrap_or(u16::MAX);
    let (waves, mid, timeline) = match density {
        Density::Wide => {
            let gates = c.state.gate_count();
            // Borders, pipeline, bake line, gate heading, then gates two to a row.
            let waves_h = u16::try_from(2 + 3 + gates.div_ceil(2).clamp(1, 4)).unwrap_or(9);
            let avail = body.height.saturating_sub(waves_h);
            // SLOs take two rows each when there is room; the timeline keeps at least a third.
            let mid_h = (n_slo.saturating_mul(2) + 2)
                .min(avail.saturating_sub(avail / 3))
                .max(6);
            let [w, m, t] = Layout::vertical([
                Constraint::Length(waves_h),
                Constraint::Length(mid_h),
                Constraint::Min(4),
            ])
            .areas(body);
            (w, m, t)
        }
        Density::Compact => {
            let avail = body.height.saturating_sub(2);
            let mid_h = (n_slo + 1).min(avail / 2).max(3);
            let [w, m, t] = Layout::vertical([
                Constraint::Length(2),
                Constraint::Length(mid_h),
                Constraint::Min(3),
            ])
            .areas(body);
            (w, m, t)
        }
    };
    let (slos, checklist, alerts) = match density {
        Density::Wide => {
            let [a, b] =
                Layout::horizontal([Constraint::Percentage(58), Constraint::Percentage(42)])
                    .areas(mid);
            // The alerts list takes what it needs below the checklist, up to a third, and
            // at least a row inside its box.
            let rows = u16::try_from(c.state.alerts.len() + c.state.resolved.len())
                .unwrap_or(u16::MAX)
                .max(1);
            let alerts_h = (rows + 2).min((b.height / 3).max(3));
            let [check, al] =
                Layout::vertical([Constraint::Min(3), Constraint::Length(alerts_h)]).areas(b);
            (a, check, al)
        }
        Density::Compact => {
            // The alerts list, with focus, takes half the row: names need the room.
            let check_w = if c.ui.focus == Panel::Alerts {
                body.width / 2
            } else {
                (body.width / 3).clamp(24, 40)
            };
            let [a, _, b] = Layout::horizontal([
                Constraint::Min(40),
                Constraint::Length(1),
                Constraint::Length(check_w),
            ])
            .areas(mid);
            if c.ui.focus == Panel::Alerts {
                (a, Rect { height: 0, ..b }, b)
            } else {
                (a, b, Rect { height: 0, ..b })
            }
        }
    };
    Screen {
        header,
        call,
        body,
        footer,
        waves,
        slos,
        checklist,
        alerts,
        timeline,
    }
}

/// Rows of entries the timeline panel shows (inside its frame) on a screen of this size.
#[must_use]
pub fn timeline_rows(area: Rect, c: &App) -> usize {
    let l = layout(area, c);
    let panel = if c.ui.zoom && c.ui.focus == Panel::Timeline {
        l.body
    } else {
        l.timeline
    };
    let frame = if Density::of(area) == Density::Wide {
        2
    } else {
        1
    };
    usize::from(panel.height.saturating_sub(frame)).max(1)
}
