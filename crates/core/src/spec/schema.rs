//! The spec's JSON Schema (generated from the types by schemars) and the structural check that
//! runs on every document before it is read into the typed spec.

use std::sync::OnceLock;

use jsonschema::error::ValidationErrorKind;
use serde_json::Value;

use super::AppSpec;
use crate::diagnostic::{join_index, join_key};

/// The schema's `$id`: editors that support the YAML language server link a spec to it with
/// the modeline `# yaml-language-server: $schema=<this URL>` (`slipway init` writes it).
pub const SCHEMA_ID: &str = "https://slipway.dev/schemas/v1alpha1/aiapplication.json";

/// The JSON Schema of an `AIApplication` spec (draft 2020-12), with [`SCHEMA_ID`] as `$id`.
///
/// ```
/// let schema = slipway_core::spec::json_schema();
/// assert_eq!(schema.get("title").and_then(|t| t.as_str()), Some("AIApplication"));
/// assert_eq!(schema.get("$id").and_then(|t| t.as_str()), Some(slipway_core::spec::SCHEMA_ID));
/// ```
pub fn json_schema() -> schemars::Schema {
    let mut schema = schemars::schema_for!(AppSpec);
    schema.insert("$id".into(), SCHEMA_ID.into());
    schema
}

/// The JSON Schema as a JSON value, built once per process.
///
/// ```
/// let schema = slipway_core::spec::json_schema_value();
/// assert!(schema["required"].as_array().unwrap().iter().any(|f| f == "spec"));
/// ```
pub fn json_schema_value() -> &'static Value {
    static SCHEMA: OnceLock<Value> = OnceLock::new();
    SCHEMA.get_or_init(|| json_schema().to_value())
}

fn validator() -> &'static jsonschema::Validator {
    static VALIDATOR: OnceLock<jsonschema::Validator> = OnceLock::new();
    VALIDATOR.get_or_init(|| {
        jsonschema::validator_for(json_schema_value())
            .expect("the generated spec schema is a valid JSON Schema")
    })
}

/// Port fields carrying `#[schemars(range(min = 1, max = 65535))]`, the only constraints of
/// the schema that the typed read does not enforce itself.
fn ranged_ports(spec: &AppSpec) -> Vec<u32> {
    let body = &spec.spec;
    let mut ports = vec![body.inference.port, body.inference.service.port];
    ports.extend(body.inference.service.external.as_ref().map(|e| e.port));
    ports.extend(body.logging.as_ref().map(|l| l.elasticsearch.port));
    ports
}

/// Whether a spec that the typed read accepted also meets the schema's explicit ranges, so
/// that the schema would accept its document too.
pub(crate) fn within_ranges(spec: &AppSpec) -> bool {
    ranged_ports(spec)
        .into_iter()
        .all(|port| (1..=65535).contains(&port))
}

/// One structural problem: the dotted field path it concerns and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SchemaViolation {
    pub path: String,
    pub message: String,
    pub help: Option<String>,
}

/// Checks `document` against the spec schema and returns every violation.
pub(crate) fn check(document: &Value) -> Vec<SchemaViolation> {
    let schema = json_schema_value();
    let mut violations: Vec<SchemaViolation> = validator()
        .iter_errors(document)
        .map(|error| {
            let path = dotted_path(document, error.instance_path().as_str());
            let parent_schema = schema_at(schema, error.schema_path().as_str());
            match error.kind() {
                ValidationErrorKind::AdditionalProperties { unexpected } => {
                    let field = unexpected.first().cloned().unwrap_or_default();
                    let known = parent_schema
                        .and_then(|s| s.get("properties"))
                        .and_then(Value::as_object)
                        .map(|p| p.keys().cloned().collect::<Vec<_>>())
                        .unwrap_or_default();
                    SchemaViolation {
                        path: join_key(&path, &field),
                        message: format!("unknown field `{field}`"),
                        help: Some(suggest(&field, &known)),
                    }
                }
                ValidationErrorKind::OneOfNotValid { .. } => {
                    let choices = parent_schema.map(one_of_choices).unwrap_or_default();
                    SchemaViolation {
                        path,
                        message: if choices.is_empty() {
                            error.to_string()
                        } else {
                            format!("expected exactly one of {}", quoted(&choices))
                        },
                        help: None,
                    }
                }
                ValidationErrorKind::Required { property } => {
                    let field = property.as_str().unwrap_or_default().to_string();
                    SchemaViolation {
                        message: format!("missing required field `{field}`"),
                        path: join_key(&path, &field),
                        help: None,
                    }
                }
                _ => SchemaViolation {
                    path,
                    message: error.to_string(),
                    help: None,
                },
            }
        })
        .collect();
    violations.dedup();
    violations
}

/// Converts a JSON pointer into the dotted form diagnostics use, telling sequence indices
/// from mapping keys by looking at the document.
fn dotted_path(document: &Value, pointer: &str) -> String {
    let mut path = String::new();
    let mut node = Some(document);
    for raw in pointer.split('/').skip(1) {
        let segment = raw.replace("~1", "/").replace("~0", "~");
        match node {
            Some(Value::Array(items)) => {
                let index: usize = segment.parse().unwrap_or(0);
                path = join_index(&path, index);
                node = items.get(index);
            }
            other => {
                node = other.and_then(|value| value.get(&segment));
                path = join_key(&path, &segment);
            }
        }
    }
    path
}

/// The schema object that holds the failing keyword (the schema path minus its last segment),
/// following `$ref`s through `$defs`.
fn schema_at<'a>(root: &'a Value, schema_path: &str) -> Option<&'a Value> {
    let cut = schema_path.rfind('/')?;
    let mut node = root;
    for raw in schema_path[..cut].split('/').skip(1) {
        if raw == "$ref" {
            node = resolve(root, node)?;
            continue;
        }
        let segment = raw.replace("~1", "/").replace("~0", "~");
        node = match node {
            Value::Array(items) => items.get(segment.parse::<usize>().ok()?)?,
            _ => node.get(&segment)?,
        };
    }
    Some(node)
}

fn resolve<'a>(root: &'a Value, node: &'a Value) -> Option<&'a Value> {
    let reference = node.get("$ref")?.as_str()?;
    root.pointer(reference.strip_prefix('#')?)
}

/// The names of an externally tagged enum's variants (`pvc`, `objectStore`).
fn one_of_choices(schema: &Value) -> Vec<String> {
    let Some(options) = schema.get("oneOf").and_then(Value::as_array) else {
        return Vec::new();
    };
    let mut choices = Vec::new();
    for option in options {
        if let Some(required) = option.get("required").and_then(Value::as_array) {
            choices.extend(required.iter().filter_map(Value::as_str).map(String::from));
        } else if let Some(values) = option.get("enum").and_then(Value::as_array) {
            choices.extend(values.iter().filter_map(Value::as_str).map(String::from));
        } else if let Some(value) = option.get("const").and_then(Value::as_str) {
            choices.push(value.to_string());
        }
    }
    choices
}

fn quoted(names: &[String]) -> String {
    names
        .iter()
        .map(|name| format!("`{name}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// "did you mean" for a misspelt field, else the list of known fields.
fn suggest(field: &str, known: &[String]) -> String {
    let closest = known
        .iter()
        .map(|candidate| (edit_distance(field, candidate), candidate))
        .filter(|(distance, _)| *distance <= 2.max(field.len() / 3))
        .min();
    match closest {
        Some((_, name)) => format!("did you mean `{name}`?"),
        None if known.is_empty() => "remove the field".to_string(),
        None => format!("known fields here: {}", quoted(known)),
    }
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// `within_ranges` must know every explicit range of the schema: one per ranged port.
    #[test]
    fn every_schema_range_is_known_to_the_fast_path() {
        let schema = json_schema_value().to_string();
        let maxima = schema.matches("\"maximum\":").count();
        let spec: AppSpec = serde_json::from_value(json!({
            "apiVersion": "slipway.dev/v1alpha1",
            "kind": "AIApplication",
            "metadata": {"name": "demo"},
            "spec": {
                "model": {"source": {"pvc": {"claimName": "m"}}},
                "inference": {"service": {"external": {}}},
                "logging": {"elasticsearch": {"host": "es"}}
            }
        }))
        .unwrap();
        assert_eq!(maxima, ranged_ports(&spec).len());
    }

    #[test]
    fn pointers_become_dotted_paths_with_indices() {
        let document = json!({"spec": {"security": {"rbac": [{"subjects": [{}, {"kind": 1}]}]}}});
        assert_eq!(
            dotted_path(&document, "/spec/security/rbac/0/subjects/1/kind"),
            "spec.security.rbac[0].subjects[1].kind"
        );
    }

    #[test]
    fn misspelt_fields_get_a_suggestion() {
        let known = vec!["replicas".to_string(), "resources".to_string()];
        assert_eq!(suggest("replica", &known), "did you mean `replicas`?");
        assert!(suggest("zzzzzzzz", &known).starts_with("known fields here"));
    }

    #[test]
    fn unknown_field_points_at_the_field_and_suggests() {
        let document = json!({
            "apiVersion": "slipway.dev/v1alpha1",
            "kind": "AIApplication",
            "metadata": {"name": "demo"},
            "spec": {
                "model": {"source": {"pvc": {"claimName": "m"}}},
                "inference": {"replica": 3}
            }
        });
        let violations = check(&document);
        assert_eq!(violations.len(), 1, "{violations:?}");
        assert_eq!(violations[0].path, "spec.inference.replica");
        assert_eq!(violations[0].message, "unknown field `replica`");
        assert_eq!(
            violations[0].help.as_deref(),
            Some("did you mean `replicas`?")
        );
    }

    #[test]
    fn an_externally_tagged_choice_lists_its_variants() {
        let document = json!({
            "apiVersion": "slipway.dev/v1alpha1",
            "kind": "AIApplication",
            "metadata": {"name": "demo"},
            "spec": {"model": {"source": {"disk": {}}}}
        });
        let violations = check(&document);
        assert!(
            violations.iter().any(|v| v.path == "spec.model.source"
                && v.message == "expected exactly one of `pvc`, `objectStore`"),
            "{violations:?}"
        );
    }
}
