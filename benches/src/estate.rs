//! The generated CMDB-shaped estate of the CMDB benches (`cmdb`,
//! `cmdb_schedule`): layers of business capabilities, services,
//! applications, databases, virtual machines, clusters, hosts, storage, a
//! meshed network and 20 shared infrastructure services, 1,000,000 CIs at
//! full size.

// Layers are ranges of logical ids that also index per-CI tables: a range reads clearer.
#![allow(clippy::needless_range_loop)]

use itsm_cmdb::{
    CiClass, CmdbData, ConfigurationItem, ImpactDirection, LifecycleStatus, OperationalState,
    Redundancy, RedundancyRequirement, Relationship, RelationshipRule, RelationshipType,
};
use itsm_core::CiId;

/// SplitMix64: a small deterministic generator, so every run builds the same graph.
#[derive(Clone, Debug)]
pub struct Rng(pub u64);

impl Rng {
    /// The next 64 random bits.
    #[allow(clippy::should_implement_trait)] // not an iterator: it never ends
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number below `n` (`n > 0`).
    #[allow(clippy::cast_possible_truncation)] // below `n`, a `usize`
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// `true` `percent` times in a hundred.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// Layer names, top to bottom, and their sizes in the estate of 1,000,000
/// CIs; other estates scale them (see [`layer_sizes`]).
pub const LAYERS: [(&str, usize); 10] = [
    ("business_capability", 2_000),
    ("business_service", 20_000),
    ("application", 120_000),
    ("database", 60_000),
    ("virtual_machine", 600_000),
    ("cluster", 6_000),
    ("host", 150_000),
    ("storage", 12_000),
    ("network_device", 29_980),
    ("infrastructure_service", 20),
];

/// The layer sizes of an estate of `total` CIs: those of [`LAYERS`] scaled,
/// the 20 shared infrastructure services kept, the network devices taking
/// the rounding.
pub fn layer_sizes(total: usize) -> [usize; 10] {
    let mut sizes = [0usize; 10];
    for (i, (_, n)) in LAYERS.iter().enumerate() {
        sizes[i] = n * total / 1_000_000;
    }
    sizes[9] = 20;
    sizes[8] = total
        - sizes
            .iter()
            .enumerate()
            .filter(|&(i, _)| i != 8)
            .map(|(_, n)| n)
            .sum::<usize>();
    sizes
}

/// The relationship types of the estate, with the way failures travel.
pub const TYPES: [(&str, ImpactDirection); 7] = [
    ("depends_on", ImpactDirection::ToSource),
    ("runs_on", ImpactDirection::ToSource),
    ("hosted_on", ImpactDirection::ToSource),
    ("uses_storage", ImpactDirection::ToSource),
    ("uplink", ImpactDirection::ToSource),
    ("member_of", ImpactDirection::ToTarget),
    ("connects_to", ImpactDirection::Both),
];

/// The generated estate of `total` CIs (at least 100,000), with the
/// redundancy declarations when `redundancy` holds and none otherwise. The
/// CIs and relationships are the same either way: only the declarations
/// differ.
pub fn generate(total: usize, redundancy_declared: bool) -> CmdbData {
    let mut rng = Rng(0x00C0_FFEE);
    let sizes = layer_sizes(total);
    let mut start = [0usize; 11];
    for (i, n) in sizes.iter().enumerate() {
        start[i + 1] = start[i] + n;
    }
    let layer = |l: usize, rng: &mut Rng| start[l] + rng.below(sizes[l]);
    let (cap, svc, app, db, vm, cl, host, st, net, infra) = (0, 1, 2, 3, 4, 5, 6, 7, 8, 9);

    let ids: Vec<CiId> = (0..total)
        .map(|_| CiId::from_u128(u128::from(rng.next()) << 64 | u128::from(rng.next())))
        .collect();
    let mut redundancy: Vec<Vec<Redundancy>> = vec![Vec::new(); total];
    let mut rels: Vec<(usize, &str, usize)> = Vec::with_capacity(4 * total);

    for s in start[svc]..start[svc + 1] {
        for _ in 0..1 + rng.below(2) {
            rels.push((layer(cap, &mut rng), "depends_on", s));
        }
        if rng.chance(25) {
            rels.push((s, "depends_on", layer(svc, &mut rng))); // some service cycles
        }
    }
    for a in start[app]..start[app + 1] {
        for _ in 0..1 + rng.below(2) {
            rels.push((layer(svc, &mut rng), "depends_on", a));
        }
        for _ in 0..1 + rng.below(3) {
            rels.push((a, "depends_on", layer(db, &mut rng)));
        }
        if rng.chance(17) {
            rels.push((a, "depends_on", layer(app, &mut rng))); // application cycles
        }
    }
    // Every VM runs one application or database; half of those with several VMs need only one.
    let mut vms_of = vec![0u32; total];
    for v in start[vm]..start[vm + 1] {
        let user = start[app] + rng.below(sizes[app] + sizes[db]);
        vms_of[user] += 1;
        rels.push((user, "runs_on", v));
        rels.push((v, "hosted_on", layer(cl, &mut rng)));
        rels.push((v, "uses_storage", layer(st, &mut rng)));
        if rng.chance(90) {
            // Shared infrastructure services (DNS, NTP, directory …) used by most VMs.
            rels.push((v, "depends_on", layer(infra, &mut rng)));
            rels.push((v, "depends_on", layer(infra, &mut rng)));
        }
    }
    for u in start[app]..start[db + 1] {
        if vms_of[u] >= 2 && rng.chance(50) {
            redundancy[u].push(Redundancy {
                relationship_type: "runs_on".into(),
                required: RedundancyRequirement::AtLeast(1),
            });
        }
    }
    for d in start[db]..start[db + 1] {
        rels.push((d, "depends_on", layer(infra, &mut rng)));
    }
    for h in start[host]..start[host + 1] {
        rels.push((h, "member_of", layer(cl, &mut rng)));
        rels.push((h, "uplink", layer(net, &mut rng)));
        rels.push((h, "uplink", layer(net, &mut rng)));
        redundancy[h].push(Redundancy {
            relationship_type: "uplink".into(),
            required: RedundancyRequirement::AtLeast(1),
        });
    }
    for c in start[cl]..start[cl + 1] {
        rels.push((c, "uses_storage", layer(st, &mut rng)));
        rels.push((c, "uses_storage", layer(st, &mut rng)));
        redundancy[c].push(Redundancy {
            relationship_type: "member_of".into(),
            required: RedundancyRequirement::Percent(50),
        });
        redundancy[c].push(Redundancy {
            relationship_type: "uses_storage".into(),
            required: RedundancyRequirement::AtLeast(1),
        });
    }
    for s in start[st]..start[st + 1] {
        rels.push((s, "uplink", layer(net, &mut rng)));
        rels.push((s, "uplink", layer(net, &mut rng)));
        redundancy[s].push(Redundancy {
            relationship_type: "uplink".into(),
            required: RedundancyRequirement::AtLeast(1),
        });
    }
    for n in start[net]..start[net + 1] {
        // A meshed network: cycles everywhere, each device needing one live neighbour.
        for _ in 0..2 {
            let other = layer(net, &mut rng);
            if other != n {
                rels.push((n.min(other), "connects_to", n.max(other)));
            }
        }
        redundancy[n].push(Redundancy {
            relationship_type: "connects_to".into(),
            required: RedundancyRequirement::AtLeast(1),
        });
    }
    for i in start[infra]..start[infra + 1] {
        for _ in 0..3 {
            rels.push((i, "runs_on", layer(vm, &mut rng)));
        }
        rels.push((i, "depends_on", layer(infra, &mut rng)));
    }

    if !redundancy_declared {
        redundancy.iter_mut().for_each(Vec::clear);
    }

    // No relationship twice (the peer would count a repeated one twice
    // against redundancy), none of a CI to itself (the store refuses them).
    rels.sort_unstable();
    rels.dedup();
    rels.retain(|&(s, _, t)| s != t);

    // CIs in a random order: dense ids carry no layer locality.
    let mut order: Vec<usize> = (0..total).collect();
    for i in (1..total).rev() {
        order.swap(i, rng.below(i + 1));
    }
    let class_of = |i: usize| LAYERS[start.iter().rposition(|&s| s <= i).unwrap_or(0).min(9)].0;
    let mut classes = vec![CiClass {
        name: "configuration_item".into(),
        label: None,
        parent: None,
        service: false,
        attributes: Vec::new(),
    }];
    for (name, _) in LAYERS {
        classes.push(CiClass {
            name: name.into(),
            label: None,
            parent: Some("configuration_item".into()),
            service: matches!(name, "business_service" | "business_capability"),
            attributes: Vec::new(),
        });
    }
    // One governance rule for each (class, type, class) the graph uses, so
    // that the store accepts it.
    let mut rules: Vec<(&str, &str, &str)> = rels
        .iter()
        .map(|&(s, ty, t)| (class_of(s), ty, class_of(t)))
        .collect();
    rules.sort_unstable();
    rules.dedup();
    CmdbData {
        classes,
        rules: rules
            .into_iter()
            .map(|(s, ty, t)| RelationshipRule {
                source_class: s.into(),
                relationship_type: ty.into(),
                target_class: t.into(),
            })
            .collect(),
        relationship_types: TYPES
            .iter()
            .map(|(name, impact)| RelationshipType {
                name: (*name).into(),
                forward: name.replace('_', " "),
                reverse: format!("reverse of {name}"),
                impact: *impact,
                dependent: false,
            })
            .collect(),
        cis: order
            .iter()
            .map(|&i| ConfigurationItem {
                id: ids[i],
                class: class_of(i).into(),
                name: format!("ci-{i}"),
                attributes: Default::default(),
                lifecycle: LifecycleStatus::InUse,
                operational_state: OperationalState::Operational,
                redundancy: std::mem::take(&mut redundancy[i]),
            })
            .collect(),
        relationships: rels
            .into_iter()
            .map(|(s, ty, t)| Relationship {
                source: ids[s],
                relationship_type: ty.into(),
                target: ids[t],
            })
            .collect(),
        ..CmdbData::default()
    }
}
