//! Internally tagged enums (`{"type": "category", "any_of": [...]}`) that
//! keep the exact path of every error.
//!
//! serde's own `#[serde(tag = "…")]` buffers the whole object before it
//! picks the variant, so an error inside it is reported at the object
//! (`stop`) instead of the field (`stop.any[0].event.kind`). Here the enum's
//! derives are kept as inherent functions (`#[serde(remote = "Self")]`,
//! externally tagged), and these adapters read and write the internally
//! tagged wire form around them:
//!
//! - reading, the tag is taken from the object and the rest of the object is
//!   handed to the variant as it streams, so every value is read in place and
//!   keeps its path. When the tag is not the first key, the keys before it are
//!   held as JSON values until the tag arrives (an error inside one of those
//!   names its key);
//! - writing, the tag and then the variant's fields are written as the
//!   entries of one map: the same bytes serde's `tag` writes.
//!
//! The schemas are unchanged: the enums keep `#[schemars(tag = "…")]`.
//!
//! Not part of the API: used by this workspace's crates through
//! [`internally_tagged!`](crate::internally_tagged).

use std::fmt;
use std::marker::PhantomData;

use serde::de::{
    self, DeserializeSeed, Deserializer, EnumAccess, MapAccess, VariantAccess, Visitor,
};
use serde::ser::{self, Impossible, SerializeMap, Serializer};

/// The tag keys of this workspace's internally tagged enums.
pub const TAGS: [&str; 3] = ["type", "kind", "unit"];

/// `text` written again with the [`TAGS`] first in every object, or `None`
/// when it is not JSON.
///
/// Reading streams an object's fields in place only after its tag; the keys
/// before the tag lose their inner path. On an error, a reader parses this
/// text again to find the exact path (the order of an object's keys means
/// nothing in JSON). Depth is bounded by serde_json's own limit of 128.
#[must_use]
pub fn tags_first(text: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(text).ok()?;
    let mut out = String::with_capacity(text.len());
    write_tags_first(&value, &mut out);
    Some(out)
}

fn write_tags_first(value: &serde_json::Value, out: &mut String) {
    use serde_json::Value;
    match value {
        Value::Object(map) => {
            out.push('{');
            let tags = TAGS.iter().filter_map(|t| map.get_key_value(*t));
            let others = map.iter().filter(|(k, _)| !TAGS.contains(&k.as_str()));
            for (i, (key, v)) in tags.chain(others).enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                write_tags_first(v, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_tags_first(v, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// An enum whose externally tagged derives are inherent functions
/// (`#[serde(remote = "Self")]`).
pub trait Remote: Sized {
    /// The derived externally tagged deserializer.
    ///
    /// # Errors
    /// The deserializer's.
    fn read<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error>;

    /// The derived externally tagged serializer.
    ///
    /// # Errors
    /// The serializer's.
    fn write<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error>;
}

/// Writes `value` as one map: `tag` naming the variant, then its fields.
///
/// # Errors
/// The serializer's.
pub fn serialize<T: Remote, S: Serializer>(
    value: &T,
    tag: &'static str,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    let mut map = serializer.serialize_map(None)?;
    value.write(Entries { tag, map: &mut map })?;
    map.end()
}

/// Writes `value`'s tag and fields as entries of a map being written (for a
/// record that holds a tagged enum among its own fields).
///
/// # Errors
/// The serializer's.
pub fn serialize_entries<T: Remote, M: SerializeMap>(
    value: &T,
    tag: &'static str,
    map: &mut M,
) -> Result<(), M::Error> {
    value.write(Entries { tag, map })
}

/// Reads an internally tagged `T`, keeping every error's path.
///
/// # Errors
/// The deserializer's, with the path of the offending value.
pub fn deserialize<'de, T: Remote, D: Deserializer<'de>>(
    deserializer: D,
    tag: &'static str,
) -> Result<T, D::Error> {
    deserializer.deserialize_map(TaggedVisitor {
        tag,
        marker: PhantomData,
    })
}

struct TaggedVisitor<T> {
    tag: &'static str,
    marker: PhantomData<T>,
}

impl<'de, T: Remote> Visitor<'de> for TaggedVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "an object with a {:?} field", self.tag)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
        let rest = Rest::find_tag(map, self.tag)?;
        T::read(FromMap { rest })
    }
}

/// The object after its tag's key: keys held before the tag (when it was not
/// first), then the keys still to stream. The tag's value is read first.
pub struct Rest<A> {
    held: std::vec::IntoIter<(String, serde_json::Value)>,
    map: A,
    /// The value of a held key, owed after that key.
    owed: Option<(String, serde_json::Value)>,
}

impl<'de, A: MapAccess<'de>> Rest<A> {
    /// Reads keys until `tag`'s, holding the entries before it.
    ///
    /// # Errors
    /// A missing tag, or the map's own errors.
    pub fn find_tag(map: A, tag: &'static str) -> Result<Self, A::Error> {
        Self::find_tag_taking(map, tag, &[], |_, _| Ok(()))
    }

    /// Reads keys until `tag`'s, handing every entry before it whose key is
    /// one of `own` to `take` (a record's own fields beside the tag's), and
    /// holding the others.
    ///
    /// # Errors
    /// A missing tag, `take`'s errors, or the map's own.
    pub fn find_tag_taking(
        mut map: A,
        tag: &'static str,
        own: &[&str],
        mut take: impl FnMut(&str, &mut A) -> Result<(), A::Error>,
    ) -> Result<Self, A::Error> {
        let mut held = Vec::new();
        loop {
            let Some(key) = map.next_key::<String>()? else {
                return Err(de::Error::missing_field(tag));
            };
            if key == tag {
                return Ok(Self {
                    held: held.into_iter(),
                    map,
                    owed: None,
                });
            }
            if own.contains(&key.as_str()) {
                take(&key, &mut map)?;
            } else {
                let value = map.next_value::<serde_json::Value>()?;
                held.push((key, value));
            }
        }
    }
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Rest<A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        if let Some((key, value)) = self.held.next() {
            let out = seed.deserialize(de::value::StrDeserializer::<A::Error>::new(&key))?;
            self.owed = Some((key, value));
            return Ok(Some(out));
        }
        self.map.next_key_seed(seed)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, A::Error> {
        match self.owed.take() {
            // A value held before the tag: its own inner path is lost, so
            // the message names its key.
            Some((key, value)) => seed
                .deserialize(value)
                .map_err(|e| de::Error::custom(format_args!("{key}: {e}"))),
            None => self.map.next_value_seed(seed),
        }
    }
}

/// [`Rest`] as a deserializer of the externally tagged derive: the variant
/// is the tag's value, its fields the rest of the object.
struct FromMap<A> {
    rest: Rest<A>,
}

impl<'de, A: MapAccess<'de>> Deserializer<'de> for FromMap<A> {
    type Error = A::Error;

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, A::Error> {
        visitor.visit_enum(self)
    }

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, A::Error> {
        visitor.visit_enum(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map struct identifier ignored_any
    }
}

impl<'de, A: MapAccess<'de>> EnumAccess<'de> for FromMap<A> {
    type Error = A::Error;
    type Variant = Self;

    fn variant_seed<V: DeserializeSeed<'de>>(
        mut self,
        seed: V,
    ) -> Result<(V::Value, Self), A::Error> {
        // The tag's value, read in place: an unknown variant is reported at
        // the tag (`stop.type`).
        let variant = self.rest.map.next_value_seed(seed)?;
        Ok((variant, self))
    }
}

impl<'de, A: MapAccess<'de>> VariantAccess<'de> for FromMap<A> {
    type Error = A::Error;

    fn unit_variant(mut self) -> Result<(), A::Error> {
        // A variant with no fields takes no other key: a misspelt or
        // misplaced field is refused, never ignored.
        if let Some(key) = self.rest.next_key::<String>()? {
            return Err(de::Error::custom(format_args!(
                "unknown field {}: this variant has no fields",
                crate::quoted(&key)
            )));
        }
        Ok(())
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, A::Error> {
        seed.deserialize(de::value::MapAccessDeserializer::new(self.rest))
    }

    fn tuple_variant<V: Visitor<'de>>(
        self,
        _len: usize,
        _visitor: V,
    ) -> Result<V::Value, A::Error> {
        Err(de::Error::custom("a tagged enum has no tuple variants"))
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, A::Error> {
        visitor.visit_map(self.rest)
    }
}

/// Reads an internally tagged `T` from a map whose first keys may belong to
/// a record holding it (`at` and `actor` of a timeline event): `own` keys
/// anywhere in the object are handed to `take`, the others make up `T`.
///
/// # Errors
/// A missing tag, `take`'s errors, or `T`'s.
pub fn deserialize_within<'de, T: Remote, A: MapAccess<'de>>(
    map: A,
    tag: &'static str,
    own: &'static [&'static str],
    mut take: impl FnMut(&str, &mut A) -> Result<(), A::Error>,
) -> Result<T, A::Error> {
    let rest = Rest::find_tag_taking(map, tag, own, &mut take)?;
    T::read(FromMap {
        rest: Rest {
            held: rest.held,
            map: Filtered {
                map: rest.map,
                own,
                take,
            },
            owed: None,
        },
    })
}

/// A map that hands its `own` keys to `take` and streams the others.
struct Filtered<A, F> {
    map: A,
    own: &'static [&'static str],
    take: F,
}

impl<'de, A, F> MapAccess<'de> for Filtered<A, F>
where
    A: MapAccess<'de>,
    F: FnMut(&str, &mut A) -> Result<(), A::Error>,
{
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        loop {
            let Some(key) = self.map.next_key::<String>()? else {
                return Ok(None);
            };
            if self.own.contains(&key.as_str()) {
                (self.take)(&key, &mut self.map)?;
                continue;
            }
            return seed
                .deserialize(de::value::StringDeserializer::<A::Error>::new(key))
                .map(Some);
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, A::Error> {
        self.map.next_value_seed(seed)
    }
}

/// Writes an externally tagged variant as map entries: the tag, then the
/// fields.
struct Entries<'m, M> {
    tag: &'static str,
    map: &'m mut M,
}

/// The fields of a struct variant, as entries of the map.
pub struct Fields<'m, M> {
    map: &'m mut M,
}

impl<M: SerializeMap> ser::SerializeStructVariant for Fields<'_, M> {
    type Ok = ();
    type Error = M::Error;

    fn serialize_field<T: ?Sized + serde::Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), M::Error> {
        self.map.serialize_entry(key, value)
    }

    fn end(self) -> Result<(), M::Error> {
        Ok(())
    }
}

fn only_variants<E: ser::Error>() -> E {
    ser::Error::custom("only unit and struct variants can be written with a tag")
}

impl<'m, M: SerializeMap> Serializer for Entries<'m, M> {
    type Ok = ();
    type Error = M::Error;
    type SerializeSeq = Impossible<(), M::Error>;
    type SerializeTuple = Impossible<(), M::Error>;
    type SerializeTupleStruct = Impossible<(), M::Error>;
    type SerializeTupleVariant = Impossible<(), M::Error>;
    type SerializeMap = Impossible<(), M::Error>;
    type SerializeStruct = Impossible<(), M::Error>;
    type SerializeStructVariant = Fields<'m, M>;

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), M::Error> {
        self.map.serialize_entry(self.tag, variant)
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Fields<'m, M>, M::Error> {
        self.map.serialize_entry(self.tag, variant)?;
        Ok(Fields { map: self.map })
    }

    fn serialize_bool(self, _: bool) -> Result<(), M::Error> {
        Err(only_variants())
    }
    fn serialize_i8(self, _: i8) -> Result<(), M::Error> {
        Err(only_variants())
    }
    fn serialize_i16(self, _: i16) -> Result<(), M::Error> {
        Err(only_variants())
    }
    fn serialize_i32(self, _: i32) -> Result<(), M::Error> {
        Err(only_variants())
    }
    fn serialize_i64(self, _: i64) -> Result<(), M::Error> {
        Err(only_variants())
    }
    fn serialize_u8(self, _: u8) -> Result<(), M::Error> {
        Err(only_variants())
    }
    fn serialize_u16(self, _: u16) -> Result<(), M::Error> {
        Err(only_variants())
    }
    fn serialize_u32(self, _: u32) -> Result<(), M::Error> {
        Err(only_variants())
    }
    fn serialize_u64(self, _: u64) -> Result<(), M::Error> {
        Err(only_variants())
    }
    fn serialize_f32(self, _: f32) -> Result<(), M::Error> {
        Err(only_variants())
    }
    fn serialize_f64(self, _: f64) -> Result<(), M::Error> {
        Err(only_variants())
    }
    fn serialize_char(self, _: char) -> Result<(), M::Error> {
        Err(only_variants())
    }
    fn serialize_str(self, _: &str) -> Result<(), M::Error> {
        Err(only_variants())
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<(), M::Error> {
        Err(only_variants())
    }
    fn serialize_none(self) -> Result<(), M::Error> {
        Err(only_variants())
    }
    fn serialize_some<T: ?Sized + serde::Serialize>(self, _: &T) -> Result<(), M::Error> {
        Err(only_variants())
    }
    fn serialize_unit(self) -> Result<(), M::Error> {
        Err(only_variants())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), M::Error> {
        Err(only_variants())
    }
    fn serialize_newtype_struct<T: ?Sized + serde::Serialize>(
        self,
        _: &'static str,
        _: &T,
    ) -> Result<(), M::Error> {
        Err(only_variants())
    }
    fn serialize_newtype_variant<T: ?Sized + serde::Serialize>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), M::Error> {
        Err(only_variants())
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, M::Error> {
        Err(only_variants())
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, M::Error> {
        Err(only_variants())
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, M::Error> {
        Err(only_variants())
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, M::Error> {
        Err(only_variants())
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, M::Error> {
        Err(only_variants())
    }
    fn serialize_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStruct, M::Error> {
        Err(only_variants())
    }
}

/// Implements `Serialize`, `Deserialize` and [`Remote`] for an enum whose
/// derives sit under `#[serde(remote = "Self")]` (and whose schema keeps
/// `#[schemars(tag = "…")]`), reading and writing it internally tagged by
/// `$tag` with exact error paths.
#[doc(hidden)]
#[macro_export]
macro_rules! internally_tagged {
    ($ty:ty, $tag:literal) => {
        impl $crate::__tagged::Remote for $ty {
            fn read<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                <$ty>::deserialize(deserializer)
            }

            fn write<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                <$ty>::serialize(self, serializer)
            }
        }

        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                $crate::__tagged::serialize(self, $tag, serializer)
            }
        }

        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                $crate::__tagged::deserialize(deserializer, $tag)
            }
        }
    };
}
