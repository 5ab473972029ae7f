//! The simulated outside world: per-SLO models, the wave-3 fault and the drain after a
//! rollback, metric samples, alerts, and the SLI counters that `/metrics` exposes.

use super::super::sli::{self, Serving};
use crate::core::plan::{Direction, Plan, SloSpec};
use crate::core::record::{AlertState, Body, Record};
use crate::core::severity::Severity;
use crate::core::slo::{Band, SloState};
use crate::core::time::{Offset, Span};
use crate::core::words::{format_value, trim_number};
use crate::server::scenario::secs;
use crate::server::scenario::Scenario;
use crate::server::scenario::SIMULATION;

impl Scenario {
    /// One sample of every SLO at `t`, then the alerts that follow from the new bands.
    pub(super) fn sample(&mut self, t: Offset, out: &mut Vec<Record>) {
        let share = self.drain.share(t);
        let level = self.fault_level(t);
        let mut values: Vec<Option<f64>> = vec![None; self.models.len()];
        for (i, m) in self.models.iter().enumerate() {
            if let Model::Level {
                old,
                new,
                fault,
                noise_abs,
                noise_rel,
                integer,
                percent,
            } = *m
            {
                let base = (1.0 - share) * old + share * (new + level * fault);
                // Always draw, so one SLO's model never shifts another's noise.
                let noise = (self.rng.unit() * 2.0 - 1.0) * (noise_abs + noise_rel * base.abs());
                let mut v = base + noise;
                if percent {
                    v = v.clamp(0.0, 100.0);
                }
                if old >= 0.0 && new >= 0.0 {
                    v = v.max(0.0);
                }
                values[i] = Some(if integer { v.round() } else { round2(v) });
            }
        }
        for i in 0..self.models.len() {
            if let Model::Complement(of) = self.models[i] {
                values[i] = values.get(of).copied().flatten().map(|v| round2(100.0 - v));
            }
        }
        for (slo, value) in values.into_iter().enumerate() {
            self.last_values[slo] = value.or(self.last_values[slo]);
            self.emit(t, SIMULATION, Body::Metric { slo, value }, out);
        }
        self.alerts(t, out);
    }

    /// A warning alert per SLO while its band is WARN or worse, a critical one while CRIT.
    pub(super) fn alerts(&mut self, t: Offset, out: &mut Vec<Record>) {
        for i in 0..self.plan.spec.slos.len() {
            let band = self.state.slos[i].band();
            if band == Band::NoData {
                continue;
            }
            let want = (matches!(band, Band::Warn | Band::Crit), band == Band::Crit);
            let have = self.firing[i];
            let mut changes = Vec::new();
            if want.0 && !have.0 {
                changes.push(("High", Severity::Warning, AlertState::Firing));
            }
            if want.1 && !have.1 {
                changes.push(("Critical", Severity::Critical, AlertState::Firing));
            }
            if !want.1 && have.1 {
                changes.push(("Critical", Severity::Critical, AlertState::Resolved));
            }
            if !want.0 && have.0 {
                changes.push(("High", Severity::Warning, AlertState::Resolved));
            }
            self.firing[i] = want;
            for (suffix, severity, state) in changes {
                let spec = &self.plan.spec.slos[i];
                let name: Box<str> = alert_name(&self.alert_prefix, spec, suffix).into();
                let summary = self.alert_summary(i, severity, state);
                self.emit(
                    t,
                    SIMULATION,
                    Body::Alert {
                        id: name.clone(),
                        name,
                        state,
                        severity,
                        summary: Some(summary.into()),
                    },
                    out,
                );
            }
        }
    }

    /// "Error Rate 11.3%: above the critical line of 10%", "Error Rate 1.6%".
    pub(super) fn alert_summary(
        &self,
        slo: usize,
        severity: Severity,
        state: AlertState,
    ) -> String {
        let spec = &self.plan.spec.slos[slo];
        let shown = self.last_values[slo]
            .map_or_else(|| "no data".to_string(), |v| format_value(v, &spec.unit));
        if state == AlertState::Resolved {
            return format!("{} {shown}", spec.name);
        }
        let (line, limit) = if severity == Severity::Critical {
            ("critical", spec.critical)
        } else {
            ("warning", spec.warning)
        };
        let word = match spec.direction {
            Direction::Lower => "above",
            Direction::Higher => "below",
        };
        let limit = if spec.baseline.is_some() {
            format!("{}% over baseline", trim_number(limit))
        } else {
            format_value(limit, &spec.unit)
        };
        format!("{} {shown}: {word} the {line} line of {limit}", spec.name)
    }

    pub(super) fn fault_level(&self, t: Offset) -> f64 {
        self.fault.map_or(0.0, |f| f.level(t))
    }

    /// How each version serves at `t` (old first), for the SLI counters.
    pub(super) fn serving(&self, t: Offset) -> [Serving; 2] {
        let share = self.drain.share(t);
        let level = self.fault_level(t);
        let pick = |id: &str, default: f64| -> (f64, f64) {
            match self.plan.slo(id).map(|i| self.models[i]) {
                Some(Model::Level {
                    old, new, fault, ..
                }) => (old, new + level * fault),
                _ => (default, default),
            }
        };
        let error = pick("error_rate", 1.0);
        let p95 = pick("p95_latency", 300.0);
        let p99 = pick("p99_latency", 450.0);
        [
            Serving {
                share: 1.0 - share,
                error_pct: error.0,
                p95_ms: p95.0,
                p99_ms: p99.0,
            },
            Serving {
                share,
                error_pct: error.1,
                p95_ms: p95.1,
                p99_ms: p99.1,
            },
        ]
    }

    pub(super) fn integrate_to(&mut self, t: Offset) {
        if t <= self.totals_at {
            return;
        }
        let mut totals = std::mem::take(&mut self.totals);
        sli::integrate(&mut totals, self.totals_at, t, |at| self.serving(at));
        self.totals = totals;
        self.totals_at = t;
    }
}

/// Traffic does not move the instant the router's weights change: connections drain. The
/// share actually on the new version closes about 63 % of the gap every this many seconds.
pub(super) const DRAIN_SECS: f64 = 2.0;

/// Once the wave that carries the fault is rolled back, the fault's contribution halves every
/// this many seconds (in-flight batches finish) and counts as gone below 1 %.
pub(super) const FAULT_HALF_LIFE_SECS: f64 = 2.0;

/// How one SLO's samples are made.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Model {
    /// A level per version, blended by the share on the new version; `fault` is added to the
    /// new version's level at the fault's full strength. Noise is `abs + rel × level`.
    Level {
        old: f64,
        new: f64,
        fault: f64,
        noise_abs: f64,
        noise_rel: f64,
        /// A count: whole numbers only.
        integer: bool,
        /// A percentage: kept within 0..100.
        percent: bool,
    },
    /// `100 −` another SLO's sample (the success rate from the error rate).
    Complement(usize),
}

/// A scripted fault in the new version that shows once a given wave is live.
#[derive(Clone, Copy, Debug)]
pub(super) struct Fault {
    pub(super) wave: usize,
    pub(super) after: Span,
    pub(super) ramp: Span,
    /// When it starts to show (set when its wave first goes active).
    pub(super) onset: Option<Offset>,
    /// When its wave was rolled back: from then on it fades out.
    pub(super) mitigated: Option<Offset>,
}

impl Fault {
    /// Strength at `t`, 0..1.
    pub(super) fn level(&self, t: Offset) -> f64 {
        let Some(onset) = self.onset else {
            return 0.0;
        };
        let ramp = |t: Offset| (secs(t.since(onset)) / secs(self.ramp).max(1e-3)).clamp(0.0, 1.0);
        match self.mitigated {
            Some(m) if t >= m => {
                let v = ramp(m) * 0.5_f64.powf(secs(t.since(m)) / FAULT_HALF_LIFE_SECS);
                if v < 0.01 {
                    0.0
                } else {
                    v
                }
            }
            _ => ramp(t),
        }
    }
}

/// The share actually on the new version, settling from `from` towards `to` since `at`.
#[derive(Clone, Copy, Debug)]
pub(super) struct Drain {
    pub(super) from: f64,
    pub(super) to: f64,
    pub(super) at: Offset,
}

impl Drain {
    pub(super) fn settled(share: f64, at: Offset) -> Drain {
        Drain {
            from: share,
            to: share,
            at,
        }
    }

    pub(super) fn share(&self, t: Offset) -> f64 {
        if t <= self.at {
            return self.from;
        }
        self.to + (self.from - self.to) * (-secs(t.since(self.at)) / DRAIN_SECS).exp()
    }
}

/// A healthy, steady level for any SLO: its newest value when that is PASS, else a quarter of
/// the way from the target away from the warning line. Both versions alike, no fault.
pub(super) fn generic_model(spec: &SloSpec, last: Option<f64>) -> Model {
    let band = spec.warning - spec.target;
    let to_abs = |scaled: f64| match spec.baseline {
        Some(b) => b * (1.0 + scaled / 100.0),
        None => scaled,
    };
    let healthy = last.filter(|v| {
        v.is_finite() && SloState::band_of(spec, SloState::scaled(spec, *v)) == Band::Pass
    });
    let mut level = healthy.unwrap_or_else(|| to_abs(spec.target - 0.25 * band));
    if spec.target >= 0.0 && spec.baseline.is_none() {
        level = level.max(0.0);
    }
    let percent = spec.unit == "%" && spec.baseline.is_none();
    if percent {
        level = level.clamp(0.0, 100.0);
    }
    let width = if band == 0.0 {
        0.02 * level.abs()
    } else {
        to_abs(0.04 * band.abs()) - to_abs(0.0)
    };
    let whole = [spec.target, spec.warning, spec.critical]
        .iter()
        .all(|v| v.fract() == 0.0);
    // Whole thresholds and no unit, or a plural noun for one ("violations"): a count.
    let integer = whole
        && spec.baseline.is_none()
        && (spec.unit.is_empty()
            || spec.unit.len() > 3 && spec.unit.chars().all(char::is_alphabetic));
    Model::Level {
        old: level,
        new: level,
        fault: 0.0,
        noise_abs: width.abs(),
        noise_rel: 0.0,
        integer,
        percent,
    }
}

/// `BatchPatches` from `batch-patches`.
pub(super) fn alert_prefix(plan: &Plan) -> String {
    camel(&plan.spec.service)
}

/// `BatchPatchesErrorRateCritical`.
pub(super) fn alert_name(prefix: &str, spec: &SloSpec, suffix: &str) -> String {
    format!("{prefix}{}{suffix}", camel(&spec.name))
}

pub(super) fn camel(text: &str) -> String {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut cs = w.chars();
            cs.next().map_or_else(String::new, |c| {
                c.to_uppercase().chain(cs).collect::<String>()
            })
        })
        .collect()
}

pub(super) fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}
