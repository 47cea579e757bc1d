//! The resident memory of this process, from `/proc/self/status` (Linux), as both
//! implementations' benchmark processes report it: now (`VmRSS`) and at its peak (`VmHWM`).

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
