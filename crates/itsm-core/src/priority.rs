//! Impact, urgency, priority, and the priority matrix that derives one from the other two.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::CoreError;

macro_rules! level_enum {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(
            Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord,
            serde::Serialize, serde::Deserialize, schemars::JsonSchema,
            strum::Display, strum::EnumIter, strum::AsRefStr, strum::IntoStaticStr,
        )]
        #[serde(rename_all = "snake_case")]
        #[strum(serialize_all = "snake_case")]
        pub enum $name {
            /// Level 1, the highest (GLPI "very high"; "extensive" or "critical" in four-level tables).
            VeryHigh,
            /// Level 2 (ServiceNow "1 - High").
            High,
            /// Level 3 (ServiceNow "2 - Medium").
            Medium,
            /// Level 4 (ServiceNow "3 - Low").
            Low,
            /// Level 5, the lowest (GLPI "very low").
            VeryLow,
        }

        crate::wire::impl_from_str!($name => stringify!($name));

        impl $name {
            /// Every level, highest first.
            pub const ALL: [Self; 5] = [Self::VeryHigh, Self::High, Self::Medium, Self::Low, Self::VeryLow];
        }
    };
}

level_enum!(
    /// How widely a disruption affects the business (users, services, revenue).
    ///
    /// Five levels cover the three of ServiceNow, the four of common ITIL
    /// tables and the five of GLPI; a matrix declares which it uses.
    Impact
);

level_enum!(
    /// How quickly the business needs a resolution.
    ///
    /// Five levels cover the three of ServiceNow, the four of common ITIL
    /// tables and the five of GLPI; a matrix declares which it uses.
    Urgency
);

/// The priority of a record, P1 being the most urgent.
///
/// ServiceNow's five priorities are P1 (critical) to P5 (planning). GLPI's six
/// are P1 (major), P2 (very high), P3 (high), P4 (medium), P5 (low), P6 (very low).
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    JsonSchema,
    strum::Display,
    strum::EnumIter,
    strum::AsRefStr,
    strum::IntoStaticStr,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Priority {
    /// The most urgent priority (ServiceNow "1 - Critical", GLPI "major").
    P1,
    /// ServiceNow "2 - High", GLPI "very high".
    P2,
    /// ServiceNow "3 - Moderate", GLPI "high".
    P3,
    /// ServiceNow "4 - Low", GLPI "medium".
    P4,
    /// ServiceNow "5 - Planning", GLPI "low".
    P5,
    /// GLPI "very low".
    P6,
}

crate::wire::impl_from_str!(Priority => "Priority");

impl Priority {
    /// Every priority, most urgent first.
    pub const ALL: [Self; 6] = [Self::P1, Self::P2, Self::P3, Self::P4, Self::P5, Self::P6];

    /// The rank of this priority: 1 for P1 … 6 for P6.
    #[must_use]
    pub const fn rank(self) -> u8 {
        self as u8 + 1
    }
}

/// One cell of a priority matrix.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PriorityCell {
    /// The impact of the row.
    pub impact: Impact,
    /// The urgency of the column.
    pub urgency: Urgency,
    /// The priority at their crossing.
    pub priority: Priority,
}

/// A priority matrix as data, as integrators write it: the impacts and
/// urgencies it uses and one cell for each of their pairs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PriorityMatrixDefinition {
    /// The matrix's name, such as `servicenow_3x3`.
    pub name: String,
    /// The impact levels this matrix uses, highest first.
    pub impacts: Vec<Impact>,
    /// The urgency levels this matrix uses, highest first.
    pub urgencies: Vec<Urgency>,
    /// One cell per (impact, urgency) pair.
    pub cells: Vec<PriorityCell>,
}

/// Dense lookup table: `table[impact][urgency]`, `None` outside the matrix.
type Table = [[Option<Priority>; 5]; 5];

/// The table cell of a pair.
fn slot(table: &mut Table, impact: Impact, urgency: Urgency) -> &mut Option<Priority> {
    &mut table[impact as usize][urgency as usize]
}

/// A validated priority matrix: total over its impacts and urgencies, with
/// exactly one priority per pair. Looking up a pair it does not use is an
/// error, never a silent default.
///
/// ```
/// use itsm_core::{Impact, PriorityMatrix, Priority, Urgency};
/// let matrix = PriorityMatrix::servicenow();
/// assert_eq!(matrix.priority(Impact::High, Urgency::Medium)?, Priority::P2);
/// assert!(matrix.priority(Impact::VeryLow, Urgency::Low).is_err());
/// # Ok::<(), itsm_core::CoreError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PriorityMatrix {
    definition: PriorityMatrixDefinition,
    /// The priority of each (impact, urgency) pair, indexed by level: a
    /// lookup is two array indexings.
    table: Table,
}

impl PriorityMatrix {
    /// Validates a definition.
    ///
    /// # Errors
    /// [`CoreError::InvalidMatrix`] listing every problem at once: an empty
    /// name, no impacts or urgencies, a level declared twice, a cell outside
    /// the declared levels, a pair with two cells, and every pair with none.
    pub fn new(definition: PriorityMatrixDefinition) -> Result<Self, CoreError> {
        let mut problems = Vec::new();
        if definition.name.trim().is_empty() {
            problems.push("the name is empty".to_owned());
        }
        if definition.impacts.is_empty() {
            problems.push("no impact levels are declared".to_owned());
        }
        if definition.urgencies.is_empty() {
            problems.push("no urgency levels are declared".to_owned());
        }
        for (i, impact) in definition.impacts.iter().enumerate() {
            if definition.impacts[..i].contains(impact) {
                problems.push(format!("impacts[{i}]: impact {impact} is declared twice"));
            }
        }
        for (i, urgency) in definition.urgencies.iter().enumerate() {
            if definition.urgencies[..i].contains(urgency) {
                problems.push(format!(
                    "urgencies[{i}]: urgency {urgency} is declared twice"
                ));
            }
        }
        let mut table: Table = [[None; 5]; 5];
        for (i, cell) in definition.cells.iter().enumerate() {
            if !definition.impacts.contains(&cell.impact) {
                problems.push(format!(
                    "cells[{i}]: impact {} is not one of the declared impacts",
                    cell.impact
                ));
            }
            if !definition.urgencies.contains(&cell.urgency) {
                problems.push(format!(
                    "cells[{i}]: urgency {} is not one of the declared urgencies",
                    cell.urgency
                ));
            }
            if let Some(previous) =
                slot(&mut table, cell.impact, cell.urgency).replace(cell.priority)
            {
                problems.push(format!(
                    "cells[{i}]: duplicate cell for impact {} and urgency {} (already {previous}, now {})",
                    cell.impact, cell.urgency, cell.priority
                ));
            }
        }
        for impact in &definition.impacts {
            for urgency in &definition.urgencies {
                if table[*impact as usize][*urgency as usize].is_none() {
                    problems.push(format!(
                        "missing cell for impact {impact} and urgency {urgency}"
                    ));
                }
            }
        }
        if problems.is_empty() {
            Ok(Self { definition, table })
        } else {
            Err(CoreError::InvalidMatrix {
                name: definition.name,
                problems,
            })
        }
    }

    /// The priority for an impact and an urgency.
    ///
    /// # Errors
    /// [`CoreError::UndefinedCell`] when the matrix does not use that impact or urgency.
    pub fn priority(&self, impact: Impact, urgency: Urgency) -> Result<Priority, CoreError> {
        self.table[impact as usize][urgency as usize].ok_or_else(|| CoreError::UndefinedCell {
            matrix: self.definition.name.clone(),
            impact,
            urgency,
        })
    }

    /// The definition this matrix was built from.
    #[must_use]
    pub fn definition(&self) -> &PriorityMatrixDefinition {
        &self.definition
    }

    /// The matrix's name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.definition.name
    }

    /// The names of the presets, for [`PriorityMatrix::preset`].
    pub const PRESETS: [&'static str; 3] = ["servicenow_3x3", "itil_4x4", "glpi_5x5"];

    /// A preset by name: `servicenow_3x3`, `itil_4x4` or `glpi_5x5`.
    ///
    /// # Errors
    /// [`CoreError::InvalidName`] for any other name.
    pub fn preset(name: &str) -> Result<Self, CoreError> {
        match name {
            "servicenow_3x3" => Ok(Self::servicenow()),
            "itil_4x4" => Ok(Self::itil_4x4()),
            "glpi_5x5" => Ok(Self::glpi()),
            _ => Err(CoreError::InvalidName {
                field: "priority matrix preset",
                value: name.to_owned(),
                expected: Self::PRESETS.join(", "),
            }),
        }
    }

    /// ServiceNow's default 3×3 table: impacts and urgencies high, medium
    /// and low (1, 2, 3 in ServiceNow) give priorities P1 to P5.
    ///
    /// | impact \ urgency | high | medium | low |
    /// |---|---|---|---|
    /// | high   | P1 | P2 | P3 |
    /// | medium | P2 | P3 | P4 |
    /// | low    | P3 | P4 | P5 |
    #[must_use]
    pub fn servicenow() -> Self {
        use Priority::{P1, P2, P3, P4, P5};
        Self::preset_table(
            "servicenow_3x3",
            &[Impact::High, Impact::Medium, Impact::Low],
            &[Urgency::High, Urgency::Medium, Urgency::Low],
            &[[P1, P2, P3], [P2, P3, P4], [P3, P4, P5]],
        )
    }

    /// A common ITIL 4×4 table (impact extensive, significant, moderate,
    /// minor; urgency critical, high, medium, low), here levels very high,
    /// high, medium and low, giving P1 to P5.
    ///
    /// | impact \ urgency | very high | high | medium | low |
    /// |---|---|---|---|---|
    /// | very high | P1 | P1 | P2 | P3 |
    /// | high      | P1 | P2 | P3 | P4 |
    /// | medium    | P2 | P3 | P4 | P4 |
    /// | low       | P3 | P4 | P4 | P5 |
    #[must_use]
    pub fn itil_4x4() -> Self {
        use Priority::{P1, P2, P3, P4, P5};
        Self::preset_table(
            "itil_4x4",
            &[Impact::VeryHigh, Impact::High, Impact::Medium, Impact::Low],
            &[
                Urgency::VeryHigh,
                Urgency::High,
                Urgency::Medium,
                Urgency::Low,
            ],
            &[
                [P1, P1, P2, P3],
                [P1, P2, P3, P4],
                [P2, P3, P4, P4],
                [P3, P4, P4, P5],
            ],
        )
    }

    /// GLPI's default 5×5 table. GLPI's priorities very high (5) … very low
    /// (1) are P2 … P6 here; GLPI's "major" (6, our P1) is set by hand, never
    /// by its default matrix.
    ///
    /// | impact \ urgency | very high | high | medium | low | very low |
    /// |---|---|---|---|---|---|
    /// | very high | P2 | P2 | P3 | P4 | P5 |
    /// | high      | P2 | P3 | P3 | P4 | P5 |
    /// | medium    | P3 | P3 | P4 | P5 | P5 |
    /// | low       | P4 | P4 | P5 | P5 | P6 |
    /// | very low  | P5 | P5 | P5 | P6 | P6 |
    ///
    /// Source: the `priority_matrix` default of GLPI's configuration, written
    /// by `install/empty_data.php` in glpi-project/glpi (the same string
    /// appears in the SQL install dumps of older releases): `{"1":{"1":1,"2":1,"3":2,"4":2,"5":2},"2":{"1":1,"2":2,"3":2,"4":3,"5":3},
    /// "3":{"1":2,"2":2,"3":3,"4":4,"5":4},"4":{"1":2,"2":3,"3":4,"4":4,"5":5},
    /// "5":{"1":2,"2":3,"3":4,"4":5,"5":5}}`, keyed by urgency then impact,
    /// 1 being very low and 5 very high (the table is symmetric).
    #[must_use]
    pub fn glpi() -> Self {
        use Priority::{P2, P3, P4, P5, P6};
        Self::preset_table(
            "glpi_5x5",
            &Impact::ALL,
            &Urgency::ALL,
            &[
                [P2, P2, P3, P4, P5],
                [P2, P3, P3, P4, P5],
                [P3, P3, P4, P5, P5],
                [P4, P4, P5, P5, P6],
                [P5, P5, P5, P6, P6],
            ],
        )
    }

    fn preset_table<const N: usize>(
        name: &str,
        impacts: &[Impact; N],
        urgencies: &[Urgency; N],
        rows: &[[Priority; N]; N],
    ) -> Self {
        let mut table: Table = [[None; 5]; 5];
        let mut cells = Vec::with_capacity(N * N);
        for (impact, row) in impacts.iter().zip(rows) {
            for (urgency, priority) in urgencies.iter().zip(row) {
                *slot(&mut table, *impact, *urgency) = Some(*priority);
                cells.push(PriorityCell {
                    impact: *impact,
                    urgency: *urgency,
                    priority: *priority,
                });
            }
        }
        let definition = PriorityMatrixDefinition {
            name: name.to_owned(),
            impacts: impacts.to_vec(),
            urgencies: urgencies.to_vec(),
            cells,
        };
        Self { definition, table }
    }
}

impl TryFrom<PriorityMatrixDefinition> for PriorityMatrix {
    type Error = CoreError;

    fn try_from(definition: PriorityMatrixDefinition) -> Result<Self, Self::Error> {
        Self::new(definition)
    }
}
