//! Payload types, their schema versions, and the upcasters that convert
//! older versions as raw JSON before they are decoded.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use itsm_core::{FieldValue, PersonId, TimelineEvent};
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::error::{Result, StoreError};
use crate::model::{EventId, NewEvent, RecordedEvent};
use crate::record::Record;

/// A payload type: its wire name and current schema version.
pub trait Payload: Serialize + DeserializeOwned {
    /// The event type name stored with it (`timeline_event`).
    const EVENT_TYPE: &'static str;
    /// Its current schema version, from 1.
    const SCHEMA_VERSION: u32;
}

impl Payload for TimelineEvent {
    const EVENT_TYPE: &'static str = "timeline_event";
    const SCHEMA_VERSION: u32 = 1;
}

/// A record was opened: its whole initial state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RecordOpened {
    /// The record as opened.
    pub record: Record,
}

impl Payload for RecordOpened {
    const EVENT_TYPE: &'static str = "record_opened";
    const SCHEMA_VERSION: u32 = 1;
}

/// A workflow transition as audited: the wire form of the lifecycle
/// engine's audit entry, with states and events by their names.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AuditRecord {
    /// The state the record left.
    pub from: String,
    /// The state it entered.
    pub to: String,
    /// The workflow event.
    pub event: String,
    /// Who did it; `None` for the system.
    #[serde(default)]
    pub actor: Option<PersonId>,
    /// When.
    pub at: DateTime<Utc>,
    /// The reason given, such as an on-hold reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl Payload for AuditRecord {
    const EVENT_TYPE: &'static str = "audit_entry";
    const SCHEMA_VERSION: u32 = 1;
}

impl NewEvent {
    /// An event carrying a typed payload at its current schema version.
    ///
    /// # Errors
    /// [`StoreError::Invalid`] when the payload does not serialise.
    pub fn encode<P: Payload>(
        event_id: EventId,
        payload: &P,
        occurred_at: DateTime<Utc>,
        actor: Option<PersonId>,
    ) -> Result<Self> {
        let payload = serde_json::to_string(payload).map_err(|e| {
            StoreError::invalid(format!("{} payload", P::EVENT_TYPE), vec![e.to_string()])
        })?;
        Ok(Self {
            event_id,
            event_type: P::EVENT_TYPE.to_owned(),
            schema_version: P::SCHEMA_VERSION,
            occurred_at,
            actor,
            correlation_id: None,
            causation_id: None,
            payload,
        })
    }

    /// A timeline event, with its instant and actor as the envelope's.
    ///
    /// # Errors
    /// As [`encode`](Self::encode).
    pub fn timeline(event_id: EventId, event: &TimelineEvent) -> Result<Self> {
        Self::encode(event_id, event, event.at, event.actor)
    }
}

/// Converts a payload from one schema version to the next, as raw JSON.
pub type Upcaster = Arc<dyn Fn(FieldValue) -> Result<FieldValue, String> + Send + Sync>;

type Check = Arc<dyn Fn(&str) -> Result<(), (String, String)> + Send + Sync>;

struct TypeEntry {
    current: u32,
    check: Option<Check>,
    upcasters: BTreeMap<u32, Upcaster>,
}

/// The payload types a store knows: each one's current schema version, a
/// check of the current version's shape, and the converters from older ones.
///
/// On append, a payload of a known type must be of a version this code
/// knows, and a current-version payload must decode; payloads of unknown
/// types are kept as they are (valid JSON is all that is required), so a
/// product may store events of its own. On read, [`upcast`](Self::upcast)
/// brings an older payload to the current version.
#[derive(Clone, Default)]
pub struct PayloadRegistry {
    types: BTreeMap<String, Arc<TypeEntry>>,
}

impl std::fmt::Debug for PayloadRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map()
            .entries(self.types.iter().map(|(k, v)| (k, v.current)))
            .finish()
    }
}

impl PayloadRegistry {
    /// The store's own payloads: `record_opened`, `timeline_event` and `audit_entry`.
    #[must_use]
    pub fn standard() -> Self {
        let mut registry = Self::default();
        registry.register::<RecordOpened>();
        registry.register::<TimelineEvent>();
        registry.register::<AuditRecord>();
        registry
    }

    /// Knows `P` at its current version, checking payloads by decoding them.
    pub fn register<P: Payload + 'static>(&mut self) -> &mut Self {
        let check: Check = Arc::new(|text: &str| {
            itsm_core::from_json::<P>(text)
                .map(drop)
                .map_err(|e| match e {
                    itsm_core::CoreError::Json { path, message } => (path, message),
                    other => (".".to_owned(), other.to_string()),
                })
        });
        self.insert(P::EVENT_TYPE, P::SCHEMA_VERSION, Some(check));
        self
    }

    /// Knows a type by name only, at version `current`.
    pub fn register_type(&mut self, event_type: &str, current: u32) -> &mut Self {
        self.insert(event_type, current, None);
        self
    }

    fn insert(&mut self, event_type: &str, current: u32, check: Option<Check>) {
        let upcasters = self
            .types
            .get(event_type)
            .map(|e| e.upcasters.clone())
            .unwrap_or_default();
        self.types.insert(
            event_type.to_owned(),
            Arc::new(TypeEntry {
                current,
                check,
                upcasters,
            }),
        );
    }

    /// Adds the converter of `event_type` payloads from version `from` to `from + 1`.
    pub fn upcaster(
        &mut self,
        event_type: &str,
        from: u32,
        convert: impl Fn(FieldValue) -> Result<FieldValue, String> + Send + Sync + 'static,
    ) -> &mut Self {
        let entry = self.types.entry(event_type.to_owned()).or_insert_with(|| {
            Arc::new(TypeEntry {
                current: from + 1,
                check: None,
                upcasters: BTreeMap::new(),
            })
        });
        let mut updated = TypeEntry {
            current: entry.current,
            check: entry.check.clone(),
            upcasters: entry.upcasters.clone(),
        };
        updated.upcasters.insert(from, Arc::new(convert));
        *entry = Arc::new(updated);
        self
    }

    /// The current version of a type, if known.
    #[must_use]
    pub fn current_version(&self, event_type: &str) -> Option<u32> {
        self.types.get(event_type).map(|e| e.current)
    }

    /// Checks a payload about to be appended: valid JSON; for a known type,
    /// a known version, and at the current version a payload that decodes.
    pub(crate) fn check_new(&self, at: &dyn Fn() -> String, event: &NewEvent) -> Result<()> {
        let corrupt = |path: String, message: String| StoreError::CorruptPayload {
            at: at(),
            event_type: event.event_type.clone(),
            path,
            message,
        };
        if event.schema_version == 0 {
            return Err(StoreError::invalid(
                format!("{}.schema_version", at()),
                vec!["schema versions start at 1".to_owned()],
            ));
        }
        match self.types.get(&event.event_type) {
            None => serde_json::from_str::<serde::de::IgnoredAny>(&event.payload)
                .map(drop)
                .map_err(|e| corrupt(".".to_owned(), e.to_string())),
            Some(entry) if event.schema_version > entry.current => {
                Err(StoreError::UnknownSchemaVersion {
                    at: at(),
                    event_type: event.event_type.clone(),
                    version: event.schema_version,
                    known: entry.current,
                })
            }
            Some(entry) => match (&entry.check, event.schema_version == entry.current) {
                (Some(check), true) => check(&event.payload).map_err(|(p, m)| corrupt(p, m)),
                _ => serde_json::from_str::<serde::de::IgnoredAny>(&event.payload)
                    .map(drop)
                    .map_err(|e| corrupt(".".to_owned(), e.to_string())),
            },
        }
    }

    /// The event's payload at its type's current version: unchanged when
    /// current or of an unknown type, converted step by step when older.
    ///
    /// # Errors
    /// [`StoreError::UnknownSchemaVersion`] for a version newer than known,
    /// [`StoreError::MissingUpcaster`] when a step has no converter,
    /// [`StoreError::CorruptPayload`] when the stored text is not JSON, and
    /// [`StoreError::UpcastFailed`] when a converter refuses the payload.
    pub fn upcast(&self, event: &RecordedEvent) -> Result<(u32, String)> {
        let at = event.location();
        let Some(entry) = self.types.get(&event.event_type) else {
            return Ok((event.schema_version, event.payload.clone()));
        };
        if event.schema_version > entry.current {
            return Err(StoreError::UnknownSchemaVersion {
                at,
                event_type: event.event_type.clone(),
                version: event.schema_version,
                known: entry.current,
            });
        }
        if event.schema_version == entry.current {
            return Ok((entry.current, event.payload.clone()));
        }
        let mut value: FieldValue =
            serde_json::from_str(&event.payload).map_err(|e| StoreError::CorruptPayload {
                at: at.clone(),
                event_type: event.event_type.clone(),
                path: ".".to_owned(),
                message: e.to_string(),
            })?;
        for from in event.schema_version.max(1)..entry.current {
            let convert =
                entry
                    .upcasters
                    .get(&from)
                    .ok_or_else(|| StoreError::MissingUpcaster {
                        at: at.clone(),
                        event_type: event.event_type.clone(),
                        from,
                    })?;
            value = convert(value).map_err(|message| StoreError::UpcastFailed {
                at: at.clone(),
                event_type: event.event_type.clone(),
                from,
                message,
            })?;
        }
        let text = serde_json::to_string(&value).map_err(|e| StoreError::UpcastFailed {
            at,
            event_type: event.event_type.clone(),
            from: event.schema_version,
            message: e.to_string(),
        })?;
        Ok((entry.current, text))
    }

    /// Decodes the event as `P`, upcasting an older payload first.
    ///
    /// # Errors
    /// [`StoreError::WrongEventType`] when the event is of another type, and
    /// those of [`upcast`](Self::upcast); [`StoreError::CorruptPayload`] with
    /// the JSON path when the payload does not decode.
    pub fn decode<P: Payload>(&self, event: &RecordedEvent) -> Result<P> {
        if event.event_type != P::EVENT_TYPE {
            return Err(StoreError::WrongEventType {
                at: event.location(),
                expected: P::EVENT_TYPE,
                actual: event.event_type.clone(),
            });
        }
        // The current version decodes in place; only an older one is copied.
        let upcast;
        let text = match self.types.get(&event.event_type) {
            Some(entry) if event.schema_version == entry.current => event.payload.as_str(),
            _ => {
                upcast = self.upcast(event)?.1;
                upcast.as_str()
            }
        };
        itsm_core::from_json::<P>(text).map_err(|e| {
            let (path, message) = match e {
                itsm_core::CoreError::Json { path, message } => (path, message),
                other => (".".to_owned(), other.to_string()),
            };
            StoreError::CorruptPayload {
                at: event.location(),
                event_type: event.event_type.clone(),
                path,
                message,
            }
        })
    }
}
