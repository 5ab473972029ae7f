//! What the person at the screen is doing with it: which panel has focus, zoom, help, the
//! one-line prompt, the `:` command line, the timeline filter, every panel's scroll position
//! and the checklist's cursor.

use super::checklist::Checklist;
use super::plan::PlanSpec;
use super::severity::Severity;
use super::time::{Offset, Span};
use super::timeline::{Filter, Kind, Timeline};

/// The panels that take focus, in Tab order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Panel {
    Timeline,
    Checklist,
    Slos,
}

impl Panel {
    /// The next panel in Tab order.
    #[must_use]
    pub fn next(self) -> Panel {
        match self {
            Panel::Timeline => Panel::Checklist,
            Panel::Checklist => Panel::Slos,
            Panel::Slos => Panel::Timeline,
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

/// The `:` command line at the bottom of the screen, being typed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CommandLine {
    /// What follows the `:`.
    pub input: String,
    /// Why the last Enter did nothing (an unknown command, an unknown item, …).
    pub error: Option<String>,
}

/// A command the `:` line understood.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LineCommand {
    /// `:check ITEM [note]` (`tick: true`) or `:uncheck ITEM [note]`.
    Check {
        tick: bool,
        item: String,
        note: String,
    },
}

impl CommandLine {
    /// Longest command line, in characters.
    pub const MAX: usize = 240;

    /// What the line says, or why it cannot be run. `None`: nothing typed.
    ///
    /// # Errors
    /// An unknown command or a missing item, in words for the line itself.
    pub fn parse(&self) -> Result<Option<LineCommand>, String> {
        let text = self.input.trim();
        let Some(word) = text.split_whitespace().next() else {
            return Ok(None);
        };
        let rest = text[word.len()..].trim_start();
        let (item, note) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
        match word {
            "check" | "uncheck" if item.is_empty() => Err(format!("usage: :{word} ITEM [note]")),
            "check" | "uncheck" => Ok(Some(LineCommand::Check {
                tick: word == "check",
                item: item.to_string(),
                note: note.trim().to_string(),
            })),
            other => Err(format!(
                "unknown command :{other} (this console knows :check ITEM [note] and :uncheck \
                 ITEM [note])"
            )),
        }
    }
}

/// The screen's own state, apart from the rollout's.
#[derive(Clone, Debug)]
pub struct Ui {
    pub focus: Panel,
    pub zoom: bool,
    pub help: bool,
    pub prompt: Option<Prompt>,
    /// The `:` command line, while it is open.
    pub line: Option<CommandLine>,
    pub filter: Filter,
    /// Absolute index (dropped + index) of the newest timeline row shown; `None` follows.
    pub timeline_anchor: Option<u64>,
    /// The checklist item under the cursor, counted over all sections in plan order.
    pub checklist_cursor: usize,
    /// Whether the cursor has been put anywhere yet: the first time the checklist takes
    /// focus, it goes to the first item still to be done.
    pub cursor_placed: bool,
    pub slo_scroll: usize,
    /// A short message for the footer ("seek → T+5m"), cleared by the next key.
    pub notice: Option<String>,
    /// Rows of entries the timeline shows on this terminal (measured by the shell from the
    /// layout and passed in as an input): a page for `PgUp` / `PgDn`, and the first page for
    /// `Home`.
    pub page: usize,
}

impl Default for Ui {
    fn default() -> Self {
        Ui {
            focus: Panel::Timeline,
            zoom: false,
            help: false,
            prompt: None,
            line: None,
            filter: Filter::default(),
            timeline_anchor: None,
            checklist_cursor: 0,
            cursor_placed: false,
            slo_scroll: 0,
            notice: None,
            page: 10,
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
        self.filter = Filter::only(next, self.filter.min_severity);
        self.timeline_anchor = None;
        self.notice = Some(format!("timeline: {}", self.filter_label()));
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

    /// Scrolls the focused panel by `n` rows (`usize::MAX`: to the top or the bottom); on
    /// the checklist, moves its cursor by `n` items of `plan`'s.
    pub fn scroll(&mut self, tl: &Timeline, plan: &PlanSpec, n: usize, up: bool) {
        match self.focus {
            Panel::Timeline => self.scroll_timeline(tl, n, up),
            Panel::Checklist => {
                let last = item_count(plan).saturating_sub(1);
                self.checklist_cursor = step(self.checklist_cursor.min(last), n, !up).min(last);
                self.cursor_placed = true;
            }
            Panel::Slos => self.slo_scroll = step(self.slo_scroll, n, !up),
        }
    }

    /// The checklist item under the cursor: (section, item) in `plan`, or `None` for a plan
    /// without items.
    #[must_use]
    pub fn cursor_item(&self, plan: &PlanSpec) -> Option<(usize, usize)> {
        let last = item_count(plan).checked_sub(1)?;
        item_at(plan, self.checklist_cursor.min(last))
    }

    /// Moves focus to the next panel. The first time the checklist takes it, its cursor goes
    /// to the first item of `checklist` that is neither done nor waived.
    pub fn focus_next(&mut self, plan: &PlanSpec, checklist: &Checklist) {
        self.focus = self.focus.next();
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

    fn scroll_timeline(&mut self, tl: &Timeline, n: usize, up: bool) {
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
    pub fn timeline_end(&self, tl: &Timeline) -> usize {
        match self.timeline_anchor {
            None => tl.len(),
            Some(abs) => {
                (usize::try_from(abs.saturating_sub(tl.dropped())).unwrap_or(0) + 1).min(tl.len())
            }
        }
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
