//! Reading input files (or standard input for `-`) and parsing them as JSON
//! with errors that name the file, the JSON path and the offending value.

use std::io::Read;

use serde::de::DeserializeOwned;
use serde_path_to_error::Segment;

use crate::CliError;

/// The name used in messages for standard input.
pub(crate) const STDIN_NAME: &str = "<stdin>";

/// The longest offending value quoted in a message, in characters.
const MAX_VALUE_CHARS: usize = 120;

/// Where inputs come from: files, and standard input at most once.
pub(crate) struct Inputs<'a> {
    stdin: &'a mut dyn Read,
    stdin_used: bool,
}

/// One input read into memory: its display name and its text.
pub(crate) struct Source {
    /// The file as given, or `<stdin>`.
    pub name: String,
    /// The whole content.
    pub text: String,
}

impl<'a> Inputs<'a> {
    pub(crate) fn new(stdin: &'a mut dyn Read) -> Self {
        Self {
            stdin,
            stdin_used: false,
        }
    }

    /// A streaming reader of `file` (`-` for standard input), for inputs
    /// too large to hold in memory (`itsm import`).
    pub(crate) fn reader(&mut self, file: &str) -> Result<Box<dyn Read + '_>, CliError> {
        if file == "-" {
            if self.stdin_used {
                return Err(CliError::Usage {
                    message: "only one input may be read from standard input (`-`)".to_owned(),
                });
            }
            self.stdin_used = true;
            return Ok(Box::new(&mut *self.stdin));
        }
        let handle = std::fs::File::open(file).map_err(|e| CliError::Read {
            file: file.to_owned(),
            message: e.to_string(),
        })?;
        Ok(Box::new(handle))
    }

    /// Reads `file` (`-` for standard input) as UTF-8 text.
    pub(crate) fn read(&mut self, file: &str) -> Result<Source, CliError> {
        if file == "-" {
            if self.stdin_used {
                return Err(CliError::Usage {
                    message: "only one input may be read from standard input (`-`)".to_owned(),
                });
            }
            self.stdin_used = true;
            let mut bytes = Vec::new();
            self.stdin
                .read_to_end(&mut bytes)
                .map_err(|e| CliError::Read {
                    file: STDIN_NAME.to_owned(),
                    message: e.to_string(),
                })?;
            let text = String::from_utf8(bytes).map_err(|e| CliError::Read {
                file: STDIN_NAME.to_owned(),
                message: format!("not UTF-8 text: {e}"),
            })?;
            return Ok(Source {
                name: STDIN_NAME.to_owned(),
                text,
            });
        }
        let bytes = std::fs::read(file).map_err(|e| CliError::Read {
            file: file.to_owned(),
            message: e.to_string(),
        })?;
        let text = String::from_utf8(bytes).map_err(|e| CliError::Read {
            file: file.to_owned(),
            message: format!("not UTF-8 text: {e}"),
        })?;
        Ok(Source {
            name: file.to_owned(),
            text,
        })
    }

    /// Reads `file` and parses it as a `T` (`what` names it in messages).
    pub(crate) fn parse<T: DeserializeOwned>(
        &mut self,
        file: &str,
        what: &str,
    ) -> Result<(Source, T), CliError> {
        let source = self.read(file)?;
        let value = parse_text(&source, what)?;
        Ok((source, value))
    }
}

/// Parses `source` as a `T`, naming the file, the JSON path and the
/// offending value on failure.
pub(crate) fn parse_text<T: DeserializeOwned>(source: &Source, what: &str) -> Result<T, CliError> {
    let mut deserializer = serde_json::Deserializer::from_str(&source.text);
    let result: Result<T, _> = serde_path_to_error::deserialize(&mut deserializer);
    match result {
        Ok(value) => {
            deserializer.end().map_err(|e| CliError::Json {
                file: source.name.clone(),
                what: what.to_owned(),
                path: ".".to_owned(),
                message: e.to_string(),
                value: None,
            })?;
            // An integer too large for 64 bits was read as a float: refused.
            if let Some((path, literal)) = itsm_core::oversized_integer(&source.text) {
                return Err(CliError::Json {
                    file: source.name.clone(),
                    what: what.to_owned(),
                    path,
                    message: "an integer too large for 64 bits would lose its digits as a float: write it as a string".to_owned(),
                    value: Some(itsm_core::quoted(&literal)),
                });
            }
            Ok(value)
        }
        Err(error) => {
            let mut segments: Vec<Segment> = error.path().iter().cloned().collect();
            let mut path = itsm_core::tidy_json_path(&error.path().to_string());
            let inner = error.inner();
            let mut message = inner.to_string();
            // A tagged object whose tag is not its first key hides the inner
            // path of the keys before it: read the document again with every
            // tag first and keep the deeper path (its line and column would
            // point into the rewritten text, so they are dropped).
            if let Some(reordered) = itsm_core::__tagged::tags_first(&source.text) {
                let mut again = serde_json::Deserializer::from_str(&reordered);
                if let Err(deeper) = serde_path_to_error::deserialize::<_, T>(&mut again)
                    && deeper.path().iter().count() > segments.len()
                {
                    segments = deeper.path().iter().cloned().collect();
                    path = itsm_core::tidy_json_path(&deeper.path().to_string());
                    message = deeper.inner().to_string();
                    if let Some(i) = message.rfind(" at line ") {
                        message.truncate(i);
                    }
                }
            }
            let message = itsm_core::did_you_mean(message);
            // A syntax error has no value to quote: the document is not JSON.
            let value = if inner.is_syntax() || inner.is_eof() {
                None
            } else {
                offending_value(&source.text, &segments)
            };
            Err(CliError::Json {
                file: source.name.clone(),
                what: what.to_owned(),
                path,
                message,
                value,
            })
        }
    }
}

/// The value at `segments` in `text`, as shortened compact JSON; `None`
/// when `text` is not JSON or the path does not lead to a value.
pub(crate) fn offending_value(text: &str, segments: &[Segment]) -> Option<String> {
    let mut at: serde_json::Value = serde_json::from_str(text).ok()?;
    for segment in segments {
        at = match (segment, at) {
            (Segment::Seq { index }, serde_json::Value::Array(mut items)) => {
                if *index >= items.len() {
                    return None;
                }
                items.swap_remove(*index)
            }
            (Segment::Map { key }, serde_json::Value::Object(mut map)) => map.remove(key)?,
            // An enum variant names the value it is in; stay on it.
            (Segment::Enum { .. }, value) => value,
            _ => return None,
        };
    }
    Some(shorten(&at.to_string()))
}

/// `text` cut to [`MAX_VALUE_CHARS`] characters, with `…` when cut.
fn shorten(text: &str) -> String {
    match text.char_indices().nth(MAX_VALUE_CHARS) {
        None => text.to_owned(),
        Some((cut, _)) => format!("{}…", &text[..cut]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg_key(k: &str) -> Segment {
        Segment::Map { key: k.to_owned() }
    }

    fn check(text: &str, segments: &[Segment], expected: Option<&str>) {
        let actual = offending_value(text, segments);
        assert_eq!(
            actual.as_deref(),
            expected,
            "text {text:?}, path {segments:?}"
        );
    }

    #[test]
    fn offending_values() {
        check(r#"{"a": 1}"#, &[seg_key("a")], Some("1"));
        check(
            r#"{"a": [1, "x"]}"#,
            &[seg_key("a"), Segment::Seq { index: 1 }],
            Some("\"x\""),
        );
        check(
            r#"{"a": [1]}"#,
            &[seg_key("a"), Segment::Seq { index: 3 }],
            None,
        );
        check(r#"{"a": 1}"#, &[seg_key("b")], None);
        check(r#"{"a": 1"#, &[seg_key("a")], None);
        check(
            r#"{"a": {"b": true}}"#,
            &[seg_key("a")],
            Some(r#"{"b":true}"#),
        );
        check(r#"[1, 2]"#, &[seg_key("a")], None);
        check(r#"[1, 2]"#, &[], Some("[1,2]"));
        check(r#"{"a": 1}"#, &[Segment::Unknown], None);
    }

    #[test]
    fn long_values_are_shortened() {
        let long = format!("\"{}\"", "é".repeat(500));
        let shown = offending_value(&format!("{{\"a\": {long}}}"), &[seg_key("a")]).unwrap();
        assert_eq!(shown.chars().count(), MAX_VALUE_CHARS + 1);
        assert!(shown.ends_with('…'));
    }
}
