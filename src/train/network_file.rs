//! Networks as single files (format `glit-net-1`): the weights and BatchNorm statistics, the
//! space and sharing plan they were built over, and, for a network that stands alone (an
//! imported release, a retrained architecture), its architecture, how pictures become its
//! input and its class names. A scoring worker's supernet file is the same format without
//! those three.

use std::path::Path;

use burn::tensor::backend::Backend;
use rand::SeedableRng;

use super::CheckpointFile;
use crate::data::{Dataset, Input};
use crate::error::{Error, Result};
use crate::model::{load_state, state_of, SharingPlan, Supernet};
use crate::rng::SearchRng;
use crate::space::{Arch, Space};

/// The format this version writes and reads.
pub const NET_FORMAT: &str = "glit-net-1";

/// A network that stands alone, ready to predict, score or fine-tune.
#[derive(Clone, Debug)]
pub struct NetworkFile<B: Backend> {
    /// The network (a supernet over a space holding `arch`, or more).
    pub net: Supernet<B>,
    /// The architecture its weights were trained as.
    pub arch: Arch,
    /// How a picture becomes its input.
    pub input: Input,
    /// Class names by output index.
    pub classes: Vec<String>,
    /// Where the weights came from, for people reading the file (`imported from …`).
    pub source: String,
}

impl<B: Backend> NetworkFile<B> {
    /// Writes the network to `path`, atomically.
    pub fn write(&self, path: &Path) -> Result<()> {
        let mut file = net_file(&self.net);
        file.metadata.insert("arch".into(), self.arch.to_string());
        file.set_json("input", &self.input);
        file.set_json("classes", &self.classes);
        file.metadata.insert("source".into(), self.source.clone());
        file.write(path)
    }

    /// Reads the network at `path` onto `device`. A supernet file (no architecture), a
    /// damaged file, or metadata that contradicts the network is an error naming the file.
    pub fn read(path: &Path, device: &B::Device) -> Result<Self> {
        let (net, file) = read_net(path, device)?;
        let origin = path.display().to_string();
        let entry = |key: &str| {
            file.metadata.get(key).ok_or_else(|| {
                Error::invalid_data(
                    &origin,
                    format!(
                        "has no metadata `{key}`: it is a supernet's weights, not one network \
                         (write one with `glit import`, or use a standalone run directory)"
                    ),
                )
            })
        };
        let arch: Arch = entry("arch")?
            .parse()
            .map_err(|e| Error::invalid_data(&origin, format!("metadata `arch`: {e}")))?;
        let input: Input = serde_json::from_str(entry("input")?)
            .map_err(|e| Error::json(format!("{origin} (metadata `input`)"), &e))?;
        let classes: Vec<String> = serde_json::from_str(entry("classes")?)
            .map_err(|e| Error::json(format!("{origin} (metadata `classes`)"), &e))?;
        let skeleton = net.space().skeleton();
        net.space()
            .check(&arch)
            .map_err(|e| Error::invalid_data(&origin, format!("metadata `arch`: {e}")))?;
        input.check(&origin)?;
        if (input.image_size, input.channels) != (skeleton.image_size, skeleton.channels) {
            return Err(Error::invalid_data(
                &origin,
                format!(
                    "input of {0}×{0}×{1} for a network that takes {2}×{2}×{3}",
                    input.image_size, input.channels, skeleton.image_size, skeleton.channels
                ),
            ));
        }
        if classes.len() != skeleton.classes {
            return Err(Error::invalid_data(
                &origin,
                format!(
                    "{} class names for a network with {} classes",
                    classes.len(),
                    skeleton.classes
                ),
            ));
        }
        let source = file.metadata.get("source").cloned().unwrap_or_default();
        Ok(NetworkFile {
            net,
            arch,
            input,
            classes,
            source,
        })
    }
}

impl<B: Backend> NetworkFile<B> {
    /// The network to fine-tune as `arch` (when given) on `dataset`: the file (`origin`)
    /// must hold that architecture, and the data must fit its input and classes.
    pub fn starting_point(
        self,
        arch: Option<&Arch>,
        dataset: &Dataset,
        origin: &Path,
    ) -> Result<Supernet<B>> {
        if let Some(arch) = arch {
            if self.net.space().canonical(arch).ok().as_ref() != Some(&self.arch) {
                return Err(Error::invalid_data(
                    origin.display(),
                    format!(
                        "holds {}, not the architecture asked to train ({arch})",
                        self.arch
                    ),
                ));
            }
        }
        self.check_fits(dataset, origin)?;
        Ok(self.net)
    }

    /// An error naming `origin` unless `dataset`'s pictures and classes fit the network.
    pub fn check_fits(&self, dataset: &Dataset, origin: &Path) -> Result<()> {
        let skeleton = self.net.space().skeleton();
        let fits = (skeleton.image_size, skeleton.channels, skeleton.classes)
            == (dataset.image_size, dataset.channels, dataset.classes());
        if fits {
            return Ok(());
        }
        Err(Error::invalid_data(
            origin.display(),
            format!(
                "takes {0}×{0}×{1} pictures into {2} classes, and {3} has {4}×{4}×{5} into {6}",
                skeleton.image_size,
                skeleton.channels,
                skeleton.classes,
                dataset.name,
                dataset.image_size,
                dataset.channels,
                dataset.classes()
            ),
        ))
    }
}

/// The file holding `net`'s weights and statistics, its space and its plan.
pub fn net_file<B: Backend>(net: &Supernet<B>) -> CheckpointFile {
    let mut file = CheckpointFile {
        tensors: state_of::<B, _>(net),
        ..CheckpointFile::default()
    };
    file.metadata.insert("format".into(), NET_FORMAT.into());
    file.metadata.insert("space".into(), net.space().to_json());
    file.set_json("plan", net.plan());
    file
}

/// The network in the `glit-net-1` file at `path`, on `device`, and the file (for its other
/// metadata).
pub fn read_net<B: Backend>(
    path: &Path,
    device: &B::Device,
) -> Result<(Supernet<B>, CheckpointFile)> {
    let file = CheckpointFile::read(path)?;
    let origin = path.display().to_string();
    let format = file.entry("format", path)?;
    if format != NET_FORMAT {
        return Err(Error::invalid_data(
            &origin,
            format!("format `{format}`, where a network file is `{NET_FORMAT}`"),
        ));
    }
    let space: Space = serde_json::from_str(file.entry("space", path)?)
        .map_err(|e| Error::json(format!("{origin} (metadata `space`)"), &e))?;
    let plan: SharingPlan = serde_json::from_str(file.entry("plan", path)?)
        .map_err(|e| Error::json(format!("{origin} (metadata `plan`)"), &e))?;
    // The fresh weights are all overwritten; any seed would do.
    let net = Supernet::new(&space, &plan, &mut SearchRng::seed_from_u64(0), device);
    let net = load_state(net, &file.tensors, &origin)?;
    Ok((net, file))
}
