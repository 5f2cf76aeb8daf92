//! The connections the server accepts, with hyper's own error answers given the API's shape.
//!
//! Some requests never reach the router: hyper answers a request line it cannot read, a URI
//! longer than it takes (414) or headers over its buffer (431) itself, with an empty body.
//! [`Listener`] hands hyper each connection wrapped in [`Rewriting`], which replaces those
//! answers (an error status with `content-length: 0`, written before any other byte of that
//! response) with the same answer carrying the JSON every other error has:
//! `{"code", "message", "hint"}`.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

/// A TCP listener whose connections are [`Rewriting`].
pub struct Listener(pub TcpListener);

impl axum::serve::Listener for Listener {
    type Io = Rewriting<TcpStream>;
    type Addr = std::net::SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        let (stream, addr) = axum::serve::Listener::accept(&mut self.0).await;
        (Rewriting::new(stream), addr)
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.0.local_addr()
    }
}

/// A connection whose bare error answers from hyper are given a JSON body.
pub struct Rewriting<S> {
    inner: S,
    /// Bytes to write before anything else: a rewritten answer.
    pending: Vec<u8>,
    written: usize,
}

impl<S> Rewriting<S> {
    /// `inner`, watched.
    pub fn new(inner: S) -> Rewriting<S> {
        Rewriting {
            inner,
            pending: Vec::new(),
            written: 0,
        }
    }
}

/// The answer that replaces `head` when it is one of hyper's bare error answers.
pub fn rewrite(head: &[u8]) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(head).ok()?;
    let rest = text.strip_prefix("HTTP/1.1 ")?;
    let status: u16 = rest.get(..3)?.parse().ok()?;
    if !(400..600).contains(&status) || !text.ends_with("\r\n\r\n") {
        return None;
    }
    let lower = text.to_ascii_lowercase();
    if !lower.contains("\r\ncontent-length: 0\r\n") || lower.contains("\r\ncontent-type:") {
        return None;
    }
    let (code, message, hint) = match status {
        414 => (
            "uri_too_long",
            "the request's URI is longer than the server reads",
            Some("send long lists in a POST body, or fewer values per request"),
        ),
        431 => (
            "headers_too_large",
            "the request's headers are larger than the server reads",
            Some("send fewer or smaller headers (cookies, tokens)"),
        ),
        408 => (
            "timeout",
            "the request took longer than the server allows",
            None,
        ),
        _ => (
            "bad_request",
            "the request cannot be read as HTTP/1.1",
            None,
        ),
    };
    let body = serde_json::json!({"code": code, "message": message, "hint": hint}).to_string();
    let status_line = text.split("\r\n").next()?;
    let date = text
        .split("\r\n")
        .find(|line| line.to_ascii_lowercase().starts_with("date:"));
    let mut out = format!(
        "{status_line}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n",
        body.len()
    );
    if let Some(date) = date {
        out.push_str(date);
        out.push_str("\r\n");
    }
    out.push_str("\r\n");
    out.push_str(&body);
    Some(out.into_bytes())
}

impl<S: AsyncWrite + Unpin> Rewriting<S> {
    /// Writes what is pending; `Ready(Ok)` once nothing is.
    fn drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.written < self.pending.len() {
            let rest = &self.pending[self.written..];
            match Pin::new(&mut self.inner).poll_write(cx, rest) {
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Poll::Ready(Ok(n)) => self.written += n,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            }
        }
        self.pending.clear();
        self.written = 0;
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Rewriting<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Rewriting<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.drain(cx) {
            Poll::Ready(Ok(())) => {}
            other => return other.map(|r| r.map(|()| 0)),
        }
        if let Some(replacement) = rewrite(buf) {
            self.pending = replacement;
            self.written = 0;
            // Taken whole: what is left is written by the next write or flush.
            if let Poll::Ready(Err(e)) = self.drain(cx) {
                return Poll::Ready(Err(e));
            }
            return Poll::Ready(Ok(buf.len()));
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.drain(cx) {
            Poll::Ready(Ok(())) => Pin::new(&mut self.inner).poll_flush(cx),
            other => other,
        }
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.drain(cx) {
            Poll::Ready(Ok(())) => Pin::new(&mut self.inner).poll_shutdown(cx),
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::rewrite;

    #[test]
    fn bare_error_answers_get_the_json_shape() {
        let head = b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\ndate: Mon, 07 Dec 2026 15:00:00 GMT\r\n\r\n";
        let out = String::from_utf8(rewrite(head).unwrap_or_default()).unwrap_or_default();
        let (head, body) = out.split_once("\r\n\r\n").unwrap_or_default();
        assert!(head.starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n"));
        assert!(head.contains("content-type: application/json"));
        assert!(head.contains(&format!("content-length: {}", body.len())));
        assert!(head.contains("date: Mon, 07 Dec 2026"));
        let value: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
        assert_eq!(value["code"], "headers_too_large");
        assert!(value["message"].is_string());
    }

    #[test]
    fn ordinary_answers_pass() {
        assert!(rewrite(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n").is_none());
        assert!(rewrite(
            b"HTTP/1.1 404 Not Found\r\ncontent-type: application/json\r\ncontent-length: 0\r\n\r\n"
        )
        .is_none());
        assert!(rewrite(b"HTTP/1.1 414 URI Too Long\r\ncontent-length: 12\r\n\r\n").is_none());
        // A body chunk that happens to start like a status line is not a head.
        assert!(rewrite(b"HTTP/1.1 400 in a body").is_none());
    }
}
