//! A ready-made set of classes, relationship types, governance and
//! identification rules: a starting point shaped like ServiceNow's CMDB.

use crate::model::{
    AttributeDefinition, AttributeType, CiClass, CmdbData, IdentificationRule, ImpactDirection,
    RelationshipRule, RelationshipType,
};

fn attribute(name: &str, value_type: AttributeType) -> AttributeDefinition {
    AttributeDefinition {
        name: name.to_owned(),
        value_type,
        required: false,
    }
}

fn choice(name: &str, values: &[&str]) -> AttributeDefinition {
    attribute(
        name,
        AttributeType::Choice {
            values: values.iter().map(|v| (*v).to_owned()).collect(),
        },
    )
}

fn class(
    name: &str,
    label: &str,
    parent: Option<&str>,
    attributes: Vec<AttributeDefinition>,
) -> CiClass {
    CiClass {
        name: name.to_owned(),
        label: Some(label.to_owned()),
        parent: parent.map(str::to_owned),
        service: false,
        attributes,
    }
}

fn relationship_type(
    name: &str,
    forward: &str,
    reverse: &str,
    impact: ImpactDirection,
    dependent: bool,
) -> RelationshipType {
    RelationshipType {
        name: name.to_owned(),
        forward: forward.to_owned(),
        reverse: reverse.to_owned(),
        impact,
        dependent,
    }
}

impl CmdbData {
    /// A ready-made starting point with no CIs: the classes
    /// `configuration_item` → `hardware` → `server` → `linux_server` /
    /// `windows_server`, `network_device`, `storage_device`, `power_supply`;
    /// `virtual_machine`, `cluster`, `application`, `database`, `middleware`,
    /// `service` → `business_service` / `technical_service` (services),
    /// `business_capability`; the relationship types `depends_on` / used by,
    /// `runs_on` / runs, `hosted_on` / hosts (dependent), `contains` /
    /// contained by (dependent), `member_of` / members, `connects_to` / connected by,
    /// `powered_by` / powers; governance rules between them (anything may
    /// depend on a technical service); and identification rules (hardware by
    /// serial number then name, virtual machines by FQDN, IP address then
    /// name, everything else by name).
    #[must_use]
    pub fn starter() -> Self {
        use AttributeType::{Integer, Number, String};
        let environment = ["production", "staging", "test", "development"];
        let mut service = class(
            "service",
            "Service",
            Some("configuration_item"),
            vec![choice(
                "criticality",
                &["critical", "high", "medium", "low"],
            )],
        );
        service.service = true;
        let classes = vec![
            class(
                "configuration_item",
                "Configuration Item",
                None,
                vec![
                    attribute("description", String),
                    attribute("owner", String),
                    choice("environment", &environment),
                ],
            ),
            class(
                "hardware",
                "Hardware",
                Some("configuration_item"),
                vec![
                    attribute("serial_number", String),
                    attribute("manufacturer", String),
                    attribute("model", String),
                    attribute("asset_tag", String),
                ],
            ),
            class(
                "server",
                "Server",
                Some("hardware"),
                vec![
                    attribute("fqdn", String),
                    attribute("ip_address", String),
                    attribute("cpu_count", Integer),
                    attribute("ram_gb", Number),
                ],
            ),
            class(
                "linux_server",
                "Linux Server",
                Some("server"),
                vec![attribute("os_version", String)],
            ),
            class(
                "windows_server",
                "Windows Server",
                Some("server"),
                vec![attribute("os_version", String)],
            ),
            class(
                "network_device",
                "Network Device",
                Some("hardware"),
                vec![
                    attribute("ip_address", String),
                    choice(
                        "device_type",
                        &["switch", "router", "firewall", "load_balancer"],
                    ),
                ],
            ),
            class(
                "storage_device",
                "Storage Device",
                Some("hardware"),
                vec![
                    attribute("capacity_tb", Number),
                    choice("storage_type", &["san", "nas", "das"]),
                ],
            ),
            class(
                "power_supply",
                "Power Supply",
                Some("hardware"),
                vec![attribute("watts", Integer)],
            ),
            class(
                "virtual_machine",
                "Virtual Machine",
                Some("configuration_item"),
                vec![
                    attribute("fqdn", String),
                    attribute("ip_address", String),
                    attribute("vcpus", Integer),
                    attribute("ram_gb", Number),
                    choice("hypervisor", &["vmware", "kvm", "hyper_v", "xen"]),
                ],
            ),
            class(
                "cluster",
                "Cluster",
                Some("configuration_item"),
                vec![choice(
                    "cluster_type",
                    &["compute", "database", "application", "storage"],
                )],
            ),
            class(
                "application",
                "Application",
                Some("configuration_item"),
                vec![attribute("version", String), attribute("vendor", String)],
            ),
            class(
                "database",
                "Database",
                Some("configuration_item"),
                vec![
                    choice(
                        "engine",
                        &[
                            "postgresql",
                            "mysql",
                            "oracle",
                            "sql_server",
                            "mongodb",
                            "other",
                        ],
                    ),
                    attribute("version", String),
                    attribute("port", Integer),
                ],
            ),
            class(
                "middleware",
                "Middleware",
                Some("configuration_item"),
                vec![attribute("product", String), attribute("version", String)],
            ),
            service,
            class(
                "business_service",
                "Business Service",
                Some("service"),
                vec![],
            ),
            class(
                "technical_service",
                "Technical Service",
                Some("service"),
                vec![],
            ),
            class(
                "business_capability",
                "Business Capability",
                Some("configuration_item"),
                vec![],
            ),
        ];
        let relationship_types = vec![
            relationship_type(
                "depends_on",
                "depends on",
                "used by",
                ImpactDirection::ToSource,
                false,
            ),
            relationship_type(
                "runs_on",
                "runs on",
                "runs",
                ImpactDirection::ToSource,
                false,
            ),
            relationship_type(
                "hosted_on",
                "hosted on",
                "hosts",
                ImpactDirection::ToSource,
                true,
            ),
            relationship_type(
                "contains",
                "contains",
                "contained by",
                ImpactDirection::ToTarget,
                true,
            ),
            relationship_type(
                "member_of",
                "member of",
                "members",
                ImpactDirection::ToTarget,
                false,
            ),
            // A failed network device disconnects what connects to it; a
            // failed server does not break its switch, so the impact is not
            // `both` (which would spread one failure through the switch).
            relationship_type(
                "connects_to",
                "connects to",
                "connected by",
                ImpactDirection::ToSource,
                false,
            ),
            relationship_type(
                "powered_by",
                "powered by",
                "powers",
                ImpactDirection::ToSource,
                false,
            ),
        ];
        let triples: &[(&str, &str, &str)] = &[
            ("business_capability", "depends_on", "business_service"),
            ("service", "depends_on", "service"),
            ("service", "depends_on", "application"),
            ("service", "depends_on", "database"),
            ("service", "depends_on", "middleware"),
            ("service", "depends_on", "cluster"),
            ("application", "depends_on", "application"),
            ("application", "depends_on", "database"),
            ("application", "depends_on", "middleware"),
            ("middleware", "depends_on", "database"),
            ("configuration_item", "depends_on", "technical_service"),
            ("database", "depends_on", "storage_device"),
            ("server", "depends_on", "storage_device"),
            ("virtual_machine", "depends_on", "storage_device"),
            ("cluster", "depends_on", "storage_device"),
            ("application", "runs_on", "server"),
            ("application", "runs_on", "virtual_machine"),
            ("application", "runs_on", "cluster"),
            ("database", "runs_on", "server"),
            ("database", "runs_on", "virtual_machine"),
            ("database", "runs_on", "cluster"),
            ("middleware", "runs_on", "server"),
            ("middleware", "runs_on", "virtual_machine"),
            ("middleware", "runs_on", "cluster"),
            ("virtual_machine", "hosted_on", "server"),
            ("virtual_machine", "hosted_on", "cluster"),
            ("server", "member_of", "cluster"),
            ("virtual_machine", "member_of", "cluster"),
            ("database", "member_of", "cluster"),
            ("hardware", "connects_to", "network_device"),
            ("virtual_machine", "connects_to", "network_device"),
            ("cluster", "connects_to", "network_device"),
            ("hardware", "contains", "hardware"),
            ("hardware", "powered_by", "power_supply"),
        ];
        let rules = triples
            .iter()
            .map(|(s, t, g)| RelationshipRule {
                source_class: (*s).to_owned(),
                relationship_type: (*t).to_owned(),
                target_class: (*g).to_owned(),
            })
            .collect();
        let identify = |class: &str, sets: &[&[&str]]| IdentificationRule {
            class: class.to_owned(),
            identifiers: sets
                .iter()
                .map(|set| set.iter().map(|a| (*a).to_owned()).collect())
                .collect(),
        };
        let identification_rules = vec![
            identify("configuration_item", &[&["name"]]),
            identify("hardware", &[&["serial_number"], &["name"]]),
            identify("virtual_machine", &[&["fqdn"], &["ip_address"], &["name"]]),
        ];
        Self {
            classes,
            relationship_types,
            rules,
            identification_rules,
            reconciliation_rules: Vec::new(),
            source_namespaces: Vec::new(),
            cis: Vec::new(),
            relationships: Vec::new(),
        }
    }
}
