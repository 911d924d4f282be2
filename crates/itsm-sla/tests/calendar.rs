//! Business calendars: the wire form, validation (every problem at once),
//! hostile input (errors, never panics or hangs), and lossless round trips.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use itsm_core::Validate;
use itsm_sla::{
    BusinessCalendar, BusinessDuration, CompiledCalendar, DurationSpec, ExtraWorkingDate, Holiday,
    SlaError, WeekSchedule, WorkingInterval,
};
use proptest::prelude::*;

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .unwrap_or_else(|e| panic!("bad instant {s:?}: {e}"))
        .with_timezone(&Utc)
}

const UK_OFFICE: &str = r#"{"name": "uk-office", "time_zone": "Europe/London",
  "week": {"monday": [{"start": "09:00", "end": "12:00"}, {"start": "13:00", "end": "17:30"}],
           "tuesday": [{"start": "09:00", "end": "17:30"}]},
  "holidays": [{"date": "2026-12-25", "name": "Christmas Day"},
               {"date": "2026-12-24", "name": "Christmas Eve afternoon", "closed": [{"start": "12:00", "end": "24:00"}]}],
  "extra_working_dates": [{"date": "2026-12-19", "name": "stock-taking", "intervals": [{"start": "10:00", "end": "14:00"}]}]}"#;

/// The `(path, rule)` pairs a calendar should break, in order.
type Expected<'a> = &'a [(&'a str, &'a str)];

/// One validation case: the calendar JSON, and the `(path, rule)` pairs expected, in order.
fn check_problems(case: &str, json: &str, expect: &[(&str, &str)]) {
    let calendar = BusinessCalendar::from_json(json).unwrap_or_else(|e| panic!("case {case}: {e}"));
    let got: Vec<(String, String)> = calendar
        .validate()
        .into_iter()
        .map(|v| (v.path, v.rule))
        .collect();
    let want: Vec<(String, String)> = expect
        .iter()
        .map(|(p, r)| ((*p).to_owned(), (*r).to_owned()))
        .collect();
    assert_eq!(got, want, "case {case}");
    match CompiledCalendar::new(&calendar) {
        Ok(_) => assert!(expect.is_empty(), "case {case}: compiled despite problems"),
        Err(SlaError::InvalidCalendar { problems, .. }) => {
            assert_eq!(
                problems.len(),
                expect.len(),
                "case {case}: compile reports every problem"
            )
        }
        Err(e) => panic!("case {case}: unexpected error {e}"),
    }
}

#[test]
fn validation_table() {
    let cases: &[(&str, &str, Expected)] = &[
        ("the issue's example is valid", UK_OFFICE, &[]),
        (
            "every problem at once",
            r#"{"name": "bad", "time_zone": "Mars/Olympus_Mons", "week": {
                "monday": [{"start": "09:00", "end": "12:00"}, {"start": "11:00", "end": "17:00"}],
                "tuesday": [{"start": "9am", "end": "25:00"}]}}"#,
            &[
                ("time_zone", "unknown_time_zone"),
                ("week.tuesday[0].start", "malformed_time"),
                ("week.tuesday[0].end", "malformed_time"),
                ("week.monday[1]", "overlapping_intervals"),
            ],
        ),
        (
            "no working time at all",
            r#"{"name": "closed", "time_zone": "UTC"}"#,
            &[("week", "no_working_time")],
        ),
        (
            "overnight shift overlapping the next morning",
            r#"{"name": "n", "time_zone": "UTC", "week": {"monday": [{"start": "22:00", "end": "07:00"}],
                "tuesday": [{"start": "06:00", "end": "10:00"}]}}"#,
            &[("week.tuesday[0]", "overlapping_intervals")],
        ),
        (
            "sunday night runs into monday morning",
            r#"{"name": "n", "time_zone": "UTC", "week": {"sunday": [{"start": "22:00", "end": "07:00"}],
                "monday": [{"start": "06:00", "end": "10:00"}]}}"#,
            &[("week.monday[0]", "overlapping_intervals")],
        ),
        (
            "overnight shift ending exactly at the next start is fine",
            r#"{"name": "n", "time_zone": "UTC", "week": {"monday": [{"start": "22:00", "end": "06:00"}],
                "tuesday": [{"start": "06:00", "end": "10:00"}]}}"#,
            &[],
        ),
        (
            "start of 24:00 and seconds out of range",
            r#"{"name": "n", "time_zone": "UTC", "week": {"monday": [{"start": "24:00", "end": "10:00:60"}]}}"#,
            &[
                ("week.monday[0].start", "malformed_time"),
                ("week.monday[0].end", "malformed_time"),
                ("week", "no_working_time"),
            ],
        ),
        (
            "duplicate and conflicting dates",
            r#"{"name": "d", "time_zone": "UTC", "week": {"monday": [{"start": "09:00", "end": "17:00"}]},
                "holidays": [{"date": "2026-01-01", "name": "a"}, {"date": "2026-01-01", "name": "b"}],
                "extra_working_dates": [{"date": "2026-01-01", "intervals": [{"start": "09:00", "end": "12:00"}]},
                                        {"date": "2026-01-03", "intervals": []}]}"#,
            &[
                ("holidays[1].date", "duplicate_date"),
                ("extra_working_dates[0].date", "holiday_and_working"),
                ("extra_working_dates[1].intervals", "required"),
            ],
        ),
        (
            "dates outside the supported years",
            r#"{"name": "d", "time_zone": "UTC", "week": {"monday": [{"start": "09:00", "end": "17:00"}]},
                "holidays": [{"date": "1850-01-01", "name": "old"}, {"date": "+99999-01-01", "name": "far"}]}"#,
            &[
                ("holidays[0].date", "date_out_of_range"),
                ("holidays[1].date", "date_out_of_range"),
            ],
        ),
        (
            "extra working dates alone are working time",
            r#"{"name": "e", "time_zone": "UTC",
                "extra_working_dates": [{"date": "2026-01-03", "intervals": [{"start": "09:00", "end": "12:00"}]}]}"#,
            &[],
        ),
        (
            "empty name",
            r#"{"name": " ", "time_zone": "UTC", "week": {"monday": [{"start": "09:00", "end": "17:00"}]}}"#,
            &[("name", "required")],
        ),
    ];
    for (case, json, expect) in cases {
        check_problems(case, json, expect);
    }
}

#[test]
fn error_messages_name_the_field_and_value() {
    let calendar = BusinessCalendar::from_json(
        r#"{"name": "bad", "time_zone": "Mars/Olympus_Mons", "week": {"monday": [{"start": "9am", "end": "17:00"}]}}"#,
    )
    .unwrap();
    let message = CompiledCalendar::new(&calendar).unwrap_err().to_string();
    assert!(
        message.starts_with("calendar \"bad\" is invalid: "),
        "{message}"
    );
    assert!(message.contains("\"Mars/Olympus_Mons\""), "{message}");
    assert!(
        message.contains("week.monday[0].start: start \"9am\""),
        "{message}"
    );
}

#[test]
fn malformed_json_is_an_error_with_a_path() {
    let cases: &[(&str, Option<&str>)] = &[
        (
            r#"{"name": "x", "time_zone": "UTC", "week": {"monday": [{"start": 9}]}}"#,
            Some("week.monday[0].start"),
        ),
        (
            r#"{"name": "x", "time_zone": "UTC", "holidays": [{"date": "2026-02-30", "name": "no"}]}"#,
            Some("holidays[0].date"),
        ),
        (r#"{"name": "x", "time_zone": "UTC"} trailing"#, Some(".")),
        (r#"{"name": "x""#, None),
        ("", None),
        ("[]", None),
    ];
    for (json, path) in cases {
        match BusinessCalendar::from_json(json) {
            Err(SlaError::Json { path: got, message }) => {
                assert!(!message.is_empty());
                if let Some(path) = path {
                    assert_eq!(&got, path, "json {json}");
                }
            }
            other => panic!("json {json}: expected a JSON error, got {other:?}"),
        }
    }
}

#[test]
fn partial_holiday_and_extra_working_date() {
    let calendar = CompiledCalendar::new(&BusinessCalendar::from_json(UK_OFFICE).unwrap()).unwrap();
    // Christmas Eve 2026 is a Thursday: no weekday intervals, so only the Monday/Tuesday week matters;
    // Saturday 19 Dec is an extra working date 10:00-14:00 GMT.
    assert_eq!(
        calendar.between(t("2026-12-19T00:00:00Z"), t("2026-12-20T00:00:00Z")),
        Ok(BusinessDuration::from_hours(4))
    );
    // Tuesday 22 Dec is a normal 8.5-hour day.
    assert_eq!(
        calendar.between(t("2026-12-22T00:00:00Z"), t("2026-12-23T00:00:00Z")),
        Ok(BusinessDuration::from_secs(30_600))
    );
    let mut half_day = BusinessCalendar::from_json(UK_OFFICE).unwrap();
    half_day.holidays = vec![Holiday {
        date: NaiveDate::from_ymd_opt(2026, 12, 22).unwrap(),
        name: "afternoon off".into(),
        closed: vec![WorkingInterval::new("12:00", "24:00")],
    }];
    let half_day = CompiledCalendar::new(&half_day).unwrap();
    assert_eq!(
        half_day.between(t("2026-12-22T00:00:00Z"), t("2026-12-23T00:00:00Z")),
        Ok(BusinessDuration::from_hours(3))
    );
}

#[test]
fn hostile_inputs_are_errors_not_panics() {
    let uk = CompiledCalendar::new(&BusinessCalendar::from_json(UK_OFFICE).unwrap()).unwrap();
    let always = CompiledCalendar::always();
    let now = t("2026-03-02T10:00:00Z");
    let billion_hours = BusinessDuration::from_hours(1_000_000_000);
    for cal in [&uk, &always] {
        assert!(
            matches!(
                cal.add(now, billion_hours),
                Err(SlaError::OutOfRange { .. })
            ),
            "{}",
            cal.name()
        );
        assert!(matches!(
            cal.add(now, BusinessDuration::MAX),
            Err(SlaError::OutOfRange { .. })
        ));
        for edge in [DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC] {
            assert!(matches!(
                cal.add(edge, BusinessDuration::from_hours(1)),
                Err(SlaError::OutOfRange { .. })
            ));
            assert!(matches!(
                cal.add(edge, BusinessDuration::ZERO),
                Err(SlaError::OutOfRange { .. })
            ));
            assert!(matches!(
                cal.between(edge, now),
                Err(SlaError::OutOfRange { .. })
            ));
            assert!(matches!(
                cal.between(now, edge),
                Err(SlaError::OutOfRange { .. })
            ));
            assert!(matches!(
                cal.next_opening(edge),
                Err(SlaError::OutOfRange { .. })
            ));
            assert!(matches!(
                cal.next_closing(edge),
                Err(SlaError::OutOfRange { .. })
            ));
            assert!(!cal.is_working(edge));
            for span in [
                DurationSpec::CalendarDays { days: u32::MAX },
                DurationSpec::WorkingDays {
                    days: u32::MAX,
                    end_of_working_day: true,
                },
            ] {
                assert!(matches!(
                    cal.add_span(edge, span),
                    Err(SlaError::OutOfRange { .. })
                ));
                assert!(matches!(
                    cal.add_span(now, span),
                    Err(SlaError::OutOfRange { .. })
                ));
            }
        }
    }
    // The whole supported range, mostly outside the compiled window: bounded, exact.
    let first = t("1900-01-01T00:00:00Z");
    let last = t("2200-01-01T00:00:00Z");
    assert_eq!(
        always.between(first, last).unwrap().as_secs(),
        (last - first).num_seconds() as u64
    );
    // Mondays 7.5 h, Tuesdays 8.5 h (never across a DST change), plus the 4-hour extra Saturday.
    let mut want = 4 * 3600;
    let mut date = NaiveDate::from_ymd_opt(1900, 1, 1).unwrap();
    while date.year() < 2200 {
        want += match date.weekday() {
            chrono::Weekday::Mon => 27_000,
            chrono::Weekday::Tue => 30_600,
            _ => 0,
        };
        date = date.succ_opt().unwrap();
    }
    assert_eq!(
        uk.between(first, last),
        Ok(BusinessDuration::from_secs(want))
    );
    // Just inside the end of the range.
    assert_eq!(
        always.add(
            last - Duration::seconds(10),
            BusinessDuration::from_secs(10)
        ),
        Ok(last)
    );
    assert!(matches!(
        always.add(
            last - Duration::seconds(10),
            BusinessDuration::from_secs(11)
        ),
        Err(SlaError::OutOfRange { .. })
    ));
    assert!(matches!(
        uk.add(t("2199-12-30T00:00:00Z"), BusinessDuration::from_hours(100)),
        Err(SlaError::OutOfRange { .. })
    ));
    // A 24x7 calendar never closes.
    assert!(matches!(
        always.next_closing(now),
        Err(SlaError::NeverCloses { .. })
    ));
}

#[test]
fn working_time_that_runs_out_is_an_error() {
    let json = r#"{"name": "one-day", "time_zone": "Europe/London",
        "extra_working_dates": [{"date": "2026-06-06", "intervals": [{"start": "10:00", "end": "12:00"}]}]}"#;
    let cal = CompiledCalendar::new(&BusinessCalendar::from_json(json).unwrap()).unwrap();
    let before = t("2026-06-01T00:00:00Z");
    assert_eq!(
        cal.add(before, BusinessDuration::from_hours(2)),
        Ok(t("2026-06-06T11:00:00Z"))
    );
    for result in [
        cal.add(before, BusinessDuration::from_hours(3)),
        cal.next_opening(t("2026-06-07T00:00:00Z")),
        cal.next_closing(t("2026-06-07T00:00:00Z")),
        cal.add_working_days(before, 2, false),
    ] {
        assert!(
            matches!(result, Err(SlaError::NoWorkingTime { .. })),
            "{result:?}"
        );
    }
    assert_eq!(
        cal.add_working_days(before, 1, true),
        Ok(t("2026-06-06T11:00:00Z"))
    );
    // Before the window, far from any working time, still bounded and exact.
    assert_eq!(
        cal.next_opening(t("1950-01-01T00:00:00Z")),
        Ok(t("2026-06-06T09:00:00Z"))
    );
}

#[test]
fn always_is_elapsed_time() {
    let always = CompiledCalendar::always();
    assert!(always.is_always());
    assert_eq!(always.name(), "24x7");
    assert_eq!(always.time_zone(), "UTC");
    let a = t("2026-03-29T00:00:00.5Z");
    assert_eq!(
        always.add(a, BusinessDuration::from_hours(5)),
        Ok(t("2026-03-29T05:00:00.5Z"))
    );
    assert_eq!(
        always.between(a, t("2026-03-29T05:00:00.4Z")),
        Ok(BusinessDuration::from_secs(17_999))
    );
    // The same shape in a DST zone is elapsed time too (a 23-hour day has 23 working hours).
    let mut london = BusinessCalendar::always("london-24x7");
    london.time_zone = "Europe/London".into();
    let london = CompiledCalendar::new(&london).unwrap();
    assert_eq!(
        london.between(t("2026-03-29T00:00:00Z"), t("2026-03-30T00:00:00Z")),
        Ok(BusinessDuration::from_hours(24))
    );
    let week = WeekSchedule::every_day(&[WorkingInterval::new("00:00", "24:00")]);
    assert_eq!(week, BusinessCalendar::always("x").week);
}

#[test]
fn duration_spec_wire_names_are_snake_case() {
    let cases: &[(DurationSpec, &str)] = &[
        (
            DurationSpec::BusinessTime {
                seconds: BusinessDuration::from_secs(14_400),
            },
            r#"{"unit":"business_time","seconds":14400}"#,
        ),
        (
            DurationSpec::WorkingDays {
                days: 3,
                end_of_working_day: true,
            },
            r#"{"unit":"working_days","days":3,"end_of_working_day":true}"#,
        ),
        (
            DurationSpec::CalendarDays { days: 5 },
            r#"{"unit":"calendar_days","days":5}"#,
        ),
    ];
    for (spec, json) in cases {
        assert_eq!(&serde_json::to_string(spec).unwrap(), json);
        assert_eq!(&serde_json::from_str::<DurationSpec>(json).unwrap(), spec);
    }
    let default_eod: DurationSpec =
        serde_json::from_str(r#"{"unit":"working_days","days":2}"#).unwrap();
    assert_eq!(
        default_eod,
        DurationSpec::WorkingDays {
            days: 2,
            end_of_working_day: false
        }
    );
}

#[test]
fn the_example_validates_against_the_schema() {
    let schema = serde_json::to_value(schemars::schema_for!(BusinessCalendar)).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let example: serde_json::Value = serde_json::from_str(UK_OFFICE).unwrap();
    assert!(validator.is_valid(&example));
    let bad: serde_json::Value = serde_json::from_str(r#"{"name": "x", "time_zone": 3}"#).unwrap();
    assert!(!validator.is_valid(&bad));
}

fn interval() -> impl Strategy<Value = WorkingInterval> {
    (
        "[0-2][0-9]:[0-5][0-9]",
        "[0-2][0-9]:[0-5][0-9](:[0-5][0-9])?",
    )
        .prop_map(|(s, e)| WorkingInterval { start: s, end: e })
}

fn calendar() -> impl Strategy<Value = BusinessCalendar> {
    let days = proptest::collection::vec(proptest::collection::vec(interval(), 0..3), 7);
    let date = (1900i32..2200, 1u32..13, 1u32..29)
        .prop_map(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d).unwrap());
    (
        "[a-z-]{1,12}",
        prop_oneof![
            Just("Europe/London".to_owned()),
            Just("UTC".to_owned()),
            "[A-Za-z/_]{1,20}"
        ],
        days,
        proptest::collection::vec(
            (
                date.clone(),
                ".{0,10}",
                proptest::collection::vec(interval(), 0..2),
            ),
            0..3,
        ),
        proptest::collection::vec(
            (date, ".{0,10}", proptest::collection::vec(interval(), 0..2)),
            0..3,
        ),
    )
        .prop_map(|(name, time_zone, days, holidays, extras)| {
            let mut week = WeekSchedule::default();
            let mut day = chrono::Weekday::Mon;
            for intervals in days {
                *week.day_mut(day) = intervals;
                day = day.succ();
            }
            BusinessCalendar {
                name,
                time_zone,
                week,
                holidays: holidays
                    .into_iter()
                    .map(|(date, name, closed)| Holiday { date, name, closed })
                    .collect(),
                extra_working_dates: extras
                    .into_iter()
                    .map(|(date, name, intervals)| ExtraWorkingDate {
                        date,
                        name,
                        intervals,
                    })
                    .collect(),
            }
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn calendars_round_trip_and_never_panic_when_compiled(calendar in calendar()) {
        let json = serde_json::to_string(&calendar).unwrap();
        prop_assert_eq!(&BusinessCalendar::from_json(&json).unwrap(), &calendar);
        // Validation and compilation agree, and never panic.
        let problems = calendar.validate();
        match CompiledCalendar::new(&calendar) {
            Ok(compiled) => {
                prop_assert!(problems.is_empty());
                let now = t("2026-03-29T00:30:00Z");
                let _ = compiled.add(now, BusinessDuration::from_hours(10));
                let _ = compiled.next_closing(now);
            }
            Err(SlaError::InvalidCalendar { problems: reported, .. }) => prop_assert_eq!(reported, problems),
            Err(e) => prop_assert!(false, "unexpected error {}", e),
        }
    }

    #[test]
    fn durations_round_trip(secs in any::<u64>(), days in any::<u32>(), eod in any::<bool>()) {
        for spec in [
            DurationSpec::BusinessTime { seconds: BusinessDuration::from_secs(secs) },
            DurationSpec::WorkingDays { days, end_of_working_day: eod },
            DurationSpec::CalendarDays { days },
        ] {
            let json = serde_json::to_string(&spec).unwrap();
            prop_assert_eq!(serde_json::from_str::<DurationSpec>(&json).unwrap(), spec);
        }
        prop_assert_eq!(serde_json::to_string(&BusinessDuration::from_secs(secs)).unwrap(), secs.to_string());
    }
}
