//! Tensors between JSON and tract: the V2 datatypes, parsing request data, writing outputs.

use std::fmt;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeSeq, Serializer};
use serde::{Deserializer as _, Serialize};
use serde_json::Value;
use tract_onnx::prelude::{DatumType, TVec, Tensor};

/// A tensor datatype of the Open Inference Protocol v2 that this server can read and write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataType {
    /// `BOOL`: JSON `true`/`false`.
    Bool,
    /// `UINT8`.
    U8,
    /// `UINT16`.
    U16,
    /// `UINT32`.
    U32,
    /// `UINT64`.
    U64,
    /// `INT8`.
    I8,
    /// `INT16`.
    I16,
    /// `INT32`.
    I32,
    /// `INT64`.
    I64,
    /// `FP32`: finite numbers only.
    F32,
    /// `FP64`: finite numbers only.
    F64,
}

impl DataType {
    /// Every supported datatype, for error messages.
    pub const ALL: [DataType; 11] = [
        DataType::Bool,
        DataType::U8,
        DataType::U16,
        DataType::U32,
        DataType::U64,
        DataType::I8,
        DataType::I16,
        DataType::I32,
        DataType::I64,
        DataType::F32,
        DataType::F64,
    ];

    /// The protocol's name of the datatype (`FP32`, `INT64`, …).
    pub fn name(self) -> &'static str {
        match self {
            DataType::Bool => "BOOL",
            DataType::U8 => "UINT8",
            DataType::U16 => "UINT16",
            DataType::U32 => "UINT32",
            DataType::U64 => "UINT64",
            DataType::I8 => "INT8",
            DataType::I16 => "INT16",
            DataType::I32 => "INT32",
            DataType::I64 => "INT64",
            DataType::F32 => "FP32",
            DataType::F64 => "FP64",
        }
    }

    /// The datatype of a protocol name, if supported.
    pub fn from_name(name: &str) -> Option<DataType> {
        DataType::ALL.into_iter().find(|dt| dt.name() == name)
    }

    /// The datatype matching a tract datum type, if supported.
    pub fn from_datum(dt: DatumType) -> Option<DataType> {
        Some(match dt {
            DatumType::Bool => DataType::Bool,
            DatumType::U8 => DataType::U8,
            DatumType::U16 => DataType::U16,
            DatumType::U32 => DataType::U32,
            DatumType::U64 => DataType::U64,
            DatumType::I8 => DataType::I8,
            DatumType::I16 => DataType::I16,
            DatumType::I32 => DataType::I32,
            // tract computes some integer results as dimension expressions; they are INT64.
            DatumType::I64 | DatumType::TDim => DataType::I64,
            DatumType::F32 => DataType::F32,
            DatumType::F64 => DataType::F64,
            _ => return None,
        })
    }

    /// The tract datum type of this datatype.
    pub fn datum(self) -> DatumType {
        match self {
            DataType::Bool => DatumType::Bool,
            DataType::U8 => DatumType::U8,
            DataType::U16 => DatumType::U16,
            DataType::U32 => DatumType::U32,
            DataType::U64 => DatumType::U64,
            DataType::I8 => DatumType::I8,
            DataType::I16 => DatumType::I16,
            DataType::I32 => DatumType::I32,
            DataType::I64 => DatumType::I64,
            DataType::F32 => DatumType::F32,
            DataType::F64 => DatumType::F64,
        }
    }

    /// Bytes per element in the binary tensor data extension (BOOL is one byte, 0 or 1).
    pub fn size(self) -> usize {
        match self {
            DataType::Bool | DataType::U8 | DataType::I8 => 1,
            DataType::U16 | DataType::I16 => 2,
            DataType::U32 | DataType::I32 | DataType::F32 => 4,
            DataType::U64 | DataType::I64 | DataType::F64 => 8,
        }
    }

    /// What a JSON element of this datatype must look like, for error messages.
    fn expected(self) -> &'static str {
        match self {
            DataType::Bool => "true or false",
            DataType::F32 | DataType::F64 => "a finite number",
            _ => "an integer",
        }
    }
}

impl std::fmt::Display for DataType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Why request data could not become a tensor.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum TensorError {
    /// Flat data whose length is not the product of the shape.
    #[error("shape {shape:?} needs {expected} elements, data has {got}")]
    Count {
        /// The declared shape.
        shape: Vec<usize>,
        /// The product of the shape.
        expected: usize,
        /// The number of elements given.
        got: usize,
    },
    /// Nested data whose structure does not follow the shape.
    #[error("nested data does not match shape {shape:?}: {detail}")]
    Nesting {
        /// The declared shape.
        shape: Vec<usize>,
        /// Where and how the nesting differs.
        detail: String,
    },
    /// Lists of different lengths where a rectangular array was expected.
    #[error("data is not a rectangular array: {0}")]
    Ragged(String),
    /// An element of the wrong JSON type.
    #[error("element {index} is {got}, expected {expected} for {datatype}")]
    Element {
        /// Row-major index of the element.
        index: usize,
        /// The declared datatype.
        datatype: DataType,
        /// What the element should be.
        expected: &'static str,
        /// A short description of what it is.
        got: String,
    },
    /// A number that does not fit the datatype. The value itself is not repeated: error
    /// bodies and logs carry no tensor data.
    #[error("element {index} is out of range for {datatype}")]
    OutOfRange {
        /// Row-major index of the element.
        index: usize,
        /// The declared datatype.
        datatype: DataType,
    },
    /// Binary data whose length is not the shape's element count times the element size.
    #[error(
        "binary data of shape {shape:?} and datatype {datatype} needs {expected} bytes, got {got}"
    )]
    BinarySize {
        /// The declared shape.
        shape: Vec<usize>,
        /// The declared datatype.
        datatype: DataType,
        /// Elements × element size.
        expected: usize,
        /// The `binary_data_size` given.
        got: usize,
    },
    /// A BOOL byte other than 0 or 1.
    #[error("binary element {index} is neither 0 nor 1, as BOOL requires")]
    BinaryBool {
        /// Row-major index of the element.
        index: usize,
    },
    /// The shape's element count overflows.
    #[error("shape {0:?} is too large")]
    TooLarge(Vec<usize>),
    /// tract refused to build the tensor (should not happen once the count is checked).
    #[error("could not build tensor: {0}")]
    Build(String),
}

/// Number of elements of a shape, `None` on overflow.
pub fn element_count(shape: &[usize]) -> Option<usize> {
    shape.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d))
}

/// Parses V2 `data` (flat row-major or nested following `shape`) into a tensor of `datatype`.
///
/// Flat data must hold exactly `product(shape)` scalars; nested data must follow the shape
/// exactly. NaN and infinities cannot be written in JSON, and numbers that overflow FP32 are
/// rejected rather than silently becoming infinite.
pub fn parse(datatype: DataType, shape: &[usize], data: &Value) -> Result<Tensor, TensorError> {
    let expected = element_count(shape).ok_or_else(|| TensorError::TooLarge(shape.to_vec()))?;
    let mut leaves = Vec::with_capacity(expected.min(1 << 20));
    match data {
        Value::Array(items) if items.iter().all(|v| !v.is_array()) => {
            if items.len() != expected {
                return Err(TensorError::Count {
                    shape: shape.to_vec(),
                    expected,
                    got: items.len(),
                });
            }
            leaves.extend(items.iter());
        }
        Value::Array(_) => collect_nested(data, shape, 0, &mut leaves)?,
        // A lone scalar is accepted for a scalar (rank 0) or single-element tensor.
        scalar if expected == 1 => leaves.push(scalar),
        _ => {
            return Err(TensorError::Count {
                shape: shape.to_vec(),
                expected,
                got: 1,
            });
        }
    }
    build(datatype, shape, &leaves)
}

/// A float type the fast reader ([`read_float_lists`]) parses straight from the JSON text.
pub trait JsonFloat: tract_onnx::prelude::Datum + Copy {
    /// The value of a JSON number, or `None` when it is not finite in this type (the slow
    /// path then reports it).
    fn from_json(x: f64) -> Option<Self>;
}

impl JsonFloat for f32 {
    fn from_json(x: f64) -> Option<f32> {
        #[allow(clippy::cast_possible_truncation)] // range checked just below
        let y = x as f32;
        y.is_finite().then_some(y)
    }
}

impl JsonFloat for f64 {
    fn from_json(x: f64) -> Option<f64> {
        x.is_finite().then_some(x)
    }
}

/// Nested lists of numbers read straight from JSON text: their shape and the numbers in
/// row-major order.
#[derive(Debug, PartialEq)]
pub struct FloatLists<T> {
    /// The shape of the lists (`[[1, 2], [3, 4]]` → `[2, 2]`).
    pub shape: TVec<usize>,
    /// The numbers, row-major.
    pub values: Vec<T>,
}

/// Reads the field `field` of the JSON object `json` as nested lists of numbers of type `T`,
/// without building a `serde_json::Value`: one pass over the text, the numbers going
/// straight into one buffer.
///
/// This is the fast path of the common request: it gives `None` for anything unusual (not
/// an object, malformed JSON, a duplicate or escaped key, a missing field, ragged lists, an
/// element that is not a number or does not fit `T`, no element at all), and the caller then
/// reads the body the general way, which says what is wrong. So both paths accept the same
/// requests, give the same tensors, and errors keep their messages.
pub fn read_float_lists<T: JsonFloat>(json: &[u8], field: &str) -> Option<FloatLists<T>> {
    if json.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return None;
    }
    let mut lists = Lists {
        lens: TVec::new(),
        leaf_depth: None,
        // Each number takes two bytes at least (with its comma).
        values: Vec::with_capacity((json.len() / 2).min(1 << 16)),
    };
    let mut de = serde_json::Deserializer::from_slice(json);
    de.deserialize_map(Object {
        field,
        lists: &mut lists,
    })
    .ok()?;
    de.end().ok()?;
    let Lists {
        lens,
        leaf_depth,
        values,
    } = lists;
    let complete = leaf_depth == Some(lens.len())
        && element_count(&lens) == Some(values.len())
        && !values.is_empty();
    complete.then_some(FloatLists {
        shape: lens,
        values,
    })
}

/// What the fast reader has found so far.
struct Lists<T> {
    /// The length of the lists at each depth (`usize::MAX` until the first list there ends).
    lens: TVec<usize>,
    /// The depth of the numbers, once one is found.
    leaf_depth: Option<usize>,
    values: Vec<T>,
}

/// Any failure of the fast reader: the slow path reports the real error.
fn unusual<E: de::Error>() -> E {
    E::custom("not the common form")
}

struct Object<'a, T> {
    field: &'a str,
    lists: &'a mut Lists<T>,
}

impl<'de, T: JsonFloat> Visitor<'de> for Object<'_, T> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = false;
        // Borrowed keys only: a key with escapes fails here and goes the slow way.
        while let Some(key) = map.next_key::<&str>()? {
            if key == self.field {
                if seen {
                    return Err(unusual());
                }
                seen = true;
                map.next_value_seed(Level {
                    depth: 0,
                    lists: &mut *self.lists,
                })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        if seen { Ok(()) } else { Err(unusual()) }
    }
}

/// A list or a number at `depth`.
struct Level<'a, T> {
    depth: usize,
    lists: &'a mut Lists<T>,
}

impl<T: JsonFloat> Level<'_, T> {
    fn number<E: de::Error>(self, x: f64) -> Result<(), E> {
        let lists = self.lists;
        match lists.leaf_depth {
            Some(d) if d != self.depth => return Err(unusual()),
            Some(_) => {}
            None => lists.leaf_depth = Some(self.depth),
        }
        lists.values.push(T::from_json(x).ok_or_else(unusual)?);
        Ok(())
    }
}

impl<'de, T: JsonFloat> DeserializeSeed<'de> for Level<'_, T> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, T: JsonFloat> Visitor<'de> for Level<'_, T> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number or a list")
    }

    #[allow(clippy::cast_precision_loss)] // what `Value::as_f64` does
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
        self.number(v as f64)
    }

    #[allow(clippy::cast_precision_loss)] // what `Value::as_f64` does
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
        self.number(v as f64)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
        self.number(v)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let Level { depth, lists } = self;
        if lists.leaf_depth.is_some_and(|d| depth >= d) {
            return Err(unusual());
        }
        let mut n = 0usize;
        while seq
            .next_element_seed(Level {
                depth: depth + 1,
                lists: &mut *lists,
            })?
            .is_some()
        {
            n += 1;
        }
        if lists.lens.len() <= depth {
            lists.lens.resize(depth + 1, usize::MAX);
        }
        match lists.lens[depth] {
            usize::MAX => lists.lens[depth] = n,
            len if len != n => return Err(unusual()),
            _ => {}
        }
        Ok(())
    }
}

/// Builds a tensor of `shape` from numbers read by [`read_float_lists`] (as many as the
/// shape holds).
pub fn float_tensor<T: JsonFloat>(shape: &[usize], values: &[T]) -> Result<Tensor, TensorError> {
    tensor(shape, values)
}

/// The shape of nested JSON lists (`[[1, 2], [3, 4]]` → `[2, 2]`), rejecting ragged lists.
pub fn nested_shape(data: &Value) -> Result<Vec<usize>, TensorError> {
    let mut shape = Vec::new();
    let mut cursor = data;
    while let Value::Array(items) = cursor {
        shape.push(items.len());
        match items.first() {
            Some(first) => cursor = first,
            None => break,
        }
    }
    // Check every branch against the shape found along the first one.
    let mut leaves = Vec::new();
    collect_nested(data, &shape, 0, &mut leaves).map_err(|e| match e {
        TensorError::Nesting { detail, .. } => TensorError::Ragged(detail),
        other => other,
    })?;
    Ok(shape)
}

fn collect_nested<'a>(
    value: &'a Value,
    shape: &[usize],
    depth: usize,
    out: &mut Vec<&'a Value>,
) -> Result<(), TensorError> {
    let nesting = |detail: String| TensorError::Nesting {
        shape: shape.to_vec(),
        detail,
    };
    if depth == shape.len() {
        if value.is_array() {
            return Err(nesting(format!(
                "found a list at depth {depth}, expected a scalar"
            )));
        }
        out.push(value);
        return Ok(());
    }
    let Value::Array(items) = value else {
        return Err(nesting(format!(
            "found a scalar at depth {depth}, expected a list of {}",
            shape[depth]
        )));
    };
    if items.len() != shape[depth] {
        return Err(nesting(format!(
            "a list at depth {depth} has {} elements, expected {}",
            items.len(),
            shape[depth]
        )));
    }
    for item in items {
        collect_nested(item, shape, depth + 1, out)?;
    }
    Ok(())
}

/// The kind of a JSON element, for error messages: never its value (no tensor data in error
/// bodies and logs).
fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_f64() => "a number with a fraction or exponent",
        Value::Number(_) => "an integer",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
    .into()
}

/// Builds a tensor from the binary tensor data extension's bytes: little-endian, row-major,
/// no padding; BOOL one byte each, 0 or 1.
pub fn from_le_bytes(
    datatype: DataType,
    shape: &[usize],
    bytes: &[u8],
) -> Result<Tensor, TensorError> {
    let count = element_count(shape).ok_or_else(|| TensorError::TooLarge(shape.to_vec()))?;
    let expected = count
        .checked_mul(datatype.size())
        .ok_or_else(|| TensorError::TooLarge(shape.to_vec()))?;
    if bytes.len() != expected {
        return Err(TensorError::BinarySize {
            shape: shape.to_vec(),
            datatype,
            expected,
            got: bytes.len(),
        });
    }
    macro_rules! le {
        ($t:ty) => {{
            let v: Vec<$t> = bytes
                .chunks_exact(std::mem::size_of::<$t>())
                .map(|c| <$t>::from_le_bytes(c.try_into().expect("chunk of the element size")))
                .collect();
            tensor(shape, &v)
        }};
    }
    match datatype {
        DataType::Bool => {
            let mut v = Vec::with_capacity(bytes.len());
            for (index, &b) in bytes.iter().enumerate() {
                match b {
                    0 => v.push(false),
                    1 => v.push(true),
                    _ => return Err(TensorError::BinaryBool { index }),
                }
            }
            tensor(shape, &v)
        }
        DataType::U8 => le!(u8),
        DataType::U16 => le!(u16),
        DataType::U32 => le!(u32),
        DataType::U64 => le!(u64),
        DataType::I8 => le!(i8),
        DataType::I16 => le!(i16),
        DataType::I32 => le!(i32),
        DataType::I64 => le!(i64),
        DataType::F32 => le!(f32),
        DataType::F64 => le!(f64),
    }
}

/// Appends an output tensor as binary tensor data (little-endian, row-major) to `out`, and
/// returns its datatype.
pub fn append_le_bytes(t: &Tensor, out: &mut Vec<u8>) -> Result<DataType, OutputError> {
    let dt = t.datum_type();
    if dt == DatumType::TDim {
        let ints = t.cast_to::<i64>().map_err(|_| UnsupportedOutput(dt))?;
        return append_le_bytes(&ints, out);
    }
    let datatype = DataType::from_datum(dt).ok_or(UnsupportedOutput(dt))?;
    macro_rules! le {
        ($t:ty) => {{
            let view = t
                .to_plain_array_view::<$t>()
                .map_err(|_| UnsupportedOutput(dt))?;
            let bytes = view.len().saturating_mul(std::mem::size_of::<$t>());
            out.try_reserve(bytes).map_err(|_| OutOfMemory { bytes })?;
            for x in view.iter() {
                out.extend_from_slice(&x.to_le_bytes());
            }
        }};
    }
    match datatype {
        DataType::Bool => {
            let view = t
                .to_plain_array_view::<bool>()
                .map_err(|_| UnsupportedOutput(dt))?;
            let bytes = view.len();
            out.try_reserve(bytes).map_err(|_| OutOfMemory { bytes })?;
            out.extend(view.iter().map(|&b| u8::from(b)));
        }
        DataType::U8 => le!(u8),
        DataType::U16 => le!(u16),
        DataType::U32 => le!(u32),
        DataType::U64 => le!(u64),
        DataType::I8 => le!(i8),
        DataType::I16 => le!(i16),
        DataType::I32 => le!(i32),
        DataType::I64 => le!(i64),
        DataType::F32 => le!(f32),
        DataType::F64 => le!(f64),
    }
    Ok(datatype)
}

fn build(datatype: DataType, shape: &[usize], leaves: &[&Value]) -> Result<Tensor, TensorError> {
    let wrong = |index: usize, value: &Value| TensorError::Element {
        index,
        datatype,
        expected: datatype.expected(),
        got: describe(value),
    };
    let range = |index: usize, _: &Value| TensorError::OutOfRange { index, datatype };
    macro_rules! ints {
        ($t:ty) => {{
            let mut v: Vec<$t> = Vec::with_capacity(leaves.len());
            for (i, leaf) in leaves.iter().enumerate() {
                let Value::Number(n) = leaf else {
                    return Err(wrong(i, leaf));
                };
                let x = if let Some(x) = n.as_i64() {
                    <$t>::try_from(x).map_err(|_| range(i, leaf))?
                } else if let Some(x) = n.as_u64() {
                    <$t>::try_from(x).map_err(|_| range(i, leaf))?
                } else {
                    return Err(wrong(i, leaf));
                };
                v.push(x);
            }
            tensor(shape, &v)
        }};
    }
    match datatype {
        DataType::Bool => {
            let mut v = Vec::with_capacity(leaves.len());
            for (i, leaf) in leaves.iter().enumerate() {
                v.push(leaf.as_bool().ok_or_else(|| wrong(i, leaf))?);
            }
            tensor(shape, &v)
        }
        DataType::U8 => ints!(u8),
        DataType::U16 => ints!(u16),
        DataType::U32 => ints!(u32),
        DataType::U64 => ints!(u64),
        DataType::I8 => ints!(i8),
        DataType::I16 => ints!(i16),
        DataType::I32 => ints!(i32),
        DataType::I64 => ints!(i64),
        DataType::F32 => {
            let mut v = Vec::with_capacity(leaves.len());
            for (i, leaf) in leaves.iter().enumerate() {
                let x = leaf.as_f64().ok_or_else(|| wrong(i, leaf))?;
                #[allow(clippy::cast_possible_truncation)] // range checked just below
                let y = x as f32;
                if !y.is_finite() {
                    return Err(range(i, leaf));
                }
                v.push(y);
            }
            tensor(shape, &v)
        }
        DataType::F64 => {
            let mut v = Vec::with_capacity(leaves.len());
            for (i, leaf) in leaves.iter().enumerate() {
                let x = leaf.as_f64().ok_or_else(|| wrong(i, leaf))?;
                if !x.is_finite() {
                    return Err(range(i, leaf));
                }
                v.push(x);
            }
            tensor(shape, &v)
        }
    }
}

fn tensor<T: tract_onnx::prelude::Datum + Copy>(
    shape: &[usize],
    data: &[T],
) -> Result<Tensor, TensorError> {
    Tensor::from_shape(shape, data).map_err(|e| TensorError::Build(e.to_string()))
}

/// Output elements in row-major order, typed so that JSON keeps each type's shortest form
/// (an FP32 `0.1` is written `0.1`, not `0.10000000149011612`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Data {
    /// BOOL.
    Bool(Vec<bool>),
    /// Every signed integer type.
    Int(Vec<i64>),
    /// Every unsigned integer type.
    UInt(Vec<u64>),
    /// FP32. Non-finite values are written as `null` (JSON has no NaN).
    F32(Vec<f32>),
    /// FP64. Non-finite values are written as `null`.
    F64(Vec<f64>),
}

/// An output tensor ready for JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct Output {
    /// Protocol datatype.
    pub datatype: DataType,
    /// Concrete shape.
    pub shape: Vec<usize>,
    /// Elements, row-major.
    pub data: Data,
}

/// Why an output tensor could not be turned into JSON.
#[derive(Debug, thiserror::Error)]
#[error("output of type {0:?} cannot be returned as JSON")]
pub struct UnsupportedOutput(pub DatumType);

/// Why an output could not be written into the response.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// A type the protocol cannot carry.
    #[error(transparent)]
    Unsupported(#[from] UnsupportedOutput),
    /// Memory for the response could not be had (a checked allocation failed, instead of
    /// aborting the process).
    #[error(transparent)]
    Memory(#[from] OutOfMemory),
}

/// A checked allocation that failed.
#[derive(Debug, thiserror::Error)]
#[error("cannot allocate {bytes} bytes for the response")]
pub struct OutOfMemory {
    /// The bytes asked for.
    pub bytes: usize,
}

/// An empty vector with room for `len` elements, or an error instead of an abort when the
/// memory cannot be had (a response a hundred times larger than usual must fail alone).
pub fn try_vec<T>(len: usize) -> Result<Vec<T>, OutOfMemory> {
    let mut v = Vec::new();
    v.try_reserve_exact(len).map_err(|_| OutOfMemory {
        bytes: len.saturating_mul(std::mem::size_of::<T>()),
    })?;
    Ok(v)
}

/// Converts a tract output tensor into row-major JSON-ready data.
pub fn to_output(t: &Tensor) -> Result<Output, OutputError> {
    let dt = t.datum_type();
    if dt == DatumType::TDim {
        let ints = t.cast_to::<i64>().map_err(|_| UnsupportedOutput(dt))?;
        return to_output(&ints);
    }
    let datatype = DataType::from_datum(dt).ok_or(UnsupportedOutput(dt))?;
    fn collect<T: tract_onnx::prelude::Datum + Copy, U>(
        t: &Tensor,
        f: impl Fn(T) -> U,
    ) -> Result<Vec<U>, OutputError> {
        let view = t
            .to_plain_array_view::<T>()
            .map_err(|_| UnsupportedOutput(t.datum_type()))?;
        let mut out = try_vec(view.len())?;
        out.extend(view.iter().map(|&x| f(x)));
        Ok(out)
    }
    let data = match datatype {
        DataType::Bool => Data::Bool(collect::<bool, _>(t, |x| x)?),
        DataType::U8 => Data::UInt(collect::<u8, _>(t, u64::from)?),
        DataType::U16 => Data::UInt(collect::<u16, _>(t, u64::from)?),
        DataType::U32 => Data::UInt(collect::<u32, _>(t, u64::from)?),
        DataType::U64 => Data::UInt(collect::<u64, _>(t, |x| x)?),
        DataType::I8 => Data::Int(collect::<i8, _>(t, i64::from)?),
        DataType::I16 => Data::Int(collect::<i16, _>(t, i64::from)?),
        DataType::I32 => Data::Int(collect::<i32, _>(t, i64::from)?),
        DataType::I64 => Data::Int(collect::<i64, _>(t, |x| x)?),
        DataType::F32 => Data::F32(collect::<f32, _>(t, |x| x)?),
        DataType::F64 => Data::F64(collect::<f64, _>(t, |x| x)?),
    };
    Ok(Output {
        datatype,
        shape: t.shape().to_vec(),
        data,
    })
}

/// A float output element written straight into JSON text, as serde_json writes it: the
/// shortest form that reads back the same, `null` when not finite.
pub trait JsonFloatOut: tract_onnx::prelude::Datum + Copy {
    /// About the most bytes one element takes with its comma (see the JSON estimates).
    const JSON_WIDTH: usize;
    /// Appends the element.
    fn write_json(self, buf: &mut Vec<u8>);
}

impl JsonFloatOut for f32 {
    const JSON_WIDTH: usize = 16;
    fn write_json(self, buf: &mut Vec<u8>) {
        use serde_json::ser::Formatter;
        if self.is_finite() {
            // Writing into a Vec cannot fail.
            let _ = serde_json::ser::CompactFormatter.write_f32(buf, self);
        } else {
            buf.extend_from_slice(b"null");
        }
    }
}

impl JsonFloatOut for f64 {
    const JSON_WIDTH: usize = 24;
    fn write_json(self, buf: &mut Vec<u8>) {
        use serde_json::ser::Formatter;
        if self.is_finite() {
            let _ = serde_json::ser::CompactFormatter.write_f64(buf, self);
        } else {
            buf.extend_from_slice(b"null");
        }
    }
}

/// Appends `data` as nested lists following `shape`: the text [`Nested`] serializes to,
/// written straight from the tensor's numbers (no copy into [`Data`] first).
pub fn write_nested_floats<T: JsonFloatOut>(buf: &mut Vec<u8>, data: &[T], shape: &[usize]) {
    let Some((&outer, inner)) = shape.split_first() else {
        match data.first() {
            Some(x) => x.write_json(buf),
            None => buf.extend_from_slice(b"null"),
        }
        return;
    };
    buf.push(b'[');
    if inner.is_empty() {
        // The innermost lists: the elements themselves.
        for i in 0..outer {
            if i > 0 {
                buf.push(b',');
            }
            match data.get(i) {
                Some(x) => x.write_json(buf),
                None => buf.extend_from_slice(b"null"),
            }
        }
    } else {
        let chunk = element_count(inner).unwrap_or(0);
        for i in 0..outer {
            if i > 0 {
                buf.push(b',');
            }
            let part = data.get(i * chunk..(i + 1) * chunk).unwrap_or(&[]);
            write_nested_floats(buf, part, inner);
        }
    }
    buf.push(b']');
}

/// Serializes data as nested lists following `shape` (the `/predict` form).
pub struct Nested<'a> {
    /// The elements, row-major.
    pub data: &'a Data,
    /// The shape to nest them by.
    pub shape: &'a [usize],
}

impl Serialize for Nested<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.data {
            Data::Bool(v) => NestedSlice(v, self.shape).serialize(s),
            Data::Int(v) => NestedSlice(v, self.shape).serialize(s),
            Data::UInt(v) => NestedSlice(v, self.shape).serialize(s),
            Data::F32(v) => NestedSlice(v, self.shape).serialize(s),
            Data::F64(v) => NestedSlice(v, self.shape).serialize(s),
        }
    }
}

struct NestedSlice<'a, T>(&'a [T], &'a [usize]);

impl<T: Serialize> Serialize for NestedSlice<'_, T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let NestedSlice(data, shape) = *self;
        let Some((&outer, inner)) = shape.split_first() else {
            // Rank 0: the single element itself.
            return match data.first() {
                Some(x) => x.serialize(s),
                None => s.serialize_none(),
            };
        };
        let chunk = element_count(inner).unwrap_or(0);
        let mut seq = s.serialize_seq(Some(outer))?;
        for i in 0..outer {
            let part = data.get(i * chunk..(i + 1) * chunk).unwrap_or(&[]);
            seq.serialize_element(&NestedSlice(part, inner))?;
        }
        seq.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn values<T: tract_onnx::prelude::Datum + Copy>(t: &Tensor) -> Vec<T> {
        t.to_plain_array_view::<T>()
            .unwrap()
            .iter()
            .copied()
            .collect()
    }

    /// A response buffer the memory cannot hold is an error, not an abort.
    #[test]
    fn checked_allocations_fail_instead_of_aborting() {
        let e = try_vec::<u64>(usize::MAX / 4).unwrap_err();
        assert!(e.bytes > 1 << 60, "{e}");
        // Larger than any machine's memory, yet a valid layout: the allocator says no.
        assert!(try_vec::<u8>(1 << 62).is_err());
        assert_eq!(try_vec::<f32>(1000).unwrap().capacity(), 1000);
    }

    /// The fast reader gives what the general path gives, and declines everything unusual.
    #[test]
    fn fast_float_reader_agrees_with_the_general_path() {
        for body in [
            r#"{"features": [0.1, 2.0, -1.5, 3]}"#,
            r#" {"id": {"a": [1]}, "features": [[1, 2e3], [-0.0, 4.5]], "x": null} "#,
            r#"{"features": [[[1], [2]], [[3], [4]], [[5], [6]]]}"#,
            r#"{"features": 7}"#,
            r#"{"features": [18446744073709551615, -9223372036854775808]}"#,
        ] {
            let fast = read_float_lists::<f64>(body.as_bytes(), "features").unwrap();
            let v: Value = serde_json::from_str(body).unwrap();
            let shape = nested_shape(&v["features"]).unwrap();
            assert_eq!(fast.shape.as_slice(), shape.as_slice(), "{body}");
            let slow = parse(DataType::F64, &shape, &v["features"]).unwrap();
            assert_eq!(float_tensor(&shape, &fast.values).unwrap(), slow, "{body}");
            let fast32 = read_float_lists::<f32>(body.as_bytes(), "features").unwrap();
            let slow32 = parse(DataType::F32, &shape, &v["features"]).unwrap();
            assert_eq!(
                float_tensor(&shape, &fast32.values).unwrap(),
                slow32,
                "{body}"
            );
        }
        for body in [
            r#"[1, 2]"#,
            r#"{"features": [1, 2]"#,
            r#"{"features": [1, 2]} x"#,
            r#"{"features": [1, 2], "features": [3, 4]}"#,
            r#"{"feat\u0075res": [1, 2]}"#,
            r#"{"other": [1, 2]}"#,
            r#"{"features": [[1, 2], [3]]}"#,
            r#"{"features": [[1, 2], 3]}"#,
            r#"{"features": [1, [2]]}"#,
            r#"{"features": [[], [1]]}"#,
            r#"{"features": [[1], []]}"#,
            r#"{"features": []}"#,
            r#"{"features": [[]]}"#,
            r#"{"features": [1, "2"]}"#,
            r#"{"features": [1, null]}"#,
            r#"{"features": [true]}"#,
            r#"{"features": [1e39]}"#,
        ] {
            assert_eq!(
                read_float_lists::<f32>(body.as_bytes(), "features"),
                None,
                "{body}"
            );
        }
        assert!(read_float_lists::<f64>(br#"{"features": [1e39]}"#, "features").is_some());
    }

    /// Floats written straight into JSON give the text serde gives through `Nested`.
    #[test]
    fn nested_floats_are_written_as_serde_writes_them() {
        let v32 = [0.1f32, -2.5, f32::NAN, 1e-7, 3.0, f32::INFINITY];
        let v64 = [0.1f64, -2.5, f64::NAN, 1e300, 3.0, 7.0];
        for shape in [&[6][..], &[2, 3], &[3, 2], &[1, 6], &[6, 1, 1]] {
            let mut buf = Vec::new();
            write_nested_floats(&mut buf, &v32, shape);
            let data = Data::F32(v32.to_vec());
            let nested = serde_json::to_vec(&Nested { data: &data, shape }).unwrap();
            assert_eq!(buf, nested, "{shape:?}");
            buf.clear();
            write_nested_floats(&mut buf, &v64, shape);
            let data = Data::F64(v64.to_vec());
            let nested = serde_json::to_vec(&Nested { data: &data, shape }).unwrap();
            assert_eq!(buf, nested, "{shape:?}");
        }
        let mut buf = Vec::new();
        write_nested_floats(&mut buf, &[1.5f32], &[]);
        assert_eq!(buf, b"1.5");
    }

    #[test]
    fn names_round_trip() {
        for dt in DataType::ALL {
            assert_eq!(DataType::from_name(dt.name()), Some(dt));
            assert_eq!(DataType::from_datum(dt.datum()), Some(dt));
        }
        assert_eq!(DataType::from_name("fp32"), None);
        assert_eq!(DataType::from_name("BYTES"), None);
    }

    #[test]
    fn fp32_flat_and_nested_agree() {
        let flat = parse(DataType::F32, &[2, 2], &json!([1, 2.5, -3, 4e-3])).unwrap();
        let nested = parse(DataType::F32, &[2, 2], &json!([[1, 2.5], [-3, 4e-3]])).unwrap();
        assert_eq!(flat.shape(), &[2, 2]);
        assert_eq!(values::<f32>(&flat), vec![1.0, 2.5, -3.0, 0.004]);
        assert_eq!(values::<f32>(&flat), values::<f32>(&nested));
    }

    #[test]
    fn fp64_keeps_precision() {
        let t = parse(DataType::F64, &[2], &json!([0.1, 1e300])).unwrap();
        assert_eq!(values::<f64>(&t), vec![0.1, 1e300]);
    }

    #[test]
    fn fp32_overflow_is_rejected_not_infinite() {
        let e = parse(DataType::F32, &[2], &json!([1.0, 1e300])).unwrap_err();
        assert!(matches!(e, TensorError::OutOfRange { index: 1, .. }), "{e}");
    }

    #[test]
    fn int32_checks_range_and_integrality() {
        let t = parse(DataType::I32, &[3], &json!([-2147483648i64, 0, 2147483647])).unwrap();
        assert_eq!(values::<i32>(&t), vec![i32::MIN, 0, i32::MAX]);
        let e = parse(DataType::I32, &[1], &json!([2147483648i64])).unwrap_err();
        assert!(matches!(e, TensorError::OutOfRange { .. }), "{e}");
        let e = parse(DataType::I32, &[1], &json!([1.5])).unwrap_err();
        assert_eq!(
            e.to_string(),
            "element 0 is a number with a fraction or exponent, expected an integer for INT32"
        );
    }

    #[test]
    fn int64_and_uint64_extremes() {
        let t = parse(DataType::I64, &[2], &json!([i64::MIN, i64::MAX])).unwrap();
        assert_eq!(values::<i64>(&t), vec![i64::MIN, i64::MAX]);
        let t = parse(DataType::U64, &[1], &json!([u64::MAX])).unwrap();
        assert_eq!(values::<u64>(&t), vec![u64::MAX]);
        let e = parse(DataType::U8, &[1], &json!([-1])).unwrap_err();
        assert!(matches!(e, TensorError::OutOfRange { .. }), "{e}");
    }

    #[test]
    fn bool_needs_json_booleans() {
        let t = parse(DataType::Bool, &[1, 2], &json!([[true, false]])).unwrap();
        assert_eq!(values::<bool>(&t), vec![true, false]);
        let e = parse(DataType::Bool, &[2], &json!([true, 1])).unwrap_err();
        assert_eq!(
            e.to_string(),
            "element 1 is an integer, expected true or false for BOOL"
        );
    }

    #[test]
    fn wrong_count_and_wrong_nesting_say_what_was_expected() {
        let e = parse(DataType::F32, &[2, 3], &json!([1, 2, 3])).unwrap_err();
        assert_eq!(e.to_string(), "shape [2, 3] needs 6 elements, data has 3");
        let e = parse(DataType::F32, &[2, 2], &json!([[1, 2], [3]])).unwrap_err();
        assert!(e.to_string().contains("has 1 elements, expected 2"), "{e}");
        let e = parse(DataType::F32, &[2, 2], &json!([[1, 2], 3, 4])).unwrap_err();
        assert!(matches!(e, TensorError::Nesting { .. }), "{e}");
        let e = parse(DataType::F32, &[1], &json!(["1"])).unwrap_err();
        assert!(e.to_string().contains("is a string"), "{e}");
        let e = parse(DataType::F32, &[1], &json!([null])).unwrap_err();
        assert!(e.to_string().contains("null"), "{e}");
    }

    #[test]
    fn scalars_and_empty_tensors() {
        let t = parse(DataType::F32, &[], &json!(2.0)).unwrap();
        assert_eq!(t.shape(), &[] as &[usize]);
        let t = parse(DataType::F32, &[], &json!([2.0])).unwrap();
        assert_eq!(values::<f32>(&t), vec![2.0]);
        let t = parse(DataType::F32, &[0, 4], &json!([])).unwrap();
        assert_eq!(t.shape(), &[0, 4]);
        let e = parse(DataType::F32, &[usize::MAX, 2], &json!([])).unwrap_err();
        assert!(matches!(e, TensorError::TooLarge(_)));
    }

    #[test]
    fn binary_data_round_trips_little_endian() {
        let t = from_le_bytes(DataType::F32, &[2], &[0, 0, 128, 63, 0, 0, 0, 192]).unwrap();
        assert_eq!(values::<f32>(&t), vec![1.0, -2.0]);
        let mut out = Vec::new();
        assert_eq!(append_le_bytes(&t, &mut out).unwrap(), DataType::F32);
        assert_eq!(out, [0, 0, 128, 63, 0, 0, 0, 192]);
        let t = from_le_bytes(DataType::I64, &[1], &(-5i64).to_le_bytes()).unwrap();
        assert_eq!(values::<i64>(&t), vec![-5]);
        let t = from_le_bytes(DataType::Bool, &[2], &[1, 0]).unwrap();
        assert_eq!(values::<bool>(&t), vec![true, false]);
        let e = from_le_bytes(DataType::Bool, &[1], &[2]).unwrap_err();
        assert_eq!(e, TensorError::BinaryBool { index: 0 });
        let e = from_le_bytes(DataType::F64, &[2, 2], &[0; 31]).unwrap_err();
        assert!(
            matches!(
                e,
                TensorError::BinarySize {
                    expected: 32,
                    got: 31,
                    ..
                }
            ),
            "{e}"
        );
    }

    #[test]
    fn nested_shape_finds_shapes_and_rejects_ragged_lists() {
        assert_eq!(nested_shape(&json!([1, 2, 3])).unwrap(), vec![3]);
        assert_eq!(
            nested_shape(&json!([[1, 2], [3, 4], [5, 6]])).unwrap(),
            vec![3, 2]
        );
        assert_eq!(nested_shape(&json!(1)).unwrap(), Vec::<usize>::new());
        assert!(matches!(
            nested_shape(&json!([[1, 2], [3]])),
            Err(TensorError::Ragged(_))
        ));
    }

    #[test]
    fn outputs_serialize_flat_and_nested() {
        let t = Tensor::from_shape(&[2, 2], &[0.1f32, 2.0, -3.5, 4.0]).unwrap();
        let out = to_output(&t).unwrap();
        assert_eq!(out.datatype, DataType::F32);
        assert_eq!(
            serde_json::to_string(&out.data).unwrap(),
            "[0.1,2.0,-3.5,4.0]"
        );
        let nested = Nested {
            data: &out.data,
            shape: &out.shape,
        };
        assert_eq!(
            serde_json::to_string(&nested).unwrap(),
            "[[0.1,2.0],[-3.5,4.0]]"
        );
        let t = Tensor::from_shape(&[3], &[true, false, true]).unwrap();
        assert_eq!(
            to_output(&t).unwrap().data,
            Data::Bool(vec![true, false, true])
        );
        let t = Tensor::from_shape(&[1], &[-7i32]).unwrap();
        assert_eq!(to_output(&t).unwrap().data, Data::Int(vec![-7]));
        let t = Tensor::from_shape(&[1], &[f32::NAN]).unwrap();
        assert_eq!(
            serde_json::to_string(&to_output(&t).unwrap().data).unwrap(),
            "[null]"
        );
    }
}
