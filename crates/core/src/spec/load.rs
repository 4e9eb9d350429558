//! YAML text → typed [`AppSpec`]: syntax, then the JSON Schema, then serde; every failure is a
//! diagnostic that names the file, line, column and field path.

use std::sync::OnceLock;

use serde::Deserialize;

use super::{AppSpec, schema};
use crate::diagnostic::{Diagnostic, PositionIndex, codes, render_all};
use crate::yaml;

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
    /// The text is not a YAML document.
    #[error("{}: the spec is not valid YAML", .0.position())]
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
    let document: serde_json::Value = yaml::from_str(text).map_err(|error| {
        let mut diagnostic = Diagnostic::new(&codes::YAML_SYNTAX, "", error.message);
        diagnostic.file = file.to_string();
        diagnostic.location = error.location;
        LoadError::Syntax(Box::new(diagnostic))
    })?;

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
                    Diagnostic::new(&codes::SCHEMA, violation.path, violation.message);
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
            Diagnostic::new(&codes::SPEC_SHAPE, path, error.into_inner().to_string())
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

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(spec.inference.replicas, 2);
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
}
