//! Under construction: the service desk walk-through.

fn main() {}
