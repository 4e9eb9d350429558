//! The rule registry (`slipway_core::validate::registry`) is complete and documented: every
//! diagnostic that any example or invalid spec produces carries a registered code with the
//! same severity, every code is documented, and the rule list of `docs/rules.md` is generated
//! from it.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use k8s_openapi::api::core::v1::PodSpec;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use slipway_core::diagnostic::{Diagnostic, table};
use slipway_core::validate::registry;
use slipway_core::{Bundle, Object, Pipeline, validate};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every diagnostic of every spec under `specs/` and `specs/invalid/`, run as the CLI runs
/// them (no values).
fn every_diagnostic() -> Vec<(String, Diagnostic)> {
    let mut found = Vec::new();
    for dir in ["specs", "specs/invalid", "specs/warnings"] {
        let mut paths: Vec<_> = std::fs::read_dir(root().join(dir))
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .filter(|path| path.extension().is_some_and(|e| e == "yaml"))
            .collect();
        paths.sort();
        for path in paths {
            let text = std::fs::read_to_string(&path).unwrap();
            let file = format!("{dir}/{}", path.file_name().unwrap().to_string_lossy());
            let diagnostics = match Pipeline::new(&file, &text).run() {
                Ok(compiled) => compiled.diagnostics,
                Err(failed) => failed.diagnostics,
            };
            found.extend(diagnostics.into_iter().map(|d| (file.clone(), d)));
        }
    }
    found
}

#[test]
fn every_emitted_diagnostic_carries_a_registered_code() {
    let found = every_diagnostic();
    assert!(found.len() > 25, "only {} diagnostics found", found.len());
    let registry = registry();
    for (file, diagnostic) in &found {
        let code = registry
            .iter()
            .find(|code| code.id == diagnostic.id())
            .unwrap_or_else(|| panic!("{file}: `{}` is not registered", diagnostic.id()));
        assert_eq!(
            code.severity,
            diagnostic.severity,
            "{file}: {}",
            diagnostic.id()
        );
    }
}

#[test]
fn every_code_is_unique_and_documented() {
    let mut ids: Vec<&str> = registry().iter().map(|code| code.id).collect();
    ids.sort_unstable();
    let count = ids.len();
    ids.dedup();
    assert_eq!(ids.len(), count, "duplicate ids");
    for code in registry() {
        assert!(
            code.id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
            "{}: ids are kebab-case",
            code.id
        );
        for (section, text) in [
            ("what", code.what),
            ("why", code.why),
            ("example", code.example),
            ("instead", code.instead),
        ] {
            assert!(text.trim().len() > 5, "{}: `{section}` is empty", code.id);
        }
    }
}

/// The rule list of `docs/rules.md` is `slipway rules`' table; regenerate it with
/// `cargo run -p slipway-cli -- rules` when a code changes.
#[test]
fn docs_rules_lists_every_rule() {
    let docs = std::fs::read_to_string(root().join("docs/rules.md")).unwrap();
    let (start, end) = ("<!-- rules:start -->\n", "<!-- rules:end -->");
    let listed = docs
        .split_once(start)
        .and_then(|(_, rest)| rest.split_once(end))
        .map(|(listed, _)| listed)
        .expect("docs/rules.md has the rules:start and rules:end markers");
    let expected = table(&registry());
    assert_eq!(
        listed, expected,
        "docs/rules.md's rule list is out of date; replace it with:\n{expected}"
    );
}

/// The seed's bundle, compiled as the CLI compiles it.
fn seed_bundle() -> Bundle {
    let text = std::fs::read_to_string(root().join("specs/seed-article.yaml")).unwrap();
    match Pipeline::new("specs/seed-article.yaml", &text).run() {
        Ok(compiled) => compiled.bundle,
        Err(failed) => panic!("{}", failed.render()),
    }
}

/// Applies `edit` to every inference Deployment's pod spec.
fn edit_pods(bundle: &mut Bundle, mut edit: impl FnMut(&mut PodSpec)) {
    for object in &mut bundle.objects {
        if let Object::Deployment(deployment) = object {
            edit(
                deployment
                    .spec
                    .as_mut()
                    .unwrap()
                    .template
                    .spec
                    .as_mut()
                    .unwrap(),
            );
        }
    }
}

/// What the cross-object checks report on bundles a library user edited (or merged objects
/// into) after compilation: the mistakes a compiled spec never makes, but a bundle can carry.
fn bundle_fixtures() -> Vec<Diagnostic> {
    type Edit = fn(&mut Bundle);
    let edits: [Edit; 10] = [
        // A Service selecting both colors.
        |bundle| {
            for object in &mut bundle.objects {
                if let Object::Service(service) = object {
                    let selector = service.spec.as_mut().unwrap().selector.as_mut().unwrap();
                    selector.remove("slipway.dev/color");
                }
            }
        },
        // A Deployment whose selector no longer matches its pods.
        |bundle| {
            for object in &mut bundle.objects {
                if let Object::Deployment(deployment) = object {
                    let spec = deployment.spec.as_mut().unwrap();
                    let labels = spec.selector.match_labels.as_mut().unwrap();
                    labels.insert("app".into(), "api".into());
                }
            }
        },
        // A Service's named target port the pods do not declare.
        |bundle| {
            for object in &mut bundle.objects {
                if let Object::Service(service) = object {
                    for port in service.spec.as_mut().unwrap().ports.iter_mut().flatten() {
                        port.target_port = Some(IntOrString::String("web".into()));
                    }
                }
            }
        },
        // A container without a seccomp profile, in a restricted namespace.
        |bundle| {
            edit_pods(bundle, |pod| {
                for container in &mut pod.containers {
                    container.security_context.as_mut().unwrap().seccomp_profile = None;
                }
                pod.security_context.as_mut().unwrap().seccomp_profile = None;
            })
        },
        // A read-only root filesystem with no writable /tmp.
        |bundle| {
            edit_pods(bundle, |pod| {
                for container in &mut pod.containers {
                    container.volume_mounts = None;
                }
            })
        },
        // A GPU requested without an equal limit.
        |bundle| {
            edit_pods(bundle, |pod| {
                let resources = pod.containers[0].resources.get_or_insert_default();
                let requests = resources.requests.get_or_insert_default();
                requests.insert("nvidia.com/gpu".into(), Quantity("1".into()));
                if let Some(limits) = resources.limits.as_mut() {
                    limits.remove("nvidia.com/gpu");
                }
            })
        },
        // An HPA whose target was renamed, a PDB over both colors.
        |bundle| {
            for object in &mut bundle.objects {
                match object {
                    Object::HorizontalPodAutoscaler(hpa) => {
                        hpa.spec.as_mut().unwrap().scale_target_ref.name = "gone".into();
                    }
                    Object::PodDisruptionBudget(pdb) => {
                        let selector = pdb.spec.as_mut().unwrap().selector.as_mut().unwrap();
                        selector
                            .match_labels
                            .as_mut()
                            .unwrap()
                            .remove("slipway.dev/color");
                    }
                    _ => {}
                }
            }
        },
        // Two HPAs on one workload.
        |bundle| {
            let hpa = bundle
                .objects
                .iter()
                .find(|o| o.kind() == "HorizontalPodAutoscaler")
                .cloned()
                .unwrap();
            let mut twin = hpa.clone();
            if let Object::HorizontalPodAutoscaler(twin) = &mut twin {
                twin.metadata.name = Some("twin".into());
            }
            bundle.objects.push(twin);
        },
        // A ConfigMap over the API server's 1 MiB and a name no Service may carry.
        |bundle| {
            for object in &mut bundle.objects {
                match object {
                    Object::ConfigMap(config_map) => {
                        let data = config_map.data.get_or_insert_default();
                        data.insert("big".into(), "x".repeat(1024 * 1024 + 1));
                    }
                    Object::Service(service) => service.metadata.name = Some("x".repeat(64)),
                    _ => {}
                }
            }
        },
        // An alert expression that is not PromQL.
        |bundle| {
            for object in &mut bundle.objects {
                if let Object::PrometheusRule(rule) = object {
                    rule.spec.groups[0].rules[0].expr.push_str(" and (");
                }
            }
        },
    ];
    let mut found = Vec::new();
    for edit in edits {
        let mut bundle = seed_bundle();
        edit(&mut bundle);
        found.extend(validate::bundle(&bundle));
    }
    // Values given for a spec that is not a template.
    let text = std::fs::read_to_string(root().join("specs/minimal.yaml")).unwrap();
    let values = serde_json::json!({"replicas": 3});
    if let Err(failed) = Pipeline::new("specs/minimal.yaml", &text)
        .values(values)
        .run()
    {
        found.extend(failed.diagnostics);
    }
    found
}

/// Every code `slipway rules` lists is emitted by a fixture: a spec under `specs/invalid/` or
/// `specs/warnings/` (each with its golden snapshot), or, for the cross-object checks a
/// compiled spec never trips, a bundle edited after compilation ([`bundle_fixtures`]).
#[test]
fn every_registered_code_is_emitted_by_a_fixture() {
    let found = every_diagnostic();
    let in_code = bundle_fixtures();
    let emitted: BTreeSet<&str> = found
        .iter()
        .map(|(_, d)| d)
        .chain(&in_code)
        .map(Diagnostic::id)
        .collect();
    let missing: Vec<&str> = registry()
        .into_iter()
        .map(|code| code.id)
        .filter(|id| !emitted.contains(id))
        .collect();
    assert!(
        missing.is_empty(),
        "emitted by no spec under specs/, specs/invalid/ or specs/warnings/ and by no bundle \
         fixture: {missing:?}; add an invalid spec (or a warning spec) that shows each mistake"
    );
}
