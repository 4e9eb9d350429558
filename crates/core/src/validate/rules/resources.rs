//! Resource quantities: their syntax, and requests within limits.

use crate::diagnostic::{Diagnostic, codes};
use crate::k8s::quantity::parse_quantity;
use crate::spec::{AppSpec, ModelSource, ResourceList, Resources};

/// Reports [`codes::QUANTITY_SYNTAX`](crate::diagnostic::codes::QUANTITY_SYNTAX).
pub(super) fn check_quantities(spec: &AppSpec, out: &mut Vec<Diagnostic>) {
    for (path, text) in quantities(spec) {
        if let Err(error) = parse_quantity(text) {
            out.push(
                Diagnostic::new(&codes::QUANTITY_SYNTAX, path, error.to_string())
                    .with_help("write e.g. `500m` or `2` for CPU and `512Mi` or `4Gi` for memory"),
            );
        }
    }
}

/// Every quantity of the spec with its field path.
fn quantities(spec: &AppSpec) -> Vec<(String, &str)> {
    let mut found = Vec::new();
    let body = &spec.spec;
    push_resources(
        &mut found,
        "spec.inference.resources",
        &body.inference.resources,
    );
    if let Some(training) = &body.training {
        push_resources(&mut found, "spec.training.resources", &training.resources);
        for (field, _, claim) in training.mounts() {
            if let Some(claim) = claim {
                found.push((
                    format!("spec.training.{field}.claim.size"),
                    claim.size.as_str(),
                ));
            }
        }
    }
    if let Some(vpa) = &body.scaling.vpa {
        push_list(&mut found, "spec.scaling.vpa.minAllowed", &vpa.min_allowed);
        push_list(&mut found, "spec.scaling.vpa.maxAllowed", &vpa.max_allowed);
    }
    match &body.model.source {
        ModelSource::Pvc(claim) => {
            found.push(("spec.model.source.pvc.size".into(), claim.size.as_str()));
        }
        ModelSource::ObjectStore(store) => found.push((
            "spec.model.source.objectStore.sizeLimit".into(),
            store.size_limit.as_str(),
        )),
    }
    found
}

fn push_resources<'a>(found: &mut Vec<(String, &'a str)>, path: &str, resources: &'a Resources) {
    push_list(found, &format!("{path}.requests"), &resources.requests);
    push_list(found, &format!("{path}.limits"), &resources.limits);
}

fn push_list<'a>(found: &mut Vec<(String, &'a str)>, path: &str, list: &'a ResourceList) {
    for (name, value) in named(list) {
        if let Some(value) = value {
            found.push((format!("{path}.{name}"), value.as_str()));
        }
    }
}

fn named(list: &ResourceList) -> [(&'static str, &Option<String>); 3] {
    [
        ("cpu", &list.cpu),
        ("memory", &list.memory),
        ("ephemeralStorage", &list.ephemeral_storage),
    ]
}

/// Reports [`codes::REQUESTS_EXCEED_LIMITS`](crate::diagnostic::codes::REQUESTS_EXCEED_LIMITS).
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
            let (Ok(low_amount), Ok(high_amount)) =
                (parse_quantity(low_text), parse_quantity(high_text))
            else {
                continue; // quantity-syntax reports these
            };
            if low_amount > high_amount {
                out.push(
                    Diagnostic::new(
                        &codes::REQUESTS_EXCEED_LIMITS,
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
                &codes::MISSING_LIMITS,
                "spec.inference.resources.limits",
                "the inference container has no memory limit",
            )
            .with_help("set limits.memory; memory alerts are computed as a share of it"),
        );
    }
}
