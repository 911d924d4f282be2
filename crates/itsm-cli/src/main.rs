//! The `itsm` command-line tool (under construction).

fn main() {}
