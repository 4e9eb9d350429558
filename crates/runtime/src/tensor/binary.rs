//! The binary tensor data extension: inputs from little-endian row-major bytes, outputs to
//! them.

use tract_onnx::prelude::{DatumType, Tensor};

use super::output::{OutOfMemory, OutputError, UnsupportedOutput};
use super::{DataType, TensorError, element_count, tensor};

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tensor::*;

    fn values<T: tract_onnx::prelude::Datum + Copy>(t: &Tensor) -> Vec<T> {
        t.to_plain_array_view::<T>()
            .unwrap()
            .iter()
            .copied()
            .collect()
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
}
