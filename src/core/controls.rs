//! What keys do to the console: the boxes that take keys first (a confirmation, "quit?", the
//! detail view, the kind picker, the go-to prompt, the `:` line, the `/` line), then the key
//! table's intents. Part of the one reducer ([`App::apply`]).

use super::app::App;
use super::command::Action;
use super::effects::Effects;
use super::intent::{lookup, Binding, Intent, Key, When};
use super::line::{CommandLine, LineCommand, Vocabulary};
use super::outbox::{why_not, ConfirmKey};
use super::playback::{Mode, ReplayCtl};
use super::sanitize::sanitize;
use super::search::{self, Search};
use super::time::Span;
use super::ui::{kind_choices, DetailView, Prompt};

/// The go-to prompt's title.
pub const GOTO_LABEL: &str = "Go to (T+12m, T-1h, 09:17:38Z, RFC 3339)";

impl App {
    pub(super) fn key(&mut self, key: Key, fx: &mut Effects) {
        fx.dirty = true;
        if self.outbox.confirm.is_some() {
            match self.outbox.key(key) {
                ConfirmKey::Edited => {}
                ConfirmKey::Cancelled(action) => {
                    self.ui.notice = Some(format!("{} cancelled", action.word()));
                }
                ConfirmKey::Quit => fx.quit = true,
                ConfirmKey::Confirmed(command) => {
                    self.ui.notice = Some(format!(
                        "{} sent, waiting for the outcome",
                        command.action.word()
                    ));
                    self.dispatch(command, fx);
                }
            }
            return;
        }
        if self.ui.quit_ask {
            self.ui.quit_ask = false;
            if matches!(key, Key::Char('y' | 'q') | Key::Enter) {
                fx.quit = true;
            } else {
                self.ui.notice = Some("not quitting".into());
            }
            return;
        }
        if self.ui.composer.is_some() {
            return self.composer_key(key, fx);
        }
        if self.ui.prompt.is_some() {
            return self.prompt_key(key, fx);
        }
        if self.ui.line.is_some() {
            return self.line_key(key, fx);
        }
        if self.ui.search.as_ref().is_some_and(|s| s.editing) {
            return self.search_key(key);
        }
        if self.ui.picker.is_some() {
            return self.picker_key(key);
        }
        if self.ui.detail.is_some() {
            return self.detail_key(key, fx);
        }
        if self.ui.help && key == Key::CtrlC {
            // The help is a box too: Ctrl+C closes it.
            self.ui.help = false;
            return;
        }
        self.ui.notice = None;
        if self.ui.search.is_some() {
            match key {
                Key::Char('n') => return self.search_step(true),
                Key::Char('N') => return self.search_step(false),
                Key::Esc => {
                    self.ui.search = None;
                    self.ui.notice = Some("search closed".into());
                    return;
                }
                _ => {}
            }
        }
        let replay = self.is_replay();
        // A facilitator's console drives the room's clock with the replay's keys.
        let intent = lookup(key, replay, self.ui.focus).or_else(|| {
            self.facilitates()
                .then(|| lookup(key, true, self.ui.focus))
                .flatten()
        });
        if let Some(intent) = intent {
            self.on_intent(intent, fx);
        }
    }

    /// Whether this console holds the facilitator's seat of an exercise.
    #[must_use]
    pub fn facilitates(&self) -> bool {
        !self.is_replay()
            && self.outbox.role == super::command::Role::Facilitator
            && self.live.exercise.is_some()
    }

    /// Sends the facilitator's `action` at once (see [`super::outbox::Outbox::exercise`]).
    fn exercise(
        &mut self,
        action: Action,
        item: Option<String>,
        fx: &mut Effects,
    ) -> Result<(), String> {
        if self.live.exercise.is_none() {
            return Err(
                "no exercise: the room's clock is the facilitator's on `warroom serve FIXTURE`"
                    .into(),
            );
        }
        let command = self.outbox.exercise(&self.mode, action, item)?;
        self.ui.notice = Some(format!("{} sent", command.action.word()));
        self.dispatch(command, fx);
        Ok(())
    }

    /// What the replay's keys do at a facilitator's console: the room's clock. `false` when
    /// the intent is not the clock's (or this is no facilitator's console).
    fn exercise_intent(&mut self, intent: Intent, fx: &mut Effects) -> bool {
        if !self.facilitates() {
            return false;
        }
        let ex = self.live.exercise.clone().unwrap_or_default();
        let now = self.state.now.saturating_add(Span(-self.live.shift.0));
        let forward = |by: i64| Some(now.saturating_add(Span(by)).precise_label());
        let (action, item) = match intent {
            Intent::TogglePlay if ex.paused => (Action::ExerciseResume, None),
            Intent::TogglePlay => (Action::ExercisePause, None),
            Intent::SeekFwd10s => (Action::ExerciseSeek, forward(10_000)),
            Intent::SeekFwd1m => (Action::ExerciseSeek, forward(60_000)),
            Intent::NextEvent => {
                let Some(u) = ex.injects.first() else {
                    self.ui.notice = Some("no inject is still to come".into());
                    return true;
                };
                (Action::ExerciseSeek, Some(u.t.precise_label()))
            }
            Intent::Faster | Intent::Slower => {
                let next =
                    match super::playback::Speed::Times(ex.speed).step(intent == Intent::Faster) {
                        super::playback::Speed::Times(x) => x,
                        super::playback::Speed::Max => 1000.0,
                    };
                (Action::ExerciseSpeed, Some(super::words::trim_number(next)))
            }
            Intent::SeekBack10s | Intent::SeekBack1m | Intent::PrevEvent | Intent::JumpStart => {
                self.ui.notice = Some("the room's clock only moves forward".into());
                return true;
            }
            Intent::JumpEnd => {
                self.ui.notice =
                    Some("the room's clock moves forward with → and S-→, or :seek T+20m".into());
                return true;
            }
            _ => return false,
        };
        if let Err(why) = self.exercise(action, item, fx) {
            self.ui.notice = Some(why);
        }
        true
    }

    /// What a key bound to `intent` does (tests and the key table share this path).
    pub fn intent(&mut self, intent: Intent) -> Effects {
        let mut fx = Effects {
            dirty: true,
            ..Effects::default()
        };
        self.on_intent(intent, &mut fx);
        fx
    }

    /// Whether the footer and the help offer `b` now: it applies in this mode, to this seat,
    /// with this focus, and a command's binding only when the command can be sent now.
    #[must_use]
    pub fn offers(&self, b: &Binding) -> bool {
        let commander = !self.is_replay() && self.outbox.role.commands();
        match b.when {
            When::Always => true,
            When::Replay => self.is_replay() || self.facilitates(),
            When::Checklist => commander && self.ui.focus == super::ui::Panel::Checklist,
            When::Live => {
                commander && command_of(b.intent).is_none_or(|a| why_not(&self.state, a).is_none())
            }
        }
    }

    /// While the help is open, the scroll keys scroll it (a short terminal shows a page);
    /// any other key closes it and acts. True when the key was the help's.
    fn help_scrolled(&mut self, intent: Intent) -> bool {
        if !self.ui.help {
            return false;
        }
        let by = self.ui.page.max(1);
        let h = &mut self.ui.help_scroll;
        match intent {
            Intent::ScrollUp => *h = h.saturating_sub(1),
            Intent::ScrollDown => *h += 1,
            Intent::PageUp => *h = h.saturating_sub(by),
            Intent::PageDown => *h += by,
            Intent::Help | Intent::Back | Intent::Quit => return false,
            _ => {
                self.ui.help = false;
                return false;
            }
        }
        true
    }

    /// `x`: ticks (or unticks) the checklist item under the cursor, after the confirmation.
    fn check_at_cursor(&mut self) {
        match self.ui.cursor_item(&self.state.plan.spec) {
            Some(at) => {
                if let Err(why) = self
                    .outbox
                    .open_check(&self.state, &self.mode, at, None, "")
                {
                    self.ui.notice = Some(why);
                }
            }
            None => self.ui.notice = Some("no checklist in this plan".into()),
        }
    }

    fn on_intent(&mut self, intent: Intent, fx: &mut Effects) {
        if self.help_scrolled(intent) || self.exercise_intent(intent, fx) {
            return;
        }
        let info = match self.mode {
            Mode::Replay(i) => Some(i),
            Mode::Live => None,
        };
        let page = self.ui.page.max(1);
        match intent {
            Intent::TogglePlay => fx.replay = Some(ReplayCtl::Toggle),
            Intent::SeekBack10s => fx.replay = Some(ReplayCtl::SeekBy(Span(-10_000))),
            Intent::SeekFwd10s => fx.replay = Some(ReplayCtl::SeekBy(Span(10_000))),
            Intent::SeekBack1m => fx.replay = Some(ReplayCtl::SeekBy(Span(-60_000))),
            Intent::SeekFwd1m => fx.replay = Some(ReplayCtl::SeekBy(Span(60_000))),
            Intent::JumpStart => fx.replay = info.map(|i| ReplayCtl::SeekTo(i.start)),
            Intent::JumpEnd => fx.replay = info.map(|i| ReplayCtl::SeekTo(i.end)),
            Intent::NextEvent => fx.replay = Some(ReplayCtl::NextEvent),
            Intent::PrevEvent => fx.replay = Some(ReplayCtl::PrevEvent),
            Intent::Faster | Intent::Slower => {
                fx.replay = info.map(|i| ReplayCtl::Speed(i.speed.step(intent == Intent::Faster)));
            }
            Intent::JumpTo => {
                self.ui.prompt = Some(Prompt {
                    label: GOTO_LABEL,
                    input: String::new(),
                    error: None,
                });
            }
            Intent::ScrollUp => self.ui.scroll(&self.state, 1, true),
            Intent::ScrollDown => self.ui.scroll(&self.state, 1, false),
            Intent::PageUp => self.ui.scroll(&self.state, page, true),
            Intent::PageDown => self.ui.scroll(&self.state, page, false),
            Intent::Top => self.ui.scroll(&self.state, usize::MAX, true),
            Intent::Bottom => self.ui.scroll(&self.state, usize::MAX, false),
            Intent::FocusNext | Intent::FocusPrev => {
                let back = intent == Intent::FocusPrev;
                self.ui
                    .focus_step(&self.state.plan.spec, &self.state.checklist, back);
            }
            Intent::Zoom => self.ui.zoom = !self.ui.zoom,
            Intent::Open => match self.ui.detail_target(&self.state) {
                Some(of) => self.ui.detail = Some(DetailView { of, scroll: 0 }),
                None => {
                    self.ui.notice =
                        Some(format!("nothing selected in the {}", self.ui.focus.word()));
                }
            },
            Intent::Search => {
                self.ui.search = Some(Search {
                    editing: true,
                    ..Search::default()
                });
            }
            Intent::PickKind => {
                let now = self.ui.filter.kind();
                self.ui.picker = Some(kind_choices().iter().position(|k| *k == now).unwrap_or(0));
            }
            Intent::CycleKind => self.ui.cycle_kind(),
            Intent::CycleSeverity => self.ui.cycle_severity(),
            Intent::Help => {
                self.ui.help = !self.ui.help;
                self.ui.help_scroll = 0;
            }
            Intent::Back => {
                if self.ui.help {
                    self.ui.help = false;
                } else if self.ui.zoom {
                    self.ui.zoom = false;
                }
            }
            Intent::Quit => {
                if self.outbox.pending.is_empty() {
                    fx.quit = true;
                } else {
                    self.ui.quit_ask = true;
                }
            }
            Intent::Pause => self.open_confirm(Action::Pause, ""),
            Intent::Resume => self.open_confirm(Action::Resume, ""),
            Intent::Advance => self.open_confirm(Action::Advance, ""),
            Intent::Rollback => self.open_confirm(Action::Rollback, ""),
            Intent::Note => self.open_confirm(Action::Note, ""),
            Intent::Milestone => self.open_milestone(),
            Intent::StatusUpdate => {
                if let Err(why) = self.open_composer() {
                    self.ui.notice = Some(why);
                }
            }
            Intent::Check => self.check_at_cursor(),
            Intent::CommandLine => self.ui.line = Some(CommandLine::default()),
        }
    }

    /// A key while the `:` line is open: typing, Tab to complete, Esc or Ctrl+C to close, or
    /// Enter to run it.
    fn line_key(&mut self, key: Key, fx: &mut Effects) {
        let items: Vec<String> = self
            .state
            .plan
            .spec
            .checklist
            .iter()
            .flat_map(|s| s.items.iter().map(|i| i.id.clone()))
            .collect();
        let Some(line) = self.ui.line.as_mut() else {
            return;
        };
        match key {
            Key::Esc | Key::CtrlC => self.ui.line = None,
            Key::Backspace if line.input.is_empty() => self.ui.line = None,
            Key::Backspace => {
                line.input.pop();
                line.error = None;
                line.choices.clear();
            }
            Key::Tab => line.complete(Vocabulary {
                items: &items,
                themes: &self.ui.themes,
            }),
            Key::Enter => match line.parse() {
                Ok(None) => self.ui.line = None,
                Ok(Some(cmd)) => self.run_line(cmd, fx),
                Err(e) => line.error = Some(e),
            },
            Key::Char(c) if line.input.chars().count() < CommandLine::MAX && !c.is_control() => {
                line.input.push(c);
                line.error = None;
                line.choices.clear();
            }
            _ => {}
        }
    }

    /// Runs what the `:` line said: it closes once it has done it (or opened the
    /// confirmation), and otherwise keeps the text with the reason it did nothing.
    fn run_line(&mut self, cmd: LineCommand, fx: &mut Effects) {
        let result = match cmd {
            LineCommand::Check { tick, item, note } => match self.state.plan.item(&item) {
                None => Err(format!(
                    "no checklist item {:?} in the plan",
                    sanitize(&item)
                )),
                Some((s, i)) => {
                    self.ui.point_at(&self.state.plan.spec, s, i);
                    self.outbox
                        .open_check(&self.state, &self.mode, (s, i), Some(tick), &note)
                }
            },
            LineCommand::Command { action, reason } => {
                self.outbox.open(&self.state, &self.mode, action).map(|()| {
                    if let Some(c) = self.outbox.confirm.as_mut() {
                        c.reason = reason.chars().take(super::outbox::REASON_MAX).collect();
                    }
                })
            }
            LineCommand::Milestone { word, reason } => {
                self.outbox
                    .open_milestone(&self.state, &self.mode, word.as_deref(), &reason)
            }
            LineCommand::Status => self.open_composer(),
            LineCommand::Injects => match &self.live.exercise {
                Some(_) if self.outbox.role == super::command::Role::Facilitator => {
                    self.ui.detail = Some(DetailView {
                        of: super::ui::Detail::Injects,
                        scroll: 0,
                    });
                    Ok(())
                }
                Some(_) => Err("only the facilitator's seat sees the injects to come".into()),
                None => Err("no exercise: injects come with `warroom serve FIXTURE`".into()),
            },
            LineCommand::Exercise { action, item } => {
                let item = if action == Action::ExerciseSeek {
                    // Typed on this console's clock; the control plane's has no shift.
                    match super::goto::parse_target(&item, self.state.plan.spec.t0, self.state.now)
                    {
                        Ok(t) => Ok(t.saturating_add(Span(-self.live.shift.0)).precise_label()),
                        Err(e) => Err(e),
                    }
                } else {
                    Ok(item)
                };
                item.and_then(|item| self.exercise(action, Some(item), fx))
            }
            LineCommand::Incident => {
                if self.state.milestones.is_empty() {
                    Err("no incident yet: M or :milestone detected opens one".into())
                } else {
                    self.ui.detail = Some(DetailView {
                        of: super::ui::Detail::Incident,
                        scroll: 0,
                    });
                    Ok(())
                }
            }
            LineCommand::Goto(text) => self.go_to(&text, fx),
            LineCommand::Filter(kind) => {
                self.ui.set_kind(kind);
                Ok(())
            }
            LineCommand::Theme(name) => {
                self.ui.theme_request = Some(name);
                Ok(())
            }
            LineCommand::Help => {
                self.ui.help = true;
                Ok(())
            }
            LineCommand::Quit => {
                self.ui.line = None;
                self.on_intent(Intent::Quit, fx);
                Ok(())
            }
        };
        match result {
            Ok(()) => self.ui.line = None,
            Err(why) => {
                if let Some(line) = self.ui.line.as_mut() {
                    line.error = Some(why);
                }
            }
        }
    }

    /// `U`, `:status`: the status update's composer, pre-filled from the state now (or why
    /// not: a replay, an observer's seat).
    fn open_composer(&mut self) -> Result<(), String> {
        self.outbox.may_post_status(&self.mode)?;
        let draft = super::status_update::draft(&self.state);
        self.ui.composer = Some(super::composer::Composer::new(&draft));
        Ok(())
    }

    /// A key while the status update's composer is open: editing, Esc to close it, Ctrl+S to
    /// post it to every timeline as a note, save it and copy it.
    fn composer_key(&mut self, key: Key, fx: &mut Effects) {
        let Some(c) = self.ui.composer.as_mut() else {
            return;
        };
        match c.key(key) {
            super::composer::Edit::Edited => {}
            super::composer::Edit::Cancelled => {
                self.ui.composer = None;
                self.ui.notice = Some("status update not posted".into());
            }
            super::composer::Edit::Post(text) => {
                let note = super::status_update::as_note(&text);
                if !super::status_update::is_update(&note) {
                    c.error = Some(format!(
                        "an update starts with {:?}, which is how every console knows it",
                        super::status_update::HEAD
                    ));
                    return;
                }
                let note: String = note.chars().take(super::command::MAX_NOTE_CHARS).collect();
                match self.outbox.status_note(&self.mode, note) {
                    Ok(command) => {
                        self.ui.composer = None;
                        let name = super::status_update::file_name(&self.state);
                        self.ui.notice = Some(format!("status update posted; saved as {name}"));
                        fx.status = Some(super::effects::StatusOut { name, text });
                        self.dispatch(command, fx);
                    }
                    Err(why) => c.error = Some(why),
                }
            }
        }
    }

    /// `M`: the confirmation of the incident's next milestone, or why not.
    fn open_milestone(&mut self) {
        if let Err(why) = self
            .outbox
            .open_milestone(&self.state, &self.mode, None, "")
        {
            self.ui.notice = Some(why);
        }
    }

    fn open_confirm(&mut self, action: Action, reason: &str) {
        match self.outbox.open(&self.state, &self.mode, action) {
            Ok(()) => {
                if let Some(c) = self.outbox.confirm.as_mut() {
                    c.reason = reason.to_string();
                }
            }
            Err(why) => self.ui.notice = Some(why),
        }
    }

    fn prompt_key(&mut self, key: Key, fx: &mut Effects) {
        let Some(p) = self.ui.prompt.as_mut() else {
            return;
        };
        match key {
            Key::Esc | Key::CtrlC => self.ui.prompt = None,
            Key::Backspace => {
                p.input.pop();
                p.error = None;
            }
            Key::Enter => {
                let text = p.input.clone();
                match self.go_to(&text, fx) {
                    Ok(()) => self.ui.prompt = None,
                    Err(e) => {
                        if let Some(p) = self.ui.prompt.as_mut() {
                            p.error = Some(e);
                        }
                    }
                }
            }
            Key::Char(c) if p.input.chars().count() < 64 && !c.is_control() => {
                p.input.push(c);
                p.error = None;
            }
            _ => {}
        }
    }

    /// Goes to the moment `text` names: a replay seeks there and pauses (clamped to the
    /// recording, and says so); a live console scrolls its timeline there.
    fn go_to(&mut self, text: &str, fx: &mut Effects) -> Result<(), String> {
        let t0 = self.state.plan.spec.t0;
        let target = super::goto::parse_target(text, t0, self.state.now)?;
        match self.mode {
            Mode::Replay(info) => {
                let (to, why) = super::goto::clamp(target, info.start, info.end);
                self.ui.timeline_anchor = None;
                fx.replay = Some(ReplayCtl::GoTo(to));
                self.ui.notice =
                    Some(why.unwrap_or_else(|| {
                        format!("go to {}, paused", super::goto::label(t0, to))
                    }));
            }
            Mode::Live => {
                self.ui.focus = super::ui::Panel::Timeline;
                self.ui.jump_timeline(&self.state.timeline, target);
                self.ui.notice = Some(format!("timeline at {}", super::goto::label(t0, target)));
            }
        }
        Ok(())
    }

    /// A key while the `/` line is open: the search runs as it is typed.
    fn search_key(&mut self, key: Key) {
        let Some(s) = self.ui.search.as_mut() else {
            return;
        };
        match key {
            Key::Esc | Key::CtrlC => {
                self.ui.search = None;
                return;
            }
            Key::Enter => {
                s.editing = false;
                if s.query.is_empty() {
                    self.ui.search = None;
                } else if s.current.is_none() {
                    self.ui.notice = Some(format!("no match for {:?}", s.query));
                }
                return;
            }
            Key::Backspace => {
                s.query.pop();
            }
            Key::Char(c) if s.query.chars().count() < search::MAX && !c.is_control() => {
                s.query.push(c);
            }
            _ => return,
        }
        self.search_from(self.state.timeline.len(), true);
    }

    /// Finds the nearest match back from (`back`) or forward from index `from`, and scrolls
    /// the timeline to it.
    fn search_from(&mut self, from: usize, back: bool) {
        let Some(s) = self.ui.search.as_mut() else {
            return;
        };
        let tl = &self.state.timeline;
        let needle = s.needle();
        if needle.is_empty() {
            s.current = None;
            s.total = 0;
            return;
        }
        match search::step(tl, &self.ui.filter, &needle, from, back) {
            Some(i) => {
                let (total, ordinal) = search::count(tl, &self.ui.filter, &needle, i);
                s.current = Some(tl.dropped() + i as u64);
                (s.total, s.ordinal) = (total, ordinal);
                self.ui.focus = super::ui::Panel::Timeline;
                let newest = (0..tl.len())
                    .rev()
                    .find(|&j| tl.get(j).is_some_and(|e| self.ui.filter.matches(e)));
                self.ui.timeline_anchor = (newest != Some(i)).then(|| tl.dropped() + i as u64);
            }
            None if s.current.is_none() || s.editing => {
                s.current = None;
                s.total = 0;
            }
            None => {
                let way = if back { "older" } else { "newer" };
                self.ui.notice = Some(format!("no {way} match for {:?}", s.query));
            }
        }
    }

    /// `n` (`back`) or `N`: the next match further back, or forward, in time.
    fn search_step(&mut self, back: bool) {
        let tl = &self.state.timeline;
        let from = self
            .ui
            .search
            .as_ref()
            .and_then(|s| s.current)
            .map_or(tl.len(), |abs| {
                usize::try_from(abs.saturating_sub(tl.dropped())).unwrap_or(0)
            });
        self.search_from(from, back);
    }

    /// A key while the kind picker is open.
    fn picker_key(&mut self, key: Key) {
        let choices = kind_choices();
        let Some(at) = self.ui.picker else {
            return;
        };
        let last = choices.len() - 1;
        match key {
            Key::Esc | Key::CtrlC => self.ui.picker = None,
            Key::Up | Key::Char('k') => self.ui.picker = Some(at.saturating_sub(1)),
            Key::Down | Key::Char('j' | 'f') | Key::Tab => {
                self.ui.picker = Some(if at >= last { 0 } else { at + 1 });
            }
            Key::Home => self.ui.picker = Some(0),
            Key::End => self.ui.picker = Some(last),
            Key::Enter => {
                self.ui.picker = None;
                self.ui.set_kind(choices[at]);
            }
            Key::Char(c) => {
                // A kind's first letter picks it ("a" for all kinds, then alert).
                let from = (at + 1..choices.len()).chain(0..=at);
                if let Some(i) = from.into_iter().find(|&i| {
                    choices[i]
                        .map_or("all", super::timeline::Kind::word)
                        .starts_with(c)
                }) {
                    self.ui.picker = Some(i);
                }
            }
            _ => {}
        }
    }

    /// A key while the detail view is open: scroll it, or close it.
    fn detail_key(&mut self, key: Key, fx: &mut Effects) {
        let Some(d) = self.ui.detail.as_mut() else {
            return;
        };
        match key {
            Key::Esc | Key::Enter | Key::CtrlC | Key::Char('q') => self.ui.detail = None,
            Key::Down | Key::Char('j') => d.scroll = d.scroll.saturating_add(1),
            Key::Up | Key::Char('k') => d.scroll = d.scroll.saturating_sub(1),
            Key::PageDown | Key::Char(' ') => d.scroll = d.scroll.saturating_add(10),
            Key::PageUp => d.scroll = d.scroll.saturating_sub(10),
            Key::Home => d.scroll = 0,
            _ => {
                // Anything else closes the view and does what it does.
                self.ui.detail = None;
                self.key(key, fx);
            }
        }
    }
}

/// The command a key-table intent sends, if it sends one.
fn command_of(intent: Intent) -> Option<Action> {
    match intent {
        Intent::Pause => Some(Action::Pause),
        Intent::Resume => Some(Action::Resume),
        Intent::Advance => Some(Action::Advance),
        Intent::Rollback => Some(Action::Rollback),
        _ => None,
    }
}
