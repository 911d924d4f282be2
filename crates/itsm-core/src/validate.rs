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
///
/// Every record of this crate implements it, as does [`Timeline`](crate::Timeline).
/// `validate()` returns every broken rule at once, each with the JSON path
/// of its field and a stable `snake_case` rule code; a new code is a minor
/// change, renaming one a major change. The codes:
///
/// | code | meaning |
/// |---|---|
/// | `empty` | a required text is empty or only whitespace |
/// | `wrong_number_prefix` | the record number has another kind's prefix (`PRB…` on an incident) |
/// | `required_when_on_hold` | on hold without a reason, or awaiting a problem/change that is not linked |
/// | `required_when_resolved` | resolved or closed without a resolution code, notes or time |
/// | `required_when_closed` | closed without a closing time or close code; a task closed incomplete or skipped without close notes |
/// | `required_in_state` | a field the current state needs is missing (a task in progress without `started_at`) |
/// | `not_allowed_in_state` | a field is set in a state that cannot have it (`closed_at` on an open record) |
/// | `before_opened_at`, `before_created_at`, `before_resolved_at`, `before_requested_at`, `before_last_reopened_at`, `before_published_at`, `before_actual_end`, `before_started_at` | an instant is earlier than the one it must follow |
/// | `end_before_start` | a window ends before it starts |
/// | `without_start` | a window has an end but no start |
/// | `without_timestamp` | a "by" field is set without its "at" field |
/// | `required_when_reopened`, `not_reopened` | `reopen_count` and `last_reopened_at` disagree |
/// | `self_reference` | a record names itself as its parent, duplicate or manager |
/// | `inconsistent_with_state` | two state fields contradict each other |
/// | `required_when_duplicate`, `not_allowed_unless_duplicate` | duplicate resolution and `duplicate_of`/`parent_incident` disagree |
/// | `required_when_known_error`, `not_allowed_unless_known_error` | known-error flag without root cause and workaround, or a known-error record without the flag |
/// | `required_when_fix_applied` | a problem fixed without root cause or fix notes |
/// | `required_for_implementation` | a normal or emergency change implemented without a planned window or plans |
/// | `approval_required` | a change or request moves on without approval |
/// | `inconsistent_with_approvals` | the overall approval status contradicts the approvers' decisions |
/// | `required_when_decided`, `not_allowed_undecided` | `decided_at` set iff the decision is approved or rejected |
/// | `required_when_rejected` | a rejection without a comment |
/// | `required_when_published`, `required_when_retired` | a knowledge article's state without its time |
/// | `duplicate_entry` | the same id (or keyword, or approver) listed twice |
/// | `out_of_range` | a number outside its range (a quantity of 0) |
/// | `invalid_email` | an e-mail address without the shape `local@domain.tld` |
/// | `invalid_name` | a role name with whitespace, a catalog variable name that is not a key |
/// | `unknown_kind` | a role's permission names a kind of record that does not exist |
/// | `unknown_reference` | a [`Directory`](crate::Directory) record, an assignment, or an asset or licence, names a person, group or role the directory does not have |
/// | `inactive_member`, `inactive_manager` | an inactive person is a member or the manager of an active group |
/// | `parent_cycle` | a group is its own ancestor through two or more parent links |
/// | `inactive_group`, `inactive_person`, `not_a_member` | an assignment to an inactive group or person, or to a person outside the group ([`Directory::check_assignment`](crate::Directory::check_assignment)); an asset or licence assigned to an inactive person ([`validate_assets`](crate::validate_assets), [`validate_licences`](crate::validate_licences)) |
/// | `before_purchased_on` | an asset's warranty ends before it was bought |
/// | `invalid_currency` | a cost whose currency is not three upper-case letters (ISO 4217) |
/// | `not_allowed_for_metric` | people assigned to a licence that is not `per_user` |
/// | `duplicate_serial_number` | two assets of one vendor with one serial number ([`validate_assets`](crate::validate_assets)) |
/// | `not_standard` | a change made from a standard change template is not of type `standard` |
/// | `not_low_risk` | a standard change template whose risk is not `low` |
/// | `inactive_reference` | a catalog item carries an inactive standard change template, or an order names an inactive item or template |
/// | `unknown_variable`, `required_variable`, `wrong_type`, `not_a_choice`, `not_an_integer`, `too_long`, `invalid_date`, `invalid_id` | an order's answer the catalog item refuses ([`CatalogItem::check_order`](crate::CatalogItem::check_order)) |
/// | `approver_missing` | an order whose item's approvers cannot be found (no manager, an approving group with no active member but the requester) |
/// | `requester_cannot_approve` | an order whose approver would be the person who ordered it |
/// | `unknown_change`, `link_mismatch`, `unapproved_change` | a release and its changes disagree, or it holds an unapproved change ([`Release::check_changes`](crate::Release::check_changes)) |
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
