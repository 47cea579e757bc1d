//! glit patch: softmax recorded as one node.
//!
//! Upstream leaves `softmax` to the trait's default, which composes it from five operations,
//! four of them nodes of the graph. This node runs the backend's `softmax_composed` and
//! `softmax_composed_backward` ([`ActivationOps`](burn_backend::ops::ActivationOps)), which
//! give the composition's numbers, so every value and gradient is the one the composition
//! gave.

use crate::checkpoint::base::Checkpointer;
use crate::checkpoint::strategy::CheckpointStrategy;
use crate::grads::Gradients;
use crate::graph::NodeId;
use crate::ops::{Backward, Ops, OpsKind, unary};
use crate::tensor::AutodiffTensor;

use burn_backend::Backend;

/// Softmax along a dimension; the backward pass needs the input and the dimension.
#[derive(Debug)]
struct Softmax;

impl<B: Backend> Backward<B, 1> for Softmax {
    type State = (NodeId, usize);

    fn backward(
        self,
        ops: Ops<Self::State, 1>,
        grads: &mut Gradients,
        checkpointer: &mut Checkpointer,
    ) {
        let (input_id, dim) = ops.state;
        let input = checkpointer.retrieve_node_output(input_id);
        unary::<B, _>(ops.parents, ops.node, grads, |grad| {
            B::softmax_composed_backward(input, grad, dim)
        });
    }
}

/// The autodiff backend's `softmax`: one node over the backend's composed operations.
pub(crate) fn softmax<B: Backend, C: CheckpointStrategy>(
    tensor: AutodiffTensor<B>,
    dim: usize,
) -> AutodiffTensor<B> {
    match Softmax
        .prepare::<C>([tensor.node.clone()])
        .compute_bound()
        .stateful()
    {
        OpsKind::Tracked(mut prep) => {
            let state = (prep.checkpoint(&tensor), dim);
            prep.finish(state, B::softmax_composed(tensor.primitive, dim))
        }
        OpsKind::UnTracked(prep) => prep.finish(B::softmax_composed(tensor.primitive, dim)),
    }
}
