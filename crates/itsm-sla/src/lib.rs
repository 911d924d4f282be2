//! `itsm-sla` (under construction).

#![forbid(unsafe_code)]
#![deny(missing_docs)]
