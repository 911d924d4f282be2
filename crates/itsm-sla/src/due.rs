//! The record's due date, as the timeline's `field_changed` events carry it:
//! what a due-date goal ([`DueDateGoal`](crate::DueDateGoal)) aims at.

use chrono::{DateTime, NaiveDate, Utc};
use itsm_core::FieldValue;

use crate::CompiledCalendar;

/// Reads a due date: `null` and `""` are none; an RFC 3339 instant is that
/// instant; a date alone (`2026-03-13`) is the end of that day in the
/// calendar's time zone. Anything else, or an instant outside the range
/// business time supports, is an error whose message says why.
pub(crate) fn parse_due(
    value: &FieldValue,
    calendar: &CompiledCalendar,
) -> Result<Option<DateTime<Utc>>, String> {
    let text = match value {
        FieldValue::Null => return Ok(None),
        FieldValue::String(s) if s.trim().is_empty() => return Ok(None),
        FieldValue::String(s) => s.trim(),
        _ => {
            return Err(
                "a due date is an RFC 3339 instant (\"2026-03-13T17:00:00Z\"), a date (\"2026-03-13\") or null"
                    .to_owned(),
            );
        }
    };
    let instant = if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        t.with_timezone(&Utc)
    } else if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        calendar
            .end_of_local_date(date)
            .ok_or_else(|| format!("the due date {text:?} is outside the supported range"))?
    } else {
        return Err(format!(
            "the due date {text:?} is neither an RFC 3339 instant (\"2026-03-13T17:00:00Z\") nor a date (\"2026-03-13\")"
        ));
    };
    if CompiledCalendar::supports(instant) {
        Ok(Some(instant))
    } else {
        Err(format!(
            "the due date {text:?} is outside the supported range 1900-01-01T00:00:00Z to 2200-01-01T00:00:00Z"
        ))
    }
}
