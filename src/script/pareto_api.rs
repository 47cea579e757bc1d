//! `search::` functions for multi-objective search: Pareto fronts, crowding distance and
//! NSGA-II's survivor selection over lists of objective vectors (every objective minimised).

use rhai::plugin::*;
use rhai::{Array, Dynamic, Map, Module, INT};

use super::convert::{bad, count, int_list, kind, numbers, Fallible, RhaiResultOf};
use crate::search::pareto;

/// Adds the Pareto functions to the `search` module.
pub fn add_to(m: &mut Module) {
    m.combine_flatten(exported_module!(pareto_functions));
}

/// The functions, with their signatures and docs taken from the Rust code (`glit api` and the
/// editor definitions read them from here).
#[export_module]
mod pareto_functions {
    use super::*;

    /// The points (arrays of objectives, all minimised: negate an accuracy) split into
    /// non-dominated fronts, best first, each an array of indices into `points`.
    #[rhai_fn(return_raw)]
    pub fn pareto_fronts(points: Array) -> RhaiResultOf<Array> {
        let points = objectives(&points)?;
        Ok(pareto::fronts(&points)
            .into_iter()
            .map(|front| Dynamic::from_array(indices(&front)))
            .collect::<Array>())
    }

    /// NSGA-II's crowding distance of each index in `front` (in that order); the extremes of
    /// every objective get the largest float (Rhai does not order infinities).
    #[rhai_fn(return_raw)]
    pub fn crowding_distance(points: Array, front: Array) -> RhaiResultOf<Array> {
        let points = objectives(&points)?;
        let front = positions(&front, points.len())?;
        Ok(pareto::crowding_distance(&points, &front)
            .into_iter()
            .map(|d| Dynamic::from_float(comparable(d)))
            .collect::<Array>())
    }

    /// Each point's `#{front, crowding}`: its front number (0 is non-dominated) and its
    /// crowding distance within that front; compare with NSGA-II's crowded order.
    #[rhai_fn(return_raw)]
    pub fn pareto_ranks(points: Array) -> RhaiResultOf<Array> {
        let points = objectives(&points)?;
        Ok(pareto::ranks(&points)
            .into_iter()
            .map(|(front, crowding)| {
                let mut map = Map::new();
                map.insert("front".into(), (front as INT).into());
                map.insert("crowding".into(), comparable(crowding).into());
                Dynamic::from_map(map)
            })
            .collect::<Array>())
    }

    /// NSGA-II's environmental selection: the indices of the `keep` points that survive,
    /// whole fronts first, the last front cut by crowding distance.
    #[rhai_fn(return_raw)]
    pub fn nsga2_survivors(points: Array, keep: INT) -> RhaiResultOf<Array> {
        let points = objectives(&points)?;
        Ok(indices(&pareto::survivors(&points, count("keep", keep)?)))
    }

    /// Whether objectives `a` dominate `b` (all minimised): no worse anywhere, better once.
    #[rhai_fn(return_raw)]
    pub fn dominates(a: Array, b: Array) -> RhaiResultOf<bool> {
        let points = objectives(&vec![Dynamic::from_array(a), Dynamic::from_array(b)])?;
        Ok(pareto::dominates(&points[0], &points[1]))
    }
}

/// `points` as vectors of finite numbers, all of one non-zero length.
fn objectives(points: &Array) -> Fallible<Vec<Vec<f64>>> {
    let mut out: Vec<Vec<f64>> = Vec::with_capacity(points.len());
    for (i, point) in points.iter().enumerate() {
        let key = format!("points[{i}]");
        let Some(values) = point.read_lock::<Array>() else {
            return Err(bad(
                &key,
                format!("must be a list of objectives, got {}", kind(point)),
            ));
        };
        let values = numbers(&key, &values)?;
        if values.is_empty() || values.iter().any(|v| !v.is_finite()) {
            return Err(bad(&key, "objectives must be finite numbers, at least one"));
        }
        if let Some(first) = out.first() {
            if first.len() != values.len() {
                return Err(bad(
                    &key,
                    format!(
                        "has {} objectives, points[0] has {}",
                        values.len(),
                        first.len()
                    ),
                ));
            }
        }
        out.push(values);
    }
    Ok(out)
}

/// `front` as indices below `len`.
fn positions(front: &Array, len: usize) -> Fallible<Vec<usize>> {
    let indices = int_list("front", front)?;
    match indices.iter().position(|&index| index >= len) {
        Some(i) => Err(bad(
            &format!("front[{i}]"),
            format!("{} is past the {len} points", indices[i]),
        )),
        None => Ok(indices),
    }
}

/// `value` with infinity replaced by the largest float: Rhai's `<` and `>` are false for every
/// comparison with an infinity, which would make the extremes lose crowded comparisons.
fn comparable(value: f64) -> f64 {
    value.min(f64::MAX)
}

fn indices(list: &[usize]) -> Array {
    list.iter().map(|&i| Dynamic::from_int(i as INT)).collect()
}
