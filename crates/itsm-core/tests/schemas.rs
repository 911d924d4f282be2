//! The committed JSON Schemas under `docs/schemas/core/` are exactly what
//! [`itsm_core::schema_bundle`] generates.
//!
//! After an intended change of the model, regenerate them with
//! `UPDATE_SCHEMAS=1 cargo test -p itsm-core --test schemas` and commit the result.

#[path = "support/schema_drift.rs"]
mod schema_drift;

#[test]
fn committed_schemas_match_the_model() {
    schema_drift::check(&itsm_core::schema_bundle(), "core", "itsm-core");
}

#[test]
fn every_schema_is_draft_2020_12_with_a_versioned_id() {
    for document in itsm_core::schema_bundle().documents() {
        let schema: serde_json::Value = serde_json::from_str(&document.content).unwrap();
        assert_eq!(
            schema["$schema"], "https://json-schema.org/draft/2020-12/schema",
            "{}",
            document.path
        );
        let id = schema["$id"].as_str().unwrap();
        assert_eq!(
            id,
            format!("https://itsm-rs.github.io/schemas/v1/{}", document.path),
            "{}",
            document.path
        );
        assert!(document.content.ends_with("}\n"), "{}", document.path);
        // Every local reference resolves.
        let text = &document.content;
        for reference in text.split("\"$ref\": \"").skip(1) {
            let target = &reference[..reference.find('"').unwrap()];
            let name = target
                .strip_prefix("#/$defs/")
                .unwrap_or_else(|| panic!("{}: non-local $ref {target}", document.path));
            assert!(
                schema["$defs"].get(name).is_some(),
                "{}: $ref {target} does not resolve",
                document.path
            );
        }
    }
}
