//! The `glit` command line: clap definitions and one function per subcommand.
//!
//! Each subcommand returns the text it prints, so tests can call it directly as well as
//! through the binary.

mod report;

use clap::{Parser, Subcommand};
use std::path::Path;

use crate::error::{Error, Result};
use crate::rng;
use crate::space::cost::Convention;
use crate::space::presets::{self, preset_of, PRESETS};
use crate::space::{Arch, Space};

/// Neural architecture search for global-local vision transformers (GLiT).
#[derive(Debug, Parser)]
#[command(name = "glit", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print a space: skeleton, candidates per block, sizes and the baseline's cost.
    Space {
        /// A preset (paper-tiny, paper-small, released-tiny, micro) or a space JSON file.
        preset: String,
        /// Print the space as JSON instead (a starting point for a space of your own).
        #[arg(long)]
        json: bool,
    },
    /// Print parameters and FLOPs of an architecture, per block and in total.
    Cost {
        /// A built-in name (glit-tiny, deit-tiny, deit-small), a JSON file, or the compact form
        /// in quotes ("G3(qk64,f4) L3(k31,e2,f4) ...").
        arch: String,
        /// The space the architecture belongs to (a preset or a space JSON file); built-in
        /// names bring their own.
        #[arg(long)]
        preset: Option<String>,
        /// Print JSON (the architecture and both conventions' costs) instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Draw random architectures from a space.
    Sample {
        /// A preset or a space JSON file.
        preset: String,
        /// Seed of the random stream.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// How many architectures.
        #[arg(long, default_value_t = 5)]
        count: usize,
        /// Print JSON lines instead of the compact form.
        #[arg(long)]
        json: bool,
    },
}

/// Runs one parsed command and returns what it prints.
pub fn run(cli: Cli) -> Result<String> {
    match cli.command {
        Command::Space { preset, json } => {
            let space = open_space(&preset)?;
            if json {
                Ok(space.to_json() + "\n")
            } else {
                report::space_summary(&space)
            }
        }
        Command::Cost { arch, preset, json } => {
            let (arch, space) = open_arch(&arch, preset.as_deref())?;
            let arch = space.canonical(&arch)?;
            let costs = Convention::ALL
                .iter()
                .map(|&c| space.cost(&arch, c))
                .collect::<Result<Vec<_>>>()?;
            if json {
                Ok(report::cost_json(&space, &arch, &costs))
            } else {
                Ok(report::cost_table(&space, &arch, &costs))
            }
        }
        Command::Sample {
            preset,
            seed,
            count,
            json,
        } => {
            let space = open_space(&preset)?;
            let mut rng = rng::seeded(seed);
            let mut out = String::new();
            for _ in 0..count {
                let arch = space.sample(&mut rng);
                let line = if json {
                    serde_json::to_string(&arch).expect("an Arch always serialises")
                } else {
                    arch.to_string()
                };
                out.push_str(&line);
                out.push('\n');
            }
            Ok(out)
        }
    }
}

/// A preset by name, or a space JSON file by path.
pub fn open_space(name_or_path: &str) -> Result<Space> {
    let path = Path::new(name_or_path);
    if !PRESETS.contains(&name_or_path) && (path.exists() || name_or_path.ends_with(".json")) {
        Space::load(path)
    } else {
        presets::preset(name_or_path)
    }
}

/// An architecture (built-in name, JSON file or compact form) and the space it is costed in.
fn open_arch(text: &str, preset: Option<&str>) -> Result<(Arch, Space)> {
    let builtin = preset_of(text);
    let arch = if builtin.is_some() {
        presets::named_arch(text)?
    } else if text.contains('(') {
        text.parse()?
    } else if Path::new(text).exists() || text.ends_with(".json") {
        Arch::load(Path::new(text))?
    } else {
        return Err(Error::UnknownArch {
            name: text.into(),
            known: presets::NAMED_ARCHS.map(|(n, _)| n).join(", "),
        });
    };
    let space_name = preset.or(builtin).ok_or_else(|| Error::InvalidValue {
        key: "--preset".into(),
        message: format!(
            "`{text}` is not a built-in architecture, so name its space with --preset"
        ),
    })?;
    Ok((arch, open_space(space_name)?))
}
