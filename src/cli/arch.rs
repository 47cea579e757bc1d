//! Architectures named on the command line (a built-in name, a compact form, a JSON file,
//! `baseline`, or the one a network file holds), checked against their space, costed and
//! drawn.

use std::path::Path;

use super::tables;
use crate::error::{Error, Result};
use crate::space::cost::{Convention, Cost};
use crate::space::presets::{self, preset_of};
use crate::space::{Arch, Space};

/// The architecture `glit train --init FILE [--arch TEXT]` trains: the file's, or `text`
/// read in the file's space.
pub(super) fn init_arch(file: &Path, text: Option<&str>) -> Result<Arch> {
    let network =
        crate::train::NetworkFile::<burn::Dispatch>::read(file, &crate::devices::named("cpu")?)?;
    let Some(text) = text else {
        return Ok(network.arch);
    };
    open_arch_in(text, network.net.space()).map_err(|e| {
        Error::invalid_data(
            file.display(),
            format!(
                "holds {}, and --arch {text} is not that architecture ({e})",
                network.arch
            ),
        )
    })
}

/// An architecture in canonical form, its space, and its cost in every convention.
pub(super) fn costed(text: &str, preset: Option<&str>) -> Result<(Space, Arch, Vec<Cost>)> {
    let (arch, space) = open_arch(text, preset)?;
    let arch = space.canonical(&arch)?;
    let costs = Convention::ALL
        .iter()
        .map(|&c| space.cost(&arch, c))
        .collect::<Result<Vec<_>>>()?;
    Ok((space, arch, costs))
}

/// `glit show`: the diagram files and the cost table.
pub(super) fn show(text: &str, preset: Option<&str>, out: &Path) -> Result<String> {
    let (space, arch, costs) = costed(text, preset)?;
    let name = if text.contains('(') {
        "architecture"
    } else {
        text
    };
    let title = format!(
        "{name}: {:.2} MFLOPs, {} params",
        costs[0].mflops(),
        tables::thousands(costs[0].params())
    );
    let dir = match out.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let stem = out
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .ok_or_else(|| Error::InvalidValue {
            key: "--out".into(),
            message: format!("{} names no file", out.display()),
        })?;
    let diagram = crate::report::diagram::ArchDiagram {
        arch: &arch,
        title,
        local: Some(space.local()),
    };
    let written = crate::report::figure::save(&diagram, dir, &stem)?;
    let names: Vec<String> = written.iter().map(|p| p.display().to_string()).collect();
    Ok(format!(
        "{}\ndiagram: {}\n",
        tables::cost_table(&space, &arch, &costs),
        names.join(", ")
    ))
}

/// An architecture of `space`: `baseline` (its all-global one), a built-in name, a compact
/// form or a JSON file; checked against the space.
pub fn open_arch_in(text: &str, space: &Space) -> Result<Arch> {
    let arch = if text == "baseline" {
        space.baseline()?
    } else {
        parse_arch(text).map_err(|error| match error {
            Error::UnknownArch { name, known } => Error::UnknownArch {
                name,
                known: format!("baseline, {known}"),
            },
            other => other,
        })?
    };
    space.check(&arch).map_err(|e| naming_file(text, e))?;
    space.canonical(&arch).map_err(|e| naming_file(text, e))
}

/// `error` with the file an architecture came from, when it came from one.
fn naming_file(text: &str, error: Error) -> Error {
    match error {
        Error::NotInSpace(message) if Path::new(text).is_file() => {
            Error::NotInSpace(format!("{text}: {message}"))
        }
        other => other,
    }
}

/// A built-in architecture name, a compact form, or an architecture JSON file.
fn parse_arch(text: &str) -> Result<Arch> {
    if preset_of(text).is_some() {
        presets::named_arch(text)
    } else if text.contains('(') {
        text.parse()
    } else if Path::new(text).exists() || text.ends_with(".json") {
        Arch::load(Path::new(text))
    } else {
        Err(Error::UnknownArch {
            name: text.into(),
            known: presets::NAMED_ARCHS.map(|(n, _)| n).join(", "),
        })
    }
}

/// An architecture (built-in name, JSON file or compact form) and the space it is costed in.
pub(super) fn open_arch(text: &str, preset: Option<&str>) -> Result<(Arch, Space)> {
    let builtin = preset_of(text);
    let arch = parse_arch(text)?;
    let space_name = preset.or(builtin).ok_or_else(|| Error::InvalidValue {
        key: "--preset".into(),
        message: format!(
            "`{text}` is not a built-in architecture, so name its space with --preset"
        ),
    })?;
    let space = presets::open(space_name)?;
    space.check(&arch).map_err(|e| naming_file(text, e))?;
    Ok((arch, space))
}
