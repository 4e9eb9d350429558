//! Bundle → text: deterministic multi-document YAML, one file per object, or a GitOps tree
//! ([`tree`]); object-level differences between renders ([`diff`]).

pub mod diff;
pub mod tree;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::bundle::Bundle;

use crate::bundle::Object;
use crate::yaml;

/// One object as a YAML document (sorted keys, no leading `---`).
///
/// ```
/// use k8s_openapi::api::core::v1::ConfigMap;
/// use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
/// use slipway_core::Object;
///
/// let config = Object::from(ConfigMap {
///     metadata: ObjectMeta { name: Some("settings".into()), ..Default::default() },
///     ..Default::default()
/// });
/// assert_eq!(
///     slipway_core::render::object_yaml(&config),
///     "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n"
/// );
/// ```
pub fn object_yaml(object: &Object) -> String {
    // The object's fields, then its own apiVersion and kind (which replace any the fields
    // carry). The typed objects serialise their nested fields in key order (k8s-openapi's
    // and the custom resources' fields are declared by JSON name), so only the top-level
    // entries need ordering.
    #[derive(Serialize)]
    struct Rooted<'a, F> {
        #[serde(flatten)]
        fields: F,
        #[serde(rename = "apiVersion")]
        api_version: &'a str,
        kind: &'a str,
    }
    let rooted = Rooted {
        fields: object.fields(),
        api_version: object.api_version(),
        kind: object.kind(),
    };
    yaml::to_string_key_ordered(&rooted).expect("Kubernetes objects serialise to YAML")
}

/// Every object of the bundle as one multi-document YAML stream, in bundle order.
///
/// ```
/// let text = "apiVersion: slipway.dev/v1alpha1\nkind: AIApplication\n\
///             metadata: {name: demo}\n\
///             spec: {model: {source: {pvc: {claimName: models}}}}\n";
/// let loaded = slipway_core::spec::load_str("demo.yaml", text).unwrap();
/// let yaml = slipway_core::render::to_yaml(&slipway_core::compile::compile(&loaded.spec));
/// assert!(yaml.starts_with("---\napiVersion: v1\nkind: Namespace\n"));
/// ```
pub fn to_yaml(bundle: &Bundle) -> String {
    // Written object by object, then joined at the exact size (no growing and copying).
    const SEPARATOR: &str = "---\n";
    let objects: Vec<String> = bundle.objects.iter().map(object_yaml).collect();
    let size = objects
        .iter()
        .map(|text| SEPARATOR.len() + text.len())
        .sum();
    let mut out = String::with_capacity(size);
    for text in &objects {
        out.push_str(SEPARATOR);
        out.push_str(text);
    }
    out
}

/// The file name of an object in a directory of one file per object:
/// `<kind>-<name>.yaml`, prefixed by the namespace when the bundle spans several.
///
/// ```
/// use k8s_openapi::api::core::v1::Service;
/// use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
/// use slipway_core::{Object, render::file_name};
///
/// let service = Object::from(Service {
///     metadata: ObjectMeta {
///         name: Some("demo".into()),
///         namespace: Some("prod".into()),
///         ..Default::default()
///     },
///     ..Default::default()
/// });
/// assert_eq!(file_name(&service, false), "service-demo.yaml");
/// assert_eq!(file_name(&service, true), "prod-service-demo.yaml");
/// ```
pub fn file_name(object: &Object, qualify_namespace: bool) -> String {
    let kind = object.kind().to_ascii_lowercase();
    if qualify_namespace && !object.namespace().is_empty() {
        format!("{}-{kind}-{}.yaml", object.namespace(), object.name())
    } else {
        format!("{kind}-{}.yaml", object.name())
    }
}

/// The bundle as files: one YAML file per object, plus the bundle's other files, keyed by
/// relative path. Writing them is the caller's business.
///
/// ```
/// use slipway_core::spec::{AppSpec, ModelSource, VolumeClaim};
///
/// let app = AppSpec::new("demo", ModelSource::Pvc(VolumeClaim::new("models")));
/// let mut bundle = slipway_core::compile(&app);
/// bundle.files.insert("dashboards/demo.json".into(), "{}".into());
/// let files = slipway_core::render::to_files(&bundle);
/// assert!(files["deployment-demo.yaml"].starts_with("apiVersion: apps/v1\nkind: Deployment\n"));
/// assert_eq!(files["dashboards/demo.json"], "{}");
/// ```
pub fn to_files(bundle: &Bundle) -> BTreeMap<String, String> {
    let mut namespaces: Vec<&str> = bundle
        .objects
        .iter()
        .map(Object::namespace)
        .filter(|ns| !ns.is_empty())
        .collect();
    namespaces.sort_unstable();
    namespaces.dedup();
    let qualify = namespaces.len() > 1;
    let mut files: BTreeMap<String, String> = bundle
        .objects
        .iter()
        .map(|object| (file_name(object, qualify), object_yaml(object)))
        .collect();
    files.extend(bundle.files.clone());
    files
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
    use serde_json::json;

    use super::*;
    use crate::CustomObject;
    use crate::sections::AppSpec;
    use crate::sections::VolumeClaim;
    use crate::sections::model::ModelSource;

    /// Every object of every spec of the repository, in every environment, is written with
    /// every mapping sorted: the custom resources declare their fields by JSON name, as
    /// k8s-openapi does, so sorting the top level is enough.
    #[test]
    fn every_object_of_every_spec_is_written_fully_sorted() {
        let specs = crate::compile::testing::every_spec();
        let mut kinds = std::collections::BTreeSet::new();
        for spec in &specs {
            for env in [None, Some("staging"), Some("prod")] {
                for object in &crate::compile::compile_for(spec, env).objects {
                    let expected = yaml::to_string(&object.to_value()).unwrap();
                    assert_eq!(
                        object_yaml(object),
                        expected,
                        "{} {}",
                        object.kind(),
                        object.name()
                    );
                    kinds.insert(object.kind().to_string());
                }
            }
        }
        for kind in [
            "Application",
            "Rollout",
            "AnalysisTemplate",
            "PyTorchJob",
            "ScaledObject",
        ] {
            assert!(kinds.contains(kind), "{kind} not covered: {kinds:?}");
        }
    }

    /// `object_yaml` writes straight from the typed object what the JSON value would give.
    #[test]
    fn objects_are_written_as_their_json_values() {
        let app = AppSpec::new("demo", ModelSource::Pvc(VolumeClaim::new("models")));
        let mut bundle = crate::compile(&app);
        bundle.push(CustomObject {
            api_version: "example.com/v1".into(),
            kind: "Widget".into(),
            metadata: ObjectMeta {
                name: Some("on".into()),
                labels: Some(BTreeMap::from([
                    ("z".into(), "1".into()),
                    ("a".into(), "yes".into()),
                ])),
                ..Default::default()
            },
            fields: BTreeMap::from([
                // Replaced by the object's own apiVersion and kind, and metadata by this one.
                ("apiVersion".into(), json!("wrong/v0")),
                ("kind".into(), json!({"not": "a kind"})),
                (
                    "metadata".into(),
                    json!({"name": "later", "annotations": {}}),
                ),
                (
                    "spec".into(),
                    json!({"script": "echo on\n", "list": [[], {}, "off"]}),
                ),
                ("data".into(), json!(null)),
            ]),
        });
        let mut kinds = Vec::new();
        for object in &bundle.objects {
            assert_eq!(
                object_yaml(object),
                yaml::to_string(&object.to_value()).unwrap(),
                "{} {}",
                object.kind(),
                object.name()
            );
            kinds.push(object.kind());
        }
        assert!(
            kinds.contains(&"Deployment") && kinds.contains(&"Widget"),
            "{kinds:?}"
        );
        let expected: String = bundle
            .objects
            .iter()
            .map(|object| format!("---\n{}", yaml::to_string(&object.to_value()).unwrap()))
            .collect();
        assert_eq!(to_yaml(&bundle), expected);
    }
}
