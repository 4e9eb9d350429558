//! Scheduling: tolerations the API server accepts, and PriorityClass values users may create.

use crate::diagnostic::Diagnostic;

use crate::sections::AppSpec;
use crate::sections::scheduling::TaintEffect;
use crate::sections::scheduling::TolerationOperator;

/// Highest value of a PriorityClass outside the system classes.
const MAX_USER_PRIORITY: i32 = 1_000_000_000;

/// Reports [`TOLERATION`](TOLERATION).
pub(super) fn check_tolerations(spec: &AppSpec, out: &mut Vec<Diagnostic>) {
    for (i, toleration) in spec.spec.scheduling.tolerations.iter().enumerate() {
        let path = format!("spec.scheduling.tolerations[{i}]");
        let exists = toleration.operator == TolerationOperator::Exists;
        if exists && toleration.value.as_deref().is_some_and(|v| !v.is_empty()) {
            out.push(
                Diagnostic::new(
                    &TOLERATION,
                    format!("{path}.value"),
                    "a toleration with `operator: Exists` matches any value, so it takes none",
                )
                .with_help("remove `value`, or use `operator: Equal`"),
            );
        }
        if !exists && toleration.key.as_deref().is_none_or(str::is_empty) {
            out.push(
                Diagnostic::new(
                    &TOLERATION,
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
                    &TOLERATION,
                    format!("{path}.tolerationSeconds"),
                    "tolerationSeconds applies to the NoExecute effect only",
                )
                .with_help("set `effect: NoExecute`, or remove `tolerationSeconds`"),
            );
        }
    }
}

/// Reports [`PRIORITY_CLASS`](PRIORITY_CLASS).
pub(super) fn check_priority(spec: &AppSpec, out: &mut Vec<Diagnostic>) {
    let Some(priority) = &spec.spec.scheduling.priority_class else {
        return;
    };
    if let Some(value) = priority.value.filter(|v| *v > MAX_USER_PRIORITY) {
        out.push(
            Diagnostic::new(
                &PRIORITY_CLASS,
                "spec.scheduling.priorityClass.value",
                format!(
                    "priority {value} is above 1000000000, the range reserved for system classes"
                ),
            )
            .with_help("use a value up to 1000000000, e.g. 1000000"),
        );
    }
}

/// Reports [`GPU_COUNT`](GPU_COUNT).
pub(crate) fn check_gpu(spec: &AppSpec, out: &mut Vec<Diagnostic>) {
    let Some(gpu) = &spec.spec.scheduling.gpu else {
        return;
    };
    if gpu.whole_count().is_none() {
        out.push(
            Diagnostic::new(
                &GPU_COUNT,
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
                &GPU_COUNT,
                "spec.scheduling.gpu.resourceName",
                format!("`{}` is not an extended resource name", gpu.resource_name),
            )
            .with_help("use a vendor-domain name such as `nvidia.com/gpu` or `amd.com/gpu`"),
        );
    }
}

crate::diagnostic::codes! {
    TOLERATION {
        id: "toleration",
        severity: Error,
        stage: Spec,
        what: "Checks `scheduling.tolerations`: `Exists` takes no value, an empty key needs `Exists`, and `tolerationSeconds` goes with the `NoExecute` effect only.",
        why: "The API server rejects such a pod template, so the Deployment is created but never gets a pod; the error shows only in the ReplicaSet's events.",
        example: "`{key: gpu, operator: Exists, value: \"true\"}`",
        instead: "`{key: gpu, operator: Exists, effect: NoSchedule}`, or `{key: gpu, operator: Equal,\nvalue: \"true\"}`",
    }
    PRIORITY_CLASS {
        id: "priority-class",
        severity: Error,
        stage: Spec,
        what: "Checks a PriorityClass Slipway creates: its value is at most 1,000,000,000.",
        why: "Higher values are reserved for the `system-` classes; the API server rejects the PriorityClass, and every pod referring to it is then rejected too.",
        example: "`priorityClass: {name: ai-critical, value: 2000000000}`",
        instead: "`priorityClass: {name: ai-critical, value: 1000000}`",
    }
    GPU_COUNT {
        id: "gpu-count",
        severity: Error,
        stage: Spec,
        what: "Checks `scheduling.gpu.count` and `training.gpus`: GPUs are whole numbers (0 for none).",
        why: "Extended resources cannot be overcommitted or split: `0.5` GPUs is rejected by the API server, and a GPU request must equal its limit. The spec cannot express requests ≠ limits for GPUs (one `count` sets both, see `compile::pod::resources`), so no rule is needed for that; `validate::bundle` still checks the compiled pods.",
        example: "`gpu: {count: 0.5}`",
        instead: "`gpu: {count: 1}` (use MIG or time-slicing profiles with their own resource names to share)",
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
        assert_eq!(out[0].id(), "priority-class");
    }
}
