//! Bundle → text: deterministic multi-document YAML, one file per object, or a GitOps tree
//! ([`tree`]); object-level differences between renders ([`diff`]).

pub mod diff;
pub mod tree;

use std::collections::BTreeMap;

use crate::compile::{Bundle, Object};
use crate::yaml;

/// One object as a YAML document (sorted keys, no leading `---`).
pub fn object_yaml(object: &Object) -> String {
    yaml::to_string(&object.to_value()).expect("JSON values always serialise to YAML")
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
    let mut out = String::new();
    for object in &bundle.objects {
        out.push_str("---\n");
        out.push_str(&object_yaml(object));
    }
    out
}

/// The file name of an object in a directory of one file per object:
/// `<kind>-<name>.yaml`, prefixed by the namespace when the bundle spans several.
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
