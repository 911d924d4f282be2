//! Assets, their lifecycle and their checks against a directory; software
//! licences and the compliance calculation: one table per area around one
//! `check` helper, and the compliance calculation against a naive oracle.

#[path = "support/violations.rs"]
mod violations;
use violations::check;

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use itsm_core::*;
use proptest::prelude::*;
use strum::IntoEnumIterator;

fn p(n: u128) -> PersonId {
    PersonId::from_u128(n)
}

fn ci(n: u128) -> CiId {
    CiId::from_u128(500 + n)
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn person(n: u128, name: &str, active: bool) -> Person {
    Person {
        id: p(n),
        name: name.to_owned(),
        user_name: None,
        email: None,
        active,
        time_zone: None,
        manager: None,
        groups: Vec::new(),
        roles: Vec::new(),
        extensions: Extensions::new(),
    }
}

/// Ann and Bob active, Cy inactive.
fn directory() -> Directory {
    Directory {
        people: vec![
            person(1, "Ann", true),
            person(2, "Bob", true),
            person(3, "Cy", false),
        ],
        groups: Vec::new(),
        roles: Vec::new(),
    }
}

fn asset(n: u128, tag: &str, serial: &str) -> Asset {
    Asset {
        id: AssetId::from_u128(300 + n),
        asset_tag: tag.to_owned(),
        kind: AssetKind::Hardware,
        model: "Latitude 7450".to_owned(),
        vendor: Some("Dell".to_owned()),
        serial_number: Some(serial.to_owned()),
        state: AssetState::InUse,
        cost: Some(Money::new(129_900, "EUR")),
        purchased_on: Some(day(2026, 1, 12)),
        warranty_end: Some(day(2029, 1, 11)),
        assigned_to: Some(p(1)),
        configuration_item: Some(ci(n)),
        extensions: Extensions::new(),
    }
}

/// Three laptops: Ann's, Bob's, and one in stock.
fn base() -> Vec<Asset> {
    let mut bobs = asset(2, "P-2", "SN-2");
    bobs.assigned_to = Some(p(2));
    let mut spare = asset(3, "P-3", "SN-3");
    spare.state = AssetState::InStock;
    spare.assigned_to = None;
    vec![asset(1, "P-1", "SN-1"), bobs, spare]
}

fn with(f: impl FnOnce(&mut Vec<Asset>)) -> Vec<Asset> {
    let mut assets = base();
    f(&mut assets);
    assets
}

/// The `(path, rule)` pairs a case expects.
type Expected = &'static [(&'static str, &'static str)];

#[test]
fn asset_set_rules() {
    let cases: Vec<(&str, Vec<Asset>, Expected)> = vec![
        ("the base assets are valid", base(), &[]),
        ("no assets are valid", Vec::new(), &[]),
        (
            "a missing asset tag",
            with(|a| a[1].asset_tag = "  ".into()),
            &[("assets[1].asset_tag", "empty")],
        ),
        (
            "a blank model, vendor and serial number",
            with(|a| {
                a[0].model = String::new();
                a[0].vendor = Some(String::new());
                a[0].serial_number = Some(" ".into());
            }),
            &[
                ("assets[0].model", "empty"),
                ("assets[0].vendor", "empty"),
                ("assets[0].serial_number", "empty"),
            ],
        ),
        (
            "assigned to an inactive person",
            with(|a| a[1].assigned_to = Some(p(3))),
            &[("assets[1].assigned_to", "inactive_person")],
        ),
        (
            "assigned to an unknown person",
            with(|a| a[2].assigned_to = Some(p(9))),
            &[("assets[2].assigned_to", "unknown_reference")],
        ),
        (
            "a retired asset still assigned",
            with(|a| a[0].state = AssetState::Retired),
            &[("assets[0].assigned_to", "not_allowed_in_state")],
        ),
        (
            "a disposed asset still assigned to an inactive person",
            with(|a| {
                a[0].state = AssetState::Disposed;
                a[0].assigned_to = Some(p(3));
            }),
            &[
                ("assets[0].assigned_to", "not_allowed_in_state"),
                ("assets[0].assigned_to", "inactive_person"),
            ],
        ),
        (
            "a retired asset taken back is fine",
            with(|a| {
                a[0].state = AssetState::Retired;
                a[0].assigned_to = None;
            }),
            &[],
        ),
        (
            "an asset in maintenance may stay with its person",
            with(|a| a[0].state = AssetState::InMaintenance),
            &[],
        ),
        (
            "two assets with one serial number from one vendor",
            with(|a| a[2].serial_number = Some("SN-1".into())),
            &[("assets[2].serial_number", "duplicate_serial_number")],
        ),
        (
            "the serial number compares trimmed, the vendor without case",
            with(|a| {
                a[2].serial_number = Some(" SN-1 ".into());
                a[2].vendor = Some("DELL".into());
            }),
            &[("assets[2].serial_number", "duplicate_serial_number")],
        ),
        (
            "two vendors may issue the same serial number",
            with(|a| {
                a[2].serial_number = Some("SN-1".into());
                a[2].vendor = Some("Lenovo".into());
            }),
            &[],
        ),
        (
            "three assets with one serial number: the later two reported",
            with(|a| {
                a[1].serial_number = Some("SN-1".into());
                a[2].serial_number = Some("SN-1".into());
            }),
            &[
                ("assets[1].serial_number", "duplicate_serial_number"),
                ("assets[2].serial_number", "duplicate_serial_number"),
            ],
        ),
        (
            "software without a serial number is fine",
            with(|a| {
                a[2].kind = AssetKind::Software;
                a[2].serial_number = None;
            }),
            &[],
        ),
        (
            "two assets with one tag",
            with(|a| a[2].asset_tag = "P-1".into()),
            &[("assets[2].asset_tag", "duplicate_entry")],
        ),
        (
            "two assets with one id",
            with(|a| a[2].id = a[0].id),
            &[("assets[2].id", "duplicate_entry")],
        ),
        (
            "a warranty ending before the purchase",
            with(|a| a[1].warranty_end = Some(day(2025, 12, 31))),
            &[("assets[1].warranty_end", "before_purchased_on")],
        ),
        (
            "a warranty ending on the day of purchase is fine",
            with(|a| a[1].warranty_end = a[1].purchased_on),
            &[],
        ),
        (
            "a cost in no currency, negative",
            with(|a| a[0].cost = Some(Money::new(-1, "eur"))),
            &[
                ("assets[0].cost.currency", "invalid_currency"),
                ("assets[0].cost.amount_minor", "out_of_range"),
            ],
        ),
        (
            "a currency of four letters",
            with(|a| a[0].cost = Some(Money::new(0, "EURO"))),
            &[("assets[0].cost.currency", "invalid_currency")],
        ),
    ];
    for (case, assets, expected) in cases {
        check(case, validate_assets(&assets, &directory()), expected);
    }
}

#[test]
fn check_assets_returns_every_problem() {
    assert_eq!(check_assets(&base(), &directory()), Ok(()));
    let broken = with(|a| {
        a[0].asset_tag = String::new();
        a[1].assigned_to = Some(p(3));
    });
    match check_assets(&broken, &directory()) {
        Err(CoreError::Invalid { violations }) => assert_eq!(violations.len(), 2),
        other => panic!("expected two violations, got {other:?}"),
    }
}

#[test]
fn asset_state_moves() {
    use AssetState::*;
    let allowed = [
        (OnOrder, InStock),
        (OnOrder, Retired),
        (InStock, InUse),
        (InStock, InMaintenance),
        (InStock, Retired),
        (InUse, InStock),
        (InUse, InMaintenance),
        (InUse, Retired),
        (InMaintenance, InStock),
        (InMaintenance, InUse),
        (InMaintenance, Retired),
        (Retired, Disposed),
    ];
    // Every pair of states, so a move added to or dropped from the table shows here.
    for from in AssetState::iter() {
        for to in AssetState::iter() {
            assert_eq!(
                from.can_move_to(to),
                allowed.contains(&(from, to)),
                "{from} -> {to}"
            );
        }
    }
    assert!(!Disposed.can_move_to(InStock), "disposal is final");
    assert!(!OnOrder.can_move_to(InUse), "an asset is received first");
}

#[test]
fn asset_state_categories() {
    use AssetState::*;
    let check = |state: AssetState, expected: StateCategory| {
        assert_eq!(state.category(), expected, "{state}");
        assert_eq!(state.name(), state.to_string(), "{state}: wire name");
    };
    check(OnOrder, StateCategory::New);
    check(InStock, StateCategory::New);
    check(InUse, StateCategory::Open);
    check(InMaintenance, StateCategory::Paused);
    check(Retired, StateCategory::Closed);
    check(Disposed, StateCategory::Closed);
    assert_eq!(
        <AssetState as RecordState>::ALL,
        AssetState::iter().collect::<Vec<_>>().as_slice()
    );
    // A state that may keep an assignment is an active one, and back.
    for state in AssetState::iter() {
        assert_eq!(
            state.may_be_assigned(),
            state.category().is_active(),
            "{state}"
        );
    }
}

fn licence(n: u128, product: &str, metric: LicenceMetric, entitlements: u32) -> SoftwareLicence {
    SoftwareLicence {
        id: SoftwareLicenceId::from_u128(400 + n),
        product: product.to_owned(),
        vendor: None,
        metric,
        entitlements,
        assigned_to: Vec::new(),
        cost: None,
        extensions: Extensions::new(),
    }
}

#[test]
fn licence_rules() {
    let per_user = |people: &[u128]| {
        let mut l = licence(1, "Visio", LicenceMetric::PerUser, 5);
        l.assigned_to = people.iter().map(|&n| p(n)).collect();
        l
    };
    let cases: Vec<(&str, Vec<SoftwareLicence>, Expected)> = vec![
        (
            "a per-user licence with its users",
            vec![per_user(&[1, 2])],
            &[],
        ),
        (
            "a blank product",
            vec![licence(1, " ", LicenceMetric::PerDevice, 1)],
            &[("licences[0].product", "empty")],
        ),
        (
            "a user assigned twice",
            vec![per_user(&[1, 2, 1])],
            &[("licences[0].assigned_to[2]", "duplicate_entry")],
        ),
        (
            "an inactive and an unknown user",
            vec![per_user(&[3, 9])],
            &[
                ("licences[0].assigned_to[0]", "inactive_person"),
                ("licences[0].assigned_to[1]", "unknown_reference"),
            ],
        ),
        (
            "users on a per-core licence",
            vec![{
                let mut l = per_user(&[1]);
                l.metric = LicenceMetric::PerCore;
                l
            }],
            &[("licences[0].assigned_to", "not_allowed_for_metric")],
        ),
        (
            "two licences with one id",
            vec![per_user(&[1]), per_user(&[2])],
            &[("licences[1].id", "duplicate_entry")],
        ),
        (
            "a licence cost in a lower-case currency",
            vec![{
                let mut l = per_user(&[]);
                l.cost = Some(Money::new(100, "usd"));
                l
            }],
            &[("licences[0].cost.currency", "invalid_currency")],
        ),
    ];
    for (case, licences, expected) in cases {
        check(case, validate_licences(&licences, &directory()), expected);
    }
}

#[test]
fn installation_rules() {
    let cases: Vec<(&str, Installation, Expected)> = vec![
        (
            "a valid installation",
            Installation {
                device: ci(1),
                product: "SQL Server".into(),
                cores: 8,
            },
            &[],
        ),
        (
            "no product, no cores",
            Installation {
                device: ci(1),
                product: String::new(),
                cores: 0,
            },
            &[("product", "empty"), ("cores", "out_of_range")],
        ),
    ];
    for (case, installation, expected) in cases {
        check(case, installation.validate(), expected);
    }
}

fn install(device: u128, product: &str, cores: u32) -> Installation {
    Installation {
        device: ci(device),
        product: product.to_owned(),
        cores,
    }
}

/// `(product, metric, entitled, consumed, shortfall, unused)`.
type Row = (&'static str, LicenceMetric, u64, u64, u64, u64);

fn check_compliance(
    case: &str,
    licences: &[SoftwareLicence],
    installations: &[Installation],
    expected: &[Row],
) {
    let actual = licence_compliance(licences, installations);
    let wanted: Vec<LicencePosition> = expected
        .iter()
        .map(
            |&(product, metric, entitled, consumed, shortfall, unused)| LicencePosition {
                product: product.to_owned(),
                metric,
                entitled,
                consumed,
                shortfall,
                unused,
            },
        )
        .collect();
    assert_eq!(actual, wanted, "case {case:?}");
}

#[test]
fn compliance_table() {
    use LicenceMetric::*;
    let users = |n: u128, product: &str, entitlements: u32, people: &[u128]| {
        let mut l = licence(n, product, PerUser, entitlements);
        l.assigned_to = people.iter().map(|&k| p(k)).collect();
        l
    };
    type Case = (
        &'static str,
        Vec<SoftwareLicence>,
        Vec<Installation>,
        &'static [Row],
    );
    let cases: Vec<Case> = vec![
        ("nothing", vec![], vec![], &[]),
        (
            "licences with nothing installed are all unused",
            vec![licence(1, "Acrobat", PerDevice, 10)],
            vec![],
            &[("Acrobat", PerDevice, 10, 0, 0, 10)],
        ),
        (
            "per device: distinct devices, one installation reported twice counts once",
            vec![licence(1, "Acrobat", PerDevice, 2)],
            vec![
                install(1, "Acrobat", 4),
                install(2, "Acrobat", 4),
                install(1, "Acrobat", 4),
            ],
            &[("Acrobat", PerDevice, 2, 2, 0, 0)],
        ),
        (
            "per device: over-deployment",
            vec![licence(1, "Acrobat", PerDevice, 1)],
            vec![
                install(1, "Acrobat", 4),
                install(2, "Acrobat", 4),
                install(3, "Acrobat", 4),
            ],
            &[("Acrobat", PerDevice, 1, 3, 2, 0)],
        ),
        (
            "per core: a device reported twice counts its larger core count",
            vec![licence(1, "SQL", PerCore, 16)],
            vec![
                install(1, "SQL", 8),
                install(1, "SQL", 12),
                install(2, "SQL", 8),
            ],
            &[("SQL", PerCore, 16, 20, 4, 0)],
        ),
        (
            "per core: a later, smaller report keeps the larger count",
            vec![licence(1, "SQL", PerCore, 16)],
            vec![install(1, "SQL", 12), install(1, "SQL", 8)],
            &[("SQL", PerCore, 16, 12, 0, 4)],
        ),
        (
            "entitlements of one product's licences add up",
            vec![
                licence(1, "SQL", PerCore, 16),
                licence(2, "SQL", PerCore, 16),
            ],
            vec![install(1, "SQL", 8)],
            &[("SQL", PerCore, 32, 8, 0, 24)],
        ),
        (
            "per user: distinct users across licences, installations not counted",
            vec![users(1, "Visio", 2, &[1, 2]), users(2, "Visio", 1, &[2, 3])],
            vec![install(1, "Visio", 4)],
            &[("Visio", PerUser, 3, 3, 0, 0)],
        ),
        (
            "per user: more users than entitlements",
            vec![users(1, "Visio", 1, &[1, 2, 3])],
            vec![],
            &[("Visio", PerUser, 1, 3, 2, 0)],
        ),
        (
            "an unlicensed product is over-deployed per device",
            vec![],
            vec![install(1, "WinRAR", 2), install(2, "WinRAR", 2)],
            &[("WinRAR", PerDevice, 0, 2, 2, 0)],
        ),
        (
            "products match by exact name",
            vec![licence(1, "Acrobat", PerDevice, 1)],
            vec![install(1, "acrobat", 2)],
            &[
                ("Acrobat", PerDevice, 1, 0, 0, 1),
                ("acrobat", PerDevice, 0, 1, 1, 0),
            ],
        ),
        (
            "rows sorted by product, then metric",
            vec![
                licence(1, "Zip", PerCore, 4),
                licence(2, "Zip", PerDevice, 1),
                licence(3, "Acrobat", PerDevice, 1),
            ],
            vec![install(1, "Zip", 4)],
            &[
                ("Acrobat", PerDevice, 1, 0, 0, 1),
                ("Zip", PerDevice, 1, 1, 0, 0),
                ("Zip", PerCore, 4, 4, 0, 0),
            ],
        ),
    ];
    for (case, licences, installations, expected) in cases {
        check_compliance(case, &licences, &installations, expected);
    }
}

/// The compliance calculation written the slow, obvious way: for each
/// product and metric, scan every licence and every installation.
fn oracle(licences: &[SoftwareLicence], installations: &[Installation]) -> Vec<LicencePosition> {
    let mut products: BTreeSet<String> = licences.iter().map(|l| l.product.clone()).collect();
    products.extend(installations.iter().map(|i| i.product.clone()));
    let mut out = Vec::new();
    for product in products {
        let licensed: Vec<&SoftwareLicence> =
            licences.iter().filter(|l| l.product == product).collect();
        let mut cores: BTreeMap<CiId, u32> = BTreeMap::new();
        for i in installations.iter().filter(|i| i.product == product) {
            let c = cores.entry(i.device).or_insert(0);
            *c = (*c).max(i.cores);
        }
        for metric in [
            LicenceMetric::PerUser,
            LicenceMetric::PerDevice,
            LicenceMetric::PerCore,
        ] {
            let mine: Vec<&&SoftwareLicence> =
                licensed.iter().filter(|l| l.metric == metric).collect();
            let report = !mine.is_empty()
                || (licensed.is_empty() && metric == LicenceMetric::PerDevice && !cores.is_empty());
            if !report {
                continue;
            }
            let entitled: u64 = mine.iter().map(|l| u64::from(l.entitlements)).sum();
            let consumed = match metric {
                LicenceMetric::PerUser => mine
                    .iter()
                    .flat_map(|l| l.assigned_to.iter())
                    .collect::<BTreeSet<_>>()
                    .len() as u64,
                LicenceMetric::PerDevice => cores.len() as u64,
                _ => cores.values().map(|&c| u64::from(c)).sum(),
            };
            out.push(LicencePosition {
                product: product.clone(),
                metric,
                entitled,
                consumed,
                shortfall: consumed.saturating_sub(entitled),
                unused: entitled.saturating_sub(consumed),
            });
        }
    }
    out
}

fn any_licence() -> impl Strategy<Value = SoftwareLicence> {
    (
        0u128..6,
        prop::sample::select(vec!["A", "B", "C"]),
        prop::sample::select(vec![
            LicenceMetric::PerUser,
            LicenceMetric::PerDevice,
            LicenceMetric::PerCore,
        ]),
        0u32..20,
        prop::collection::vec(0u128..6, 0..5),
    )
        .prop_map(|(n, product, metric, entitlements, people)| {
            let mut l = licence(n, product, metric, entitlements);
            l.assigned_to = people.into_iter().map(p).collect();
            l
        })
}

fn any_installation() -> impl Strategy<Value = Installation> {
    (
        0u128..8,
        prop::sample::select(vec!["A", "B", "C", "D"]),
        1u32..64,
    )
        .prop_map(|(device, product, cores)| install(device, product, cores))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn compliance_agrees_with_the_naive_oracle(
        licences in prop::collection::vec(any_licence(), 0..8),
        installations in prop::collection::vec(any_installation(), 0..40),
    ) {
        prop_assert_eq!(
            licence_compliance(&licences, &installations),
            oracle(&licences, &installations)
        );
    }

    #[test]
    fn compliance_ignores_installation_order(
        licences in prop::collection::vec(any_licence(), 0..8),
        installations in prop::collection::vec(any_installation(), 0..40),
    ) {
        let mut reversed = installations.clone();
        reversed.reverse();
        prop_assert_eq!(
            licence_compliance(&licences, &installations),
            licence_compliance(&licences, &reversed)
        );
    }

    /// One more device with a product never lowers what it consumes.
    #[test]
    fn a_new_device_never_lowers_consumption(
        licences in prop::collection::vec(any_licence(), 0..8),
        installations in prop::collection::vec(any_installation(), 0..40),
        extra in any_installation(),
    ) {
        let before = licence_compliance(&licences, &installations);
        let mut more = installations.clone();
        more.push(extra);
        let after = licence_compliance(&licences, &more);
        for row in &before {
            let later = after.iter().find(|r| r.product == row.product && r.metric == row.metric);
            prop_assert!(later.is_some_and(|r| r.consumed >= row.consumed), "{:?}", row);
        }
    }
}
