//! Replay playback as arithmetic: where the replay should be at a given wall time. The shell
//! passes wall time in (milliseconds on a monotonic clock); nothing here reads a clock.

use super::time::{Offset, Span};

/// Speed steps offered by `+` and `-`; `None` in the table stands for "as fast as possible".
pub const SPEEDS: [Option<f64>; 12] = [
    Some(0.5),
    Some(1.0),
    Some(2.0),
    Some(5.0),
    Some(10.0),
    Some(30.0),
    Some(60.0),
    Some(100.0),
    Some(300.0),
    Some(600.0),
    Some(1000.0),
    None,
];

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Speed {
    /// Fixture seconds per wall second.
    Times(f64),
    /// As fast as records can be applied.
    Max,
}

impl Speed {
    /// Parses `60`, `0.5`, `x10`, `max`.
    ///
    /// # Errors
    /// Outside 0.5 … 1000, or not a number.
    pub fn parse(s: &str) -> Result<Speed, String> {
        if s.trim().eq_ignore_ascii_case("max") {
            return Ok(Speed::Max);
        }
        let t = s
            .trim()
            .trim_start_matches(['x', '×'])
            .trim_end_matches(['x', '×']);
        match t.parse::<f64>() {
            Ok(v) if (0.5..=1000.0).contains(&v) => Ok(Speed::Times(v)),
            _ => Err(format!(
                "speed {s:?}: use a number from 0.5 to 1000, max (as fast as possible) or auto \
                 (the whole fixture in about three minutes)"
            )),
        }
    }

    #[must_use]
    pub fn label(self) -> String {
        match self {
            Speed::Max => "×max".into(),
            Speed::Times(v) => format!("×{}", super::words::trim_number(v)),
        }
    }

    /// The next step up (`faster`) or down in [`SPEEDS`].
    #[must_use]
    pub fn step(self, faster: bool) -> Speed {
        let idx = SPEEDS
            .iter()
            .position(|s| match (s, self) {
                (None, Speed::Max) => true,
                (Some(a), Speed::Times(b)) => *a >= b,
                _ => false,
            })
            .unwrap_or(SPEEDS.len() - 1);
        let exact = matches!((SPEEDS[idx], self), (Some(a), Speed::Times(b)) if (a - b).abs() < f64::EPSILON)
            || (SPEEDS[idx].is_none() && self == Speed::Max);
        let next = match (faster, exact) {
            (true, true) => (idx + 1).min(SPEEDS.len() - 1),
            (true, false) => idx,
            (false, _) => idx.saturating_sub(1),
        };
        SPEEDS[next].map_or(Speed::Max, Speed::Times)
    }
}

/// The replay clock.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Playback {
    pub start: Offset,
    pub end: Offset,
    pub speed: Speed,
    pub playing: bool,
    /// Position at `anchor_wall`.
    anchor_pos: Offset,
    anchor_wall: u64,
}

impl Playback {
    #[must_use]
    pub fn new(start: Offset, end: Offset, speed: Speed) -> Playback {
        Playback {
            start,
            end,
            speed,
            playing: false,
            anchor_pos: start,
            anchor_wall: 0,
        }
    }

    /// Where playback is at `wall` (clamped to the fixture's span).
    #[must_use]
    pub fn position(&self, wall: u64) -> Offset {
        if !self.playing {
            return self.anchor_pos;
        }
        match self.speed {
            Speed::Max => self.end,
            Speed::Times(x) => {
                #[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation)]
                let moved = (wall.saturating_sub(self.anchor_wall) as f64 * x) as i64;
                Offset(self.anchor_pos.0.saturating_add(moved)).min(self.end)
            }
        }
    }

    fn reanchor(&mut self, wall: u64, pos: Offset) {
        self.anchor_pos = pos.clamp(self.start, self.end);
        self.anchor_wall = wall;
    }

    pub fn set_playing(&mut self, playing: bool, wall: u64, at: Offset) {
        self.reanchor(wall, at);
        self.playing = playing;
    }

    pub fn set_speed(&mut self, speed: Speed, wall: u64, at: Offset) {
        self.reanchor(wall, at);
        self.speed = speed;
    }

    pub fn seek(&mut self, to: Offset, wall: u64) {
        self.reanchor(wall, to);
    }

    /// True when playback has reached the end.
    #[must_use]
    pub fn at_end(&self, wall: u64) -> bool {
        self.position(wall) >= self.end
    }
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
    /// Seek, and pause there (go to a moment).
    GoTo(Offset),
    NextEvent,
    PrevEvent,
    Speed(Speed),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn position_follows_wall_time_times_speed() {
        let mut p = Playback::new(Offset(0), Offset(1_000_000), Speed::Times(60.0));
        p.set_playing(true, 1000, Offset(0));
        assert_eq!(p.position(2000), Offset(60_000));
        p.set_speed(Speed::Times(2.0), 2000, p.position(2000));
        assert_eq!(p.position(3000), Offset(62_000));
        p.set_playing(false, 3000, p.position(3000));
        assert_eq!(p.position(99_000), Offset(62_000));
        p.seek(Offset(5_000_000), 99_000);
        assert_eq!(p.position(99_000), Offset(1_000_000), "clamped to the end");
    }

    #[test]
    fn speed_steps_and_parse() {
        assert_eq!(Speed::Times(60.0).step(true), Speed::Times(100.0));
        assert_eq!(Speed::Times(60.0).step(false), Speed::Times(30.0));
        assert_eq!(Speed::Times(1000.0).step(true), Speed::Max);
        assert_eq!(Speed::Max.step(false), Speed::Times(1000.0));
        assert_eq!(Speed::Times(0.5).step(false), Speed::Times(0.5));
        assert_eq!(Speed::Times(45.0).step(true), Speed::Times(60.0));
        assert_eq!(Speed::parse("max"), Ok(Speed::Max));
        assert_eq!(Speed::parse("x10"), Ok(Speed::Times(10.0)));
        assert!(Speed::parse("5000").is_err());
    }
}
