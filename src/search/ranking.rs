//! How well one ranking of candidates agrees with another: Kendall's τ-b and Spearman's ρ,
//! the measures NAS papers use to judge a supernet's proxy scores against standalone
//! training.

/// Kendall's τ-b of paired scores: +1 when both order every pair alike, −1 when opposite.
/// Ties (in either list) count as neither, with τ-b's correction. `None` for fewer than two
/// pairs, lists of different lengths, or a list that is all ties.
pub fn kendall_tau(a: &[f64], b: &[f64]) -> Option<f64> {
    if a.len() != b.len() || a.len() < 2 {
        return None;
    }
    use std::cmp::Ordering::Equal;
    let (mut concordant, mut discordant, mut ties_a, mut ties_b) = (0i64, 0i64, 0i64, 0i64);
    for i in 0..a.len() {
        for j in i + 1..a.len() {
            match (a[i].total_cmp(&a[j]), b[i].total_cmp(&b[j])) {
                (Equal, Equal) => {}
                (Equal, _) => ties_a += 1,
                (_, Equal) => ties_b += 1,
                (x, y) if x == y => concordant += 1,
                _ => discordant += 1,
            }
        }
    }
    let n_a = (concordant + discordant + ties_b) as f64; // pairs not tied in a
    let n_b = (concordant + discordant + ties_a) as f64; // pairs not tied in b
    if n_a == 0.0 || n_b == 0.0 {
        return None;
    }
    Some((concordant - discordant) as f64 / (n_a * n_b).sqrt())
}

/// Spearman's ρ: the correlation of the ranks (average ranks for ties).
pub fn spearman_rho(a: &[f64], b: &[f64]) -> Option<f64> {
    if a.len() != b.len() || a.len() < 2 {
        return None;
    }
    let (ra, rb) = (ranks(a), ranks(b));
    let mean = (a.len() as f64 + 1.0) / 2.0;
    let (mut cov, mut va, mut vb) = (0.0, 0.0, 0.0);
    for (x, y) in ra.iter().zip(&rb) {
        cov += (x - mean) * (y - mean);
        va += (x - mean).powi(2);
        vb += (y - mean).powi(2);
    }
    (va > 0.0 && vb > 0.0).then(|| cov / (va * vb).sqrt())
}

/// Ranks from 1, ties sharing their average rank.
fn ranks(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&i, &j| values[i].total_cmp(&values[j]));
    let mut ranks = vec![0.0; values.len()];
    let mut start = 0;
    while start < order.len() {
        let mut end = start;
        while end + 1 < order.len() && values[order[end + 1]] == values[order[start]] {
            end += 1;
        }
        let average = (start + end) as f64 / 2.0 + 1.0;
        for &index in &order[start..=end] {
            ranks[index] = average;
        }
        start = end + 1;
    }
    ranks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kendall_tau_of_known_orders() {
        let a = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(kendall_tau(&a, &[10.0, 20.0, 30.0, 40.0]), Some(1.0));
        assert_eq!(kendall_tau(&a, &[4.0, 3.0, 2.0, 1.0]), Some(-1.0));
        // One swapped pair of six: (5 − 1) / 6.
        let tau = kendall_tau(&a, &[1.0, 2.0, 4.0, 3.0]).unwrap();
        assert!((tau - 4.0 / 6.0).abs() < 1e-12);
        // τ-b with a tie in b: C = 4, D = 1, tied in b: 1 → (4 − 1) / √(6 · 5).
        let tau = kendall_tau(&[1.0, 2.0, 3.0, 4.0], &[1.0, 1.0, 3.0, 2.0]).unwrap();
        assert!((tau - 3.0 / 30f64.sqrt()).abs() < 1e-12, "{tau}");
        assert_eq!(kendall_tau(&[1.0], &[1.0]), None);
        assert_eq!(kendall_tau(&[1.0, 1.0], &[1.0, 2.0]), None);
    }

    #[test]
    fn spearman_rho_of_known_orders() {
        assert_eq!(spearman_rho(&[1.0, 2.0, 3.0], &[3.0, 5.0, 9.0]), Some(1.0));
        let rho = spearman_rho(&[1.0, 2.0, 3.0, 4.0], &[1.0, 2.0, 4.0, 3.0]).unwrap();
        assert!((rho - 0.8).abs() < 1e-12, "{rho}");
    }
}
