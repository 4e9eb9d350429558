//! Every YAML read and write of Slipway goes through this module. Reading is `yaml_serde`'s
//! (the maintained continuation of `serde_yaml`, used under that name). Writing is our own
//! serde serializer (`ser.rs`, `key.rs`) and block emitter (`emit.rs`, `scalar.rs`), ported
//! from `yaml_serde` 0.10 and the libyaml emitter under it so that the output is the same
//! byte for byte, several times faster, and quotes YAML 1.1 booleans as it goes.

mod emit;
mod key;
mod scalar;
mod ser;
#[cfg(test)]
mod tests;

use serde::Serialize;
use serde::de::DeserializeOwned;

use self::ser::Mode;
use crate::diagnostic::Location;

/// A YAML syntax or shape error with its position when the parser knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    /// What the parser said.
    pub message: String,
    /// Where, when known.
    pub location: Option<Location>,
}

impl From<serde_yaml::Error> for YamlError {
    fn from(error: serde_yaml::Error) -> Self {
        let location = error.location().map(|l| Location {
            line: l.line(),
            column: l.column(),
        });
        // The parser appends " at line X column Y" to its message; the location carries it.
        let mut message = error.to_string();
        if let Some(cut) = message.find(" at line ") {
            message.truncate(cut);
        }
        Self { message, location }
    }
}

/// Parses one YAML document into any deserialisable value (usually `serde_json::Value`).
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, YamlError> {
    serde_yaml::from_str(text).map_err(YamlError::from)
}

/// Serialises a value as one YAML document (no leading `---`), as `yaml_serde` would: block
/// style, keys in the order serde gives them, two-space indentation, sequences in mappings
/// not indented, empty collections as `{}` and `[]`.
///
/// Strings that YAML 1.1 reads as booleans (`on`, `Off`, `yes`, `n`, …) are quoted: the
/// emitter follows YAML 1.2, where they are plain strings, but kubectl and Argo CD parse
/// with go-yaml's YAML 1.1 rules, which would turn a VPA's `updateMode: Off` into `false`.
///
/// ```
/// let value = serde_json::json!({"updateMode": "Off", "ports": [80, 443], "labels": {}});
/// assert_eq!(
///     slipway_core::yaml::to_string(&value).unwrap(),
///     "labels: {}\nports:\n- 80\n- 443\nupdateMode: 'Off'\n"
/// );
/// ```
pub fn to_string<T: Serialize + ?Sized>(value: &T) -> Result<String, YamlError> {
    write(value, Mode::Ordered)
}

/// Serialises a value as [`to_string`] serialises `serde_json::to_value(value)` with `root`
/// entries inserted into its top-level object, without building the JSON value: every
/// mapping (struct or map) in bytewise key order, a later duplicate key replacing the
/// earlier one, keys turned into strings, enum variants as `{variant: value}`, non-finite
/// floats as `null`. Maps with float keys, which `serde_json` also accepts, are refused.
///
/// ```
/// #[derive(serde::Serialize)]
/// struct Service {
///     spec: serde_json::Value,
///     metadata: std::collections::BTreeMap<u16, &'static str>,
/// }
///
/// let service = Service {
///     spec: serde_json::json!({"type": "ClusterIP"}),
///     metadata: [(8080, "http")].into(),
/// };
/// assert_eq!(
///     slipway_core::yaml::to_string_sorted(&service, &[("kind", "Service")]).unwrap(),
///     "kind: Service\nmetadata:\n  '8080': http\nspec:\n  type: ClusterIP\n"
/// );
/// ```
pub fn to_string_sorted<T: Serialize + ?Sized>(
    value: &T,
    root: &[(&str, &str)],
) -> Result<String, YamlError> {
    write(value, Mode::Sorted { root })
}

/// [`to_string_sorted`] appended to `out`, which must be empty or end with a line break (as
/// `---\n` does); on an error, `out` is left as it was.
pub(crate) fn push_sorted<T: Serialize + ?Sized>(
    out: &mut String,
    value: &T,
    root: &[(&str, &str)],
) -> Result<(), YamlError> {
    write_into(out, value, Mode::Sorted { root })
}

fn write<T: Serialize + ?Sized>(value: &T, mode: Mode<'_>) -> Result<String, YamlError> {
    let mut out = String::with_capacity(1024);
    write_into(&mut out, value, mode)?;
    Ok(out)
}

fn write_into<T: Serialize + ?Sized>(
    out: &mut String,
    value: &T,
    mode: Mode<'_>,
) -> Result<(), YamlError> {
    let start = out.len();
    let mut serializer = ser::Serializer::new(mode, std::mem::take(out));
    match value
        .serialize(&mut serializer)
        .and_then(|()| serializer.check_done())
    {
        Ok(()) => {
            *out = serializer.finish();
            Ok(())
        }
        Err(error) => {
            *out = serializer.into_output();
            out.truncate(start);
            Err(YamlError {
                message: error.0,
                location: None,
            })
        }
    }
}

/// Plain scalars YAML 1.1 resolves to booleans but YAML 1.2 does not (`true`/`false` are
/// already quoted by the emitter).
const YAML11_BOOLEANS: &[&str] = &[
    "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "on", "On", "ON", "off", "Off",
    "OFF",
];

/// Parses every document of a multi-document YAML stream (empty documents are skipped).
pub fn documents(text: &str) -> Result<Vec<serde_json::Value>, YamlError> {
    use serde::Deserialize;
    let mut documents = Vec::new();
    for document in serde_yaml::Deserializer::from_str(text) {
        let value = serde_json::Value::deserialize(document).map_err(YamlError::from)?;
        if !value.is_null() {
            documents.push(value);
        }
    }
    Ok(documents)
}
