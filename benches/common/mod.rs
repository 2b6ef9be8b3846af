//! Helpers shared by the benchmarks (each bench includes this module).

/// (current RSS, peak RSS) of this process in MB, from `/proc/self/status`.
pub fn rss_mb() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// Resets this process's peak RSS (`VmHWM`) to its current RSS, so a peak
/// read later covers only what ran since; false where the kernel refuses.
#[allow(dead_code)]
pub fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}
