//! The semantic rules, one module per concern, registered in one list.

mod backup;
mod gitops;
mod images;
pub(crate) mod names;
mod observability;
mod rbac;
mod resources;
mod scaling;
mod scheduling;
mod workloads;

use super::Rule;

/// Every semantic rule, in the order they run.
pub static RULES: &[Rule] = &[
    names::RULE,
    names::LABELS,
    resources::QUANTITY,
    resources::REQUESTS_WITHIN_LIMITS,
    images::RULE,
    scaling::REPLICAS,
    scaling::HPA_BOUNDS,
    scaling::HPA_VPA_CONFLICT,
    scaling::DISRUPTION_BUDGET,
    workloads::MODEL,
    workloads::TRAINING,
    workloads::ENV,
    workloads::PROBES,
    workloads::SCHEDULES,
    workloads::DURATIONS,
    workloads::ROLLOUT,
    workloads::GPU,
    scheduling::TOLERATIONS,
    scheduling::PRIORITY,
    rbac::API_GROUP,
    rbac::WILDCARD,
    rbac::VERB,
    rbac::SUBJECTS,
    backup::RULE,
    gitops::PRE_SYNC_HOOK,
    observability::ALERT_THRESHOLDS,
    observability::ALERT_LIMITS,
    observability::LOGGING_NAMESPACE,
];
