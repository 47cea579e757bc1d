//! The hashes glit's files rely on: a CRC-32 that tells a torn or altered journal line from a
//! whole one, and SHA-256 digests that name content (a step's inputs, a data set's images).
//!
//! Runs written before these hashes carry 64-bit FNV-1a values instead: sixteen hex digits
//! where the new ones have eight (line checks) or thirty-two (digests). Readers tell the two
//! apart by length and check the old ones with [`legacy_fnv1a`], so those files stay readable.

use std::hash::Hasher;

use serde::Serialize;
use sha2::{Digest, Sha256};

/// The CRC-32 (IEEE) of `bytes`: a journal line's check.
pub fn line_check(bytes: &[u8]) -> u32 {
    crc32fast::hash(bytes)
}

/// The 64-bit FNV-1a of `bytes`, the hash of journal lines and digests written by earlier
/// versions; only for reading those.
pub fn legacy_fnv1a(bytes: &[u8]) -> u64 {
    let mut hasher = LegacyFnv::default();
    hasher.eat(bytes);
    hasher.value()
}

/// [`legacy_fnv1a`] fed piece by piece.
#[derive(Default)]
pub struct LegacyFnv(fnv::FnvHasher);

impl LegacyFnv {
    /// Adds `bytes` to what the hash covers.
    pub fn eat(&mut self, bytes: &[u8]) {
        self.0.write(bytes);
    }

    /// The hash of everything eaten so far.
    pub fn value(&self) -> u64 {
        self.0.finish()
    }
}

/// A SHA-256 digest fed piece by piece, shown as its first 128 bits in hex.
#[derive(Default)]
pub struct ContentDigest(Sha256);

impl ContentDigest {
    /// Adds `bytes` to what the digest covers.
    pub fn eat(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    /// The first 16 bytes of the SHA-256, as 32 lower-case hex digits: collisions are out of
    /// reach for any number of steps or data sets a run could hold.
    pub fn hex(self) -> String {
        self.0.finalize()[..16]
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect()
    }
}

/// [`ContentDigest`] of `bytes` at once.
pub fn content_digest(bytes: &[u8]) -> String {
    let mut digest = ContentDigest::default();
    digest.eat(bytes);
    digest.hex()
}

/// A digest naming a step's inputs (anything serialisable): the journal key's tail, 32 hex
/// digits of the SHA-256 of their JSON. Keys recorded by earlier versions (16 digits of
/// FNV-1a) do not match these, so a run journaled by one is readable but its steps run again.
pub fn digest<T: Serialize + ?Sized>(inputs: &T) -> String {
    let json = serde_json::to_string(inputs).expect("step inputs serialise");
    content_digest(json.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_hash_gives_its_published_value() {
        // CRC-32 (IEEE) of "123456789": the standard check value.
        assert_eq!(line_check(b"123456789"), 0xcbf4_3926);
        // FNV-1a 64 of "a" (the FNV reference's test vector).
        assert_eq!(legacy_fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
        // SHA-256 of "abc" (FIPS 180-2), its first 16 bytes.
        assert_eq!(content_digest(b"abc"), "ba7816bf8f01cfea414140de5dae2223");
    }

    #[test]
    fn a_digest_fed_in_pieces_equals_the_digest_of_the_whole() {
        let mut pieces = ContentDigest::default();
        pieces.eat(b"global ");
        pieces.eat(b"local");
        assert_eq!(pieces.hex(), content_digest(b"global local"));
    }
}
