//! glit patch: layer normalization recorded as one node.
//!
//! Upstream leaves `layer_norm` to the trait's default, which composes it from nine
//! operations, each a node of the graph and a pass over the tensor forward and backward. This
//! node runs the backend's `layer_norm_composed` and `layer_norm_composed_backward`
//! ([`ModuleOps`](burn_backend::ops::ModuleOps)), which give the composition's numbers, so
//! every value and gradient is the one the composition gave.

use crate::checkpoint::base::Checkpointer;
use crate::checkpoint::strategy::CheckpointStrategy;
use crate::grads::Gradients;
use crate::graph::{NodeId, NodeRef};
use crate::ops::{Backward, Ops, OpsKind, broadcast_shape};
use crate::tensor::AutodiffTensor;

use burn_backend::{Backend, TensorMetadata};

/// What the backward pass needs: the input, the scale and the epsilon.
type State = (NodeId, NodeId, f64);

/// Layer normalization with a bias: parents are the input, `gamma` and `beta`.
#[derive(Debug)]
struct LayerNormWithBias;

/// Layer normalization without a bias: parents are the input and `gamma`.
#[derive(Debug)]
struct LayerNormNoBias;

impl<B: Backend> Backward<B, 3> for LayerNormWithBias {
    type State = State;

    fn backward(
        self,
        ops: Ops<Self::State, 3>,
        grads: &mut Gradients,
        checkpointer: &mut Checkpointer,
    ) {
        let [node_x, node_gamma, node_beta] = ops.parents;
        register_gradients::<B>(
            &ops.node,
            ops.state,
            node_x,
            node_gamma,
            node_beta,
            grads,
            checkpointer,
        );
    }
}

impl<B: Backend> Backward<B, 2> for LayerNormNoBias {
    type State = State;

    fn backward(
        self,
        ops: Ops<Self::State, 2>,
        grads: &mut Gradients,
        checkpointer: &mut Checkpointer,
    ) {
        let [node_x, node_gamma] = ops.parents;
        register_gradients::<B>(
            &ops.node,
            ops.state,
            node_x,
            node_gamma,
            None,
            grads,
            checkpointer,
        );
    }
}

/// Registers the gradients of the input, `gamma` and `beta` that the composition would have
/// registered, with the same values.
fn register_gradients<B: Backend>(
    node: &NodeRef,
    (x_id, gamma_id, epsilon): State,
    node_x: Option<NodeRef>,
    node_gamma: Option<NodeRef>,
    node_beta: Option<NodeRef>,
    grads: &mut Gradients,
    checkpointer: &mut Checkpointer,
) {
    let grad = grads.consume::<B>(node);
    let x: B::FloatTensorPrimitive = checkpointer.retrieve_node_output(x_id);
    let gamma: B::FloatTensorPrimitive = checkpointer.retrieve_node_output(gamma_id);
    let gamma_shape = gamma.shape();
    let broadcast =
        burn_backend::ops::layer_norm::param_broadcast_shape(x.shape().num_dims(), gamma_shape[0]);

    if let Some(node) = node_beta {
        let grad_beta = broadcast_shape::<B>(grad.clone(), &broadcast);
        grads.register::<B>(node.id, B::float_reshape(grad_beta, gamma_shape.clone()));
    }
    // The composition adds its two contributions to the input's gradient after those of the
    // input's later uses (a residual connection), which the graph has already registered.
    let prior = node_x
        .as_ref()
        .and_then(|node| grads.take_registered::<B>(node.id));
    let (grad_x, grad_times_normalized) =
        B::layer_norm_composed_backward(x, gamma, grad, epsilon, prior);
    if let Some(node) = node_gamma {
        let grad_gamma = broadcast_shape::<B>(grad_times_normalized, &broadcast);
        grads.register::<B>(node.id, B::float_reshape(grad_gamma, gamma_shape));
    }
    if let Some(node) = node_x {
        grads.register::<B>(node.id, grad_x);
    }
}

/// The autodiff backend's `layer_norm`: one node over the backend's composed operations.
pub(crate) fn layer_norm<B: Backend, C: CheckpointStrategy>(
    x: AutodiffTensor<B>,
    gamma: AutodiffTensor<B>,
    beta: Option<AutodiffTensor<B>>,
    epsilon: f64,
) -> AutodiffTensor<B> {
    match beta {
        Some(beta) => match LayerNormWithBias
            .prepare::<C>([x.node.clone(), gamma.node.clone(), beta.node.clone()])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(mut prep) => {
                let state = (prep.checkpoint(&x), prep.checkpoint(&gamma), epsilon);
                prep.finish(
                    state,
                    B::layer_norm_composed(
                        x.primitive,
                        gamma.primitive,
                        Some(beta.primitive),
                        epsilon,
                    ),
                )
            }
            OpsKind::UnTracked(prep) => prep.finish(B::layer_norm_composed(
                x.primitive,
                gamma.primitive,
                Some(beta.primitive),
                epsilon,
            )),
        },
        None => match LayerNormNoBias
            .prepare::<C>([x.node.clone(), gamma.node.clone()])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(mut prep) => {
                let state = (prep.checkpoint(&x), prep.checkpoint(&gamma), epsilon);
                prep.finish(
                    state,
                    B::layer_norm_composed(x.primitive, gamma.primitive, None, epsilon),
                )
            }
            OpsKind::UnTracked(prep) => prep.finish(B::layer_norm_composed(
                x.primitive,
                gamma.primitive,
                None,
                epsilon,
            )),
        },
    }
}
