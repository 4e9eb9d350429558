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
///
/// Strings that YAML 1.1 reads as booleans (`on`, `Off`, `yes`, `n`, …) are quoted: the
/// emitter follows YAML 1.2, where they are plain strings, but kubectl and Argo CD parse
/// with go-yaml's YAML 1.1 rules, which would turn a VPA's `updateMode: Off` into `false`.
pub fn to_string<T: Serialize + ?Sized>(value: &T) -> Result<String, YamlError> {
    let text = serde_yaml::to_string(value).map_err(YamlError::from)?;
    Ok(quote_yaml11_booleans(&text))
}

/// Plain scalars YAML 1.1 resolves to booleans but YAML 1.2 does not (`true`/`false` are
/// already quoted by the emitter).
const YAML11_BOOLEANS: &[&str] = &[
    "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "on", "On", "ON", "off", "Off",
    "OFF",
];

/// Quotes, in block-style emitter output, every plain map value, map key or sequence item
/// that YAML 1.1 would read as a boolean; the content of literal block scalars is left alone.
fn quote_yaml11_booleans(text: &str) -> String {
    let quote = |word: &str| {
        if YAML11_BOOLEANS.contains(&word) {
            format!("'{word}'")
        } else {
            word.to_string()
        }
    };
    let mut out = String::with_capacity(text.len());
    // Indentation of the line that opened a literal block scalar we are inside.
    let mut block: Option<usize> = None;
    for line in text.split_inclusive('\n') {
        let body = line.trim_end_matches('\n');
        let indent = body.len() - body.trim_start().len();
        if let Some(opener) = block {
            if body.trim().is_empty() || indent > opener {
                out.push_str(line);
                continue;
            }
            block = None;
        }
        let trimmed = body.trim_start();
        let (dash, rest) = match trimmed.strip_prefix("- ") {
            Some(rest) => ("- ", rest),
            None => ("", trimmed),
        };
        let rewritten = match rest.split_once(": ") {
            Some((key, value)) => format!("{}: {}", quote(key), quote(value)),
            None => match rest.strip_suffix(':') {
                Some(key) => format!("{}:", quote(key)),
                None => quote(rest),
            },
        };
        let last = body.rsplit(' ').next().unwrap_or_default();
        if last.starts_with('|') || last.starts_with('>') {
            block = Some(indent);
        }
        out.push_str(&body[..indent]);
        out.push_str(dash);
        out.push_str(&rewritten);
        if line.ends_with('\n') {
            out.push('\n');
        }
    }
    out
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml11_booleans_are_quoted_everywhere_but_in_literal_blocks() {
        let value = serde_json::json!({
            "updateMode": "Off",
            "on": ["yes", "n", "keep"],
            "script": "off\nOn\n",
            "plain": "Offset",
            "already": "true",
        });
        assert_eq!(
            to_string(&value).unwrap(),
            "already: 'true'\n'on':\n- 'yes'\n- 'n'\n- keep\nplain: Offset\nscript: |\n  off\n  On\nupdateMode: 'Off'\n"
        );
    }
}
