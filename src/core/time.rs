//! Time as data: offsets from the rollout's T0, parsing of human durations, and the two clocks
//! the screen shows (T+ and UTC). Nothing here reads a clock.

use std::fmt;

use time::OffsetDateTime;

/// Milliseconds relative to T0 (negative before T0). The only notion of time in the core.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Offset(pub i64);

impl Offset {
    pub const ZERO: Offset = Offset(0);

    #[must_use]
    pub const fn from_secs(s: i64) -> Self {
        Offset(s * 1000)
    }

    #[must_use]
    pub const fn millis(self) -> i64 {
        self.0
    }

    #[must_use]
    pub fn saturating_add(self, d: Span) -> Offset {
        Offset(self.0.saturating_add(d.0))
    }

    #[must_use]
    pub fn saturating_sub(self, d: Span) -> Offset {
        Offset(self.0.saturating_sub(d.0))
    }

    /// The span from `earlier` to `self` (negative if `earlier` is later).
    #[must_use]
    pub fn since(self, earlier: Offset) -> Span {
        Span(self.0.saturating_sub(earlier.0))
    }

    /// `T+4d05h52m30s`, `T-20m`, `T+0s`: to the second, for a report's rows (the screen's
    /// [`Offset::t_label`] rounds long spans).
    #[must_use]
    pub fn precise_label(self) -> String {
        use std::fmt::Write;
        let sign = if self.0 < 0 { '-' } else { '+' };
        let (d, h, m, s) = dhms(self.0);
        let mut out = format!("T{sign}");
        let mut started = false;
        for (n, unit) in [(d, 'd'), (h, 'h'), (m, 'm')] {
            if n > 0 || started {
                let _ = write!(out, "{}{n}{unit}", if started && n < 10 { "0" } else { "" });
                started = true;
            }
        }
        let _ = if started {
            write!(out, "{s:02}s")
        } else {
            write!(out, "{s}s")
        };
        out
    }

    /// `T+1h02m03s`, `T-24h`, `T+0s`: the clock readout used everywhere on screen.
    #[must_use]
    pub fn t_label(self) -> String {
        let sign = if self.0 < 0 { '-' } else { '+' };
        format!("T{sign}{}", Span(self.0.saturating_abs()).compact())
    }
}

/// Whole days, hours, minutes and seconds of `ms` milliseconds, ignoring its sign.
fn dhms(ms: i64) -> (u64, u64, u64, u64) {
    let total = ms.unsigned_abs() / 1000;
    (
        total / 86_400,
        total / 3600 % 24,
        total / 60 % 60,
        total % 60,
    )
}

/// A length of time in milliseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span(pub i64);

impl Span {
    pub const ZERO: Span = Span(0);

    #[must_use]
    pub const fn from_secs(s: i64) -> Self {
        Span(s * 1000)
    }

    #[must_use]
    pub fn as_duration(self) -> std::time::Duration {
        std::time::Duration::from_millis(u64::try_from(self.0).unwrap_or(0))
    }

    #[must_use]
    pub const fn millis(self) -> i64 {
        self.0
    }

    /// The span in whole seconds, the rest dropped: an age read off a clock that shows
    /// seconds (`0s` for data that just came, not `3ms`).
    #[must_use]
    pub const fn whole_seconds(self) -> Span {
        Span(self.0 / 1000 * 1000)
    }

    /// Human and short: `45s`, `7m05s`, `2h03m`, `3d04h`. Seconds are dropped from hour spans
    /// because nobody reads them at that scale.
    #[must_use]
    pub fn compact(self) -> String {
        let neg = self.0 < 0;
        let (d, h, m, s) = dhms(self.0);
        let body = if d > 0 {
            if h > 0 {
                format!("{d}d{h:02}h")
            } else {
                format!("{d}d")
            }
        } else if h > 0 {
            if m > 0 {
                format!("{h}h{m:02}m")
            } else {
                format!("{h}h")
            }
        } else if m > 0 {
            if s > 0 {
                format!("{m}m{s:02}s")
            } else {
                format!("{m}m")
            }
        } else if self.0 != 0 && self.0.unsigned_abs() < 1000 {
            format!("{}ms", self.0.unsigned_abs())
        } else {
            format!("{s}s")
        };
        if neg {
            format!("-{body}")
        } else {
            body
        }
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.compact())
    }
}

/// Why a duration or offset string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct DurationError(pub String);

/// Parses an offset from T0 as people write it: `T+5m`, `T-24h`, `+90s`, `1h30m`, `2d`,
/// `00:05:00`, `-1:00:00`, `1.5s`, `250ms`. A bare number is seconds. No spaces, anywhere.
///
/// # Errors
/// A message naming what is wrong with the text.
pub fn parse_offset(text: &str) -> Result<Offset, DurationError> {
    no_spaces(text, "offsets", "T+5m", parse_offset)?;
    let s = text
        .strip_prefix('T')
        .or_else(|| text.strip_prefix('t'))
        .unwrap_or(text);
    let (neg, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let span = parse_span_body(body).map_err(|e| DurationError(format!("{e} in {text:?}")))?;
    Ok(Offset(if neg { -span.0 } else { span.0 }))
}

/// Parses a non-negative duration: `24h`, `5m`, `1h30m`, `90s`, `250ms`, `00:05:00`, `1.5`.
/// No spaces, anywhere.
///
/// # Errors
/// A message naming what is wrong with the text.
pub fn parse_span(text: &str) -> Result<Span, DurationError> {
    no_spaces(text, "durations", "5m", parse_span)?;
    if text.starts_with('-') {
        return Err(DurationError(format!(
            "a duration cannot be negative: {text:?}"
        )));
    }
    parse_span_body(text.strip_prefix('+').unwrap_or(text))
        .map_err(|e| DurationError(format!("{e} in {text:?}")))
}

/// Offsets and durations are written without spaces, anywhere: `" T+5m"` and `"T+ 5m"` are
/// refused rather than read as `"T+5m"`, since a space inside a file's value is a slip worth
/// seeing. The message says which character, and what to write instead when that would read.
fn no_spaces<T>(
    text: &str,
    what: &str,
    example: &str,
    parse: fn(&str) -> Result<T, DurationError>,
) -> Result<(), DurationError> {
    let Some(at) = text.chars().position(char::is_whitespace) else {
        return Ok(());
    };
    let squeezed: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let write = if !squeezed.is_empty() && parse(&squeezed).is_ok() {
        format!(": {squeezed:?}")
    } else {
        format!(", e.g. {example:?}")
    };
    Err(DurationError(format!(
        "a space at character {} of {text:?} ({what} are written without spaces{write})",
        at + 1
    )))
}

fn parse_span_body(s: &str) -> Result<Span, String> {
    if s.is_empty() {
        return Err("empty duration".into());
    }
    if s.contains(':') {
        return parse_clock(s);
    }
    if let Ok(secs) = s.parse::<f64>() {
        return secs_to_span(secs);
    }
    let mut total: i64 = 0;
    let mut rest = s;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(|| format!("missing unit after {rest:?} (use d, h, m, min, s or ms)"))?;
        if num_len == 0 {
            return Err(format!("expected a number at {rest:?}"));
        }
        let value: f64 = rest[..num_len]
            .parse()
            .map_err(|_| format!("bad number {:?}", &rest[..num_len]))?;
        rest = &rest[num_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let unit_ms: f64 = match &rest[..unit_len] {
            "d" => 86_400_000.0,
            "h" => 3_600_000.0,
            "m" | "min" => 60_000.0,
            "s" => 1000.0,
            "ms" => 1.0,
            other => {
                return Err(format!(
                    "unknown unit {other:?} (use d, h, m, min, s or ms)"
                ))
            }
        };
        rest = &rest[unit_len..];
        total = total.saturating_add(round_ms(value * unit_ms)?);
    }
    Ok(Span(total))
}

fn parse_clock(s: &str) -> Result<Span, String> {
    let parts: Vec<&str> = s.split(':').collect();
    if parts.len() > 3 {
        return Err("too many ':' (use h:mm:ss)".into());
    }
    let mut secs = 0.0;
    for (i, p) in parts.iter().enumerate() {
        let v: f64 = p.parse().map_err(|_| format!("bad clock field {p:?}"))?;
        if v < 0.0 {
            return Err("negative clock field".into());
        }
        if i > 0 && v >= 60.0 {
            return Err(format!("clock field {p:?} must be below 60 (use h:mm:ss)"));
        }
        secs = secs * 60.0 + v;
    }
    secs_to_span(secs)
}

fn secs_to_span(secs: f64) -> Result<Span, String> {
    if !secs.is_finite() || secs < 0.0 {
        return Err("not a finite, non-negative number of seconds".into());
    }
    Ok(Span(round_ms(secs * 1000.0)?))
}

/// Largest offset or duration accepted, in seconds (about 285,000 years).
pub const MAX_SECS: f64 = 9.0e12;

fn round_ms(ms: f64) -> Result<i64, String> {
    // Anything this large is a typo, not a rollout.
    if !(0.0..=MAX_SECS * 1000.0).contains(&ms) {
        return Err("duration out of range".into());
    }
    #[allow(clippy::cast_possible_truncation)]
    Ok(ms.round() as i64)
}

/// Wall-clock anchor of a rollout: converts offsets to UTC.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Epoch(pub OffsetDateTime);

impl Epoch {
    /// Parses an RFC 3339 timestamp (`2025-02-03T09:00:00Z`).
    ///
    /// # Errors
    /// When the text is not RFC 3339.
    pub fn parse(text: &str) -> Result<Epoch, DurationError> {
        OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
            .map(|t| Epoch(t.to_offset(time::UtcOffset::UTC)))
            .map_err(|e| DurationError(format!("not an RFC 3339 UTC time ({e}): {text:?}")))
    }

    #[must_use]
    pub fn at(self, t: Offset) -> OffsetDateTime {
        // Offsets far outside a century are sentinels ("before anything happened"), not times.
        const CENTURY_MS: i64 = 100 * 366 * 86_400_000;
        self.0
            .checked_add(time::Duration::milliseconds(
                t.0.clamp(-CENTURY_MS, CENTURY_MS),
            ))
            .unwrap_or(self.0)
    }

    /// How far `other` lies after this epoch (negative when before), in milliseconds.
    #[must_use]
    pub fn until(self, other: Epoch) -> Span {
        #[allow(clippy::cast_possible_truncation)]
        Span(((other.0.unix_timestamp_nanos() - self.0.unix_timestamp_nanos()) / 1_000_000) as i64)
    }

    /// The offset of a Unix time in milliseconds (a Prometheus sample's timestamp).
    #[must_use]
    pub fn offset_of_unix_ms(self, unix_ms: i64) -> Offset {
        #[allow(clippy::cast_possible_truncation)]
        let t0 = (self.0.unix_timestamp_nanos() / 1_000_000) as i64;
        Offset(unix_ms.saturating_sub(t0))
    }

    /// `2025-02-03 09:12:00Z`
    #[must_use]
    pub fn utc_label(self, t: Offset) -> String {
        let d = self.at(t);
        format!(
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02}Z",
            d.year(),
            u8::from(d.month()),
            d.day(),
            d.hour(),
            d.minute(),
            d.second()
        )
    }

    /// `09:12:00Z`: the short form used in timeline rows.
    #[must_use]
    pub fn hms_label(self, t: Offset) -> String {
        let d = self.at(t);
        format!("{:02}:{:02}:{:02}Z", d.hour(), d.minute(), d.second())
    }

    /// RFC 3339 with milliseconds, for machine-readable output.
    #[must_use]
    pub fn rfc3339(self, t: Offset) -> String {
        self.at(t)
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precise_labels_keep_every_second_and_pad_after_the_first_unit() {
        let l = |s: i64| Offset::from_secs(s).precise_label();
        assert_eq!(l(0), "T+0s");
        assert_eq!(l(-1200), "T-20m00s");
        assert_eq!(l(4 * 86_400 + 5 * 3600 + 52 * 60 + 30), "T+4d05h52m30s");
        assert_eq!(l(3600 + 5), "T+1h00m05s");
        assert_eq!(l(59), "T+59s");
    }

    #[test]
    fn offsets_people_write() {
        assert_eq!(parse_offset("T+5m"), Ok(Offset(300_000)));
        assert_eq!(parse_offset("T-24h"), Ok(Offset(-86_400_000)));
        assert_eq!(parse_offset("+90s"), Ok(Offset(90_000)));
        assert_eq!(parse_offset("1h30m"), Ok(Offset(5_400_000)));
        assert_eq!(parse_offset("2d"), Ok(Offset(172_800_000)));
        assert_eq!(parse_offset("00:05:00"), Ok(Offset(300_000)));
        assert_eq!(parse_offset("-1:00:00"), Ok(Offset(-3_600_000)));
        assert_eq!(parse_offset("1.5"), Ok(Offset(1500)));
        assert_eq!(parse_offset("250ms"), Ok(Offset(250)));
        assert_eq!(parse_offset("T+1d2h3m4s"), Ok(Offset(93_784_000)));
    }

    #[test]
    fn bad_offsets_say_why() {
        assert!(parse_offset("").is_err());
        assert!(parse_offset("5x").unwrap_err().0.contains("unknown unit"));
        assert!(parse_offset("5").is_ok());
        assert!(parse_offset("h5")
            .unwrap_err()
            .0
            .contains("expected a number"));
        assert!(parse_span("-5m").unwrap_err().0.contains("negative"));
        assert!(parse_offset("1:2:3:4").is_err());
        assert!(parse_offset("00:99:99").unwrap_err().0.contains("below 60"));
    }

    #[test]
    fn spaces_anywhere_are_refused_and_located() {
        for (text, at, write) in [
            ("T+ 5m", 3, ": \"T+5m\""),
            (" T+5m", 1, ": \"T+5m\""),
            ("T+5m ", 5, ": \"T+5m\""),
            ("T+5m\t", 5, ": \"T+5m\""),
            ("1h 30m", 3, ": \"1h30m\""),
            ("00:05: 00", 7, ": \"00:05:00\""),
            ("5 minutes", 2, ", e.g. \"T+5m\""),
            (" ", 1, ", e.g. \"T+5m\""),
        ] {
            let e = parse_offset(text).unwrap_err().0;
            assert_eq!(
                e,
                format!(
                    "a space at character {at} of {text:?} (offsets are written without \
                     spaces{write})"
                )
            );
        }
        assert_eq!(
            parse_span("5m ").unwrap_err().0,
            "a space at character 3 of \"5m \" (durations are written without spaces: \"5m\")"
        );
        assert_eq!(
            parse_span("\u{a0}5m").unwrap_err().0,
            "a space at character 1 of \"\\u{a0}5m\" (durations are written without spaces: \"5m\")"
        );
    }

    #[test]
    fn labels_read_like_a_clock() {
        assert_eq!(Offset(0).t_label(), "T+0s");
        assert_eq!(Offset(-86_400_000).t_label(), "T-1d");
        assert_eq!(Offset(3_723_000).t_label(), "T+1h02m");
        assert_eq!(Span(425_000).compact(), "7m05s");
        assert_eq!(Span(93_784_000).compact(), "1d02h");
        let e = Epoch::parse("2025-02-03T09:00:00Z").unwrap();
        assert_eq!(e.utc_label(Offset(3_723_000)), "2025-02-03 10:02:03Z");
        assert_eq!(e.hms_label(Offset(-60_000)), "08:59:00Z");
    }
}

mod serde_impls {
    //! Offsets and spans are written the way people write them (`"T+5m"`, `"24h"`) or as a
    //! number of seconds; they are read back either way.
    use super::{parse_offset, parse_span, Epoch, Offset, Span, MAX_SECS};
    use serde::de::{self, Visitor};
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use std::fmt;

    struct SecondsOrText<const SIGNED: bool>;

    impl<const SIGNED: bool> Visitor<'_> for SecondsOrText<SIGNED> {
        type Value = i64;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            if SIGNED {
                f.write_str("an offset such as \"T+5m\", \"T-24h\" or a number of seconds")
            } else {
                f.write_str("a duration such as \"24h\", \"5m\" or a number of seconds")
            }
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<i64, E> {
            #[allow(clippy::cast_precision_loss)]
            self.visit_f64(v as f64)
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<i64, E> {
            #[allow(clippy::cast_precision_loss)]
            self.visit_f64(v as f64)
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<i64, E> {
            // One range for every form (numbers and text): about 285,000 years either way,
            // far enough to never matter and near enough that sums of offsets cannot overflow.
            if !v.is_finite() || v.abs() > MAX_SECS || (v < 0.0 && !SIGNED) {
                return Err(E::custom(format!("{v} is not a usable number of seconds")));
            }
            #[allow(clippy::cast_possible_truncation)]
            Ok((v * 1000.0).round() as i64)
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<i64, E> {
            if SIGNED {
                parse_offset(v).map(|o| o.0).map_err(E::custom)
            } else {
                parse_span(v).map(|s| s.0).map_err(E::custom)
            }
        }
    }

    // Text formats (fixtures, the protocol) carry times as people write them; binary ones
    // (state images) as milliseconds.
    impl<'de> Deserialize<'de> for Offset {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            if d.is_human_readable() {
                d.deserialize_any(SecondsOrText::<true>).map(Offset)
            } else {
                i64::deserialize(d).map(Offset)
            }
        }
    }

    impl<'de> Deserialize<'de> for Span {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            if d.is_human_readable() {
                d.deserialize_any(SecondsOrText::<false>).map(Span)
            } else {
                i64::deserialize(d).map(Span)
            }
        }
    }

    impl Serialize for Offset {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            if s.is_human_readable() {
                s.serialize_str(&exact_offset(*self))
            } else {
                s.serialize_i64(self.0)
            }
        }
    }

    impl Serialize for Span {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            if s.is_human_readable() {
                s.serialize_str(exact_offset(Offset(self.0)).trim_start_matches("T+"))
            } else {
                s.serialize_i64(self.0)
            }
        }
    }

    /// Lossless text form (`T+1h02m03.250s`), unlike the rounded on-screen label.
    #[must_use]
    pub fn exact_offset(t: Offset) -> String {
        use std::fmt::Write;
        let sign = if t.0 < 0 { '-' } else { '+' };
        let ms = t.0.unsigned_abs();
        let (h, m, s, milli) = (ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000);
        let mut out = format!("T{sign}");
        if h > 0 {
            let _ = write!(out, "{h}h");
        }
        if m > 0 {
            let _ = write!(out, "{m}m");
        }
        if s > 0 || milli > 0 || (h == 0 && m == 0) {
            if milli > 0 {
                let _ = write!(out, "{s}.{milli:03}s");
            } else {
                let _ = write!(out, "{s}s");
            }
        }
        out
    }

    impl<'de> Deserialize<'de> for Epoch {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
            Epoch::parse(&s).map_err(de::Error::custom)
        }
    }

    impl Serialize for Epoch {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.serialize_str(&self.rfc3339(Offset(0)))
        }
    }
}

pub use serde_impls::exact_offset;

impl Offset {
    /// Fixed-width clock form for timeline rows: `T+01:15:00`, `T+5d01:15:00`, `T-24:00:00`.
    #[must_use]
    pub fn clock_label(self) -> String {
        let sign = if self.0 < 0 { '-' } else { '+' };
        let (d, h, m, s) = dhms(self.0);
        if d > 0 {
            format!("T{sign}{d}d{h:02}:{m:02}:{s:02}")
        } else {
            format!("T{sign}{h:02}:{m:02}:{s:02}")
        }
    }
}
