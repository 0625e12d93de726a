//! The accept loop: HTTP/1.1 connections with a header-read timeout, an idle timeout, a
//! request timeout and a cap on open connections, so slow or idle clients cannot starve
//! the key API that every platform request depends on.
//!
//! Why not `axum::serve`: it has no idle timeout, and hyper-util's auto builder reads the
//! connection's first bytes (to tell HTTP/1 from HTTP/2) without any time limit, so a
//! client that connects and sends nothing, or trickles a header a byte at a time, holds
//! its connection for ever. hyper's own HTTP/1 `header_read_timeout` cannot stand in: it
//! also runs while a kept-alive connection waits for its next request, so it would close
//! idle connections after the header timeout instead of the idle timeout.
//!
//! So each connection has a small phase machine ([`ConnState`]) kept by the connection's
//! I/O wrapper and its service, and a watchdog that closes the connection when its phase
//! has lasted too long:
//!
//! | phase | starts | ends the connection after |
//! |---|---|---|
//! | reading a head | on accept, or the first byte after an idle spell | `header_read_timeout` |
//! | in flight | when hyper hands the request to the router | (the request timeout answers 408) |
//! | idle | when the response is ready | `idle_timeout` without any byte either way |
//!
//! HTTP/2 is left to the TLS proxy in front (see the README's deployment section).

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, Response, StatusCode, header};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, mpsc, watch};
use tokio::time::Instant;
use tower::ServiceExt;

/// The limits a connection lives under.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// From accepting (or the first byte after an idle spell) to a complete request head.
    pub header_read: Duration,
    /// From the request head to the response (body reading and handler included).
    pub request: Duration,
    /// A kept-alive connection with no traffic either way.
    pub idle: Duration,
    /// Open connections at most; further clients wait in the listen backlog.
    pub max_connections: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            header_read: Duration::from_secs(10),
            request: Duration::from_secs(30),
            idle: Duration::from_secs(60),
            max_connections: 4096,
        }
    }
}

/// How long in-flight requests may finish after a shutdown signal.
const DRAIN: Duration = Duration::from_secs(30);

/// Serves `app` on `listener` until `shutdown` resolves, then lets open connections
/// finish their requests (for at most [`DRAIN`]).
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) {
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let (stop_tx, stop_rx) = watch::channel(false);
    // Every connection task holds a sender; when all are dropped, all tasks are done.
    let (done_tx, mut done_rx) = mpsc::channel::<()>(1);
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            permit = Arc::clone(&permits).acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors, or a connection reset before accept: wait
                    // a little instead of spinning, and go on.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let stop = stop_rx.clone();
        let done = done_tx.clone();
        tokio::spawn(async move {
            serve_connection(stream, peer, app, limits, stop).await;
            drop(permit);
            drop(done);
        });
    }
    drop(listener);
    let _ = stop_tx.send(true);
    drop(done_tx);
    if tokio::time::timeout(DRAIN, done_rx.recv()).await.is_err() {
        tracing::warn!("requests still running after {DRAIN:?}; stopping anyway");
    }
}

/// One connection, until the client closes it, a limit ends it, or shutdown completes it.
async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    app: Router,
    limits: Limits,
    mut stop: watch::Receiver<bool>,
) {
    let state = Arc::new(ConnState::new());
    let io = TokioIo::new(Watched {
        inner: stream,
        state: Arc::clone(&state),
    });
    let service = ConnService {
        app,
        peer,
        state: Arc::clone(&state),
        request_timeout: limits.request,
    };
    let mut builder = hyper::server::conn::http1::Builder::new();
    // The watchdog below times heads; hyper's own timer would also cut idle keep-alives.
    builder.header_read_timeout(None);
    let conn = builder.serve_connection(io, service);
    tokio::pin!(conn);
    let mut stopping = *stop.borrow();
    if stopping {
        conn.as_mut().graceful_shutdown();
    }
    loop {
        let deadline = state.next_check(&limits);
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(e) = result {
                    tracing::debug!(error = %e, "connection ended with an error");
                }
                return;
            }
            () = tokio::time::sleep_until(deadline) => {
                if state.expired(&limits) {
                    tracing::debug!(phase = state.phase_name(), "closing a connection past its time limit");
                    return;
                }
            }
            changed = stop.changed(), if !stopping => {
                stopping = true;
                if changed.is_ok() {
                    // Finish the request in flight, then close instead of keeping alive.
                    conn.as_mut().graceful_shutdown();
                }
            }
        }
    }
}

const READING_HEAD: u8 = 0;
const IN_FLIGHT: u8 = 1;
const IDLE: u8 = 2;

/// A connection's phase and the times that bound it, in milliseconds since the
/// connection was accepted. Shared by its I/O wrapper, its service and its watchdog.
struct ConnState {
    start: Instant,
    phase: AtomicU8,
    /// When the current phase began.
    since: AtomicU64,
    /// The last byte read or written.
    last_io: AtomicU64,
}

impl ConnState {
    fn new() -> Self {
        Self {
            start: Instant::now(),
            phase: AtomicU8::new(READING_HEAD),
            since: AtomicU64::new(0),
            last_io: AtomicU64::new(0),
        }
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn enter(&self, phase: u8) {
        self.since.store(self.now_ms(), Ordering::Relaxed);
        self.phase.store(phase, Ordering::Release);
    }

    /// Bytes arrived: an idle connection starts reading its next request's head.
    fn on_read(&self) {
        let now = self.now_ms();
        self.last_io.store(now, Ordering::Relaxed);
        if self.phase.load(Ordering::Acquire) == IDLE
            && self
                .phase
                .compare_exchange(IDLE, READING_HEAD, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
        {
            self.since.store(now, Ordering::Relaxed);
        }
    }

    fn on_write(&self) {
        self.last_io.store(self.now_ms(), Ordering::Relaxed);
    }

    /// When the watchdog looks next. The phase may move while it sleeps, and only one
    /// move brings a deadline closer (idle to reading a head), so it never sleeps longer
    /// than a header timeout: a head that starts arriving just after it went to sleep is
    /// still timed to the header timeout, and no phase change has to wake it (which
    /// would cost a task wake-up on every request).
    fn next_check(&self, limits: &Limits) -> Instant {
        let soon = Instant::now() + limits.header_read;
        match self.phase.load(Ordering::Acquire) {
            READING_HEAD => self.start + self.ms(&self.since) + limits.header_read,
            IDLE => soon.min(self.idle_deadline(limits)),
            _ => soon,
        }
    }

    fn idle_deadline(&self, limits: &Limits) -> Instant {
        self.start + self.ms(&self.since).max(self.ms(&self.last_io)) + limits.idle
    }

    fn ms(&self, at: &AtomicU64) -> Duration {
        Duration::from_millis(at.load(Ordering::Relaxed))
    }

    /// Whether the current phase has lasted longer than its limit.
    fn expired(&self, limits: &Limits) -> bool {
        let now = Instant::now();
        match self.phase.load(Ordering::Acquire) {
            READING_HEAD => now >= self.start + self.ms(&self.since) + limits.header_read,
            IDLE => now >= self.idle_deadline(limits),
            // The request timeout bounds this phase.
            _ => false,
        }
    }

    fn phase_name(&self) -> &'static str {
        match self.phase.load(Ordering::Acquire) {
            READING_HEAD => "reading a request head",
            IDLE => "idle",
            _ => "in flight",
        }
    }
}

/// The socket, noting every read and write in the connection's [`ConnState`].
struct Watched {
    inner: TcpStream,
    state: Arc<ConnState>,
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let result = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(result, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.state.on_read();
        }
        result
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let result = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(result, Poll::Ready(Ok(n)) if n > 0) {
            self.state.on_write();
        }
        result
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let result = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(result, Poll::Ready(Ok(n)) if n > 0) {
            self.state.on_write();
        }
        result
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// The router as one connection's hyper service: it records the peer, moves the phase,
/// and answers 408 when a request runs past the request timeout.
#[derive(Clone)]
struct ConnService {
    app: Router,
    peer: SocketAddr,
    state: Arc<ConnState>,
    request_timeout: Duration,
}

impl hyper::service::Service<Request<Incoming>> for ConnService {
    type Response = Response<Body>;
    type Error = std::convert::Infallible;
    type Future =
        Pin<Box<dyn Future<Output = Result<Response<Body>, std::convert::Infallible>> + Send>>;

    fn call(&self, req: Request<Incoming>) -> Self::Future {
        self.state.enter(IN_FLIGHT);
        let mut req = req.map(Body::new);
        req.extensions_mut().insert(ConnectInfo(self.peer));
        let app = self.app.clone();
        let state = Arc::clone(&self.state);
        let timeout = self.request_timeout;
        Box::pin(async move {
            let response = match tokio::time::timeout(timeout, app.oneshot(req)).await {
                Ok(Ok(response)) => response,
                Ok(Err(never)) => match never {},
                Err(_) => request_timeout(),
            };
            state.enter(IDLE);
            Ok(response)
        })
    }
}

/// The answer to a request that ran past the request timeout.
fn request_timeout() -> Response<Body> {
    let body = r#"{"error":{"code":"request_timeout","message":"The request took too long and was stopped."}}"#;
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = StatusCode::REQUEST_TIMEOUT;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    headers.insert(
        header::CONNECTION,
        header::HeaderValue::from_static("close"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    response
}
