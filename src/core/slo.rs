//! One SLO's live reading: last samples, band, history for the sparkline, staleness and the
//! rollback triggers' breach clocks. Evaluated on sample time, never on the wall clock.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use super::burn::{BurnState, Objective};
use super::plan::{Direction, SloSpec, TriggerSpec};
use super::time::{Offset, Span};

/// Points of history kept per SLO: enough for the widest sparkline at 200 columns.
pub const HISTORY: usize = 240;

/// Where a value stands against its thresholds. Missing or stale data is never PASS.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Band {
    Pass,
    Warn,
    Crit,
    NoData,
}

impl Band {
    #[must_use]
    pub fn word(self) -> &'static str {
        match self {
            Band::Pass => "PASS",
            Band::Warn => "WARN",
            Band::Crit => "CRIT",
            Band::NoData => "NODATA",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    pub t: Offset,
    pub value: Option<f64>,
}

/// A trigger's breach clock.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Breach {
    /// Sample time at which the condition started to hold, while it still holds.
    pub since: Option<Offset>,
    pub fired: bool,
}

/// What a sample did to the SLO, for the reducer to report.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct SampleOutcome {
    pub band_changed: bool,
    /// Triggers (one bit per index) that fired on this sample.
    pub fired: u32,
    /// Triggers whose breach started counting on this sample.
    pub started: u32,
    /// Triggers that had fired and whose condition cleared on this sample.
    pub cleared: u32,
    /// Triggers that were counting (not yet fired) and stopped on this sample.
    pub stopped: u32,
    /// The loudest firing burn rule changed (see [`SloState::burn`]).
    pub burn_changed: bool,
}

impl SampleOutcome {
    /// Nothing about the triggers changed.
    #[must_use]
    pub fn triggers_quiet(&self) -> bool {
        self.fired | self.started | self.cleared | self.stopped == 0
    }
}

/// The trigger indices set in a mask, lowest first.
pub fn bits(mask: u32) -> impl Iterator<Item = usize> {
    (0..32).filter(move |i| mask & (1 << i) != 0)
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SloState {
    pub last: Option<Sample>,
    pub prev: Option<Sample>,
    /// Last time a real (non-null) value arrived.
    pub last_good: Option<Offset>,
    /// Recent values, oldest first; NaN marks a gap (no data).
    pub history: VecDeque<f32>,
    pub breaches: Vec<Breach>,
    /// Band of the newest sample, regardless of its age.
    value_band: Band,
    /// No sample for more than two intervals.
    pub stale: bool,
    /// Error-budget burn, for SLOs with a budget.
    pub burn: Option<Box<BurnState>>,
    /// Why the newest attempt to read this SLO failed (a query error), until a value comes.
    pub error: Option<Box<str>>,
    /// Who reported the newest sample (its record's source): the source of the SLO's own
    /// timeline lines, such as going stale.
    #[serde(default)]
    pub source: Option<Box<str>>,
    /// The source it comes from is not answering (the console's link to the control plane is
    /// down): its last value may no longer hold, so it is neither passing nor failing.
    #[serde(skip)]
    pub unheard: bool,
}

impl SloState {
    /// Moves every time it holds by `by`.
    pub fn shift(&mut self, by: Span) {
        for s in [&mut self.last, &mut self.prev].into_iter().flatten() {
            s.t = s.t.saturating_add(by);
        }
        self.last_good = self.last_good.map(|t| t.saturating_add(by));
        for b in &mut self.breaches {
            b.since = b.since.map(|t| t.saturating_add(by));
        }
        if let Some(b) = self.burn.as_mut() {
            b.shift(by);
        }
    }

    /// Whether this reading can be the state of `spec` (a state image is checked before it
    /// is believed): one breach clock per trigger, a burn reading exactly when the SLO has a
    /// budget, and no more history than a gauge keeps.
    #[must_use]
    pub fn fits(&self, spec: &SloSpec) -> bool {
        self.breaches.len() == spec.triggers.len()
            && self.history.len() <= HISTORY
            && match (&self.burn, spec.budget) {
                (None, None) => true,
                (Some(b), Some(budget)) => b.holds_together(Objective {
                    target: budget.objective,
                    period: budget.period,
                }),
                _ => false,
            }
    }

    #[must_use]
    pub fn new(spec: &SloSpec) -> SloState {
        SloState {
            last: None,
            prev: None,
            last_good: None,
            history: VecDeque::with_capacity(HISTORY),
            breaches: vec![Breach::default(); spec.triggers.len()],
            value_band: Band::NoData,
            stale: false,
            burn: spec.budget.map(|b| {
                Box::new(BurnState::new(Objective {
                    target: b.objective,
                    period: b.period,
                }))
            }),
            error: None,
            source: None,
            unheard: false,
        }
    }

    /// The share of bad events a value stands for, for burn rates: a percentage for unit
    /// `%`, else a fraction; turned round when higher is better.
    #[must_use]
    pub fn bad_share(spec: &SloSpec, v: f64) -> Option<f64> {
        let x = if spec.unit.starts_with('%') {
            v / 100.0
        } else {
            v
        };
        let bad = match spec.direction {
            Direction::Lower => x,
            Direction::Higher => 1.0 - x,
        };
        bad.is_finite().then(|| bad.clamp(0.0, 1.0))
    }

    /// Fills the history from older samples (a start-up range query), oldest first, without
    /// judging them: no band changes, no triggers. The newest becomes the current sample.
    pub fn backfill(&mut self, spec: &SloSpec, points: &[Sample], interval: Span) {
        for p in points {
            if self.last.is_some_and(|l| p.t <= l.t) {
                continue;
            }
            if self.history.len() == HISTORY {
                self.history.pop_front();
            }
            #[allow(clippy::cast_possible_truncation)]
            self.history
                .push_back(p.value.map_or(f32::NAN, |v| v as f32));
            if let (Some(v), Some(b)) = (p.value, self.burn.as_mut()) {
                if let Some(share) = Self::bad_share(spec, v) {
                    b.add(p.t, share, Span(interval.0.saturating_mul(2)));
                }
            }
            self.prev = self.last.replace(*p);
            if let Some(v) = p.value {
                self.last_good = Some(p.t);
                self.value_band = Self::band_of(spec, Self::scaled(spec, v));
            } else {
                self.value_band = Band::NoData;
            }
        }
        if let (Some(b), Some(l)) = (self.burn.as_mut(), self.last) {
            b.evaluate(l.t);
        }
    }

    /// The band shown: NODATA when the data is missing or stale.
    #[must_use]
    pub fn band(&self) -> Band {
        if self.stale || self.unheard {
            Band::NoData
        } else {
            self.value_band
        }
    }

    /// The value in the plan's threshold space: percent over baseline when a baseline is set.
    #[must_use]
    pub fn scaled(spec: &SloSpec, v: f64) -> f64 {
        match spec.baseline {
            Some(b) if b != 0.0 => (v - b) / b * 100.0,
            _ => v,
        }
    }

    /// The band of a (scaled) value.
    #[must_use]
    pub fn band_of(spec: &SloSpec, v: f64) -> Band {
        if v.is_nan() {
            return Band::NoData;
        }
        let beyond = |limit: f64| match spec.direction {
            Direction::Lower => v > limit,
            Direction::Higher => v < limit,
        };
        if beyond(spec.critical) {
            Band::Crit
        } else if beyond(spec.warning) {
            Band::Warn
        } else {
            Band::Pass
        }
    }

    /// Takes a sample. `interval` is the plan's sample interval: after a gap of more than two
    /// intervals a breach starts counting again, since nobody saw what happened in between.
    pub fn sample(&mut self, spec: &SloSpec, s: Sample, interval: Span) -> SampleOutcome {
        let mut out = SampleOutcome::default();
        let gap = self
            .last
            .is_some_and(|l| s.t.since(l.t) > Span(interval.0.saturating_mul(2)));
        self.prev = self.last.replace(s);
        if self.history.len() == HISTORY {
            self.history.pop_front();
        }
        #[allow(clippy::cast_possible_truncation)]
        self.history
            .push_back(s.value.map_or(f32::NAN, |v| v as f32));
        let band = match s.value {
            Some(v) => {
                self.last_good = Some(s.t);
                self.error = None;
                Self::band_of(spec, Self::scaled(spec, v))
            }
            None => Band::NoData,
        };
        if let Some(b) = self.burn.as_mut() {
            if let Some(share) = s.value.and_then(|v| Self::bad_share(spec, v)) {
                b.add(s.t, share, Span(interval.0.saturating_mul(2)));
            }
            out.burn_changed = b.evaluate(s.t);
        }
        out.band_changed = band != self.band();
        self.stale = false;
        self.value_band = band;
        // A no-data sample says nothing about a breach: it neither starts nor clears one.
        let Some(value) = s.value else { return out };
        for (i, (trig, breach)) in spec
            .triggers
            .iter()
            .zip(self.breaches.iter_mut())
            .enumerate()
            .take(32)
        {
            let bit = 1 << i;
            if gap && !breach.fired {
                breach.since = None;
            }
            if breaches(trig, Self::scaled(spec, value)) {
                let since = *breach.since.get_or_insert_with(|| {
                    out.started |= bit;
                    s.t
                });
                if !breach.fired && s.t.since(since) >= trig.for_ {
                    breach.fired = true;
                    out.fired |= bit;
                }
            } else if breach.since.is_some() {
                if breach.fired {
                    out.cleared |= bit;
                } else {
                    out.stopped |= bit;
                }
                *breach = Breach::default();
            }
        }
        out
    }

    /// How long the current breach of trigger `i` has lasted, on sample time.
    #[must_use]
    pub fn breach_lasted(&self, i: usize) -> Option<Span> {
        let since = self.breaches.get(i)?.since?;
        Some(self.last?.t.since(since))
    }

    /// Re-evaluates staleness at `now`; returns true when the band or the staleness changed.
    pub fn age_to(&mut self, now: Offset, interval: Span) -> bool {
        let stale = self
            .last
            .is_some_and(|l| now.since(l.t) > Span(interval.0.saturating_mul(2)));
        let (before, was) = (self.band(), self.stale);
        self.stale = stale;
        // Going stale is news even when the band already read NODATA (its source was down).
        before != self.band() || was != stale
    }

    /// Age of the newest good sample at `now`.
    #[must_use]
    pub fn age(&self, now: Offset) -> Option<Span> {
        self.last_good.map(|t| now.since(t))
    }

    /// Change against the previous sample, when both have values.
    #[must_use]
    pub fn delta(&self) -> Option<f64> {
        match (self.last?.value, self.prev?.value) {
            (Some(a), Some(b)) => Some(a - b),
            _ => None,
        }
    }
}

fn breaches(t: &TriggerSpec, v: f64) -> bool {
    match (t.above, t.below) {
        (Some(a), _) => v > a,
        (_, Some(b)) => v < b,
        _ => false,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::core::plan::TriggerSpec;

    /// An error-rate SLO (lower is better, 2 / 5 / 10 %, a trigger above 10 % for 5m).
    pub(crate) fn error_rate() -> SloSpec {
        SloSpec {
            id: "error_rate".into(),
            name: "Error rate".into(),
            unit: "%".into(),
            direction: Direction::Lower,
            baseline: None,
            target: 2.0,
            warning: 5.0,
            critical: 10.0,
            triggers: vec![TriggerSpec {
                policy: None,
                above: Some(10.0),
                below: None,
                for_: Span::from_secs(300),
            }],
            budget: None,
        }
    }

    fn at(s: i64, v: f64) -> Sample {
        Sample {
            t: Offset::from_secs(s),
            value: Some(v),
        }
    }

    #[test]
    fn bands_follow_thresholds_both_ways() {
        let spec = error_rate();
        assert_eq!(SloState::band_of(&spec, 2.3), Band::Pass);
        assert_eq!(SloState::band_of(&spec, 5.1), Band::Warn);
        assert_eq!(SloState::band_of(&spec, 12.0), Band::Crit);
        let mut hi = spec.clone();
        hi.direction = Direction::Higher;
        (hi.target, hi.warning, hi.critical) = (98.0, 95.0, 90.0);
        assert_eq!(SloState::band_of(&hi, 97.0), Band::Pass);
        assert_eq!(SloState::band_of(&hi, 94.0), Band::Warn);
        assert_eq!(SloState::band_of(&hi, 89.0), Band::Crit);
    }

    #[test]
    fn trigger_fires_after_its_duration_on_sample_time() {
        let spec = error_rate();
        let mut s = SloState::new(&spec);
        let i = Span::from_secs(60);
        assert_eq!(s.sample(&spec, at(0, 12.0), i).started, 1);
        assert_eq!(s.sample(&spec, at(60, 12.0), i).fired, 0);
        assert_eq!(s.breach_lasted(0), Some(Span::from_secs(60)));
        for t in [120, 180, 240] {
            s.sample(&spec, at(t, 12.0), i);
        }
        assert_eq!(s.sample(&spec, at(300, 11.0), i).fired, 1);
        assert!(s.breaches[0].fired);
        assert_eq!(s.sample(&spec, at(360, 3.0), i).cleared, 1);
        assert_eq!(s.breaches[0], Breach::default());
    }

    #[test]
    fn a_data_gap_restarts_the_breach_and_two_triggers_report_together() {
        let mut spec = error_rate();
        spec.triggers.push(TriggerSpec {
            policy: None,
            above: Some(5.0),
            below: None,
            for_: Span::from_secs(120),
        });
        let mut s = SloState::new(&spec);
        let i = Span::from_secs(60);
        assert_eq!(s.sample(&spec, at(0, 12.0), i).started, 0b11);
        // 40 minutes without data: the breach starts again rather than firing at once.
        let out = s.sample(&spec, at(2400, 12.0), i);
        assert_eq!(out.fired, 0);
        assert_eq!(s.breach_lasted(0), Some(Span::ZERO));
        let out = s.sample(&spec, at(2460, 3.0), i);
        assert_eq!(
            out.stopped, 0b11,
            "both counting triggers stop on the same sample"
        );
        assert_eq!(out.cleared, 0);
    }

    #[test]
    fn stale_data_is_nodata_and_recovers() {
        let spec = error_rate();
        let mut s = SloState::new(&spec);
        s.sample(&spec, at(0, 1.0), Span::from_secs(60));
        assert_eq!(s.band(), Band::Pass);
        assert!(!s.age_to(Offset::from_secs(100), Span::from_secs(60)));
        assert!(s.age_to(Offset::from_secs(121), Span::from_secs(60)));
        assert_eq!(s.band(), Band::NoData);
        assert!(
            s.sample(&spec, at(130, 1.0), Span::from_secs(60))
                .band_changed
        );
        assert_eq!(s.band(), Band::Pass);
    }

    #[test]
    fn baseline_thresholds_are_relative() {
        let mut spec = error_rate();
        spec.baseline = Some(120.0);
        (spec.target, spec.warning, spec.critical) = (0.0, 50.0, 100.0);
        assert_eq!(
            SloState::band_of(&spec, SloState::scaled(&spec, 125.0)),
            Band::Pass
        );
        assert_eq!(
            SloState::band_of(&spec, SloState::scaled(&spec, 190.0)),
            Band::Warn
        );
        assert_eq!(
            SloState::band_of(&spec, SloState::scaled(&spec, 250.0)),
            Band::Crit
        );
    }
}
