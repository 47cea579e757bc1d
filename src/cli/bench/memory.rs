//! The memory of this process as both implementations' benchmark processes report it:
//! resident, from `/proc/self/status` (Linux), now (`VmRSS`) and at its peak (`VmHWM`); and
//! on a GPU, what `nvidia-smi` says the process holds.

/// Resident and peak resident MiB of this process; `None` where `/proc` does not say.
pub fn resident_mib() -> Option<(f64, f64)> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let field = |name: &str| -> Option<f64> {
        let line = status.lines().find(|l| l.starts_with(name))?;
        let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kib / 1024.0)
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

/// The GPU memory this process holds, in MiB, as `nvidia-smi` reports it per process (CUDA
/// context and the allocator's pool included): the same measure for both implementations.
/// `None` without `nvidia-smi` or when this process holds none.
pub fn device_mib() -> Option<f64> {
    let output = std::process::Command::new("nvidia-smi")
        .args([
            "--query-compute-apps=pid,used_memory",
            "--format=csv,noheader,nounits",
        ])
        .output()
        .ok()?;
    let me = std::process::id().to_string();
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .find_map(|line| {
            let (pid, mib) = line.split_once(',')?;
            (pid.trim() == me)
                .then(|| mib.trim().parse().ok())
                .flatten()
        })
}
