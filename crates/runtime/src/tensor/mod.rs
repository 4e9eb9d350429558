//! Tensors between the wire and tract: the V2 datatypes and their errors here; reading
//! request data from JSON ([`json`], with a fast path for float lists in [`fast`]) and from
//! the binary tensor data extension's bytes ([`binary`]); writing outputs ([`output`]).

use tract_onnx::prelude::{DatumType, Tensor};

pub mod binary;
pub mod fast;
pub mod json;
pub mod output;

pub use binary::{append_le_bytes, from_le_bytes};
pub use fast::{JsonFloat, float_tensor, read_float_lists};
pub use json::{nested_shape, parse};
pub use output::{
    Data, JsonFloatOut, Nested, Output, OutputError, to_output, try_vec, write_nested_floats,
};

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
    /// gRPC typed contents in a field other than the datatype's.
    #[error("datatype {datatype} takes its elements in {expected}, the request uses {got}")]
    Contents {
        /// The input's datatype.
        datatype: DataType,
        /// The field for that datatype.
        expected: &'static str,
        /// The field the request filled.
        got: &'static str,
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

/// A tensor of `shape` from row-major elements (their count checked by the caller).
fn tensor<T: tract_onnx::prelude::Datum + Copy>(
    shape: &[usize],
    data: &[T],
) -> Result<Tensor, TensorError> {
    Tensor::from_shape(shape, data).map_err(|e| TensorError::Build(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for dt in DataType::ALL {
            assert_eq!(DataType::from_name(dt.name()), Some(dt));
            assert_eq!(DataType::from_datum(dt.datum()), Some(dt));
        }
        assert_eq!(DataType::from_name("fp32"), None);
        assert_eq!(DataType::from_name("BYTES"), None);
    }
}
