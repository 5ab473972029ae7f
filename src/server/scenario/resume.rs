//! A scenario that goes on from a journal's state after its control plane restarted: what
//! it kept besides the state (idempotency memory, the command with the actuator and those
//! queued behind it, which triggers it has acted on, what it has said) is worked out again
//! from the state, so that nothing is done twice and nothing is said twice.

use crate::core::command::{Command, Verb, NOT_STARTED};
use crate::core::record::Record;
use crate::core::state::State;
use crate::core::time::Offset;
use crate::core::wave::WaveStatus;

use super::conduct::{Actuation, InFlight, CONDUCTOR};
use super::{control_plane_source, Scenario, TIMELINE_CAP};

impl Scenario {
    /// This (freshly built) scenario, carried on from `state` (a journal's, after `seq`) at
    /// `now`. Samples resume at `now`: the time the control plane was down is a gap, not
    /// made-up history. A command whose actuation was under way is handed out again as a
    /// recovery ([`Scenario::take_recovery`]), never as a fresh call.
    #[must_use]
    pub fn resume(self, state: &State, now: Offset, seq: u64) -> Scenario {
        let image = state.image();
        let own = State::from_image(
            self.plan.clone(),
            control_plane_source(),
            TIMELINE_CAP,
            image,
        )
        .unwrap_or_else(|_| state.clone());
        let clock = now.max(own.now);
        let mut sc = Scenario::with(
            own,
            seq.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x5EED,
            self.auto_advance,
            self.models,
            clock,
        );
        sc.conduct = self.conduct;
        sc.conductor.alert_fired = vec![false; sc.conduct.triggers.len()];
        let started =
            sc.state.current_wave().is_some() || sc.state.waves.iter().any(|w| w.since.is_some());
        sc.start_at = self.start_at.filter(|_| !started);
        sc.fault = self.fault.map(|mut f| {
            if let Some(since) = sc.state.waves.get(f.wave).and_then(|w| w.since) {
                f.onset = Some(since.saturating_add(f.after));
            }
            if sc
                .state
                .waves
                .iter()
                .any(|w| w.status == WaveStatus::RolledBack)
            {
                f.mitigated = Some(clock);
            }
            f
        });
        sc.state.apply(crate::core::state::Event::Clock(clock));
        sc.settle_memory();
        sc
    }

    /// The bookkeeping a running scenario keeps, worked out from its state.
    fn settle_memory(&mut self) {
        let cur = self.state.current_wave();
        // Whether the current wave's bake (or the wait before the start) was over by the last
        // record, so it was dealt with then.
        let last_record = self.state.last_record.unwrap_or(Offset::ZERO);
        let bake_over = cur.is_none_or(|w| {
            self.plan.spec.waves[w]
                .bake
                .is_none_or(|b| self.state.waves[w].baked(last_record) >= b)
        });
        // A bake that ended while the control plane was down is still to be dealt with (a
        // conductor advances or says why not at its first tick); the demo does not say twice
        // what it said before.
        if let (Some(w), false, true) = (cur, self.conducts(), bake_over) {
            self.bake_noted = Some(w);
        }
        // Triggers that have fired were acted on when they fired.
        for (s, st) in self.state.slos.iter().enumerate() {
            for (i, b) in st.breaches.iter().enumerate() {
                if b.fired {
                    self.conductor.acted.push((s, i));
                }
            }
        }
        // An alert trigger fired before the crash if its alert had lasted long enough by the
        // last record; one that came due while the control plane was down fires now.
        for (k, trig) in self.conduct.triggers.iter().enumerate() {
            if let crate::config::plan_file::When::Alerts { severity, for_ } = trig.when {
                self.conductor.alert_fired[k] = self
                    .state
                    .alerts
                    .values()
                    .filter(|a| !a.silenced && a.severity >= severity)
                    .any(|a| last_record.since(a.since) >= for_);
            }
        }
        let mut conductor_cmds = self
            .state
            .commands
            .iter()
            .filter(|c| c.by.as_deref() == Some(CONDUCTOR));
        self.conductor.issued = conductor_cmds.clone().count() as u64;
        if let Some(last) =
            conductor_cmds.rfind(|c| c.action == crate::core::command::Action::Advance)
        {
            if matches!(
                last.outcome,
                Some((crate::core::command::OutcomeKind::Failed, _))
            ) {
                // The wave that advance was to start.
                self.conductor.auto_refused = Some(last.wave.map_or(0, |w| w + 1));
            }
        }
        // What the conductor last said about the next move: said again only when it changes.
        if bake_over {
            let mut blockers = self.blockers();
            if cur.is_none() {
                blockers.extend(self.unknown_health());
            }
            self.conductor.said = Some((cur, blockers.is_empty()));
        }
        if !self.conducts() {
            return;
        }
        // Commands without an outcome: the oldest was with the actuator, the rest queued.
        let open: Vec<Command> = self
            .state
            .commands
            .iter()
            .filter(|c| c.outcome.is_none() && !c.action.is_checklist())
            .map(|c| Command {
                id: c.id.to_string(),
                action: c.action,
                actor: c.by.as_deref().unwrap_or_default().to_string(),
                reason: c.reason.as_deref().map(str::to_string),
                // Recorded without a wave: aimed at the rollout before it started.
                wave: match c.wave {
                    Some(w) => Some(self.plan.spec.waves[w].id.clone()),
                    None => Command::needs_wave(c.action).then(|| NOT_STARTED.into()),
                },
                item: None,
                session: None,
            })
            .collect();
        let mut open = open.into_iter();
        for cmd in open.by_ref() {
            match Verb::of(cmd.action).filter(|v| self.conduct.external.contains(v)) {
                Some(verb) => {
                    let mut a = self.actuation(&cmd, verb);
                    // The wave moves it would make are still to come: the context is as
                    // it was when the actuator was asked.
                    a.id = crate::core::sanitize::sanitize(&cmd.id);
                    self.conductor.recover.push(a);
                    self.conductor.in_flight = Some(InFlight { cmd, verb });
                    break;
                }
                None => self.conductor.queue.push_back(cmd),
            }
        }
        self.conductor.queue.extend(open);
    }

    /// What a resumed conductor does first: says which command it is reading back, and
    /// begins queued commands when none was with the actuator.
    pub fn resume_queue(&mut self) -> Vec<Record> {
        let mut out = Vec::new();
        let t = self.clock;
        let recovering: Vec<Actuation> = self.conductor.recover.clone();
        for a in &recovering {
            self.emit(
                t,
                super::ACTUATOR,
                crate::core::record::Body::Feed {
                    text: format!(
                        "{}: the control plane stopped while the actuator was at it (command {}); \
                         reading the target back before anything is called again",
                        a.verb.word(),
                        a.id
                    )
                    .into(),
                },
                &mut out,
            );
        }
        if self.conductor.in_flight.is_none() {
            self.next_queued(t, &mut out);
        }
        out
    }

    /// No samples are made up for the time before `now` (the journal could not record
    /// them): the next one is the first due after `now`.
    pub fn skip_samples_to(&mut self, now: Offset) {
        let interval = self.plan.spec.sample_interval.0.max(1);
        let next = Offset((now.0.div_euclid(interval) + 1).saturating_mul(interval));
        self.next_sample = self.next_sample.max(next);
    }

    /// The actuation that was with the actuator when the control plane stopped, to be read
    /// back (or, where the target cannot tell, reported as unknown).
    pub fn take_recovery(&mut self) -> Vec<Actuation> {
        std::mem::take(&mut self.conductor.recover)
    }

    /// The intent line: the actuator is about to be asked (on disk before it is).
    pub(super) fn intent(&mut self, a: &Actuation, out: &mut Vec<Record>) {
        let t = self.clock;
        let to = a
            .wave
            .as_ref()
            .map(|(_, name)| {
                format!(
                    " ({name}, traffic {})",
                    crate::core::words::trim_number(a.traffic)
                )
            })
            .unwrap_or_default();
        self.emit(
            t,
            super::ACTUATOR,
            crate::core::record::Body::Feed {
                text: format!(
                    "{}{to}: asking the actuator (command {})",
                    a.verb.word(),
                    a.id
                )
                .into(),
            },
            out,
        );
    }
}
