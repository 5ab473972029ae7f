//! Where "go to" goes: a T+ offset (`T+12m`, `T-1h`, `00:30:00`), a UTC clock time
//! (`09:17:38Z`, the occurrence nearest to where the screen is), or a full RFC 3339 timestamp
//! (`2025-02-07T22:50:00Z`); and, for a replay, where a target outside the recording is
//! clamped to.

use super::time::{parse_offset, Epoch, Offset};

const DAY_MS: i64 = 86_400_000;

/// What the prompt says it accepts.
pub const FORMS: &str = "T+12m, T-1h, 09:17:38Z, 2025-02-07T22:50:00Z";

/// The moment `text` names, on the rollout's clock (`t0`); a clock time is taken on the day
/// that puts it nearest to `near`.
///
/// # Errors
/// Text that is none of the three forms, in words for the prompt.
pub fn parse_target(text: &str, t0: Epoch, near: Offset) -> Result<Offset, String> {
    let s = text.trim();
    if s.is_empty() {
        return Err(format!("type a moment: {FORMS}"));
    }
    let upper = s.to_ascii_uppercase();
    if upper.len() > 10 && upper.as_bytes().get(4) == Some(&b'-') && upper.contains('T') {
        return Epoch::parse(&upper)
            .map(|at| Offset(t0.until(at).0))
            .map_err(|e| e.0);
    }
    if let Some(clock) = upper.strip_suffix('Z') {
        let of_day = parse_clock_of_day(clock)
            .ok_or_else(|| format!("{s:?} is not a UTC clock time (HH:MM or HH:MM:SS, then Z)"))?;
        return Ok(nearest_clock(t0, near, of_day));
    }
    parse_offset(s).map_err(|e| format!("{} (use {FORMS})", e.0))
}

/// Milliseconds into the day of `HH:MM` or `HH:MM:SS`.
fn parse_clock_of_day(s: &str) -> Option<i64> {
    let parts: Vec<&str> = s.split(':').collect();
    if !(2..=3).contains(&parts.len()) || parts.iter().any(|p| p.len() != 2) {
        return None;
    }
    let n: Vec<i64> = parts
        .iter()
        .map(|p| {
            p.parse::<i64>()
                .ok()
                .filter(|_| p.bytes().all(|b| b.is_ascii_digit()))
        })
        .collect::<Option<_>>()?;
    let (h, m, sec) = (n[0], n[1], n.get(2).copied().unwrap_or(0));
    (h < 24 && m < 60 && sec < 60).then_some(((h * 60 + m) * 60 + sec) * 1000)
}

/// The offset whose UTC time of day is `of_day`, on the day before, of or after `near`'s,
/// whichever is nearest to `near`.
fn nearest_clock(t0: Epoch, near: Offset, of_day: i64) -> Offset {
    // Before anything happened the clock is a sentinel far from any day: take T0's.
    const CENTURY_MS: i64 = 100 * 366 * DAY_MS;
    let near = if near.0.unsigned_abs() > CENTURY_MS.unsigned_abs() {
        Offset::ZERO
    } else {
        near
    };
    let at = t0.at(near);
    let into_day =
        (i64::from(at.hour()) * 3600 + i64::from(at.minute()) * 60 + i64::from(at.second())) * 1000
            + i64::from(at.millisecond());
    let same_day = near.0 - into_day + of_day;
    [same_day - DAY_MS, same_day, same_day + DAY_MS]
        .into_iter()
        .min_by_key(|t| (t - near.0).abs())
        .map_or(Offset(same_day), Offset)
}

/// Where a replay goes for `target`, and, when that is not the target itself, why: "T+99h is
/// after the recording's end: went to T+4d05h (the end)".
#[must_use]
pub fn clamp(target: Offset, start: Offset, end: Offset) -> (Offset, Option<String>) {
    if target < start {
        let why = format!(
            "{} is before the recording starts: went to {} (the start)",
            target.t_label(),
            start.t_label()
        );
        (start, Some(why))
    } else if target > end {
        let why = format!(
            "{} is after the recording's end: went to {} (the end)",
            target.t_label(),
            end.t_label()
        );
        (end, Some(why))
    } else {
        (target, None)
    }
}

/// A target as the footer says it: "T+12m (09:17:38Z)".
#[must_use]
pub fn label(t0: Epoch, t: Offset) -> String {
    format!("{} ({})", t.t_label(), t0.hms_label(t))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t0() -> Epoch {
        Epoch::parse("2025-02-03T09:00:00Z").expect("epoch")
    }

    #[test]
    fn offsets_clock_times_and_timestamps() {
        let near = Offset(0);
        assert_eq!(parse_target("T+12m", t0(), near), Ok(Offset(720_000)));
        assert_eq!(parse_target("00:30:00", t0(), near), Ok(Offset(1_800_000)));
        assert_eq!(parse_target("09:17:38Z", t0(), near), Ok(Offset(1_058_000)));
        assert_eq!(parse_target("09:17:38z", t0(), near), Ok(Offset(1_058_000)));
        // 08:00Z is an hour before T0 on its day: nearer than 23 hours after.
        assert_eq!(parse_target("08:00Z", t0(), near), Ok(Offset(-3_600_000)));
        // Four days in, the same clock time is taken on that day.
        let later = Offset(4 * DAY_MS);
        assert_eq!(
            parse_target("09:17:38Z", t0(), later),
            Ok(Offset(4 * DAY_MS + 1_058_000))
        );
        assert_eq!(
            parse_target("2025-02-07T22:50:00Z", t0(), near),
            Ok(Offset(4 * DAY_MS + 13 * 3_600_000 + 50 * 60_000))
        );
        assert!(parse_target("25:00Z", t0(), near).is_err());
        assert!(parse_target("9:17Z", t0(), near).is_err());
        assert!(parse_target("soon", t0(), near)
            .expect_err("words")
            .contains("09:17:38Z"));
        assert!(parse_target("2025-13-07T22:50:00Z", t0(), near).is_err());
    }

    #[test]
    fn clamps_to_the_recording_and_says_where() {
        let (t, why) = clamp(Offset(99 * 3_600_000), Offset(0), Offset(3_600_000));
        assert_eq!(t, Offset(3_600_000));
        assert_eq!(
            why.as_deref(),
            Some("T+4d03h is after the recording's end: went to T+1h (the end)")
        );
        assert_eq!(clamp(Offset(5), Offset(0), Offset(9)), (Offset(5), None));
        assert!(clamp(Offset(-5), Offset(0), Offset(9))
            .1
            .unwrap_or_default()
            .contains("before"));
    }
}
