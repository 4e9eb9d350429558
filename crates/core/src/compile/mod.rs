//! AppSpec → [`Bundle`]: one pure module per concern. [`CONCERNS`] is the one place that
//! lists every output, in the order they are compiled, each with the same signature.

pub mod backup;
pub mod canary;
pub mod ci;
pub mod crd;
pub mod dashboard;
pub mod exposure;
pub mod fluentd;
pub mod gitops;
pub mod keda;
pub mod labels;
pub mod log_retention;
pub mod logging;
pub mod monitoring;
pub mod network;
mod object;
pub mod pod;
pub mod rbac;
pub mod runtime;
pub mod scaling;
pub mod scheduling;
pub mod serving;
pub mod store;
pub mod training;
pub mod training_distributed;
pub mod workloads;

pub use object::{Bundle, CustomObject, KIND_ORDER, Object, Workload, typed};

use std::collections::BTreeMap;

use crate::spec::AppSpec;

/// What every concern compiles from: the spec, the environment it is rendered for and how
/// much of the output is wanted.
#[derive(Debug, Clone, Copy)]
pub struct Input<'a> {
    /// The validated spec.
    pub spec: &'a AppSpec,
    /// The environment (`--env`), `None` without one.
    pub env: Option<&'a str>,
    /// What to write.
    pub scope: Scope,
}

/// How much of its output a compile writes. Every scope emits every object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scope {
    /// Every object and every file: what a GitOps tree or a directory holds.
    #[default]
    Full,
    /// Every object with all it carries, but not the files no object carries (the CI
    /// pipelines): what [`crate::render::to_yaml`] prints.
    Objects,
    /// Every object (kinds, namespaces, names, labels), with the files objects carry (the
    /// dashboard JSON, `fluent.conf`) left empty and the others not written, and without the
    /// bodies no identity depends on (pod specs, alert rules): for rules that compare the
    /// objects of several environments.
    Outline,
}

impl Scope {
    /// Whether object bodies that no name, namespace or label depends on are built (pod
    /// specs, alert rules): not in an [`Outline`](Scope::Outline).
    pub fn bodies(self) -> bool {
        self != Self::Outline
    }
}

/// One concern: a name (what it compiles) and a pure function that adds its objects and files
/// to the bundle compiled so far. A concern may read what earlier concerns added (the
/// dashboard's ConfigMap carries the dashboard file; Argo CD's AppProject whitelists the kinds
/// the other concerns emit), and writes the files [`Input::scope`] asks for.
pub struct Concern {
    /// What the concern compiles, e.g. `serving`.
    pub name: &'static str,
    /// Adds the concern's output to `bundle`.
    pub compile: fn(Input<'_>, &mut Bundle),
}

/// Every concern, in compile order (render order is fixed by [`Bundle::sort`]).
pub const CONCERNS: &[Concern] = &[
    Concern {
        name: "namespace",
        compile: |i, b| b.objects.extend(workloads::namespace(i.spec)),
    },
    Concern {
        name: "volumes",
        compile: |i, b| b.objects.extend(workloads::volume_claims(i.spec)),
    },
    Concern {
        name: "training",
        compile: |i, b| b.objects.extend(training::compile(i.spec, i.scope)),
    },
    Concern {
        name: "training-distributed",
        compile: |i, b| b.objects.extend(training_distributed::compile(i.spec)),
    },
    Concern {
        name: "serving",
        compile: |i, b| b.objects.extend(serving::compile(i.spec, i.scope)),
    },
    Concern {
        name: "canary",
        compile: |i, b| b.objects.extend(canary::compile(i.spec)),
    },
    Concern {
        name: "exposure",
        compile: |i, b| b.objects.extend(exposure::compile(i.spec)),
    },
    Concern {
        name: "scaling",
        compile: |i, b| b.objects.extend(scaling::compile(i.spec)),
    },
    Concern {
        name: "keda",
        compile: |i, b| b.objects.extend(keda::compile(i.spec)),
    },
    Concern {
        name: "scheduling",
        compile: |i, b| b.objects.extend(scheduling::compile(i.spec)),
    },
    Concern {
        name: "rbac",
        compile: |i, b| b.objects.extend(rbac::compile(i.spec)),
    },
    Concern {
        name: "network",
        compile: |i, b| b.objects.extend(network::compile(i.spec)),
    },
    Concern {
        name: "backup",
        compile: |i, b| b.objects.extend(backup::compile(i.spec, i.scope)),
    },
    Concern {
        name: "monitoring",
        compile: |i, b| b.objects.extend(monitoring::compile(i.spec, i.scope)),
    },
    Concern {
        name: "dashboard",
        compile: |i, b| {
            b.files
                .extend(carried(i, dashboard::files, dashboard::empty_files));
            let objects = dashboard::config_map(i.spec, &b.files);
            b.objects.extend(objects);
        },
    },
    Concern {
        name: "logging",
        compile: |i, b| {
            b.files
                .extend(carried(i, logging::files, logging::empty_files));
            let objects = logging::objects(i.spec, &b.files);
            b.objects.extend(objects);
        },
    },
    Concern {
        name: "ci",
        compile: |i, b| {
            if i.scope == Scope::Full {
                b.files.extend(ci::files(i.spec));
            }
        },
    },
    Concern {
        name: "gitops",
        compile: |i, b| {
            let argo = gitops::compile(i.spec, i.env, &b.objects);
            b.objects.extend(argo);
            if i.spec.spec.gitops.is_some() {
                gitops::sync_waves(&mut b.objects);
            }
        },
    },
];

/// Files an object of the concern carries: `files` of the spec, or in an outline `empty`
/// (the same paths, holding nothing).
fn carried(
    input: Input<'_>,
    files: fn(&AppSpec) -> BTreeMap<String, String>,
    empty: fn(&AppSpec) -> BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    match input.scope {
        Scope::Outline => empty(input.spec),
        Scope::Full | Scope::Objects => files(input.spec),
    }
}

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
/// runs every concern of [`CONCERNS`] in order, then sorts the bundle.
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
    for concern in CONCERNS {
        (concern.compile)(input, &mut bundle);
    }
    bundle.sort();
    bundle
}

#[cfg(test)]
pub(crate) mod testing {
    //! Specs and accessors for unit tests.

    /// The pod spec of a workload (tests read its containers, volumes and init containers).
    pub fn pod<W: crate::compile::Workload>(workload: &W) -> &k8s_openapi::api::core::v1::PodSpec {
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
    pub fn pod_labels<W: crate::compile::Workload>(
        workload: &W,
    ) -> &std::collections::BTreeMap<String, String> {
        workload
            .pod_template()
            .and_then(|t| t.metadata.as_ref()?.labels.as_ref())
            .expect("the pod template has labels")
    }

    /// The pod template's annotations of a workload.
    pub fn pod_annotations<W: crate::compile::Workload>(
        workload: &W,
    ) -> &std::collections::BTreeMap<String, String> {
        workload
            .pod_template()
            .and_then(|t| t.metadata.as_ref()?.annotations.as_ref())
            .expect("the pod template has annotations")
    }

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

    /// The seed with a custom runtime that serves on one GPU per pod.
    pub fn gpu_runtime() -> AppSpec {
        let mut spec = seed();
        spec.spec.inference.runtime =
            crate::spec::RuntimeSpec::Custom(crate::spec::CustomRuntimeSpec {
                image: "example.com/triton:24.10".into(),
                command: Vec::new(),
                args: Vec::new(),
                metrics_path: Some("/metrics".into()),
            });
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
        spec.spec.training.as_mut().unwrap().distributed = Some(crate::spec::DistributedSpec {
            workers: 2,
            gpus_per_worker: 1,
            restart_policy: crate::spec::ReplicaRestartPolicy::OnFailure,
            queue_name: None,
        });
        spec
    }

    /// [`minimal`] released by an Argo Rollouts canary: 20% → 2 min pause → analysis → 50%.
    pub fn canary() -> AppSpec {
        use crate::spec::{AnalysisSpec, AnalysisStep, CanarySpec, CanaryStep, PauseStep};
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
        output.claim = Some(crate::spec::VolumeClaim::new(claim));
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
