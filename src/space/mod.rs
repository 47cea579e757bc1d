//! Search spaces, architectures, presets and the analytic cost model.
//!
//! Knows nothing of Burn: everything here is plain data and arithmetic, so sampling, search
//! bookkeeping and cost constraints run without building a network.

mod arch;
mod census;
mod choices;
mod compact;
pub mod cost;
mod dimension;
mod local_kind;
mod operators;
pub mod presets;
mod search_space;
mod skeleton;
mod stages;

pub use arch::{Arch, BlockArch};
pub use census::Census;
pub use choices::BlockChoices;
pub use dimension::Dimension;
pub use local_kind::LocalKind;
pub use operators::{first_accepted, SAMPLE_TRIES};
pub use presets::{named_arch, preset};
pub use search_space::Space;
pub use skeleton::{Activation, Skeleton};
pub use stages::Details;
