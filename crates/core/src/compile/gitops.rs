//! Argo CD delivery: the `Application` that syncs the rendered tree of one environment, the
//! `AppProject` that fences it in, and sync waves that create what workloads need first.
//!
//! Both depend on the environment (`<app>-<env>`, path `<gitops.path>/<env>/<namespace>/<app>`)
//! and the AppProject whitelists exactly the cluster-scoped kinds the bundle holds, so this
//! concern runs after the others, over the compiled objects ([`super::compile_for`]).

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::crd::argocd::{
    AppProject, AppProjectSpec, Application, ApplicationDestination, ApplicationSource,
    ApplicationSpec, AutomatedSync, Backoff, GroupKind, Retry, SyncPolicy,
};
use super::labels::{self, Component};
use super::object::Object;
use crate::spec::{AppSpec, GitOpsSpec};

/// Annotation ordering objects inside one Argo CD sync phase (lower first; default 0).
pub const SYNC_WAVE: &str = "argocd.argoproj.io/sync-wave";
/// Annotation making an object an Argo CD hook (it then runs outside the sync waves).
pub const HOOK: &str = "argocd.argoproj.io/hook";
/// Annotation with per-object sync options.
pub const SYNC_OPTIONS: &str = "argocd.argoproj.io/sync-options";
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

/// Puts [`SYNC_WAVE`] on every object whose kind has a wave. Hooks (the PreSync training
/// Job) keep none: they run in their own phase, before every wave of the Sync phase, and
/// `BeforeHookCreation` recreates them. A Job that is not a hook gets
/// `Force=true,Replace=true`: its pod template is immutable, so a new image (every CI commit)
/// must replace it rather than fail the sync.
pub fn sync_waves(objects: &mut [Object]) {
    for object in objects {
        let kind = object.kind().to_string();
        let metadata = object.metadata_mut();
        if metadata
            .annotations
            .as_ref()
            .is_some_and(|a| a.contains_key(HOOK))
        {
            continue;
        }
        let mut add = Vec::new();
        if let Some(wave) = wave(&kind) {
            add.push((SYNC_WAVE, wave.to_string()));
        }
        if kind == "Job" {
            add.push((SYNC_OPTIONS, "Force=true,Replace=true".to_string()));
        }
        if !add.is_empty() {
            let annotations = metadata.annotations.get_or_insert_default();
            annotations.extend(add.into_iter().map(|(k, v)| (k.to_string(), v)));
        }
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
    if let Some(env) = env {
        parts.extend([env, spec.metadata.namespace(), spec.metadata.name.as_str()]);
    }
    if parts.is_empty() {
        ".".into()
    } else {
        parts.join("/")
    }
}

/// `<app>-<env>`, or `<app>` without an environment: the Application's and AppProject's name.
pub fn argo_name(spec: &AppSpec, env: Option<&str>) -> String {
    match env {
        Some(env) => format!("{}-{env}", spec.metadata.name),
        None => spec.metadata.name.clone(),
    }
}

/// The Application and AppProject of `spec` in environment `env`; nothing without
/// `spec.gitops`. `objects` are the application's compiled objects.
pub fn compile(spec: &AppSpec, env: Option<&str>, objects: &[Object]) -> Vec<Object> {
    let Some(gitops) = &spec.spec.gitops else {
        return Vec::new();
    };
    let name = argo_name(spec, env);
    let meta = |annotations: Option<(&str, &str)>, finalizers: Option<Vec<String>>| {
        let mut labels = labels::labels(spec, Component::Application, None, None);
        if let Some(env) = env {
            labels.insert("slipway.dev/environment".into(), env.into());
        }
        ObjectMeta {
            name: Some(name.clone()),
            namespace: Some(gitops.argocd_namespace.clone()),
            labels: Some(labels),
            annotations: annotations.map(|(k, v)| [(k.to_string(), v.to_string())].into()),
            finalizers,
            ..Default::default()
        }
    };
    let destination = ApplicationDestination {
        server: gitops.destination_server.clone(),
        namespace: spec.metadata.namespace().to_string(),
    };
    let mut whitelist: Vec<GroupKind> = objects
        .iter()
        .filter(|object| object.namespace().is_empty())
        .map(|object| GroupKind {
            group: object
                .api_version()
                .rsplit_once('/')
                .map(|(group, _)| group.to_string())
                .unwrap_or_default(),
            kind: object.kind().to_string(),
        })
        .collect();
    if gitops.sync_policy.create_namespace {
        whitelist.push(GroupKind {
            group: String::new(),
            kind: "Namespace".into(),
        });
    }
    whitelist.sort();
    whitelist.dedup();

    let project = AppProject {
        metadata: meta(Some((SYNC_WAVE, "-1")), None),
        spec: AppProjectSpec {
            description: format!(
                "{} ({}): one repository, one namespace",
                spec.metadata.name,
                env.unwrap_or("default")
            ),
            source_repos: vec![gitops.repo_url.clone()],
            destinations: vec![destination.clone()],
            cluster_resource_whitelist: whitelist,
        },
    };
    let policy = &gitops.sync_policy;
    let mut sync_options = Vec::new();
    if policy.create_namespace {
        sync_options.push("CreateNamespace=true".to_string());
    }
    // Delete what left Git only after everything else is healthy.
    sync_options.push("PruneLast=true".to_string());
    let application = Application {
        metadata: meta(None, Some(vec![RESOURCES_FINALIZER.to_string()])),
        spec: ApplicationSpec {
            project: name.clone(),
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
    vec![project.into(), application.into()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile::{compile_for, testing::seed};

    fn application(objects: &[Object]) -> &Application {
        crate::compile::typed(objects)
            .next()
            .expect("an Application")
    }

    #[test]
    fn the_application_syncs_the_environment_tree_automatically() {
        let bundle = compile_for(&seed(), Some("prod"));
        let app = application(&bundle.objects);
        assert_eq!(app.metadata.name.as_deref(), Some("ai-inference-prod"));
        assert_eq!(app.metadata.namespace.as_deref(), Some("argocd"));
        assert_eq!(
            app.spec.source.path,
            "k8s-manifests/prod/ai-applications/ai-inference"
        );
        assert_eq!(app.spec.destination.namespace, "ai-applications");
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
    fn the_project_allows_one_repo_one_namespace_and_only_the_cluster_kinds_emitted() {
        let bundle = compile_for(&seed(), Some("staging"));
        let Some(Object::AppProject(project)) = bundle.find("AppProject", "ai-inference-staging")
        else {
            panic!("expected an AppProject");
        };
        assert_eq!(
            project.spec.source_repos,
            ["https://github.com/mycompany/ai-app.git"]
        );
        assert_eq!(project.spec.destinations.len(), 1);
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
                .and_then(|a| a.get(SYNC_WAVE))
                .and_then(|w| w.parse::<i32>().ok())
                .unwrap_or(0)
        };
        assert!(
            wave_of("Namespace", "ai-applications") < wave_of("ServiceAccount", "ai-inference")
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
        assert_eq!(annotations.get(HOOK).map(String::as_str), Some("PreSync"));
        assert!(!annotations.contains_key(SYNC_WAVE));
        assert!(!annotations.contains_key(SYNC_OPTIONS));
    }

    #[test]
    fn a_job_that_is_not_a_hook_is_replaced_when_it_changes() {
        let bundle = compile_for(&seed(), Some("prod"));
        let job = bundle.find("Job", "ai-inference-training").unwrap();
        let annotations = job.metadata().annotations.as_ref().unwrap();
        assert_eq!(annotations[SYNC_OPTIONS], "Force=true,Replace=true");
    }

    #[test]
    fn no_gitops_no_argo_objects_and_no_waves() {
        let mut spec = seed();
        spec.spec.gitops = None;
        let bundle = compile_for(&spec, Some("prod"));
        assert!(bundle.of_kind("Application").next().is_none());
        let namespace = bundle.find("Namespace", "ai-applications").unwrap();
        let annotations = namespace.metadata().annotations.clone().unwrap_or_default();
        assert!(!annotations.contains_key(SYNC_WAVE));
    }
}
