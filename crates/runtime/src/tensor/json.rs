//! V2 `data` from JSON: flat row-major or nested following the shape, checked against the
//! shape and the datatype element by element.

use serde_json::Value;
use tract_onnx::prelude::Tensor;

use super::{DataType, TensorError, element_count, tensor};

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tensor::*;
    use serde_json::json;

    fn values<T: tract_onnx::prelude::Datum + Copy>(t: &Tensor) -> Vec<T> {
        t.to_plain_array_view::<T>()
            .unwrap()
            .iter()
            .copied()
            .collect()
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
}
