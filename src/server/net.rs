//! The control plane on the network: one TCP port that answers `GET /metrics` and
//! `GET /healthz` as plain HTTP and upgrades everything else to the WebSocket protocol.
//! A driver task moves the scenario along the wall clock; each console has its own task.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};

use crate::core::command::{Command, OutcomeKind};
use crate::core::record::{Body, Record};
use crate::core::time::Offset;

use super::event_log::{EventLog, Staged};
use super::exercise::{RoomClock, Scripted};
use super::journal::{Journal, Restored};
use super::scenario::{Actuated, Actuation, Scenario};
pub use super::tokens::{Seat, Tokens};

mod console;
mod edge;
mod exercise;
mod http;

pub use edge::Limits;

/// The source of what an exercise's facilitator did, on every timeline.
pub const FACILITATOR: &str = "facilitator";
/// A console that sends nothing for this long is gone (heartbeats come every 5 s).
pub const IDLE_LIMIT: Duration = Duration::from_secs(15);
/// How often the control plane sends a heartbeat.
pub const HEARTBEAT: Duration = Duration::from_secs(5);
/// Most events sent to one console per wake-up, so one slow console cannot hog the lock.
const CHUNK: usize = 2_000;

/// Shared by the driver and every connection.
pub struct ControlPlane {
    hub: Mutex<EventLog>,
    scenario: Mutex<Scenario>,
    /// The journal, and what waits to be written to it (after a write failed).
    journal: Mutex<Slot>,
    newest: watch::Sender<u64>,
    origin: Instant,
    /// The rollout's clock against the wall's (`origin`): an exercise's facilitator moves it.
    clock: Mutex<RoomClock>,
    /// Bumped whenever the exercise's clock moves or its list of injects changes: every
    /// console is told.
    exercise: watch::Sender<u64>,
    tokens: Tokens,
    session: String,
    /// The plan as consoles see it: T0 is when this control plane started.
    rollout: crate::core::plan::PlanSpec,
    /// Rollout time at `origin`.
    base: Offset,
    /// A fixture still being played (records in order, with their injects).
    script: Mutex<std::collections::VecDeque<Scripted>>,
    /// Whether this control plane plays a fixture: an exercise, whose clock a facilitator
    /// controls.
    is_exercise: bool,
    seed: u64,
    /// A planned rollout's actuations go here, to the task that runs the actuator.
    to_actuator: Option<mpsc::UnboundedSender<Job>>,
    /// A test hook: where the process aborts, as a crash would (`WARROOM_CRASH_AT`), and for
    /// which command id only (`WARROOM_CRASH_AT=result:ID`).
    crash_at: Option<(CrashAt, Option<String>)>,
    /// Whether it went on from a journal it found.
    restarted: bool,
    /// What `/metrics` says of the journal, kept apart from the journal's lock.
    journal_info: Option<JournalInfo>,
    /// The connections open, and those refused or dropped at the limits.
    edge: Arc<edge::Edge>,
}

struct JournalInfo {
    dir: std::path::PathBuf,
    compacted: std::sync::atomic::AtomicU64,
    failed: std::sync::atomic::AtomicBool,
}

#[derive(Default)]
struct Slot {
    journal: Option<Journal>,
    /// Staged events whose write failed: published, in order, once a write succeeds.
    pending: Vec<Staged>,
}

/// What the actuator's task is asked to do.
#[derive(Clone, Debug, PartialEq)]
pub enum Job {
    /// Carry out an actuation.
    Do(Actuation),
    /// The control plane restarted while this actuation was with the actuator: read the
    /// target back where the actuator can, and carry it out only if it is not done.
    Recover(Actuation),
}

/// Where `WARROOM_CRASH_AT` makes the control plane abort (for crash tests).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CrashAt {
    /// After the intent to call the actuator is on disk, before the call.
    Intent,
    /// After the actuator answered, before its outcome is written.
    Result,
}

impl CrashAt {
    fn from_env() -> Option<(CrashAt, Option<String>)> {
        let v = std::env::var("WARROOM_CRASH_AT").ok()?;
        let (at, id) = match v.split_once(':') {
            Some((at, id)) => (at, Some(id.to_string())),
            None => (v.as_str(), None),
        };
        match at {
            "intent" => Some((CrashAt::Intent, id)),
            "result" => Some((CrashAt::Result, id)),
            _ => None,
        }
    }
}

/// How a control plane starts: its scenario, the plan as consoles see it, and whether it
/// keeps a journal.
struct Start<'a> {
    plan: Arc<crate::core::plan::Plan>,
    scenario: Scenario,
    rollout: crate::core::plan::PlanSpec,
    base: Offset,
    script: Vec<Scripted>,
    speed: f64,
    tokens: Tokens,
    seed: u64,
    /// The state directory (`None`: nothing is kept).
    state: Option<&'a std::path::Path>,
    /// T0 is when the control plane first started (the demo, a plan), so the rollout clock
    /// is the wall clock; otherwise (a fixture) it is the fixture's own.
    live: bool,
}

impl ControlPlane {
    #[must_use]
    pub fn new(scenario: Scenario, speed: f64, tokens: Tokens) -> Arc<ControlPlane> {
        Self::new_in(scenario, speed, tokens, None).expect("nothing to open without a journal")
    }

    /// [`ControlPlane::new`], journaled in `state` (and restarted from it when it holds a
    /// journal already).
    ///
    /// # Errors
    /// The state directory cannot be used: see [`Journal::open`].
    pub fn new_in(
        scenario: Scenario,
        speed: f64,
        tokens: Tokens,
        state: Option<&std::path::Path>,
    ) -> Result<Arc<ControlPlane>, String> {
        // A live scenario starts now: T0 is when this control plane started.
        let mut rollout = scenario.plan().spec.clone();
        rollout.t0 = crate::core::time::Epoch(time::OffsetDateTime::now_utc());
        let plan = scenario.plan().clone();
        Self::build(Start {
            plan,
            scenario,
            rollout,
            base: Offset::ZERO,
            script: Vec::new(),
            speed,
            tokens,
            seed: 0,
            state,
            live: true,
        })
    }

    /// A control plane that conducts a plan file's rollout from now (T0 is when it starts):
    /// the actuations to carry out come out of the receiver, one at a time, and their answers
    /// go back through [`ControlPlane::actuated`].
    #[must_use]
    pub fn planned(
        file: &crate::config::plan_file::PlanFile,
        tokens: Tokens,
    ) -> (Arc<ControlPlane>, mpsc::UnboundedReceiver<Job>) {
        Self::planned_in(file, tokens, None).expect("nothing to open without a journal")
    }

    /// [`ControlPlane::planned`], journaled in `state`. A rollout restarted from its journal
    /// goes on where it was; an actuation that was with the actuator when it stopped comes
    /// out of the receiver as [`Job::Recover`].
    ///
    /// # Errors
    /// The state directory cannot be used: see [`Journal::open`].
    pub fn planned_in(
        file: &crate::config::plan_file::PlanFile,
        tokens: Tokens,
        state: Option<&std::path::Path>,
    ) -> Result<(Arc<ControlPlane>, mpsc::UnboundedReceiver<Job>), String> {
        let scenario = Scenario::planned(file);
        let mut rollout = scenario.plan().spec.clone();
        rollout.t0 = crate::core::time::Epoch(time::OffsetDateTime::now_utc());
        let plan = scenario.plan().clone();
        let (tx, rx) = mpsc::unbounded_channel();
        let mut plane = Self::build(Start {
            plan,
            scenario,
            rollout,
            base: Offset::ZERO,
            script: Vec::new(),
            speed: 1.0,
            tokens,
            seed: 0,
            state,
            live: true,
        })?;
        Arc::get_mut(&mut plane)
            .expect("not shared yet")
            .to_actuator = Some(tx);
        // A recovery found in the journal goes out now.
        plane.step(Scenario::resume_queue);
        Ok((plane, rx))
    }

    /// A control plane that first plays a fixture's records in real time (times `speed`),
    /// then answers commands from the state the fixture left.
    #[must_use]
    pub fn from_fixture(
        plan: Arc<crate::core::plan::Plan>,
        records: Vec<crate::core::record::Record>,
        speed: f64,
        tokens: Tokens,
        seed: u64,
    ) -> Arc<ControlPlane> {
        let script = records
            .into_iter()
            .map(|record| Scripted {
                record,
                inject: None,
            })
            .collect();
        Self::from_fixture_in(plan, script, speed, tokens, seed, None)
            .expect("nothing to open without a journal")
    }

    /// [`ControlPlane::from_fixture`] over records that may belong to injects, journaled in
    /// `state`: restarted, it plays on from the journal's last record.
    ///
    /// # Errors
    /// The state directory cannot be used: see [`Journal::open`].
    pub fn from_fixture_in(
        plan: Arc<crate::core::plan::Plan>,
        records: Vec<Scripted>,
        speed: f64,
        tokens: Tokens,
        seed: u64,
        state: Option<&std::path::Path>,
    ) -> Result<Arc<ControlPlane>, String> {
        let source = crate::core::source::SourceStatus {
            name: Arc::from(crate::core::source::CONTROL_PLANE),
            link: crate::core::source::Link::Connected,
        };
        let scenario = Scenario::from_state(
            &crate::core::state::State::new(plan.clone(), source, 16),
            seed,
            false,
        );
        let base = records.first().map_or(Offset::ZERO, |r| r.record.t);
        // In a fixture the clock is the fixture's own: T0 is the plan's.
        let rollout = plan.spec.clone();
        Self::build(Start {
            plan,
            scenario,
            rollout,
            base,
            script: records,
            speed,
            tokens,
            seed,
            state,
            live: false,
        })
    }

    fn build(start: Start<'_>) -> Result<Arc<ControlPlane>, String> {
        let Start {
            plan,
            mut scenario,
            mut rollout,
            mut base,
            mut script,
            speed,
            tokens,
            seed,
            state,
            live,
        } = start;
        let (newest, _) = watch::channel(0);
        let is_exercise = !live;
        // Differs between runs, so consoles know sequence numbers restarted.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let mut session = format!("{:x}-{nanos:x}", std::process::id());
        let mut hub = EventLog::new(plan.clone());
        let mut journal = None;
        let mut note = None;
        if let Some(dir) = state {
            let (j, restored) = Journal::open(dir, &rollout, &session, hub.state(), base)?;
            journal = Some(j);
            if let Some(r) = restored {
                rollout.t0 = r.t0;
                session.clone_from(&r.session);
                let now = if live {
                    let since_t0 = time::OffsetDateTime::now_utc() - r.t0.0;
                    #[allow(clippy::cast_possible_truncation)]
                    Offset((since_t0.as_seconds_f64() * 1000.0 * speed) as i64).max(r.last_t)
                } else {
                    // A fixture's clock is its own: it goes on from its last record, and the
                    // records due after it play from there.
                    r.last_t
                };
                base = now;
                script.retain(|rec| rec.record.t > r.last_t);
                note = Some(restart_note(&r, now));
                hub = EventLog::restored(plan.clone(), r.state, r.seq, r.log);
                scenario = if script.is_empty() && !live {
                    Scenario::from_state(hub.state(), seed, false)
                } else if live {
                    scenario.resume(hub.state(), now, r.seq)
                } else {
                    scenario
                };
            }
        }
        newest.send_replace(hub.seq());
        let journal_info = journal.as_ref().map(|j| JournalInfo {
            dir: j.dir().to_path_buf(),
            compacted: j.compacted().into(),
            failed: false.into(),
        });
        let plane = Arc::new(ControlPlane {
            hub: Mutex::new(hub),
            scenario: Mutex::new(scenario),
            journal: Mutex::new(Slot {
                journal,
                pending: Vec::new(),
            }),
            newest,
            origin: Instant::now(),
            clock: Mutex::new(RoomClock::new(base, speed)),
            exercise: watch::channel(0).0,
            tokens,
            session,
            rollout,
            base,
            script: Mutex::new(script.into()),
            is_exercise,
            seed,
            to_actuator: None,
            crash_at: CrashAt::from_env(),
            restarted: note.is_some(),
            journal_info,
            edge: Arc::default(),
        });
        if let Some(text) = note {
            // At the moment the scenario resumed from, so that nothing it says next comes
            // before it.
            plane.publish(vec![Record {
                t: base,
                source: Some(crate::core::source::CONTROL_PLANE.into()),
                body: Body::Feed { text: text.into() },
            }]);
        }
        Ok(plane)
    }

    /// Scenario time now.
    #[must_use]
    pub fn now(&self) -> Offset {
        self.room_clock().now(self.origin.elapsed())
    }

    fn room_clock(&self) -> std::sync::MutexGuard<'_, RoomClock> {
        self.clock.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Rollout seconds per wall second now (0 while an exercise is paused).
    #[must_use]
    pub fn rate(&self) -> f64 {
        self.room_clock().rate()
    }

    /// Whether this control plane runs an exercise (it plays a fixture).
    #[must_use]
    pub fn is_exercise(&self) -> bool {
        self.is_exercise
    }

    /// The exercise's clock, for a console with `role` (only a facilitator's is told the
    /// injects to come).
    #[must_use]
    pub fn exercise_msg(
        &self,
        role: crate::core::command::Role,
    ) -> crate::format::protocol::ServerMsg {
        let (now, speed, paused) = {
            let c = self.room_clock();
            (c.now(self.origin.elapsed()), c.speed(), c.paused())
        };
        let injects = if role == crate::core::command::Role::Facilitator {
            let plan = self.hub().plan().clone();
            let script = self.script.lock().unwrap_or_else(PoisonError::into_inner);
            super::exercise::upcoming(&script, &plan)
        } else {
            Vec::new()
        };
        crate::format::protocol::ServerMsg::Exercise {
            now,
            speed,
            paused,
            injects,
        }
    }

    /// A receiver that changes whenever every console must be sent [`Self::exercise_msg`].
    pub(crate) fn exercise_changes(&self) -> watch::Receiver<u64> {
        self.exercise.subscribe()
    }

    fn exercise_changed(&self) {
        self.exercise.send_modify(|v| *v = v.wrapping_add(1));
    }

    fn hub(&self) -> std::sync::MutexGuard<'_, EventLog> {
        self.hub.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn scenario(&self) -> std::sync::MutexGuard<'_, Scenario> {
        self.scenario.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn slot(&self) -> std::sync::MutexGuard<'_, Slot> {
        self.journal.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Moves the scenario to now and publishes what happened.
    pub fn tick(&self) {
        let now = self.now();
        if let Some(records) = self.play_script(now) {
            self.publish(records);
            return;
        }
        let waiting = !self.slot().pending.is_empty();
        if waiting && !self.publish(Vec::new()) {
            // The journal still cannot be written: the scenario waits rather than pile up
            // what cannot be recorded, and what it would have sampled meanwhile is a gap.
            self.scenario().skip_samples_to(now);
            return;
        }
        self.step(|sc| sc.tick(now));
        if let Some(j) = self.slot().journal.as_mut() {
            j.sync_due();
        }
    }

    /// Runs `f` on the scenario and publishes its records; once they are in the journal,
    /// the actuations the scenario asked for go to the actuator. Returns whether the records
    /// were published.
    fn step(&self, f: impl FnOnce(&mut Scenario) -> Vec<Record>) -> bool {
        let mut sc = self.scenario();
        let records = f(&mut sc);
        let published = self.publish(records);
        if published {
            self.hand_out(&mut sc);
        }
        published
    }

    /// Publishes records (and any that wait) and wakes every console: journaled first, when
    /// there is a journal. Returns `false` when the journal could not be written (the
    /// records wait, unpublished, for the next try).
    fn publish(&self, records: Vec<Record>) -> bool {
        let mut slot = self.slot();
        let journaled = slot.journal.is_some();
        if records.is_empty() && slot.pending.is_empty() {
            return true;
        }
        let staged = self.hub().stage(records, journaled);
        slot.pending.extend(staged);
        let Slot { journal, pending } = &mut *slot;
        if let Some(j) = journal.as_mut() {
            let lines: Vec<_> = pending.iter_mut().filter_map(|s| s.line.take()).collect();
            let wrote = j.append(&lines);
            if let Some(info) = &self.journal_info {
                info.failed
                    .store(wrote.is_err(), std::sync::atomic::Ordering::Relaxed);
            }
            if wrote.is_err() {
                // Put the lines back for the next try.
                for (s, l) in pending.iter_mut().filter(|s| s.line.is_none()).zip(lines) {
                    s.line = Some(l);
                }
                return false;
            }
        }
        let staged = std::mem::take(pending);
        let seq = {
            let mut hub = self.hub();
            let seq = hub.commit(staged);
            if let Some(j) = journal.as_mut().filter(|j| j.full()) {
                let image = hub.state().image();
                let t = hub.state().last_record.unwrap_or(self.base);
                drop(hub);
                if let Err(e) = j.compact(seq, image, t) {
                    eprintln!("warroom: {}", crate::core::sanitize::sanitize(&e));
                }
                if let Some(info) = &self.journal_info {
                    info.compacted
                        .store(j.compacted(), std::sync::atomic::Ordering::Relaxed);
                }
            }
            seq
        };
        self.newest.send_replace(seq);
        true
    }

    /// Sends the scenario's new actuations to the actuator's task.
    fn hand_out(&self, sc: &mut Scenario) {
        if let Some(tx) = &self.to_actuator {
            let recover = sc.take_recovery();
            let fresh = sc.take_actuations();
            if fresh
                .iter()
                .any(|a| self.crashes_at(CrashAt::Intent, &a.id))
            {
                std::process::abort();
            }
            for a in recover {
                let _ = tx.send(Job::Recover(a));
            }
            for a in fresh {
                let _ = tx.send(Job::Do(a));
            }
        }
    }

    /// Whether the crash hook aborts here for command `id`.
    fn crashes_at(&self, at: CrashAt, id: &str) -> bool {
        self.crash_at
            .as_ref()
            .is_some_and(|(a, only)| *a == at && only.as_deref().is_none_or(|o| o == id))
    }

    /// The actuator answered command `id`: its outcome and effects are published.
    pub fn actuated(&self, id: &str, answer: Actuated) {
        if self.crashes_at(CrashAt::Result, id) {
            std::process::abort();
        }
        let now = self.now();
        self.step(|sc| sc.actuated(id, answer, now));
    }

    /// A report of the control plane's own Prometheus and Alertmanager polling.
    pub fn polled(&self, msg: crate::core::input::MetricsMsg) {
        let now = self.now();
        let t0 = self.rollout.t0;
        self.step(|sc| sc.polled(msg, t0, now));
    }

    /// Changes made outside warroom to what the actuator drives, on every timeline.
    pub fn outside(&self, changes: &[crate::shell::actuator::Outside]) {
        let now = self.now();
        self.step(|sc| {
            let mut records = Vec::new();
            for c in changes {
                records.extend(sc.outside(c.by.as_deref(), &c.text, now));
            }
            records
        });
    }

    /// The fixture records due by `now`, while a fixture is playing (`None` once it is
    /// done). When it ends, the scenario takes over from the state it left.
    fn play_script(&self, now: Offset) -> Option<Vec<crate::core::record::Record>> {
        let mut script = self.script.lock().unwrap_or_else(PoisonError::into_inner);
        if script.is_empty() {
            return None;
        }
        let mut due = Vec::new();
        let injected = super::exercise::inject_due(&script, now);
        while script.front().is_some_and(|r| r.record.t <= now) {
            due.extend(script.pop_front().map(|s| s.record));
        }
        if injected {
            self.exercise_changed();
        }
        if script.is_empty() {
            self.publish(std::mem::take(&mut due));
            let state = self.hub().state().clone();
            *self.scenario() = Scenario::from_state(&state, self.seed, false);
        }
        Some(due)
    }

    /// Answers a command at once, without the scenario: its record and the outcome.
    fn answer(&self, cmd: &Command, seat: &Seat, result: OutcomeKind, reason: String) {
        // What the fixture has due goes first, so that the records stay in time order.
        let now = self.now();
        if let Some(due) = self.play_script(now) {
            self.publish(due);
        }
        let src = Some(crate::core::source::CONTROL_PLANE.into());
        let records = vec![
            Record {
                t: now,
                source: src.clone(),
                body: Body::Command {
                    id: cmd.id.clone().into(),
                    action: cmd.action,
                    by: Some(seat.name().unwrap_or(&cmd.actor).into()),
                    reason: cmd.reason.clone().map(Into::into),
                    wave: None,
                    item: cmd.item().map(crate::core::sanitize::sanitize),
                },
            },
            Record {
                t: now,
                source: src,
                body: Body::Outcome {
                    id: cmd.id.clone().into(),
                    result,
                    reason: Some(reason.into()),
                },
            },
        ];
        self.publish(records);
    }

    /// Applies a command from a seat without a token (a control plane without a tokens
    /// file) and publishes its records: see [`ControlPlane::command_from`].
    ///
    /// # Errors
    /// As [`ControlPlane::command_from`].
    pub fn command(&self, cmd: &Command) -> Result<(), String> {
        self.command_from(cmd, &Seat::Open)
    }

    /// Applies a command from `seat` (the seat of the connection it came on, from the tokens
    /// file) and publishes its records (command, outcome, effects).
    ///
    /// # Errors
    /// The journal cannot record it (a full disk, a failed write): the command is not
    /// applied, and the words say why.
    pub fn command_from(&self, cmd: &Command, seat: &Seat) -> Result<(), String> {
        if let Some(j) = self.slot().journal.as_ref() {
            j.can_accept()?;
        }
        let now = self.now();
        if let Some(theirs) = cmd.session.as_deref().filter(|s| *s != self.session) {
            // Aimed at a run of the control plane that has ended: never applied to this one.
            self.answer(
                cmd,
                seat,
                OutcomeKind::Conflict,
                format!(
                    "aimed at session {}; this control plane runs session {}",
                    crate::core::sanitize::sanitize(theirs),
                    self.session
                ),
            );
            return Ok(());
        }
        if cmd.action.is_exercise() {
            self.exercise_command(cmd, seat);
            return Ok(());
        }
        if !self
            .script
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_empty()
        {
            // The room acts while the exercise's script plays: judged against what the
            // fixture has shown so far.
            if let Some(due) = self.play_script(now) {
                self.publish(due);
            }
            let state = self.hub().state().clone();
            let mut sc = Scenario::from_state(&state, self.seed, false);
            let published = self.publish(sc.decide(cmd, seat, now));
            return if published {
                Ok(())
            } else {
                Err("the journal could not write the command's records just now".into())
            };
        }
        let published = self.step(|sc| {
            let mut records = sc.tick(now);
            records.extend(sc.command_from(cmd, seat, now));
            records
        });
        if published {
            Ok(())
        } else {
            Err(
                "the journal could not write the command's records just now: they are held, and \
                 published (with the outcome) as soon as the journal can be written"
                    .into(),
            )
        }
    }

    /// The Prometheus exposition of the simulated SLIs, and the journal's figures.
    #[must_use]
    pub fn metrics(&self) -> String {
        let mut text = self.scenario().metrics_text(self.now());
        text.push_str(&self.edge.metrics_text());
        if let Some(info) = &self.journal_info {
            use std::fmt::Write as _;
            use std::sync::atomic::Ordering;
            let writable =
                !info.failed.load(Ordering::Relaxed) && super::journal::room(&info.dir).is_ok();
            let _ = write!(
                text,
                "# HELP warroom_journal_compacted_events_total Events compacted out of the journal into snapshots.\n\
                 # TYPE warroom_journal_compacted_events_total counter\n\
                 warroom_journal_compacted_events_total {}\n\
                 # HELP warroom_journal_seq Newest sequence number in the journal.\n\
                 # TYPE warroom_journal_seq gauge\n\
                 warroom_journal_seq {}\n\
                 # HELP warroom_journal_writable Whether the journal can be written (0: commands are refused).\n\
                 # TYPE warroom_journal_writable gauge\n\
                 warroom_journal_writable {}\n",
                info.compacted.load(Ordering::Relaxed),
                self.hub().seq(),
                u8::from(writable)
            );
        }
        text
    }

    /// The journal's directory, the newest sequence number, and whether this control
    /// plane went on from a journal it found (`None`: no journal).
    #[must_use]
    pub fn journal_status(&self) -> Option<(std::path::PathBuf, u64, bool)> {
        let info = self.journal_info.as_ref()?;
        Some((info.dir.clone(), self.hub().seq(), self.restarted))
    }

    /// The newest sequence number published.
    #[must_use]
    pub fn seq(&self) -> u64 {
        self.hub().seq()
    }

    /// Every published record so far that the log still holds, in order (tests compare
    /// consoles against this).
    #[must_use]
    pub fn log_since(&self, after: u64) -> Vec<(u64, serde_json::Value)> {
        self.hub()
            .since(after, usize::MAX)
            .unwrap_or_default()
            .into_iter()
            .map(|p| {
                let msg: serde_json::Value = serde_json::from_str(&p.message).unwrap_or_default();
                (p.seq, msg["record"].clone())
            })
            .collect()
    }
}

/// Binds `addr` and serves until the task is dropped, within the default [`Limits`]: see
/// [`bind_with`].
///
/// # Errors
/// The address cannot be bound.
pub async fn bind(
    addr: SocketAddr,
    plane: Arc<ControlPlane>,
) -> std::io::Result<(SocketAddr, impl std::future::Future<Output = ()>)> {
    bind_with(addr, plane, Limits::default()).await
}

/// Refusals answered at once; more refused connections than this are closed unanswered.
const MAX_REFUSING: usize = 64;

/// Binds `addr` and serves until the task is dropped. Returns the bound address (use port 0
/// for an ephemeral port) and the serving future. A connection over `limits` is answered
/// `503 Service Unavailable` with the reason and closed.
///
/// # Errors
/// The address cannot be bound.
pub async fn bind_with(
    addr: SocketAddr,
    plane: Arc<ControlPlane>,
    limits: Limits,
) -> std::io::Result<(SocketAddr, impl std::future::Future<Output = ()>)> {
    let listener = TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    let serve = async move {
        // The driver lives exactly as long as the serving future.
        let _driver = AbortOnDrop({
            let plane = plane.clone();
            tokio::spawn(async move {
                let mut every = tokio::time::interval(Duration::from_millis(100));
                every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
                loop {
                    every.tick().await;
                    plane.tick();
                }
            })
        });
        // Connections belong to this future: when it stops, every console is cut, as when
        // the process dies.
        let mut connections = tokio::task::JoinSet::new();
        let mut refusing = tokio::task::JoinSet::new();
        loop {
            tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok((stream, peer)) => match plane.edge.enter(peer.ip(), &limits) {
                        Ok(ticket) => {
                            // A hello and its image, an event and its heartbeat: each goes
                            // at once.
                            stream.set_nodelay(true).ok();
                            edge::bound_send_buffer(&stream, limits.send_buffer);
                            let plane = plane.clone();
                            connections.spawn(async move {
                                let _open = ticket;
                                let _ = console::connection(stream, plane, limits).await;
                            });
                        }
                        Err(why) if refusing.len() < MAX_REFUSING => {
                            refusing.spawn(http::busy(stream, why));
                        }
                        Err(_) => drop(stream),
                    },
                    // Out of descriptors, most likely: the limits above keep room, so this
                    // passes as connections close.
                    Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
                },
                Some(_) = connections.join_next(), if !connections.is_empty() => {}
                Some(_) = refusing.join_next(), if !refusing.is_empty() => {}
            }
        }
    };
    Ok((local, serve))
}

/// The timeline line of a restart in place.
fn restart_note(r: &Restored, now: Offset) -> String {
    let mut text = format!(
        "control plane restarted in place, {:.1} s after its last event ({} → {}): same \
         session, continues after seq {}; bake time kept counting, nothing was sampled meanwhile",
        r.down.as_secs_f64(),
        crate::core::time::exact_offset(r.last_t),
        crate::core::time::exact_offset(now),
        r.seq
    );
    if let Some(torn) = &r.torn {
        text.push_str("; ");
        text.push_str(torn);
    }
    text
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}
