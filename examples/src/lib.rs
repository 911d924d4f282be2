//! Runnable examples of the `itsm` crates: see the `*.rs` files beside this
//! package's manifest, and run one with `cargo run -p itsm-examples --example NAME`.

#![forbid(unsafe_code)]
#![deny(missing_docs)]
