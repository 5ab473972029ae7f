//! The pure view: `render(frame, &App, &Look)` draws the whole screen from the state.
//! Nothing here mutates state or does I/O.
//!
//! Wide layout (≥ 100×32):
//! ```text
//! ┌ header ──────────────────────────────────────────────────────────────────────────────┐
//! │ ✖ CRITICAL  Batch Patches v1.0.0  legacy → v1.0.0 · canary        REPLAY ×60 ▶ 63%  │
//! │ UTC 2025-02-08 10:15:00Z  T+5d01h  wave 3/4 ▶ ACTIVE 44h50m left  fixture · data 12s │
//! ├ waves ───────────────────────────────────────────────────────────────────────────────┤
//! │ ✔ 1 Internal Testing 10% ─ ✔ 2 Beta Users 25% ─ ▶ 3 Gradual GA 50% ─ ○ 4 Full 100%  │
//! │ bake ███████░░░░░░ · gates to wave 4: ✔ Zero CRITICAL alerts  ✖ Error rate < 5% …    │
//! ├ SLOs ─────────────────────────────────┬ checklist ───────────────────────────────────┤
//! │ ✖ CRIT Error rate 12.4% ↑ ▂▃▅▇ …      │ A. Infrastructure 12/12 ✔ …                  │
//! ├ timeline ────────────────────────────────────────────────────────────────────────────┤
//! │ T+5d01:15:00 10:15:00Z ⚠ crit alertmanager  …                                        │
//! └ footer: keys that apply now ─────────────────────────────────────────────────────────┘
//! ```
//! The compact layout (80×24) keeps the same order with one-line rows and rules instead of
//! boxes.

mod alerts;
mod ascii;
mod call;
mod checklist;
mod detail;
pub mod fit;
mod footer;
pub mod glyphs;
mod header;
mod help;
pub mod layout;
mod lines;
pub mod look;
mod modal;
mod panel;
mod picker;
mod slo_gauge;
mod style;
pub mod theme;
mod timeline;
mod waves;

use lines::Lines;
use ratatui::text::{Line, Span};
use ratatui::Frame;

use crate::core::app::App;

use crate::core::ui::Panel;

use crate::view::layout::Density;
use crate::view::look::Look;

/// Before the first hello there is no rollout to show: only where the console is trying to
/// connect, how that is going, and when it tries next.
fn connecting(frame: &mut Frame, area: ratatui::layout::Rect, c: &App, look: &Look) {
    use crate::core::source::Link;
    let t = &look.theme;
    let (word, style, detail) = match &c.state.source.link {
        Link::Down {
            reason,
            attempt,
            retry_in,
        } => (
            " DOWN ",
            t.crit,
            format!(
                "{}attempt {attempt}: {reason}",
                retry_in.map_or_else(String::new, |l| format!(
                    "retry in {}s · ",
                    l.0.max(0).unsigned_abs().div_ceil(1000)
                ))
            ),
        ),
        Link::Connecting { attempt } => (" CONNECTING ", t.warn, format!("attempt {attempt}…")),
        _ => (
            " CONNECTING ",
            t.warn,
            "waiting for the control plane's hello…".into(),
        ),
    };
    let w = usize::from(area.width);
    let lines = vec![
        Line::from(vec![
            Span::styled(word, style.add_modifier(ratatui::style::Modifier::REVERSED)),
            Span::styled(" warroom console", t.title),
        ]),
        Line::default(),
        Line::from(Span::styled(
            fit::cut(
                &format!(" connecting to {}", c.live.url),
                w,
                look.glyphs.ellipsis,
            ),
            t.text,
        )),
        Line::from(Span::styled(
            fit::cut(&format!(" {detail}"), w, look.glyphs.ellipsis),
            style,
        )),
        Line::default(),
        Line::from(Span::styled(
            " the console keeps trying by itself; q quits",
            t.muted,
        )),
    ];
    frame.render_widget(Lines::new(lines), area);
}

/// Draws the whole screen.
pub fn render(frame: &mut Frame, c: &App, look: &Look) {
    let area = frame.area();
    lines::fill(frame.buffer_mut(), area, look.theme.background);
    if area.width < 40 || area.height < 12 {
        let msg = Lines::new(vec![
            Line::from(Span::styled(
                format!(
                    "{} {}",
                    look.glyphs.status(c.state.status),
                    c.state.status.word()
                ),
                style::status_style(c.state.status, &look.theme),
            )),
            Line::from("terminal too small"),
            Line::from("(need 40×12)"),
        ]);
        frame.render_widget(msg, area);
        return;
    }
    if c.mode == crate::core::playback::Mode::Live && c.live.session.is_none() {
        connecting(frame, area, c, look);
        if c.ui.help {
            help::render(frame, area, c, look);
        }
        if look.glyphs.ascii {
            ascii::asciify(frame.buffer_mut());
        }
        return;
    }
    let density = Density::of(area);
    // The call to action is worked out once per frame: the layout needs to know whether it
    // takes a row, and its row shows it.
    let cta = call::of(c);
    let l = layout::layout_with(area, c, cta.is_some());
    header::render(frame, l.header, c, look, density);
    call::render(frame, l.call, cta.as_ref(), look);
    footer::render(frame, l.footer, c, look);
    if c.ui.zoom {
        match c.ui.focus {
            Panel::Timeline => timeline::render(frame, l.body, c, look, density, true),
            Panel::Checklist => checklist::render(frame, l.body, c, look, density, true),
            Panel::Slos => slo_gauge::render(frame, l.body, c, look, density, true),
            Panel::Alerts => alerts::render(frame, l.body, c, look, density, true),
            Panel::Waves => waves::zoomed(frame, l.body, c, look, density),
        }
    } else {
        waves::render(frame, l.waves, c, look, density);
        slo_gauge::render(frame, l.slos, c, look, density, false);
        if l.checklist.height > 0 {
            checklist::render(frame, l.checklist, c, look, density, false);
        }
        if l.alerts.height > 0 {
            alerts::render(frame, l.alerts, c, look, density, false);
        }
        timeline::render(frame, l.timeline, c, look, density, false);
    }
    if let Some(d) = &c.ui.detail {
        detail::render(frame, l.body, c, d, look);
    }
    if let Some(at) = c.ui.picker {
        picker::render(frame, area, c, at, look);
    }
    if let Some(p) = &c.ui.prompt {
        modal::prompt(frame, area, p, look);
    }
    if let Some(line) = &c.ui.line {
        modal::command_line(frame, area, line, look);
    }
    if let Some(s) = c.ui.search.as_ref().filter(|s| s.editing) {
        modal::search_line(frame, area, s, look);
    }
    if let Some(cf) = &c.outbox.confirm {
        modal::confirm(frame, area, cf, look);
    }
    if let Some(composer) = &c.ui.composer {
        modal::composer(frame, area, composer, look);
    }
    if c.ui.quit_ask {
        modal::quit_ask(frame, area, c, look);
    }
    if c.ui.help {
        help::render(frame, area, c, look);
    }
    if look.glyphs.ascii {
        ascii::asciify(frame.buffer_mut());
    }
}
