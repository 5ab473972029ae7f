//! The console: the rollout state plus what the person at the screen is doing with it
//! (focus, scrolling, filters, prompts, playback controls). Keys become intents through the
//! key table; intents change this struct and may ask the shell to steer the replay or, on a
//! commander's seat, to send a command — only after a confirmation that shows its effect.

use super::command::{Action, OutcomeKind};
use super::command::{Command, Role};
use super::intent::{lookup, Intent, Key};
use super::playback::Speed;
use super::severity::Severity;
use super::state::State;
use super::time::{parse_offset, Offset, Span};
use super::timeline::{Filter, Kind};
use super::wave::WaveStatus;

/// The panels that take focus, in Tab order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Panel {
    Timeline,
    Checklist,
    Slos,
}

/// Where the data comes from.
#[derive(Clone, Debug, PartialEq)]
pub enum Mode {
    Replay(ReplayInfo),
    Live,
}

/// What the replay engine reports about playback, for the header and position readout.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ReplayInfo {
    pub speed: Speed,
    pub playing: bool,
    pub start: Offset,
    pub end: Offset,
}

/// A request to the replay engine.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ReplayCtl {
    Toggle,
    SeekBy(Span),
    SeekTo(Offset),
    NextEvent,
    Speed(Speed),
}

/// What an input asks of the shell.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Reaction {
    pub dirty: bool,
    pub quit: bool,
    pub replay: Option<ReplayCtl>,
    /// A confirmed command, to be written to the audit log and then sent.
    pub command: Option<Command>,
}

/// A command being confirmed: what it will do, and the reason being typed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Confirm {
    pub action: Action,
    /// The effect, in the room's words ("wave 3 (50%) → 0%, traffic back to legacy").
    pub preview: String,
    pub reason: String,
    pub error: Option<String>,
    /// The wave the command is aimed at (a conflict if the rollout moves on first).
    pub wave: Option<String>,
}

/// A command sent by this console and still waiting for its outcome.
#[derive(Clone, Debug, PartialEq)]
pub struct Pending {
    pub command: Command,
}

/// A one-line text prompt (go to a moment).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Prompt {
    pub label: &'static str,
    pub input: String,
    pub error: Option<String>,
}

#[derive(Clone, Debug)]
pub struct Console {
    pub state: State,
    pub mode: Mode,
    pub focus: Panel,
    pub zoom: bool,
    pub help: bool,
    pub prompt: Option<Prompt>,
    pub filter: Filter,
    /// Absolute index (dropped + index) of the newest timeline row shown; `None` follows.
    pub timeline_anchor: Option<u64>,
    pub checklist_scroll: usize,
    pub slo_scroll: usize,
    /// A short message for the footer ("seek → T+5m"), cleared by the next key.
    pub notice: Option<String>,
    /// Rows of entries the timeline shows on this terminal (set by the shell from the
    /// layout): a page for `PgUp` / `PgDn`, and the first page for `Home`.
    pub page: usize,
    /// The seat: observers see no command keys and any attempt is refused here.
    pub role: Role,
    /// Who this console speaks for in commands (`--actor`, otherwise user@host).
    pub actor: String,
    /// Makes command ids unique across consoles and runs (chosen by the shell).
    pub id_prefix: String,
    next_id: u64,
    pub confirm: Option<Confirm>,
    pub pending: Vec<Pending>,
    /// Pause the rollout when a rollback trigger fires (`[rollback] auto_pause`).
    pub auto_pause: bool,
}

impl Console {
    #[must_use]
    pub fn new(state: State, mode: Mode) -> Console {
        Console {
            state,
            mode,
            focus: Panel::Timeline,
            zoom: false,
            help: false,
            prompt: None,
            filter: Filter::default(),
            timeline_anchor: None,
            checklist_scroll: 0,
            slo_scroll: 0,
            notice: None,
            page: 10,
            role: Role::Observer,
            actor: String::new(),
            id_prefix: String::new(),
            next_id: 1,
            confirm: None,
            pending: Vec::new(),
            auto_pause: false,
        }
    }

    /// With auto-pause on, a commander console that saw a rollback trigger fire since
    /// `fires_before` (see [`State::trigger_fires`]) pauses the active wave: the command is
    /// built like a confirmed one, with the trigger as its reason, for the shell to log and
    /// send. Nothing when the wave is not active or a pause is already on its way.
    pub fn auto_pause_after(&mut self, fires_before: u64) -> Option<Command> {
        if !self.auto_pause
            || self.state.trigger_fires == fires_before
            || self.role != Role::Commander
            || self.is_replay()
        {
            return None;
        }
        let w = self.state.current_wave()?;
        if self.state.waves[w].status != WaveStatus::Active
            || self
                .pending
                .iter()
                .any(|p| p.command.action == Action::Pause)
        {
            return None;
        }
        let what = self.state.last_fire.clone().unwrap_or_default();
        let command = Command {
            id: format!("{}-{}", self.id_prefix, self.next_id),
            action: Action::Pause,
            actor: format!("{} (auto-pause)", self.actor),
            reason: Some(format!("auto-pause: rollback trigger fired: {what}")),
            wave: Some(self.state.plan.spec.waves[w].id.clone()),
        };
        command.validate().ok()?;
        self.next_id += 1;
        self.notice = Some(format!("auto-pause sent: rollback trigger fired: {what}"));
        self.pending.push(Pending {
            command: command.clone(),
        });
        Some(command)
    }

    /// Commands sent by this console whose outcome has now arrived: removed from pending and
    /// returned (the shell writes them to the audit log).
    pub fn settle(&mut self) -> Vec<(Command, OutcomeKind, Option<String>)> {
        let mut done = Vec::new();
        let commands = &self.state.commands;
        self.pending.retain(|p| {
            match commands
                .iter()
                .rev()
                .find(|c| *c.id == *p.command.id)
                .and_then(|c| c.outcome.clone())
            {
                Some((kind, reason)) => {
                    done.push((p.command.clone(), kind, reason.map(String::from)));
                    false
                }
                None => true,
            }
        });
        done
    }

    /// What a command would do now, in the room's words.
    #[must_use]
    pub fn preview(&self, action: Action) -> String {
        let s = &self.state;
        let plan = &s.plan.spec;
        let cur = s.current_wave();
        let label = |w: usize| s.wave_label(w);
        match (action, cur) {
            (Action::Rollback, Some(w)) => format!(
                "{} → 0%: traffic back to {}, {} marked rolled back",
                label(w),
                plan.from,
                label(w).split(" (").next().unwrap_or_default()
            ),
            (Action::Advance, Some(w)) => match s.next_wave() {
                Some(n) => {
                    let blocking: Vec<String> = s
                        .next_gates()
                        .into_iter()
                        .filter(|g| !g.green)
                        .map(|g| g.label)
                        .collect();
                    let warn = if blocking.is_empty() {
                        String::new()
                    } else {
                        format!(
                            " — {} gate(s) blocking: {}",
                            blocking.len(),
                            blocking.join(", ")
                        )
                    };
                    format!(
                        "{} passed → {} active: traffic {} → {}{warn}",
                        label(w),
                        label(n),
                        s.traffic_label(s.traffic),
                        s.traffic_label(plan.waves[n].traffic)
                    )
                }
                None => "no next wave: this is the last one".into(),
            },
            (Action::Advance, None) => format!(
                "start {}: traffic 0 → {}",
                label(0),
                s.traffic_label(plan.waves[0].traffic)
            ),
            (Action::Pause, Some(w)) => format!(
                "{} paused: the bake clock stops, traffic stays at {}",
                label(w),
                s.traffic_label(s.traffic)
            ),
            (Action::Resume, Some(w)) => format!("{} resumes: the bake clock runs again", label(w)),
            (Action::Note, _) => "adds a note to the timeline, for every console".into(),
            (_, None) => "the rollout has not started".into(),
        }
    }

    fn open_confirm(&mut self, action: Action) {
        if self.is_replay() {
            self.notice = Some("a replay cannot send commands".into());
            return;
        }
        if self.role == Role::Observer {
            self.notice = Some(format!(
                "read-only seat: observers cannot {}",
                action.word()
            ));
            return;
        }
        let wave = self
            .state
            .current_wave()
            .map(|w| self.state.plan.spec.waves[w].id.clone());
        if action == Action::Resume
            && !wave.as_ref().is_some_and(|_| {
                self.state
                    .current_wave()
                    .is_some_and(|w| self.state.waves[w].status == WaveStatus::Paused)
            })
        {
            self.notice = Some("nothing is paused".into());
            return;
        }
        self.confirm = Some(Confirm {
            action,
            preview: self.preview(action),
            reason: String::new(),
            error: None,
            wave,
        });
    }

    fn confirm_key(&mut self, key: Key) -> Reaction {
        let mut r = Reaction {
            dirty: true,
            ..Reaction::default()
        };
        let Some(c) = self.confirm.as_mut() else {
            return r;
        };
        match key {
            Key::Esc => {
                self.notice = Some(format!("{} cancelled", c.action.word()));
                self.confirm = None;
            }
            Key::CtrlC => r.quit = true,
            Key::Backspace => {
                c.reason.pop();
                c.error = None;
            }
            Key::Enter => {
                let command = Command {
                    id: format!("{}-{}", self.id_prefix, self.next_id),
                    action: c.action,
                    actor: self.actor.clone(),
                    reason: Some(c.reason.trim().to_string()).filter(|r| !r.is_empty()),
                    wave: c.wave.clone(),
                };
                match command.validate() {
                    Ok(()) => {
                        self.next_id += 1;
                        self.notice = Some(format!(
                            "{} sent, waiting for the outcome",
                            command.action.word()
                        ));
                        self.pending.push(Pending {
                            command: command.clone(),
                        });
                        self.confirm = None;
                        r.command = Some(command);
                    }
                    Err(e) => c.error = Some(e),
                }
            }
            Key::Char(ch) if c.reason.chars().count() < 200 && !ch.is_control() => {
                c.reason.push(ch);
                c.error = None;
            }
            _ => {}
        }
        r
    }

    #[must_use]
    pub fn is_replay(&self) -> bool {
        matches!(self.mode, Mode::Replay(_))
    }

    /// Handles one key: the prompt takes keys while open, otherwise the key table decides.
    pub fn key(&mut self, key: Key) -> Reaction {
        if self.confirm.is_some() {
            return self.confirm_key(key);
        }
        if self.prompt.is_some() {
            return self.prompt_key(key);
        }
        self.notice = None;
        match lookup(key, self.is_replay()) {
            Some(intent) => self.intent(intent),
            None => Reaction {
                dirty: true,
                ..Reaction::default()
            },
        }
    }

    pub fn intent(&mut self, intent: Intent) -> Reaction {
        let mut r = Reaction {
            dirty: true,
            ..Reaction::default()
        };
        if self.help && !matches!(intent, Intent::Help | Intent::Back | Intent::Quit) {
            self.help = false;
        }
        let replay = |c| Some(c);
        match intent {
            Intent::TogglePlay => r.replay = replay(ReplayCtl::Toggle),
            Intent::SeekBack10s => r.replay = replay(ReplayCtl::SeekBy(Span(-10_000))),
            Intent::SeekFwd10s => r.replay = replay(ReplayCtl::SeekBy(Span(10_000))),
            Intent::SeekBack1m => r.replay = replay(ReplayCtl::SeekBy(Span(-60_000))),
            Intent::SeekFwd1m => r.replay = replay(ReplayCtl::SeekBy(Span(60_000))),
            Intent::JumpStart => {
                if let Mode::Replay(i) = self.mode {
                    r.replay = replay(ReplayCtl::SeekTo(i.start));
                }
            }
            Intent::JumpEnd => {
                if let Mode::Replay(i) = self.mode {
                    r.replay = replay(ReplayCtl::SeekTo(i.end));
                }
            }
            Intent::NextEvent => r.replay = replay(ReplayCtl::NextEvent),
            Intent::Faster | Intent::Slower => {
                if let Mode::Replay(i) = self.mode {
                    let s = i.speed.step(intent == Intent::Faster);
                    r.replay = replay(ReplayCtl::Speed(s));
                }
            }
            Intent::JumpTo => {
                self.prompt = Some(Prompt {
                    label: "Go to (T+5m, T-1h, 00:30:00)",
                    input: String::new(),
                    error: None,
                });
            }
            Intent::ScrollUp => self.scroll(1, true),
            Intent::ScrollDown => self.scroll(1, false),
            Intent::PageUp => self.scroll(self.page.max(1), true),
            Intent::PageDown => self.scroll(self.page.max(1), false),
            Intent::Top => self.scroll(usize::MAX, true),
            Intent::Bottom => self.scroll(usize::MAX, false),
            Intent::FocusNext => {
                self.focus = match self.focus {
                    Panel::Timeline => Panel::Checklist,
                    Panel::Checklist => Panel::Slos,
                    Panel::Slos => Panel::Timeline,
                };
            }
            Intent::Zoom => self.zoom = !self.zoom,
            Intent::CycleKind => {
                let next = match self.filter.kind() {
                    None if self.filter_kinds_all() => Some(Kind::ALL[0]),
                    Some(k) => Kind::ALL
                        .iter()
                        .position(|x| *x == k)
                        .and_then(|i| Kind::ALL.get(i + 1).copied()),
                    None => None,
                };
                self.filter = Filter::only(next, self.filter.min_severity);
                self.timeline_anchor = None;
                self.notice = Some(format!("timeline: {}", self.filter_label()));
            }
            Intent::CycleSeverity => {
                let next = match self.filter.min_severity {
                    Severity::Info => Severity::Warning,
                    Severity::Warning => Severity::Critical,
                    Severity::Critical => Severity::Info,
                };
                self.filter = Filter::only(self.filter.kind(), next);
                self.timeline_anchor = None;
                self.notice = Some(format!("timeline: {}", self.filter_label()));
            }
            Intent::Help => self.help = !self.help,
            Intent::Back => {
                if self.help {
                    self.help = false;
                } else if self.zoom {
                    self.zoom = false;
                }
            }
            Intent::Quit => r.quit = true,
            Intent::Pause => self.open_confirm(Action::Pause),
            Intent::Resume => self.open_confirm(Action::Resume),
            Intent::Advance => self.open_confirm(Action::Advance),
            Intent::Rollback => self.open_confirm(Action::Rollback),
            Intent::Note => self.open_confirm(Action::Note),
        }
        r
    }

    fn filter_kinds_all(&self) -> bool {
        Filter::only(None, self.filter.min_severity) == self.filter
    }

    /// "all kinds", "alert · warn+".
    #[must_use]
    pub fn filter_label(&self) -> String {
        let kind = self.filter.kind().map_or("all kinds", Kind::word);
        match self.filter.min_severity {
            Severity::Info => kind.to_string(),
            s => format!("{kind} · {}+", s.word()),
        }
    }

    fn prompt_key(&mut self, key: Key) -> Reaction {
        let mut r = Reaction {
            dirty: true,
            ..Reaction::default()
        };
        let Some(p) = self.prompt.as_mut() else {
            return r;
        };
        match key {
            Key::Esc => self.prompt = None,
            Key::CtrlC => r.quit = true,
            Key::Backspace => {
                p.input.pop();
                p.error = None;
            }
            Key::Enter => match parse_offset(&p.input) {
                Ok(t) => {
                    self.prompt = None;
                    self.notice = Some(format!("go to {}", t.t_label()));
                    if self.is_replay() {
                        self.timeline_anchor = None;
                        r.replay = Some(ReplayCtl::SeekTo(t));
                    } else {
                        self.jump_timeline(t);
                    }
                }
                Err(e) => p.error = Some(e.0),
            },
            Key::Char(c) if p.input.len() < 32 && !c.is_control() => {
                p.input.push(c);
                p.error = None;
            }
            _ => {}
        }
        r
    }

    /// Scrolls the timeline so that its newest visible row is the last entry before `t`.
    pub fn jump_timeline(&mut self, t: Offset) {
        let tl = &self.state.timeline;
        let idx = tl.index_at(t.saturating_add(Span(1)));
        self.timeline_anchor = if idx >= tl.len() {
            None
        } else {
            Some(tl.dropped() + idx.saturating_sub(1) as u64)
        };
    }

    fn scroll(&mut self, n: usize, up: bool) {
        match self.focus {
            Panel::Timeline => self.scroll_timeline(n, up),
            Panel::Checklist => self.checklist_scroll = step(self.checklist_scroll, n, !up),
            Panel::Slos => self.slo_scroll = step(self.slo_scroll, n, !up),
        }
    }

    fn scroll_timeline(&mut self, n: usize, up: bool) {
        let tl = &self.state.timeline;
        let dropped = tl.dropped();
        // Index one past the newest row shown.
        let end = match self.timeline_anchor {
            None => tl.len(),
            Some(abs) => {
                usize::try_from(abs.saturating_sub(dropped))
                    .unwrap_or(0)
                    .min(tl.len().saturating_sub(1))
                    + 1
            }
        };
        if up {
            let mut it = tl
                .iter_rev_from(end)
                .filter(|(_, e)| self.filter.matches(e))
                .map(|(i, _)| i);
            let newest_shown = it.next();
            let target = if n == usize::MAX {
                // Home: the newest row of the first page, so that the oldest entry is on top.
                let page = self.page.max(1);
                (0..tl.len())
                    .filter(|&i| tl.get(i).is_some_and(|e| self.filter.matches(e)))
                    .take(page)
                    .last()
            } else {
                it.take(n).last().or(newest_shown)
            };
            self.timeline_anchor = target.map(|i| dropped + i as u64);
        } else {
            if n == usize::MAX || self.timeline_anchor.is_none() {
                self.timeline_anchor = None;
                return;
            }
            let mut moved = None;
            let mut count = 0;
            for i in end..tl.len() {
                if tl.get(i).is_some_and(|e| self.filter.matches(e)) {
                    moved = Some(i);
                    count += 1;
                    if count == n {
                        break;
                    }
                }
            }
            let newest = (0..tl.len())
                .rev()
                .find(|&i| tl.get(i).is_some_and(|e| self.filter.matches(e)));
            self.timeline_anchor = match moved {
                Some(i) if Some(i) != newest => Some(dropped + i as u64),
                _ => None,
            };
        }
    }

    /// The index one past the newest timeline row to show.
    #[must_use]
    pub fn timeline_end(&self) -> usize {
        let tl = &self.state.timeline;
        match self.timeline_anchor {
            None => tl.len(),
            Some(abs) => {
                (usize::try_from(abs.saturating_sub(tl.dropped())).unwrap_or(0) + 1).min(tl.len())
            }
        }
    }
}

fn step(v: usize, n: usize, down: bool) -> usize {
    if down {
        v.saturating_add(n)
    } else {
        v.saturating_sub(n)
    }
}
