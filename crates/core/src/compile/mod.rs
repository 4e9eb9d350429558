//! AppSpec → [`Bundle`]: one pure module per concern, each `fn(&AppSpec) -> Vec<Object>`.
//! This file is the one place that lists every output, in the order they are compiled.

pub mod backup;
pub mod crd;
pub mod dashboard;
pub mod fluentd;
pub mod gitops;
pub mod labels;
pub mod logging;
pub mod monitoring;
pub mod network;
mod object;
pub mod pipeline;
pub mod pod;
pub mod promql;
pub mod rbac;
pub mod runtime;
pub mod scaling;
pub mod scheduling;
pub mod serving;
pub mod training;
pub mod workloads;

pub use object::{Bundle, CustomObject, KIND_ORDER, Object, typed};

use std::collections::BTreeMap;

use crate::spec::AppSpec;

/// One compiler of a concern.
type Concern = fn(&AppSpec) -> Vec<Object>;
/// One compiler of files that are not objects, keyed by relative path.
type FileConcern = fn(&AppSpec) -> BTreeMap<String, String>;
/// One compiler of objects that carry files of the bundle.
type FileObjectConcern = fn(&AppSpec, &BTreeMap<String, String>) -> Vec<Object>;

/// Every concern, in compile order (render order is fixed by [`Bundle::sort`]).
const CONCERNS: &[(&str, Concern)] = &[
    ("namespace", workloads::namespace),
    ("volumes", workloads::volume_claims),
    ("training", training::compile),
    ("serving", serving::compile),
    ("scaling", scaling::compile),
    ("scheduling", scheduling::compile),
    ("rbac", rbac::compile),
    ("network", network::compile),
    ("backup", backup::compile),
    ("monitoring", monitoring::compile),
    ("logging", logging::compile),
];

/// Every concern producing files (dashboard JSON, `fluent.conf`, CI pipelines), in compile
/// order.
const FILE_CONCERNS: &[(&str, FileConcern)] = &[
    ("dashboard", dashboard::files),
    ("logging", logging::files),
    ("pipeline", pipeline::files),
];

/// Every concern producing objects that carry files of [`FILE_CONCERNS`] (the dashboard's
/// sidecar ConfigMap, Fluentd's ConfigMap), compiled after them.
const FILE_OBJECT_CONCERNS: &[(&str, FileObjectConcern)] = &[
    ("dashboard", dashboard::config_map),
    ("logging", logging::config_map),
];

/// Compiles a spec into its bundle of objects and files, sorted for rendering.
///
/// Pure: the same spec gives the same bundle, byte for byte once rendered.
///
/// ```
/// let text = "apiVersion: slipway.dev/v1alpha1\nkind: AIApplication\n\
///             metadata: {name: demo}\n\
///             spec: {model: {source: {pvc: {claimName: models}}}}\n";
/// let loaded = slipway_core::spec::load_str("demo.yaml", text).unwrap();
/// let bundle = slipway_core::compile::compile(&loaded.spec);
/// assert!(bundle.find("Deployment", "demo").is_some());
/// assert!(bundle.find("Service", "demo").is_some());
/// ```
pub fn compile(spec: &AppSpec) -> Bundle {
    compile_for(spec, None)
}

/// Compiles a spec for the environment `env` (`--env`; `None` without one): every concern,
/// then the environment-aware Argo CD objects ([`gitops::compile`], which whitelist the
/// cluster-scoped kinds the other concerns emit), then sync waves when the spec uses GitOps.
pub fn compile_for(spec: &AppSpec, env: Option<&str>) -> Bundle {
    let mut bundle = Bundle::default();
    for (_, concern) in CONCERNS {
        bundle.objects.extend(concern(spec));
    }
    for (_, concern) in FILE_CONCERNS {
        bundle.files.extend(concern(spec));
    }
    for (_, concern) in FILE_OBJECT_CONCERNS {
        bundle.objects.extend(concern(spec, &bundle.files));
    }
    let argo = gitops::compile(spec, env, &bundle.objects);
    bundle.objects.extend(argo);
    if spec.spec.gitops.is_some() {
        gitops::sync_waves(&mut bundle.objects);
    }
    bundle.sort();
    bundle
}

#[cfg(test)]
pub(crate) mod testing {
    //! Specs for unit tests.

    use crate::spec::{AppSpec, load_str};

    /// `specs/minimal.yaml`-like: name and model only.
    pub fn minimal() -> AppSpec {
        load_str(
            "minimal.yaml",
            "apiVersion: slipway.dev/v1alpha1\nkind: AIApplication\nmetadata:\n  name: demo\nspec:\n  model:\n    source:\n      pvc:\n        claimName: models\n",
        )
        .expect("the minimal test spec loads")
        .spec
    }

    /// `specs/seed-article.yaml`, rendered without values.
    pub fn seed() -> AppSpec {
        let rendered = crate::template::render(
            "specs/seed-article.yaml",
            include_str!("../../../../specs/seed-article.yaml"),
            &Default::default(),
            std::collections::BTreeMap::new(),
        )
        .expect("the seed-article template renders");
        load_str("specs/seed-article.yaml", &rendered.text)
            .expect("the seed-article spec loads")
            .spec
    }
}
