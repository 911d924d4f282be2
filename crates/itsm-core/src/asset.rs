//! IT assets and software licences: [`Asset`] with its [`AssetState`]
//! lifecycle, the checks of a set of assets against a [`Directory`], and
//! [`SoftwareLicence`] with the compliance calculation [`licence_compliance`].

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::directory::nested;
use crate::state::plain_enum;
use crate::{
    AssetId, CiId, CoreError, Directory, Extensions, PersonId, RecordState, SoftwareLicenceId,
    StateCategory, Validate, Violation,
};

plain_enum!(
    /// Whether an [`Asset`] is a piece of hardware or a software package.
    AssetKind {
        /// A device: a laptop, a server, a phone, a switch.
        Hardware,
        /// A software package or subscription held as an asset.
        Software,
    }
);

plain_enum!(
    /// Where an [`Asset`] is in its life. The moves allowed between states
    /// are [`AssetState::TRANSITIONS`], checked by [`AssetState::can_move_to`].
    AssetState {
        /// Ordered, not yet received.
        OnOrder,
        /// Received and in the store, assigned to no one.
        InStock,
        /// Deployed: with a person or in a rack.
        InUse,
        /// Out for repair or servicing.
        InMaintenance,
        /// Withdrawn from use, awaiting disposal.
        Retired,
        /// Sold, recycled or destroyed: the end of its life.
        Disposed,
    }
);

impl AssetState {
    /// Every allowed move, `(from, to)`. Staying in a state is not a move.
    ///
    /// | from | to |
    /// |---|---|
    /// | `on_order` | `in_stock` (received), `retired` (order cancelled) |
    /// | `in_stock` | `in_use`, `in_maintenance`, `retired` |
    /// | `in_use` | `in_stock` (returned), `in_maintenance`, `retired` |
    /// | `in_maintenance` | `in_stock`, `in_use`, `retired` |
    /// | `retired` | `disposed` |
    /// | `disposed` | nothing: the end of its life |
    pub const TRANSITIONS: &'static [(Self, Self)] = &[
        (Self::OnOrder, Self::InStock),
        (Self::OnOrder, Self::Retired),
        (Self::InStock, Self::InUse),
        (Self::InStock, Self::InMaintenance),
        (Self::InStock, Self::Retired),
        (Self::InUse, Self::InStock),
        (Self::InUse, Self::InMaintenance),
        (Self::InUse, Self::Retired),
        (Self::InMaintenance, Self::InStock),
        (Self::InMaintenance, Self::InUse),
        (Self::InMaintenance, Self::Retired),
        (Self::Retired, Self::Disposed),
    ];

    /// Whether an asset in this state may move to `to` (a row of
    /// [`AssetState::TRANSITIONS`]).
    #[must_use]
    pub fn can_move_to(self, to: Self) -> bool {
        Self::TRANSITIONS.contains(&(self, to))
    }

    /// Whether an asset in this state may still be assigned to a person:
    /// every state but `retired` and `disposed`.
    #[must_use]
    pub fn may_be_assigned(self) -> bool {
        !matches!(self, Self::Retired | Self::Disposed)
    }
}

/// An asset state is a record state, so that the asset lifecycle runs as a
/// workflow (`itsm_lifecycle::asset_flow`) whose categories reporting
/// understands. The wire names are the enum's own.
///
/// | state | category | why |
/// |---|---|---|
/// | `on_order` | `new` | not yet here |
/// | `in_stock` | `new` | here and ready, not yet in service |
/// | `in_use` | `open` | in service |
/// | `in_maintenance` | `paused` | out of service for a while, coming back |
/// | `retired` | `closed` | out of service for good |
/// | `disposed` | `closed` | gone; final |
impl RecordState for AssetState {
    const ALL: &'static [Self] = &[
        Self::OnOrder,
        Self::InStock,
        Self::InUse,
        Self::InMaintenance,
        Self::Retired,
        Self::Disposed,
    ];

    fn category(self) -> StateCategory {
        match self {
            Self::OnOrder | Self::InStock => StateCategory::New,
            Self::InUse => StateCategory::Open,
            Self::InMaintenance => StateCategory::Paused,
            Self::Retired | Self::Disposed => StateCategory::Closed,
        }
    }

    fn name(self) -> &'static str {
        self.into()
    }
}

/// An amount of money, exact: an integer count of the currency's minor
/// unit (cents for `EUR`, yen for `JPY`) and its ISO 4217 code.
///
/// Not a float, which cannot hold 0.10 exactly and drifts when summed;
/// not a decimal string, which every reader must parse. The currency
/// travels with the amount because the same digits mean different sums
/// in different currencies, and the minor unit's size is the currency's
/// (ISO 4217 exponent), which the reader looks up.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Money {
    /// The amount in the currency's minor unit: `129900` with `EUR` is €1,299.00.
    pub amount_minor: i64,
    /// The ISO 4217 code, three upper-case letters (`EUR`, `USD`, `JPY`).
    pub currency: String,
}

impl Money {
    /// `amount_minor` of `currency`'s minor unit.
    #[must_use]
    pub fn new(amount_minor: i64, currency: impl Into<String>) -> Self {
        Self {
            amount_minor,
            currency: currency.into(),
        }
    }
}

/// An IT asset: a piece of hardware or software the organisation owns,
/// tracked for its cost, warranty and who has it (ServiceNow's
/// `alm_hardware`, GLPI's computers and peripherals).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
// The derives are kept as inherent functions, completed by the trait impls
// below: unknown top-level keys go to `extensions`.
#[serde(remote = "Self")]
#[schemars(rename = "Asset")]
pub struct Asset {
    /// The asset's id.
    pub id: AssetId,
    /// The label stuck on it (`P-000123`), unique in the organisation.
    pub asset_tag: String,
    /// Hardware or software.
    pub kind: AssetKind,
    /// Its model (`Latitude 7450`).
    pub model: String,
    /// Its maker or seller (`Dell`).
    #[serde(default)]
    pub vendor: Option<String>,
    /// The maker's serial number, unique per vendor.
    #[serde(default)]
    pub serial_number: Option<String>,
    /// Where it is in its life.
    pub state: AssetState,
    /// What it cost.
    #[serde(default)]
    pub cost: Option<Money>,
    /// The day it was bought.
    #[serde(default)]
    pub purchased_on: Option<NaiveDate>,
    /// The last day of its warranty.
    #[serde(default)]
    pub warranty_end: Option<NaiveDate>,
    /// The person it was provided to.
    #[serde(default)]
    pub assigned_to: Option<PersonId>,
    /// The configuration item that represents it in the CMDB.
    #[serde(default)]
    pub configuration_item: Option<CiId>,
    /// Custom fields, round-tripped untouched.
    #[serde(default, deserialize_with = "crate::unique_fields")]
    pub extensions: Extensions,
}

crate::derived::derived_fields!(Asset, [], |_record, _given| {});

plain_enum!(
    /// What one licence entitlement covers.
    LicenceMetric {
        /// One named user, on any number of devices.
        PerUser,
        /// One device with the product installed.
        PerDevice,
        /// One processor core of a device with the product installed.
        PerCore,
    }
);

/// A software licence: the right to use a product, counted in a
/// [`LicenceMetric`] (ServiceNow's `alm_license`, GLPI's licences).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
// The derives are kept as inherent functions, completed by the trait impls
// below: unknown top-level keys go to `extensions`.
#[serde(remote = "Self")]
#[schemars(rename = "SoftwareLicence")]
pub struct SoftwareLicence {
    /// The licence's id.
    pub id: SoftwareLicenceId,
    /// The product licensed, as installations name it (`Visio Professional`).
    pub product: String,
    /// Its publisher.
    #[serde(default)]
    pub vendor: Option<String>,
    /// What one entitlement covers.
    pub metric: LicenceMetric,
    /// How many users, devices or cores it entitles.
    pub entitlements: u32,
    /// The users a `per_user` licence is assigned to.
    #[serde(default)]
    pub assigned_to: Vec<PersonId>,
    /// What it cost.
    #[serde(default)]
    pub cost: Option<Money>,
    /// Custom fields, round-tripped untouched.
    #[serde(default, deserialize_with = "crate::unique_fields")]
    pub extensions: Extensions,
}

crate::derived::derived_fields!(SoftwareLicence, [], |_record, _given| {});

/// A product found installed on a device, as discovery reports it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Installation {
    /// The device (a configuration item) it is installed on.
    pub device: CiId,
    /// The product, named as licences name it.
    pub product: String,
    /// The device's processor cores, which `per_core` licences count.
    pub cores: u32,
}

/// The licence position of one product in one metric: what the licences
/// entitle, what the installations or assignments consume, and the
/// difference either way.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LicencePosition {
    /// The product.
    pub product: String,
    /// The metric counted.
    pub metric: LicenceMetric,
    /// The sum of the entitlements of the product's licences in this metric.
    pub entitled: u64,
    /// What is used: distinct assigned users (`per_user`), distinct devices
    /// (`per_device`), or the cores of distinct devices (`per_core`).
    pub consumed: u64,
    /// Over-deployment: `consumed - entitled` when positive, else 0.
    pub shortfall: u64,
    /// Unused licences: `entitled - consumed` when positive, else 0.
    pub unused: u64,
}

/// The licence position of every product, in one pass over the
/// installations: one row per product and metric its licences use, sorted
/// by product then metric.
///
/// - `per_user`: consumes one entitlement per distinct person assigned to
///   any of the product's `per_user` licences; installations do not count.
/// - `per_device`: one per distinct device with the product installed.
/// - `per_core`: the cores of each distinct device with the product
///   installed (the largest count reported for a device).
/// - A product installed with no `per_device` or `per_core` licence and no
///   `per_user` licence is reported as `per_device` with nothing entitled:
///   every device is over-deployment.
///
/// Products match by exact name: normalise names before (as ServiceNow's
/// software normalisation does). A product licensed in two device metrics
/// counts its devices against both rows; [`SoftwareLicence`]s of one
/// product should share one metric.
///
/// ```
/// use itsm_core::{
///     CiId, Extensions, Installation, LicenceMetric, SoftwareLicence, SoftwareLicenceId,
///     licence_compliance,
/// };
///
/// let licence = SoftwareLicence {
///     id: SoftwareLicenceId::from_u128(1),
///     product: "SQL Server".into(),
///     vendor: Some("Microsoft".into()),
///     metric: LicenceMetric::PerCore,
///     entitlements: 16,
///     assigned_to: Vec::new(),
///     cost: None,
///     extensions: Extensions::new(),
/// };
/// let on = |device: u128, cores: u32| Installation {
///     device: CiId::from_u128(device),
///     product: "SQL Server".into(),
///     cores,
/// };
/// // Two servers of 8 and 12 cores; the first is reported twice.
/// let report = licence_compliance(&[licence], &[on(1, 8), on(2, 12), on(1, 8)]);
/// assert_eq!(report.len(), 1);
/// assert_eq!((report[0].entitled, report[0].consumed), (16, 20));
/// assert_eq!((report[0].shortfall, report[0].unused), (4, 0));
/// ```
#[must_use]
pub fn licence_compliance(
    licences: &[SoftwareLicence],
    installations: &[Installation],
) -> Vec<LicencePosition> {
    let mut index: HashMap<&str, usize> = HashMap::new();
    let mut products: Vec<Tally<'_>> = Vec::new();
    for licence in licences {
        let i = slot(&mut index, &mut products, &licence.product);
        let t = &mut products[i];
        let m = metric_slot(licence.metric);
        t.entitled[m] += u64::from(licence.entitlements);
        t.licensed[m] = true;
        if licence.metric == LicenceMetric::PerUser {
            t.users.extend(licence.assigned_to.iter().copied());
        }
    }
    // (product, device) -> the largest core count reported for it.
    let mut devices: HashMap<(usize, CiId), u32> = HashMap::with_capacity(installations.len());
    for installation in installations {
        let i = slot(&mut index, &mut products, &installation.product);
        let t = &mut products[i];
        match devices.entry((i, installation.device)) {
            Entry::Vacant(e) => {
                e.insert(installation.cores);
                t.devices += 1;
                t.cores += u64::from(installation.cores);
            }
            Entry::Occupied(mut e) => {
                if installation.cores > *e.get() {
                    t.cores += u64::from(installation.cores - *e.get());
                    *e.get_mut() = installation.cores;
                }
            }
        }
    }
    let mut out = Vec::new();
    for t in &products {
        let unlicensed = !t.licensed.iter().any(|&l| l);
        for (m, metric) in METRICS.iter().enumerate() {
            let reported = t.licensed[m]
                || (unlicensed && *metric == LicenceMetric::PerDevice && t.devices > 0);
            if !reported {
                continue;
            }
            let consumed = match metric {
                LicenceMetric::PerUser => u64::try_from(t.users.len()).unwrap_or(u64::MAX),
                LicenceMetric::PerDevice => t.devices,
                _ => t.cores,
            };
            let entitled = t.entitled[m];
            out.push(LicencePosition {
                product: t.name.to_owned(),
                metric: *metric,
                entitled,
                consumed,
                shortfall: consumed.saturating_sub(entitled),
                unused: entitled.saturating_sub(consumed),
            });
        }
    }
    out.sort_by(|a, b| a.product.cmp(&b.product).then(a.metric.cmp(&b.metric)));
    out
}

/// The metrics in the order of a [`Tally`]'s arrays.
const METRICS: [LicenceMetric; 3] = [
    LicenceMetric::PerUser,
    LicenceMetric::PerDevice,
    LicenceMetric::PerCore,
];

fn metric_slot(metric: LicenceMetric) -> usize {
    METRICS.iter().position(|m| *m == metric).unwrap_or(1)
}

/// What [`licence_compliance`] counts for one product.
#[derive(Default)]
struct Tally<'a> {
    name: &'a str,
    entitled: [u64; 3],
    licensed: [bool; 3],
    users: HashSet<PersonId>,
    devices: u64,
    cores: u64,
}

/// The index of `name`'s tally, added when new.
fn slot<'a>(
    index: &mut HashMap<&'a str, usize>,
    products: &mut Vec<Tally<'a>>,
    name: &'a str,
) -> usize {
    *index.entry(name).or_insert_with(|| {
        products.push(Tally {
            name,
            ..Tally::default()
        });
        products.len() - 1
    })
}

/// `invalid_currency`, `out_of_range`: the rules of a [`Money`] at `path`.
fn money_rules(out: &mut Vec<Violation>, path: &str, money: &Money) {
    let c = &money.currency;
    if !(c.len() == 3 && c.bytes().all(|b| b.is_ascii_uppercase())) {
        let path = format!("{path}.currency");
        out.push(Violation::new(
            &path,
            "invalid_currency",
            format!(
                "{path} ({c:?}) is not an ISO 4217 code of three upper-case letters such as \"EUR\""
            ),
        ));
    }
    if money.amount_minor < 0 {
        let path = format!("{path}.amount_minor");
        out.push(Violation::new(
            &path,
            "out_of_range",
            format!(
                "{path} ({}) is negative; a cost is never below zero",
                money.amount_minor
            ),
        ));
    }
}

fn blank(text: &str) -> bool {
    text.trim().is_empty()
}

fn text(out: &mut Vec<Violation>, path: &str, value: &str) {
    if blank(value) {
        out.push(Violation::new(
            path,
            "empty",
            format!("{path} is empty ({value:?})"),
        ));
    }
}

fn opt_text(out: &mut Vec<Violation>, path: &str, value: Option<&String>) {
    if let Some(value) = value {
        text(out, path, value);
    }
}

impl Validate for Asset {
    /// `asset_tag` and `model` not blank, nor `vendor` or `serial_number`
    /// when set (`empty`); the cost in an ISO 4217 currency
    /// (`invalid_currency`) and not negative (`out_of_range`); the warranty
    /// not ending before the purchase (`before_purchased_on`); no person
    /// assigned to a retired or disposed asset (`not_allowed_in_state`).
    fn validate(&self) -> Vec<Violation> {
        let mut out = Vec::new();
        text(&mut out, "asset_tag", &self.asset_tag);
        text(&mut out, "model", &self.model);
        opt_text(&mut out, "vendor", self.vendor.as_ref());
        opt_text(&mut out, "serial_number", self.serial_number.as_ref());
        if let Some(cost) = &self.cost {
            money_rules(&mut out, "cost", cost);
        }
        if let (Some(bought), Some(end)) = (self.purchased_on, self.warranty_end)
            && end < bought
        {
            out.push(Violation::new(
                "warranty_end",
                "before_purchased_on",
                format!("warranty_end ({end}) is before purchased_on ({bought})"),
            ));
        }
        if let Some(person) = self.assigned_to
            && !self.state.may_be_assigned()
        {
            out.push(Violation::new(
                "assigned_to",
                "not_allowed_in_state",
                format!(
                    "assigned_to ({person}) is set on a {} asset; take it back before it is retired",
                    self.state
                ),
            ));
        }
        out
    }
}

impl Validate for SoftwareLicence {
    /// `product` not blank, nor `vendor` when set (`empty`); the cost as on
    /// an [`Asset`]; no person assigned twice (`duplicate_entry`); people
    /// assigned only to a `per_user` licence (`not_allowed_for_metric`).
    fn validate(&self) -> Vec<Violation> {
        let mut out = Vec::new();
        text(&mut out, "product", &self.product);
        opt_text(&mut out, "vendor", self.vendor.as_ref());
        if let Some(cost) = &self.cost {
            money_rules(&mut out, "cost", cost);
        }
        if !self.assigned_to.is_empty() && self.metric != LicenceMetric::PerUser {
            out.push(Violation::new(
                "assigned_to",
                "not_allowed_for_metric",
                format!(
                    "assigned_to lists {} people but a {} licence is consumed by installations, not users",
                    self.assigned_to.len(),
                    self.metric
                ),
            ));
        }
        let mut seen = HashSet::new();
        for (j, person) in self.assigned_to.iter().enumerate() {
            if !seen.insert(person) {
                let path = format!("assigned_to[{j}]");
                out.push(Violation::new(
                    &path,
                    "duplicate_entry",
                    format!("{path} ({person}) is listed twice"),
                ));
            }
        }
        out
    }
}

impl Validate for Installation {
    /// `product` not blank (`empty`); at least one core (`out_of_range`).
    fn validate(&self) -> Vec<Violation> {
        let mut out = Vec::new();
        text(&mut out, "product", &self.product);
        if self.cores == 0 {
            out.push(Violation::new(
                "cores",
                "out_of_range",
                "cores is 0; a device has at least one core",
            ));
        }
        out
    }
}

/// `unknown_reference`, `inactive_person`: `person` at `path` is a
/// person of the directory who is still active.
fn assignee(
    out: &mut Vec<Violation>,
    people: &HashMap<PersonId, &crate::Person>,
    path: &str,
    person: PersonId,
) {
    match people.get(&person) {
        None => out.push(Violation::new(
            path,
            "unknown_reference",
            format!("{path} ({person}) is not a person of the directory"),
        )),
        Some(p) if !p.active => out.push(Violation::new(
            path,
            "inactive_person",
            format!(
                "{path} ({person}, {:?}) is inactive; nothing may be assigned to them",
                p.name
            ),
        )),
        Some(_) => {}
    }
}

/// The directory's people by id, the first of a duplicated id winning.
fn people(directory: &Directory) -> HashMap<PersonId, &crate::Person> {
    let mut map = HashMap::with_capacity(directory.people.len());
    for p in &directory.people {
        map.entry(p.id).or_insert(p);
    }
    map
}

/// `duplicate_entry` at `{list}[i].{field}` for every key seen before.
fn duplicates<K: Eq + std::hash::Hash>(
    out: &mut Vec<Violation>,
    list: &str,
    field: &str,
    keys: impl Iterator<Item = Option<(K, String)>>,
) {
    let mut first: HashMap<K, usize> = HashMap::new();
    for (i, key) in keys.enumerate() {
        let Some((key, shown)) = key else { continue };
        if let Some(&j) = first.get(&key) {
            let path = format!("{list}[{i}].{field}");
            out.push(Violation::new(
                &path,
                "duplicate_entry",
                format!("{path} ({shown}) is already the {field} of {list}[{j}]"),
            ));
        } else {
            first.insert(key, i);
        }
    }
}

/// Every problem of a set of assets, checked against `directory`, with
/// paths under `assets[i]`: each asset's own rules ([`Asset::validate`]);
/// ids and asset tags unique (`duplicate_entry`); no two assets with one
/// serial number from one vendor (`duplicate_serial_number`; serial numbers
/// are unique per vendor, compared trimmed, the vendor also without case,
/// and two vendors may issue the same one); every assigned person known
/// (`unknown_reference`) and active (`inactive_person`).
#[must_use]
pub fn validate_assets(assets: &[Asset], directory: &Directory) -> Vec<Violation> {
    let mut out = Vec::new();
    for (i, asset) in assets.iter().enumerate() {
        nested(&mut out, &format!("assets[{i}]"), asset.validate());
    }
    duplicates(
        &mut out,
        "assets",
        "id",
        assets.iter().map(|a| Some((a.id, a.id.to_string()))),
    );
    duplicates(
        &mut out,
        "assets",
        "asset_tag",
        assets.iter().map(|a| {
            let tag = a.asset_tag.trim();
            (!tag.is_empty()).then(|| (tag, format!("{tag:?}")))
        }),
    );
    let mut serials: HashMap<(String, &str), usize> = HashMap::new();
    for (i, asset) in assets.iter().enumerate() {
        let Some(serial) = asset.serial_number.as_deref().map(str::trim) else {
            continue;
        };
        if serial.is_empty() {
            continue;
        }
        let vendor = asset
            .vendor
            .as_deref()
            .map(|v| v.trim().to_lowercase())
            .unwrap_or_default();
        match serials.entry((vendor, serial)) {
            Entry::Vacant(e) => {
                e.insert(i);
            }
            Entry::Occupied(e) => {
                let path = format!("assets[{i}].serial_number");
                out.push(Violation::new(
                    &path,
                    "duplicate_serial_number",
                    format!(
                        "{path} ({serial:?}) is already the serial number of assets[{}] from the same vendor",
                        e.get()
                    ),
                ));
            }
        }
    }
    let people = people(directory);
    for (i, asset) in assets.iter().enumerate() {
        if let Some(person) = asset.assigned_to {
            assignee(
                &mut out,
                &people,
                &format!("assets[{i}].assigned_to"),
                person,
            );
        }
    }
    out
}

/// `Ok` when [`validate_assets`] finds nothing.
///
/// # Errors
/// [`CoreError::Invalid`] with every problem [`validate_assets`] finds.
pub fn check_assets(assets: &[Asset], directory: &Directory) -> Result<(), CoreError> {
    let violations = validate_assets(assets, directory);
    if violations.is_empty() {
        Ok(())
    } else {
        Err(CoreError::Invalid { violations })
    }
}

/// Every problem of a set of licences, checked against `directory`, with
/// paths under `licences[i]`: each licence's own rules
/// ([`SoftwareLicence::validate`]); ids unique (`duplicate_entry`); every
/// assigned person known (`unknown_reference`) and active
/// (`inactive_person`).
#[must_use]
pub fn validate_licences(licences: &[SoftwareLicence], directory: &Directory) -> Vec<Violation> {
    let mut out = Vec::new();
    for (i, licence) in licences.iter().enumerate() {
        nested(&mut out, &format!("licences[{i}]"), licence.validate());
    }
    duplicates(
        &mut out,
        "licences",
        "id",
        licences.iter().map(|l| Some((l.id, l.id.to_string()))),
    );
    let people = people(directory);
    for (i, licence) in licences.iter().enumerate() {
        for (j, person) in licence.assigned_to.iter().enumerate() {
            assignee(
                &mut out,
                &people,
                &format!("licences[{i}].assigned_to[{j}]"),
                *person,
            );
        }
    }
    out
}
