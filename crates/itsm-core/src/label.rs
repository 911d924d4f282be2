//! Human labels, separate from wire names: what a person reads in a list,
//! a report or a notification.

/// A value's label for people (`"P2 – High"`, `"Workaround provided"`,
/// `"In progress"`), beside its `Display`, which is its `snake_case` wire
/// name (`p2`, `workaround_provided`, `in_progress`) for machines and logs.
///
/// ```
/// use itsm_core::{IncidentResolutionCode, IncidentState, Label, Priority};
///
/// assert_eq!(Priority::P2.label(), "P2 – High");
/// assert_eq!(IncidentState::InProgress.label(), "In progress");
/// assert_eq!(IncidentResolutionCode::WorkaroundProvided.label(), "Workaround provided");
/// assert_eq!(Priority::P2.to_string(), "p2");
/// ```
pub trait Label {
    /// The label, in English sentence case.
    fn label(&self) -> String;
}

/// Labels that the wire name alone does not give: the priorities, named as
/// ServiceNow names them, and the words written in capitals.
const SPECIAL: &[(&str, &str)] = &[
    ("p1", "P1 – Critical"),
    ("p2", "P2 – High"),
    ("p3", "P3 – Moderate"),
    ("p4", "P4 – Low"),
    ("p5", "P5 – Planning"),
    ("p6", "P6 – Very low"),
];

/// The label of a `snake_case` wire name: its special label, or the name in
/// sentence case with spaces (`awaiting_caller` → `Awaiting caller`).
pub(crate) fn from_wire(wire: &str) -> String {
    if let Some((_, label)) = SPECIAL.iter().find(|(w, _)| *w == wire) {
        return (*label).to_owned();
    }
    let mut out = String::with_capacity(wire.len());
    for (i, c) in wire.chars().enumerate() {
        match c {
            '_' => out.push(' '),
            c if i == 0 => out.extend(c.to_uppercase()),
            c => out.push(c),
        }
    }
    out
}

/// The most characters of a value a message quotes.
pub const MAX_QUOTED_CHARS: usize = 64;

/// A value as a message quotes it: in double quotes with escapes, and cut
/// after [`MAX_QUOTED_CHARS`] characters with its full length given, so that
/// a 100 KB name never fills a message (or a log line) twice.
///
/// ```
/// use itsm_core::quoted;
/// assert_eq!(quoted("triage"), "\"triage\"");
/// let long = "x".repeat(100_000);
/// assert_eq!(quoted(&long), format!("{:?}… (100000 characters)", "x".repeat(64)));
/// ```
#[must_use]
pub fn quoted(value: &str) -> String {
    match value.char_indices().nth(MAX_QUOTED_CHARS) {
        None => format!("{value:?}"),
        Some((cut, _)) => format!(
            "{:?}… ({} characters)",
            &value[..cut],
            value.chars().count()
        ),
    }
}
