//! The wave pipeline: each wave's state as glyph and word, the active wave's bake progress,
//! and the gates that stand between the rollout and its next wave.

use super::lines::Lines;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::Frame;

use crate::core::app::App;
use crate::core::ui::Panel;
use crate::core::wave::WaveStatus;

use super::fit;
use super::layout::Density;
use super::look::Look;
use super::panel::panel;
use crate::view::style::wave_style;

/// The pipeline, as detailed as the width allows.
fn pipeline(c: &App, look: &Look, width: usize) -> Line<'static> {
    let (t, g, s) = (&look.theme, &look.glyphs, &c.state);
    let plan = &s.plan.spec;
    let cur = s.current_wave();
    for detail in [3, 2, 1, 0] {
        let mut spans = Vec::new();
        for (i, w) in plan.waves.iter().enumerate() {
            if i > 0 {
                spans.push(Span::styled(format!(" {} ", g.link), t.border));
            }
            let st = s.waves[i].status;
            let is_cur = Some(i) == cur;
            let mut text = format!("{} {}", g.wave(st), i + 1);
            if detail >= 2 || (detail >= 1 && is_cur) {
                text.push(' ');
                text.push_str(&w.name);
            }
            text.push(' ');
            text.push_str(&s.traffic_label(w.traffic));
            if detail >= 3
                || (detail >= 1 && is_cur)
                || st != WaveStatus::Pending && st != WaveStatus::Passed
            {
                text.push(' ');
                text.push_str(st.word());
            }
            let style = wave_style(st, t);
            spans.push(Span::styled(
                text,
                if is_cur {
                    style.add_modifier(ratatui::style::Modifier::BOLD)
                } else {
                    style
                },
            ));
        }
        let line = Line::from(spans);
        if line.width() <= width || detail == 0 {
            return line;
        }
    }
    Line::default()
}

fn bake_line(c: &App, look: &Look, width: usize) -> Line<'static> {
    let (t, g, s) = (&look.theme, &look.glyphs, &c.state);
    let plan = &s.plan.spec;
    let mut spans = Vec::new();
    match (s.current_wave(), s.bake_left()) {
        (Some(w), Some((_, done, bake))) => {
            let st = s.waves[w].status;
            spans.push(Span::styled(
                format!("{} {} {} ", plan.strategy.step_word(), w + 1, st.word()),
                wave_style(st, t),
            ));
            spans.push(Span::styled("bake ", t.muted));
            #[allow(clippy::cast_precision_loss)]
            let frac = if bake.0 > 0 {
                (done.0 as f64 / bake.0 as f64).clamp(0.0, 1.0)
            } else {
                1.0
            };
            let label = format!(
                " {} / {} ({:.0}%) · {}",
                done.compact(),
                bake.compact(),
                frac * 100.0,
                self::bake_remaining(done, bake)
            );
            let bar_w = width
                .saturating_sub(
                    fit::width(&format!(
                        "{} {} {} bake ",
                        plan.strategy.step_word(),
                        w + 1,
                        st.word()
                    )) + fit::width(&label),
                )
                .clamp(4, 40);
            #[allow(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                clippy::cast_precision_loss
            )]
            let filled = ((frac * bar_w as f64).round() as usize).min(bar_w);
            spans.push(Span::styled(
                g.bar_done.to_string().repeat(filled),
                t.bar_done,
            ));
            spans.push(Span::styled(
                g.bar_todo.to_string().repeat(bar_w - filled),
                t.bar_todo,
            ));
            spans.push(Span::styled(label, t.text));
        }
        (Some(w), None) => {
            let st = s.waves[w].status;
            let since = s.waves[w]
                .since
                .map(|x| format!(" since {}", x.t_label()))
                .unwrap_or_default();
            spans.push(Span::styled(
                format!(
                    "{} {} {}{since}",
                    plan.strategy.step_word(),
                    w + 1,
                    st.word()
                ),
                wave_style(st, t),
            ));
            if st == WaveStatus::RolledBack {
                spans.push(Span::styled(
                    format!(" · traffic on {}: {}", plan.to, s.traffic_label(s.traffic)),
                    t.text,
                ));
            }
        }
        (None, _) => spans.push(Span::styled(
            format!(
                "not started · first {}: {}",
                plan.strategy.step_word(),
                plan.waves[0].name
            ),
            t.pending,
        )),
    }
    Line::from(spans)
}

fn gate_lines(c: &App, look: &Look, width: usize, max_rows: usize) -> Vec<Line<'static>> {
    let (t, g, s) = (&look.theme, &look.glyphs, &c.state);
    let plan = &s.plan.spec;
    // Blocking gates first: they are what the room needs to read.
    let readings = s.gates_sorted();
    let head = match s.next_wave() {
        Some(n) => format!(
            "gates to {} {} ({}): ",
            plan.strategy.step_word(),
            n + 1,
            s.traffic_label(plan.waves[n].traffic)
        ),
        None if s
            .current_wave()
            .is_some_and(|w| s.waves[w].status == WaveStatus::RolledBack) =>
        {
            "rolled back · no next step: ".to_string()
        }
        None => "last step · exit criteria: ".to_string(),
    };
    let blocking = readings.iter().filter(|r| !r.green).count();
    let verdict = if readings.is_empty() {
        Span::styled("no gates defined".to_string(), t.muted)
    } else if blocking == 0 {
        Span::styled(format!("{} all {} green", g.ok, readings.len()), t.ok)
    } else {
        Span::styled(
            format!("{} {blocking} of {} blocking", g.crit, readings.len()),
            t.crit,
        )
    };
    let mut lines = vec![Line::from(vec![Span::styled(head, t.muted), verdict])];
    let sorted = readings;
    let focused = c.ui.focus == Panel::Waves;
    let cursor = c.ui.gate_cursor.min(sorted.len().saturating_sub(1));
    let cols = if width >= 100 { 2 } else { 1 };
    let col_w = width / cols;
    let rows = max_rows.saturating_sub(1).max(1);
    // The page of rows that holds the cursor.
    let first_row = (cursor / cols / rows) * rows;
    for (row, chunk) in sorted.chunks(cols).enumerate().skip(first_row).take(rows) {
        let mut spans = Vec::new();
        for (k, r) in chunk.iter().enumerate() {
            let style = if r.green { t.text } else { t.crit };
            let glyph = if r.green { g.ok } else { g.crit };
            let mut text = format!(" {glyph} {}", r.label);
            if let Some(why) = &r.why {
                text.push_str(" — ");
                text.push_str(why);
            }
            let span = Span::styled(fit::pad(&text, col_w, g.ellipsis), style);
            spans.push(if focused && row * cols + k == cursor {
                span.patch_style(t.selection)
            } else {
                span
            });
        }
        lines.push(Line::from(spans));
    }
    lines
}

/// The waves panel's frame, titled with the steps and the versions: returns the inside.
fn framed(frame: &mut Frame, area: Rect, c: &App, look: &Look, density: Density) -> Rect {
    let (t, g, plan) = (&look.theme, &look.glyphs, &c.state.plan.spec);
    let title = vec![
        Span::styled(capital(plan.strategy.steps_word()), t.title),
        Span::styled(format!(" · {} {} {}", plan.from, g.arrow, plan.to), t.muted),
    ];
    panel(
        frame,
        area,
        title,
        c.ui.focus == Panel::Waves,
        look,
        density,
    )
}

/// The waves panel zoomed: every wave on its own line with its state, and every gate of the
/// next wave with its whole reason, blocking ones first.
pub(crate) fn zoomed(frame: &mut Frame, area: Rect, c: &App, look: &Look, density: Density) {
    let (t, g, s) = (&look.theme, &look.glyphs, &c.state);
    let plan = &s.plan.spec;
    let inner = framed(frame, area, c, look, density);
    let w = usize::from(inner.width);
    let mut lines = Vec::new();
    for (i, wave) in plan.waves.iter().enumerate() {
        let st = &s.waves[i];
        let since = st
            .since
            .map(|x| format!(" since {}", x.t_label()))
            .unwrap_or_default();
        let bake = wave
            .bake
            .map(|b| format!(" · bake {}", b.compact()))
            .unwrap_or_default();
        let text = format!(
            "{} {} {} · {} · {}{since}{bake}",
            g.wave(st.status),
            i + 1,
            wave.name,
            s.traffic_label(wave.traffic),
            st.status.word()
        );
        lines.push(Line::from(Span::styled(
            fit::cut(&text, w, g.ellipsis),
            wave_style(st.status, t),
        )));
    }
    lines.push(bake_line(c, look, w));
    lines.push(Line::default());
    let readings = s.gates_sorted();
    // The heading and verdict: the first of the panel's gate lines.
    lines.extend(gate_lines(c, look, w, 1).into_iter().take(1));
    let cursor = c.ui.gate_cursor.min(readings.len().saturating_sub(1));
    for (i, r) in readings.iter().enumerate() {
        let (glyph, style) = if r.green {
            (g.ok, t.ok)
        } else {
            (g.crit, t.crit)
        };
        let mut text = r.label.clone();
        if let Some(why) = &r.why {
            text.push_str(" — ");
            text.push_str(why);
        }
        let word = if r.green { "green" } else { "BLOCKING" };
        for (k, part) in fit::wrap(&format!("{word}: {text}"), w.saturating_sub(4))
            .into_iter()
            .enumerate()
        {
            let head = if k == 0 {
                format!(" {glyph} ")
            } else {
                "   ".into()
            };
            let mut line = Line::from(vec![
                Span::styled(head, style),
                Span::styled(part, if r.green { t.text } else { t.crit }),
            ]);
            if i == cursor {
                line = super::checklist::selected(line, look);
            }
            lines.push(line);
        }
    }
    // The page that holds the cursor's gate.
    let h = usize::from(inner.height).max(1);
    let cursor_line = plan.waves.len() + 3 + cursor;
    let skip = if cursor_line >= h {
        cursor_line + 1 - h
    } else {
        0
    };
    let shown: Vec<Line> = lines.into_iter().skip(skip).take(h).collect();
    frame.render_widget(Lines::new(shown), inner);
}

pub(crate) fn render(frame: &mut Frame, area: Rect, c: &App, look: &Look, density: Density) {
    let (t, g, s) = (&look.theme, &look.glyphs, &c.state);
    match density {
        Density::Wide => {
            let inner = framed(frame, area, c, look, density);
            let w = usize::from(inner.width);
            let mut lines = vec![pipeline(c, look, w), bake_line(c, look, w)];
            lines.extend(gate_lines(
                c,
                look,
                w,
                usize::from(inner.height).saturating_sub(2),
            ));
            frame.render_widget(Lines::new(lines), inner);
        }
        Density::Compact => {
            let w = usize::from(area.width);
            let mut l1 = pipeline(c, look, w);
            if l1.width() > w {
                l1 = Line::from(Span::styled(
                    fit::cut(&l1.to_string(), w, g.ellipsis),
                    t.text,
                ));
            }
            // Second line: the bake bar, then what blocks the next wave, compressed.
            let bake = bake_line(c, look, w / 2);
            let readings = s.next_gates();
            let mut blocking: Vec<_> = readings.iter().filter(|r| !r.green).collect();
            blocking.sort_by_key(|r| !r.live);
            let mut spans = bake.spans;
            spans.push(Span::styled(format!(" {} ", g.sep), t.border));
            let rolled_back = s
                .current_wave()
                .is_some_and(|w| s.waves[w].status == WaveStatus::RolledBack);
            // On the last step the gates are its exit criteria: nothing is "blocked".
            let (green_word, red_word) = if s.next_wave().is_some() {
                ("gates green", "blocked")
            } else {
                ("exit criteria met", "exit criteria not met")
            };
            let sorted = s.gates_sorted();
            if c.ui.focus == Panel::Waves && !sorted.is_empty() {
                // With focus, the gate under the cursor, whole as far as the row allows.
                let i = c.ui.gate_cursor.min(sorted.len() - 1);
                let r = &sorted[i];
                let pointer = if g.ascii { ">" } else { "▸" };
                let mut text = format!(
                    "{pointer}gate {}/{} {} {}",
                    i + 1,
                    sorted.len(),
                    if r.green { g.ok } else { g.crit },
                    r.label
                );
                if let Some(why) = &r.why {
                    text.push_str(" — ");
                    text.push_str(why);
                }
                spans = vec![Span::styled(
                    fit::cut(&text, w, g.ellipsis),
                    if r.green { t.ok } else { t.crit }.patch(t.selection),
                )];
            } else if rolled_back {
                spans.push(Span::styled("rolled back · no next step", t.muted));
            } else if readings.is_empty() {
                spans.push(Span::styled("no gates", t.muted));
            } else if blocking.is_empty() {
                spans.push(Span::styled(format!("{} {green_word}", g.ok), t.ok));
            } else {
                let names: Vec<String> = blocking.iter().map(|r| r.label.clone()).collect();
                let used: usize = spans.iter().map(Span::width).sum();
                let text = format!(
                    "{} {red_word} ({} of {}): {}",
                    g.crit,
                    blocking.len(),
                    readings.len(),
                    names.join(", ")
                );
                spans.push(Span::styled(
                    fit::cut(&text, w.saturating_sub(used), g.ellipsis),
                    t.crit,
                ));
            }
            frame.render_widget(Lines::new(vec![l1, Line::from(spans)]), area);
        }
    }
}

fn capital(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// "7m left" while baking, "bake done" once the planned bake time has passed.
pub(crate) fn bake_remaining(
    done: crate::core::time::Span,
    bake: crate::core::time::Span,
) -> String {
    if done >= bake {
        "bake done".into()
    } else {
        format!(
            "{} left",
            crate::core::time::Span(bake.0 - done.0).compact()
        )
    }
}
