//! The accept loop over real sockets: slow, idle and stuck clients are cut off by the
//! header-read, idle and request timeouts, and key verification keeps answering
//! meanwhile. Timeouts here are a second or two; the bounds the tests wait for are
//! generous (they catch a hang, not slowness).

use crate::common::TestApp;
use gtx_keys::serve::{Limits, serve};
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Longest any step may take before the test calls it a hang.
const HANG: Duration = Duration::from_secs(60);

/// Serves `app` on a free loopback port under `limits`; stops when the sender drops.
async fn start(app: &TestApp, limits: Limits) -> (SocketAddr, tokio::sync::oneshot::Sender<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let router = app.router();
    tokio::spawn(async move {
        serve(listener, router, limits, async {
            let _ = stopped.await;
        })
        .await;
    });
    (addr, stop)
}

/// One request on a fresh connection (`Connection: close`); the status code and body.
async fn request(addr: SocketAddr, raw: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream.write_all(raw.as_bytes()).await.expect("write");
    let mut response = Vec::new();
    tokio::time::timeout(HANG, stream.read_to_end(&mut response))
        .await
        .expect("an answer")
        .expect("read");
    let text = String::from_utf8_lossy(&response).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {text:?}"));
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

fn verify_request() -> String {
    let body = r#"{"key":"gtx-api-not-a-real-key"}"#;
    format!(
        "POST /api/v1/keys/verify HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

/// Limits with these timeouts (seconds) and no practical connection cap.
fn with_timeouts(header_read: u64, request: u64, idle: u64) -> Limits {
    Limits {
        header_read: Duration::from_secs(header_read),
        request: Duration::from_secs(request),
        idle: Duration::from_secs(idle),
        max_connections: 4096,
    }
}

/// Writes `head` and then `a`s, a byte every 100 ms, until the server closes.
fn trickle(
    mut writer: tokio::net::tcp::OwnedWriteHalf,
    head: &'static [u8],
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        for byte in head.iter().chain(std::iter::repeat(&b'a')) {
            if writer.write_all(&[*byte]).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
}

/// One `GET /healthz` on a kept-alive connection; asserts its 200.
async fn get_healthz(
    reader: &mut tokio::net::tcp::OwnedReadHalf,
    writer: &mut tokio::net::tcp::OwnedWriteHalf,
) {
    writer
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .expect("write");
    let mut buf = vec![0u8; 4096];
    let n = tokio::time::timeout(HANG, reader.read(&mut buf))
        .await
        .expect("an answer")
        .expect("read");
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
}

/// Reads until the server closes the connection; how long after `since` that was.
async fn closed_after(stream: &mut tokio::net::tcp::OwnedReadHalf, since: Instant) -> Duration {
    let mut buf = [0u8; 1024];
    loop {
        match tokio::time::timeout(HANG, stream.read(&mut buf)).await {
            Ok(Ok(0) | Err(_)) => return since.elapsed(),
            Ok(Ok(_)) => continue,
            Err(_) => panic!("the connection was still open after {HANG:?}"),
        }
    }
}

async fn trickling_connections_are_closed_after_the_header_timeout_while_verify_answers(
    app: &TestApp,
) {
    let limits = with_timeouts(1, 10, 10);
    let (addr, _stop) = start(app, limits).await;
    let start_all = Instant::now();
    let mut trickles = Vec::new();
    for _ in 0..500 {
        let stream = TcpStream::connect(addr).await.expect("connect");
        trickles.push(tokio::spawn(async move {
            let opened = Instant::now();
            let (mut reader, writer) = stream.into_split();
            // A request head, one byte at a time, never finished.
            let writing = trickle(
                writer,
                b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: ",
            );
            let closed = closed_after(&mut reader, opened).await;
            writing.abort();
            closed
        }));
    }
    // Verify keeps answering while the 500 connections trickle.
    let mut answered = 0;
    while trickles.iter().any(|t| !t.is_finished()) {
        let (status, body) = request(addr, &verify_request()).await;
        assert_eq!(status, 200, "{body}");
        assert!(body.contains("MALFORMED"), "{body}");
        answered += 1;
        assert!(
            start_all.elapsed() < HANG,
            "trickling connections still open"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(answered > 0);
    for trickle in trickles {
        let closed = trickle.await.expect("trickle task");
        // Not before the header timeout, whatever bytes kept arriving.
        assert!(
            closed >= Duration::from_millis(900),
            "closed after {closed:?}"
        );
    }
    // The server still answers once they are gone.
    assert_eq!(request(addr, &verify_request()).await.0, 200);
}

async fn idle_keep_alive_lasts_the_idle_timeout_not_the_header_timeout(app: &TestApp) {
    let limits = with_timeouts(1, 10, 3);
    let (addr, _stop) = start(app, limits).await;
    let stream = TcpStream::connect(addr).await.expect("connect");
    let (mut reader, mut writer) = stream.into_split();
    for _ in 0..2 {
        get_healthz(&mut reader, &mut writer).await;
        // Longer than the header timeout: a kept-alive connection waits on.
        tokio::time::sleep(Duration::from_millis(1_500)).await;
    }
    let idle_since = Instant::now();
    let closed = closed_after(&mut reader, idle_since).await;
    assert!(
        closed >= Duration::from_millis(1_400),
        "closed after {closed:?}"
    );
}

async fn kept_alive_connection_that_trickles_its_next_head_gets_the_header_timeout(app: &TestApp) {
    let limits = with_timeouts(1, 10, 40);
    let (addr, _stop) = start(app, limits).await;
    let stream = TcpStream::connect(addr).await.expect("connect");
    let (mut reader, mut writer) = stream.into_split();
    get_healthz(&mut reader, &mut writer).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    // The next head starts, and trickles.
    let trickling = Instant::now();
    let writing = trickle(writer, b"GET /healthz HTTP/1.1\r\nX-Slow: ");
    let closed = closed_after(&mut reader, trickling).await;
    writing.abort();
    assert!(
        closed >= Duration::from_millis(900),
        "closed after {closed:?}"
    );
    // The header timeout, not the (much longer) idle timeout, ended it.
    assert!(closed < limits.idle / 2, "closed after {closed:?}");
}

async fn slow_request_body_is_answered_408_after_the_request_timeout(app: &TestApp) {
    let limits = with_timeouts(5, 1, 10);
    let (addr, _stop) = start(app, limits).await;
    // The head promises 100 bytes of body; ten arrive, then nothing.
    let raw = "POST /api/v1/keys/verify HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
               Content-Length: 100\r\n\r\n{\"key\":\"g";
    let (status, body) = request(addr, raw).await;
    assert_eq!(status, 408, "{body}");
    assert!(body.contains("request_timeout"), "{body}");
}

async fn connections_beyond_the_cap_wait_for_a_free_place(app: &TestApp) {
    let limits = Limits {
        header_read: Duration::from_secs(30),
        request: Duration::from_secs(10),
        idle: Duration::from_secs(30),
        max_connections: 4,
    };
    let (addr, _stop) = start(app, limits).await;
    let mut held = Vec::new();
    for _ in 0..4 {
        let mut stream = TcpStream::connect(addr).await.expect("connect");
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
            .await
            .expect("write");
        let mut buf = [0u8; 1024];
        let n = stream.read(&mut buf).await.expect("read");
        assert!(n > 0);
        held.push(stream);
    }
    // A fifth client waits in the backlog while four connections are open...
    let verify = verify_request();
    let fifth = tokio::spawn(async move { request(addr, &verify).await });
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!fifth.is_finished(), "served beyond the connection cap");
    // ...and is served once one of them closes.
    drop(held.pop());
    let (status, _) = tokio::time::timeout(HANG, fifth)
        .await
        .expect("served")
        .expect("task");
    assert_eq!(status, 200);
}

on_both_backends!(
    trickling_connections_are_closed_after_the_header_timeout_while_verify_answers,
    idle_keep_alive_lasts_the_idle_timeout_not_the_header_timeout,
    kept_alive_connection_that_trickles_its_next_head_gets_the_header_timeout,
    slow_request_body_is_answered_408_after_the_request_timeout,
    connections_beyond_the_cap_wait_for_a_free_place,
);
