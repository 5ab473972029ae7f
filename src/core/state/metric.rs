//! Metric samples and the clock: bands, rollback triggers and burn rates from each sample,
//! and the sweep that marks gauges stale when their data stops.

use crate::core::burn::BurnSeverity;
use crate::core::effects::Applied;
use crate::core::effects::{Change, Stamped};
use crate::core::severity::Severity;
use crate::core::slo::{bits, Band, Sample};
use crate::core::state::State;
use crate::core::time::{Offset, Span};
use crate::core::timeline::{Entry, Kind};
use crate::core::words::burn_label;
use crate::core::words::format_value;
use crate::core::words::trigger_label;
use std::sync::Arc;

impl State {
    pub(super) fn clock(&mut self, t: Offset, fx: &mut Applied) {
        if t <= self.now {
            return;
        }
        let before_secs = self.now.0.div_euclid(1000);
        self.now = t;
        // The clocks on screen move once a second; bake bars and data ages with them.
        fx.ticked = t.0.div_euclid(1000) != before_secs;
        self.clock_sweep(t, fx);
    }

    /// Marks SLOs whose newest sample is older than two intervals at `t` as stale, once one
    /// may be (`next_stale`). Every record passes here: the check is inlined into the caller
    /// and the sweep itself is not.
    #[inline]
    pub(super) fn clock_sweep(&mut self, t: Offset, fx: &mut Applied) {
        if t >= self.next_stale {
            self.sweep(t, fx);
        }
    }

    #[inline(never)]
    fn sweep(&mut self, t: Offset, fx: &mut Applied) {
        let interval = self.plan.spec.sample_interval;
        self.next_stale = Offset(i64::MAX);
        let mut went_stale: Vec<(Offset, usize)> = Vec::new();
        for i in 0..self.slos.len() {
            if self.slos[i].age_to(t, interval) {
                fx.dirty = true;
                self.reconsider = true;
                let band = self.slos[i].band();
                if let (Band::NoData, Some(last)) = (band, self.slos[i].last) {
                    went_stale.push((stale_at(last.t, interval), i));
                }
                let id = self.plan.spec.slos[i].id.clone();
                self.change(fx, || Change::Band {
                    slo: id,
                    band,
                    value: None,
                });
            }
            if let (Some(last), false) = (self.slos[i].last, self.slos[i].stale) {
                self.next_stale = self.next_stale.min(stale_at(last.t, interval));
            }
        }
        // Stamped when the data went stale, not when this clock tick noticed: replay at any
        // speed, headless runs and snapshots then show the same timeline. No entry already on
        // it is later than that moment, or an earlier tick would have noticed.
        went_stale.sort_unstable();
        for (at, i) in went_stale {
            let last = self.slos[i].last.map_or(at, |l| l.t);
            let text = format!(
                "{}: no data since {} (stale after {})",
                self.plan.spec.slos[i].name,
                last.t_label(),
                Span(interval.0 * 2)
            );
            let source = self.slos[i]
                .source
                .as_deref()
                .map_or_else(|| self.source.name.clone(), Arc::from);
            self.timeline.push(Entry {
                t: at,
                kind: Kind::Slo,
                severity: Severity::Warning,
                source,
                text: text.into_boxed_str(),
                local: self.local,
            });
        }
    }

    #[expect(
        clippy::too_many_lines,
        reason = "a sample, its band, its triggers and its burn rate, with their timeline lines: the hot path of every replay"
    )]
    pub(super) fn metric(
        &mut self,
        slo: usize,
        value: Option<f64>,
        source: Option<Box<str>>,
        fx: &mut Applied,
    ) {
        let spec = &self.plan.spec.slos[slo];
        let interval = self.plan.spec.sample_interval;
        self.slos[slo].source = source;
        let out = self.slos[slo].sample(spec, Sample { t: self.at, value }, interval);
        self.next_stale = self.next_stale.min(stale_at(self.at, interval));
        if out.fired != 0 {
            let first = bits(out.fired).next().unwrap_or(0);
            let what = format!("{} {}", spec.name, trigger_label(spec, first));
            self.trigger_fires += 1;
            self.last_fire = Some(what);
        }
        if !out.band_changed && out.triggers_quiet() && !out.burn_changed {
            return;
        }
        self.reconsider = true;
        let source: Arc<str> = self.slos[slo]
            .source
            .as_deref()
            .map_or_else(|| self.source.name.clone(), Arc::from);
        let spec = &self.plan.spec.slos[slo];
        let band = self.slos[slo].band();
        let shown = value.map_or_else(|| "no data".to_string(), |v| format_value(v, &spec.unit));
        let mut lines = Vec::new();
        if out.band_changed {
            let sev = match band {
                Band::Crit => Severity::Critical,
                Band::Warn | Band::NoData => Severity::Warning,
                Band::Pass => Severity::Info,
            };
            lines.push((sev, format!("{} {} {shown}", spec.name, band.word())));
        }
        let name = &spec.name;
        for (mask, sev, what) in [
            (out.started, Severity::Warning, "Rollback trigger counting"),
            (out.fired, Severity::Critical, "ROLLBACK TRIGGER FIRED"),
            (
                out.stopped,
                Severity::Info,
                "Rollback trigger stopped counting",
            ),
            (out.cleared, Severity::Info, "Rollback trigger cleared"),
        ] {
            for i in bits(mask) {
                lines.push((sev, format!("{what}: {name} {}", trigger_label(spec, i))));
            }
        }
        if self.track_changes {
            let id = &spec.id;
            if out.band_changed {
                fx.changes.push(Stamped {
                    t: self.at,
                    change: Change::Band {
                        slo: id.clone(),
                        band,
                        value,
                    },
                });
            }
            for (mask, state) in [
                (out.started, "counting"),
                (out.fired, "fired"),
                (out.stopped, "stopped"),
                (out.cleared, "cleared"),
            ] {
                for i in bits(mask) {
                    fx.changes.push(Stamped {
                        t: self.at,
                        change: Change::Trigger {
                            slo: id.clone(),
                            state,
                            limit: trigger_label(spec, i),
                        },
                    });
                }
            }
        }
        if out.burn_changed {
            if let Some(b) = self.slos[slo].burn.as_deref() {
                lines.push(match b.firing {
                    Some(level) => (
                        if level == BurnSeverity::Page {
                            Severity::Critical
                        } else {
                            Severity::Warning
                        },
                        format!(
                            "{}: error budget burning at {} level ({})",
                            spec.name,
                            level.word(),
                            burn_label(b)
                        ),
                    ),
                    None => (
                        Severity::Info,
                        format!(
                            "{}: error budget burn back under every rule ({})",
                            spec.name,
                            burn_label(b)
                        ),
                    ),
                });
            }
        }
        for (sev, line) in lines {
            self.entry(Kind::Slo, sev, source.clone(), line);
        }
    }
}

/// The first moment at which a sample taken at `t` counts as stale.
fn stale_at(t: Offset, interval: Span) -> Offset {
    Offset(
        t.0.saturating_add(interval.0.saturating_mul(2))
            .saturating_add(1),
    )
}
