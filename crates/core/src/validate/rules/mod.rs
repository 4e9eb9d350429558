//! The semantic rules, one module per concern, registered in one list.

mod backup;
mod delivery;
mod environments;
mod gitops;
mod images;
pub(crate) mod names;
mod observability;
mod rbac;
mod resources;
mod scaling;
mod scheduling;
mod traffic;
mod workloads;

/// A semantic rule: appends the problems it finds in a spec.
pub type Check = fn(&crate::spec::AppSpec, &mut Vec<crate::diagnostic::Diagnostic>);

/// Every semantic rule, in the order they run; the codes they report are documented in
/// [`codes`](crate::diagnostic::codes).
pub static RULES: &[Check] = &[
    names::check_names,
    names::check_labels,
    resources::check_requests_within_limits,
    images::check_images,
    scaling::check_replicas,
    scaling::check_hpa,
    scaling::check_hpa_vpa,
    scaling::check_disruption_budget,
    workloads::check_model,
    workloads::check_training,
    workloads::check_env,
    workloads::check_probes,
    workloads::check_batching,
    workloads::check_rollout,
    workloads::check_gpu,
    delivery::check_runtime_gpu,
    delivery::check_blue_green_models,
    scheduling::check_tolerations,
    scheduling::check_priority,
    rbac::check_api_groups,
    rbac::check_wildcards,
    rbac::check_verbs,
    rbac::check_subjects,
    rbac::check_binding_names,
    backup::check_backup,
    gitops::check_pre_sync_hook,
    environments::check_destinations,
    environments::check_environment_names,
    observability::check_thresholds,
    observability::check_limits,
    observability::check_logging_namespace,
    traffic::check_exposure,
    traffic::check_keda,
    traffic::check_canary,
    traffic::check_store_identity,
    traffic::check_distributed,
];
