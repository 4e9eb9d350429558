//! Process metrics read from `/proc` (Linux), named as the Prometheus client libraries name them.
//!
//! On systems without `/proc` the lines are left out rather than reported as zero.

use std::fmt::Write;

/// Clock ticks per second of the times in `/proc/*/stat`. `USER_HZ` is 100 on every Linux
/// architecture the image is built for (x86_64, aarch64); reading it would need `libc`.
const TICKS_PER_SECOND: f64 = 100.0;

/// Process figures that could be read.
#[derive(Debug, Default, PartialEq)]
pub struct Sample {
    /// User + system CPU time, seconds.
    pub cpu_seconds: Option<f64>,
    /// Resident set size, bytes.
    pub resident_bytes: Option<u64>,
    /// Virtual memory size, bytes.
    pub virtual_bytes: Option<u64>,
    /// Open file descriptors.
    pub open_fds: Option<u64>,
    /// Soft limit of open file descriptors.
    pub max_fds: Option<u64>,
    /// Start time, seconds since the Unix epoch.
    pub start_time_seconds: Option<f64>,
}

/// Parses the fields after the command name of `/proc/self/stat`: (utime+stime ticks, starttime
/// ticks since boot, vsize bytes).
fn parse_stat(stat: &str) -> Option<(u64, u64, u64)> {
    // The command name (field 2) is in parentheses and may contain spaces: split after it.
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // `rest` starts at field 3 (state); field n is fields[n - 3].
    let field = |n: usize| fields.get(n - 3)?.parse::<u64>().ok();
    Some((field(14)? + field(15)?, field(22)?, field(23)?))
}

/// `VmRSS:   1234 kB` → bytes.
fn parse_status_kb(status: &str, key: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with(key))?;
    let kb: u64 = line[key.len()..].split_whitespace().next()?.parse().ok()?;
    Some(kb * 1024)
}

/// The soft limit of `Max open files` in `/proc/self/limits`.
fn parse_max_fds(limits: &str) -> Option<u64> {
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line["Max open files".len()..]
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// `btime 1700000000` in `/proc/stat`: boot time, seconds since the epoch.
fn parse_btime(stat: &str) -> Option<u64> {
    stat.lines()
        .find_map(|l| l.strip_prefix("btime "))?
        .trim()
        .parse()
        .ok()
}

/// Reads the current figures.
#[allow(clippy::cast_precision_loss)] // tick counts and boot times are far below 2^52
pub fn sample() -> Sample {
    let read = |p: &str| std::fs::read_to_string(p).ok();
    let mut s = Sample::default();
    if let Some((cpu, start, vsize)) = read("/proc/self/stat").as_deref().and_then(parse_stat) {
        s.cpu_seconds = Some(cpu as f64 / TICKS_PER_SECOND);
        s.virtual_bytes = Some(vsize);
        if let Some(btime) = read("/proc/stat").as_deref().and_then(parse_btime) {
            s.start_time_seconds = Some(btime as f64 + start as f64 / TICKS_PER_SECOND);
        }
    }
    s.resident_bytes = read("/proc/self/status")
        .as_deref()
        .and_then(|t| parse_status_kb(t, "VmRSS:"));
    s.max_fds = read("/proc/self/limits").as_deref().and_then(parse_max_fds);
    s.open_fds = std::fs::read_dir("/proc/self/fd")
        .ok()
        .map(|d| d.count() as u64);
    s
}

/// Appends the process metrics to a text exposition.
pub fn render(out: &mut String) {
    let s = sample();
    let mut metric = |name: &str, kind: &str, help: &str, value: Option<String>| {
        if let Some(v) = value {
            let _ = write!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {v}\n"
            );
        }
    };
    metric(
        "process_cpu_seconds_total",
        "counter",
        "Total user and system CPU time spent in seconds.",
        s.cpu_seconds.map(|v| v.to_string()),
    );
    metric(
        "process_resident_memory_bytes",
        "gauge",
        "Resident memory size in bytes.",
        s.resident_bytes.map(|v| v.to_string()),
    );
    metric(
        "process_virtual_memory_bytes",
        "gauge",
        "Virtual memory size in bytes.",
        s.virtual_bytes.map(|v| v.to_string()),
    );
    metric(
        "process_open_fds",
        "gauge",
        "Number of open file descriptors.",
        s.open_fds.map(|v| v.to_string()),
    );
    metric(
        "process_max_fds",
        "gauge",
        "Maximum number of open file descriptors.",
        s.max_fds.map(|v| v.to_string()),
    );
    metric(
        "process_start_time_seconds",
        "gauge",
        "Start time of the process since unix epoch in seconds.",
        s.start_time_seconds.map(|v| v.to_string()),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_proc_formats() {
        let stat = "4242 (slip way) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 9 0 \
                    12345 1048576 300 18446744073709551615";
        assert_eq!(parse_stat(stat), Some((300, 12345, 1_048_576)));
        assert_eq!(
            parse_status_kb("Name:\tx\nVmRSS:\t    5120 kB\n", "VmRSS:"),
            Some(5 * 1024 * 1024)
        );
        let limits = "Limit                     Soft Limit           Hard Limit           Units\n\
                      Max open files            1024                 524288               files\n";
        assert_eq!(parse_max_fds(limits), Some(1024));
        assert_eq!(
            parse_btime("cpu 1 2 3\nbtime 1700000000\n"),
            Some(1_700_000_000)
        );
    }

    #[test]
    fn reads_this_process() {
        if std::path::Path::new("/proc/self/stat").exists() {
            let s = sample();
            assert!(s.resident_bytes.unwrap() > 0);
            assert!(s.open_fds.unwrap() > 0);
            assert!(s.start_time_seconds.unwrap() > 1.6e9);
        }
    }
}
