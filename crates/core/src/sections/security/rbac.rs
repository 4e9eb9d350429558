//! RBAC: one Role and one RoleBinding per `security.rbac` entry, granting the entry's preset
//! (plus its extra rules) to its subjects in the application's namespace. Every rule names its
//! API group, resources and verbs: no wildcards.

use k8s_openapi::api::rbac::v1::{PolicyRule, Role, RoleBinding, RoleRef, Subject};

use crate::sections::shared::labels;

use crate::bundle::Object;
use crate::sections::AppSpec;
use crate::sections::security::AccessPreset;
use crate::sections::security::RbacBinding;
use crate::sections::security::SubjectKind;
use crate::sections::shared::labels::Component;

/// The API group of RBAC objects, and of `User` and `Group` subjects.
const RBAC_GROUP: &str = "rbac.authorization.k8s.io";
/// Verbs that read.
const READ: &[&str] = &["get", "list", "watch"];
/// Verbs that change.
const WRITE: &[&str] = &["create", "update", "patch", "delete"];

/// One preset rule: API group, resources, verbs.
type PresetRule = (
    &'static str,
    &'static [&'static str],
    &'static [&'static str],
);

/// What `viewer` reads: the application's workloads, pods, logs and Services — not Secrets.
const VIEWER: &[PresetRule] = &[
    (
        "",
        &[
            "configmaps",
            "endpoints",
            "events",
            "persistentvolumeclaims",
            "pods",
            "pods/log",
            "services",
        ],
        READ,
    ),
    ("apps", &["deployments", "replicasets"], READ),
    ("autoscaling", &["horizontalpodautoscalers"], READ),
    ("autoscaling.k8s.io", &["verticalpodautoscalers"], READ),
    ("batch", &["cronjobs", "jobs"], READ),
    ("policy", &["poddisruptionbudgets"], READ),
];

/// What `deployer` changes beside what `viewer` reads.
const DEPLOYER: &[PresetRule] = &[
    ("", &["configmaps", "services"], WRITE),
    // Delete a stuck pod so its Deployment replaces it.
    ("", &["pods"], &["delete"]),
    ("apps", &["deployments"], WRITE),
    ("apps", &["deployments/scale"], &["get", "patch", "update"]),
    ("autoscaling", &["horizontalpodautoscalers"], WRITE),
    ("autoscaling.k8s.io", &["verticalpodautoscalers"], WRITE),
    ("batch", &["cronjobs", "jobs"], WRITE),
    ("policy", &["poddisruptionbudgets"], WRITE),
];

/// What `trainer` does: run training Jobs and follow them; read the claims they use.
const TRAINER: &[PresetRule] = &[
    ("", &["persistentvolumeclaims", "pods", "pods/log"], READ),
    ("batch", &["jobs"], READ),
    ("batch", &["jobs"], &["create", "delete"]),
];

/// The rules of a preset.
pub fn preset_rules(preset: AccessPreset) -> Vec<PolicyRule> {
    let parts: &[&[PresetRule]] = match preset {
        AccessPreset::Viewer => &[VIEWER],
        AccessPreset::Deployer => &[VIEWER, DEPLOYER],
        AccessPreset::Trainer => &[TRAINER],
    };
    parts
        .iter()
        .flat_map(|rules| rules.iter())
        .map(|(group, resources, verbs)| PolicyRule {
            api_groups: Some(vec![group.to_string()]),
            resources: Some(resources.iter().map(|r| r.to_string()).collect()),
            verbs: verbs.iter().map(|v| v.to_string()).collect(),
            ..Default::default()
        })
        .collect()
}

/// The Role and RoleBinding name of the `index`th entry: `<app>-<name>` when the entry names
/// itself, else `<app>-<preset>`, followed by a stable hash of the entry's subjects and rules
/// when several entries share that preset. The name depends on the entry's content, never on
/// its position, so reordering entries renames nothing.
pub fn role_name(spec: &AppSpec, index: usize) -> String {
    let bindings = &spec.spec.security.rbac;
    let binding = &bindings[index];
    if let Some(name) = &binding.name {
        return labels::name(spec, name);
    }
    let preset = binding.preset;
    let base = labels::name(spec, preset.as_str());
    let shared = bindings
        .iter()
        .filter(|b| b.name.is_none() && b.preset == preset)
        .count()
        > 1;
    if shared {
        format!("{base}-{:08x}", content_hash(binding) as u32)
    } else {
        base
    }
}

/// A stable hash of what a binding grants to whom.
fn content_hash(binding: &RbacBinding) -> u64 {
    let mut text = String::new();
    for subject in &binding.subjects {
        text.push_str(&format!(
            "{}/{}/{}\n",
            subject.kind.as_str(),
            subject.namespace.as_deref().unwrap_or_default(),
            subject.name
        ));
    }
    for rule in &binding.rules {
        text.push_str(&format!(
            "{:?}{:?}{:?}\n",
            rule.api_groups, rule.resources, rule.verbs
        ));
    }
    crate::k8s::name::stable_hash(text.as_bytes())
}

/// A Role and a RoleBinding per `security.rbac` entry.
pub fn compile(spec: &AppSpec) -> Vec<Object> {
    let mut objects = Vec::new();
    for (index, binding) in spec.spec.security.rbac.iter().enumerate() {
        let name = role_name(spec, index);
        objects.push(role(spec, &name, binding).into());
        objects.push(role_binding(spec, &name, binding).into());
    }
    objects
}

fn role(spec: &AppSpec, name: &str, binding: &RbacBinding) -> Role {
    let mut rules = preset_rules(binding.preset);
    rules.extend(binding.rules.iter().map(|rule| PolicyRule {
        api_groups: Some(rule.api_groups.clone()),
        resources: Some(rule.resources.clone()),
        verbs: rule.verbs.clone(),
        ..Default::default()
    }));
    Role {
        metadata: labels::meta(spec, name, Component::Application),
        rules: Some(rules),
    }
}

fn role_binding(spec: &AppSpec, name: &str, binding: &RbacBinding) -> RoleBinding {
    let subjects = binding
        .subjects
        .iter()
        .map(|subject| match subject.kind {
            SubjectKind::ServiceAccount => Subject {
                kind: subject.kind.as_str().into(),
                name: subject.name.clone(),
                api_group: Some(String::new()),
                namespace: Some(
                    subject
                        .namespace
                        .clone()
                        .unwrap_or_else(|| spec.metadata.namespace().to_string()),
                ),
            },
            SubjectKind::User | SubjectKind::Group => Subject {
                kind: subject.kind.as_str().into(),
                name: subject.name.clone(),
                api_group: Some(RBAC_GROUP.into()),
                namespace: None,
            },
        })
        .collect();
    RoleBinding {
        metadata: labels::meta(spec, name, Component::Application),
        role_ref: RoleRef {
            api_group: RBAC_GROUP.into(),
            kind: "Role".into(),
            name: name.into(),
        },
        subjects: Some(subjects),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile::testing::seed;
    use crate::sections::security::RbacRule;
    use crate::sections::security::RbacSubject;

    fn rules_of(objects: &[Object], name: &str) -> Vec<PolicyRule> {
        objects
            .iter()
            .find_map(|o| match o {
                Object::Role(role) if o.name() == name => role.rules.clone(),
                _ => None,
            })
            .unwrap_or_else(|| panic!("no Role {name}"))
    }

    fn grants(rules: &[PolicyRule], group: &str, resource: &str, verb: &str) -> bool {
        rules.iter().any(|r| {
            r.api_groups.as_ref().unwrap().iter().any(|g| g == group)
                && r.resources.as_ref().unwrap().iter().any(|x| x == resource)
                && r.verbs.iter().any(|v| v == verb)
        })
    }

    #[test]
    fn the_deployer_preset_uses_the_right_api_groups() {
        let objects = compile(&seed());
        let rules = rules_of(&objects, "ai-inference-deployer");
        assert!(grants(&rules, "", "pods", "list"), "core group is \"\"");
        assert!(grants(&rules, "", "services", "update"));
        assert!(grants(&rules, "apps", "deployments", "patch"));
        assert!(grants(&rules, "batch", "jobs", "create"));
        assert!(grants(
            &rules,
            "autoscaling",
            "horizontalpodautoscalers",
            "update"
        ));
        assert!(!grants(&rules, "v1", "pods", "list"));
        assert!(!grants(&rules, "", "secrets", "get"), "no Secrets");
    }

    #[test]
    fn no_preset_has_a_wildcard_or_an_unknown_verb() {
        let known = [
            "get", "list", "watch", "create", "update", "patch", "delete",
        ];
        for preset in [
            AccessPreset::Viewer,
            AccessPreset::Deployer,
            AccessPreset::Trainer,
        ] {
            for rule in preset_rules(preset) {
                let fields = [
                    rule.api_groups.clone().unwrap(),
                    rule.resources.clone().unwrap(),
                    rule.verbs.clone(),
                ];
                assert!(
                    fields.iter().flatten().all(|x| !x.contains('*')),
                    "{rule:?}"
                );
                assert!(rule.verbs.iter().all(|v| known.contains(&v.as_str())));
            }
        }
        let viewer = preset_rules(AccessPreset::Viewer);
        assert!(
            viewer
                .iter()
                .all(|r| r.verbs.iter().all(|v| READ.contains(&v.as_str())))
        );
    }

    #[test]
    fn the_binding_names_its_subjects_and_role() {
        let mut spec = seed();
        spec.spec.security.rbac[0].subjects.push(RbacSubject {
            kind: SubjectKind::ServiceAccount,
            name: "ci".into(),
            namespace: None,
        });
        let objects = compile(&spec);
        let Object::RoleBinding(binding) = &objects[1] else {
            panic!("not a RoleBinding")
        };
        assert_eq!(binding.role_ref.name, "ai-inference-deployer");
        assert_eq!(binding.role_ref.kind, "Role");
        let subjects = binding.subjects.as_ref().unwrap();
        assert_eq!(
            (subjects[0].kind.as_str(), subjects[0].api_group.as_deref()),
            ("User", Some(RBAC_GROUP))
        );
        assert_eq!(subjects[1].namespace.as_deref(), Some("ai-applications"));
    }

    #[test]
    fn extra_rules_follow_the_preset_and_shared_presets_get_distinct_names() {
        let mut spec = seed();
        let mut second = spec.spec.security.rbac[0].clone();
        second.rules.push(RbacRule {
            api_groups: vec!["monitoring.coreos.com".into()],
            resources: vec!["servicemonitors".into()],
            verbs: vec!["get".into()],
        });
        spec.spec.security.rbac.push(second);
        let objects = compile(&spec);
        let names: Vec<&str> = objects.iter().map(Object::name).collect();
        // Named by content: a stable hash of subjects and rules, never the position.
        assert_eq!(names.len(), 4);
        assert_eq!(names[0], names[1]);
        assert_eq!(names[2], names[3]);
        assert_ne!(names[0], names[2]);
        assert!(
            names
                .iter()
                .all(|n| n.starts_with("ai-inference-deployer-") && n.len() == 30)
        );
        let extended = names[2].to_string();

        // Reordering the entries renames nothing.
        spec.spec.security.rbac.reverse();
        let reordered = compile(&spec);
        assert!(reordered.iter().any(|o| o.name() == extended));
        assert!(reordered.iter().any(|o| o.name() == names[0]));

        // An explicit name wins.
        spec.spec.security.rbac[0].name = Some("monitoring-reader".into());
        assert_eq!(compile(&spec)[0].name(), "ai-inference-monitoring-reader");
        let rules = rules_of(&objects, &extended);
        assert!(grants(
            &rules,
            "monitoring.coreos.com",
            "servicemonitors",
            "get"
        ));
    }
}
