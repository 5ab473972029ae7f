//! The call-to-action line under the header: what the moment asks of the room, and the key.

use super::lines::Lines;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::Frame;

use crate::core::app::App;
use crate::core::cta::Call;
use crate::core::severity::Severity;

use super::fit;
use super::look::Look;

/// The call to action for this seat now: with the keys for a seat that can send commands
/// (or a replay rehearsing one).
pub(crate) fn of(c: &App) -> Option<Call> {
    let keys = c.is_replay() || c.outbox.role.commands();
    crate::core::cta::call(&c.state, keys).or_else(|| {
        // A live commander's seat is reminded when the room's next status update is due.
        let live = !c.is_replay() && c.outbox.role.commands();
        live.then(|| crate::core::status_update::reminder(&c.state))
            .flatten()
            .map(|text| Call {
                text,
                key: "U to write it".into(),
                severity: Severity::Warning,
            })
    })
}

pub(crate) fn render(frame: &mut Frame, area: Rect, call: Option<&Call>, look: &Look) {
    let Some(call) = call.filter(|_| area.height > 0) else {
        return;
    };
    let (t, g) = (&look.theme, &look.glyphs);
    let (glyph, style) = match call.severity {
        Severity::Critical => (g.crit, t.crit.add_modifier(Modifier::BOLD)),
        Severity::Warning => (g.warn, t.warn),
        Severity::Info => (g.active, t.accent),
    };
    let w = usize::from(area.width);
    // The key is never cut: the text gives way.
    let key = format!(" — {} ", call.key);
    let room = w.saturating_sub(fit::width(&key) + fit::width(glyph) + 2);
    let text = format!(" {glyph} {}", fit::cut(&call.text, room, g.ellipsis));
    let pad = w.saturating_sub(fit::width(&text) + fit::width(&key));
    let line = Line::from(vec![
        Span::styled(text, style.add_modifier(Modifier::REVERSED)),
        Span::styled(key, style.add_modifier(Modifier::REVERSED)),
        Span::styled(" ".repeat(pad), t.text),
    ]);
    frame.render_widget(Lines::new(line), area);
}
