//! Ticket timeline events: the history that the lifecycle engine produces and
//! the SLA clock replays.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{FieldValue, GroupId, PersonId, Priority, RecordKind, StateCategory, Violation};

/// Who may read a comment.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    JsonSchema,
    strum::Display,
    strum::EnumIter,
    strum::AsRefStr,
    strum::IntoStaticStr,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum CommentVisibility {
    /// Visible to the caller or requester (ServiceNow "additional comments").
    Public,
    /// Visible to agents only (ServiceNow "work notes").
    WorkNote,
}

crate::wire::impl_from_str!(CommentVisibility => "CommentVisibility");

/// What happened to a ticket at one instant.
///
/// States are named by their `snake_case` wire name (`"on_hold"`) and carry
/// their [`StateCategory`], so that custom workflows with states of their own
/// produce timelines that the SLA clock understands.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
// Read and written internally tagged by `crate::internally_tagged!` below,
// so that an error inside keeps its exact path.
#[serde(remote = "Self", rename_all = "snake_case")]
#[schemars(tag = "type", rename = "TimelineChange")]
#[non_exhaustive]
pub enum TimelineChange {
    /// The record was created (opened).
    Created {
        /// The kind of record.
        record_kind: RecordKind,
        /// The initial state's wire name.
        state: String,
        /// The initial state's category.
        category: StateCategory,
        /// The initial priority, if the record has one.
        #[serde(default)]
        priority: Option<Priority>,
        /// The initial assignment group.
        #[serde(default)]
        assignment_group: Option<GroupId>,
        /// The initial assignee.
        #[serde(default)]
        assignee: Option<PersonId>,
    },
    /// The record moved from one state to another.
    StateChanged {
        /// The previous state's wire name.
        from: String,
        /// The previous state's category.
        from_category: StateCategory,
        /// The new state's wire name.
        to: String,
        /// The new state's category.
        to_category: StateCategory,
        /// The reason given with the new state, such as the on-hold reason
        /// `awaiting_caller`; `None` when the state has none.
        #[serde(default)]
        reason: Option<String>,
    },
    /// The priority changed.
    PriorityChanged {
        /// The previous priority (`None` if it had none).
        #[serde(default)]
        from: Option<Priority>,
        /// The new priority.
        to: Priority,
    },
    /// The assignment group or the assignee changed.
    AssignmentChanged {
        /// The previous group.
        #[serde(default)]
        from_group: Option<GroupId>,
        /// The new group.
        #[serde(default)]
        to_group: Option<GroupId>,
        /// The previous assignee.
        #[serde(default)]
        from_assignee: Option<PersonId>,
        /// The new assignee.
        #[serde(default)]
        to_assignee: Option<PersonId>,
    },
    /// Any other field changed.
    FieldChanged {
        /// The field's name (its JSON key; custom fields by their extension key).
        field: String,
        /// The previous value (`null` if unset).
        #[serde(default)]
        from: FieldValue,
        /// The new value (`null` if cleared).
        #[serde(default)]
        to: FieldValue,
    },
    /// A comment or work note was added.
    CommentAdded {
        /// Who may read it.
        visibility: CommentVisibility,
        /// The text.
        text: String,
    },
}

crate::internally_tagged!(TimelineChange, "type");

/// One entry of a ticket's history: an instant, who acted, and what changed.
// On the wire the change's fields sit beside `at` and `actor`
// (`{"at": …, "actor": …, "type": "state_changed", "from": …}`); the schema
// says so by `flatten`, and the hand-written serde impls below keep it.
#[derive(Clone, Debug, PartialEq, JsonSchema)]
pub struct TimelineEvent {
    /// When it happened.
    pub at: DateTime<Utc>,
    /// Who did it; `None` for the system (an auto-close, an integration).
    #[serde(default)]
    pub actor: Option<PersonId>,
    /// What changed.
    #[serde(flatten)]
    pub change: TimelineChange,
}

/// The ordered history of one ticket.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
pub struct Timeline {
    /// The events, oldest first; events at the same instant keep their order.
    pub events: Vec<TimelineEvent>,
}

impl Timeline {
    /// The instant the record was opened: that of its `created` event.
    #[must_use]
    pub fn opened_at(&self) -> Option<DateTime<Utc>> {
        self.events.iter().find_map(|e| match e.change {
            TimelineChange::Created { .. } => Some(e.at),
            _ => None,
        })
    }

    /// Checks that the events are in time order, that a `created` event, if
    /// any, comes first and only once, and that each state change starts from
    /// the state the previous one reached.
    #[must_use]
    pub fn validate(&self) -> Vec<Violation> {
        Self::validate_events(&self.events)
    }

    /// [`validate`](Self::validate) over a run of events, such as a
    /// timeline's events up to an instant; paths are `events[i]…`.
    #[must_use]
    pub fn validate_events(events: &[TimelineEvent]) -> Vec<Violation> {
        let mut out = Vec::new();
        let mut current: Option<&str> = None;
        for (i, event) in events.iter().enumerate() {
            if i > 0 && event.at < events[i - 1].at {
                out.push(Violation::new(
                    format!("events[{i}].at"),
                    "out_of_order",
                    format!(
                        "{} is before the previous event ({})",
                        event.at,
                        events[i - 1].at
                    ),
                ));
            }
            match &event.change {
                TimelineChange::Created { state, .. } => {
                    if i > 0 {
                        out.push(Violation::new(
                            format!("events[{i}].type"),
                            "created_not_first",
                            "a created event may only be the first event".to_owned(),
                        ));
                    }
                    current = Some(state);
                }
                TimelineChange::StateChanged { from, to, .. } => {
                    if let Some(state) = current
                        && state != from
                    {
                        out.push(Violation::new(
                            format!("events[{i}].from"),
                            "state_mismatch",
                            format!(
                                "the change starts from {from:?} but the record was in {state:?}"
                            ),
                        ));
                    }
                    current = Some(to);
                }
                _ => {}
            }
        }
        out
    }
}

impl Serialize for TimelineEvent {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("at", &self.at)?;
        map.serialize_entry("actor", &self.actor)?;
        crate::__tagged::serialize_entries(&self.change, "type", &mut map)?;
        map.end()
    }
}

impl<'de> Deserialize<'de> for TimelineEvent {
    /// Reads `at` and `actor` wherever they sit, and the change's fields in
    /// place, so that a bad field is reported at its own path
    /// (`events[3].to_category`), never at the event.
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EventVisitor;
        impl<'de> serde::de::Visitor<'de> for EventVisitor {
            type Value = TimelineEvent;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a timeline event: an object with \"at\" and \"type\"")
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<TimelineEvent, A::Error> {
                use serde::de::Error;
                let mut at: Option<DateTime<Utc>> = None;
                let mut actor: Option<Option<PersonId>> = None;
                let change = crate::__tagged::deserialize_within::<TimelineChange, A>(
                    map,
                    "type",
                    &["at", "actor"],
                    |key, map| {
                        if key == "at" {
                            if at.is_some() {
                                return Err(A::Error::duplicate_field("at"));
                            }
                            at = Some(map.next_value()?);
                        } else {
                            if actor.is_some() {
                                return Err(A::Error::duplicate_field("actor"));
                            }
                            actor = Some(map.next_value()?);
                        }
                        Ok(())
                    },
                )?;
                Ok(TimelineEvent {
                    at: at.ok_or_else(|| A::Error::missing_field("at"))?,
                    actor: actor.flatten(),
                    change,
                })
            }
        }
        deserializer.deserialize_map(EventVisitor)
    }
}
