//! Int-or-percent values (`maxSurge: 1`, `maxUnavailable: "25%"`): what Kubernetes'
//! `IntOrString` holds in rolling updates and disruption budgets, parsed once.

use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

/// A count of pods or a percentage of them, as a Deployment's `maxSurge`/`maxUnavailable` and
/// a PodDisruptionBudget's `maxUnavailable` take it: a YAML integer (`1`) or a string of digits
/// and `%` (`"25%"`). A quoted number (`"1"`) is rejected, as the API server rejects it.
///
/// ```
/// use slipway_core::k8s::int_or_percent::IntOrPercent;
///
/// let read = |v: serde_json::Value| serde_json::from_value::<IntOrPercent>(v);
/// assert_eq!(read(serde_json::json!(1)).unwrap(), IntOrPercent::Int(1));
/// assert_eq!(read(serde_json::json!("25%")).unwrap(), IntOrPercent::Percent(25));
/// assert!(read(serde_json::json!("1")).is_err());
/// assert!(read(serde_json::json!(-1)).is_err());
/// assert_eq!(IntOrPercent::Percent(25).to_string(), "25%");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IntOrPercent {
    /// A number of pods.
    Int(u32),
    /// A percentage of the pods (may exceed 100 where Kubernetes allows it, e.g. `maxSurge`).
    Percent(u32),
}

/// Why a value is not an int-or-percent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` is neither a whole number of pods nor a percentage: {reason}")]
pub struct IntOrPercentError {
    /// The offending value, as written.
    pub text: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

/// The largest count or percentage Kubernetes stores (an `int32`).
const MAX: u64 = i32::MAX as u64;

impl IntOrPercent {
    /// Parses the string form: digits and `%`.
    pub fn parse(text: &str) -> Result<Self, IntOrPercentError> {
        let fail = |reason| IntOrPercentError {
            text: text.to_string(),
            reason,
        };
        let Some(digits) = text.strip_suffix('%') else {
            return Err(fail(
                if text.bytes().all(|b| b.is_ascii_digit()) && !text.is_empty() {
                    "a quoted number is a string, which Kubernetes reads only as a percentage; write the number unquoted (`1`) or a percentage (`25%`)"
                } else {
                    "write a number (`1`) or a percentage (`25%`)"
                },
            ));
        };
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(fail(
                "a percentage is whole digits followed by `%`, e.g. `25%`",
            ));
        }
        match digits.parse::<u64>() {
            Ok(n) if n <= MAX => Ok(Self::Percent(n as u32)),
            _ => Err(fail("it is too large")),
        }
    }

    /// Whether it is `0` or `0%`.
    pub fn is_zero(self) -> bool {
        matches!(self, Self::Int(0) | Self::Percent(0))
    }
}

impl std::fmt::Display for IntOrPercent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Int(n) => write!(f, "{n}"),
            Self::Percent(n) => write!(f, "{n}%"),
        }
    }
}

impl From<IntOrPercent> for IntOrString {
    fn from(value: IntOrPercent) -> Self {
        match value {
            IntOrPercent::Int(n) => Self::Int(n as i32),
            IntOrPercent::Percent(_) => Self::String(value.to_string()),
        }
    }
}

impl serde::Serialize for IntOrPercent {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Int(n) => serializer.serialize_u32(*n),
            Self::Percent(_) => serializer.collect_str(self),
        }
    }
}

impl<'de> serde::Deserialize<'de> for IntOrPercent {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = IntOrPercent;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a whole number of pods such as `1` or a percentage such as `25%`")
            }
            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<IntOrPercent, E> {
                IntOrPercent::parse(text).map_err(E::custom)
            }
            fn visit_u64<E: serde::de::Error>(self, value: u64) -> Result<IntOrPercent, E> {
                if value > MAX {
                    return Err(E::custom(IntOrPercentError {
                        text: value.to_string(),
                        reason: "it is too large",
                    }));
                }
                Ok(IntOrPercent::Int(value as u32))
            }
            fn visit_i64<E: serde::de::Error>(self, value: i64) -> Result<IntOrPercent, E> {
                match u64::try_from(value) {
                    Ok(value) => self.visit_u64(value),
                    Err(_) => Err(E::custom(IntOrPercentError {
                        text: value.to_string(),
                        reason: "it cannot be negative",
                    })),
                }
            }
            fn visit_f64<E: serde::de::Error>(self, value: f64) -> Result<IntOrPercent, E> {
                Err(E::custom(IntOrPercentError {
                    text: value.to_string(),
                    reason: "pods are counted in whole numbers; write e.g. `1` or `25%`",
                }))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

impl schemars::JsonSchema for IntOrPercent {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "IntOrPercent".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A whole number of pods (`1`) or a percentage of them (`\"25%\"`), as Kubernetes' int-or-string.",
            "type": ["integer", "string"],
            "minimum": 0,
            "maximum": MAX,
            "pattern": "^[0-9]+%$",
            "format": "int-or-percent"
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(value: serde_json::Value) -> Result<IntOrPercent, String> {
        serde_json::from_value(value).map_err(|e| e.to_string())
    }

    #[test]
    fn reads_what_kubernetes_reads() {
        assert_eq!(read(json!(0)), Ok(IntOrPercent::Int(0)));
        assert_eq!(read(json!(3)), Ok(IntOrPercent::Int(3)));
        assert_eq!(read(json!("0%")), Ok(IntOrPercent::Percent(0)));
        assert_eq!(read(json!("150%")), Ok(IntOrPercent::Percent(150)));
    }

    #[test]
    fn rejects_the_rest_saying_why() {
        for (value, reason) in [
            (json!("1"), "write the number unquoted"),
            (json!("25 %"), "whole digits followed by `%`"),
            (json!("%"), "whole digits followed by `%`"),
            (json!("-5%"), "whole digits followed by `%`"),
            (json!("a few"), "write a number"),
            (json!(-1), "cannot be negative"),
            (json!(1.5), "whole numbers"),
            (json!(4_000_000_000u64), "too large"),
            (json!(true), "expected a whole number of pods"),
        ] {
            let error = read(value.clone()).unwrap_err();
            assert!(error.contains(reason), "{value}: {error}");
        }
    }

    #[test]
    fn writes_what_it_read_and_converts_to_int_or_string() {
        for value in [json!(1), json!("25%")] {
            let parsed: IntOrPercent = serde_json::from_value(value.clone()).unwrap();
            assert_eq!(serde_json::to_value(parsed).unwrap(), value);
        }
        assert_eq!(IntOrString::from(IntOrPercent::Int(1)), IntOrString::Int(1));
        assert_eq!(
            IntOrString::from(IntOrPercent::Percent(25)),
            IntOrString::String("25%".into())
        );
    }
}
