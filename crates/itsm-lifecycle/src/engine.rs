//! [`Workflow`]: a validated definition compiled into dense tables, and the
//! pure functions over it: [`Workflow::apply`], [`Workflow::allowed_events`]
//! and [`Workflow::replay`].

use std::collections::{HashMap, VecDeque};

use chrono::{DateTime, Utc};
use itsm_core::{PersonId, StateCategory, TimelineChange, TimelineEvent};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::definition::q;
use crate::key::{EventKey, StateKey, WorkflowKey};
use crate::{
    DefinitionIssue, Effect, GuardContext, IssueKind, LifecycleError, Refusal, ReplayFault,
    WorkflowDefinition,
};

const NONE: u32 = u32::MAX;
/// The largest state × event table a definition may compile to.
const MAX_CELLS: usize = 1 << 24;
/// Up to this many outgoing transitions, string events are found by comparison, not hashing.
const SCAN_LIMIT: usize = 8;

/// One entry of a record's audit history: a transition that happened.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(rename = "AuditEntry")]
pub struct AuditEntry<S, E> {
    /// The state the record left.
    pub from: S,
    /// The state the record entered.
    pub to: S,
    /// What happened.
    pub event: E,
    /// Who did it; `None` for the system (auto-close, an integration).
    #[serde(default)]
    pub actor: Option<PersonId>,
    /// When.
    pub at: DateTime<Utc>,
    /// The reason given, such as the on-hold reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// An accepted transition: the audit entry to store, the effects for the
/// caller to apply, and the timeline event for the SLA clock.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(rename = "Transition")]
pub struct Transition<S, E> {
    /// What happened, to append to the record's audit history.
    pub audit: AuditEntry<S, E>,
    /// The category of the state left.
    pub from_category: StateCategory,
    /// The category of the state entered.
    pub to_category: StateCategory,
    /// What else changes, for the caller to apply.
    pub effects: Vec<Effect>,
    /// The timeline event (a `state_changed`) that the SLA clock replays.
    pub timeline: TimelineEvent,
}

impl<S, E> Transition<S, E> {
    /// Whether this transition enters a paused state (an SLA clock stops).
    #[must_use]
    pub fn enters_pause(&self) -> bool {
        self.to_category == StateCategory::Paused && self.from_category != StateCategory::Paused
    }

    /// Whether this transition leaves a paused state (an SLA clock restarts).
    #[must_use]
    pub fn leaves_pause(&self) -> bool {
        self.from_category == StateCategory::Paused && self.to_category != StateCategory::Paused
    }
}

/// Maps keys to dense indices: one array lookup for keys with an ordinal,
/// a hash lookup otherwise.
#[derive(Clone, Debug)]
struct KeyIndex<K> {
    by_ordinal: Vec<u32>,
    by_key: HashMap<K, u32>,
}

impl<K: WorkflowKey> KeyIndex<K> {
    fn new() -> Self {
        Self {
            by_ordinal: Vec::new(),
            by_key: HashMap::new(),
        }
    }

    /// Inserts `key` as `index` unless present; returns the index it has.
    fn insert(&mut self, key: &K, index: u32) -> u32 {
        if let Some(&existing) = self.by_key.get(key) {
            return existing;
        }
        self.by_key.insert(key.clone(), index);
        if let Some(o) = key.ordinal().filter(|&o| o < MAX_CELLS) {
            if self.by_ordinal.len() <= o {
                self.by_ordinal.resize(o + 1, NONE);
            }
            self.by_ordinal[o] = index;
        }
        index
    }

    #[inline]
    fn get(&self, key: &K) -> Option<u32> {
        match key.ordinal() {
            Some(o) if o < MAX_CELLS => self.by_ordinal.get(o).copied().filter(|&i| i != NONE),
            _ => self.by_key.get(key).copied(),
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct Compiled {
    from: u32,
    to: u32,
    event: u32,
    /// The transition's index in the definition.
    def: u32,
}

/// A validated workflow, compiled into dense tables: states and events are
/// numbered, transitions sit in a flat (state × event) table, so
/// [`apply`](Workflow::apply) and [`replay`](Workflow::replay) are a few
/// array lookups.
#[derive(Clone, Debug)]
pub struct Workflow<S: StateKey, E: EventKey> {
    definition: WorkflowDefinition<S, E>,
    /// State keys by index (declaration order).
    states: Vec<S>,
    categories: Vec<StateCategory>,
    /// Index of each state's definition.
    state_defs: Vec<u32>,
    terminal: Vec<bool>,
    state_index: KeyIndex<S>,
    events: Vec<E>,
    event_index: KeyIndex<E>,
    /// `table[state * events.len() + event]` = index into `transitions`, or `NONE`.
    table: Vec<u32>,
    transitions: Vec<Compiled>,
    /// Outgoing transitions of each state, in definition order (CSR).
    out_offsets: Vec<u32>,
    out: Vec<u32>,
    initial: u32,
}

fn issue(path: String, kind: IssueKind, message: String) -> DefinitionIssue {
    DefinitionIssue {
        path,
        kind,
        message,
    }
}

impl<S: StateKey, E: EventKey> Workflow<S, E> {
    /// Validates `definition` against the guards `guards` knows, and compiles it.
    ///
    /// # Errors
    /// [`LifecycleError::InvalidDefinition`] listing every problem at once:
    /// unknown or duplicate states, duplicate (state, event) pairs, states
    /// unreachable from the initial state, non-terminal states from which no
    /// terminal (or closed or cancelled) state can be reached, terminal states
    /// with outgoing transitions, guards `guards` does not know, typed states
    /// declared with another category than their own, empty or repeated
    /// names, and definitions too large to compile.
    pub fn new(
        definition: WorkflowDefinition<S, E>,
        guards: &impl GuardContext,
    ) -> Result<Self, LifecycleError> {
        let mut issues = Vec::new();
        let d = &definition;

        // Names that reach messages, timelines and diagrams: printable,
        // not empty, bounded.
        check_name(&mut issues, "name", &d.name, "workflow");
        for (i, st) in d.states.iter().enumerate() {
            check_name(
                &mut issues,
                &format!("states[{i}].key"),
                &st.key.wire_name(),
                "state",
            );
        }
        for (i, t) in d.transitions.iter().enumerate() {
            check_name(
                &mut issues,
                &format!("transitions[{i}].event"),
                &t.event.wire_name(),
                "event",
            );
        }

        // States.
        let mut state_index = KeyIndex::new();
        let mut states: Vec<S> = Vec::with_capacity(d.states.len());
        let mut categories = Vec::with_capacity(d.states.len());
        let mut state_defs = Vec::with_capacity(d.states.len());
        for (i, st) in d.states.iter().enumerate() {
            let next = u32::try_from(states.len()).unwrap_or(NONE);
            let got = state_index.insert(&st.key, next);
            if got != next {
                issues.push(issue(
                    format!("states[{i}].key"),
                    IssueKind::DuplicateState,
                    format!(
                        "state {} is declared twice (first at states[{}])",
                        q(&st.key),
                        state_defs[got as usize]
                    ),
                ));
                continue;
            }
            if let Some(own) = st.key.intrinsic_category().filter(|c| *c != st.category) {
                issues.push(issue(
                    format!("states[{i}].category"),
                    IssueKind::CategoryMismatch,
                    format!(
                        "state {} is declared {} but its category is {own}",
                        q(&st.key),
                        st.category
                    ),
                ));
            }
            check_names(
                &mut issues,
                &format!("states[{i}].required_fields"),
                &st.required_fields,
                "required field",
            );
            check_names(
                &mut issues,
                &format!("states[{i}].reasons"),
                &st.reasons,
                "reason",
            );
            for (reason, fields) in &st.reason_fields {
                let path = format!("states[{i}].reason_fields.{reason}");
                if !st.reasons.contains(reason) {
                    issues.push(issue(
                        path.clone(),
                        IssueKind::BadName,
                        format!("reason {reason:?} has required fields but is not one of the state's reasons"),
                    ));
                }
                check_names(&mut issues, &path, fields, "required field");
            }
            for reason in st.reason_comments.keys() {
                if !st.reasons.contains(reason) {
                    issues.push(issue(
                        format!("states[{i}].reason_comments.{reason}"),
                        IssueKind::BadName,
                        format!("reason {reason:?} requires a comment but is not one of the state's reasons"),
                    ));
                }
            }
            states.push(st.key.clone());
            categories.push(st.category);
            state_defs.push(u32::try_from(i).unwrap_or(NONE));
        }
        let n = states.len();
        let unknown = |issues: &mut Vec<DefinitionIssue>, path: String, key: &S| {
            issues.push(issue(
                path,
                IssueKind::UnknownState,
                format!("state {} is not declared in `states`", q(key)),
            ));
        };

        let initial = state_index.get(&d.initial);
        if initial.is_none() {
            unknown(&mut issues, "initial".to_owned(), &d.initial);
        }
        let mut terminal = vec![false; n];
        for (i, t) in d.terminal.iter().enumerate() {
            match state_index.get(t) {
                Some(s) => terminal[s as usize] = true,
                None => unknown(&mut issues, format!("terminal[{i}]"), t),
            }
        }

        // Events.
        let mut event_index = KeyIndex::new();
        let mut events: Vec<E> = Vec::new();
        for t in &d.transitions {
            let next = u32::try_from(events.len()).unwrap_or(NONE);
            if event_index.insert(&t.event, next) == next {
                events.push(t.event.clone());
            }
        }
        let m = events.len();
        let cells = n.saturating_mul(m);
        if cells > MAX_CELLS {
            issues.push(issue(
                "states".to_owned(),
                IssueKind::TooLarge,
                format!("{n} states × {m} events is more than {MAX_CELLS} cells"),
            ));
            return Err(LifecycleError::InvalidDefinition {
                workflow: d.name.clone(),
                issues,
            });
        }

        // Transitions.
        let mut table = vec![NONE; cells];
        let mut transitions = Vec::with_capacity(d.transitions.len());
        for (i, t) in d.transitions.iter().enumerate() {
            let from = state_index.get(&t.from);
            let to = state_index.get(&t.to);
            if from.is_none() {
                unknown(&mut issues, format!("transitions[{i}].from"), &t.from);
            }
            if to.is_none() {
                unknown(&mut issues, format!("transitions[{i}].to"), &t.to);
            }
            for (j, g) in t.guards.iter().enumerate() {
                if !guards.knows_guard(g) {
                    issues.push(issue(
                        format!("transitions[{i}].guards[{j}]"),
                        IssueKind::UnknownGuard,
                        format!("guard {g:?} is not known to the guard context"),
                    ));
                }
            }
            check_names(
                &mut issues,
                &format!("transitions[{i}].guards"),
                &t.guards,
                "guard",
            );
            let (Some(from), Some(to)) = (from, to) else {
                continue;
            };
            if terminal[from as usize] {
                issues.push(issue(
                    format!("transitions[{i}].from"),
                    IssueKind::TerminalHasOutgoing,
                    format!(
                        "terminal state {} has an outgoing transition on {}",
                        q(&t.from),
                        q(&t.event)
                    ),
                ));
            }
            let event = event_index.get(&t.event).unwrap_or(NONE);
            let cell = from as usize * m + event as usize;
            let here = u32::try_from(transitions.len()).unwrap_or(NONE);
            match table.get(cell).copied() {
                Some(NONE) => table[cell] = here,
                Some(first) => {
                    issues.push(issue(
                        format!("transitions[{i}]"),
                        IssueKind::DuplicateTransition,
                        format!(
                            "state {} already has a transition on {} (transitions[{}])",
                            q(&t.from),
                            q(&t.event),
                            transitions
                                .get(first as usize)
                                .map_or(0, |c: &Compiled| c.def)
                        ),
                    ));
                    continue;
                }
                None => continue,
            }
            transitions.push(Compiled {
                from,
                to,
                event,
                def: u32::try_from(i).unwrap_or(NONE),
            });
        }

        // Outgoing lists (CSR), in definition order.
        let mut out_offsets = vec![0u32; n + 1];
        for c in &transitions {
            out_offsets[c.from as usize + 1] += 1;
        }
        for s in 0..n {
            out_offsets[s + 1] += out_offsets[s];
        }
        let mut fill = out_offsets.clone();
        let mut out = vec![0u32; transitions.len()];
        for (k, c) in transitions.iter().enumerate() {
            let slot = &mut fill[c.from as usize];
            out[*slot as usize] = u32::try_from(k).unwrap_or(NONE);
            *slot += 1;
        }

        // Reachability from the initial state (breadth-first, iterative).
        if let Some(initial) = initial {
            let mut seen = vec![false; n];
            let mut queue = VecDeque::from([initial]);
            seen[initial as usize] = true;
            while let Some(s) = queue.pop_front() {
                let (a, b) = (
                    out_offsets[s as usize] as usize,
                    out_offsets[s as usize + 1] as usize,
                );
                for &k in &out[a..b] {
                    let to = transitions[k as usize].to;
                    if !seen[to as usize] {
                        seen[to as usize] = true;
                        queue.push_back(to);
                    }
                }
            }
            for s in (0..n).filter(|&s| !seen[s]) {
                issues.push(issue(
                    format!("states[{}]", state_defs[s]),
                    IssueKind::UnreachableState,
                    format!(
                        "state {} cannot be reached from the initial state {}",
                        q(&states[s]),
                        q(&d.initial)
                    ),
                ));
            }
        }

        // Every state must lead to an end: a terminal state, or a closed or
        // cancelled one (backwards breadth-first search from the ends).
        let mut rev_offsets = vec![0u32; n + 1];
        for c in &transitions {
            rev_offsets[c.to as usize + 1] += 1;
        }
        for s in 0..n {
            rev_offsets[s + 1] += rev_offsets[s];
        }
        let mut fill = rev_offsets.clone();
        let mut rev = vec![0u32; transitions.len()];
        for c in &transitions {
            let slot = &mut fill[c.to as usize];
            rev[*slot as usize] = c.from;
            *slot += 1;
        }
        let mut ends = vec![false; n];
        let mut queue = VecDeque::new();
        for s in 0..n {
            if terminal[s] || categories[s].is_final() {
                ends[s] = true;
                queue.push_back(s as u32);
            }
        }
        while let Some(s) = queue.pop_front() {
            let (a, b) = (
                rev_offsets[s as usize] as usize,
                rev_offsets[s as usize + 1] as usize,
            );
            for &from in &rev[a..b] {
                if !ends[from as usize] {
                    ends[from as usize] = true;
                    queue.push_back(from);
                }
            }
        }
        for s in (0..n).filter(|&s| !ends[s]) {
            issues.push(issue(
                format!("states[{}]", state_defs[s]),
                IssueKind::DeadEnd,
                format!(
                    "no terminal, closed or cancelled state can be reached from state {}",
                    q(&states[s])
                ),
            ));
        }

        match initial {
            Some(initial) if issues.is_empty() => Ok(Self {
                definition,
                states,
                categories,
                state_defs,
                terminal,
                state_index,
                events,
                event_index,
                table,
                transitions,
                out_offsets,
                out,
                initial,
            }),
            _ => {
                issues.sort_by(|a, b| path_order(&a.path).cmp(&path_order(&b.path)));
                Err(LifecycleError::InvalidDefinition {
                    workflow: d.name.clone(),
                    issues,
                })
            }
        }
    }

    /// The definition this workflow was compiled from.
    #[must_use]
    pub fn definition(&self) -> &WorkflowDefinition<S, E> {
        &self.definition
    }

    /// The workflow's name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.definition.name
    }

    /// The state a new record starts in.
    #[must_use]
    pub fn initial(&self) -> &S {
        &self.states[self.initial as usize]
    }

    /// Every state, in declaration order.
    #[must_use]
    pub fn states(&self) -> &[S] {
        &self.states
    }

    /// Every event, in order of first use.
    #[must_use]
    pub fn events(&self) -> &[E] {
        &self.events
    }

    /// Whether `state` is a state of this workflow.
    #[must_use]
    pub fn contains(&self, state: &S) -> bool {
        self.state_index.get(state).is_some()
    }

    /// The category of `state`, if it is a state of this workflow.
    #[must_use]
    pub fn category(&self, state: &S) -> Option<StateCategory> {
        self.state_index
            .get(state)
            .map(|s| self.categories[s as usize])
    }

    /// Whether `state` is a terminal state of this workflow.
    #[must_use]
    pub fn is_terminal(&self, state: &S) -> bool {
        self.state_index
            .get(state)
            .is_some_and(|s| self.terminal[s as usize])
    }

    /// The state `event` leads to from `state` by the workflow's structure,
    /// guards and required fields aside.
    #[must_use]
    pub fn target(&self, state: &S, event: &E) -> Option<&S> {
        let s = self.state_index.get(state)?;
        let e = self.event_index.get(event)?;
        let k = self.table[s as usize * self.events.len() + e as usize];
        (k != NONE).then(|| &self.states[self.transitions[k as usize].to as usize])
    }

    fn state_name(&self, state: &S) -> String {
        state.wire_name().into_owned()
    }

    /// Applies `event` to a record in `state`, by `actor` at `at`.
    ///
    /// Checks that the workflow has a transition for `event` from `state`,
    /// that every guard allows it, that the record has every field the target
    /// state requires, and that the reason (from `ctx`) is one the target
    /// state accepts. Performs nothing: the returned [`Transition`] says what
    /// changes.
    ///
    /// # Errors
    /// [`LifecycleError::UnknownState`] for a state foreign to the workflow;
    /// [`LifecycleError::Terminal`] in a terminal state;
    /// [`LifecycleError::NotAllowed`] when the workflow has no such
    /// transition, or does not know the event (listing the events it has
    /// from this state); [`LifecycleError::Refused`]
    /// listing every guard, required field and reason that refused it.
    pub fn apply(
        &self,
        state: &S,
        event: &E,
        actor: Option<PersonId>,
        at: DateTime<Utc>,
        ctx: &impl GuardContext,
    ) -> Result<Transition<S, E>, LifecycleError> {
        let k = self.find(state, event)?;
        let c = self.transitions[k as usize];
        let t = &self.definition.transitions[c.def as usize];
        let refusals = self.refusals(c, ctx);
        if !refusals.is_empty() {
            return Err(LifecycleError::Refused {
                workflow: self.definition.name.clone(),
                state: self.state_name(state),
                event: event.wire_name().into_owned(),
                to: self.state_name(&t.to),
                refusals,
            });
        }
        let reason = ctx.reason().map(str::to_owned);
        let (from_category, to_category) = (
            self.categories[c.from as usize],
            self.categories[c.to as usize],
        );
        let timeline = TimelineEvent {
            at,
            actor,
            change: TimelineChange::StateChanged {
                from: self.state_name(&t.from),
                from_category,
                to: self.state_name(&t.to),
                to_category,
                reason: reason.clone(),
            },
        };
        Ok(Transition {
            audit: AuditEntry {
                from: t.from.clone(),
                to: t.to.clone(),
                event: t.event.clone(),
                actor,
                at,
                reason,
            },
            from_category,
            to_category,
            effects: t.effects.clone(),
            timeline,
        })
    }

    /// Finds the transition for `event` from `state`, or says why there is none.
    fn find(&self, state: &S, event: &E) -> Result<u32, LifecycleError> {
        let workflow = || self.definition.name.clone();
        let s = self
            .state_index
            .get(state)
            .ok_or_else(|| LifecycleError::UnknownState {
                workflow: workflow(),
                state: self.state_name(state),
            })?;
        if self.terminal[s as usize] {
            return Err(LifecycleError::Terminal {
                workflow: workflow(),
                state: self.state_name(state),
                event: event.wire_name().into_owned(),
            });
        }
        let Some(k) = self.lookup(s, event, self.events.len()) else {
            let mut allowed: Vec<String> = self
                .outgoing(s)
                .iter()
                .map(|&k| {
                    self.events[self.transitions[k as usize].event as usize]
                        .wire_name()
                        .into_owned()
                })
                .collect();
            allowed.dedup();
            return Err(LifecycleError::NotAllowed {
                workflow: workflow(),
                state: self.state_name(state),
                event: event.wire_name().into_owned(),
                allowed,
            });
        };
        Ok(k)
    }

    /// The transition for `event` from state `s`. Keys without an ordinal
    /// (strings) are first compared with the few events leaving `s`, which
    /// is cheaper than hashing them.
    #[inline]
    fn lookup(&self, s: u32, event: &E, m: usize) -> Option<u32> {
        if event.ordinal().is_none() {
            let out = self.outgoing(s);
            if out.len() <= SCAN_LIMIT {
                return out
                    .iter()
                    .copied()
                    .find(|&k| self.events[self.transitions[k as usize].event as usize] == *event);
            }
        }
        let k = self.table[s as usize * m + self.event_index.get(event)? as usize];
        (k != NONE).then_some(k)
    }

    fn outgoing(&self, s: u32) -> &[u32] {
        &self.out[self.out_offsets[s as usize] as usize..self.out_offsets[s as usize + 1] as usize]
    }

    fn refusals(&self, c: Compiled, ctx: &impl GuardContext) -> Vec<Refusal> {
        let t = &self.definition.transitions[c.def as usize];
        let target = &self.definition.states[self.state_defs[c.to as usize] as usize];
        let mut refusals = Vec::new();
        for g in &t.guards {
            if !ctx.guard_allows(g) {
                refusals.push(Refusal::Guard { guard: g.clone() });
            }
        }
        for f in &target.required_fields {
            if !ctx.has_field(f) {
                refusals.push(Refusal::MissingField { field: f.clone() });
            }
        }
        if !target.reasons.is_empty() {
            match ctx.reason() {
                None => refusals.push(Refusal::MissingReason {
                    expected: target.reasons.clone(),
                }),
                Some(r) if !target.reasons.iter().any(|x| x == r) => {
                    refusals.push(Refusal::InvalidReason {
                        reason: r.to_owned(),
                        expected: target.reasons.clone(),
                    });
                }
                Some(r) => {
                    for f in target.reason_fields.get(r).into_iter().flatten() {
                        if !ctx.has_field(f) {
                            refusals.push(Refusal::MissingField { field: f.clone() });
                        }
                    }
                    if let Some(&visibility) = target.reason_comments.get(r)
                        && !ctx.has_comment(visibility)
                    {
                        refusals.push(Refusal::MissingComment {
                            reason: r.to_owned(),
                            visibility,
                        });
                    }
                }
            }
        }
        refusals
    }

    /// The events whose guards allow them from `state`, in definition order
    /// (for a UI's buttons). Required fields and reasons are not checked:
    /// the user fills them in after choosing the event, and
    /// [`apply`](Workflow::apply) checks them. Empty for a state foreign to
    /// the workflow or terminal.
    #[must_use]
    pub fn allowed_events(&self, state: &S, ctx: &impl GuardContext) -> Vec<&E> {
        let Some(s) = self.state_index.get(state) else {
            return Vec::new();
        };
        self.outgoing(s)
            .iter()
            .map(|&k| {
                (
                    self.transitions[k as usize],
                    &self.definition.transitions[self.transitions[k as usize].def as usize],
                )
            })
            .filter(|(_, t)| t.guards.iter().all(|g| ctx.guard_allows(g)))
            .map(|(c, _)| &self.events[c.event as usize])
            .collect()
    }

    /// Folds an audit history through the workflow from the initial state and
    /// returns the state it reaches. Guards are not re-evaluated (they held
    /// when the entries were written); the structure is.
    ///
    /// # Errors
    /// [`LifecycleError::ReplayRefused`] for the first entry the workflow
    /// refuses: one that starts elsewhere than the record was, has no
    /// transition, leads elsewhere than the workflow does, or is earlier
    /// than the entry before it.
    pub fn replay(&self, history: &[AuditEntry<S, E>]) -> Result<&S, LifecycleError> {
        self.replay_from(self.initial(), history)
    }

    /// Like [`replay`](Workflow::replay), starting from `start` (a record
    /// whose earlier history was archived).
    ///
    /// # Errors
    /// [`LifecycleError::UnknownState`] when `start` is not a state of the
    /// workflow, and as [`replay`](Workflow::replay).
    pub fn replay_from(
        &self,
        start: &S,
        history: &[AuditEntry<S, E>],
    ) -> Result<&S, LifecycleError> {
        let mut cur = self
            .state_index
            .get(start)
            .ok_or_else(|| LifecycleError::UnknownState {
                workflow: self.definition.name.clone(),
                state: self.state_name(start),
            })?;
        let m = self.events.len();
        let mut last: Option<DateTime<Utc>> = None;
        for (index, entry) in history.iter().enumerate() {
            let fault = if entry.from != self.states[cur as usize] {
                Some(ReplayFault::WrongFrom {
                    expected: self.state_name(&self.states[cur as usize]),
                })
            } else if last.is_some_and(|l| entry.at < l) {
                Some(ReplayFault::OutOfOrder)
            } else {
                match self.lookup(cur, &entry.event, m) {
                    Some(k) => {
                        let to = self.transitions[k as usize].to;
                        if entry.to == self.states[to as usize] {
                            cur = to;
                            last = Some(entry.at);
                            None
                        } else {
                            Some(ReplayFault::WrongTarget {
                                expected: self.state_name(&self.states[to as usize]),
                            })
                        }
                    }
                    _ => Some(ReplayFault::NoTransition),
                }
            };
            if let Some(fault) = fault {
                return Err(LifecycleError::ReplayRefused {
                    workflow: self.definition.name.clone(),
                    index,
                    from: self.state_name(&entry.from),
                    event: entry.event.wire_name().into_owned(),
                    to: self.state_name(&entry.to),
                    fault: Box::new(fault),
                });
            }
        }
        Ok(&self.states[cur as usize])
    }

    /// The dense index of `state`.
    pub(crate) fn index(&self, state: &S) -> Option<usize> {
        self.state_index.get(state).map(|s| s as usize)
    }

    /// The compiled tables the diagram exporters read.
    pub(crate) fn parts(&self) -> DiagramParts<'_, S> {
        DiagramParts {
            states: &self.states,
            categories: &self.categories,
            terminal: &self.terminal,
            initial: self.initial,
        }
    }
}

/// What the diagram exporters need of a workflow.
pub(crate) struct DiagramParts<'a, S> {
    pub(crate) states: &'a [S],
    pub(crate) categories: &'a [StateCategory],
    pub(crate) terminal: &'a [bool],
    pub(crate) initial: u32,
}

/// The longest name, in characters, a workflow may give a state, an event,
/// a reason, a field or a guard.
pub const MAX_NAME_CHARS: usize = 128;

/// What is wrong with `name` as a name people and diagrams read: empty,
/// too long, or holding a control or bidirectional-formatting character
/// (NUL, a line break, U+202E) that would corrupt a message, a DOT or
/// Mermaid diagram, or what a screen shows.
fn name_problem(name: &str, what: &str) -> Option<String> {
    let shown = itsm_core::quoted(name);
    if name.trim().is_empty() {
        Some(format!("{what} name is empty"))
    } else if name.chars().count() > MAX_NAME_CHARS {
        Some(format!(
            "{what} name {shown} is longer than {MAX_NAME_CHARS} characters"
        ))
    } else if name.chars().any(|c| {
        c.is_control() || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    }) {
        Some(format!(
            "{what} name {shown} holds a control or text-direction character"
        ))
    } else {
        None
    }
}

/// Reports a bad name (see [`name_problem`]).
fn check_name(issues: &mut Vec<DefinitionIssue>, path: &str, name: &str, what: &str) {
    if let Some(message) = name_problem(name, what) {
        issues.push(issue(path.to_owned(), IssueKind::BadName, message));
    }
}

/// Reports bad, empty or repeated names in a list.
fn check_names(issues: &mut Vec<DefinitionIssue>, path: &str, names: &[String], what: &str) {
    for (i, name) in names.iter().enumerate() {
        if let Some(message) = name_problem(name, what) {
            issues.push(issue(format!("{path}[{i}]"), IssueKind::BadName, message));
        } else if names[..i].contains(name) {
            issues.push(issue(
                format!("{path}[{i}]"),
                IssueKind::BadName,
                format!("{what} {name:?} is listed twice"),
            ));
        }
    }
}

/// Sorts paths so that `states[10]` comes after `states[9]`.
fn path_order(path: &str) -> Vec<Result<u64, &str>> {
    path.split(['[', ']', '.'])
        .filter(|p| !p.is_empty())
        .map(|p| p.parse::<u64>().map_err(|_| p))
        .collect()
}
