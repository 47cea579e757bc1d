//! Burn modules: the GLiT supernet and standalone networks, with `forward(x, &arch)`.
//!
//! The only place that defines layers. A standalone network is a supernet over a space that
//! holds one architecture, so one definition serves supernet training, scoring and
//! retraining. No module keeps a "currently sampled" architecture: it is passed to every
//! forward call.

mod bank;
mod block;
mod init;
mod parts;
mod pass;
mod running_stat;
mod sharing;
mod sliced;
mod state;
mod supernet;
mod window;

pub use pass::{Norms, Pass, TRAINING_MOMENTUM};
pub use sharing::{Sharing, SharingPlan};
pub use state::{load_state, state_of, HostTensor, ModulePath, NamedTensors};
pub use supernet::Supernet;
pub use window::attends;
