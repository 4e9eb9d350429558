//! The Kubernetes vocabulary every stage shares: names, label values, image references,
//! quantities, durations, cron schedules and int-or-percent values. It depends on nothing else
//! in the crate.

pub mod crd;
pub mod cron;
pub mod duration;
pub mod image;
pub mod int_or_percent;
pub mod name;
pub mod quantity;

/// Implements `FromStr`, `Display` and `Serialize` (as the text written) for a type that
/// parses from text with `Type::parse(&str) -> Result<Type, Error>` and keeps it in a `text`
/// field; with `string`, also `Deserialize` from a YAML string.
macro_rules! parsed_text {
    ($type:ty, $error:ty) => {
        impl std::str::FromStr for $type {
            type Err = $error;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                Self::parse(text)
            }
        }

        impl std::fmt::Display for $type {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.text)
            }
        }

        impl serde::Serialize for $type {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.text)
            }
        }
    };
    ($type:ty, $error:ty, string) => {
        $crate::k8s::parsed_text!($type, $error);

        impl<'de> serde::Deserialize<'de> for $type {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = String::deserialize(deserializer)?;
                Self::parse(&text).map_err(serde::de::Error::custom)
            }
        }
    };
}
use parsed_text;
