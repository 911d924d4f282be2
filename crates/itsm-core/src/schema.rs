//! The JSON Schema contract: bundles of draft 2020-12 schemas with versioned `$id`s.

use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, SchemaGenerator};

/// The major version of our wire format, part of every schema's `$id`.
///
/// Policy: adding an optional field or an enum variant is a minor change and
/// keeps this version; renaming or removing anything, or making a field
/// required, is a major change and bumps it.
pub const SCHEMA_VERSION: &str = "v1";

/// The base of every schema's `$id`.
pub const SCHEMA_BASE: &str = "https://itsm-rs.github.io/schemas";

/// A generated schema file: where it goes and what it holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SchemaDocument {
    /// The file's path relative to `docs/schemas/`, such as `core/incident.schema.json`.
    pub path: String,
    /// The schema as pretty-printed JSON, ending in a newline.
    pub content: String,
}

/// Collects the root types of one crate and generates their schemas.
///
/// Each root type gets a self-contained file (its own `$defs`), and the
/// bundle file `NAMESPACE/bundle.schema.json` holds the `$defs` of every root
/// and every type they use, once.
///
/// ```
/// let bundle = itsm_core::schema_bundle();
/// let incident = bundle.documents().into_iter().find(|d| d.path == "core/incident.schema.json");
/// assert!(incident.unwrap().content.contains("https://json-schema.org/draft/2020-12/schema"));
/// ```
pub struct SchemaBundle {
    namespace: String,
    roots: Vec<(String, schemars::Schema)>,
    shared: SchemaGenerator,
}

impl std::fmt::Debug for SchemaBundle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SchemaBundle")
            .field("namespace", &self.namespace)
            .field(
                "roots",
                &self.roots.iter().map(|(n, _)| n).collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl SchemaBundle {
    /// An empty bundle for one crate's types (`core`, `sla`, `cmdb`, `lifecycle`).
    #[must_use]
    pub fn new(namespace: &str) -> Self {
        Self {
            namespace: namespace.to_owned(),
            roots: Vec::new(),
            shared: Self::settings().into_generator(),
        }
    }

    fn settings() -> SchemaSettings {
        SchemaSettings::draft2020_12()
    }

    /// The `$id` of a root type's schema.
    #[must_use]
    pub fn id_of(&self, name: &str) -> String {
        format!(
            "{SCHEMA_BASE}/{SCHEMA_VERSION}/{}/{name}.schema.json",
            self.namespace
        )
    }

    /// Adds a root type under a `snake_case` file name.
    #[must_use]
    pub fn with<T: JsonSchema>(mut self, name: &str) -> Self {
        let mut schema = Self::settings()
            .into_generator()
            .into_root_schema_for::<T>();
        schema.insert("$id".to_owned(), self.id_of(name).into());
        // Registers the type and everything it uses in the shared `$defs`.
        self.shared.subschema_for::<T>();
        self.roots.push((name.to_owned(), schema));
        self
    }

    /// The root types' names, in the order they were added.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.roots.iter().map(|(name, _)| name.as_str())
    }

    /// One document per root type, then the bundle of shared `$defs`.
    #[must_use]
    pub fn documents(&self) -> Vec<SchemaDocument> {
        let mut out: Vec<SchemaDocument> = self
            .roots
            .iter()
            .map(|(name, schema)| SchemaDocument {
                path: format!("{}/{name}.schema.json", self.namespace),
                content: pretty(schema.as_value()),
            })
            .collect();
        let mut bundle = serde_json::Map::new();
        bundle.insert(
            "$schema".into(),
            "https://json-schema.org/draft/2020-12/schema".into(),
        );
        bundle.insert("$id".into(), self.id_of("bundle").into());
        bundle.insert(
            "title".into(),
            format!("itsm {} types, {SCHEMA_VERSION}", self.namespace).into(),
        );
        let defs: serde_json::Map<String, serde_json::Value> = self
            .shared
            .definitions()
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        bundle.insert("$defs".into(), serde_json::Value::Object(defs));
        out.push(SchemaDocument {
            path: format!("{}/bundle.schema.json", self.namespace),
            content: pretty(&serde_json::Value::Object(bundle)),
        });
        out
    }
}

/// Pretty JSON ending in a newline, with rustdoc link syntax removed from
/// every description: doc comments become descriptions, and a reader of a
/// schema has no use for ``[`Group`](crate::Group)``.
fn pretty(value: &serde_json::Value) -> String {
    let mut value = value.clone();
    let mut pending = vec![&mut value];
    while let Some(node) = pending.pop() {
        match node {
            serde_json::Value::Object(map) => {
                for (key, child) in map.iter_mut() {
                    match child {
                        serde_json::Value::String(text) if key == "description" => {
                            *text = strip_doc_links(text);
                        }
                        _ => pending.push(child),
                    }
                }
            }
            serde_json::Value::Array(items) => pending.extend(items.iter_mut()),
            _ => {}
        }
    }
    let mut text = serde_json::to_string_pretty(&value).unwrap_or_default();
    text.push('\n');
    text
}

/// Rewrites rustdoc links for a reader of JSON: ``[`X`](crate::X)`` and
/// ``[`X`]`` become `` `X` ``, `[text](crate::x)` becomes `text`; links to
/// web pages (`[text](https://…)`) and any other brackets are kept.
fn strip_doc_links(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('[') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let Some(close) = after.find(']') else {
            out.push_str(&rest[open..]);
            return out;
        };
        let inner = &after[..close];
        let tail = &after[close + 1..];
        if let Some(target_and_more) = tail.strip_prefix('(')
            && let Some(end) = target_and_more.find(')')
        {
            let target = &target_and_more[..end];
            if target.contains("://") || target.starts_with('#') {
                out.push_str(&rest[open..open + 1 + close + 1 + 1 + end + 1]);
            } else {
                out.push_str(inner);
            }
            rest = &target_and_more[end + 1..];
        } else if inner.len() >= 2
            && inner.starts_with('`')
            && inner.ends_with('`')
            && !inner.contains('[')
        {
            out.push_str(inner);
            rest = tail;
        } else {
            out.push('[');
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::strip_doc_links;

    #[test]
    fn doc_links_become_plain_text() {
        for (input, expected) in [
            ("An [`Incident`](crate::Incident).", "An `Incident`."),
            ("See [`Violation`].", "See `Violation`."),
            ("the [state](crate::IncidentState) of it", "the state of it"),
            (
                "[ITIL](https://example.org/itil) terms",
                "[ITIL](https://example.org/itil) terms",
            ),
            (
                "a list [50, 75] of thresholds",
                "a list [50, 75] of thresholds",
            ),
            ("`[{\"start\": \"09:00\"}]`", "`[{\"start\": \"09:00\"}]`"),
            ("unclosed [bracket", "unclosed [bracket"),
            ("two [`A`](crate::A) and [`B`]", "two `A` and `B`"),
            ("", ""),
        ] {
            assert_eq!(strip_doc_links(input), expected, "input: {input:?}");
        }
    }
}
