//! Parsing JSON with errors that name the offending field.

use serde::de::DeserializeOwned;

use crate::CoreError;

/// Parses `text` as a `T`, reporting the JSON path of the first offending
/// value (`approvals[1].decision`) and what was wrong with it.
///
/// ```
/// use itsm_core::{from_json, CoreError, Incident};
/// let err = from_json::<Incident>(r#"{"id": "not-a-uuid"}"#).unwrap_err();
/// assert!(matches!(err, CoreError::Json { ref path, .. } if path == "id"));
/// ```
///
/// An integer too large for 64 bits (`12345678901234567890123`), which
/// serde_json would read as a float, is refused with its path
/// ([`oversized_integer`]).
///
/// # Errors
/// [`CoreError::Json`] with the path and serde's message (which gives the
/// line and column).
pub fn from_json<T: DeserializeOwned>(text: &str) -> Result<T, CoreError> {
    // The fast path: valid JSON, parsed without tracking paths.
    match serde_json::from_str(text) {
        Ok(value) => match oversized_integer(text) {
            // serde_json reads such an integer as a float: refused, never
            // silently rounded.
            Some((path, literal)) => Err(oversized_error(path, &literal)),
            None => Ok(value),
        },
        // Only a failure pays for a second parse that tracks the path.
        Err(first) => Err(located_error::<T>(text).unwrap_or_else(|| CoreError::Json {
            path: ".".to_owned(),
            message: first.to_string(),
        })),
    }
}

/// Parses `text` again, tracking paths, and returns the error with its path
/// (`None` if, against expectation, the second parse succeeds).
fn located_error<T: DeserializeOwned>(text: &str) -> Option<CoreError> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    match serde_path_to_error::deserialize::<_, T>(&mut deserializer) {
        Err(error) => {
            // A tagged object whose tag is not its first key hides the inner
            // path of the keys before it: read the same document with every
            // tag first, and keep the deeper path.
            if let Some(deeper) = deeper_error::<T>(text, error.path().iter().count()) {
                return Some(deeper);
            }
            Some(path_error(error))
        }
        Ok(_) => deserializer.end().err().map(|e| CoreError::Json {
            path: ".".to_owned(),
            message: e.to_string(),
        }),
    }
}

/// The error of `text` read with every tag first (see
/// [`tags_first`](crate::__tagged::tags_first)), when its path is deeper
/// than `depth` segments; its message has no line and column, which would
/// point into the rewritten text.
pub(crate) fn deeper_error<T: DeserializeOwned>(text: &str, depth: usize) -> Option<CoreError> {
    let reordered = crate::__tagged::tags_first(text)?;
    let mut deserializer = serde_json::Deserializer::from_str(&reordered);
    let error = serde_path_to_error::deserialize::<_, T>(&mut deserializer).err()?;
    if error.path().iter().count() <= depth {
        return None;
    }
    let message = error.inner().to_string();
    let message = match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message,
    };
    Some(CoreError::Json {
        path: tidy_json_path(&error.path().to_string()),
        message: did_you_mean(message),
    })
}

fn path_error(error: serde_path_to_error::Error<serde_json::Error>) -> CoreError {
    CoreError::Json {
        path: tidy_json_path(&error.path().to_string()),
        message: did_you_mean(error.inner().to_string()),
    }
}

/// serde's "unknown field `pasue`, expected one of `name`, …, `pause`"
/// with the nearest known name added: "(did you mean `pause`?)".
///
/// ```
/// let m = itsm_core::did_you_mean("unknown field `pasue`, expected `pause` or `stop`".to_owned());
/// assert_eq!(m, "unknown field `pasue`, expected `pause` or `stop` (did you mean `pause`?)");
/// ```
///
/// The
/// nearest is the one fewest single-character edits away, when that is at
/// most a third of the name's length (and at least one edit).
#[must_use]
pub fn did_you_mean(message: String) -> String {
    let Some(rest) = message.split_once("unknown field `").map(|(_, r)| r) else {
        return message;
    };
    let Some((unknown, expected)) = rest.split_once('`') else {
        return message;
    };
    let known = expected.split('`').skip(1).step_by(2);
    match nearest_name(unknown, known) {
        // Before serde's " at line …", so that the position ends the message.
        Some(name) => match message.rfind(" at line ") {
            Some(i) => format!(
                "{} (did you mean `{name}`?){}",
                &message[..i],
                &message[i..]
            ),
            None => format!("{message} (did you mean `{name}`?)"),
        },
        None => message,
    }
}

/// The name of `known` fewest edits from `name`, when that is at most a
/// third of its length (and at least one edit); of equals, the first in
/// lexical order.
pub(crate) fn nearest_name<'a>(
    name: &str,
    known: impl Iterator<Item = &'a str>,
) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).max(1);
    known
        .map(|k| (edits(name, k), k))
        .filter(|(d, _)| *d <= limit)
        .min()
        .map(|(_, k)| k)
}

/// The edit distance between `a` and `b` over characters, counting an
/// insertion, a deletion, a substitution or a swap of two neighbours as one
/// edit (optimal string alignment, so `pasue` is one edit from `pause`).
/// Names are short; beyond 64 characters the answer is "far".
fn edits(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    if a.len() > 64 || b.len() > 64 {
        return usize::MAX;
    }
    // d[i][j]: the distance between a[..i] and b[..j].
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
}

/// A JSON path as errors report it: the unknown segments (`?`) a syntax
/// error leaves where a key could not be read are dropped, and the document
/// itself is `.`.
///
/// ```
/// assert_eq!(itsm_core::tidy_json_path("events[0].?"), "events[0]");
/// assert_eq!(itsm_core::tidy_json_path("?"), ".");
/// assert_eq!(itsm_core::tidy_json_path("goals[0].duration"), "goals[0].duration");
/// ```
#[must_use]
pub fn tidy_json_path(path: &str) -> String {
    let mut path = path;
    loop {
        if let Some(rest) = path.strip_suffix(".?") {
            path = rest;
        } else if path == "?" {
            path = "";
        } else {
            break;
        }
    }
    if path.is_empty() {
        ".".to_owned()
    } else {
        path.to_owned()
    }
}

/// The first integer literal in `text` too large for 64 bits (beyond
/// `i64` when negative, beyond `u64` otherwise), with its JSON path: such a
/// number would be read as a float and lose its digits, so readers refuse
/// it instead. `None` when there is none, or when `text` is not JSON (the
/// parser then says why). One pass over the bytes, no allocation but the
/// path of the containers open.
#[must_use]
pub fn oversized_integer(text: &str) -> Option<(String, String)> {
    enum Frame {
        Object { key: Option<String> },
        Array { index: usize },
    }
    let bytes = text.as_bytes();
    let mut stack: Vec<Frame> = Vec::new();
    // In an object: the next string is a key (after `{` or `,`).
    let mut expect_key = false;
    let mut i = 0;
    let path = |stack: &[Frame]| {
        let mut out = String::new();
        for frame in stack {
            match frame {
                Frame::Object { key: Some(k) } => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(k);
                }
                Frame::Object { key: None } => {}
                Frame::Array { index } => out.push_str(&format!("[{index}]")),
            }
        }
        if out.is_empty() { ".".to_owned() } else { out }
    };
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                let start = i + 1;
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                let end = i.min(bytes.len());
                if expect_key {
                    if let Some(Frame::Object { key }) = stack.last_mut() {
                        *key = Some(text.get(start..end).unwrap_or_default().to_owned());
                    }
                    expect_key = false;
                }
                i += 1;
            }
            b'{' => {
                stack.push(Frame::Object { key: None });
                expect_key = true;
                i += 1;
            }
            b'[' => {
                stack.push(Frame::Array { index: 0 });
                i += 1;
            }
            b'}' | b']' => {
                stack.pop();
                expect_key = false;
                i += 1;
            }
            b',' => {
                match stack.last_mut() {
                    Some(Frame::Array { index }) => *index += 1,
                    Some(Frame::Object { .. }) => expect_key = true,
                    None => {}
                }
                i += 1;
            }
            b'-' | b'0'..=b'9' => {
                let start = i;
                while i < bytes.len()
                    && matches!(bytes[i], b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
                {
                    i += 1;
                }
                let literal = &text[start..i];
                let integral = !literal.contains(['.', 'e', 'E']);
                let fits = if literal.starts_with('-') {
                    literal.parse::<i64>().is_ok()
                } else {
                    literal.parse::<u64>().is_ok()
                };
                let digits = literal.trim_start_matches('-');
                if integral
                    && !fits
                    && !digits.is_empty()
                    && digits.bytes().all(|b| b.is_ascii_digit())
                {
                    return Some((path(&stack), literal.to_owned()));
                }
            }
            _ => i += 1,
        }
    }
    None
}

/// The error for an integer too large for 64 bits.
pub(crate) fn oversized_error(path: String, literal: &str) -> CoreError {
    CoreError::Json {
        path,
        message: format!(
            "the integer {} is too large for 64 bits and would lose its digits as a float: write it as a string",
            crate::quoted(literal)
        ),
    }
}
