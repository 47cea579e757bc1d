//! A ranked, deduplicated population: every architecture scored so far, best first, each
//! architecture at most once (in canonical form, so two spellings of one network collide).

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::space::Arch;

/// One scored architecture.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Member {
    /// The architecture, canonical.
    pub arch: Arch,
    /// Its score; higher is better.
    pub score: f64,
}

/// Scored architectures, best first; ties keep the order they arrived in.
#[derive(Clone, Debug, Default)]
pub struct Population {
    members: Vec<Member>,
    seen: HashSet<Arch>,
}

impl Population {
    /// An empty population.
    pub fn new() -> Self {
        Population::default()
    }

    /// Adds `arch` with `score`; returns false (and changes nothing) when the architecture is
    /// already in. A score that is not a finite number is an error.
    pub fn add(&mut self, arch: Arch, score: f64) -> Result<bool> {
        if !score.is_finite() {
            return Err(Error::InvalidValue {
                key: "score".into(),
                message: format!("{score} for {arch} is not a finite number"),
            });
        }
        let arch = arch.canonical();
        if !self.seen.insert(arch.clone()) {
            return Ok(false);
        }
        // After every member with a score at least as high: ties stay in arrival order.
        let at = self.members.partition_point(|m| m.score >= score);
        self.members.insert(at, Member { arch, score });
        Ok(true)
    }

    /// Whether `arch` has been scored.
    pub fn contains(&self, arch: &Arch) -> bool {
        self.seen.contains(&arch.canonical())
    }

    /// The score of `arch`, if it has been scored.
    pub fn score_of(&self, arch: &Arch) -> Option<f64> {
        let arch = arch.canonical();
        self.members
            .iter()
            .find(|m| m.arch == arch)
            .map(|m| m.score)
    }

    /// Number of members.
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// Whether nothing has been scored.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// The best member.
    pub fn best(&self) -> Option<&Member> {
        self.members.first()
    }

    /// The best `k` members (all of them when there are fewer).
    pub fn top(&self, k: usize) -> &[Member] {
        &self.members[..k.min(self.members.len())]
    }

    /// Every member, best first.
    pub fn members(&self) -> &[Member] {
        &self.members
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arch(text: &str) -> Arch {
        text.parse().unwrap()
    }

    #[test]
    fn ranks_best_first_and_drops_duplicates() {
        let mut p = Population::new();
        assert!(p.add(arch("G3(qk8,f2)"), 0.5).unwrap());
        assert!(p.add(arch("L3(k3,e1,f2)"), 0.7).unwrap());
        assert!(p.add(arch("M1/2(qk8,k3,e1,f2)"), 0.5).unwrap());
        assert!(!p.add(arch("G3(qk8,f2)"), 0.9).unwrap());
        let scores: Vec<f64> = p.members().iter().map(|m| m.score).collect();
        assert_eq!(scores, [0.7, 0.5, 0.5]);
        assert_eq!(
            p.top(2)[1].arch,
            arch("G3(qk8,f2)"),
            "ties keep arrival order"
        );
        assert_eq!(p.score_of(&arch("G3(qk8,f2)")), Some(0.5));
        assert!(p.add(arch("G3(qk8,f4)"), f64::NAN).is_err());
    }
}
