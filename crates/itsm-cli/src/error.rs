//! [`CliError`]: everything that makes a command fail, and its exit status.

use std::fmt;

/// The exit status of a command that succeeded.
pub const EXIT_OK: i32 = 0;
/// The exit status for bad input: a file that does not parse, a record that
/// breaks its rules, a query the data cannot answer.
pub const EXIT_INPUT: i32 = 1;
/// The exit status for a usage error: an unknown option, a missing argument,
/// an argument value that does not parse.
pub const EXIT_USAGE: i32 = 2;
/// The exit status for a version conflict: the desk record moved on since
/// the version the command expected (`--expect-version`); read it again and
/// retry.
pub const EXIT_CONFLICT: i32 = 3;

/// Why a command failed. Its `Display` is the message written to standard
/// error, after `error: `.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum CliError {
    /// A file could not be read.
    Read {
        /// The file as given on the command line (`<stdin>` for `-`).
        file: String,
        /// What the operating system said.
        message: String,
    },
    /// A file could not be written (`itsm schema --out DIR`).
    Write {
        /// The file.
        file: String,
        /// What the operating system said.
        message: String,
    },
    /// A file is not the JSON of the expected type.
    Json {
        /// The file as given on the command line (`<stdin>` for `-`).
        file: String,
        /// What was expected, such as `incident`.
        what: String,
        /// The JSON path of the offending value (`.` for the document).
        path: String,
        /// What the parser said, with line and column.
        message: String,
        /// The offending value as compact JSON (shortened), when the
        /// document is well-formed JSON and the path leads to a value.
        value: Option<String>,
    },
    /// A file parsed but its content is refused by the library; `message`
    /// is the library's error, which names the field and the value.
    Content {
        /// The file as given on the command line (`<stdin>` for `-`).
        file: String,
        /// The library's message.
        message: String,
    },
    /// The inputs are well-formed but the operation is refused (an unknown
    /// CI, a transition the workflow does not allow, a date out of range).
    Refused {
        /// The library's message.
        message: String,
    },
    /// Validation found problems; they have been printed on standard output
    /// as JSON, and this summary goes to standard error.
    Problems {
        /// The file validated.
        file: String,
        /// How many problems.
        count: usize,
    },
    /// A usage error found after parsing the arguments (two inputs read
    /// from standard input).
    Usage {
        /// What is wrong.
        message: String,
    },
    /// A desk record is not at the version the command expected.
    Conflict {
        /// The record's number.
        number: String,
        /// The version the command expected.
        expected: u64,
        /// The record's version (`None`: it has none).
        actual: Option<u64>,
    },
    /// `itsm desk check` (or `import`) found projections that differ from
    /// their events; the report has been printed on standard output.
    Mismatches {
        /// The database, its password masked.
        db: String,
        /// How many projections differ.
        count: usize,
    },
}

impl CliError {
    /// The exit status of this error: [`EXIT_USAGE`] for usage errors,
    /// [`EXIT_CONFLICT`] for version conflicts, [`EXIT_INPUT`] for
    /// everything else.
    #[must_use]
    pub fn exit_code(&self) -> i32 {
        match self {
            Self::Usage { .. } => EXIT_USAGE,
            Self::Conflict { .. } => EXIT_CONFLICT,
            _ => EXIT_INPUT,
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Read { file, message } => write!(f, "{file}: cannot read: {message}"),
            Self::Write { file, message } => write!(f, "{file}: cannot write: {message}"),
            Self::Json {
                file,
                what,
                path,
                message,
                value,
            } => {
                write!(f, "{file}: not a valid {what}: at {path}: {message}")?;
                if let Some(value) = value {
                    write!(f, " (offending value: {value})")?;
                }
                Ok(())
            }
            Self::Content { file, message } => write!(f, "{file}: {message}"),
            Self::Refused { message } | Self::Usage { message } => f.write_str(message),
            Self::Problems { file, count } => write!(
                f,
                "{file}: {count} problem(s) found (listed as JSON on standard output)"
            ),
            Self::Conflict {
                number,
                expected,
                actual,
            } => {
                write!(
                    f,
                    "{number}: version conflict: expected version {expected}, actual version "
                )?;
                match actual {
                    Some(v) => write!(f, "{v}")?,
                    None => f.write_str("none")?,
                }
                write!(f, "; read it again (`itsm desk show {number}`) and retry")
            }
            Self::Mismatches { db, count } => write!(
                f,
                "{db}: {count} projection(s) differ from their events (listed as JSON on standard output)"
            ),
        }
    }
}

impl std::error::Error for CliError {}
