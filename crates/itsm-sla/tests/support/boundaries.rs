//! The law every explanation obeys, shared by the clock's property tests.

use chrono::{DateTime, Utc};
use itsm_core::Timeline;
use proptest::prelude::*;

/// Every boundary of an explanation names a cause; a boundary shared by two
/// segments names the same; the events named happened at the boundary; the
/// segments run from the cycle's start to its stop or now, and only the
/// evaluation instant and calendar edges name no event.
pub fn check(
    explanation: &itsm_sla::SlaExplanation,
    timeline: &Timeline,
    now: DateTime<Utc>,
) -> Result<(), TestCaseError> {
    use itsm_sla::BoundaryCause;
    for c in &explanation.cycles {
        let segments = &c.segments;
        let (Some(first), Some(last)) = (segments.first(), segments.last()) else {
            continue;
        };
        prop_assert_eq!(first.from, c.cycle.start);
        prop_assert_eq!(last.to, c.cycle.stop.unwrap_or(now));
        prop_assert_eq!(
            last.to_cause.causes.contains(&BoundaryCause::Evaluated),
            c.cycle.stop.is_none()
        );
        for pair in segments.windows(2) {
            prop_assert_eq!(pair[0].to, pair[1].from);
            prop_assert_eq!(&pair[0].to_cause, &pair[1].from_cause);
        }
        for s in segments {
            for (at, b) in [(s.from, &s.from_cause), (s.to, &s.to_cause)] {
                prop_assert!(!b.causes.is_empty(), "a boundary without a cause: {:?}", s);
                let edge = b.causes.iter().all(|x| {
                    matches!(
                        x,
                        BoundaryCause::CalendarOpens
                            | BoundaryCause::CalendarCloses
                            | BoundaryCause::Evaluated
                    )
                });
                prop_assert_eq!(b.events.is_empty(), edge, "{:?}", b);
                for e in &b.events {
                    prop_assert_eq!(timeline.events[e.index].at, at);
                }
            }
        }
    }
    Ok(())
}
