//! Time without a date crate: Docker's RFC 3339 timestamps to Unix seconds
//! and back, and kubectl's human durations (`45s`, `5m3s`, `3h`, `2d`).

/// Docker's "never" (`State.StartedAt` of a container that never started).
pub const NEVER: &str = "0001-01-01T00:00:00Z";

/// Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The (year, month, day) of a day count since 1970-01-01.
pub fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn number(text: &str, range: std::ops::RangeInclusive<i64>) -> Option<i64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok().filter(|n| range.contains(n))
}

/// Parses `2026-11-29T21:00:00.123456789Z` (or with a `+01:00` offset) to
/// Unix nanoseconds. `None` for Docker's "never", empty or malformed text.
pub fn parse_rfc3339_nanos(text: &str) -> Option<i128> {
    if text.is_empty() || text == NEVER {
        return None;
    }
    let (date, time) = text.split_once(['T', 't', ' '])?;
    let mut date_parts = date.split('-');
    let year = number(date_parts.next()?, 1..=9999)?;
    let month = number(date_parts.next()?, 1..=12)?;
    let day = number(date_parts.next()?, 1..=31)?;
    if date_parts.next().is_some() || year == 1 {
        return None;
    }
    let (clock, offset_seconds) = split_offset(time)?;
    let (hms, fraction) = match clock.split_once('.') {
        Some((_, "")) => return None,
        Some(parts) => parts,
        None => (clock, ""),
    };
    let mut hms_parts = hms.split(':');
    let hour = number(hms_parts.next()?, 0..=23)?;
    let minute = number(hms_parts.next()?, 0..=59)?;
    let second = number(hms_parts.next()?, 0..=60)?;
    if hms_parts.next().is_some() || fraction.len() > 9 {
        return None;
    }
    let nanos = if fraction.is_empty() {
        0
    } else {
        number(fraction, 0..=999_999_999)? * 10i64.pow(9 - fraction.len() as u32)
    };
    let seconds = days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second
        - offset_seconds;
    Some(i128::from(seconds) * 1_000_000_000 + i128::from(nanos))
}

/// Splits `HH:MM:SS[.frac]` from its zone: `Z` or `±HH:MM` (in seconds east).
fn split_offset(time: &str) -> Option<(&str, i64)> {
    if let Some(clock) = time.strip_suffix(['Z', 'z']) {
        return Some((clock, 0));
    }
    let sign_at = time.rfind(['+', '-'])?;
    let (clock, zone) = time.split_at(sign_at);
    let sign = if zone.starts_with('-') { -1 } else { 1 };
    let (hours, minutes) = zone[1..].split_once(':')?;
    Some((
        clock,
        sign * (number(hours, 0..=23)? * 3600 + number(minutes, 0..=59)? * 60),
    ))
}

/// Unix seconds of an RFC 3339 timestamp (fractions dropped, rounding down).
pub fn parse_rfc3339(text: &str) -> Option<i64> {
    parse_rfc3339_nanos(text).map(|nanos| nanos.div_euclid(1_000_000_000) as i64)
}

/// `2026-11-29T21:00:00Z`, as Kubernetes writes timestamps.
pub fn format_rfc3339(unix_seconds: i64) -> String {
    let days = unix_seconds.div_euclid(86_400);
    let second_of_day = unix_seconds.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        second_of_day / 3600,
        second_of_day / 60 % 60,
        second_of_day % 60
    )
}

/// kubectl's `duration.HumanDuration`: precise when young (`5m3s`, `7h30m`),
/// coarser with age (`3h`, `2d5h`, `45d`, `3y120d`).
pub fn human_duration(seconds: i64) -> String {
    if seconds < -1 {
        return "<invalid>".into();
    }
    if seconds < 0 {
        return "0s".into();
    }
    if seconds < 120 {
        return format!("{seconds}s");
    }
    let minutes = seconds / 60;
    if minutes < 10 {
        return with_remainder(minutes, "m", seconds % 60, "s");
    }
    if minutes < 3 * 60 {
        return format!("{minutes}m");
    }
    let hours = seconds / 3600;
    if hours < 8 {
        return with_remainder(hours, "h", minutes % 60, "m");
    }
    if hours < 48 {
        return format!("{hours}h");
    }
    if hours < 24 * 8 {
        return with_remainder(hours / 24, "d", hours % 24, "h");
    }
    if hours < 24 * 365 * 2 {
        return format!("{}d", hours / 24);
    }
    if hours < 24 * 365 * 8 {
        return with_remainder(hours / 24 / 365, "y", (hours / 24) % 365, "d");
    }
    format!("{}y", hours / 24 / 365)
}

fn with_remainder(major: i64, major_unit: &str, minor: i64, minor_unit: &str) -> String {
    if minor == 0 {
        format!("{major}{major_unit}")
    } else {
        format!("{major}{major_unit}{minor}{minor_unit}")
    }
}

/// kubectl's `duration.ShortHumanDuration`: one unit only (`45s`, `5m`, `3h`).
pub fn short_human_duration(seconds: i64) -> String {
    match seconds {
        s if s < -1 => "<invalid>".into(),
        s if s < 0 => "0s".into(),
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m", s / 60),
        s if s < 86_400 => format!("{}h", s / 3600),
        s if s < 86_400 * 365 => format!("{}d", s / 86_400),
        s => format!("{}y", s / 86_400 / 365),
    }
}

/// The AGE column: the time since `since` (Unix seconds), or `<unknown>`.
pub fn age(since: Option<i64>, now: i64) -> String {
    match since {
        Some(since) => human_duration(now - since),
        None => "<unknown>".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_timestamps_parse_to_unix_seconds() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_rfc3339("2026-11-29T21:00:00Z"), Some(1_795_986_000));
        assert_eq!(
            parse_rfc3339("2026-11-29T21:00:00.987654321Z"),
            Some(1_795_986_000)
        );
        assert_eq!(parse_rfc3339("2000-02-29T12:34:56.5Z"), Some(951_827_696));
        assert_eq!(
            parse_rfc3339("2026-11-29T22:00:00+01:00"),
            Some(1_795_986_000)
        );
        assert_eq!(
            parse_rfc3339("2026-11-29T20:30:00-00:30"),
            Some(1_795_986_000)
        );
        assert_eq!(parse_rfc3339("1969-12-31T23:59:59Z"), Some(-1));
    }

    #[test]
    fn fractions_are_kept_to_the_nanosecond() {
        let start = parse_rfc3339_nanos("2026-11-29T21:00:00.100Z").unwrap();
        let end = parse_rfc3339_nanos("2026-11-29T21:00:09.999999999Z").unwrap();
        assert_eq!(end - start, 9_899_999_999);
    }

    #[test]
    fn never_empty_and_malformed_timestamps_are_none() {
        for bad in [
            NEVER,
            "",
            "2026-11-29",
            "2026-13-01T00:00:00Z",
            "2026-11-29T25:00:00Z",
            "2026-11-29T21:00:00",
            "2026-11-29T21:00:00.Z",
            "2026-11-29T21:00:00.1234567890Z",
            "x026-11-29T21:00:00Z",
            "2026-11-29T21:00Z",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
    }

    #[test]
    fn unix_seconds_format_as_kubernetes_timestamps() {
        assert_eq!(format_rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_rfc3339(1_795_986_000), "2026-11-29T21:00:00Z");
        assert_eq!(format_rfc3339(951_827_696), "2000-02-29T12:34:56Z");
        assert_eq!(format_rfc3339(-1), "1969-12-31T23:59:59Z");
        for t in [0, 1, 86_399, 951_827_696, 1_795_986_000, 4_102_444_800] {
            assert_eq!(parse_rfc3339(&format_rfc3339(t)), Some(t));
        }
    }

    #[test]
    fn human_durations_follow_kubectl() {
        let cases = [
            (-5, "<invalid>"),
            (-1, "0s"),
            (0, "0s"),
            (45, "45s"),
            (119, "119s"),
            (120, "2m"),
            (303, "5m3s"),
            (599, "9m59s"),
            (600, "10m"),
            (179 * 60 + 59, "179m"),
            (3 * 3600, "3h"),
            (3 * 3600 + 30 * 60, "3h30m"),
            (8 * 3600 + 59 * 60, "8h"),
            (47 * 3600, "47h"),
            (48 * 3600, "2d"),
            (53 * 3600, "2d5h"),
            (8 * 86_400, "8d"),
            (729 * 86_400, "729d"),
            (730 * 86_400, "2y"),
            (3 * 365 * 86_400 + 120 * 86_400, "3y120d"),
            (8 * 365 * 86_400, "8y"),
        ];
        for (seconds, want) in cases {
            assert_eq!(human_duration(seconds), want, "{seconds}");
        }
    }

    #[test]
    fn short_human_durations_keep_one_unit() {
        let cases = [
            (-2, "<invalid>"),
            (59, "59s"),
            (303, "5m"),
            (7200, "2h"),
            (86_400 * 3, "3d"),
            (86_400 * 400, "1y"),
        ];
        for (seconds, want) in cases {
            assert_eq!(short_human_duration(seconds), want, "{seconds}");
        }
    }

    #[test]
    fn age_is_unknown_without_a_start() {
        assert_eq!(age(Some(100), 145), "45s");
        assert_eq!(age(None, 145), "<unknown>");
    }
}
