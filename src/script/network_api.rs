//! `network::`: a trained network (a network file from `glit import`, or one a script saved)
//! run on picture files, for scripts that end a search by trying the network on photos.

use std::path::PathBuf;

use burn::Dispatch;
use rhai::{Array, Dynamic, ImmutableString, Map, Module};

use super::convert::{bad, fail, from_json, kind, lift, Fallible, Options};
use super::registry::function;
use crate::predict;
use crate::run::Shared;
use crate::train::NetworkFile;

/// The `network` module.
pub fn module(context: &Shared) -> Module {
    let mut m = Module::new();
    let ctx = context.clone();
    function(
        "predict",
        &["network: &str", "images: Array", "options: Map", "Array"],
        "The most probable classes of the network file `network` for each picture of `images`\n\
         (PNG or JPEG files, or folders of them), prepared as the network's training prepared\n\
         its pictures. Options: `top` (classes per picture, default 5). Returns one map per\n\
         picture: #{file, top: [#{class, name, probability, logit}, ...]}.",
    )
    .set_into_module(
        &mut m,
        move |network: ImmutableString, images: Array, options: Map| {
            let mut o = Options::new("network::predict", options);
            let top = o.positive("top", predict::DEFAULT_TOP)?;
            o.finish()?;
            run_predict(&ctx, &network, &images, top)
        },
    );
    let ctx = context.clone();
    function(
        "predict",
        &["network: &str", "images: Array", "Array"],
        "`predict` with the 5 most probable classes per picture.",
    )
    .set_into_module(&mut m, move |network: ImmutableString, images: Array| {
        run_predict(&ctx, &network, &images, predict::DEFAULT_TOP)
    });
    m
}

fn run_predict(ctx: &Shared, network: &str, images: &Array, top: usize) -> Fallible<Array> {
    let paths = images
        .iter()
        .map(|image| match image.clone().into_immutable_string() {
            Ok(path) => Ok(PathBuf::from(path.as_str())),
            Err(_) => Err(bad(
                "images",
                format!("holds {}, where a picture's path is a string", kind(image)),
            )),
        })
        .collect::<Fallible<Vec<_>>>()?;
    let device = ctx.device();
    let network = lift(NetworkFile::<Dispatch>::read(network.as_ref(), device))?;
    let files = lift(predict::pictures(&paths))?;
    let predictions = lift(predict::predict(&network, &files, top, device))?;
    predictions
        .iter()
        .map(|p| Ok(from_json(&serde_json::to_value(p).map_err(fail)?)))
        .collect::<Fallible<Vec<Dynamic>>>()
}
