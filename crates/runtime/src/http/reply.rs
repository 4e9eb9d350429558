//! Response bodies: an inference answer holding its admission slot until the connection has
//! taken it ([`SlotBody`]), or any other body.

use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::{Body, Bytes, HttpBody};
use axum::http::{HeaderValue, header};
use axum::response::Response;
use http_body::{Frame, SizeHint};
use slipway_contract as contract;

use crate::admission::Slot;
use crate::protocol::Reply;

/// A response body: an inference answer holding its admission slot ([`SlotBody`]), or any
/// other body (probes, metadata, errors). An enum rather than a boxed body, so an inference
/// answer costs no allocation for its body.
pub enum ReplyBody {
    /// An inference answer.
    Slot(SlotBody),
    /// Anything else.
    Other(Body),
}

impl HttpBody for ReplyBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        match self.get_mut() {
            ReplyBody::Slot(b) => match Pin::new(b).poll_frame(cx) {
                Poll::Ready(Some(Ok(frame))) => Poll::Ready(Some(Ok(frame))),
                Poll::Ready(Some(Err(never))) => match never {},
                Poll::Ready(None) => Poll::Ready(None),
                Poll::Pending => Poll::Pending,
            },
            ReplyBody::Other(b) => Pin::new(b).poll_frame(cx),
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            ReplyBody::Slot(b) => b.is_end_stream(),
            ReplyBody::Other(b) => b.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            ReplyBody::Slot(b) => b.size_hint(),
            ReplyBody::Other(b) => b.size_hint(),
        }
    }
}

/// The response of an inference answer, holding its admission slot.
pub(super) fn reply_response(reply: Reply, slot: Slot) -> Response<ReplyBody> {
    let content_type = if reply.json_len.is_some() {
        "application/octet-stream"
    } else {
        "application/json"
    };
    let mut resp = Response::new(ReplyBody::Slot(SlotBody {
        data: Bytes::from(reply.bytes),
        slot: Some(slot),
    }));
    let headers = resp.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Some(n) = reply.json_len {
        headers.insert(
            contract::HEADER_INFERENCE_HEADER_CONTENT_LENGTH,
            HeaderValue::from(n),
        );
    }
    resp
}

/// A response body that holds its request's admission slot until the connection has taken
/// its last chunk. Chunks are at most [`SlotBody::CHUNK`] bytes, and the connection takes the
/// next one only when its write buffer has room, so a client that does not read keeps its slot
/// (bounding answered-but-unread responses to `--max-concurrency`) until the write timeout
/// closes its connection.
pub struct SlotBody {
    data: Bytes,
    slot: Option<Slot>,
}

impl SlotBody {
    const CHUNK: usize = 64 * 1024;
}

impl HttpBody for SlotBody {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = self.get_mut();
        if this.data.is_empty() {
            this.slot = None;
            return Poll::Ready(None);
        }
        let chunk = this.data.split_to(this.data.len().min(SlotBody::CHUNK));
        if this.data.is_empty() {
            this.slot = None;
        }
        Poll::Ready(Some(Ok(Frame::data(chunk))))
    }

    fn is_end_stream(&self) -> bool {
        self.data.is_empty()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.data.len() as u64)
    }
}
