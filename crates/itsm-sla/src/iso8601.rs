//! Durations as people write them: a whole number of seconds (`16200`) or
//! an ISO 8601 duration of hours, minutes and seconds (`PT4H30M`), for
//! [`BusinessDuration`](crate::BusinessDuration)'s `FromStr` and its JSON.
//!
//! Business time has no days: a working day is not 24 hours, and how long it
//! is depends on the calendar and the date. So `D` (and `W`, months and
//! years) are refused with a message that points to working days and
//! calendar days, the two day units the calendar knows.

/// Parses a business-time duration into whole seconds.
///
/// Accepted: ASCII digits (`16200`), or `PT` followed by at least one of
/// `nH`, `nM`, `nS` in that order, each at most once, with whole numbers
/// (designators may be lower-case). Refused, with a message saying why:
/// days, weeks, months and years; fractions; signs; anything else.
pub(crate) fn parse_seconds(text: &str) -> Result<u64, String> {
    if text.is_empty() {
        return Err("empty duration: expected seconds (16200) or ISO 8601 (PT4H30M)".to_owned());
    }
    if text.bytes().all(|b| b.is_ascii_digit()) {
        return text
            .parse::<u64>()
            .map_err(|_| format!("duration {text:?} is too large"));
    }
    let upper = text.to_ascii_uppercase();
    let Some(rest) = upper.strip_prefix('P') else {
        return Err(format!(
            "invalid duration {text:?}: expected a whole number of seconds (16200) or an ISO 8601 duration (PT4H30M)"
        ));
    };
    let Some(time) = rest.strip_prefix('T') else {
        // A date part: days, weeks, months or years.
        return Err(if rest.contains('D') || rest.contains('W') {
            format!(
                "invalid duration {text:?}: business time has no days or weeks (a working day is not 24 hours); \
                 give hours (PT8H), or count working days or calendar days instead"
            )
        } else if rest.contains('M') || rest.contains('Y') {
            format!(
                "invalid duration {text:?}: months and years are not business time; give hours (PT8H)"
            )
        } else {
            format!(
                "invalid duration {text:?}: expected PT followed by hours, minutes or seconds (PT4H30M)"
            )
        });
    };
    if time.is_empty() {
        return Err(format!(
            "invalid duration {text:?}: no hours, minutes or seconds after PT"
        ));
    }
    let mut total: u64 = 0;
    let mut number: Option<u64> = None;
    // The rank of the last designator seen: 0 none, 1 H, 2 M, 3 S.
    let mut last = 0u8;
    for c in time.chars() {
        match c {
            '0'..='9' => {
                let digit = u64::from(c as u8 - b'0');
                number = Some(
                    number
                        .unwrap_or(0)
                        .checked_mul(10)
                        .and_then(|n| n.checked_add(digit))
                        .ok_or_else(|| format!("duration {text:?} is too large"))?,
                );
            }
            'H' | 'M' | 'S' => {
                let (rank, unit) = match c {
                    'H' => (1, 3600),
                    'M' => (2, 60),
                    _ => (3, 1),
                };
                let Some(n) = number.take() else {
                    return Err(format!(
                        "invalid duration {text:?}: {c} has no number before it"
                    ));
                };
                if rank <= last {
                    return Err(format!(
                        "invalid duration {text:?}: hours, minutes and seconds must come in that order, each once"
                    ));
                }
                last = rank;
                total = n
                    .checked_mul(unit)
                    .and_then(|s| total.checked_add(s))
                    .ok_or_else(|| format!("duration {text:?} is too large"))?;
            }
            '.' | ',' => {
                return Err(format!(
                    "invalid duration {text:?}: fractions are not accepted; use smaller units (PT1H30M, not PT1.5H)"
                ));
            }
            'D' | 'W' | 'Y' => {
                return Err(format!(
                    "invalid duration {text:?}: days, weeks and years belong before T, and business time has none; \
                     give hours (PT8H), or count working days or calendar days instead"
                ));
            }
            _ => {
                return Err(format!(
                    "invalid duration {text:?}: unexpected {c:?}; expected digits and H, M, S (PT4H30M)"
                ));
            }
        }
    }
    if number.is_some() {
        return Err(format!(
            "invalid duration {text:?}: the last number has no unit (H, M or S)"
        ));
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::parse_seconds;

    /// `expected`: `Ok(seconds)` or `Err(a substring of the message)`.
    fn check(input: &str, expected: Result<u64, &str>) {
        let actual = parse_seconds(input);
        match (&actual, expected) {
            (Ok(a), Ok(e)) if *a == e => {}
            (Err(a), Err(e)) if a.contains(e) => {}
            _ => panic!("input {input:?}: expected {expected:?}, got {actual:?}"),
        }
    }

    #[test]
    fn durations() {
        let table: &[(&str, Result<u64, &str>)] = &[
            // Whole seconds.
            ("0", Ok(0)),
            ("45", Ok(45)),
            ("16200", Ok(16_200)),
            ("18446744073709551615", Ok(u64::MAX)),
            ("18446744073709551616", Err("too large")),
            // ISO 8601 hours, minutes, seconds.
            ("PT4H30M", Ok(4 * 3600 + 30 * 60)),
            ("PT4H", Ok(14_400)),
            ("PT30M", Ok(1_800)),
            ("PT45S", Ok(45)),
            ("PT1H0M5S", Ok(3_605)),
            ("PT1H5S", Ok(3_605)),
            ("PT100H", Ok(360_000)),
            ("PT0S", Ok(0)),
            ("PT90M", Ok(5_400)),
            ("pt4h30m", Ok(16_200)),
            ("PT0004H", Ok(14_400)),
            // Days and other date units are not business time.
            ("P2D", Err("business time has no days")),
            ("P1DT2H", Err("count working days or calendar days")),
            ("P1W", Err("no days or weeks")),
            ("P1M", Err("months and years")),
            ("P1Y", Err("months and years")),
            ("PT1D", Err("business time has none")),
            // Malformed.
            ("", Err("empty duration")),
            ("P", Err("expected PT")),
            ("PT", Err("no hours, minutes or seconds")),
            ("PT4H30", Err("has no unit")),
            ("PT30M4H", Err("in that order")),
            ("PT4H4H", Err("in that order")),
            ("PTH", Err("has no number")),
            ("PT1.5H", Err("fractions")),
            ("PT1,5H", Err("fractions")),
            ("-PT4H", Err("expected a whole number")),
            ("-5", Err("expected a whole number")),
            ("+5", Err("expected a whole number")),
            ("4h", Err("expected a whole number")),
            (" 45", Err("expected a whole number")),
            ("PT4H ", Err("unexpected ' '")),
            ("PT4X", Err("unexpected 'X'")),
            ("PT99999999999999999999H", Err("too large")),
            ("PT5124095576030432H", Err("too large")),
        ];
        for (input, expected) in table {
            check(input, *expected);
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]

        /// Any written hours, minutes and seconds (each part optional, in
        /// order) parse to their total, in either case.
        #[test]
        fn written_parts_sum_up(
            h in proptest::option::of(0u64..100_000),
            m in proptest::option::of(0u64..10_000),
            s in proptest::option::of(0u64..1_000_000),
            lower in proptest::bool::ANY,
        ) {
            proptest::prop_assume!(h.is_some() || m.is_some() || s.is_some());
            let mut text = "PT".to_owned();
            if let Some(h) = h { text.push_str(&format!("{h}H")); }
            if let Some(m) = m { text.push_str(&format!("{m}M")); }
            if let Some(s) = s { text.push_str(&format!("{s}S")); }
            if lower { text = text.to_lowercase(); }
            let expected = h.unwrap_or(0) * 3600 + m.unwrap_or(0) * 60 + s.unwrap_or(0);
            proptest::prop_assert_eq!(parse_seconds(&text), Ok(expected));
        }

        /// A whole number of seconds parses to itself.
        #[test]
        fn seconds_parse_to_themselves(n in proptest::num::u64::ANY) {
            proptest::prop_assert_eq!(parse_seconds(&n.to_string()), Ok(n));
        }

        /// Nothing panics, whatever the text.
        #[test]
        fn any_text_parses_or_errs(text in "\\PC{0,24}") {
            let _ = parse_seconds(&text);
        }
    }
}
