//! Semantic validation: every rule runs and every problem is reported, with id, severity,
//! field path, file position, message and help (schema checks already ran in `spec::load`).

mod bundle;
mod limits;
mod promql;
pub mod system;

pub use crate::sections::Check;
pub use bundle::bundle;
pub use system::{SYSTEM_RULES, SystemCheck};

use crate::bundle::Bundle;
use crate::diagnostic::{Code, Diagnostic};
use crate::sections::{AppSpec, SECTIONS};
use crate::spec::LoadedSpec;

/// Runs every rule over `loaded` and returns all diagnostics, placed in its file and sorted
/// by position.
///
/// ```
/// let text = "apiVersion: slipway.dev/v1alpha1\nkind: AIApplication\n\
///             metadata: {name: Demo_App}\n\
///             spec: {model: {source: {pvc: {claimName: models}}}}\n";
/// let loaded = slipway_core::spec::load_str("demo.yaml", text).unwrap();
/// let diagnostics = slipway_core::validate::spec(&loaded);
/// assert_eq!(diagnostics[0].id(), "dns-name");
/// assert_eq!(diagnostics[0].path, "metadata.name");
/// ```
pub fn spec(loaded: &LoadedSpec) -> Vec<Diagnostic> {
    let mut diagnostics = check(&loaded.spec);
    for diagnostic in &mut diagnostics {
        *diagnostic = loaded.locate(diagnostic.clone());
    }
    diagnostics.sort_by(|a, b| {
        (a.location, &a.path, a.id(), &a.message).cmp(&(b.location, &b.path, b.id(), &b.message))
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
    for check in SECTIONS.iter().flat_map(|section| section.rules) {
        check(spec, &mut diagnostics);
    }
    diagnostics
}

/// Runs every system rule of every section; diagnostics carry spec field paths (place them
/// with [`LoadedSpec::locate`]).
///
/// ```
/// let text = "apiVersion: slipway.dev/v1alpha1\nkind: AIApplication\n\
///             metadata: {name: demo}\n\
///             spec: {model: {source: {pvc: {claimName: models}}}}\n";
/// let spec = slipway_core::spec::load_str("demo.yaml", text).unwrap().spec;
/// let bundle = slipway_core::compile::compile_for(&spec, Some("prod"));
/// let diagnostics = slipway_core::validate::system(&spec, Some("prod"), &bundle);
/// // An empty claim Slipway creates, which nothing writes: the server would find no model.
/// assert_eq!(diagnostics[0].id(), "model-not-delivered");
/// ```
pub fn system(spec: &AppSpec, env: Option<&str>, bundle: &Bundle) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for check in SYSTEM_RULES {
        check(spec, env, bundle, &mut out);
    }
    out
}

/// Whether any diagnostic is an error (warnings alone do not stop compilation).
///
/// ```
/// use slipway_core::diagnostic::Diagnostic;
/// use slipway_core::validate::has_errors;
///
/// assert!(!has_errors(&[Diagnostic::new(&slipway_core::sections::app::images::IMAGE_TAG, "spec.inference", "risky")]));
/// assert!(has_errors(&[Diagnostic::new(&slipway_core::sections::scaling::rules::HPA_BOUNDS, "spec.scaling", "wrong")]));
/// ```
pub fn has_errors(diagnostics: &[Diagnostic]) -> bool {
    diagnostics.iter().any(Diagnostic::is_error)
}

/// Every registered code (`slipway rules`), ordered by stage then id: each stage's and each
/// section's codes, declared beside the checks that report them (`diagnostic::codes!`).
pub fn registry() -> Vec<&'static Code> {
    let stages: [&[&'static Code]; 9] = [
        crate::template::CODES,
        crate::spec::load::CODES,
        crate::spec::schema::CODES,
        crate::k8s::name::CODES,
        bundle::CODES,
        limits::CODES,
        promql::CODES,
        system::model::CODES,
        system::gitops::CODES,
    ];
    let sections = SECTIONS
        .iter()
        .flat_map(|section| section.codes.iter().copied());
    let mut all: Vec<&'static Code> = stages
        .into_iter()
        .chain(sections)
        .flatten()
        .copied()
        .collect();
    all.sort_by_key(|code| (code.stage, code.id));
    all
}

/// The registered code with this id (`slipway rules ID`), if any.
///
/// ```
/// let code = slipway_core::validate::code("hpa-bounds").unwrap();
/// assert!(code.docs().starts_with("## hpa-bounds (error, spec stage)"));
/// assert!(slipway_core::validate::code("no-such-rule").is_none());
/// ```
pub fn code(id: &str) -> Option<&'static Code> {
    registry().into_iter().find(|code| code.id == id)
}
