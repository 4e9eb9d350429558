//! HTTP: the V2 and `/predict` routes, probes, `/metrics`, request logs.
//!
//! An inference request is read in full ([`body`]: bounded in size and time, and with every
//! other body being read by `--max-buffered-body-bytes`) before its job asks for one of the
//! `--max-concurrency` slots (`crate::job`), so clients that stall mid-upload hold no slot.
//! The slot is held until the response has been handed to the connection
//! ([`reply::SlotBody`]), so clients that do not read their answers cannot pile up response
//! memory beyond the slots. [`observe`] wraps every request (metrics, in-flight gauge, one log
//! line) and answers the inference routes without the router; [`routes`] has the handlers,
//! [`error`] the mapping of errors to statuses.

mod body;
mod error;
mod observe;
mod reply;
mod routes;

use std::sync::Arc;

use axum::Router;
use axum::response::Response;
use hyper::body::Incoming;

pub use reply::ReplyBody;

use crate::state::AppState;

/// What every connection serves: the router, with the request observer around it (metrics,
/// in-flight gauge, request log). A plain wrapper rather than an axum middleware: no boxed
/// `Next` and no service clone per request.
#[derive(Debug, Clone)]
pub struct Service {
    router: Router,
    state: Arc<AppState>,
}

impl Service {
    /// The service of a server.
    pub fn new(state: Arc<AppState>) -> Service {
        Service {
            router: routes::router(state.clone()),
            state,
        }
    }

    /// Answers one request.
    pub async fn call(&self, req: hyper::Request<Incoming>) -> Response<ReplyBody> {
        observe::observe(&self.state, &self.router, req).await
    }
}
