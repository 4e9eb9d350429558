//! Argo CD delivery: the `Application` that syncs the rendered tree of one environment, the
//! `AppProject` that fences it in, and sync waves that create what workloads need first.
//!
//! Both depend on the environment (`<app>-<env>`, path `<gitops.path>/<env>/<namespace>/<app>`,
//! destination from [`AppSpec::destination`]), and the AppProject allows exactly the namespaces
//! and cluster-scoped kinds the bundle holds ([`allowances`]), so this concern runs after the
//! others, over the compiled objects ([`crate::compile::compile_for`]). PersistentVolumeClaims are kept
//! when pruned or when the Application is deleted ([`KEEP_OPTIONS`]).

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use crate::k8s::crd::argocd::AppProject;

use crate::k8s::crd::argocd::AppProjectSpec;

use crate::k8s::crd::argocd::Application;

use crate::k8s::crd::argocd::ApplicationDestination;

use crate::k8s::crd::argocd::ApplicationSource;

use crate::k8s::crd::argocd::ApplicationSpec;

use crate::k8s::crd::argocd::AutomatedSync;

use crate::k8s::crd::argocd::Backoff;

use crate::k8s::crd::argocd::GroupKind;

use crate::k8s::crd::argocd::Retry;

use crate::bundle::Object;
use crate::k8s::crd::argocd::SyncPolicy;
use crate::k8s::name::MAX_LABEL_NAME;
use crate::k8s::name::shorten;
use crate::sections::AppSpec;
use crate::sections::delivery::GitOpsSpec;
use crate::sections::shared::labels;
use crate::sections::shared::labels::Component;

/// Finalizer deleting an Application's objects with it.
const RESOURCES_FINALIZER: &str = "resources-finalizer.argocd.argoproj.io";

/// The sync wave of a kind: the Namespace and PriorityClass first, then identities and RBAC,
/// then storage and configuration, then everything else (workloads, Services, autoscalers)
/// in the default wave 0.
pub fn wave(kind: &str) -> Option<i32> {
    match kind {
        "Namespace" | "PriorityClass" => Some(-3),
        "ServiceAccount" | "ClusterRole" | "ClusterRoleBinding" | "Role" | "RoleBinding" => {
            Some(-2)
        }
        "ConfigMap" | "Secret" | "PersistentVolumeClaim" | "AppProject" => Some(-1),
        _ => None,
    }
}

/// Sync options that keep a PersistentVolumeClaim, and the data on it, when it leaves Git
/// (prune) and when the Application is deleted (its resources finalizer deletes everything
/// else).
pub const KEEP_OPTIONS: [&str; 2] = ["Prune=false", "Delete=false"];

/// Adds `options` to the comma-separated sync options `current`: an option whose key
/// (`Prune` of `Prune=false`) is already set keeps its value, so options written in the spec's
/// `metadata.annotations` win.
pub fn merge_sync_options(current: Option<&str>, options: &[&str]) -> String {
    let mut merged: Vec<String> = current
        .into_iter()
        .flat_map(|text| text.split(','))
        .map(str::trim)
        .filter(|option| !option.is_empty())
        .map(str::to_string)
        .collect();
    let key = |option: &str| option.split('=').next().unwrap_or_default().to_string();
    for option in options {
        if !merged.iter().any(|existing| key(existing) == key(option)) {
            merged.push(option.to_string());
        }
    }
    merged.join(",")
}

/// Puts [`labels::SYNC_WAVE`] on every object whose kind has a wave. Hooks (the PreSync training
/// Job) keep none: they run in their own phase, before every wave of the Sync phase, and
/// `BeforeHookCreation` recreates them. A Job that is not a hook gets
/// `Force=true,Replace=true`: its pod template is immutable, so a new image (every CI commit)
/// must replace it rather than fail the sync. A PersistentVolumeClaim gets [`KEEP_OPTIONS`].
pub fn sync_waves(objects: &mut [Object]) {
    for object in objects {
        let kind = object.kind().to_string();
        let metadata = object.metadata_mut();
        if metadata
            .annotations
            .as_ref()
            .is_some_and(|a| a.contains_key(labels::HOOK))
        {
            continue;
        }
        let annotations = metadata.annotations.get_or_insert_default();
        if let Some(wave) = wave(&kind) {
            annotations.insert(labels::SYNC_WAVE.into(), wave.to_string());
        }
        let options: &[&str] = match kind.as_str() {
            "Job" => &["Force=true", "Replace=true"],
            "PersistentVolumeClaim" => &KEEP_OPTIONS,
            _ => &[],
        };
        if !options.is_empty() {
            let merged = merge_sync_options(
                annotations.get(labels::SYNC_OPTIONS).map(String::as_str),
                options,
            );
            annotations.insert(labels::SYNC_OPTIONS.into(), merged);
        }
        if annotations.is_empty() {
            metadata.annotations = None;
        }
    }
}

/// The sync wave of what moves traffic and scaling under a two-Deployment blue/green: after
/// the workloads (wave 0), so a sync that switches colors waits until the new color's
/// Deployment is healthy (all its pods updated and available) before the Services select it
/// and the autoscaler moves to it.
pub const TRAFFIC_WAVE: i32 = 1;

/// Under a blue/green with the `deployments` engine, puts the Services, the
/// HorizontalPodAutoscalers and the KEDA ScaledObjects in [`TRAFFIC_WAVE`].
pub fn blue_green_waves(spec: &AppSpec, objects: &mut [Object]) {
    let two_deployments = spec
        .spec
        .rollout
        .blue_green
        .as_ref()
        .is_some_and(|bg| !bg.rollouts());
    if !two_deployments {
        return;
    }
    for object in objects {
        if !matches!(
            object.kind(),
            "Service" | "HorizontalPodAutoscaler" | "ScaledObject"
        ) {
            continue;
        }
        object
            .metadata_mut()
            .annotations
            .get_or_insert_default()
            .insert(labels::SYNC_WAVE.into(), TRAFFIC_WAVE.to_string());
    }
}

/// Directory of the environment's tree inside the GitOps repository:
/// `<gitops.path>/<env>/<namespace>/<app>`, or `<gitops.path>` without an environment.
pub fn app_path(spec: &AppSpec, gitops: &GitOpsSpec, env: Option<&str>) -> String {
    let base = gitops.path.trim_matches('/');
    let mut parts: Vec<&str> = Vec::new();
    if !base.is_empty() && base != "." {
        parts.push(base);
    }
    let namespace = spec.destination(env).namespace;
    if let Some(env) = env {
        parts.extend([env, namespace.as_str(), spec.metadata.name.as_str()]);
    }
    if parts.is_empty() {
        ".".into()
    } else {
        parts.join("/")
    }
}

/// The Application's and AppProject's name: `<app>-<env>`, or `<app>` without an environment,
/// fitted to 63 characters (Argo CD writes it into a label) with a stable hash when longer.
pub fn argo_name(spec: &AppSpec, env: Option<&str>) -> String {
    let name = match env {
        Some(env) => format!("{}-{env}", spec.metadata.name),
        None => spec.metadata.name.clone(),
    };
    shorten(&name, MAX_LABEL_NAME)
}

/// The API group of an `apiVersion` (`""` for the core group's `v1`).
pub fn api_group(api_version: &str) -> &str {
    api_version
        .rsplit_once('/')
        .map(|(group, _)| group)
        .unwrap_or_default()
}

/// Whether Argo CD syncs `object` through the Application (its own Application and AppProject
/// are applied apart, into Argo CD's namespace).
pub fn synced(object: &Object) -> bool {
    !matches!(object.kind(), "Application" | "AppProject")
}

/// What an AppProject must allow for `objects`: every namespace they go into (and the
/// Application's destination namespace), and every cluster-scoped kind (plus `Namespace`
/// when the Application creates its namespace). Sorted, each once.
pub fn allowances(
    objects: &[Object],
    destination: &str,
    create_namespace: bool,
) -> (Vec<String>, Vec<GroupKind>) {
    let synced: Vec<&Object> = objects.iter().filter(|o| synced(o)).collect();
    let mut namespaces: Vec<String> = synced
        .iter()
        .map(|object| object.namespace())
        .filter(|namespace| !namespace.is_empty())
        .chain([destination])
        .map(str::to_string)
        .collect();
    namespaces.sort();
    namespaces.dedup();
    let mut kinds: Vec<GroupKind> = synced
        .iter()
        .filter(|object| object.namespace().is_empty())
        .map(|object| GroupKind {
            group: api_group(object.api_version()).to_string(),
            kind: object.kind().to_string(),
        })
        .collect();
    if create_namespace {
        kinds.push(GroupKind {
            group: String::new(),
            kind: "Namespace".into(),
        });
    }
    kinds.sort();
    kinds.dedup();
    (namespaces, kinds)
}

/// The Application and AppProject of `spec` in environment `env`; nothing without
/// `spec.gitops`. `objects` are the application's compiled objects. With `gitops.project`
/// the Application joins that existing AppProject and none is emitted.
pub fn compile(spec: &AppSpec, env: Option<&str>, objects: &[Object]) -> Vec<Object> {
    let Some(gitops) = &spec.spec.gitops else {
        return Vec::new();
    };
    let name = argo_name(spec, env);
    // The application's labels and `metadata.annotations`, as on every object it owns.
    let meta = |wave: Option<&str>, finalizers: Option<Vec<String>>| {
        let mut metadata = ObjectMeta {
            namespace: Some(gitops.argocd_namespace.clone()),
            finalizers,
            ..labels::cluster_meta(spec, name.clone(), Component::Application)
        };
        if let Some(wave) = wave {
            metadata
                .annotations
                .get_or_insert_default()
                .insert(labels::SYNC_WAVE.into(), wave.into());
        }
        metadata
    };
    let target = spec.destination(env);
    let destination = ApplicationDestination {
        server: target.server.clone(),
        namespace: target.namespace.clone(),
    };
    let policy = &gitops.sync_policy;
    let (namespaces, whitelist) = allowances(objects, &target.namespace, policy.create_namespace);

    let mut out = Vec::new();
    let project = match &gitops.project {
        Some(existing) => existing.name.clone(),
        None => {
            out.push(
                AppProject {
                    metadata: meta(Some("-1"), None),
                    spec: AppProjectSpec {
                        description: format!(
                            "{} ({}): one repository, the namespaces and cluster-scoped kinds \
                             of its tree",
                            spec.metadata.name,
                            env.unwrap_or("default")
                        ),
                        source_repos: vec![gitops.repo_url.clone()],
                        destinations: namespaces
                            .into_iter()
                            .map(|namespace| ApplicationDestination {
                                server: target.server.clone(),
                                namespace,
                            })
                            .collect(),
                        cluster_resource_whitelist: whitelist,
                    },
                }
                .into(),
            );
            name.clone()
        }
    };
    let mut sync_options = Vec::new();
    if policy.create_namespace {
        sync_options.push("CreateNamespace=true".to_string());
    }
    // Delete what left Git only after everything else is healthy.
    sync_options.push("PruneLast=true".to_string());
    let application = Application {
        metadata: meta(None, Some(vec![RESOURCES_FINALIZER.to_string()])),
        spec: ApplicationSpec {
            project,
            source: ApplicationSource {
                repo_url: gitops.repo_url.clone(),
                path: app_path(spec, gitops, env),
                target_revision: gitops.target_revision.clone(),
            },
            destination,
            sync_policy: Some(SyncPolicy {
                automated: policy.automated.then_some(AutomatedSync {
                    prune: policy.prune,
                    self_heal: policy.self_heal,
                }),
                sync_options,
                retry: (policy.retry_limit > 0).then(|| Retry {
                    limit: policy.retry_limit,
                    backoff: Backoff {
                        duration: "5s".into(),
                        factor: 2,
                        max_duration: "3m".into(),
                    },
                }),
            }),
        },
    };
    out.push(application.into());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile::compile_for;
    use crate::compile::testing::seed;

    fn application(objects: &[Object]) -> &Application {
        crate::bundle::typed(objects)
            .next()
            .expect("an Application")
    }

    #[test]
    fn the_argo_cd_objects_carry_the_application_annotations() {
        let mut spec = seed();
        spec.metadata
            .annotations
            .insert("example.com/owner".into(), "ml-platform".into());
        let bundle = compile_for(&spec, Some("prod"));
        let argo: Vec<&Object> = bundle
            .objects
            .iter()
            .filter(|o| matches!(o.kind(), "Application" | "AppProject"))
            .collect();
        assert_eq!(argo.len(), 2);
        for object in argo {
            let annotations = object.metadata().annotations.as_ref().unwrap();
            assert_eq!(
                annotations["example.com/owner"],
                "ml-platform",
                "{}",
                object.kind()
            );
        }
    }

    #[test]
    fn the_application_syncs_the_environment_tree_automatically() {
        let bundle = compile_for(&seed(), Some("prod"));
        let app = application(&bundle.objects);
        assert_eq!(app.metadata.name.as_deref(), Some("ai-inference-prod"));
        assert_eq!(app.metadata.namespace.as_deref(), Some("argocd"));
        assert_eq!(
            app.spec.source.path,
            "k8s-manifests/prod/ai-applications-prod/ai-inference"
        );
        assert_eq!(app.spec.destination.namespace, "ai-applications-prod");
        assert_eq!(app.spec.project, "ai-inference-prod");
        let policy = app.spec.sync_policy.as_ref().unwrap();
        assert_eq!(
            policy.automated,
            Some(AutomatedSync {
                prune: true,
                self_heal: true
            })
        );
        assert!(policy.sync_options.contains(&"CreateNamespace=true".into()));
        assert_eq!(policy.retry.as_ref().unwrap().backoff.factor, 2);
    }

    #[test]
    fn the_project_allows_exactly_the_namespaces_and_cluster_kinds_emitted() {
        let bundle = compile_for(&seed(), Some("staging"));
        let Some(Object::AppProject(project)) = bundle.find("AppProject", "ai-inference-staging")
        else {
            panic!("expected an AppProject");
        };
        assert_eq!(
            project.spec.source_repos,
            ["https://github.com/mycompany/ai-app.git"]
        );
        let namespaces: Vec<&str> = project
            .spec
            .destinations
            .iter()
            .map(|d| d.namespace.as_str())
            .collect();
        assert_eq!(
            namespaces,
            ["ai-applications-staging", "ai-inference-logging-staging"]
        );
        let mut used: Vec<&str> = bundle
            .objects
            .iter()
            .filter(|o| synced(o))
            .map(Object::namespace)
            .filter(|ns| !ns.is_empty())
            .collect();
        used.sort_unstable();
        used.dedup();
        assert_eq!(used, namespaces, "exactly the namespaces of the tree");
        let kinds: Vec<&str> = project
            .spec
            .cluster_resource_whitelist
            .iter()
            .map(|gk| gk.kind.as_str())
            .collect();
        assert!(kinds.contains(&"Namespace"));
        for object in &bundle.objects {
            let listed = kinds.contains(&object.kind());
            assert_eq!(listed, object.namespace().is_empty(), "{}", object.kind());
        }
    }

    #[test]
    fn waves_put_namespace_rbac_storage_before_workloads_and_spare_hooks() {
        let mut spec = seed();
        spec.spec.training.as_mut().unwrap().pre_sync_hook = true;
        let bundle = compile_for(&spec, Some("prod"));
        let wave_of = |kind: &str, name: &str| {
            bundle
                .find(kind, name)
                .and_then(|o| o.metadata().annotations.as_ref())
                .and_then(|a| a.get(labels::SYNC_WAVE))
                .and_then(|w| w.parse::<i32>().ok())
                .unwrap_or(0)
        };
        assert!(
            wave_of("Namespace", "ai-applications-prod")
                < wave_of("ServiceAccount", "ai-inference")
        );
        assert!(
            wave_of("ServiceAccount", "ai-inference")
                < wave_of("PersistentVolumeClaim", "model-store")
        );
        assert!(
            wave_of("PersistentVolumeClaim", "model-store")
                < wave_of("Deployment", "ai-inference-green")
        );
        let job = bundle.find("Job", "ai-inference-training").unwrap();
        let annotations = job.metadata().annotations.as_ref().unwrap();
        assert_eq!(
            annotations.get(labels::HOOK).map(String::as_str),
            Some("PreSync")
        );
        assert!(!annotations.contains_key(labels::SYNC_WAVE));
        assert!(!annotations.contains_key(labels::SYNC_OPTIONS));
    }

    #[test]
    fn claims_survive_prune_and_application_deletion() {
        let bundle = compile_for(&seed(), Some("prod"));
        let claims: Vec<&Object> = bundle.of_kind("PersistentVolumeClaim").collect();
        assert_eq!(claims.len(), 2, "training data and the model store");
        for claim in claims {
            let annotations = claim.metadata().annotations.as_ref().unwrap();
            assert_eq!(
                annotations[labels::SYNC_OPTIONS],
                "Prune=false,Delete=false"
            );
        }
    }

    #[test]
    fn sync_options_written_in_the_spec_win_and_slipway_adds_the_rest() {
        assert_eq!(
            merge_sync_options(Some("ServerSideApply=true, Prune=confirm"), &KEEP_OPTIONS),
            "ServerSideApply=true,Prune=confirm,Delete=false"
        );
        assert_eq!(
            merge_sync_options(None, &KEEP_OPTIONS),
            "Prune=false,Delete=false"
        );
    }

    #[test]
    fn long_names_are_fitted_to_63_characters_and_stay_distinct() {
        let mut spec = seed();
        spec.metadata.name = format!("ai-inference-{}", "x".repeat(45));
        let staging = argo_name(&spec, Some("staging"));
        let prod = argo_name(&spec, Some("prod"));
        assert!(staging.len() <= 63 && prod.len() <= 63);
        assert_ne!(staging, prod);
        let bundle = compile_for(&spec, Some("staging"));
        let app = application(&bundle.objects);
        assert_eq!(app.metadata.name.as_deref(), Some(staging.as_str()));
        assert_eq!(app.spec.project, staging);
    }

    #[test]
    fn an_existing_project_is_joined_not_emitted() {
        let mut spec = seed();
        spec.spec.gitops.as_mut().unwrap().project = Some(crate::sections::delivery::ProjectSpec {
            name: "ai-team".into(),
            namespaces: vec!["*".into()],
            cluster_kinds: vec!["*".into()],
        });
        let bundle = compile_for(&spec, Some("prod"));
        assert!(bundle.of_kind("AppProject").next().is_none());
        assert_eq!(application(&bundle.objects).spec.project, "ai-team");
    }

    #[test]
    fn a_job_that_is_not_a_hook_is_replaced_when_it_changes() {
        let bundle = compile_for(&seed(), Some("prod"));
        let job = bundle.find("Job", "ai-inference-training").unwrap();
        let annotations = job.metadata().annotations.as_ref().unwrap();
        assert_eq!(annotations[labels::SYNC_OPTIONS], "Force=true,Replace=true");
    }

    #[test]
    fn no_gitops_no_argo_objects_and_no_waves() {
        let mut spec = seed();
        spec.spec.gitops = None;
        let bundle = compile_for(&spec, Some("prod"));
        assert!(bundle.of_kind("Application").next().is_none());
        let namespace = bundle.find("Namespace", "ai-applications-prod").unwrap();
        let annotations = namespace.metadata().annotations.clone().unwrap_or_default();
        assert!(!annotations.contains_key(labels::SYNC_WAVE));
    }
}
