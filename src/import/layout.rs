//! The official GLiT code's and timm's DeiT tensor names and shapes, mapped onto glit's.
//!
//! | official (`glit_models.py`, `mix_attention.py`) | glit |
//! | --- | --- |
//! | `patch_embed.proj.{weight,bias}` | `patch_weight`, `patch_bias` |
//! | `cls_token`, `pos_embed` | `cls_token`, `positions` |
//! | `blocks.{i}.0.norm{1,2}.{weight,bias}` | `blocks.{i}.0.norm{1,2}.{gamma,beta}` |
//! | `blocks.{i}.0.attn.qkv` `[3·g·w, C_v]` | `…globals.0.{query,key,value}` `[C_v, g, w]` each |
//! | `blocks.{i}.0.attn.proj` `[C_v, g·w]` | `…globals.0.projection` `[C_v, g, w]` |
//! | `blocks.{i}.0.attn.net.1` `[2·c·E, c, 1]` | `…locals.0.glu_value`, `glu_gate` `[c, c·E]` (the halves) |
//! | `blocks.{i}.0.attn.net.3.conv` `[c·E, 1, K]` | `…locals.0.depthwise` |
//! | `blocks.{i}.0.attn.net.4` (BatchNorm1d) | `…locals.0.batch_norm.{gamma,beta,running_mean,running_var}` |
//! | `blocks.{i}.0.attn.net.6` `[c, c·E, 1]` | `…locals.0.pointwise_out` `[c·E, c]` |
//! | `blocks.{i}.0.mlp.fc{1,2}` | `…ffns.0.{expand,contract}` (transposed) |
//! | `norm`, `head` `[classes, d]` | `norm`, `head` `[d, classes]` |
//!
//! timm's DeiT has the same names without the `.0` of GLiT's one-candidate blocks, and only
//! global heads. The rows of `qkv` are `q`, `k`, `v` in turn, each head after head (the
//! official `reshape(B, N, 3, heads, width)`); GLU's value is the first half of `net.1`'s
//! output channels and its gate the second. PyTorch's linear and 1×1 convolution weights are
//! `[out, in]`; glit's are `[in, out]`.

use crate::error::{Error, Result};
use crate::model::{HostTensor, NamedTensors};
use crate::space::{Arch, BlockArch, Skeleton};

/// Which project's names a checkpoint uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// The official GLiT code: `blocks.{i}.0.…`.
    Glit,
    /// timm's `VisionTransformer` (DeiT): `blocks.{i}.…`, global heads only.
    Deit,
}

impl Layout {
    /// The layout of a checkpoint's tensor names, or `None` when it is neither.
    pub fn detect(tensors: &NamedTensors) -> Option<Layout> {
        let has = |prefix: &str| tensors.keys().any(|n| n.starts_with(prefix));
        if has("blocks.0.0.") {
            Some(Layout::Glit)
        } else if has("blocks.0.attn.") {
            Some(Layout::Deit)
        } else {
            None
        }
    }

    /// Where block `index`'s tensors live.
    fn block_prefix(self, index: usize) -> String {
        match self {
            Layout::Glit => format!("blocks.{index}.0"),
            Layout::Deit => format!("blocks.{index}"),
        }
    }
}

/// The checkpoint's tensors, taken by name as the mapping asks for them: each taken once,
/// shapes checked, and what is left at the end reported.
pub struct Source<'a> {
    left: NamedTensors,
    origin: &'a str,
}

impl<'a> Source<'a> {
    /// Tensors read from `origin`.
    pub fn new(tensors: NamedTensors, origin: &'a str) -> Self {
        Source {
            left: tensors,
            origin,
        }
    }

    /// The tensor `name`, which the architecture needs with `shape`.
    fn take(&mut self, name: &str, shape: &[usize]) -> Result<HostTensor> {
        let tensor = self.left.remove(name).ok_or_else(|| {
            Error::invalid_data(
                self.origin,
                format!("has no tensor `{name}`, which the architecture needs ({shape:?})"),
            )
        })?;
        if tensor.shape != shape {
            return Err(Error::invalid_data(
                self.origin,
                format!(
                    "tensor `{name}` has shape {:?}; the architecture needs {shape:?}",
                    tensor.shape
                ),
            ));
        }
        Ok(tensor)
    }

    /// An error naming the tensors nothing took.
    fn check_all_taken(&self) -> Result<()> {
        if self.left.is_empty() {
            return Ok(());
        }
        let count = self.left.len();
        let shown: Vec<String> = self.left.keys().take(5).map(|n| format!("`{n}`")).collect();
        Err(Error::invalid_data(
            self.origin,
            format!(
                "{count} tensor(s) the architecture has no place for: {}{} (a different \
                 architecture, or a model with parts glit does not have)",
                shown.join(", "),
                if count > 5 { ", …" } else { "" }
            ),
        ))
    }
}

/// A `[rows, cols]` matrix transposed.
fn transposed(values: &[f32], rows: usize, cols: usize) -> Vec<f32> {
    let mut out = vec![0.0; values.len()];
    for r in 0..rows {
        for c in 0..cols {
            out[c * rows + r] = values[r * cols + c];
        }
    }
    out
}

fn host(shape: Vec<usize>, values: Vec<f32>) -> HostTensor {
    HostTensor { shape, values }
}

/// The tensors of a glit standalone network for `arch` (names as `model::state_of` gives
/// them), from a checkpoint in `layout`. Every tensor the network needs must be there with
/// the shape the architecture implies, and every float tensor of the checkpoint must find a
/// place.
pub fn map(
    source: &mut Source,
    layout: Layout,
    skeleton: &Skeleton,
    arch: &Arch,
) -> Result<NamedTensors> {
    let s = skeleton;
    let d = s.embed_dim;
    let mut out = NamedTensors::new();
    let patch = source.take(
        "patch_embed.proj.weight",
        &[d, s.channels, s.patch_size, s.patch_size],
    )?;
    out.insert("patch_weight".into(), patch);
    out.insert(
        "patch_bias".into(),
        source.take("patch_embed.proj.bias", &[d])?,
    );
    out.insert("cls_token".into(), source.take("cls_token", &[1, 1, d])?);
    out.insert(
        "positions".into(),
        source.take("pos_embed", &[1, s.tokens(), d])?,
    );
    for (index, block) in arch.blocks.iter().enumerate() {
        map_block(source, layout, s, index, block, &mut out)?;
    }
    norm(source, "norm", "norm", d, &mut out)?;
    let head = source.take("head.weight", &[s.classes, d])?;
    out.insert(
        "head.weight".into(),
        host(vec![d, s.classes], transposed(&head.values, s.classes, d)),
    );
    out.insert("head.bias".into(), source.take("head.bias", &[s.classes])?);
    source.check_all_taken()?;
    Ok(out)
}

/// LayerNorm `weight`/`bias` as glit's `gamma`/`beta`.
fn norm(source: &mut Source, from: &str, to: &str, d: usize, out: &mut NamedTensors) -> Result<()> {
    let gamma = source.take(&format!("{from}.weight"), &[d])?;
    let beta = source.take(&format!("{from}.bias"), &[d])?;
    out.insert(format!("{to}.gamma"), gamma);
    out.insert(format!("{to}.beta"), beta);
    Ok(())
}

/// A PyTorch linear (or 1×1 convolution: `[out, in, 1]`) as glit's `[in, out]` weight and bias.
fn linear(
    source: &mut Source,
    from: &str,
    [input, output]: [usize; 2],
    conv: bool,
) -> Result<(Vec<f32>, Vec<f32>)> {
    let shape: Vec<usize> = if conv {
        vec![output, input, 1]
    } else {
        vec![output, input]
    };
    let weight = source.take(&format!("{from}.weight"), &shape)?;
    let bias = source.take(&format!("{from}.bias"), &[output])?;
    Ok((transposed(&weight.values, output, input), bias.values))
}

fn map_block(
    source: &mut Source,
    layout: Layout,
    s: &Skeleton,
    index: usize,
    block: &BlockArch,
    out: &mut NamedTensors,
) -> Result<()> {
    let d = s.embed_dim;
    let from = layout.block_prefix(index);
    let to = format!("blocks.{index}.0");
    norm(
        source,
        &format!("{from}.norm1"),
        &format!("{to}.norm1"),
        d,
        out,
    )?;
    norm(
        source,
        &format!("{from}.norm2"),
        &format!("{to}.norm2"),
        d,
        out,
    )?;

    let g = block.global_heads;
    if g > 0 {
        let width = block.qk_dim.unwrap_or(d / s.heads);
        let channels = d * g / s.heads;
        let inner = g * width;
        let qkv_w = source.take(&format!("{from}.attn.qkv.weight"), &[3 * inner, channels])?;
        let qkv_b = source.take(&format!("{from}.attn.qkv.bias"), &[3 * inner])?;
        for (part, name) in ["query", "key", "value"].into_iter().enumerate() {
            // Rows `part·inner ..` are this projection's outputs, head after head.
            let rows = &qkv_w.values[part * inner * channels..(part + 1) * inner * channels];
            out.insert(
                format!("{to}.globals.0.{name}.weight"),
                host(vec![channels, g, width], transposed(rows, inner, channels)),
            );
            out.insert(
                format!("{to}.globals.0.{name}.bias"),
                host(
                    vec![inner],
                    qkv_b.values[part * inner..(part + 1) * inner].to_vec(),
                ),
            );
        }
        let proj_w = source.take(&format!("{from}.attn.proj.weight"), &[channels, inner])?;
        out.insert(
            format!("{to}.globals.0.projection.weight"),
            host(vec![channels, g, width], proj_w.values),
        );
        let proj_b = source.take(&format!("{from}.attn.proj.bias"), &[channels])?;
        out.insert(format!("{to}.globals.0.projection.bias"), proj_b);
    }

    if g < s.heads {
        if layout == Layout::Deit {
            return Err(Error::InvalidValue {
                key: "--arch".into(),
                message: format!(
                    "block {index} has local heads, but a DeiT checkpoint has global heads only"
                ),
            });
        }
        let channels = d * (s.heads - g) / s.heads;
        let expand = block.conv_expand.unwrap_or(1);
        let kernel = block.kernel.unwrap_or(1);
        let inner = channels * expand;
        let net = format!("{from}.attn.net");
        let (w, b) = linear(source, &format!("{net}.1"), [channels, 2 * inner], true)?;
        // `w` is `[channels, 2·inner]`: each row holds the value's then the gate's columns.
        let (mut value_w, mut gate_w) = (Vec::new(), Vec::new());
        for row in w.chunks(2 * inner) {
            value_w.extend_from_slice(&row[..inner]);
            gate_w.extend_from_slice(&row[inner..]);
        }
        let local = format!("{to}.locals.0");
        out.insert(
            format!("{local}.glu_value.weight"),
            host(vec![channels, inner], value_w),
        );
        out.insert(
            format!("{local}.glu_value.bias"),
            host(vec![inner], b[..inner].to_vec()),
        );
        out.insert(
            format!("{local}.glu_gate.weight"),
            host(vec![channels, inner], gate_w),
        );
        out.insert(
            format!("{local}.glu_gate.bias"),
            host(vec![inner], b[inner..].to_vec()),
        );
        let conv = format!("{net}.3.conv");
        let depthwise = source.take(&format!("{conv}.weight"), &[inner, 1, kernel])?;
        out.insert(format!("{local}.depthwise.weight"), depthwise);
        let depthwise_b = source.take(&format!("{conv}.bias"), &[inner])?;
        out.insert(format!("{local}.depthwise.bias"), depthwise_b);
        for (from_name, to_name) in [
            ("weight", "gamma"),
            ("bias", "beta"),
            ("running_mean", "running_mean"),
            ("running_var", "running_var"),
        ] {
            let t = source.take(&format!("{net}.4.{from_name}"), &[inner])?;
            out.insert(format!("{local}.batch_norm.{to_name}"), t);
        }
        let (w, b) = linear(source, &format!("{net}.6"), [inner, channels], true)?;
        out.insert(
            format!("{local}.pointwise_out.weight"),
            host(vec![inner, channels], w),
        );
        out.insert(
            format!("{local}.pointwise_out.bias"),
            host(vec![channels], b),
        );
    }

    let hidden = d * block.ffn_ratio;
    let (w, b) = linear(source, &format!("{from}.mlp.fc1"), [d, hidden], false)?;
    out.insert(
        format!("{to}.ffns.0.expand.weight"),
        host(vec![d, hidden], w),
    );
    out.insert(format!("{to}.ffns.0.expand.bias"), host(vec![hidden], b));
    let (w, b) = linear(source, &format!("{from}.mlp.fc2"), [hidden, d], false)?;
    out.insert(
        format!("{to}.ffns.0.contract.weight"),
        host(vec![hidden, d], w),
    );
    out.insert(format!("{to}.ffns.0.contract.bias"), host(vec![d], b));
    Ok(())
}
