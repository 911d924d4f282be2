//! The event envelope and the append contract.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use itsm_core::{PersonId, RecordKind};
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use uuid::Uuid;

use crate::error::{Result, StoreError};
use crate::record::Record;
use itsm_sla::SlaEvaluation;

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
        #[serde(transparent)]
        #[schemars(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// A UUID v7 (time-ordered) from an instant and 10 random bytes.
            #[must_use]
            pub fn new_v7(at: DateTime<Utc>, random: [u8; 10]) -> Self {
                let millis = u64::try_from(at.timestamp_millis()).unwrap_or(0);
                Self(uuid::Builder::from_unix_timestamp_millis(millis, &random).into_uuid())
            }

            /// Builds the id from the 128-bit value of its UUID.
            #[must_use]
            pub const fn from_u128(value: u128) -> Self {
                Self(Uuid::from_u128(value))
            }

            /// The 128-bit value of the UUID behind this id.
            #[must_use]
            pub const fn as_u128(&self) -> u128 {
                self.0.as_u128()
            }

            /// The 16 bytes of the UUID, big-endian (how the databases store it).
            #[must_use]
            pub const fn to_bytes(&self) -> [u8; 16] {
                self.as_u128().to_be_bytes()
            }

            pub(crate) fn uuid(self) -> Uuid {
                self.0
            }

            pub(crate) fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0.hyphenated(), f)
            }
        }

        impl FromStr for $name {
            type Err = StoreError;

            fn from_str(s: &str) -> Result<Self> {
                Uuid::try_parse(s).map(Self).map_err(|_| {
                    StoreError::invalid($what, vec![format!("{s:?} is not a UUID")])
                })
            }
        }
    };
}

uuid_id!(
    /// Identifies a stream: the id of the record whose history it holds.
    /// Every typed record id of `itsm-core` converts into it.
    StreamId, "stream id"
);
uuid_id!(
    /// Identifies one event; the idempotency key of an append.
    EventId, "event id"
);

macro_rules! stream_id_from {
    ($($id:ty),+ $(,)?) => {$(
        impl From<$id> for StreamId {
            fn from(id: $id) -> Self {
                Self::from_u128(id.as_u128())
            }
        }
    )+};
}

stream_id_from!(
    itsm_core::IncidentId,
    itsm_core::ProblemId,
    itsm_core::KnownErrorId,
    itsm_core::ChangeId,
    itsm_core::ReleaseId,
    itsm_core::ServiceRequestId,
    itsm_core::KnowledgeArticleId,
    itsm_core::RequestItemId,
    itsm_core::TaskId,
);

/// The longest stream kind name.
pub const MAX_STREAM_KIND_LEN: usize = 64;

/// What a stream holds: a record kind (`incident`, `change`, …) or a kind of
/// the product's own. A `snake_case` name of 1 to 64 characters that starts
/// with a letter, so that later record kinds need no change to the store.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StreamKind(String);

impl StreamKind {
    /// A validated kind.
    ///
    /// # Errors
    /// [`StoreError::Invalid`] when the name is empty, too long, or not
    /// `snake_case` ASCII starting with a letter.
    pub fn new(name: impl Into<String>) -> Result<Self> {
        let name = name.into();
        let ok = !name.is_empty()
            && name.len() <= MAX_STREAM_KIND_LEN
            && name.as_bytes()[0].is_ascii_lowercase()
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if ok {
            Ok(Self(name))
        } else {
            let shown: String = name.chars().take(MAX_STREAM_KIND_LEN).collect();
            Err(StoreError::invalid(
                "stream kind",
                vec![format!(
                    "{shown:?} is not a snake_case name of 1 to {MAX_STREAM_KIND_LEN} characters starting with a letter"
                )],
            ))
        }
    }

    /// The name.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<RecordKind> for StreamKind {
    fn from(kind: RecordKind) -> Self {
        Self(kind.to_string())
    }
}

impl fmt::Display for StreamKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for StreamKind {
    type Err = StoreError;

    fn from_str(s: &str) -> Result<Self> {
        Self::new(s)
    }
}

impl Serialize for StreamKind {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for StreamKind {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        Self::new(name).map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for StreamKind {
    fn schema_name() -> Cow<'static, str> {
        "StreamKind".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "What a stream holds: a record kind (`incident`, `change`, …) or a kind of the product's own.",
            "type": "string",
            "pattern": "^[a-z][a-z0-9_]{0,63}$"
        })
    }
}

/// What an append expects of its stream: the optimistic concurrency check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExpectedVersion {
    /// The stream must not exist yet: the append opens it.
    NoStream,
    /// Any version, including no stream (for streams with one writer).
    Any,
    /// The stream must be at exactly this version (`0` means no stream).
    Exact(u64),
}

impl fmt::Display for ExpectedVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoStream | Self::Exact(0) => f.write_str("no stream"),
            Self::Any => f.write_str("any version"),
            Self::Exact(v) => write!(f, "version {v}"),
        }
    }
}

/// An event to append. The payload is JSON text whose shape the event type
/// and schema version name (see [`PayloadRegistry`](crate::PayloadRegistry)).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct NewEvent {
    /// The idempotency key: appending an id already stored is a no-op.
    pub event_id: EventId,
    /// The payload's type name (`timeline_event`), decoupled from Rust type names.
    pub event_type: String,
    /// The payload's schema version, from 1.
    pub schema_version: u32,
    /// The domain instant: when it happened, not when it was stored.
    pub occurred_at: DateTime<Utc>,
    /// Who did it; `None` for the system.
    #[serde(default)]
    pub actor: Option<PersonId>,
    /// Groups the events of one business operation (a request id).
    #[serde(default)]
    pub correlation_id: Option<String>,
    /// The event that caused this one.
    #[serde(default)]
    pub causation_id: Option<EventId>,
    /// The payload, as JSON.
    #[serde(with = "raw_json")]
    #[schemars(schema_with = "any_json")]
    pub payload: String,
}

/// An event as stored: the envelope and the payload as written.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RecordedEvent {
    /// Its place in the whole store: increasing, contiguous from 1, and
    /// committed in order, so a reader that has read position N has seen
    /// every event at or below N.
    pub position: u64,
    /// The stream (the record's id).
    pub stream_id: StreamId,
    /// The stream's kind.
    pub stream_kind: StreamKind,
    /// Its version in the stream: 1, 2, 3 … contiguous.
    pub version: u64,
    /// Its id.
    pub event_id: EventId,
    /// The payload's type name.
    pub event_type: String,
    /// The payload's schema version as stored (before any upcasting).
    pub schema_version: u32,
    /// When the store wrote it.
    pub recorded_at: DateTime<Utc>,
    /// The domain instant.
    pub occurred_at: DateTime<Utc>,
    /// Who did it; `None` for the system.
    #[serde(default)]
    pub actor: Option<PersonId>,
    /// The business operation it belongs to.
    #[serde(default)]
    pub correlation_id: Option<String>,
    /// The event that caused it.
    #[serde(default)]
    pub causation_id: Option<EventId>,
    /// The payload, as JSON.
    #[serde(with = "raw_json")]
    #[schemars(schema_with = "any_json")]
    pub payload: String,
}

impl RecordedEvent {
    /// `position N`, how errors name a stored event.
    #[must_use]
    pub fn location(&self) -> String {
        format!(
            "position {} (stream {} version {})",
            self.position, self.stream_id, self.version
        )
    }
}

/// One atomic write: events for one stream, and optionally the record's new
/// current state and its SLA clocks, all in one transaction.
#[derive(Clone, Debug, PartialEq)]
pub struct AppendRequest {
    /// The stream.
    pub stream: StreamId,
    /// Its kind; an existing stream of another kind is refused.
    pub kind: StreamKind,
    /// The optimistic concurrency check.
    pub expected: ExpectedVersion,
    /// The events, in order; at least one.
    pub events: Vec<NewEvent>,
    /// The record's state after these events: written to the projection
    /// with the stream's new version. Its id must be the stream's.
    pub projection: Option<Record>,
    /// The record's SLA clocks after these events; `Some` replaces every
    /// clock the record had (an empty list removes them).
    pub clocks: Option<Vec<SlaEvaluation>>,
}

impl AppendRequest {
    /// Events only, no projection and no clocks.
    #[must_use]
    pub fn events(
        stream: StreamId,
        kind: StreamKind,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Self {
        Self {
            stream,
            kind,
            expected,
            events,
            projection: None,
            clocks: None,
        }
    }

    /// Adds the record's new state.
    #[must_use]
    pub fn with_projection(mut self, record: Record) -> Self {
        self.projection = Some(record);
        self
    }

    /// Adds the record's clocks.
    #[must_use]
    pub fn with_clocks(mut self, clocks: Vec<SlaEvaluation>) -> Self {
        self.clocks = Some(clocks);
        self
    }
}

/// What an append did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct AppendOutcome {
    /// The stream.
    pub stream: StreamId,
    /// The version of the batch's first event.
    pub first_version: u64,
    /// The version of its last event: the stream's version after the append.
    pub last_version: u64,
    /// The position of the first event.
    pub first_position: u64,
    /// The position of the last event.
    pub last_position: u64,
    /// `true` when every event was stored already (a retry): nothing was
    /// written and the positions are the original ones.
    pub already_stored: bool,
}

/// A stream's head.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct StreamInfo {
    /// The stream.
    pub stream: StreamId,
    /// Its kind.
    pub kind: StreamKind,
    /// Its version: the number of its events.
    pub version: u64,
}

/// A stream's snapshot: a state the caller folded up to a version, so that
/// loading reads only the events after it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct StreamSnapshot {
    /// The stream.
    pub stream: StreamId,
    /// The version the state includes.
    pub version: u64,
    /// The state's schema version.
    pub schema_version: u32,
    /// When it was taken.
    pub taken_at: DateTime<Utc>,
    /// The state, as JSON.
    #[serde(with = "raw_json")]
    #[schemars(schema_with = "any_json")]
    pub state: String,
}

fn any_json(_: &mut SchemaGenerator) -> Schema {
    json_schema!({ "description": "Any JSON value." })
}

/// Serialises a `String` of JSON text as the JSON value it holds.
mod raw_json {
    use serde::de::Error as _;
    use serde::ser::Error as _;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use serde_json::value::RawValue;

    pub fn serialize<S: Serializer>(text: &str, serializer: S) -> Result<S::Ok, S::Error> {
        let raw: Box<RawValue> =
            RawValue::from_string(text.to_owned()).map_err(S::Error::custom)?;
        raw.serialize(serializer)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
        let raw = Box::<RawValue>::deserialize(deserializer)
            .map_err(|e| D::Error::custom(format!("payload: {e}")))?;
        Ok(raw.get().to_owned())
    }
}

/// Nanoseconds since the Unix epoch: how both backends store instants, exact
/// to the nanosecond from 1677-09-21 to 2262-04-11.
pub(crate) fn to_nanos(at: DateTime<Utc>, what: &str) -> Result<i64> {
    at.timestamp_nanos_opt().ok_or_else(|| {
        StoreError::invalid(
            what.to_owned(),
            vec![format!(
                "{at} is outside the instants the store keeps (1677-09-21 to 2262-04-11)"
            )],
        )
    })
}

pub(crate) fn from_nanos(nanos: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_nanos(nanos)
}

/// The current instant, as the store stamps `recorded_at` (nanosecond
/// precision within the range it keeps).
pub(crate) fn now() -> DateTime<Utc> {
    DateTime::<Utc>::from(std::time::SystemTime::now())
}
