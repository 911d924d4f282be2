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
