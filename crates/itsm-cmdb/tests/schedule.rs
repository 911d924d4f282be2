//! Change schedule conflicts, one case a line: a schedule, a change and the
//! other scheduled changes in, the conflicts out (rendered compactly by
//! `render`), on a small payroll estate whose every relationship is below.
//!
//! ```text
//! Payroll portal (business_service) depends_on payroll (application)
//! payroll depends_on payroll-db (database); payroll runs_on vm-app
//! payroll-db runs_on vm-db; vm-app, vm-db hosted_on host-a (linux_server)
//! host-a connects_to switch (network_device)
//! HR (business_service) depends_on hr (application) depends_on payroll-db
//! mail (application): alone
//! ```
//!
//! Instants are 2026 and UTC unless a zone is named: 2026-03-01 is a Sunday,
//! London springs forward on Sunday 2026-03-29 (01:00 GMT becomes 02:00
//! BST) and falls back on Sunday 2026-10-25 (02:00 BST becomes 01:00 GMT).

use chrono::{DateTime, Utc};
use itsm_cmdb::{
    ChangeSchedule, Cmdb, CmdbData, CmdbError, CompiledSchedule, ConfigurationItem, Conflict,
    GraphIndex, Interval, RelatedAs, Relationship, ScheduledChanges,
};
use itsm_core::{
    Change, ChangeId, ChangeState, ChangeType, CiId, NumberPrefix, PersonId, RecordNumber,
};

const CIS: [(&str, &str); 11] = [
    ("Payroll portal", "business_service"),
    ("payroll", "application"),
    ("payroll-db", "database"),
    ("vm-app", "virtual_machine"),
    ("vm-db", "virtual_machine"),
    ("host-a", "linux_server"),
    ("switch", "network_device"),
    ("hr", "application"),
    ("HR", "business_service"),
    ("mail", "application"),
    ("mail-vm", "virtual_machine"),
];

const RELATIONSHIPS: [(&str, &str, &str); 10] = [
    ("Payroll portal", "depends_on", "payroll"),
    ("payroll", "depends_on", "payroll-db"),
    ("payroll", "runs_on", "vm-app"),
    ("payroll-db", "runs_on", "vm-db"),
    ("vm-app", "hosted_on", "host-a"),
    ("vm-db", "hosted_on", "host-a"),
    ("host-a", "connects_to", "switch"),
    ("HR", "depends_on", "hr"),
    ("hr", "depends_on", "payroll-db"),
    ("mail", "runs_on", "mail-vm"),
];

fn id_of(name: &str) -> CiId {
    let i = CIS
        .iter()
        .position(|(n, _)| *n == name)
        .unwrap_or_else(|| panic!("no CI named {name}"));
    CiId::from_u128(0x0190_e3a4_0000_7000_8000_0000_0000_0000 + i as u128 + 1)
}

fn name_of(id: &CiId) -> String {
    CIS.iter()
        .map(|(n, _)| *n)
        .find(|n| id_of(n) == *id)
        .map_or_else(|| id.to_string(), str::to_owned)
}

fn estate() -> Cmdb {
    let mut cmdb = Cmdb::import(CmdbData::starter()).expect("the starter imports");
    for (name, class) in CIS {
        cmdb.add_ci(ConfigurationItem::new(id_of(name), class, name))
            .expect("a valid CI");
    }
    for (s, ty, t) in RELATIONSHIPS {
        cmdb.add_relationship(Relationship::new(id_of(s), ty, id_of(t)))
            .expect("an allowed relationship");
    }
    cmdb
}

/// `2026-` + `text` (`03-01T02:00`) + `:00Z`, or a whole RFC 3339 instant.
fn at(text: &str) -> DateTime<Utc> {
    let full = if text.len() == 11 {
        format!("2026-{text}:00Z")
    } else {
        text.to_owned()
    };
    DateTime::parse_from_rfc3339(&full)
        .unwrap_or_else(|e| panic!("{full}: {e}"))
        .with_timezone(&Utc)
}

fn short(t: DateTime<Utc>) -> String {
    t.format("%m-%dT%H:%M").to_string()
}

fn span(i: &Interval) -> String {
    format!("{}/{}", short(i.start), short(i.end))
}

fn spans(list: &[Interval]) -> String {
    list.iter().map(span).collect::<Vec<_>>().join(",")
}

/// One conflict on one line: `kind ci …`.
fn render(c: &Conflict) -> String {
    match c {
        Conflict::Unscheduled { missing } => format!("unscheduled {}", missing.join(",")),
        Conflict::Blackout {
            window,
            ci,
            path,
            overlaps,
            ..
        } => format!(
            "blackout {window} {} path {} {}",
            name_of(ci),
            path.iter().map(name_of).collect::<Vec<_>>().join(">"),
            spans(overlaps)
        ),
        Conflict::OutsideMaintenanceWindow {
            ci,
            uncovered,
            windows,
            nearest_service,
        } => format!(
            "outside {} uncovered {} windows [{}]{}",
            name_of(ci),
            spans(uncovered),
            windows
                .iter()
                .map(|w| format!("{}@{}({})", w.window, name_of(&w.window_ci), spans(&w.open)))
                .collect::<Vec<_>>()
                .join(" "),
            nearest_service
                .map(|s| format!(" service {}", name_of(&s)))
                .unwrap_or_default()
        ),
        Conflict::CiAlreadyScheduled {
            ci,
            number,
            overlap,
            ..
        } => format!("already {} {number} {}", name_of(ci), span(overlap)),
        Conflict::RelatedCiScheduled {
            ci,
            number,
            related,
            overlap,
            ..
        } => format!(
            "related {} {number} {} {}",
            name_of(ci),
            related
                .iter()
                .map(|r| format!(
                    "{}:{}:{}",
                    name_of(&r.ci),
                    r.relationship_type,
                    match r.related_as {
                        RelatedAs::Dependent => "dependent",
                        RelatedAs::Dependency => "dependency",
                    }
                ))
                .collect::<Vec<_>>()
                .join(","),
            span(overlap)
        ),
        other => format!("unexpected {other:?}"),
    }
}

/// Replaces every `$name` (a CI of the estate, up to the next quote) by its id.
fn with_ids(json: &str) -> String {
    let mut out = String::new();
    let mut rest = json;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let tail = &rest[i + 1..];
        let end = tail.find('"').unwrap_or(tail.len());
        out.push_str(&id_of(&tail[..end]).to_string());
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// A schedule from its windows' JSON (`$name` for a CI's id).
fn schedule(blackouts: &[&str], maintenance: &[&str]) -> ChangeSchedule {
    let json = format!(
        r#"{{"blackouts": [{}], "maintenance_windows": [{}]}}"#,
        blackouts.join(","),
        maintenance.join(",")
    );
    ChangeSchedule::from_json(&with_ids(&json)).unwrap_or_else(|e| panic!("{e}\n{json}"))
}

fn change(n: u64, cis: &[&str], start: Option<&str>, end: Option<&str>) -> Change {
    let mut c = Change::new(
        ChangeId::from_u128(0xC000 + u128::from(n)),
        RecordNumber::new(NumberPrefix::Change, n).expect("a change number"),
        ChangeType::Normal,
        PersonId::from_u128(1),
        format!("change {n}"),
        at("02-20T09:00"),
    );
    c.configuration_items = cis.iter().map(|n| id_of(n)).collect();
    c.planned_start = start.map(at);
    c.planned_end = end.map(at);
    c.state = ChangeState::Scheduled;
    c
}

/// A window's JSON: `name`, `target` (`ci:payroll-db`, `class:database`,
/// `service:Payroll portal`) and `when` (`once START END`, or the JSON of a
/// recurring window).
fn window(name: &str, target: &str, when: &str) -> String {
    let (kind, what) = target.split_once(':').expect("kind:what");
    let applies = match kind {
        "class" => format!(r#"{{"class": "{what}"}}"#),
        _ => format!(r#"{{"{kind}": "${what}"}}"#),
    };
    let when = match when.strip_prefix("once ") {
        Some(rest) => {
            let (s, e) = rest.split_once(' ').expect("once START END");
            format!(
                r#"{{"once": {{"start": "{}", "end": "{}"}}}}"#,
                at(s).to_rfc3339(),
                at(e).to_rfc3339()
            )
        }
        None => when.to_owned(),
    };
    format!(r#"{{"name": "{name}", "applies_to": {applies}, "when": {when}}}"#)
}

fn weekly(days: &str, start: &str, end: &str, extra: &str) -> String {
    let days: Vec<String> = days.split(',').map(|d| format!("\"{d}\"")).collect();
    format!(
        r#"{{"weekly": {{"time_zone": "Europe/London", "days": [{}], "start": "{start}", "end": "{end}"{extra}}}}}"#,
        days.join(",")
    )
}

struct Case<'a> {
    name: &'a str,
    blackouts: Vec<String>,
    maintenance: Vec<String>,
    change: Change,
    others: Vec<Change>,
    expect: &'a [&'a str],
}

fn check(index: &GraphIndex, cmdb: &Cmdb, case: &Case<'_>) -> Option<String> {
    let b: Vec<&str> = case.blackouts.iter().map(String::as_str).collect();
    let m: Vec<&str> = case.maintenance.iter().map(String::as_str).collect();
    let schedule = schedule(&b, &m);
    let compiled = match CompiledSchedule::new(&schedule, cmdb.data(), index) {
        Ok(c) => c,
        Err(e) => {
            return Some(format!(
                "case {:?}: the schedule is refused: {e}",
                case.name
            ));
        }
    };
    let scheduled = ScheduledChanges::new(&case.others);
    let report = match compiled.checker().check(&case.change, &scheduled) {
        Ok(r) => r,
        Err(e) => return Some(format!("case {:?}: the check fails: {e}", case.name)),
    };
    let actual: Vec<String> = report.conflicts.iter().map(render).collect();
    // Asking every open service window instead of walking up answers the same.
    let mut asking = compiled.checker();
    asking.set_walk_budget(0);
    let asked = asking.check(&case.change, &scheduled).ok()?;
    if asked != report {
        return Some(format!(
            "case {:?}: without walking up: {:#?}",
            case.name,
            asked.conflicts.iter().map(render).collect::<Vec<_>>()
        ));
    }
    // The one-shot form answers the same.
    let again = compiled.check(&case.change, &case.others).ok()?;
    if again != report {
        return Some(format!(
            "case {:?}: CompiledSchedule::check differs",
            case.name
        ));
    }
    (actual != case.expect).then(|| {
        format!(
            "case {:?}\n  expected {:#?}\n  actual   {:#?}",
            case.name, case.expect, actual
        )
    })
}

fn run(cases: Vec<Case<'_>>) {
    let cmdb = estate();
    let index = cmdb.index().expect("an index");
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|c| check(&index, &cmdb, c))
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} case(s) failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

fn case<'a>(
    name: &'a str,
    blackouts: &[String],
    maintenance: &[String],
    change: Change,
    expect: &'a [&'a str],
) -> Case<'a> {
    Case {
        name,
        blackouts: blackouts.to_vec(),
        maintenance: maintenance.to_vec(),
        change,
        others: Vec::new(),
        expect,
    }
}

#[test]
fn blackouts() {
    let freeze_db = window("db-freeze", "ci:payroll-db", "once 03-02T00:00 03-03T00:00");
    let freeze_host = window("host-freeze", "ci:host-a", "once 03-02T00:00 03-03T00:00");
    let freeze_app = window("app-freeze", "ci:payroll", "once 03-02T00:00 03-03T00:00");
    let class_db = window("db-class", "class:database", "once 03-02T00:00 03-03T00:00");
    let class_hw = window("hw-class", "class:hardware", "once 03-02T00:00 03-03T00:00");
    let portal = window(
        "portal",
        "service:Payroll portal",
        "once 03-02T00:00 03-03T00:00",
    );
    let monday = |cis: &[&str]| change(1, cis, Some("03-02T10:00"), Some("03-02T11:00"));
    let sunday_nights = window(
        "nights",
        "ci:payroll-db",
        &weekly("sunday", "02:00", "06:00", ""),
    );
    run(vec![
        case(
            "no schedule, nothing",
            &[],
            &[],
            monday(&["payroll-db"]),
            &[],
        ),
        case(
            "on the CI itself",
            std::slice::from_ref(&freeze_db),
            &[],
            monday(&["payroll-db"]),
            &["blackout db-freeze payroll-db path payroll-db 03-02T10:00/03-02T11:00"],
        ),
        case(
            "a host's blackout covers the application running on it",
            std::slice::from_ref(&freeze_host),
            &[],
            monday(&["payroll"]),
            &["blackout host-freeze payroll path payroll>vm-app>host-a 03-02T10:00/03-02T11:00"],
        ),
        case(
            "an application's blackout does not cover its host",
            std::slice::from_ref(&freeze_app),
            &[],
            monday(&["host-a", "vm-app"]),
            &[],
        ),
        case(
            "a database's blackout covers every application using it",
            std::slice::from_ref(&freeze_db),
            &[],
            monday(&["hr", "payroll", "mail"]),
            &[
                "blackout db-freeze hr path hr>payroll-db 03-02T10:00/03-02T11:00",
                "blackout db-freeze payroll path payroll>payroll-db 03-02T10:00/03-02T11:00",
            ],
        ),
        case(
            "before the blackout, touching its start",
            std::slice::from_ref(&freeze_db),
            &[],
            change(1, &["payroll-db"], Some("03-01T23:00"), Some("03-02T00:00")),
            &[],
        ),
        case(
            "after the blackout, touching its end",
            std::slice::from_ref(&freeze_db),
            &[],
            change(1, &["payroll-db"], Some("03-03T00:00"), Some("03-03T01:00")),
            &[],
        ),
        case(
            "one minute into the blackout",
            std::slice::from_ref(&freeze_db),
            &[],
            change(1, &["payroll-db"], Some("03-01T23:00"), Some("03-02T00:01")),
            &["blackout db-freeze payroll-db path payroll-db 03-02T00:00/03-02T00:01"],
        ),
        case(
            "a class's blackout reaches the application through its database",
            std::slice::from_ref(&class_db),
            &[],
            monday(&["payroll"]),
            &["blackout db-class payroll path payroll>payroll-db 03-02T10:00/03-02T11:00"],
        ),
        case(
            "a class's blackout covers its subclasses, through the nearest member",
            std::slice::from_ref(&class_hw),
            &[],
            monday(&["vm-app"]),
            &["blackout hw-class vm-app path vm-app>host-a 03-02T10:00/03-02T11:00"],
        ),
        case(
            "a service's blackout covers what the service depends on",
            std::slice::from_ref(&portal),
            &[],
            monday(&["vm-db", "hr", "mail"]),
            &[
                "blackout portal vm-db path vm-db>payroll-db>payroll>Payroll portal 03-02T10:00/03-02T11:00",
            ],
        ),
        case(
            "the service itself",
            std::slice::from_ref(&portal),
            &[],
            monday(&["Payroll portal"]),
            &["blackout portal Payroll portal path Payroll portal 03-02T10:00/03-02T11:00"],
        ),
        case(
            "every blackout that applies, each once",
            &[
                freeze_db.clone(),
                freeze_host.clone(),
                class_db.clone(),
                portal.clone(),
            ],
            &[],
            monday(&["payroll", "payroll"]),
            &[
                "blackout db-freeze payroll path payroll>payroll-db 03-02T10:00/03-02T11:00",
                "blackout host-freeze payroll path payroll>vm-app>host-a 03-02T10:00/03-02T11:00",
                "blackout db-class payroll path payroll>payroll-db 03-02T10:00/03-02T11:00",
                "blackout portal payroll path payroll>Payroll portal 03-02T10:00/03-02T11:00",
            ],
        ),
        case(
            "a weekly blackout, every night of a two-week change",
            std::slice::from_ref(&sunday_nights),
            &[],
            change(1, &["payroll-db"], Some("03-01T05:00"), Some("03-15T03:00")),
            &[
                "blackout nights payroll-db path payroll-db 03-01T05:00/03-01T06:00,03-08T02:00/03-08T06:00,03-15T02:00/03-15T03:00",
            ],
        ),
        case(
            "a weekly blackout in local time moves with summer time",
            std::slice::from_ref(&sunday_nights),
            &[],
            // 02:00 BST is 01:00 UTC on the 29th; the week before, 02:00 GMT is 02:00 UTC.
            change(1, &["payroll-db"], Some("03-29T00:30"), Some("03-29T01:30")),
            &["blackout nights payroll-db path payroll-db 03-29T01:00/03-29T01:30"],
        ),
        case(
            "the same hours a week before summer time",
            std::slice::from_ref(&sunday_nights),
            &[],
            change(1, &["payroll-db"], Some("03-22T00:30"), Some("03-22T01:30")),
            &[],
        ),
        case(
            "a weekly blackout until a date is over after it",
            &[window(
                "until",
                "ci:payroll-db",
                &weekly("sunday", "02:00", "06:00", r#", "until": "2026-03-08""#),
            )],
            &[],
            change(1, &["payroll-db"], Some("03-08T03:00"), Some("03-15T03:00")),
            &["blackout until payroll-db path payroll-db 03-08T03:00/03-08T06:00"],
        ),
        case(
            "a weekly blackout from a date is not open before it",
            &[window(
                "from",
                "ci:payroll-db",
                &weekly("sunday", "02:00", "06:00", r#", "from": "2026-03-09""#),
            )],
            &[],
            change(1, &["payroll-db"], Some("03-08T03:00"), Some("03-15T03:00")),
            &["blackout from payroll-db path payroll-db 03-15T02:00/03-15T03:00"],
        ),
        case(
            "an overnight weekly blackout belongs to the day it starts",
            &[window(
                "sat-night",
                "ci:payroll-db",
                &weekly("saturday", "22:00", "02:00", ""),
            )],
            &[],
            // Saturday 2026-03-07 22:00 GMT to Sunday 02:00.
            change(1, &["payroll-db"], Some("03-08T01:00"), Some("03-08T03:00")),
            &["blackout sat-night payroll-db path payroll-db 03-08T01:00/03-08T02:00"],
        ),
        case(
            "a monthly blackout on the last Friday",
            &[window(
                "month-end",
                "class:database",
                r#"{"monthly": {"time_zone": "UTC", "week": "last", "day": "friday", "start": "18:00", "end": "24:00"}}"#,
            )],
            &[],
            change(1, &["payroll"], Some("03-20T17:00"), Some("03-28T00:00")),
            &["blackout month-end payroll path payroll>payroll-db 03-27T18:00/03-28T00:00"],
        ),
    ]);
}

#[test]
fn maintenance_windows() {
    let vm_sunday = window(
        "vm-sunday",
        "class:virtual_machine",
        &weekly("sunday", "02:00", "06:00", ""),
    );
    let app_vm_late = window("late", "ci:vm-app", &weekly("sunday", "06:00", "08:00", ""));
    let portal_weekend = window(
        "portal-weekend",
        "service:Payroll portal",
        &weekly("saturday", "22:00", "02:00", ""),
    );
    let night = window(
        "night",
        "ci:payroll-db",
        &weekly("sunday", "00:00", "04:00", ""),
    );
    let dst = window(
        "dst",
        "ci:payroll-db",
        &weekly("sunday", "01:00", "03:00", ""),
    );
    let patch_tuesday = window(
        "patch-tuesday",
        "class:database",
        r#"{"monthly": {"time_zone": "UTC", "week": "second", "day": "tuesday", "start": "22:00", "end": "02:00"}}"#,
    );
    run(vec![
        case(
            "inside the class's window",
            &[],
            std::slice::from_ref(&vm_sunday),
            change(1, &["vm-app"], Some("03-01T03:00"), Some("03-01T04:00")),
            &[],
        ),
        case(
            "on a Monday, outside it",
            &[],
            std::slice::from_ref(&vm_sunday),
            change(1, &["vm-app"], Some("03-02T03:00"), Some("03-02T04:00")),
            &["outside vm-app uncovered 03-02T03:00/03-02T04:00 windows [vm-sunday@vm-app()]"],
        ),
        case(
            "running past its end",
            &[],
            std::slice::from_ref(&vm_sunday),
            change(
                1,
                &["vm-app", "vm-db"],
                Some("03-01T05:00"),
                Some("03-01T07:00"),
            ),
            &[
                "outside vm-app uncovered 03-01T06:00/03-01T07:00 windows [vm-sunday@vm-app(03-01T05:00/03-01T06:00)]",
                "outside vm-db uncovered 03-01T06:00/03-01T07:00 windows [vm-sunday@vm-db(03-01T05:00/03-01T06:00)]",
            ],
        ),
        case(
            "two windows that meet cover what each leaves out",
            &[],
            &[vm_sunday.clone(), app_vm_late.clone()],
            change(1, &["vm-app"], Some("03-01T05:00"), Some("03-01T07:00")),
            &[],
        ),
        case(
            "a CI without maintenance windows is not constrained",
            &[],
            std::slice::from_ref(&vm_sunday),
            change(
                1,
                &["mail", "host-a"],
                Some("03-02T03:00"),
                Some("03-02T04:00"),
            ),
            &[],
        ),
        case(
            "a service's window covers what it depends on",
            &[],
            std::slice::from_ref(&portal_weekend),
            change(1, &["payroll-db"], Some("03-07T23:00"), Some("03-08T01:00")),
            &[],
        ),
        case(
            "outside a service's window, which is named",
            &[],
            std::slice::from_ref(&portal_weekend),
            change(
                1,
                &["payroll-db", "hr"],
                Some("03-06T23:00"),
                Some("03-07T01:00"),
            ),
            &[
                "outside payroll-db uncovered 03-06T23:00/03-07T01:00 windows [] service Payroll portal",
            ],
        ),
        case(
            "a service's window open for part of the change is listed",
            &[],
            std::slice::from_ref(&portal_weekend),
            change(1, &["payroll-db"], Some("03-08T01:00"), Some("03-08T03:00")),
            &[
                "outside payroll-db uncovered 03-08T02:00/03-08T03:00 windows [portal-weekend@Payroll portal(03-08T01:00/03-08T02:00)] service Payroll portal",
            ],
        ),
        case(
            "a window in the spring-forward gap moves forward",
            &[],
            std::slice::from_ref(&dst),
            // 01:00 local does not exist on the 29th: the window opens at
            // 02:00 BST (01:00 UTC) and closes at 03:00 BST (02:00 UTC).
            change(1, &["payroll-db"], Some("03-29T01:00"), Some("03-29T02:00")),
            &[],
        ),
        case(
            "before the moved start",
            &[],
            std::slice::from_ref(&dst),
            change(1, &["payroll-db"], Some("03-29T00:30"), Some("03-29T01:30")),
            &[
                "outside payroll-db uncovered 03-29T00:30/03-29T01:00 windows [dst@payroll-db(03-29T01:00/03-29T01:30)]",
            ],
        ),
        case(
            "a window in the autumn fold opens at the earlier 01:00",
            &[],
            std::slice::from_ref(&dst),
            // 01:00 BST is 00:00 UTC; 03:00 GMT is 03:00 UTC: three hours.
            change(1, &["payroll-db"], Some("10-25T00:00"), Some("10-25T03:00")),
            &[],
        ),
        case(
            "past the end of the longer night",
            &[],
            std::slice::from_ref(&dst),
            change(1, &["payroll-db"], Some("10-25T02:30"), Some("10-25T03:30")),
            &[
                "outside payroll-db uncovered 10-25T03:00/10-25T03:30 windows [dst@payroll-db(10-25T02:30/10-25T03:00)]",
            ],
        ),
        case(
            "a four-hour night lasts three hours in March",
            &[],
            std::slice::from_ref(&night),
            change(1, &["payroll-db"], Some("03-29T00:00"), Some("03-29T03:30")),
            &[
                "outside payroll-db uncovered 03-29T03:00/03-29T03:30 windows [night@payroll-db(03-29T00:00/03-29T03:00)]",
            ],
        ),
        case(
            "and five in October",
            &[],
            std::slice::from_ref(&night),
            change(1, &["payroll-db"], Some("10-24T23:00"), Some("10-25T04:00")),
            &[],
        ),
        case(
            "on the second Tuesday, overnight",
            &[],
            std::slice::from_ref(&patch_tuesday),
            change(1, &["payroll-db"], Some("03-10T23:00"), Some("03-11T01:00")),
            &[],
        ),
        case(
            "on the first Tuesday",
            &[],
            std::slice::from_ref(&patch_tuesday),
            change(1, &["payroll-db"], Some("03-03T23:00"), Some("03-04T01:00")),
            &[
                "outside payroll-db uncovered 03-03T23:00/03-04T01:00 windows [patch-tuesday@payroll-db()]",
            ],
        ),
    ]);
}

fn other(n: u64, cis: &[&str], start: &str, end: &str, state: ChangeState) -> Change {
    let mut c = change(n, cis, Some(start), Some(end));
    c.state = state;
    c
}

#[test]
fn other_changes() {
    let me = change(1, &["payroll-db"], Some("03-02T10:00"), Some("03-02T12:00"));
    let on_db = other(
        2,
        &["payroll-db"],
        "03-02T11:00",
        "03-02T13:00",
        ChangeState::Scheduled,
    );
    let closed = other(
        3,
        &["payroll-db"],
        "03-02T11:00",
        "03-02T13:00",
        ChangeState::Closed,
    );
    let touching = other(
        4,
        &["payroll-db"],
        "03-02T12:00",
        "03-02T13:00",
        ChangeState::Scheduled,
    );
    let on_vm = other(
        5,
        &["vm-db"],
        "03-02T09:00",
        "03-02T10:30",
        ChangeState::New,
    );
    let on_hr = other(
        6,
        &["hr", "mail"],
        "03-02T11:30",
        "03-02T11:45",
        ChangeState::Implement,
    );
    let both = other(
        7,
        &["payroll-db", "hr"],
        "03-02T09:00",
        "03-02T18:00",
        ChangeState::Authorize,
    );
    let far = other(
        8,
        &["host-a"],
        "03-02T10:00",
        "03-02T11:00",
        ChangeState::Scheduled,
    );
    let with = |others: Vec<Change>| Case {
        name: "",
        blackouts: Vec::new(),
        maintenance: Vec::new(),
        change: me.clone(),
        others,
        expect: &[],
    };
    let cases = vec![
        Case {
            name: "the same CI at an overlapping time",
            expect: &["already payroll-db CHG0000002 03-02T11:00/03-02T12:00"],
            ..with(vec![on_db.clone()])
        },
        Case {
            name: "a closed change, one that only touches, and the change itself count for nothing",
            ..with(vec![closed, touching, me.clone()])
        },
        Case {
            name: "a change on a CI it depends on, and one on a CI depending on it",
            expect: &[
                "related payroll-db CHG0000005 vm-db:runs_on:dependency 03-02T10:00/03-02T10:30",
                "related payroll-db CHG0000006 hr:depends_on:dependent 03-02T11:30/03-02T11:45",
            ],
            ..with(vec![on_vm.clone(), on_hr.clone()])
        },
        Case {
            name: "a change on the CI itself is not also related",
            expect: &["already payroll-db CHG0000007 03-02T10:00/03-02T12:00"],
            ..with(vec![both])
        },
        Case {
            name: "two relationships away is not related",
            ..with(vec![far])
        },
        Case {
            name: "without planned window: unscheduled, alone",
            change: change(1, &["payroll-db"], Some("03-02T10:00"), None),
            expect: &["unscheduled planned_end"],
            ..with(vec![on_db.clone()])
        },
        Case {
            name: "without either end",
            change: change(1, &["payroll-db"], None, None),
            expect: &["unscheduled planned_start,planned_end"],
            ..with(vec![on_db.clone()])
        },
        Case {
            name: "without CIs: nothing to conflict",
            change: change(1, &[], Some("03-02T10:00"), Some("03-02T12:00")),
            ..with(vec![on_db, on_vm, on_hr])
        },
    ];
    run(cases);
}

/// A database that 40 applications depend on: more neighbours than the
/// checker looks through one by one, so it looks through the changes
/// overlapping in time when those list fewer CIs, and through the
/// neighbours otherwise; both find the same.
#[test]
fn a_hub_finds_related_changes_either_way() {
    let mut cmdb = Cmdb::import(CmdbData::starter()).expect("the starter imports");
    let db = CiId::from_u128(1000);
    let app = |i: u128| CiId::from_u128(2000 + i);
    cmdb.add_ci(ConfigurationItem::new(db, "database", "hub-db"))
        .expect("a CI");
    for i in 0..40 {
        cmdb.add_ci(ConfigurationItem::new(
            app(i),
            "application",
            format!("app-{i}"),
        ))
        .expect("a CI");
        cmdb.add_relationship(Relationship::new(app(i), "depends_on", db))
            .expect("allowed");
    }
    let index = cmdb.index().expect("an index");
    let compiled = CompiledSchedule::new(&ChangeSchedule::default(), cmdb.data(), &index)
        .expect("an empty schedule compiles");
    let mut me = change(1, &[], Some("03-02T10:00"), Some("03-02T12:00"));
    me.configuration_items = vec![db];
    let on_app = |n: u64, i: u128, start: &str| {
        let mut c = change(n, &[], Some(start), Some("03-02T13:00"));
        c.configuration_items = vec![app(i)];
        c
    };
    // Few overlapping changes: found through them.
    let few = vec![on_app(2, 7, "03-02T11:00"), on_app(3, 8, "03-02T12:00")];
    // Many: found through the neighbours (the late ones do not overlap).
    let mut many = few.clone();
    many.extend((0..60).map(|i| on_app(10 + i, u128::from(i % 40), "03-02T12:30")));
    for others in [few, many] {
        let report = compiled
            .checker()
            .check(&me, &ScheduledChanges::new(&others))
            .expect("a check");
        let rendered: Vec<String> = report
            .conflicts
            .iter()
            .map(|c| match c {
                Conflict::RelatedCiScheduled {
                    number, related, ..
                } => format!(
                    "{number} {:?}",
                    related.iter().map(|r| r.ci).collect::<Vec<_>>()
                ),
                other => format!("{other:?}"),
            })
            .collect();
        assert_eq!(
            rendered,
            [format!("CHG0000002 {:?}", vec![app(7)])],
            "{} other changes",
            others.len()
        );
    }
}

#[test]
fn a_change_that_cannot_be_checked_is_refused_with_every_problem() {
    let cmdb = estate();
    let index = cmdb.index().expect("an index");
    let compiled =
        CompiledSchedule::new(&ChangeSchedule::default(), cmdb.data(), &index).expect("compiles");
    let mut backwards = change(1, &["payroll-db"], Some("03-02T10:00"), Some("03-02T09:00"));
    backwards.configuration_items.push(CiId::from_u128(77));
    let too_long = change(
        1,
        &["payroll-db"],
        Some("2026-01-01T00:00:00Z"),
        Some("2027-01-03T00:00:00Z"),
    );
    let year = change(
        1,
        &["payroll-db"],
        Some("2026-01-01T00:00:00Z"),
        Some("2027-01-02T00:00:00Z"),
    );
    let empty = change(1, &["payroll-db"], Some("03-02T10:00"), Some("03-02T10:00"));
    let mut unknown_unscheduled = change(1, &[], None, None);
    unknown_unscheduled
        .configuration_items
        .push(CiId::from_u128(78));
    let cases: [(&Change, &[(&str, &str)]); 5] = [
        (
            &backwards,
            &[
                ("configuration_items[1]", "unknown_ci"),
                ("planned_end", "end_before_start"),
            ],
        ),
        (&too_long, &[("planned_end", "window_too_long")]),
        (&year, &[]),
        (&empty, &[("planned_end", "end_before_start")]),
        (
            &unknown_unscheduled,
            &[("configuration_items[0]", "unknown_ci")],
        ),
    ];
    for (change, expected) in cases {
        let result = compiled.check(change, &[]);
        let actual: Vec<(String, String)> = match &result {
            Ok(_) => Vec::new(),
            Err(CmdbError::InvalidChange { problems }) => problems
                .iter()
                .map(|p| (p.path.clone(), p.rule.clone()))
                .collect(),
            Err(other) => panic!("{other}"),
        };
        let expected: Vec<(String, String)> = expected
            .iter()
            .map(|(p, r)| ((*p).to_owned(), (*r).to_owned()))
            .collect();
        assert_eq!(
            actual, expected,
            "{:?}–{:?}",
            change.planned_start, change.planned_end
        );
    }
}

#[test]
fn a_bad_schedule_is_refused_with_every_problem_and_its_path() {
    let cmdb = estate();
    let index = cmdb.index().expect("an index");
    let bad = with_ids(
        r#"{
      "blackouts": [
        {"name": "a", "applies_to": {"ci": "01900000-0000-7000-8000-000000000999"},
         "when": {"once": {"start": "2026-03-02T00:00:00Z", "end": "2026-03-01T00:00:00Z"}}},
        {"name": "a", "applies_to": {"class": "databse"},
         "when": {"weekly": {"time_zone": "Europe/Londres", "days": [], "start": "2:00", "end": "25:00"}}},
        {"name": " ", "applies_to": {"service": "$payroll"},
         "when": {"weekly": {"time_zone": "UTC", "days": ["monday", "monday"], "start": "02:00", "end": "24:00",
                  "from": "2026-03-01", "until": "2026-02-01"}}}
      ],
      "maintenance_windows": [
        {"name": "m", "applies_to": {"service": "01900000-0000-7000-8000-000000000998"},
         "when": {"monthly": {"time_zone": "UTC", "week": "first", "day": "monday", "start": "00:00", "end": "00:00",
                  "from": "1899-12-31"}}},
        {"name": "ok", "applies_to": {"class": "virtual_machine"},
         "when": {"weekly": {"time_zone": "Europe/London", "days": ["sunday"], "start": "02:00", "end": "06:00"}}}
      ]
    }"#,
    );
    let schedule = ChangeSchedule::from_json(&bad).expect("well-formed JSON");
    let problems = match CompiledSchedule::new(&schedule, cmdb.data(), &index) {
        Err(CmdbError::InvalidSchedule { problems }) => problems,
        other => panic!("{other:?}"),
    };
    let actual: Vec<(&str, &str)> = problems
        .iter()
        .map(|p| (p.path.as_str(), p.rule.as_str()))
        .collect();
    assert_eq!(
        actual,
        [
            ("blackouts[0].applies_to.ci", "unknown_ci"),
            ("blackouts[0].when.once.end", "end_before_start"),
            ("blackouts[1].name", "duplicate_name"),
            ("blackouts[1].applies_to.class", "unknown_class"),
            ("blackouts[1].when.weekly.days", "empty"),
            ("blackouts[1].when.weekly.time_zone", "unknown_time_zone"),
            ("blackouts[1].when.weekly.start", "malformed_time"),
            ("blackouts[1].when.weekly.end", "malformed_time"),
            ("blackouts[2].name", "empty"),
            ("blackouts[2].applies_to.service", "not_a_service"),
            ("blackouts[2].when.weekly.days[1]", "duplicate_entry"),
            ("blackouts[2].when.weekly.until", "until_before_from"),
            ("maintenance_windows[0].applies_to.service", "unknown_ci"),
            (
                "maintenance_windows[0].when.monthly.from",
                "date_out_of_range"
            ),
        ]
    );
    let class = problems
        .iter()
        .find(|p| p.rule == "unknown_class")
        .expect("reported");
    assert!(
        class.message.contains("did you mean \"database\""),
        "{}",
        class.message
    );
}

#[test]
fn a_misspelt_field_is_refused_with_its_path_and_the_nearest_name() {
    let cases = [
        (
            r#"{"blackouts": [{"name": "a", "aplies_to": {"class": "x"}}]}"#,
            "blackouts[0]",
            "applies_to",
        ),
        (
            r#"{"maintenance_windows": [{"name": "a", "applies_to": {"class": "x"},
               "when": {"weekly": {"time_zone": "UTC", "days": ["sunday"], "start": "02:00", "end": "03:00", "untill": "2026-01-01"}}}]}"#,
            "maintenance_windows[0].when.weekly",
            "until",
        ),
        (r#"{"blackout": []}"#, "", "blackouts"),
    ];
    for (json, path, nearest) in cases {
        match ChangeSchedule::from_json(json) {
            Err(CmdbError::Json { path: p, message }) => {
                assert!(p.starts_with(path), "{json}: path {p}, expected {path}");
                assert!(
                    message.contains(&format!("did you mean `{nearest}`")),
                    "{json}: {message}"
                );
            }
            other => panic!("{json}: {other:?}"),
        }
    }
}

#[test]
fn an_index_of_other_data_is_refused() {
    let cmdb = estate();
    let other = GraphIndex::build(&CmdbData::starter()).expect("an empty index");
    match CompiledSchedule::new(&ChangeSchedule::default(), cmdb.data(), &other) {
        Err(CmdbError::InvalidSchedule { problems }) => {
            assert_eq!(problems[0].rule, "index_mismatch")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn conflicts_explain_themselves() {
    let cmdb = estate();
    let index = cmdb.index().expect("an index");
    let schedule = schedule(
        &[&window(
            "host-freeze",
            "ci:host-a",
            "once 03-02T00:00 03-03T00:00",
        )],
        &[&window(
            "vm-sunday",
            "class:virtual_machine",
            &weekly("sunday", "02:00", "06:00", ""),
        )],
    );
    let compiled = CompiledSchedule::new(&schedule, cmdb.data(), &index).expect("compiles");
    let report = compiled
        .check(
            &change(1, &["vm-app"], Some("03-02T10:00"), Some("03-02T11:00")),
            &[other(
                2,
                &["payroll"],
                "03-02T10:30",
                "03-02T12:00",
                ChangeState::Scheduled,
            )],
        )
        .expect("a check");
    let reasons: Vec<String> = report
        .conflicts
        .iter()
        .map(|c| c.describe(&|id| name_of(id)))
        .collect();
    assert_eq!(
        reasons,
        [
            "vm-app is under the blackout \"host-freeze\" (on host-a), as it depends on host-a (1 relationship(s) away), open 2026-03-02T10:00:00Z–2026-03-02T11:00:00Z",
            "vm-app may be changed only in its maintenance windows (\"vm-sunday\"), and none is open 2026-03-02T10:00:00Z–2026-03-02T11:00:00Z",
            "CHG0000002 changes payroll (depends on it, runs_on) related to vm-app 2026-03-02T10:30:00Z–2026-03-02T11:00:00Z",
        ]
    );
    assert!(!report.is_clear());
    assert_eq!(
        report
            .conflicts
            .iter()
            .map(Conflict::kind)
            .collect::<Vec<_>>(),
        [
            "blackout",
            "outside_maintenance_window",
            "related_ci_scheduled"
        ]
    );
}

/// `docs/examples/cmdb/`: the change planned in `planned_change.json`
/// against `change_schedule.json` and `scheduled_changes.json`, on the
/// estate of `estate.json`.
#[test]
fn the_documented_example_finds_its_conflicts() {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/repo/docs/examples/cmdb");
    let read = |file: &str| std::fs::read_to_string(dir.join(file)).expect("an example file");
    let cmdb = Cmdb::from_json(&read("estate.json")).expect("the estate imports");
    let index = cmdb.index().expect("an index");
    let schedule = ChangeSchedule::from_json(&read("change_schedule.json")).expect("a schedule");
    let compiled = CompiledSchedule::new(&schedule, cmdb.data(), &index).expect("it compiles");
    let planned: Change = serde_json::from_str(&read("planned_change.json")).expect("a change");
    let others: Vec<Change> =
        serde_json::from_str(&read("scheduled_changes.json")).expect("changes");
    let report = compiled.check(&planned, &others).expect("a check");
    let name = |id: &CiId| {
        cmdb.ci(id)
            .map_or_else(|| id.to_string(), |ci| ci.name.clone())
    };
    let actual: Vec<String> = report.conflicts.iter().map(|c| c.describe(&name)).collect();
    assert_eq!(
        actual,
        [
            "payroll-db is under the blackout \"san-01-migration\" (on san-01), as it depends on san-01 (3 relationship(s) away), open 2026-03-10T21:00:00Z–2026-03-10T23:45:00Z",
            "payroll-db may be changed only in its maintenance windows (\"payroll-weeknights\"), and none is open 2026-03-10T23:30:00Z–2026-03-10T23:45:00Z",
            "payroll-db is already scheduled by CHG0030102 2026-03-10T22:30:00Z–2026-03-10T23:45:00Z",
            "vm-payroll-db-01 is under the blackout \"san-01-migration\" (on san-01), as it depends on san-01 (2 relationship(s) away), open 2026-03-10T21:00:00Z–2026-03-10T23:45:00Z",
            "vm-payroll-db-01 may be changed only in its maintenance windows (\"vm-sunday-early\", \"payroll-weeknights\"), and none is open 2026-03-10T23:30:00Z–2026-03-10T23:45:00Z",
            "CHG0030102 changes payroll-db (depends on it, runs_on) related to vm-payroll-db-01 2026-03-10T22:30:00Z–2026-03-10T23:45:00Z",
            "CHG0030103 changes esx-cluster-a (it depends on, hosted_on) related to vm-payroll-db-01 2026-03-10T21:00:00Z–2026-03-10T21:30:00Z",
        ]
    );
}

/// Found by `no_instant_makes_a_check_panic`: the local date of an instant
/// at the end of chrono's range cannot be written east of UTC, and reading
/// it panicked inside chrono.
#[test]
fn a_change_planned_at_the_end_of_time_is_checked_without_panicking() {
    let cmdb = estate();
    let index = cmdb.index().expect("an index");
    let weekly_everywhere = |zone: &str| {
        format!(
            r#"{{"weekly": {{"time_zone": "{zone}", "days": ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"], "start": "23:00", "end": "01:00"}}}}"#
        )
    };
    let schedule = schedule(
        &[&window(
            "east",
            "ci:payroll-db",
            &weekly_everywhere("Pacific/Kiritimati"),
        )],
        &[&window(
            "west",
            "ci:payroll-db",
            &weekly_everywhere("America/Adak"),
        )],
    );
    let compiled = CompiledSchedule::new(&schedule, cmdb.data(), &index).expect("compiles");
    let (max, min) = (DateTime::<Utc>::MAX_UTC, DateTime::<Utc>::MIN_UTC);
    for (start, end) in [
        (max - chrono::Duration::days(3), max),
        (min, min + chrono::Duration::days(3)),
    ] {
        let mut c = change(1, &["payroll-db"], None, None);
        (c.planned_start, c.planned_end) = (Some(start), Some(end));
        let report = compiled.check(&c, &[]).expect("a check");
        assert_eq!(report.planned.map(|p| p.end), Some(end));
    }
}

#[test]
fn a_service_window_costs_its_closure_in_memory() {
    let cmdb = estate();
    let index = cmdb.index().expect("an index");
    let on_ci = schedule(
        &[&window(
            "f",
            "ci:payroll-db",
            "once 03-02T00:00 03-03T00:00",
        )],
        &[],
    );
    let on_service = schedule(
        &[&window(
            "f",
            "service:Payroll portal",
            "once 03-02T00:00 03-03T00:00",
        )],
        &[],
    );
    let bytes = |s: &ChangeSchedule| {
        CompiledSchedule::new(s, cmdb.data(), &index)
            .expect("compiles")
            .memory_bytes()
    };
    let (small, large) = (bytes(&on_ci), bytes(&on_service));
    // The service's closure: a key per CI, and the six CIs it depends on.
    assert!(
        large >= small + 4 * CIS.len() as u64 + 4 * 6,
        "{small} then {large}"
    );
}
