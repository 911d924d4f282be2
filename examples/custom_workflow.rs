//! A custom workflow from JSON: the ITIL incident flow with a dedicated
//! "awaiting vendor" state (`data/incident_awaiting_vendor.json`).
//!
//! The example validates it, shows every problem of a deliberately broken
//! copy at once (with JSON paths), runs an incident through it (a refused
//! escalation names each missing field and guard; the vendor state pauses SLA
//! clocks, as its category says), and prints the workflow as a Mermaid diagram.
//!
//! Run it with `cargo run -p itsm-examples --example custom_workflow`.

use std::error::Error;
use std::fmt::Write as _;

use chrono::{DateTime, TimeZone, Utc};
use itsm::PersonId;
use itsm::lifecycle::{
    LifecycleError, PlainContext, StateDefinition, TransitionDefinition, Workflow,
    WorkflowDefinition,
};

type Res<T> = Result<T, Box<dyn Error>>;

#[allow(dead_code)] // unused when the tests include this file
fn main() -> Res<()> {
    print!("{}", run()?);
    Ok(())
}

/// The guards this product can evaluate for the custom flow.
fn guards() -> PlainContext {
    PlainContext::knowing(["awaiting_caller", "vendor_under_contract"])
}

/// The example's output.
///
/// # Errors
/// Any error of the library or of the sample data.
pub fn run() -> Res<String> {
    let mut out = String::new();
    let o = &mut out;
    let definition = WorkflowDefinition::<String, String>::from_json(include_str!(
        "data/incident_awaiting_vendor.json"
    ))?;

    // 1. Validate the definition as written.
    let workflow = Workflow::new(definition.clone(), &guards())?;
    writeln!(
        o,
        "Workflow {:?}: {} states, {} transitions, valid.",
        workflow.name(),
        workflow.states().len(),
        definition.transitions.len()
    )?;

    // 2. A broken copy: every problem is reported at once, with its path.
    writeln!(o, "\nA broken copy reports every problem at once:")?;
    match Workflow::new(broken(definition), &guards()) {
        Err(LifecycleError::InvalidDefinition { issues, .. }) => {
            for issue in issues {
                writeln!(o, "  - {issue}")?;
            }
        }
        Err(other) => return Err(other.into()),
        Ok(_) => return Err("the broken copy was accepted".into()),
    }

    // 3. Run an incident through it.
    writeln!(o, "\nAn incident through the custom flow:")?;
    let agent = Some(PersonId::from_u128(7));
    let mut state = workflow.initial().clone();
    let steps: [(&str, PlainContext, DateTime<Utc>); 5] = [
        ("start", guards(), at(9, 5)),
        // Escalating needs the vendor under contract and the vendor's ticket.
        ("escalate_to_vendor", guards(), at(9, 40)),
        (
            "escalate_to_vendor",
            guards()
                .passing("vendor_under_contract")
                .with_field("vendor")
                .with_field("vendor_ticket"),
            at(9, 45),
        ),
        ("vendor_responded", guards(), at(13, 10)),
        (
            "resolve",
            guards()
                .with_field("resolution_code")
                .with_field("resolution_notes"),
            at(14, 0),
        ),
    ];
    for (event, facts, when) in steps {
        match workflow.apply(&state, &event.to_owned(), agent, when, &facts) {
            Ok(t) => {
                let effects: Vec<String> = t
                    .effects
                    .iter()
                    .map(|e| serde_json::to_string(e).unwrap_or_default())
                    .collect();
                writeln!(
                    o,
                    "  {} {event}: {} ({}) → {} ({}){}{}",
                    when.format("%H:%M"),
                    t.audit.from,
                    t.from_category,
                    t.audit.to,
                    t.to_category,
                    if t.enters_pause() {
                        ", SLA clocks pause"
                    } else if t.leaves_pause() {
                        ", SLA clocks resume"
                    } else {
                        ""
                    },
                    if effects.is_empty() {
                        String::new()
                    } else {
                        format!("; effects {}", effects.join(", "))
                    }
                )?;
                state = t.audit.to;
            }
            Err(refused) => writeln!(o, "  {} refused: {refused}", when.format("%H:%M"))?,
        }
    }
    let allowed: Vec<&String> = workflow.allowed_events(&state, &guards());
    writeln!(
        o,
        "  Now {state:?}; allowed events: {}.",
        allowed
            .iter()
            .map(|e| e.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    )?;

    // 4. The diagram.
    writeln!(o, "\nMermaid:\n{}", workflow.to_mermaid())?;
    Ok(out)
}

/// The definition with five mistakes: a transition to a state that does not
/// exist, a duplicate (state, event) pair, a guard no one can evaluate, a
/// state no transition reaches, and a state with no way out.
fn broken(mut d: WorkflowDefinition<String, String>) -> WorkflowDefinition<String, String> {
    let t = |from: &str, event: &str, to: &str| TransitionDefinition {
        from: from.to_owned(),
        event: event.to_owned(),
        to: to.to_owned(),
        guards: Vec::new(),
        effects: Vec::new(),
    };
    d.transitions
        .push(t("in_progress", "escalate", "escalated"));
    d.transitions.push(t("new", "start", "on_hold"));
    let mut guarded = t("on_hold", "vendor_replied", "in_progress");
    guarded.guards.push("vendor_replied_in_time".to_owned());
    d.transitions.push(guarded);
    d.states.push(StateDefinition::new(
        "archived".to_owned(),
        itsm::StateCategory::Closed,
    ));
    d.states.push(StateDefinition::new(
        "awaiting_parts".to_owned(),
        itsm::StateCategory::Paused,
    ));
    d.transitions
        .push(t("on_hold", "order_parts", "awaiting_parts"));
    d
}

/// `h:m` UTC on Monday 2 March 2026.
fn at(h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, h, m, 0)
        .single()
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}
