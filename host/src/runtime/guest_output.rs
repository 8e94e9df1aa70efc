//! A guest's stdout and stderr: captured in a bounded buffer per call and forwarded to tracing.
//!
//! A plugin that prints is not an error, and one that prints megabytes must not fill the host's
//! memory or logs: everything past the per-call budget is dropped (the guest is told the write
//! succeeded, so a `println!` never panics the plugin) and the log line says how much was lost.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamError};

#[derive(Default)]
struct Buffer {
    bytes: Vec<u8>,
    dropped: usize,
}

/// A capped, shared buffer for one stream of one instance.
#[derive(Clone)]
pub struct GuestOutput {
    budget: usize,
    buffer: Arc<Mutex<Buffer>>,
}

impl GuestOutput {
    /// A buffer that keeps at most `budget` bytes between two [`GuestOutput::take`] calls.
    pub fn new(budget: usize) -> Self {
        GuestOutput {
            budget,
            buffer: Arc::default(),
        }
    }

    fn push(&self, bytes: &[u8]) {
        let mut buf = self.buffer.lock().unwrap_or_else(|p| p.into_inner());
        let room = self.budget.saturating_sub(buf.bytes.len());
        let kept = bytes.len().min(room);
        buf.bytes.extend_from_slice(&bytes[..kept]);
        buf.dropped += bytes.len() - kept;
    }

    /// Takes what was written since the last call, and how many bytes were dropped.
    pub fn take(&self) -> (String, usize) {
        let mut buf = self.buffer.lock().unwrap_or_else(|p| p.into_inner());
        let text = String::from_utf8_lossy(&buf.bytes).into_owned();
        let dropped = buf.dropped;
        *buf = Buffer::default();
        (text, dropped)
    }
}

impl IsTerminal for GuestOutput {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for GuestOutput {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }
    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for GuestOutput {
    async fn ready(&mut self) {}
}

impl OutputStream for GuestOutput {
    fn write(&mut self, bytes: Bytes) -> Result<(), StreamError> {
        self.push(&bytes);
        Ok(())
    }
    fn flush(&mut self) -> Result<(), StreamError> {
        Ok(())
    }
    fn check_write(&mut self) -> Result<usize, StreamError> {
        Ok(64 * 1024)
    }
}

impl tokio::io::AsyncWrite for GuestOutput {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.push(buf);
        Poll::Ready(Ok(buf.len()))
    }
    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_output_within_budget_and_counts_the_rest() {
        let out = GuestOutput::new(8);
        out.push(b"hello ");
        out.push(b"world");
        let (text, dropped) = out.take();
        assert_eq!(text, "hello wo");
        assert_eq!(dropped, 3);
        out.push(b"again");
        assert_eq!(out.take(), ("again".to_owned(), 0));
    }
}
