//! Template values: deep merge of values files and typed `--set key.path=value` overrides.

use serde_json::{Map, Value};

use crate::diagnostic::Location;

use crate::diagnostic::PositionIndex;
use crate::yaml;

fn help_line(help: &Option<&'static str>) -> String {
    help.map(|help| format!("\n  = help: {help}"))
        .unwrap_or_default()
}

fn at_path(path: &str) -> String {
    if path.is_empty() {
        String::new()
    } else {
        format!(" (field `{path}`)")
    }
}

/// Why a values file or a `--set` override was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValuesError {
    /// A values file is not YAML, or repeats a key, or goes over the alias budget.
    #[error("{file}:{location}: {message}{}{}", at_path(path), help_line(help))]
    Syntax {
        /// The values file.
        file: String,
        /// Where in the file (the start of the file when the parser gives no position).
        location: Location,
        /// The field written at or before that position (`inference.replicas`), if any.
        path: String,
        /// What the parser said.
        message: String,
        /// How to fix it, when there is something to say.
        help: Option<&'static str>,
    },
    /// A values file holds something other than a mapping at the top.
    #[error("{file}:{location}: values must be a mapping at the top level")]
    NotAMapping {
        /// The values file.
        file: String,
        /// Where the document starts.
        location: Location,
    },
    /// A `--set` argument is not `key.path=value`.
    #[error("`{0}`: expected key.path=value")]
    BadSet(String),
}

/// Reads a values file (YAML mapping; an empty file is an empty mapping).
pub fn from_yaml(file: &str, text: &str) -> Result<Value, ValuesError> {
    let value: Value = yaml::from_str(text).map_err(|error| ValuesError::Syntax {
        file: file.to_string(),
        location: error.location.unwrap_or(Location { line: 1, column: 1 }),
        path: error
            .location
            .and_then(|at| PositionIndex::new(text).path_at(at).map(str::to_string))
            .unwrap_or_default(),
        message: error.message,
        help: error.help,
    })?;
    match value {
        Value::Null => Ok(Value::Object(Map::new())),
        Value::Object(_) => Ok(value),
        _ => Err(ValuesError::NotAMapping {
            file: file.to_string(),
            location: PositionIndex::new(text)
                .exact("")
                .unwrap_or(Location { line: 1, column: 1 }),
        }),
    }
}

/// Merges `overlay` into `base`: mappings merge key by key, recursively; anything else
/// (scalars, lists, a mapping replacing a scalar) is replaced by the overlay. Later wins.
pub fn deep_merge(base: &mut Value, overlay: Value) {
    match (base, overlay) {
        (Value::Object(base), Value::Object(overlay)) => {
            for (key, value) in overlay {
                match base.get_mut(&key) {
                    Some(existing) => deep_merge(existing, value),
                    None => {
                        base.insert(key, value);
                    }
                }
            }
        }
        (base, overlay) => *base = overlay,
    }
}

/// Parses `a.b.c=value` into its key path and a typed value: the value is read as a YAML
/// scalar, so `3` is an integer, `"3"` a string, `true` a boolean and `356136738` stays the
/// integer 356136738. Text that is not valid YAML is kept as a string; an empty value is
/// the empty string.
///
/// ```
/// use slipway_core::template::parse_set;
/// let (path, value) = parse_set("inference.replicas=3").unwrap();
/// assert_eq!(path, ["inference", "replicas"]);
/// assert_eq!(value, serde_json::json!(3));
/// assert_eq!(parse_set("id=356136738").unwrap().1, serde_json::json!(356136738));
/// assert_eq!(parse_set("tag=\"3\"").unwrap().1, serde_json::json!("3"));
/// ```
pub fn parse_set(argument: &str) -> Result<(Vec<String>, Value), ValuesError> {
    let (path, raw) = split_set(argument)?;
    let value = if raw.trim().is_empty() {
        Value::String(String::new())
    } else {
        yaml::from_str::<Value>(raw).unwrap_or_else(|_| Value::String(raw.to_string()))
    };
    Ok((path, value))
}

/// Parses `a.b.c=value` keeping the value as a string, whatever it looks like (for commit
/// SHAs and other text that could read as a number).
pub fn parse_set_string(argument: &str) -> Result<(Vec<String>, Value), ValuesError> {
    let (path, raw) = split_set(argument)?;
    Ok((path, Value::String(raw.to_string())))
}

fn split_set(argument: &str) -> Result<(Vec<String>, &str), ValuesError> {
    let bad = || ValuesError::BadSet(argument.to_string());
    let (key, raw) = argument.split_once('=').ok_or_else(bad)?;
    let path: Vec<String> = key.split('.').map(str::to_string).collect();
    if path.iter().any(|segment| segment.trim().is_empty()) {
        return Err(bad());
    }
    Ok((path, raw))
}

/// Sets `value` at `path` inside `values`, creating mappings on the way (a scalar in the way
/// is replaced by a mapping).
pub fn set_path(values: &mut Value, path: &[String], value: Value) {
    let mut current = values;
    for segment in path {
        if !current.is_object() {
            *current = Value::Object(Map::new());
        }
        let Value::Object(map) = current else {
            unreachable!("made a mapping above")
        };
        current = map.entry(segment.clone()).or_insert(Value::Null);
    }
    *current = value;
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn mappings_merge_and_everything_else_is_replaced() {
        let mut base = json!({"a": {"x": 1, "y": [1, 2]}, "b": "keep", "c": 1});
        deep_merge(
            &mut base,
            json!({"a": {"y": [3], "z": true}, "c": {"now": "a map"}}),
        );
        assert_eq!(
            base,
            json!({"a": {"x": 1, "y": [3], "z": true}, "b": "keep", "c": {"now": "a map"}})
        );
    }

    #[test]
    fn later_values_win() {
        let mut base = json!({"replicas": 2});
        deep_merge(&mut base, json!({"replicas": 4}));
        deep_merge(&mut base, json!({"replicas": 6}));
        assert_eq!(base, json!({"replicas": 6}));
    }

    #[test]
    fn set_values_are_typed_like_yaml_scalars() {
        let typed = |argument: &str| parse_set(argument).unwrap().1;
        assert_eq!(typed("a=3"), json!(3));
        assert_eq!(typed("a=\"3\""), json!("3"));
        assert_eq!(typed("a=true"), json!(true));
        assert_eq!(typed("a=356136738"), json!(356136738));
        assert_eq!(typed("a=1.5"), json!(1.5));
        assert_eq!(typed("a=v1.0"), json!("v1.0"));
        assert_eq!(typed("a="), json!(""));
        assert_eq!(typed("a=x: y: z"), json!("x: y: z"));
        assert_eq!(typed("a=[1, 2]"), json!([1, 2]));
        assert_eq!(
            parse_set_string("a=356136738").unwrap().1,
            json!("356136738")
        );
    }

    #[test]
    fn set_paths_create_mappings() {
        let (path, value) = parse_set("inference.resources.cpu=2").unwrap();
        let mut values = json!({"inference": {"replicas": 2, "resources": "small"}});
        set_path(&mut values, &path, value);
        assert_eq!(
            values,
            json!({"inference": {"replicas": 2, "resources": {"cpu": 2}}})
        );
    }

    #[test]
    fn malformed_set_arguments_are_rejected() {
        assert!(parse_set("novalue").is_err());
        assert!(parse_set("a..b=1").is_err());
        assert!(parse_set("=1").is_err());
    }

    #[test]
    fn values_files_must_be_mappings() {
        assert_eq!(from_yaml("v.yaml", "").unwrap(), json!({}));
        assert_eq!(
            from_yaml("v.yaml", "# values\n- 1\n")
                .unwrap_err()
                .to_string(),
            "v.yaml:2:1: values must be a mapping at the top level"
        );
        assert!(from_yaml("v.yaml", "a: [1\n").is_err());
    }

    #[test]
    fn duplicate_keys_in_values_files_are_located_errors() {
        let error = from_yaml("v.yaml", "inference:\n  replicas: 2\n  replicas: 3\n").unwrap_err();
        assert_eq!(
            error.to_string(),
            "v.yaml:3:3: duplicate mapping key `replicas`: YAML requires unique keys \
             (field `inference.replicas`)"
        );
    }

    #[test]
    fn tabs_in_values_files_get_a_help_line() {
        let Err(ValuesError::Syntax { location, help, .. }) = from_yaml("v.yaml", "a:\n\tb: 1\n")
        else {
            panic!("expected a syntax error");
        };
        assert_eq!(location.line, 2);
        assert!(help.unwrap().contains("tabs"));
    }
}
