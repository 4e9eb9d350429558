//! The spec's JSON Schema (generated from the types by schemars) and the structural check that
//! runs on every document before it is read into the typed spec.

use std::sync::OnceLock;

use jsonschema::error::ValidationErrorKind;
use serde_json::Value;

use crate::sections::AppSpec;

use crate::diagnostic::Code;
use crate::diagnostic::join_index;
use crate::diagnostic::join_key;
use crate::k8s::cron::Schedule;
use crate::k8s::duration::Duration;
use crate::k8s::int_or_percent::IntOrPercent;
use crate::k8s::quantity::Quantity;
use crate::sections::logging::ByteSize;

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

/// A value with a syntax (a quantity, a duration, …): the `format` its schema carries, the
/// parser that checks it, the code of its diagnostics and a hint.
struct Syntax {
    format: &'static str,
    /// The parser's complaint about a value (`None`: the value parses).
    explain: fn(&Value) -> Option<String>,
    code: &'static Code,
    help: &'static str,
}

/// The parser's error for `value` read as `T`.
fn explain<T: serde::de::DeserializeOwned>(value: &Value) -> Option<String> {
    T::deserialize(value).err().map(|error| error.to_string())
}

/// Every typed value of the spec whose schema names a `format`: the schema check runs the
/// same parser as the typed read, so a bad value is reported with the parser's reason, its
/// own code and its location, before anything else reads it.
const SYNTAXES: &[Syntax] = &[
    Syntax {
        format: "kubernetes-quantity",
        explain: explain::<Quantity>,
        code: &QUANTITY_SYNTAX,
        help: "write e.g. `500m` or `2` for CPU and `512Mi` or `4Gi` for memory",
    },
    Syntax {
        format: "fluentd-size",
        explain: explain::<ByteSize>,
        code: &QUANTITY_SYNTAX,
        help: "whole digits and an optional k, m, g or t, e.g. `8MB` or `512m`",
    },
    Syntax {
        format: "prometheus-duration",
        explain: explain::<Duration>,
        code: &DURATION_SYNTAX,
        help: "digits and a unit (ms, s, m, h, d, w, y), largest first, e.g. `30s`, `5m`, `1h30m`",
    },
    Syntax {
        format: "cron-schedule",
        explain: explain::<Schedule>,
        code: &CRON_SYNTAX,
        help: "use five fields `minute hour day-of-month month day-of-week`, e.g. `0 2 * * *`, or @hourly/@daily/@weekly/@monthly",
    },
    Syntax {
        format: "int-or-percent",
        explain: explain::<IntOrPercent>,
        code: &INT_OR_PERCENT_SYNTAX,
        help: "a number of pods without quotes (`1`) or a percentage (`25%`)",
    },
];

fn validator() -> &'static jsonschema::Validator {
    static VALIDATOR: OnceLock<jsonschema::Validator> = OnceLock::new();
    VALIDATOR.get_or_init(|| {
        SYNTAXES
            .iter()
            .fold(
                jsonschema::options().should_validate_formats(true),
                |options, syntax| {
                    let explain = syntax.explain;
                    options.with_format(syntax.format, move |text: &str| {
                        explain(&Value::String(text.to_string())).is_none()
                    })
                },
            )
            .build(json_schema_value())
            .expect("the generated spec schema is a valid JSON Schema")
    })
}

/// The syntax a schema node stands for: its own `format`, or that of the `$ref` it wraps
/// (`Option<Quantity>` is `anyOf: [{$ref: Quantity}, {type: null}]`).
fn syntax_of(root: &Value, node: &Value) -> Option<&'static Syntax> {
    let direct = |node: &Value| {
        let node = resolve(root, node).unwrap_or(node);
        let format = node.get("format")?.as_str()?;
        SYNTAXES.iter().find(|syntax| syntax.format == format)
    };
    direct(node).or_else(|| {
        ["anyOf", "oneOf"]
            .iter()
            .filter_map(|keyword| node.get(keyword)?.as_array())
            .flatten()
            .find_map(direct)
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

/// One structural problem: its code, the dotted field path it concerns and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SchemaViolation {
    pub code: &'static Code,
    pub path: String,
    pub message: String,
    pub help: Option<String>,
}

/// Checks `document` against the spec schema and returns every violation.
pub(crate) fn check(document: &Value) -> Vec<SchemaViolation> {
    let schema = json_schema_value();
    let mut violations: Vec<SchemaViolation> = validator()
        .iter_errors(document)
        .flat_map(|error| violations_of(document, schema, &error))
        .collect();
    // A bad quantity fails its pattern and its format: one report per problem.
    let mut seen = std::collections::HashSet::new();
    violations.retain(|violation| seen.insert((violation.path.clone(), violation.message.clone())));
    violations
}

/// The violations one validation error stands for: a typed value's own complaint; for a
/// written optional section (`logging: {…}`) or a tagged variant whose tag is written
/// (`pause: {duration: …}`), the errors inside it; else the error itself, in words.
fn violations_of(
    document: &Value,
    schema: &Value,
    error: &jsonschema::ValidationError<'_>,
) -> Vec<SchemaViolation> {
    let path = dotted_path(document, error.instance_path().as_str());
    let parent_schema = schema_at(schema, error.schema_path().as_str());
    // A value with a syntax: the parser says what is wrong, whichever keyword failed
    // (its type, its pattern or its format).
    if let Some(syntax) = parent_schema.and_then(|node| syntax_of(schema, node)) {
        return vec![SchemaViolation {
            code: syntax.code,
            path,
            message: (syntax.explain)(error.instance()).unwrap_or_else(|| error.to_string()),
            help: Some(syntax.help.to_string()),
        }];
    }
    // An optional section (`anyOf: [{$ref}, {type: null}]`) that is written: what is wrong
    // inside it, not the whole section quoted.
    if let ValidationErrorKind::AnyOf { context } = error.kind()
        && let Some(inner) = written_option(error.instance(), parent_schema, context)
    {
        return inner
            .iter()
            .flat_map(|error| violations_of(document, schema, error))
            .collect();
    }
    vec![match error.kind() {
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            let field = unexpected.first().cloned().unwrap_or_default();
            let known = parent_schema
                .and_then(|s| s.get("properties"))
                .and_then(Value::as_object)
                .map(|p| p.keys().cloned().collect::<Vec<_>>())
                .unwrap_or_default();
            SchemaViolation {
                code: &SCHEMA,
                path: join_key(&path, &field),
                message: format!("unknown field `{field}`"),
                help: Some(suggest(&field, &known)),
            }
        }
        ValidationErrorKind::OneOfNotValid { context } => {
            if let Some(inner) = chosen_variant(error.instance(), parent_schema, context) {
                return inner
                    .iter()
                    .flat_map(|error| violations_of(document, schema, error))
                    .collect();
            }
            let choices = parent_schema.map(one_of_choices).unwrap_or_default();
            SchemaViolation {
                code: &SCHEMA,
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
                code: &SCHEMA,
                message: format!("missing required field `{field}`"),
                path: join_key(&path, &field),
                help: None,
            }
        }
        ValidationErrorKind::Type { .. } => SchemaViolation {
            code: &SCHEMA,
            message: wrong_type(error.instance(), parent_schema),
            path,
            help: None,
        },
        _ => SchemaViolation {
            code: &SCHEMA,
            path,
            message: error.to_string(),
            help: None,
        },
    }]
}

/// "expected a whole number, found the string `three`": the types the schema allows (`null`
/// left out: it only marks an optional field), and what was written.
fn wrong_type(instance: &Value, parent_schema: Option<&Value>) -> String {
    let allowed: Vec<&str> = match parent_schema.and_then(|node| node.get("type")) {
        Some(Value::String(one)) => vec![one.as_str()],
        Some(Value::Array(many)) => many.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let expected: Vec<&str> = allowed
        .into_iter()
        .filter(|name| *name != "null")
        .map(|name| match name {
            "integer" => "a whole number",
            "number" => "a number",
            "string" => "a string",
            "boolean" => "`true` or `false`",
            "object" => "a mapping",
            "array" => "a list",
            other => other,
        })
        .collect();
    let found = match instance {
        Value::Null => "nothing (null)".to_string(),
        Value::Bool(value) => format!("`{value}`"),
        Value::Number(number) => format!("the number {number}"),
        Value::String(text) => format!("the string `{text}`"),
        Value::Array(_) => "a list".to_string(),
        Value::Object(_) => "a mapping".to_string(),
    };
    if expected.is_empty() {
        format!("{found} is not allowed here")
    } else {
        format!("expected {}, found {found}", expected.join(" or "))
    }
}

/// The errors of the one branch that is not `null`, when the value is not null.
fn written_option<'e>(
    instance: &Value,
    parent_schema: Option<&Value>,
    context: &'e [Vec<jsonschema::ValidationError<'static>>],
) -> Option<&'e [jsonschema::ValidationError<'static>]> {
    if instance.is_null() {
        return None;
    }
    let branches = parent_schema?.get("anyOf")?.as_array()?;
    let is_null = |branch: &Value| branch.get("type").and_then(Value::as_str) == Some("null");
    let [index] = branches
        .iter()
        .enumerate()
        .filter(|(_, branch)| !is_null(branch))
        .map(|(index, _)| index)
        .collect::<Vec<_>>()[..]
    else {
        return None;
    };
    context
        .get(index)
        .map(Vec::as_slice)
        .filter(|errors| !errors.is_empty())
}

/// The errors inside the variant an externally tagged value names: when the value is a
/// mapping with one key and exactly one `oneOf` branch requires that key.
fn chosen_variant<'e>(
    instance: &Value,
    parent_schema: Option<&Value>,
    context: &'e [Vec<jsonschema::ValidationError<'static>>],
) -> Option<&'e [jsonschema::ValidationError<'static>]> {
    let [tag] = instance.as_object()?.keys().collect::<Vec<_>>()[..] else {
        return None;
    };
    let branches = parent_schema?.get("oneOf")?.as_array()?;
    let mut chosen = branches.iter().enumerate().filter(|(_, branch)| {
        branch
            .get("required")
            .and_then(Value::as_array)
            .is_some_and(|required| required.iter().any(|key| key == tag.as_str()))
    });
    let (index, _) = chosen.next()?;
    if chosen.next().is_some() {
        return None;
    }
    context
        .get(index)
        .map(Vec::as_slice)
        .filter(|errors| !errors.is_empty())
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

crate::diagnostic::codes! {
    SCHEMA {
        id: "schema",
        severity: Error,
        stage: Load,
        what: "The document does not match the AIApplication JSON Schema (`slipway schema`): an unknown field, a wrong type, a missing required field, a value out of range.",
        why: "The schema is the spec's contract; every violation is listed with its field path, with a `did you mean` for misspelt fields.",
        example: "`inference: {replicas: three}`",
        instead: "`inference: {replicas: 3}`",
    }
    QUANTITY_SYNTAX {
        id: "quantity-syntax",
        severity: Error,
        stage: Load,
        what: "Parses every quantity of the spec when it is loaded: resource quantities (requests, limits, VPA bounds, volume sizes) with the Kubernetes grammar, a string such as `500m` or `4Gi` or a number such as `1` or `0.5`; Fluentd's buffer sizes (`logging.buffer.chunkLimitSize`, `totalLimitSize`) with Fluentd's, e.g. `8MB`.",
        why: "`2GBytes` or `1 CPU` is rejected by the API server only when the object is applied; parsed once, quantities compare exactly (`1000m` equals `1`). Fluentd reads the first digits-and-unit anywhere in a size, so `1.5g` would buffer 5 GiB.",
        example: "`limits: {memory: 4GBytes}`",
        instead: "`limits: {memory: 4Gi}` (binary suffixes Ki, Mi, Gi; decimal k, M, G; millicores `500m`)",
    }
    CRON_SYNTAX {
        id: "cron-syntax",
        severity: Error,
        stage: Load,
        what: "Parses cron schedules (training, backup) when the spec is loaded: five fields (minute hour day-of-month month day-of-week) of numbers within their ranges, `*`, `,`, `-`, `/` or names, or a descriptor such as `@daily`.",
        why: "The API server accepts many malformed schedules (`99 99 99 99 99`, `a b c d e`), which then never fire.",
        example: "`schedule: \"every day\"`",
        instead: "`schedule: \"0 2 * * *\"`",
    }
    DURATION_SYNTAX {
        id: "duration-syntax",
        severity: Error,
        stage: Load,
        what: "Parses every duration of the spec when it is loaded (`scrapeInterval`, alert `forDuration`/`atMaxReplicasFor`, canary pauses and analysis intervals, Fluentd's `flushInterval`): digits and units from the largest to the smallest, each once, above zero.",
        why: "The Prometheus operator rejects the ServiceMonitor or rule group (`30s1m`, `30 seconds`), and the alerts silently never load; Argo Rollouts and Fluentd misread what they cannot parse.",
        example: "`scrapeInterval: 30 seconds`, `scrapeInterval: 30s1m` or `scrapeInterval: 30`",
        instead: "`scrapeInterval: 30s`",
    }
    INT_OR_PERCENT_SYNTAX {
        id: "int-or-percent-syntax",
        severity: Error,
        stage: Load,
        what: "Parses `rollout.maxSurge`, `rollout.maxUnavailable` and `scaling.disruptionBudget.maxUnavailable` when the spec is loaded: a whole number of pods (`1`) or a percentage (`\"25%\"`), as Kubernetes' int-or-string.",
        why: "The API server rejects a quoted number (`\"1\"`), a fraction or a negative count only when the Deployment or budget is applied.",
        example: "`maxSurge: \"1\"`, `maxSurge: 1.5` or `maxUnavailable: one`",
        instead: "`maxSurge: 1` or `maxSurge: 25%`",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// `within_ranges` must know every explicit range of the schema: one per ranged port.
    #[test]
    fn every_schema_range_is_known_to_the_fast_path() {
        // The ranges of the typed values (`IntOrPercent`) are their parsers' own.
        let mut schema = json_schema_value().clone();
        let defs = schema["$defs"].as_object_mut().unwrap();
        defs.retain(|_, def| syntax_of(&Value::Null, def).is_none());
        let maxima = schema.to_string().matches("\"maximum\":").count();
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
    fn errors_inside_an_optional_section_are_reported_at_their_field() {
        let document = json!({
            "apiVersion": "slipway.dev/v1alpha1",
            "kind": "AIApplication",
            "metadata": {"name": "demo"},
            "spec": {
                "model": {"source": {"pvc": {"claimName": "m"}}},
                "logging": {"elasticsearch": {"host": "es", "port": "nine"}}
            }
        });
        let violations = check(&document);
        assert_eq!(
            violations
                .iter()
                .map(|v| (v.code.id, v.path.as_str(), v.message.as_str()))
                .collect::<Vec<_>>(),
            [(
                "schema",
                "spec.logging.elasticsearch.port",
                "expected a whole number, found the string `nine`"
            )]
        );
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
