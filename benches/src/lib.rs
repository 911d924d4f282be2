//! Criterion benchmarks of the `itsm` crates; see `benches/README.md`.

#![forbid(unsafe_code)]
#![deny(missing_docs)]
