//! A trained network's classes for picture files: each picture prepared as the network's
//! [`Input`](crate::data::Input) says, the network run on batches of them, and the most
//! probable classes with their softmax probabilities.

use std::path::{Path, PathBuf};

use burn::tensor::backend::Backend;
use burn::tensor::{Tensor, TensorData};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::train::NetworkFile;

/// Classes shown per picture unless the caller says otherwise.
pub const DEFAULT_TOP: usize = 5;

/// Pictures run through the network at once.
const BATCH: usize = 16;

/// File endings taken as pictures when a folder is given.
const PICTURE_ENDINGS: [&str; 3] = ["png", "jpg", "jpeg"];

/// The most probable classes for one picture.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Prediction {
    /// The picture.
    pub file: PathBuf,
    /// The classes, most probable first.
    pub top: Vec<ClassScore>,
}

/// One class of a prediction.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ClassScore {
    /// The output index.
    pub class: usize,
    /// Its name.
    pub name: String,
    /// Softmax probability over all classes.
    pub probability: f64,
    /// The network's raw output.
    pub logit: f64,
}

/// The picture files `paths` name: files as given, folders as their PNG and JPEG files
/// (recursively, in name order). A path that does not exist, or no pictures at all, is an
/// error naming it.
pub fn pictures(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            collect_pictures(path, &mut files)?;
        } else if path.is_file() {
            files.push(path.clone());
        } else {
            return Err(Error::io(
                path,
                std::io::Error::new(std::io::ErrorKind::NotFound, "no such file or folder"),
            ));
        }
    }
    if files.is_empty() {
        let named: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        return Err(Error::InvalidValue {
            key: "IMAGES".into(),
            message: format!(
                "no PNG or JPEG pictures in {}",
                if named.is_empty() {
                    "(nothing given)".into()
                } else {
                    named.join(", ")
                }
            ),
        });
    }
    Ok(files)
}

fn collect_pictures(folder: &Path, files: &mut Vec<PathBuf>) -> Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(folder)
        .map_err(|e| Error::io(folder, e))?
        .map(|entry| entry.map(|e| e.path()).map_err(|e| Error::io(folder, e)))
        .collect::<Result<_>>()?;
    entries.sort();
    for entry in entries {
        if entry.is_dir() {
            collect_pictures(&entry, files)?;
        } else if is_picture(&entry) {
            files.push(entry);
        }
    }
    Ok(())
}

fn is_picture(path: &Path) -> bool {
    path.extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .is_some_and(|e| PICTURE_ENDINGS.contains(&e.as_str()))
}

/// The `top` most probable classes of `network` for each of `files`, on `device`.
pub fn predict<B: Backend>(
    network: &NetworkFile<B>,
    files: &[PathBuf],
    top: usize,
    device: &B::Device,
) -> Result<Vec<Prediction>> {
    let input = &network.input;
    let shape = [input.channels, input.image_size, input.image_size];
    let mut predictions = Vec::with_capacity(files.len());
    for batch in files.chunks(BATCH) {
        let mut values = Vec::with_capacity(batch.len() * shape.iter().product::<usize>());
        for file in batch {
            values.extend(input.values(file)?);
        }
        let images = Tensor::<B, 4>::from_data(
            TensorData::new(values, [batch.len(), shape[0], shape[1], shape[2]]),
            device,
        );
        let logits = network.net.forward(images, &network.arch)?;
        let logits: Vec<f32> = logits
            .into_data()
            .to_vec()
            .expect("logits are f32 on every backend glit uses");
        let classes = network.classes.len();
        for (file, row) in batch.iter().zip(logits.chunks_exact(classes)) {
            predictions.push(Prediction {
                file: file.clone(),
                top: best_classes(row, &network.classes, top),
            });
        }
    }
    Ok(predictions)
}

/// The `top` classes of one row of logits by softmax probability (computed in f64), ties
/// in output order.
fn best_classes(logits: &[f32], names: &[String], top: usize) -> Vec<ClassScore> {
    let largest = logits
        .iter()
        .fold(f64::NEG_INFINITY, |m, &v| m.max(v as f64));
    let exps: Vec<f64> = logits.iter().map(|&v| (v as f64 - largest).exp()).collect();
    let total: f64 = exps.iter().sum();
    let mut order: Vec<usize> = (0..logits.len()).collect();
    order.sort_by(|&a, &b| exps[b].total_cmp(&exps[a]).then(a.cmp(&b)));
    order
        .into_iter()
        .take(top)
        .map(|class| ClassScore {
            class,
            name: names[class].clone(),
            probability: exps[class] / total,
            logit: logits[class] as f64,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn best_classes_are_softmax_ordered_with_ties_in_output_order() {
        let names: Vec<String> = ["a", "b", "c", "d"].map(String::from).to_vec();
        let top = best_classes(&[1.0, 3.0, 1.0, 2.0], &names, 3);
        let order: Vec<usize> = top.iter().map(|c| c.class).collect();
        assert_eq!(order, [1, 3, 0]);
        let total = 2.0 * 1f64.exp() + 3f64.exp() + 2f64.exp();
        assert!((top[0].probability - 3f64.exp() / total).abs() < 1e-12);
        assert_eq!(top[1].name, "d");
    }
}
