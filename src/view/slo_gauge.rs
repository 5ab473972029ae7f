//! SLO gauges: value with unit, band as glyph and word (never PASS when data is missing or
//! stale), trend, sparkline, thresholds, data age, and a running rollback-trigger countdown.

use super::lines::Lines;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::Frame;

use crate::core::app::App;

use crate::core::plan::{Direction, SloSpec};
use crate::core::slo::{Band, SloState};
use crate::core::time::Offset;
use crate::core::ui::Panel;
use crate::core::words::{burn_label, format_value, trim_number};

use super::fit;
use super::glyphs::Glyphs;
use super::layout::Density;
use super::look::Look;
use super::panel::panel;
use super::style::band_style;

/// Columns kept for a row's data age (" age 59s"), shown or not.
const AGE_W: usize = 8;

/// A sparkline of the last `width` points, scaled to their own min..max.
fn sparkline(history: &std::collections::VecDeque<f32>, width: usize, g: &Glyphs) -> String {
    let skip = history.len().saturating_sub(width);
    let pts: Vec<f32> = history.iter().skip(skip).copied().collect();
    let (lo, hi) = pts
        .iter()
        .filter(|v| v.is_finite())
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(a, b), v| {
            (a.min(*v), b.max(*v))
        });
    let mut out = String::with_capacity(width * 3);
    for _ in pts.len()..width {
        out.push(' ');
    }
    for v in pts {
        if !v.is_finite() {
            out.push(g.gap);
            continue;
        }
        let f = if hi > lo { (v - lo) / (hi - lo) } else { 0.5 };
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let i = ((f * 7.0).round() as usize).min(7);
        out.push(g.spark[i]);
    }
    out
}

fn thresholds(spec: &SloSpec) -> String {
    let (good, bad) = match spec.direction {
        Direction::Lower => ("<", ">"),
        Direction::Higher => (">", "<"),
    };
    let unit = if spec.baseline.is_some() {
        "%"
    } else {
        spec.unit.as_str()
    };
    let u = |v: f64| {
        if spec.baseline.is_some() {
            format!("{}{}", if v >= 0.0 { "+" } else { "" }, trim_number(v)) + unit
        } else {
            format_value(v, unit)
        }
    };
    format!(
        "tgt {good}{} warn {bad}{} crit {bad}{}",
        u(spec.target),
        u(spec.warning),
        u(spec.critical)
    )
}

fn trend(s: &SloState, spec: &SloSpec, g: &Glyphs) -> String {
    match s.delta() {
        // Judge the change by what is shown: a change that rounds to 0 is no change.
        Some(d) if trim_number(d.abs()) == "0" => g.flat.to_string(),
        Some(d) => {
            let arrow = if d > 0.0 { g.up } else { g.down };
            let sign = if d > 0.0 { "+" } else { "" };
            let unit = if spec.unit.starts_with('%') {
                spec.unit.as_str()
            } else {
                ""
            };
            format!("{arrow}{sign}{}{unit}", trim_number(d))
        }
        None => String::new(),
    }
}

fn value_text(s: &SloState, spec: &SloSpec, relative: bool) -> String {
    match s.last.and_then(|l| l.value) {
        Some(v) if relative && spec.baseline.is_some() => {
            let rel = SloState::scaled(spec, v);
            format!(
                "{} ({}{}%)",
                format_value(v, &spec.unit),
                if rel >= 0.0 { "+" } else { "" },
                trim_number(rel)
            )
        }
        Some(v) => format_value(v, &spec.unit),
        None if s.last.is_some() => "no data".into(),
        None => "—".into(),
    }
}

/// Trigger and age notes: "TRIGGER >10% 5m FIRED", "breach 1m40s of 5m", "stale 35m".
fn notes(
    s: &SloState,
    spec: &SloSpec,
    now: Offset,
    look: &Look,
    short: bool,
) -> Vec<Span<'static>> {
    let t = &look.theme;
    let mut out = Vec::new();
    for (i, b) in s.breaches.iter().enumerate() {
        let label = crate::core::words::trigger_label(spec, i);
        if b.fired && short {
            out.push(Span::styled(format!(" {} FIRED", look.glyphs.crit), t.crit));
        } else if b.fired {
            out.push(Span::styled(
                format!(" {} TRIGGER {label} FIRED", look.glyphs.crit),
                t.crit,
            ));
        } else if let Some(lasted) = b.since.and(s.breach_lasted(i)) {
            let limit = spec.triggers[i].for_;
            if short {
                out.push(Span::styled(
                    format!(
                        " {} {}/{}",
                        look.glyphs.warn,
                        lasted.compact(),
                        limit.compact()
                    ),
                    t.warn,
                ));
                continue;
            }
            out.push(Span::styled(
                format!(
                    " {} breach {} of {} ({label})",
                    look.glyphs.warn,
                    lasted.compact(),
                    limit.compact()
                ),
                t.warn,
            ));
        }
    }
    if let Some(b) = s.burn.as_deref() {
        match b.firing {
            Some(level) => {
                let style = if b.pages() { t.crit } else { t.warn };
                out.push(Span::styled(
                    if short {
                        format!(" burn {}", level.word())
                    } else {
                        format!(" burn {} ({})", level.word(), burn_label(b))
                    },
                    style,
                ));
            }
            None if !short && (b.long.is_some() || b.remaining.is_some()) => {
                out.push(Span::styled(format!(" burn {}", burn_label(b)), t.muted));
            }
            None => {}
        }
    }
    if let Some(e) = &s.error {
        out.push(Span::styled(format!(" {} {e}", look.glyphs.warn), t.warn));
    }
    if s.stale {
        let age = s
            .age(now)
            .map_or_else(|| "—".into(), |a| a.whole_seconds().compact());
        out.push(Span::styled(format!(" stale {age}"), t.nodata));
    } else if s.unheard {
        out.push(Span::styled(" source down", t.nodata));
    }
    out
}

/// Widths of the name, value and trend columns: names get the room they need before trends
/// and sparklines do (on one row, the notes that must show whole are kept, then the name,
/// then the trend, then the sparkline).
fn columns(c: &App, look: &Look, w: usize, rows_per: usize, short: bool) -> (usize, usize, usize) {
    let s = &c.state;
    let plan = &s.plan.spec;
    let relative = w >= 60;
    let val_w = plan
        .slos
        .iter()
        .zip(&s.slos)
        .map(|(spec, st)| fit::width(&value_text(st, spec, relative)))
        .max()
        .unwrap_or(6)
        .clamp(6, 24);
    let widest_name = plan
        .slos
        .iter()
        .map(|x| fit::width(&x.name))
        .max()
        .unwrap_or(8);
    // Names get the room they need before trends and sparklines do: on one row, the notes
    // that must show whole (a fired trigger, a breach clock, stale) are kept, then the name,
    // then the trend, then the sparkline.
    // Room is kept for each row's first note (the most urgent: a fired trigger, a breach
    // clock); further notes show where they fit and are in the detail view.
    let notes_w = plan
        .slos
        .iter()
        .zip(&s.slos)
        .map(|(spec, st)| {
            notes(st, spec, s.now, look, short)
                .first()
                .map_or(0, Span::width)
        })
        .max()
        .unwrap_or(0);
    let band_w = 9;
    let mut trend_w = 9;
    let fixed = |trend: usize| band_w + 1 + val_w + trend + if rows_per == 1 { notes_w } else { 0 };
    if rows_per == 1 && fixed(trend_w) + widest_name > w {
        trend_w = 0;
    }
    let name_w = widest_name
        .min(40)
        .min(w.saturating_sub(fixed(trend_w)))
        .max(6);
    (name_w, val_w, trend_w)
}

pub(crate) fn render(
    frame: &mut Frame,
    area: Rect,
    c: &App,
    look: &Look,
    density: Density,
    zoomed: bool,
) {
    let (t, g, s) = (&look.theme, &look.glyphs, &c.state);
    let plan = &s.plan.spec;
    let bands = s.slos.iter().fold([0usize; 4], |mut a, x| {
        a[x.band() as usize] += 1;
        a
    });
    let mut title = vec![Span::styled("SLOs", t.title)];
    for (b, n) in [
        (Band::Crit, bands[2]),
        (Band::Warn, bands[1]),
        (Band::NoData, bands[3]),
        (Band::Pass, bands[0]),
    ] {
        if n > 0 {
            title.push(Span::styled(
                format!(" {} {n} {}", g.band(b), b.word()),
                band_style(b, t),
            ));
        }
    }
    let focused = c.ui.focus == Panel::Slos;
    let inner = panel(frame, area, title, focused, look, density);
    let w = usize::from(inner.width);
    let rows_per =
        if (density == Density::Wide || zoomed) && usize::from(inner.height) >= s.slos.len() * 2 {
            2
        } else {
            1
        };
    let short = rows_per == 1 && w < 90;
    let relative = w >= 60;
    let (name_w, val_w, trend_w) = columns(c, look, w, rows_per, short);
    let focused = c.ui.focus == Panel::Slos;
    let cursor = c.ui.slo_cursor.min(s.slos.len().saturating_sub(1));
    let per_page = (usize::from(inner.height) / rows_per).max(1);
    let skip = (cursor / per_page) * per_page;
    let mut lines = Vec::new();
    for (i, (spec, st)) in plan.slos.iter().zip(&s.slos).enumerate().skip(skip) {
        let band = st.band();
        let bs = band_style(band, t);
        let val = value_text(st, spec, relative);
        let tr = trend(st, spec, g);
        let name = Span::styled(fit::pad(&spec.name, name_w, g.ellipsis) + " ", t.text);
        let mut head = vec![
            Span::styled(format!("{} {:<6} ", g.band(band), band.word()), bs),
            if focused && i == cursor {
                name.patch_style(t.selection)
            } else {
                name
            },
            Span::styled(fit::rpad(&val, val_w, g.ellipsis), bs),
        ];
        if trend_w > 0 {
            head.push(Span::styled(
                format!(" {:<8}", fit::cut(&tr, 8, g.ellipsis)),
                t.muted,
            ));
        }
        let used: usize = head.iter().map(Span::width).sum();
        let note = notes(st, spec, s.now, look, short);
        if rows_per == 2 {
            let mut l1 = head;
            let th = thresholds(spec);
            if used + fit::width(&th) < w {
                l1.push(Span::styled(format!(" {th}"), t.muted));
            }
            lines.push(Line::from(l1));
            let age = age_text(st, plan.sample_interval, s.now);
            let note_w: usize = note.iter().map(Span::width).sum::<usize>() + fit::width(&age);
            let spark_w = w.saturating_sub(9 + note_w + 1).clamp(8, 120);
            let mut l2 = vec![
                Span::raw("         "),
                Span::styled(sparkline(&st.history, spark_w, g), bs),
            ];
            l2.push(Span::styled(age, t.muted));
            l2.extend(keep_fitting(note, w.saturating_sub(9 + spark_w)));
            lines.push(Line::from(l2));
        } else {
            let mut l1 = head;
            let note = keep_fitting(note, w.saturating_sub(used));
            let note_w: usize = note.iter().map(Span::width).sum();
            let spark_w = w.saturating_sub(used + note_w + 1).min(40);
            if spark_w >= 4 {
                l1.push(Span::styled(" ", t.muted));
                l1.push(Span::styled(sparkline(&st.history, spark_w, g), bs));
            }
            l1.extend(note);
            lines.push(Line::from(l1));
        }
        if lines.len() >= usize::from(inner.height) && !zoomed {
            break;
        }
    }
    if plan.slos.is_empty() {
        lines.push(Line::from(Span::styled("no SLOs in this plan", t.muted)));
    }
    frame.render_widget(Lines::new(lines), inner);
}

/// A row's data age, once a sample is overdue: while data comes on time the header's
/// "data 2s" says so, and the rows stay still. Its place is kept either way, so the
/// sparkline does not change width when it shows.
fn age_text(st: &SloState, interval: crate::core::time::Span, now: Offset) -> String {
    let age = st
        .age(now)
        .filter(|a| *a > interval)
        .map(|a| format!(" age {}", a.whole_seconds().compact()))
        .unwrap_or_default();
    format!("{age:>AGE_W$}")
}

/// The notes that fit whole in `room` cells, in order; a note never shows cut.
fn keep_fitting(notes: Vec<Span<'static>>, room: usize) -> Vec<Span<'static>> {
    let mut used = 0;
    notes
        .into_iter()
        .filter(|n| {
            let fits = used + n.width() <= room;
            if fits {
                used += n.width();
            }
            fits
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparkline_scales_and_marks_gaps() {
        let h: std::collections::VecDeque<f32> = [1.0, 2.0, f32::NAN, 8.0].into_iter().collect();
        let s = sparkline(&h, 6, &super::super::glyphs::UNICODE);
        assert_eq!(s, "  ▁▂·█");
    }

    #[test]
    fn a_rows_data_age_shows_once_a_sample_is_overdue_in_a_place_kept_for_it() {
        use crate::core::slo::Sample;
        use crate::core::time::Span;
        let spec = crate::core::slo::tests::error_rate();
        let interval = Span::from_secs(15);
        let mut st = SloState::new(&spec);
        let at = |s| Offset::from_secs(s);
        assert_eq!(
            age_text(&st, interval, at(100)),
            " ".repeat(AGE_W),
            "no sample yet"
        );
        st.sample(
            &spec,
            Sample {
                t: at(100),
                value: Some(1.0),
            },
            interval,
        );
        for now in [100, 107, 115] {
            assert_eq!(
                age_text(&st, interval, at(now)),
                " ".repeat(AGE_W),
                "at {now}"
            );
        }
        assert_eq!(age_text(&st, interval, at(116)), " age 16s");
        assert_eq!(age_text(&st, Span::from_secs(5), at(106)), "  age 6s");
        assert_eq!(age_text(&st, interval, at(159)), " age 59s");
        assert_eq!(age_text(&st, interval, at(100 + 3600 + 120)), " age 1h02m");
    }
}
