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

const PROD: &str = "repo/prod/ai-applications/ai-inference";
const STAGING: &str = "repo/staging/ai-applications/ai-inference";

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
    assert!(argo.contains("path: k8s-manifests/prod/ai-applications/ai-inference"));
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
        listed.contains("~ prod/ai-applications/ai-inference/deployment-ai-inference-green.yaml"),
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
    let spec = "apiVersion: slipway.dev/v1alpha1\nkind: AIApplication\nmetadata:\n  name: demo\nspec:\n  model:\n    existingVersions: [\"1\"]\n    source:\n      pvc:\n        claimName: models\n{% if values.training | default(false) %}\n  training:\n    image: example.com/train:1.0\n    activeDeadlineSeconds: 3600\n{% endif %}\n";
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
    let spec = "apiVersion: slipway.dev/v1alpha1\nkind: AIApplication\nmetadata:\n  name: demo\nspec:\n  model:\n    source:\n      pvc:\n        claimName: {{ values.claim }}\n    existingVersions: [\"1\"]\n";
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
    let spec = "apiVersion: slipway.dev/v1alpha1\nkind: AIApplication\nmetadata:\n  name: demo\nspec:\n  model:\n    existingVersions: [\"1\"]\n    source:\n      pvc:\n        claimName: models\n  training:\n    image: example.com/train:1.0\n    activeDeadlineSeconds: {{ values.id }}\n";
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
        listed.contains("~ Deployment ai-applications/ai-inference-green\n"),
        "{listed}"
    );
    assert!(
        listed.contains("containers[name=server].resources.limits.memory: \"4Gi\" → \"8Gi\""),
        "{listed}"
    );
    assert!(listed.contains("+ Application argocd/ai-inference-prod"));

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
    let changed = slipway(work.path(), &args(&["--set-string", "imageTag=abc123"]));
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
    let spec = "apiVersion: slipway.dev/v1alpha1\nkind: AIApplication\nmetadata:\n  name: demo\nspec:\n  model:\n    existingVersions: [\"1\"]\n    source:\n      pvc:\n        claimName: models\n  inference:\n{% include \"partials/resources.yaml\" %}\n";
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
