//! The default (non-CPU) implementations of the operations the patched `burn-backend` adds
//! (vendor/burn-backend/PATCHED.md): layer normalization and softmax as single operations,
//! forward and backward, and GELU keeping what its gradient needs. CUDA runs these defaults;
//! here Burn's ndarray backend runs them (and, on a GPU with `GLIT_CUDA_TESTS=1`, CUDA),
//! against the patched CPU backend's fused kernels, on the same numbers within float
//! tolerance.

use burn::backend::Autodiff;
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::{activation, Tensor, TensorData, TensorPrimitive};
use burn_flex::{Flex, FlexDevice};

use crate::fixtures::hashed_values as values;

/// Outputs and gradients of one case, as flat vectors.
type Results = Vec<(String, Vec<f32>)>;

fn read<B: Backend, const D: usize>(t: Tensor<B, D>) -> Vec<f32> {
    t.into_data().to_vec::<f32>().expect("f32 data")
}

fn tensor<B: Backend, const D: usize>(
    v: &[f32],
    shape: [usize; D],
    device: &B::Device,
) -> Tensor<B, D> {
    Tensor::from_data(TensorData::new(v.to_vec(), shape), device)
}

/// Layer normalization (the blocks' shape, with a residual use of the input), softmax over
/// attention scores, and GELU over an FFN's hidden layer: outputs and input gradients.
fn run_all<B: AutodiffBackend>(device: &B::Device) -> Results {
    let mut out = Results::new();
    let (batch, tokens, d) = (8, 65, 192);
    let shape = [batch, tokens, d];
    let len = batch * tokens * d;
    let x = tensor::<B, 3>(&values(len, 31), shape, device).require_grad();
    let gamma = tensor::<B, 1>(
        &values(d, 32)
            .iter()
            .map(|v| 1.0 + v / 4.0)
            .collect::<Vec<_>>(),
        [d],
        device,
    )
    .require_grad();
    let beta = tensor::<B, 1>(&values(d, 33), [d], device).require_grad();
    let y = Tensor::<B, 3>::from_primitive(TensorPrimitive::Float(B::layer_norm(
        x.clone().into_primitive().tensor(),
        gamma.clone().into_primitive().tensor(),
        Some(beta.clone().into_primitive().tensor()),
        1e-6,
    )));
    let g = tensor::<B, 3>(&values(len, 34), shape, device);
    let grads = ((y.clone() + x.clone()) * g).sum().backward();
    out.push(("layer norm output".into(), read(y.inner())));
    out.push((
        "layer norm input gradient".into(),
        read(x.grad(&grads).unwrap()),
    ));
    out.push((
        "layer norm gamma gradient".into(),
        read(gamma.grad(&grads).unwrap()),
    ));
    out.push((
        "layer norm beta gradient".into(),
        read(beta.grad(&grads).unwrap()),
    ));

    let shape = [8, 3, 65, 65];
    let len: usize = shape.iter().product();
    let s = tensor::<B, 4>(
        &values(len, 35).iter().map(|v| v * 3.0).collect::<Vec<_>>(),
        shape,
        device,
    )
    .require_grad();
    let y = activation::softmax(s.clone(), 3);
    let grads = (y.clone() * tensor::<B, 4>(&values(len, 36), shape, device))
        .sum()
        .backward();
    out.push(("softmax output".into(), read(y.inner())));
    out.push((
        "softmax input gradient".into(),
        read(s.grad(&grads).unwrap()),
    ));

    let shape = [4, 65, 301];
    let len: usize = shape.iter().product();
    let x = tensor::<B, 3>(
        &values(len, 37).iter().map(|v| v * 2.5).collect::<Vec<_>>(),
        shape,
        device,
    )
    .require_grad();
    let y = activation::gelu(x.clone());
    let grads = (y.clone() * tensor::<B, 3>(&values(len, 38), shape, device))
        .sum()
        .backward();
    out.push(("gelu output".into(), read(y.inner())));
    out.push(("gelu input gradient".into(), read(x.grad(&grads).unwrap())));
    out
}

#[cfg(feature = "ndarray")]
#[test]
fn default_layer_norm_softmax_and_gelu_match_the_fused_cpu_kernels() {
    use burn::backend::ndarray::NdArrayDevice;
    use burn::backend::NdArray;
    let defaults = run_all::<Autodiff<NdArray>>(&NdArrayDevice::Cpu);
    assert_close(&defaults, 2e-5);
}

/// On a GPU (`GLIT_CUDA_TESTS=1`): CUDA's kernels (fused by Burn) against the CPU's.
#[cfg(feature = "cuda")]
#[test]
fn cuda_layer_norm_softmax_and_gelu_match_the_fused_cpu_kernels() {
    use burn::backend::cuda::CudaDevice;
    use burn::backend::Cuda;
    if std::env::var("GLIT_CUDA_TESTS").as_deref() != Ok("1") {
        eprintln!("skipped: set GLIT_CUDA_TESTS=1 on a machine with a GPU");
        return;
    }
    let defaults = run_all::<Autodiff<Cuda>>(&CudaDevice::new(0));
    // A GPU sums in other orders (and may use TF32-free but reordered reductions).
    assert_close(&defaults, 1e-4);
}

/// Asserts that `defaults` matches the fused CPU kernels' results within `tolerance` of
/// each result's largest value, naming the first result and element that does not.
fn assert_close(defaults: &Results, tolerance: f32) {
    let fused = run_all::<Autodiff<Flex>>(&FlexDevice);
    assert_eq!(fused.len(), defaults.len());
    for ((what, a), (_, b)) in fused.iter().zip(defaults) {
        assert_eq!(a.len(), b.len(), "{what}: lengths");
        assert!(a.iter().any(|v| v.abs() > 1e-3), "{what}: all but zero");
        // Relative to the values' scale: sums of hundreds of terms may round differently.
        // Burn's default GELU gradient is the derivative of GELU's tanh approximation while
        // its forward pass is exact (erf): up to 3.6e-4 of the scale from the exact gradient
        // the CPU backend computes. Backends without their own (CUDA) train with it.
        let tolerance = if what == "gelu input gradient" {
            tolerance.max(4e-4)
        } else {
            tolerance
        };
        let scale = a.iter().fold(0f32, |m, v| m.max(v.abs())).max(1e-6);
        let (index, gap) = a
            .iter()
            .zip(b)
            .map(|(x, y)| (x - y).abs())
            .enumerate()
            .fold(
                (0, 0f32),
                |best, (i, g)| if g > best.1 { (i, g) } else { best },
            );
        assert!(
            gap <= tolerance * scale,
            "{what}: element {index} differs by {gap} (fused {}, default {}; scale {scale})",
            a[index],
            b[index]
        );
    }
}
