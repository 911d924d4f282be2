//! Human-readable record numbers such as `INC0001234`.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::CoreError;

/// The record kinds that carry a human-readable number, with their prefix.
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
#[non_exhaustive]
pub enum NumberPrefix {
    /// `INC`: an incident.
    Incident,
    /// `PRB`: a problem.
    Problem,
    /// `KE`: a known error.
    KnownError,
    /// `CHG`: a change.
    Change,
    /// `RLSE`: a release.
    Release,
    /// `REQ`: a service request.
    ServiceRequest,
    /// `KB`: a knowledge article.
    KnowledgeArticle,
    /// `TASK`: a task (of an incident, problem, change or request item).
    Task,
    /// `RITM`: a request item.
    RequestItem,
}

crate::wire::impl_from_str!(NumberPrefix => "NumberPrefix");

impl NumberPrefix {
    /// Every prefix, longest text first so that parsing is unambiguous.
    const ALL: [Self; 9] = [
        Self::Release,
        Self::RequestItem,
        Self::Task,
        Self::Incident,
        Self::Problem,
        Self::Change,
        Self::ServiceRequest,
        Self::KnownError,
        Self::KnowledgeArticle,
    ];

    /// The letters that open a number of this kind (`INC`, `PRB`, …).
    #[must_use]
    pub const fn letters(self) -> &'static str {
        match self {
            Self::Incident => "INC",
            Self::Problem => "PRB",
            Self::KnownError => "KE",
            Self::Change => "CHG",
            Self::Release => "RLSE",
            Self::ServiceRequest => "REQ",
            Self::KnowledgeArticle => "KB",
            Self::Task => "TASK",
            Self::RequestItem => "RITM",
        }
    }
}

/// A human-readable record number: a prefix and at least seven digits, as in
/// `INC0001234`, `PRB0000042`, `CHG0012345`, `RLSE0000003`, `REQ0000100`,
/// `KB0000007` or `KE0000001`.
///
/// Numbers below ten million are zero-padded to seven digits; larger numbers
/// are written with as many digits as they need. Parsing accepts exactly the
/// canonical form, so `parse(format(n)) == n` and `format(parse(s)) == s`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RecordNumber {
    prefix: NumberPrefix,
    value: u64,
}

impl RecordNumber {
    /// The largest value a record number may carry (eighteen digits).
    pub const MAX_VALUE: u64 = 999_999_999_999_999_999;

    /// A record number of the given kind.
    ///
    /// # Errors
    /// [`CoreError::InvalidNumber`] when `value` is above [`Self::MAX_VALUE`].
    pub fn new(prefix: NumberPrefix, value: u64) -> Result<Self, CoreError> {
        if value > Self::MAX_VALUE {
            return Err(CoreError::InvalidNumber {
                value: format!("{}{value}", prefix.letters()),
                reason: "more than 18 digits",
            });
        }
        Ok(Self { prefix, value })
    }

    /// The kind of record this number belongs to.
    #[must_use]
    pub const fn prefix(&self) -> NumberPrefix {
        self.prefix
    }

    /// The numeric part.
    #[must_use]
    pub const fn value(&self) -> u64 {
        self.value
    }
}

impl fmt::Display for RecordNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{:07}", self.prefix.letters(), self.value)
    }
}

impl FromStr for RecordNumber {
    type Err = CoreError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let invalid = |reason| CoreError::InvalidNumber {
            value: s.to_owned(),
            reason,
        };
        let (prefix, digits) = NumberPrefix::ALL
            .iter()
            .find_map(|p| s.strip_prefix(p.letters()).map(|rest| (*p, rest)))
            .ok_or_else(|| {
                invalid("unknown prefix (expected INC, PRB, KE, CHG, RLSE, REQ or KB)")
            })?;
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid("the prefix must be followed by digits only"));
        }
        if digits.len() < 7 {
            return Err(invalid("fewer than 7 digits"));
        }
        if digits.len() > 18 {
            return Err(invalid("more than 18 digits"));
        }
        if digits.len() > 7 && digits.starts_with('0') {
            return Err(invalid(
                "a number of more than 7 digits has no leading zero",
            ));
        }
        let value = digits
            .parse()
            .map_err(|_| invalid("the digits do not form a number"))?;
        Ok(Self { prefix, value })
    }
}

impl Serialize for RecordNumber {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for RecordNumber {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = Cow::<'de, str>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for RecordNumber {
    fn schema_name() -> Cow<'static, str> {
        "RecordNumber".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A human-readable record number: a prefix (INC, PRB, KE, CHG, RLSE, REQ, KB) and at least seven digits, zero-padded to seven.",
            "type": "string",
            "pattern": "^(INC|PRB|KE|CHG|RLSE|REQ|KB|TASK|RITM)(\\d{7}|[1-9]\\d{7,17})$",
            "examples": ["INC0001234"]
        })
    }
}
