//! System rules of environments, Argo CD and exposure: what makes the compiled objects work together once Argo CD syncs them,
//! checked over the bundle as a whole (and, for environments, over the bundles of every
//! environment the spec declares). Each names the spec field that causes the problem, so its
//! diagnostic points at a line of the spec.
//!
//! - no object is managed by two environments on one cluster;
//! - no selector uses the label Argo CD tracking rewrites;
//! - the AppProject allows every namespace and cluster-scoped kind of the tree;
//! - every PersistentVolumeClaim survives prune and Application deletion;
//! - a load balancer's source ranges hold end to end (Service and NetworkPolicy agree).

use std::collections::{BTreeMap, BTreeSet};

use crate::bundle::Bundle;
use crate::bundle::Object;
use crate::compile::compile_scoped;
use crate::diagnostic::Diagnostic;
use crate::diagnostic::join_key;
use crate::sections::AppSpec;
use crate::sections::Scope;
use crate::sections::delivery::argocd as gitops;
use crate::sections::delivery::argocd::KEEP_OPTIONS;
use crate::sections::serving::ServiceType;
use crate::sections::shared::labels::SYNC_OPTIONS;
use crate::validate::system::selectors;

/// `Kind namespace/name`, or `Kind name` for a cluster-scoped object.
fn identity(object: &Object) -> String {
    match object.namespace() {
        "" => format!("{} {}", object.kind(), object.name()),
        namespace => format!("{} {namespace}/{}", object.kind(), object.name()),
    }
}

/// The spec field that makes an object of `kind` exist (for placing a diagnostic).
fn field_of_kind(spec: &AppSpec, kind: &str) -> &'static str {
    match kind {
        "PriorityClass" if spec.spec.scheduling.priority_class.is_some() => {
            "spec.scheduling.priorityClass"
        }
        "ClusterRole" | "ClusterRoleBinding" | "DaemonSet" if spec.spec.logging.is_some() => {
            "spec.logging"
        }
        _ if spec.spec.gitops.is_some() => "spec.gitops",
        _ => "metadata",
    }
}

/// Reports `name-too-long-for-argo` for the environment rendered (`--env`) when the spec does
/// not declare it (the spec's rules check the declared ones): its namespaces, at the field
/// each comes from (`metadata.namespace`, `spec.logging.namespace`, `metadata.name`).
pub fn check_rendered_environment_names(
    spec: &AppSpec,
    env: Option<&str>,
    _bundle: &Bundle,
    out: &mut Vec<Diagnostic>,
) {
    let Some(env) = env else { return };
    if spec.declared_environments().contains(&env) {
        return;
    }
    crate::sections::delivery::rules::check_environment_namespaces(spec, env, out);
}

/// Reports [`CLUSTER_OBJECT_MANAGED_TWICE`](CLUSTER_OBJECT_MANAGED_TWICE):
/// compiles the spec for every environment it declares (an outline; the rendered environment's
/// bundle is reused) and checks that the objects of any two environments on one cluster are
/// disjoint.
pub fn check_environments_disjoint(
    spec: &AppSpec,
    rendered: Option<&str>,
    bundle: &Bundle,
    out: &mut Vec<Diagnostic>,
) {
    let environments = spec.declared_environments();
    if environments.len() < 2 {
        return;
    }
    // (server, identity) → the first environment that emits it.
    let mut owners: BTreeMap<(String, String), &str> = BTreeMap::new();
    let mut reported = BTreeSet::new();
    for env in environments {
        let server = spec.destination(Some(env)).server;
        // The environment being rendered has its bundle already (same objects as an outline).
        let outline;
        let bundle = if rendered == Some(env) {
            bundle
        } else {
            outline = compile_scoped(spec, Some(env), Scope::Outline);
            &outline
        };
        for object in bundle.objects.iter().filter(|o| gitops::synced(o)) {
            let key = (server.clone(), identity(object));
            match owners.get(&key) {
                Some(first) if reported.insert(key.1.clone()) => {
                    let shared = object.namespace().is_empty();
                    let mut diagnostic = Diagnostic::new(
                        &CLUSTER_OBJECT_MANAGED_TWICE,
                        field_of_kind(spec, object.kind()),
                        format!(
                            "{} is managed by the Applications of both `{first}` and `{env}` \
                             on {server}",
                            key.1
                        ),
                    );
                    if shared {
                        diagnostic = diagnostic.with_help(
                            "a cluster-scoped object shared by the environments needs one \
                             manager: set `gitops.sharedObjectsEnvironment`, or drop `shared` \
                             so each environment gets its own `<name>-<env>`",
                        );
                    }
                    out.push(diagnostic);
                }
                Some(_) => {}
                None => {
                    owners.insert(key, env);
                }
            }
        }
    }
}

/// Reports [`SELECTOR_ON_TRACKING_LABEL`](SELECTOR_ON_TRACKING_LABEL).
pub fn check_tracking_label(
    spec: &AppSpec,
    _env: Option<&str>,
    bundle: &Bundle,
    out: &mut Vec<Diagnostic>,
) {
    let Some(gitops) = &spec.spec.gitops else {
        return;
    };
    let tracking = gitops.instance_label_key.as_str();
    let mut offenders = Vec::new();
    for object in bundle.objects.iter().filter(|o| gitops::synced(o)) {
        let mut first = None;
        selectors::label_keys(&object.fields(), &mut |steps, key| {
            if key == tracking && first.is_none() {
                first = Some(selectors::path_of(steps));
            }
        });
        if let Some(path) = first {
            offenders.push(format!("{} ({path})", identity(object)));
        }
    }
    if offenders.is_empty() {
        return;
    }
    out.push(
        Diagnostic::new(
            &SELECTOR_ON_TRACKING_LABEL,
            "spec.gitops.instanceLabelKey",
            format!(
                "Argo CD tracking rewrites `{tracking}`, which these selectors use: {}",
                offenders.join(", ")
            ),
        )
        .with_help(
            "keep `app.kubernetes.io/instance` (Slipway never selects on it), use \
             `argocd.argoproj.io/instance`, or annotation tracking",
        ),
    );
}

/// Whether `pattern` (`*` matches any run of characters) matches `text`, as Argo CD matches
/// AppProject destinations and kinds.
fn glob(pattern: &str, text: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == text,
        Some((head, rest)) => {
            let Some(tail) = text.strip_prefix(head) else {
                return false;
            };
            (0..=tail.len())
                .filter(|&i| tail.is_char_boundary(i))
                .any(|i| glob(rest, &tail[i..]))
        }
    }
}

/// Reports [`APPPROJECT_MISSING_DESTINATION`](APPPROJECT_MISSING_DESTINATION)
/// and [`APPPROJECT_MISSING_KIND`](APPPROJECT_MISSING_KIND):
/// every synced object's namespace and, when cluster-scoped, kind is allowed by the AppProject
/// of its Application (the one in the bundle, or the existing `gitops.project`).
pub fn check_project(
    spec: &AppSpec,
    _env: Option<&str>,
    bundle: &Bundle,
    out: &mut Vec<Diagnostic>,
) {
    let Some(gitops) = &spec.spec.gitops else {
        return;
    };
    let Some(Object::Application(application)) = bundle.of_kind("Application").next() else {
        return;
    };
    let project = &application.spec.project;
    // (namespaces, group/kind patterns, the fields that declare them)
    let (namespaces, kinds, namespace_field, kind_field): (
        Vec<String>,
        Vec<(String, String)>,
        _,
        _,
    ) = match (bundle.find("AppProject", project), &gitops.project) {
        (Some(Object::AppProject(emitted)), _) => (
            emitted
                .spec
                .destinations
                .iter()
                .filter(|d| glob(&d.server, &application.spec.destination.server))
                .map(|d| d.namespace.clone())
                .collect(),
            emitted
                .spec
                .cluster_resource_whitelist
                .iter()
                .map(|gk| (gk.group.clone(), gk.kind.clone()))
                .collect(),
            "spec.gitops",
            "spec.gitops",
        ),
        (_, Some(existing)) => (
            existing.namespaces.clone(),
            existing
                .cluster_kinds
                .iter()
                .map(|entry| match entry.rsplit_once('/') {
                    Some((group, kind)) => (group.to_string(), kind.to_string()),
                    None if entry == "*" => ("*".to_string(), "*".to_string()),
                    None => (String::new(), entry.clone()),
                })
                .collect(),
            "spec.gitops.project.namespaces",
            "spec.gitops.project.clusterKinds",
        ),
        _ => {
            out.push(Diagnostic::new(
                &APPPROJECT_MISSING_DESTINATION,
                "spec.gitops",
                format!("the Application's AppProject `{project}` is neither emitted nor declared"),
            ));
            return;
        }
    };
    let mut missing_namespaces = BTreeSet::new();
    let mut missing_kinds = BTreeSet::new();
    for object in bundle.objects.iter().filter(|o| gitops::synced(o)) {
        let namespace = object.namespace();
        if namespace.is_empty() {
            let group = gitops::api_group(object.api_version());
            let allowed = kinds
                .iter()
                .any(|(g, k)| glob(g, group) && glob(k, object.kind()));
            if !allowed {
                let shown = if group.is_empty() {
                    object.kind().to_string()
                } else {
                    format!("{group}/{}", object.kind())
                };
                missing_kinds.insert(shown);
            }
        } else if !namespaces.iter().any(|pattern| glob(pattern, namespace)) {
            missing_namespaces.insert(namespace.to_string());
        }
    }
    if !missing_namespaces.is_empty() {
        out.push(
            Diagnostic::new(
                &APPPROJECT_MISSING_DESTINATION,
                namespace_field,
                format!(
                    "AppProject `{project}` does not allow the namespaces {} that objects of the \
                     tree go into: Argo CD refuses the sync",
                    quoted(&missing_namespaces)
                ),
            )
            .with_help("allow them in the project, or leave `gitops.project` out"),
        );
    }
    if !missing_kinds.is_empty() {
        out.push(
            Diagnostic::new(
                &APPPROJECT_MISSING_KIND,
                kind_field,
                format!(
                    "AppProject `{project}` does not whitelist the cluster-scoped kinds {} of \
                     the tree: Argo CD refuses the sync",
                    quoted(&missing_kinds)
                ),
            )
            .with_help("whitelist them in the project, or leave `gitops.project` out"),
        );
    }
}

fn quoted(items: &BTreeSet<String>) -> String {
    items
        .iter()
        .map(|item| format!("`{item}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Reports [`PVC_NOT_PROTECTED`](PVC_NOT_PROTECTED).
pub fn check_volume_claims(
    spec: &AppSpec,
    _env: Option<&str>,
    bundle: &Bundle,
    out: &mut Vec<Diagnostic>,
) {
    if spec.spec.gitops.is_none() {
        return;
    }
    for claim in bundle.of_kind("PersistentVolumeClaim") {
        let options: Vec<&str> = claim
            .metadata()
            .annotations
            .as_ref()
            .and_then(|a| a.get(SYNC_OPTIONS))
            .map(|text| text.split(',').map(str::trim).collect())
            .unwrap_or_default();
        let missing: Vec<&str> = KEEP_OPTIONS
            .iter()
            .copied()
            .filter(|option| !options.contains(option))
            .collect();
        if missing.is_empty() {
            continue;
        }
        let field = if spec.metadata.annotations.contains_key(SYNC_OPTIONS) {
            join_key("metadata.annotations", SYNC_OPTIONS)
        } else {
            "spec.gitops".to_string()
        };
        out.push(
            Diagnostic::new(
                &PVC_NOT_PROTECTED,
                field,
                format!(
                    "{} lacks the sync option {}: pruning it or deleting the Application \
                     deletes its data",
                    identity(claim),
                    missing.join(" and ")
                ),
            )
            .with_help(
                "leave `argocd.argoproj.io/sync-options` out of metadata.annotations, or \
                 include `Prune=false,Delete=false`",
            ),
        );
    }
}

/// The spec field that opens the inference port to every address, when one does.
fn open_door(spec: &AppSpec) -> Option<&'static str> {
    let service = &spec.spec.inference.service;
    match service.service_type {
        ServiceType::NodePort => return Some("spec.inference.service.type"),
        ServiceType::LoadBalancer if service.source_ranges.is_empty() => {
            return Some("spec.inference.service.type");
        }
        _ => {}
    }
    match &service.external {
        Some(external) if external.source_ranges.is_empty() => {
            Some("spec.inference.service.external")
        }
        _ => None,
    }
}

/// Reports [`SOURCE_RANGES_NOT_ENFORCED`](SOURCE_RANGES_NOT_ENFORCED):
/// every `LoadBalancer` Service with source ranges keeps client addresses
/// (`externalTrafficPolicy: Local`), and every NetworkPolicy covering its pods admits from
/// outside the cluster (`ipBlock`) exactly the ranges of the load balancers.
pub fn check_source_ranges(
    spec: &AppSpec,
    _env: Option<&str>,
    bundle: &Bundle,
    out: &mut Vec<Diagnostic>,
) {
    let ranged: Vec<(&Object, &k8s_openapi::api::core::v1::ServiceSpec)> = bundle
        .of_kind("Service")
        .filter_map(|object| match object {
            Object::Service(service) => Some((object, service.spec.as_ref()?)),
            _ => None,
        })
        .filter(|(_, s)| s.type_.as_deref() == Some("LoadBalancer"))
        .filter(|(_, s)| {
            s.load_balancer_source_ranges
                .as_ref()
                .is_some_and(|r| !r.is_empty())
        })
        .collect();
    let allowed: BTreeSet<&str> = ranged
        .iter()
        .flat_map(|(_, s)| s.load_balancer_source_ranges.iter().flatten())
        .map(String::as_str)
        .collect();
    for (object, service) in &ranged {
        let field = if object.name() == spec.metadata.name {
            "spec.inference.service.sourceRanges"
        } else {
            "spec.inference.service.external.sourceRanges"
        };
        if service.external_traffic_policy.as_deref() != Some("Local") {
            out.push(
                Diagnostic::new(
                    &SOURCE_RANGES_NOT_ENFORCED,
                    field,
                    format!(
                        "{} restricts its sources but does not set externalTrafficPolicy: \
                         Local: the pods see node addresses, not the clients'",
                        identity(object)
                    ),
                )
                .with_help("set `externalTrafficPolicy: Local`"),
            );
        }
        let selector = service.selector.clone().unwrap_or_default();
        for policy in bundle.of_kind("NetworkPolicy") {
            let Object::NetworkPolicy(policy_object) = policy else {
                continue;
            };
            let Some(policy_spec) = &policy_object.spec else {
                continue;
            };
            let covers = policy.namespace() == object.namespace()
                && policy_spec
                    .pod_selector
                    .as_ref()
                    .and_then(|s| s.match_labels.as_ref())
                    .is_none_or(|labels| labels.iter().all(|(k, v)| selector.get(k) == Some(v)));
            if !covers {
                continue;
            }
            let cidrs: BTreeSet<&str> = policy_spec
                .ingress
                .iter()
                .flatten()
                .flat_map(|rule| rule.from.iter().flatten())
                .filter_map(|peer| peer.ip_block.as_ref())
                .map(|block| block.cidr.as_str())
                .collect();
            let extra: Vec<&str> = cidrs.difference(&allowed).copied().collect();
            let own: BTreeSet<&str> = service
                .load_balancer_source_ranges
                .iter()
                .flatten()
                .map(String::as_str)
                .collect();
            let dropped: Vec<&str> = own.difference(&cidrs).copied().collect();
            if !extra.is_empty() {
                out.push(
                    Diagnostic::new(
                        &SOURCE_RANGES_NOT_ENFORCED,
                        open_door(spec).unwrap_or(field),
                        format!(
                            "{} admits {} from outside the cluster, so the sourceRanges of {} \
                             are not enforced",
                            identity(policy),
                            extra.join(", "),
                            identity(object)
                        ),
                    )
                    .with_help(
                        "every way in must be a load balancer with sourceRanges: make the main \
                         Service ClusterIP, or give it the same sourceRanges",
                    ),
                );
            } else if !dropped.is_empty() {
                out.push(Diagnostic::new(
                    &SOURCE_RANGES_NOT_ENFORCED,
                    field,
                    format!(
                        "{} does not admit {}, which {} accepts: those clients are dropped",
                        identity(policy),
                        dropped.join(", "),
                        identity(object)
                    ),
                ));
            }
        }
    }
}

crate::diagnostic::codes! {
    CLUSTER_OBJECT_MANAGED_TWICE {
        id: "cluster-object-managed-twice",
        severity: Error,
        stage: Bundle,
        what: "Compiles the spec for every environment it declares and checks that no object (cluster-scoped ones above all) is emitted by two environments on the same cluster.",
        why: "Two Applications managing one object fight over it (self-heal flips it back and forth), and deleting either Application deletes it under the other.",
        example: "`scheduling: {priorityClass: {name: ai-high, value: 1000000, shared: true}}` with no `gitops.sharedObjectsEnvironment`",
        instead: "Name the one environment that manages shared objects (`gitops.sharedObjectsEnvironment: prod`), or drop `shared` so each environment gets its own `<name>-<env>`.",
    }
    SELECTOR_ON_TRACKING_LABEL {
        id: "selector-on-tracking-label",
        severity: Error,
        stage: Bundle,
        what: "Checks that no selector (Service, ServiceMonitor, NetworkPolicy, PodDisruptionBudget, workload) uses the label Argo CD tracking writes (`gitops.instanceLabelKey`).",
        why: "Under label tracking Argo CD rewrites that label to the Application's name on every object it manages: a Service or ServiceMonitor selecting the old value selects nothing, and scraping or traffic stops silently.",
        example: "`gitops: {instanceLabelKey: app.kubernetes.io/name}` (Slipway selects on `app.kubernetes.io/name`)",
        instead: "Keep Argo CD's default `app.kubernetes.io/instance` (Slipway never selects on it), `argocd.argoproj.io/instance`, or annotation tracking.",
    }
    APPPROJECT_MISSING_DESTINATION {
        id: "appproject-missing-destination",
        severity: Error,
        stage: Bundle,
        what: "Checks that the AppProject of the Application allows every namespace an object of the tree goes into.",
        why: "Argo CD refuses to sync an Application with an object outside its project's destinations: the first sync fails, and nothing is deployed.",
        example: "`gitops: {project: {name: ai-team, namespaces: [ai-applications]}}` while Fluentd goes to `ai-inference-logging`",
        instead: "Let Slipway emit the AppProject (leave `gitops.project` out), or add the namespace to the existing project and to `gitops.project.namespaces`.",
    }
    APPPROJECT_MISSING_KIND {
        id: "appproject-missing-kind",
        severity: Error,
        stage: Bundle,
        what: "Checks that the AppProject of the Application allows every cluster-scoped kind of the tree in its `clusterResourceWhitelist`.",
        why: "Argo CD refuses cluster-scoped objects whose kind the project does not whitelist: the sync fails.",
        example: "`gitops: {project: {name: ai-team, namespaces: ['*'], clusterKinds: [Namespace]}}` with a PriorityClass and Fluentd's ClusterRole in the tree",
        instead: "Let Slipway emit the AppProject, or list every kind: `clusterKinds: [Namespace, scheduling.k8s.io/PriorityClass, rbac.authorization.k8s.io/ClusterRole, rbac.authorization.k8s.io/ClusterRoleBinding]`.",
    }
    PVC_NOT_PROTECTED {
        id: "pvc-not-protected",
        severity: Error,
        stage: Bundle,
        what: "Checks that every PersistentVolumeClaim Argo CD syncs carries the sync options `Prune=false` and `Delete=false`.",
        why: "The Application prunes and has the resources finalizer: a claim removed from Git, or the Application deleted, deletes the claim and with it the training data and the model.",
        example: "`metadata: {annotations: {argocd.argoproj.io/sync-options: \"Prune=confirm\"}}` (the spec's options win over Slipway's)",
        instead: "Leave `argocd.argoproj.io/sync-options` out of `metadata.annotations` (Slipway sets `Prune=false,Delete=false` on claims), or include both options.",
    }
    SOURCE_RANGES_NOT_ENFORCED {
        id: "source-ranges-not-enforced",
        severity: Error,
        stage: Bundle,
        what: "Checks that a load balancer's `sourceRanges` hold end to end: the Service keeps client addresses (`externalTrafficPolicy: Local`) and the NetworkPolicy of its pods admits exactly those ranges from outside the cluster.",
        why: "A second way in (a NodePort main Service, a load balancer without ranges) makes the policy admit `0.0.0.0/0`, so the ranges restrict one door of two; and without `Local` the client address is replaced by a node's before the policy sees it.",
        example: "`service: {type: NodePort, external: {sourceRanges: [203.0.113.0/24]}}`",
        instead: "`service: {type: ClusterIP, external: {sourceRanges: [203.0.113.0/24]}}`, or the same `sourceRanges` on a `LoadBalancer` main Service.",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile::compile_for;
    use crate::compile::testing::seed;
    use crate::validate::system;

    fn ids(spec: &AppSpec, env: Option<&str>) -> Vec<&'static str> {
        let bundle = compile_for(spec, env);
        system(spec, env, &bundle)
            .into_iter()
            .map(|d| d.id())
            .collect()
    }

    #[test]
    fn a_namespace_too_long_once_suffixed_is_blamed_on_the_namespace() {
        let text = format!(
            "apiVersion: slipway.dev/v1alpha1\nkind: AIApplication\nmetadata:\n  name: demo\n  namespace: {}\nspec:\n  model:\n    existingVersions: ['1']\n    source:\n      pvc: {{claimName: models, create: false}}\n",
            "n".repeat(63)
        );
        let failed = crate::Pipeline::new("demo.yaml", &text)
            .env(Some("prod"))
            .run()
            .unwrap_err();
        let found: Vec<(&str, &str)> = failed
            .diagnostics
            .iter()
            .map(|d| (d.id(), d.path.as_str()))
            .collect();
        assert_eq!(
            found,
            [("name-too-long-for-argo", "metadata.namespace")],
            "not `object-name` at metadata.name"
        );
        let diagnostic = &failed.diagnostics[0];
        assert_eq!(diagnostic.location.map(|l| l.line), Some(5));
        assert!(
            diagnostic.help.as_deref().is_some_and(|h| h
                .contains("shorten `metadata.namespace` by 5 characters (`-prod` is added to it)")),
            "{diagnostic:?}"
        );
        // Declared, the spec's rules report the same, before compiling.
        let declared = format!(
            "{text}  gitops:\n    repoURL: https://github.com/example/deploy.git\n    environments:\n      prod: {{}}\n"
        );
        let failed = crate::Pipeline::new("demo.yaml", &declared)
            .env(Some("prod"))
            .run()
            .unwrap_err();
        assert_eq!(failed.stage, crate::diagnostic::Stage::Spec);
        assert_eq!(failed.diagnostics[0].path, "metadata.namespace");
    }

    #[test]
    fn the_seed_passes_every_system_rule_in_every_environment() {
        for env in [None, Some("staging"), Some("prod")] {
            assert_eq!(ids(&seed(), env), Vec::<&str>::new(), "{env:?}");
        }
    }

    /// The rendered environment's bundle stands in for its outline: whichever environment is
    /// rendered, the comparison finds the same.
    #[test]
    fn the_comparison_is_the_same_whichever_environment_is_rendered() {
        let mut spec = seed();
        spec.spec.scheduling.priority_class.as_mut().unwrap().shared = true;
        let found = |env: Option<&str>| {
            let mut out = Vec::new();
            check_environments_disjoint(&spec, env, &compile_for(&spec, env), &mut out);
            out.into_iter().map(|d| d.to_string()).collect::<Vec<_>>()
        };
        let unrendered = found(None);
        assert_eq!(unrendered.len(), 1, "{unrendered:?}");
        assert_eq!(found(Some("staging")), unrendered);
        assert_eq!(found(Some("prod")), unrendered);
    }

    #[test]
    fn a_shared_priority_class_without_a_manager_is_managed_twice() {
        let mut spec = seed();
        spec.spec.scheduling.priority_class.as_mut().unwrap().shared = true;
        assert_eq!(ids(&spec, Some("prod")), ["cluster-object-managed-twice"]);
        spec.spec
            .gitops
            .as_mut()
            .unwrap()
            .shared_objects_environment = Some("prod".into());
        assert!(ids(&spec, Some("prod")).is_empty());
    }

    #[test]
    fn a_tracking_label_used_by_selectors_is_an_error() {
        let mut spec = seed();
        spec.spec.gitops.as_mut().unwrap().instance_label_key = "app.kubernetes.io/name".into();
        assert_eq!(ids(&spec, Some("prod")), ["selector-on-tracking-label"]);
    }

    #[test]
    fn an_existing_project_must_allow_the_namespaces_and_kinds() {
        let mut spec = seed();
        spec.spec.gitops.as_mut().unwrap().project = Some(crate::sections::delivery::ProjectSpec {
            name: "ai-team".into(),
            namespaces: vec!["ai-applications-*".into()],
            cluster_kinds: vec!["Namespace".into()],
        });
        let bundle = compile_for(&spec, Some("prod"));
        assert!(bundle.of_kind("AppProject").next().is_none());
        let found = system(&spec, Some("prod"), &bundle);
        let ids: Vec<_> = found.iter().map(|d| d.id()).collect();
        assert_eq!(
            ids,
            ["appproject-missing-destination", "appproject-missing-kind"]
        );
        assert!(found[0].message.contains("`ai-inference-logging-prod`"));
        assert!(
            found[1]
                .message
                .contains("`scheduling.k8s.io/PriorityClass`")
        );
    }

    #[test]
    fn the_emitted_project_is_checked_too() {
        let spec = seed();
        let mut bundle = compile_for(&spec, Some("prod"));
        for object in &mut bundle.objects {
            if let Object::AppProject(project) = object {
                project.spec.destinations.truncate(1);
            }
        }
        let mut out = Vec::new();
        check_project(&spec, Some("prod"), &bundle, &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].id(), "appproject-missing-destination");
    }

    #[test]
    fn claims_whose_options_the_spec_overrides_are_unprotected() {
        let mut spec = seed();
        spec.metadata
            .annotations
            .insert(SYNC_OPTIONS.into(), "Prune=confirm".into());
        let bundle = compile_for(&spec, Some("prod"));
        let found = system(&spec, Some("prod"), &bundle);
        assert!(found.iter().all(|d| d.id() == "pvc-not-protected"));
        assert_eq!(
            found.len(),
            2,
            "two claims: training data and the model store"
        );
        assert!(found[0].message.contains("Prune=false"));
        assert!(!found[0].message.contains("Delete=false"));
    }

    #[test]
    fn a_node_port_beside_a_ranged_load_balancer_is_an_error() {
        let mut spec = seed();
        let service = &mut spec.spec.inference.service;
        service.external.as_mut().unwrap().source_ranges = vec!["203.0.113.0/24".into()];
        assert!(ids(&spec, None).is_empty());
        spec.spec.inference.service.service_type = ServiceType::NodePort;
        let bundle = compile_for(&spec, None);
        let found = system(&spec, None, &bundle);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].id(), "source-ranges-not-enforced");
        assert_eq!(found[0].path, "spec.inference.service.type");
    }

    #[test]
    fn globs_match_like_argo_cd() {
        assert!(glob("*", "anything"));
        assert!(glob("ai-*", "ai-prod"));
        assert!(!glob("ai-*", "web-prod"));
        assert!(glob("ai", "ai") && !glob("ai", "ai-x"));
    }
}
