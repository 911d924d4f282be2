//! [`GraphIndex`]: the frozen, compact, read-only graph that every query runs on.
//!
//! Layout (all arrays, no pointers):
//! - dense `u32` node ids, numbered breadth-first over the relationships so
//!   that related CIs are close (locality for queries), with `ids[dense]`
//!   giving the [`CiId`] back and an open-addressing table of (UUID, dense
//!   id) pairs giving the way in (one cache miss per look-up);
//! - two CSR adjacencies of *impact arcs*, resolved at build time from each
//!   relationship type's [`ImpactDirection`]: `impact` (from a CI to the CIs
//!   its failure impacts) and `depend` (from a CI to the CIs whose failure
//!   impacts it). Each arc is one `u32`: the other end shifted left by
//!   `type_bits`, the relationship type in the low bits, so a query filters
//!   by type without a second array;
//! - one bit per node for "is a business service" and one for "declares
//!   redundancy", and a small sorted table of the redundancy declarations.

use std::collections::HashMap;
use std::sync::Arc;

use itsm_core::{CiId, Violation};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::store::{DEPENDS, IMPACTS, Placed, Touch};
use crate::{CmdbData, CmdbError, ConfigurationItem, ImpactDirection, RedundancyRequirement};

/// Relationship types below this one are found in a redundant node's row
/// by a bit of its type mask (see `GraphIndex::redundancy_rows`).
const MASKED_TYPES: u32 = 31;

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

/// Open addressing, linear probing: each slot holds a CI id's key (its
/// two halves) beside its dense id, so that a look-up reads one place
/// (one cache miss, where a table of dense ids compared through `ids`
/// took two). About 1.25 slots per id, mapped from the hash by a
/// multiply-shift rather than a mask, so the size need not be a power of two.
#[derive(Clone, Debug, Default)]
struct IdTable {
    slots: Vec<Slot>,
}

/// Two tables are equal when they hold the same ids with the same dense
/// ids and row starts in as many slots. Ids that share a home slot may sit
/// in another order: that order follows the order the ids were numbered
/// in, which says nothing about the index.
impl PartialEq for IdTable {
    fn eq(&self, other: &Self) -> bool {
        self.slots.len() == other.slots.len()
            && self.slots.iter().all(|slot| {
                slot.dense == NONE || {
                    let id = CiId::from_u128(u128::from(slot.hi) << 64 | u128::from(slot.lo));
                    // Both tables have as many slots, so `other` has some.
                    other
                        .slot_at(other.home_of(&id), &id)
                        .is_some_and(|s| (s.dense, s.row) == (slot.dense, slot.row))
                }
            })
    }
}

impl Eq for IdTable {}

/// One slot of an [`IdTable`]: 24 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Slot {
    hi: u64,
    lo: u64,
    /// `NONE` for a free slot.
    dense: u32,
    /// Where the id's impact row starts in the index's arcs (in what would
    /// otherwise be the slot's padding), so that a query can fetch the
    /// row together with its end instead of after it; 0 in a table that
    /// serves only the build.
    row: u32,
}

const FREE: Slot = Slot {
    hi: 0,
    lo: 0,
    dense: NONE,
    row: 0,
};

/// Sorts `keys` by their upper 32 bits, of which only the low `bits` are
/// set, keeping the order of equal ones: a least-significant-digit radix
/// sort, 11 bits a pass, each pass reading and writing in order.
fn radix_sort_high(keys: &mut Vec<u64>, bits: u32) {
    const DIGIT: u32 = 11;
    let mut scratch = vec![0u64; keys.len()];
    let mut shift = 32;
    while shift < 32 + bits {
        let mut count = vec![0usize; 1 << DIGIT];
        let digit = |k: u64| ((k >> shift) & ((1 << DIGIT) - 1)) as usize;
        for &k in keys.iter() {
            count[digit(k)] += 1;
        }
        let mut start = 0;
        for c in &mut count {
            let n = *c;
            *c = start;
            start += n;
        }
        for &k in keys.iter() {
            let d = digit(k);
            scratch[count[d]] = k;
            count[d] += 1;
        }
        std::mem::swap(keys, &mut scratch);
        shift += DIGIT;
    }
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
    /// The same names, shared by the reports that name them.
    shared_names: Vec<Arc<str>>,
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
    /// For each redundant node by rank: where its entries start in
    /// `redundancy` (low half), and which types it declares redundancy over
    /// (high half: bit `t` for type `t` below [`MASKED_TYPES`], the top
    /// bit for any type from it on). Its entry over a type below
    /// `MASKED_TYPES` is found by a popcount, without reading the entries.
    redundancy_rows: Vec<u64>,
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

/// Finds a name's index, trying the previous hit first (data usually
/// repeats it), then, among a few names, each in turn. Names are compared
/// by [`fingerprint`] first, which for a name of up to 16 bytes is the
/// whole name: a few integer comparisons instead of hashing the name or
/// comparing bytes.
struct NameLookup<'a> {
    map: NameMap<'a>,
    /// The map's entries when there are at most [`FEW_NAMES`].
    few: Vec<(Fingerprint, &'a str, u32)>,
    last: Option<(Fingerprint, &'a str, u32)>,
}

/// Up to this many names are searched in turn rather than hashed.
const FEW_NAMES: usize = 16;

/// A name's length and its first and last 8 bytes (fewer for a shorter
/// name, the rest zero): the whole name when it has at most 16 bytes.
type Fingerprint = (usize, u64, u64);

fn fingerprint(name: &str) -> Fingerprint {
    let b = name.as_bytes();
    let n = b.len();
    let word = |bytes: &[u8]| {
        let mut w = 0u64;
        for (i, &x) in bytes.iter().enumerate().take(8) {
            w |= u64::from(x) << (8 * i);
        }
        w
    };
    let word8 = |bytes: &[u8]| u64::from_le_bytes(bytes.try_into().unwrap_or([0; 8]));
    if n >= 8 {
        (n, word8(&b[..8]), word8(&b[n - 8..]))
    } else {
        (n, word(b), 0)
    }
}

/// Whether `name`, of fingerprint `fp`, is `other`, of fingerprint `of`.
#[inline]
fn same_name(fp: Fingerprint, name: &str, of: Fingerprint, other: &str) -> bool {
    fp == of && (fp.0 <= 16 || name == other)
}

impl<'a> NameLookup<'a> {
    fn new(map: NameMap<'a>) -> Self {
        let few = if map.len() <= FEW_NAMES {
            map.iter().map(|(&n, &i)| (fingerprint(n), n, i)).collect()
        } else {
            Vec::new()
        };
        Self {
            map,
            few,
            last: None,
        }
    }

    fn get(&mut self, name: &'a str) -> Option<u32> {
        let fp = fingerprint(name);
        if let Some((of, n, i)) = self.last
            && same_name(fp, name, of, n)
        {
            return Some(i);
        }
        let i = if self.few.is_empty() {
            *self.map.get(name)?
        } else {
            self.few
                .iter()
                .find(|&&(of, n, _)| same_name(fp, name, of, n))?
                .2
        };
        self.last = Some((fp, name, i));
        Some(i)
    }
}

/// How many relationships' slots are fetched ahead of their look-ups.
const TOUCH_AHEAD: usize = 32;

fn halves(id: &CiId) -> (u64, u64) {
    let v = id.as_u128();
    #[allow(clippy::cast_possible_truncation)] // the two halves on purpose
    let halves = ((v >> 64) as u64, v as u64);
    halves
}

impl IdTable {
    /// Slots for `n` ids: a quarter more, at least one free.
    fn size_for(n: usize) -> usize {
        (n + n / 4 + 1).max(4)
    }

    /// The home slot of `id` in a table of `size` slots: the hash scaled
    /// to the size (its high bits decide), so homes follow the hash's order.
    #[inline]
    fn home(id: &CiId, size: usize) -> usize {
        #[allow(clippy::cast_possible_truncation)] // below `size`
        let home = ((hash_id(id) as u128 * size as u128) >> 64) as usize;
        home
    }

    /// The table of `ids` by position, and the duplicates found as
    /// (position, first position), by position.
    ///
    /// The ids go in in the order of their home slots (a radix sort), so
    /// the table is written from start to end instead of at random (where
    /// each insertion would wait for a cache miss): each id lands on its
    /// home slot or just after the id before it, and the few whose run
    /// passes the end wrap around to the first free slots. The table
    /// answers as one filled in any order does: every slot from an id's
    /// home to its own is taken. An id equal to an earlier one has the
    /// same home slot, so it comes right after it in that order and meets
    /// it in its home's run of slots. The layout depends only on the ids
    /// and their order.
    fn new(ids: &[CiId]) -> (Self, Vec<(usize, u32)>) {
        let size = Self::size_for(ids.len());
        // (home slot << 32 | position), in the order of the ids.
        let mut keyed: Vec<u64> = ids
            .iter()
            .enumerate()
            .map(|(dense, id)| (Self::home(id, size) as u64) << 32 | dense as u64)
            .collect();
        radix_sort_high(&mut keyed, usize::BITS - (size - 1).leading_zeros());
        let mut slots = vec![FREE; size];
        let mut duplicates = Vec::new();
        let mut wrapped = Vec::new();
        let mut next = 0usize;
        // The home slot of the current run, and where the run starts.
        let (mut run_home, mut run_start) = (usize::MAX, 0usize);
        'ids: for &key in &keyed {
            let home = (key >> 32) as usize;
            #[allow(clippy::cast_possible_truncation)] // the low half is the position
            let dense = key as u32;
            let at = home.max(next);
            if home != run_home {
                (run_home, run_start) = (home, at);
            }
            if at >= size {
                wrapped.push(dense);
                continue;
            }
            let (hi, lo) = halves(&ids[dense as usize]);
            for slot in &slots[run_start..at] {
                if (slot.hi, slot.lo) == (hi, lo) {
                    duplicates.push((dense as usize, slot.dense));
                    continue 'ids;
                }
            }
            slots[at] = Slot {
                hi,
                lo,
                dense,
                row: 0,
            };
            next = at + 1;
        }
        // Ids whose run passed the end continue at the start, probing as
        // a look-up does (and meeting any equal id on the way).
        for dense in wrapped {
            let id = &ids[dense as usize];
            let (hi, lo) = halves(id);
            let mut i = Self::home(id, size);
            loop {
                let slot = slots[i];
                if slot.dense == NONE {
                    slots[i] = Slot {
                        hi,
                        lo,
                        dense,
                        row: 0,
                    };
                    break;
                }
                if (slot.hi, slot.lo) == (hi, lo) {
                    duplicates.push((dense as usize, slot.dense));
                    break;
                }
                i = if i + 1 == size { 0 } else { i + 1 };
            }
        }
        duplicates.sort_unstable();
        (Self { slots }, duplicates)
    }

    /// The home slot of `id` in this table.
    #[inline]
    fn home_of(&self, id: &CiId) -> usize {
        Self::home(id, self.slots.len())
    }

    /// Loads the slot at `home` (the whole slot: it may straddle two cache
    /// lines), for the memory system to fetch it ahead of its look-up.
    #[inline]
    fn touch_at(&self, home: usize) -> u64 {
        let slot = self.slots[home];
        slot.hi ^ slot.lo ^ u64::from(slot.dense)
    }

    /// The dense id of `id`.
    #[inline]
    fn get(&self, id: &CiId) -> Option<u32> {
        if self.slots.is_empty() {
            return None;
        }
        self.get_at(self.home_of(id), id)
    }

    /// The dense id of `id`, whose home slot is `home`.
    #[inline]
    fn get_at(&self, home: usize, id: &CiId) -> Option<u32> {
        self.slot_at(home, id).map(|slot| slot.dense)
    }

    /// The slot of `id`, whose home slot is `home`.
    #[inline]
    fn slot_at(&self, home: usize, id: &CiId) -> Option<Slot> {
        let size = self.slots.len();
        let key = halves(id);
        let mut i = home;
        loop {
            let slot = self.slots[i];
            if slot.dense == NONE {
                return None;
            }
            if (slot.hi, slot.lo) == key {
                return Some(slot);
            }
            i = if i + 1 == size { 0 } else { i + 1 };
        }
    }

    /// Gives each id the dense id `new_of[old]` in place of `old`.
    fn renumber(&mut self, new_of: &[u32]) {
        for slot in &mut self.slots {
            if slot.dense != NONE {
                slot.dense = new_of[slot.dense as usize];
            }
        }
    }

    /// Records in each slot where its id's impact row starts.
    fn set_rows(&mut self, offsets: &[u32]) {
        for slot in &mut self.slots {
            if slot.dense != NONE {
                slot.row = offsets[slot.dense as usize];
            }
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

/// Impact arcs `(from, to << type_bits | type)` in the data's numbering (a
/// failure of `from` impacts `to`), which the locality numbering reads
/// twice instead of keeping them in an array of their own.
trait Arcs {
    /// Calls `f` on every arc, always in the same order.
    fn each(&self, f: impl FnMut(u32, u32));
}

impl Arcs for [(u32, u32)] {
    #[inline]
    fn each(&self, mut f: impl FnMut(u32, u32)) {
        for &(from, packed) in self {
            f(from, packed);
        }
    }
}

/// The impact arcs of a store's relationships, from their `[source, type,
/// target]` positions, in the order [`GraphIndex::build`] derives them from
/// the same relationships. Ends out of range are skipped.
struct DenseArcs<'a> {
    ends: &'a [[u32; 3]],
    impacts: &'a [ImpactDirection],
    n: usize,
    type_bits: u32,
}

impl Arcs for DenseArcs<'_> {
    #[inline]
    fn each(&self, mut f: impl FnMut(u32, u32)) {
        let tb = self.type_bits;
        for &[s, k, t] in self.ends {
            let Some(&impact) = self.impacts.get(k as usize) else {
                continue;
            };
            if s as usize >= self.n || t as usize >= self.n {
                continue;
            }
            match impact {
                ImpactDirection::ToSource => f(t, (s << tb) | k),
                ImpactDirection::ToTarget => f(s, (t << tb) | k),
                ImpactDirection::Both => {
                    f(t, (s << tb) | k);
                    f(s, (t << tb) | k);
                }
                _ => {}
            }
        }
    }
}

/// The arcs of each CI, for laying the index out row by row in the final
/// numbering.
trait Neighbours {
    /// How many CIs.
    fn len(&self) -> usize;
    /// A hint: starts fetching the neighbours of `far` (the first step) and
    /// of `near` (the second), which will be read soon.
    fn fetch(&self, far: u32, near: u32);
    /// Calls `impact(other, type)` for every arc from CI `v` (a failure of
    /// `v` impacts `other`) and `depend(other, type)` for every arc into
    /// `v`, CIs in the final numbering.
    fn each(&self, v: u32, impact: impl FnMut(u32, u32), depend: impl FnMut(u32, u32));
}

/// [`Csr::both_ways`]'s rows in the data's numbering (impact arcs up to
/// `split`, dependency arcs after), read through the numbering
/// `(new_of, old_of)`.
struct AroundRows<'a> {
    around: &'a Csr,
    split: &'a [u32],
    numbering: (&'a [u32], &'a [u32]),
    layout: (u32, u32),
}

impl AroundRows<'_> {
    #[inline]
    fn old(&self, v: u32) -> u32 {
        self.numbering.1.get(v as usize).copied().unwrap_or(0)
    }
}

impl Neighbours for AroundRows<'_> {
    fn len(&self) -> usize {
        self.numbering.1.len()
    }

    #[inline]
    fn fetch(&self, far: u32, near: u32) {
        let (far, near) = (self.old(far), self.old(near));
        std::hint::black_box(self.around.offsets.get(far as usize).copied());
        std::hint::black_box(self.around.row(near).first().copied());
    }

    #[inline]
    fn each(&self, v: u32, mut impact: impl FnMut(u32, u32), mut depend: impl FnMut(u32, u32)) {
        let (tb, mask) = self.layout;
        let new_of = self.numbering.0;
        let p = self.old(v) as usize;
        let (start, split, end) = (
            self.around.offsets[p] as usize,
            self.split[p] as usize,
            self.around.offsets[p + 1] as usize,
        );
        for &a in &self.around.arcs[start..split] {
            if let Some(&w) = new_of.get((a >> tb) as usize) {
                impact(w, a & mask);
            }
        }
        for &a in &self.around.arcs[split..end] {
            if let Some(&w) = new_of.get((a >> tb) as usize) {
                depend(w, a & mask);
            }
        }
    }
}

/// A store's relationships as each CI sees them, by place (the final
/// numbering).
struct StoreRows<'a> {
    touching: &'a [Vec<Touch>],
}

impl Neighbours for StoreRows<'_> {
    fn len(&self) -> usize {
        self.touching.len()
    }

    /// Nothing to fetch: the store lays its lists out in place order, so
    /// the reads already go from start to end.
    #[inline]
    fn fetch(&self, _far: u32, _near: u32) {}

    #[inline]
    fn each(&self, v: u32, mut impact: impl FnMut(u32, u32), mut depend: impl FnMut(u32, u32)) {
        let Some(row) = self.touching.get(v as usize) else {
            return;
        };
        for t in row {
            let k = t.kind >> 3;
            if t.kind & IMPACTS != 0 {
                impact(t.other, k);
            }
            if t.kind & DEPENDS != 0 {
                depend(t.other, k);
            }
        }
    }
}

/// Turns per-node counts (`offsets[v + 1]` holding `v`'s count) into row
/// starts.
fn prefix(offsets: &mut [u32]) {
    for i in 1..offsets.len() {
        offsets[i] += offsets[i - 1];
    }
}

/// Rows up to this long are sorted by insertion, in place.
const SHORT_ROW: usize = 16;

/// Sorts `arcs[start..]` (one row) and drops its repeats.
#[inline]
fn sort_row(arcs: &mut Vec<u32>, start: usize) {
    let row = &mut arcs[start..];
    if row.len() < 2 || row.windows(2).all(|w| w[0] < w[1]) {
        return;
    }
    if row.len() <= SHORT_ROW {
        // Most rows are short: an insertion sort, without the general
        // sort's set-up.
        for i in 1..row.len() {
            let x = row[i];
            let mut j = i;
            while j > 0 && row[j - 1] > x {
                row[j] = row[j - 1];
                j -= 1;
            }
            row[j] = x;
        }
    } else {
        row.sort_unstable();
    }
    let mut write = start + 1;
    for r in start + 1..arcs.len() {
        if arcs[r] != arcs[write - 1] {
            arcs[write] = arcs[r];
            write += 1;
        }
    }
    arcs.truncate(write);
}

impl Csr {
    #[inline]
    fn row(&self, v: u32) -> &[u32] {
        let v = v as usize;
        &self.arcs[self.offsets[v] as usize..self.offsets[v + 1] as usize]
    }

    /// Both directions of every arc in one adjacency, for the locality
    /// numbering: row `v` holds `v`'s impact arcs (other end and type,
    /// packed) in the order of `arcs`, then its dependency arcs in the
    /// reverse order. Returns the adjacency and where each row's dependency
    /// arcs start. `2 * m` must fit in `u32` (checked by the caller).
    fn both_ways<A: Arcs + ?Sized>(
        n: usize,
        arcs: &A,
        (type_bits, type_mask): (u32, u32),
    ) -> (Self, Vec<u32>) {
        let mut offsets = vec![0u32; n + 1];
        arcs.each(|from, packed| {
            offsets[from as usize + 1] += 1;
            offsets[(packed >> type_bits) as usize + 1] += 1;
        });
        prefix(&mut offsets);
        // Impact arcs fill each row from its start, dependency arcs from its
        // end; the two cursors meet where the row splits.
        let mut low = offsets[..n].to_vec();
        let mut high = offsets[1..].to_vec();
        let mut out = vec![0u32; offsets[n] as usize];
        arcs.each(|from, packed| {
            let c = &mut low[from as usize];
            out[*c as usize] = packed;
            *c += 1;
            let c = &mut high[(packed >> type_bits) as usize];
            *c -= 1;
            out[*c as usize] = (from << type_bits) | (packed & type_mask);
        });
        drop(high);
        (Self { offsets, arcs: out }, low)
    }
}

/// How many CIs ahead [`assemble`] starts fetching neighbours.
const ROW_AHEAD: usize = 8;

/// The impact and the dependency adjacencies in the final numbering: row
/// `v` of `impact` holds the CIs that `v`'s failure impacts, row `v` of
/// `depend` those whose failure impacts `v`, other end and type packed,
/// sorted and without repeats. Rows are written in order, one CI at a
/// time, so only the reads of each CI's neighbours may jump (and are
/// fetched ahead). `m` is the number of arcs to make room for; the rows
/// must hold fewer than `u32::MAX` arcs (checked by the callers).
fn assemble<R: Neighbours>(rows: &R, (type_bits, _): (u32, u32), m: usize) -> (Csr, Csr) {
    let n = rows.len();
    let mut impact_offsets = Vec::with_capacity(n + 1);
    let mut depend_offsets = Vec::with_capacity(n + 1);
    let mut impact_arcs: Vec<u32> = Vec::with_capacity(m);
    let mut depend_arcs: Vec<u32> = Vec::with_capacity(m);
    impact_offsets.push(0u32);
    depend_offsets.push(0u32);
    for v in 0..n {
        let v = v as u32; // n fits in u32 (checked by the callers)
        let (far, near) = (
            v.saturating_add(2 * ROW_AHEAD as u32),
            v.saturating_add(ROW_AHEAD as u32),
        );
        if (far as usize) < n {
            rows.fetch(far, near);
        }
        let (i0, d0) = (impact_arcs.len(), depend_arcs.len());
        rows.each(
            v,
            |other, k| impact_arcs.push((other << type_bits) | k),
            |other, k| depend_arcs.push((other << type_bits) | k),
        );
        sort_row(&mut impact_arcs, i0);
        sort_row(&mut depend_arcs, d0);
        impact_offsets.push(to_u32(impact_arcs.len()).unwrap_or(NONE));
        depend_offsets.push(to_u32(depend_arcs.len()).unwrap_or(NONE));
    }
    impact_arcs.shrink_to_fit();
    depend_arcs.shrink_to_fit();
    (
        Csr {
            offsets: impact_offsets,
            arcs: impact_arcs,
        },
        Csr {
            offsets: depend_offsets,
            arcs: depend_arcs,
        },
    )
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

/// A redundancy declaration resolved to `(node, type, requirement)`.
type Declared = (u32, u32, RedundancyRequirement);

/// The redundancy declarations of CI `ci` (at `cis[i]`, numbered `node`),
/// appended to `declared`, with a problem for each one over an unknown
/// type, of more than 100 % or declared twice for one type.
fn declare<'a>(
    (i, ci, node): (usize, &'a ConfigurationItem, u32),
    types: &mut NameLookup<'a>,
    declared: &mut Vec<Declared>,
    problems: &mut Vec<Violation>,
) {
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
        declared.push((node, k, red.required));
    }
}

/// What both constructors hand to [`GraphIndex::freeze`], all in the
/// final numbering.
struct Parts<R> {
    rows: R,
    /// How many arcs to make room for.
    m: usize,
    ids: Vec<CiId>,
    service_bits: Vec<u64>,
    /// Sorted by node, then type.
    declared: Vec<Declared>,
    type_names: Vec<String>,
    layout: (u32, u32),
    relationships: u64,
    /// The id table of `ids`, when the caller already has one (the build
    /// renumbers the one it resolved the relationships with).
    table: Option<IdTable>,
}

/// Refuses more impact arcs than the build's adjacency of both directions
/// can address with `u32` offsets.
fn check_arc_capacity(m: u64) -> Result<(), CmdbError> {
    let limit = NONE / 2;
    if m > u64::from(limit) {
        return Err(CmdbError::IndexCapacity {
            message: format!("{m} impact arcs exceed the index's limit of {limit}"),
        });
    }
    Ok(())
}

/// The locality numbering `(new_of, old_of)` of `n` CIs over `arcs`: the
/// new dense id of each position, and the position of each new dense id.
fn locality<A: Arcs + ?Sized>(n: usize, arcs: &A, layout: (u32, u32)) -> (Vec<u32>, Vec<u32>) {
    let (around, _) = Csr::both_ways(n, arcs, layout);
    locality_order(&around, layout.0)
}

/// The locality numbering of a store's `n` CIs from its relationships'
/// `[source, type, target]` positions: `(rank, slots)`, the place of each
/// position in the order and the position at each place. It is the
/// numbering [`GraphIndex::build`] gives the same CIs and relationships.
/// When the graph exceeds the index's limits (which
/// [`Cmdb::index`](crate::Cmdb::index) then reports) the positions keep
/// their own order.
pub(crate) fn store_layout(
    n: usize,
    ends: &[[u32; 3]],
    impacts: &[ImpactDirection],
) -> (Vec<u32>, Vec<u32>) {
    let identity = || {
        let order: Vec<u32> = (0..n).filter_map(to_u32).collect();
        (order.clone(), order)
    };
    let Ok(layout) = type_layout(impacts.len(), n) else {
        return identity();
    };
    let arcs = DenseArcs {
        ends,
        impacts,
        n,
        type_bits: layout.0,
    };
    let mut m = 0u64;
    arcs.each(|_, _| m += 1);
    if check_arc_capacity(m).is_err() || to_u32(n).is_none() {
        return identity();
    }
    locality(n, &arcs, layout)
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
        let (fast, duplicates) = IdTable::new(&ids);
        let mut duplicates = duplicates.into_iter().peekable();
        let mut service_bits = vec![0u64; n.div_ceil(64)];
        // Redundancy declarations, in the same pass over the CIs; their
        // problems are reported after the relationships'.
        let mut declared = Vec::new();
        let mut redundancy_problems = Vec::new();
        for (i, ci) in data.cis.iter().enumerate() {
            let dense = i as u32; // n fits in u32 (checked above)
            if !ci.redundancy.is_empty() {
                declare(
                    (i, ci, dense),
                    &mut types,
                    &mut declared,
                    &mut redundancy_problems,
                );
            }
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
        let rels = &data.relationships;
        // The home slots of the ends of block `b` of relationships, each
        // slot loaded (all independent reads, fetched together while the
        // block before is looked up): (source's, target's), the source's
        // `usize::MAX` when the relationship before has the same source
        // (data that lists relationships by source CI, as exports and the
        // store do, looks each source up once).
        let homes_of = |b: usize, homes: &mut [(usize, usize); TOUCH_AHEAD]| {
            let start = (b * TOUCH_AHEAD).min(rels.len());
            let end = (start + TOUCH_AHEAD).min(rels.len());
            let mut sum = 0u64;
            for (i, h) in (start..end).zip(homes.iter_mut()) {
                let r = &rels[i];
                let source = if i > 0 && rels[i - 1].source == r.source {
                    usize::MAX
                } else {
                    let home = fast.home_of(&r.source);
                    sum ^= fast.touch_at(home);
                    home
                };
                let target = fast.home_of(&r.target);
                sum ^= fast.touch_at(target);
                *h = (source, target);
            }
            std::hint::black_box(sum);
        };
        let (mut homes, mut next_homes) = ([(0, 0); TOUCH_AHEAD], [(0, 0); TOUCH_AHEAD]);
        homes_of(0, &mut next_homes);
        let mut s = None;
        for (j, r) in rels.iter().enumerate() {
            if j % TOUCH_AHEAD == 0 {
                homes = next_homes;
                homes_of(j / TOUCH_AHEAD + 1, &mut next_homes);
            }
            let (source_home, target_home) = homes[j % TOUCH_AHEAD];
            if source_home != usize::MAX {
                s = fast.get_at(source_home, &r.source);
            }
            let t = fast.get_at(target_home, &r.target);
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

        problems.append(&mut redundancy_problems);
        if !problems.is_empty() {
            return Err(CmdbError::Invalid { problems });
        }
        check_arc_capacity(arcs.len() as u64)?;
        // Renumber the CIs so that related CIs get nearby dense ids: a query
        // then reads neighbouring arcs, bits and ids instead of jumping
        // across the whole index (the data's order is often random). The
        // numbering walks both directions at once, on one adjacency holding
        // both; the index's rows are then read from it.
        let layout = (type_bits, type_mask);
        let (around, split) = Csr::both_ways(n, arcs.as_slice(), layout);
        let m = arcs.len();
        drop(arcs);
        let (new_of, old_of) = locality_order(&around, type_bits);
        let mut renumbered_services = vec![0u64; n.div_ceil(64)];
        let renumbered: Vec<CiId> = old_of
            .iter()
            .enumerate()
            .map(|(new, &old)| {
                if bit(&service_bits, old) {
                    set_bit(&mut renumbered_services, new as u32); // n fits in u32 (checked above)
                }
                ids[old as usize]
            })
            .collect();
        drop(ids);
        // The table that resolved the relationships serves the index: the
        // same ids, renumbered (no second table built on fresh pages).
        let mut table = fast;
        table.renumber(&new_of);
        for d in &mut declared {
            d.0 = new_of[d.0 as usize];
        }
        declared.sort_unstable_by_key(|&(node, ty, _)| (node, ty));
        Ok(Self::freeze(Parts {
            rows: AroundRows {
                around: &around,
                split: &split,
                numbering: (&new_of, &old_of),
                layout,
            },
            m,
            ids: renumbered,
            service_bits: renumbered_services,
            declared,
            type_names: type_names(data),
            layout,
            relationships: data.relationships.len() as u64,
            table: Some(table),
        }))
    }

    /// The index of a store's data from the store's per-place arrays (see
    /// [`Placed`]): places are the final numbering, so no relationship end
    /// is looked up by id, no order is computed and every array is read in
    /// order. With the store's places in the order [`GraphIndex::build`]
    /// computes, the result is the index it gives for `data`.
    ///
    /// # Errors
    /// [`CmdbError::IndexCapacity`] as [`GraphIndex::build`];
    /// [`CmdbError::Invalid`] for arrays out of step with each other (a
    /// store never hands them in).
    pub(crate) fn from_store(store: &Placed<'_>) -> Result<Self, CmdbError> {
        let data = store.data;
        let n = store.ids.len();
        let layout = type_layout(data.relationship_types.len(), n)?;
        let in_step = data.cis.len() == n
            && store.class.len() == n
            && store.redundancy.len() == n
            && store.touching.len() == n;
        if !in_step {
            return Err(CmdbError::Invalid {
                problems: vec![Violation::new(
                    ".",
                    "out_of_range",
                    "the store's arrays are out of step".to_owned(),
                )],
            });
        }
        let mut service_bits = vec![0u64; n.div_ceil(64)];
        for (v, &c) in store.class.iter().enumerate() {
            if store
                .class_service
                .get(c as usize)
                .copied()
                .unwrap_or(false)
            {
                set_bit(&mut service_bits, v as u32); // n fits in u32 (checked by type_layout)
            }
        }
        // Redundancy, checked and resolved by the store, sorted by place
        // and then type as it comes.
        let declared: Vec<Declared> = store
            .redundancy
            .iter()
            .enumerate()
            .filter(|(_, list)| !list.is_empty())
            .flat_map(|(v, list)| list.iter().map(move |&(ty, req)| (v as u32, ty, req)))
            .collect();
        let index = Self::freeze(Parts {
            rows: StoreRows {
                touching: store.touching,
            },
            m: usize::try_from(store.arcs).unwrap_or(usize::MAX),
            ids: store.ids.to_vec(),
            service_bits,
            declared,
            type_names: type_names(data),
            layout,
            relationships: data.relationships.len() as u64,
            table: None,
        });
        check_arc_capacity(index.impact_arcs.len() as u64)?;
        Ok(index)
    }

    /// Lays the arcs out in both directions in the final numbering, with the
    /// id table and the redundancy table.
    fn freeze<R: Neighbours>(parts: Parts<R>) -> Self {
        let Parts {
            rows,
            m,
            ids,
            service_bits,
            declared,
            type_names,
            layout,
            relationships,
            table,
        } = parts;
        let (_, type_mask) = layout;
        let type_bits = layout.0;
        let n = ids.len();
        let words = n.div_ceil(64);
        let (impact, depend) = assemble(&rows, layout, m);
        // Built in the final numbering (the ids are distinct here).
        let mut table = table.unwrap_or_else(|| IdTable::new(&ids).0);
        let Csr {
            offsets: impact_offsets,
            arcs: impact_arcs,
        } = impact;
        table.set_rows(&impact_offsets);
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
        let mut redundant_rank = Vec::with_capacity(words);
        let mut before = 0u32;
        for w in &redundant_bits {
            redundant_rank.push(before);
            before += w.count_ones();
        }
        let mut redundancy_rows: Vec<u64> = Vec::with_capacity(before as usize);
        for (i, e) in redundancy.iter().enumerate() {
            if i == 0 || redundancy[i - 1].node != e.node {
                redundancy_rows.push(i as u64);
            }
            let type_bit = 1u64 << (32 + e.ty.min(MASKED_TYPES));
            if let Some(row) = redundancy_rows.last_mut() {
                *row |= type_bit;
            }
        }

        Self {
            ids,
            table,
            shared_names: type_names.iter().map(|t| Arc::from(t.as_str())).collect(),
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
            redundancy_rows,
            redundancy,
            relationships,
        }
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
                + bytes(&self.redundancy_rows)
                + bytes(&self.redundancy)
                + self.type_names.iter().map(|t| t.len() as u64).sum::<u64>(),
        }
    }

    // ---- crate-internal access for the queries ----

    pub(crate) fn dense(&self, ci: &CiId) -> Option<u32> {
        self.table.get(ci)
    }

    /// The dense id of `ci`, having asked the memory system for the first
    /// arc of its impact row (which an impact query reads next): the row
    /// start is kept in the id's slot, so the row is fetched at the same
    /// time as its end, not after it.
    pub(crate) fn dense_fetching_impact_row(&self, ci: &CiId) -> Result<u32, CmdbError> {
        let slot = if self.table.slots.is_empty() {
            None
        } else {
            self.table.slot_at(self.table.home_of(ci), ci)
        };
        let slot = slot.ok_or_else(|| CmdbError::UnknownCi { id: ci.to_string() })?;
        std::hint::black_box(self.impact_arcs.get(slot.row as usize).copied());
        Ok(slot.dense)
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

    /// The name of type `ty`, shared.
    pub(crate) fn shared_type_name(&self, ty: u32) -> Arc<str> {
        Arc::clone(&self.shared_names[ty as usize])
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

    /// A hint that `v`'s row of arcs (dependency arcs when `depend`) is
    /// read soon: loads its first arc, which the processor fetches while
    /// it goes on with other work.
    #[inline]
    pub(crate) fn fetch_row(&self, depend: bool, v: u32) {
        let (offsets, arcs) = if depend {
            (&self.depend_offsets, &self.depend_arcs)
        } else {
            (&self.impact_offsets, &self.impact_arcs)
        };
        std::hint::black_box(arcs.get(offsets[v as usize] as usize).copied());
    }

    /// A hint that `v`'s offsets (dependency offsets when `depend`) are read soon.
    #[inline]
    pub(crate) fn fetch_offsets(&self, depend: bool, v: u32) {
        let offsets = if depend {
            &self.depend_offsets
        } else {
            &self.impact_offsets
        };
        std::hint::black_box(offsets[v as usize]);
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
    /// one: a rank in the bit set, then its row's type mask (a scan of its
    /// few entries only for a type from [`MASKED_TYPES`] on).
    #[inline]
    pub(crate) fn redundancy_entry(&self, v: u32, ty: u32) -> Option<usize> {
        let word = (v >> 6) as usize;
        let bits = self.redundant_bits[word];
        if bits & (1u64 << (v & 63)) == 0 {
            return None;
        }
        let rank = self.redundant_rank[word] + (bits & ((1u64 << (v & 63)) - 1)).count_ones();
        let row = self.redundancy_rows[rank as usize];
        #[allow(clippy::cast_possible_truncation)] // the two halves of the row
        let (start, mask) = (row as u32 as usize, (row >> 32) as u32);
        // Entries are sorted by type: those below MASKED_TYPES come first.
        let below = (mask & ((1u32 << ty.min(MASKED_TYPES)) - 1)).count_ones() as usize;
        if ty < MASKED_TYPES {
            return (mask & (1u32 << ty) != 0).then_some(start + below);
        }
        if mask & (1u32 << MASKED_TYPES) == 0 {
            return None;
        }
        (start + below..self.redundancy.len())
            .take_while(|&i| self.redundancy[i].node == v)
            .find(|&i| self.redundancy[i].ty == ty)
    }

    pub(crate) fn redundancy(&self) -> &[RedundancyEntry] {
        &self.redundancy
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `ids` given as small numbers; a few of them are found by search to
    /// have the last home slot of the table, so that runs pass its end.
    fn check_build_table(case: &str, ids: &[CiId]) {
        let (table, duplicates) = IdTable::new(ids);
        // The reference: each position's first equal position, if earlier.
        let first = |i: usize| ids.iter().position(|id| *id == ids[i]).unwrap_or(i);
        let expected: Vec<(usize, u32)> = (0..ids.len())
            .filter(|&i| first(i) < i)
            .map(|i| (i, first(i) as u32))
            .collect();
        assert_eq!(duplicates, expected, "case {case}: duplicates");
        for (i, id) in ids.iter().enumerate() {
            assert_eq!(table.get(id), Some(first(i) as u32), "case {case}: id {i}");
        }
        assert_eq!(table.get(&CiId::from_u128(u128::MAX)), None, "case {case}");
    }

    /// A CI's redundancy entries are found by type whether the type is
    /// below `MASKED_TYPES` (a bit of the row's mask) or not (a scan).
    #[test]
    fn redundancy_entries_are_found_for_every_type() {
        use crate::{
            ConfigurationItem, ImpactDirection, Redundancy, RedundancyRequirement, Relationship,
            RelationshipType,
        };
        let mut data = CmdbData::starter();
        data.relationship_types = (0..40)
            .map(|t| RelationshipType {
                name: format!("t{t}"),
                forward: format!("t{t}"),
                reverse: format!("reverse t{t}"),
                impact: ImpactDirection::ToSource,
                dependent: false,
            })
            .collect();
        let class = data.classes[0].name.clone();
        let id = CiId::from_u128;
        // CI 1 declares redundancy over these types; CI 2 over t33 only.
        let declared = [2u32, 5, 30, 31, 33, 39];
        for i in 1..=3 {
            data.cis
                .push(ConfigurationItem::new(id(i), class.clone(), "ci"));
        }
        data.cis[0].redundancy = declared
            .iter()
            .map(|t| Redundancy {
                relationship_type: format!("t{t}"),
                required: RedundancyRequirement::AtLeast(1),
            })
            .collect();
        data.cis[1].redundancy = vec![Redundancy {
            relationship_type: "t33".into(),
            required: RedundancyRequirement::AtLeast(1),
        }];
        data.relationships
            .push(Relationship::new(id(1), "t2", id(3)));
        let index = GraphIndex::build(&data).expect("valid data");
        let (one, two, three) = (
            index.dense(&id(1)).expect("CI 1"),
            index.dense(&id(2)).expect("CI 2"),
            index.dense(&id(3)).expect("CI 3"),
        );
        for ty in 0..40 {
            let found = index
                .redundancy_entry(one, ty)
                .map(|e| index.redundancy()[e]);
            assert_eq!(
                found.map(|e| (e.node, e.ty)),
                declared.contains(&ty).then_some((one, ty)),
                "CI 1, type {ty}"
            );
            let found = index
                .redundancy_entry(two, ty)
                .map(|e| index.redundancy()[e]);
            assert_eq!(
                found.map(|e| (e.node, e.ty)),
                (ty == 33).then_some((two, ty)),
                "CI 2, type {ty}"
            );
            assert_eq!(index.redundancy_entry(three, ty), None, "CI 3, type {ty}");
        }
    }

    /// Names are told apart by their fingerprint up to 16 bytes and by
    /// their bytes beyond, among a few names (searched in turn) or many
    /// (hashed).
    #[test]
    fn names_are_found_among_few_and_many() {
        let mut names: Vec<String> = vec![
            String::new(),
            "a".into(),
            "ab".into(),
            "runs_on".into(),
            "hosted_on".into(),
            "member_of".into(),
            "abcdefghijklmnop".into(),
            "abcdefghijklmnoq".into(),
            // Same length, first and last 8 bytes: only the middle differs.
            "aaaaaaaaXbbbbbbbb".into(),
            "aaaaaaaaYbbbbbbbb".into(),
        ];
        for many in [false, true] {
            if many {
                names.extend((0..20).map(|i| format!("type_{i}")));
            }
            let map: NameMap = names
                .iter()
                .enumerate()
                .map(|(i, n)| (n.as_str(), i as u32))
                .collect();
            let mut lookup = NameLookup::new(map);
            assert_eq!(lookup.few.is_empty(), many, "many: {many}");
            // Each name twice in a row (the previous hit), then in another order.
            for i in (0..names.len()).chain((0..names.len()).rev()) {
                for _ in 0..2 {
                    assert_eq!(lookup.get(&names[i]), Some(i as u32), "{:?}", names[i]);
                }
            }
            for unknown in ["aaaaaaaaZbbbbbbbb", "abcdefghijklmnoz", "b", "runs_om"] {
                assert_eq!(lookup.get(unknown), None, "{unknown:?}");
            }
        }
    }

    /// Rows sorted in place, by insertion up to `SHORT_ROW` and by the
    /// general sort beyond, equal a sort and de-duplication of a copy.
    #[test]
    fn rows_are_sorted_without_repeats_at_every_length() {
        let mut x = 0x2545_f491_4f6c_dd1du64;
        for len in 0..=2 * SHORT_ROW + 3 {
            for round in 0..8 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                // Few distinct values in some rounds, so that repeats occur.
                let spread = if round % 2 == 0 { 5 } else { 1 << 20 };
                let row: Vec<u32> = (0..len as u64)
                    .map(|i| (x.rotate_left(i as u32 * 7) % spread) as u32)
                    .collect();
                let mut arcs = vec![u32::MAX - 1, u32::MAX];
                arcs.extend(&row);
                sort_row(&mut arcs, 2);
                let mut expected = row.clone();
                expected.sort_unstable();
                expected.dedup();
                assert_eq!(&arcs[2..], expected.as_slice(), "length {len}, row {row:?}");
                assert_eq!(&arcs[..2], &[u32::MAX - 1, u32::MAX], "the rows before");
            }
        }
    }

    /// A source repeated by consecutive relationships is looked up once:
    /// when it is unknown, each relationship still reports it.
    #[test]
    fn a_repeated_unknown_source_is_reported_for_each_relationship() {
        use crate::{ConfigurationItem, Relationship};
        let id = CiId::from_u128;
        let mut data = CmdbData::starter();
        let class = data.classes[0].name.clone();
        let ty = "depends_on".to_owned();
        for i in 1..=3 {
            data.cis
                .push(ConfigurationItem::new(id(i), class.clone(), "ci"));
        }
        // 9 is unknown: twice in a row as a source, then known sources.
        for (s, t) in [(9, 1), (9, 2), (1, 2), (1, 3), (2, 9)] {
            data.relationships
                .push(Relationship::new(id(s), ty.clone(), id(t)));
        }
        let Err(CmdbError::Invalid { problems }) = GraphIndex::build(&data) else {
            panic!("unknown CIs are refused");
        };
        let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "relationships[0].source",
                "relationships[1].source",
                "relationships[4].target"
            ]
        );
        // Known repeated sources resolve to the same CI.
        data.relationships.truncate(0);
        for (s, t) in [(1, 2), (1, 3), (2, 3), (2, 1)] {
            data.relationships
                .push(Relationship::new(id(s), ty.clone(), id(t)));
        }
        let index = GraphIndex::build(&data).expect("valid data");
        assert_eq!(index.impact_arc_count(), 4);
    }

    #[test]
    fn build_table_finds_every_id_and_every_duplicate() {
        let id = CiId::from_u128;
        // Ids whose home is the last slot of the tables of 6 and 7 ids
        // (8 and 9 slots: the top ninth of the hashes is the top slot of both).
        assert_eq!((IdTable::size_for(6), IdTable::size_for(7)), (8, 9));
        let last: Vec<CiId> = (1..)
            .map(id)
            .filter(|c| IdTable::home(c, 9) == 8)
            .take(4)
            .collect();
        let cases: Vec<(&str, Vec<CiId>)> = vec![
            ("empty", vec![]),
            ("distinct", (1..=7).map(id).collect()),
            ("a duplicate", vec![id(1), id(2), id(1)]),
            ("three copies", vec![id(5), id(5), id(6), id(5)]),
            (
                "runs past the end",
                vec![last[0], last[1], last[2], last[3], id(1), id(2)],
            ),
            (
                "duplicates past the end",
                vec![last[0], last[1], last[2], last[1], last[2], last[0], id(3)],
            ),
        ];
        for (case, ids) in &cases {
            check_build_table(case, ids);
        }
    }

    /// The build renumbers the table it resolved relationships with
    /// instead of building a second one: the result answers as a table
    /// built in the new numbering, and equals it, although ids sharing a
    /// home slot may sit in another order.
    #[test]
    fn a_renumbered_table_equals_one_built_in_the_new_numbering() {
        let id = CiId::from_u128;
        // Ids sharing home slots (runs of several), some past the end.
        let shared: Vec<CiId> = (1..)
            .map(id)
            .filter(|c| matches!(IdTable::home(c, IdTable::size_for(12)), 3 | 14))
            .take(6)
            .collect();
        let ids: Vec<CiId> = shared.iter().copied().chain((100..106).map(id)).collect();
        let n = ids.len() as u32;
        // New numbering: reversed, so that ids sharing a home swap places.
        let new_of: Vec<u32> = (0..n).rev().collect();
        let renumbered: Vec<CiId> = (0..n).map(|new| ids[(n - 1 - new) as usize]).collect();
        let (mut table, _) = IdTable::new(&ids);
        table.renumber(&new_of);
        let (fresh, _) = IdTable::new(&renumbered);
        for (new, id) in renumbered.iter().enumerate() {
            assert_eq!(table.get(id), Some(new as u32), "{id}");
        }
        assert_ne!(
            table.slots, fresh.slots,
            "ids sharing a home sit in another order"
        );
        assert_eq!(table, fresh);
        // Rows recorded alike keep them equal; a different row or dense id
        // does not.
        let offsets: Vec<u32> = (0..=n).map(|v| v * 3).collect();
        let (mut a, mut b) = (table.clone(), fresh.clone());
        a.set_rows(&offsets);
        b.set_rows(&offsets);
        assert_eq!(a, b);
        let taken = b
            .slots
            .iter()
            .position(|s| s.dense != NONE)
            .expect("a taken slot");
        b.slots[taken].row += 1;
        assert_ne!(a, b);
        b.slots[taken].row -= 1;
        b.slots[taken].dense = (b.slots[taken].dense + 1) % n;
        assert_ne!(a, b);
    }
}
