//! Layers whose weights are sized for the largest candidate and sliced for smaller ones.
//!
//! A standalone network builds them at exactly its sizes, so no slice is ever taken there.

use burn::module::{Module, Param};

use super::running_stat::RunningStat;
use burn::tensor::backend::Backend;
use burn::tensor::module::{conv1d, linear};
use burn::tensor::ops::ConvOptions;
use burn::tensor::Tensor;

use super::init;
use super::pass::Norms;
use crate::rng::SearchRng;

/// How a layer's weights start.
#[derive(Clone, Copy, Debug)]
pub enum Init {
    /// Transformer linears: N(0, 0.02²) weights, zero bias (timm's ViT init).
    Transformer,
    /// Convolutions: U(±1/√fan_in) weights and biases (PyTorch's default).
    Conv,
}

/// A linear layer `[.., input] → [.., output]` whose weight is a prefix of `[input_max,
/// output_max]`.
#[derive(Module, Debug)]
pub struct SlicedLinear<B: Backend> {
    weight: Param<Tensor<B, 2>>,
    bias: Param<Tensor<B, 1>>,
}

impl<B: Backend> SlicedLinear<B> {
    /// A layer for at most `input` → `output` features.
    pub fn new(
        input: usize,
        output: usize,
        init: Init,
        rng: &mut SearchRng,
        device: &B::Device,
    ) -> Self {
        let (weight, bias) = match init {
            Init::Transformer => (
                init::normal([input, output], 0.02, rng, device),
                Tensor::zeros([output], device),
            ),
            Init::Conv => {
                let bound = 1.0 / (input as f64).sqrt();
                (
                    init::uniform([input, output], bound, rng, device),
                    init::uniform([output], bound, rng, device),
                )
            }
        };
        SlicedLinear {
            weight: Param::from_tensor(weight),
            bias: Param::from_tensor(bias),
        }
    }

    /// A layer of exactly `input` → `output` features holding this one's slice of them.
    pub fn narrowed(&self, input: usize, output: usize) -> Self {
        SlicedLinear {
            weight: Param::from_tensor(self.weight.val().slice([0..input, 0..output]).detach()),
            bias: Param::from_tensor(self.bias.val().slice(0..output).detach()),
        }
    }

    /// Applies the first `output` outputs of the first `input` inputs.
    pub fn forward<const D: usize>(
        &self,
        x: Tensor<B, D>,
        input: usize,
        output: usize,
    ) -> Tensor<B, D> {
        let [input_max, output_max] = self.weight.dims();
        if input == input_max && output == output_max {
            return linear(x, self.weight.val(), Some(self.bias.val()));
        }
        let weight = self.weight.val().slice([0..input, 0..output]);
        linear(x, weight, Some(self.bias.val().slice(0..output)))
    }
}

/// A linear layer into or out of per-head features laid out `[heads, width]`, whose weight is
/// the prefix `[.., 0..heads, 0..width]` of `[features_max, heads_max, width_max]`: a smaller
/// head count or width takes whole heads and the leading columns of each.
#[derive(Module, Debug)]
pub struct HeadLinear<B: Backend> {
    weight: Param<Tensor<B, 3>>,
    bias: Param<Tensor<B, 1>>,
    into_heads: bool,
}

impl<B: Backend> HeadLinear<B> {
    /// `features → heads × width` (`into_heads`) or `heads × width → features`.
    pub fn new(
        features: usize,
        heads: usize,
        width: usize,
        into_heads: bool,
        rng: &mut SearchRng,
        device: &B::Device,
    ) -> Self {
        let bias_len = if into_heads { heads * width } else { features };
        HeadLinear {
            weight: Param::from_tensor(init::normal([features, heads, width], 0.02, rng, device)),
            bias: Param::from_tensor(Tensor::zeros([bias_len], device)),
            into_heads,
        }
    }

    /// A layer of exactly `features`, `heads` and `width` holding this one's slice of them.
    pub fn narrowed(&self, features: usize, heads: usize, width: usize) -> Self {
        let [_, heads_max, width_max] = self.weight.dims();
        let bias = if self.into_heads {
            self.bias
                .val()
                .reshape([heads_max, width_max])
                .slice([0..heads, 0..width])
                .reshape([heads * width])
        } else {
            self.bias.val().slice(0..features)
        };
        HeadLinear {
            weight: Param::from_tensor(
                self.weight
                    .val()
                    .slice([0..features, 0..heads, 0..width])
                    .detach(),
            ),
            bias: Param::from_tensor(bias.detach()),
            into_heads: self.into_heads,
        }
    }

    /// Applies the layer for `features` plain features and `heads` heads of `width`.
    pub fn forward(
        &self,
        x: Tensor<B, 3>,
        features: usize,
        heads: usize,
        width: usize,
    ) -> Tensor<B, 3> {
        let [features_max, heads_max, width_max] = self.weight.dims();
        let full = features == features_max && heads == heads_max && width == width_max;
        let weight = if full {
            self.weight.val()
        } else {
            self.weight.val().slice([0..features, 0..heads, 0..width])
        };
        let weight = weight.reshape([features, heads * width]);
        if self.into_heads {
            let bias = self
                .bias
                .val()
                .reshape([heads_max, width_max])
                .slice([0..heads, 0..width])
                .reshape([heads * width]);
            linear(x, weight, Some(bias))
        } else {
            linear(
                x,
                weight.transpose(),
                Some(self.bias.val().slice(0..features)),
            )
        }
    }
}

/// A depthwise convolution with zero "same" padding whose weight is the channel prefix and
/// kernel centre of its largest one: Conv1d along the tokens (weight `[channels_max, 1,
/// kernel_max]`), or a square Conv2d over the patch grid (weight `[channels_max,
/// kernel_max, kernel_max]`) that the class token, token 0, skips unchanged.
#[derive(Module, Debug)]
pub struct SlicedDepthwise<B: Backend> {
    weight: Param<Tensor<B, 3>>,
    bias: Param<Tensor<B, 1>>,
    /// Patches per side of the grid a 2-D kernel runs over; `None` for Conv1d.
    #[module(skip)]
    grid: Option<usize>,
}

impl<B: Backend> SlicedDepthwise<B> {
    /// A conv for at most `channels` channels and an odd `kernel`: along the tokens, or
    /// k×k over a `grid`×`grid` patch grid.
    pub fn new(
        channels: usize,
        kernel: usize,
        grid: Option<usize>,
        rng: &mut SearchRng,
        device: &B::Device,
    ) -> Self {
        let rows = if grid.is_some() { kernel } else { 1 };
        // The fan-in of a depthwise filter is its number of taps.
        let bound = 1.0 / ((rows * kernel) as f64).sqrt();
        SlicedDepthwise {
            weight: Param::from_tensor(init::uniform([channels, rows, kernel], bound, rng, device)),
            bias: Param::from_tensor(init::uniform([channels], bound, rng, device)),
            grid,
        }
    }

    /// The weight's slice for `channels` and `kernel`: the centre `kernel` taps (rows and
    /// columns for 2-D).
    fn weight_for(&self, channels: usize, kernel: usize) -> Tensor<B, 3> {
        let [channels_max, _, kernel_max] = self.weight.dims();
        if channels == channels_max && kernel == kernel_max {
            return self.weight.val();
        }
        let start = (kernel_max - kernel) / 2;
        // A 2-D weight is square (rows_max == kernel_max), so its rows crop the same centre.
        let rows = match self.grid {
            Some(_) => start..start + kernel,
            None => 0..1,
        };
        self.weight
            .val()
            .slice([0..channels, rows, start..start + kernel])
    }

    /// A conv of exactly `channels` and `kernel` holding this one's slice (the kernel's centre).
    pub fn narrowed(&self, channels: usize, kernel: usize) -> Self {
        SlicedDepthwise {
            weight: Param::from_tensor(self.weight_for(channels, kernel).detach()),
            bias: Param::from_tensor(self.bias.val().slice(0..channels).detach()),
            grid: self.grid,
        }
    }

    /// `[B, channels, T] → [B, channels, T]` with an odd `kernel`.
    pub fn forward(&self, x: Tensor<B, 3>, channels: usize, kernel: usize) -> Tensor<B, 3> {
        let weight = self.weight_for(channels, kernel);
        let bias = if channels == self.bias.dims()[0] {
            self.bias.val()
        } else {
            self.bias.val().slice(0..channels)
        };
        let Some(side) = self.grid else {
            return conv1d(
                x,
                weight,
                Some(bias),
                ConvOptions::new([1], [kernel / 2], [1], channels),
            );
        };
        let [batch, _, tokens] = x.dims();
        let tokens_last = x.swap_dims(1, 2); // [B, T, channels], the layout it was made in
        let cls = tokens_last.clone().slice([0..batch, 0..1, 0..channels]);
        let grid = tokens_last
            .slice([0..batch, 1..tokens, 0..channels])
            .reshape([batch, side, side, channels]);
        let mixed = rows_conv2d(grid, weight, kernel).reshape([batch, side * side, channels])
            + bias.reshape([1, 1, channels]);
        Tensor::cat(vec![cls, mixed], 1).swap_dims(1, 2)
    }
}

/// A depthwise k×k convolution (zero "same" padding, no bias) of a channel-last grid
/// `[B, rows, columns, channels]` with `weight` `[channels, k, k]`.
///
/// Computed as k depthwise Conv1d along the grid's rows, one per kernel row, each over the
/// grid shifted by that row's offset, summed: the same multiply-adds as a direct 2-D
/// convolution, on the CPU backend's channel-last depthwise Conv1d and its gradients (its
/// 2-D depthwise convolution runs the gradients through generic loops, 2.4× slower than
/// this on micro's shapes). Rows are laid outermost so that each shifted grid is a
/// contiguous slice of the padded one, read where it lies.
fn rows_conv2d<B: Backend>(
    grid: Tensor<B, 4>,
    weight: Tensor<B, 3>,
    kernel: usize,
) -> Tensor<B, 4> {
    let [batch, rows, columns, channels] = grid.dims();
    let reach = kernel / 2;
    let device = grid.device();
    let margin = || Tensor::<B, 4>::zeros([reach, batch, columns, channels], &device);
    // [rows + 2·reach, B, columns, channels]
    let padded = Tensor::cat(vec![margin(), grid.swap_dims(0, 1), margin()], 0);
    let options = ConvOptions::new([1], [reach], [1], channels);
    let mut sum: Option<Tensor<B, 3>> = None;
    for a in 0..kernel {
        // Row i of `shifted` is row i + a − reach of the grid.
        let shifted = padded
            .clone()
            .slice([a..a + rows, 0..batch, 0..columns, 0..channels])
            .reshape([rows * batch, columns, channels]);
        let row = weight.clone().slice([0..channels, a..a + 1, 0..kernel]);
        let convolved = conv1d(shifted.swap_dims(1, 2), row, None, options.clone()).swap_dims(1, 2);
        sum = Some(match sum {
            Some(total) => total + convolved,
            None => convolved,
        });
    }
    sum.expect("a kernel has at least one row")
        .reshape([rows, batch, columns, channels])
        .swap_dims(0, 1)
}

/// BatchNorm over channel-last `[B, T, channels]` for a channel prefix, with running statistics kept per
/// channel: a step that uses fewer channels updates only those.
#[derive(Module, Debug)]
pub struct SlicedBatchNorm<B: Backend> {
    gamma: Param<Tensor<B, 1>>,
    beta: Param<Tensor<B, 1>>,
    running_mean: RunningStat<B>,
    running_var: RunningStat<B>,
}

/// PyTorch's BatchNorm1d epsilon, as the official code uses.
const EPSILON: f64 = 1e-5;

impl<B: Backend> SlicedBatchNorm<B> {
    /// A norm for at most `channels` channels.
    pub fn new(channels: usize, device: &B::Device) -> Self {
        SlicedBatchNorm {
            gamma: Param::from_tensor(Tensor::ones([channels], device)),
            beta: Param::from_tensor(Tensor::zeros([channels], device)),
            running_mean: RunningStat::new(Tensor::zeros([channels], device)),
            running_var: RunningStat::new(Tensor::ones([channels], device)),
        }
    }

    /// Elements of the running statistics: buffers, which Burn's `num_params` counts too.
    pub fn buffer_count(&self) -> usize {
        2 * self.gamma.dims()[0]
    }

    /// A norm of exactly `channels` holding this one's parameters and running statistics.
    pub fn narrowed(&self, channels: usize) -> Self {
        SlicedBatchNorm {
            gamma: Param::from_tensor(self.gamma.val().slice(0..channels).detach()),
            beta: Param::from_tensor(self.beta.val().slice(0..channels).detach()),
            running_mean: RunningStat::new(self.running_mean.value().slice(0..channels)),
            running_var: RunningStat::new(self.running_var.value().slice(0..channels)),
        }
    }

    /// Normalises the first `channels` channels of a channel-last `[B, T, channels]` input
    /// with batch or running statistics, as `norms` says.
    ///
    /// Channel-last, so every per-channel vector broadcasts as one shared row: the CPU backend
    /// runs that pattern (and its gradient) with SIMD, where a `[1, channels, 1]` broadcast
    /// over `[B, channels, T]` walks the tensor element by element.
    pub fn forward(&self, x: Tensor<B, 3>, channels: usize, norms: Norms) -> Tensor<B, 3> {
        let [batch, tokens, _] = x.dims();
        let rows = x.reshape([batch * tokens, channels]);
        let normed = if let Norms::Batch { momentum } = norms {
            let mean = rows.clone().mean_dim(0); // [1, channels]
            let centred = rows - mean.clone();
            let var = centred.clone().square().mean_dim(0);
            self.update_running(
                mean.detach().reshape([channels]),
                var.clone().detach().reshape([channels]),
                batch * tokens,
                momentum,
            );
            let scale =
                self.gamma.val().slice(0..channels).reshape([1, channels]) / (var + EPSILON).sqrt();
            centred * scale + self.beta.val().slice(0..channels).reshape([1, channels])
        } else {
            let mean = self.running_mean.value().slice(0..channels);
            let var = self.running_var.value().slice(0..channels);
            let scale = self.gamma.val().slice(0..channels) / (var + EPSILON).sqrt();
            let shift = self.beta.val().slice(0..channels) - mean * scale.clone();
            rows * scale.reshape([1, channels]) + shift.reshape([1, channels])
        };
        normed.reshape([batch, tokens, channels])
    }

    fn update_running(&self, mean: Tensor<B, 1>, var: Tensor<B, 1>, count: usize, momentum: f64) {
        let channels = mean.dims()[0];
        // Running variance is unbiased, as in PyTorch.
        let unbiased = var * (count as f64 / (count.max(2) - 1) as f64);
        let blend = |state: &RunningStat<B>, batch: Tensor<B, 1>| {
            let old = state.value();
            let part = old.clone().slice(0..channels) * (1.0 - momentum) + batch * momentum;
            state.set(old.slice_assign(0..channels, part));
        };
        blend(&self.running_mean, mean);
        blend(&self.running_var, unbiased);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::module::conv2d;
    use burn::tensor::Distribution;
    use burn::{Dispatch, DispatchDevice};

    #[test]
    fn rows_conv2d_is_a_depthwise_conv2d() {
        let device = DispatchDevice::Flex(Default::default());
        for (side, kernel) in [(7, 1), (7, 3), (5, 5), (7, 7), (4, 7), (6, 5)] {
            let (batch, channels) = (2, 5);
            let grid = Tensor::<Dispatch, 4>::random(
                [batch, side, side, channels],
                Distribution::Normal(0.0, 1.0),
                &device,
            );
            let weight = Tensor::<Dispatch, 3>::random(
                [channels, kernel, kernel],
                Distribution::Normal(0.0, 1.0),
                &device,
            );
            let ours: Vec<f32> = rows_conv2d(grid.clone(), weight.clone(), kernel)
                .into_data()
                .to_vec()
                .unwrap();
            let direct: Vec<f32> = conv2d(
                grid.permute([0, 3, 1, 2]),
                weight.reshape([channels, 1, kernel, kernel]),
                None,
                ConvOptions::new([1, 1], [kernel / 2, kernel / 2], [1, 1], channels),
            )
            .permute([0, 2, 3, 1])
            .into_data()
            .to_vec()
            .unwrap();
            for (p, q) in ours.iter().zip(&direct) {
                assert!((p - q).abs() < 1e-4, "side {side} k {kernel}: {p} vs {q}");
            }
        }
    }
}
