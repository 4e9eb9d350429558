//! The `slipway` binary end to end: templated specs, environment trees, ownership, `--check`
//! and `diff`, each in a temporary directory.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository's `specs/` directory.
fn specs() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../specs")
}

/// A copy of the seed-article spec with its values and environments in a temporary directory.
fn seed_workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::copy(
        specs().join("seed-article.yaml"),
        dir.path().join("seed-article.yaml"),
    )
    .unwrap();
    for sub in ["environments", "values"] {
        fs::create_dir(dir.path().join(sub)).unwrap();
        for entry in fs::read_dir(specs().join(sub)).unwrap() {
            let entry = entry.unwrap();
            fs::copy(entry.path(), dir.path().join(sub).join(entry.file_name())).unwrap();
        }
    }
    dir
}

fn slipway(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_slipway"))
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap()
}

fn render_env(dir: &Path, env: &str, extra: &[&str]) -> Output {
    let mut args = vec![
        "render",
        "seed-article.yaml",
        "-f",
        "values/seed-article.yaml",
        "--env",
        env,
        "-o",
        "repo",
    ];
    args.extend_from_slice(extra);
    slipway(dir, &args)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Every file under `root` (relative path → content).
fn snapshot(root: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let relative = path.strip_prefix(root).unwrap().display().to_string();
                out.insert(relative, fs::read(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

const PROD: &str = "repo/prod/ai-applications-prod/ai-inference";
const STAGING: &str = "repo/staging/ai-applications-staging/ai-inference";

#[test]
fn both_environment_trees_are_written() {
    let work = seed_workspace();
    for env in ["staging", "prod"] {
        let out = render_env(work.path(), env, &[]);
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    let root = work.path();
    for dir in [PROD, STAGING] {
        assert!(root.join(dir).join("kustomization.yaml").is_file());
        assert!(
            root.join(dir)
                .join("deployment-ai-inference-green.yaml")
                .is_file()
        );
    }
    for file in [
        "repo/argocd/ai-inference-prod.yaml",
        "repo/argocd/ai-inference-staging.yaml",
        "repo/ci/ai-inference/Jenkinsfile",
        "repo/ci/ai-inference/.github/workflows/ai-inference.yaml",
        "repo/.slipway/ai-inference-prod.yaml",
        "repo/.slipway/ai-inference-staging.yaml",
    ] {
        assert!(root.join(file).is_file(), "{file}");
    }
    let prod =
        fs::read_to_string(root.join(PROD).join("deployment-ai-inference-green.yaml")).unwrap();
    let staging = fs::read_to_string(
        root.join(STAGING)
            .join("deployment-ai-inference-green.yaml"),
    )
    .unwrap();
    assert!(
        prod.contains("cpu: \"2\"") && prod.contains("memory: 8Gi"),
        "{prod}"
    );
    assert!(staging.contains("memory: 4Gi"), "{staging}");
    let argo = fs::read_to_string(root.join("repo/argocd/ai-inference-prod.yaml")).unwrap();
    assert!(argo.contains("path: k8s-manifests/prod/ai-applications-prod/ai-inference"));
}

#[test]
fn check_passes_on_an_unchanged_tree_and_names_the_file_after_an_edit() {
    let work = seed_workspace();
    assert!(render_env(work.path(), "prod", &[]).status.success());
    let unchanged = render_env(work.path(), "prod", &["--check"]);
    assert_eq!(
        unchanged.status.code(),
        Some(0),
        "{}",
        text(&unchanged.stderr)
    );
    assert_eq!(text(&unchanged.stdout), "");

    let env_file = work.path().join("environments/prod.yaml");
    let edited = fs::read_to_string(&env_file)
        .unwrap()
        .replace("memoryLimit: 8Gi", "memoryLimit: 12Gi");
    fs::write(&env_file, edited).unwrap();
    let before = snapshot(&work.path().join("repo"));
    let drift = render_env(work.path(), "prod", &["--check"]);
    assert_eq!(drift.status.code(), Some(1));
    let listed = text(&drift.stdout);
    assert!(
        listed.contains(
            "~ prod/ai-applications-prod/ai-inference/deployment-ai-inference-green.yaml"
        ),
        "{listed}"
    );
    assert_eq!(
        before,
        snapshot(&work.path().join("repo")),
        "--check wrote nothing"
    );
}

#[test]
fn a_hand_placed_file_survives_and_files_no_longer_produced_are_pruned() {
    let work = tempfile::tempdir().unwrap();
    let spec = "apiVersion: slipway.dev/v1alpha1\nkind: AIApplication\nmetadata:\n  name: demo\nspec:\n  model:\n    existingVersions: [\"1\"]\n    source:\n      pvc:\n        claimName: models\n        create: false\n{% if values.training | default(false) %}\n  training:\n    image: example.com/train:1.0\n    activeDeadlineSeconds: 3600\n{% endif %}\n";
    fs::write(work.path().join("demo.yaml"), spec).unwrap();
    let render = |extra: &[&str]| {
        let mut args = vec!["render", "demo.yaml", "-o", "out"];
        args.extend_from_slice(extra);
        slipway(work.path(), &args)
    };
    let out = render(&["--set", "training=true"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let job = work.path().join("out/job-demo-training.yaml");
    assert!(job.is_file());
    let mine = work.path().join("out/my-notes.yaml");
    fs::write(&mine, "hand: written\n").unwrap();

    let out = render(&[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("- job-demo-training.yaml"));
    assert!(!job.exists(), "the Job no longer rendered is pruned");
    assert_eq!(fs::read_to_string(&mine).unwrap(), "hand: written\n");
    assert!(render(&["--check"]).status.success());
}

#[test]
fn a_foreign_file_in_the_way_is_never_overwritten() {
    let work = seed_workspace();
    let target = work.path().join(PROD).join("service-ai-inference.yaml");
    fs::create_dir_all(target.parent().unwrap()).unwrap();
    fs::write(&target, "mine: true\n").unwrap();
    let out = render_env(work.path(), "prod", &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr)
            .contains("service-ai-inference.yaml (exists and was not written by slipway)")
    );
    assert_eq!(fs::read_to_string(&target).unwrap(), "mine: true\n");
    assert!(!work.path().join(PROD).join("kustomization.yaml").exists());
}

#[test]
fn an_invalid_spec_changes_nothing_in_an_existing_tree() {
    let work = seed_workspace();
    assert!(render_env(work.path(), "prod", &[]).status.success());
    let before = snapshot(&work.path().join("repo"));
    let out = render_env(work.path(), "prod", &["--set", "replicas=three"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    // The schema error points at the template line, and says what it rendered to.
    assert!(stderr.contains("seed-article.yaml:"), "{stderr}");
    assert!(stderr.contains("replicas: {{ values.replicas"), "{stderr}");
    assert!(stderr.contains("rendered as `replicas: three`"), "{stderr}");
    assert_eq!(before, snapshot(&work.path().join("repo")));
}

#[test]
fn an_undefined_template_variable_fails_with_the_template_line() {
    let work = tempfile::tempdir().unwrap();
    let spec = "apiVersion: slipway.dev/v1alpha1\nkind: AIApplication\nmetadata:\n  name: demo\nspec:\n  model:\n    source:\n      pvc:\n        claimName: {{ values.claim }}\n        create: false\n    existingVersions: [\"1\"]\n";
    fs::write(work.path().join("demo.yaml"), spec).unwrap();
    let out = slipway(work.path(), &["render", "demo.yaml"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("undefined value `values.claim`"),
        "{stderr}"
    );
    assert!(stderr.contains("--> demo.yaml:9:"), "{stderr}");
    assert!(
        stderr.contains("9 |         claimName: {{ values.claim }}"),
        "{stderr}"
    );
    let fixed = slipway(
        work.path(),
        &["render", "demo.yaml", "--set", "claim=models"],
    );
    assert!(fixed.status.success(), "{}", text(&fixed.stderr));
}

#[test]
fn set_keeps_a_nine_digit_id_an_integer() {
    let work = tempfile::tempdir().unwrap();
    let spec = "apiVersion: slipway.dev/v1alpha1\nkind: AIApplication\nmetadata:\n  name: demo\nspec:\n  model:\n    existingVersions: [\"1\"]\n    source:\n      pvc:\n        claimName: models\n        create: false\n  training:\n    image: example.com/train:1.0\n    activeDeadlineSeconds: {{ values.id }}\n";
    fs::write(work.path().join("demo.yaml"), spec).unwrap();
    let out = slipway(
        work.path(),
        &["render", "demo.yaml", "--set", "id=356136738"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let yaml = text(&out.stdout);
    assert!(
        yaml.contains("activeDeadlineSeconds: 356136738\n"),
        "{yaml}"
    );
    assert!(!yaml.contains("e+08"));
}

#[test]
fn validate_takes_the_value_flags() {
    let work = seed_workspace();
    let out = slipway(
        work.path(),
        &[
            "validate",
            "seed-article.yaml",
            "--env",
            "staging",
            "--set",
            "replicas=2",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let missing = slipway(
        work.path(),
        &["validate", "seed-article.yaml", "--env", "qa"],
    );
    assert_eq!(missing.status.code(), Some(1));
    assert!(text(&missing.stderr).contains("environments/qa.yaml"));
}

#[test]
fn diff_shows_object_changes_between_environments_and_against_the_tree() {
    let work = seed_workspace();
    let out = slipway(
        work.path(),
        &[
            "diff",
            "seed-article.yaml",
            "-f",
            "values/seed-article.yaml",
            "--env",
            "staging",
            "--against-env",
            "prod",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let listed = text(&out.stdout);
    assert!(
        listed.contains("~ Deployment ai-applications-prod/ai-inference-green\n"),
        "{listed}"
    );
    assert!(
        listed.contains("containers[name=server].resources.limits.memory: \"4Gi\" → \"8Gi\""),
        "{listed}"
    );
    // Each environment's own namespaces and names pair up: no object is added or removed.
    assert!(
        !listed
            .lines()
            .any(|l| l.starts_with('+') || l.starts_with('-')),
        "{listed}"
    );

    assert!(render_env(work.path(), "prod", &[]).status.success());
    let args = |extra: &[&'static str]| {
        let mut args = vec![
            "diff",
            "seed-article.yaml",
            "-f",
            "values/seed-article.yaml",
            "--env",
            "prod",
            "-o",
            "repo",
        ];
        args.extend_from_slice(extra);
        args
    };
    let same = slipway(work.path(), &args(&[]));
    assert_eq!(same.status.code(), Some(0), "{}", text(&same.stdout));
    assert_eq!(text(&same.stdout), "no differences\n");
    let changed = slipway(work.path(), &args(&["--set-string", "greenTag=abc123"]));
    assert_eq!(changed.status.code(), Some(1));
    assert!(
        text(&changed.stdout).contains("\"registry.mycompany.com/ai/ai-model:v2.0\" → \"registry.mycompany.com/ai/ai-model:abc123\""),
        "{}",
        text(&changed.stdout)
    );
}

#[test]
fn partials_are_included_from_beside_the_spec_and_cannot_escape_it() {
    let work = tempfile::tempdir().unwrap();
    let spec = "apiVersion: slipway.dev/v1alpha1\nkind: AIApplication\nmetadata:\n  name: demo\nspec:\n  model:\n    existingVersions: [\"1\"]\n    source:\n      pvc:\n        claimName: models\n        create: false\n  inference:\n{% include \"partials/resources.yaml\" %}\n";
    fs::write(work.path().join("demo.yaml"), spec).unwrap();
    fs::create_dir(work.path().join("partials")).unwrap();
    fs::write(
        work.path().join("partials/resources.yaml"),
        "    resources:\n      limits: {cpu: \"{{ values.cpu | default(2) }}\", memory: 4Gi}\n",
    )
    .unwrap();
    let out = slipway(work.path(), &["render", "demo.yaml", "--set", "cpu=3"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("cpu: \"3\""));

    let escaping = spec.replace("partials/resources.yaml", "../secret.yaml");
    fs::write(work.path().join("demo.yaml"), escaping).unwrap();
    let out = slipway(work.path(), &["render", "demo.yaml"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("partial not found"),
        "{}",
        text(&out.stderr)
    );
}

/// The objects of the files under `repo/<prefix>`, as JSON.
fn objects_under(root: &Path, prefix: &str) -> Vec<serde_json::Value> {
    let files: BTreeMap<String, String> = snapshot(&root.join("repo"))
        .into_iter()
        .filter(|(path, _)| path.starts_with(prefix))
        .map(|(path, bytes)| (path, String::from_utf8(bytes).unwrap()))
        .collect();
    assert!(!files.is_empty(), "nothing under {prefix}");
    slipway_core::render::tree::objects_in_files(&files).unwrap()
}

fn text_at<'a>(value: &'a serde_json::Value, pointer: &str) -> &'a str {
    value
        .pointer(pointer)
        .and_then(serde_json::Value::as_str)
        .unwrap_or_default()
}

/// Every label key any selector of `value` uses (`selector`, `*Selector`, `matchLabels`,
/// `matchExpressions[].key`).
fn selector_keys(value: &serde_json::Value, inside: bool, out: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, child) in map {
                let selector = key == "selector" || key.ends_with("Selector");
                if (selector || (inside && key == "matchLabels"))
                    && let Some(labels) = child.as_object()
                {
                    out.extend(labels.keys().cloned());
                }
                if inside && key == "matchExpressions" {
                    for expression in child.as_array().into_iter().flatten() {
                        out.push(text_at(expression, "/key").to_string());
                    }
                }
                selector_keys(child, inside || selector, out);
            }
        }
        serde_json::Value::Array(items) => {
            for item in items {
                selector_keys(item, inside, out);
            }
        }
        _ => {}
    }
}

/// The README's staging + prod workflow, checked as Argo CD would see the tree: each
/// environment's AppProject allows every namespace and cluster-scoped kind of its tree, the two
/// environments manage disjoint objects, every PVC survives prune and Application deletion, no
/// selector uses `app.kubernetes.io/instance`, and Argo names fit 63 characters.
#[test]
fn staging_and_prod_trees_are_disjoint_and_fit_their_projects() {
    let work = seed_workspace();
    for env in ["staging", "prod"] {
        let out = render_env(work.path(), env, &[]);
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    let mut identities: BTreeMap<&str, std::collections::BTreeSet<(String, String, String)>> =
        BTreeMap::new();
    for env in ["staging", "prod"] {
        let argo = objects_under(work.path(), &format!("argocd/ai-inference-{env}.yaml"));
        let project = argo
            .iter()
            .find(|o| text_at(o, "/kind") == "AppProject")
            .expect("an AppProject");
        let application = argo
            .iter()
            .find(|o| text_at(o, "/kind") == "Application")
            .expect("an Application");
        for name in [project, application].map(|o| text_at(o, "/metadata/name")) {
            assert!(name.len() <= 63, "{name}");
        }
        assert_eq!(
            text_at(application, "/spec/project"),
            text_at(project, "/metadata/name")
        );
        let path = text_at(application, "/spec/source/path");
        let dir = path.strip_prefix("k8s-manifests/").unwrap();
        assert!(dir.starts_with(&format!("{env}/")), "{dir}");
        let server = text_at(application, "/spec/destination/server");

        let allowed_namespaces: Vec<&str> = project["spec"]["destinations"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| text_at(d, "/server") == server)
            .map(|d| text_at(d, "/namespace"))
            .collect();
        let allowed_kinds: Vec<(&str, &str)> = project["spec"]["clusterResourceWhitelist"]
            .as_array()
            .unwrap()
            .iter()
            .map(|gk| (text_at(gk, "/group"), text_at(gk, "/kind")))
            .collect();

        let objects = objects_under(work.path(), &format!("{dir}/"));
        assert!(objects.len() > 20, "{env}: {} objects", objects.len());
        let mut used_namespaces = std::collections::BTreeSet::new();
        for object in &objects {
            let kind = text_at(object, "/kind");
            let namespace = text_at(object, "/metadata/namespace");
            let name = text_at(object, "/metadata/name");
            if namespace.is_empty() {
                let group = text_at(object, "/apiVersion")
                    .rsplit_once('/')
                    .map_or("", |(group, _)| group);
                assert!(
                    allowed_kinds.contains(&(group, kind)),
                    "{env}: {kind} {name} not whitelisted by the AppProject"
                );
            } else {
                assert!(
                    allowed_namespaces.contains(&namespace),
                    "{env}: {kind} {namespace}/{name} outside the AppProject's destinations"
                );
                used_namespaces.insert(namespace);
            }
            if kind == "PersistentVolumeClaim" {
                let options = text_at(
                    object,
                    "/metadata/annotations/argocd.argoproj.io~1sync-options",
                );
                assert!(
                    options.contains("Prune=false") && options.contains("Delete=false"),
                    "{env}: PVC {name} is not protected: {options:?}"
                );
            }
            let mut keys = Vec::new();
            selector_keys(object, false, &mut keys);
            assert!(
                !keys.iter().any(|k| k == "app.kubernetes.io/instance"),
                "{env}: {kind} {name} selects on app.kubernetes.io/instance"
            );
            let new = identities.entry(env).or_default().insert((
                kind.to_string(),
                namespace.to_string(),
                name.to_string(),
            ));
            assert!(new, "{env}: {kind} {namespace}/{name} twice");
        }
        // Exactly: the project allows no namespace the tree does not use.
        assert_eq!(
            used_namespaces.into_iter().collect::<Vec<_>>(),
            allowed_namespaces,
            "{env}"
        );
    }
    let shared: Vec<_> = identities["staging"]
        .intersection(&identities["prod"])
        .collect();
    assert!(
        shared.is_empty(),
        "managed by both environments: {shared:?}"
    );
}
