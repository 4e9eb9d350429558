//! Argo CD delivery: hooks and sync waves that agree.

use crate::diagnostic::Diagnostic;

use crate::sections::AppSpec;

/// Reports [`PRESYNC_HOOK_DEPENDENCIES`](PRESYNC_HOOK_DEPENDENCIES).
pub(super) fn check_pre_sync_hook(spec: &AppSpec, out: &mut Vec<Diagnostic>) {
    let Some(training) = &spec.spec.training else {
        return;
    };
    if spec.spec.gitops.is_none() || !training.pre_sync_hook || training.schedule.is_some() {
        return;
    }
    let mut needs = vec![format!("ServiceAccount {}-training", spec.metadata.name)];
    let mut claims: Vec<&crate::sections::VolumeClaim> = training
        .data
        .as_ref()
        .map(|data| &data.claim)
        .into_iter()
        .collect();
    claims.extend(training.output_claim(&spec.spec.model));
    needs.extend(
        claims
            .into_iter()
            .filter(|claim| claim.create)
            .map(|claim| format!("PVC {}", claim.claim_name)),
    );
    out.push(
        Diagnostic::new(
            &PRESYNC_HOOK_DEPENDENCIES,
            "spec.training.preSyncHook",
            format!(
                "the PreSync training Job runs before the Sync phase creates what it uses ({}): \
                 the first sync of a new environment fails",
                needs.join(", ")
            ),
        )
        .with_help(
            "leave preSyncHook off (the Job then syncs after RBAC and PVCs and is replaced \
             when it changes), or sync once without the hook first",
        ),
    );
}

use std::collections::BTreeMap;

use crate::k8s::name::MAX_LABEL_NAME;
use crate::k8s::name::is_dns1123_label;
use crate::sections::delivery::Destination;

/// The field that sets environment `env`'s namespace: its entry in `gitops.environments` when
/// it names one, else `metadata.namespace` (the base of `<namespace>-<env>`).
fn namespace_field(spec: &AppSpec, env: &str) -> String {
    let declared = spec
        .spec
        .gitops
        .as_ref()
        .and_then(|gitops| gitops.environments.get(env));
    match declared {
        Some(declared) if declared.namespace.is_some() => {
            format!("spec.gitops.environments.{env}.namespace")
        }
        _ if spec.metadata.namespace.is_some() => "metadata.namespace".into(),
        _ => "metadata.name".into(),
    }
}

/// Reports [`ENVIRONMENTS_SHARE_DESTINATION`](ENVIRONMENTS_SHARE_DESTINATION).
pub(super) fn check_destinations(spec: &AppSpec, out: &mut Vec<Diagnostic>) {
    let mut seen: BTreeMap<Destination, &str> = BTreeMap::new();
    for env in spec.declared_environments() {
        let destination = spec.destination(Some(env));
        if let Some(first) = seen.get(&destination) {
            out.push(
                Diagnostic::new(
                    &ENVIRONMENTS_SHARE_DESTINATION,
                    namespace_field(spec, env),
                    format!(
                        "environments `{first}` and `{env}` both deploy to namespace `{}` on \
                         {}: their Applications would manage the same objects",
                        destination.namespace, destination.server
                    ),
                )
                .with_help(format!(
                    "give `{env}` a namespace of its own (leave it out for `{}-{env}`) or \
                     another cluster (`gitops.environments.{env}.server`)",
                    spec.metadata.written_namespace()
                )),
            );
        } else {
            seen.insert(destination, env);
        }
    }
}

/// Reports [`NAME_TOO_LONG_FOR_ARGO`](NAME_TOO_LONG_FOR_ARGO).
pub(super) fn check_environment_names(spec: &AppSpec, out: &mut Vec<Diagnostic>) {
    for env in spec.declared_environments() {
        let field = spec
            .spec
            .pipeline
            .as_ref()
            .and_then(|p| p.environments.iter().position(|e| e == env))
            .map(|index| format!("spec.pipeline.environments[{index}]"))
            .unwrap_or_else(|| format!("spec.gitops.environments.{env}"));
        if !crate::k8s::name::is_label_value(env) || env.is_empty() {
            out.push(Diagnostic::new(
                &NAME_TOO_LONG_FOR_ARGO,
                field,
                format!(
                    "environment name `{env}` is not a label value (at most 63 letters, digits, \
                     `-`, `_` or `.`): it labels every object of the environment"
                ),
            ));
            continue;
        }
        check_environment_namespaces(spec, env, out);
    }
}

/// Reports [`NAME_TOO_LONG_FOR_ARGO`] for the namespaces environment `env` derives (its
/// destination, Fluentd's), each at the field its value comes from, with the help that fixes
/// it: the spec's rules run this for every declared environment, the system rules for the one
/// rendered (`--env`) when the spec does not declare it.
pub(crate) fn check_environment_namespaces(spec: &AppSpec, env: &str, out: &mut Vec<Diagnostic>) {
    let mut names = vec![(
        namespace_field(spec, env),
        "namespace",
        spec.destination(Some(env)).namespace,
    )];
    if let Some(logging) = spec.logging_namespace(Some(env)) {
        let field = if spec
            .spec
            .logging
            .as_ref()
            .is_some_and(|l| l.namespace.is_some())
        {
            "spec.logging.namespace".to_string()
        } else {
            "metadata.name".to_string()
        };
        names.push((field, "Fluentd namespace", logging));
    }
    for (field, what, name) in names {
        if name.len() <= MAX_LABEL_NAME && is_dns1123_label(&name) {
            continue;
        }
        let help = if field.starts_with("spec.gitops.environments.") {
            format!("shorten `gitops.environments.{env}.namespace` to at most 63 characters")
        } else {
            let by = match name.len().saturating_sub(MAX_LABEL_NAME) {
                0 => String::new(),
                over => format!(" by {over} characters"),
            };
            format!(
                "shorten `{}`{by} (`-{env}` is added to it), or name the environment's \
                 namespace: `gitops.environments.{env}.namespace`",
                field.trim_start_matches("spec.")
            )
        };
        out.push(
            Diagnostic::new(
                &NAME_TOO_LONG_FOR_ARGO,
                field,
                format!(
                    "the {what} of environment `{env}`, `{name}` ({} characters), is not \
                     a DNS label of at most 63 characters: Argo CD cannot create it",
                    name.len()
                ),
            )
            .with_help(help),
        );
    }
}

crate::diagnostic::codes! {
    PRESYNC_HOOK_DEPENDENCIES {
        id: "presync-hook-dependencies",
        severity: Warning,
        stage: Spec,
        what: "Warns when the training Job is an Argo CD PreSync hook while Slipway also creates what the Job needs (its ServiceAccount, the PVCs it mounts) in the Sync phase.",
        why: "PreSync hooks run before every sync wave: on the first sync of a new environment the Job's ServiceAccount and PVCs do not exist yet, so the hook fails and the whole sync with it.",
        example: "`training: {preSyncHook: true, data: {claim: {claimName: data, size: 100Gi}}}` with\n`gitops` set",
        instead: "Leave `preSyncHook` off: the Job then syncs after RBAC (wave -2) and PVCs (wave -1), and\nis replaced when it changes. Or sync once without the hook before turning it on.",
    }
    ENVIRONMENTS_SHARE_DESTINATION {
        id: "environments-share-destination",
        severity: Error,
        stage: Spec,
        what: "Checks that no two environments of the spec deploy to the same cluster and namespace.",
        why: "Two Argo CD Applications would then manage the same objects with different replicas and limits; under self-heal each reverts the other's sync for ever.",
        example: "`gitops: {environments: {staging: {namespace: ai}, prod: {namespace: ai}}}`",
        instead: "Leave the namespaces out (each environment gets `<namespace>-<env>`), or give each environment its own namespace or `server`.",
    }
    NAME_TOO_LONG_FOR_ARGO {
        id: "name-too-long-for-argo",
        severity: Error,
        stage: Spec,
        what: "Checks that every name derived for an environment fits 63 characters: its namespaces (`<namespace>-<env>`, Fluentd's) and the environment name Argo CD and the labels carry.",
        why: "Argo CD creates the destination namespace (`CreateNamespace=true`) and writes names into labels, both limited to 63 characters: the first sync fails. (Application and AppProject names longer than 63 characters are shortened with a stable hash instead.)",
        example: "`metadata: {namespace: ai-applications-for-the-recommendation-platform-of-europe}` with `--env staging`",
        instead: "A shorter namespace, or `gitops.environments.staging.namespace` naming one that fits.",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile::testing::seed;

    #[test]
    fn a_pre_sync_hook_with_gitops_warns_and_names_what_it_needs() {
        let mut spec = seed();
        spec.spec.training.as_mut().unwrap().pre_sync_hook = true;
        let mut out = Vec::new();
        check_pre_sync_hook(&spec, &mut out);
        assert_eq!(out.len(), 1);
        assert!(!out[0].is_error());
        assert!(
            out[0]
                .message
                .contains("ServiceAccount ai-inference-training")
        );
        assert!(out[0].message.contains("PVC training-data-pvc"));
    }

    #[test]
    fn no_hook_or_no_gitops_no_warning() {
        let mut out = Vec::new();
        check_pre_sync_hook(&seed(), &mut out);
        let mut spec = seed();
        spec.spec.training.as_mut().unwrap().pre_sync_hook = true;
        spec.spec.gitops = None;
        check_pre_sync_hook(&spec, &mut out);
        assert!(out.is_empty());
    }
}

#[cfg(test)]
mod environment_tests {
    use super::*;
    use crate::compile::testing::seed;
    use crate::sections::delivery::EnvironmentSpec;

    fn ids(spec: &AppSpec) -> Vec<&'static str> {
        let mut out = Vec::new();
        check_destinations(spec, &mut out);
        check_environment_names(spec, &mut out);
        out.into_iter().map(|d| d.id()).collect()
    }

    #[test]
    fn the_seed_environments_are_apart_and_fit() {
        assert!(ids(&seed()).is_empty());
    }

    #[test]
    fn two_environments_in_one_namespace_are_an_error() {
        let mut spec = seed();
        let environments = &mut spec.spec.gitops.as_mut().unwrap().environments;
        for env in ["staging", "prod"] {
            environments.insert(
                env.into(),
                EnvironmentSpec {
                    namespace: Some("ai".into()),
                    server: None,
                },
            );
        }
        let mut out = Vec::new();
        check_destinations(&spec, &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].path, "spec.gitops.environments.staging.namespace");
        // Another cluster is another destination.
        spec.spec
            .gitops
            .as_mut()
            .unwrap()
            .environments
            .get_mut("prod")
            .unwrap()
            .server = Some("https://prod.example.com".into());
        assert!(ids(&spec).is_empty());
    }

    #[test]
    fn a_namespace_too_long_once_suffixed_is_an_error() {
        let mut spec = seed();
        spec.metadata.namespace = Some("a".repeat(58));
        let mut out = Vec::new();
        check_environment_names(&spec, &mut out);
        assert_eq!(out.len(), 1, "{out:?}");
        assert_eq!(out[0].path, "metadata.namespace");
        assert!(out[0].message.contains("staging"));
        assert!(
            out[0]
                .help
                .as_deref()
                .is_some_and(|h| h.starts_with("shorten `metadata.namespace` by 3 characters")),
            "{out:?}"
        );
    }

    #[test]
    fn a_declared_namespace_too_long_is_blamed_on_its_entry() {
        let mut spec = seed();
        let prod = crate::sections::delivery::EnvironmentSpec {
            namespace: Some("p".repeat(64)),
            ..Default::default()
        };
        spec.spec
            .gitops
            .as_mut()
            .unwrap()
            .environments
            .insert("prod".into(), prod);
        let mut out = Vec::new();
        check_environment_namespaces(&spec, "prod", &mut out);
        assert_eq!(out.len(), 1, "{out:?}");
        assert_eq!(out[0].path, "spec.gitops.environments.prod.namespace");
        assert!(
            out[0]
                .help
                .as_deref()
                .is_some_and(|h| h.contains("gitops.environments.prod.namespace"))
        );
    }
}
