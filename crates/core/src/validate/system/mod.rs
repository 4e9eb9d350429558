//! System rules: what makes the compiled objects work together once Argo CD syncs them,
//! checked over the bundle as a whole, across sections. The facts come from the bundle; each
//! diagnostic names the spec field to fix, so it points at a line of the spec. [`model`]
//! covers the model flow (training → storage → serving → backup), [`gitops`] environments,
//! Argo CD and exposure; [`selectors`] finds the label keys an object's selectors use.

pub mod gitops;
pub mod model;
pub mod selectors;

use crate::bundle::Bundle;
use crate::diagnostic::Diagnostic;
use crate::sections::AppSpec;

/// A system rule: the spec as written (not yet resolved for the environment), the environment
/// (`--env`) and the bundle compiled for it.
pub type SystemCheck = fn(&AppSpec, Option<&str>, &Bundle, &mut Vec<Diagnostic>);

/// Every system rule, in the order they run.
pub static SYSTEM_RULES: &[SystemCheck] = &[
    model::check_model_delivered,
    model::check_existing_versions,
    model::check_job_ttl_under_self_heal,
    model::check_backup_coverage,
    gitops::check_environments_disjoint,
    gitops::check_rendered_environment_names,
    gitops::check_tracking_label,
    gitops::check_project,
    gitops::check_volume_claims,
    gitops::check_source_ranges,
];
