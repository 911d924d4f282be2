//! The `itsm` command-line tool; see `itsm --help` and the crate's README.

use std::io::Write;

fn main() {
    let (stdin, stdout, stderr) = (std::io::stdin(), std::io::stdout(), std::io::stderr());
    let mut stdout = std::io::BufWriter::new(stdout.lock());
    let code = itsm_cli::run(
        std::env::args_os(),
        &mut stdin.lock(),
        &mut stdout,
        &mut stderr.lock(),
    );
    // `run` flushed its output; a failure here (a closed pipe) changes nothing.
    let _ = stdout.flush();
    std::process::exit(code);
}
