//! Dynamic batching: requests whose inputs stack on the batch (first) dimension wait in one
//! queue and run together, up to `--batch-max-size` rows, then are split back per request.
//!
//! - **One queue per model**, bounded (admission keeps it below `--max-concurrency` anyway),
//!   behind one mutex held only to push or take entries.
//! - **Runners**: at most `threads` batches run at once. A request that finds fewer runners
//!   spawns one (an async task, on the same runtime thread at low load); a runner takes the
//!   oldest request and every queued request with the same shape after the batch dimension,
//!   up to the row limit, runs them, answers each, and takes the next batch until the queue
//!   is empty. A batch cheap enough (a fast model, few rows) runs on the runner's own thread,
//!   as unbatched small requests do; a longer one on the blocking pool.
//! - **Queue delay** `0` (the default) never waits: a batch is what queued while the runners
//!   were busy, so a lone request runs at once and load alone makes batches grow (Triton's
//!   semantics). A delay `d > 0` holds the oldest request up to `d` for batch-mates, or less
//!   when the batch fills; that wait runs on a blocking thread with a condition variable
//!   (microsecond precision, no polling), never on the async runtime.
//! - **Errors stay per request**: requests are validated before they queue; when a batched
//!   run fails or panics, each member runs again alone and gets its own answer. A request
//!   whose client went away is dropped from the queue unrun.

use std::collections::VecDeque;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::oneshot;
use tract_onnx::prelude::{Datum, DatumType, TVec, Tensor};

use crate::model::RunError;

/// How the batcher batches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchConfig {
    /// The most rows one model execution takes (`--batch-max-size`).
    pub max_rows: usize,
    /// The most the oldest queued request waits for batch-mates
    /// (`--batch-queue-delay-micros`).
    pub max_delay: Duration,
    /// Batches running at once (`--threads`).
    pub runners: usize,
    /// Requests queued at most; more run alone (admission keeps the queue below this).
    pub capacity: usize,
}

/// What runs the model for the batcher, and records what happens.
pub trait Engine: Send + Sync + 'static {
    /// Runs the model on inputs in model order. Blocking and CPU-bound.
    fn run(&self, inputs: Vec<Tensor>) -> Result<Vec<Tensor>, RunError>;
    /// Whether a batch of `rows` rows is short enough to run on an async runtime thread.
    fn inline(&self, rows: usize) -> bool;
    /// A request waited this long in the queue before its batch started.
    fn queued(&self, waited: Duration);
    /// Requests waiting in the queue now.
    fn depth(&self, depth: usize);
    /// A batched run failed; its members run again one by one.
    fn batch_failed(&self, rows: usize, error: &str);
}

/// The model's outputs for one request, in model order, or why it failed.
pub type Outcome = Result<Vec<Tensor>, RunError>;

/// A request's share of a model run: its rows of every output (all of them when it ran
/// alone), in model order. Batch-mates share the outputs of their run: nothing is cut or
/// copied until the answer asks for it, and the common answer (a float output written as
/// JSON) reads its rows in place.
#[derive(Debug, Clone)]
pub struct Rows {
    outputs: Arc<Vec<Tensor>>,
    /// The first row and the number of rows; `None`: every row (the request ran alone).
    range: Option<(usize, usize)>,
}

impl Rows {
    /// The outputs of a request that ran alone.
    pub fn alone(outputs: Vec<Tensor>) -> Rows {
        Rows {
            outputs: Arc::new(outputs),
            range: None,
        }
    }

    /// Every output cut to this request's rows (a copy each when the run was shared).
    pub fn into_tensors(self) -> Outcome {
        match self.range {
            None => Ok(Arc::try_unwrap(self.outputs).unwrap_or_else(|shared| (*shared).clone())),
            Some((start, n)) => self
                .outputs
                .iter()
                .enumerate()
                .map(|(ix, output)| {
                    output.slice(0, start, start + n).map_err(|e| {
                        RunError::Execution(format!("cannot split output {ix}: {e:#}"))
                    })
                })
                .collect(),
        }
    }

    /// The datatype of output `ix`.
    pub fn datum_type(&self, ix: usize) -> Option<DatumType> {
        self.outputs.get(ix).map(Tensor::datum_type)
    }

    /// This request's elements of output `ix` (row-major) and their shape, read in place;
    /// `None` when the output is not of type `T`.
    pub fn elements<T: Datum>(&self, ix: usize) -> Option<(&[T], TVec<usize>)> {
        let output = self.outputs.get(ix)?;
        let data = output.as_plain_ram()?.as_slice::<T>().ok()?;
        let mut shape: TVec<usize> = output.shape().iter().copied().collect();
        let Some((start, n)) = self.range else {
            return Some((data, shape));
        };
        let row = shape
            .get(1..)?
            .iter()
            .try_fold(1usize, |a, &d| a.checked_mul(d))?;
        let data = data.get(start.checked_mul(row)?..(start + n).checked_mul(row)?)?;
        shape[0] = n;
        Some((data, shape))
    }
}

/// Requests that may share a run: equal datatypes and equal shapes after the first
/// dimension, for every input. Inline up to 4 inputs of rank 5 (no allocation).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Key(TVec<(DatumType, TVec<usize>)>);

impl Key {
    /// The key and the rows of a request's inputs, or `None` when they do not all share one
    /// first dimension (a request that cannot be stacked).
    fn of(inputs: &[Tensor]) -> Option<(Key, usize)> {
        let rows = *inputs.first()?.shape().first()?;
        let mut key = TVec::with_capacity(inputs.len());
        for t in inputs {
            let (&first, rest) = t.shape().split_first()?;
            if first != rows {
                return None;
            }
            key.push((t.datum_type(), rest.iter().copied().collect()));
        }
        Some((Key(key), rows))
    }
}

/// A queued request.
struct Pending {
    key: Key,
    rows: usize,
    inputs: Vec<Tensor>,
    enqueued: Instant,
    reply: oneshot::Sender<Result<Rows, RunError>>,
}

#[derive(Default)]
struct Queue {
    pending: VecDeque<Pending>,
    /// Runners alive (running a batch, or about to take one).
    runners: usize,
}

/// What a runner should do next.
enum Next {
    /// The queue is empty: stop.
    Stop,
    /// A batch is ready: take it.
    Take,
    /// The oldest request may wait for batch-mates until then.
    Wait(Instant),
}

struct Shared {
    queue: Mutex<Queue>,
    /// Signalled on every new request, for a runner waiting out the queue delay.
    arrived: Condvar,
    config: BatchConfig,
    engine: Arc<dyn Engine>,
}

/// The batcher of one model. Cheap to clone.
#[derive(Clone)]
pub struct Batcher {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Batcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Batcher")
            .field("config", &self.shared.config)
            .finish_non_exhaustive()
    }
}

/// A queued request's answer to come.
#[derive(Debug)]
pub struct Ticket(oneshot::Receiver<Result<Rows, RunError>>);

impl Ticket {
    /// Waits for the request's rows of the outputs (async).
    pub async fn rows(self) -> Result<Rows, RunError> {
        self.0.await.unwrap_or_else(|_| Err(stopped()))
    }

    /// Waits for the request's rows of the outputs, blocking the thread (call it off the
    /// async runtime).
    pub fn rows_blocking(self) -> Result<Rows, RunError> {
        self.0.blocking_recv().unwrap_or_else(|_| Err(stopped()))
    }

    /// Waits for the outputs, cut to the request's rows.
    #[cfg(test)]
    pub async fn outputs(self) -> Outcome {
        self.rows().await?.into_tensors()
    }
}

fn stopped() -> RunError {
    RunError::Execution("the batch runner stopped before answering".to_owned())
}

/// What [`Batcher::submit_or_run`] did with a request.
#[derive(Debug)]
pub enum Submitted {
    /// Queued for a batch: the answer comes through the ticket.
    Queued(Ticket),
    /// Run it alone: it cannot be batched (more rows than a batch, inputs without one shared
    /// first dimension) or the queue is full.
    Alone(Vec<Tensor>),
    /// Run it now, holding a runner's place until it is answered (drop the [`Direct`] then):
    /// the batcher was idle and there is no queue delay to wait out.
    Now(Vec<Tensor>, Direct),
}

/// A runner's place taken by a request that runs at once. Requests that arrive meanwhile
/// queue behind it; when it is dropped, a runner starts for them (or the place is freed).
pub struct Direct {
    _place: Running,
}

impl std::fmt::Debug for Direct {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Direct")
    }
}

impl Batcher {
    /// A batcher running the model through `engine`.
    pub fn new(config: BatchConfig, engine: Arc<dyn Engine>) -> Batcher {
        Batcher {
            shared: Arc::new(Shared {
                queue: Mutex::new(Queue::default()),
                arrived: Condvar::new(),
                config: BatchConfig {
                    max_rows: config.max_rows.max(1),
                    runners: config.runners.max(1),
                    ..config
                },
                engine,
            }),
        }
    }

    /// Like [`submit`](Self::submit), but a request that finds the batcher idle (nothing
    /// queued, no runner), with no queue delay configured, is handed back to run at once
    /// ([`Submitted::Now`]) holding a runner's place: a lone request pays no hand-over to a
    /// runner task (what kept batching from being free at concurrency 1). Under load the
    /// batcher is rarely idle, so requests queue and batch as before; one arriving while a
    /// direct run holds the place queues behind it.
    pub fn submit_or_run(&self, inputs: Vec<Tensor>) -> Submitted {
        let shared = &self.shared;
        if shared.config.max_delay.is_zero()
            && Key::of(&inputs).is_some_and(|(_, rows)| rows > 0 && rows <= shared.config.max_rows)
        {
            let mut q = shared.lock();
            if q.pending.is_empty() && q.runners == 0 {
                q.runners += 1;
                drop(q);
                shared.engine.queued(Duration::ZERO);
                return Submitted::Now(
                    inputs,
                    Direct {
                        _place: Running(shared.clone()),
                    },
                );
            }
        }
        match self.submit(inputs) {
            Ok(ticket) => Submitted::Queued(ticket),
            Err(inputs) => Submitted::Alone(inputs),
        }
    }

    /// Queues a validated request (inputs in model order) for a batch, or gives its inputs
    /// back when it must run alone: more rows than a batch takes, inputs without one shared
    /// first dimension, or a full queue. Call it on the async runtime or one of its blocking
    /// threads (it may spawn a runner).
    pub fn submit(&self, inputs: Vec<Tensor>) -> Result<Ticket, Vec<Tensor>> {
        let shared = &self.shared;
        let Some((key, rows)) = Key::of(&inputs) else {
            return Err(inputs);
        };
        if rows == 0 || rows > shared.config.max_rows {
            return Err(inputs);
        }
        let (tx, rx) = oneshot::channel();
        let spawn = {
            let mut q = shared.lock();
            if q.pending.len() >= shared.config.capacity {
                return Err(inputs);
            }
            q.pending.push_back(Pending {
                key,
                rows,
                inputs,
                enqueued: Instant::now(),
                reply: tx,
            });
            shared.engine.depth(q.pending.len());
            let spawn = q.runners < shared.config.runners;
            if spawn {
                q.runners += 1;
            }
            spawn
        };
        if spawn {
            tokio::spawn(runner(shared.clone()));
        } else if !shared.config.max_delay.is_zero() {
            shared.arrived.notify_all();
        }
        Ok(Ticket(rx))
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        // Nothing panics under this lock; a poisoned queue is still consistent.
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether the queue has a batch ready at `now`.
    fn next(&self, q: &Queue, now: Instant) -> Next {
        let Some(oldest) = q.pending.front() else {
            return Next::Stop;
        };
        if self.config.max_delay.is_zero() {
            return Next::Take;
        }
        let rows: usize = q
            .pending
            .iter()
            .filter(|p| p.key == oldest.key)
            .map(|p| p.rows)
            .sum();
        let deadline = oldest.enqueued + self.config.max_delay;
        if rows >= self.config.max_rows || now >= deadline {
            Next::Take
        } else {
            Next::Wait(deadline)
        }
    }

    /// Takes the oldest request and, in queue order, every other with its key that still
    /// fits in the row limit. Requests whose client is gone are dropped on the way.
    fn take(&self, q: &mut Queue) -> Vec<Pending> {
        let mut batch: Vec<Pending> = Vec::new();
        let mut rows = 0;
        let mut i = 0;
        while i < q.pending.len() && rows < self.config.max_rows {
            let p = &q.pending[i];
            if p.reply.is_closed() {
                q.pending.remove(i);
                continue;
            }
            let fits = batch.first().is_none_or(|first| first.key == p.key)
                && rows + p.rows <= self.config.max_rows;
            if fits {
                rows += p.rows;
                batch.extend(q.pending.remove(i));
            } else {
                i += 1;
            }
        }
        self.engine.depth(q.pending.len());
        batch
    }

    /// On a blocking thread: waits out the queue delay (or until the batch fills), then takes
    /// a batch; `None` when the queue emptied.
    fn wait_and_take(&self) -> Option<Vec<Pending>> {
        let mut q = self.lock();
        loop {
            let now = Instant::now();
            match self.next(&q, now) {
                Next::Stop => return None,
                Next::Take => return Some(self.take(&mut q)),
                Next::Wait(deadline) => {
                    q = self
                        .arrived
                        .wait_timeout(q, deadline - now)
                        .unwrap_or_else(PoisonError::into_inner)
                        .0;
                }
            }
        }
    }

    /// Runs one batch and answers every member.
    fn execute(&self, mut batch: Vec<Pending>) {
        let start = Instant::now();
        for p in &batch {
            self.engine
                .queued(start.saturating_duration_since(p.enqueued));
        }
        if batch.len() <= 1 {
            if let Some(p) = batch.pop() {
                let outcome = self.run(p.inputs).map(Rows::alone);
                let _ = p.reply.send(outcome);
            }
            return;
        }
        let rows: Vec<usize> = batch.iter().map(|p| p.rows).collect();
        let total: usize = rows.iter().sum();
        let stacked = (0..batch[0].inputs.len())
            .map(|ix| {
                let parts: Vec<&Tensor> = batch.iter().map(|p| &p.inputs[ix]).collect();
                Tensor::stack_tensors(0, &parts)
                    .map_err(|e| RunError::Execution(format!("cannot stack the batch: {e:#}")))
            })
            .collect::<Result<Vec<_>, _>>();
        let split = stacked
            .and_then(|inputs| self.run(inputs))
            .and_then(|outputs| split(outputs, &rows));
        match split {
            Ok(parts) => {
                for (p, part) in batch.into_iter().zip(parts) {
                    let _ = p.reply.send(Ok(part));
                }
            }
            Err(e) => {
                self.engine.batch_failed(total, &e.to_string());
                for p in batch {
                    let outcome = self.run(p.inputs).map(Rows::alone);
                    let _ = p.reply.send(outcome);
                }
            }
        }
    }

    /// One model execution; a panic (the hook has logged it) fails this execution only.
    fn run(&self, inputs: Vec<Tensor>) -> Outcome {
        catch_unwind(AssertUnwindSafe(|| self.engine.run(inputs)))
            .unwrap_or_else(|_| Err(RunError::Panicked))
    }
}

/// Each request's rows of every output, in batch order: the outputs shared, each request
/// told its rows. Every output must have the batch's rows first.
fn split(outputs: Vec<Tensor>, rows: &[usize]) -> Result<Vec<Rows>, RunError> {
    let total: usize = rows.iter().sum();
    for (ix, output) in outputs.iter().enumerate() {
        if output.shape().first() != Some(&total) {
            return Err(RunError::Execution(format!(
                "output {ix} of a batch of {total} rows has shape {:?}",
                output.shape()
            )));
        }
    }
    let outputs = Arc::new(outputs);
    let mut start = 0;
    Ok(rows
        .iter()
        .map(|&n| {
            let part = Rows {
                outputs: outputs.clone(),
                range: Some((start, n)),
            };
            start += n;
            part
        })
        .collect())
}

/// A runner alive: counted in `Queue::runners` from its spawn until this is dropped, however
/// the runner ends (queue empty, the runtime shutting down, or a panic outside the model run).
/// On drop, a runner starts again if requests are left and no other runner is there for them.
struct Running(Arc<Shared>);

impl Drop for Running {
    fn drop(&mut self) {
        let shared = &self.0;
        let again = {
            let mut q = shared.lock();
            // Requests left (queued after this runner found the queue empty, or left by a
            // runner that died): they may have found every runner taken, so this runner's
            // place goes to a new one.
            let again = !q.pending.is_empty();
            if !again {
                q.runners -= 1;
            }
            again
        };
        if again {
            match tokio::runtime::Handle::try_current() {
                Ok(handle) => {
                    handle.spawn(runner(shared.clone()));
                }
                Err(_) => shared.lock().runners -= 1,
            }
        }
    }
}

/// A runner: takes and runs batches until the queue is empty.
async fn runner(shared: Arc<Shared>) {
    let _running = Running(shared.clone());
    loop {
        let ready = {
            let mut q = shared.lock();
            match shared.next(&q, Instant::now()) {
                Next::Stop => return,
                Next::Take => Some(shared.take(&mut q)),
                Next::Wait(_) => None,
            }
        };
        match ready {
            Some(batch) if shared.engine.inline(batch.iter().map(|p| p.rows).sum()) => {
                shared.execute(batch);
                // Let this thread's other tasks (connections) run between batches.
                tokio::task::yield_now().await;
            }
            ready => {
                let on_pool = shared.clone();
                let turn = tokio::task::spawn_blocking(move || {
                    let batch = match ready {
                        Some(batch) => batch,
                        None => match on_pool.wait_and_take() {
                            Some(batch) => batch,
                            None => return false,
                        },
                    };
                    on_pool.execute(batch);
                    true
                })
                .await;
                // Stopped, or the runtime is shutting down, or the turn panicked outside the
                // model run (its requests were answered with an error as their senders
                // dropped): `Running` takes care of the count.
                if !matches!(turn, Ok(true)) {
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    /// A row-wise model for the tests: `out = 2·x + 1` and `sum = Σ row`; a row holding 0.5
    /// makes the whole run fail and a row holding 0.25 makes it panic (test inputs are
    /// otherwise whole numbers) (what a bad batch-mate
    /// could do to a batch).
    struct Fake {
        runs: Mutex<Vec<usize>>,
        inline: bool,
        waited: Mutex<Vec<Duration>>,
        failed: AtomicBool,
        depth_calls: AtomicUsize,
        /// The call of `depth` that panics (0: none).
        panic_at_depth_call: AtomicUsize,
    }

    impl Fake {
        fn new(inline: bool) -> Arc<Fake> {
            Arc::new(Fake {
                runs: Mutex::new(Vec::new()),
                inline,
                waited: Mutex::new(Vec::new()),
                failed: AtomicBool::new(false),
                depth_calls: AtomicUsize::new(0),
                panic_at_depth_call: AtomicUsize::new(0),
            })
        }
    }

    impl Engine for Fake {
        fn run(&self, inputs: Vec<Tensor>) -> Result<Vec<Tensor>, RunError> {
            let x = &inputs[0];
            let (rows, width) = (x.shape()[0], x.shape()[1]);
            self.runs.lock().unwrap().push(rows);
            let v: Vec<f32> = x
                .to_plain_array_view::<f32>()
                .unwrap()
                .iter()
                .copied()
                .collect();
            if v.contains(&0.25) {
                panic!("fake model panics");
            }
            if v.contains(&0.5) {
                return Err(RunError::Execution("fake model fails".into()));
            }
            let out: Vec<f32> = v.iter().map(|a| 2.0 * a + 1.0).collect();
            let sum: Vec<f32> = v.chunks(width).map(|r| r.iter().sum()).collect();
            Ok(vec![
                Tensor::from_shape(&[rows, width], &out).unwrap(),
                Tensor::from_shape(&[rows], &sum).unwrap(),
            ])
        }
        fn inline(&self, _rows: usize) -> bool {
            self.inline
        }
        fn queued(&self, waited: Duration) {
            self.waited.lock().unwrap().push(waited);
        }
        fn depth(&self, _depth: usize) {
            let call = self.depth_calls.fetch_add(1, Ordering::SeqCst) + 1;
            if call == self.panic_at_depth_call.load(Ordering::SeqCst) {
                panic!("fake bookkeeping panics once");
            }
        }
        fn batch_failed(&self, _rows: usize, _error: &str) {
            self.failed.store(true, Ordering::SeqCst);
        }
    }

    /// A batch member reads its rows of a shared output in place, and gets the same rows
    /// when it asks for tensors.
    #[test]
    fn rows_read_in_place_match_the_cut_tensors() {
        let out = Tensor::from_shape(&[3, 2], &[1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0]).unwrap();
        let sums = Tensor::from_shape(&[3], &[3.0f32, 7.0, 11.0]).unwrap();
        let parts = split(vec![out, sums], &[1, 2]).unwrap();
        let (data, shape) = parts[1].elements::<f32>(0).unwrap();
        assert_eq!(
            (data, shape.as_slice()),
            (&[3.0, 4.0, 5.0, 6.0][..], &[2, 2][..])
        );
        assert!(parts[1].elements::<f64>(0).is_none());
        assert_eq!(parts[1].datum_type(1), Some(DatumType::F32));
        let cut = parts[1].clone().into_tensors().unwrap();
        assert_eq!(cut[0].shape(), &[2, 2]);
        assert_eq!(cut[1], Tensor::from_shape(&[2], &[7.0f32, 11.0]).unwrap());
        let (data, _) = parts[0].elements::<f32>(1).unwrap();
        assert_eq!(data, &[3.0]);
        assert!(split(vec![Tensor::zero::<f32>(&[2]).unwrap()], &[1, 2]).is_err());
    }

    fn config(max_rows: usize, delay_us: u64) -> BatchConfig {
        BatchConfig {
            max_rows,
            max_delay: Duration::from_micros(delay_us),
            runners: 1,
            capacity: 64,
        }
    }

    /// `rows` rows of width `width` starting at `first`.
    fn input(rows: usize, width: usize, first: f32) -> Vec<Tensor> {
        let v: Vec<f32> = (0..rows * width).map(|i| first + i as f32).collect();
        vec![Tensor::from_shape(&[rows, width], &v).unwrap()]
    }

    /// What the fake model gives for one request run alone.
    fn expected(inputs: &[Tensor]) -> Vec<Tensor> {
        Fake::new(true).run(inputs.to_vec()).unwrap()
    }

    /// Submits every request before the runner gets a turn (one runtime thread), so the
    /// queue holds them all when it looks.
    async fn submit_all(batcher: &Batcher, requests: &[Vec<Tensor>]) -> Vec<Outcome> {
        let tickets: Vec<_> = requests
            .iter()
            .map(|r| batcher.submit(r.clone()).expect("queued"))
            .collect();
        let mut out = Vec::new();
        for t in tickets {
            out.push(t.outputs().await);
        }
        out
    }

    #[tokio::test(flavor = "current_thread")]
    async fn stacks_requests_and_splits_the_answers_back() {
        let fake = Fake::new(true);
        let batcher = Batcher::new(config(64, 0), fake.clone());
        let requests: Vec<_> = (1..=5).map(|n| input(n, 3, 10.0 * n as f32)).collect();
        let answers = submit_all(&batcher, &requests).await;
        for (request, answer) in requests.iter().zip(answers) {
            assert_eq!(answer.unwrap(), expected(request));
        }
        assert_eq!(
            *fake.runs.lock().unwrap(),
            [15],
            "one run of 1+2+3+4+5 rows"
        );
        assert_eq!(fake.waited.lock().unwrap().len(), 5);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn batches_stop_at_the_row_limit_and_keep_queue_order() {
        let fake = Fake::new(true);
        let batcher = Batcher::new(config(4, 0), fake.clone());
        // 3 rows, then 2 (does not fit with 3), then 1 (fits), then 2.
        let requests = vec![
            input(3, 2, 0.0),
            input(2, 2, 100.0),
            input(1, 2, 200.0),
            input(2, 2, 300.0),
        ];
        let answers = submit_all(&batcher, &requests).await;
        for (request, answer) in requests.iter().zip(answers) {
            assert_eq!(answer.unwrap(), expected(request));
        }
        assert_eq!(*fake.runs.lock().unwrap(), [4, 4]);
        // More rows than a batch takes: run alone by the caller.
        assert!(batcher.submit(input(5, 2, 0.0)).is_err());
    }

    /// A lone request runs at once on its caller; requests arriving while it holds the only
    /// place queue, and run as one batch when it lets go.
    #[tokio::test(flavor = "current_thread")]
    async fn a_lone_request_runs_at_once_and_the_next_ones_queue_behind_it() {
        let fake = Fake::new(true);
        let batcher = Batcher::new(config(8, 0), fake.clone());
        let Submitted::Now(first, direct) = batcher.submit_or_run(input(1, 2, 0.0)) else {
            panic!("an idle batcher hands a lone request back");
        };
        let queued: Vec<Ticket> = (1..=2)
            .map(
                |i| match batcher.submit_or_run(input(1, 2, 10.0 * i as f32)) {
                    Submitted::Queued(ticket) => ticket,
                    other => panic!("the place is taken, so it queues: {other:?}"),
                },
            )
            .collect();
        assert_eq!(fake.run(first.clone()).unwrap(), expected(&first));
        drop(direct);
        for (i, ticket) in queued.into_iter().enumerate() {
            let expect = expected(&input(1, 2, 10.0 * (i + 1) as f32));
            assert_eq!(ticket.outputs().await.unwrap(), expect);
        }
        // The caller's own run, then the two queued requests as one batch.
        assert_eq!(*fake.runs.lock().unwrap(), [1, 2]);
        // With a queue delay, requests always queue (they may gain batch-mates).
        let delayed = Batcher::new(config(8, 100), Fake::new(true));
        assert!(matches!(
            delayed.submit_or_run(input(1, 2, 0.0)),
            Submitted::Queued(_)
        ));
    }

    #[tokio::test(flavor = "current_thread")]
    async fn different_shapes_do_not_share_a_run() {
        let fake = Fake::new(true);
        let batcher = Batcher::new(config(64, 0), fake.clone());
        let requests = vec![
            input(1, 3, 0.0),
            input(2, 4, 10.0),
            input(1, 3, 20.0),
            input(1, 4, 30.0),
        ];
        let answers = submit_all(&batcher, &requests).await;
        for (request, answer) in requests.iter().zip(answers) {
            assert_eq!(answer.unwrap(), expected(request));
        }
        // Width 3 first (rows 1 + 1), then width 4 (rows 2 + 1).
        assert_eq!(*fake.runs.lock().unwrap(), [2, 3]);
        // Inputs without one shared first dimension cannot be stacked.
        let mismatched = vec![
            Tensor::from_shape(&[2, 1], &[1f32, 2.0]).unwrap(),
            Tensor::from_shape(&[3, 1], &[1f32, 2.0, 3.0]).unwrap(),
        ];
        assert!(batcher.submit(mismatched).is_err());
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_failing_or_panicking_member_fails_alone() {
        for poison in [0.5, 0.25] {
            let fake = Fake::new(true);
            let batcher = Batcher::new(config(64, 0), fake.clone());
            let mut bad = input(2, 2, 0.0);
            bad[0]
                .try_as_plain_ram_mut()
                .unwrap()
                .as_slice_mut::<f32>()
                .unwrap()[3] = poison;
            let requests = vec![input(1, 2, 50.0), bad, input(3, 2, 70.0)];
            let answers = submit_all(&batcher, &requests).await;
            assert!(fake.failed.load(Ordering::SeqCst), "the batched run failed");
            assert_eq!(answers[0].as_ref().unwrap(), &expected(&requests[0]));
            assert!(answers[1].is_err(), "{poison}");
            if poison == 0.25 {
                assert!(matches!(answers[1], Err(RunError::Panicked)));
            }
            assert_eq!(answers[2].as_ref().unwrap(), &expected(&requests[2]));
            // One batched run, then each member alone.
            assert_eq!(*fake.runs.lock().unwrap(), [6, 1, 2, 3]);
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn queue_delay_gathers_requests_that_arrive_apart() {
        let fake = Fake::new(false);
        let batcher = Batcher::new(config(3, 2_000_000), fake.clone());
        let start = Instant::now();
        let first = batcher.submit(input(1, 2, 0.0)).unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
        let second = batcher.submit(input(1, 2, 10.0)).unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
        // The third fills the batch: it runs at once, long before the 2 s delay.
        let third = batcher.submit(input(1, 2, 20.0)).unwrap();
        for (t, first_value) in [(first, 0.0), (second, 10.0), (third, 20.0)] {
            assert_eq!(
                t.outputs().await.unwrap(),
                expected(&input(1, 2, first_value))
            );
        }
        assert!(
            start.elapsed() < Duration::from_secs(1),
            "{:?}",
            start.elapsed()
        );
        assert_eq!(*fake.runs.lock().unwrap(), [3]);
        let waited = fake.waited.lock().unwrap().clone();
        assert!(waited[0] >= Duration::from_millis(40), "{waited:?}");

        // Alone, a request waits the whole delay and no more than that (plus scheduling).
        let batcher = Batcher::new(config(8, 30_000), fake.clone());
        let start = Instant::now();
        let alone = batcher.submit(input(1, 2, 5.0)).unwrap();
        assert_eq!(alone.outputs().await.unwrap(), expected(&input(1, 2, 5.0)));
        let took = start.elapsed();
        assert!(
            took >= Duration::from_millis(30) && took < Duration::from_millis(500),
            "{took:?}"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_requests_all_get_their_own_rows() {
        let fake = Fake::new(false);
        let batcher = Batcher::new(
            BatchConfig {
                runners: 2,
                capacity: 256,
                ..config(16, 0)
            },
            fake.clone(),
        );
        let mut tasks = Vec::new();
        for i in 0..200 {
            let b = batcher.clone();
            tasks.push(tokio::spawn(async move {
                let request = input(1 + i % 4, 3, i as f32 * 100.0);
                let answer = b.submit(request.clone()).unwrap().outputs().await;
                (request, answer)
            }));
        }
        for task in tasks {
            let (request, answer) = task.await.unwrap();
            assert_eq!(answer.unwrap(), expected(&request));
        }
        let runs = fake.runs.lock().unwrap();
        assert_eq!(
            runs.iter().sum::<usize>(),
            (0..200usize).map(|i| 1 + i % 4).sum::<usize>()
        );
        assert!(runs.iter().all(|&r| r <= 16), "{runs:?}");
    }

    /// A runner that dies outside the model run (here: the queue-depth bookkeeping panics
    /// while it takes a batch) answers its batch with an error, and the next requests are
    /// still served: the runner count is given back and a runner starts again.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_runner_that_dies_is_replaced() {
        for inline in [true, false] {
            let fake = Fake::new(inline);
            let batcher = Batcher::new(config(64, 0), fake.clone());
            // The submit records the depth (call 1); the runner taking the batch (call 2)
            // panics.
            fake.panic_at_depth_call.store(2, Ordering::SeqCst);
            let ticket = batcher.submit(input(1, 2, 0.0)).unwrap();
            let lost = tokio::time::timeout(Duration::from_secs(10), ticket.outputs()).await;
            assert!(lost.expect("answered, not hung").is_err());
            for i in 0..3 {
                let request = input(2, 2, 10.0 * i as f32);
                let ticket = batcher.submit(request.clone()).unwrap();
                let answer = tokio::time::timeout(Duration::from_secs(10), ticket.outputs())
                    .await
                    .expect("a runner serves the queue again");
                assert_eq!(answer.unwrap(), expected(&request));
            }
        }
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_request_whose_client_left_is_not_run() {
        let fake = Fake::new(true);
        let batcher = Batcher::new(config(64, 0), fake.clone());
        let gone = batcher.submit(input(2, 2, 0.0)).unwrap();
        drop(gone);
        let kept = batcher.submit(input(1, 2, 9.0)).unwrap();
        assert_eq!(kept.outputs().await.unwrap(), expected(&input(1, 2, 9.0)));
        assert_eq!(*fake.runs.lock().unwrap(), [1]);
    }
}
