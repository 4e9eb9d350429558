//! AppSpec → [`Bundle`]: every section of [`SECTIONS`] adds its objects and files in
//! order, each with the same signature; the bundle is then sorted for rendering.

pub use crate::bundle::{Bundle, CustomObject, KIND_ORDER, Object, Workload, typed};
pub use crate::sections::{Input, Scope};

use crate::sections::{AppSpec, SECTIONS};

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

/// Compiles a spec for the environment `env` (`--env`; `None` without one): resolves the
/// environment once ([`AppSpec::for_environment`]: its namespaces and per-environment names),
/// runs every section of [`SECTIONS`] in order, then sorts the bundle.
pub fn compile_for(spec: &AppSpec, env: Option<&str>) -> Bundle {
    compile_scoped(spec, env, Scope::Full)
}

/// [`compile_for`], writing what `scope` asks for.
pub fn compile_scoped(spec: &AppSpec, env: Option<&str>, scope: Scope) -> Bundle {
    let resolved = spec.for_environment(env);
    let input = Input {
        spec: &resolved,
        env,
        scope,
    };
    let mut bundle = Bundle::default();
    for section in SECTIONS {
        (section.compile)(input, &mut bundle);
    }
    bundle.sort();
    bundle
}

#[cfg(test)]
pub(crate) mod testing {
    //! Specs and accessors for unit tests.

    /// The pod spec of a workload (tests read its containers, volumes and init containers).
    pub fn pod<W: crate::bundle::Workload>(workload: &W) -> &k8s_openapi::api::core::v1::PodSpec {
        workload.pod_spec().expect("a workload has a pod template")
    }

    /// The volume of a pod spec with this name.
    pub fn volume<'a>(
        pod: &'a k8s_openapi::api::core::v1::PodSpec,
        name: &str,
    ) -> &'a k8s_openapi::api::core::v1::Volume {
        pod.volumes
            .iter()
            .flatten()
            .find(|v| v.name == name)
            .unwrap_or_else(|| panic!("no volume {name}"))
    }

    /// The pod template's labels of a workload.
    pub fn pod_labels<W: crate::bundle::Workload>(
        workload: &W,
    ) -> &std::collections::BTreeMap<String, String> {
        workload
            .pod_template()
            .and_then(|t| t.metadata.as_ref()?.labels.as_ref())
            .expect("the pod template has labels")
    }

    /// The pod template's annotations of a workload.
    pub fn pod_annotations<W: crate::bundle::Workload>(
        workload: &W,
    ) -> &std::collections::BTreeMap<String, String> {
        workload
            .pod_template()
            .and_then(|t| t.metadata.as_ref()?.annotations.as_ref())
            .expect("the pod template has annotations")
    }

    use crate::sections::AppSpec;

    use crate::spec::load_str;

    /// `specs/minimal.yaml`-like: name and model only.
    pub fn minimal() -> AppSpec {
        load_str(
            "minimal.yaml",
            "apiVersion: slipway.dev/v1alpha1\nkind: AIApplication\nmetadata:\n  name: demo\nspec:\n  model:\n    source:\n      pvc:\n        claimName: models\n",
        )
        .expect("the minimal test spec loads")
        .spec
    }

    /// The seed with a custom runtime that serves on one GPU per pod.
    pub fn gpu_runtime() -> AppSpec {
        let mut spec = seed();
        spec.spec.inference.runtime = crate::sections::serving::RuntimeSpec::Custom(
            crate::sections::serving::CustomRuntimeSpec {
                image: "example.com/triton:24.10".into(),
                command: Vec::new(),
                args: Vec::new(),
                metrics_path: Some("/metrics".into()),
            },
        );
        spec.spec
            .scheduling
            .gpu
            .as_mut()
            .expect("the seed names its GPU")
            .count = 1.into();
        spec
    }

    /// The seed with distributed training: a PyTorchJob of a Master and two Workers, one GPU
    /// each.
    pub fn distributed() -> AppSpec {
        let mut spec = seed();
        spec.spec.training.as_mut().unwrap().distributed =
            Some(crate::sections::training::DistributedSpec {
                workers: 2,
                gpus_per_worker: 1,
                restart_policy: crate::sections::training::ReplicaRestartPolicy::OnFailure,
                queue_name: None,
            });
        spec
    }

    /// [`minimal`] released by an Argo Rollouts canary: 20% → 2 min pause → analysis → 50%.
    pub fn canary() -> AppSpec {
        use crate::sections::rollout::AnalysisSpec;
        use crate::sections::rollout::AnalysisStep;
        use crate::sections::rollout::CanarySpec;
        use crate::sections::rollout::CanaryStep;
        use crate::sections::rollout::PauseStep;
        let mut spec = minimal();
        spec.spec.rollout.canary = Some(CanarySpec {
            steps: vec![
                CanaryStep::SetWeight(20),
                CanaryStep::Pause(PauseStep {
                    duration: Some("2m".parse().expect("a duration")),
                }),
                CanaryStep::Analysis(AnalysisStep {}),
                CanaryStep::SetWeight(50),
            ],
            analysis: AnalysisSpec::default(),
        });
        spec
    }

    /// The test specs above and the repository's specs that exercise the other features
    /// (exposure, canary, KEDA, distributed training, environments).
    pub fn every_spec() -> Vec<AppSpec> {
        let files = [
            include_str!("../../../../specs/production.yaml"),
            include_str!("../../../../specs/ingress-bluegreen.yaml"),
            include_str!("../../../../specs/minimal.yaml"),
        ];
        let mut specs = vec![seed(), minimal(), gpu_runtime(), distributed(), canary()];
        specs.extend(files.map(|text| load_str("spec.yaml", text).unwrap().spec));
        specs
    }

    /// The seed with its training output on a claim of its own, `claim`.
    pub fn training_into(claim: &str) -> AppSpec {
        let mut spec = seed();
        let training = spec.spec.training.as_mut().expect("the seed trains");
        let output = training
            .output
            .as_mut()
            .expect("the seed's training has an output");
        output.claim = Some(crate::sections::VolumeClaim::new(claim));
        spec
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    /// Every scope emits the full compile's objects, for every test spec in every environment:
    /// `Objects` exactly them, with every file but the CI pipelines; `Outline` the same kinds,
    /// names and labels (pod specs and alert rules left out), with the files objects carry
    /// left empty (the environments are compared on it).
    #[test]
    fn every_scope_emits_the_full_compiles_objects() {
        // The seed writes all three kinds of file: dashboard, logging and CI.
        let seed_files = compile_for(&testing::seed(), None).files;
        for dir in ["dashboards/", "logging/", "ci/"] {
            assert!(seed_files.keys().any(|path| path.starts_with(dir)), "{dir}");
        }
        let specs = testing::every_spec();
        fn skeleton(bundle: &Bundle) -> Vec<(String, Option<BTreeMap<String, String>>)> {
            let objects = bundle.objects.iter();
            objects
                .map(|o| (format!("{:?}", o.sort_key()), o.metadata().labels.clone()))
                .collect()
        }
        for spec in &specs {
            for env in [None, Some("staging"), Some("prod")] {
                let full = compile_for(spec, env);
                let carries = |path: &str| !path.starts_with("ci/");

                let objects = compile_scoped(spec, env, Scope::Objects);
                assert_eq!(objects.objects, full.objects, "{env:?}");
                let mut carried = full.files.clone();
                carried.retain(|path, _| carries(path));
                assert_eq!(objects.files, carried, "{env:?}");

                let outline = compile_scoped(spec, env, Scope::Outline);
                assert_eq!(skeleton(&outline), skeleton(&full), "{env:?}");
                assert!(outline.files.keys().eq(carried.keys()), "{env:?}");
                assert!(outline.files.values().all(String::is_empty), "{env:?}");
            }
        }
    }
}
