//! YAML text → typed [`AppSpec`]: syntax, then the JSON Schema, then serde; every failure is a
//! diagnostic that names the file, line, column and field path.

use std::sync::OnceLock;

use serde::Deserialize;

use crate::sections::AppSpec;

use crate::diagnostic::Diagnostic;
use crate::diagnostic::Location;
use crate::diagnostic::PositionIndex;
use crate::diagnostic::render_all;
use crate::spec::schema;
use crate::yaml;
use crate::yaml::YamlErrorKind;

/// A spec read from text, with what diagnostics need to point into that text.
#[derive(Debug, Clone)]
pub struct LoadedSpec {
    /// The typed spec, defaults applied.
    pub spec: AppSpec,
    /// The name the text was read under (a path, or `<stdin>`).
    pub file: String,
    /// The text that was parsed (after templating).
    pub source: String,
    /// Field path → position in `source`, built the first time a diagnostic needs it.
    positions: OnceLock<PositionIndex>,
}

impl LoadedSpec {
    /// Field path → position in [`LoadedSpec::source`].
    ///
    /// ```
    /// let text = "apiVersion: slipway.dev/v1alpha1\nkind: AIApplication\n\
    ///             metadata: {name: demo}\n\
    ///             spec: {model: {source: {pvc: {claimName: models}}}}\n";
    /// let loaded = slipway_core::spec::load_str("demo.yaml", text).unwrap();
    /// let at = loaded.positions().exact("spec.model.source.pvc.claimName").unwrap();
    /// assert_eq!((at.line, at.column), (4, 31)); // where the key is written
    /// ```
    pub fn positions(&self) -> &PositionIndex {
        self.positions
            .get_or_init(|| PositionIndex::new(&self.source))
    }

    /// Places a diagnostic produced for this spec in its file.
    pub fn locate(&self, diagnostic: Diagnostic) -> Diagnostic {
        diagnostic.located(&self.file, self.positions())
    }
}

/// Why a spec could not be loaded.
#[derive(Debug, Clone, thiserror::Error)]
pub enum LoadError {
    /// The text is not one well-formed YAML mapping: a syntax error, a duplicate key, an alias
    /// over budget, an empty file or a document that is not a mapping.
    #[error("{}: {}", .0.position(), .0.message)]
    Syntax(Box<Diagnostic>),
    /// The document does not match the spec's JSON Schema (every violation listed).
    #[error("the spec does not match the AIApplication schema ({} problems)", .0.len())]
    Schema(Vec<Diagnostic>),
    /// The document matches the schema but cannot be read into the typed spec.
    #[error("{}: {}", .0.position(), .0.message)]
    Shape(Box<Diagnostic>),
}

impl LoadError {
    /// Every diagnostic the error carries.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        match self {
            Self::Syntax(one) | Self::Shape(one) => std::slice::from_ref(one.as_ref()),
            Self::Schema(all) => all,
        }
    }

    /// The diagnostics rendered like rustc's, quoting `source`.
    pub fn render(&self, source: &str) -> String {
        render_all(self.diagnostics(), Some(source))
    }
}

/// Loads a spec from YAML `text` read under the name `file`.
///
/// ```
/// let text = "apiVersion: slipway.dev/v1alpha1\nkind: AIApplication\n\
///             metadata: {name: demo}\n\
///             spec: {model: {source: {pvc: {claimName: models}}}}\n";
/// let loaded = slipway_core::spec::load_str("demo.yaml", text).unwrap();
/// assert_eq!(loaded.spec.metadata.name, "demo");
/// assert_eq!(loaded.spec.spec.inference.port, 8000);
/// ```
pub fn load_str(file: &str, text: &str) -> Result<LoadedSpec, LoadError> {
    let document: serde_json::Value = yaml::from_str(text)
        .map_err(|error| LoadError::Syntax(Box::new(yaml_diagnostic(file, text, error))))?;
    if !document.is_object() {
        return Err(LoadError::Syntax(Box::new(not_a_mapping(
            file, text, &document,
        ))));
    }

    // The typed read enforces every constraint of the schema but the explicit ranges, which
    // `schema::within_ranges` checks; when both pass, the schema would too and is skipped
    // (building its validator is most of a process's start-up). Otherwise the schema check
    // runs first and reports every violation; only a document it accepts can still fail the
    // typed read (e.g. `3.0` for an integer).
    // (The path-tracking read runs only to explain a failure.)
    let typed = AppSpec::deserialize(&document);
    if let Ok(spec) = &typed
        && schema::within_ranges(spec)
    {
        return Ok(LoadedSpec {
            spec: typed.expect("checked above"),
            file: file.to_string(),
            source: text.to_string(),
            positions: OnceLock::new(),
        });
    }

    let positions = PositionIndex::new(text);
    let typed: Result<AppSpec, _> = serde_path_to_error::deserialize(&document);

    let violations = schema::check(&document);
    if !violations.is_empty() {
        let mut diagnostics: Vec<Diagnostic> = violations
            .into_iter()
            .map(|violation| {
                let mut diagnostic =
                    Diagnostic::new(violation.code, violation.path, violation.message);
                diagnostic.help = violation.help;
                diagnostic.located(file, &positions)
            })
            .collect();
        diagnostics.sort_by(|a, b| (a.location, &a.path).cmp(&(b.location, &b.path)));
        return Err(LoadError::Schema(diagnostics));
    }

    let spec: AppSpec = typed.map_err(|error| {
        let path = match error.path().to_string() {
            root if root == "." => String::new(),
            path => path,
        };
        LoadError::Shape(Box::new(
            Diagnostic::new(&SPEC_SHAPE, path, error.into_inner().to_string())
                .located(file, &positions),
        ))
    })?;

    Ok(LoadedSpec {
        spec,
        file: file.to_string(),
        source: text.to_string(),
        positions: OnceLock::from(positions),
    })
}

/// A YAML error as a diagnostic: its id by kind, its position, and the field it is about.
fn yaml_diagnostic(file: &str, text: &str, error: yaml::YamlError) -> Diagnostic {
    let code = match error.kind {
        YamlErrorKind::DuplicateKey => &YAML_DUPLICATE_KEY,
        YamlErrorKind::Limit => &YAML_LIMIT,
        YamlErrorKind::Syntax | YamlErrorKind::Type | YamlErrorKind::Write => &YAML_SYNTAX,
    };
    // The location is the parser's; the path is the field written at or before it.
    let path = error
        .location
        .and_then(|at| PositionIndex::new(text).path_at(at).map(str::to_string))
        .unwrap_or_default();
    let mut diagnostic = Diagnostic::new(code, path, error.message);
    diagnostic.file = file.to_string();
    // Every YAML error is placed: the parser's position, or the start of the file.
    diagnostic.location = Some(error.location.unwrap_or(Location { line: 1, column: 1 }));
    if let Some(help) = error.help {
        diagnostic.help = Some(help.to_string());
    }
    diagnostic
}

/// An empty document, or one that is not a mapping: said in a few words, never by quoting it.
fn not_a_mapping(file: &str, text: &str, document: &serde_json::Value) -> Diagnostic {
    let found = match document {
        serde_json::Value::Null => "the file holds no YAML document (it is empty or only comments)",
        serde_json::Value::Array(_) => "the document is a list",
        serde_json::Value::String(_) => "the document is a string",
        serde_json::Value::Number(_) => "the document is a number",
        serde_json::Value::Bool(_) => "the document is a boolean",
        serde_json::Value::Object(_) => unreachable!("only called for non-mappings"),
    };
    let mut diagnostic = Diagnostic::new(
        &YAML_DOCUMENT,
        "",
        format!("{found}: a spec is a mapping with `apiVersion`, `kind`, `metadata` and `spec`"),
    )
    .with_help("`slipway init NAME --stdout` prints a starter spec");
    diagnostic.file = file.to_string();
    diagnostic.location = Some(
        PositionIndex::new(text)
            .exact("")
            .unwrap_or(Location { line: 1, column: 1 }),
    );
    diagnostic
}

crate::diagnostic::codes! {
    YAML_SYNTAX {
        id: "yaml-syntax",
        severity: Error,
        stage: Load,
        what: "The spec (after templating) is not a YAML document.",
        why: "Nothing can be read from it.",
        example: "`metadata: {name: demo`",
        instead: "`metadata: {name: demo}`",
    }
    YAML_DUPLICATE_KEY {
        id: "yaml-duplicate-key",
        severity: Error,
        stage: Load,
        what: "Rejects a mapping that has the same key twice, anywhere in a spec or values file.",
        why: "YAML requires unique keys; readers that accept duplicates keep the last one silently, so a second `metadata:` block renames the application and a repeated env var or RBAC entry wins unseen.",
        example: "`metadata: {name: a}` followed later by `metadata: {name: b}`",
        instead: "one key, with everything it holds merged under it",
    }
    YAML_LIMIT {
        id: "yaml-limit",
        severity: Error,
        stage: Load,
        what: "Stops a document whose aliases expand past the reader's budget (an alias bomb) or that nests too deep.",
        why: "A few lines of anchors and aliases can expand to gigabytes; reading such a spec must fail fast with a location, not exhaust memory.",
        example: "`a: &a [x, x]`, `b: &b [*a, *a]`, … nine levels deep",
        instead: "write the values out, or use a template loop; plain anchors and aliases within the budget still work",
    }
    YAML_DOCUMENT {
        id: "yaml-document",
        severity: Error,
        stage: Load,
        what: "Rejects a file that is empty, only comments, or whose document is a list or a scalar instead of a mapping.",
        why: "A spec is one mapping with `apiVersion`, `kind`, `metadata` and `spec`; anything else is a wrong file or a broken template.",
        example: "an empty file, or `- name: demo`",
        instead: "`slipway init NAME --stdout` prints a starter spec",
    }
    SPEC_SHAPE {
        id: "spec-shape",
        severity: Error,
        stage: Load,
        what: "The document matches the schema but cannot be read into the typed spec (e.g. `3.0` where an integer is required).",
        why: "Slipway parses every value once into a type; a value it cannot type is not used as a guess.",
        example: "`inference: {port: 8000.0}`",
        instead: "`inference: {port: 8000}`",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::k8s::int_or_percent::IntOrPercent;

    /// The fast path (typed read + ranges) never accepts a document the schema rejects: checked
    /// on every example and invalid spec.
    #[test]
    fn the_fast_path_accepts_nothing_the_schema_rejects() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../specs");
        let mut checked = 0;
        for dir in [root.clone(), root.join("invalid")] {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.extension().is_none_or(|e| e != "yaml") {
                    continue;
                }
                let template = std::fs::read_to_string(&path).unwrap();
                let name = path.display().to_string();
                let context = crate::template::Context::default();
                let no_partials = std::collections::BTreeMap::<String, String>::new();
                let Ok(rendered) = crate::template::render(&name, &template, &context, no_partials)
                else {
                    continue;
                };
                let Ok(document) = yaml::from_str::<serde_json::Value>(&rendered.text) else {
                    continue;
                };
                let fast = serde_json::from_value::<AppSpec>(document.clone())
                    .is_ok_and(|spec| schema::within_ranges(&spec));
                if fast {
                    assert!(schema::check(&document).is_empty(), "{name}");
                }
                checked += 1;
            }
        }
        assert!(checked > 20, "only {checked} specs checked");
    }

    const HEADER: &str =
        "apiVersion: slipway.dev/v1alpha1\nkind: AIApplication\nmetadata:\n  name: demo\n";

    #[test]
    fn a_minimal_spec_gets_every_default() {
        let text = format!(
            "{HEADER}spec:\n  model:\n    source:\n      pvc:\n        claimName: models\n"
        );
        let loaded = load_str("demo.yaml", &text).unwrap();
        let spec = &loaded.spec.spec;
        assert_eq!(spec.inference.replicas, None);
        assert_eq!(spec.inference.replicas(), 2);
        assert_eq!(spec.inference.probes.readiness.path, "/v2/health/ready");
        assert_eq!(spec.model.path, "/models/{version}/model.onnx");
        assert_eq!(spec.model.version, "1");
        assert!(spec.security.network_policy.enabled);
    }

    #[test]
    fn syntax_errors_carry_the_position() {
        let error = load_str("bad.yaml", "a: [1, 2\nb: 3\n").unwrap_err();
        let LoadError::Syntax(diagnostic) = &error else {
            panic!("expected a syntax error, got {error:?}");
        };
        assert_eq!(diagnostic.file, "bad.yaml");
        assert!(diagnostic.location.is_some());
    }

    /// The one diagnostic of a load that fails before the schema: (id, path, line, column).
    fn load_failure(text: &str) -> (&'static str, String, usize, usize, String) {
        let error = load_str("demo.yaml", text).unwrap_err();
        let LoadError::Syntax(diagnostic) = &error else {
            panic!("expected a YAML error, got {error:?}");
        };
        let at = diagnostic.location.expect("every YAML error is located");
        (
            diagnostic.id(),
            diagnostic.path.clone(),
            at.line,
            at.column,
            diagnostic.message.clone(),
        )
    }

    #[test]
    fn duplicate_keys_name_the_field_and_the_second_occurrence() {
        let text = format!(
            "{HEADER}spec:\n  model:\n    source:\n      pvc:\n        claimName: models\n  inference:\n    env:\n      A: '1'\n      A: '2'\n"
        );
        let (id, path, line, column, _) = load_failure(&text);
        assert_eq!(
            (id, path.as_str(), line, column),
            ("yaml-duplicate-key", "spec.inference.env.A", 13, 7)
        );
        let (id, path, line, _, _) = load_failure(&format!("{HEADER}metadata:\n  name: other\n"));
        assert_eq!(
            (id, path.as_str(), line),
            ("yaml-duplicate-key", "metadata", 5)
        );
    }

    #[test]
    fn empty_files_and_lists_are_located_without_quoting_the_document() {
        for text in ["", "\n", "# nothing\n"] {
            let (id, path, line, column, message) = load_failure(text);
            assert_eq!(
                (id, path.as_str(), line, column),
                ("yaml-document", "", 1, 1)
            );
            assert!(message.contains("no YAML document"), "{message}");
        }
        let listed = format!("# a list\n- {}", HEADER.replace('\n', "\n  "));
        let (id, _, line, column, message) = load_failure(&listed);
        assert_eq!((id, line, column), ("yaml-document", 2, 1));
        assert!(!message.contains("slipway.dev/v1alpha1"), "{message}");
        let (id, ..) = load_failure("just text\n");
        assert_eq!(id, "yaml-document");
    }

    #[test]
    fn alias_bombs_are_located_errors_and_plain_aliases_work() {
        let mut bomb = format!("{HEADER}  annotations:\n    a0: &a0 [x, x, x, x, x, x, x, x]\n");
        for level in 1..9 {
            let items = vec![format!("*a{}", level - 1); 8].join(", ");
            bomb.push_str(&format!("    a{level}: &a{level} [{items}]\n"));
        }
        let (id, path, line, _, _) = load_failure(&bomb);
        assert_eq!(id, "yaml-limit");
        assert!(path.starts_with("metadata.annotations.a"), "{path}");
        assert!(line > 5, "{line}");

        let text = "apiVersion: slipway.dev/v1alpha1\nkind: AIApplication\n\
                    metadata: {name: demo, labels: &l {team: ml}, annotations: *l}\n\
                    spec: {model: {source: {pvc: {claimName: models}}}}\n";
        let loaded = load_str("demo.yaml", text).unwrap();
        assert_eq!(loaded.spec.metadata.annotations["team"], "ml");
    }

    #[test]
    fn tabs_get_a_help_line() {
        let error = load_str("demo.yaml", "apiVersion: x\nmetadata:\n\tname: a\n").unwrap_err();
        let diagnostic = &error.diagnostics()[0];
        assert_eq!(diagnostic.location.map(|l| l.line), Some(3));
        assert!(diagnostic.help.as_deref().unwrap().contains("forbids tabs"));
    }

    #[test]
    fn schema_errors_are_all_reported_with_paths_and_positions() {
        let text = format!(
            "{HEADER}spec:\n  model:\n    source:\n      pvc:\n        claimName: models\n  inference:\n    replicas: three\n    port: 70000\n"
        );
        let error = load_str("demo.yaml", &text).unwrap_err();
        let paths: Vec<_> = error
            .diagnostics()
            .iter()
            .map(|d| (d.path.as_str(), d.location.map(|l| l.line)))
            .collect();
        assert_eq!(
            paths,
            [
                ("spec.inference.replicas", Some(11)),
                ("spec.inference.port", Some(12))
            ]
        );
    }

    /// A spec whose `spec` holds `body` (indented by two spaces) beside the model.
    fn with_body(body: &str) -> String {
        format!("{HEADER}spec:\n  model:\n    source:\n      pvc: {{claimName: models}}\n{body}")
    }

    #[test]
    fn typed_values_accept_every_form_kubernetes_accepts() {
        let text = with_body(
            "  inference:\n    resources:\n      requests: {cpu: 0.5, memory: 1073741824}\n      \
             limits: {cpu: 1, memory: 2Gi}\n  rollout:\n    maxSurge: 1\n    maxUnavailable: 25%\n  \
             scaling:\n    disruptionBudget: {maxUnavailable: 50%}\n  monitoring:\n    \
             scrapeInterval: 1m30s\n",
        );
        let spec = load_str("demo.yaml", &text).unwrap().spec.spec;
        let resources = &spec.inference.resources;
        assert_eq!(
            resources.requests.cpu.as_ref().unwrap().nanos(),
            500_000_000
        );
        assert_eq!(resources.limits.cpu.as_ref().unwrap().as_str(), "1");
        assert_eq!(
            resources.requests.memory.as_ref().unwrap().nanos(),
            1_073_741_824 * 1_000_000_000
        );
        assert_eq!(spec.rollout.max_surge, IntOrPercent::Int(1));
        assert_eq!(spec.rollout.max_unavailable, IntOrPercent::Percent(25));
        assert_eq!(
            spec.scaling.disruption_budget.max_unavailable,
            IntOrPercent::Percent(50)
        );
        assert_eq!(spec.monitoring.scrape_interval.as_std().as_secs(), 90);
    }

    #[test]
    fn typed_values_are_rejected_at_load_with_code_path_line_and_reason() {
        for (body, id, path, line, reason) in [
            (
                "  inference:\n    resources:\n      limits: {cpu: 2GBytes}\n",
                "quantity-syntax",
                "spec.inference.resources.limits.cpu",
                11,
                "the suffix must be one of",
            ),
            (
                "  inference:\n    resources:\n      limits: {cpu: true}\n",
                "quantity-syntax",
                "spec.inference.resources.limits.cpu",
                11,
                "expected a Kubernetes quantity",
            ),
            (
                "  inference:\n    resources:\n      limits: {memory: -1}\n",
                "quantity-syntax",
                "spec.inference.resources.limits.memory",
                11,
                "cannot be negative",
            ),
            (
                "  monitoring:\n    scrapeInterval: 30s1m\n",
                "duration-syntax",
                "spec.monitoring.scrapeInterval",
                10,
                "units go from the largest to the smallest",
            ),
            (
                "  monitoring:\n    scrapeInterval: 30\n",
                "duration-syntax",
                "spec.monitoring.scrapeInterval",
                10,
                "it has no unit",
            ),
            (
                "  backup:\n    schedule: 99 99 99 99 99\n    destination: s3://b/\n    credentialsSecret: c\n",
                "cron-syntax",
                "spec.backup.schedule",
                10,
                "is not a cron schedule",
            ),
            (
                "  rollout:\n    maxSurge: \"1\"\n",
                "int-or-percent-syntax",
                "spec.rollout.maxSurge",
                10,
                "write the number unquoted",
            ),
            (
                "  rollout:\n    maxUnavailable: 1.5\n",
                "int-or-percent-syntax",
                "spec.rollout.maxUnavailable",
                10,
                "whole numbers",
            ),
            (
                "  rollout:\n    canary:\n      steps:\n      - setWeight: 20\n      - pause: {duration: 5 minutes}\n",
                "duration-syntax",
                "spec.rollout.canary.steps[1].pause.duration",
                13,
                "use digits and units",
            ),
        ] {
            let error = load_str("demo.yaml", &with_body(body)).unwrap_err();
            let found: Vec<_> = error
                .diagnostics()
                .iter()
                .filter(|d| d.id() != "schema")
                .map(|d| (d.id(), d.path.as_str(), d.location.map(|l| l.line)))
                .collect();
            assert_eq!(found, [(id, path, Some(line))], "{body}: {error:?}");
            let diagnostic = error.diagnostics().iter().find(|d| d.id() == id).unwrap();
            assert!(
                diagnostic.message.contains(reason),
                "{body}: {}",
                diagnostic.message
            );
            assert_eq!(diagnostic.file, "demo.yaml");
            assert!(diagnostic.help.is_some());
        }
    }
}
