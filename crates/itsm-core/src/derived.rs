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
//! Every record with custom fields also keeps the top-level keys it does not
//! know (`sys_id`, `u_vendor_ticket`, a misspelt field): they go to its
//! `extensions`, so a record read and written back keeps everything it came
//! with; a key given both at the top level and inside `extensions` is
//! refused.
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

/// What reading a record found beside the record itself.
pub(crate) struct Found<const N: usize> {
    /// For each watched key in order, whether the input gave it.
    pub given: [bool; N],
    /// The top-level keys the record does not know, with their values, in
    /// input order: they go to its extensions.
    pub unknown: Vec<(String, crate::FieldValue)>,
}

/// Reads a record through its derived deserializer `read`, supplying
/// `placeholders` (`(key, value)`) for the watched keys the input leaves
/// out, and holding back the keys the record does not know.
pub(crate) fn read_noting<'de, D, T, const N: usize>(
    deserializer: D,
    placeholders: &'static [(&'static str, &'static str); N],
    read: impl FnOnce(Noting<'_, D, N>) -> Result<T, D::Error>,
) -> Result<(T, Found<N>), D::Error>
where
    D: Deserializer<'de>,
{
    let seen = Cell::new([false; N]);
    let supplied = Cell::new([false; N]);
    let unknown = std::cell::RefCell::new(Vec::new());
    let value = read(Noting {
        inner: deserializer,
        watch: Watch {
            placeholders,
            seen: &seen,
            supplied: &supplied,
            unknown: &unknown,
        },
    })?;
    Ok((
        value,
        Found {
            given: seen.get(),
            unknown: unknown.into_inner(),
        },
    ))
}

/// Moves the unknown top-level fields into `extensions`, refusing a key
/// given both at the top level and inside `extensions`.
pub(crate) fn keep_unknown<E: de::Error>(
    extensions: &mut crate::Extensions,
    unknown: Vec<(String, crate::FieldValue)>,
) -> Result<(), E> {
    for (key, value) in unknown {
        if extensions.contains_key(&key) {
            return Err(E::custom(format_args!(
                "the field {} is given both at the top level and in extensions",
                crate::quoted(&key)
            )));
        }
        extensions.insert(key, value);
    }
    Ok(())
}

/// The watched keys, which of them were seen, and the unknown keys kept.
struct Watch<'a, const N: usize> {
    placeholders: &'static [(&'static str, &'static str); N],
    /// Given by the input.
    seen: &'a Cell<[bool; N]>,
    /// Supplied as a placeholder.
    supplied: &'a Cell<[bool; N]>,
    /// Top-level keys the record does not know, with their values.
    unknown: &'a std::cell::RefCell<Vec<(String, crate::FieldValue)>>,
}

impl<const N: usize> Clone for Watch<'_, N> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<const N: usize> Copy for Watch<'_, N> {}

impl<const N: usize> Watch<'_, N> {
    fn note(self, key: &str) {
        if let Some(i) = self.placeholders.iter().position(|(k, _)| *k == key) {
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
            fields: None,
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
                fields: Some(fields),
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
    /// The record's fields, as its derive names them.
    fields: Option<&'static [&'static str]>,
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
            fields: self.fields,
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

/// A key as the input holds it: borrowed when it can be.
enum Key<'de> {
    Borrowed(&'de str),
    Owned(String),
}

impl<'de> Key<'de> {
    fn as_str(&self) -> &str {
        match self {
            Self::Borrowed(s) => s,
            Self::Owned(s) => s,
        }
    }
}

impl<'de> de::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a field name")
            }

            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key::Borrowed(v))
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key::Owned(v.to_owned()))
            }

            fn visit_string<E: de::Error>(self, v: String) -> Result<Key<'de>, E> {
                Ok(Key::Owned(v))
            }
        }
        deserializer.deserialize_identifier(KeyVisitor)
    }
}

struct NotingMap<'a, A, const N: usize> {
    inner: A,
    watch: Watch<'a, N>,
    fields: Option<&'static [&'static str]>,
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
        while !self.ended {
            let Some(key) = self.inner.next_key::<Key<'de>>()? else {
                self.ended = true;
                break;
            };
            let name = key.as_str();
            if let Some(fields) = self.fields
                && !fields.contains(&name)
            {
                // Not a field of the record: kept for its extensions, never
                // dropped.
                let value = self.inner.next_value::<crate::FieldValue>()?;
                self.watch
                    .unknown
                    .borrow_mut()
                    .push((name.to_owned(), value));
                continue;
            }
            self.watch.note(name);
            return match key {
                Key::Borrowed(k) => seed
                    .deserialize(de::value::BorrowedStrDeserializer::<A::Error>::new(k))
                    .map(Some),
                Key::Owned(k) => seed
                    .deserialize(de::value::StringDeserializer::<A::Error>::new(k))
                    .map(Some),
            };
        }
        match self.watch.take_missing() {
            Some((key, value)) => {
                self.owed = Some(value);
                seed.deserialize(de::value::StrDeserializer::<A::Error>::new(key))
                    .map(Some)
            }
            None => Ok(None),
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

/// Implements `Serialize` and `Deserialize` for a record whose derives sit
/// under `#[serde(remote = "Self")]`: its derived fields are completed when
/// absent (`$complete`, with `$given[i]` telling whether the input gave the
/// `i`-th), and top-level keys it does not know go to its `extensions`.
macro_rules! derived_fields {
    ($record:ty, [$(($key:literal, $placeholder:literal)),* $(,)?], |$value:ident, $given:ident| $complete:block) => {
        impl serde::Serialize for $record {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                <$record>::serialize(self, serializer)
            }
        }

        impl<'de> serde::Deserialize<'de> for $record {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                const PLACEHOLDERS: &[(&str, &str); 0usize $(+ [$key].len())*] = &[$(($key, $placeholder)),*];
                let (mut $value, found) =
                    $crate::derived::read_noting(deserializer, PLACEHOLDERS, |d| <$record>::deserialize(d))?;
                let $given = found.given;
                $complete
                $crate::derived::keep_unknown(&mut $value.extensions, found.unknown)?;
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
