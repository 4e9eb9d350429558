//! `ModelInferRequest` → input tensors, outputs → `ModelInferResponse`: the same checks as the
//! REST side (names, datatypes, shapes, element counts and ranges, the output limit), with the
//! data taken from the typed `contents` or from `raw_input_contents` (little-endian, row-major,
//! in the order of the inputs, as the binary tensor extension lays them out).
//!
//! Outputs come back as `raw_output_contents` when the request sent raw inputs (what Triton's
//! client reads) or asked with the parameter `binary_data_output: true`, else in the typed
//! `contents`.

use prost::bytes::Bytes;
use tract_onnx::prelude::{Datum, Tensor};

use super::proto::infer_parameter::ParameterChoice;
use super::proto::model_infer_request::InferInputTensor;
use super::proto::model_infer_response::InferOutputTensor;
use super::proto::{InferParameter, InferTensorContents, ModelInferRequest, ModelInferResponse};
use crate::batch::Rows;
use crate::model::Model;
use crate::protocol::{self, Finish, Prepared, RequestError, Served};
use crate::tensor::{self, Data, DataType, TensorError};

/// How a gRPC inference request writes its answer.
#[derive(Debug)]
pub struct GrpcAnswer {
    id: String,
    /// The outputs asked for, by model index.
    selected: Vec<usize>,
    /// Outputs as `raw_output_contents` rather than typed contents.
    raw: bool,
}

/// Whether a request parameter is the boolean `true`.
fn flag(parameters: &std::collections::HashMap<String, InferParameter>, name: &str) -> bool {
    matches!(
        parameters
            .get(name)
            .and_then(|p| p.parameter_choice.as_ref()),
        Some(ParameterChoice::BoolParam(true))
    )
}

/// Where an input's elements are.
enum Source<'a> {
    Typed(Option<&'a InferTensorContents>),
    Raw(&'a [u8]),
}

/// Reads one gRPC inference request into input tensors (model order), checked like a REST one.
pub fn prepare(
    served: Served<'_>,
    req: &ModelInferRequest,
) -> Result<Prepared<GrpcAnswer>, RequestError> {
    let model = served.model;
    let raw = &req.raw_input_contents;
    if !raw.is_empty() && raw.len() != req.inputs.len() {
        return Err(RequestError::Binary(format!(
            "raw_input_contents has {} entries for {} inputs; it must have one per input, in \
             the order of the inputs",
            raw.len(),
            req.inputs.len()
        )));
    }
    let mut slots: Vec<Option<(&InferInputTensor, Source<'_>)>> =
        (0..model.inputs.len()).map(|_| None).collect();
    for (i, input) in req.inputs.iter().enumerate() {
        let ix = Model::position(&model.inputs, &input.name).ok_or_else(|| {
            RequestError::UnknownInput {
                name: protocol::echo(&input.name),
                expected: protocol::names(&model.inputs),
            }
        })?;
        let source = match raw.get(i) {
            Some(bytes) => {
                if input.contents.as_ref().is_some_and(has_elements) {
                    return Err(RequestError::Binary(format!(
                        "input {:?} has both contents and raw_input_contents",
                        protocol::echo(&input.name)
                    )));
                }
                Source::Raw(bytes)
            }
            None => Source::Typed(input.contents.as_ref()),
        };
        if slots[ix].replace((input, source)).is_some() {
            return Err(RequestError::DuplicateInput(protocol::echo(&input.name)));
        }
    }
    let mut given = Vec::with_capacity(slots.len());
    let mut shapes = Vec::with_capacity(slots.len());
    for (spec, slot) in model.inputs.iter().zip(slots) {
        let (input, source) = slot.ok_or_else(|| RequestError::MissingInput {
            name: spec.name.clone(),
            expected: protocol::names(&model.inputs),
        })?;
        let datatype =
            DataType::from_name(&input.datatype).ok_or_else(|| RequestError::UnknownDatatype {
                name: protocol::echo(&input.name),
                got: protocol::echo(&input.datatype),
                expected: spec.datatype,
            })?;
        if datatype != spec.datatype {
            return Err(RequestError::Datatype {
                name: protocol::echo(&input.name),
                got: datatype,
                expected: spec.datatype,
            });
        }
        let shape = input
            .shape
            .iter()
            .map(|&d| usize::try_from(d))
            .collect::<Result<Vec<usize>, _>>()
            .map_err(|_| {
                RequestError::Schema(format!(
                    "input {:?} has a negative dimension in its shape {:?}",
                    protocol::echo(&input.name),
                    input.shape
                ))
            })?;
        shapes.push(shape);
        given.push((input, source, datatype));
    }
    let shape_refs: Vec<&[usize]> = shapes.iter().map(Vec::as_slice).collect();
    model.check_shapes(&shape_refs)?;
    let selected = if req.outputs.is_empty() {
        (0..model.outputs.len()).collect()
    } else {
        req.outputs
            .iter()
            .map(|o| {
                Model::position(&model.outputs, &o.name).ok_or_else(|| {
                    RequestError::UnknownOutput {
                        name: protocol::echo(&o.name),
                        expected: protocol::names(&model.outputs),
                    }
                })
            })
            .collect::<Result<Vec<_>, _>>()?
    };
    protocol::check_output_size(served, &shape_refs)?;
    let inputs = given
        .iter()
        .zip(&shapes)
        .map(|((input, source, datatype), shape)| {
            let parsed = match source {
                Source::Raw(bytes) => tensor::from_le_bytes(*datatype, shape, bytes),
                Source::Typed(contents) => typed(*datatype, shape, *contents),
            };
            parsed.map_err(|source| RequestError::Data {
                name: protocol::echo(&input.name),
                source,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Prepared {
        rows: Model::rows(&shape_refs),
        inputs,
        answer: GrpcAnswer {
            id: req.id.clone(),
            selected,
            raw: !raw.is_empty() || flag(&req.parameters, "binary_data_output"),
        },
    })
}

fn has_elements(c: &InferTensorContents) -> bool {
    !(c.bool_contents.is_empty()
        && c.int_contents.is_empty()
        && c.int64_contents.is_empty()
        && c.uint_contents.is_empty()
        && c.uint64_contents.is_empty()
        && c.fp32_contents.is_empty()
        && c.fp64_contents.is_empty()
        && c.bytes_contents.is_empty())
}

/// The contents field a datatype's elements go in.
fn field_of(datatype: DataType) -> &'static str {
    match datatype {
        DataType::Bool => "bool_contents",
        DataType::I8 | DataType::I16 | DataType::I32 => "int_contents",
        DataType::I64 => "int64_contents",
        DataType::U8 | DataType::U16 | DataType::U32 => "uint_contents",
        DataType::U64 => "uint64_contents",
        DataType::F32 => "fp32_contents",
        DataType::F64 => "fp64_contents",
    }
}

/// A tensor from typed contents: exactly the datatype's field, as many elements as the shape
/// holds, each in the datatype's range; FP32 and FP64 finite.
fn typed(
    datatype: DataType,
    shape: &[usize],
    contents: Option<&InferTensorContents>,
) -> Result<Tensor, TensorError> {
    let empty = InferTensorContents::default();
    let c = contents.unwrap_or(&empty);
    let expected =
        tensor::element_count(shape).ok_or_else(|| TensorError::TooLarge(shape.to_vec()))?;
    let field = field_of(datatype);
    let lens = [
        ("bool_contents", c.bool_contents.len()),
        ("int_contents", c.int_contents.len()),
        ("int64_contents", c.int64_contents.len()),
        ("uint_contents", c.uint_contents.len()),
        ("uint64_contents", c.uint64_contents.len()),
        ("fp32_contents", c.fp32_contents.len()),
        ("fp64_contents", c.fp64_contents.len()),
        ("bytes_contents", c.bytes_contents.len()),
    ];
    if let Some((other, _)) = lens.iter().find(|(f, n)| *f != field && *n > 0) {
        return Err(TensorError::Contents {
            datatype,
            expected: field,
            got: other,
        });
    }
    let got = lens
        .iter()
        .find(|(f, _)| *f == field)
        .map_or(0, |(_, n)| *n);
    if got != expected {
        return Err(TensorError::Count {
            shape: shape.to_vec(),
            expected,
            got,
        });
    }
    let range = |index: usize| TensorError::OutOfRange { index, datatype };
    fn narrow<S: Copy, T: TryFrom<S> + Datum + Copy>(
        shape: &[usize],
        values: &[S],
        range: impl Fn(usize) -> TensorError,
    ) -> Result<Tensor, TensorError> {
        let v = values
            .iter()
            .enumerate()
            .map(|(i, &x)| T::try_from(x).map_err(|_| range(i)))
            .collect::<Result<Vec<T>, _>>()?;
        build(shape, &v)
    }
    match datatype {
        DataType::Bool => build(shape, &c.bool_contents),
        DataType::I8 => narrow::<i32, i8>(shape, &c.int_contents, range),
        DataType::I16 => narrow::<i32, i16>(shape, &c.int_contents, range),
        DataType::I32 => build(shape, &c.int_contents),
        DataType::I64 => build(shape, &c.int64_contents),
        DataType::U8 => narrow::<u32, u8>(shape, &c.uint_contents, range),
        DataType::U16 => narrow::<u32, u16>(shape, &c.uint_contents, range),
        DataType::U32 => build(shape, &c.uint_contents),
        DataType::U64 => build(shape, &c.uint64_contents),
        DataType::F32 => {
            if let Some(i) = c.fp32_contents.iter().position(|x| !x.is_finite()) {
                return Err(range(i));
            }
            build(shape, &c.fp32_contents)
        }
        DataType::F64 => {
            if let Some(i) = c.fp64_contents.iter().position(|x| !x.is_finite()) {
                return Err(range(i));
            }
            build(shape, &c.fp64_contents)
        }
    }
}

fn build<T: Datum + Copy>(shape: &[usize], data: &[T]) -> Result<Tensor, TensorError> {
    Tensor::from_shape(shape, data).map_err(|e| TensorError::Build(e.to_string()))
}

impl Finish for GrpcAnswer {
    type Out = ModelInferResponse;

    fn finish_rows(
        self,
        served: Served<'_>,
        rows: Rows,
    ) -> Result<ModelInferResponse, RequestError> {
        self.finish(served, rows.into_tensors()?)
    }

    fn finish(
        self,
        served: Served<'_>,
        outputs: Vec<Tensor>,
    ) -> Result<ModelInferResponse, RequestError> {
        let model = served.model;
        let mut out = Vec::with_capacity(self.selected.len());
        let mut raw = Vec::new();
        for &ix in &self.selected {
            let t = outputs.get(ix).ok_or_else(|| {
                crate::model::RunError::Execution("the model returned fewer outputs".into())
            })?;
            let shape = t.shape().iter().map(|&d| d as i64).collect();
            let name = model.outputs[ix].name.clone();
            if self.raw {
                let mut bytes = Vec::new();
                let datatype = tensor::append_le_bytes(t, &mut bytes)?;
                raw.push(Bytes::from(bytes));
                out.push(InferOutputTensor {
                    name,
                    datatype: datatype.name().to_owned(),
                    shape,
                    ..Default::default()
                });
            } else {
                let o = tensor::to_output(t)?;
                let contents = contents_of(o.datatype, o.data);
                out.push(InferOutputTensor {
                    name,
                    datatype: o.datatype.name().to_owned(),
                    shape,
                    contents: Some(contents),
                    ..Default::default()
                });
            }
        }
        Ok(ModelInferResponse {
            model_name: served.name.to_owned(),
            model_version: served.version.to_owned(),
            id: self.id,
            outputs: out,
            raw_output_contents: raw,
            ..Default::default()
        })
    }
}

/// Typed contents of output data: each datatype in its field of the protocol.
fn contents_of(datatype: DataType, data: Data) -> InferTensorContents {
    let mut c = InferTensorContents::default();
    match data {
        Data::Bool(v) => c.bool_contents = v,
        Data::Int(v) if datatype == DataType::I64 => c.int64_contents = v,
        #[allow(clippy::cast_possible_truncation)] // INT8..INT32 values fit in i32
        Data::Int(v) => c.int_contents = v.into_iter().map(|x| x as i32).collect(),
        Data::UInt(v) if datatype == DataType::U64 => c.uint64_contents = v,
        #[allow(clippy::cast_possible_truncation)] // UINT8..UINT32 values fit in u32
        Data::UInt(v) => c.uint_contents = v.into_iter().map(|x| x as u32).collect(),
        Data::F32(v) => c.fp32_contents = v,
        Data::F64(v) => c.fp64_contents = v,
    }
    c
}
