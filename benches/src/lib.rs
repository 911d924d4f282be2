//! Criterion benchmarks of the `itsm` crates; see `benches/README.md`.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod estate;

/// SplitMix64: a small deterministic generator, so every run of a bench
/// sees the same inputs.
#[derive(Clone, Debug)]
pub struct SplitMix(pub u64);

impl SplitMix {
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}
