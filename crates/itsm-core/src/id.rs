//! Typed record ids: one newtype over a UUID per record kind.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::CoreError;

/// Ten random bytes from the operating system, through a UUID v4 (whose
/// bytes 0–5 and 9–15 carry no version or variant bits).
#[cfg(feature = "generate-ids")]
pub(crate) fn os_random() -> [u8; 10] {
    let v4 = Uuid::new_v4();
    let b = v4.as_bytes();
    let mut out = [0u8; 10];
    out[..6].copy_from_slice(&b[..6]);
    out[6..].copy_from_slice(&b[9..13]);
    out
}

macro_rules! typed_id {
    ($(#[$doc:meta])* $name:ident, $kind:literal) => {
        $(#[$doc])*
        ///
        /// On the wire it is the UUID in its hyphenated lower-case form. New
        /// ids are UUID v7 (time-ordered); any UUID is accepted on input so
        /// that records imported from other tools keep their ids.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
        #[serde(transparent)]
        #[schemars(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// The kind of record this id names, as used in error messages.
            pub const KIND: &'static str = $kind;

            /// A UUID v7 id for a record created at `at`.
            ///
            /// The library reads no clock and no random source: the caller
            /// passes the creation instant and 10 random bytes (74 bits are used).
            #[must_use]
            pub fn new_v7(at: DateTime<Utc>, random: [u8; 10]) -> Self {
                // Instants before the Unix epoch clamp to it: v7 has no room for them.
                let millis = u64::try_from(at.timestamp_millis()).unwrap_or(0);
                Self(uuid::Builder::from_unix_timestamp_millis(millis, &random).into_uuid())
            }

            /// A fresh UUID v7 id for a record created at `at`, its 74 random
            /// bits from the operating system: two records opened in the same
            /// millisecond get different ids. The library still reads no
            /// clock: the instant is the caller's.
            ///
            /// Feature `generate-ids` (on by default); without it, pass your
            /// own randomness to [`new_v7`](Self::new_v7).
            #[cfg(feature = "generate-ids")]
            #[must_use]
            pub fn generate(at: DateTime<Utc>) -> Self {
                Self::new_v7(at, crate::id::os_random())
            }

            /// Wraps an existing UUID, such as one imported from another tool.
            #[must_use]
            pub const fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }

            /// Builds the id from the 128-bit value of its UUID.
            #[must_use]
            pub const fn from_u128(value: u128) -> Self {
                Self(Uuid::from_u128(value))
            }

            /// The UUID behind this id.
            #[must_use]
            pub const fn as_uuid(&self) -> &Uuid {
                &self.0
            }

            /// The 128-bit value of the UUID behind this id.
            #[must_use]
            pub const fn as_u128(&self) -> u128 {
                self.0.as_u128()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0.hyphenated(), f)
            }
        }

        impl FromStr for $name {
            type Err = CoreError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::try_parse(s).map(Self).map_err(|_| CoreError::InvalidId {
                    kind: $kind,
                    value: s.to_owned(),
                })
            }
        }
    };
}

typed_id!(
    /// Identifies an [`Incident`](crate::Incident).
    IncidentId, "incident"
);
typed_id!(
    /// Identifies a [`Problem`](crate::Problem).
    ProblemId, "problem"
);
typed_id!(
    /// Identifies a [`KnownError`](crate::KnownError).
    KnownErrorId, "known error"
);
typed_id!(
    /// Identifies a [`Change`](crate::Change).
    ChangeId, "change"
);
typed_id!(
    /// Identifies a [`Release`](crate::Release).
    ReleaseId, "release"
);
typed_id!(
    /// Identifies a [`ServiceRequest`](crate::ServiceRequest).
    ServiceRequestId, "service request"
);
typed_id!(
    /// Identifies a [`KnowledgeArticle`](crate::KnowledgeArticle).
    KnowledgeArticleId, "knowledge article"
);
typed_id!(
    /// Identifies a [`Service`](crate::Service).
    ServiceId, "service"
);
typed_id!(
    /// Identifies a configuration item (see [`ConfigurationItemRef`](crate::ConfigurationItemRef)).
    CiId, "configuration item"
);
typed_id!(
    /// Identifies a [`Person`](crate::Person): a caller, an agent, an approver.
    PersonId, "person"
);
typed_id!(
    /// Identifies a [`Group`](crate::Group), such as an assignment group.
    GroupId, "group"
);
typed_id!(
    /// Identifies a [`Role`](crate::Role).
    RoleId, "role"
);
typed_id!(
    /// Identifies a service catalog item that a [`ServiceRequest`](crate::ServiceRequest) orders.
    CatalogItemId, "catalog item"
);
typed_id!(
    /// Identifies an [`Asset`](crate::Asset): a laptop, a server, a software package.
    AssetId, "asset"
);
typed_id!(
    /// Identifies a [`SoftwareLicence`](crate::SoftwareLicence).
    SoftwareLicenceId, "software licence"
);
typed_id!(
    /// Identifies a [`Task`](crate::Task): a child record of work on an
    /// incident, problem, change or request item.
    TaskId, "task"
);
typed_id!(
    /// Identifies a [`RequestItem`](crate::RequestItem): one catalog item
    /// ordered in a service request.
    RequestItemId, "request item"
);
typed_id!(
    /// Identifies a [`StandardChangeTemplate`](crate::StandardChangeTemplate).
    StandardChangeTemplateId, "standard change template"
);
