//! A fast keyed hash for CI ids (UUIDs as `u128`), so that maps of
//! millions of ids are not dominated by SipHash. Keys come from the data,
//! so the hash is keyed with std's per-process random keys: colliding ids
//! cannot be precomputed.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher, RandomState};

/// A `HashMap` keyed by the `u128` value of a [`CiId`](itsm_core::CiId).
pub(crate) type IdMap<V> = HashMap<u128, V, IdHashBuilder>;

/// Builds [`IdHasher`]s with per-map random keys.
#[derive(Clone, Debug)]
pub(crate) struct IdHashBuilder {
    keys: [u64; 2],
}

impl Default for IdHashBuilder {
    fn default() -> Self {
        let random = RandomState::new();
        Self {
            keys: [
                random.hash_one(0x5eed_u64),
                random.hash_one(0xc0ffee_u64) | 1,
            ],
        }
    }
}

impl BuildHasher for IdHashBuilder {
    type Hasher = IdHasher;

    fn build_hasher(&self) -> IdHasher {
        IdHasher {
            keys: self.keys,
            state: self.keys[0],
        }
    }
}

/// The folded multiply of foldhash and wyhash: the high and low halves of the
/// full 128-bit product, xored.
fn folded_multiply(a: u64, b: u64) -> u64 {
    let product = u128::from(a) * u128::from(b);
    (product as u64) ^ ((product >> 64) as u64)
}

/// The hasher of [`IdHashBuilder`].
#[derive(Clone, Debug)]
pub(crate) struct IdHasher {
    keys: [u64; 2],
    state: u64,
}

impl Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
    }

    fn write_u64(&mut self, value: u64) {
        self.state = folded_multiply(self.state ^ value, self.keys[1]);
    }

    fn write_u128(&mut self, value: u128) {
        self.state = folded_multiply(
            self.state ^ (value as u64),
            self.keys[1] ^ ((value >> 64) as u64),
        );
    }

    fn finish(&self) -> u64 {
        self.state
    }
}
