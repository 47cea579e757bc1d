//! `space::`: building search spaces and architectures (presets, spaces sized to data, JSON,
//! the compact form), and registering the `Space` and `Arch` values (their methods are in
//! `space_methods` and `arch_api`).

use rhai::{Engine, ImmutableString, Module};

use super::convert::{fail, lift, Fallible};
use super::data_api::SharedData;
use super::registry::function;
use crate::run::Shared;
use crate::space::{presets, Arch, Space};

/// The `space` module.
pub fn module(_context: &Shared) -> Module {
    let mut m = Module::new();
    function(
        "preset",
        &["name: &str", "Space"],
        "A built-in space: paper-tiny, paper-small, released-tiny, micro (28×28×1, 10 classes).",
    )
    .set_into_module(&mut m, |name: ImmutableString| lift(presets::preset(&name)));
    function(
        "glit",
        &["preset: &str", "data: Data", "Space"],
        "GLiT's space for `data`: `micro` sized to its images, channels and classes; other\n\
         presets must match the data.",
    )
    .set_into_module(&mut m, |preset: ImmutableString, data: SharedData| {
        let d = data.dataset();
        lift(presets::sized_for(
            &preset,
            d.image_size,
            d.channels,
            d.classes(),
            &d.name,
        ))
    });
    function(
        "from_json",
        &["json: &str", "Space"],
        "A space from its JSON text (as `space.to_json()` or `glit space P --json` write it).",
    )
    .set_into_module(&mut m, |json: ImmutableString| -> Fallible<Space> {
        serde_json::from_str(&json).map_err(|e| fail(crate::Error::json("space::from_json", &e)))
    });
    function(
        "arch",
        &["text: &str", "Arch"],
        "An architecture from its compact form (\"G3(qk16,f2) L3(k5,e1,f2)\") or a built-in name.",
    )
    .set_into_module(&mut m, |text: ImmutableString| -> Fallible<Arch> {
        if presets::preset_of(&text).is_some() {
            lift(presets::named_arch(&text))
        } else {
            lift(text.parse::<Arch>())
        }
    });
    function(
        "arch",
        &["map: Map", "Arch"],
        "An architecture from a map `#{heads: 3, blocks: [#{global_heads: 1, ...}, ...]}` (as\n\
         `load` returns a saved one).",
    )
    .set_into_module(&mut m, super::arch_api::arch_from_map);
    m
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
