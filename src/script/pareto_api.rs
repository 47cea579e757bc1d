//! `search::` functions for multi-objective search: Pareto fronts, crowding distance and
//! NSGA-II's survivor selection over lists of objective vectors (every objective minimised).

use rhai::{Array, Dynamic, Map, Module, INT};

use super::convert::{bad, count, int_list, kind, numbers, Fallible};
use super::registry::function;
use crate::search::pareto;

/// Adds the Pareto functions to the `search` module.
pub fn add_to(m: &mut Module) {
    function(
        "pareto_fronts",
        &["points: Array", "Array"],
        "The points (arrays of objectives, all minimised: negate an accuracy) split into\n\
         non-dominated fronts, best first, each an array of indices into `points`.",
    )
    .set_into_module(m, |points: Array| -> Fallible<Array> {
        let points = objectives(&points)?;
        Ok(pareto::fronts(&points)
            .into_iter()
            .map(|front| Dynamic::from_array(indices(&front)))
            .collect::<Array>())
    });
    function(
        "crowding_distance",
        &["points: Array", "front: Array", "Array"],
        "NSGA-II's crowding distance of each index in `front` (in that order); the extremes of\n\
         every objective get the largest float (Rhai does not order infinities).",
    )
    .set_into_module(m, |points: Array, front: Array| -> Fallible<Array> {
        let points = objectives(&points)?;
        let front = positions(&front, points.len())?;
        Ok(pareto::crowding_distance(&points, &front)
            .into_iter()
            .map(|d| Dynamic::from_float(comparable(d)))
            .collect::<Array>())
    });
    function(
        "pareto_ranks",
        &["points: Array", "Array"],
        "Each point's `#{front, crowding}`: its front number (0 is non-dominated) and its\n\
         crowding distance within that front; compare with NSGA-II's crowded order.",
    )
    .set_into_module(m, |points: Array| -> Fallible<Array> {
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
    });
    function(
        "nsga2_survivors",
        &["points: Array", "keep: i64", "Array"],
        "NSGA-II's environmental selection: the indices of the `keep` points that survive,\n\
         whole fronts first, the last front cut by crowding distance.",
    )
    .set_into_module(m, |points: Array, keep: INT| -> Fallible<Array> {
        let points = objectives(&points)?;
        Ok(indices(&pareto::survivors(&points, count("keep", keep)?)))
    });
    function(
        "dominates",
        &["a: Array", "b: Array", "bool"],
        "Whether objectives `a` dominate `b` (all minimised): no worse anywhere, better once.",
    )
    .set_into_module(m, |a: Array, b: Array| -> Fallible<bool> {
        let points = objectives(&vec![Dynamic::from_array(a), Dynamic::from_array(b)])?;
        Ok(pareto::dominates(&points[0], &points[1]))
    });
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
