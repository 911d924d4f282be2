//! [`GraphIndex`]: the frozen, compact, read-only graph that every query runs on.
//!
//! Layout (all arrays, no pointers):
//! - dense `u32` node ids, numbered breadth-first over the relationships so
//!   that related CIs are close (locality for queries), with `ids[dense]`
//!   giving the [`CiId`] back and an open-addressing table of dense ids
//!   (hashing the UUID, comparing through `ids`) giving the way in;
//! - two CSR adjacencies of *impact arcs*, resolved at build time from each
//!   relationship type's [`ImpactDirection`]: `impact` (from a CI to the CIs
//!   its failure impacts) and `depend` (from a CI to the CIs whose failure
//!   impacts it). Each arc is one `u32`: the other end shifted left by
//!   `type_bits`, the relationship type in the low bits, so a query filters
//!   by type without a second array;
//! - one bit per node for "is a business service" and one for "declares
//!   redundancy", and a small sorted table of the redundancy declarations.

use std::collections::HashMap;

use itsm_core::{CiId, Violation};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{CmdbData, CmdbError, ConfigurationItem, ImpactDirection, RedundancyRequirement};

/// "No node" in predecessor arrays; never a valid packed arc (see [`GraphIndex::build`]).
pub(crate) const NONE: u32 = u32::MAX;

/// A CI's redundancy over one relationship type, resolved against the graph.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RedundancyEntry {
    /// The dense id of the CI that declares it.
    pub(crate) node: u32,
    /// The relationship type.
    pub(crate) ty: u32,
    /// How many dependencies of that type it has.
    pub(crate) total: u32,
    /// How many of them must stay up.
    pub(crate) required: u32,
    /// How many may fail before it is impacted: `total - required` (0 when
    /// more are required than exist).
    pub(crate) tolerance: u32,
}

/// How much memory a [`GraphIndex`] holds, by part.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct IndexMemory {
    /// The relationships the index was built from (each counted once, even
    /// when its impact travels both ways).
    pub relationships: u64,
    /// Bytes of the adjacency in both directions: the offsets and the arcs
    /// (each arc carries its relationship type).
    pub adjacency_bytes: u64,
    /// Bytes of the id maps: dense id → CI id, and the hash table back.
    pub id_map_bytes: u64,
    /// Bytes of the rest: service and redundancy bits, the redundancy table,
    /// the relationship type names.
    pub other_bytes: u64,
}

impl IndexMemory {
    /// All bytes held.
    #[must_use]
    pub fn total_bytes(&self) -> u64 {
        self.adjacency_bytes + self.id_map_bytes + self.other_bytes
    }

    /// Adjacency bytes per relationship (the figure to compare with a graph
    /// library, which does not map external ids either); 0 without relationships.
    #[must_use]
    pub fn adjacency_bytes_per_relationship(&self) -> f64 {
        per(self.adjacency_bytes, self.relationships)
    }

    /// All bytes per relationship; 0 without relationships.
    #[must_use]
    pub fn total_bytes_per_relationship(&self) -> f64 {
        per(self.total_bytes(), self.relationships)
    }
}

#[allow(clippy::cast_precision_loss)] // a ratio for people to read
fn per(bytes: u64, relationships: u64) -> f64 {
    if relationships == 0 {
        0.0
    } else {
        bytes as f64 / relationships as f64
    }
}

/// How many ids ahead [`IdTable::positions`] fetches a home slot.
const TABLE_AHEAD: usize = 16;

/// Open addressing, linear probing; slots hold dense ids, keys live in `ids`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct IdTable {
    slots: Vec<u32>,
    mask: usize,
}

fn hash_id(id: &CiId) -> usize {
    let v = id.as_u128();
    #[allow(clippy::cast_possible_truncation)] // folding the two halves on purpose
    let mut x = (v as u64) ^ ((v >> 64) as u64).rotate_left(31);
    // The finaliser of MurmurHash3: every input bit reaches every output bit.
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    x ^= x >> 33;
    #[allow(clippy::cast_possible_truncation)] // masked by the table size
    let h = x as usize;
    h
}

/// The relationship type names, in the order of the data.
fn type_names(data: &CmdbData) -> Vec<String> {
    data.relationship_types
        .iter()
        .map(|t| t.name.clone())
        .collect()
}

impl IdTable {
    /// The table of `ids` by position, the first of equal ids winning.
    fn positions(ids: &[CiId]) -> Self {
        let size = Self::size_for(ids.len());
        let mask = size - 1;
        let mut slots = vec![NONE; size];
        for (dense, id) in ids.iter().enumerate() {
            // Fetch ahead the home slot of a later id, so that its miss
            // overlaps with this insertion's.
            if let Some(ahead) = ids.get(dense + TABLE_AHEAD) {
                std::hint::black_box(slots[hash_id(ahead) & mask]);
            }
            let mut i = hash_id(id) & mask;
            loop {
                let slot = slots[i];
                if slot == NONE {
                    slots[i] = dense as u32; // the caller checked that the ids fit in u32
                    break;
                }
                if ids[slot as usize] == *id {
                    break;
                }
                i = (i + 1) & mask;
            }
        }
        Self { slots, mask }
    }

    /// Slots for `n` ids: a power of two, at most half full.
    fn size_for(n: usize) -> usize {
        (n.max(4) * 2).next_power_of_two()
    }

    fn get(&self, id: &CiId, ids: &[CiId]) -> Option<u32> {
        if self.slots.is_empty() {
            return None;
        }
        let mut i = hash_id(id) & self.mask;
        loop {
            let slot = self.slots[i];
            if slot == NONE {
                return None;
            }
            if ids[slot as usize] == *id {
                return Some(slot);
            }
            i = (i + 1) & self.mask;
        }
    }
}

/// A frozen, compact, read-only index of a CMDB's impact graph.
///
/// Build it once from the data ([`GraphIndex::build`]), share it (`&GraphIndex`
/// is `Sync`), and run queries through a [`Searcher`](crate::Searcher) per
/// thread, which keeps the visited buffers between queries.
///
/// Only relationships along which failures travel are kept: a relationship
/// type with [`ImpactDirection::None`] contributes no arcs.
///
/// Two indexes are equal when they hold the same layout: built from the
/// same data in the same order, whether by [`GraphIndex::build`] or by
/// [`Cmdb::index`](crate::Cmdb::index).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GraphIndex {
    ids: Vec<CiId>,
    table: IdTable,
    type_names: Vec<String>,
    type_bits: u32,
    type_mask: u32,
    impact_offsets: Vec<u32>,
    impact_arcs: Vec<u32>,
    depend_offsets: Vec<u32>,
    depend_arcs: Vec<u32>,
    service_bits: Vec<u64>,
    redundant_bits: Vec<u64>,
    /// For each 64-node word of `redundant_bits`, how many redundant nodes
    /// come before it: with a popcount, a redundant node's rank.
    redundant_rank: Vec<u32>,
    /// For each redundant node by rank, where its entries start in
    /// `redundancy` (one more element at the end).
    redundancy_start: Vec<u32>,
    redundancy: Vec<RedundancyEntry>,
    relationships: u64,
}

/// FNV-1a: names are short keys from our own data, hashed millions of
/// times during a build; SipHash's flooding resistance is not needed here.
#[derive(Clone, Copy, Default)]
struct Fnv(u64);

impl std::hash::Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for &b in bytes {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

type NameMap<'a> = HashMap<&'a str, u32, std::hash::BuildHasherDefault<Fnv>>;

/// Finds a name's index, trying the previous hit first (data usually repeats it).
struct NameLookup<'a> {
    map: NameMap<'a>,
    last: Option<(&'a str, u32)>,
}

impl<'a> NameLookup<'a> {
    fn new(map: NameMap<'a>) -> Self {
        Self { map, last: None }
    }

    fn get(&mut self, name: &'a str) -> Option<u32> {
        if let Some((n, i)) = self.last
            && n == name
        {
            return Some(i);
        }
        let i = *self.map.get(name)?;
        self.last = Some((name, i));
        Some(i)
    }
}

/// How many relationships' slots are fetched ahead of their look-ups.
const TOUCH_AHEAD: usize = 32;

/// The id table used while building: the key sits beside the dense id, so a
/// look-up costs one cache miss instead of two.
struct BuildTable {
    /// (key's high half, key's low half, dense id): 24 bytes, 8-aligned.
    slots: Vec<(u64, u64, u32)>,
    mask: usize,
}

fn halves(id: &CiId) -> (u64, u64) {
    let v = id.as_u128();
    #[allow(clippy::cast_possible_truncation)] // the two halves on purpose
    let halves = ((v >> 64) as u64, v as u64);
    halves
}

impl BuildTable {
    /// The table, and the duplicates found as (position, first position).
    fn new(ids: &[CiId]) -> (Self, Vec<(usize, u32)>) {
        let size = IdTable::size_for(ids.len());
        let mut slots = vec![(0u64, 0u64, NONE); size];
        let mask = size - 1;
        let mut duplicates = Vec::new();
        for (dense, id) in ids.iter().enumerate() {
            let (hi, lo) = halves(id);
            let mut i = hash_id(id) & mask;
            loop {
                let (h, l, first) = slots[i];
                if first == NONE {
                    slots[i] = (hi, lo, dense as u32);
                    break;
                }
                if (h, l) == (hi, lo) {
                    duplicates.push((dense, first));
                    break;
                }
                i = (i + 1) & mask;
            }
        }
        (Self { slots, mask }, duplicates)
    }

    /// Loads the first slot of each id, all independent reads, so that the
    /// memory system fetches them in parallel before the look-ups (whose
    /// probe loops would otherwise wait for one miss at a time).
    fn touch<'a>(&self, ids: impl Iterator<Item = &'a CiId>) {
        let mut sum = 0u32;
        for id in ids {
            sum ^= self.slots[hash_id(id) & self.mask].2;
        }
        std::hint::black_box(sum);
    }

    #[inline]
    fn get(&self, id: &CiId) -> Option<u32> {
        let key = halves(id);
        let mut i = hash_id(id) & self.mask;
        loop {
            let (h, l, dense) = self.slots[i];
            if dense == NONE {
                return None;
            }
            if (h, l) == key {
                return Some(dense);
            }
            i = (i + 1) & self.mask;
        }
    }
}

fn bit(bits: &[u64], i: u32) -> bool {
    bits[(i >> 6) as usize] & (1u64 << (i & 63)) != 0
}

fn set_bit(bits: &mut [u64], i: u32) {
    bits[(i >> 6) as usize] |= 1u64 << (i & 63);
}

/// Nodes with more neighbours than this are numbered but not expanded when
/// ordering for locality: a DNS server used by half the estate would
/// otherwise decide the order of everything.
const HUB_DEGREE: usize = 1024;

/// How many queue entries ahead the breadth-first numbering fetches.
const FETCH_AHEAD: usize = 8;

fn to_u32(n: usize) -> Option<u32> {
    u32::try_from(n).ok()
}

/// One CSR adjacency: `arcs[offsets[v]..offsets[v + 1]]` are `v`'s arcs.
struct Csr {
    offsets: Vec<u32>,
    arcs: Vec<u32>,
}

impl Csr {
    #[inline]
    fn row(&self, v: u32) -> &[u32] {
        let v = v as usize;
        &self.arcs[self.offsets[v] as usize..self.offsets[v + 1] as usize]
    }

    /// Both directions of `(from, to << type_bits | type)` arcs in one
    /// adjacency: row `v` holds `v`'s impact arcs (other end and type,
    /// packed), then its dependency arcs, both in the order of `arcs`.
    /// Returns the adjacency and where each row's dependency arcs start.
    /// `2 * m` must fit in `u32` (checked by the caller).
    fn both_ways(
        n: usize,
        arcs: &[(u32, u32)],
        (type_bits, type_mask): (u32, u32),
    ) -> (Self, Vec<u32>) {
        let mut offsets = vec![0u32; n + 1];
        for &(from, packed) in arcs {
            offsets[from as usize + 1] += 1;
            offsets[(packed >> type_bits) as usize + 1] += 1;
        }
        for i in 0..n {
            offsets[i + 1] += offsets[i];
        }
        // `offsets[v]` serves as `v`'s write cursor, ending at the start of
        // row `v + 1`; one rotation then restores the starts.
        let mut out = vec![0u32; 2 * arcs.len()];
        for &(from, packed) in arcs {
            let c = &mut offsets[from as usize];
            out[*c as usize] = packed;
            *c += 1;
        }
        let split = offsets[..n].to_vec();
        for &(from, packed) in arcs {
            let c = &mut offsets[(packed >> type_bits) as usize];
            out[*c as usize] = (from << type_bits) | (packed & type_mask);
            *c += 1;
        }
        offsets.rotate_right(1);
        offsets[0] = 0;
        (Self { offsets, arcs: out }, split)
    }

    /// The impact adjacency in the new numbering, from the impact part of
    /// [`Csr::both_ways`]'s rows (`split` from there): row `new_of[v]`
    /// holds `v`'s impact arcs with their other end through `new_of`,
    /// sorted and without repeats. The old rows are read in order (only the
    /// look-ups of `new_of` and the writes jump), so the memory system
    /// overlaps the misses.
    fn impact(
        &self,
        split: &[u32],
        old_of: &[u32],
        new_of: &[u32],
        (type_bits, type_mask): (u32, u32),
    ) -> Self {
        let n = old_of.len();
        let mut offsets = vec![0u32; n + 1];
        for (new, &old) in old_of.iter().enumerate() {
            let old = old as usize;
            offsets[new + 1] = split[old] - self.offsets[old];
        }
        for i in 0..n {
            offsets[i + 1] += offsets[i];
        }
        let mut out = vec![0u32; offsets[n] as usize];
        for (old, &new) in new_of.iter().enumerate() {
            let start = offsets[new as usize] as usize;
            let row = &self.arcs[self.offsets[old] as usize..split[old] as usize];
            for (slot, &a) in out[start..start + row.len()].iter_mut().zip(row) {
                *slot = (new_of[(a >> type_bits) as usize] << type_bits) | (a & type_mask);
            }
        }
        // Sort and de-duplicate each row, compacting in place.
        let mut write = 0usize;
        let mut start = 0usize;
        for v in 0..n {
            let end = offsets[v + 1] as usize;
            let row = &mut out[start..end];
            if row.len() > 1 {
                row.sort_unstable();
            }
            for r in start..end {
                let a = out[r];
                if r == start || a != out[r - 1] {
                    out[write] = a;
                    write += 1;
                }
            }
            start = end;
            // At most the input's arc count, which is below `NONE`.
            offsets[v + 1] = to_u32(write).unwrap_or(NONE);
        }
        out.truncate(write);
        out.shrink_to_fit();
        Self { offsets, arcs: out }
    }

    /// The reverse adjacency: `u`'s arc to `v` becomes `v`'s arc to `u`,
    /// with the same type. Rows come out sorted when `self`'s are (sources
    /// are read in increasing order), and without repeats when `self`'s are.
    /// `into`'s buffers are reused (their contents are overwritten, the
    /// spare room given back), so that fewer fresh pages are touched.
    fn transpose(&self, into: Self, type_bits: u32, type_mask: u32) -> Self {
        let n = self.offsets.len() - 1;
        let Self {
            mut offsets,
            mut arcs,
        } = into;
        offsets.clear();
        offsets.resize(n + 1, 0);
        for &a in &self.arcs {
            offsets[(a >> type_bits) as usize + 1] += 1;
        }
        for i in 0..n {
            offsets[i + 1] += offsets[i];
        }
        // Every slot is written below: no need to clear the old contents.
        arcs.resize(self.arcs.len(), 0);
        for u in 0..n {
            let u32_ = u as u32; // n fits in u32 (checked by the caller)
            for &a in self.row(u32_) {
                let c = &mut offsets[(a >> type_bits) as usize];
                arcs[*c as usize] = (u32_ << type_bits) | (a & type_mask);
                *c += 1;
            }
        }
        offsets.rotate_right(1);
        offsets[0] = 0;
        arcs.shrink_to_fit();
        Self { offsets, arcs }
    }
}

/// A breadth-first numbering over arcs taken both ways (in the spirit of
/// Cuthill–McKee), on the adjacency from [`Csr::both_ways`]:
/// returns `(new_of, old_of)`, the new dense id of each old one and the old
/// id of each new one.
fn locality_order(around: &Csr, type_bits: u32) -> (Vec<u32>, Vec<u32>) {
    let n = around.offsets.len() - 1;
    let mut new_of = vec![NONE; n];
    // The breadth-first queue of every root in turn is the numbering itself.
    let mut old_of: Vec<u32> = Vec::with_capacity(n);
    let mut head = 0;
    for root in 0..n {
        if new_of[root] != NONE {
            continue;
        }
        new_of[root] = old_of.len() as u32; // n fits in u32 (checked by the caller)
        old_of.push(root as u32);
        while let Some(&u) = old_of.get(head) {
            // Fetch ahead: the offsets of a node further down the queue, and
            // the row of a nearer one (whose offsets came in earlier), so
            // that their misses overlap instead of following one another.
            if let Some(&far) = old_of.get(head + 2 * FETCH_AHEAD) {
                std::hint::black_box(around.offsets[far as usize]);
            }
            if let Some(&near) = old_of.get(head + FETCH_AHEAD) {
                std::hint::black_box(around.row(near).first().copied().unwrap_or(0));
            }
            head += 1;
            let row = around.row(u);
            if row.len() > HUB_DEGREE {
                continue;
            }
            for &arc in row {
                let w = (arc >> type_bits) as usize;
                if new_of[w] == NONE {
                    new_of[w] = old_of.len() as u32;
                    old_of.push(w as u32);
                }
            }
        }
    }
    (new_of, old_of)
}

/// How many bits of a packed arc hold the relationship type, and the mask
/// of those bits.
fn type_layout(type_count: usize, n: usize) -> Result<(u32, u32), CmdbError> {
    let type_bits = if type_count <= 1 {
        0
    } else {
        usize::BITS - (type_count - 1).leading_zeros()
    };
    // Packed arcs hold a node id in the upper `32 - type_bits` bits; the
    // largest packed value must stay below `NONE`.
    let node_limit = if type_bits >= 32 {
        0
    } else {
        (1u64 << (32 - type_bits)) - 1
    };
    if n as u64 > node_limit {
        return Err(CmdbError::IndexCapacity {
            message: format!(
                "{n} configuration items with {type_count} relationship types exceed the index's limit of {node_limit}"
            ),
        });
    }
    let type_mask = if type_bits == 0 {
        0
    } else {
        (1u32 << type_bits) - 1
    };
    Ok((type_bits, type_mask))
}

/// Appends the impact arcs `(from, to << type_bits | type)` of one
/// relationship `source -type-> target`: a failure of `from` impacts `to`.
#[inline]
fn push_arcs(
    arcs: &mut Vec<(u32, u32)>,
    impact: ImpactDirection,
    (s, k, t): (u32, u32, u32),
    type_bits: u32,
) {
    match impact {
        ImpactDirection::ToSource => arcs.push((t, (s << type_bits) | k)),
        ImpactDirection::ToTarget => arcs.push((s, (t << type_bits) | k)),
        ImpactDirection::Both => {
            arcs.push((t, (s << type_bits) | k));
            arcs.push((s, (t << type_bits) | k));
        }
        _ => {}
    }
}

/// The redundancy declarations `(position, type, requirement)` of the CIs,
/// with a problem for each one over an unknown type, of more than 100 % or
/// declared twice for one type.
fn declarations<'a>(
    cis: &'a [ConfigurationItem],
    types: &mut NameLookup<'a>,
    problems: &mut Vec<Violation>,
) -> Vec<(u32, u32, RedundancyRequirement)> {
    let mut declared: Vec<(u32, u32, RedundancyRequirement)> = Vec::new();
    for (i, ci) in cis.iter().enumerate() {
        let start = declared.len();
        for (r, red) in ci.redundancy.iter().enumerate() {
            let path = || format!("cis[{i}].redundancy[{r}]");
            let Some(k) = types.get(&red.relationship_type) else {
                problems.push(Violation::new(
                    format!("{}.relationship_type", path()),
                    "unknown_relationship_type",
                    format!("unknown relationship type \"{}\"", red.relationship_type),
                ));
                continue;
            };
            if let RedundancyRequirement::Percent(p) = red.required
                && p > 100
            {
                problems.push(Violation::new(
                    format!("{}.required.percent", path()),
                    "percent_over_100",
                    format!(
                        "redundancy of configuration item {} requires {p} %, more than 100",
                        ci.id
                    ),
                ));
                continue;
            }
            if declared[start..].iter().any(|&(_, t, _)| t == k) {
                problems.push(Violation::new(
                    format!("{}.relationship_type", path()),
                    "duplicate_redundancy",
                    format!(
                        "configuration item {} declares redundancy over \"{}\" twice",
                        ci.id, red.relationship_type
                    ),
                ));
                continue;
            }
            declared.push((i as u32, k, red.required)); // i fits in u32 (checked by the caller)
        }
    }
    declared
}

/// What both constructors resolve before freezing: the CIs and their
/// impact arcs, numbered by position in the data.
struct Resolved {
    ids: Vec<CiId>,
    service_bits: Vec<u64>,
    arcs: Vec<(u32, u32)>,
    declared: Vec<(u32, u32, RedundancyRequirement)>,
    type_names: Vec<String>,
    type_bits: u32,
    type_mask: u32,
    relationships: u64,
}

impl GraphIndex {
    /// Builds the index from a whole CMDB's data.
    ///
    /// Relationships are resolved into impact arcs by their type's
    /// [`ImpactDirection`]; a relationship repeated in the data yields one
    /// arc. CIs are numbered breadth-first over the relationships, so that
    /// related CIs sit close together in memory.
    ///
    /// [`Cmdb::index`](crate::Cmdb::index) gives the same index for the
    /// store's data without looking any id up.
    ///
    /// # Errors
    /// [`CmdbError::Invalid`] listing every problem at once (a duplicate CI
    /// id, a CI of an unknown class, a relationship naming an unknown CI or
    /// type, a redundancy over an unknown type, declared twice for one type, or
    /// of more than 100 %); [`CmdbError::IndexCapacity`] when there are more
    /// CIs or arcs than the packed 32-bit layout can address.
    pub fn build(data: &CmdbData) -> Result<Self, CmdbError> {
        let mut problems: Vec<Violation> = Vec::new();
        let n = data.cis.len();

        // Relationship types.
        let mut type_map = NameMap::default();
        for (i, t) in data.relationship_types.iter().enumerate() {
            let Some(i32) = to_u32(i) else { break };
            if type_map.insert(t.name.as_str(), i32).is_some() {
                problems.push(Violation::new(
                    format!("relationship_types[{i}].name"),
                    "duplicate_relationship_type",
                    format!("relationship type \"{}\" is defined twice", t.name),
                ));
            }
        }
        let (type_bits, type_mask) = type_layout(data.relationship_types.len(), n)?;
        let mut types = NameLookup::new(type_map);

        // Classes: which are business services (inherited down the hierarchy).
        let class_map: NameMap = data
            .classes
            .iter()
            .enumerate()
            .filter_map(|(i, c)| Some((c.name.as_str(), to_u32(i)?)))
            .collect();
        let class_service: Vec<bool> = data
            .classes
            .iter()
            .map(|c| {
                let mut current = Some(c);
                // Bounded walk: a cycle in the hierarchy cannot loop forever.
                for _ in 0..=data.classes.len() {
                    let Some(class) = current else { break };
                    if class.service {
                        return true;
                    }
                    current = class
                        .parent
                        .as_deref()
                        .and_then(|p| class_map.get(p))
                        .map(|&i| &data.classes[i as usize]);
                }
                false
            })
            .collect();
        let mut classes = NameLookup::new(class_map);

        // Nodes.
        let ids: Vec<CiId> = data.cis.iter().map(|c| c.id).collect();
        let (fast, duplicates) = BuildTable::new(&ids);
        let mut duplicates = duplicates.into_iter().peekable();
        let mut service_bits = vec![0u64; n.div_ceil(64)];
        for (i, ci) in data.cis.iter().enumerate() {
            let dense = i as u32; // n fits in u32 (checked above)
            if let Some((_, first)) = duplicates.next_if(|&(d, _)| d == i) {
                problems.push(Violation::new(
                    format!("cis[{i}].id"),
                    "duplicate_ci",
                    format!("configuration item {} is also cis[{first}]", ci.id),
                ));
            }
            match classes.get(&ci.class) {
                Some(c) => {
                    if class_service[c as usize] {
                        set_bit(&mut service_bits, dense);
                    }
                }
                None => problems.push(Violation::new(
                    format!("cis[{i}].class"),
                    "unknown_class",
                    format!(
                        "configuration item {} has unknown class \"{}\"",
                        ci.id, ci.class
                    ),
                )),
            }
        }

        // Relationships into impact arcs.
        let mut arcs: Vec<(u32, u32)> = Vec::with_capacity(data.relationships.len());
        for (j, r) in data.relationships.iter().enumerate() {
            if j % TOUCH_AHEAD == 0 {
                let ahead = data.relationships[j..].iter().take(TOUCH_AHEAD);
                fast.touch(ahead.flat_map(|r| [&r.source, &r.target]));
            }
            let s = fast.get(&r.source);
            let t = fast.get(&r.target);
            let k = types.get(&r.relationship_type);
            if s.is_none() {
                problems.push(Violation::new(
                    format!("relationships[{j}].source"),
                    "unknown_ci",
                    format!("unknown configuration item {}", r.source),
                ));
            }
            if t.is_none() {
                problems.push(Violation::new(
                    format!("relationships[{j}].target"),
                    "unknown_ci",
                    format!("unknown configuration item {}", r.target),
                ));
            }
            if k.is_none() {
                problems.push(Violation::new(
                    format!("relationships[{j}].type"),
                    "unknown_relationship_type",
                    format!("unknown relationship type \"{}\"", r.relationship_type),
                ));
            }
            let (Some(s), Some(t), Some(k)) = (s, t, k) else {
                continue;
            };
            let impact = data.relationship_types[k as usize].impact;
            push_arcs(&mut arcs, impact, (s, k, t), type_bits);
        }
        drop(fast);

        // Redundancy declarations (before failing, so that every problem is reported).
        let declared = declarations(&data.cis, &mut types, &mut problems);
        if !problems.is_empty() {
            return Err(CmdbError::Invalid { problems });
        }
        Self::freeze(Resolved {
            ids,
            service_bits,
            arcs,
            declared,
            type_names: type_names(data),
            type_bits,
            type_mask,
            relationships: data.relationships.len() as u64,
        })
    }

    /// The index of a store's data from the store's dense positions: the
    /// class of each CI (by position in `data.cis`; `class_service` says
    /// which classes are business services) and the `[source, type,
    /// target]` positions of each relationship (parallel to
    /// `data.relationships`, types by position in
    /// `data.relationship_types`). No relationship end is looked up by id,
    /// and the result is the index [`GraphIndex::build`] gives for `data`.
    ///
    /// # Errors
    /// [`CmdbError::IndexCapacity`] as [`GraphIndex::build`];
    /// [`CmdbError::Invalid`] for a position out of range or a redundancy
    /// [`GraphIndex::build`] would refuse (a store never hands in either).
    pub(crate) fn from_dense(
        data: &CmdbData,
        class_of: &[u32],
        class_service: &[bool],
        ends: &[[u32; 3]],
    ) -> Result<Self, CmdbError> {
        let mut problems: Vec<Violation> = Vec::new();
        let n = data.cis.len();
        let type_count = data.relationship_types.len();
        let (type_bits, type_mask) = type_layout(type_count, n)?;
        let ids: Vec<CiId> = data.cis.iter().map(|c| c.id).collect();
        let mut service_bits = vec![0u64; n.div_ceil(64)];
        for (i, &c) in class_of.iter().enumerate().take(n) {
            if class_service.get(c as usize).copied().unwrap_or(false) {
                set_bit(&mut service_bits, i as u32); // n fits in u32 (checked above)
            }
        }
        let impacts: Vec<ImpactDirection> =
            data.relationship_types.iter().map(|t| t.impact).collect();
        let mut arcs: Vec<(u32, u32)> = Vec::with_capacity(ends.len());
        for (j, &[s, k, t]) in ends.iter().enumerate() {
            match impacts.get(k as usize) {
                Some(&impact) if (s as usize) < n && (t as usize) < n => {
                    push_arcs(&mut arcs, impact, (s, k, t), type_bits);
                }
                _ => problems.push(Violation::new(
                    format!("relationships[{j}]"),
                    "out_of_range",
                    format!("relationship positions [{s}, {k}, {t}] are out of range"),
                )),
            }
        }
        let type_map: NameMap = data
            .relationship_types
            .iter()
            .enumerate()
            .filter_map(|(i, t)| Some((t.name.as_str(), to_u32(i)?)))
            .collect();
        let declared = declarations(&data.cis, &mut NameLookup::new(type_map), &mut problems);
        if !problems.is_empty() {
            return Err(CmdbError::Invalid { problems });
        }
        Self::freeze(Resolved {
            ids,
            service_bits,
            arcs,
            declared,
            type_names: type_names(data),
            type_bits,
            type_mask,
            relationships: ends.len() as u64,
        })
    }

    /// Renumbers the CIs for locality and lays the arcs out in both directions.
    fn freeze(resolved: Resolved) -> Result<Self, CmdbError> {
        let Resolved {
            ids,
            service_bits,
            arcs,
            mut declared,
            type_names,
            type_bits,
            type_mask,
            relationships,
        } = resolved;
        let n = ids.len();
        let m = arcs.len();
        // Both directions of every arc sit in one `u32`-offset adjacency
        // while numbering.
        let limit = NONE / 2;
        if m > limit as usize {
            return Err(CmdbError::IndexCapacity {
                message: format!("{m} impact arcs exceed the index's limit of {limit}"),
            });
        }

        // Renumber the CIs so that related CIs get nearby dense ids: a query
        // then reads neighbouring arcs, bits and ids instead of jumping
        // across the whole index (the data's order is often random). The
        // numbering walks both directions at once, so it runs on one
        // adjacency holding both (one row per CI).
        let layout = (type_bits, type_mask);
        let (around, split) = Csr::both_ways(n, &arcs, layout);
        drop(arcs);
        let (new_of, old_of) = locality_order(&around, type_bits);
        // The impact rows moved to the new numbering; the reverse direction
        // by transposing, into the first adjacency's buffers (pages already
        // mapped).
        let impact = around.impact(&split, &old_of, &new_of, layout);
        drop(split);
        let depend = impact.transpose(around, type_bits, type_mask);
        let words = n.div_ceil(64);
        let mut renumbered_services = vec![0u64; words];
        let renumbered: Vec<CiId> = old_of
            .iter()
            .enumerate()
            .map(|(new, &old)| {
                if bit(&service_bits, old) {
                    set_bit(&mut renumbered_services, new as u32);
                }
                ids[old as usize]
            })
            .collect();
        drop(ids);
        let ids = renumbered;
        let service_bits = renumbered_services;
        // Built in the final numbering (the ids are distinct here), rather
        // than built in the data's numbering and then renumbered.
        let table = IdTable::positions(&ids);
        for d in &mut declared {
            d.0 = new_of[d.0 as usize];
        }
        drop(new_of);
        drop(old_of);
        let Csr {
            offsets: impact_offsets,
            arcs: impact_arcs,
        } = impact;
        let Csr {
            offsets: depend_offsets,
            arcs: depend_arcs,
        } = depend;

        let mut redundant_bits = vec![0u64; words];
        let mut redundancy = Vec::with_capacity(declared.len());
        for (node, ty, required) in declared {
            let (a, b) = (
                depend_offsets[node as usize] as usize,
                depend_offsets[node as usize + 1] as usize,
            );
            let total = to_u32(
                depend_arcs[a..b]
                    .iter()
                    .filter(|&&arc| arc & type_mask == ty)
                    .count(),
            )
            .unwrap_or(u32::MAX);
            let required = match required {
                RedundancyRequirement::AtLeast(k) => k,
                // ceil(p% of total), in integers.
                RedundancyRequirement::Percent(p) => {
                    u32::try_from((u64::from(total) * u64::from(p)).div_ceil(100))
                        .unwrap_or(u32::MAX)
                }
            };
            set_bit(&mut redundant_bits, node);
            redundancy.push(RedundancyEntry {
                node,
                ty,
                total,
                required,
                tolerance: total.saturating_sub(required),
            });
        }
        redundancy.sort_unstable_by_key(|e| (e.node, e.ty));
        let mut redundant_rank = Vec::with_capacity(words);
        let mut before = 0u32;
        for w in &redundant_bits {
            redundant_rank.push(before);
            before += w.count_ones();
        }
        let mut redundancy_start = Vec::with_capacity(before as usize + 1);
        for (i, e) in redundancy.iter().enumerate() {
            if i == 0 || redundancy[i - 1].node != e.node {
                redundancy_start.push(i as u32);
            }
        }
        redundancy_start.push(redundancy.len() as u32);

        Ok(Self {
            ids,
            table,
            type_names,
            type_bits,
            type_mask,
            impact_offsets,
            impact_arcs,
            depend_offsets,
            depend_arcs,
            service_bits,
            redundant_bits,
            redundant_rank,
            redundancy_start,
            redundancy,
            relationships,
        })
    }

    /// The number of CIs.
    #[must_use]
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether the index holds no CI.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Whether the index holds this CI.
    #[must_use]
    pub fn contains(&self, ci: &CiId) -> bool {
        self.dense(ci).is_some()
    }

    /// The CI ids, in index order (related CIs are numbered close together,
    /// so this is not the order of the data).
    #[must_use]
    pub fn ci_ids(&self) -> &[CiId] {
        &self.ids
    }

    /// The number of impact arcs (a relationship whose impact travels both
    /// ways counts twice, one with [`ImpactDirection::None`] not at all).
    #[must_use]
    pub fn impact_arc_count(&self) -> usize {
        self.impact_arcs.len()
    }

    /// The relationship type names, in the order of the data.
    #[must_use]
    pub fn relationship_types(&self) -> &[String] {
        &self.type_names
    }

    /// Whether a CI is a business service (its class or an ancestor is
    /// flagged `service`); `false` for an unknown CI.
    #[must_use]
    pub fn is_service(&self, ci: &CiId) -> bool {
        self.dense(ci).is_some_and(|d| self.is_service_dense(d))
    }

    /// The memory held, by part.
    #[must_use]
    pub fn memory(&self) -> IndexMemory {
        fn bytes<T>(v: &[T]) -> u64 {
            std::mem::size_of_val(v) as u64
        }
        IndexMemory {
            relationships: self.relationships,
            adjacency_bytes: bytes(&self.impact_offsets)
                + bytes(&self.impact_arcs)
                + bytes(&self.depend_offsets)
                + bytes(&self.depend_arcs),
            id_map_bytes: bytes(&self.ids) + bytes(&self.table.slots),
            other_bytes: bytes(&self.service_bits)
                + bytes(&self.redundant_bits)
                + bytes(&self.redundant_rank)
                + bytes(&self.redundancy_start)
                + bytes(&self.redundancy)
                + self.type_names.iter().map(|t| t.len() as u64).sum::<u64>(),
        }
    }

    // ---- crate-internal access for the queries ----

    pub(crate) fn dense(&self, ci: &CiId) -> Option<u32> {
        self.table.get(ci, &self.ids)
    }

    pub(crate) fn dense_or_err(&self, ci: &CiId) -> Result<u32, CmdbError> {
        self.dense(ci)
            .ok_or_else(|| CmdbError::UnknownCi { id: ci.to_string() })
    }

    pub(crate) fn id(&self, dense: u32) -> CiId {
        self.ids[dense as usize]
    }

    pub(crate) fn type_name(&self, ty: u32) -> &str {
        &self.type_names[ty as usize]
    }

    pub(crate) fn type_id(&self, name: &str) -> Option<u32> {
        self.type_names
            .iter()
            .position(|t| t == name)
            .and_then(to_u32)
    }

    pub(crate) fn type_count(&self) -> usize {
        self.type_names.len()
    }

    /// Splits a packed arc into (other end, relationship type).
    #[inline]
    pub(crate) fn unpack(&self, arc: u32) -> (u32, u32) {
        (arc >> self.type_bits, arc & self.type_mask)
    }

    /// Arcs to the CIs that a failure of `v` impacts.
    #[inline]
    pub(crate) fn impact_arcs(&self, v: u32) -> &[u32] {
        let v = v as usize;
        &self.impact_arcs[self.impact_offsets[v] as usize..self.impact_offsets[v + 1] as usize]
    }

    /// The impact adjacency whole: offsets and arcs.
    #[inline]
    pub(crate) fn impact_csr(&self) -> (&[u32], &[u32]) {
        (&self.impact_offsets, &self.impact_arcs)
    }

    /// Arcs to the CIs whose failure impacts `v`.
    #[inline]
    pub(crate) fn depend_arcs(&self, v: u32) -> &[u32] {
        let v = v as usize;
        &self.depend_arcs[self.depend_offsets[v] as usize..self.depend_offsets[v + 1] as usize]
    }

    #[inline]
    pub(crate) fn is_service_dense(&self, v: u32) -> bool {
        bit(&self.service_bits, v)
    }

    #[inline]
    pub(crate) fn has_redundancy(&self, v: u32) -> bool {
        bit(&self.redundant_bits, v)
    }

    /// The index of `v`'s redundancy entry over type `ty`, if it declares
    /// one: a rank in the bit set, then a scan of its (few) entries.
    #[inline]
    pub(crate) fn redundancy_entry(&self, v: u32, ty: u32) -> Option<usize> {
        let word = (v >> 6) as usize;
        let bits = self.redundant_bits[word];
        if bits & (1u64 << (v & 63)) == 0 {
            return None;
        }
        let rank = self.redundant_rank[word] + (bits & ((1u64 << (v & 63)) - 1)).count_ones();
        let start = self.redundancy_start[rank as usize] as usize;
        let end = self.redundancy_start[rank as usize + 1] as usize;
        (start..end).find(|&i| self.redundancy[i].ty == ty)
    }

    pub(crate) fn redundancy(&self) -> &[RedundancyEntry] {
        &self.redundancy
    }
}
