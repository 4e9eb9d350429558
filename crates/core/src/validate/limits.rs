//! The API server's own limits, checked before anything is written: object names, label
//! values, the total size of an object's annotations and of a ConfigMap. Each problem names
//! the spec field it comes from when there is one (`metadata.annotations`,
//! `spec.monitoring.dashboard`), so it is reported at that field's line.

use std::collections::BTreeMap;

use crate::bundle::Bundle;

use crate::bundle::Object;
use crate::diagnostic::Diagnostic;
use crate::k8s::name::is_dns1035_label;
use crate::k8s::name::is_dns1123_label;
use crate::k8s::name::is_dns1123_subdomain;
use crate::k8s::name::is_label_value;

/// The API server rejects an object whose annotations (keys and values) exceed 256 KiB.
pub const MAX_ANNOTATIONS_BYTES: usize = 256 * 1024;
/// The API server rejects a ConfigMap whose data exceed 1 MiB.
pub const MAX_CONFIG_MAP_BYTES: usize = 1024 * 1024;

/// Kinds whose names are DNS-1035 labels (at most 63 characters, starting with a letter).
const DNS1035_KINDS: &[&str] = &["Service"];
/// Kinds whose names are DNS-1123 labels (at most 63 characters).
const DNS1123_LABEL_KINDS: &[&str] = &["Namespace"];

/// Every limit problem of `bundle`.
pub fn limits(bundle: &Bundle) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut annotated = Vec::new();
    for object in &bundle.objects {
        check_name(object, &mut out);
        check_labels(object, &mut out);
        if let Some(bytes) = oversized_annotations(object) {
            annotated.push((object, bytes));
        }
        if let Object::ConfigMap(config_map) = object {
            let bytes = data_bytes(config_map.data.as_ref()) + data_bytes_binary(config_map);
            if bytes > MAX_CONFIG_MAP_BYTES {
                let dashboard = object.name().ends_with("-dashboard");
                out.push(
                    Diagnostic::new(
                        &CONFIG_MAP_TOO_LARGE,
                        if dashboard {
                            "spec.monitoring.dashboard".to_string()
                        } else {
                            format!("ConfigMap/{}.data", object.name())
                        },
                        format!(
                            "ConfigMap `{}` holds {bytes} bytes; the API server accepts at most {MAX_CONFIG_MAP_BYTES}",
                            object.name()
                        ),
                    )
                    .with_help("keep fewer or smaller panels, or turn the sidecar ConfigMap off and provision the dashboard file another way"),
                );
            }
        }
    }
    // One diagnostic for the spec field, naming every object it makes too large.
    if let Some((_, bytes)) = annotated.iter().max_by_key(|(_, bytes)| *bytes) {
        let objects: Vec<String> = annotated
            .iter()
            .map(|(object, _)| format!("{}/{}", object.kind(), object.name()))
            .collect();
        out.push(
            Diagnostic::new(
                &ANNOTATIONS_TOO_LARGE,
                "metadata.annotations",
                format!(
                    "{} objects would carry up to {bytes} bytes of annotations; the API server accepts at most {MAX_ANNOTATIONS_BYTES} per object ({})",
                    objects.len(),
                    objects.join(", ")
                ),
            )
            .with_help("annotations go on every object: keep them short, and put large data in a ConfigMap"),
        );
    }
    out
}

fn check_name(object: &Object, out: &mut Vec<Diagnostic>) {
    let (kind, name) = (object.kind(), object.name());
    if kind == "Namespace" {
        // A namespace's name is written (`dns-name`) or derived for an environment
        // (`name-too-long-for-argo`): both are checked where the value comes from, at that
        // field, not at `metadata.name`.
        return;
    }
    let (valid, rule) = if DNS1035_KINDS.contains(&kind) {
        (
            is_dns1035_label(name),
            "a DNS-1035 label (at most 63 characters)",
        )
    } else if DNS1123_LABEL_KINDS.contains(&kind) {
        (
            is_dns1123_label(name),
            "a DNS-1123 label (at most 63 characters)",
        )
    } else {
        (
            is_dns1123_subdomain(name),
            "a DNS-1123 subdomain (at most 253 characters)",
        )
    };
    if !valid {
        out.push(
            Diagnostic::new(
                &OBJECT_NAME,
                "metadata.name",
                format!(
                    "{kind} `{name}` ({} characters) is derived from the spec but is not {rule}",
                    name.len()
                ),
            )
            .with_help("shorten metadata.name (or the name of the entry it comes from)"),
        );
    }
}

fn check_labels(object: &Object, out: &mut Vec<Diagnostic>) {
    let labels = object.metadata().labels.iter().flatten();
    for (key, value) in labels {
        if !is_label_value(value) {
            out.push(
                Diagnostic::new(
                    &OBJECT_NAME,
                    format!("metadata.labels.{key}"),
                    format!(
                        "{} `{}` gets the label {key}=`{value}`, which is not a label value (at most 63 characters)",
                        object.kind(),
                        object.name()
                    ),
                )
                .with_help("shorten the value it is derived from"),
            );
        }
    }
}

/// The size of `object`'s annotations when it exceeds the API server's limit.
fn oversized_annotations(object: &Object) -> Option<usize> {
    let bytes = data_bytes(object.metadata().annotations.as_ref());
    (bytes > MAX_ANNOTATIONS_BYTES).then_some(bytes)
}

fn data_bytes(data: Option<&BTreeMap<String, String>>) -> usize {
    data.iter()
        .flat_map(|data| data.iter())
        .map(|(key, value)| key.len() + value.len())
        .sum()
}

fn data_bytes_binary(config_map: &k8s_openapi::api::core::v1::ConfigMap) -> usize {
    config_map
        .binary_data
        .iter()
        .flatten()
        .map(|(key, value)| key.len() + value.0.len())
        .sum()
}

crate::diagnostic::codes! {
    OBJECT_NAME {
        id: "object-name",
        severity: Error,
        stage: Bundle,
        what: "Checks every emitted object's name against its kind's rule (DNS-1035 label for Services, DNS-1123 label for Namespaces, DNS-1123 subdomain otherwise) and every label value against the 63-character label rule.",
        why: "Names are derived from the spec (`<app>-<color>`, `<app>-metrics`): each spec field can be valid while a derived name is not, and the API server then rejects that object in the middle of a sync.",
        example: "an application name whose `-metrics` Service name would be 64 characters",
        instead: "a shorter `metadata.name` (at most 40 characters leaves room for every suffix)",
    }
    ANNOTATIONS_TOO_LARGE {
        id: "annotations-too-large",
        severity: Error,
        stage: Bundle,
        what: "Rejects an object whose annotations (keys and values together) exceed 256 KiB, the API server's limit.",
        why: "`metadata.annotations` is copied onto every object: one large value multiplies into every manifest, and the API server refuses each object that carries it.",
        example: "`metadata: {annotations: {notes: <300 KB of text>}}`",
        instead: "short annotations (a link to the document), with large data in a ConfigMap",
    }
    CONFIG_MAP_TOO_LARGE {
        id: "config-map-too-large",
        severity: Error,
        stage: Bundle,
        what: "Rejects a ConfigMap (the dashboard's sidecar ConfigMap, Fluentd's) whose data exceed 1 MiB, the API server's limit.",
        why: "The API server refuses the object and the sync fails; Grafana's sidecar never sees the dashboard.",
        example: "a dashboard with thousands of panels",
        instead: "fewer panels, or the dashboard file provisioned without the sidecar ConfigMap",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile::compile;
    use crate::compile::testing::minimal;

    #[test]
    fn the_examples_are_within_every_limit() {
        assert!(limits(&compile(&minimal())).is_empty());
        assert!(limits(&compile(&crate::compile::testing::seed())).is_empty());
    }

    #[test]
    fn oversized_annotations_are_reported_once_at_the_spec_field() {
        let mut spec = minimal();
        spec.metadata
            .annotations
            .insert("notes".into(), "x".repeat(MAX_ANNOTATIONS_BYTES));
        let bundle = compile(&spec);
        let found = limits(&bundle);
        let [found] = found.as_slice() else {
            panic!("one diagnostic: {found:?}")
        };
        assert_eq!(
            (found.id(), found.path.as_str()),
            ("annotations-too-large", "metadata.annotations")
        );
        let annotated = bundle
            .objects
            .iter()
            .filter(|o| {
                o.metadata()
                    .annotations
                    .as_ref()
                    .is_some_and(|a| a.contains_key("notes"))
            })
            .count();
        assert!(
            found.message.starts_with(&format!("{annotated} objects")),
            "{}",
            found.message
        );
    }

    #[test]
    fn a_long_name_breaks_derived_service_names() {
        let mut spec = minimal();
        spec.metadata.name = format!("a{}", "b".repeat(60));
        let found = limits(&compile(&spec));
        assert!(
            found
                .iter()
                .any(|d| d.id() == "object-name" && d.message.starts_with("Service `")),
            "{found:?}"
        );
    }
}
