//! Outputs: tract tensors to typed row-major data for JSON (flat or nested), floats written
//! straight into the response, and the checked allocations of response buffers.

use serde::Serialize;
use serde::ser::{SerializeSeq, Serializer};
use tract_onnx::prelude::{DatumType, Tensor};

use super::{DataType, element_count};

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
    use crate::tensor::*;

    /// A response buffer the memory cannot hold is an error, not an abort.
    #[test]
    fn checked_allocations_fail_instead_of_aborting() {
        let e = try_vec::<u64>(usize::MAX / 4).unwrap_err();
        assert!(e.bytes > 1 << 60, "{e}");
        // Larger than any machine's memory, yet a valid layout: the allocator says no.
        assert!(try_vec::<u8>(1 << 62).is_err());
        assert_eq!(try_vec::<f32>(1000).unwrap().capacity(), 1000);
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
