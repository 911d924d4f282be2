//! Derived fields: fields a record computes from its other fields when its
//! input leaves them out.
//!
//! | record | field | computed from, when absent |
//! |---|---|---|
//! | [`Incident`](crate::Incident) | `priority` | `impact` and `urgency`, by the ServiceNow 3×3 matrix ([`PriorityMatrix::servicenow`]) |
//! | [`Problem`](crate::Problem) | `priority` | `impact` and `urgency`, by the same matrix |
//! | [`Change`](crate::Change) | `approval` | `approvals`, by [`approval_from_approvals`] |
//! | [`ServiceRequest`](crate::ServiceRequest) | `approval` | `approvals`, by [`approval_from_approvals`] |
//!
//! A value given on input is kept as given (validation then checks it), and
//! output always writes the field, so a record read and written again is
//! complete.
//!
//! How it works: the record's derived `Deserialize` is kept (under
//! `#[serde(remote = "Self")]`), and read through a thin wrapper that notes
//! which watched keys the input holds and, at the end of the object, supplies
//! a placeholder for each one missing. The record is then completed from its
//! own fields. Nothing is buffered, so every error keeps its exact path.

use std::cell::Cell;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::{
    Approval, ApprovalDecision, ApprovalStatus, Impact, Priority, PriorityMatrix, Urgency,
};

/// The overall approval a list of approvals gives under the default policy
/// (every approver asked must approve; one rejection rejects; cancelled
/// approvals are ignored), used when a change's or a request's `approval` is
/// absent on input:
///
/// - any rejection: `rejected`;
/// - else any approver still to answer: `requested`;
/// - else any approval: `approved`;
/// - else (no approvals, or all cancelled): `not_requested`.
///
/// ```
/// use itsm_core::{approval_from_approvals, Approval, ApprovalDecision, ApprovalStatus, PersonId};
/// # let (ann, bob) = (PersonId::from_u128(1), PersonId::from_u128(2));
/// # let at = chrono::DateTime::UNIX_EPOCH;
/// let mut approvals = vec![Approval::requested(ann, None, at), Approval::requested(bob, None, at)];
/// assert_eq!(approval_from_approvals(&approvals), ApprovalStatus::Requested);
/// approvals[0].decision = ApprovalDecision::Approved;
/// approvals[1].decision = ApprovalDecision::Approved;
/// assert_eq!(approval_from_approvals(&approvals), ApprovalStatus::Approved);
/// ```
#[must_use]
pub fn approval_from_approvals(approvals: &[Approval]) -> ApprovalStatus {
    let any = |d: ApprovalDecision| approvals.iter().any(|a| a.decision == d);
    if any(ApprovalDecision::Rejected) {
        ApprovalStatus::Rejected
    } else if any(ApprovalDecision::Requested) {
        ApprovalStatus::Requested
    } else if any(ApprovalDecision::Approved) {
        ApprovalStatus::Approved
    } else {
        ApprovalStatus::NotRequested
    }
}

/// The priority an incident or a problem without one gets: the ServiceNow
/// 3×3 matrix's cell, or an error naming the field when that matrix has no
/// cell for the impact and urgency (give the priority then).
pub(crate) fn derived_priority<E: de::Error>(
    impact: Impact,
    urgency: Urgency,
) -> Result<Priority, E> {
    PriorityMatrix::servicenow()
        .priority(impact, urgency)
        .map_err(|_| {
            E::custom(format_args!(
                "priority is absent and the default matrix (servicenow_3x3) has no cell for impact {impact} and urgency {urgency}: give the priority"
            ))
        })
}

/// Reads a record through its derived deserializer `read`, supplying
/// `placeholders` (`(key, value)`) for the watched keys the input leaves out.
/// Returns the record and, for each watched key in order, whether the input
/// gave it.
pub(crate) fn read_noting<'de, D, T, const N: usize>(
    deserializer: D,
    placeholders: &'static [(&'static str, &'static str); N],
    read: impl FnOnce(Noting<'_, D, N>) -> Result<T, D::Error>,
) -> Result<(T, [bool; N]), D::Error>
where
    D: Deserializer<'de>,
{
    let seen = Cell::new([false; N]);
    let supplied = Cell::new([false; N]);
    let value = read(Noting {
        inner: deserializer,
        watch: Watch {
            placeholders,
            seen: &seen,
            supplied: &supplied,
        },
    })?;
    Ok((value, seen.get()))
}

/// The watched keys and which of them were seen.
struct Watch<'a, const N: usize> {
    placeholders: &'static [(&'static str, &'static str); N],
    /// Given by the input.
    seen: &'a Cell<[bool; N]>,
    /// Supplied as a placeholder.
    supplied: &'a Cell<[bool; N]>,
}

impl<const N: usize> Clone for Watch<'_, N> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<const N: usize> Copy for Watch<'_, N> {}

impl<const N: usize> Watch<'_, N> {
    fn note(self, key: &[u8]) {
        if let Some(i) = self
            .placeholders
            .iter()
            .position(|(k, _)| k.as_bytes() == key)
        {
            let mut seen = self.seen.get();
            seen[i] = true;
            self.seen.set(seen);
        }
    }

    /// The next watched key neither given nor supplied yet, marked supplied.
    fn take_missing(self) -> Option<(&'static str, &'static str)> {
        let (seen, mut supplied) = (self.seen.get(), self.supplied.get());
        let i = (0..N).find(|&i| !seen[i] && !supplied[i])?;
        supplied[i] = true;
        self.supplied.set(supplied);
        Some(self.placeholders[i])
    }

    fn see_all(self) {
        self.seen.set([true; N]);
    }
}

/// The record-level deserializer wrapper.
pub(crate) struct Noting<'a, D, const N: usize> {
    inner: D,
    watch: Watch<'a, N>,
}

impl<'de, D: Deserializer<'de>, const N: usize> Deserializer<'de> for Noting<'_, D, N> {
    type Error = D::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.inner.deserialize_any(RecordVisitor {
            inner: visitor,
            watch: self.watch,
        })
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.inner.deserialize_struct(
            name,
            fields,
            RecordVisitor {
                inner: visitor,
                watch: self.watch,
            },
        )
    }

    fn is_human_readable(&self) -> bool {
        self.inner.is_human_readable()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map enum identifier ignored_any
    }
}

struct RecordVisitor<'a, V, const N: usize> {
    inner: V,
    watch: Watch<'a, N>,
}

impl<'de, V: Visitor<'de>, const N: usize> Visitor<'de> for RecordVisitor<'_, V, N> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.expecting(f)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        self.inner.visit_map(NotingMap {
            inner: map,
            watch: self.watch,
            ended: false,
            owed: None,
        })
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<V::Value, A::Error> {
        // A record written as an array gives its fields by position: every
        // derived field is there, none is derived.
        self.watch.see_all();
        self.inner.visit_seq(seq)
    }
}

struct NotingMap<'a, A, const N: usize> {
    inner: A,
    watch: Watch<'a, N>,
    /// The input's object has ended; keys now come from the missing ones.
    ended: bool,
    /// The placeholder value owed after a supplied key.
    owed: Option<&'static str>,
}

impl<'de, A: MapAccess<'de>, const N: usize> MapAccess<'de> for NotingMap<'_, A, N> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        let mut seed = Some(seed);
        if !self.ended {
            let key = self.inner.next_key_seed(KeySeed {
                inner: &mut seed,
                watch: self.watch,
            })?;
            if key.is_some() {
                return Ok(key);
            }
            self.ended = true;
        }
        match (self.watch.take_missing(), seed) {
            (Some((key, value)), Some(seed)) => {
                self.owed = Some(value);
                seed.deserialize(de::value::StrDeserializer::<A::Error>::new(key))
                    .map(Some)
            }
            _ => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, A::Error> {
        match self.owed.take() {
            Some(value) => seed.deserialize(de::value::StrDeserializer::<A::Error>::new(value)),
            None => self.inner.next_value_seed(seed),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        self.inner.size_hint()
    }
}

/// Wraps a key's seed to note the key's name on its way through.
struct KeySeed<'s, 'a, K, const N: usize> {
    inner: &'s mut Option<K>,
    watch: Watch<'a, N>,
}

impl<'de, K: DeserializeSeed<'de>, const N: usize> DeserializeSeed<'de> for KeySeed<'_, '_, K, N> {
    type Value = K::Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<K::Value, D::Error> {
        let seed = self
            .inner
            .take()
            .ok_or_else(|| de::Error::custom("a key was read twice"))?;
        seed.deserialize(KeyDeserializer {
            inner: deserializer,
            watch: self.watch,
        })
    }
}

struct KeyDeserializer<'a, D, const N: usize> {
    inner: D,
    watch: Watch<'a, N>,
}

impl<'de, D: Deserializer<'de>, const N: usize> Deserializer<'de> for KeyDeserializer<'_, D, N> {
    type Error = D::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.inner.deserialize_any(KeyVisitor {
            inner: visitor,
            watch: self.watch,
        })
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.inner.deserialize_identifier(KeyVisitor {
            inner: visitor,
            watch: self.watch,
        })
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.inner.deserialize_str(KeyVisitor {
            inner: visitor,
            watch: self.watch,
        })
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.inner.deserialize_string(KeyVisitor {
            inner: visitor,
            watch: self.watch,
        })
    }

    fn is_human_readable(&self) -> bool {
        self.inner.is_human_readable()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum ignored_any
    }
}

struct KeyVisitor<'a, V, const N: usize> {
    inner: V,
    watch: Watch<'a, N>,
}

impl<'de, V: Visitor<'de>, const N: usize> Visitor<'de> for KeyVisitor<'_, V, N> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.expecting(f)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<V::Value, E> {
        self.watch.note(v.as_bytes());
        self.inner.visit_str(v)
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<V::Value, E> {
        self.watch.note(v.as_bytes());
        self.inner.visit_borrowed_str(v)
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<V::Value, E> {
        self.watch.note(v.as_bytes());
        self.inner.visit_string(v)
    }

    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<V::Value, E> {
        self.watch.note(v);
        self.inner.visit_bytes(v)
    }

    fn visit_borrowed_bytes<E: de::Error>(self, v: &'de [u8]) -> Result<V::Value, E> {
        self.watch.note(v);
        self.inner.visit_borrowed_bytes(v)
    }

    fn visit_byte_buf<E: de::Error>(self, v: Vec<u8>) -> Result<V::Value, E> {
        self.watch.note(&v);
        self.inner.visit_byte_buf(v)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<V::Value, E> {
        self.inner.visit_u64(v)
    }
}

/// Implements `Serialize` and `Deserialize` for a record whose derives sit
/// under `#[serde(remote = "Self")]`, completing its derived fields.
macro_rules! derived_fields {
    ($record:ty, [$(($key:literal, $placeholder:literal)),+ $(,)?], |$value:ident, $given:ident| $complete:block) => {
        impl serde::Serialize for $record {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                <$record>::serialize(self, serializer)
            }
        }

        impl<'de> serde::Deserialize<'de> for $record {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                const PLACEHOLDERS: &[(&str, &str); [$($key),+].len()] = &[$(($key, $placeholder)),+];
                let (mut $value, $given) =
                    $crate::derived::read_noting(deserializer, PLACEHOLDERS, |d| <$record>::deserialize(d))?;
                $complete
                Ok($value)
            }
        }
    };
}
pub(crate) use derived_fields;

/// For the schema only: a derived field is optional on input.
pub(crate) fn absent_priority() -> Priority {
    Priority::P5
}

/// For the schema only: a derived field is optional on input.
pub(crate) fn absent_approval() -> ApprovalStatus {
    ApprovalStatus::NotRequested
}

/// For the schema only: a derived field has no fixed default; its description
/// says how it is computed.
pub(crate) fn no_default(schema: &mut schemars::Schema) {
    schema.remove("default");
}
