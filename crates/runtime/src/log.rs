//! Structured logs: one JSON object per line on stdout, ready for Fluentd → Elasticsearch.
//!
//! Every line has `timestamp` (RFC 3339, UTC, milliseconds), `level` (`debug`, `info`, `warn`,
//! `error`), `target` (the part of the server that speaks) and `message`, then the event's own
//! fields flattened beside them (request lines add `method`, `route`, `path`, `status`,
//! `response_time_ms` and `model`).

use std::io::Write;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::SystemTime;

use serde::Serialize;

/// A log level, from the most to the least verbose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, clap::ValueEnum)]
pub enum Level {
    /// Probe and scrape requests, and details.
    Debug,
    /// Requests and life-cycle events.
    Info,
    /// Client errors and slow shutdowns.
    #[value(alias = "warning")]
    Warn,
    /// Server errors and fatal conditions.
    Error,
}

impl Level {
    fn name(self) -> &'static str {
        match self {
            Level::Debug => "debug",
            Level::Info => "info",
            Level::Warn => "warn",
            Level::Error => "error",
        }
    }
}

static MIN_LEVEL: AtomicU8 = AtomicU8::new(Level::Info as u8);

/// Sets the least severe level that is written.
pub fn set_level(level: Level) {
    MIN_LEVEL.store(level as u8, Ordering::Relaxed);
}

/// Whether lines of `level` are written.
pub fn enabled(level: Level) -> bool {
    level as u8 >= MIN_LEVEL.load(Ordering::Relaxed)
}

#[derive(Serialize)]
struct Line<'a, F: Serialize> {
    timestamp: String,
    level: &'static str,
    target: &'a str,
    message: &'a str,
    #[serde(flatten)]
    fields: &'a F,
}

/// No extra fields.
#[derive(Serialize)]
pub struct NoFields {}

/// One `error` field.
#[derive(Serialize)]
pub struct ErrorField<'a> {
    /// What went wrong.
    pub error: &'a str,
}

#[derive(Serialize)]
struct PanicFields<'a> {
    error: &'a str,
    location: &'a str,
    thread: &'a str,
}

/// Replaces the default panic output (multi-line text on stderr) with one `error` line on
/// stdout: target `panic`, the message (clipped), its source location and thread.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
            .unwrap_or("panic with a non-text payload");
        let location = info
            .location()
            .map(|l| format!("{}:{}:{}", l.file(), l.line(), l.column()))
            .unwrap_or_default();
        let thread = std::thread::current();
        emit(
            Level::Error,
            "panic",
            "panic",
            &PanicFields {
                error: &crate::protocol::clip(message, 1024),
                location: &location,
                thread: thread.name().unwrap_or("unnamed"),
            },
        );
    }));
}

/// Writes one line with the given extra fields (a struct or map that serializes to an object).
pub fn emit<F: Serialize>(level: Level, target: &str, message: &str, fields: &F) {
    if !enabled(level) {
        return;
    }
    let line = Line {
        timestamp: humantime::format_rfc3339_millis(SystemTime::now()).to_string(),
        level: level.name(),
        target,
        message,
        fields,
    };
    let mut buf = match serde_json::to_vec(&line) {
        Ok(buf) => buf,
        // Only a failing custom Serialize could get here; keep the message at least.
        Err(e) => format!(
            "{{\"level\":\"error\",\"message\":\"unserializable log line: {}\"}}",
            e.to_string().replace('"', "'")
        )
        .into_bytes(),
    };
    buf.push(b'\n');
    // One write per line so lines from concurrent requests never interleave. A closed stdout
    // must not take the server down, so the error is dropped.
    let _ = std::io::stdout().lock().write_all(&buf);
}

/// Writes a line with no extra fields.
pub fn message(level: Level, target: &str, message: &str) {
    emit(level, target, message, &NoFields {});
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_flat_json_with_the_required_fields() {
        #[derive(Serialize)]
        struct Req {
            status: u16,
            response_time_ms: f64,
        }
        let line = Line {
            timestamp: humantime::format_rfc3339_millis(SystemTime::UNIX_EPOCH).to_string(),
            level: Level::Warn.name(),
            target: "http",
            message: "request",
            fields: &Req {
                status: 404,
                response_time_ms: 0.25,
            },
        };
        let v: serde_json::Value = serde_json::to_value(&line).unwrap();
        assert_eq!(v["timestamp"], "1970-01-01T00:00:00.000Z");
        assert_eq!(v["level"], "warn");
        assert_eq!(v["status"], 404);
        assert_eq!(v["response_time_ms"], 0.25);
    }

    #[test]
    fn levels_order_from_debug_to_error() {
        assert!(Level::Debug < Level::Info && Level::Warn < Level::Error);
    }
}
