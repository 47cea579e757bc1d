//! Pareto dominance for multi-objective search: non-dominated sorting, crowding distance and
//! NSGA-II's environmental selection (Deb et al. 2002).
//!
//! Every objective is minimised; a caller maximising accuracy passes its negation. Points are
//! slices of equal length with finite values (the script bindings check both). No Burn here.

use std::cmp::Ordering;

/// Whether `a` dominates `b`: no worse in every objective and better in at least one.
pub fn dominates(a: &[f64], b: &[f64]) -> bool {
    let mut better = false;
    for (x, y) in a.iter().zip(b) {
        if x > y {
            return false;
        }
        better |= x < y;
    }
    better
}

/// The points split into fronts, best first: front 0 is the non-dominated set, front 1 is
/// non-dominated once front 0 is removed, and so on. Indices within a front keep input order.
pub fn fronts(points: &[Vec<f64>]) -> Vec<Vec<usize>> {
    let n = points.len();
    // Deb's fast non-dominated sort: who each point dominates, and by how many it is dominated.
    let mut dominated_by_count = vec![0usize; n];
    let mut dominates_list: Vec<Vec<usize>> = vec![Vec::new(); n];
    for i in 0..n {
        for j in (i + 1)..n {
            if dominates(&points[i], &points[j]) {
                dominates_list[i].push(j);
                dominated_by_count[j] += 1;
            } else if dominates(&points[j], &points[i]) {
                dominates_list[j].push(i);
                dominated_by_count[i] += 1;
            }
        }
    }
    let mut result = Vec::new();
    let mut current: Vec<usize> = (0..n).filter(|&i| dominated_by_count[i] == 0).collect();
    while !current.is_empty() {
        let mut next = Vec::new();
        for &i in &current {
            for &j in &dominates_list[i] {
                dominated_by_count[j] -= 1;
                if dominated_by_count[j] == 0 {
                    next.push(j);
                }
            }
        }
        next.sort_unstable();
        result.push(std::mem::replace(&mut current, next));
    }
    result
}

/// The crowding distance of each member of `front` (indices into `points`), in the order of
/// `front`: the sum over objectives of the normalised gap between a point's two neighbours.
/// The extremes of every objective get infinity so selection always keeps them.
pub fn crowding_distance(points: &[Vec<f64>], front: &[usize]) -> Vec<f64> {
    let m = front.len();
    let mut distance = vec![0.0; m];
    if m <= 2 {
        return vec![f64::INFINITY; m];
    }
    for objective in 0..points[front[0]].len() {
        add_gaps(points, front, objective, &mut distance);
    }
    distance
}

/// Adds one objective's normalised neighbour gaps to `distance` (extremes: infinity).
fn add_gaps(points: &[Vec<f64>], front: &[usize], objective: usize, distance: &mut [f64]) {
    let m = front.len();
    let value = |k: usize| points[front[k]][objective];
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| value(a).total_cmp(&value(b)).then(a.cmp(&b)));
    let (low, high) = (value(order[0]), value(order[m - 1]));
    distance[order[0]] = f64::INFINITY;
    distance[order[m - 1]] = f64::INFINITY;
    let span = high - low;
    if span <= 0.0 {
        return;
    }
    for k in 1..m - 1 {
        distance[order[k]] += (value(order[k + 1]) - value(order[k - 1])) / span;
    }
}

/// Each point's front number (0 is best) and crowding distance within its front.
pub fn ranks(points: &[Vec<f64>]) -> Vec<(usize, f64)> {
    let mut out = vec![(0, 0.0); points.len()];
    for (rank, front) in fronts(points).iter().enumerate() {
        for (&i, d) in front.iter().zip(crowding_distance(points, front)) {
            out[i] = (rank, d);
        }
    }
    out
}

/// NSGA-II's crowded comparison: lower front first, then larger crowding distance.
pub fn crowded_order(a: (usize, f64), b: (usize, f64)) -> Ordering {
    a.0.cmp(&b.0).then(b.1.total_cmp(&a.1))
}

/// NSGA-II's environmental selection: the indices of the `keep` points that survive, whole
/// fronts first and the last front cut by crowding distance, in crowded-comparison order.
/// Ties keep input order, so the result is deterministic.
pub fn survivors(points: &[Vec<f64>], keep: usize) -> Vec<usize> {
    let ranks = ranks(points);
    let mut order: Vec<usize> = (0..points.len()).collect();
    order.sort_by(|&a, &b| crowded_order(ranks[a], ranks[b]).then(a.cmp(&b)));
    order.truncate(keep);
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(values: &[(f64, f64)]) -> Vec<Vec<f64>> {
        values.iter().map(|&(a, b)| vec![a, b]).collect()
    }

    #[test]
    fn dominance_needs_one_strict_improvement() {
        assert!(dominates(&[1.0, 2.0], &[1.0, 3.0]));
        assert!(!dominates(&[1.0, 2.0], &[1.0, 2.0]));
        assert!(!dominates(&[1.0, 4.0], &[2.0, 3.0]));
    }

    #[test]
    fn fronts_match_a_hand_made_example() {
        // 0,1,2 trade off; 3 is dominated by 1 only; 4 by 3 (and so by 1); 5 duplicates 0.
        let points = p(&[
            (1.0, 5.0),
            (2.0, 3.0),
            (4.0, 1.0),
            (3.0, 4.0),
            (5.0, 5.0),
            (1.0, 5.0),
        ]);
        assert_eq!(fronts(&points), vec![vec![0, 1, 2, 5], vec![3], vec![4]]);
    }

    #[test]
    fn crowding_gives_extremes_infinity_and_inner_points_their_gaps() {
        let points = p(&[(0.0, 4.0), (1.0, 3.0), (3.0, 1.0), (4.0, 0.0)]);
        let d = crowding_distance(&points, &[0, 1, 2, 3]);
        assert!(d[0].is_infinite() && d[3].is_infinite());
        // Point 1: neighbours 0 and 2 → (3-0)/4 + (4-1)/4 = 1.5; point 2 likewise.
        assert!((d[1] - 1.5).abs() < 1e-12 && (d[2] - 1.5).abs() < 1e-12);
    }

    #[test]
    fn survivors_fill_by_front_then_crowding() {
        // Front 0: 0..=4; of the inner three, 1 is the most crowded (0.3) and 3 the least (1.7).
        let points = p(&[
            (0.0, 10.0),
            (1.0, 9.0),
            (1.5, 8.5),
            (5.0, 5.0),
            (10.0, 0.0),
            (6.0, 9.0),
        ]);
        assert_eq!(survivors(&points, 4), vec![0, 4, 3, 2]);
        assert_eq!(survivors(&points, 6)[5], 5);
    }
}
