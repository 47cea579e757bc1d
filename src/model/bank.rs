//! Banks of weights keyed by the values of the separately shared dimensions.
//!
//! A part of a block (attention, conv head, FFN) depends on some dimensions. Those shared
//! `Separate`ly each get one copy of the part per candidate value (per combination, for
//! several); those shared `Entangled`ly are served by one copy sized for the largest value.

use super::sharing::{Sharing, SharingPlan};
use crate::space::{BlockArch, BlockChoices, Dimension};

/// The key of the copy an architecture uses: its values of the separate dimensions, in order.
pub fn key_of(block: &BlockArch, dimensions: &[Dimension], plan: &SharingPlan) -> Vec<usize> {
    dimensions
        .iter()
        .filter(|&&d| plan.get(d) == Sharing::Separate)
        .filter_map(|&d| block.get(d))
        .collect()
}

/// Every key a bank needs: the product of the separate dimensions' candidate lists.
pub fn all_keys(
    choices: &BlockChoices,
    dimensions: &[Dimension],
    plan: &SharingPlan,
) -> Vec<Vec<usize>> {
    let mut keys = vec![Vec::new()];
    for &dimension in dimensions {
        if plan.get(dimension) != Sharing::Separate {
            continue;
        }
        keys = keys
            .into_iter()
            .flat_map(|key| {
                choices.get(dimension).iter().map(move |&value| {
                    let mut longer = key.clone();
                    longer.push(value);
                    longer
                })
            })
            .collect();
    }
    keys
}

/// The size a copy keyed `key` needs for `dimension`: the key's value when the dimension is
/// separate, the largest candidate when it is entangled.
pub fn size_for(
    choices: &BlockChoices,
    dimensions: &[Dimension],
    key: &[usize],
    dimension: Dimension,
    plan: &SharingPlan,
) -> usize {
    let separate: Vec<Dimension> = dimensions
        .iter()
        .copied()
        .filter(|&d| plan.get(d) == Sharing::Separate)
        .collect();
    match separate.iter().position(|&d| d == dimension) {
        Some(i) => key[i],
        None => choices.get(dimension).iter().copied().max().unwrap_or(1),
    }
}
