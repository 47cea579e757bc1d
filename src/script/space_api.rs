//! `space::`: building search spaces and architectures (presets, spaces sized to data, JSON,
//! the compact form), and registering the `Space` and `Arch` values (their methods are in
//! `space_methods` and `arch_api`).

use rhai::plugin::*;
use rhai::{Engine, ImmutableString, Map, Module};

use super::convert::{fail, lift, RhaiResultOf};
use super::data_api::SharedData;
use crate::run::Shared;
use crate::space::{presets, Arch, Space};

/// The `space` module.
pub fn module(_context: &Shared) -> Module {
    exported_module!(space_functions)
}

/// The functions of `space::`, with signatures and docs taken from here.
#[export_module]
mod space_functions {
    use super::*;

    pub type Data = SharedData;

    /// A built-in space: paper-tiny, paper-small, released-tiny, micro (28×28×1, 10 classes),
    /// nano; a suffix gives its local heads another module ("micro:conv2d",
    /// "micro:local-attention").
    #[rhai_fn(return_raw)]
    pub fn preset(name: ImmutableString) -> RhaiResultOf<Space> {
        lift(presets::preset(&name))
    }

    /// GLiT's space for `data`: `micro` sized to its images, channels and classes; other
    /// presets must match the data.
    #[rhai_fn(return_raw)]
    pub fn glit(preset: ImmutableString, data: Data) -> RhaiResultOf<Space> {
        let d = data.dataset();
        lift(presets::sized_for(
            &preset,
            d.image_size,
            d.channels,
            d.classes(),
            &d.name,
        ))
    }

    /// A space from its JSON text (as `space.to_json()` or `glit space P --json` write it).
    #[rhai_fn(return_raw)]
    pub fn from_json(json: ImmutableString) -> RhaiResultOf<Space> {
        serde_json::from_str(&json).map_err(|e| fail(crate::Error::json("space::from_json", &e)))
    }

    /// An architecture from its compact form ("G3(qk16,f2) L3(k5,e1,f2)") or a built-in name.
    #[rhai_fn(name = "arch", return_raw)]
    pub fn arch_from_text(text: ImmutableString) -> RhaiResultOf<Arch> {
        if presets::preset_of(&text).is_some() {
            lift(presets::named_arch(&text))
        } else {
            lift(text.parse::<Arch>())
        }
    }

    /// An architecture from a map `#{heads: 3, blocks: [#{global_heads: 1, ...}, ...]}` (as
    /// `load` returns a saved one).
    #[rhai_fn(name = "arch", return_raw)]
    pub fn arch_from_map(map: Map) -> RhaiResultOf<Arch> {
        super::super::arch_api::arch_from_map(map)
    }
}

/// Registers the methods of `Space` and `Arch`.
pub fn register(engine: &mut Engine) {
    engine.register_type_with_name::<Space>("Space");
    engine.register_type_with_name::<Arch>("Arch");
    engine.register_fn("to_string", |s: &mut Space| s.to_string());
    engine.register_fn("to_debug", |s: &mut Space| s.to_string());
    engine.register_fn("to_string", |a: &mut Arch| a.to_string());
    engine.register_fn("to_debug", |a: &mut Arch| a.to_string());
    engine.register_fn("==", |a: &mut Arch, b: Arch| *a == b.canonical());
    engine.register_fn("!=", |a: &mut Arch, b: Arch| *a != b.canonical());
    super::space_methods::register(engine);
    super::arch_api::register(engine);
}
