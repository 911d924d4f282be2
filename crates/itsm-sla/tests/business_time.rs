//! Business-time arithmetic: `add`, `between`, openings and closings, the
//! three units, as data-driven tables around one `check` helper each.

use chrono::{DateTime, Utc};
use itsm_sla::{BusinessCalendar, BusinessDuration, CompiledCalendar, DurationSpec};

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .unwrap_or_else(|e| panic!("bad instant {s:?}: {e}"))
        .with_timezone(&Utc)
}

fn uk() -> CompiledCalendar {
    let json = r#"{"name": "uk-office", "time_zone": "Europe/London",
      "week": {
        "monday": [{"start": "09:00", "end": "12:00"}, {"start": "13:00", "end": "17:30"}],
        "tuesday": [{"start": "09:00", "end": "12:00"}, {"start": "13:00", "end": "17:30"}],
        "wednesday": [{"start": "09:00", "end": "12:00"}, {"start": "13:00", "end": "17:30"}],
        "thursday": [{"start": "09:00", "end": "12:00"}, {"start": "13:00", "end": "17:30"}],
        "friday": [{"start": "09:00", "end": "12:00"}, {"start": "13:00", "end": "17:30"}]},
      "holidays": [{"date": "2026-12-25", "name": "Christmas Day"}, {"date": "2026-12-28", "name": "Boxing Day (substitute)"},
                   {"date": "2040-12-25", "name": "Christmas Day"}]}"#;
    CompiledCalendar::new(&BusinessCalendar::from_json(json).unwrap()).unwrap()
}

/// One `add` case: calendar, start, business seconds, expected result.
fn check_add(cal: &CompiledCalendar, case: &str, start: &str, secs: u64, expect: &str) {
    let got = cal
        .add(t(start), BusinessDuration::from_secs(secs))
        .map(|u| u.to_rfc3339());
    assert_eq!(
        got.as_deref(),
        Ok(t(expect).to_rfc3339().as_str()),
        "case {case}: add({start}, {secs}s)"
    );
    // The law, on every case of the table.
    let back = cal.between(t(start), t(expect)).unwrap();
    assert_eq!(
        back.as_secs(),
        secs,
        "case {case}: between({start}, {expect})"
    );
}

#[test]
fn add_table() {
    let uk = uk();
    let h = 3600;
    let cases: &[(&str, &str, u64, &str)] = &[
        (
            "zero outside hours stays",
            "2026-03-07T20:00:00Z",
            0,
            "2026-03-07T20:00:00Z",
        ),
        (
            "inside morning",
            "2026-03-02T09:00:00Z",
            2 * h,
            "2026-03-02T11:00:00Z",
        ),
        (
            "across lunch",
            "2026-03-02T11:00:00Z",
            2 * h,
            "2026-03-02T14:00:00Z",
        ),
        (
            "uses up the day lands on closing",
            "2026-03-02T09:00:00Z",
            7 * h + 1800,
            "2026-03-02T17:30:00Z",
        ),
        (
            "uses up the morning lands on noon",
            "2026-03-02T09:00:00Z",
            3 * h,
            "2026-03-02T12:00:00Z",
        ),
        (
            "weekend start",
            "2026-03-07T10:00:00Z",
            h,
            "2026-03-09T10:00:00Z",
        ),
        (
            "friday to monday across spring forward",
            "2026-03-27T15:30:00Z",
            4 * h,
            "2026-03-30T10:00:00Z",
        ),
        (
            "christmas skipped",
            "2026-12-24T16:30:00Z",
            2 * h,
            "2026-12-29T10:00:00Z",
        ),
        (
            "outside window after",
            "2040-12-24T16:30:00Z",
            2 * h,
            "2040-12-26T10:00:00Z",
        ),
        (
            "outside window before",
            "1999-12-31T16:30:00Z",
            2 * h,
            "2000-01-03T10:00:00Z",
        ),
        (
            "nanoseconds carried",
            "2026-03-02T09:00:00.25Z",
            60,
            "2026-03-02T09:01:00.25Z",
        ),
        (
            "nanoseconds across close",
            "2026-03-02T17:29:59.5Z",
            1,
            "2026-03-03T09:00:00.5Z",
        ),
    ];
    for (case, start, secs, expect) in cases {
        check_add(&uk, case, start, *secs, expect);
    }
}

#[test]
fn between_reversed_is_zero() {
    let uk = uk();
    assert_eq!(
        uk.between(t("2026-03-03T10:00:00Z"), t("2026-03-02T10:00:00Z")),
        Ok(BusinessDuration::ZERO)
    );
}

#[test]
fn spans() {
    let uk = uk();
    let start = t("2026-03-06T10:00:00Z");
    let wd = uk
        .add_span(
            start,
            DurationSpec::WorkingDays {
                days: 1,
                end_of_working_day: false,
            },
        )
        .unwrap();
    assert_eq!(wd, t("2026-03-09T10:00:00Z"));
    let eod = uk
        .add_span(
            start,
            DurationSpec::WorkingDays {
                days: 1,
                end_of_working_day: true,
            },
        )
        .unwrap();
    assert_eq!(eod, t("2026-03-09T17:30:00Z"));
    let cd = uk
        .add_span(
            t("2026-03-28T10:00:00Z"),
            DurationSpec::CalendarDays { days: 1 },
        )
        .unwrap();
    assert_eq!(cd, t("2026-03-29T09:00:00Z"));
    assert_eq!(
        uk.next_opening(t("2026-03-07T10:00:00Z")).unwrap(),
        t("2026-03-09T09:00:00Z")
    );
    assert_eq!(
        uk.next_closing(t("2026-03-09T10:00:00Z")).unwrap(),
        t("2026-03-09T12:00:00Z")
    );
    assert!(uk.is_working(t("2026-03-09T10:00:00Z")));
    assert!(!uk.is_working(t("2026-03-09T12:30:00Z")));
}

/// `23:59:60` plus `nanos` on 31 December 2016, a real leap second.
fn leap(nanos: u32) -> DateTime<Utc> {
    chrono::NaiveDate::from_ymd_opt(2016, 12, 31)
        .and_then(|d| d.and_hms_nano_opt(23, 59, 59, 1_000_000_000 + nanos))
        .map(|t| t.and_utc())
        .expect("a leap instant")
}

#[test]
fn leap_seconds_are_read_as_the_next_whole_second() {
    let always = CompiledCalendar::always();
    let (before, after) = (t("2016-12-31T23:59:58Z"), t("2017-01-01T00:00:02Z"));
    for nanos in [0, 500_000_000, 999_999_999] {
        let l = leap(nanos);
        // `add` works (it once failed with a false "outside the supported
        // range") and counts from the next whole second.
        assert_eq!(
            always.add(l, BusinessDuration::from_secs(1)).unwrap(),
            t("2017-01-01T00:00:01Z"),
            "{l:?}"
        );
        // `between` is additive across the leap instant.
        let whole = always.between(before, after).unwrap();
        let parts = always.between(before, l).unwrap() + always.between(l, after).unwrap();
        assert_eq!(parts, whole, "{l:?}");
        assert_eq!(whole.as_secs(), 4);
        assert!(always.is_working(l));
        // Outside working time, the same reading: the next opening after
        // New Year's Eve's leap second is Monday 2 January 2017 at 09:00.
        assert_eq!(uk().next_opening(l).unwrap(), t("2017-01-02T09:00:00Z"));
    }
}
