//! A request body nobody reads ends its connection.
//!
//! actix-http drains a chunked body that the application dropped unread, and
//! does not start the keep-alive timer until the drain ends: a client that
//! sends a GET, or an admin upload refused at the door, with
//! `Transfer-Encoding: chunked` and then trickles chunks, or nothing, held the
//! connection open forever, and one address could use up the server's
//! sockets. Held alive until the answer is sent, an unread body is
//! "unfinished" rather than "dropped" to the HTTP layer, which then closes the
//! connection after the answer (with a short linger) instead of draining.

use std::cell::RefCell;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use actix_web::HttpMessage;
use actix_web::body::{BodySize, BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use futures_util::StreamExt;

/// Hands the request a stream that reads from its body, and keeps the body
/// itself with the answer until the answer is sent.
pub async fn close_unread(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let body = Rc::new(RefCell::new(req.take_payload()));
    let reader = body.clone();
    let stream = futures_util::stream::poll_fn(move |cx| reader.borrow_mut().poll_next_unpin(cx));
    req.set_payload(Payload::Stream { payload: Box::pin(stream) });
    let response = next.call(req).await?;
    Ok(response.map_body(|_, answer| Holding { answer: answer.boxed(), _body: body }))
}

/// An answer holding its request's body until it is dropped, once sent.
struct Holding {
    answer: BoxBody,
    _body: Rc<RefCell<Payload>>,
}

impl MessageBody for Holding {
    type Error = Box<dyn std::error::Error>;

    fn size(&self) -> BodySize {
        self.answer.size()
    }

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Bytes, Self::Error>>> {
        Pin::new(&mut self.answer).poll_next(cx)
    }
}
