//! Bench under construction.

fn main() {}
