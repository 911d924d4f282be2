//! Resolving vendor references (sys_ids, account ids, party ids) to our ids.

use std::collections::BTreeMap;

use itsm_core::{CatalogItemId, CiId, GroupId, PersonId, ServiceId};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What a reference refers to.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RefKind {
    /// A person (ServiceNow `sys_user`, a Jira account, a TMF party).
    Person,
    /// A group (`sys_user_group`).
    Group,
    /// A service (`cmdb_ci_service`).
    Service,
    /// A configuration item (`cmdb_ci`, a TMF resource).
    ConfigurationItem,
    /// A catalog item (`sc_cat_item`).
    CatalogItem,
    /// An incident.
    Incident,
    /// A problem.
    Problem,
    /// A change.
    Change,
    /// A service request.
    ServiceRequest,
    /// A knowledge article.
    KnowledgeArticle,
}

impl RefKind {
    /// The ServiceNow table a reference of this kind points into.
    #[must_use]
    pub const fn servicenow_table(self) -> &'static str {
        match self {
            Self::Person => "sys_user",
            Self::Group => "sys_user_group",
            Self::Service => "cmdb_ci_service",
            Self::ConfigurationItem => "cmdb_ci",
            Self::CatalogItem => "sc_cat_item",
            Self::Incident => "incident",
            Self::Problem => "problem",
            Self::Change => "change_request",
            Self::ServiceRequest => "sc_req_item",
            Self::KnowledgeArticle => "kb_knowledge",
        }
    }
}

/// Resolves the references of a vendor's record to our ids, and back.
///
/// The caller supplies it: a person's sys_id or user name, a Jira account
/// id, a TMF party id each name somebody the caller already knows.
/// [`LookupTables`] is a ready implementation over maps.
pub trait Lookup {
    /// Our id for a vendor's key (`None`: not known here).
    fn resolve(&self, kind: RefKind, key: &str) -> Option<Uuid>;

    /// The vendor's key for one of our ids, for export (`None`: export
    /// writes the id itself, in the vendor's form).
    fn key_of(&self, kind: RefKind, id: Uuid) -> Option<String> {
        let _ = (kind, id);
        None
    }

    /// Whether a key that is itself a UUID (a ServiceNow sys_id is 32 hex
    /// digits, 128 bits) and is not otherwise known is read as our id with
    /// the same bits. It is what export writes for an id without a key, so
    /// with it a round trip needs no tables.
    fn accepts_uuid_keys(&self) -> bool {
        true
    }
}

/// A [`Lookup`] over maps, loadable from JSON.
///
/// ```
/// use itsm_interop::{Lookup, LookupTables, RefKind};
/// use itsm_core::PersonId;
/// let mut tables = LookupTables::default();
/// tables.people.insert("abel.tuter".into(), PersonId::from_u128(7));
/// assert_eq!(tables.resolve(RefKind::Person, "abel.tuter"), Some(*PersonId::from_u128(7).as_uuid()));
/// assert_eq!(tables.key_of(RefKind::Person, *PersonId::from_u128(7).as_uuid()).as_deref(), Some("abel.tuter"));
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LookupTables {
    /// People by sys_id, user name, account id or party id.
    #[serde(default)]
    pub people: BTreeMap<String, PersonId>,
    /// Groups by sys_id or name.
    #[serde(default)]
    pub groups: BTreeMap<String, GroupId>,
    /// Services by sys_id or name.
    #[serde(default)]
    pub services: BTreeMap<String, ServiceId>,
    /// Configuration items by sys_id, name or resource id.
    #[serde(default)]
    pub configuration_items: BTreeMap<String, CiId>,
    /// Catalog items by sys_id or name.
    #[serde(default)]
    pub catalog_items: BTreeMap<String, CatalogItemId>,
    /// Records (incidents, problems, changes, …) by sys_id, key or number.
    #[serde(default)]
    pub records: BTreeMap<String, Uuid>,
    /// See [`Lookup::accepts_uuid_keys`]; on by default.
    #[serde(default = "yes")]
    pub uuid_keys: bool,
}

fn yes() -> bool {
    true
}

impl Default for LookupTables {
    fn default() -> Self {
        Self {
            people: BTreeMap::new(),
            groups: BTreeMap::new(),
            services: BTreeMap::new(),
            configuration_items: BTreeMap::new(),
            catalog_items: BTreeMap::new(),
            records: BTreeMap::new(),
            uuid_keys: true,
        }
    }
}

fn first_key<V: Copy>(
    map: &BTreeMap<String, V>,
    id: Uuid,
    uuid: impl Fn(V) -> Uuid,
) -> Option<String> {
    map.iter()
        .find(|(_, v)| uuid(**v) == id)
        .map(|(k, _)| k.clone())
}

impl Lookup for LookupTables {
    fn resolve(&self, kind: RefKind, key: &str) -> Option<Uuid> {
        match kind {
            RefKind::Person => self.people.get(key).map(|id| *id.as_uuid()),
            RefKind::Group => self.groups.get(key).map(|id| *id.as_uuid()),
            RefKind::Service => self.services.get(key).map(|id| *id.as_uuid()),
            RefKind::ConfigurationItem => self.configuration_items.get(key).map(|id| *id.as_uuid()),
            RefKind::CatalogItem => self.catalog_items.get(key).map(|id| *id.as_uuid()),
            _ => self.records.get(key).copied(),
        }
    }

    /// The first key (in key order) that maps to `id`; a linear scan (use
    /// [`IndexedLookup`] for large tables).
    fn key_of(&self, kind: RefKind, id: Uuid) -> Option<String> {
        match kind {
            RefKind::Person => first_key(&self.people, id, |v| *v.as_uuid()),
            RefKind::Group => first_key(&self.groups, id, |v| *v.as_uuid()),
            RefKind::Service => first_key(&self.services, id, |v| *v.as_uuid()),
            RefKind::ConfigurationItem => {
                first_key(&self.configuration_items, id, |v| *v.as_uuid())
            }
            RefKind::CatalogItem => first_key(&self.catalog_items, id, |v| *v.as_uuid()),
            _ => first_key(&self.records, id, |v| v),
        }
    }

    fn accepts_uuid_keys(&self) -> bool {
        self.uuid_keys
    }
}

/// [`LookupTables`] with the reverse direction indexed, for export (and
/// import, which checks what export would write) with large tables.
///
/// ```
/// use itsm_interop::{IndexedLookup, Lookup, LookupTables, RefKind};
/// use itsm_core::PersonId;
/// let mut tables = LookupTables::default();
/// tables.people.insert("abel.tuter".into(), PersonId::from_u128(7));
/// let indexed = IndexedLookup::new(tables);
/// assert_eq!(indexed.key_of(RefKind::Person, *PersonId::from_u128(7).as_uuid()).as_deref(), Some("abel.tuter"));
/// ```
#[derive(Clone, Debug)]
pub struct IndexedLookup {
    tables: LookupTables,
    reverse: std::collections::HashMap<(RefKind, Uuid), String>,
}

impl IndexedLookup {
    /// Indexes `tables` (the first key in key order wins, as in
    /// [`LookupTables::key_of`]).
    #[must_use]
    pub fn new(tables: LookupTables) -> Self {
        let mut reverse = std::collections::HashMap::new();
        let mut add = |kind: RefKind, key: &String, id: Uuid| {
            reverse.entry((kind, id)).or_insert_with(|| key.clone());
        };
        for (k, v) in &tables.people {
            add(RefKind::Person, k, *v.as_uuid());
        }
        for (k, v) in &tables.groups {
            add(RefKind::Group, k, *v.as_uuid());
        }
        for (k, v) in &tables.services {
            add(RefKind::Service, k, *v.as_uuid());
        }
        for (k, v) in &tables.configuration_items {
            add(RefKind::ConfigurationItem, k, *v.as_uuid());
        }
        for (k, v) in &tables.catalog_items {
            add(RefKind::CatalogItem, k, *v.as_uuid());
        }
        for (k, v) in &tables.records {
            // Records of every kind share one map.
            add(RefKind::Incident, k, *v);
        }
        Self { tables, reverse }
    }

    /// The tables.
    #[must_use]
    pub fn tables(&self) -> &LookupTables {
        &self.tables
    }
}

impl Lookup for IndexedLookup {
    fn resolve(&self, kind: RefKind, key: &str) -> Option<Uuid> {
        self.tables.resolve(kind, key)
    }

    fn key_of(&self, kind: RefKind, id: Uuid) -> Option<String> {
        let kind = match kind {
            RefKind::Person
            | RefKind::Group
            | RefKind::Service
            | RefKind::ConfigurationItem
            | RefKind::CatalogItem => kind,
            _ => RefKind::Incident,
        };
        self.reverse.get(&(kind, id)).cloned()
    }

    fn accepts_uuid_keys(&self) -> bool {
        self.tables.uuid_keys
    }
}

/// Options shared by every format.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InteropOptions {
    /// The IANA time zone of the source's wall times (`Europe/London`).
    /// ServiceNow exports `YYYY-MM-DD HH:MM:SS` in the instance's zone unless
    /// asked for UTC; `null` reads and writes them as UTC.
    #[serde(default)]
    pub time_zone: Option<String>,
    /// The ServiceNow instance URL (`https://acme.service-now.com`); when
    /// set, exported references carry their `link`.
    #[serde(default)]
    pub instance_url: Option<String>,
    /// The Jira project key used for an exported issue that never came from
    /// Jira (`ITSM` gives `ITSM-42` for `INC0000042`); `null` gives `ITSM`.
    #[serde(default)]
    pub jira_project_key: Option<String>,
}
