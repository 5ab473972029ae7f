//! The scenario engine behind `warroom serve` and `warroom demo`: a simulated rollout that
//! publishes the records a real control plane and its monitoring would, and answers commands.
//!
//! Pure: no I/O and no clock. Time comes in as the `now` of [`Scenario::tick`] and
//! [`Scenario::command`], and the same seed with the same calls at the same times gives the
//! same records, byte for byte.
//!
//! The scenario keeps a core [`State`] and applies every record it emits to it (the reducer the
//! consoles run), so its gates, bake clocks and bands are exactly what the consoles show.
//!
//! ```text
//!   T0 ── pre-start sign-offs ── wave 1 ── bake ── sign-offs ── wave 2 ── … ── wave N
//!                                  │                                │
//!              metric samples every sample_interval: each version's level blended by the
//!              traffic share actually on the new version, + the fault's share, + noise
//!                                  │
//!              alerts fire while a band is WARN / CRIT; auto-advance waits for green gates
//! ```

use std::collections::{HashMap, VecDeque};
use std::fmt::Write as _;
use std::io::Cursor;
use std::sync::Arc;

use crate::core::checklist::ItemStatus;
use crate::core::command::Command;
use crate::core::command::{Action, OutcomeKind};
use crate::core::plan::{Direction, GateRef, Plan, SloSpec};
use crate::core::record::{AlertState, Body, Record};
use crate::core::rng::Rng;
use crate::core::sanitize::sanitize;
use crate::core::severity::Severity;
use crate::core::slo::{Band, SloState};
use crate::core::source::{Link, SourceStatus};
use crate::core::state::{Event, State};
use crate::core::time::{Offset, Span};
use crate::core::wave::WaveStatus;
use crate::core::words::{format_value, trim_number};
use crate::format::fixture::{self, FixtureError};

use super::sli::{self, Serving, Totals};

/// Source of what the control plane decides: wave moves, sign-offs, commands and outcomes.
pub const CONTROL_PLANE: &str = "control-plane";
/// Source of what the scenario simulates of the outside world: metric samples and alerts.
pub const SIMULATION: &str = "scenario";

/// Command ids remembered for idempotency; the oldest are forgotten first.
pub const REMEMBERED_COMMANDS: usize = 4096;

/// The flagship fixture; its header is the demo's plan.
const DEMO_FIXTURE: &str = include_str!("../../fixtures/batch-patches-wave3-rollback.jsonl");
const DEMO_FILE: &str = "builtin:batch-patches-wave3-rollback";
/// Bakes of the demo's four waves, in seconds: the whole story runs in a few minutes.
const DEMO_BAKES: [i64; 4] = [40, 60, 60, 60];
const DEMO_INTERVAL: Span = Span::from_secs(2);
/// The demo's error-rate rollback trigger: above 10 % for this long.
const DEMO_TRIGGER_FOR: Span = Span::from_secs(20);
/// The wave that develops the fault, how long after it starts, and how fast it builds.
const DEMO_FAULT_WAVE: &str = "w3";
const DEMO_FAULT_AFTER: Span = Span::from_secs(25);
const DEMO_FAULT_RAMP: Span = Span::from_secs(20);

/// Traffic does not move the instant the router's weights change: connections drain. The
/// share actually on the new version closes about 63 % of the gap every this many seconds.
const DRAIN_SECS: f64 = 2.0;
/// Once the wave that carries the fault is rolled back, the fault's contribution halves every
/// this many seconds (in-flight batches finish) and counts as gone below 1 %.
const FAULT_HALF_LIFE_SECS: f64 = 2.0;
/// Most samples caught up at once after a long gap in ticks; older ones are skipped, and the
/// consoles show the gap as stale data rather than a burst of made-up history.
const MAX_CATCH_UP: i64 = 1000;
/// The internal state's timeline: nobody reads it, the gates and bands are what matter.
const TIMELINE_CAP: usize = 256;

/// How one SLO's samples are made.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Model {
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
struct Fault {
    wave: usize,
    after: Span,
    ramp: Span,
    /// When it starts to show (set when its wave first goes active).
    onset: Option<Offset>,
    /// When its wave was rolled back: from then on it fades out.
    mitigated: Option<Offset>,
}

impl Fault {
    /// Strength at `t`, 0..1.
    fn level(&self, t: Offset) -> f64 {
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
struct Drain {
    from: f64,
    to: f64,
    at: Offset,
}

impl Drain {
    fn settled(share: f64, at: Offset) -> Drain {
        Drain {
            from: share,
            to: share,
            at,
        }
    }

    fn share(&self, t: Offset) -> f64 {
        if t <= self.at {
            return self.from;
        }
        self.to + (self.from - self.to) * (-secs(t.since(self.at)) / DRAIN_SECS).exp()
    }
}

/// Why a command is not carried out.
type Refusal = (OutcomeKind, String);

/// A simulated rollout: see the module documentation.
pub struct Scenario {
    plan: Arc<Plan>,
    /// Every record emitted so far, applied: what the consoles see.
    state: State,
    rng: Rng,
    auto_advance: bool,
    /// Per SLO.
    models: Vec<Model>,
    fault: Option<Fault>,
    drain: Drain,
    /// Everything up to here has been emitted.
    clock: Offset,
    next_sample: Offset,
    /// When the rollout starts by itself (the demo: at T0).
    start_at: Option<Offset>,
    /// The wave whose finished bake has been dealt with (advanced, or a note said why not).
    bake_noted: Option<usize>,
    /// Per SLO: whether its warning and its critical alert are firing.
    firing: Vec<(bool, bool)>,
    /// Per SLO: the newest sample.
    last_values: Vec<Option<f64>>,
    /// Outcomes by command id, for idempotency; `order` bounds the map.
    outcomes: HashMap<Box<str>, (OutcomeKind, Option<Box<str>>)>,
    order: VecDeque<Box<str>>,
    /// SLI counters (old version, new version), integrated up to `totals_at`.
    totals: [Totals; 2],
    totals_at: Offset,
    /// "BatchPatches": alert names start with it.
    alert_prefix: String,
}

impl Scenario {
    /// The built-in demo drawn from the Batch Patches v1.0.0 plan: the flagship fixture's
    /// header (its four canary waves 10/25/50/100 %, SLOs, thresholds and checklist) with the
    /// bakes shortened to 40 s / 60 s / 60 s / 60 s, samples every 2 s and the error-rate
    /// rollback trigger at "above 10 for 20s". Wave 3 (50 %) develops a fault about 25 s
    /// after it starts: the error rate ramps to about 15 % and P95/P99 climb.
    ///
    /// `tick(Offset::ZERO)` signs off the pre-deployment checklist and starts wave 1; waves
    /// advance by themselves once baked with green gates.
    #[must_use]
    pub fn batch_patches_demo(seed: u64) -> Scenario {
        // The header is compiled in and a unit test opens it: a refusal here would mean the
        // binary was built from a broken fixture, which no caller could do anything about.
        Scenario::try_batch_patches_demo(seed)
            .expect("the built-in Batch Patches fixture header is a valid plan")
    }

    /// [`Scenario::batch_patches_demo`], with the (never expected) refusal of the built-in
    /// header as an error instead of a panic.
    ///
    /// # Errors
    /// The compiled-in fixture header is refused.
    pub fn try_batch_patches_demo(seed: u64) -> Result<Scenario, FixtureError> {
        let plan = demo_plan()?;
        let state = State::new(plan.clone(), control_plane_source(), TIMELINE_CAP);
        let models = plan
            .spec
            .slos
            .iter()
            .map(|spec| demo_model(&plan, spec).unwrap_or_else(|| generic_model(spec, None)))
            .collect();
        let fault = plan.wave(DEMO_FAULT_WAVE).map(|wave| Fault {
            wave,
            after: DEMO_FAULT_AFTER,
            ramp: DEMO_FAULT_RAMP,
            onset: None,
            mitigated: None,
        });
        let mut sc = Scenario::with(state, seed, true, models, Offset::ZERO);
        sc.next_sample = Offset::ZERO;
        sc.start_at = Some(Offset::ZERO);
        sc.fault = fault;
        Ok(sc)
    }

    /// A scenario over any plan (a fixture's, say) that carries on from `state`, with no
    /// scripted faults: `warroom serve FIXTURE` uses it once the fixture has played to its end.
    /// Samples continue from the state's newest values (where they are healthy). With
    /// `auto_advance`, waves advance by themselves once baked with green gates, and a rollout
    /// that has not started starts at the first tick.
    #[must_use]
    pub fn from_state(state: &State, seed: u64, auto_advance: bool) -> Scenario {
        let plan = state.plan.clone();
        let clock = if state.now.0 == i64::MIN {
            state.last_record.unwrap_or(Offset::ZERO)
        } else {
            state.now
        };
        let mut models: Vec<Model> = plan
            .spec
            .slos
            .iter()
            .zip(&state.slos)
            .map(|(spec, s)| generic_model(spec, s.last.and_then(|l| l.value)))
            .collect();
        // Error and success rate are two views of the same requests.
        if let (Some(e), Some(s)) = (plan.slo("error_rate"), plan.slo("success_rate")) {
            let (es, ss) = (&plan.spec.slos[e], &plan.spec.slos[s]);
            if es.unit == "%" && ss.unit == "%" && es.baseline.is_none() && ss.baseline.is_none() {
                models[s] = Model::Complement(e);
            }
        }
        let mut sc = Scenario::with(state.clone(), seed, auto_advance, models, clock);
        if auto_advance && sc.state.current_wave().is_none() {
            sc.start_at = Some(clock);
        }
        sc
    }

    fn with(
        state: State,
        seed: u64,
        auto_advance: bool,
        models: Vec<Model>,
        clock: Offset,
    ) -> Scenario {
        let plan = state.plan.clone();
        let interval = plan.spec.sample_interval.0.max(1);
        let ids = |sev: &str| -> Vec<Box<str>> {
            plan.spec
                .slos
                .iter()
                .map(|s| alert_name(&alert_prefix(&plan), s, sev).into_boxed_str())
                .collect()
        };
        let (high, crit) = (ids("High"), ids("Critical"));
        let firing = high
            .iter()
            .zip(&crit)
            .map(|(h, c)| (state.alerts.contains_key(h), state.alerts.contains_key(c)))
            .collect();
        let mut outcomes = HashMap::new();
        let mut order = VecDeque::new();
        for c in &state.commands {
            // The first outcome of an id is the one a retry gets back.
            if let (Some(o), false) = (&c.outcome, outcomes.contains_key(&c.id)) {
                outcomes.insert(c.id.clone(), o.clone());
                order.push_back(c.id.clone());
            }
        }
        let share = share_of(&plan, state.traffic);
        let last_values = state
            .slos
            .iter()
            .map(|s| s.last.and_then(|l| l.value))
            .collect();
        Scenario {
            alert_prefix: alert_prefix(&plan),
            rng: Rng::new(seed),
            auto_advance,
            fault: None,
            drain: Drain::settled(share, clock),
            clock,
            next_sample: Offset((clock.0.div_euclid(interval) + 1).saturating_mul(interval)),
            start_at: None,
            bake_noted: None,
            firing,
            last_values,
            outcomes,
            order,
            totals: [Totals::default(), Totals::default()],
            totals_at: clock,
            models,
            state,
            plan,
        }
    }

    #[must_use]
    pub fn plan(&self) -> &Arc<Plan> {
        &self.plan
    }

    /// The state every emitted record has been applied to.
    #[must_use]
    pub fn state(&self) -> &State {
        &self.state
    }

    /// The scenario's time: everything up to here has been emitted.
    #[must_use]
    pub fn clock(&self) -> Offset {
        self.clock
    }

    /// Everything that happened after the previous call, up to `now`, in time order: metric
    /// samples every `sample_interval`, alerts firing and resolving with the bands, and — with
    /// auto-advance — the go/no-go sign-offs and the move to the next wave once the current
    /// one has baked and its gates are green. A `now` before the scenario's clock is ignored.
    pub fn tick(&mut self, now: Offset) -> Vec<Record> {
        let mut out = Vec::new();
        self.run_to(now, &mut out);
        out
    }

    /// Applies a command at `now` and returns the records to publish, in order: the `command`
    /// record, its `outcome`, then the effects (wave moves, sign-offs, a note). Anything still
    /// due before `now` (as [`Scenario::tick`] would return it) comes first, so the records
    /// stay in time order; callers that tick first get exactly the command's records.
    ///
    /// The same command id again gets only an outcome equal to the first one, and changes
    /// nothing. A command aimed at a wave that is no longer current, or whose action the state
    /// has moved past, is a `conflict` naming the current state; one that cannot apply
    /// (no reason, nothing to resume, the last wave, blocking gates) is `rejected`.
    pub fn command(&mut self, cmd: &Command, now: Offset) -> Vec<Record> {
        let mut out = Vec::new();
        self.run_to(now, &mut out);
        let t = self.clock;
        let id = sanitize(&cmd.id);
        if let Some((result, reason)) = self.outcomes.get(&id).cloned() {
            self.emit(
                t,
                CONTROL_PLANE,
                Body::Outcome { id, result, reason },
                &mut out,
            );
            return out;
        }
        let by = Some(sanitize(cmd.actor.trim())).filter(|b| !b.is_empty());
        let reason = cmd
            .reason
            .as_deref()
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(sanitize);
        let named = cmd.wave.as_deref().map(|w| (w, self.plan.wave(w)));
        self.emit(
            t,
            CONTROL_PLANE,
            Body::Command {
                id: id.clone(),
                action: cmd.action,
                by: by.clone(),
                reason: reason.clone(),
                wave: named.and_then(|(_, w)| w),
            },
            &mut out,
        );
        let verdict = self.judge(cmd, named);
        let (result, why) = match &verdict {
            Ok(()) => (OutcomeKind::Accepted, None),
            Err((kind, why)) => (*kind, Some(sanitize(why))),
        };
        self.emit(
            t,
            CONTROL_PLANE,
            Body::Outcome {
                id: id.clone(),
                result,
                reason: why.clone(),
            },
            &mut out,
        );
        if !id.is_empty() {
            self.remember(id, result, why);
        }
        if verdict.is_ok() {
            self.carry_out(cmd.action, t, by, reason, &mut out);
        }
        out
    }

    /// The Prometheus text exposition (v0.0.4) of the simulated SLIs: per-version request and
    /// error counters, the latency histogram, the router's traffic split and each SLO's newest
    /// sample. Counters run up to the scenario's clock (at most `now`): tick first to count
    /// up to `now`. They never go back.
    #[must_use]
    pub fn metrics_text(&self, now: Offset) -> String {
        let upto = now.min(self.clock).max(self.totals_at);
        let mut totals = self.totals.clone();
        sli::integrate(&mut totals, self.totals_at, upto, |t| self.serving(t));
        let new = share_of(&self.plan, self.state.traffic);
        let p = &self.plan.spec;
        let series = [
            sli::Series {
                version: &p.from,
                totals: &totals[0],
                share: 1.0 - new,
            },
            sli::Series {
                version: &p.to,
                totals: &totals[1],
                share: new,
            },
        ];
        let slos: Vec<(&str, f64)> = p
            .slos
            .iter()
            .zip(&self.last_values)
            .filter_map(|(s, v)| v.map(|v| (s.id.as_str(), v)))
            .collect();
        sli::exposition(&series, &slos)
    }

    /// Moves the clock to `now`, emitting what falls due on the way, in time order.
    fn run_to(&mut self, now: Offset, out: &mut Vec<Record>) {
        if now < self.clock {
            return;
        }
        let interval = self.plan.spec.sample_interval.0.max(1);
        let behind = now.0.saturating_sub(self.next_sample.0) / interval;
        if behind > MAX_CATCH_UP {
            let skip = (behind - MAX_CATCH_UP).saturating_mul(interval);
            self.next_sample = Offset(self.next_sample.0.saturating_add(skip));
        }
        loop {
            let due = [self.start_at, Some(self.next_sample), self.bake_due()]
                .into_iter()
                .flatten()
                .min();
            let Some(t) = due.filter(|t| *t <= now) else {
                break;
            };
            self.integrate_to(t);
            self.clock = t;
            self.state.apply(Event::Clock(t));
            if self.start_at.is_some_and(|s| s <= t) {
                self.start_at = None;
                self.start(t, out);
            }
            if self.next_sample <= t {
                self.next_sample = Offset(t.0.saturating_add(interval));
                self.sample(t, out);
            }
            self.consider_advance(t, out);
        }
        self.integrate_to(now);
        self.clock = now;
        self.state.apply(Event::Clock(now));
    }

    /// When the current wave's bake completes, while that is still news.
    fn bake_due(&self) -> Option<Offset> {
        let w = self.state.current_wave()?;
        if self.bake_noted == Some(w) || self.state.waves[w].status != WaveStatus::Active {
            return None;
        }
        let bake = self.plan.spec.waves[w].bake?;
        let left = bake
            .0
            .saturating_sub(self.state.waves[w].baked(self.clock).0);
        Some(Offset(self.clock.0.saturating_add(left.max(0))))
    }

    /// The automatic start (the demo's T0): sign-offs, then wave 1.
    fn start(&mut self, t: Offset, out: &mut Vec<Record>) {
        if self.state.current_wave().is_some() {
            return;
        }
        let blockers = self.blockers();
        if blockers.is_empty() {
            self.advance(t, None, None, out);
        } else {
            let text = format!("Not starting: {}", blockers.join("; "));
            self.note(t, &text, out);
        }
    }

    /// After the current wave's bake: advance when allowed and green, or say why not (once).
    fn consider_advance(&mut self, t: Offset, out: &mut Vec<Record>) {
        let Some(w) = self.state.current_wave() else {
            return;
        };
        if self.state.waves[w].status != WaveStatus::Active {
            return;
        }
        let Some(bake) = self.plan.spec.waves[w].bake else {
            return;
        };
        if self.state.waves[w].baked(t) < bake {
            return;
        }
        let news = self.bake_noted != Some(w);
        self.bake_noted = Some(w);
        let blockers = self.blockers();
        let label = self.state.wave_label(w);
        if self.auto_advance && blockers.is_empty() {
            let last = w + 1 == self.plan.spec.waves.len();
            let text = if last {
                format!("bake {bake} done, gates green: rollout complete")
            } else {
                format!("bake {bake} done, gates green")
            };
            self.advance(t, None, Some(text.into()), out);
        } else if news {
            let text = match (self.auto_advance, blockers.is_empty()) {
                (true, _) => format!(
                    "{label} bake {bake} done; holding, gates block: {}",
                    blockers.join("; ")
                ),
                (false, true) => format!("{label} bake {bake} done; gates green, ready to advance"),
                (false, false) => format!(
                    "{label} bake {bake} done; gates block: {}",
                    blockers.join("; ")
                ),
            };
            self.note(t, &text, out);
        }
    }

    /// Sign-offs of what the gates ask, the current wave passed, the next one active (or, on
    /// the last wave, the rollout complete).
    fn advance(
        &mut self,
        t: Offset,
        by: Option<Box<str>>,
        text: Option<Box<str>>,
        out: &mut Vec<Record>,
    ) {
        for (section, item) in self.signoffs() {
            let owner = self.plan.spec.checklist[section].items[item]
                .owner
                .as_deref()
                .map(Box::from);
            self.emit(
                t,
                CONTROL_PLANE,
                Body::Check {
                    section,
                    item,
                    state: ItemStatus::Done,
                    by: owner,
                    text: None,
                },
                out,
            );
        }
        let next = match self.state.current_wave() {
            None => Some(0),
            Some(w) => {
                self.emit(
                    t,
                    CONTROL_PLANE,
                    Body::Wave {
                        wave: w,
                        state: WaveStatus::Passed,
                        traffic: None,
                        by: by.clone(),
                        text,
                    },
                    out,
                );
                Some(w + 1).filter(|n| *n < self.plan.spec.waves.len())
            }
        };
        if let Some(n) = next {
            let spec = &self.plan.spec.waves[n];
            let mut text = format!(
                "{} → {}",
                self.state.traffic_label(self.state.traffic),
                self.state.traffic_label(spec.traffic)
            );
            if let Some(target) = &spec.target {
                let _ = write!(text, ": {target}");
            }
            let traffic = Some(spec.traffic);
            self.emit(
                t,
                CONTROL_PLANE,
                Body::Wave {
                    wave: n,
                    state: WaveStatus::Active,
                    traffic,
                    by,
                    text: Some(text.into()),
                },
                out,
            );
        }
    }

    /// The open checklist items standing between here and the next wave, which the
    /// scenario's people sign off just before it moves: the pre-deployment items before the
    /// start, the current wave's go/no-go items after it. Failed items stay failed.
    fn signoffs(&self) -> Vec<(usize, usize)> {
        let plan = &self.plan;
        let items = &self.state.checklist.items;
        let open = |s: usize, i: usize| items[s][i].status == ItemStatus::Open;
        let mut out = Vec::new();
        match self.state.current_wave() {
            None => {
                for (s, sec) in items.iter().enumerate() {
                    for i in 0..sec.len() {
                        if plan.gate_wave(s, i).is_none() && open(s, i) {
                            out.push((s, i));
                        }
                    }
                }
            }
            Some(w) => {
                for g in &plan.gates[w] {
                    let cells: Vec<(usize, usize)> = match *g {
                        GateRef::Item(s, i) => vec![(s, i)],
                        GateRef::Section(s) => (0..items[s].len()).map(|i| (s, i)).collect(),
                        GateRef::Slo { .. } | GateRef::Alerts(_) | GateRef::Burn(_) => Vec::new(),
                    };
                    for (s, i) in cells {
                        if open(s, i) && !out.contains(&(s, i)) {
                            out.push((s, i));
                        }
                    }
                }
            }
        }
        out
    }

    /// What blocks the next move once the open items are signed off: metric and alert gates
    /// that are not green, and checklist gates holding a failed item. "label (why)" each.
    fn blockers(&self) -> Vec<String> {
        let plan = &self.plan.spec;
        let items = &self.state.checklist.items;
        let failed = |s: usize, i: usize| items[s][i].status == ItemStatus::Failed;
        let Some(w) = self.state.current_wave() else {
            let mut out = Vec::new();
            for (s, sec) in plan.checklist.iter().enumerate() {
                for (i, item) in sec.items.iter().enumerate() {
                    if item.required && self.plan.gate_wave(s, i).is_none() && failed(s, i) {
                        out.push(format!("pre-deployment item {:?} FAILED", item.text));
                    }
                }
            }
            return out;
        };
        self.state
            .next_gates()
            .into_iter()
            .zip(&self.plan.gates[w])
            .filter(|(r, g)| {
                !r.green
                    && match **g {
                        GateRef::Slo { .. } | GateRef::Alerts(_) | GateRef::Burn(_) => true,
                        GateRef::Item(s, i) => failed(s, i),
                        GateRef::Section(s) => plan.checklist[s]
                            .items
                            .iter()
                            .enumerate()
                            .any(|(i, it)| it.required && failed(s, i)),
                    }
            })
            .map(|(r, _)| match r.why {
                Some(why) => format!("{} ({why})", r.label),
                None => r.label,
            })
            .collect()
    }

    /// Whether `cmd` may be carried out now, or why not.
    fn judge(&self, cmd: &Command, named: Option<(&str, Option<usize>)>) -> Result<(), Refusal> {
        use OutcomeKind::{Conflict, Rejected};
        if cmd.id.trim().is_empty() {
            return Err((Rejected, "a command needs an id".into()));
        }
        cmd.validate().map_err(|e| (Rejected, e))?;
        let plan = &self.plan.spec;
        let cur = self.state.current_wave();
        if let Some((name, index)) = named {
            let Some(w) = index else {
                return Err((Rejected, format!("no wave {name:?} in the plan")));
            };
            if Some(w) != cur {
                let named_state = self.state.waves[w].status;
                let head = if named_state == WaveStatus::Pending {
                    format!("wave {name} has not started")
                } else {
                    format!("wave {name} is now {}", wire(named_state))
                };
                return Err((
                    Conflict,
                    match cur {
                        None => format!("{head}; the rollout has not started"),
                        Some(c) => format!(
                            "{head}; current wave is {} ({})",
                            plan.waves[c].id,
                            wire(self.state.waves[c].status)
                        ),
                    },
                ));
            }
        }
        let Some(c) = cur else {
            return match cmd.action {
                Action::Note => Ok(()),
                Action::Advance => {
                    let b = self.blockers();
                    if b.is_empty() {
                        Ok(())
                    } else {
                        Err((Rejected, format!("gates block: {}", b.join("; "))))
                    }
                }
                Action::Rollback => Err((
                    Rejected,
                    "nothing is on the new version: the rollout has not started".into(),
                )),
                Action::Pause | Action::Resume => {
                    Err((Rejected, "the rollout has not started".into()))
                }
            };
        };
        let st = self.state.waves[c].status;
        let id = &plan.waves[c].id;
        let moved = || (Conflict, format!("wave {id} is now {}", wire(st)));
        match cmd.action {
            Action::Note => Ok(()),
            Action::Pause => match st {
                WaveStatus::Active => Ok(()),
                WaveStatus::Paused => Err((Conflict, format!("wave {id} is already paused"))),
                _ => Err(moved()),
            },
            Action::Resume => match st {
                WaveStatus::Paused => Ok(()),
                _ => Err((Rejected, format!("wave {id} is {}, not paused", wire(st)))),
            },
            Action::Advance => match st {
                WaveStatus::Active if c + 1 == plan.waves.len() => Err((
                    Rejected,
                    format!("wave {id} is the last wave: there is nothing to advance to"),
                )),
                WaveStatus::Active => {
                    let b = self.blockers();
                    if b.is_empty() {
                        Ok(())
                    } else {
                        Err((Rejected, format!("gates block: {}", b.join("; "))))
                    }
                }
                WaveStatus::Paused => Err((
                    Rejected,
                    format!("wave {id} is paused: resume it before advancing"),
                )),
                _ => Err(moved()),
            },
            Action::Rollback => match st {
                WaveStatus::RolledBack | WaveStatus::Failed => Err(moved()),
                _ if self.state.traffic <= 0.0 => Err((
                    Rejected,
                    format!(
                        "nothing is on the new version (traffic {})",
                        self.state.traffic_label(self.state.traffic)
                    ),
                )),
                _ => Ok(()),
            },
        }
    }

    /// The effects of an accepted command.
    fn carry_out(
        &mut self,
        action: Action,
        t: Offset,
        by: Option<Box<str>>,
        reason: Option<Box<str>>,
        out: &mut Vec<Record>,
    ) {
        let Some(w) = self.state.current_wave() else {
            match action {
                Action::Note => self.note_by(t, by, reason, out),
                Action::Advance => self.advance(t, by, reason, out),
                Action::Pause | Action::Resume | Action::Rollback => {}
            }
            return;
        };
        let (state, traffic) = match action {
            Action::Note => return self.note_by(t, by, reason, out),
            Action::Advance => return self.advance(t, by, reason, out),
            Action::Pause => (WaveStatus::Paused, None),
            Action::Resume => (WaveStatus::Active, None),
            Action::Rollback => {
                if let Some(f) = &mut self.fault {
                    f.mitigated.get_or_insert(t);
                }
                (WaveStatus::RolledBack, Some(0.0))
            }
        };
        let body = Body::Wave {
            wave: w,
            state,
            traffic,
            by,
            text: reason,
        };
        self.emit(t, CONTROL_PLANE, body, out);
    }

    fn note_by(
        &mut self,
        t: Offset,
        by: Option<Box<str>>,
        text: Option<Box<str>>,
        out: &mut Vec<Record>,
    ) {
        let text = text.unwrap_or_default();
        self.emit(t, CONTROL_PLANE, Body::Note { by, text }, out);
    }

    fn remember(&mut self, id: Box<str>, result: OutcomeKind, reason: Option<Box<str>>) {
        if self.order.len() == REMEMBERED_COMMANDS {
            if let Some(old) = self.order.pop_front() {
                self.outcomes.remove(&old);
            }
        }
        self.order.push_back(id.clone());
        self.outcomes.insert(id, (result, reason));
    }

    /// One sample of every SLO at `t`, then the alerts that follow from the new bands.
    fn sample(&mut self, t: Offset, out: &mut Vec<Record>) {
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
    fn alerts(&mut self, t: Offset, out: &mut Vec<Record>) {
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
    fn alert_summary(&self, slo: usize, severity: Severity, state: AlertState) -> String {
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

    fn note(&mut self, t: Offset, text: &str, out: &mut Vec<Record>) {
        self.note_by(t, None, Some(sanitize(text)), out);
    }

    /// Publishes a record: applies it to the state and follows its effect on the traffic.
    fn emit(&mut self, t: Offset, source: &str, body: Body, out: &mut Vec<Record>) {
        if let (
            Some(f),
            Body::Wave {
                wave,
                state: WaveStatus::Active,
                ..
            },
        ) = (&mut self.fault, &body)
        {
            if *wave == f.wave && f.onset.is_none() {
                f.onset = Some(t.saturating_add(f.after));
            }
        }
        let record = Record {
            t,
            source: Some(source.into()),
            body,
        };
        let before = self.state.traffic;
        self.state.apply(Event::Record(record.clone()));
        if (self.state.traffic - before).abs() > f64::EPSILON {
            self.drain = Drain {
                from: self.drain.share(t),
                to: share_of(&self.plan, self.state.traffic),
                at: t,
            };
        }
        out.push(record);
    }

    fn fault_level(&self, t: Offset) -> f64 {
        self.fault.map_or(0.0, |f| f.level(t))
    }

    /// How each version serves at `t` (old first), for the SLI counters.
    fn serving(&self, t: Offset) -> [Serving; 2] {
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

    fn integrate_to(&mut self, t: Offset) {
        if t <= self.totals_at {
            return;
        }
        let mut totals = std::mem::take(&mut self.totals);
        sli::integrate(&mut totals, self.totals_at, t, |at| self.serving(at));
        self.totals = totals;
        self.totals_at = t;
    }
}

/// The demo's plan: the flagship fixture's header with its bakes, sampling and error-rate
/// trigger shortened to minutes.
fn demo_plan() -> Result<Arc<Plan>, FixtureError> {
    let reader = fixture::open(DEMO_FILE, Cursor::new(DEMO_FIXTURE.as_bytes()))?;
    let mut plan = reader.fixture().plan.spec.clone();
    for (w, secs) in plan.waves.iter_mut().zip(DEMO_BAKES) {
        w.bake = Some(Span::from_secs(secs));
    }
    plan.sample_interval = DEMO_INTERVAL;
    for s in plan.slos.iter_mut().filter(|s| s.id == "error_rate") {
        for t in &mut s.triggers {
            t.for_ = DEMO_TRIGGER_FOR;
        }
    }
    Plan::new(plan).map(Arc::new).map_err(|e| FixtureError {
        file: DEMO_FILE.into(),
        line: 0,
        column: 0,
        message: format!("demo plan: {e}"),
    })
}

/// The demo's SLIs, by SLO id: legacy and v1.0.0 levels near the fixture's, and the fault's
/// weight on v1.0.0 (at 50 % that is about 15 % errors, P95 ~720 ms, P99 ~1.2 s).
fn demo_model(plan: &Plan, spec: &SloSpec) -> Option<Model> {
    let level = |old, new, fault, noise_abs, noise_rel| Model::Level {
        old,
        new,
        fault,
        noise_abs,
        noise_rel,
        integer: false,
        percent: false,
    };
    Some(match spec.id.as_str() {
        "error_rate" => Model::Level {
            old: 1.6,
            new: 1.5,
            fault: 27.0,
            noise_abs: 0.12,
            noise_rel: 0.03,
            integer: false,
            percent: true,
        },
        "success_rate" => Model::Complement(plan.slo("error_rate")?),
        "p95_latency" => level(310.0, 322.0, 800.0, 8.0, 0.02),
        "p99_latency" => level(405.0, 425.0, 1500.0, 12.0, 0.03),
        "memory" => level(118.0, 124.0, 30.0, 1.0, 0.0),
        "cpu" => level(35.0, 37.0, 14.0, 0.8, 0.0),
        "invariant_violations" => Model::Level {
            old: 0.0,
            new: 0.0,
            fault: 14.0,
            noise_abs: 0.0,
            noise_rel: 0.15,
            integer: true,
            percent: false,
        },
        _ => return None,
    })
}

/// A healthy, steady level for any SLO: its newest value when that is PASS, else a quarter of
/// the way from the target away from the warning line. Both versions alike, no fault.
fn generic_model(spec: &SloSpec, last: Option<f64>) -> Model {
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

fn control_plane_source() -> SourceStatus {
    SourceStatus {
        name: CONTROL_PLANE.into(),
        link: Link::Connected,
    }
}

/// The traffic figure as a share of the whole, 0..1.
fn share_of(plan: &Plan, traffic: f64) -> f64 {
    let full = if plan.spec.traffic_unit.is_none() {
        100.0
    } else {
        plan.spec
            .waves
            .iter()
            .map(|w| w.traffic)
            .fold(0.0, f64::max)
    };
    if full <= 0.0 {
        0.0
    } else {
        (traffic / full).clamp(0.0, 1.0)
    }
}

/// `BatchPatches` from `batch-patches`.
fn alert_prefix(plan: &Plan) -> String {
    camel(&plan.spec.service)
}

/// `BatchPatchesErrorRateCritical`.
fn alert_name(prefix: &str, spec: &SloSpec, suffix: &str) -> String {
    format!("{prefix}{}{suffix}", camel(&spec.name))
}

fn camel(text: &str) -> String {
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

/// A wave state as the wire spells it (`rolled_back`).
fn wire(s: WaveStatus) -> &'static str {
    match s {
        WaveStatus::Pending => "pending",
        WaveStatus::Active => "active",
        WaveStatus::Paused => "paused",
        WaveStatus::Passed => "passed",
        WaveStatus::Failed => "failed",
        WaveStatus::RolledBack => "rolled_back",
    }
}

fn secs(s: Span) -> f64 {
    s.0 as f64 / 1000.0
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::core::status::Status;
    use crate::format::encode;

    const IC: &str = "Maya Chen (Incident Commander)";

    fn observe(plan: &Arc<Plan>, records: &[Record]) -> State {
        let mut s = State::new(
            plan.clone(),
            SourceStatus {
                name: "test".into(),
                link: Link::Connected,
            },
            1000,
        );
        for r in records {
            s.apply(Event::Record(r.clone()));
        }
        s
    }

    /// Ticks every second from `from` to `to` (inclusive), collecting the records.
    fn run(sc: &mut Scenario, from: i64, to: i64, out: &mut Vec<Record>) {
        for s in from..=to {
            out.extend(sc.tick(Offset::from_secs(s)));
        }
    }

    fn cmd(id: &str, action: Action, wave: Option<&str>, reason: Option<&str>) -> Command {
        Command {
            id: id.into(),
            action,
            actor: IC.into(),
            reason: reason.map(Into::into),
            wave: wave.map(Into::into),
        }
    }

    fn at(s: i64) -> Offset {
        Offset::from_secs(s)
    }

    fn samples(plan: &Plan, records: &[Record], slo: &str) -> Vec<(Offset, f64)> {
        let i = plan.slo(slo).unwrap();
        records
            .iter()
            .filter_map(|r| match r.body {
                Body::Metric { slo, value } if slo == i => Some((r.t, value.unwrap())),
                _ => None,
            })
            .collect()
    }

    fn wave_moves(records: &[Record]) -> Vec<(Offset, usize, WaveStatus)> {
        records
            .iter()
            .filter_map(|r| match r.body {
                Body::Wave { wave, state, .. } => Some((r.t, wave, state)),
                _ => None,
            })
            .collect()
    }

    fn outcome(records: &[Record]) -> (OutcomeKind, Option<String>) {
        records
            .iter()
            .find_map(|r| match &r.body {
                Body::Outcome { result, reason, .. } => {
                    Some((*result, reason.as_deref().map(String::from)))
                }
                _ => None,
            })
            .unwrap()
    }

    fn statuses(s: &State) -> Vec<WaveStatus> {
        s.waves.iter().map(|w| w.status).collect()
    }

    fn timeline(s: &State) -> Vec<String> {
        (0..s.timeline.len())
            .filter_map(|i| s.timeline.get(i))
            .map(|e| e.text.to_string())
            .collect()
    }

    /// The demo up to `to` seconds, ticked every second.
    fn demo_to(seed: u64, to: i64) -> (Scenario, Vec<Record>) {
        let mut sc = Scenario::batch_patches_demo(seed);
        let mut recs = Vec::new();
        run(&mut sc, 0, to, &mut recs);
        (sc, recs)
    }

    #[test]
    fn the_demo_plan_is_the_flagship_header_with_short_bakes() {
        let plan = demo_plan().unwrap();
        let p = &plan.spec;
        assert_eq!(p.id, "batch-patches-v1.0.0");
        assert_eq!(
            p.t0,
            crate::core::time::Epoch::parse("2025-02-03T17:00:00Z").unwrap()
        );
        let traffic: Vec<f64> = p.waves.iter().map(|w| w.traffic).collect();
        assert_eq!(traffic, [10.0, 25.0, 50.0, 100.0]);
        let bakes: Vec<Option<Span>> = p.waves.iter().map(|w| w.bake).collect();
        assert_eq!(bakes, DEMO_BAKES.map(|s| Some(Span::from_secs(s))).to_vec());
        assert_eq!(p.sample_interval, Span::from_secs(2));
        let er = &p.slos[plan.slo("error_rate").unwrap()];
        assert_eq!((er.warning, er.critical), (5.0, 10.0));
        assert_eq!(er.triggers[0].above, Some(10.0));
        assert_eq!(er.triggers[0].for_, Span::from_secs(20));
        assert_eq!(p.waves[2].gates[2].label, "Error rate < 5%");
        assert_eq!(plan.item("w1_alarm_tests"), Some((4, 0)));
        assert_eq!(p.slos.len(), 7);
    }

    #[test]
    fn the_demo_advances_to_wave_3_where_the_fault_holds_it() {
        let (sc, recs) = demo_to(42, 240);
        let plan = sc.plan().clone();
        assert!(recs.windows(2).all(|w| w[0].t <= w[1].t), "time order");
        // The pre-deployment sign-offs come first, then wave 1 at T0.
        let first_wave = recs
            .iter()
            .position(|r| matches!(r.body, Body::Wave { .. }))
            .unwrap();
        assert!(first_wave > 0);
        assert!(recs[..first_wave].iter().all(|r| r.t == Offset::ZERO
            && matches!(
                r.body,
                Body::Check {
                    state: ItemStatus::Done,
                    ..
                }
            )));
        assert_eq!(
            wave_moves(&recs),
            [
                (at(0), 0, WaveStatus::Active),
                (at(40), 0, WaveStatus::Passed),
                (at(40), 1, WaveStatus::Active),
                (at(100), 1, WaveStatus::Passed),
                (at(100), 2, WaveStatus::Active),
            ]
        );
        // The go/no-go items are ticked just before each move, by their owners.
        let (s, i) = plan.item("w1_alarm_tests").unwrap();
        let tick = recs
            .iter()
            .position(|r| {
                matches!(&r.body, Body::Check { section, item, by, .. }
                if (*section, *item) == (s, i) && by.as_deref() == Some("Development Lead"))
            })
            .unwrap();
        assert_eq!(recs[tick].t, at(40));
        assert!(matches!(
            recs[tick + 2].body,
            Body::Wave {
                wave: 0,
                state: WaveStatus::Passed,
                ..
            }
        ));

        let state = observe(&plan, &recs);
        assert_eq!(
            statuses(&state),
            [
                WaveStatus::Passed,
                WaveStatus::Passed,
                WaveStatus::Active,
                WaveStatus::Pending
            ],
            "wave 4 must not start while the gates block"
        );
        assert!((state.traffic - 50.0).abs() < 1e-9);

        // Samples every 2 s; healthy until the fault shows ~25 s into wave 3 (T+100s).
        let errors = samples(&plan, &recs, "error_rate");
        assert_eq!(errors.len(), 121);
        assert!(errors
            .iter()
            .filter(|(t, _)| *t < at(125))
            .all(|(_, v)| *v < 3.0));
        let first_bad = errors.iter().find(|(_, v)| *v > 5.0).unwrap().0;
        assert!((at(125)..=at(140)).contains(&first_bad), "{first_bad:?}");
        let peak = errors.iter().map(|x| x.1).fold(0.0, f64::max);
        assert!((13.5..=17.0).contains(&peak), "peak error rate {peak}");
        for (slo, calm, climbed) in [("p95_latency", 400.0, 600.0), ("p99_latency", 520.0, 800.0)] {
            let v = samples(&plan, &recs, slo);
            assert!(
                v.iter()
                    .filter(|(t, _)| *t < at(125))
                    .all(|(_, v)| *v < calm),
                "{slo}"
            );
            assert!(v.iter().any(|(_, v)| *v > climbed), "{slo} climbs");
        }
        let success = samples(&plan, &recs, "success_rate");
        assert!(success
            .iter()
            .zip(&errors)
            .all(|(s, e)| (s.1 + e.1 - 100.0).abs() < 1e-9));

        let er = plan.slo("error_rate").unwrap();
        assert_eq!(state.slos[er].band(), Band::Crit);
        assert!(state.slos[er].breaches[0].fired, "rollback trigger fired");
        let lines = timeline(&state);
        assert!(
            lines
                .iter()
                .any(|l| l.contains("ROLLBACK TRIGGER FIRED: Error Rate above 10% for 20s")),
            "{lines:#?}"
        );
        assert!(state.alerts.contains_key("BatchPatchesErrorRateCritical"));
        assert!(state.alerts.contains_key("BatchPatchesErrorRateHigh"));
        assert_eq!(state.status, Status::Critical);
        let gates = state.next_gates();
        for label in ["Zero CRITICAL alerts", "Error rate < 5%"] {
            assert!(
                gates.iter().any(|g| g.label == label && !g.green),
                "{gates:#?}"
            );
        }
        // Its bake done, wave 3 holds and says why, once.
        let holds: Vec<&Record> = recs
            .iter()
            .filter(|r| matches!(&r.body, Body::Note { text, .. } if text.contains("holding")))
            .collect();
        assert_eq!(holds.len(), 1);
        assert_eq!(holds[0].t, at(160));
        assert!(
            matches!(&holds[0].body, Body::Note { text, .. } if text.contains("Error rate < 5% (Error Rate CRIT)")),
            "{:?}",
            holds[0]
        );
        // Wave 3's go/no-go items were not signed off.
        let (s, i) = plan.item("w3_metrics_stable").unwrap();
        assert_eq!(state.checklist.items[s][i].status, ItemStatus::Open);
        // Metrics from the simulation, everything else from the control plane.
        assert!(recs.iter().all(|r| {
            let simulated = matches!(r.body, Body::Metric { .. } | Body::Alert { .. });
            r.source.as_deref() == Some(if simulated { SIMULATION } else { CONTROL_PLANE })
        }));
        // The scenario's own state is what an observer of its records sees.
        assert_eq!(statuses(sc.state()), statuses(&state));
        assert_eq!(sc.state().slos[er].band(), Band::Crit);
    }

    #[test]
    fn rollback_during_the_fault_recovers_the_error_rate() {
        let (mut sc, mut recs) = demo_to(42, 170);
        let plan = sc.plan().clone();
        let er = plan.slo("error_rate").unwrap();
        assert_eq!(observe(&plan, &recs).slos[er].band(), Band::Crit);
        let out = sc.command(
            &cmd(
                "rb-1",
                Action::Rollback,
                Some("w3"),
                Some("Error rate > 10% for 20s: disable feature flag batch-patches-v1"),
            ),
            at(170),
        );
        assert_eq!(out.len(), 3, "{out:#?}");
        assert!(out.iter().all(|r| r.t == at(170)));
        assert!(
            matches!(&out[0].body, Body::Command { id, action: Action::Rollback, wave: Some(2), by, .. }
            if &**id == "rb-1" && by.as_deref() == Some(IC))
        );
        assert_eq!(
            out[1].body,
            Body::Outcome {
                id: "rb-1".into(),
                result: OutcomeKind::Accepted,
                reason: None
            }
        );
        assert!(matches!(
            out[2].body,
            Body::Wave { wave: 2, state: WaveStatus::RolledBack, traffic: Some(t), .. } if t == 0.0
        ));
        recs.extend(out);
        run(&mut sc, 171, 240, &mut recs);

        let after: Vec<f64> = samples(&plan, &recs, "error_rate")
            .into_iter()
            .filter(|(t, _)| *t > at(170))
            .map(|(_, v)| v)
            .collect();
        let back = after.iter().position(|v| *v < 5.0).unwrap();
        assert!(
            back < 10,
            "back under the warning line after {back} samples: {after:?}"
        );
        assert!(after[back..].iter().all(|v| *v < 5.0), "{after:?}");
        assert!(
            after[after.len() - 5..].iter().all(|v| *v < 2.5),
            "{after:?}"
        );

        let state = observe(&plan, &recs);
        assert_eq!(state.waves[2].status, WaveStatus::RolledBack);
        assert!(state.traffic.abs() < 1e-12);
        assert_eq!(state.waves[3].status, WaveStatus::Pending);
        assert_eq!(state.status, Status::RolledBack);
        assert_eq!(state.slos[er].band(), Band::Pass);
        assert!(!state.slos[er].breaches[0].fired);
        assert_eq!(
            state.firing(Severity::Warning),
            0,
            "{:?}",
            state.alerts.keys()
        );
        assert!(recs.iter().any(|r| matches!(&r.body,
            Body::Alert { name, state: AlertState::Resolved, .. } if &**name == "BatchPatchesErrorRateCritical")));
    }

    #[test]
    fn the_same_command_id_twice_has_one_effect_and_the_same_outcome() {
        let (mut sc, _) = demo_to(3, 10);
        let c = cmd("adv-1", Action::Advance, Some("w1"), Some("all green, go"));
        let first = sc.command(&c, at(10));
        let kinds: Vec<&str> = first
            .iter()
            .map(|r| match r.body {
                Body::Command { .. } => "command",
                Body::Outcome { .. } => "outcome",
                Body::Check { .. } => "check",
                Body::Wave { .. } => "wave",
                _ => "other",
            })
            .collect();
        assert_eq!(
            kinds,
            ["command", "outcome", "check", "check", "wave", "wave"]
        );
        assert_eq!(outcome(&first), (OutcomeKind::Accepted, None));
        assert_eq!(
            wave_moves(&first),
            [
                (at(10), 0, WaveStatus::Passed),
                (at(10), 1, WaveStatus::Active)
            ]
        );
        let before = statuses(sc.state());

        let again = sc.command(&c, at(10));
        assert_eq!(again.len(), 1);
        assert_eq!(again[0].body, first[1].body);
        // Later, too (after the ticks in between), and however the retry is worded.
        sc.tick(at(30));
        let mut retry = c.clone();
        retry.reason = Some("retrying".into());
        let later = sc.command(&retry, at(30));
        assert_eq!(later.len(), 1);
        assert_eq!(later[0].body, first[1].body);
        assert_eq!(later[0].t, at(30));
        assert_eq!(statuses(sc.state()), before);
        assert!((sc.state().traffic - 25.0).abs() < 1e-9);

        // A refusal is remembered as well.
        let bad = cmd("p-1", Action::Pause, None, None);
        let no = sc.command(&bad, at(30));
        let no_again = sc.command(&bad, at(30));
        assert_eq!(no_again.len(), 1);
        assert_eq!(outcome(&no), outcome(&no_again));
        assert_eq!(outcome(&no).0, OutcomeKind::Rejected);
    }

    #[test]
    fn of_two_advances_aimed_at_the_same_wave_the_second_conflicts() {
        let (mut sc, _) = demo_to(5, 10);
        let a = sc.command(&cmd("a", Action::Advance, Some("w1"), None), at(10));
        let b = sc.command(&cmd("b", Action::Advance, Some("w1"), None), at(10));
        assert_eq!(outcome(&a), (OutcomeKind::Accepted, None));
        let (kind, reason) = outcome(&b);
        assert_eq!(kind, OutcomeKind::Conflict);
        assert_eq!(
            reason.as_deref(),
            Some("wave w1 is now passed; current wave is w2 (active)")
        );
        assert_eq!(b.len(), 2, "a conflict changes nothing: {b:#?}");
        assert_eq!(sc.state().current_wave(), Some(1));
        // A command aimed at a wave that has not started conflicts too.
        let c = sc.command(&cmd("c", Action::Pause, Some("w3"), Some("hold")), at(10));
        assert_eq!(
            outcome(&c),
            (
                OutcomeKind::Conflict,
                Some("wave w3 has not started; current wave is w2 (active)".into())
            )
        );
    }

    #[test]
    fn pause_stops_the_bake_clock_and_resume_continues_it() {
        let (mut sc, _) = demo_to(9, 20);
        let plan = sc.plan().clone();
        let p = sc.command(
            &cmd(
                "p",
                Action::Pause,
                Some("w1"),
                Some("DB team checking locks"),
            ),
            at(20),
        );
        assert_eq!(outcome(&p).0, OutcomeKind::Accepted);
        assert_eq!(wave_moves(&p), [(at(20), 0, WaveStatus::Paused)]);
        assert!(
            matches!(&p[2].body, Body::Wave { text: Some(t), .. } if &**t == "DB team checking locks")
        );
        let twice = sc.command(&cmd("p2", Action::Pause, None, Some("again")), at(20));
        assert_eq!(
            outcome(&twice),
            (
                OutcomeKind::Conflict,
                Some("wave w1 is already paused".into())
            )
        );

        let mut recs = Vec::new();
        run(&mut sc, 21, 120, &mut recs);
        assert!(wave_moves(&recs).is_empty(), "no advance while paused");
        assert_eq!(sc.state().waves[0].status, WaveStatus::Paused);
        assert_eq!(sc.state().waves[0].baked(at(120)), Span::from_secs(20));
        // Samples go on while paused.
        assert_eq!(samples(&plan, &recs, "error_rate").len(), 50);

        let r = sc.command(&cmd("r", Action::Resume, Some("w1"), None), at(120));
        assert_eq!(wave_moves(&r), [(at(120), 0, WaveStatus::Active)]);
        let mut recs = Vec::new();
        run(&mut sc, 121, 150, &mut recs);
        // 20 s of bake were left: wave 2 starts at T+140s.
        assert_eq!(
            wave_moves(&recs),
            [
                (at(140), 0, WaveStatus::Passed),
                (at(140), 1, WaveStatus::Active)
            ]
        );
    }

    #[test]
    fn commands_are_judged_on_their_own_and_against_the_state() {
        let (mut sc, _) = demo_to(11, 20);
        let before = statuses(sc.state());
        let judged = |sc: &mut Scenario, c: Command| {
            let out = sc.command(&c, sc.clock());
            (outcome(&out), out)
        };
        // Observer-independent checks: no reason, no id, unknown wave.
        let ((kind, why), out) = judged(&mut sc, cmd("1", Action::Pause, Some("w1"), None));
        assert_eq!(
            (kind, why.as_deref()),
            (OutcomeKind::Rejected, Some("pause needs a reason"))
        );
        assert_eq!(out.len(), 2);
        let ((kind, _), _) = judged(&mut sc, cmd("2", Action::Rollback, None, Some("  ")));
        assert_eq!(kind, OutcomeKind::Rejected);
        let ((kind, why), _) = judged(&mut sc, cmd(" ", Action::Note, None, Some("hello")));
        assert_eq!(
            (kind, why.as_deref()),
            (OutcomeKind::Rejected, Some("a command needs an id"))
        );
        let ((kind, why), _) = judged(&mut sc, cmd("3", Action::Advance, Some("w9"), None));
        assert_eq!(
            (kind, why.as_deref()),
            (OutcomeKind::Rejected, Some("no wave \"w9\" in the plan"))
        );
        // Resume when not paused.
        let ((kind, why), _) = judged(&mut sc, cmd("4", Action::Resume, None, None));
        assert_eq!(
            (kind, why.as_deref()),
            (OutcomeKind::Rejected, Some("wave w1 is active, not paused"))
        );
        // Paused: advance asks for a resume first.
        judged(&mut sc, cmd("5", Action::Pause, None, Some("hold")));
        let ((kind, why), _) = judged(&mut sc, cmd("6", Action::Advance, None, None));
        assert_eq!(kind, OutcomeKind::Rejected);
        assert!(why.unwrap().contains("resume"));
        judged(&mut sc, cmd("7", Action::Resume, None, None));
        assert_eq!(statuses(sc.state()), before);
        // A note is published with its reason as text.
        let ((kind, _), out) = judged(&mut sc, cmd("8", Action::Note, None, Some("coffee's on")));
        assert_eq!(kind, OutcomeKind::Accepted);
        assert_eq!(
            out[2].body,
            Body::Note {
                by: Some(IC.into()),
                text: "coffee's on".into()
            }
        );

        // During the fault, advance is refused with the blocking gates named.
        let (mut sc, _) = demo_to(11, 170);
        let ((kind, why), out) = judged(&mut sc, cmd("9", Action::Advance, Some("w3"), None));
        assert_eq!(kind, OutcomeKind::Rejected);
        let why = why.unwrap();
        assert!(why.starts_with("gates block: "), "{why}");
        assert!(why.contains("Zero CRITICAL alerts ("), "{why}");
        assert!(why.contains("Error rate < 5% (Error Rate CRIT)"), "{why}");
        assert!(
            !why.contains("Monitoring coverage"),
            "open items are signed off, not blockers: {why}"
        );
        assert_eq!(out.len(), 2);
        // After the rollback, nothing is left to roll back or advance: the state moved.
        judged(
            &mut sc,
            cmd("10", Action::Rollback, Some("w3"), Some("trigger")),
        );
        for (id, action) in [("11", Action::Rollback), ("12", Action::Advance)] {
            let ((kind, why), _) = judged(&mut sc, cmd(id, action, None, Some("again")));
            assert_eq!(
                (kind, why.as_deref()),
                (OutcomeKind::Conflict, Some("wave w3 is now rolled_back"))
            );
        }
        // The last wave cannot be advanced.
        let mut last = Scenario::batch_patches_demo(1);
        last.tick(at(0));
        for (n, w) in ["w1", "w2", "w3"].iter().enumerate() {
            let c = cmd(&format!("go-{n}"), Action::Advance, Some(w), None);
            assert_eq!(outcome(&last.command(&c, at(1))).0, OutcomeKind::Accepted);
        }
        let ((kind, why), _) = judged(&mut last, cmd("end", Action::Advance, Some("w4"), None));
        assert_eq!(
            (kind, why.as_deref()),
            (
                OutcomeKind::Rejected,
                Some("wave w4 is the last wave: there is nothing to advance to")
            )
        );
        // Before the start nothing is on the new version.
        let fresh = State::new(
            demo_plan().unwrap(),
            SourceStatus {
                name: "t".into(),
                link: Link::Replay,
            },
            10,
        );
        let mut idle = Scenario::from_state(&fresh, 1, false);
        let ((kind, why), _) = judged(
            &mut idle,
            cmd("rb", Action::Rollback, None, Some("just in case")),
        );
        assert_eq!(kind, OutcomeKind::Rejected);
        assert!(why.unwrap().starts_with("nothing is on the new version"));
    }

    /// A run with a pause, a resume and a rollback, as JSON lines.
    fn scripted(seed: u64) -> Vec<String> {
        let mut sc = Scenario::batch_patches_demo(seed);
        let plan = sc.plan().clone();
        let mut recs = Vec::new();
        for s in 0..=200 {
            recs.extend(sc.tick(at(s)));
            match s {
                30 => recs.extend(sc.command(&cmd("p", Action::Pause, None, Some("look")), at(s))),
                50 => recs.extend(sc.command(&cmd("r", Action::Resume, None, None), at(s))),
                180 => recs.extend(sc.command(
                    &cmd("rb", Action::Rollback, Some("w3"), Some("errors")),
                    at(s),
                )),
                _ => {}
            }
        }
        recs.iter()
            .map(|r| encode::record(r, &plan).to_string())
            .collect()
    }

    #[test]
    fn the_same_seed_gives_the_same_records_and_another_seed_other_values() {
        let a = scripted(7);
        assert_eq!(a, scripted(7));
        let b = scripted(8);
        let metrics = |v: &[String]| -> Vec<String> {
            v.iter()
                .filter(|l| l.contains("\"type\":\"metric\""))
                .cloned()
                .collect()
        };
        assert_eq!(metrics(&a).len(), metrics(&b).len());
        assert_ne!(metrics(&a), metrics(&b));
        // The story is the same: same wave moves at the same times.
        let waves = |v: &[String]| -> Vec<String> {
            v.iter()
                .filter(|l| l.contains("\"type\":\"wave\""))
                .cloned()
                .collect()
        };
        assert_eq!(waves(&a), waves(&b));
        // The tick cadence does not change what happens.
        let mut coarse = Scenario::batch_patches_demo(7);
        let plan = coarse.plan().clone();
        let mut recs = coarse.tick(at(30));
        recs.extend(coarse.command(&cmd("p", Action::Pause, None, Some("look")), at(30)));
        recs.extend(coarse.tick(at(50)));
        recs.extend(coarse.command(&cmd("r", Action::Resume, None, None), at(50)));
        recs.extend(coarse.tick(at(180)));
        recs.extend(coarse.command(
            &cmd("rb", Action::Rollback, Some("w3"), Some("errors")),
            at(180),
        ));
        recs.extend(coarse.tick(at(200)));
        let coarse: Vec<String> = recs
            .iter()
            .map(|r| encode::record(r, &plan).to_string())
            .collect();
        assert_eq!(coarse, a);
    }

    /// One sample line of the exposition: name, labels, value.
    type Sample = (String, Vec<(String, String)>, f64);

    /// A small parser of the Prometheus text format that insists on its shapes.
    fn parse_exposition(text: &str) -> Vec<Sample> {
        let valid_name = |n: &str| {
            !n.is_empty()
                && n.chars().enumerate().all(|(i, c)| {
                    c.is_ascii_alphabetic() || c == '_' || c == ':' || (i > 0 && c.is_ascii_digit())
                })
        };
        let mut types: HashMap<String, String> = HashMap::new();
        let mut out = Vec::new();
        assert!(text.ends_with('\n'));
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("# ") {
                let mut parts = rest.splitn(3, ' ');
                let (kw, name, what) = (
                    parts.next().unwrap(),
                    parts.next().unwrap(),
                    parts.next().unwrap(),
                );
                assert!(valid_name(name), "{line}");
                match kw {
                    "HELP" => assert!(!what.is_empty()),
                    "TYPE" => {
                        assert!(
                            ["counter", "gauge", "histogram", "summary", "untyped"].contains(&what),
                            "{line}"
                        );
                        assert!(
                            types.insert(name.into(), what.into()).is_none(),
                            "one TYPE per family"
                        );
                    }
                    _ => panic!("unexpected comment {line}"),
                }
                continue;
            }
            let end = line.find(['{', ' ']).unwrap();
            let name = &line[..end];
            assert!(valid_name(name), "{line}");
            let mut rest = &line[end..];
            let mut labels = Vec::new();
            if let Some(body) = rest.strip_prefix('{') {
                let mut chars = body.char_indices();
                loop {
                    let mut key = String::new();
                    for (_, c) in chars.by_ref() {
                        if c == '=' {
                            break;
                        }
                        key.push(c);
                    }
                    assert!(valid_name(&key), "{line}");
                    assert_eq!(chars.next().map(|x| x.1), Some('"'), "{line}");
                    let mut value = String::new();
                    while let Some((_, c)) = chars.next() {
                        match c {
                            '\\' => match chars.next().unwrap().1 {
                                'n' => value.push('\n'),
                                c @ ('\\' | '"') => value.push(c),
                                c => panic!("bad escape \\{c} in {line}"),
                            },
                            '"' => break,
                            c => value.push(c),
                        }
                    }
                    labels.push((key, value));
                    match chars.next() {
                        Some((_, ',')) => {}
                        Some((i, '}')) => {
                            rest = &body[i + 1..];
                            break;
                        }
                        other => panic!("{other:?} in {line}"),
                    }
                }
            }
            let value = rest.strip_prefix(' ').unwrap();
            assert!(!value.contains(' '), "no timestamps here: {line}");
            let v: f64 = match value {
                "+Inf" => f64::INFINITY,
                "-Inf" => f64::NEG_INFINITY,
                v => v.parse().unwrap_or_else(|_| panic!("bad value in {line}")),
            };
            let family = ["_bucket", "_sum", "_count"]
                .iter()
                .find_map(|s| {
                    name.strip_suffix(s)
                        .filter(|f| types.get(*f).is_some_and(|t| t == "histogram"))
                })
                .unwrap_or(name);
            assert!(types.contains_key(family), "TYPE before samples: {line}");
            out.push((name.to_string(), labels, v));
        }
        out
    }

    fn value(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> f64 {
        samples
            .iter()
            .find(|(n, l, _)| {
                n == name
                    && l.len() == labels.len()
                    && labels
                        .iter()
                        .all(|(k, v)| l.iter().any(|(a, b)| a == k && b == v))
            })
            .unwrap_or_else(|| panic!("no {name} {labels:?}"))
            .2
    }

    #[test]
    fn metrics_parse_as_prometheus_text_and_counters_only_go_up() {
        let (mut sc, _) = demo_to(4, 50);
        let first = parse_exposition(&sc.metrics_text(at(50)));
        let share = |s: &[Sample], v: &str| value(s, "warroom_traffic_share", &[("version", v)]);
        assert!((share(&first, "v1.0.0") - 0.25).abs() < 1e-9);
        assert!((share(&first, "legacy") - 0.75).abs() < 1e-9);
        let total = value(&first, "warroom_requests_total", &[("version", "legacy")])
            + value(&first, "warroom_requests_total", &[("version", "v1.0.0")]);
        assert!((total - sli::REQUEST_RATE * 50.0).abs() <= 2.0, "{total}");
        for v in ["legacy", "v1.0.0"] {
            let buckets: Vec<f64> = first
                .iter()
                .filter(|(n, l, _)| n == "warroom_request_duration_seconds_bucket" && l[0].1 == v)
                .map(|x| x.2)
                .collect();
            assert_eq!(buckets.len(), sli::BUCKETS.len() + 1);
            assert!(buckets.windows(2).all(|w| w[0] <= w[1]));
            let count = value(
                &first,
                "warroom_request_duration_seconds_count",
                &[("version", v)],
            );
            assert!((buckets[buckets.len() - 1] - count).abs() < 1e-9);
            assert!(value(&first, "warroom_request_errors_total", &[("version", v)]) <= count);
        }
        // Asking past the clock counts no further than the clock.
        assert_eq!(sc.metrics_text(at(10_000)), sc.metrics_text(at(50)));

        let mut during = Vec::new();
        for (t, s) in [(120, 0), (150, 0), (170, 0)] {
            let _ = s;
            sc.tick(at(t));
            during.push(parse_exposition(&sc.metrics_text(at(t))));
        }
        let mut prev = &first;
        for now in &during {
            for (name, labels, v) in now.iter().filter(|(n, _, _)| {
                n.ends_with("_total")
                    || n.ends_with("_bucket")
                    || n.ends_with("_count")
                    || n.ends_with("_sum")
            }) {
                let l: Vec<(&str, &str)> = labels
                    .iter()
                    .map(|(a, b)| (a.as_str(), b.as_str()))
                    .collect();
                let before = value(prev, name, &l);
                assert!(*v >= before, "{name} {labels:?} went from {before} to {v}");
            }
            let grew = |n: &str| {
                value(now, n, &[("version", "v1.0.0")]) > value(prev, n, &[("version", "v1.0.0")])
            };
            assert!(grew("warroom_requests_total"));
            prev = now;
        }
        // The fault shows in the new version's errors: ~28 % of its requests at full strength.
        let errors =
            |s: &[Sample]| value(s, "warroom_request_errors_total", &[("version", "v1.0.0")]);
        let requests = |s: &[Sample]| value(s, "warroom_requests_total", &[("version", "v1.0.0")]);
        let ratio = (errors(&during[2]) - errors(&during[1]))
            / (requests(&during[2]) - requests(&during[1]));
        assert!(ratio > 0.2, "{ratio}");
        let slo = value(&during[2], "warroom_slo_sample", &[("slo", "error_rate")]);
        assert!(slo > 10.0, "{slo}");

        // After the rollback the router sends nothing to the new version.
        sc.command(&cmd("rb", Action::Rollback, None, Some("errors")), at(170));
        sc.tick(at(180));
        let after = parse_exposition(&sc.metrics_text(at(180)));
        assert!(share(&after, "v1.0.0").abs() < 1e-12);
        assert!((share(&after, "legacy") - 1.0).abs() < 1e-12);
        // Connections drain within seconds: the new version's count all but stops.
        sc.tick(at(240));
        let later = parse_exposition(&sc.metrics_text(at(240)));
        assert!(requests(&later) - requests(&after) < 5.0);
    }

    /// The flagship fixture played to its end.
    fn fixture_end() -> State {
        let mut rd = fixture::open("f", Cursor::new(DEMO_FIXTURE.as_bytes())).unwrap();
        let plan = rd.fixture().plan.clone();
        let mut state = State::new(
            plan,
            SourceStatus {
                name: "f".into(),
                link: Link::Replay,
            },
            1000,
        );
        while rd
            .next_records(&mut |r| {
                state.apply(Event::Record(r));
            })
            .unwrap()
            .is_some()
        {}
        state
    }

    #[test]
    fn a_fixture_played_to_its_end_answers_commands_and_keeps_sampling() {
        let state = fixture_end();
        let end = state.now;
        let mut sc = Scenario::from_state(&state, 1, false);
        assert_eq!(sc.clock(), end);
        let recs = sc.tick(end.saturating_add(Span::from_secs(3600)));
        let plan = sc.plan().clone();
        // Every 15 minutes, on the plan's grid, healthy like the fixture's last samples.
        let errors = samples(&plan, &recs, "error_rate");
        assert_eq!(errors.len(), 4);
        assert!(errors.iter().all(|(t, _)| t.0 % 900_000 == 0));
        assert!(wave_moves(&recs).is_empty());
        let mut seen = state.clone();
        for r in &recs {
            seen.apply(Event::Record(r.clone()));
        }
        assert!(
            seen.slos.iter().all(|s| s.band() == Band::Pass),
            "{:?}",
            seen.slos.iter().map(SloState::band).collect::<Vec<_>>()
        );
        assert_eq!(seen.firing(Severity::Warning), 0);

        let now = sc.clock();
        let out = sc.command(&cmd("x", Action::Advance, None, Some("try")), now);
        assert_eq!(
            outcome(&out),
            (
                OutcomeKind::Conflict,
                Some("wave w3 is now rolled_back".into())
            )
        );
        // The fixture's own command ids are known: a retry gets the fixture's outcome.
        let out = sc.command(
            &cmd("cmd-4", Action::Rollback, Some("w3"), Some("retry")),
            now,
        );
        assert_eq!(out.len(), 1);
        assert_eq!(
            outcome(&out),
            (
                OutcomeKind::Accepted,
                Some(
                    "./deploy_tools/disable-feature-flag.sh batch-patches-v1 completed in 18s"
                        .into()
                )
            )
        );
    }

    #[test]
    fn from_state_with_auto_advance_starts_and_advances_any_plan() {
        let text = format!("{}\n", crate::shell::generate::HEADER);
        let rd = fixture::open("synthetic", Cursor::new(text.as_bytes())).unwrap();
        let plan = rd.fixture().plan.clone();
        let fresh = State::new(
            plan.clone(),
            SourceStatus {
                name: "t".into(),
                link: Link::Replay,
            },
            10,
        );
        let mut sc = Scenario::from_state(&fresh, 2, true);
        let mut recs = sc.tick(Offset::ZERO);
        assert_eq!(wave_moves(&recs), [(Offset::ZERO, 0, WaveStatus::Active)]);
        recs.extend(sc.tick(at(6 * 3600 + 5)));
        let state = observe(&plan, &recs);
        assert_eq!(
            statuses(&state)[..2],
            [WaveStatus::Passed, WaveStatus::Active],
            "wave 1 bakes 6h, then advances"
        );
        assert_eq!(wave_moves(&recs)[1].0, at(6 * 3600));
        assert!(state.slos.iter().all(|s| s.band() == Band::Pass));
        let invariants = samples(&plan, &recs, "invariants");
        assert!(invariants
            .iter()
            .all(|(_, v)| v.fract() == 0.0 && *v >= 0.0));
        assert!(state.alerts.is_empty());
    }

    #[test]
    fn a_scenario_can_move_between_threads() {
        fn send<T: Send>() {}
        send::<Scenario>();
    }

    #[test]
    fn a_long_gap_in_ticks_is_caught_up_within_bounds() {
        let mut sc = Scenario::batch_patches_demo(1);
        let recs = sc.tick(at(100_000));
        let plan = sc.plan().clone();
        let n = samples(&plan, &recs, "error_rate").len();
        assert!(n <= usize::try_from(MAX_CATCH_UP).unwrap() + 2, "{n}");
        assert!(recs.windows(2).all(|w| w[0].t <= w[1].t));
        assert!(sc.tick(at(50)).is_empty(), "time does not go back");
    }
}
