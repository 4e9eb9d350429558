//! Scheduling: tolerations the API server accepts, and PriorityClass values users may create.

use crate::diagnostic::Diagnostic;

use crate::diagnostic::codes;
use crate::sections::AppSpec;
use crate::sections::scheduling::TaintEffect;
use crate::sections::scheduling::TolerationOperator;

/// Highest value of a PriorityClass outside the system classes.
const MAX_USER_PRIORITY: i32 = 1_000_000_000;

/// Reports [`codes::TOLERATION`](crate::diagnostic::codes::TOLERATION).
pub(super) fn check_tolerations(spec: &AppSpec, out: &mut Vec<Diagnostic>) {
    for (i, toleration) in spec.spec.scheduling.tolerations.iter().enumerate() {
        let path = format!("spec.scheduling.tolerations[{i}]");
        let exists = toleration.operator == TolerationOperator::Exists;
        if exists && toleration.value.as_deref().is_some_and(|v| !v.is_empty()) {
            out.push(
                Diagnostic::new(
                    &codes::TOLERATION,
                    format!("{path}.value"),
                    "a toleration with `operator: Exists` matches any value, so it takes none",
                )
                .with_help("remove `value`, or use `operator: Equal`"),
            );
        }
        if !exists && toleration.key.as_deref().is_none_or(str::is_empty) {
            out.push(
                Diagnostic::new(
                    &codes::TOLERATION,
                    path.clone(),
                    "a toleration without a key must use `operator: Exists`",
                )
                .with_help(
                    "add the taint's `key`, or set `operator: Exists` to tolerate every taint",
                ),
            );
        }
        if toleration.toleration_seconds.is_some()
            && toleration.effect != Some(TaintEffect::NoExecute)
        {
            out.push(
                Diagnostic::new(
                    &codes::TOLERATION,
                    format!("{path}.tolerationSeconds"),
                    "tolerationSeconds applies to the NoExecute effect only",
                )
                .with_help("set `effect: NoExecute`, or remove `tolerationSeconds`"),
            );
        }
    }
}

/// Reports [`codes::PRIORITY_CLASS`](crate::diagnostic::codes::PRIORITY_CLASS).
pub(super) fn check_priority(spec: &AppSpec, out: &mut Vec<Diagnostic>) {
    let Some(priority) = &spec.spec.scheduling.priority_class else {
        return;
    };
    if let Some(value) = priority.value.filter(|v| *v > MAX_USER_PRIORITY) {
        out.push(
            Diagnostic::new(
                &codes::PRIORITY_CLASS,
                "spec.scheduling.priorityClass.value",
                format!(
                    "priority {value} is above 1000000000, the range reserved for system classes"
                ),
            )
            .with_help("use a value up to 1000000000, e.g. 1000000"),
        );
    }
}

/// Reports [`codes::GPU_COUNT`](crate::diagnostic::codes::GPU_COUNT).
pub(crate) fn check_gpu(spec: &AppSpec, out: &mut Vec<Diagnostic>) {
    let Some(gpu) = &spec.spec.scheduling.gpu else {
        return;
    };
    if gpu.whole_count().is_none() {
        out.push(
            Diagnostic::new(
                &codes::GPU_COUNT,
                "spec.scheduling.gpu.count",
                format!("GPU count `{}` must be a whole number", gpu.count),
            )
            .with_help("GPUs cannot be split; request 1, or use a MIG/time-slicing resource name such as `nvidia.com/mig-1g.5gb`"),
        );
    }
    let valid_name = gpu
        .resource_name
        .split_once('/')
        .is_some_and(|(domain, name)| domain.contains('.') && !name.is_empty());
    if !valid_name {
        out.push(
            Diagnostic::new(
                &codes::GPU_COUNT,
                "spec.scheduling.gpu.resourceName",
                format!("`{}` is not an extended resource name", gpu.resource_name),
            )
            .with_help("use a vendor-domain name such as `nvidia.com/gpu` or `amd.com/gpu`"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile::testing::seed;

    #[test]
    fn the_seed_schedules_cleanly() {
        let mut out = Vec::new();
        check_tolerations(&seed(), &mut out);
        check_priority(&seed(), &mut out);
        assert!(out.is_empty(), "{out:?}");
    }

    #[test]
    fn tolerations_the_api_server_rejects_are_errors() {
        let mut spec = seed();
        let toleration = &mut spec.spec.scheduling.tolerations[0];
        toleration.operator = TolerationOperator::Exists;
        toleration.toleration_seconds = Some(60);
        let mut out = Vec::new();
        check_tolerations(&spec, &mut out);
        let paths: Vec<&str> = out.iter().map(|d| d.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "spec.scheduling.tolerations[0].value",
                "spec.scheduling.tolerations[0].tolerationSeconds"
            ]
        );
    }

    #[test]
    fn system_range_priorities_are_errors() {
        let mut spec = seed();
        spec.spec.scheduling.priority_class.as_mut().unwrap().value = Some(2_000_000_000);
        let mut out = Vec::new();
        check_priority(&spec, &mut out);
        assert_eq!(out[0].id, "priority-class");
    }
}
