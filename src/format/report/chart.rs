//! One SLO over the incident window as inline SVG: its samples, its target, warning and
//! critical lines, the moments its triggers fired and the incident's milestones.

use std::fmt::Write;

use crate::core::plan::SloSpec;
use crate::core::report::{Report, Series};
use crate::core::time::{Offset, Span};

use super::html::esc;
use super::in_band_space;

const W: f64 = 720.0;
const H: f64 = 220.0;
const LEFT: f64 = 8.0;
const RIGHT: f64 = 8.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 30.0;

/// Columns of the plot: more samples than twice this are drawn as each column's lowest and
/// highest value.
const COLUMNS: usize = 360;

struct Frame {
    t0: f64,
    t1: f64,
    lo: f64,
    hi: f64,
}

impl Frame {
    fn x(&self, t: Offset) -> f64 {
        #[allow(clippy::cast_precision_loss)] // milliseconds far inside f64's exact range
        let t = t.0 as f64;
        LEFT + (t - self.t0) / (self.t1 - self.t0).max(1.0) * (W - LEFT - RIGHT)
    }

    fn y(&self, v: f64) -> f64 {
        TOP + (self.hi - v) / (self.hi - self.lo).max(f64::MIN_POSITIVE) * (H - TOP - BOTTOM)
    }
}

/// The samples inside the window (and the last one before it, so that the line starts at
/// the edge), thinned to at most two a column.
fn visible(s: &Series, from: Offset, to: Offset) -> Vec<(Offset, f64)> {
    let start = s.points.partition_point(|p| p.0 < from);
    let end = s.points.partition_point(|p| p.0 <= to);
    let pts = &s.points[start.saturating_sub(1)..end];
    if pts.len() <= COLUMNS * 2 {
        return pts.to_vec();
    }
    let width = i128::from(to.since(from).0.max(1));
    let columns = i128::try_from(COLUMNS).unwrap_or(1);
    let col_of = |t: Offset| i128::from(t.since(from).0.max(0)) * columns / width;
    let mut out = Vec::with_capacity(COLUMNS * 2 + 2);
    // The column being gathered: its number and the indices of its lowest and highest sample.
    let mut run: Option<(i128, usize, usize)> = None;
    let flush = |run: &mut Option<(i128, usize, usize)>, out: &mut Vec<(Offset, f64)>| {
        if let Some((_, lo, hi)) = run.take() {
            let (a, b) = (lo.min(hi), lo.max(hi));
            out.push(pts[a]);
            if b != a {
                out.push(pts[b]);
            }
        }
    };
    for (k, p) in pts.iter().enumerate() {
        if p.1.is_nan() {
            // A gap is kept as it is: it breaks the line.
            flush(&mut run, &mut out);
            out.push(*p);
            continue;
        }
        let c = col_of(p.0);
        match &mut run {
            Some((rc, lo, hi)) if *rc == c => {
                if p.1 < pts[*lo].1 {
                    *lo = k;
                }
                if p.1 > pts[*hi].1 {
                    *hi = k;
                }
            }
            _ => {
                flush(&mut run, &mut out);
                run = Some((c, k, k));
            }
        }
    }
    flush(&mut run, &mut out);
    out
}

/// The target, warning and critical lines with their values.
fn guides(s: &mut String, spec: &SloSpec, f: &Frame) {
    for (class, v, word) in [
        ("target", spec.target, "target"),
        ("warning", spec.warning, "warning"),
        ("critical", spec.critical, "critical"),
    ] {
        let y = f.y(v);
        let _ = write!(
            s,
            r#"<line class="{class}" x1="{LEFT}" x2="{x2}" y1="{y:.1}" y2="{y:.1}"/><text class="lbl {class}" x="{tx}" y="{ty:.1}">{word} {val}</text>"#,
            x2 = W - RIGHT,
            tx = LEFT + 4.0,
            ty = y - 3.0,
            val = esc(&in_band_space(spec, v))
        );
    }
}

/// The milestones and the SLO's trigger firings inside the window.
fn marks(s: &mut String, r: &Report, i: usize, window: (Offset, Offset), f: &Frame) {
    // The milestones and trigger firings inside the window.
    for m in r
        .marks
        .iter()
        .filter(|m| m.t >= window.0 && m.t <= window.1)
    {
        let x = f.x(m.t);
        let letter = &m.milestone.word()[..1];
        let _ = write!(
            s,
            r#"<line class="mark" x1="{x:.1}" x2="{x:.1}" y1="{TOP}" y2="{y2}"/><text class="lbl mark" x="{x:.1}" y="{ty}" text-anchor="middle">{letter}</text>"#,
            y2 = H - BOTTOM,
            ty = TOP - 4.0
        );
    }
    for (t, limit) in r.series[i]
        .fired
        .iter()
        .filter(|(t, _)| *t >= window.0 && *t <= window.1)
    {
        let x = f.x(*t);
        let _ = write!(
            s,
            r#"<line class="fired" x1="{x:.1}" x2="{x:.1}" y1="{TOP}" y2="{y2}"><title>trigger fired: {l} at {tl}</title></line><text class="lbl fired" x="{tx:.1}" y="{ty}">fired</text>"#,
            y2 = H - BOTTOM,
            l = esc(limit),
            tl = t.t_label(),
            tx = x + 3.0,
            ty = TOP + 12.0
        );
    }
}

/// The chart of SLO `i` over `window`.
#[must_use]
pub fn chart(r: &Report, i: usize, window: (Offset, Offset)) -> String {
    let spec: &SloSpec = &r.plan.spec.slos[i];
    let pts = visible(&r.series[i], window.0, window.1);
    let mut lo = spec.target.min(spec.warning).min(spec.critical);
    let mut hi = spec.target.max(spec.warning).max(spec.critical);
    for (_, v) in pts.iter().filter(|p| !p.1.is_nan()) {
        lo = lo.min(*v);
        hi = hi.max(*v);
    }
    let pad = ((hi - lo) * 0.08).max(f64::EPSILON.max(hi.abs() * 0.01));
    #[allow(clippy::cast_precision_loss)]
    let f = Frame {
        t0: window.0 .0 as f64,
        t1: window.1 .0 as f64,
        lo: lo - pad,
        hi: hi + pad,
    };
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="chart" viewBox="0 0 {W} {H}" role="img" aria-label="{name} from {a} to {b}" xmlns="http://www.w3.org/2000/svg"><title>{name}</title>"#,
        name = esc(&spec.name),
        a = window.0.t_label(),
        b = window.1.t_label()
    );
    let _ = write!(
        s,
        r#"<rect class="plot" x="{LEFT}" y="{TOP}" width="{}" height="{}"/>"#,
        W - LEFT - RIGHT,
        H - TOP - BOTTOM
    );
    guides(&mut s, spec, &f);
    marks(&mut s, r, i, window, &f);
    let mut d = String::new();
    let mut pen_down = false;
    for (t, v) in &pts {
        if v.is_nan() {
            pen_down = false;
            continue;
        }
        let (x, y) = (f.x(*t).max(LEFT), f.y(*v));
        let _ = write!(d, "{}{x:.1},{y:.1}", if pen_down { " L" } else { " M" });
        pen_down = true;
    }
    if !d.is_empty() {
        let _ = write!(s, r#"<path class="series" d="{}"/>"#, d.trim_start());
    }
    // Five times along the bottom.
    let len = window.1.since(window.0).0;
    for k in 0..=4 {
        let t = Offset(window.0 .0 + len / 4 * k);
        let anchor = match k {
            0 => "start",
            4 => "end",
            _ => "middle",
        };
        let _ = write!(
            s,
            r#"<text class="lbl axis" x="{x:.1}" y="{y}" text-anchor="{anchor}">{l}</text>"#,
            x = f.x(t),
            y = H - BOTTOM + 16.0,
            l = t.precise_label()
        );
    }
    if pts.iter().all(|p| p.1.is_nan()) {
        let _ = write!(
            s,
            r#"<text class="lbl" x="{x}" y="{y}" text-anchor="middle">no samples in this window</text>"#,
            x = W / 2.0,
            y = H / 2.0
        );
    }
    let _ = write!(
        s,
        r#"<text class="lbl axis" x="{LEFT}" y="{y}">{w} shown</text></svg>"#,
        y = H - 2.0,
        w = Span(len).compact()
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn many_samples_are_thinned_to_each_columns_extremes_and_keep_gaps() {
        let mut s = Series::default();
        for k in 0..100_000_i64 {
            #[allow(clippy::cast_precision_loss)]
            let v = if k == 50_000 {
                f64::NAN
            } else {
                (k % 97) as f64
            };
            s.points.push((Offset(k * 1000), v));
        }
        let got = visible(&s, Offset(0), Offset(99_999_000));
        assert!(got.len() <= COLUMNS * 2 + 2, "{} points", got.len());
        assert!(got.len() > COLUMNS, "{} points", got.len());
        assert!(got.iter().any(|p| p.1.is_nan()), "the gap went missing");
        assert!(
            got.iter().any(|p| (p.1 - 96.0).abs() < 1e-9) && got.iter().any(|p| p.1.abs() < 1e-9)
        );
    }
}
