//! DST conformance table across the zones that stress it: Europe/London,
//! America/New_York, Australia/Lord_Howe (30-minute DST), Pacific/Apia (the
//! skipped 30 December 2011), Europe/Dublin (negative DST), with overnight
//! shifts, intervals starting in gaps and folds, and holidays on DST days.
//!
//! Every expected value was worked out by hand from the zone's offsets; the
//! comment on each case shows the arithmetic.

use chrono::{DateTime, NaiveDate, Utc, Weekday};
use itsm_sla::{BusinessCalendar, BusinessDuration, CompiledCalendar, Holiday, WorkingInterval};

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .unwrap_or_else(|e| panic!("bad instant {s:?}: {e}"))
        .with_timezone(&Utc)
}

/// Which days an interval applies to.
#[derive(Clone, Copy)]
enum Days {
    All,
    Weekdays,
    Only(Weekday),
}

/// A calendar: zone, one interval on some days, whole-day holidays.
struct Cal {
    zone: &'static str,
    days: Days,
    start: &'static str,
    end: &'static str,
    holidays: &'static [&'static str],
}

impl Cal {
    fn compile(&self) -> CompiledCalendar {
        let mut calendar = BusinessCalendar::always("dst");
        calendar.time_zone = self.zone.to_owned();
        calendar.week = Default::default();
        let mut day = Weekday::Mon;
        for _ in 0..7 {
            let on = match self.days {
                Days::All => true,
                Days::Weekdays => !matches!(day, Weekday::Sat | Weekday::Sun),
                Days::Only(d) => d == day,
            };
            if on {
                calendar
                    .week
                    .day_mut(day)
                    .push(WorkingInterval::new(self.start, self.end));
            }
            day = day.succ();
        }
        calendar.holidays = self
            .holidays
            .iter()
            .map(|d| Holiday {
                date: d.parse::<NaiveDate>().unwrap(),
                name: (*d).to_owned(),
                closed: Vec::new(),
            })
            .collect();
        CompiledCalendar::new(&calendar)
            .unwrap_or_else(|e| panic!("calendar in {}: {e}", self.zone))
    }
}

/// An operation and its expected result.
enum Op {
    Between(&'static str, &'static str, u64),
    Add(&'static str, u64, &'static str),
    Opening(&'static str, &'static str),
    Closing(&'static str, &'static str),
    Working(&'static str, bool),
    CalendarDays(&'static str, u32, &'static str),
    WorkingDays(&'static str, u32, bool, &'static str),
}

fn check(case: &str, cal: &Cal, op: Op) {
    let c = cal.compile();
    let (got, want) = match op {
        Op::Between(a, b, secs) => (
            format!("{:?}", c.between(t(a), t(b)).map(|d| d.as_secs())),
            format!("{:?}", Ok::<u64, ()>(secs)),
        ),
        Op::Add(a, secs, u) => {
            let got = c.add(t(a), BusinessDuration::from_secs(secs));
            if let Ok(v) = got {
                assert_eq!(
                    c.between(t(a), v).map(|d| d.as_secs()),
                    Ok(secs),
                    "case {case}: law between(a, add(a, d)) == d"
                );
            }
            (
                format!("{:?}", got.map(|v| v.to_rfc3339())),
                format!("{:?}", Ok::<String, ()>(t(u).to_rfc3339())),
            )
        }
        Op::Opening(a, u) => (
            format!("{:?}", c.next_opening(t(a)).map(|v| v.to_rfc3339())),
            format!("{:?}", Ok::<String, ()>(t(u).to_rfc3339())),
        ),
        Op::Closing(a, u) => (
            format!("{:?}", c.next_closing(t(a)).map(|v| v.to_rfc3339())),
            format!("{:?}", Ok::<String, ()>(t(u).to_rfc3339())),
        ),
        Op::Working(a, w) => (format!("{:?}", c.is_working(t(a))), format!("{w:?}")),
        Op::CalendarDays(a, n, u) => (
            format!("{:?}", c.add_calendar_days(t(a), n).map(|v| v.to_rfc3339())),
            format!("{:?}", Ok::<String, ()>(t(u).to_rfc3339())),
        ),
        Op::WorkingDays(a, n, eod, u) => (
            format!(
                "{:?}",
                c.add_working_days(t(a), n, eod).map(|v| v.to_rfc3339())
            ),
            format!("{:?}", Ok::<String, ()>(t(u).to_rfc3339())),
        ),
    };
    assert_eq!(got, want, "case {case} in {}", cal.zone);
}

const H: u64 = 3600;

#[test]
fn europe_london() {
    let all_day_spring = Cal {
        zone: "Europe/London",
        days: Days::All,
        start: "00:00",
        end: "24:00",
        holidays: &["2026-03-29"],
    };
    // 28 Mar 00:00 GMT .. 31 Mar 00:00 BST is 71 h elapsed; the 23-hour holiday leaves 48 h.
    check(
        "holiday on the 23-hour day removes 23 h",
        &all_day_spring,
        Op::Between("2026-03-28T00:00:00Z", "2026-03-30T23:00:00Z", 48 * H),
    );
    let all_day_autumn = Cal {
        zone: "Europe/London",
        days: Days::All,
        start: "00:00",
        end: "24:00",
        holidays: &["2026-10-25"],
    };
    // 24 Oct 00:00 BST (23:00Z) .. 27 Oct 00:00 GMT is 73 h; the 25-hour holiday leaves 48 h.
    check(
        "holiday on the 25-hour day removes 25 h",
        &all_day_autumn,
        Op::Between("2026-10-23T23:00:00Z", "2026-10-27T00:00:00Z", 48 * H),
    );
    let nights = Cal {
        zone: "Europe/London",
        days: Days::All,
        start: "22:00",
        end: "06:00",
        holidays: &[],
    };
    // Sat 22:00 GMT .. Sun 06:00 BST = 22:00Z .. 05:00Z: 7 h.
    check(
        "overnight shift across spring forward is 7 h",
        &nights,
        Op::Between("2026-03-28T20:00:00Z", "2026-03-29T12:00:00Z", 7 * H),
    );
    check(
        "overnight shift used up lands on its close",
        &nights,
        Op::Add("2026-03-28T22:00:00Z", 7 * H, "2026-03-29T05:00:00Z"),
    );
    // Sat 22:00 BST (21:00Z) .. Sun 06:00 GMT (06:00Z): 9 h.
    check(
        "overnight shift across fall back is 9 h",
        &nights,
        Op::Add("2026-10-24T21:00:00Z", 9 * H, "2026-10-25T06:00:00Z"),
    );
    check(
        "second 01:30 of the fold is inside the night shift",
        &nights,
        Op::Working("2026-10-25T01:30:00Z", true),
    );
    check(
        "next closing of the long night",
        &nights,
        Op::Closing("2026-10-24T23:00:00Z", "2026-10-25T06:00:00Z"),
    );
    let gap = Cal {
        zone: "Europe/London",
        days: Days::Only(Weekday::Sun),
        start: "01:30",
        end: "03:00",
        holidays: &[],
    };
    // 01:30 does not exist on 29 March: it moves forward by the 1-hour gap to 02:30 BST (01:30Z); 03:00 BST is 02:00Z.
    check(
        "start in the gap moves forward by the gap",
        &gap,
        Op::Opening("2026-03-29T00:00:00Z", "2026-03-29T01:30:00Z"),
    );
    check(
        "interval starting in the gap is 30 min",
        &gap,
        Op::Between("2026-03-29T00:00:00Z", "2026-03-29T12:00:00Z", 1800),
    );
    // 01:30 happens twice on 25 October: the earlier is 01:30 BST (00:30Z); 03:00 GMT is 03:00Z.
    check(
        "start in the fold takes the earlier instant",
        &gap,
        Op::Opening("2026-10-25T00:00:00Z", "2026-10-25T00:30:00Z"),
    );
    check(
        "interval starting in the fold is 2.5 h",
        &gap,
        Op::Between("2026-10-25T00:00:00Z", "2026-10-25T12:00:00Z", 9000),
    );
    let holiday_nights = Cal {
        zone: "Europe/London",
        days: Days::All,
        start: "22:00",
        end: "06:00",
        holidays: &["2026-03-29"],
    };
    // The holiday removes local 29 March (00:00Z .. 23:00Z): Saturday's shift keeps 22:00Z..00:00Z (2 h),
    // Sunday's shift (21:00Z .. 05:00Z) keeps 23:00Z..05:00Z (6 h).
    check(
        "holiday on the DST day cuts overnight shifts at local midnight",
        &holiday_nights,
        Op::Between("2026-03-28T12:00:00Z", "2026-03-30T12:00:00Z", 8 * H),
    );
    let office = Cal {
        zone: "Europe/London",
        days: Days::Weekdays,
        start: "09:00",
        end: "17:30",
        holidays: &[],
    };
    check(
        "calendar day across spring forward is 23 h",
        &office,
        Op::CalendarDays("2026-03-28T12:00:00Z", 1, "2026-03-29T11:00:00Z"),
    );
    check(
        "calendar day across fall back is 25 h",
        &office,
        Op::CalendarDays("2026-10-24T12:00:00Z", 1, "2026-10-25T13:00:00Z"),
    );
    check(
        "working day keeps the wall time across DST",
        &office,
        Op::WorkingDays("2026-03-27T10:00:00Z", 1, false, "2026-03-30T09:00:00Z"),
    );
    check(
        "end of working day after DST",
        &office,
        Op::WorkingDays("2026-03-27T10:00:00Z", 1, true, "2026-03-30T16:30:00Z"),
    );
    // 2040 is outside the compiled window: the same rules, computed on demand.
    check(
        "overnight across spring forward outside the window",
        &nights,
        Op::Add("2040-03-24T22:00:00Z", 7 * H, "2040-03-25T05:00:00Z"),
    );
}

#[test]
fn america_new_york() {
    let office = Cal {
        zone: "America/New_York",
        days: Days::Weekdays,
        start: "09:00",
        end: "17:00",
        holidays: &[],
    };
    // Fri 6 Mar 16:00 EST (21:00Z): 1 h; Mon 9 Mar 09:00 EDT (13:00Z) + 1 h.
    check(
        "friday to monday across spring forward",
        &office,
        Op::Add("2026-03-06T21:00:00Z", 2 * H, "2026-03-09T14:00:00Z"),
    );
    let all_day = Cal {
        zone: "America/New_York",
        days: Days::All,
        start: "00:00",
        end: "24:00",
        holidays: &["2026-11-01"],
    };
    // 31 Oct 00:00 EDT (04:00Z) .. 3 Nov 00:00 EST (05:00Z) = 73 h; the 25-hour holiday leaves 48 h.
    check(
        "holiday on the 25-hour day",
        &all_day,
        Op::Between("2026-10-31T04:00:00Z", "2026-11-03T05:00:00Z", 48 * H),
    );
    let gap = Cal {
        zone: "America/New_York",
        days: Days::Only(Weekday::Sun),
        start: "02:30",
        end: "04:00",
        holidays: &[],
    };
    // 02:30 on 8 March moves to 03:30 EDT (07:30Z); 04:00 EDT is 08:00Z.
    check(
        "start in the gap",
        &gap,
        Op::Between("2026-03-08T00:00:00Z", "2026-03-08T20:00:00Z", 1800),
    );
    let nights = Cal {
        zone: "America/New_York",
        days: Days::All,
        start: "20:00",
        end: "04:00",
        holidays: &[],
    };
    // Sat 31 Oct 20:00 EDT (00:00Z) .. Sun 04:00 EST (09:00Z) = 9 h.
    check(
        "overnight across fall back",
        &nights,
        Op::Add("2026-11-01T00:00:00Z", 9 * H, "2026-11-01T09:00:00Z"),
    );
}

#[test]
fn australia_lord_howe() {
    // Lord Howe: +10:30 standard, +11:00 summer; back at 02:00 on 5 Apr 2026, forward at 02:00 on 4 Oct 2026.
    let all_day = Cal {
        zone: "Australia/Lord_Howe",
        days: Days::All,
        start: "00:00",
        end: "24:00",
        holidays: &["2026-10-04"],
    };
    // 3 Oct 00:00 +10:30 (2 Oct 13:30Z) .. 6 Oct 00:00 +11 (5 Oct 13:00Z) = 71.5 h; holiday 23.5 h.
    check(
        "holiday on the 23.5-hour day",
        &all_day,
        Op::Between("2026-10-02T13:30:00Z", "2026-10-05T13:00:00Z", 48 * H),
    );
    let april = Cal {
        zone: "Australia/Lord_Howe",
        days: Days::All,
        start: "00:00",
        end: "24:00",
        holidays: &["2026-04-05"],
    };
    // 4 Apr 00:00 +11 (3 Apr 13:00Z) .. 7 Apr 00:00 +10:30 (6 Apr 13:30Z) = 72.5 h; holiday 24.5 h.
    check(
        "holiday on the 24.5-hour day",
        &april,
        Op::Between("2026-04-03T13:00:00Z", "2026-04-06T13:30:00Z", 48 * H),
    );
    let gap = Cal {
        zone: "Australia/Lord_Howe",
        days: Days::Only(Weekday::Sun),
        start: "02:00",
        end: "03:00",
        holidays: &[],
    };
    // 02:00 on 4 Oct is in the 30-minute gap: it moves to 02:30 +11 (3 Oct 15:30Z); 03:00 +11 is 16:00Z.
    check(
        "start in the 30-minute gap",
        &gap,
        Op::Opening("2026-10-03T00:00:00Z", "2026-10-03T15:30:00Z"),
    );
    check(
        "interval in the 30-minute gap is 30 min",
        &gap,
        Op::Between("2026-10-03T00:00:00Z", "2026-10-04T00:00:00Z", 1800),
    );
    let fold = Cal {
        zone: "Australia/Lord_Howe",
        days: Days::Only(Weekday::Sun),
        start: "01:45",
        end: "03:00",
        holidays: &[],
    };
    // 01:45 on 5 Apr happens twice: earlier is 01:45 +11 (4 Apr 14:45Z); 03:00 +10:30 is 16:30Z: 1 h 45 min.
    check(
        "start in the 30-minute fold",
        &fold,
        Op::Between("2026-04-04T00:00:00Z", "2026-04-05T00:00:00Z", 6300),
    );
}

#[test]
fn pacific_apia() {
    // Apia skipped Friday 30 December 2011: 29 Dec 23:59:59 -10:00 was followed by 31 Dec 00:00 +14:00.
    let office = Cal {
        zone: "Pacific/Apia",
        days: Days::Weekdays,
        start: "09:00",
        end: "17:00",
        holidays: &[],
    };
    // Thu 16:00 -10 (30 Dec 02:00Z): 1 h on Thursday. Friday's 09:00-17:00 does not exist: it moves forward
    // by the 24-hour gap onto Saturday 31 Dec 09:00-17:00 +14 (30 Dec 19:00Z .. 31 Dec 03:00Z).
    check(
        "the skipped friday's shift moves to saturday",
        &office,
        Op::Add("2011-12-30T02:00:00Z", 2 * H, "2011-12-30T20:00:00Z"),
    );
    // 1 h Thursday + 8 h (moved Friday) + Mon 2 Jan 09:00-10:00 +14 (1 Jan 19:00Z .. 20:00Z).
    check(
        "between across the skipped day",
        &office,
        Op::Between("2011-12-30T02:00:00Z", "2012-01-01T20:00:00Z", 10 * H),
    );
    // 29 Dec 10:00 -10 (20:00Z) + 1 calendar day: 30 Dec 10:00 does not exist, so 31 Dec 10:00 +14.
    check(
        "calendar day into the skipped day",
        &office,
        Op::CalendarDays("2011-12-29T20:00:00Z", 1, "2011-12-30T20:00:00Z"),
    );
    check(
        "two calendar days land on the same instant",
        &office,
        Op::CalendarDays("2011-12-29T20:00:00Z", 2, "2011-12-30T20:00:00Z"),
    );
    let all_day = Cal {
        zone: "Pacific/Apia",
        days: Days::All,
        start: "00:00",
        end: "24:00",
        holidays: &["2011-12-30"],
    };
    // A holiday on a day that did not exist removes nothing: 29 Dec 00:00 -10 (10:00Z) .. 1 Jan 00:00 +14 (31 Dec 10:00Z).
    check(
        "holiday on the skipped day removes nothing",
        &all_day,
        Op::Between("2011-12-29T10:00:00Z", "2011-12-31T10:00:00Z", 48 * H),
    );
}

#[test]
fn europe_dublin() {
    // Dublin's winter time is a negative DST in the tz database (IST +1 standard, GMT in winter);
    // the instants are the same as London's.
    let office = Cal {
        zone: "Europe/Dublin",
        days: Days::Weekdays,
        start: "09:00",
        end: "17:30",
        holidays: &["2026-03-17"],
    };
    // Mon 16 Mar 16:30 GMT: 1 h; Tuesday is St Patrick's Day; Wed 09:00 GMT + 1 h.
    check(
        "holiday skipped",
        &office,
        Op::Add("2026-03-16T16:30:00Z", 2 * H, "2026-03-18T10:00:00Z"),
    );
    // Fri 27 Mar 16:30 GMT: 1 h; Mon 30 Mar 09:00 IST (08:00Z) + 1 h.
    check(
        "friday to monday across spring forward",
        &office,
        Op::Add("2026-03-27T16:30:00Z", 2 * H, "2026-03-30T09:00:00Z"),
    );
    let nights = Cal {
        zone: "Europe/Dublin",
        days: Days::All,
        start: "22:00",
        end: "06:00",
        holidays: &["2026-10-25"],
    };
    // Sat 24 Oct 22:00 IST (21:00Z) .. local midnight 25 Oct (23:00Z) = 2 h; the holiday removes 25 Oct
    // (23:00Z .. 26 Oct 00:00Z); Sunday's shift 22:00Z .. 06:00Z keeps 00:00Z .. 06:00Z = 6 h.
    check(
        "holiday on the 25-hour day with overnight shifts",
        &nights,
        Op::Between("2026-10-24T12:00:00Z", "2026-10-26T12:00:00Z", 8 * H),
    );
}
