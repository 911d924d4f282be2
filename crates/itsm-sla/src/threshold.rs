//! Warning thresholds: a whole percentage of the goal, or an amount of
//! business time before the due instant ([`WarningThreshold`]); and when a
//! cycle crossed each one ([`ThresholdCrossing`]).

use std::fmt;

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::units::BusinessDuration;

/// When a warning is due, in one of two forms.
///
/// On the wire a percentage is a bare integer, as definitions have always
/// written it (`50`), or `{"percent": 50}`; a time before the due instant is
/// `{"before_due": 3600}` or `{"before_due": "PT1H"}` (business time, like
/// every [`BusinessDuration`]). A definition mixes them freely:
/// `"warning_thresholds": [50, {"before_due": "PT1H"}]`.
///
/// ```
/// use itsm_sla::{BusinessDuration, WarningThreshold};
/// let read: Vec<WarningThreshold> = serde_json::from_str(r#"[75, {"before_due": "PT1H"}]"#)?;
/// assert_eq!(read, [WarningThreshold::Percent(75), WarningThreshold::BeforeDue(BusinessDuration::from_hours(1))]);
/// assert_eq!(serde_json::to_string(&read)?, r#"[75,{"before_due":3600}]"#);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum WarningThreshold {
    /// When the business elapsed time reaches this whole percentage of the
    /// goal (1 to 99), rounded up to the next whole second.
    Percent(u8),
    /// When the business time left before the due instant falls to this
    /// amount: "one business hour before the breach". With a goal no longer
    /// than this amount it is crossed as the cycle starts.
    BeforeDue(BusinessDuration),
}

impl WarningThreshold {
    /// The business elapsed time at which the threshold is crossed, for a
    /// goal of `target`: `ceil(target × percent / 100)`, or `target − before`
    /// (zero when `before` is longer than the goal).
    #[must_use]
    pub fn mark(self, target: BusinessDuration) -> BusinessDuration {
        match self {
            Self::Percent(percent) => {
                let secs = target.as_secs();
                let p = u64::from(percent);
                // Without overflow: ceil(secs * p / 100) = (secs / 100) * p + ceil((secs % 100) * p / 100),
                // saturating for a percentage above 100 of an enormous goal.
                BusinessDuration::from_secs(
                    (secs / 100)
                        .saturating_mul(p)
                        .saturating_add(((secs % 100) * p).div_ceil(100)),
                )
            }
            Self::BeforeDue(before) => target - before,
        }
    }
}

impl fmt::Display for WarningThreshold {
    /// For people and messages: `75 %`, `1 h before the due instant`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Percent(p) => write!(f, "{p} %"),
            Self::BeforeDue(d) => write!(f, "{} before the due instant", d.humanized()),
        }
    }
}

impl Serialize for WarningThreshold {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        match self {
            Self::Percent(p) => serializer.serialize_u8(*p),
            Self::BeforeDue(d) => {
                let mut map = serializer.serialize_map(Some(1))?;
                map.serialize_entry("before_due", d)?;
                map.end()
            }
        }
    }
}

/// The keys of the object form.
const KEYS: &[&str] = &["percent", "before_due"];

impl<'de> Deserialize<'de> for WarningThreshold {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Threshold;
        impl<'de> Visitor<'de> for Threshold {
            type Value = WarningThreshold;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(
                    "a whole percentage (75), {\"percent\": 75} or {\"before_due\": <business time>}",
                )
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                u8::try_from(v)
                    .map(WarningThreshold::Percent)
                    .map_err(|_| E::invalid_value(de::Unexpected::Unsigned(v), &self))
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                u8::try_from(v)
                    .map(WarningThreshold::Percent)
                    .map_err(|_| E::invalid_value(de::Unexpected::Signed(v), &self))
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut found: Option<WarningThreshold> = None;
                while let Some(key) = map.next_key::<String>()? {
                    let value = match key.as_str() {
                        "percent" => WarningThreshold::Percent(map.next_value()?),
                        "before_due" => WarningThreshold::BeforeDue(map.next_value()?),
                        other => return Err(de::Error::unknown_field(other, KEYS)),
                    };
                    if found.is_some() {
                        return Err(de::Error::custom(
                            "a warning threshold is either a percent or a time before_due, not both",
                        ));
                    }
                    found = Some(value);
                }
                found.ok_or_else(|| de::Error::missing_field("before_due"))
            }
        }
        deserializer.deserialize_any(Threshold)
    }
}

impl JsonSchema for WarningThreshold {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "WarningThreshold".into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let duration = generator.subschema_for::<BusinessDuration>();
        schemars::json_schema!({
            "description": "When a warning is due: a whole percentage of the goal (a bare integer, or {\"percent\": n}), or an amount of business time before the due instant ({\"before_due\": 3600} or {\"before_due\": \"PT1H\"}).",
            "anyOf": [
                { "type": "integer", "format": "uint8", "minimum": 0, "maximum": 255 },
                {
                    "type": "object",
                    "properties": { "percent": { "type": "integer", "format": "uint8", "minimum": 0, "maximum": 255 } },
                    "required": ["percent"],
                    "additionalProperties": false
                },
                {
                    "type": "object",
                    "properties": { "before_due": duration },
                    "required": ["before_due"],
                    "additionalProperties": false
                }
            ]
        })
    }
}

/// A warning threshold and when the clock crossed it.
///
/// On the wire the threshold's form is a key beside `crossed_at`:
/// `{"percent": 50, "crossed_at": …}` (as clocks stored before time-before
/// thresholds existed read) or `{"before_due": 3600, "crossed_at": …}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(into = "CrossingWire", try_from = "CrossingWire")]
pub struct ThresholdCrossing {
    /// The threshold, as the definition writes it.
    pub threshold: WarningThreshold,
    /// When the business elapsed time first reached it; `None` while not yet.
    /// Once set it never moves, even when a new goal (or a new due date)
    /// moves the threshold back behind the elapsed time.
    pub crossed_at: Option<DateTime<Utc>>,
}

/// The wire form of [`ThresholdCrossing`].
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[schemars(
    rename = "ThresholdCrossing",
    extend("oneOf" = [{"required": ["percent"]}, {"required": ["before_due"]}])
)]
struct CrossingWire {
    /// A percentage of the goal (exactly one of `percent` and `before_due`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "u8")]
    percent: Option<u8>,
    /// Business time before the due instant (exactly one of `percent` and `before_due`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "BusinessDuration")]
    before_due: Option<BusinessDuration>,
    /// When the business elapsed time first reached it; `null` while not
    /// yet. Once set it never moves, even when a new goal (or a new due
    /// date) moves the threshold back behind the elapsed time.
    crossed_at: Option<DateTime<Utc>>,
}

impl From<ThresholdCrossing> for CrossingWire {
    fn from(c: ThresholdCrossing) -> Self {
        let (percent, before_due) = match c.threshold {
            WarningThreshold::Percent(p) => (Some(p), None),
            WarningThreshold::BeforeDue(d) => (None, Some(d)),
        };
        Self {
            percent,
            before_due,
            crossed_at: c.crossed_at,
        }
    }
}

impl TryFrom<CrossingWire> for ThresholdCrossing {
    type Error = String;

    fn try_from(w: CrossingWire) -> Result<Self, Self::Error> {
        let threshold = match (w.percent, w.before_due) {
            (Some(p), None) => WarningThreshold::Percent(p),
            (None, Some(d)) => WarningThreshold::BeforeDue(d),
            _ => {
                return Err(
                    "a threshold crossing names exactly one of percent and before_due".to_owned(),
                );
            }
        };
        Ok(Self {
            threshold,
            crossed_at: w.crossed_at,
        })
    }
}
