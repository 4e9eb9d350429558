//! Every YAML read and write of Slipway goes through this module, so replacing the YAML crate
//! (today `yaml_serde`, the maintained continuation of `serde_yaml`, used under that name)
//! touches this one file.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::spec::Location;

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

/// Serialises a value as one YAML document (no leading `---`).
pub fn to_string<T: Serialize + ?Sized>(value: &T) -> Result<String, YamlError> {
    serde_yaml::to_string(value).map_err(YamlError::from)
}

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
