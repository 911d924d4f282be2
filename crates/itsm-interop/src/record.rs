//! [`ItsmRecord`]: any record this crate converts, tagged with its kind.

use itsm_cmdb::{ConfigurationItem, Relationship};
use itsm_core::{Change, Incident, KnowledgeArticle, Problem, ServiceRequest};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One of our records, as a conversion produces or consumes it.
///
/// On the wire: `{"kind": "incident", "record": {...}}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", content = "record", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ItsmRecord {
    /// An incident.
    Incident(Incident),
    /// A problem.
    Problem(Problem),
    /// A change.
    Change(Change),
    /// A service request.
    ServiceRequest(ServiceRequest),
    /// A knowledge article.
    KnowledgeArticle(KnowledgeArticle),
    /// A configuration item.
    ConfigurationItem(ConfigurationItem),
    /// A relationship between two configuration items.
    Relationship(Relationship),
}

impl ItsmRecord {
    /// The kind's `snake_case` name (`incident`, `configuration_item`).
    #[must_use]
    pub const fn kind(&self) -> &'static str {
        match self {
            Self::Incident(_) => "incident",
            Self::Problem(_) => "problem",
            Self::Change(_) => "change",
            Self::ServiceRequest(_) => "service_request",
            Self::KnowledgeArticle(_) => "knowledge_article",
            Self::ConfigurationItem(_) => "configuration_item",
            Self::Relationship(_) => "relationship",
        }
    }

    /// The record's extensions (a configuration item's attributes), where a
    /// conversion keeps the source's unmapped fields and its external id.
    #[must_use]
    pub fn extensions(&self) -> Option<&itsm_core::Extensions> {
        match self {
            Self::Incident(r) => Some(&r.extensions),
            Self::Problem(r) => Some(&r.extensions),
            Self::Change(r) => Some(&r.extensions),
            Self::ServiceRequest(r) => Some(&r.extensions),
            Self::KnowledgeArticle(r) => Some(&r.extensions),
            Self::ConfigurationItem(r) => Some(&r.attributes),
            Self::Relationship(_) => None,
        }
    }

    /// The source's own id of this record in `format`, if it came from there
    /// (the extension `external_id.<prefix>`).
    #[must_use]
    pub fn external_id(&self, format: crate::Format) -> Option<&str> {
        self.extensions()?
            .get(&format.external_id_key())
            .and_then(itsm_core::FieldValue::as_str)
    }

    /// The incident inside, if this is one.
    #[must_use]
    pub fn as_incident(&self) -> Option<&Incident> {
        match self {
            Self::Incident(r) => Some(r),
            _ => None,
        }
    }

    /// The configuration item inside, if this is one.
    #[must_use]
    pub fn as_configuration_item(&self) -> Option<&ConfigurationItem> {
        match self {
            Self::ConfigurationItem(r) => Some(r),
            _ => None,
        }
    }

    pub(crate) fn to_json(&self) -> serde_json::Value {
        let value = match self {
            Self::Incident(r) => serde_json::to_value(r),
            Self::Problem(r) => serde_json::to_value(r),
            Self::Change(r) => serde_json::to_value(r),
            Self::ServiceRequest(r) => serde_json::to_value(r),
            Self::KnowledgeArticle(r) => serde_json::to_value(r),
            Self::ConfigurationItem(r) => serde_json::to_value(r),
            Self::Relationship(r) => serde_json::to_value(r),
        };
        value.unwrap_or_default()
    }

    pub(crate) fn from_json(
        kind: &'static str,
        record: serde_json::Value,
    ) -> Result<Self, crate::InteropError> {
        use serde_json::from_value as decode;
        let decoded = match kind {
            "incident" => decode(record).map(Self::Incident),
            "problem" => decode(record).map(Self::Problem),
            "change" => decode(record).map(Self::Change),
            "service_request" => decode(record).map(Self::ServiceRequest),
            "knowledge_article" => decode(record).map(Self::KnowledgeArticle),
            "configuration_item" => decode(record).map(Self::ConfigurationItem),
            _ => decode(record).map(Self::Relationship),
        };
        decoded.map_err(|e| crate::InteropError::Record {
            kind,
            message: e.to_string(),
        })
    }
}
