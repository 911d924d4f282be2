//! Conditions over the ticket timeline ([`Condition`]), and the compiled form
//! the clock tests after each update: a flat postfix program over a shared
//! table of leaves, evaluated without recursion and without allocation.

use itsm_core::{
    CommentVisibility, FieldValue, GroupId, Priority, StateCategory, TimelineChange, Violation,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The deepest nesting of `all` / `any` / `not` a definition may use.
pub const MAX_CONDITION_DEPTH: usize = 32;

/// A test over the ticket as the timeline has left it at one update: its
/// state, state category, reason, priority, assignment group and fields, and
/// the events seen so far. Written as data, as integrators write it:
/// `{"type": "category", "any_of": ["paused"]}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
// Read and written internally tagged by `itsm_core::internally_tagged!`
// below, so that an error inside keeps its exact path.
#[serde(remote = "Self", rename_all = "snake_case", deny_unknown_fields)]
#[schemars(tag = "type", rename = "Condition")]
#[non_exhaustive]
pub enum Condition {
    /// Always true.
    Always,
    /// Never true.
    Never,
    /// The record is in one of these states (by their `snake_case` wire names).
    State {
        /// The accepted states.
        any_of: Vec<String>,
    },
    /// The record's state belongs to one of these categories.
    Category {
        /// The accepted categories.
        any_of: Vec<StateCategory>,
    },
    /// The reason given with the current state (the on-hold reason, such as
    /// `awaiting_caller`) is one of these.
    OnHoldReason {
        /// The accepted reasons.
        any_of: Vec<String>,
    },
    /// The record's priority is one of these.
    Priority {
        /// The accepted priorities.
        any_of: Vec<Priority>,
    },
    /// The record is assigned to one of these groups.
    AssignmentGroup {
        /// The accepted groups.
        any_of: Vec<GroupId>,
    },
    /// A field's current value (as set by its last `field_changed` event;
    /// `null` before any) is one of these values.
    Field {
        /// The field's name.
        field: String,
        /// The accepted values; `null` matches an unset field.
        any_of: Vec<FieldValue>,
    },
    /// An event matching the pattern has happened at or before this update
    /// (once true, it stays true).
    Happened {
        /// The kind of event.
        event: EventPattern,
    },
    /// An event matching the pattern is part of this very update (true only
    /// at that update): "the assignment group changes".
    Occurs {
        /// The kind of event.
        event: EventPattern,
    },
    /// Every condition holds (true when the list is empty).
    All {
        /// The conditions.
        all: Vec<Condition>,
    },
    /// At least one condition holds (false when the list is empty).
    Any {
        /// The conditions.
        any: Vec<Condition>,
    },
    /// The condition does not hold.
    Not {
        /// The negated condition.
        not: Box<Condition>,
    },
}

itsm_core::internally_tagged!(Condition, "type");

impl Condition {
    /// `{"type": "always"}`, the default of goal conditions.
    #[must_use]
    pub const fn always() -> Self {
        Self::Always
    }

    /// `{"type": "never"}`, the default of the pause, cancel and reset conditions.
    #[must_use]
    pub const fn never() -> Self {
        Self::Never
    }

    /// The record's state category is one of `categories`.
    #[must_use]
    pub fn category(categories: &[StateCategory]) -> Self {
        Self::Category {
            any_of: categories.to_vec(),
        }
    }

    /// The record's priority is one of `priorities`.
    #[must_use]
    pub fn priority(priorities: &[Priority]) -> Self {
        Self::Priority {
            any_of: priorities.to_vec(),
        }
    }

    /// The record is in one of `states`.
    #[must_use]
    pub fn state(states: &[&str]) -> Self {
        Self::State {
            any_of: states.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    /// The negation of `self`.
    #[must_use]
    pub fn negate(self) -> Self {
        Self::Not {
            not: Box::new(self),
        }
    }
}

/// A kind of timeline event, optionally narrowed, for [`Condition::Happened`]
/// and [`Condition::Occurs`]: `{"kind": "comment_added", "visibility": "public"}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
// Read and written internally tagged by `itsm_core::internally_tagged!`
// below, so that an error inside keeps its exact path.
#[serde(remote = "Self", rename_all = "snake_case", deny_unknown_fields)]
#[schemars(tag = "kind", rename = "EventPattern")]
#[non_exhaustive]
pub enum EventPattern {
    /// The record was created.
    Created,
    /// The state changed (to `to` or into `to_category`, when given).
    StateChanged {
        /// Only changes into this state.
        #[serde(default)]
        to: Option<String>,
        /// Only changes into a state of this category.
        #[serde(default)]
        to_category: Option<StateCategory>,
    },
    /// The priority changed (to `to`, when given).
    PriorityChanged {
        /// Only changes to this priority.
        #[serde(default)]
        to: Option<Priority>,
    },
    /// The assignment group or assignee changed.
    AssignmentChanged,
    /// The named field changed.
    FieldChanged {
        /// The field's name.
        field: String,
    },
    /// A comment was added (of this visibility, when given).
    CommentAdded {
        /// Only comments of this visibility.
        #[serde(default)]
        visibility: Option<CommentVisibility>,
    },
}

itsm_core::internally_tagged!(EventPattern, "kind");

// ---------------------------------------------------------------------------
// Compiled form.

/// A state or reason name that no condition mentions.
pub(crate) const OTHER: u16 = u16::MAX - 1;
/// No state or reason at all.
pub(crate) const NONE: u16 = u16::MAX;

#[derive(Clone, Debug)]
enum Leaf {
    State(Box<[u16]>),
    Category(u8),
    Reason(Box<[u16]>),
    /// Bits 0..6 for P1..P6; bit 7 is never set (no priority never matches).
    Priority(u8),
    Group(Box<[GroupId]>),
    /// A flag slot kept up to date by the snapshot.
    Flag(u16),
}

#[derive(Clone, Copy, Debug)]
enum Op {
    Const(bool),
    Leaf(u16),
    And(u16),
    Or(u16),
    Not,
}

/// One compiled condition: a postfix program.
#[derive(Clone, Debug)]
pub(crate) struct Program {
    ops: Box<[Op]>,
    /// Whether the program contains an `occurs` leaf.
    pub(crate) has_occurs: bool,
    /// When the program tests only the category and the priority: its truth
    /// table, bit `7 * category + priority` (index 0 = none, then in order).
    table: Option<u64>,
    /// What the program reads (`CHANGED_*` bits): it need not be evaluated
    /// again after an update that changed none of them.
    pub(crate) deps: u8,
    /// When the program is a flat `all` (true) or `any` (false) of leaves:
    /// evaluated by short-circuit without a stack.
    flat: Option<bool>,
}

/// The state, its category or its reason changed.
pub(crate) const CHANGED_STATE: u8 = 1;
/// The priority changed.
pub(crate) const CHANGED_PRIORITY: u8 = 2;
/// The assignment group changed.
pub(crate) const CHANGED_GROUP: u8 = 4;
/// A flag (field, happened, occurs) changed.
pub(crate) const CHANGED_FLAGS: u8 = 8;
/// Everything (the first update).
pub(crate) const CHANGED_ALL: u8 = 15;

#[derive(Clone, Debug)]
enum FlagKind {
    Field {
        field: String,
        any_of: Vec<FieldValue>,
    },
    Happened(EventPattern),
    Occurs(EventPattern),
}

/// The leaves shared by every condition of one definition, and the names
/// they intern.
#[derive(Clone, Debug, Default)]
pub(crate) struct LeafTable {
    leaves: Vec<Leaf>,
    states: Vec<String>,
    reasons: Vec<String>,
    flags: Vec<FlagKind>,
}

/// The ticket as the timeline has left it: what conditions are tested against.
#[derive(Clone, Debug)]
pub(crate) struct Snapshot {
    state: u16,
    category: Option<StateCategory>,
    reason: u16,
    priority: Option<Priority>,
    group: Option<GroupId>,
    flags: Vec<bool>,
}

impl Snapshot {
    /// The current priority.
    pub(crate) fn priority(&self) -> Option<Priority> {
        self.priority
    }

    /// The bit of a program's truth table for this snapshot's category and
    /// priority: `7 * category + priority` (index 0 = none, then in order).
    #[inline]
    pub(crate) fn table_index(&self) -> usize {
        let ci = self.category.map_or(0, |c| c as usize + 1);
        let pi = self.priority.map_or(0, |p| p as usize + 1);
        ci * 7 + pi
    }
}

impl Program {
    /// The program's truth table over category and priority (bit
    /// [`Snapshot::table_index`]), when it tests nothing else.
    pub(crate) fn table(&self) -> Option<u64> {
        self.table
    }
}

fn intern(table: &mut Vec<String>, name: &str) -> u16 {
    if let Some(i) = table.iter().position(|s| s == name) {
        return u16::try_from(i).unwrap_or(OTHER);
    }
    table.push(name.to_owned());
    u16::try_from(table.len() - 1).unwrap_or(OTHER)
}

fn lookup(table: &[String], name: &str) -> u16 {
    table
        .iter()
        .position(|s| s == name)
        .and_then(|i| u16::try_from(i).ok())
        .unwrap_or(OTHER)
}

fn category_bit(c: StateCategory) -> u8 {
    1 << (c as u8)
}

fn priority_bit(p: Priority) -> u8 {
    1 << (p as u8)
}

/// Checks a condition's shape: depth, empty lists. Iterative.
pub(crate) fn check_condition(condition: &Condition, path: &str, out: &mut Vec<Violation>) {
    let mut stack: Vec<(&Condition, String, usize)> = vec![(condition, path.to_owned(), 1)];
    while let Some((c, p, depth)) = stack.pop() {
        if depth > MAX_CONDITION_DEPTH {
            out.push(Violation::new(
                p,
                "condition_too_deep",
                format!("conditions may nest at most {MAX_CONDITION_DEPTH} levels deep"),
            ));
            continue;
        }
        let empty = |what: &str, out: &mut Vec<Violation>| {
            out.push(Violation::new(
                format!("{p}.any_of"),
                "empty_list",
                format!("a {what} condition needs at least one value"),
            ));
        };
        match c {
            Condition::State { any_of } | Condition::OnHoldReason { any_of } => {
                if any_of.is_empty() {
                    empty("state or reason", out);
                }
                for (i, name) in any_of.iter().enumerate() {
                    if name.trim().is_empty() {
                        out.push(Violation::new(
                            format!("{p}.any_of[{i}]"),
                            "empty_name",
                            format!("the name {name:?} is empty"),
                        ));
                    }
                }
            }
            Condition::Category { any_of } if any_of.is_empty() => empty("category", out),
            Condition::Priority { any_of } if any_of.is_empty() => empty("priority", out),
            Condition::AssignmentGroup { any_of } if any_of.is_empty() => {
                empty("assignment group", out)
            }
            Condition::Field { field, any_of } => {
                if field.trim().is_empty() {
                    out.push(Violation::new(
                        format!("{p}.field"),
                        "empty_name",
                        "the field name is empty",
                    ));
                }
                if any_of.is_empty() {
                    empty("field", out);
                }
            }
            Condition::Happened { event } | Condition::Occurs { event } => {
                if let EventPattern::FieldChanged { field } = event
                    && field.trim().is_empty()
                {
                    out.push(Violation::new(
                        format!("{p}.event.field"),
                        "empty_name",
                        "the field name is empty",
                    ));
                }
            }
            Condition::All { all } => {
                for (i, child) in all.iter().enumerate().rev() {
                    stack.push((child, format!("{p}.all[{i}]"), depth + 1));
                }
            }
            Condition::Any { any } => {
                for (i, child) in any.iter().enumerate().rev() {
                    stack.push((child, format!("{p}.any[{i}]"), depth + 1));
                }
            }
            Condition::Not { not } => stack.push((not, format!("{p}.not"), depth + 1)),
            _ => {}
        }
    }
}

impl LeafTable {
    /// Compiles `condition` into a postfix program over this table's leaves.
    /// Iterative; the caller has checked the depth with [`check_condition`].
    pub(crate) fn compile(&mut self, condition: &Condition) -> Program {
        enum Step<'a> {
            Visit(&'a Condition),
            Emit(Op),
        }
        let mut ops = Vec::new();
        let mut has_occurs = false;
        let mut stack = vec![Step::Visit(condition)];
        while let Some(step) = stack.pop() {
            let c = match step {
                Step::Emit(op) => {
                    ops.push(op);
                    continue;
                }
                Step::Visit(c) => c,
            };
            let leaf = match c {
                Condition::Always => {
                    ops.push(Op::Const(true));
                    continue;
                }
                Condition::Never => {
                    ops.push(Op::Const(false));
                    continue;
                }
                Condition::All { all } => {
                    push_children(&mut stack, all, Op::And(clamp(all.len())));
                    continue;
                }
                Condition::Any { any } => {
                    push_children(&mut stack, any, Op::Or(clamp(any.len())));
                    continue;
                }
                Condition::Not { not } => {
                    stack.push(Step::Emit(Op::Not));
                    stack.push(Step::Visit(not));
                    continue;
                }
                Condition::State { any_of } => {
                    Leaf::State(any_of.iter().map(|s| intern(&mut self.states, s)).collect())
                }
                Condition::OnHoldReason { any_of } => Leaf::Reason(
                    any_of
                        .iter()
                        .map(|s| intern(&mut self.reasons, s))
                        .collect(),
                ),
                Condition::Category { any_of } => {
                    Leaf::Category(any_of.iter().fold(0, |m, c| m | category_bit(*c)))
                }
                Condition::Priority { any_of } => {
                    Leaf::Priority(any_of.iter().fold(0, |m, p| m | priority_bit(*p)))
                }
                Condition::AssignmentGroup { any_of } => {
                    Leaf::Group(any_of.clone().into_boxed_slice())
                }
                Condition::Field { field, any_of } => self.flag(FlagKind::Field {
                    field: field.clone(),
                    any_of: any_of.clone(),
                }),
                Condition::Happened { event } => {
                    self.intern_pattern(event);
                    self.flag(FlagKind::Happened(event.clone()))
                }
                Condition::Occurs { event } => {
                    has_occurs = true;
                    self.intern_pattern(event);
                    self.flag(FlagKind::Occurs(event.clone()))
                }
            };
            self.leaves.push(leaf);
            ops.push(Op::Leaf(clamp(self.leaves.len() - 1)));
        }
        let deps = ops.iter().fold(0, |m, op| match op {
            Op::Leaf(i) => {
                m | match self.leaves[usize::from(*i)] {
                    Leaf::State(_) | Leaf::Category(_) | Leaf::Reason(_) => CHANGED_STATE,
                    Leaf::Priority(_) => CHANGED_PRIORITY,
                    Leaf::Group(_) => CHANGED_GROUP,
                    Leaf::Flag(_) => CHANGED_FLAGS,
                }
            }
            _ => m,
        });
        let flat = match ops.split_last() {
            Some((Op::And(n), leaves)) if usize::from(*n) == leaves.len() => Some(true),
            Some((Op::Or(n), leaves)) if usize::from(*n) == leaves.len() => Some(false),
            Some((Op::Leaf(_), [])) => Some(true),
            _ => None,
        }
        .filter(|_| {
            ops[..ops.len() - 1]
                .iter()
                .all(|op| matches!(op, Op::Leaf(_)))
        });
        let mut program = Program {
            ops: ops.into_boxed_slice(),
            has_occurs,
            table: None,
            deps,
            flat,
        };
        program.table = self.truth_table(&program);
        return program;

        fn push_children<'a>(stack: &mut Vec<Step<'a>>, children: &'a [Condition], op: Op) {
            stack.push(Step::Emit(op));
            for child in children.iter().rev() {
                stack.push(Step::Visit(child));
            }
        }
    }

    fn intern_pattern(&mut self, pattern: &EventPattern) {
        if let EventPattern::StateChanged { to: Some(to), .. } = pattern {
            intern(&mut self.states, to);
        }
    }

    fn flag(&mut self, kind: FlagKind) -> Leaf {
        self.flags.push(kind);
        Leaf::Flag(clamp(self.flags.len() - 1))
    }

    /// A snapshot of a record about which nothing is known yet.
    pub(crate) fn empty_snapshot(&self) -> Snapshot {
        let flags = self
            .flags
            .iter()
            .map(|f| match f {
                FlagKind::Field { any_of, .. } => any_of.contains(&FieldValue::Null),
                _ => false,
            })
            .collect();
        Snapshot {
            state: NONE,
            category: None,
            reason: NONE,
            priority: None,
            group: None,
            flags,
        }
    }

    /// Clears the flags of `occurs` leaves: called before each update.
    /// Returns [`CHANGED_FLAGS`] when one was set.
    #[inline]
    pub(crate) fn begin_update(&self, snapshot: &mut Snapshot) -> u8 {
        if self.flags.is_empty() {
            return 0;
        }
        let mut changed = 0;
        for (flag, kind) in snapshot.flags.iter_mut().zip(&self.flags) {
            if matches!(kind, FlagKind::Occurs(_)) && *flag {
                *flag = false;
                changed = CHANGED_FLAGS;
            }
        }
        changed
    }

    /// Applies one event to the snapshot; returns what it may have changed
    /// (`CHANGED_*` bits).
    #[inline]
    pub(crate) fn apply(&self, snapshot: &mut Snapshot, change: &TimelineChange) -> u8 {
        let changed = match change {
            TimelineChange::Created { .. } => CHANGED_ALL,
            TimelineChange::StateChanged { .. } => CHANGED_STATE,
            TimelineChange::PriorityChanged { .. } => CHANGED_PRIORITY,
            TimelineChange::AssignmentChanged { .. } => CHANGED_GROUP,
            _ => 0,
        };
        match change {
            TimelineChange::Created {
                state,
                category,
                priority,
                assignment_group,
                ..
            } => {
                snapshot.state = lookup(&self.states, state);
                snapshot.category = Some(*category);
                snapshot.reason = NONE;
                snapshot.priority = *priority;
                snapshot.group = *assignment_group;
            }
            TimelineChange::StateChanged {
                to,
                to_category,
                reason,
                ..
            } => {
                snapshot.state = lookup(&self.states, to);
                snapshot.category = Some(*to_category);
                snapshot.reason = reason.as_deref().map_or(NONE, |r| lookup(&self.reasons, r));
            }
            TimelineChange::PriorityChanged { to, .. } => snapshot.priority = Some(*to),
            TimelineChange::AssignmentChanged { to_group, .. } => snapshot.group = *to_group,
            _ => {}
        }
        if self.flags.is_empty() {
            changed
        } else {
            changed | self.apply_flags(snapshot, change)
        }
    }

    /// Updates the flags of `field`, `happened` and `occurs` leaves.
    #[inline(never)]
    fn apply_flags(&self, snapshot: &mut Snapshot, change: &TimelineChange) -> u8 {
        let mut changed = 0;
        for (flag, kind) in snapshot.flags.iter_mut().zip(&self.flags) {
            match kind {
                FlagKind::Field { field, any_of } => {
                    if let TimelineChange::FieldChanged { field: f, to, .. } = change
                        && f == field
                    {
                        *flag = any_of.contains(to);
                        changed |= CHANGED_FLAGS;
                    }
                }
                FlagKind::Happened(p) | FlagKind::Occurs(p) => {
                    if matches_pattern(p, change) {
                        *flag = true;
                        changed |= CHANGED_FLAGS;
                    }
                }
            }
        }
        changed
    }

    #[inline]
    fn leaf(&self, index: u16, s: &Snapshot) -> bool {
        match &self.leaves[usize::from(index)] {
            Leaf::State(ids) => ids.contains(&s.state),
            Leaf::Reason(ids) => ids.contains(&s.reason),
            Leaf::Category(mask) => s.category.is_some_and(|c| mask & category_bit(c) != 0),
            Leaf::Priority(mask) => s.priority.is_some_and(|p| mask & priority_bit(p) != 0),
            Leaf::Group(groups) => s.group.is_some_and(|g| groups.contains(&g)),
            Leaf::Flag(slot) => s.flags.get(usize::from(*slot)).copied().unwrap_or(false),
        }
    }

    /// The truth table of a program that tests only categories and priorities.
    fn truth_table(&self, program: &Program) -> Option<u64> {
        let simple = program.ops.iter().all(|op| match op {
            Op::Leaf(i) => matches!(
                self.leaves[usize::from(*i)],
                Leaf::Category(_) | Leaf::Priority(_)
            ),
            _ => true,
        });
        if !simple {
            return None;
        }
        let mut snapshot = self.empty_snapshot();
        let mut stack = Vec::new();
        let mut table = 0u64;
        let categories = std::iter::once(None).chain(all_categories().into_iter().map(Some));
        for (ci, category) in categories.enumerate() {
            let priorities = std::iter::once(None).chain(Priority::ALL.into_iter().map(Some));
            for (pi, priority) in priorities.enumerate() {
                snapshot.category = category;
                snapshot.priority = priority;
                if self.interpret(program, &snapshot, &mut stack) {
                    table |= 1 << (ci * 7 + pi);
                }
            }
        }
        Some(table)
    }

    /// Evaluates a program against a snapshot; `stack` is reused scratch space.
    #[inline]
    pub(crate) fn eval(&self, program: &Program, s: &Snapshot, stack: &mut Vec<bool>) -> bool {
        if let Some(table) = program.table {
            return table >> s.table_index() & 1 == 1;
        }
        match program.flat {
            Some(all) => {
                let mut leaves = program.ops.iter().filter_map(|op| match op {
                    Op::Leaf(i) => Some(*i),
                    _ => None,
                });
                if all {
                    leaves.all(|i| self.leaf(i, s))
                } else {
                    leaves.any(|i| self.leaf(i, s))
                }
            }
            None => self.interpret(program, s, stack),
        }
    }

    #[inline(never)]
    fn interpret(&self, program: &Program, s: &Snapshot, stack: &mut Vec<bool>) -> bool {
        stack.clear();
        for op in &program.ops {
            let value = match *op {
                Op::Const(b) => b,
                Op::Leaf(i) => self.leaf(i, s),
                Op::Not => !stack.pop().unwrap_or(false),
                Op::And(n) => {
                    let from = stack.len().saturating_sub(usize::from(n));
                    let v = stack[from..].iter().all(|b| *b);
                    stack.truncate(from);
                    v
                }
                Op::Or(n) => {
                    let from = stack.len().saturating_sub(usize::from(n));
                    let v = stack[from..].iter().any(|b| *b);
                    stack.truncate(from);
                    v
                }
            };
            stack.push(value);
        }
        stack.pop().unwrap_or(false)
    }

    /// Whether some snapshot satisfies every `(program, expected)` pair at
    /// once, over an over-approximation of the possible snapshots (state,
    /// category, reason, priority, group and flags vary independently), so
    /// that `Some(false)` is a proof of impossibility. `None` when the space is
    /// too large to enumerate.
    pub(crate) fn satisfiable(&self, constraints: &[(&Program, bool)]) -> Option<bool> {
        const LIMIT: usize = 1 << 12;
        let mut used = vec![false; self.leaves.len()];
        for (program, _) in constraints {
            for op in &program.ops {
                if let Op::Leaf(i) = op {
                    used[usize::from(*i)] = true;
                }
            }
        }
        let mut states = vec![OTHER];
        let mut reasons = vec![NONE];
        let mut categories = vec![None];
        let mut priorities = vec![None];
        let mut groups = vec![None];
        let mut flag_slots = Vec::new();
        for (leaf, _) in self.leaves.iter().zip(&used).filter(|(_, u)| **u) {
            match leaf {
                Leaf::State(ids) => states.extend(ids.iter().copied()),
                Leaf::Reason(ids) => reasons.extend(ids.iter().copied()),
                Leaf::Category(_) if categories.len() == 1 => {
                    categories.extend(all_categories().into_iter().map(Some));
                }
                Leaf::Priority(_) if priorities.len() == 1 => {
                    priorities.extend(Priority::ALL.map(Some))
                }
                Leaf::Group(g) => groups.extend(g.iter().copied().map(Some)),
                Leaf::Flag(slot) => flag_slots.push(*slot),
                _ => {}
            }
        }
        for list in [&mut states, &mut reasons] {
            list.sort_unstable();
            list.dedup();
        }
        groups.sort_unstable();
        groups.dedup();
        flag_slots.sort_unstable();
        flag_slots.dedup();
        let radix = [
            states.len(),
            reasons.len(),
            categories.len(),
            priorities.len(),
            groups.len(),
        ];
        let mut total: usize = radix.iter().product();
        for _ in &flag_slots {
            total = total.checked_mul(2)?;
        }
        if total > LIMIT {
            return None;
        }
        let mut snapshot = self.empty_snapshot();
        let mut stack = Vec::new();
        for mut n in 0..total {
            let mut digit = |len: usize| {
                let d = n % len;
                n /= len;
                d
            };
            snapshot.state = states[digit(radix[0])];
            snapshot.reason = reasons[digit(radix[1])];
            snapshot.category = categories[digit(radix[2])];
            snapshot.priority = priorities[digit(radix[3])];
            snapshot.group = groups[digit(radix[4])];
            for slot in &flag_slots {
                snapshot.flags[usize::from(*slot)] = digit(2) == 1;
            }
            if constraints
                .iter()
                .all(|(p, want)| self.eval(p, &snapshot, &mut stack) == *want)
            {
                return Some(true);
            }
        }
        Some(false)
    }
}

fn all_categories() -> [StateCategory; 6] {
    [
        StateCategory::New,
        StateCategory::Open,
        StateCategory::Paused,
        StateCategory::Resolved,
        StateCategory::Closed,
        StateCategory::Canceled,
    ]
}

fn clamp(n: usize) -> u16 {
    u16::try_from(n).unwrap_or(u16::MAX)
}

fn matches_pattern(pattern: &EventPattern, change: &TimelineChange) -> bool {
    match (pattern, change) {
        (EventPattern::Created, TimelineChange::Created { .. })
        | (EventPattern::AssignmentChanged, TimelineChange::AssignmentChanged { .. }) => true,
        (
            EventPattern::StateChanged { to, to_category },
            TimelineChange::StateChanged {
                to: t,
                to_category: c,
                ..
            },
        ) => to.as_ref().is_none_or(|want| want == t) && to_category.is_none_or(|want| want == *c),
        (EventPattern::PriorityChanged { to }, TimelineChange::PriorityChanged { to: t, .. }) => {
            to.is_none_or(|want| want == *t)
        }
        (EventPattern::FieldChanged { field }, TimelineChange::FieldChanged { field: f, .. }) => {
            field == f
        }
        (
            EventPattern::CommentAdded { visibility },
            TimelineChange::CommentAdded { visibility: v, .. },
        ) => visibility.is_none_or(|want| want == *v),
        _ => false,
    }
}
