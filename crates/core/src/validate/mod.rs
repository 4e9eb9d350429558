//! Semantic validation: every rule runs and every problem is reported, with id, severity,
//! field path, file position, message and help (schema checks already ran in `spec::load`).

mod bundle;
mod limits;
mod promql;
mod rules;
mod system;

pub use bundle::bundle;
pub use rules::{Check, RULES};
pub use system::{SYSTEM_RULES, SystemCheck, system};

use crate::diagnostic::Diagnostic;
use crate::spec::{AppSpec, LoadedSpec};

/// Runs every rule over `loaded` and returns all diagnostics, placed in its file and sorted
/// by position.
///
/// ```
/// let text = "apiVersion: slipway.dev/v1alpha1\nkind: AIApplication\n\
///             metadata: {name: Demo_App}\n\
///             spec: {model: {source: {pvc: {claimName: models}}}}\n";
/// let loaded = slipway_core::spec::load_str("demo.yaml", text).unwrap();
/// let diagnostics = slipway_core::validate::spec(&loaded);
/// assert_eq!(diagnostics[0].id, "dns-name");
/// assert_eq!(diagnostics[0].path, "metadata.name");
/// ```
pub fn spec(loaded: &LoadedSpec) -> Vec<Diagnostic> {
    let mut diagnostics = check(&loaded.spec);
    for diagnostic in &mut diagnostics {
        *diagnostic = loaded.locate(diagnostic.clone());
    }
    diagnostics.sort_by(|a, b| {
        (a.location, &a.path, a.id, &a.message).cmp(&(b.location, &b.path, b.id, &b.message))
    });
    diagnostics
}

/// Runs every rule over a spec that has no source file (built in code); diagnostics carry
/// field paths but no file position.
///
/// ```
/// use slipway_core::spec::{AppSpec, ModelSource, VolumeClaim};
///
/// let mut app = AppSpec::new("demo", ModelSource::Pvc(VolumeClaim::new("models")));
/// assert!(!slipway_core::validate::has_errors(&slipway_core::validate::check(&app)));
///
/// app.spec.inference.resources.requests.cpu = Some("2".parse().unwrap());
/// app.spec.inference.resources.limits.cpu = Some("1500m".parse().unwrap());
/// let diagnostics = slipway_core::validate::check(&app);
/// let error = diagnostics.iter().find(|d| d.is_error()).unwrap();
/// assert_eq!(error.path, "spec.inference.resources.requests.cpu");
/// assert!(error.location.is_none());
/// ```
pub fn check(spec: &AppSpec) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    for check in RULES {
        check(spec, &mut diagnostics);
    }
    diagnostics
}

/// Whether any diagnostic is an error (warnings alone do not stop compilation).
///
/// ```
/// use slipway_core::diagnostic::{Diagnostic, codes};
/// use slipway_core::validate::has_errors;
///
/// assert!(!has_errors(&[Diagnostic::new(&codes::IMAGE_TAG, "spec.inference", "risky")]));
/// assert!(has_errors(&[Diagnostic::new(&codes::HPA_BOUNDS, "spec.scaling", "wrong")]));
/// ```
pub fn has_errors(diagnostics: &[Diagnostic]) -> bool {
    diagnostics.iter().any(Diagnostic::is_error)
}
