//! The incident timeline: T+ and UTC, kind glyph, severity, source and text. Only the visible
//! rows are built, so a frame costs the same at 10k entries as at 1M.

use super::lines::Lines;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::Frame;

use crate::core::app::App;

use crate::core::severity::Severity;
use crate::core::ui::Panel;

use super::fit;
use super::panel::panel;

use super::layout::Density;

use super::look::Look;

/// How the visible rows are drawn: which is selected, what the search highlights, the
/// source column's width and the panel's.
struct Row<'a> {
    selected: Option<usize>,
    needle: Option<&'a str>,
    current: Option<u64>,
    src_w: usize,
    w: usize,
    scrolled: bool,
    /// Most rows an entry takes: its text wraps under itself on a wide screen (1: cut).
    wrap: usize,
}

impl Row<'_> {
    fn line(
        &self,
        abs: u64,
        i: usize,
        e: crate::core::timeline::EntryRef<'_>,
        epoch: crate::core::time::Epoch,
        look: &Look,
    ) -> Vec<Line<'static>> {
        let (t, g) = (&look.theme, &look.glyphs);
        let (selected, needle, current, src_w, w) =
            (self.selected, self.needle, self.current, self.src_w, self.w);

        let sev_style = match e.severity {
            Severity::Critical => t.crit,
            Severity::Warning => t.warn,
            Severity::Info => t.muted,
        };
        let mut clock = format!("{:>13} ", e.t.clock_label());
        let here = selected == Some(i);
        if here {
            let pointer = if g.ascii { '>' } else { '▸' };
            clock = match clock.strip_prefix(' ') {
                Some(rest) => format!("{pointer}{rest}"),
                None => format!("{pointer}{clock}"),
            };
        }
        let mut spans = vec![
            Span::styled(clock, t.accent),
            Span::styled(format!("{} ", epoch.hms_label(e.t)), t.muted),
            Span::styled(format!("{} ", g.kind(e.kind)), sev_style),
            Span::styled(format!("{:<4} ", e.severity.word()), sev_style),
        ];
        if src_w > 0 {
            spans.push(Span::styled(
                fit::pad(e.source, src_w, g.ellipsis) + " ",
                t.muted,
            ));
        }
        let used: usize = spans.iter().map(Span::width).sum();
        let text_style = if e.severity == Severity::Info {
            t.text
        } else {
            sev_style
        };
        let room = w.saturating_sub(used);
        let text = e.text();
        let text_w = fit::width(text);
        let parts: Vec<String> = if text_w <= room {
            vec![text.to_string()]
        } else if self.wrap > 1 {
            let mut parts = fit::wrap(text, room);
            if parts.len() > self.wrap {
                let rest = parts.split_off(self.wrap - 1).join(" ");
                parts.push(fit::cut(&rest, room, g.ellipsis));
            }
            parts
        } else {
            vec![fit::cut(text, room, g.ellipsis)]
        };
        // The match stands out in reverse video (the current one also bold and underlined),
        // so it reads without colour.
        let mut hl = t.selection;
        if current == Some(abs) {
            hl = hl.add_modifier(
                ratatui::style::Modifier::BOLD | ratatui::style::Modifier::UNDERLINED,
            );
        }
        let text_spans = |text: String| -> Vec<Span<'static>> {
            match needle.and_then(|n| crate::core::search::find(&text, n)) {
                Some((a, b)) => vec![
                    Span::styled(text[..a].to_string(), text_style),
                    Span::styled(text[a..b].to_string(), text_style.patch(hl)),
                    Span::styled(text[b..].to_string(), text_style),
                ],
                None => vec![Span::styled(text, text_style)],
            }
        };
        let mut lines = Vec::with_capacity(parts.len());
        for (k, part) in parts.into_iter().enumerate() {
            let mut row = if k == 0 {
                std::mem::take(&mut spans)
            } else {
                vec![Span::raw(" ".repeat(used))]
            };
            row.extend(text_spans(part));
            let line = Line::from(row);
            lines.push(if here && self.scrolled {
                line.patch_style(
                    ratatui::style::Style::default().add_modifier(ratatui::style::Modifier::BOLD),
                )
            } else {
                line
            });
        }
        lines
    }
}

/// The title: filter, counts, what was dropped, the search and whether it follows.
fn title(c: &App, look: &Look) -> Vec<Span<'static>> {
    let (t, s) = (&look.theme, &c.state);
    let tl = &s.timeline;
    let mut title = vec![
        Span::styled("Timeline", t.title),
        Span::styled(format!(" · {}", c.ui.filter_label()), t.muted),
    ];
    title.push(Span::styled(
        format!(" · {} entries", tl.len() as u64 + tl.dropped()),
        t.muted,
    ));
    if tl.dropped() > 0 {
        title.push(Span::styled(
            format!(" ({} oldest dropped from memory)", tl.dropped()),
            t.warn,
        ));
    }
    if s.unknown > 0 {
        title.push(Span::styled(
            format!(" · {} unknown records", s.unknown),
            t.warn,
        ));
    }
    if let Some(q) = c.ui.search.as_ref().filter(|q| !q.query.is_empty()) {
        let said = if q.current.is_some() {
            format!(
                " · /{} match {} of {} (n older, N newer)",
                q.query, q.ordinal, q.total
            )
        } else {
            format!(" · /{} no match", q.query)
        };
        title.push(Span::styled(said, t.accent));
    }
    if c.ui.timeline_anchor.is_some() {
        title.push(Span::styled(" · SCROLLED (End follows)", t.accent));
    }
    title
}

pub(crate) fn render(
    frame: &mut Frame,
    area: Rect,
    c: &App,
    look: &Look,
    density: Density,
    _zoomed: bool,
) {
    let (t, s) = (&look.theme, &c.state);
    let tl = &s.timeline;
    let title = title(c, look);
    let focused = c.ui.focus == Panel::Timeline;
    let inner = panel(frame, area, title, focused, look, density);
    let h = usize::from(inner.height);
    let w = usize::from(inner.width);
    let epoch = s.plan.spec.t0;
    let wide = density == Density::Wide || w >= 100;
    let src_w = if wide { 14 } else { 0 };
    // The rows that end at the anchor; if they do not fill the panel (scrolled to the oldest),
    // the rows after it fill the rest. Either way only visible rows are built.
    let end = c.ui.timeline_end(&c.state.timeline);
    let selected = if focused {
        c.ui.selected_entry(tl)
    } else {
        None
    };
    let needle =
        c.ui.search
            .as_ref()
            .map(crate::core::search::Search::needle)
            .filter(|n| !n.is_empty());
    let row = Row {
        selected,
        needle: needle.as_deref(),
        current: c.ui.search.as_ref().and_then(|x| x.current),
        src_w,
        w,
        scrolled: c.ui.timeline_anchor.is_some(),
        wrap: if wide { 3 } else { 1 },
    };
    let lines_of = |i: usize, e| row.line(tl.dropped() + i as u64, i, e, epoch, look);
    // The entries that end at the anchor, newest last, until the panel is full (the oldest
    // shown may lose its first rows); if they do not fill it (scrolled to the oldest), the
    // entries after the anchor fill the rest. Either way only visible rows are built.
    let matching = |i: &usize| tl.get(*i).is_some_and(|e| c.ui.filter.matches(e));
    // Scrolled near the oldest: the page from the oldest entry, when it holds the anchor.
    if c.ui.timeline_anchor.is_some() {
        let mut rows: Vec<Line> = Vec::new();
        let mut holds = false;
        for i in (0..tl.len()).filter(matching) {
            if rows.len() >= h {
                break;
            }
            holds |= i + 1 == end;
            rows.extend(tl.get(i).map(|e| lines_of(i, e)).unwrap_or_default());
        }
        if holds {
            rows.truncate(h);
            frame.render_widget(Lines::new(rows), inner);
            return;
        }
    }
    let mut blocks: Vec<Vec<Line>> = Vec::new();
    let mut used = 0;
    for (i, e) in tl
        .iter_rev_from(end)
        .filter(|(_, e)| c.ui.filter.matches(e))
    {
        if used >= h {
            break;
        }
        let b = lines_of(i, e);
        used += b.len();
        blocks.push(b);
    }
    blocks.reverse();
    let mut rows: Vec<Line> = blocks.into_iter().flatten().collect();
    if rows.len() > h {
        rows.drain(..rows.len() - h);
    }
    for (i, e) in (end..tl.len())
        .filter_map(|i| tl.get(i).map(|e| (i, e)))
        .filter(|(_, e)| c.ui.filter.matches(e))
    {
        if rows.len() >= h {
            break;
        }
        rows.extend(lines_of(i, e));
    }
    rows.truncate(h);
    if rows.is_empty() {
        let msg = if tl.is_empty() {
            "nothing has happened yet"
        } else {
            "no entries match the filter (f / s to change it)"
        };
        rows.push(Line::from(Span::styled(msg, t.muted)));
    }
    frame.render_widget(Lines::new(rows), inner);
}
