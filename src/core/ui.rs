//! What the person at the screen is doing with it: which panel has focus and what is selected
//! in each, zoom, help, the detail view, the one-line prompt, the `:` command line, the `/`
//! search, the kind picker, the timeline filter and every panel's position.

use super::checklist::Checklist;
use super::line::CommandLine;
use super::plan::PlanSpec;
use super::search::Search;
use super::severity::Severity;
use super::state::State;
use super::time::{Offset, Span};
use super::timeline::{Filter, Kind, Timeline};

/// The panels that take focus, in Tab order (the order they are read, top to bottom, left to
/// right).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Panel {
    Waves,
    Slos,
    Checklist,
    Alerts,
    Timeline,
}

impl Panel {
    pub const ALL: [Panel; 5] = [
        Panel::Waves,
        Panel::Slos,
        Panel::Checklist,
        Panel::Alerts,
        Panel::Timeline,
    ];

    /// The next panel in Tab order (`back`: Shift+Tab's).
    #[must_use]
    pub fn step(self, back: bool) -> Panel {
        let i = Panel::ALL.iter().position(|p| *p == self).unwrap_or(0);
        let n = Panel::ALL.len();
        Panel::ALL[if back { (i + n - 1) % n } else { (i + 1) % n }]
    }

    #[must_use]
    pub fn word(self) -> &'static str {
        match self {
            Panel::Waves => "waves and gates",
            Panel::Slos => "SLOs",
            Panel::Checklist => "checklist",
            Panel::Alerts => "alerts",
            Panel::Timeline => "timeline",
        }
    }
}

/// A one-line text prompt (go to a moment).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Prompt {
    pub label: &'static str,
    pub input: String,
    pub error: Option<String>,
}

/// What the detail view shows: one thing, read afresh from the state every frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Detail {
    /// A timeline entry, by absolute index (dropped + index).
    Entry(u64),
    /// A gate of the next wave, by its label.
    Gate(String),
    /// An alert, by id.
    Alert(Box<str>),
    Slo(usize),
    /// A checklist item: (section, item).
    Item(usize, usize),
    /// The newest incident: its milestones and the times to acknowledge, mitigate, resolve.
    Incident,
    /// The exercise's injects still to come (the facilitator's seat).
    Injects,
}

/// The detail view, open.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DetailView {
    pub of: Detail,
    /// Rows scrolled down inside the view.
    pub scroll: usize,
}

/// The kind filter's choices, in the picker's order: all kinds, then each kind.
#[must_use]
pub fn kind_choices() -> Vec<Option<Kind>> {
    std::iter::once(None).chain(Kind::ALL.map(Some)).collect()
}

/// The screen's own state, apart from the rollout's.
#[derive(Clone, Debug)]
#[allow(clippy::struct_excessive_bools)] // independent switches of the screen
pub struct Ui {
    pub focus: Panel,
    pub zoom: bool,
    pub help: bool,
    /// Rows the help screen is scrolled down (a short terminal cannot hold it all).
    pub help_scroll: usize,
    pub prompt: Option<Prompt>,
    /// The `:` command line, while it is open.
    pub line: Option<CommandLine>,
    /// The `/` search: being typed, or done and highlighted until Esc.
    pub search: Option<Search>,
    pub detail: Option<DetailView>,
    /// The kind picker, open, with the choice under its cursor (an index of
    /// [`kind_choices`]).
    pub picker: Option<usize>,
    /// `q` with a command still waiting for its outcome: asks before quitting.
    pub quit_ask: bool,
    pub filter: Filter,
    /// Absolute index (dropped + index) of the newest timeline row shown; `None` follows.
    pub timeline_anchor: Option<u64>,
    /// The checklist item under the cursor, counted over all sections in plan order.
    pub checklist_cursor: usize,
    /// Whether the cursor has been put anywhere yet: the first time the checklist takes
    /// focus, it goes to the first item still to be done.
    pub cursor_placed: bool,
    /// The SLO under the cursor (plan order).
    pub slo_cursor: usize,
    /// The gate under the cursor, in [`State::gates_sorted`] order.
    pub gate_cursor: usize,
    /// The alert under the cursor, in [`State::alert_rows`] order.
    pub alert_cursor: usize,
    /// A short message for the footer ("seek → T+5m"), cleared by the next key.
    pub notice: Option<String>,
    /// Rows of entries the timeline shows on this terminal (measured by the shell from the
    /// layout and passed in as an input): a page for `PgUp` / `PgDn`, and the first page for
    /// `Home`.
    pub page: usize,
    /// How far the check of a replayed file is (percent), while it runs after the first frame.
    pub checking: Option<u8>,
    /// Theme names `:theme` completes (set by the shell).
    pub themes: Vec<String>,
    /// `:theme NAME` asks the shell for another theme (it reads the file, if one is named).
    pub theme_request: Option<String>,
    /// The status update being written.
    pub composer: Option<super::composer::Composer>,
}

impl Default for Ui {
    fn default() -> Self {
        Ui {
            focus: Panel::Timeline,
            zoom: false,
            help: false,
            help_scroll: 0,
            prompt: None,
            line: None,
            search: None,
            detail: None,
            picker: None,
            quit_ask: false,
            filter: Filter::default(),
            timeline_anchor: None,
            checklist_cursor: 0,
            cursor_placed: false,
            slo_cursor: 0,
            gate_cursor: 0,
            alert_cursor: 0,
            notice: None,
            page: 10,
            checking: None,
            themes: Vec::new(),
            theme_request: None,
            composer: None,
        }
    }
}

impl Ui {
    /// "all kinds", "alert · warn+".
    #[must_use]
    pub fn filter_label(&self) -> String {
        let kind = self.filter.kind().map_or("all kinds", Kind::word);
        match self.filter.min_severity {
            Severity::Info => kind.to_string(),
            s => format!("{kind} · {}+", s.word()),
        }
    }

    /// Shows only `kind` (`None`: every kind), keeping the lowest severity.
    pub fn set_kind(&mut self, kind: Option<Kind>) {
        self.filter = Filter::only(kind, self.filter.min_severity);
        self.timeline_anchor = None;
        self.notice = Some(format!("timeline: {}", self.filter_label()));
    }

    /// The kind filter's next step: all kinds, then each kind alone, then all again.
    pub fn cycle_kind(&mut self) {
        let all = Filter::only(None, self.filter.min_severity) == self.filter;
        let next = match self.filter.kind() {
            None if all => Some(Kind::ALL[0]),
            Some(k) => Kind::ALL
                .iter()
                .position(|x| *x == k)
                .and_then(|i| Kind::ALL.get(i + 1).copied()),
            None => None,
        };
        self.set_kind(next);
    }

    /// The lowest severity shown: info, warn, crit, then info again.
    pub fn cycle_severity(&mut self) {
        let next = match self.filter.min_severity {
            Severity::Info => Severity::Warning,
            Severity::Warning => Severity::Critical,
            Severity::Critical => Severity::Info,
        };
        self.filter = Filter::only(self.filter.kind(), next);
        self.timeline_anchor = None;
        self.notice = Some(format!("timeline: {}", self.filter_label()));
    }

    /// Scrolls the timeline so that its newest visible row is the last entry before `t`.
    pub fn jump_timeline(&mut self, tl: &Timeline, t: Offset) {
        let idx = tl.index_at(t.saturating_add(Span(1)));
        self.timeline_anchor = if idx >= tl.len() {
            None
        } else {
            Some(tl.dropped() + idx.saturating_sub(1) as u64)
        };
    }

    /// Scrolls the focused panel by `n` rows (`usize::MAX`: to the top or the bottom), or
    /// moves its cursor by `n`.
    pub fn scroll(&mut self, state: &State, n: usize, up: bool) {
        let plan = &state.plan.spec;
        let bounded = |v: usize, len: usize| {
            step(v.min(len.saturating_sub(1)), n, !up).min(len.saturating_sub(1))
        };
        match self.focus {
            Panel::Timeline => self.scroll_timeline(&state.timeline, n, up),
            Panel::Checklist => {
                self.checklist_cursor = bounded(self.checklist_cursor, item_count(plan));
                self.cursor_placed = true;
            }
            Panel::Slos => self.slo_cursor = bounded(self.slo_cursor, state.slos.len()),
            Panel::Waves => self.gate_cursor = bounded(self.gate_cursor, state.next_gates().len()),
            Panel::Alerts => {
                self.alert_cursor = bounded(self.alert_cursor, state.alert_rows().len());
            }
        }
    }

    /// The checklist item under the cursor: (section, item) in `plan`, or `None` for a plan
    /// without items.
    #[must_use]
    pub fn cursor_item(&self, plan: &PlanSpec) -> Option<(usize, usize)> {
        let last = item_count(plan).checked_sub(1)?;
        item_at(plan, self.checklist_cursor.min(last))
    }

    /// Moves focus to the next panel (`back`: the previous one). The first time the
    /// checklist takes it, its cursor goes to the first item of `checklist` that is neither
    /// done nor waived.
    pub fn focus_step(&mut self, plan: &PlanSpec, checklist: &Checklist, back: bool) {
        self.focus = self.focus.step(back);
        if self.focus != Panel::Checklist || self.cursor_placed {
            return;
        }
        let todo = checklist
            .items
            .iter()
            .flatten()
            .position(|st| !st.status.settled());
        if let Some(n) = todo {
            self.checklist_cursor = n;
        }
        self.cursor_placed = plan.checklist.iter().any(|s| !s.items.is_empty());
    }

    /// Puts the checklist's cursor on item (`section`, `item`).
    pub fn point_at(&mut self, plan: &PlanSpec, section: usize, item: usize) {
        self.cursor_placed = true;
        self.checklist_cursor = plan.checklist[..section.min(plan.checklist.len())]
            .iter()
            .map(|s| s.items.len())
            .sum::<usize>()
            + item;
    }

    /// The timeline entry selected: the newest row shown (the one the anchor names, or the
    /// newest the filter shows when following).
    #[must_use]
    pub fn selected_entry(&self, tl: &Timeline) -> Option<usize> {
        tl.iter_rev_from(self.timeline_end(tl))
            .find(|(_, e)| self.filter.matches(e))
            .map(|(i, _)| i)
    }

    /// What Enter opens on the focused panel, if it has anything selected.
    #[must_use]
    pub fn detail_target(&self, state: &State) -> Option<Detail> {
        match self.focus {
            Panel::Timeline => self
                .selected_entry(&state.timeline)
                .map(|i| Detail::Entry(state.timeline.dropped() + i as u64)),
            Panel::Checklist => self
                .cursor_item(&state.plan.spec)
                .map(|(s, i)| Detail::Item(s, i)),
            Panel::Slos => (!state.slos.is_empty())
                .then(|| Detail::Slo(self.slo_cursor.min(state.slos.len() - 1))),
            Panel::Waves => {
                let gates = state.gates_sorted();
                let i = self.gate_cursor.min(gates.len().checked_sub(1)?);
                Some(Detail::Gate(gates[i].label.clone()))
            }
            Panel::Alerts => {
                let rows = state.alert_rows();
                let i = self.alert_cursor.min(rows.len().checked_sub(1)?);
                Some(Detail::Alert(rows[i].id.into()))
            }
        }
    }

    fn scroll_timeline(&mut self, tl: &Timeline, n: usize, up: bool) {
        let dropped = tl.dropped();
        // Index one past the newest row shown.
        let end = self.timeline_end(tl);
        if up {
            let mut it = tl
                .iter_rev_from(end)
                .filter(|(_, e)| self.filter.matches(e))
                .map(|(i, _)| i);
            let newest_shown = it.next();
            let target = if n == usize::MAX {
                // Home: the oldest entry (the screen shows the page that begins with it).
                (0..tl.len()).find(|&i| tl.get(i).is_some_and(|e| self.filter.matches(e)))
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
    pub fn timeline_end(&self, tl: &Timeline) -> usize {
        match self.timeline_anchor {
            None => tl.len(),
            Some(abs) => {
                (usize::try_from(abs.saturating_sub(tl.dropped())).unwrap_or(0) + 1).min(tl.len())
            }
        }
    }

    /// Whether any box over the panels takes the keys (the view draws them; keys go to
    /// them first).
    #[must_use]
    pub fn modal(&self) -> bool {
        self.prompt.is_some()
            || self.line.is_some()
            || self.detail.is_some()
            || self.picker.is_some()
            || self.quit_ask
            || self.search.as_ref().is_some_and(|s| s.editing)
    }
}

/// Items in the checklist, over all sections.
#[must_use]
pub fn item_count(plan: &PlanSpec) -> usize {
    plan.checklist.iter().map(|s| s.items.len()).sum()
}

/// The `n`-th item of the checklist (counted over all sections), as (section, item).
#[must_use]
pub fn item_at(plan: &PlanSpec, mut n: usize) -> Option<(usize, usize)> {
    for (s, sec) in plan.checklist.iter().enumerate() {
        if n < sec.items.len() {
            return Some((s, n));
        }
        n -= sec.items.len();
    }
    None
}

fn step(v: usize, n: usize, down: bool) -> usize {
    if down {
        v.saturating_add(n)
    } else {
        v.saturating_sub(n)
    }
}
