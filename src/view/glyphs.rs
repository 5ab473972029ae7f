//! Glyph sets: Unicode by default, plain ASCII with `--ascii`. Every glyph stands next to a
//! word; a glyph is never the only carrier of a state.

use crate::core::checklist::ItemStatus;

use crate::core::slo::Band;
use crate::core::status::Status;
use crate::core::timeline::Kind;
use crate::core::wave::WaveStatus;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Glyphs {
    pub ascii: bool,
    pub ok: &'static str,
    pub warn: &'static str,
    pub crit: &'static str,
    pub nodata: &'static str,
    pub paused: &'static str,
    pub rolled_back: &'static str,
    pub pending: &'static str,
    pub active: &'static str,
    pub up: &'static str,
    pub down: &'static str,
    pub flat: &'static str,
    pub arrow: &'static str,
    pub sep: &'static str,
    pub play: &'static str,
    pub pause: &'static str,
    pub link: &'static str,
    pub spark: [char; 8],
    pub gap: char,
    pub bar_done: char,
    pub bar_todo: char,
    pub open: &'static str,
    pub waived: &'static str,
    pub ellipsis: &'static str,
    pub kinds: [&'static str; 9],
}

pub const UNICODE: Glyphs = Glyphs {
    ascii: false,
    ok: "✔",
    warn: "▲",
    crit: "✖",
    nodata: "?",
    paused: "‖",
    rolled_back: "↶",
    pending: "○",
    active: "▶",
    up: "↑",
    down: "↓",
    flat: "→",
    arrow: "→",
    sep: "│",
    play: "▶",
    pause: "‖",
    link: "─",
    spark: ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'],
    gap: '·',
    bar_done: '█',
    bar_todo: '░',
    open: "☐",
    waived: "~",
    ellipsis: "…",
    kinds: ["◆", "◉", "☑", "⚠", "✎", "⌘", "✱", "⇄", "•"],
};

pub const ASCII: Glyphs = Glyphs {
    ascii: true,
    ok: "+",
    warn: "!",
    crit: "X",
    nodata: "?",
    paused: "=",
    rolled_back: "<",
    pending: "o",
    active: ">",
    up: "^",
    down: "v",
    flat: "-",
    arrow: "->",
    sep: "|",
    play: ">",
    pause: "||",
    link: "-",
    spark: ['_', '.', '-', '~', '=', '+', '*', '#'],
    gap: ' ',
    bar_done: '#',
    bar_todo: '-',
    open: "[ ]",
    waived: "~",
    ellipsis: "~",
    kinds: ["W", "S", "C", "A", "N", ">", "I", "~", "?"],
};

impl Glyphs {
    #[must_use]
    pub fn band(&self, b: Band) -> &'static str {
        match b {
            Band::Pass => self.ok,
            Band::Warn => self.warn,
            Band::Crit => self.crit,
            Band::NoData => self.nodata,
        }
    }

    #[must_use]
    pub fn status(&self, s: Status) -> &'static str {
        match s {
            Status::Healthy => self.ok,
            Status::Degraded => self.warn,
            Status::Critical => self.crit,
            Status::Paused => self.paused,
            Status::RolledBack => self.rolled_back,
        }
    }

    #[must_use]
    pub fn wave(&self, s: WaveStatus) -> &'static str {
        match s {
            WaveStatus::Pending => self.pending,
            WaveStatus::Active => self.active,
            WaveStatus::Paused => self.paused,
            WaveStatus::Passed => self.ok,
            WaveStatus::Failed => self.crit,
            WaveStatus::RolledBack => self.rolled_back,
        }
    }

    #[must_use]
    pub fn item(&self, s: ItemStatus) -> &'static str {
        match s {
            ItemStatus::Open => self.open,
            ItemStatus::Done => self.ok,
            ItemStatus::Failed => self.crit,
            ItemStatus::Waived => self.waived,
        }
    }

    #[must_use]
    pub fn kind(&self, k: Kind) -> &'static str {
        self.kinds[Kind::ALL.iter().position(|x| *x == k).unwrap_or(8)]
    }
}
