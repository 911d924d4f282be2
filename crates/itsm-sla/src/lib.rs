//! `itsm-sla` (under construction): business calendars, business-time
//! arithmetic and the SLA clock.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

// ---- calendar and business time (owned by the calendar work) ----
mod calendar;
mod compiled;
mod error;
mod local;
mod units;

pub use error::SlaError;

// ---- SLA definitions and clock (owned by the clock work) ----
mod clock;
mod compliance;
mod condition;
mod definition;
