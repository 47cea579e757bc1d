//! Draw GLiT-Tiny architectures under a FLOPs limit, as SPOS does, and compare them with the
//! released GLiT-Tiny: the library used from Rust, without a script.
//!
//! Run: `cargo run --release --example flops_constrained_sampling -- 1400`

use glit::space::cost::Convention;
use glit::space::{named_arch, preset};

fn main() -> glit::Result<()> {
    let limit: f64 = std::env::args()
        .nth(1)
        .map(|s| s.parse().expect("a FLOPs limit in MFLOPs"))
        .unwrap_or(1400.0);
    let space = preset("paper-tiny")?;
    let mut rng = glit::rng::seeded(0);
    let glit = named_arch("glit-tiny")?;
    let glit_cost = space.cost(&glit, Convention::Official)?;
    println!(
        "released GLiT-Tiny: {:.1} MFLOPs, {} params\n  {glit}",
        glit_cost.mflops(),
        glit_cost.params()
    );
    let fits = |a: &glit::space::Arch| {
        space
            .cost(a, Convention::Official)
            .map(|c| c.mflops() <= limit)
            .unwrap_or(false)
    };
    println!("five random architectures of at most {limit} MFLOPs:");
    for _ in 0..5 {
        let arch = space.sample_where(&mut rng, 500, fits)?;
        let cost = space.cost(&arch, Convention::Official)?;
        println!(
            "  {:7.1} MFLOPs {:>10} params  {arch}",
            cost.mflops(),
            cost.params()
        );
    }
    Ok(())
}
