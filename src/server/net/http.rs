//! The control plane's HTTP edge: a request head read whole (httparse, however many packets
//! it comes in, within a size and a time), `GET /metrics` and `GET /healthz`, plain answers,
//! and the bytes already read handed on to a WebSocket handshake.

use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use super::ControlPlane;

/// Largest request head read (request line and headers).
const MAX_HEAD: usize = 16 * 1024;
/// Longest a client may take to send its request head.
pub(super) const HEAD_WITHIN: Duration = Duration::from_secs(5);

/// A request's head, parsed by httparse once it is whole, however many packets it came in.
pub(super) struct Head {
    pub(super) method: String,
    pub(super) path: String,
    /// `Upgrade: websocket`.
    pub(super) upgrade: bool,
    /// Every byte read so far (the head, and anything after it), for the WebSocket handshake.
    pub(super) bytes: Vec<u8>,
}

/// Reads until the request head is whole (at most [`MAX_HEAD`] bytes within [`HEAD_WITHIN`]).
/// `None`: the client went away, took too long, sent too much or sent no HTTP (an answer
/// has been sent where one makes sense).
pub(super) async fn read_head(stream: &mut TcpStream) -> std::io::Result<Option<Head>> {
    use tokio::io::AsyncReadExt;
    let deadline = tokio::time::Instant::now() + HEAD_WITHIN;
    let mut bytes = Vec::with_capacity(1024);
    let mut chunk = [0u8; 4096];
    loop {
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let mut req = httparse::Request::new(&mut headers);
        match req.parse(&bytes) {
            Ok(httparse::Status::Complete(_)) => {
                let upgrade = req.headers.iter().any(|h| {
                    h.name.eq_ignore_ascii_case("upgrade")
                        && String::from_utf8_lossy(h.value)
                            .to_ascii_lowercase()
                            .contains("websocket")
                });
                return Ok(Some(Head {
                    method: req.method.unwrap_or_default().to_string(),
                    path: req.path.unwrap_or("/").to_string(),
                    upgrade,
                    bytes,
                }));
            }
            Ok(httparse::Status::Partial) if bytes.len() < MAX_HEAD => {}
            Ok(httparse::Status::Partial) => {
                let _ = answer(
                    stream,
                    "431 Request Header Fields Too Large",
                    "request head over 16 KiB\n",
                )
                .await;
                return Ok(None);
            }
            Err(e) => {
                let _ = answer(
                    stream,
                    "400 Bad Request",
                    &format!("not an HTTP request: {e}\n"),
                )
                .await;
                return Ok(None);
            }
        }
        let Ok(read) = tokio::time::timeout_at(deadline, stream.read(&mut chunk)).await else {
            let _ = answer(
                stream,
                "408 Request Timeout",
                "no whole request head within 5 s\n",
            )
            .await;
            return Ok(None);
        };
        let n = read?;
        if n == 0 {
            return Ok(None);
        }
        bytes.extend_from_slice(&chunk[..n]);
    }
}

/// A plain HTTP answer, then the connection is closed. What the client still sends is read
/// and dropped for a moment first (at most 64 KiB), so that closing with it unread does not
/// reset the connection before the answer is read.
pub(super) async fn answer(
    stream: &mut TcpStream,
    status: &str,
    body: &str,
) -> std::io::Result<()> {
    use tokio::io::AsyncReadExt;
    let mut sink = [0u8; 4096];
    let mut drained = 0;
    while drained < 64 * 1024 {
        match tokio::time::timeout(Duration::from_millis(100), stream.read(&mut sink)).await {
            Ok(Ok(n)) if n > 0 => drained += n,
            _ => break,
        }
    }
    respond(stream, status, "text/plain; charset=utf-8", body).await
}

/// One HTTP/1.1 response, then the connection is closed (one request per connection).
pub(super) async fn respond(
    stream: &mut TcpStream,
    status: &str,
    ctype: &str,
    body: &str,
) -> std::io::Result<()> {
    let resp = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(resp.as_bytes()).await?;
    stream.shutdown().await
}

/// The connection with the bytes already read in front of it: the WebSocket handshake reads
/// the request head again from here.
pub(super) struct Prefixed {
    pub(super) prefix: Vec<u8>,
    pub(super) at: usize,
    pub(super) inner: TcpStream,
}

impl tokio::io::AsyncRead for Prefixed {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        if self.at < self.prefix.len() {
            let n = buf.remaining().min(self.prefix.len() - self.at);
            let at = self.at;
            buf.put_slice(&self.prefix[at..at + n]);
            self.at += n;
            return std::task::Poll::Ready(Ok(()));
        }
        std::pin::Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl tokio::io::AsyncWrite for Prefixed {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::pin::Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

pub(super) async fn http(
    mut stream: TcpStream,
    head: &Head,
    plane: &ControlPlane,
) -> std::io::Result<()> {
    // The path without its query.
    let path = head.path.split('?').next().unwrap_or("/");
    let (status, ctype, body) = match (head.method.as_str(), path) {
        ("GET", "/metrics") => (
            "200 OK",
            "text/plain; version=0.0.4; charset=utf-8",
            plane.metrics(),
        ),
        ("GET", "/healthz") => ("200 OK", "text/plain; charset=utf-8", "ok\n".to_string()),
        _ => (
            "404 Not Found",
            "text/plain; charset=utf-8",
            "warroom control plane: GET /metrics, GET /healthz, or a WebSocket console\n"
                .to_string(),
        ),
    };
    respond(&mut stream, status, ctype, &body).await
}

/// The answer to a connection over the limits: `503` with the reason, within a second.
pub(super) async fn busy(mut stream: TcpStream, why: String) {
    let body = format!("{why}\n");
    let _ = tokio::time::timeout(
        Duration::from_secs(1),
        answer(&mut stream, "503 Service Unavailable", &body),
    )
    .await;
}
