//! The two request formats, V2 `infer` and the article's `/predict`: JSON bytes in, model run,
//! JSON bytes out. Pure apart from the model call, so the HTTP layer stays thin.

use std::time::Instant;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::error::Category;
use tract_onnx::prelude::Tensor;

use crate::metrics::Metrics;
use crate::model::{Model, RunError, ShapeDisplay, ShapeError, TensorSpec};
use crate::tensor::{self, Data, DataType, Nested, TensorError, UnsupportedOutput};

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
    Output(#[from] UnsupportedOutput),
    /// The response could not be serialized.
    #[error("cannot encode the response: {0}")]
    Encode(String),
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

fn names(specs: &[TensorSpec]) -> String {
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

fn encode<T: Serialize>(v: &T) -> Result<Vec<u8>, RequestError> {
    serde_json::to_vec(v).map_err(|e| RequestError::Encode(e.to_string()))
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
}

#[derive(Debug, Deserialize)]
struct RequestInput {
    name: String,
    shape: Vec<usize>,
    datatype: String,
    data: Value,
}

#[derive(Debug, Deserialize)]
struct RequestOutput {
    name: String,
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
    data: &'a Data,
}

const INFER_FORM: &str =
    r#"{"inputs": [{"name": ..., "shape": [...], "datatype": "FP32", "data": [...]}]}"#;

/// Serves one V2 inference request (`POST /v2/models/{name}/infer`).
pub fn infer(served: Served<'_>, body: &[u8]) -> Result<Vec<u8>, RequestError> {
    let model = served.model;
    let req: InferRequest = decode(body, INFER_FORM)?;
    // Match request inputs to model inputs by name.
    let mut slots: Vec<Option<&RequestInput>> = vec![None; model.inputs.len()];
    for input in &req.inputs {
        let ix = Model::position(&model.inputs, &input.name).ok_or_else(|| {
            RequestError::UnknownInput {
                name: input.name.clone(),
                expected: names(&model.inputs),
            }
        })?;
        if slots[ix].replace(input).is_some() {
            return Err(RequestError::DuplicateInput(input.name.clone()));
        }
    }
    let mut given = Vec::with_capacity(slots.len());
    for (spec, slot) in model.inputs.iter().zip(&slots) {
        let input = slot.ok_or_else(|| RequestError::MissingInput {
            name: spec.name.clone(),
            expected: names(&model.inputs),
        })?;
        let datatype =
            DataType::from_name(&input.datatype).ok_or_else(|| RequestError::UnknownDatatype {
                name: input.name.clone(),
                got: input.datatype.clone(),
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
    // Resolve the output filter before spending time on the model.
    let selected: Vec<usize> = match &req.outputs {
        None => (0..model.outputs.len()).collect(),
        Some(wanted) if wanted.is_empty() => (0..model.outputs.len()).collect(),
        Some(wanted) => wanted
            .iter()
            .map(|o| {
                Model::position(&model.outputs, &o.name).ok_or_else(|| {
                    RequestError::UnknownOutput {
                        name: o.name.clone(),
                        expected: names(&model.outputs),
                    }
                })
            })
            .collect::<Result<_, _>>()?,
    };
    let tensors = given
        .iter()
        .zip(&model.inputs)
        .map(|(input, spec)| {
            tensor::parse(spec.datatype, &input.shape, &input.data).map_err(|source| {
                RequestError::Data {
                    name: input.name.clone(),
                    source,
                }
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let outputs = run(served, tensors, Model::rows(&shapes))?;
    let converted = selected
        .iter()
        .map(|&ix| Ok((ix, tensor::to_output(&outputs[ix])?)))
        .collect::<Result<Vec<_>, RequestError>>()?;
    encode(&InferResponse {
        model_name: served.name,
        model_version: served.version,
        id: req.id.as_deref(),
        outputs: converted
            .iter()
            .map(|(ix, out)| ResponseOutput {
                name: &model.outputs[*ix].name,
                datatype: out.datatype.name(),
                shape: &out.shape,
                data: &out.data,
            })
            .collect(),
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

/// Serves one `/predict` request: `{"features": row or rows}` → the first output, nested.
pub fn predict(served: Served<'_>, body: &[u8]) -> Result<Vec<u8>, RequestError> {
    let model = served.model;
    let req: PredictRequest = decode(body, r#"{"features": [...]} (one row or a list of rows)"#)?;
    let [spec] = model.inputs.as_slice() else {
        return Err(RequestError::PredictInputs(model.inputs.len()));
    };
    let found = tensor::nested_shape(&req.features).map_err(|source| RequestError::Data {
        name: spec.name.clone(),
        source,
    })?;
    let rank = spec.shape.len();
    let shape = if found.len() == rank {
        found
    } else if found.len() + 1 == rank {
        let mut s = Vec::with_capacity(rank);
        s.push(1);
        s.extend(found);
        s
    } else {
        let batch = spec.v2_shape();
        return Err(RequestError::PredictShape {
            row: ShapeDisplay(batch.get(1..).unwrap_or_default().to_vec()),
            batch: ShapeDisplay(batch),
            depth: found.len(),
            got: found,
        });
    };
    model.check_shapes(&[&shape])?;
    let input = tensor::parse(spec.datatype, &shape, &req.features).map_err(|source| {
        RequestError::Data {
            name: spec.name.clone(),
            source,
        }
    })?;
    let outputs = run(served, vec![input], Model::rows(&[&shape]))?;
    let first = outputs
        .first()
        .ok_or_else(|| RunError::Execution("the model returned no output".into()))?;
    let out = tensor::to_output(first)?;
    encode(&PredictResponse {
        prediction: Nested {
            data: &out.data,
            shape: &out.shape,
        },
        status: "success",
    })
}
