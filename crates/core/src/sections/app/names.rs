//! Names, labels and annotations that the API server would reject.

use crate::diagnostic::Diagnostic;

use crate::k8s::name::is_dns1035_label;
use crate::k8s::name::is_dns1123_label;
use crate::k8s::name::is_dns1123_subdomain;
use crate::k8s::name::is_label_value;
use crate::k8s::name::is_qualified_name;
use crate::sections::AppSpec;
use crate::sections::model::ModelSource;

/// Longest application name: Slipway appends suffixes such as `-training` (CronJob names may
/// hold 52 characters) and `-preview` (Service names may hold 63).
pub const MAX_APP_NAME: usize = 40;

/// Labels Slipway sets itself on every object.
const RESERVED_LABELS: [&str; 6] = [
    "app.kubernetes.io/name",
    "app.kubernetes.io/instance",
    "app.kubernetes.io/component",
    "app.kubernetes.io/version",
    "app.kubernetes.io/managed-by",
    "app.kubernetes.io/part-of",
];

/// Reports [`crate::k8s::name::DNS_NAME`](crate::k8s::name::DNS_NAME).
pub(super) fn check_names(spec: &AppSpec, out: &mut Vec<Diagnostic>) {
    let name = &spec.metadata.name;
    if !is_dns1035_label(name) {
        out.push(
            Diagnostic::new(
                &crate::k8s::name::DNS_NAME,
                "metadata.name",
                format!("`{name}` is not a valid application name"),
            )
            .with_help(
                "use lowercase letters, digits and '-', starting with a letter and ending with a letter or digit",
            ),
        );
    } else if name.len() > MAX_APP_NAME {
        out.push(
            Diagnostic::new(
                &crate::k8s::name::DNS_NAME,
                "metadata.name",
                format!(
                    "`{name}` has {} characters; at most {MAX_APP_NAME} leave room for the suffixes of derived names",
                    name.len()
                ),
            )
            .with_help("shorten the name; `-training`, `-preview` and `-backup` are appended to it"),
        );
    }
    if let Some(namespace) = &spec.metadata.namespace {
        label_name(out, "metadata.namespace", namespace, "namespace");
    }
    let body = &spec.spec;
    if let Some(model_name) = &body.model.name
        && (model_name.is_empty()
            || !model_name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)))
    {
        out.push(
            Diagnostic::new(
                &crate::k8s::name::DNS_NAME,
                "spec.model.name",
                format!("model name `{model_name}` cannot stand in the URL /v2/models/{{name}}"),
            )
            .with_help("use letters, digits, '-', '_' and '.'"),
        );
    }
    match &body.model.source {
        ModelSource::Pvc(claim) => subdomain(
            out,
            "spec.model.source.pvc.claimName",
            &claim.claim_name,
            "claim",
        ),
        ModelSource::ObjectStore(store) => {
            if let Some(secret) = &store.credentials_secret {
                subdomain(
                    out,
                    "spec.model.source.objectStore.credentialsSecret",
                    secret,
                    "Secret",
                );
            }
        }
    }
    if let Some(training) = &body.training {
        for (field, _, claim) in training.mounts() {
            if let Some(claim) = claim {
                subdomain(
                    out,
                    &format!("spec.training.{field}.claim.claimName"),
                    &claim.claim_name,
                    "claim",
                );
            }
        }
    }
    for (variable, reference) in &body.inference.secret_env {
        subdomain(
            out,
            &format!("spec.inference.secretEnv.{variable}.secret"),
            &reference.secret,
            "Secret",
        );
    }
    if let Some(priority) = &body.scheduling.priority_class {
        subdomain(
            out,
            "spec.scheduling.priorityClass.name",
            &priority.name,
            "PriorityClass",
        );
    }
    if let Some(runtime_class) = &body.scheduling.runtime_class_name {
        subdomain(
            out,
            "spec.scheduling.runtimeClassName",
            runtime_class,
            "RuntimeClass",
        );
    }
    if let Some(backup) = &body.backup {
        subdomain(
            out,
            "spec.backup.credentialsSecret",
            &backup.credentials_secret,
            "Secret",
        );
    }
    if let Some(secret) = body
        .logging
        .as_ref()
        .and_then(|l| l.elasticsearch.credentials_secret.as_ref())
    {
        subdomain(
            out,
            "spec.logging.elasticsearch.credentialsSecret",
            secret,
            "Secret",
        );
    }
    label_name(
        out,
        "spec.monitoring.namespace",
        &body.monitoring.namespace,
        "namespace",
    );
    for (i, namespace) in body
        .security
        .network_policy
        .allow_namespaces
        .iter()
        .enumerate()
    {
        label_name(
            out,
            &format!("spec.security.networkPolicy.allowNamespaces[{i}]"),
            namespace,
            "namespace",
        );
    }
}

fn label_name(out: &mut Vec<Diagnostic>, path: &str, value: &str, what: &str) {
    if !is_dns1123_label(value) {
        out.push(
            Diagnostic::new(
                &crate::k8s::name::DNS_NAME,
                path,
                format!("`{value}` is not a valid {what} name (DNS-1123 label)"),
            )
            .with_help(
                "use at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit",
            ),
        );
    }
}

fn subdomain(out: &mut Vec<Diagnostic>, path: &str, value: &str, what: &str) {
    if !is_dns1123_subdomain(value) {
        out.push(
            Diagnostic::new(
                &crate::k8s::name::DNS_NAME,
                path,
                format!("`{value}` is not a valid {what} name (DNS-1123 subdomain)"),
            )
            .with_help("use lowercase letters, digits, '-' and '.', starting and ending with a letter or digit"),
        );
    }
}

/// Reports [`LABEL_SYNTAX`](LABEL_SYNTAX).
pub(super) fn check_labels(spec: &AppSpec, out: &mut Vec<Diagnostic>) {
    for (key, value) in &spec.metadata.labels {
        let path = format!("metadata.labels.{key}");
        if RESERVED_LABELS.contains(&key.as_str()) {
            out.push(
                Diagnostic::new(
                    &LABEL_SYNTAX,
                    &path,
                    format!("label `{key}` is set by Slipway"),
                )
                .with_help("remove it; Slipway derives it from metadata.name and the workload"),
            );
            continue;
        }
        label_pair(out, &path, key, value);
    }
    for (key, value) in &spec.spec.scheduling.node_selector {
        label_pair(
            out,
            &format!("spec.scheduling.nodeSelector.{key}"),
            key,
            value,
        );
    }
    for key in spec.metadata.annotations.keys() {
        if !is_qualified_name(key) {
            out.push(
                Diagnostic::new(
                    &LABEL_SYNTAX,
                    format!("metadata.annotations.{key}"),
                    format!("`{key}` is not a valid annotation key"),
                )
                .with_help("use an optional DNS prefix and '/', then at most 63 letters, digits, '-', '_' or '.'"),
            );
        }
    }
}

fn label_pair(out: &mut Vec<Diagnostic>, path: &str, key: &str, value: &str) {
    if !is_qualified_name(key) {
        out.push(
            Diagnostic::new(
                &LABEL_SYNTAX,
                path,
                format!("`{key}` is not a valid label key"),
            )
            .with_help(
                "use an optional DNS prefix and '/', then at most 63 letters, digits, '-', '_' or '.'",
            ),
        );
    }
    if !is_label_value(value) {
        out.push(
            Diagnostic::new(
                &LABEL_SYNTAX,
                path,
                format!("`{value}` is not a valid label value"),
            )
            .with_help("use at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit"),
        );
    }
}

crate::diagnostic::codes! {
    LABEL_SYNTAX {
        id: "label-syntax",
        severity: Error,
        stage: Spec,
        what: "Checks label keys and values (`metadata.labels`, `scheduling.nodeSelector`) and annotation keys against the Kubernetes syntax, and refuses the `app.kubernetes.io/*` labels Slipway sets itself.",
        why: "An invalid label fails at apply time; overriding `app.kubernetes.io/name` would break the selectors Slipway derives from it.",
        example: "`labels: {team: \"AI Team\"}`",
        instead: "`labels: {team: ai-team}`",
    }
}
