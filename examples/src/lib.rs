//! Runnable examples of the `itsm` crates, on the sample data in `data/`.
//! Each file beside this package's manifest is one example; run one with
//! `cargo run -p itsm-examples --example NAME`:
//!
//! - `service_desk`: a day at a service desk, end to end: a host fails, the
//!   CMDB finds the business service it takes down, a major incident runs
//!   its SLA clocks on a London calendar through a pause and a priority
//!   change, a problem records a known error, a normal change is approved,
//!   implemented and reviewed, and the day's SLA compliance is printed;
//! - `custom_workflow`: an incident flow with an "awaiting vendor" state,
//!   loaded from JSON, validated, run and drawn as Mermaid;
//! - `calendar`: business-time arithmetic across a DST change and bank holidays;
//! - `cmdb_impact`: impact analysis with redundancy, and single points of failure;
//! - `schema_export`: the JSON Schema documents of the four library crates.
//!
//! `tests/examples.rs` runs each example's logic and checks its key facts.

#![forbid(unsafe_code)]
#![deny(missing_docs)]
