//! Diagram export: Mermaid `stateDiagram-v2` and Graphviz DOT.

use std::fmt::Write as _;

use itsm_core::StateCategory;

use crate::Workflow;
use crate::key::{EventKey, StateKey};

/// Makes a label safe inside a Mermaid diagram (no quotes, colons, semicolons or line breaks).
fn mermaid_text(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '"' => '\'',
            ':' | ';' | '\n' | '\r' | '#' | '{' | '}' | '<' | '>' => ' ',
            // Validation refuses them in names; a description may still hold one.
            c if c.is_control() => ' ',
            c => c,
        })
        .collect()
}

/// Escapes a string for a DOT double-quoted string.
fn dot_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            // Validation refuses them in names; a description may still hold one.
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

fn category_class(c: StateCategory) -> &'static str {
    match c {
        StateCategory::New => "new",
        StateCategory::Open => "open",
        StateCategory::Paused => "paused",
        StateCategory::Resolved => "resolved",
        StateCategory::Closed => "closed",
        StateCategory::Canceled => "canceled",
    }
}

fn category_colour(c: StateCategory) -> &'static str {
    match c {
        StateCategory::New => "#e3f2fd",
        StateCategory::Open => "#fff8e1",
        StateCategory::Paused => "#f3e5f5",
        StateCategory::Resolved => "#e8f5e9",
        StateCategory::Closed => "#eceff1",
        StateCategory::Canceled => "#ffebee",
    }
}

impl<S: StateKey, E: EventKey> Workflow<S, E> {
    fn edge_label(&self, event: &E, guards: &[String]) -> String {
        let mut label = event.wire_name().into_owned();
        if !guards.is_empty() {
            let _ = write!(label, " [{}]", guards.join(", "));
        }
        label
    }

    /// The workflow as a Mermaid `stateDiagram-v2`: states labelled with
    /// their wire names and coloured by category, transitions labelled with
    /// their event and guards, `[*]` before the initial state and after the
    /// terminal states.
    #[must_use]
    pub fn to_mermaid(&self) -> String {
        let p = self.parts();
        let mut out = String::from("stateDiagram-v2\n");
        for (i, s) in p.states.iter().enumerate() {
            let _ = writeln!(
                out,
                "    state \"{}\" as s{i}",
                mermaid_text(&s.wire_name())
            );
        }
        let _ = writeln!(out, "    [*] --> s{}", p.initial);
        for t in &self.definition().transitions {
            let (Some(from), Some(to)) = (self.index_of(&t.from), self.index_of(&t.to)) else {
                continue;
            };
            let _ = writeln!(
                out,
                "    s{from} --> s{to} : {}",
                mermaid_text(&self.edge_label(&t.event, &t.guards))
            );
        }
        for (i, _) in p.terminal.iter().enumerate().filter(|(_, t)| **t) {
            let _ = writeln!(out, "    s{i} --> [*]");
        }
        let mut used: Vec<StateCategory> = p.categories.to_vec();
        used.sort();
        used.dedup();
        for c in used {
            let _ = writeln!(
                out,
                "    classDef {} fill:{}",
                category_class(c),
                category_colour(c)
            );
            let members: Vec<String> = p
                .categories
                .iter()
                .enumerate()
                .filter(|(_, x)| **x == c)
                .map(|(i, _)| format!("s{i}"))
                .collect();
            let _ = writeln!(out, "    class {} {}", members.join(","), category_class(c));
        }
        out
    }

    /// The workflow as a Graphviz DOT digraph: states as rounded boxes
    /// coloured by category (terminal states doubled), transitions labelled
    /// with their event and guards, a point before the initial state.
    #[must_use]
    pub fn to_dot(&self) -> String {
        let p = self.parts();
        let mut out = format!("digraph \"{}\" {{\n", dot_text(self.name()));
        out.push_str("    rankdir=LR;\n    node [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\"];\n");
        out.push_str("    edge [fontname=\"Helvetica\", fontsize=10];\n    __start [shape=point, label=\"\"];\n");
        for (i, s) in p.states.iter().enumerate() {
            let _ = writeln!(
                out,
                "    s{i} [label=\"{}\", fillcolor=\"{}\"{}];",
                dot_text(&s.wire_name()),
                category_colour(p.categories[i]),
                if p.terminal[i] { ", peripheries=2" } else { "" }
            );
        }
        let _ = writeln!(out, "    __start -> s{};", p.initial);
        for t in &self.definition().transitions {
            let (Some(from), Some(to)) = (self.index_of(&t.from), self.index_of(&t.to)) else {
                continue;
            };
            let _ = writeln!(
                out,
                "    s{from} -> s{to} [label=\"{}\"];",
                dot_text(&self.edge_label(&t.event, &t.guards))
            );
        }
        out.push_str("}\n");
        out
    }

    fn index_of(&self, state: &S) -> Option<usize> {
        self.index(state)
    }
}
