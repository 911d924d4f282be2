//! [`FieldValue`]: any JSON value, for custom fields and field-change events.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Custom fields of a record, by field name. They round-trip untouched.
pub type Extensions = BTreeMap<String, FieldValue>;

/// Any JSON value: what a custom field holds and what a field-change event
/// records. Integers keep their exact value (`i64` or `u64`), so ids stored as
/// numbers by other tools survive a round trip.
#[derive(Clone, Debug, PartialEq, Default)]
pub enum FieldValue {
    /// JSON `null`.
    #[default]
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A negative integer, or any integer that fits in `i64`.
    Int(i64),
    /// A positive integer too large for `i64`.
    UInt(u64),
    /// A number with a fractional part or an exponent. JSON has no NaN or
    /// infinity: a non-finite float is written as `null`.
    Float(f64),
    /// A string.
    String(String),
    /// An array.
    Array(Vec<FieldValue>),
    /// An object, by key.
    Object(BTreeMap<String, FieldValue>),
}

impl FieldValue {
    /// The string inside, if this is a string.
    #[must_use]
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Self::String(s) => Some(s),
            _ => None,
        }
    }
}

impl From<&str> for FieldValue {
    fn from(value: &str) -> Self {
        Self::String(value.to_owned())
    }
}

impl From<String> for FieldValue {
    fn from(value: String) -> Self {
        Self::String(value)
    }
}

impl From<bool> for FieldValue {
    fn from(value: bool) -> Self {
        Self::Bool(value)
    }
}

impl From<i64> for FieldValue {
    fn from(value: i64) -> Self {
        Self::Int(value)
    }
}

impl fmt::Display for FieldValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match serde_json::to_string(self) {
            Ok(text) => f.write_str(&text),
            Err(_) => Err(fmt::Error),
        }
    }
}

impl Serialize for FieldValue {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Null => serializer.serialize_unit(),
            Self::Bool(b) => serializer.serialize_bool(*b),
            Self::Int(i) => serializer.serialize_i64(*i),
            Self::UInt(u) => serializer.serialize_u64(*u),
            Self::Float(x) => serializer.serialize_f64(*x),
            Self::String(s) => serializer.serialize_str(s),
            Self::Array(items) => serializer.collect_seq(items),
            Self::Object(map) => serializer.collect_map(map),
        }
    }
}

struct FieldValueVisitor;

impl<'de> Visitor<'de> for FieldValueVisitor {
    type Value = FieldValue;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_unit<E>(self) -> Result<FieldValue, E> {
        Ok(FieldValue::Null)
    }

    fn visit_none<E>(self) -> Result<FieldValue, E> {
        Ok(FieldValue::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<FieldValue, D::Error> {
        FieldValue::deserialize(d)
    }

    fn visit_bool<E>(self, v: bool) -> Result<FieldValue, E> {
        Ok(FieldValue::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<FieldValue, E> {
        Ok(FieldValue::Int(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<FieldValue, E> {
        Ok(i64::try_from(v).map_or(FieldValue::UInt(v), FieldValue::Int))
    }

    fn visit_f64<E>(self, v: f64) -> Result<FieldValue, E> {
        Ok(FieldValue::Float(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<FieldValue, E> {
        Ok(FieldValue::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<FieldValue, E> {
        Ok(FieldValue::String(v))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<FieldValue, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(FieldValue::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<FieldValue, A::Error> {
        unique_entries(map).map(FieldValue::Object)
    }
}

/// A JSON object's entries, refusing a key given twice: a plain map would
/// keep the last value and drop the first without a word.
fn unique_entries<'de, A: MapAccess<'de>>(
    mut map: A,
) -> Result<BTreeMap<String, FieldValue>, A::Error> {
    let mut out = BTreeMap::new();
    while let Some(key) = map.next_key::<String>()? {
        if out.contains_key(&key) {
            return Err(serde::de::Error::custom(format!(
                "the key {} is given twice",
                crate::quoted(&key)
            )));
        }
        let value = map.next_value::<FieldValue>()?;
        out.insert(key, value);
    }
    Ok(out)
}

/// Deserializes custom fields ([`Extensions`], a CI's attributes),
/// refusing a key given twice with the path of the map, where a plain
/// `BTreeMap` would keep the last value silently. For a field of this type
/// in a type of your own: `#[serde(deserialize_with = "itsm_core::unique_fields")]`.
///
/// # Errors
/// A key given twice, or a value that is not JSON.
pub fn unique_fields<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Extensions, D::Error> {
    struct Fields;
    impl<'de> Visitor<'de> for Fields {
        type Value = Extensions;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an object of custom fields")
        }
        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Extensions, A::Error> {
            unique_entries(map)
        }
    }
    deserializer.deserialize_map(Fields)
}

impl<'de> Deserialize<'de> for FieldValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(FieldValueVisitor)
    }
}

impl JsonSchema for FieldValue {
    fn schema_name() -> Cow<'static, str> {
        "FieldValue".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "Any JSON value."
        })
    }
}
