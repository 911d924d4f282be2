//! Differential test of definition validation against petgraph: on random
//! definitions, the unreachable states and dead ends reported are exactly
//! those petgraph's path search finds.

use std::collections::BTreeSet;

use itsm_core::StateCategory;
use itsm_lifecycle::{
    IssueKind, LifecycleError, PlainContext, StateDefinition, TransitionDefinition, Workflow,
    WorkflowDefinition,
};
use petgraph::algo::has_path_connecting;
use petgraph::graphmap::DiGraphMap;
use proptest::prelude::*;

const CATEGORIES: [StateCategory; 6] = [
    StateCategory::New,
    StateCategory::Open,
    StateCategory::Paused,
    StateCategory::Resolved,
    StateCategory::Closed,
    StateCategory::Canceled,
];

#[derive(Clone, Debug)]
struct Case {
    categories: Vec<usize>,
    /// (from, event, to)
    edges: Vec<(usize, usize, usize)>,
    terminal: Vec<usize>,
}

fn case() -> impl Strategy<Value = Case> {
    (1usize..10).prop_flat_map(|n| {
        (
            prop::collection::vec(0usize..6, n),
            prop::collection::vec((0..n, 0usize..4, 0..n), 0..(3 * n)),
            prop::collection::vec(0..n, 0..3),
        )
            .prop_map(|(categories, edges, terminal)| Case {
                categories,
                edges,
                terminal,
            })
    })
}

fn definition(case: &Case) -> WorkflowDefinition<String, String> {
    let s = |i: usize| format!("s{i}");
    WorkflowDefinition {
        name: "random".into(),
        description: None,
        initial: s(0),
        states: case
            .categories
            .iter()
            .enumerate()
            .map(|(i, &c)| StateDefinition::new(s(i), CATEGORIES[c]))
            .collect(),
        transitions: case
            .edges
            .iter()
            .map(|&(f, e, t)| TransitionDefinition::new(s(f), format!("e{e}"), s(t)))
            .collect(),
        terminal: case.terminal.iter().map(|&t| s(t)).collect(),
    }
}

/// The oracle: what petgraph says, with the engine's rules written out plainly.
fn oracle(case: &Case) -> (BTreeSet<String>, BTreeSet<String>, bool) {
    let n = case.categories.len();
    let mut g = DiGraphMap::<usize, ()>::new();
    for i in 0..n {
        g.add_node(i);
    }
    // Only the first transition of a (from, event) pair counts; later ones are duplicates.
    let mut seen = BTreeSet::new();
    let mut duplicates = false;
    for &(f, e, t) in &case.edges {
        if seen.insert((f, e)) {
            g.add_edge(f, t, ());
        } else {
            duplicates = true;
        }
    }
    let terminal: BTreeSet<usize> = case.terminal.iter().copied().collect();
    let is_end = |i: usize| terminal.contains(&i) || CATEGORIES[case.categories[i]].is_final();
    let unreachable = (0..n)
        .filter(|&i| !has_path_connecting(&g, 0, i, None))
        .map(|i| format!("states[{i}]"))
        .collect();
    let dead = (0..n)
        .filter(|&i| !(0..n).any(|j| is_end(j) && has_path_connecting(&g, i, j, None)))
        .map(|i| format!("states[{i}]"))
        .collect();
    (unreachable, dead, duplicates)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]
    #[test]
    fn validation_agrees_with_petgraph(case in case()) {
        let (unreachable, dead, duplicates) = oracle(&case);
        let terminal: BTreeSet<usize> = case.terminal.iter().copied().collect();
        let terminal_exits = case.edges.iter().any(|(f, _, _)| terminal.contains(f));
        let result = Workflow::new(definition(&case), &PlainContext::default());
        let issues = match &result {
            Ok(_) => Vec::new(),
            Err(LifecycleError::InvalidDefinition { issues, .. }) => issues.clone(),
            Err(other) => panic!("{other:?}"),
        };
        let of = |kind: IssueKind| issues.iter().filter(|i| i.kind == kind).map(|i| i.path.clone()).collect::<BTreeSet<_>>();
        prop_assert_eq!(of(IssueKind::UnreachableState), unreachable, "case {:?}", case);
        prop_assert_eq!(of(IssueKind::DeadEnd), dead, "case {:?}", case);
        prop_assert_eq!(of(IssueKind::DuplicateTransition).is_empty(), !duplicates);
        prop_assert_eq!(of(IssueKind::TerminalHasOutgoing).is_empty(), !terminal_exits);
        prop_assert_eq!(result.is_ok(), issues.is_empty());
    }
}
