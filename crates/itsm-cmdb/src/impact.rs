//! [`Searcher`] (the reusable query scratch) and impact analysis.

use std::collections::HashMap;
use std::sync::Arc;

use itsm_core::CiId;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::CmdbError;
use crate::index::{GraphIndex, NONE};

/// Options of a traversal: how deep, along which relationship types.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct QueryOptions {
    /// Stop at this depth (the failed CIs are at depth 0); `None` for no limit.
    #[serde(default)]
    pub max_depth: Option<u32>,
    /// Follow only relationships of these types; `None` for every type.
    #[serde(default)]
    pub relationship_types: Option<Vec<String>>,
}

impl QueryOptions {
    /// No depth limit, every relationship type.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// The same options with a depth limit.
    #[must_use]
    pub fn max_depth(mut self, depth: u32) -> Self {
        self.max_depth = Some(depth);
        self
    }

    /// The same options following only these relationship types.
    #[must_use]
    pub fn relationship_types<S: Into<String>>(
        mut self,
        types: impl IntoIterator<Item = S>,
    ) -> Self {
        self.relationship_types = Some(types.into_iter().map(Into::into).collect());
        self
    }
}

/// A CI reached by a traversal, with how it was reached.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ReachedCi {
    /// The CI.
    pub ci: CiId,
    /// How many relationships away from the nearest starting CI (0 for a starting CI).
    pub depth: u32,
    /// The CI it was reached from, one step closer to a starting CI; `None`
    /// for a starting CI. Following `via` leads back to a starting CI.
    pub via: Option<CiId>,
    /// The type of the relationship between `via` and this CI.
    // Shared rather than copied (a string on the wire): the CIs of a report
    // reached through one type all hold the index's one copy of its name.
    pub relationship_type: Option<Arc<str>>,
    /// Whether the CI is a business service.
    pub service: bool,
}

/// A CI whose redundancy held: some of its dependencies of one type failed,
/// but enough stayed up, so it is degraded rather than impacted and
/// propagates nothing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct DegradedCi {
    /// The CI.
    pub ci: CiId,
    /// The relationship type its redundancy is declared over.
    pub relationship_type: String,
    /// How many of its dependencies of that type failed or were impacted.
    pub failed: u32,
    /// How many dependencies of that type it has.
    pub total: u32,
    /// How many must stay up.
    pub required: u32,
}

/// The result of an impact analysis.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ImpactReport {
    /// Every impacted CI, the failed ones first (depth 0), then by depth.
    pub impacted: Vec<ReachedCi>,
    /// The impacted business services, in the order of `impacted`.
    pub services: Vec<CiId>,
    /// The CIs whose redundancy held.
    pub degraded: Vec<DegradedCi>,
}

/// Follows `via` links from `ci` back to a starting CI; the path runs from
/// the starting CI to `ci`. `None` when `ci` is not in `reached`.
pub(crate) fn path_back(reached: &[ReachedCi], ci: &CiId) -> Option<Vec<CiId>> {
    let position: HashMap<CiId, usize> =
        reached.iter().enumerate().map(|(i, r)| (r.ci, i)).collect();
    let mut path = vec![*ci];
    let mut at = *position.get(ci)?;
    // Each step moves to a strictly smaller depth: at most `reached.len()` steps.
    for _ in 0..reached.len() {
        match reached[at].via {
            None => {
                path.reverse();
                return Some(path);
            }
            Some(prev) => {
                path.push(prev);
                at = *position.get(&prev)?;
            }
        }
    }
    None
}

impl ImpactReport {
    /// One explanation path: from a failed CI to `ci`, through the
    /// relationships along which the failure travelled. `None` when `ci` is
    /// not impacted.
    #[must_use]
    pub fn path_to(&self, ci: &CiId) -> Option<Vec<CiId>> {
        path_back(&self.impacted, ci)
    }

    /// Whether `ci` is impacted (or failed).
    #[must_use]
    pub fn is_impacted(&self, ci: &CiId) -> bool {
        self.impacted.iter().any(|r| r.ci == *ci)
    }
}

/// The result of a dependency query: every CI whose failure would travel to
/// the starting CIs.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct DependencyReport {
    /// The starting CIs (depth 0), then every dependency by depth; `via` is
    /// the CI one step closer to a starting CI (the one that depends on it).
    pub dependencies: Vec<ReachedCi>,
}

impl DependencyReport {
    /// One dependency chain from a starting CI down to `ci`; `None` when `ci`
    /// is not a dependency.
    #[must_use]
    pub fn path_to(&self, ci: &CiId) -> Option<Vec<CiId>> {
        path_back(&self.dependencies, ci)
    }
}

/// The result of [`Searcher::impact_view`], borrowed from the searcher's
/// buffers: the impacted CIs in the order of [`ImpactReport::impacted`]
/// (the failed ones first, then by depth), each read on demand.
#[derive(Clone, Copy, Debug)]
pub struct ImpactView<'s, 'a> {
    searcher: &'s Searcher<'a>,
}

/// One impacted CI of an [`ImpactView`], read from the index on demand.
#[derive(Clone, Copy, Debug)]
pub struct ImpactedCi<'s> {
    index: &'s GraphIndex,
    visit: Visit,
    /// The dense id of the CI it was reached from (`NONE` for a failed CI).
    via: u32,
}

impl<'s> ImpactView<'s, '_> {
    /// How many CIs are impacted (the failed ones included).
    #[must_use]
    pub fn len(&self) -> usize {
        self.searcher.queue.len()
    }

    /// Whether no CI is impacted (no failed CI was given).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.searcher.queue.is_empty()
    }

    /// The `i`-th impacted CI, in the order of [`ImpactReport::impacted`].
    #[must_use]
    pub fn get(&self, i: usize) -> Option<ImpactedCi<'s>> {
        let searcher = self.searcher;
        searcher.queue.get(i).map(|&visit| entry(searcher, visit))
    }

    /// The impacted CIs, in the order of [`ImpactReport::impacted`].
    pub fn iter(&self) -> impl ExactSizeIterator<Item = ImpactedCi<'s>> + 's {
        let searcher = self.searcher;
        searcher
            .queue
            .iter()
            .map(move |&visit| entry(searcher, visit))
    }

    /// The impacted business services, in the order of [`ImpactReport::services`].
    pub fn services(&self) -> impl Iterator<Item = CiId> + 's {
        self.iter().filter(ImpactedCi::is_service).map(|r| r.ci())
    }

    /// The whole [`ImpactReport`] ([`Searcher::impact`] returns exactly this).
    #[must_use]
    pub fn to_report(&self) -> ImpactReport {
        let impacted = self.searcher.reached();
        let services = impacted
            .iter()
            .filter(|r| r.service)
            .map(|r| r.ci)
            .collect();
        ImpactReport {
            impacted,
            services,
            degraded: self.searcher.degraded(),
        }
    }
}

fn entry<'s>(searcher: &'s Searcher<'_>, visit: Visit) -> ImpactedCi<'s> {
    visit_entry(searcher.index, &searcher.queue, visit)
}

/// The impacted CI of `visit`, one of `visits`.
fn visit_entry<'s>(index: &'s GraphIndex, visits: &[Visit], visit: Visit) -> ImpactedCi<'s> {
    let via = if visit.pred == NONE {
        NONE
    } else {
        visits[visit.pred as usize].node
    };
    ImpactedCi { index, visit, via }
}

/// The result of [`Searcher::impact_compact`]: the whole of an
/// [`ImpactReport`], owned but compact. It keeps the analysis' visits as
/// they came (20 bytes per impacted CI, in the order of
/// [`ImpactReport::impacted`]; up to 8 of them inline, without allocating)
/// and reads CI ids, relationship type names and service flags from the
/// index on demand, so building it costs no more than the analysis: no id
/// is resolved, no name copied, nothing written per impacted CI. It borrows the index (not the searcher), so it outlives the
/// next query.
///
/// It serializes to exactly the JSON of the [`ImpactReport`] it stands for
/// (the `impact_report` schema); [`CompactImpactReport::to_report`] gives
/// that report.
///
/// ```
/// # use itsm_cmdb::{Cmdb, CmdbData, ConfigurationItem, QueryOptions, Relationship};
/// # use itsm_core::CiId;
/// let (app, db) = (CiId::from_u128(1), CiId::from_u128(2));
/// let mut cmdb = Cmdb::import(CmdbData::starter())?;
/// cmdb.add_ci(ConfigurationItem::new(app, "application", "payroll"))?;
/// cmdb.add_ci(ConfigurationItem::new(db, "database", "payroll-db"))?;
/// cmdb.add_relationship(Relationship::new(app, "depends_on", db))?;
/// let index = cmdb.index()?;
/// let mut searcher = index.searcher();
/// let report = searcher.impact_compact(&[db], &QueryOptions::new())?;
/// let other = searcher.impact_compact(&[app], &QueryOptions::new())?;
/// assert_eq!((report.len(), other.len()), (2, 1));
/// let reached = report.get(1).expect("the application");
/// assert_eq!((reached.ci(), reached.depth(), reached.via()), (app, 1, Some(db)));
/// assert_eq!(report.path_to(&app), Some(vec![db, app]));
/// assert_eq!(report.to_report(), index.impact(&[db], &QueryOptions::new())?);
/// assert_eq!(
///     serde_json::to_value(&report)?,
///     serde_json::to_value(report.to_report())?
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct CompactImpactReport<'a> {
    index: &'a GraphIndex,
    visits: Few<Visit, INLINE>,
    /// The redundancy entries that held: (position in the index's table,
    /// how many dependencies failed).
    degraded: Few<(u32, u32), 4>,
}

/// How many visits a [`CompactImpactReport`] holds inline.
const INLINE: usize = 8;

/// The room for visits a searcher takes when a [`CompactImpactReport`]
/// takes over its buffer.
const SPARE_VISITS: usize = 64;

/// A few items inline (no allocation: most analyses reach only a few CIs
/// and hold a few redundancies), more in a vector.
#[derive(Clone, Debug)]
enum Few<T: Copy, const N: usize> {
    Inline { len: u8, items: [T; N] },
    Heap(Vec<T>),
}

impl<T: Copy, const N: usize> Few<T, N> {
    /// `items` inline while they fit, otherwise in a vector; `blank` fills
    /// the unused places.
    fn collect(items: impl Iterator<Item = T>, blank: T) -> Self {
        let mut inline = [blank; N];
        let mut len = 0;
        let mut items = items;
        for item in items.by_ref() {
            if len == N {
                let mut heap = inline.to_vec();
                heap.push(item);
                heap.extend(items);
                return Self::Heap(heap);
            }
            inline[len] = item;
            len += 1;
        }
        Self::Inline {
            // N is small (see its uses).
            len: u8::try_from(len).unwrap_or(u8::MAX),
            items: inline,
        }
    }
}

impl<T: Copy, const N: usize> Few<T, N> {
    /// `items`, at most `N` of them, inline; `blank` fills the unused
    /// places.
    #[inline]
    fn copy(items: &[T], blank: T) -> Self {
        let len = items.len().min(N);
        let mut inline = [blank; N];
        inline[..len].copy_from_slice(&items[..len]);
        Self::Inline {
            // N is small (see its uses).
            len: u8::try_from(len).unwrap_or(u8::MAX),
            items: inline,
        }
    }
}

impl<T: Copy, const N: usize> std::ops::Deref for Few<T, N> {
    type Target = [T];

    fn deref(&self) -> &[T] {
        match self {
            Self::Inline { len, items } => &items[..usize::from(*len)],
            Self::Heap(items) => items,
        }
    }
}

/// A visit that fills the unused places of [`Few`].
const BLANK_VISIT: Visit = Visit {
    node: NONE,
    depth: 0,
    pred: NONE,
    ty: 0,
    origin: NONE,
};

impl<'a> CompactImpactReport<'a> {
    /// How many CIs are impacted (the failed ones included).
    #[must_use]
    pub fn len(&self) -> usize {
        self.visits.len()
    }

    /// Whether no CI is impacted (no failed CI was given).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.visits.is_empty()
    }

    /// The `i`-th impacted CI, in the order of [`ImpactReport::impacted`].
    #[must_use]
    pub fn get(&self, i: usize) -> Option<ImpactedCi<'_>> {
        self.visits
            .get(i)
            .map(|&visit| visit_entry(self.index, &self.visits, visit))
    }

    /// The impacted CIs, in the order of [`ImpactReport::impacted`].
    pub fn iter(&self) -> impl ExactSizeIterator<Item = ImpactedCi<'_>> + '_ {
        self.visits
            .iter()
            .map(|&visit| visit_entry(self.index, &self.visits, visit))
    }

    /// The impacted business services, in the order of [`ImpactReport::services`].
    pub fn services(&self) -> impl Iterator<Item = CiId> + '_ {
        self.iter().filter(ImpactedCi::is_service).map(|r| r.ci())
    }

    /// The CIs whose redundancy held, as in [`ImpactReport::degraded`].
    pub fn degraded(&self) -> impl ExactSizeIterator<Item = DegradedCi> + '_ {
        self.degraded.iter().map(|&(e, failed)| {
            degraded_ci(self.index, self.index.redundancy()[e as usize], failed)
        })
    }

    /// Whether `ci` is impacted (or failed).
    #[must_use]
    pub fn is_impacted(&self, ci: &CiId) -> bool {
        self.position(ci).is_some()
    }

    /// One explanation path, as [`ImpactReport::path_to`]: from a failed CI
    /// to `ci`; `None` when `ci` is not impacted.
    #[must_use]
    pub fn path_to(&self, ci: &CiId) -> Option<Vec<CiId>> {
        let mut at = self.position(ci)?;
        let mut path = Vec::with_capacity(self.visits[at].depth as usize + 1);
        // Each step moves to an earlier visit: at most `len` steps.
        for _ in 0..self.visits.len() {
            let visit = self.visits[at];
            path.push(self.index.id(visit.node));
            if visit.pred == NONE {
                path.reverse();
                return Some(path);
            }
            at = visit.pred as usize;
        }
        None
    }

    /// The position in the visits of `ci`.
    fn position(&self, ci: &CiId) -> Option<usize> {
        let node = self.index.dense(ci)?;
        self.visits.iter().position(|v| v.node == node)
    }

    /// The index the report reads from.
    #[must_use]
    pub fn index(&self) -> &'a GraphIndex {
        self.index
    }

    /// The whole [`ImpactReport`] ([`Searcher::impact`] returns exactly this).
    #[must_use]
    pub fn to_report(&self) -> ImpactReport {
        let impacted = reached_of(self.index, &self.visits);
        let services = impacted
            .iter()
            .filter(|r| r.service)
            .map(|r| r.ci)
            .collect();
        ImpactReport {
            impacted,
            services,
            degraded: self.degraded().collect(),
        }
    }
}

impl Serialize for CompactImpactReport<'_> {
    /// As the [`ImpactReport`] it stands for, field by field, without
    /// building it.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        struct Seq<F>(F);
        impl<F, I, T> Serialize for Seq<F>
        where
            F: Fn() -> I,
            I: Iterator<Item = T>,
            T: Serialize,
        {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_seq((self.0)())
            }
        }
        let mut s = serializer.serialize_struct("ImpactReport", 3)?;
        s.serialize_field("impacted", &Seq(|| self.iter().map(|r| r.to_reached())))?;
        s.serialize_field("services", &Seq(|| self.services()))?;
        s.serialize_field("degraded", &Seq(|| self.degraded()))?;
        s.end()
    }
}

fn degraded_ci(
    index: &GraphIndex,
    entry: crate::index::RedundancyEntry,
    failed: u32,
) -> DegradedCi {
    DegradedCi {
        ci: index.id(entry.node),
        relationship_type: index.type_name(entry.ty).to_owned(),
        failed,
        total: entry.total,
        required: entry.required,
    }
}

impl<'s> ImpactedCi<'s> {
    /// The CI.
    #[must_use]
    pub fn ci(&self) -> CiId {
        self.index.id(self.visit.node)
    }

    /// The CI's position in [`GraphIndex::ci_ids`].
    #[must_use]
    pub fn position(&self) -> usize {
        self.visit.node as usize
    }

    /// How many relationships away from the nearest failed CI (0 for a failed CI).
    #[must_use]
    pub fn depth(&self) -> u32 {
        self.visit.depth
    }

    /// The CI it was reached from; `None` for a failed CI.
    #[must_use]
    pub fn via(&self) -> Option<CiId> {
        (self.via != NONE).then(|| self.index.id(self.via))
    }

    /// The position in [`GraphIndex::ci_ids`] of the CI it was reached from.
    #[must_use]
    pub fn via_position(&self) -> Option<usize> {
        (self.via != NONE).then_some(self.via as usize)
    }

    /// The type of the relationship between `via` and this CI.
    #[must_use]
    pub fn relationship_type(&self) -> Option<&'s str> {
        (self.via != NONE).then(|| self.index.type_name(self.visit.ty))
    }

    /// The position of that type in [`GraphIndex::relationship_types`].
    #[must_use]
    pub fn relationship_type_position(&self) -> Option<usize> {
        (self.via != NONE).then_some(self.visit.ty as usize)
    }

    /// Whether the CI is a business service.
    #[must_use]
    pub fn is_service(&self) -> bool {
        self.index.is_service_dense(self.visit.node)
    }

    /// The owned form, as in [`ImpactReport::impacted`].
    #[must_use]
    pub fn to_reached(&self) -> ReachedCi {
        ReachedCi {
            ci: self.ci(),
            depth: self.depth(),
            via: self.via(),
            relationship_type: self.relationship_type_position().map(|t| {
                // Positions come from the index (its types fit in u32).
                self.index.shared_type_name(t as u32)
            }),
            service: self.is_service(),
        }
    }
}

/// `visits` as [`ReachedCi`]s.
fn reached_of(index: &GraphIndex, visits: &[Visit]) -> Vec<ReachedCi> {
    visits
        .iter()
        .map(|visit| {
            let (via, relationship_type) = if visit.pred == NONE {
                (None, None)
            } else {
                let from = visits[visit.pred as usize].node;
                (Some(index.id(from)), Some(index.shared_type_name(visit.ty)))
            };
            ReachedCi {
                ci: index.id(visit.node),
                depth: visit.depth,
                via,
                relationship_type,
                service: index.is_service_dense(visit.node),
            }
        })
        .collect()
}

/// Which arcs a traversal follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Direction {
    /// From a CI to the CIs its failure impacts.
    Impact,
    /// From a CI to the CIs whose failure impacts it.
    Depend,
    /// Both of the above.
    Either,
}

/// How a propagation runs.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Walk {
    pub(crate) direction: Direction,
    pub(crate) max_depth: Option<u32>,
    /// Apply redundancy (impact direction only).
    pub(crate) redundancy: bool,
    /// Only enter nodes whose `mark` is the current mark epoch.
    pub(crate) within_marked: bool,
    /// Stop as soon as a node whose `aux` is the current aux epoch is reached.
    pub(crate) stop_at_aux: bool,
    /// Depend direction only: do not follow an arc of a type over which the
    /// dependent CI declares redundancy.
    pub(crate) skip_guarded: bool,
}

impl Walk {
    pub(crate) fn new(direction: Direction) -> Self {
        Self {
            direction,
            max_depth: None,
            redundancy: false,
            within_marked: false,
            stop_at_aux: false,
            skip_guarded: false,
        }
    }
}

/// Reusable scratch for queries on one [`GraphIndex`]: visited marks and
/// counters stamped with an epoch, so a query costs what it visits, never
/// the size of the graph nor what the previous query visited. The visited
/// marks are one bit per CI in 64-bit words that also carry the epoch of
/// the walk that wrote them (32 CIs a word: 2 bits per CI, small enough to
/// stay in cache); a word written by an older walk reads as empty, so
/// starting a walk clears nothing.
///
/// Keep one per thread and reuse it; the index itself stays shared.
///
/// ```
/// # use itsm_cmdb::{CmdbData, GraphIndex, QueryOptions};
/// let index = GraphIndex::build(&CmdbData::default())?;
/// let mut searcher = index.searcher();
/// let report = searcher.impact(&[], &QueryOptions::new())?;
/// assert!(report.impacted.is_empty());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Searcher<'a> {
    pub(crate) index: &'a GraphIndex,
    /// Per 32 nodes: the epoch of the walk that last wrote the word in the
    /// high half, one bit per node reached by that walk in the low half.
    visited: Vec<u64>,
    /// The last walk's visits in breadth-first order.
    pub(crate) queue: Vec<Visit>,
    epoch: u32,
    pub(crate) mark_epoch: u32,
    pub(crate) mark: Vec<u32>,
    pub(crate) aux_epoch: u32,
    pub(crate) aux: Vec<u32>,
    /// Per redundancy entry.
    red: Vec<RedSlot>,
    /// The redundancy entries that counted a failure in the last walk,
    /// each with the node that declares it.
    pub(crate) touched_red: Vec<(u32, u32)>,
    pub(crate) follow: Vec<bool>,
    /// Whether `follow` holds every type (no filter): the walk skips the check.
    all_types: bool,
    /// The resolved starting CIs of the last impact analysis.
    sources: Vec<u32>,
}

/// One visit of a walk.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Visit {
    pub(crate) node: u32,
    pub(crate) depth: u32,
    /// The position in the queue of the visit it was reached from (`NONE`
    /// for a starting node).
    pub(crate) pred: u32,
    /// The relationship type it was reached by.
    pub(crate) ty: u32,
    /// The starting node it descends from.
    pub(crate) origin: u32,
}

/// A redundancy entry's state in the current walk.
#[derive(Clone, Copy, Debug)]
struct RedSlot {
    stamp: u32,
    /// How many dependencies of its type failed.
    count: u32,
    /// The queue position of the visit whose failure counted last.
    last: u32,
    /// The entry's tolerance, copied here so that the walk reads one place.
    tolerance: u32,
}

impl GraphIndex {
    /// A fresh [`Searcher`] for queries on this index. It allocates a few
    /// bytes per CI once; reuse it across queries.
    #[must_use]
    pub fn searcher(&self) -> Searcher<'_> {
        Searcher::new(self)
    }
}

/// Up to this many visits, a walk asks for each reached node's row as it
/// reaches it.
const FETCH_ON_PUSH: usize = 32;

/// The epoch half of a visited word.
const HIGH: u64 = 0xFFFF_FFFF_0000_0000;

/// Advances an epoch, clearing its stamps on wrap-around.
fn bump(epoch: &mut u32, stamps: &mut [u32]) -> u32 {
    if *epoch == u32::MAX {
        stamps.fill(0);
        *epoch = 0;
    }
    *epoch += 1;
    *epoch
}

impl<'a> Searcher<'a> {
    /// A searcher over `index`.
    #[must_use]
    pub fn new(index: &'a GraphIndex) -> Self {
        let n = index.len();
        Self {
            index,
            visited: vec![0; n.div_ceil(32)],
            queue: Vec::new(),
            epoch: 0,
            mark_epoch: 0,
            mark: Vec::new(),
            aux_epoch: 0,
            aux: Vec::new(),
            red: index
                .redundancy()
                .iter()
                .map(|e| RedSlot {
                    stamp: 0,
                    count: 0,
                    last: NONE,
                    tolerance: e.tolerance,
                })
                .collect(),
            touched_red: Vec::new(),
            follow: vec![true; index.type_count()],
            all_types: true,
            sources: Vec::new(),
        }
    }

    /// The index this searcher queries.
    #[must_use]
    pub fn index(&self) -> &'a GraphIndex {
        self.index
    }

    /// The next mark epoch; the marks are allocated on first use (only
    /// some queries need them).
    pub(crate) fn next_mark(&mut self) -> u32 {
        if self.mark.is_empty() {
            self.mark = vec![0; self.index.len()];
        }
        bump(&mut self.mark_epoch, &mut self.mark)
    }

    /// The next aux epoch; allocated on first use like the marks.
    pub(crate) fn next_aux(&mut self) -> u32 {
        if self.aux.is_empty() {
            self.aux = vec![0; self.index.len()];
        }
        bump(&mut self.aux_epoch, &mut self.aux)
    }

    /// Whether the last walk reached `v`.
    #[inline]
    pub(crate) fn was_reached(&self, v: u32) -> bool {
        let word = self.visited[(v >> 5) as usize];
        word >> 32 == u64::from(self.epoch) && word & (1u64 << (v & 31)) != 0
    }

    /// Marks `v` reached by the current walk (stamped `stamp`, the epoch in
    /// the high half); `false` when it already was.
    #[inline]
    fn visit(&mut self, v: u32, stamp: u64) -> bool {
        let word = &mut self.visited[(v >> 5) as usize];
        let bit = 1u64 << (v & 31);
        if *word & HIGH != stamp {
            // Written by an older walk: nothing of it holds for this one.
            *word = stamp | bit;
            return true;
        }
        if *word & bit != 0 {
            return false;
        }
        *word |= bit;
        true
    }

    /// Sets which relationship types the next traversals follow.
    pub(crate) fn set_filter(&mut self, types: Option<&[String]>) -> Result<(), CmdbError> {
        if types.is_none() && self.all_types {
            // Already following every type (the usual case): nothing to write.
            return Ok(());
        }
        self.all_types = types.is_none();
        match types {
            None => self.follow.fill(true),
            Some(names) => {
                self.follow.fill(false);
                for name in names {
                    let ty = self
                        .index
                        .type_id(name)
                        .ok_or_else(|| CmdbError::UnknownRelationshipType { name: name.clone() })?;
                    self.follow[ty as usize] = true;
                }
            }
        }
        Ok(())
    }

    /// Resolves CI ids to dense ids, de-duplicated, in order.
    pub(crate) fn resolve(&mut self, cis: &[CiId]) -> Result<Vec<u32>, CmdbError> {
        let mut seen = std::collections::HashSet::with_capacity(cis.len());
        let mut out = Vec::with_capacity(cis.len());
        for ci in cis {
            let d = self.index.dense_or_err(ci)?;
            if seen.insert(d) {
                out.push(d);
            }
        }
        Ok(out)
    }

    /// Breadth-first propagation from `sources` (depth 0). Afterwards
    /// `queue` holds every visit in order and `was_reached` answers for any
    /// node; `touched_red` lists the redundancy entries that counted a
    /// failure. Returns the node at which it stopped early, if any (then the
    /// last visit in `queue`).
    pub(crate) fn walk(&mut self, sources: &[u32], walk: Walk) -> Option<u32> {
        // An impact analysis over every type, the query most asked, runs a
        // copy of the walk compiled without the options it does not use.
        let plain = walk.direction == Direction::Impact
            && walk.redundancy
            && walk.max_depth.is_none()
            && !walk.within_marked
            && !walk.stop_at_aux
            && !walk.skip_guarded
            && self.all_types;
        if plain {
            self.walk_with::<true>(sources, walk)
        } else {
            self.walk_with::<false>(sources, walk)
        }
    }

    /// [`Searcher::walk`]; `PLAIN` when `walk` is a plain impact analysis
    /// (see there), whose checks of the other options then compile away.
    fn walk_with<const PLAIN: bool>(&mut self, sources: &[u32], walk: Walk) -> Option<u32> {
        // Nothing of the previous walk is cleared: its marks and counters
        // carry an older epoch.
        self.queue.clear();
        self.touched_red.clear();
        if self.epoch == u32::MAX {
            // Once in 4 billion walks: every stamp back to 0.
            self.epoch = 0;
            self.red.iter_mut().for_each(|r| r.stamp = 0);
            self.visited.fill(0);
        }
        self.epoch += 1;
        let epoch = self.epoch;
        let stamp = u64::from(epoch) << 32;
        for &s in sources {
            if self.visit(s, stamp) {
                self.queue.push(Visit {
                    node: s,
                    depth: 0,
                    pred: NONE,
                    ty: 0,
                    origin: s,
                });
                if !PLAIN && walk.stop_at_aux && self.aux[s as usize] == self.aux_epoch {
                    return Some(s);
                }
            }
        }
        let index = self.index;
        let check_redundancy = PLAIN || (walk.redundancy && walk.direction == Direction::Impact);
        let depend = !PLAIN && walk.direction == Direction::Depend;
        // The searcher's buffers as locals: the compiler then keeps their
        // addresses in registers across the pushes.
        let Self {
            visited,
            queue,
            red,
            touched_red,
            follow,
            all_types,
            mark,
            mark_epoch,
            aux,
            aux_epoch,
            ..
        } = self;
        let (all_types, mark_epoch, aux_epoch) = (*all_types, *mark_epoch, *aux_epoch);
        let mut head = 0;
        while head < queue.len() {
            let Visit {
                node: u,
                depth: d,
                origin,
                ..
            } = queue[head];
            let position = head as u32;
            head += 1;
            // Fetch ahead: the row of the next node in the queue and the
            // offsets of the one after, so that their cache misses overlap
            // with this node's work instead of following it.
            if let Some(next) = queue.get(head) {
                index.fetch_row(depend, next.node);
            }
            if let Some(after) = queue.get(head + 1) {
                index.fetch_offsets(depend, after.node);
            }
            if !PLAIN && walk.max_depth.is_some_and(|m| d >= m) {
                continue;
            }
            let (first, second) = match walk.direction {
                _ if PLAIN => (index.impact_arcs(u), &[][..]),
                Direction::Impact => (index.impact_arcs(u), &[][..]),
                Direction::Depend => (index.depend_arcs(u), &[][..]),
                Direction::Either => (index.impact_arcs(u), index.depend_arcs(u)),
            };
            let guarded = !PLAIN && walk.skip_guarded && index.has_redundancy(u);
            // Two plain slices, the second empty unless both ways are
            // walked: a chained iterator would test which half it is in at
            // every arc.
            for part in [first, second] {
                for &arc in part {
                    let (v, ty) = index.unpack(arc);
                    let (w, b) = ((v >> 5) as usize, 1u64 << (v & 31));
                    let word = visited[w];
                    if word & HIGH == stamp && word & b != 0 {
                        continue;
                    }
                    if !PLAIN {
                        if !all_types && !follow[ty as usize] {
                            continue;
                        }
                        if guarded && index.redundancy_entry(u, ty).is_some() {
                            continue;
                        }
                        if walk.within_marked && mark[v as usize] != mark_epoch {
                            continue;
                        }
                    }
                    if check_redundancy && let Some(e) = index.redundancy_entry(v, ty) {
                        let slot = &mut red[e];
                        if slot.stamp != epoch {
                            (slot.stamp, slot.count) = (epoch, 0);
                            touched_red.push((e as u32, v));
                        }
                        slot.count += 1;
                        slot.last = position;
                        if slot.count <= slot.tolerance {
                            continue;
                        }
                    }
                    // A word of an older walk starts afresh with this bit.
                    visited[w] = if word & HIGH == stamp { word } else { stamp } | b;
                    queue.push(Visit {
                        node: v,
                        depth: d + 1,
                        pred: position,
                        ty,
                        origin,
                    });
                    // Its row is read when its turn comes: in a small
                    // analysis (most are), ask for it now, so that the
                    // misses of a node's children overlap. A cascade has
                    // the queue ahead of it to overlap them with.
                    if queue.len() <= FETCH_ON_PUSH {
                        index.fetch_row(depend, v);
                    }
                    if !PLAIN && walk.stop_at_aux && aux[v as usize] == aux_epoch {
                        return Some(v);
                    }
                }
            }
        }
        None
    }

    /// For each redundancy entry of the last walk that held: the entry, how
    /// many of its dependencies failed, and the visit that counted last.
    pub(crate) fn held(
        &self,
    ) -> impl Iterator<Item = (crate::index::RedundancyEntry, u32, Visit)> + '_ {
        self.held_entries().map(|(e, count)| {
            let last = self.red[e as usize].last;
            (
                self.index.redundancy()[e as usize],
                count,
                self.queue[last as usize],
            )
        })
    }

    /// For each redundancy entry of the last walk that held: its position
    /// in the index's table and how many of its dependencies failed (the
    /// entry itself is not read).
    fn held_entries(&self) -> impl Iterator<Item = (u32, u32)> + '_ {
        self.touched_red
            .iter()
            .filter(|&&(_, node)| !self.was_reached(node))
            .map(|&(e, _)| (e, self.red[e as usize].count))
    }

    /// The visits of the last walk as [`ReachedCi`]s.
    pub(crate) fn reached(&self) -> Vec<ReachedCi> {
        reached_of(self.index, &self.queue)
    }

    /// The redundancy entries of the last walk that held.
    pub(crate) fn degraded(&self) -> Vec<DegradedCi> {
        let index = self.index;
        self.held()
            .map(|(entry, failed, _)| degraded_ci(index, entry, failed))
            .collect()
    }

    /// Impact analysis: every CI impacted when `failed` fail, with depth and
    /// an explanation path, respecting redundancy.
    ///
    /// A failure travels along each relationship as its type's
    /// [`ImpactDirection`](crate::ImpactDirection) says (`depends_on` is
    /// `to_source`: the database fails, the application that depends on it
    /// is impacted). A CI declaring [`Redundancy`](crate::Redundancy) over a
    /// type is impacted through that type only when fewer than the required
    /// number of its dependencies of that type stay up; until then it is
    /// reported in [`ImpactReport::degraded`] and propagates nothing.
    ///
    /// # Errors
    /// [`CmdbError::UnknownCi`] for a failed CI the index does not hold;
    /// [`CmdbError::UnknownRelationshipType`] for an unknown type in the options.
    pub fn impact(
        &mut self,
        failed: &[CiId],
        options: &QueryOptions,
    ) -> Result<ImpactReport, CmdbError> {
        Ok(self.impact_view(failed, options)?.to_report())
    }

    /// [`Searcher::impact`] as a [`CompactImpactReport`]: the same
    /// analysis and the same content, owned, for the cost of the analysis
    /// alone. A report of a few CIs holds them inline; a larger one takes
    /// over the searcher's buffer of visits, and the searcher starts a new
    /// one with room for a typical analysis (a query that reaches more
    /// grows it).
    ///
    /// # Errors
    /// As [`Searcher::impact`].
    pub fn impact_compact(
        &mut self,
        failed: &[CiId],
        options: &QueryOptions,
    ) -> Result<CompactImpactReport<'a>, CmdbError> {
        self.impact_view(failed, options)?;
        let degraded = Few::collect(self.held_entries(), (0, 0));
        let visits = if self.queue.len() <= INLINE {
            Few::copy(&self.queue, BLANK_VISIT)
        } else {
            // Taken over rather than copied. The searcher's next buffer is
            // allocated here, with room for a typical analysis, rather than
            // grown from nothing by the next query (several reallocations
            // paid by a query that may reach only a few CIs).
            Few::Heap(std::mem::replace(
                &mut self.queue,
                Vec::with_capacity(SPARE_VISITS),
            ))
        };
        Ok(CompactImpactReport {
            index: self.index,
            visits,
            degraded,
        })
    }

    /// [`Searcher::impact`] without building the report: the same analysis,
    /// with its result left in the searcher's buffers and borrowed as an
    /// [`ImpactView`] (no allocation once the searcher has served a query of
    /// that size). Read what you need from the view, or turn it into the
    /// [`ImpactReport`] with [`ImpactView::to_report`]; the next query
    /// replaces it.
    ///
    /// ```
    /// # use itsm_cmdb::{Cmdb, CmdbData, ConfigurationItem, QueryOptions, Relationship};
    /// # use itsm_core::CiId;
    /// let (app, db) = (CiId::from_u128(1), CiId::from_u128(2));
    /// let mut cmdb = Cmdb::import(CmdbData::starter())?;
    /// cmdb.add_ci(ConfigurationItem::new(app, "application", "payroll"))?;
    /// cmdb.add_ci(ConfigurationItem::new(db, "database", "payroll-db"))?;
    /// cmdb.add_relationship(Relationship::new(app, "depends_on", db))?;
    /// let index = cmdb.index()?;
    /// let mut searcher = index.searcher();
    /// let view = searcher.impact_view(&[db], &QueryOptions::new())?;
    /// assert_eq!(view.len(), 2);
    /// let reached = view.get(1).expect("the application");
    /// assert_eq!((reached.ci(), reached.depth(), reached.via()), (app, 1, Some(db)));
    /// assert_eq!(reached.relationship_type(), Some("depends_on"));
    /// let report = view.to_report();
    /// assert_eq!(report, index.impact(&[db], &QueryOptions::new())?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// As [`Searcher::impact`].
    pub fn impact_view(
        &mut self,
        failed: &[CiId],
        options: &QueryOptions,
    ) -> Result<ImpactView<'_, 'a>, CmdbError> {
        self.set_filter(options.relationship_types.as_deref())?;
        // The walk drops repeated starting CIs itself.
        let mut sources = std::mem::take(&mut self.sources);
        sources.clear();
        let resolved = failed.iter().try_for_each(|ci| {
            sources.push(self.index.dense_fetching_impact_row(ci)?);
            Ok::<(), CmdbError>(())
        });
        if let Err(e) = resolved {
            self.sources = sources;
            return Err(e);
        }
        self.walk(
            &sources,
            Walk {
                max_depth: options.max_depth,
                redundancy: true,
                ..Walk::new(Direction::Impact)
            },
        );
        self.sources = sources;
        Ok(ImpactView { searcher: self })
    }

    /// The dependencies of `cis`: every CI whose failure would travel to
    /// them (the other direction of [`Searcher::impact`]), with depth and the
    /// chain that leads to it. Redundancy does not hide a dependency.
    ///
    /// # Errors
    /// [`CmdbError::UnknownCi`] for a CI the index does not hold;
    /// [`CmdbError::UnknownRelationshipType`] for an unknown type in the options.
    pub fn dependencies(
        &mut self,
        cis: &[CiId],
        options: &QueryOptions,
    ) -> Result<DependencyReport, CmdbError> {
        self.set_filter(options.relationship_types.as_deref())?;
        let sources = self.resolve(cis)?;
        self.walk(
            &sources,
            Walk {
                max_depth: options.max_depth,
                ..Walk::new(Direction::Depend)
            },
        );
        Ok(DependencyReport {
            dependencies: self.reached(),
        })
    }
}

impl GraphIndex {
    /// [`Searcher::impact`] with a fresh searcher (allocates per call; keep
    /// a [`Searcher`] for repeated queries).
    ///
    /// # Errors
    /// As [`Searcher::impact`].
    pub fn impact(
        &self,
        failed: &[CiId],
        options: &QueryOptions,
    ) -> Result<ImpactReport, CmdbError> {
        self.searcher().impact(failed, options)
    }

    /// [`Searcher::dependencies`] with a fresh searcher.
    ///
    /// # Errors
    /// As [`Searcher::dependencies`].
    pub fn dependencies(
        &self,
        cis: &[CiId],
        options: &QueryOptions,
    ) -> Result<DependencyReport, CmdbError> {
        self.searcher().dependencies(cis, options)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Cmdb, CmdbData, ConfigurationItem, Relationship};

    /// `Few` keeps what it is given, in order, inline up to its size.
    #[test]
    fn few_keeps_every_item_in_order() {
        for n in 0..=9u32 {
            let few: Few<u32, 4> = Few::collect(0..n, u32::MAX);
            assert_eq!(&*few, (0..n).collect::<Vec<_>>().as_slice(), "{n} items");
            assert_eq!(
                matches!(few, Few::Inline { .. }),
                n <= 4,
                "{n} items: inline up to 4"
            );
        }
    }

    /// A searcher whose epoch wraps around between queries answers as a
    /// fresh one: the wrap clears every stamp, so the marks of the walks
    /// before it (stamped with large epochs) cannot pass for new ones.
    #[test]
    fn searcher_answers_across_the_epoch_wrap() {
        let id = CiId::from_u128;
        let mut cmdb = Cmdb::import(CmdbData::starter()).expect("the starter imports");
        for i in 1..=4 {
            cmdb.add_ci(ConfigurationItem::new(id(i), "application", "app"))
                .expect("a new CI");
        }
        for (source, target) in [(2, 1), (3, 2), (4, 3)] {
            cmdb.add_relationship(Relationship::new(id(source), "depends_on", id(target)))
                .expect("a new relationship");
        }
        let index = cmdb.index().expect("a valid store");
        let options = QueryOptions::new();
        let mut searcher = index.searcher();
        // (epoch to set before the query, failed CI): the first query marks
        // the whole chain at epoch 1; the second wraps back to epoch 1,
        // where the first query's marks must not count.
        let rounds = [
            (None, 1),
            (Some(u32::MAX), 4),
            (None, 3),
            (None, 1),
            (Some(u32::MAX - 1), 1),
            (None, 4),
            (None, 2),
        ];
        for (round, (epoch, failed)) in rounds.into_iter().enumerate() {
            if let Some(e) = epoch {
                searcher.epoch = e;
            }
            let report = searcher.impact(&[id(failed)], &options).expect("known CI");
            let expected = index.impact(&[id(failed)], &options).expect("known CI");
            assert_eq!(report, expected, "round {round}, failed {failed}");
            assert_eq!(report.impacted.len(), 5 - failed as usize, "round {round}");
        }
        assert!(
            searcher.epoch < 10,
            "the epoch wrapped ({})",
            searcher.epoch
        );
    }
}
