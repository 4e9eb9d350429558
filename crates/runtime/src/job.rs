//! An inference request's job, whichever protocol brought it: admission, then the CPU-bound
//! part: parsing and checking (`prepare`), the model run (batched with other requests when
//! the batcher takes it, else alone), writing the answer (`Finish`).
//!
//! Small requests to a fast model do all of it on the calling runtime thread, handing only
//! the model run to the batcher; the others do it in one job on the inference pool, at most
//! `threads` jobs at a time (a job waiting for its batch holds a thread of the blocking pool
//! but no pool slot). The admission slot is handed back with the answer, so the caller can
//! hold it until the answer has left.

use std::sync::Arc;

use crate::admission::{Slot, Slots};
use crate::batch::{Direct, Submitted, Ticket};
use crate::metrics::Rejection;
use crate::model::Model;
use crate::protocol::{self, Finish, Prepared, RequestError, Served};
use crate::state::AppState;

/// Why a job gave no answer.
#[derive(Debug)]
pub enum JobError {
    /// Every `--max-concurrency` slot was taken (the number of slots).
    Saturated(usize),
    /// The inference pool closed: the server is stopping.
    ShuttingDown,
    /// A panic (logged by the panic hook) or a lost task.
    Internal,
    /// The request was refused or its model run failed.
    Request(RequestError),
}

/// Runs one request: takes an admission slot, prepares the request (`size` bytes of it
/// decide whether it runs on this thread), runs the model and writes the answer.
pub async fn run<A, F>(
    state: &Arc<AppState>,
    model: Arc<Model>,
    size: usize,
    prepare: F,
) -> Result<(A::Out, Slot), JobError>
where
    A: Finish,
    F: FnOnce(Served<'_>) -> Result<Prepared<A>, RequestError> + Send + 'static,
{
    let Some(slot) = Slots::try_take(&state.admission) else {
        state.metrics.rejected(Rejection::Saturated);
        return Err(JobError::Saturated(state.settings.max_concurrency));
    };
    if !state.settings.test_infer_delay.is_zero() {
        tokio::time::sleep(state.settings.test_infer_delay).await;
    }
    let reply = if model.runs_inline(size) {
        let prepared = guarded(state, || {
            test_panic(state);
            prepare(served(state, &model))
        })?;
        match submit(state, prepared) {
            Queued::Batched(ticket, answer) => {
                let rows = ticket.rows().await;
                guarded(state, || answer.finish_rows(served(state, &model), rows?))?
            }
            Queued::Alone(prepared, direct) => serve_alone(state, &model, prepared, direct)?,
        }
    } else {
        let worker = state
            .workers
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| JobError::ShuttingDown)?;
        let shared = state.clone();
        let task = tokio::task::spawn_blocking(move || {
            let state = &shared;
            let prepared = guarded(state, || {
                test_panic(state);
                prepare(served(state, &model))
            })?;
            match submit(state, prepared) {
                Queued::Batched(ticket, answer) => {
                    // Waiting for the batch takes no pool slot; writing the answer does.
                    drop(worker);
                    let rows = ticket.rows_blocking();
                    let _worker = tokio::runtime::Handle::current()
                        .block_on(state.workers.clone().acquire_owned())
                        .map_err(|_| JobError::ShuttingDown)?;
                    guarded(state, || answer.finish_rows(served(state, &model), rows?))
                }
                Queued::Alone(prepared, direct) => {
                    // A direct run holds a runner's place, which bounds the model runs: its
                    // pool slot goes to the next request, which then queues behind it and
                    // batches (as a batched request's does while it waits).
                    let _worker = if direct.is_some() {
                        drop(worker);
                        None
                    } else {
                        Some(worker)
                    };
                    serve_alone(state, &model, prepared, direct)
                }
            }
        });
        task.await.map_err(|_| JobError::Internal)??
    };
    Ok((reply, slot))
}

/// A prepared request handed to the batcher, or back to run alone.
enum Queued<A> {
    /// In the batch queue: the outputs will come through the ticket.
    Batched(Ticket, A),
    /// Not batched (batching off, the model cannot be batched, more rows than a batch, or
    /// inputs that do not stack), or nothing to batch it with yet and a runner's place held
    /// for it (`Some`, released once it is answered): run it alone.
    Alone(Prepared<A>, Option<Direct>),
}

/// Runs a request alone and answers it; a runner's place it holds is let go once it is
/// answered, so the requests that queued behind it start.
fn serve_alone<A: Finish>(
    state: &AppState,
    model: &Model,
    prepared: Prepared<A>,
    direct: Option<Direct>,
) -> Result<A::Out, JobError> {
    let answer = guarded(state, || protocol::serve(served(state, model), prepared));
    drop(direct);
    answer
}

fn submit<A>(state: &AppState, prepared: Prepared<A>) -> Queued<A> {
    let Some(batcher) = state.batcher.get() else {
        return Queued::Alone(prepared, None);
    };
    let Prepared {
        inputs,
        rows,
        answer,
    } = prepared;
    let (inputs, direct) = match batcher.submit_or_run(inputs) {
        Submitted::Queued(ticket) => return Queued::Batched(ticket, answer),
        Submitted::Alone(inputs) => (inputs, None),
        Submitted::Now(inputs, direct) => (inputs, Some(direct)),
    };
    let prepared = Prepared {
        inputs,
        rows,
        answer,
    };
    Queued::Alone(prepared, direct)
}

/// Testing only (`--test-panic-on-infer`): panic where a request is parsed.
fn test_panic(state: &AppState) {
    if state.settings.test_panic_on_infer {
        panic!("test panic (--test-panic-on-infer)");
    }
}

/// Runs a part of a request's job; a panic (in tract, say) fails this request only: the
/// panic hook has logged it, and the server keeps serving. An output refused for its size is
/// counted.
fn guarded<R>(
    state: &AppState,
    part: impl FnOnce() -> Result<R, RequestError>,
) -> Result<R, JobError> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(part)) {
        Ok(result) => result.map_err(|e| {
            if matches!(e, RequestError::OutputTooLarge { .. }) {
                state.metrics.rejected(Rejection::OutputTooLarge);
            }
            JobError::Request(e)
        }),
        Err(_) => Err(JobError::Internal),
    }
}

/// What a request of this server is served with.
pub fn served<'a>(state: &'a AppState, model: &'a Model) -> Served<'a> {
    Served {
        model,
        name: &state.settings.model_name,
        version: &state.settings.model_version,
        metrics: &state.metrics,
        max_output_bytes: state.settings.max_output_bytes,
    }
}
