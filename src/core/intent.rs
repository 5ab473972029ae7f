//! What a key means: intents, and the one table that maps keys to them. The help screen and
//! the footer are generated from the same table that dispatches keys.

use serde::Serialize;

use super::ui::Panel;

/// Something the person at the console wants.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum Intent {
    TogglePlay,
    SeekBack10s,
    SeekFwd10s,
    SeekBack1m,
    SeekFwd1m,
    JumpStart,
    JumpEnd,
    NextEvent,
    PrevEvent,
    Faster,
    Slower,
    JumpTo,
    ScrollUp,
    ScrollDown,
    PageUp,
    PageDown,
    Top,
    Bottom,
    FocusNext,
    FocusPrev,
    Zoom,
    /// Open the detail view of what is selected in the focused panel.
    Open,
    /// Open the `/` search line.
    Search,
    /// Open the list of kinds the timeline can be filtered to.
    PickKind,
    CycleKind,
    CycleSeverity,
    Help,
    Back,
    Quit,
    Pause,
    Resume,
    Advance,
    Rollback,
    Note,
    /// Mark the open incident's next milestone (or a detection), confirmed with Enter.
    Milestone,
    /// Write a status update, pre-filled from the state.
    StatusUpdate,
    /// Tick the focused checklist item, or untick it when it is done (asks for a note).
    Check,
    /// Open the `:` command line at the bottom of the screen.
    CommandLine,
}

/// A key as the table knows it (independent of the terminal library).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Key {
    Char(char),
    Left,
    Right,
    ShiftLeft,
    ShiftRight,
    Up,
    Down,
    PageUp,
    PageDown,
    Home,
    End,
    Tab,
    BackTab,
    Esc,
    Enter,
    Backspace,
    CtrlC,
    /// Posts a status update from its composer.
    CtrlS,
}

impl Key {
    #[must_use]
    pub fn label(self) -> String {
        match self {
            Key::Char(' ') => "space".into(),
            Key::Char(c) => c.to_string(),
            Key::Left => "←".into(),
            Key::Right => "→".into(),
            Key::ShiftLeft => "S-←".into(),
            Key::ShiftRight => "S-→".into(),
            Key::Up => "↑".into(),
            Key::Down => "↓".into(),
            Key::PageUp => "PgUp".into(),
            Key::PageDown => "PgDn".into(),
            Key::Home => "Home".into(),
            Key::End => "End".into(),
            Key::Tab => "Tab".into(),
            Key::BackTab => "S-Tab".into(),
            Key::Esc => "Esc".into(),
            Key::Enter => "Enter".into(),
            Key::Backspace => "Bksp".into(),
            Key::CtrlC => "C-c".into(),
            Key::CtrlS => "C-s".into(),
        }
    }

    /// ASCII-only label for `--ascii` terminals.
    #[must_use]
    pub fn ascii_label(self) -> String {
        match self {
            Key::Left => "Left".into(),
            Key::Right => "Right".into(),
            Key::ShiftLeft => "S-Left".into(),
            Key::ShiftRight => "S-Right".into(),
            Key::Up => "Up".into(),
            Key::Down => "Down".into(),
            other => other.label(),
        }
    }
}

/// When a binding applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum When {
    Always,
    Replay,
    /// Live, with a commander's seat (observers see these refused).
    Live,
    /// While the checklist has focus. Footer and help show these only to a live commander's
    /// seat; a replay or an observer who presses one is told why nothing happens.
    Checklist,
}

/// One row of the key table.
#[derive(Clone, Copy, Debug)]
pub struct Binding {
    pub keys: &'static [Key],
    pub intent: Intent,
    pub when: When,
    /// Short footer label; `None` keeps the binding out of the footer.
    pub footer: Option<&'static str>,
    pub help: &'static str,
}

/// The key table. Order is the order of the help screen.
pub const KEYMAP: &[Binding] = &[
    Binding {
        keys: &[Key::Char(' ')],
        intent: Intent::TogglePlay,
        when: When::Replay,
        footer: Some("play/pause"),
        help: "Play or pause the replay",
    },
    Binding {
        keys: &[Key::Left, Key::Right],
        intent: Intent::SeekBack10s,
        when: When::Replay,
        footer: Some("±10s"),
        help: "Seek back / forward 10 seconds",
    },
    Binding {
        keys: &[
            Key::ShiftLeft,
            Key::ShiftRight,
            Key::Char('<'),
            Key::Char('>'),
        ],
        intent: Intent::SeekBack1m,
        when: When::Replay,
        footer: Some("±1m"),
        help: "Seek back / forward 1 minute",
    },
    Binding {
        keys: &[Key::Char('p'), Key::Char('n')],
        intent: Intent::PrevEvent,
        when: When::Replay,
        footer: Some("event"),
        help: "Jump to the previous / next timeline event",
    },
    Binding {
        keys: &[Key::Char('g'), Key::Char('G')],
        intent: Intent::JumpStart,
        when: When::Replay,
        footer: None,
        help: "Jump to the start / end of the fixture",
    },
    Binding {
        keys: &[Key::Char('-'), Key::Char('+')],
        intent: Intent::Slower,
        when: When::Replay,
        footer: Some("speed"),
        help: "Slower / faster (0.5× … 1000×, then max)",
    },
    Binding {
        keys: &[Key::Char('t')],
        intent: Intent::JumpTo,
        when: When::Always,
        footer: Some("go to"),
        help: "Go to a moment: T+12m, T-1h, 09:17:38Z, an RFC 3339 time (pauses there)",
    },
    Binding {
        keys: &[Key::Up, Key::Down, Key::Char('k'), Key::Char('j')],
        intent: Intent::ScrollUp,
        when: When::Always,
        footer: None,
        help: "Scroll the focused panel",
    },
    Binding {
        keys: &[Key::PageUp, Key::PageDown],
        intent: Intent::PageUp,
        when: When::Always,
        footer: None,
        help: "Scroll the focused panel by a page",
    },
    Binding {
        keys: &[Key::Home, Key::End],
        intent: Intent::Top,
        when: When::Always,
        footer: None,
        help: "Oldest / newest (End follows new entries)",
    },
    Binding {
        keys: &[Key::BackTab, Key::Tab],
        intent: Intent::FocusPrev,
        when: When::Always,
        footer: Some("focus"),
        help: "Move focus back / on: waves, SLOs, checklist, alerts, timeline",
    },
    Binding {
        keys: &[Key::Char('z')],
        intent: Intent::Zoom,
        when: When::Always,
        footer: Some("zoom"),
        help: "Zoom the focused panel to the full screen",
    },
    Binding {
        keys: &[Key::Enter],
        intent: Intent::Open,
        when: When::Always,
        footer: Some("details"),
        help: "Details of the selected entry, gate, alert, SLO or item, whole",
    },
    Binding {
        keys: &[Key::Char('/')],
        intent: Intent::Search,
        when: When::Always,
        footer: Some("search"),
        help: "Search the timeline (n / N: next match back / forward in time)",
    },
    Binding {
        keys: &[Key::Char('f')],
        intent: Intent::PickKind,
        when: When::Always,
        footer: Some("filter"),
        help: "Timeline filter: choose the kind shown from a list",
    },
    Binding {
        keys: &[Key::Char('s')],
        intent: Intent::CycleSeverity,
        when: When::Always,
        footer: None,
        help: "Timeline filter: cycle the lowest severity shown",
    },
    Binding {
        keys: &[Key::Char('P')],
        intent: Intent::Pause,
        when: When::Live,
        footer: Some("Pause"),
        help: "Pause the rollout (asks for a reason, then Enter)",
    },
    Binding {
        keys: &[Key::Char('R')],
        intent: Intent::Resume,
        when: When::Live,
        footer: Some("Resume"),
        help: "Resume a paused rollout (confirm with Enter)",
    },
    Binding {
        keys: &[Key::Char('A')],
        intent: Intent::Advance,
        when: When::Live,
        footer: Some("Advance"),
        help: "Advance to the next wave (shows the effect, confirm with Enter)",
    },
    Binding {
        keys: &[Key::Char('B')],
        intent: Intent::Rollback,
        when: When::Live,
        footer: Some("rollBack"),
        help: "Roll back (shows the effect, asks for a reason, then Enter)",
    },
    Binding {
        keys: &[Key::Char('N')],
        intent: Intent::Note,
        when: When::Live,
        footer: Some("Note"),
        help: "Add a note to the timeline",
    },
    Binding {
        keys: &[Key::Char('M')],
        intent: Intent::Milestone,
        when: When::Live,
        footer: None,
        help: "Mark the incident's next milestone: detected, acknowledged, mitigated, resolved \
               (:milestone WORD for another)",
    },
    Binding {
        keys: &[Key::Char('U')],
        intent: Intent::StatusUpdate,
        when: When::Live,
        footer: None,
        help: "Write a status update (pre-filled; Ctrl+S posts it, saves it, copies it)",
    },
    Binding {
        keys: &[Key::Char('x'), Key::Char(' ')],
        intent: Intent::Check,
        when: When::Checklist,
        footer: Some("(un)tick"),
        help: "Tick or untick the item under the cursor (asks for a note)",
    },
    Binding {
        keys: &[Key::Char(':')],
        intent: Intent::CommandLine,
        when: When::Always,
        footer: Some("cmd"),
        help:
            "Command line: :pause, :rollback, :note, :milestone, :goto, :filter, :q (Tab completes)",
    },
    Binding {
        keys: &[Key::Char('?')],
        intent: Intent::Help,
        when: When::Always,
        footer: Some("help"),
        help: "Show or hide this help",
    },
    Binding {
        keys: &[Key::Esc],
        intent: Intent::Back,
        when: When::Always,
        footer: None,
        help: "Close help, a prompt, the details, the search or zoom",
    },
    Binding {
        keys: &[Key::Char('q'), Key::CtrlC],
        intent: Intent::Quit,
        when: When::Always,
        footer: Some("quit"),
        help: "Quit",
    },
];

/// The intent a key stands for, if any, with the panel `focus` has. Pairs in one row map to
/// the row's intent and its mirror (back/forward, up/down, start/end, slower/faster). The
/// table's order decides between rows that share a key: space plays a replay, and ticks a
/// live checklist.
#[must_use]
pub fn lookup(key: Key, replay: bool, focus: Panel) -> Option<Intent> {
    for b in KEYMAP {
        let applies = match b.when {
            When::Always => true,
            When::Replay => replay,
            When::Live => !replay,
            When::Checklist => focus == Panel::Checklist,
        };
        if !applies {
            continue;
        }
        if let Some(i) = b.keys.iter().position(|k| *k == key) {
            return Some(mirror(b.intent, b.keys.len(), i));
        }
    }
    None
}

fn mirror(intent: Intent, n: usize, i: usize) -> Intent {
    // Rows list their keys as [back, forward] or [back, forward, back, forward].
    let second = n >= 2 && i % 2 == 1;
    match (intent, second) {
        (Intent::SeekBack10s, true) => Intent::SeekFwd10s,
        (Intent::SeekBack1m, true) => Intent::SeekFwd1m,
        (Intent::PrevEvent, true) => Intent::NextEvent,
        (Intent::FocusPrev, true) => Intent::FocusNext,
        (Intent::JumpStart, true) => Intent::JumpEnd,
        (Intent::Slower, true) => Intent::Faster,
        (Intent::ScrollUp, true) => Intent::ScrollDown,
        (Intent::PageUp, true) => Intent::PageDown,
        (Intent::Top, true) => Intent::Bottom,
        (other, _) => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_maps_to_one_intent() {
        let mut seen = std::collections::HashMap::new();
        for b in KEYMAP {
            for k in b.keys {
                if let Some(first) = seen.insert(*k, b.when) {
                    // Space plays a replay and ticks a live checklist: never both at once.
                    assert_eq!(
                        (*k, first, b.when),
                        (Key::Char(' '), When::Replay, When::Checklist),
                        "{k:?} bound twice"
                    );
                }
            }
        }
        let tl = Panel::Timeline;
        assert_eq!(lookup(Key::Right, true, tl), Some(Intent::SeekFwd10s));
        assert_eq!(lookup(Key::Char('>'), true, tl), Some(Intent::SeekFwd1m));
        assert_eq!(lookup(Key::Char('<'), true, tl), Some(Intent::SeekBack1m));
        assert_eq!(lookup(Key::Char('j'), true, tl), Some(Intent::ScrollDown));
        assert_eq!(lookup(Key::Char('G'), true, tl), Some(Intent::JumpEnd));
        assert_eq!(lookup(Key::Char('+'), true, tl), Some(Intent::Faster));
        assert_eq!(lookup(Key::CtrlC, false, tl), Some(Intent::Quit));
        assert_eq!(
            lookup(Key::Char(' '), false, tl),
            None,
            "replay keys do nothing live"
        );
        assert_eq!(lookup(Key::Char('B'), false, tl), Some(Intent::Rollback));
        assert_eq!(
            lookup(Key::Char('B'), true, tl),
            None,
            "no commands in a replay"
        );
        assert_eq!(
            lookup(Key::Char('b'), false, tl),
            None,
            "rollback is a deliberate capital"
        );
        let cl = Panel::Checklist;
        assert_eq!(lookup(Key::Char(' '), false, cl), Some(Intent::Check));
        assert_eq!(lookup(Key::Char('x'), false, cl), Some(Intent::Check));
        assert_eq!(
            lookup(Key::Char('x'), false, tl),
            None,
            "only on the checklist"
        );
        assert_eq!(
            lookup(Key::Char(' '), true, cl),
            Some(Intent::TogglePlay),
            "space still plays a replay"
        );
        assert_eq!(
            lookup(Key::Char('x'), true, cl),
            Some(Intent::Check),
            "a replay says why it does not tick"
        );
    }
}
