//! Requests within limits, compared exactly (the quantities' syntax is checked at load time:
//! `spec::load`).

use crate::diagnostic::Diagnostic;

use crate::k8s::quantity::Quantity;
use crate::sections::AppSpec;
use crate::sections::ResourceList;

fn named(list: &ResourceList) -> [(&'static str, &Option<Quantity>); 3] {
    [
        ("cpu", &list.cpu),
        ("memory", &list.memory),
        ("ephemeralStorage", &list.ephemeral_storage),
    ]
}

/// Reports [`REQUESTS_EXCEED_LIMITS`](REQUESTS_EXCEED_LIMITS).
pub(super) fn check_requests_within_limits(spec: &AppSpec, out: &mut Vec<Diagnostic>) {
    let body = &spec.spec;
    let mut pairs = vec![(
        "spec.inference.resources",
        &body.inference.resources.requests,
        &body.inference.resources.limits,
        "requests",
        "limits",
    )];
    if let Some(training) = &body.training {
        pairs.push((
            "spec.training.resources",
            &training.resources.requests,
            &training.resources.limits,
            "requests",
            "limits",
        ));
    }
    if let Some(vpa) = &body.scaling.vpa {
        pairs.push((
            "spec.scaling.vpa",
            &vpa.min_allowed,
            &vpa.max_allowed,
            "minAllowed",
            "maxAllowed",
        ));
    }
    for (base, low, high, low_name, high_name) in pairs {
        for ((name, low_value), (_, high_value)) in named(low).into_iter().zip(named(high)) {
            let (Some(low_text), Some(high_text)) = (low_value, high_value) else {
                continue;
            };
            if low_text.cmp_value(high_text).is_gt() {
                out.push(
                    Diagnostic::new(
                        &REQUESTS_EXCEED_LIMITS,
                        format!("{base}.{low_name}.{name}"),
                        format!("{low_name}.{name} `{low_text}` is above {high_name}.{name} `{high_text}`"),
                    )
                    .with_help(format!("lower {low_name}.{name} or raise {high_name}.{name}")),
                );
            }
        }
    }
    if body.inference.resources.limits.memory.is_none() {
        out.push(
            Diagnostic::new(
                &MISSING_LIMITS,
                "spec.inference.resources.limits",
                "the inference container has no memory limit",
            )
            .with_help("set limits.memory; memory alerts are computed as a share of it"),
        );
    }
}

crate::diagnostic::codes! {
    REQUESTS_EXCEED_LIMITS {
        id: "requests-exceed-limits",
        severity: Error,
        stage: Spec,
        what: "Compares each request with its limit (inference, training) and each VPA `minAllowed` with its `maxAllowed`; warns when the inference container has no memory limit.",
        why: "The API server rejects a request above its limit; a server without a memory limit can take the node's memory, and alerts on \"share of the limit\" have nothing to measure against.",
        example: "`requests: {cpu: \"2\"}` with `limits: {cpu: \"1\"}`",
        instead: "`requests: {cpu: 500m}` with `limits: {cpu: \"1\"}`",
    }
    MISSING_LIMITS {
        id: "missing-limits",
        severity: Warning,
        stage: Spec,
        what: "Warns when the inference container has no memory limit.",
        why: "A pod without a memory limit can take a node's memory and get other pods evicted; Slipway's memory alert is a share of the limit, so it has nothing to compare with.",
        example: "`resources: {requests: {memory: 2Gi}}`",
        instead: "`resources: {requests: {memory: 2Gi}, limits: {memory: 4Gi}}`",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sections::ResourceList;

    fn exceeded(requests: ResourceList, limits: ResourceList) -> Vec<String> {
        let mut spec = crate::compile::testing::minimal();
        spec.spec.inference.resources.requests = requests;
        spec.spec.inference.resources.limits = limits;
        let mut out = Vec::new();
        check_requests_within_limits(&spec, &mut out);
        out.into_iter()
            .filter(|d| d.id() == REQUESTS_EXCEED_LIMITS.id)
            .map(|d| d.path)
            .collect()
    }

    #[test]
    fn quantities_compare_by_exact_value() {
        let list = ResourceList::cpu_memory;
        // Equal values in other spellings are within the limit.
        assert!(exceeded(list("1000m", "1Gi"), list("1", "1073741824")).is_empty());
        // One millicore or one byte above is not.
        assert_eq!(
            exceeded(list("1001m", "1073741825"), list("1", "1Gi")),
            [
                "spec.inference.resources.requests.cpu",
                "spec.inference.resources.requests.memory"
            ]
        );
        // 1Gi is more than 1G.
        assert_eq!(
            exceeded(list("1", "1Gi"), list("1", "1G")),
            ["spec.inference.resources.requests.memory"]
        );
    }
}
