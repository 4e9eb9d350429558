//! Connections: the accept loop, the connection cap, the timeouts that keep slow, idle or
//! non-reading clients from holding the server, and the drain on shutdown.
//!
//! Each connection goes through three phases, tracked by [`Phase`] and shared between its I/O
//! wrapper ([`TimedIo`]) and its request service:
//!
//! - **idle** (after accept, and after each response): the client has
//!   `--keep-alive-timeout-seconds` to send the first byte of a request;
//! - **head** (from that byte): it has `--header-read-timeout-seconds` to finish the headers;
//! - **busy** (once the headers are parsed and the handler runs): the handler bounds the body
//!   read (`--body-read-timeout-seconds`, 408).
//!
//! In every phase a response write that makes no progress for `--write-timeout-seconds` (a
//! client that does not read) closes the connection, which frees the inference slot the
//! response holds (see `http::reply::SlotBody`).
//!
//! A gRPC connection (HTTP/2, `--grpc-port`) multiplexes its calls, so it has no phases: it is
//! always busy for [`TimedIo`] (the write timeout holds), and an idle or vanished peer is found
//! by HTTP/2 pings every `--keep-alive-timeout-seconds`, unanswered within
//! `--write-timeout-seconds`. Both kinds share the connection cap and the drain.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::time::{Instant, Sleep};

use crate::grpc::GrpcService;
use crate::http::Service;
use crate::log::{self, Level};
use crate::metrics::Rejection;
use crate::state::AppState;

/// The connection settings.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Open connections at most; more are closed as soon as they are accepted.
    pub max_connections: usize,
    /// Time an idle keep-alive connection may wait for its next request.
    pub keep_alive: Duration,
    /// Time a client has to send a request head once it sent its first byte.
    pub header_read: Duration,
    /// Time a response write may make no progress before the connection is closed.
    pub write: Duration,
}

const IDLE: u8 = 0;
const HEAD: u8 = 1;
const BUSY: u8 = 2;
const ANSWERED: u8 = 3;

/// The phase of one connection, written by its service and read by its I/O.
#[derive(Debug, Default)]
struct Phase(AtomicU8);

impl Phase {
    fn get(&self) -> u8 {
        self.0.load(Ordering::Acquire)
    }

    fn set(&self, phase: u8) {
        self.0.store(phase, Ordering::Release);
    }
}

/// A TCP stream with the idle, head and write deadlines of its connection.
///
/// The read deadline is checked lazily: the timer is armed at most `step` (the shorter of the
/// two read timeouts) ahead and re-armed when it fires, while a phase change only notes the
/// time. A request thus costs no timer-wheel update (a lock shared by the runtime's threads),
/// and every deadline is still met exactly: the timer always fires at or before it.
pub struct TimedIo {
    inner: TcpStream,
    phase: Arc<Phase>,
    limits: Limits,
    /// When the current idle or head phase began.
    since: Instant,
    /// The shorter read timeout: the longest the read timer is armed ahead.
    step: Duration,
    read_timer: Pin<Box<Sleep>>,
    /// When a pending write gives up, once a write is pending.
    write_deadline: Option<Instant>,
    write_timer: Pin<Box<Sleep>>,
}

fn timed_out(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, what.to_owned())
}

impl TimedIo {
    /// A stream that is always busy: no read deadline, the write deadline only.
    fn busy(inner: TcpStream, limits: Limits) -> TimedIo {
        let phase = Arc::new(Phase::default());
        phase.set(BUSY);
        TimedIo::new(inner, phase, limits)
    }

    fn new(inner: TcpStream, phase: Arc<Phase>, limits: Limits) -> TimedIo {
        let now = Instant::now();
        let step = limits.keep_alive.min(limits.header_read);
        TimedIo {
            inner,
            phase,
            limits,
            since: now,
            step,
            read_timer: Box::pin(tokio::time::sleep_until(now + step)),
            write_deadline: None,
            write_timer: Box::pin(tokio::time::sleep_until(now)),
        }
    }

    /// Enters the idle or head phase: notes the time, and makes sure the read timer will wake
    /// the task (hyper may not poll the read side again before the client sends something).
    fn enter(&mut self, phase: u8, cx: &mut Context<'_>) {
        self.phase.set(phase);
        let now = Instant::now();
        self.since = now;
        if self.read_timer.is_elapsed() {
            self.read_timer.as_mut().reset(now + self.step);
            let _ = self.read_timer.as_mut().poll(cx);
        }
    }

    /// The read side has nothing: in the idle and head phases, fail past the deadline, else
    /// keep the timer armed.
    fn read_pending(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let phase = self.phase.get();
        let limit = match phase {
            IDLE => self.limits.keep_alive,
            HEAD => self.limits.header_read,
            _ => {
                // Busy: no read deadline; keep the timer armed for the next idle phase.
                if self.read_timer.as_mut().poll(cx).is_ready() {
                    self.read_timer.as_mut().reset(Instant::now() + self.step);
                    let _ = self.read_timer.as_mut().poll(cx);
                }
                return Poll::Pending;
            }
        };
        if self.read_timer.as_mut().poll(cx).is_pending() {
            return Poll::Pending;
        }
        let now = Instant::now();
        let deadline = self.since + limit;
        if now >= deadline {
            return Poll::Ready(Err(timed_out(if phase == IDLE {
                "idle keep-alive timeout"
            } else {
                "request head not received within the header read timeout"
            })));
        }
        self.read_timer
            .as_mut()
            .reset(deadline.min(now + self.step));
        let _ = self.read_timer.as_mut().poll(cx);
        Poll::Pending
    }

    /// A write is pending: start or check the stall deadline.
    fn write_pending(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        if self.write_deadline.is_none() {
            let deadline = Instant::now() + self.limits.write;
            self.write_deadline = Some(deadline);
            self.write_timer.as_mut().reset(deadline);
        }
        match self.write_timer.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(timed_out(
                "the client did not read the response within the write timeout",
            ))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl AsyncRead for TimedIo {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                // The first byte of a request starts the head deadline; later bytes do not
                // extend it (a client sending one byte at a time gets no more time).
                if buf.filled().len() > before && this.phase.get() == IDLE {
                    this.enter(HEAD, cx);
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => this.read_pending(cx),
        }
    }
}

impl AsyncWrite for TimedIo {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_write(cx, buf) {
            Poll::Ready(r) => {
                this.write_deadline = None;
                Poll::Ready(r)
            }
            Poll::Pending => this.write_pending(cx),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_write_vectored(cx, bufs) {
            Poll::Ready(r) => {
                this.write_deadline = None;
                Poll::Ready(r)
            }
            Poll::Pending => this.write_pending(cx),
        }
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_flush(cx) {
            Poll::Ready(Ok(())) => {
                // Everything hyper buffered is written: once the handler has answered, the
                // response is out and the connection waits for the next request.
                if this.phase.get() == ANSWERED {
                    this.enter(IDLE, cx);
                }
                Poll::Ready(Ok(()))
            }
            other => other,
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

/// Open connections and the signal that asks them to finish.
#[derive(Debug, Clone)]
pub struct Connections {
    slots: Arc<Semaphore>,
    max: usize,
    drain: watch::Sender<bool>,
}

impl Connections {
    /// Room for `max` connections.
    pub fn new(max: usize) -> Connections {
        Connections {
            slots: Arc::new(Semaphore::new(max)),
            max,
            drain: watch::channel(false).0,
        }
    }

    /// Connections open now.
    pub fn open(&self) -> usize {
        self.max - self.slots.available_permits()
    }

    /// Asks every connection to finish its current request and close.
    pub fn drain(&self) {
        self.drain.send_replace(true);
    }

    /// Resolves when every connection is closed.
    pub async fn closed(&self) {
        let all = u32::try_from(self.max).unwrap_or(u32::MAX);
        let _ = self.slots.acquire_many(all).await;
    }
}

/// What a listener serves.
#[derive(Debug, Clone)]
pub enum Served {
    /// HTTP/1.1: the REST API, probes and metrics.
    Http(Service),
    /// HTTP/2: the gRPC services.
    Grpc(GrpcService),
}

/// Accepts connections until `stop` turns true, serving each with `service`.
pub async fn accept(
    listener: TcpListener,
    service: Served,
    limits: Limits,
    connections: Connections,
    state: Arc<AppState>,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        let accepted = tokio::select! {
            biased;
            _ = stop.changed() => return,
            accepted = listener.accept() => accepted,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(e) => {
                // Out of file descriptors or memory: back off instead of spinning.
                log::emit(
                    Level::Warn,
                    "http",
                    "cannot accept a connection",
                    &log::ErrorField {
                        error: &e.to_string(),
                    },
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Ok(permit) = connections.slots.clone().try_acquire_owned() else {
            state.metrics.rejected(Rejection::Connections);
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let drain = connections.drain.subscribe();
        match &service {
            Served::Http(service) => {
                tokio::spawn(serve_connection(
                    stream,
                    service.clone(),
                    limits,
                    drain,
                    permit,
                ));
            }
            Served::Grpc(service) => {
                tokio::spawn(serve_grpc_connection(
                    stream,
                    service.clone(),
                    limits,
                    drain,
                    permit,
                ));
            }
        }
    }
}

async fn serve_connection(
    stream: TcpStream,
    service: Service,
    limits: Limits,
    mut drain: watch::Receiver<bool>,
    permit: OwnedSemaphorePermit,
) {
    let phase = Arc::new(Phase::default());
    let io = TokioIo::new(TimedIo::new(stream, phase.clone(), limits));
    let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
        phase.set(BUSY);
        let service = service.clone();
        let phase = phase.clone();
        async move {
            let resp = service.call(req).await;
            phase.set(ANSWERED);
            Ok::<_, std::convert::Infallible>(resp)
        }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    // The head deadline is TimedIo's (it starts at the first byte, not at idle).
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(None::<Duration>);
    let conn = builder.serve_connection(io, service);
    tokio::pin!(conn);
    let draining = tokio::select! {
        _ = conn.as_mut() => false,
        r = drain.wait_for(|d| *d) => r.is_ok(),
    };
    if draining {
        // Idle: closes now; mid-request: answers it, then closes.
        conn.as_mut().graceful_shutdown();
        let _ = conn.await;
    }
    drop(permit);
}

/// Serves one gRPC (HTTP/2 without TLS) connection until it closes or the drain asks it to
/// finish: then it stops taking new calls (GOAWAY), answers the ones in progress and closes.
async fn serve_grpc_connection(
    stream: TcpStream,
    service: GrpcService,
    limits: Limits,
    mut drain: watch::Receiver<bool>,
    permit: OwnedSemaphorePermit,
) {
    let io = TokioIo::new(TimedIo::busy(stream, limits));
    let streams = service.max_streams();
    let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
        let service = service.clone();
        async move { Ok::<_, std::convert::Infallible>(service.call(req).await) }
    });
    let mut builder = hyper::server::conn::http2::Builder::new(TokioExecutor::new());
    builder
        .timer(TokioTimer::new())
        .max_concurrent_streams(streams)
        .keep_alive_interval(limits.keep_alive)
        .keep_alive_timeout(limits.write);
    let conn = builder.serve_connection(io, service);
    tokio::pin!(conn);
    let draining = tokio::select! {
        _ = conn.as_mut() => false,
        r = drain.wait_for(|d| *d) => r.is_ok(),
    };
    if draining {
        conn.as_mut().graceful_shutdown();
        let _ = conn.await;
    }
    drop(permit);
}
