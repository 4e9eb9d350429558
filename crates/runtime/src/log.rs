//! Structured logs: one JSON object per line on stdout, ready for Fluentd → Elasticsearch.
//!
//! Every line has `timestamp` (RFC 3339, UTC, milliseconds), `level` (`debug`, `info`, `warn`,
//! `error`), `target` (the part of the server that speaks) and `message`, then the event's own
//! fields flattened beside them (request lines add `method`, `route`, `path`, `status`,
//! `response_time_ms` and `model`).
//!
//! Request lines are buffered: they are appended to one in-memory buffer that a background
//! thread writes out every [`FLUSH_EVERY`] (and the server flushes at exit). A write to stdout
//! per request, with the lock around it, cost more than everything else the server does for a
//! small model. Every other line (life cycle, errors, panics) is written at once, after what
//! is buffered, so the order of lines is kept. If stdout blocks, at most [`MAX_BUFFERED`]
//! bytes wait; lines beyond are dropped and the drop is logged.

use std::cell::RefCell;
use std::io::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

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

/// Per thread: the last timestamp written (milliseconds since the epoch and its RFC 3339
/// text) and the line buffer, so a request line costs no allocation and one date formatting
/// per millisecond at most.
struct Scratch {
    millis: u128,
    stamp: String,
    line: Vec<u8>,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = const {
        RefCell::new(Scratch {
            millis: u128::MAX,
            stamp: String::new(),
            line: Vec::new(),
        })
    };
}

/// How often buffered request lines are written out.
pub const FLUSH_EVERY: Duration = Duration::from_millis(100);
/// The most bytes of request lines waiting for stdout.
pub const MAX_BUFFERED: usize = 8 * 1024 * 1024;

/// The largest request-line buffer kept from one flush to the next.
const KEEP_BUFFER: usize = 1024 * 1024;

/// Request lines not yet written, and how many were dropped since the last flush.
static PENDING: Mutex<Vec<u8>> = Mutex::new(Vec::new());
static DROPPED: AtomicU64 = AtomicU64::new(0);

/// Writes everything buffered to stdout (and a line saying how many lines were dropped, if
/// any). Holding the stdout lock while taking the buffer keeps lines in order.
pub fn flush() {
    let mut out = std::io::stdout().lock();
    let mut pending = std::mem::take(&mut *PENDING.lock().unwrap_or_else(|e| e.into_inner()));
    // A closed stdout must not take the server down, so errors are dropped.
    let _ = out.write_all(&pending);
    // Give the buffer back (with the lines that arrived meanwhile), so that request lines do
    // not grow a new one from nothing, copying it at every doubling, after every flush.
    if pending.capacity() <= KEEP_BUFFER {
        pending.clear();
        let mut now = PENDING.lock().unwrap_or_else(|e| e.into_inner());
        if now.capacity() < pending.capacity() {
            pending.extend_from_slice(&now);
            *now = pending;
        }
    }
    let dropped = DROPPED.swap(0, Ordering::Relaxed);
    if dropped > 0 {
        let _ = writeln!(
            out,
            "{{\"timestamp\":\"{}\",\"level\":\"warn\",\"target\":\"log\",\"message\":\"request log lines dropped: stdout did not keep up\",\"dropped\":{dropped}}}",
            humantime::format_rfc3339_millis(SystemTime::now())
        );
    }
    let _ = out.flush();
}

/// Starts the thread that writes buffered request lines every [`FLUSH_EVERY`].
pub fn start_flusher() {
    let _ = std::thread::Builder::new()
        .name("slipway-log".into())
        .spawn(|| {
            loop {
                std::thread::sleep(FLUSH_EVERY);
                flush();
            }
        });
}

/// Where a line goes: straight to stdout, or to the buffer.
#[derive(Clone, Copy, PartialEq)]
enum Sink {
    Now,
    Buffered,
}

/// Writes one line with the given extra fields (a struct or map that serializes to an object).
pub fn emit<F: Serialize>(level: Level, target: &str, message: &str, fields: &F) {
    line(Sink::Now, level, target, message, &|buf: &mut Vec<u8>| {
        serde_fields(buf, fields)
    });
}

/// Extra fields that write themselves: `,"key":value` for each, JSON-escaped where needed.
/// What request lines use: formatting them by hand costs a fraction of serde's flattening.
pub trait Fields {
    /// Appends `,"key":value` for every field.
    fn write(&self, buf: &mut Vec<u8>);
}

/// Buffers one request line (see the module documentation).
pub fn emit_request<F: Fields>(level: Level, target: &str, message: &str, fields: &F) {
    line(Sink::Buffered, level, target, message, &|buf: &mut Vec<
        u8,
    >| {
        fields.write(buf);
        Ok(())
    });
}

/// Appends `s` as a JSON string (quoted, escaped).
pub fn json_str(buf: &mut Vec<u8>, s: &str) {
    // Writing a string into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *buf, s);
}

/// Appends the fields of a serializable struct or map, flattened: its object without braces,
/// each entry after a comma.
fn serde_fields<F: Serialize>(buf: &mut Vec<u8>, fields: &F) -> Result<(), serde_json::Error> {
    let start = buf.len();
    serde_json::to_writer(&mut *buf, fields)?;
    match (buf.get(start), buf.len() - start) {
        (Some(b'{'), 2) => buf.truncate(start),
        (Some(b'{'), _) => {
            buf[start] = b',';
            buf.pop();
        }
        _ => {
            buf.truncate(start);
            return Err(serde::ser::Error::custom("log fields must be an object"));
        }
    }
    Ok(())
}

/// Writes one line, without its newline, into `buf`.
fn render(
    buf: &mut Vec<u8>,
    stamp: &str,
    level: Level,
    target: &str,
    message: &str,
    fields: &dyn Fn(&mut Vec<u8>) -> Result<(), serde_json::Error>,
) {
    buf.clear();
    buf.extend_from_slice(b"{\"timestamp\":\"");
    buf.extend_from_slice(stamp.as_bytes());
    buf.extend_from_slice(b"\",\"level\":\"");
    buf.extend_from_slice(level.name().as_bytes());
    buf.extend_from_slice(b"\",\"target\":");
    json_str(buf, target);
    buf.extend_from_slice(b",\"message\":");
    json_str(buf, message);
    if let Err(e) = fields(buf) {
        // Only a failing custom Serialize could get here; keep the message at least.
        buf.clear();
        let _ = write!(
            buf,
            "{{\"level\":\"error\",\"message\":\"unserializable log line: {}\"}}",
            e.to_string().replace('"', "'")
        );
        return;
    }
    buf.push(b'}');
}

fn line(
    sink: Sink,
    level: Level,
    target: &str,
    message: &str,
    fields: &dyn Fn(&mut Vec<u8>) -> Result<(), serde_json::Error>,
) {
    if !enabled(level) {
        return;
    }
    let write = |scratch: &mut Scratch| {
        let now = SystemTime::now();
        let millis = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis());
        if millis != scratch.millis {
            scratch.millis = millis;
            scratch.stamp.clear();
            let _ = std::fmt::Write::write_fmt(
                &mut scratch.stamp,
                format_args!("{}", humantime::format_rfc3339_millis(now)),
            );
        }
        let buf = &mut scratch.line;
        render(buf, &scratch.stamp, level, target, message, fields);
        buf.push(b'\n');
        if sink == Sink::Buffered {
            let mut pending = PENDING.lock().unwrap_or_else(|e| e.into_inner());
            if pending.len() + buf.len() <= MAX_BUFFERED {
                pending.extend_from_slice(buf);
            } else {
                DROPPED.fetch_add(1, Ordering::Relaxed);
            }
        } else {
            // What is buffered goes first, then this line, in one locked stretch so that lines
            // never interleave. A closed stdout must not take the server down.
            let mut out = std::io::stdout().lock();
            let pending = std::mem::take(&mut *PENDING.lock().unwrap_or_else(|e| e.into_inner()));
            let _ = out.write_all(&pending);
            let _ = out.write_all(buf);
        }
        // A rare huge line (a panic message) does not stay allocated.
        if buf.capacity() > 64 * 1024 {
            *buf = Vec::new();
        }
    };
    // Re-entrance (a panic while writing a line) or a thread being torn down falls back to a
    // fresh buffer.
    let done = SCRATCH
        .try_with(|s| match s.try_borrow_mut() {
            Ok(mut scratch) => {
                write(&mut scratch);
                true
            }
            Err(_) => false,
        })
        .unwrap_or(false);
    if !done {
        write(&mut Scratch {
            millis: u128::MAX,
            stamp: String::new(),
            line: Vec::new(),
        });
    }
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
        let stamp = humantime::format_rfc3339_millis(SystemTime::UNIX_EPOCH).to_string();
        let mut buf = Vec::new();
        let fields = Req {
            status: 404,
            response_time_ms: 0.25,
        };
        render(&mut buf, &stamp, Level::Warn, "http", "re\"quest", &|buf| {
            serde_fields(buf, &fields)
        });
        let v: serde_json::Value = serde_json::from_slice(&buf).unwrap();
        assert_eq!(v["timestamp"], "1970-01-01T00:00:00.000Z");
        assert_eq!(v["level"], "warn");
        assert_eq!(v["target"], "http");
        assert_eq!(v["message"], "re\"quest");
        assert_eq!(v["status"], 404);
        assert_eq!(v["response_time_ms"], 0.25);
        assert_eq!(v.as_object().unwrap().len(), 6);
        render(&mut buf, &stamp, Level::Info, "main", "ready", &|buf| {
            serde_fields(buf, &NoFields {})
        });
        assert_eq!(
            std::str::from_utf8(&buf).unwrap(),
            r#"{"timestamp":"1970-01-01T00:00:00.000Z","level":"info","target":"main","message":"ready"}"#
        );
    }

    #[test]
    fn levels_order_from_debug_to_error() {
        assert!(Level::Debug < Level::Info && Level::Warn < Level::Error);
    }
}
