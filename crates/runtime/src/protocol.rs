//! The two request formats, V2 `infer` and the article's `/predict`: bytes in, model run,
//! bytes out. Pure apart from the model call, so the HTTP layer stays thin.
//!
//! V2 requests may use the Open Inference Protocol's binary tensor data extension: the JSON
//! part is the first `Inference-Header-Content-Length` bytes of the body, and each input with
//! a `binary_data_size` parameter takes that many bytes, in input order, from the rest.
//! Outputs asked for with `binary_data: true` (or every output, with the request parameter
//! `binary_data_output: true`) come back the same way; JSON stays the default.
//!
//! Client input repeated in error messages (names, datatypes) is clipped to
//! `MAX_ECHOED_INPUT_BYTES`; tensor values are never repeated.

use std::borrow::Cow;
use std::time::Instant;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::error::Category;
use slipway_contract::MAX_ECHOED_INPUT_BYTES;
use tract_onnx::prelude::{DatumType, TVec, Tensor};

use crate::batch::Rows;
use crate::metrics::Metrics;
use crate::model::{Model, RunError, ShapeDisplay, ShapeError, TensorSpec};
use crate::tensor::{self, Data, DataType, Nested, OutputError, TensorError};

/// Why a request could not be answered. Client errors become 400, the rest 500.
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    /// The body is not JSON.
    #[error("malformed JSON: {0}")]
    Json(String),
    /// JSON that is not a request of the expected form.
    #[error("invalid request: {0}")]
    Schema(String),
    /// An input the model does not have.
    #[error("unknown input {name:?}; the model's inputs are {expected}")]
    UnknownInput {
        /// The requested name.
        name: String,
        /// The model's inputs.
        expected: String,
    },
    /// An input given twice.
    #[error("input {0:?} is given more than once")]
    DuplicateInput(String),
    /// An input the request lacks.
    #[error("missing input {name:?}; the model's inputs are {expected}")]
    MissingInput {
        /// The missing name.
        name: String,
        /// The model's inputs.
        expected: String,
    },
    /// A datatype name the protocol or this server does not know.
    #[error("input {name:?} has unsupported datatype {got:?}; the model expects {expected}")]
    UnknownDatatype {
        /// The input name.
        name: String,
        /// The requested datatype.
        got: String,
        /// The model's datatype for that input.
        expected: DataType,
    },
    /// A datatype other than the model's.
    #[error("input {name:?} has datatype {got}, the model expects {expected}")]
    Datatype {
        /// The input name.
        name: String,
        /// The requested datatype.
        got: DataType,
        /// The model's datatype.
        expected: DataType,
    },
    /// A shape that does not fit the model.
    #[error(transparent)]
    Shape(#[from] ShapeError),
    /// Data that does not fit the shape or datatype.
    #[error("input {name:?}: {source}")]
    Data {
        /// The input name.
        name: String,
        /// What is wrong.
        #[source]
        source: TensorError,
    },
    /// An output the model does not have.
    #[error("unknown output {name:?}; the model's outputs are {expected}")]
    UnknownOutput {
        /// The requested name.
        name: String,
        /// The model's outputs.
        expected: String,
    },
    /// `/predict` on a model with several inputs.
    #[error(
        "/predict needs a model with exactly one input, this one has {0}; use POST \
         /v2/models/{{name}}/infer"
    )]
    PredictInputs(usize),
    /// `/predict` features nested neither as one row nor as a batch.
    #[error(
        "features must be one row (shape {row}) or a list of rows (shape {batch}), got lists \
         nested {depth} deep (shape {got:?})"
    )]
    PredictShape {
        /// The shape of one row.
        row: ShapeDisplay,
        /// The shape of a batch.
        batch: ShapeDisplay,
        /// The nesting depth found.
        depth: usize,
        /// The shape found.
        got: Vec<usize>,
    },
    /// The model failed on accepted inputs.
    #[error(transparent)]
    Run(#[from] RunError),
    /// The model produced a tensor JSON cannot carry.
    #[error(transparent)]
    Output(#[from] OutputError),
    /// The response could not be serialized.
    #[error("cannot encode the response: {0}")]
    Encode(String),
    /// The outputs the request would produce exceed `--max-output-bytes` (413).
    #[error(
        "the outputs of this request would take {bytes} bytes, more than the limit of {limit} \
         bytes (--max-output-bytes); send fewer rows per request"
    )]
    OutputTooLarge {
        /// Bytes of tensor data the outputs would take.
        bytes: u128,
        /// The limit.
        limit: usize,
    },
    /// A binary-extension body that does not add up.
    #[error("binary tensor data: {0}")]
    Binary(String),
}

impl RequestError {
    /// Whether the client is at fault (400) rather than the server (500).
    pub fn is_client_error(&self) -> bool {
        !matches!(
            self,
            RequestError::Run(_) | RequestError::Output(_) | RequestError::Encode(_)
        )
    }
}

/// `s` cut to at most `max` bytes (on a character boundary), saying how long it was.
pub fn clip(s: &str, max: usize) -> Cow<'_, str> {
    if s.len() <= max {
        return Cow::Borrowed(s);
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    Cow::Owned(format!("{}… ({} bytes)", &s[..end], s.len()))
}

/// Client input clipped for an error message.
pub(crate) fn echo(s: &str) -> String {
    clip(s, MAX_ECHOED_INPUT_BYTES).into_owned()
}

/// A response: the bytes, and the length of their JSON part when binary outputs follow it.
#[derive(Debug)]
pub struct Reply {
    /// The body.
    pub bytes: Vec<u8>,
    /// With binary outputs: the length of the JSON part (`Inference-Header-Content-Length`).
    pub json_len: Option<usize>,
}

impl Reply {
    fn json(bytes: Vec<u8>) -> Reply {
        Reply {
            bytes,
            json_len: None,
        }
    }
}

/// A model run's outputs in model order, or why it failed.
pub type Outputs = Result<Vec<Tensor>, RunError>;

/// What a request is served with.
#[derive(Debug, Clone, Copy)]
pub struct Served<'a> {
    /// The model.
    pub model: &'a Model,
    /// Its public name.
    pub name: &'a str,
    /// Its version.
    pub version: &'a str,
    /// Where to record the inference time and batch size.
    pub metrics: &'a Metrics,
    /// The largest output a request may ask for, bytes of tensor data.
    pub max_output_bytes: usize,
}

fn decode<T: DeserializeOwned>(body: &[u8], expected: &str) -> Result<T, RequestError> {
    // serde would read a top-level list as a struct in tuple form: refuse it up front.
    match body.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') | None => {}
        Some(_) => {
            return Err(RequestError::Schema(format!(
                "the body must be a JSON object; expected {expected}"
            )));
        }
    }
    serde_json::from_slice(body).map_err(|e| match e.classify() {
        Category::Data => RequestError::Schema(format!("{e}; expected {expected}")),
        Category::Io | Category::Syntax | Category::Eof => {
            let non_finite = [&b"NaN"[..], b"Infinity"]
                .iter()
                .any(|w| body.windows(w.len()).any(|x| x == *w));
            let hint = if non_finite {
                " (NaN and Infinity are not JSON numbers; only finite numbers are accepted)"
            } else {
                ""
            };
            RequestError::Json(format!("{e}{hint}"))
        }
    })
}

pub(crate) fn names(specs: &[TensorSpec]) -> String {
    let all: Vec<String> = specs
        .iter()
        .map(|s| {
            format!(
                "{:?} ({}, shape {})",
                s.name,
                s.datatype,
                ShapeDisplay(s.v2_shape())
            )
        })
        .collect();
    all.join(", ")
}

/// JSON of a response, in a buffer of about `estimate` bytes reserved up front with a checked
/// allocation: a response too large for the memory left fails alone (503) instead of aborting
/// the process while the buffer grows.
fn encode<T: Serialize>(v: &T, estimate: usize) -> Result<Vec<u8>, RequestError> {
    let mut bytes = tensor::try_vec(estimate).map_err(OutputError::from)?;
    serde_json::to_writer(&mut bytes, v).map_err(|e| RequestError::Encode(e.to_string()))?;
    Ok(bytes)
}

/// The JSON length of output data, about: a number takes up to 24 characters with its comma
/// (FP64 in shortest form; most are shorter), a boolean 6.
fn json_estimate(data: &Data) -> usize {
    let (len, each) = match data {
        Data::Bool(v) => (v.len(), 6),
        Data::Int(v) => (v.len(), 21),
        Data::UInt(v) => (v.len(), 21),
        Data::F32(v) => (v.len(), 16),
        Data::F64(v) => (v.len(), 24),
    };
    len.saturating_mul(each)
}

/// Refuses a request whose outputs would exceed the limit, computed from the model's output
/// shapes for the request's input shapes, before anything runs.
pub(crate) fn check_output_size(
    served: Served<'_>,
    shapes: &[&[usize]],
) -> Result<(), RequestError> {
    match served.model.output_bytes(shapes) {
        Some(bytes) if bytes > served.max_output_bytes as u128 => {
            Err(RequestError::OutputTooLarge {
                bytes,
                limit: served.max_output_bytes,
            })
        }
        _ => Ok(()),
    }
}

fn run(served: Served<'_>, inputs: Vec<Tensor>, rows: usize) -> Result<Vec<Tensor>, RequestError> {
    let start = Instant::now();
    let outputs = served.model.run(inputs)?;
    served.metrics.inference(start.elapsed(), rows);
    Ok(outputs)
}

#[derive(Debug, Deserialize)]
struct InferRequest {
    #[serde(default)]
    id: Option<String>,
    inputs: Vec<RequestInput>,
    #[serde(default)]
    outputs: Option<Vec<RequestOutput>>,
    #[serde(default)]
    parameters: Parameters,
}

/// The parameters of the binary tensor data extension; other parameters are ignored.
#[derive(Debug, Default, Deserialize)]
struct Parameters {
    #[serde(default)]
    binary_data_size: Option<usize>,
    #[serde(default)]
    binary_data: Option<bool>,
    #[serde(default)]
    binary_data_output: Option<bool>,
}

#[derive(Debug, Deserialize)]
struct RequestInput {
    name: String,
    shape: Vec<usize>,
    datatype: String,
    #[serde(default)]
    data: Option<Value>,
    #[serde(default)]
    parameters: Parameters,
}

#[derive(Debug, Deserialize)]
struct RequestOutput {
    name: String,
    #[serde(default)]
    parameters: Parameters,
}

/// Where an input's elements are.
enum InputData<'a> {
    Json(&'a Value),
    Binary(&'a [u8]),
}

#[derive(Serialize)]
struct InferResponse<'a> {
    model_name: &'a str,
    model_version: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a str>,
    outputs: Vec<ResponseOutput<'a>>,
}

#[derive(Serialize)]
struct ResponseOutput<'a> {
    name: &'a str,
    datatype: &'static str,
    shape: &'a [usize],
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<&'a Data>,
    #[serde(skip_serializing_if = "Option::is_none")]
    parameters: Option<OutputParameters>,
}

#[derive(Serialize)]
struct OutputParameters {
    binary_data_size: usize,
}

/// One output as JSON data or as binary bytes at the end of the body.
enum OutputData {
    Json(tensor::Output),
    Binary { datatype: DataType, size: usize },
}

const INFER_FORM: &str =
    r#"{"inputs": [{"name": ..., "shape": [...], "datatype": "FP32", "data": [...]}]}"#;

/// Reads one V2 inference request (`POST /v2/models/{name}/infer`). `json_len` is the
/// `Inference-Header-Content-Length` header: the body's JSON part, binary tensor data after.
pub fn infer(
    served: Served<'_>,
    body: &[u8],
    json_len: Option<usize>,
) -> Result<Prepared, RequestError> {
    let model = served.model;
    let (json_part, mut binary) = match json_len {
        None => (body, &[][..]),
        Some(n) if n <= body.len() => body.split_at(n),
        Some(n) => {
            return Err(RequestError::Binary(format!(
                "Inference-Header-Content-Length is {n}, but the body has only {} bytes",
                body.len()
            )));
        }
    };
    let req: InferRequest = decode(json_part, INFER_FORM)?;
    // Match request inputs to model inputs by name.
    let mut slots: Vec<Option<&RequestInput>> = vec![None; model.inputs.len()];
    for input in &req.inputs {
        let ix = Model::position(&model.inputs, &input.name).ok_or_else(|| {
            RequestError::UnknownInput {
                name: echo(&input.name),
                expected: names(&model.inputs),
            }
        })?;
        if slots[ix].replace(input).is_some() {
            return Err(RequestError::DuplicateInput(echo(&input.name)));
        }
    }
    // Binary data is laid out in the order the request lists its inputs.
    let mut data: Vec<Option<InputData<'_>>> = (0..slots.len()).map(|_| None).collect();
    for input in &req.inputs {
        let ix = Model::position(&model.inputs, &input.name).unwrap_or_default();
        data[ix] = Some(match (&input.data, input.parameters.binary_data_size) {
            (Some(_), Some(_)) => {
                return Err(RequestError::Binary(format!(
                    "input {:?} has both `data` and a `binary_data_size` parameter",
                    echo(&input.name)
                )));
            }
            (Some(v), None) => InputData::Json(v),
            (None, Some(size)) => {
                if json_len.is_none() {
                    return Err(RequestError::Binary(format!(
                        "input {:?} has binary data but the request has no \
                         Inference-Header-Content-Length header",
                        echo(&input.name)
                    )));
                }
                if size > binary.len() {
                    return Err(RequestError::Binary(format!(
                        "input {:?} declares {size} bytes, only {} are left in the body",
                        echo(&input.name),
                        binary.len()
                    )));
                }
                let (mine, rest) = binary.split_at(size);
                binary = rest;
                InputData::Binary(mine)
            }
            (None, None) => {
                return Err(RequestError::Schema(format!(
                    "input {:?} has neither `data` nor a `binary_data_size` parameter; \
                     expected {INFER_FORM}",
                    echo(&input.name)
                )));
            }
        });
    }
    if !binary.is_empty() {
        return Err(RequestError::Binary(format!(
            "{} bytes after the JSON part belong to no input",
            binary.len()
        )));
    }
    let mut given = Vec::with_capacity(slots.len());
    for (spec, slot) in model.inputs.iter().zip(&slots) {
        let input = slot.ok_or_else(|| RequestError::MissingInput {
            name: spec.name.clone(),
            expected: names(&model.inputs),
        })?;
        let datatype =
            DataType::from_name(&input.datatype).ok_or_else(|| RequestError::UnknownDatatype {
                name: echo(&input.name),
                got: echo(&input.datatype),
                expected: spec.datatype,
            })?;
        if datatype != spec.datatype {
            return Err(RequestError::Datatype {
                name: input.name.clone(),
                got: datatype,
                expected: spec.datatype,
            });
        }
        given.push(input);
    }
    let shapes: Vec<&[usize]> = given.iter().map(|i| i.shape.as_slice()).collect();
    model.check_shapes(&shapes)?;
    // Resolve the output filter and the output size before spending time on the model.
    let all_binary = req.parameters.binary_data_output.unwrap_or(false);
    let selected: Vec<(usize, bool)> = match &req.outputs {
        Some(wanted) if !wanted.is_empty() => wanted
            .iter()
            .map(|o| {
                let ix = Model::position(&model.outputs, &o.name).ok_or_else(|| {
                    RequestError::UnknownOutput {
                        name: echo(&o.name),
                        expected: names(&model.outputs),
                    }
                })?;
                Ok((ix, o.parameters.binary_data.unwrap_or(all_binary)))
            })
            .collect::<Result<_, RequestError>>()?,
        _ => (0..model.outputs.len())
            .map(|ix| (ix, all_binary))
            .collect(),
    };
    check_output_size(served, &shapes)?;
    let tensors = given
        .iter()
        .zip(&model.inputs)
        .zip(&data)
        .map(|((input, spec), data)| {
            let parsed = match data {
                Some(InputData::Binary(bytes)) => {
                    tensor::from_le_bytes(spec.datatype, &input.shape, bytes)
                }
                Some(InputData::Json(v)) => tensor::parse(spec.datatype, &input.shape, v),
                None => unreachable!("every given input has data"),
            };
            parsed.map_err(|source| RequestError::Data {
                name: input.name.clone(),
                source,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Prepared {
        rows: Model::rows(&shapes),
        inputs: tensors,
        answer: Answer::Infer {
            id: req.id,
            selected,
        },
    })
}

/// A request read, checked and turned into input tensors: ready to run alone or stacked
/// with others ([`crate::batch`]), then answered with [`Finish::finish`].
#[derive(Debug)]
pub struct Prepared<A = Answer> {
    /// Inputs in model order.
    pub inputs: Vec<Tensor>,
    /// Rows: the first dimension of the first input.
    pub rows: usize,
    /// How to write the answer from the outputs.
    pub answer: A,
}

/// How a prepared request writes its answer from its outputs: the HTTP bodies ([`Answer`])
/// or a gRPC message.
pub trait Finish: Send + 'static {
    /// The answer.
    type Out: Send + 'static;

    /// Writes the answer from the request's rows of a (possibly shared) model run.
    fn finish_rows(self, served: Served<'_>, rows: Rows) -> Result<Self::Out, RequestError>;

    /// Writes the answer from the model's outputs (all of them, in model order).
    fn finish(self, served: Served<'_>, outputs: Vec<Tensor>) -> Result<Self::Out, RequestError>;
}

/// What a prepared request needs to write its answer.
#[derive(Debug)]
pub enum Answer {
    /// A V2 answer: the request's id, and the outputs asked for (model index, binary).
    Infer {
        /// The request id, echoed.
        id: Option<String>,
        /// The outputs to return, by model index, and whether as binary data.
        selected: Vec<(usize, bool)>,
    },
    /// A `/predict` answer: the first output, nested.
    Predict,
}

/// Runs a prepared request alone and answers it.
pub fn serve<A: Finish>(served: Served<'_>, prepared: Prepared<A>) -> Result<A::Out, RequestError> {
    let outputs = run(served, prepared.inputs, prepared.rows)?;
    prepared.answer.finish(served, outputs)
}

impl Finish for Answer {
    type Out = Reply;

    /// A `/predict` answer of a float output straight from the run's numbers, any other after
    /// cutting the outputs to the request's rows.
    fn finish_rows(self, served: Served<'_>, rows: Rows) -> Result<Reply, RequestError> {
        if let Answer::Predict = self {
            let fast = match rows.datum_type(0) {
                Some(DatumType::F32) => rows
                    .elements::<f32>(0)
                    .map(|(data, shape)| predict_floats_reply(data, &shape)),
                Some(DatumType::F64) => rows
                    .elements::<f64>(0)
                    .map(|(data, shape)| predict_floats_reply(data, &shape)),
                _ => None,
            };
            if let Some(reply) = fast {
                return reply;
            }
        }
        self.finish(served, rows.into_tensors()?)
    }

    fn finish(self, served: Served<'_>, outputs: Vec<Tensor>) -> Result<Reply, RequestError> {
        match self {
            Answer::Infer { id, selected } => {
                infer_reply(served, id.as_deref(), &selected, &outputs)
            }
            Answer::Predict => predict_reply(&outputs),
        }
    }
}

fn infer_reply(
    served: Served<'_>,
    id: Option<&str>,
    selected: &[(usize, bool)],
    outputs: &[Tensor],
) -> Result<Reply, RequestError> {
    let model = served.model;
    let mut tail = Vec::new();
    let converted = selected
        .iter()
        .map(|&(ix, binary)| {
            let data = if binary {
                let before = tail.len();
                let datatype = tensor::append_le_bytes(&outputs[ix], &mut tail)?;
                OutputData::Binary {
                    datatype,
                    size: tail.len() - before,
                }
            } else {
                OutputData::Json(tensor::to_output(&outputs[ix])?)
            };
            Ok((ix, data))
        })
        .collect::<Result<Vec<_>, RequestError>>()?;
    let estimate = converted
        .iter()
        .map(|(_, out)| match out {
            OutputData::Json(out) => json_estimate(&out.data) + 256,
            OutputData::Binary { .. } => 256,
        })
        .fold(256usize, usize::saturating_add);
    let mut bytes = encode(
        &InferResponse {
            model_name: served.name,
            model_version: served.version,
            id,
            outputs: converted
                .iter()
                .map(|(ix, out)| match out {
                    OutputData::Json(out) => ResponseOutput {
                        name: &model.outputs[*ix].name,
                        datatype: out.datatype.name(),
                        shape: &out.shape,
                        data: Some(&out.data),
                        parameters: None,
                    },
                    OutputData::Binary { datatype, size } => ResponseOutput {
                        name: &model.outputs[*ix].name,
                        datatype: datatype.name(),
                        shape: outputs[*ix].shape(),
                        data: None,
                        parameters: Some(OutputParameters {
                            binary_data_size: *size,
                        }),
                    },
                })
                .collect(),
        },
        estimate,
    )?;
    if converted
        .iter()
        .all(|(_, o)| matches!(o, OutputData::Json(_)))
    {
        return Ok(Reply::json(bytes));
    }
    let json_len = bytes.len();
    bytes.extend_from_slice(&tail);
    Ok(Reply {
        bytes,
        json_len: Some(json_len),
    })
}

#[derive(Debug, Deserialize)]
struct PredictRequest {
    features: Value,
}

#[derive(Serialize)]
struct PredictResponse<'a> {
    prediction: Nested<'a>,
    status: &'static str,
}

/// Reads one `/predict` request: `{"features": row or rows}`; its answer is the first
/// output, nested.
///
/// A float model's features are read straight into the input tensor's numbers
/// ([`tensor::read_float_lists`]); anything that fast path does not take (other datatypes,
/// unusual or invalid bodies) is read the general way, through a `serde_json::Value`, which
/// gives the same tensors and says what is wrong.
pub fn predict(served: Served<'_>, body: &[u8]) -> Result<Prepared, RequestError> {
    if let [spec] = served.model.inputs.as_slice() {
        let fast = match spec.datatype {
            DataType::F32 => tensor::read_float_lists::<f32>(body, "features")
                .map(|l| predict_floats(served, spec, &l.shape, &l.values)),
            DataType::F64 => tensor::read_float_lists::<f64>(body, "features")
                .map(|l| predict_floats(served, spec, &l.shape, &l.values)),
            _ => None,
        };
        if let Some(prepared) = fast {
            return prepared;
        }
    }
    let model = served.model;
    let req: PredictRequest = decode(body, r#"{"features": [...]} (one row or a list of rows)"#)?;
    let [spec] = model.inputs.as_slice() else {
        return Err(RequestError::PredictInputs(model.inputs.len()));
    };
    let found = tensor::nested_shape(&req.features).map_err(|source| RequestError::Data {
        name: spec.name.clone(),
        source,
    })?;
    let shape = predict_shape(served, spec, &found)?;
    let input = tensor::parse(spec.datatype, &shape, &req.features).map_err(|source| {
        RequestError::Data {
            name: spec.name.clone(),
            source,
        }
    })?;
    Ok(Prepared {
        inputs: vec![input],
        rows: Model::rows(&[&shape]),
        answer: Answer::Predict,
    })
}

/// The fast path of [`predict`]: features read as numbers of the input's float type.
fn predict_floats<T: tensor::JsonFloat>(
    served: Served<'_>,
    spec: &TensorSpec,
    found: &[usize],
    values: &[T],
) -> Result<Prepared, RequestError> {
    let shape = predict_shape(served, spec, found)?;
    let input = tensor::float_tensor(&shape, values).map_err(|source| RequestError::Data {
        name: spec.name.clone(),
        source,
    })?;
    Ok(Prepared {
        inputs: vec![input],
        rows: Model::rows(&[&shape]),
        answer: Answer::Predict,
    })
}

/// The input shape of `/predict` features of the nested shape `found`: a batch as is, one row
/// with a batch dimension of 1 added; checked against the model and the output limit.
fn predict_shape(
    served: Served<'_>,
    spec: &TensorSpec,
    found: &[usize],
) -> Result<TVec<usize>, RequestError> {
    let rank = spec.shape.len();
    let shape: TVec<usize> = if found.len() == rank {
        found.iter().copied().collect()
    } else if found.len() + 1 == rank {
        std::iter::once(1).chain(found.iter().copied()).collect()
    } else {
        let batch = spec.v2_shape();
        return Err(RequestError::PredictShape {
            row: ShapeDisplay(batch.get(1..).unwrap_or_default().to_vec()),
            batch: ShapeDisplay(batch),
            depth: found.len(),
            got: found.to_vec(),
        });
    };
    served.model.check_shapes(&[&shape])?;
    check_output_size(served, &[&shape])?;
    Ok(shape)
}

fn predict_reply(outputs: &[Tensor]) -> Result<Reply, RequestError> {
    let first = outputs
        .first()
        .ok_or_else(|| RunError::Execution("the model returned no output".into()))?;
    // Float outputs, the common case, are written straight from the tensor.
    match first.datum_type() {
        DatumType::F32 => {
            if let Some(Ok(data)) = first.as_plain_ram().map(|v| v.as_slice::<f32>()) {
                return predict_floats_reply(data, first.shape());
            }
        }
        DatumType::F64 => {
            if let Some(Ok(data)) = first.as_plain_ram().map(|v| v.as_slice::<f64>()) {
                return predict_floats_reply(data, first.shape());
            }
        }
        _ => {}
    }
    let out = tensor::to_output(first)?;
    let estimate = json_estimate(&out.data).saturating_mul(2) + 64;
    encode(
        &PredictResponse {
            prediction: Nested {
                data: &out.data,
                shape: &out.shape,
            },
            status: "success",
        },
        estimate,
    )
    .map(Reply::json)
}

/// The `/predict` answer of a float output: the text [`PredictResponse`] serializes to,
/// written in one buffer reserved up front (a checked allocation, as [`encode`] does).
fn predict_floats_reply<T: tensor::JsonFloatOut>(
    data: &[T],
    shape: &[usize],
) -> Result<Reply, RequestError> {
    let estimate = data
        .len()
        .saturating_mul(T::JSON_WIDTH)
        .saturating_mul(2)
        .saturating_add(64);
    let mut bytes = tensor::try_vec(estimate).map_err(OutputError::from)?;
    bytes.extend_from_slice(b"{\"prediction\":");
    tensor::write_nested_floats(&mut bytes, data, shape);
    bytes.extend_from_slice(b",\"status\":\"success\"}");
    Ok(Reply::json(bytes))
}
