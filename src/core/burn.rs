//! Error-budget burn rates and multiwindow, multi-burn-rate alerting, as in the Google SRE
//! workbook ("Alerting on SLOs"). Pure: time comes in as [`Offset`]s, nothing reads a clock.
//!
//! The history holds **event counts**, not error-ratio samples: each [`BurnHistory::record`]
//! is an increment `(t, bad, total)` counting the events in the interval since the previous
//! increment (the first one counts from the history's `start`). Counts make the ratio over a
//! window traffic-weighted (a quiet minute at 50 % errors does not outweigh a busy hour at
//! 0.1 %), and they add up exactly when neighbouring increments are merged.
//!
//! Memory is bounded twice over: increments that fall in the same `resolution` bucket are
//! merged into one slot, and slots older than the retention (the objective's period, or
//! longer with [`BurnHistory::with_retention`]) are dropped. At most
//! `retention / resolution + 1` slots are ever held.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use super::time::{Offset, Span};

/// Relative tolerance when comparing a burn rate with a rule's factor: a steady 0.1 % error
/// ratio against a 99.9 % target is burn rate 1.0 on paper but `0.999_999_999_999_999_1`
/// in floating point (`1 - 0.999` is not exactly 0.001), and it must still reach the factor 1.0.
const FACTOR_TOLERANCE: f64 = 1e-9;

const HOUR: i64 = 3_600_000;

/// An SLO target over a period, e.g. 99.9 % of requests good over 30 days.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Objective {
    /// Fraction of events that must be good, e.g. `0.999`.
    pub target: f64,
    /// The period the budget is spread over, e.g. 30 days.
    pub period: Span,
}

impl Objective {
    /// The error budget as a fraction of events: `1 - target` (0.001 for 99.9 %).
    #[must_use]
    pub fn budget(&self) -> f64 {
        1.0 - self.target
    }

    /// The budget when it is usable (finite, positive) and the period is positive.
    fn usable_budget(&self) -> Option<f64> {
        let b = self.budget();
        (b.is_finite() && b > 0.0 && self.period.0 > 0).then_some(b)
    }
}

/// How loud a firing burn rule is. A page blocks advancing a wave.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BurnSeverity {
    Page,
    Ticket,
}

impl BurnSeverity {
    #[must_use]
    pub fn word(self) -> &'static str {
        match self {
            BurnSeverity::Page => "PAGE",
            BurnSeverity::Ticket => "TICKET",
        }
    }
}

/// One multiwindow rule: fires when the burn rate over both `long` and `short` reaches `factor`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct BurnRule {
    pub long: Span,
    pub short: Span,
    /// Burn rate (multiple of the budget's steady spend) that both windows must reach.
    pub factor: f64,
    pub severity: BurnSeverity,
    /// Fraction of the period's budget spent when the long window burns at `factor`.
    pub budget_share: f64,
}

impl BurnRule {
    /// The workbook's derivation: spending `budget_share` of the budget within `long` means
    /// burning at `budget_share × period ÷ long`; the short window is `long / 12`.
    /// The factor is rounded to six decimals so that 30 days gives exactly 14.4, 6, 3 and 1.
    #[must_use]
    pub fn derived(period: Span, long: Span, budget_share: f64, severity: BurnSeverity) -> Self {
        let factor = if long.0 > 0 {
            round6(budget_share * period.0 as f64 / long.0 as f64)
        } else {
            f64::INFINITY
        };
        BurnRule {
            long,
            short: Span(long.0 / 12),
            factor,
            severity,
            budget_share,
        }
    }
}

fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

/// The workbook's four rules with factors derived for `period`. For 30 days:
/// 1h/5m ×14.4 page (2 % of the budget), 6h/30m ×6 page (5 %), 1d/2h ×3 ticket (10 %) and
/// 3d/6h ×1 ticket (10 %). Other periods keep the windows and scale the factors
/// (7 days: 3.36, 1.4, 0.7, 0.233333).
#[must_use]
pub fn default_rules(period: Span) -> Vec<BurnRule> {
    use BurnSeverity::{Page, Ticket};
    [
        (1, 0.02, Page),
        (6, 0.05, Page),
        (24, 0.10, Ticket),
        (72, 0.10, Ticket),
    ]
    .into_iter()
    .map(|(hours, share, sev)| BurnRule::derived(period, Span(hours * HOUR), share, sev))
    .collect()
}

/// The longest window any of `rules` looks at (zero for no rules).
#[must_use]
pub fn longest_window(rules: &[BurnRule]) -> Span {
    rules
        .iter()
        .map(|r| r.long.max(r.short))
        .max()
        .unwrap_or(Span::ZERO)
}

/// A rule that fires at `now`, with the burn rates that made it fire.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct BurnAlert {
    pub rule: BurnRule,
    pub long_rate: f64,
    pub short_rate: f64,
    pub severity: BurnSeverity,
}

/// Whether any of `alerts` is a page.
#[must_use]
pub fn any_page(alerts: &[BurnAlert]) -> bool {
    alerts.iter().any(|a| a.severity == BurnSeverity::Page)
}

/// Events counted in the interval that ends at `end` and starts at the previous slot's end.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Slot {
    end: Offset,
    bad: u64,
    total: u64,
}

/// A rolling, bounded history of (bad, total) event increments for one objective.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BurnHistory {
    objective: Objective,
    /// When counting began: the first increment covers the time from here to its own time.
    start: Offset,
    /// Data is complete from here on: `start`, or the end of the newest dropped slot.
    covered_from: Offset,
    resolution: i64,
    retention: Span,
    /// Oldest first; ends strictly increasing, one slot per resolution bucket at most.
    slots: VecDeque<Slot>,
}

impl BurnHistory {
    /// An empty history that counts from `start`, merging increments within `resolution`
    /// (1 minute suits the default rules, whose shortest window is 5 minutes) and keeping the
    /// objective's period (needed by [`budget_remaining`](Self::budget_remaining)).
    #[must_use]
    pub fn new(objective: Objective, start: Offset, resolution: Span) -> Self {
        BurnHistory {
            objective,
            start,
            covered_from: start,
            resolution: resolution.0.max(1),
            retention: objective.period.max(Span::ZERO),
            slots: VecDeque::new(),
        }
    }

    /// Keeps at least `span` of history (e.g. [`longest_window`] of rules whose long window
    /// is longer than the period). Never shortens the retention below the period.
    #[must_use]
    pub fn with_retention(mut self, span: Span) -> Self {
        self.retention = self.retention.max(span);
        self
    }

    #[must_use]
    pub fn objective(&self) -> Objective {
        self.objective
    }

    /// Slots held (merged increments): bounded by `retention / resolution + 1`.
    #[must_use]
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// The earliest time from which the history has complete data.
    #[must_use]
    pub fn covered_from(&self) -> Offset {
        self.covered_from
    }

    /// Adds `bad` of `total` events counted since the previous increment, at time `t`.
    /// `bad` is capped at `total`. An increment at or before the newest slot's time (late or
    /// out of order) is merged into that slot; one at or before `start` with nothing recorded
    /// yet is ignored, since it counts time the history does not cover.
    pub fn record(&mut self, t: Offset, bad: u64, total: u64) {
        let bad = bad.min(total);
        // Buckets are `(k - 1) × resolution < t ≤ k × resolution`, like the increments they
        // hold, so that increments on the resolution grid keep their own end times.
        let bucket = |o: Offset| o.0.saturating_sub(1).div_euclid(self.resolution);
        match self.slots.back_mut() {
            Some(last) if t <= last.end || bucket(t) == bucket(last.end) => {
                last.end = last.end.max(t);
                last.bad = last.bad.saturating_add(bad);
                last.total = last.total.saturating_add(total);
            }
            None if t <= self.start => return,
            _ => self.slots.push_back(Slot { end: t, bad, total }),
        }
        let cutoff = t.saturating_sub(self.retention);
        while let Some(front) = self.slots.front() {
            if front.end > cutoff {
                break;
            }
            self.covered_from = front.end;
            self.slots.pop_front();
        }
    }

    /// (bad, total) over `(from, to]`, prorating a slot that straddles either edge as if its
    /// events were spread evenly over its interval. None when no slot overlaps the span.
    fn counts_between(&self, from: Offset, to: Offset) -> Option<(f64, f64)> {
        if to <= from {
            return None;
        }
        let (mut bad, mut total, mut any) = (0.0, 0.0, false);
        for i in (0..self.slots.len()).rev() {
            let slot = self.slots[i];
            let begin = if i == 0 {
                self.covered_from
            } else {
                self.slots[i - 1].end
            };
            if slot.end <= from {
                break;
            }
            let (lo, hi) = (begin.max(from), slot.end.min(to));
            if hi <= lo {
                continue;
            }
            let share = (hi.0 - lo.0) as f64 / (slot.end.0 - begin.0).max(1) as f64;
            bad += slot.bad as f64 * share;
            total += slot.total as f64 * share;
            any = true;
        }
        any.then_some((bad, total))
    }

    /// Fraction of bad events over `(now - window, now]`. None when the history does not
    /// reach back to the window's start or no data falls in it; `Some(0.0)` when data covers
    /// it but no events happened.
    #[must_use]
    pub fn error_ratio(&self, now: Offset, window: Span) -> Option<f64> {
        if window.0 <= 0 {
            return None;
        }
        let from = now.saturating_sub(window);
        if from < self.covered_from {
            return None;
        }
        let (bad, total) = self.counts_between(from, now)?;
        Some(if total > 0.0 { bad / total } else { 0.0 })
    }

    /// Error ratio over the window ÷ the objective's budget: 1.0 spends the budget exactly
    /// over the period. None without data covering the window or without a usable budget.
    #[must_use]
    pub fn burn_rate(&self, now: Offset, window: Span) -> Option<f64> {
        let budget = self.objective.usable_budget()?;
        Some(self.error_ratio(now, window)? / budget)
    }

    /// The rules that fire at `now`, in the order given: both the long- and the short-window
    /// burn rates reach the rule's factor. A window without data never fires.
    #[must_use]
    pub fn evaluate(&self, now: Offset, rules: &[BurnRule]) -> Vec<BurnAlert> {
        rules
            .iter()
            .filter_map(|rule| {
                let reaches = |rate: f64| rate >= rule.factor * (1.0 - FACTOR_TOLERANCE);
                let long_rate = self.burn_rate(now, rule.long)?;
                let short_rate = self.burn_rate(now, rule.short)?;
                (reaches(long_rate) && reaches(short_rate)).then_some(BurnAlert {
                    rule: *rule,
                    long_rate,
                    short_rate,
                    severity: rule.severity,
                })
            })
            .collect()
    }

    /// Whether a page-level rule fires at `now`: this blocks advancing a wave.
    #[must_use]
    pub fn pages(&self, now: Offset, rules: &[BurnRule]) -> bool {
        any_page(&self.evaluate(now, rules))
    }

    /// Fraction of the period's budget left at `now`, in `[-∞, 1]` (negative: overspent).
    /// The period so far runs from `max(start, now - period)` to `now`; the budget spent is
    /// its burn rate × its share of the period. None when the history has already dropped part
    /// of that span, when it is empty, or without a usable budget.
    #[must_use]
    pub fn budget_remaining(&self, now: Offset) -> Option<f64> {
        let budget = self.objective.usable_budget()?;
        let from = self.start.max(now.saturating_sub(self.objective.period));
        if from < self.covered_from {
            return None;
        }
        let (bad, total) = self.counts_between(from, now)?;
        let burn = if total > 0.0 {
            bad / total / budget
        } else {
            0.0
        };
        let elapsed = now.since(from).0 as f64 / self.objective.period.0 as f64;
        Some((1.0 - burn * elapsed).min(1.0))
    }

    /// Time until the budget is gone if it keeps burning at the rate seen over `window`:
    /// `remaining × period ÷ burn rate`. None when the burn rate is not positive, the budget is
    /// already gone, or either is unknown.
    #[must_use]
    pub fn exhaustion(&self, now: Offset, window: Span) -> Option<Span> {
        let burn = self.burn_rate(now, window)?;
        let remaining = self.budget_remaining(now)?;
        if burn <= 0.0 || remaining <= 0.0 {
            return None;
        }
        // `as` saturates: a vanishing burn rate reads as "practically never", not an overflow.
        Some(Span(
            (remaining * self.objective.period.0 as f64 / burn).round() as i64,
        ))
    }
}

/// One SLO's error-budget reading, fed from the SLO's own samples: each sample's share of
/// bad events is weighted by the time since the previous sample (at most `max_gap`), so the
/// counts are milliseconds of time rather than requests. The history starts at the first
/// sample; windows it does not yet cover read as unknown, never as fine.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BurnState {
    objective: Objective,
    history: Option<BurnHistory>,
    rules: Vec<BurnRule>,
    last: Option<Offset>,
    /// The loudest rule firing at the last evaluation.
    pub firing: Option<BurnSeverity>,
    /// Burn rates over the first rule's short and long windows (5m and 1h for the defaults).
    pub short: Option<f64>,
    pub long: Option<f64>,
    /// Share of the period's budget left, and the time until it is gone at the long rate.
    pub remaining: Option<f64>,
    pub exhaustion: Option<Span>,
}

/// Counts per millisecond of a sample's weight (so shares survive integer counts).
const PER_MS: f64 = 1000.0;

impl BurnState {
    /// Moves every time it holds by `by` (a console adopting another clock's history).
    pub fn shift(&mut self, by: Span) {
        self.last = self.last.map(|t| t.saturating_add(by));
        if let Some(h) = self.history.as_mut() {
            h.start = h.start.saturating_add(by);
            h.covered_from = h.covered_from.saturating_add(by);
            for s in &mut h.slots {
                s.end = s.end.saturating_add(by);
            }
        }
    }

    /// Whether the rules and history fit the objective they are for (a state image is
    /// checked before it is believed).
    #[must_use]
    pub fn holds_together(&self, objective: Objective) -> bool {
        self.objective == objective
            && self.history.as_ref().is_none_or(|h| {
                h.objective == objective
                    && h.resolution > 0
                    && h.slots
                        .iter()
                        .zip(h.slots.iter().skip(1))
                        .all(|(a, b)| a.end < b.end)
            })
    }

    #[must_use]
    pub fn new(objective: Objective) -> BurnState {
        BurnState {
            objective,
            history: None,
            rules: default_rules(objective.period),
            last: None,
            firing: None,
            short: None,
            long: None,
            remaining: None,
            exhaustion: None,
        }
    }

    #[must_use]
    pub fn rules(&self) -> &[BurnRule] {
        &self.rules
    }

    /// Adds a sample: `bad_share` of events were bad at `t` (0..=1). A sample at or before
    /// the previous one is ignored; the time since the previous one counts up to `max_gap`.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    pub fn add(&mut self, t: Offset, bad_share: f64, max_gap: Span) {
        if !bad_share.is_finite() {
            return;
        }
        let share = bad_share.clamp(0.0, 1.0);
        let Some(last) = self.last else {
            self.last = Some(t);
            let retention = longest_window(&self.rules);
            self.history =
                Some(BurnHistory::new(self.objective, t, Span(60_000)).with_retention(retention));
            return;
        };
        if t <= last {
            return;
        }
        self.last = Some(t);
        let weight = t.since(last).min(max_gap).0 as f64 * PER_MS;
        if let Some(h) = self.history.as_mut() {
            h.record(t, (share * weight).round() as u64, weight as u64);
        }
    }

    /// Re-reads the rules, rates and budget at `now`; true when the firing severity changed.
    pub fn evaluate(&mut self, now: Offset) -> bool {
        let Some(h) = self.history.as_ref() else {
            return false;
        };
        let alerts = h.evaluate(now, &self.rules);
        let firing = alerts.iter().map(|a| a.severity).min();
        if let Some(first) = self.rules.first() {
            self.short = h.burn_rate(now, first.short);
            self.long = h.burn_rate(now, first.long);
            self.exhaustion = h.exhaustion(now, first.long);
        }
        self.remaining = h.budget_remaining(now);
        let changed = firing != self.firing;
        self.firing = firing;
        changed
    }

    /// Whether a page-level rule fires.
    #[must_use]
    pub fn pages(&self) -> bool {
        self.firing == Some(BurnSeverity::Page)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000;
    const DAY: i64 = 24 * HOUR;

    fn thirty_days() -> Objective {
        Objective {
            target: 0.999,
            period: Span(30 * DAY),
        }
    }

    fn history(objective: Objective) -> BurnHistory {
        BurnHistory::new(objective, Offset::ZERO, Span(MIN))
    }

    /// One increment per minute for minutes `(from, to]`: `bad` of `total` each.
    fn feed(h: &mut BurnHistory, from: i64, to: i64, bad: u64, total: u64) {
        for m in from + 1..=to {
            h.record(Offset(m * MIN), bad, total);
        }
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-9 * b.abs().max(1.0)
    }

    fn factors(rules: &[BurnRule]) -> Vec<f64> {
        rules.iter().map(|r| r.factor).collect()
    }

    #[test]
    fn default_rules_for_thirty_days_are_the_workbooks() {
        // 30 d = 720 h. 2 % × 720 / 1 = 14.4; 5 % × 720 / 6 = 6; 10 % × 720 / 24 = 3;
        // 10 % × 720 / 72 = 1.
        let rules = default_rules(Span(30 * DAY));
        assert_eq!(factors(&rules), vec![14.4, 6.0, 3.0, 1.0]);
        let windows: Vec<(Span, Span)> = rules.iter().map(|r| (r.long, r.short)).collect();
        assert_eq!(
            windows,
            vec![
                (Span(HOUR), Span(5 * MIN)),
                (Span(6 * HOUR), Span(30 * MIN)),
                (Span(DAY), Span(2 * HOUR)),
                (Span(3 * DAY), Span(6 * HOUR)),
            ]
        );
        let sev: Vec<_> = rules.iter().map(|r| r.severity).collect();
        assert_eq!(
            sev,
            vec![
                BurnSeverity::Page,
                BurnSeverity::Page,
                BurnSeverity::Ticket,
                BurnSeverity::Ticket
            ]
        );
        let shares: Vec<_> = rules.iter().map(|r| r.budget_share).collect();
        assert_eq!(shares, vec![0.02, 0.05, 0.10, 0.10]);
        assert_eq!(longest_window(&rules), Span(3 * DAY));
    }

    #[test]
    fn default_rules_scale_with_the_period() {
        // 7 d = 168 h. 2 % × 168 / 1 = 3.36; 5 % × 168 / 6 = 1.4; 10 % × 168 / 24 = 0.7;
        // 10 % × 168 / 72 = 0.2333… (rounded to six decimals).
        let rules = default_rules(Span(7 * DAY));
        assert_eq!(factors(&rules), vec![3.36, 1.4, 0.7, 0.233_333]);
        assert_eq!(rules[0].long, Span(HOUR), "windows stay the same");
        assert_eq!(rules[0].short, Span(5 * MIN));
    }

    #[test]
    fn steady_budget_pace_fires_only_the_three_day_ticket_once_three_days_exist() {
        // 1 bad in 1000 each minute = 0.1 % against a 0.1 % budget: burn rate 1.0 in every
        // window. Only the 3d/6h rule has factor 1; the others need 3, 6 or 14.4.
        let rules = default_rules(Span(30 * DAY));
        let mut h = history(thirty_days());
        feed(&mut h, 0, 3 * 24 * 60 - 1, 1, 1000);
        let now = Offset(3 * DAY - MIN);
        assert!(close(h.burn_rate(now, Span(HOUR)).unwrap(), 1.0));
        assert!(close(h.burn_rate(now, Span(DAY)).unwrap(), 1.0));
        assert_eq!(h.burn_rate(now, Span(3 * DAY)), None, "one minute short");
        assert!(h.evaluate(now, &rules).is_empty());

        feed(&mut h, 3 * 24 * 60 - 1, 3 * 24 * 60, 1, 1000);
        let now = Offset(3 * DAY);
        let alerts = h.evaluate(now, &rules);
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].rule, rules[3]);
        assert_eq!(alerts[0].severity, BurnSeverity::Ticket);
        assert!(close(alerts[0].long_rate, 1.0) && close(alerts[0].short_rate, 1.0));
        assert!(!h.pages(now, &rules));
    }

    #[test]
    fn an_hour_at_fourteen_point_four_pages_once_both_windows_reach_it() {
        // Baseline 1 in 10 000 a minute (0.01 %, burn 0.1) for a day, then 144 in 10 000
        // (1.44 %, burn 14.4). After m minutes of spike the 1 h window burns
        // (m × 14.4 + (60 − m) × 0.1) / 60; it reaches 14.4 only at m = 60.
        let rules = default_rules(Span(30 * DAY));
        let mut h = history(thirty_days());
        let base = 24 * 60;
        feed(&mut h, 0, base, 1, 10_000);
        assert!(h.evaluate(Offset(base * MIN), &rules).is_empty());

        // 5 minutes in: the 5 m window burns 14.4 but the 1 h window only
        // (5 × 14.4 + 55 × 0.1) / 60 = 1.29.
        feed(&mut h, base, base + 5, 144, 10_000);
        let now = Offset((base + 5) * MIN);
        assert!(close(h.burn_rate(now, Span(5 * MIN)).unwrap(), 14.4));
        assert!(close(
            h.burn_rate(now, Span(HOUR)).unwrap(),
            1.291_666_666_666_666_7
        ));
        assert!(!h.pages(now, &rules));

        // 59 minutes in: (59 × 14.4 + 0.1) / 60 = 14.162 < 14.4, still quiet.
        feed(&mut h, base + 5, base + 59, 144, 10_000);
        assert!(h.evaluate(Offset((base + 59) * MIN), &rules).is_empty());

        // 60 minutes in: both windows at 14.4. The 6 h window is (60 × 14.4 + 300 × 0.1) / 360
        // = 2.48 < 6, the 1 d window (864 + 138) / 1440 = 0.70 < 3, the 3 d window is not
        // covered yet: only the 1 h page fires.
        feed(&mut h, base + 59, base + 60, 144, 10_000);
        let now = Offset((base + 60) * MIN);
        let alerts = h.evaluate(now, &rules);
        assert_eq!(alerts.len(), 1, "{alerts:?}");
        assert_eq!(alerts[0].rule, rules[0]);
        assert_eq!(alerts[0].severity, BurnSeverity::Page);
        assert!(close(alerts[0].long_rate, 14.4) && close(alerts[0].short_rate, 14.4));
        assert!(h.pages(now, &rules));
        assert!(any_page(&alerts));
    }

    #[test]
    fn a_spike_that_has_ended_does_not_fire() {
        // Ten minutes at 10 % (burn 100) after an hour at 0.01 % (burn 0.1). At the end of the
        // spike the 1 h window burns (10 × 100 + 50 × 0.1) / 60 = 16.75 and the 5 m window
        // 100: the page fires. Five minutes later the 5 m window is back to 0.1 while the 1 h
        // window still reads (10 × 100 + 50 × 0.1) / 60 = 16.75: nothing fires.
        let rules = default_rules(Span(30 * DAY));
        let mut h = history(thirty_days());
        feed(&mut h, 0, 60, 1, 10_000);
        feed(&mut h, 60, 70, 1000, 10_000);
        assert!(h.pages(Offset(70 * MIN), &rules));
        feed(&mut h, 70, 75, 1, 10_000);
        let now = Offset(75 * MIN);
        assert!(close(h.burn_rate(now, Span(HOUR)).unwrap(), 16.75));
        assert!(close(h.burn_rate(now, Span(5 * MIN)).unwrap(), 0.1));
        assert!(h.evaluate(now, &rules).is_empty());
        assert!(!h.pages(now, &rules));
    }

    #[test]
    fn budget_remaining_and_exhaustion_for_a_constant_burn() {
        // 0.2 % errors against 0.1 % budget: burn rate 2, one increment per 10 minutes.
        // After 3 d: spent 2 × 3 / 30 = 0.2 of the budget, 0.8 left; at burn 2 the rest lasts
        // 0.8 × 30 d / 2 = 12 d.
        let mut h = BurnHistory::new(thirty_days(), Offset::ZERO, Span(MIN));
        let step = 10 * MIN;
        let mut t = 0;
        let mut run_to = |h: &mut BurnHistory, until: i64| {
            while t < until {
                t += step;
                h.record(Offset(t), 20, 10_000);
            }
        };
        run_to(&mut h, 3 * DAY);
        let now = Offset(3 * DAY);
        assert!(close(h.budget_remaining(now).unwrap(), 0.8));
        assert_eq!(h.exhaustion(now, Span(HOUR)), Some(Span(12 * DAY)));

        // After 12 d: 1 − 2 × 12 / 30 = 0.2 left, lasting 0.2 × 30 / 2 = 3 d.
        run_to(&mut h, 12 * DAY);
        let now = Offset(12 * DAY);
        assert!(close(h.budget_remaining(now).unwrap(), 0.2));
        assert_eq!(h.exhaustion(now, Span(HOUR)), Some(Span(3 * DAY)));

        // After 20 d: 1 − 2 × 20 / 30 = −1/3, overspent; no exhaustion time.
        run_to(&mut h, 20 * DAY);
        let now = Offset(20 * DAY);
        assert!(close(h.budget_remaining(now).unwrap(), -1.0 / 3.0));
        assert_eq!(h.exhaustion(now, Span(HOUR)), None);
    }

    #[test]
    fn no_errors_keep_the_whole_budget_and_never_exhaust() {
        let mut h = history(thirty_days());
        feed(&mut h, 0, 120, 0, 500);
        let now = Offset(120 * MIN);
        assert_eq!(h.budget_remaining(now), Some(1.0));
        assert_eq!(h.burn_rate(now, Span(HOUR)), Some(0.0));
        assert_eq!(h.exhaustion(now, Span(HOUR)), None);
    }

    #[test]
    fn the_budget_rolls_with_the_period() {
        // A one-day period at 99.9 %. Burn 2 for the first day, then no errors. At 1.5 d the
        // period is (0.5 d, 1.5 d]: half at burn 2, half at 0 = burn 1 over the whole period,
        // so the budget is exactly spent. At 2 d the bad day has left the period: all left.
        let objective = Objective {
            target: 0.999,
            period: Span(DAY),
        };
        let mut h = history(objective);
        feed(&mut h, 0, 24 * 60, 2, 1000);
        feed(&mut h, 24 * 60, 36 * 60, 0, 1000);
        assert!(close(h.budget_remaining(Offset(36 * HOUR)).unwrap(), 0.0));
        feed(&mut h, 36 * 60, 48 * 60, 0, 1000);
        assert_eq!(h.budget_remaining(Offset(2 * DAY)), Some(1.0));
        // Windows longer than the retained period are not answered.
        assert_eq!(h.burn_rate(Offset(2 * DAY), Span(3 * DAY)), None);
    }

    #[test]
    fn windows_without_data_have_no_burn_rate() {
        let mut h = history(thirty_days());
        assert_eq!(h.burn_rate(Offset(HOUR), Span(HOUR)), None, "empty");
        feed(&mut h, 0, 30, 1, 1000);
        // Half an hour of data does not cover an hour.
        assert_eq!(h.burn_rate(Offset(30 * MIN), Span(HOUR)), None);
        assert!(h.burn_rate(Offset(30 * MIN), Span(5 * MIN)).is_some());
        // The feed stopped at 30 min: by 40 min the 5 m window holds nothing.
        assert_eq!(h.burn_rate(Offset(40 * MIN), Span(5 * MIN)), None);
        // Data but no traffic: nothing burns.
        feed(&mut h, 30, 40, 0, 0);
        assert_eq!(h.burn_rate(Offset(40 * MIN), Span(5 * MIN)), Some(0.0));
        // No usable budget: a 100 % target has none to burn.
        let mut strict = history(Objective {
            target: 1.0,
            period: Span(30 * DAY),
        });
        feed(&mut strict, 0, 10, 1, 1000);
        assert_eq!(strict.burn_rate(Offset(10 * MIN), Span(5 * MIN)), None);
        assert!(close(
            strict.error_ratio(Offset(10 * MIN), Span(5 * MIN)).unwrap(),
            0.001
        ));
    }

    #[test]
    fn finer_increments_merge_and_straddling_slots_are_prorated() {
        // Increments every 10 s, merged into 1-minute slots: ratios are unchanged.
        let mut h = history(thirty_days());
        for i in 1..=6 * 20 {
            // 20 minutes; the last 5 minutes at 1 % (burn 10), before that 0.1 % (burn 1).
            let bad = if i > 6 * 15 { 10 } else { 1 };
            h.record(Offset(i * 10_000), bad, 1000);
        }
        assert_eq!(h.len(), 20);
        let now = Offset(20 * MIN);
        assert!(close(h.burn_rate(now, Span(5 * MIN)).unwrap(), 10.0));
        // A 7.5 m window takes 5 slots at burn 10 and 2.5 slots at burn 1, half of one
        // prorated: (5 × 10 + 2.5 × 1) / 7.5 = 7.
        assert!(close(
            h.burn_rate(now, Span(7 * MIN + 30_000)).unwrap(),
            7.0
        ));
        // Late and early increments: merged into the newest slot, or ignored before start.
        h.record(Offset(19 * MIN), 0, 1000);
        assert_eq!(h.len(), 20);
        let mut fresh = history(thirty_days());
        fresh.record(Offset::ZERO, 5, 5);
        assert!(fresh.is_empty());
        // Bad counts beyond the total are capped.
        fresh.record(Offset(MIN), 9, 3);
        assert_eq!(fresh.error_ratio(Offset(MIN), Span(MIN)), Some(1.0));
    }

    #[test]
    fn memory_stays_bounded() {
        // One-day period, 1-minute resolution, an increment every 10 s for ten days: at most
        // 1440 + 1 slots are ever held, and the oldest is within a day of the newest.
        let objective = Objective {
            target: 0.99,
            period: Span(DAY),
        };
        let mut h = history(objective);
        let mut most = 0;
        for i in 1..=10 * 24 * 360 {
            h.record(Offset(i * 10_000), 1, 100);
            most = most.max(h.len());
        }
        assert!(most <= 1441, "held {most} slots");
        assert!(h.len() >= 1439);
        assert_eq!(h.covered_from(), Offset(9 * DAY));
        // The windows inside the retention still answer.
        let now = Offset(10 * DAY);
        assert!(close(h.burn_rate(now, Span(DAY)).unwrap(), 1.0));
        assert!(close(h.budget_remaining(now).unwrap(), 0.0));

        // A longer retention keeps more, still bounded.
        let mut long = history(objective).with_retention(Span(3 * DAY));
        for i in 1..=6 * 24 * 60 {
            long.record(Offset(i * MIN), 0, 1);
        }
        assert!(long.len() <= 3 * 1440 + 1);
        assert!(long.burn_rate(Offset(6 * DAY), Span(3 * DAY)).is_some());
    }
}
