//! RBAC rules of `security.rbac[].rules`: real API groups, no wildcards, known verbs.

use crate::diagnostic::Diagnostic;

use crate::sections::AppSpec;
use crate::sections::security::SubjectKind;

/// Built-in API groups whose name has no dot; every other group (built-in or custom) is a
/// DNS subdomain with at least one dot.
const DOTLESS_GROUPS: &[&str] = &["", "apps", "autoscaling", "batch", "policy"];

/// The verbs a namespaced Role can usefully grant on ordinary resources.
const VERBS: &[&str] = &[
    "get",
    "list",
    "watch",
    "create",
    "update",
    "patch",
    "delete",
    "deletecollection",
];

/// Reports [`RBAC_API_GROUP`](RBAC_API_GROUP).
pub(super) fn check_api_groups(spec: &AppSpec, out: &mut Vec<Diagnostic>) {
    for_each_rule(spec, |path, rule| {
        if rule.api_groups.is_empty() {
            out.push(
                Diagnostic::new(
                    &RBAC_API_GROUP,
                    format!("{path}.apiGroups"),
                    "the rule names no API group, so it grants nothing",
                )
                .with_help("name the group of the resources: \"\" for pods, services and persistentvolumeclaims, `apps` for deployments"),
            );
        }
        for (i, group) in rule.api_groups.iter().enumerate() {
            if group == "*" || DOTLESS_GROUPS.contains(&group.as_str()) || is_domain(group) {
                continue;
            }
            let help = if let Some((named, _)) = group.split_once('/') {
                format!("an API group carries no version: write `{named}`")
            } else if is_version(group) {
                format!(
                    "`{group}` is a version, not a group; the core group is \"\" (pods, services, persistentvolumeclaims, configmaps)"
                )
            } else {
                "the core group is \"\"; other built-in groups are `apps`, `autoscaling`, `batch`, `policy` or a domain such as `networking.k8s.io`".to_string()
            };
            out.push(
                Diagnostic::new(
                    &RBAC_API_GROUP,
                    format!("{path}.apiGroups[{i}]"),
                    format!("`{group}` is not an API group"),
                )
                .with_help(help),
            );
        }
    });
}

/// Reports [`RBAC_WILDCARD`](RBAC_WILDCARD).
pub(super) fn check_wildcards(spec: &AppSpec, out: &mut Vec<Diagnostic>) {
    for_each_rule(spec, |path, rule| {
        for (field, values) in [
            ("apiGroups", &rule.api_groups),
            ("resources", &rule.resources),
            ("verbs", &rule.verbs),
        ] {
            for (i, value) in values.iter().enumerate() {
                if value.contains('*') {
                    out.push(
                        Diagnostic::new(
                            &RBAC_WILDCARD,
                            format!("{path}.{field}[{i}]"),
                            format!("`{value}` in {field} grants everything, including what is installed later"),
                        )
                        .with_help(format!("list the {field} the subjects need, or use a preset (viewer, deployer, trainer)")),
                    );
                }
            }
        }
    });
}

/// Reports [`RBAC_VERB`](RBAC_VERB).
pub(super) fn check_verbs(spec: &AppSpec, out: &mut Vec<Diagnostic>) {
    for_each_rule(spec, |path, rule| {
        if rule.verbs.is_empty() {
            out.push(
                Diagnostic::new(&RBAC_VERB, format!("{path}.verbs"), "the rule has no verb")
                    .with_help("e.g. `verbs: [get, list, watch]`"),
            );
        }
        for (i, verb) in rule.verbs.iter().enumerate() {
            if verb.contains('*') || VERBS.contains(&verb.as_str()) {
                continue;
            }
            out.push(
                Diagnostic::new(
                    &RBAC_VERB,
                    format!("{path}.verbs[{i}]"),
                    format!("`{verb}` is not a verb a Role grants on resources"),
                )
                .with_help(format!("use one of {}", VERBS.join(", "))),
            );
        }
    });
}

/// Reports [`RBAC_SUBJECTS`](RBAC_SUBJECTS).
pub(super) fn check_subjects(spec: &AppSpec, out: &mut Vec<Diagnostic>) {
    for (b, binding) in spec.spec.security.rbac.iter().enumerate() {
        let path = format!("spec.security.rbac[{b}].subjects");
        if binding.subjects.is_empty() {
            out.push(
                Diagnostic::new(
                    &RBAC_SUBJECTS,
                    path.clone(),
                    format!(
                        "the `{}` binding has no subjects, so it grants access to nobody",
                        binding.preset.as_str()
                    ),
                )
                .with_help("add who needs the access, e.g. `subjects: [{kind: Group, name: ml-engineers}]`, or remove the binding"),
            );
        }
        for (i, subject) in binding.subjects.iter().enumerate() {
            if subject.name.trim().is_empty() {
                out.push(
                    Diagnostic::new(
                        &RBAC_SUBJECTS,
                        format!("{path}[{i}].name"),
                        "the subject has no name",
                    )
                    .with_help("name the user, group or service account"),
                );
            }
            let everyone = match (subject.kind, subject.name.as_str()) {
                (SubjectKind::Group, "system:unauthenticated")
                | (SubjectKind::User, "system:anonymous") => Some(&RBAC_ANONYMOUS),
                (SubjectKind::Group, "system:authenticated") => Some(&RBAC_ALL_AUTHENTICATED),
                _ => None,
            };
            if let Some(code) = everyone {
                out.push(
                    Diagnostic::new(
                        code,
                        format!("{path}[{i}].name"),
                        format!(
                            "`{}` grants the `{}` access to {}",
                            subject.name,
                            binding.preset.as_str(),
                            if code.id == RBAC_ANONYMOUS.id {
                                "every unauthenticated request"
                            } else {
                                "every authenticated user and service account of the cluster"
                            }
                        ),
                    )
                    .with_help("bind the groups or service accounts that need it, e.g. `{kind: Group, name: ml-engineers}`"),
                );
            }
            if subject.namespace.is_some() && subject.kind != SubjectKind::ServiceAccount {
                out.push(
                    Diagnostic::new(
                        &RBAC_SUBJECT_NAMESPACE,
                        format!("{path}[{i}].namespace"),
                        format!(
                            "a {} is not namespaced: Kubernetes ignores this namespace",
                            subject.kind.as_str()
                        ),
                    )
                    .with_help("drop `namespace`, or use `kind: ServiceAccount` if a service account was meant"),
                );
            }
        }
    }
}

/// Reports [`RBAC_DUPLICATE_BINDING`](RBAC_DUPLICATE_BINDING)
/// and entry names that are not DNS labels.
pub(super) fn check_binding_names(spec: &AppSpec, out: &mut Vec<Diagnostic>) {
    let mut seen = std::collections::BTreeMap::new();
    for (b, binding) in spec.spec.security.rbac.iter().enumerate() {
        if let Some(name) = &binding.name
            && !crate::k8s::name::is_dns1123_label(name)
        {
            out.push(
                Diagnostic::new(
                    &crate::k8s::name::DNS_NAME,
                    format!("spec.security.rbac[{b}].name"),
                    format!("`{name}` is not a DNS-1123 label"),
                )
                .with_help("use lowercase letters, digits and '-', e.g. `model-readers`"),
            );
            continue;
        }
        let name = crate::sections::security::rbac::role_name(spec, b);
        if let Some(first) = seen.insert(name.clone(), b) {
            out.push(
                Diagnostic::new(
                    &RBAC_DUPLICATE_BINDING,
                    format!("spec.security.rbac[{b}]"),
                    format!("entries {first} and {b} both compile to the Role `{name}`"),
                )
                .with_help("merge the two entries, or give one a distinct `name`"),
            );
        }
    }
}

fn for_each_rule(
    spec: &AppSpec,
    mut check: impl FnMut(String, &crate::sections::security::RbacRule),
) {
    for (b, binding) in spec.spec.security.rbac.iter().enumerate() {
        for (r, rule) in binding.rules.iter().enumerate() {
            check(format!("spec.security.rbac[{b}].rules[{r}]"), rule);
        }
    }
}

/// `v1`, `v1beta1`, `v2alpha3`.
fn is_version(group: &str) -> bool {
    let Some(rest) = group.strip_prefix('v') else {
        return false;
    };
    let digits = rest.chars().take_while(char::is_ascii_digit).count();
    let tail = &rest[digits..];
    digits > 0
        && (tail.is_empty()
            || ["alpha", "beta"].iter().any(|stage| {
                tail.strip_prefix(stage)
                    .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
            }))
}

/// A lowercase DNS subdomain with at least one dot.
fn is_domain(group: &str) -> bool {
    group.contains('.')
        && group.len() <= 253
        && group.split('.').all(|label| {
            !label.is_empty()
                && label
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

crate::diagnostic::codes! {
    RBAC_ANONYMOUS {
        id: "rbac-anonymous",
        severity: Error,
        stage: Spec,
        what: "Rejects RBAC subjects that stand for anyone: the group `system:unauthenticated` and the user `system:anonymous`.",
        why: "Every request without credentials, from anywhere the API server is reachable, gets the preset's access: read pods and logs, or change Deployments.",
        example: "`subjects: [{kind: Group, name: \"system:unauthenticated\"}]`",
        instead: "`subjects: [{kind: Group, name: ml-engineers}]`",
    }
    RBAC_ALL_AUTHENTICATED {
        id: "rbac-all-authenticated",
        severity: Warning,
        stage: Spec,
        what: "Warns when an RBAC subject is the group `system:authenticated`.",
        why: "It includes every user and every service account of every namespace: one compromised pod anywhere in the cluster gets the application's access.",
        example: "`subjects: [{kind: Group, name: \"system:authenticated\"}]`",
        instead: "the groups or service accounts that need the access",
    }
    RBAC_DUPLICATE_BINDING {
        id: "rbac-duplicate-binding",
        severity: Error,
        stage: Spec,
        what: "Rejects two `security.rbac` entries that compile to the same Role and RoleBinding name (same explicit `name`, or the same preset, subjects and rules).",
        why: "One object would silently replace the other: whoever the lost entry was meant for has no access, and a reviewer reading the spec cannot tell.",
        example: "the same `{preset: viewer, subjects: [{kind: Group, name: ops}]}` entry twice",
        instead: "one entry per set of subjects and grants, or distinct `name`s",
    }
    RBAC_API_GROUP {
        id: "rbac-api-group",
        severity: Error,
        stage: Spec,
        what: "Checks every `apiGroups` entry of the extra RBAC rules: the core group is `\"\"`, the other built-in groups without a dot are `apps`, `autoscaling`, `batch` and `policy`, and every other group is a DNS subdomain such as `networking.k8s.io`. A rule must name at least one group.",
        why: "`apiGroups: [\"v1\"]` names a group that does not exist (`v1` is the core group's version), so the rule grants nothing and the subject gets `forbidden` on pods and Services; the API server accepts the Role without a word.",
        example: "`{apiGroups: [\"v1\"], resources: [pods], verbs: [get]}`",
        instead: "`{apiGroups: [\"\"], resources: [pods], verbs: [get]}`",
    }
    RBAC_WILDCARD {
        id: "rbac-wildcard",
        severity: Error,
        stage: Spec,
        what: "Rejects `*` in the `apiGroups`, `resources` or `verbs` of the extra RBAC rules.",
        why: "A wildcard grants everything that exists and everything installed later (Secrets, RBAC objects, custom resources), which no reviewer can see from the rule.",
        example: "`{apiGroups: [\"*\"], resources: [\"*\"], verbs: [\"*\"]}`",
        instead: "`{apiGroups: [apps], resources: [deployments], verbs: [get, list, watch]}`, or a preset",
    }
    RBAC_VERB {
        id: "rbac-verb",
        severity: Error,
        stage: Spec,
        what: "Checks the `verbs` of the extra RBAC rules against the verbs a Role grants on resources: get, list, watch, create, update, patch, delete, deletecollection.",
        why: "A misspelt verb (`read`, `Get`) grants nothing and the API server accepts it silently; `escalate`, `bind` and `impersonate` hand out more than the Role itself.",
        example: "`verbs: [read]`",
        instead: "`verbs: [get, list, watch]`",
    }
    RBAC_SUBJECTS {
        id: "rbac-subjects",
        severity: Error,
        stage: Spec,
        what: "Checks the subjects of every RBAC binding: at least one, each with a name, and a `namespace` only on a ServiceAccount.",
        why: "A RoleBinding without subjects binds nobody: the API server accepts it and the team that was meant to get access gets `forbidden`. Users and groups are cluster-wide; a namespace on them is ignored by Kubernetes and usually means a ServiceAccount was meant.",
        example: "`{preset: deployer, subjects: []}`, or `{kind: User, name: ci, namespace: ci}`",
        instead: "`{preset: deployer, subjects: [{kind: ServiceAccount, name: ci, namespace: ci}]}`",
    }
    RBAC_SUBJECT_NAMESPACE {
        id: "rbac-subject-namespace",
        severity: Warning,
        stage: Spec,
        what: "Warns when an RBAC subject of kind `User` or `Group` carries a `namespace`.",
        why: "Users and groups are not namespaced: Kubernetes ignores the field, so a reader believes access is narrower than it is.",
        example: "`subjects: [{kind: User, name: alice, namespace: team-a}]`",
        instead: "`subjects: [{kind: User, name: alice}]`, or `kind: ServiceAccount` if a service account was meant",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile::testing::seed;
    use crate::sections::security::RbacRule;

    fn with_rule(groups: &[&str], resources: &[&str], verbs: &[&str]) -> Vec<Diagnostic> {
        let mut spec = seed();
        spec.spec.security.rbac[0].rules.push(RbacRule {
            api_groups: groups.iter().map(|s| s.to_string()).collect(),
            resources: resources.iter().map(|s| s.to_string()).collect(),
            verbs: verbs.iter().map(|s| s.to_string()).collect(),
        });
        let mut out = Vec::new();
        for check in [check_api_groups, check_wildcards, check_verbs] {
            check(&spec, &mut out);
        }
        out
    }

    #[test]
    fn the_articles_v1_group_is_an_error_pointing_at_the_core_group() {
        let out = with_rule(&["v1"], &["pods"], &["get"]);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].id(), "rbac-api-group");
        assert_eq!(out[0].path, "spec.security.rbac[0].rules[0].apiGroups[0]");
        assert!(
            out[0]
                .help
                .as_ref()
                .unwrap()
                .contains("the core group is \"\"")
        );
        let versioned = with_rule(&["apps/v1"], &["deployments"], &["get"]);
        assert!(versioned[0].help.as_ref().unwrap().contains("`apps`"));
    }

    #[test]
    fn real_groups_and_verbs_pass() {
        let groups = [
            "",
            "apps",
            "batch",
            "networking.k8s.io",
            "monitoring.coreos.com",
        ];
        assert!(with_rule(&groups, &["pods"], &["get", "deletecollection"]).is_empty());
    }

    #[test]
    fn wildcards_and_unknown_verbs_are_errors() {
        let out = with_rule(&["*"], &["*"], &["*"]);
        assert_eq!(out.len(), 3);
        assert!(out.iter().all(|d| d.id() == "rbac-wildcard"));
        let out = with_rule(&["apps"], &["deployments"], &["read", "escalate"]);
        let ids: Vec<&str> = out.iter().map(|d| d.id()).collect();
        assert_eq!(ids, ["rbac-verb", "rbac-verb"]);
    }

    #[test]
    fn bindings_need_named_subjects_and_only_service_accounts_take_a_namespace() {
        let check = |spec: &AppSpec| {
            let mut out = Vec::new();
            check_subjects(spec, &mut out);
            out
        };
        assert!(check(&seed()).is_empty());

        let mut spec = seed();
        spec.spec.security.rbac[0].subjects.clear();
        let out = check(&spec);
        assert_eq!(out.len(), 1);
        assert!(out[0].is_error());
        assert_eq!(out[0].path, "spec.security.rbac[0].subjects");

        let mut spec = seed();
        let subject = &mut spec.spec.security.rbac[0].subjects[0];
        subject.kind = SubjectKind::User;
        subject.name = " ".into();
        subject.namespace = Some("ci".into());
        let out = check(&spec);
        let found: Vec<(&str, bool)> = out
            .iter()
            .map(|d| (d.path.as_str(), d.is_error()))
            .collect();
        assert_eq!(
            found,
            [
                ("spec.security.rbac[0].subjects[0].name", true),
                ("spec.security.rbac[0].subjects[0].namespace", false),
            ]
        );
    }
}
