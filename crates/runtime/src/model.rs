//! The model: loaded once with tract, optimised into a shared plan, described, run.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use serde::Serialize;
use std::cell::RefCell;

use tract_onnx::prelude::{
    Framework, InferenceModelExt, SymbolValues, TDim, TValue, TVec, Tensor, TypedModel,
    TypedSimplePlan, TypedSimpleState,
};
use tract_onnx::tract_hir::internal::{GenericFactoid, IntoRunnable, IntoTensor};

use crate::tensor::DataType;

/// Why a model could not be loaded. Each of these makes the server exit non-zero.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file is missing or unreadable.
    #[error("cannot read model file {path}: {source}")]
    Read {
        /// The model path.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// tract could not parse the file as ONNX.
    #[error("{path} is not a valid ONNX model: {detail}")]
    Parse {
        /// The model path.
        path: String,
        /// tract's error chain.
        detail: String,
    },
    /// An input whose rank the model does not declare.
    #[error("input {input:?} has no declared rank; re-export the model with input shapes")]
    UnknownRank {
        /// The input name.
        input: String,
    },
    /// An input or output type the server cannot carry over JSON.
    #[error(
        "{kind} {name:?} has type {datum}, which the server does not support \
         (supported: BOOL, INT8-64, UINT8-64, FP32, FP64)"
    )]
    UnsupportedType {
        /// `input` or `output`.
        kind: &'static str,
        /// The tensor name.
        name: String,
        /// tract's name of the type.
        datum: String,
    },
    /// Type/shape analysis or optimisation failed.
    #[error("cannot optimise the model: {0}")]
    Optimize(String),
    /// Running the model once on zeros failed.
    #[error("warm-up inference failed: {0}")]
    WarmUp(String),
}

/// A request input that does not fit the model.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ShapeError {
    /// Wrong number of dimensions.
    #[error("input {name:?} expects shape {expected} ({rank} dimensions), got {got:?}")]
    Rank {
        /// The input name.
        name: String,
        /// The model's shape, `-1` for dynamic dimensions.
        expected: ShapeDisplay,
        /// The model's rank.
        rank: usize,
        /// The request's shape.
        got: Vec<usize>,
    },
    /// A fixed dimension with another size.
    #[error(
        "input {name:?} expects shape {expected}, got {got:?} (dimension {axis} must be {size})"
    )]
    Fixed {
        /// The input name.
        name: String,
        /// The model's shape, `-1` for dynamic dimensions.
        expected: ShapeDisplay,
        /// The request's shape.
        got: Vec<usize>,
        /// The offending axis.
        axis: usize,
        /// The size the model needs there.
        size: usize,
    },
    /// A dynamic dimension of size zero.
    #[error("input {name:?}: dimension {axis} ({symbol}) must be at least 1, got 0")]
    Empty {
        /// The input name.
        name: String,
        /// The offending axis.
        axis: usize,
        /// The model's symbol for it.
        symbol: String,
    },
    /// The same symbol bound to two sizes (e.g. two inputs with different batch sizes).
    #[error(
        "input {name:?}: dimension {axis} ({symbol}) is {got}, but another input already set \
         {symbol} to {bound}"
    )]
    Inconsistent {
        /// The input name.
        name: String,
        /// The offending axis.
        axis: usize,
        /// The model's symbol.
        symbol: String,
        /// Its size in this input.
        got: usize,
        /// Its size elsewhere.
        bound: usize,
    },
}

/// Why a model run failed after its inputs were accepted.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// tract returned an error.
    #[error("model execution failed: {0}")]
    Execution(String),
    /// The run panicked (logged by the panic hook); the server keeps serving.
    #[error("internal error while running the model")]
    Panicked,
}

/// One dimension of a declared tensor shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dim {
    /// A fixed size.
    Fixed(usize),
    /// A named dynamic size (`N`, `batch`, …) shared by every axis with that name.
    Symbol(String),
    /// A size computed from symbols (`N*2`), checked by tract at run time.
    Expr(String),
}

impl Dim {
    fn from_tdim(d: &TDim) -> Dim {
        match d {
            TDim::Sym(s) => Dim::Symbol(s.to_string()),
            other => match other.to_i64() {
                Ok(v) => Dim::Fixed(usize::try_from(v).unwrap_or(0)),
                Err(_) => Dim::Expr(other.to_string()),
            },
        }
    }

    /// The V2 metadata form: the size, or -1 when dynamic.
    pub fn v2(&self) -> i64 {
        match self {
            Dim::Fixed(v) => i64::try_from(*v).unwrap_or(i64::MAX),
            _ => -1,
        }
    }
}

/// A shape printed the V2 way, `[-1, 4]`.
#[derive(Debug, Clone, PartialEq)]
pub struct ShapeDisplay(pub Vec<i64>);

impl fmt::Display for ShapeDisplay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0)
    }
}

/// A named input or output with its declared type and shape.
#[derive(Debug, Clone, PartialEq)]
pub struct TensorSpec {
    /// The ONNX name.
    pub name: String,
    /// The element type.
    pub datatype: DataType,
    /// The declared shape.
    pub shape: Vec<Dim>,
}

impl TensorSpec {
    /// The shape in V2 metadata form.
    pub fn v2_shape(&self) -> Vec<i64> {
        self.shape.iter().map(Dim::v2).collect()
    }

    /// A concrete shape for warm-up: dynamic dimensions set to 1.
    fn sample_shape(&self) -> Vec<usize> {
        self.shape_with(1)
    }

    /// A concrete shape with every dynamic dimension set to `size`.
    fn shape_with(&self, size: usize) -> Vec<usize> {
        self.shape
            .iter()
            .map(|d| match d {
                Dim::Fixed(v) => *v,
                _ => size,
            })
            .collect()
    }
}

/// The V2 metadata of one tensor, as logged at start and served by `GET /v2/models/{name}`.
#[derive(Debug, Serialize)]
pub struct TensorMetadata<'a> {
    /// Name.
    pub name: &'a str,
    /// V2 datatype.
    pub datatype: &'static str,
    /// Shape, -1 for dynamic dimensions.
    pub shape: Vec<i64>,
}

impl<'a> From<&'a TensorSpec> for TensorMetadata<'a> {
    fn from(s: &'a TensorSpec) -> Self {
        TensorMetadata {
            name: &s.name,
            datatype: s.datatype.name(),
            shape: s.v2_shape(),
        }
    }
}

/// A loaded, optimised model. Cheap to share: the plan is behind an `Arc`.
pub struct Model {
    /// Inputs in the model's order.
    pub inputs: Vec<TensorSpec>,
    /// Outputs in the model's order.
    pub outputs: Vec<TensorSpec>,
    /// tract's input shapes (symbols included), to bind a request's sizes to symbols.
    input_dims: Vec<Vec<TDim>>,
    /// tract's output shapes, to compute a request's output size before running.
    output_dims: Vec<Vec<TDim>>,
    /// The output size as a polynomial of the one input symbol, when the shapes allow it
    /// (see [`OutputSize`]): what [`Model::output_bytes`] computes without tract's symbolic
    /// evaluation.
    output_size: Option<OutputSize>,
    /// Whether one row runs fast enough to run small requests on the async runtime's thread
    /// (measured at warm-up) instead of handing them to the inference pool.
    fast: bool,
    /// The best warm-up time of one row.
    row_time: std::time::Duration,
    /// Whether no op of the plan keeps state between runs, so that a thread can reuse one
    /// run state instead of building one per request.
    stateless: bool,
    /// Whether requests can be stacked on the first dimension and run together (see
    /// [`Model::batching`]); decided at load from the shapes and checked at warm-up.
    batching: Batching,
    plan: Arc<TypedSimplePlan>,
}

/// Whether a model can run several requests stacked on its first dimension, and if not why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Batching {
    /// Every input and output has the same dynamic first dimension, no other dimension
    /// depends on it, and rows run together give what they give alone.
    Stackable,
    /// Not stackable, for the reason given.
    No(String),
}

/// A thread's cached run state. tract keeps per-run scratch space in thread locals keyed by
/// the state's session: a state built per request pays for a new session each time (a fresh
/// scratch map for every matrix product), a reused one does not.
struct Cached(Option<(usize, TypedSimpleState)>);

impl Drop for Cached {
    /// Runs only when the thread exits. Dropping a state then would reach tract's thread
    /// locals, which may be gone already (a panic in a destructor aborts the process), so
    /// the state is left to the exiting thread's memory instead. The runtime's threads live
    /// as long as the server (see `main`).
    fn drop(&mut self) {
        if let Some(state) = self.0.take() {
            std::mem::forget(state);
        }
    }
}

thread_local! {
    /// Per thread: a run state of a stateless plan, keyed by the plan's address, reused from
    /// one request to the next (tract resets values and symbols after every run).
    static STATE: RefCell<Cached> = const { RefCell::new(Cached(None)) };
}

/// A one-row run at most this long makes a model fast (see [`Model::runs_inline`]).
const FAST_ROW: std::time::Duration = std::time::Duration::from_millis(1);
/// Bodies at most this long of a fast model run inline (JSON of about a thousand numbers: a
/// few rows of a wide model, a few hundred of a narrow one).
const INLINE_BODY_BYTES: usize = 16 * 1024;

impl fmt::Debug for Model {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Model")
            .field("inputs", &self.inputs)
            .field("outputs", &self.outputs)
            .finish_non_exhaustive()
    }
}

impl Model {
    /// Loads an ONNX file: parse, give unnamed dynamic input dimensions a symbol, type-check,
    /// optimise, and build the runnable plan. Does not run it (see [`Model::warm_up`]).
    pub fn load(path: &Path) -> Result<Model, LoadError> {
        let shown = path.display().to_string();
        std::fs::metadata(path).map_err(|source| LoadError::Read {
            path: shown.clone(),
            source,
        })?;
        let mut inference =
            tract_onnx::onnx()
                .model_for_path(path)
                .map_err(|e| LoadError::Parse {
                    path: shown.clone(),
                    detail: format!("{e:#}"),
                })?;
        // Unknown dimensions (`?`, `unk__0`) become fresh symbols, so tract can still plan a
        // dynamic batch instead of refusing the model.
        for ix in 0..inference.inputs.len() {
            let mut fact = inference
                .input_fact(ix)
                .map_err(|e| LoadError::Optimize(format!("{e:#}")))?
                .clone();
            let name = inference.node(inference.inputs[ix].node).name.clone();
            if fact.shape.is_open() {
                return Err(LoadError::UnknownRank { input: name });
            }
            let unknown: Vec<usize> = fact
                .shape
                .dims()
                .enumerate()
                .filter(|(_, d)| matches!(d, GenericFactoid::Any))
                .map(|(i, _)| i)
                .collect();
            if unknown.is_empty() {
                continue;
            }
            for axis in unknown {
                let sym = inference.new_sym_with_prefix("dim");
                fact.shape.set_dim(axis, TDim::Sym(sym));
            }
            inference
                .set_input_fact(ix, fact)
                .map_err(|e| LoadError::Optimize(format!("{e:#}")))?;
        }
        let typed = inference
            .into_typed()
            .map_err(|e| LoadError::Optimize(format!("{e:#}")))?;
        let (inputs, input_dims) = describe(&typed, true)?;
        let (outputs, output_dims) = describe(&typed, false)?;
        let plan = typed
            .into_optimized()
            .and_then(|m| m.into_runnable())
            .map_err(|e| LoadError::Optimize(format!("{e:#}")))?;
        let stateless = TypedSimpleState::new(&plan)
            .map(|state| state.op_states.iter().all(Option::is_none))
            .unwrap_or(false);
        let output_size = OutputSize::of(&input_dims, &output_dims, &outputs);
        let batching = match batch_symbol(&input_dims, &output_dims) {
            Ok(_) if !stateless => Batching::No("the model keeps state between runs".to_owned()),
            Ok(_) => Batching::Stackable,
            Err(why) => Batching::No(why),
        };
        Ok(Model {
            inputs,
            outputs,
            input_dims,
            output_size,
            output_dims,
            fast: false,
            row_time: std::time::Duration::ZERO,
            stateless,
            batching,
            plan,
        })
    }

    /// Runs the model on zeros with every dynamic dimension set to 1, so that the first
    /// request does not pay for lazy initialisation, and times it: a model whose row runs in
    /// under 1 ms, and whose outputs grow no faster than the batch, serves small requests
    /// without a thread hop.
    pub fn warm_up(&mut self) -> Result<(), LoadError> {
        self.warm_up_once()?;
        let mut best = std::time::Duration::MAX;
        for _ in 0..5 {
            let start = std::time::Instant::now();
            self.warm_up_once()?;
            best = best.min(start.elapsed());
        }
        self.row_time = best;
        // Outputs that grow faster than the batch (x·xᵀ) can make a small request expensive:
        // such a model never runs inline.
        let bytes = |size: usize| {
            let shapes: Vec<Vec<usize>> = self.inputs.iter().map(|s| s.shape_with(size)).collect();
            let shapes: Vec<&[usize]> = shapes.iter().map(Vec::as_slice).collect();
            self.output_bytes(&shapes)
        };
        let linear = matches!((bytes(1), bytes(2)), (Some(one), Some(two)) if two <= 2 * one);
        self.fast = linear && best <= FAST_ROW;
        if self.batching == Batching::Stackable
            && let Err(why) = self.check_rows_independent()
        {
            self.batching = Batching::No(why);
        }
        Ok(())
    }

    /// Whether requests can be stacked and run together, and if not why.
    pub fn batching(&self) -> &Batching {
        &self.batching
    }

    /// The shapes alone cannot tell a model that mixes rows (a mean over the batch, x·xᵀ
    /// reduced back to N rows): run three different rows together and alone, and refuse
    /// batching unless each row's outputs are the same both ways.
    fn check_rows_independent(&self) -> Result<(), String> {
        const ROWS: usize = 3;
        let sample = |rows: usize, first: usize| -> Result<Vec<Tensor>, String> {
            self.inputs
                .iter()
                .enumerate()
                .map(|(ix, spec)| {
                    let shape = spec.shape_with(1);
                    let mut shape = shape;
                    shape[0] = rows;
                    let n: usize = shape.iter().product();
                    let per_row = n / rows.max(1);
                    let values: Vec<f64> = (0..n)
                        .map(|i| probe_value(spec.datatype, ix, first * per_row + i))
                        .collect();
                    Tensor::from_shape(&shape, &values)
                        .and_then(|t| t.cast_to_dt(spec.datatype.datum()).map(|t| t.into_owned()))
                        .map_err(|e| format!("cannot build a probe input: {e:#}"))
                })
                .collect()
        };
        let together = self
            .run(sample(ROWS, 0)?)
            .map_err(|e| format!("a batch of {ROWS} rows failed: {e}"))?;
        for row in 0..ROWS {
            let alone = self
                .run(sample(1, row)?)
                .map_err(|e| format!("one row failed: {e}"))?;
            for (ix, (all, one)) in together.iter().zip(&alone).enumerate() {
                let part = all
                    .slice(0, row, row + 1)
                    .map_err(|e| format!("output {ix} has no row {row}: {e:#}"))?;
                if !same_values(&part, one) {
                    return Err(format!(
                        "output {:?} of a row differs when run with other rows: the model \
                         mixes rows",
                        self.outputs.get(ix).map_or("?", |o| o.name.as_str())
                    ));
                }
            }
        }
        Ok(())
    }

    /// The best warm-up time of one row.
    pub fn row_time(&self) -> std::time::Duration {
        self.row_time
    }

    /// Whether a batch of `rows` rows runs on the calling thread: the model is fast and the
    /// batch takes about as long as a hand-over to the inference pool would.
    pub fn batch_runs_inline(&self, rows: usize) -> bool {
        self.fast
            && self
                .row_time
                .saturating_mul(u32::try_from(rows).unwrap_or(u32::MAX))
                <= FAST_ROW
    }

    /// Whether a request with a body of `body_len` bytes runs on the calling thread: the model
    /// is fast and the request small, so the run takes about as long as a hand-over to the
    /// inference pool would.
    pub fn runs_inline(&self, body_len: usize) -> bool {
        self.fast && body_len <= INLINE_BODY_BYTES
    }

    /// The bytes of tensor data every output takes for a request of these input shapes (in
    /// model input order), or `None` when an output size cannot be known before running.
    pub fn output_bytes(&self, shapes: &[&[usize]]) -> Option<u128> {
        if let Some(size) = &self.output_size {
            return size.bytes(shapes);
        }
        let mut values = SymbolValues::default();
        for (dims, shape) in self.input_dims.iter().zip(shapes) {
            for (dim, &size) in dims.iter().zip(*shape) {
                if let TDim::Sym(sym) = dim {
                    values.set(sym, i64::try_from(size).ok()?);
                }
            }
        }
        let mut total: u128 = 0;
        for (dims, spec) in self.output_dims.iter().zip(&self.outputs) {
            let mut bytes = spec.datatype.size() as u128;
            for dim in dims {
                let size = dim.eval(&values).to_i64().ok()?;
                bytes = bytes.checked_mul(u128::try_from(size.max(0)).ok()?)?;
            }
            total = total.checked_add(bytes)?;
        }
        Some(total)
    }

    fn warm_up_once(&self) -> Result<(), LoadError> {
        let inputs = self
            .inputs
            .iter()
            .map(|spec| {
                Tensor::zero_dt(spec.datatype.datum(), &spec.sample_shape())
                    .map_err(|e| LoadError::WarmUp(format!("{e:#}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        self.run(inputs)
            .map(|_| ())
            .map_err(|e| LoadError::WarmUp(e.to_string()))
    }

    /// Checks request shapes (in model input order) against the declared shapes: ranks, fixed
    /// sizes, and one size per symbol across all inputs.
    pub fn check_shapes(&self, shapes: &[&[usize]]) -> Result<(), ShapeError> {
        // Symbols bound so far: a few at most, so a list (on the stack) beats a map.
        let mut bound: TVec<(&str, usize)> = TVec::new();
        for (spec, &got) in self.inputs.iter().zip(shapes) {
            let expected = || ShapeDisplay(spec.v2_shape());
            if got.len() != spec.shape.len() {
                return Err(ShapeError::Rank {
                    name: spec.name.clone(),
                    expected: expected(),
                    rank: spec.shape.len(),
                    got: got.to_vec(),
                });
            }
            for (axis, (dim, &size)) in spec.shape.iter().zip(got).enumerate() {
                match dim {
                    Dim::Fixed(want) if *want != size => {
                        return Err(ShapeError::Fixed {
                            name: spec.name.clone(),
                            expected: expected(),
                            got: got.to_vec(),
                            axis,
                            size: *want,
                        });
                    }
                    Dim::Fixed(_) | Dim::Expr(_) => {}
                    Dim::Symbol(symbol) => {
                        if size == 0 {
                            return Err(ShapeError::Empty {
                                name: spec.name.clone(),
                                axis,
                                symbol: symbol.clone(),
                            });
                        }
                        let prior = match bound.iter().find(|(s, _)| *s == symbol.as_str()) {
                            Some(&(_, prior)) => prior,
                            None => {
                                bound.push((symbol, size));
                                size
                            }
                        };
                        if prior != size {
                            return Err(ShapeError::Inconsistent {
                                name: spec.name.clone(),
                                axis,
                                symbol: symbol.clone(),
                                got: size,
                                bound: prior,
                            });
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// Runs the plan on inputs given in model order. Blocking and CPU-bound: call it off the
    /// async runtime.
    pub fn run(&self, inputs: Vec<Tensor>) -> Result<Vec<Tensor>, RunError> {
        let inputs = inputs.into_iter().map(TValue::from).collect();
        let outputs = if self.stateless {
            let key = Arc::as_ptr(&self.plan) as usize;
            // Taken out while it runs: a run that fails or panics drops it.
            let cached = STATE
                .try_with(|cell| cell.borrow_mut().0.take())
                .ok()
                .flatten()
                .filter(|(k, _)| *k == key);
            let mut state = match cached {
                Some((_, state)) => state,
                None => TypedSimpleState::new(&self.plan)
                    .map_err(|e| RunError::Execution(format!("{e:#}")))?,
            };
            let outputs = state
                .run(inputs)
                .map_err(|e| RunError::Execution(format!("{e:#}")))?;
            let _ = STATE.try_with(|cell| cell.borrow_mut().0 = Some((key, state)));
            outputs
        } else {
            self.plan
                .run(inputs)
                .map_err(|e| RunError::Execution(format!("{e:#}")))?
        };
        Ok(outputs.into_iter().map(TValue::into_tensor).collect())
    }

    /// The number of rows of a request: the first dimension of the first input, or 1.
    pub fn rows(shapes: &[&[usize]]) -> usize {
        shapes.first().and_then(|s| s.first()).copied().unwrap_or(1)
    }

    /// Position of an input or output by name.
    pub fn position(specs: &[TensorSpec], name: &str) -> Option<usize> {
        specs.iter().position(|s| s.name == name)
    }
}

/// The bytes of every output together as `Σ bytes × N^power` (one term per output), where
/// `N` is the one symbol of the input shapes, read from the request's shape at `at`: the
/// common case (a batch dimension, every other dimension fixed, outputs of fixed dimensions
/// and `N`), computed per request without tract's symbolic evaluation. Models with other
/// shapes (two symbols, expressions) evaluate the output shapes with tract instead.
#[derive(Debug, Clone, PartialEq)]
struct OutputSize {
    /// Where `N` is in the request's input shapes (input, axis); `None` without a symbol.
    at: Option<(usize, usize)>,
    /// Per output: fixed bytes (element size × fixed dimensions) and the power of `N`.
    terms: Vec<(u128, u32)>,
}

impl OutputSize {
    fn of(inputs: &[Vec<TDim>], outputs: &[Vec<TDim>], specs: &[TensorSpec]) -> Option<Self> {
        let mut symbol = None;
        let mut at = None;
        for (ix, dims) in inputs.iter().enumerate() {
            for (axis, dim) in dims.iter().enumerate() {
                match dim {
                    TDim::Sym(s) => match &symbol {
                        None => {
                            symbol = Some(s.clone());
                            at = Some((ix, axis));
                        }
                        Some(known) if known == s => {}
                        Some(_) => return None,
                    },
                    d => {
                        d.to_i64().ok()?;
                    }
                }
            }
        }
        let terms = outputs
            .iter()
            .zip(specs)
            .map(|(dims, spec)| {
                let mut bytes = spec.datatype.size() as u128;
                let mut power = 0u32;
                for dim in dims {
                    match (dim, &symbol) {
                        (TDim::Sym(s), Some(known)) if s == known => power += 1,
                        (d, _) => {
                            let size = d.to_i64().ok()?;
                            bytes = bytes.checked_mul(u128::try_from(size.max(0)).ok()?)?;
                        }
                    }
                }
                Some((bytes, power))
            })
            .collect::<Option<Vec<_>>>()?;
        Some(OutputSize { at, terms })
    }

    fn bytes(&self, shapes: &[&[usize]]) -> Option<u128> {
        let n = match self.at {
            Some((ix, axis)) => {
                let size = *shapes.get(ix)?.get(axis)?;
                i64::try_from(size).ok()?;
                size as u128
            }
            None => 0,
        };
        let mut total: u128 = 0;
        for &(bytes, power) in &self.terms {
            total = total.checked_add(bytes.checked_mul(n.checked_pow(power)?)?)?;
        }
        Some(total)
    }
}

/// A probe value for element `i` of input `input`: small integers for integer and boolean
/// types, varied fractions for floats, different for every row.
fn probe_value(datatype: DataType, input: usize, i: usize) -> f64 {
    let k = (i * 7 + input * 3 + 1) % 11;
    match datatype {
        DataType::Bool => (k % 2) as f64,
        DataType::F32 | DataType::F64 => (k as f64 - 5.0) / 4.0 + (i % 5) as f64 * 0.1,
        _ => (k % 4) as f64,
    }
}

/// Whether two tensors hold the same values: equal shapes, floats within 1e-5 (relative to
/// the larger magnitude, at least 1), other types equal.
pub fn same_values(a: &Tensor, b: &Tensor) -> bool {
    if a.shape() != b.shape() || a.datum_type() != b.datum_type() {
        return false;
    }
    let (Ok(x), Ok(y)) = (
        a.cast_to_dt(tract_onnx::prelude::DatumType::F64),
        b.cast_to_dt(tract_onnx::prelude::DatumType::F64),
    ) else {
        return a == b;
    };
    let (Ok(x), Ok(y)) = (
        x.to_plain_array_view::<f64>(),
        y.to_plain_array_view::<f64>(),
    ) else {
        return false;
    };
    x.iter().zip(y.iter()).all(|(p, q)| {
        (p.is_nan() && q.is_nan()) || (p - q).abs() <= 1e-5 * p.abs().max(q.abs()).max(1.0)
    })
}

/// The symbol of the batch dimension: the first dimension of every input and output is one
/// symbol, which no other dimension mentions. Otherwise why not.
fn batch_symbol(inputs: &[Vec<TDim>], outputs: &[Vec<TDim>]) -> Result<String, String> {
    let first = |dims: &[TDim]| match dims.first() {
        Some(TDim::Sym(s)) => Some(s.clone()),
        _ => None,
    };
    let Some(symbol) = inputs.first().and_then(|d| first(d)) else {
        return Err("the first input has no dynamic first dimension".to_owned());
    };
    for (kind, all) in [("input", inputs), ("output", outputs)] {
        for (ix, dims) in all.iter().enumerate() {
            if first(dims).as_ref() != Some(&symbol) {
                return Err(format!(
                    "{kind} {ix} does not have the batch dimension {symbol} first"
                ));
            }
            if dims[1..].iter().any(|d| d.symbols().contains(&symbol)) {
                return Err(format!(
                    "{kind} {ix} uses the batch dimension {symbol} beyond its first axis"
                ));
            }
        }
    }
    Ok(symbol.to_string())
}

type Described = (Vec<TensorSpec>, Vec<Vec<TDim>>);

fn describe(model: &TypedModel, inputs: bool) -> Result<Described, LoadError> {
    let (kind, outlets) = if inputs {
        ("input", &model.inputs)
    } else {
        ("output", &model.outputs)
    };
    outlets
        .iter()
        .map(|&outlet| {
            let name = model
                .outlet_label(outlet)
                .map(str::to_owned)
                .unwrap_or_else(|| model.node(outlet.node).name.clone());
            let fact = model
                .outlet_fact(outlet)
                .map_err(|e| LoadError::Optimize(format!("{e:#}")))?;
            let datatype = DataType::from_datum(fact.datum_type).ok_or_else(|| {
                LoadError::UnsupportedType {
                    kind,
                    name: name.clone(),
                    datum: format!("{:?}", fact.datum_type),
                }
            })?;
            let shape = fact.shape.dims().iter().map(Dim::from_tdim).collect();
            Ok((
                TensorSpec {
                    name,
                    datatype,
                    shape,
                },
                fact.shape.dims().to_vec(),
            ))
        })
        .collect::<Result<Vec<_>, LoadError>>()
        .map(|v| v.into_iter().unzip())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny() -> Model {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/models/tiny.onnx");
        Model::load(&path).unwrap()
    }

    #[test]
    fn loads_tiny_with_a_symbolic_batch() {
        let m = tiny();
        assert_eq!(m.inputs.len(), 1);
        assert_eq!(m.inputs[0].name, "input");
        assert_eq!(m.inputs[0].datatype, DataType::F32);
        assert_eq!(m.inputs[0].v2_shape(), vec![-1, 4]);
        let names: Vec<_> = m.outputs.iter().map(|o| o.name.as_str()).collect();
        assert_eq!(names, ["logits", "probabilities"]);
        let mut m = m;
        m.warm_up().unwrap();
        assert_eq!(m.output_bytes(&[&[3, 4]]), Some(2 * 3 * 3 * 4));
        let out = m.run(vec![Tensor::zero::<f32>(&[3, 4]).unwrap()]).unwrap();
        assert_eq!(out[0].shape(), &[3, 3]);
        // The reused run state takes other batch sizes, and gives what a fresh one gives.
        assert!(m.stateless);
        let x =
            Tensor::from_shape(&[2, 4], &[0.5f32, -1.0, 2.0, 0.25, 1.0, 2.0, 3.0, 4.0]).unwrap();
        let reused = m.run(vec![x.clone()]).unwrap();
        assert_eq!(reused[1].shape(), &[2, 3]);
        let fresh = m.plan.run(std::iter::once(x.into()).collect()).unwrap();
        assert_eq!(reused[1], *fresh[1]);
        let out = m.run(vec![Tensor::zero::<f32>(&[1, 4]).unwrap()]).unwrap();
        assert_eq!(out[0].shape(), &[1, 3]);
    }

    /// The output size computed without tract's symbolic evaluation is the evaluated one.
    #[test]
    fn output_size_shortcut_agrees_with_tract() {
        for file in ["tiny.onnx", "typed.onnx", "gram.onnx", "center.onnx"] {
            let path = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/models")
                .join(file);
            let mut m = Model::load(&path).unwrap();
            assert!(m.output_size.is_some(), "{file}");
            for n in [1usize, 2, 7, 1000, 1 << 40] {
                let shapes: Vec<Vec<usize>> = m.inputs.iter().map(|s| s.shape_with(n)).collect();
                let shapes: Vec<&[usize]> = shapes.iter().map(Vec::as_slice).collect();
                let fast = m.output_bytes(&shapes);
                let size = m.output_size.take();
                assert_eq!(fast, m.output_bytes(&shapes), "{file} N={n}");
                m.output_size = size;
            }
        }
    }

    #[test]
    fn shape_checks_say_what_was_expected() {
        let m = tiny();
        assert!(m.check_shapes(&[&[2, 4]]).is_ok());
        let e = m.check_shapes(&[&[2, 5]]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "input \"input\" expects shape [-1, 4], got [2, 5] (dimension 1 must be 4)"
        );
        let e = m.check_shapes(&[&[4]]).unwrap_err();
        assert!(matches!(e, ShapeError::Rank { rank: 2, .. }), "{e}");
        let e = m.check_shapes(&[&[0, 4]]).unwrap_err();
        assert!(matches!(e, ShapeError::Empty { .. }), "{e}");
    }

    #[test]
    fn output_size_is_known_before_running() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/models/gram.onnx");
        let mut m = Model::load(&path).unwrap();
        m.warm_up().unwrap();
        assert!(
            !m.runs_inline(10),
            "outputs grow with the square of the batch"
        );
        assert_eq!(m.output_bytes(&[&[1000, 1]]), Some(1000 * 1000 * 4));
        assert_eq!(m.output_bytes(&[&[100_000, 1]]), Some(40_000_000_000));
    }

    /// Batching needs one dynamic batch dimension first everywhere, and rows that do not
    /// see each other: tiny and typed (four inputs of four datatypes) batch; gram (N×N
    /// output) and center (each row minus the batch mean) do not.
    #[test]
    fn batching_only_for_models_whose_rows_are_independent() {
        let load = |file: &str| {
            let path = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/models")
                .join(file);
            let mut m = Model::load(&path).unwrap();
            m.warm_up().unwrap();
            m
        };
        assert_eq!(load("tiny.onnx").batching(), &Batching::Stackable);
        assert_eq!(load("typed.onnx").batching(), &Batching::Stackable);
        let Batching::No(why) = load("gram.onnx").batching().clone() else {
            panic!("gram.onnx must not batch");
        };
        assert!(why.contains("beyond its first axis"), "{why}");
        let Batching::No(why) = load("center.onnx").batching().clone() else {
            panic!("center.onnx must not batch");
        };
        assert!(why.contains("mixes rows"), "{why}");
    }

    #[test]
    fn missing_and_corrupt_files_are_load_errors() {
        let e = Model::load(Path::new("/nonexistent/model.onnx")).unwrap_err();
        assert!(matches!(e, LoadError::Read { .. }), "{e}");
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/models/make_models.py");
        let e = Model::load(&path).unwrap_err();
        assert!(matches!(e, LoadError::Parse { .. }), "{e}");
    }
}
