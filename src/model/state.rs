//! A module's tensors by name (`blocks.0.1.locals.0.depthwise.weight`), copied to the host:
//! what checkpoints store and what the optimiser keys its moments by. Names come from the
//! module's field names and vector indices, so they are stable across runs and readable.

use std::collections::BTreeMap;

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param};
use burn::tensor::backend::Backend;
use burn::tensor::{Tensor, TensorData};

use crate::error::{Error, Result};

/// A tensor on the host: its shape and its values, row-major.
#[derive(Clone, Debug, PartialEq)]
pub struct HostTensor {
    /// Dimensions.
    pub shape: Vec<usize>,
    /// `shape.iter().product()` values.
    pub values: Vec<f32>,
}

impl HostTensor {
    /// A tensor of `shape` from its values as little-endian f32 bytes (safetensors' layout).
    pub fn from_f32_le_bytes(shape: Vec<usize>, bytes: &[u8]) -> Self {
        let values = bytes
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        HostTensor { shape, values }
    }
}

/// Tensors by name, sorted.
pub type NamedTensors = BTreeMap<String, HostTensor>;

/// The dotted name of the field a visitor or mapper is in.
#[derive(Default, Debug)]
pub struct ModulePath(Vec<String>);

impl ModulePath {
    /// Enters a field or index.
    pub fn enter(&mut self, name: &str) {
        self.0.push(name.to_string());
    }

    /// Leaves the innermost field or index.
    pub fn exit(&mut self) {
        self.0.pop();
    }

    /// The current name, e.g. `blocks.0.1.norm1.gamma`.
    pub fn name(&self) -> String {
        self.0.join(".")
    }
}

/// Every float tensor of `module`, parameters and BatchNorm running statistics alike.
pub fn state_of<B: Backend, M: Module<B>>(module: &M) -> NamedTensors {
    struct Collect {
        path: ModulePath,
        out: NamedTensors,
    }
    impl<B: Backend> ModuleVisitor<B> for Collect {
        fn enter_module(&mut self, name: &str, _: &str) {
            self.path.enter(name);
        }
        fn exit_module(&mut self, _: &str, _: &str) {
            self.path.exit();
        }
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
            let tensor = param.val();
            let shape = tensor.dims().to_vec();
            let values = tensor
                .into_data()
                .convert::<f32>()
                .to_vec()
                .expect("float tensors convert to f32");
            self.out
                .insert(self.path.name(), HostTensor { shape, values });
        }
    }
    let mut collect = Collect {
        path: ModulePath::default(),
        out: NamedTensors::new(),
    };
    module.visit(&mut collect);
    collect.out
}

/// `module` with every float tensor replaced by the one of the same name in `state`. A
/// missing name or a shape that differs is an error naming the tensor and `origin`.
pub fn load_state<B: Backend, M: Module<B>>(
    module: M,
    state: &NamedTensors,
    origin: &str,
) -> Result<M> {
    struct Load<'a> {
        path: ModulePath,
        state: &'a NamedTensors,
        origin: &'a str,
        error: Option<Error>,
    }
    impl<B: Backend> ModuleMapper<B> for Load<'_> {
        fn enter_module(&mut self, name: &str, _: &str) {
            self.path.enter(name);
        }
        fn exit_module(&mut self, _: &str, _: &str) {
            self.path.exit();
        }
        fn map_float<const D: usize>(&mut self, param: Param<Tensor<B, D>>) -> Param<Tensor<B, D>> {
            let name = self.path.name();
            let (id, tensor, mapper) = param.consume();
            let shape = tensor.dims().to_vec();
            let problem = match self.state.get(&name) {
                None => Some("is missing".to_string()),
                Some(stored) if stored.shape != shape => Some(format!(
                    "has shape {:?}, the network needs {shape:?}",
                    stored.shape
                )),
                Some(stored) => {
                    let device = tensor.device();
                    let needs_grad = tensor.is_require_grad();
                    let data = TensorData::new(stored.values.clone(), shape);
                    let mut loaded = Tensor::<B, D>::from_data(data, &device);
                    if needs_grad {
                        loaded = loaded.require_grad();
                    }
                    return Param::from_mapped_value(id, loaded, mapper);
                }
            };
            if self.error.is_none() {
                self.error = Some(Error::InvalidData {
                    origin: self.origin.to_string(),
                    message: format!("tensor `{name}` {}", problem.unwrap_or_default()),
                });
            }
            Param::from_mapped_value(id, tensor, mapper)
        }
    }
    let mut load = Load {
        path: ModulePath::default(),
        state,
        origin,
        error: None,
    };
    let module = module.map(&mut load);
    match load.error {
        Some(error) => Err(error),
        None => Ok(module),
    }
}
