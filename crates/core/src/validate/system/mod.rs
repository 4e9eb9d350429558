//! System rules: what makes the compiled objects work together once Argo CD syncs them,
//! checked over the bundle as a whole. The facts come from the bundle; each diagnostic names
//! the spec field to fix, so it points at a line of the spec. [`model`] covers the model flow
//! (training → storage → serving → backup), [`gitops`] environments, Argo CD and exposure.

pub mod gitops;
pub mod model;
pub mod selectors;

use crate::compile::Bundle;
use crate::diagnostic::Diagnostic;
use crate::spec::AppSpec;

/// A system rule: the spec as written (not yet resolved for the environment), the environment
/// (`--env`) and the bundle compiled for it.
pub type SystemCheck = fn(&AppSpec, Option<&str>, &Bundle, &mut Vec<Diagnostic>);

/// Every system rule, in the order they run.
pub static SYSTEM_RULES: &[SystemCheck] = &[
    model::check_model_delivered,
    model::check_job_ttl_under_self_heal,
    model::check_backup_coverage,
    gitops::check_environments_disjoint,
    gitops::check_tracking_label,
    gitops::check_project,
    gitops::check_volume_claims,
    gitops::check_source_ranges,
];

/// Runs every system rule; diagnostics carry spec field paths (place them with
/// [`LoadedSpec::locate`](crate::spec::LoadedSpec::locate)).
///
/// ```
/// let text = "apiVersion: slipway.dev/v1alpha1\nkind: AIApplication\n\
///             metadata: {name: demo}\n\
///             spec: {model: {source: {pvc: {claimName: models}}}}\n";
/// let spec = slipway_core::spec::load_str("demo.yaml", text).unwrap().spec;
/// let bundle = slipway_core::compile::compile_for(&spec, Some("prod"));
/// let diagnostics = slipway_core::validate::system(&spec, Some("prod"), &bundle);
/// // An empty claim Slipway creates, which nothing writes: the server would find no model.
/// assert_eq!(diagnostics[0].id, "model-not-delivered");
/// ```
pub fn system(spec: &AppSpec, env: Option<&str>, bundle: &Bundle) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for check in SYSTEM_RULES {
        check(spec, env, bundle, &mut out);
    }
    out
}
