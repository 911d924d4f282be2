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
/// # Errors
/// [`CoreError::Json`] with the path and serde's message (which gives the
/// line and column).
pub fn from_json<T: DeserializeOwned>(text: &str) -> Result<T, CoreError> {
    // The fast path: valid JSON, parsed without tracking paths.
    match serde_json::from_str(text) {
        Ok(value) => Ok(value),
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
        path: error.path().to_string(),
        message,
    })
}

fn path_error(error: serde_path_to_error::Error<serde_json::Error>) -> CoreError {
    CoreError::Json {
        path: error.path().to_string(),
        message: error.inner().to_string(),
    }
}
