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
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(path_error)?;
    deserializer.end().map_err(|e| CoreError::Json {
        path: ".".to_owned(),
        message: e.to_string(),
    })?;
    Ok(value)
}

fn path_error(error: serde_path_to_error::Error<serde_json::Error>) -> CoreError {
    CoreError::Json {
        path: error.path().to_string(),
        message: error.inner().to_string(),
    }
}
