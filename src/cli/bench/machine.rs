//! The CPU's single-precision peak, derived from what the kernel reports, so a benchmark can
//! say what share of it a training step achieves.

/// What the peak is made of.
#[derive(Clone, Debug, PartialEq)]
pub struct CpuPeak {
    /// The processor's name (`model name` in /proc/cpuinfo).
    pub model: String,
    /// Clock in GHz: the highest the kernel lists (cpufreq's maximum, else the `cpu MHz` seen).
    pub ghz: f64,
    /// f32 lanes of the widest FMA the CPU has (16 with AVX-512, 8 with AVX2 + FMA, 4 else).
    pub lanes: usize,
    /// FMA units per core assumed: 2 (every x86 core since Haswell with these extensions).
    pub fma_units: usize,
    /// Cores counted (the threads the benchmark uses).
    pub cores: usize,
}

impl CpuPeak {
    /// Reads /proc/cpuinfo (and cpufreq) for `cores` cores; `None` off Linux.
    pub fn read(cores: usize) -> Option<CpuPeak> {
        let info = std::fs::read_to_string("/proc/cpuinfo").ok()?;
        let field = |name: &str| {
            info.lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        };
        let flags = field("flags").unwrap_or_default();
        let has = |flag: &str| flags.split_whitespace().any(|f| f == flag);
        let lanes = if has("avx512f") {
            16
        } else if has("avx2") && has("fma") {
            8
        } else {
            4
        };
        let max_khz =
            std::fs::read_to_string("/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq")
                .ok()
                .and_then(|t| t.trim().parse::<f64>().ok());
        let seen_mhz = info
            .lines()
            .filter(|l| l.starts_with("cpu MHz"))
            .filter_map(|l| l.split_once(':')?.1.trim().parse::<f64>().ok())
            .fold(0.0, f64::max);
        let ghz = max_khz.map_or(seen_mhz / 1000.0, |k| k / 1e6);
        Some(CpuPeak {
            model: field("model name").unwrap_or_else(|| "unknown CPU".into()),
            ghz,
            lanes,
            fma_units: 2,
            cores,
        })
    }

    /// Peak GFLOP/s: cores × GHz × lanes × 2 FMA units × 2 flops per FMA.
    pub fn gflops(&self) -> f64 {
        self.cores as f64 * self.ghz * self.lanes as f64 * self.fma_units as f64 * 2.0
    }

    /// How the peak was derived, for the report.
    pub fn derivation(&self) -> String {
        format!(
            "{}: {} cores × {:.2} GHz × {} f32 lanes × {} FMA units × 2 flops = {:.0} GFLOP/s fp32 peak",
            self.model,
            self.cores,
            self.ghz,
            self.lanes,
            self.fma_units,
            self.gflops()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_peak_multiplies_its_parts() {
        let peak = CpuPeak {
            model: "x".into(),
            ghz: 3.0,
            lanes: 8,
            fma_units: 2,
            cores: 2,
        };
        assert_eq!(peak.gflops(), 192.0);
        assert!(peak.derivation().contains("192 GFLOP/s"));
    }
}
