//! [`Violation`] and the [`Validate`] trait.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::CoreError;

/// One broken rule of a record: where, which rule, and a sentence for a person.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub struct Violation {
    /// The JSON path of the offending field, such as `resolution_code` or
    /// `approvals[2].decided_at`.
    pub path: String,
    /// A stable `snake_case` code naming the rule, such as `required_when_resolved`.
    pub rule: String,
    /// What is wrong, in a sentence that names the value.
    pub message: String,
}

impl Violation {
    /// A violation at `path` of `rule`.
    #[must_use]
    pub fn new(
        path: impl Into<String>,
        rule: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            path: path.into(),
            rule: rule.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} ({})", self.path, self.message, self.rule)
    }
}

/// A record that checks its own rules.
pub trait Validate {
    /// Every rule this record breaks; empty when it is valid.
    fn validate(&self) -> Vec<Violation>;

    /// `Ok` when the record is valid.
    ///
    /// # Errors
    /// [`CoreError::Invalid`] with every violated rule.
    fn check(&self) -> Result<(), CoreError> {
        let violations = self.validate();
        if violations.is_empty() {
            Ok(())
        } else {
            Err(CoreError::Invalid { violations })
        }
    }
}
