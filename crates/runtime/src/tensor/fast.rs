//! The fast path of `/predict`: nested lists of floats read straight from the JSON text into
//! the input's numbers, no `serde_json::Value` in between.

use serde::Deserializer as _;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::fmt;

use tract_onnx::prelude::{TVec, Tensor};

use super::{TensorError, element_count, tensor};

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tensor::*;
    use serde_json::Value;

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
}
