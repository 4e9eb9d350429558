//! The `slipway` binary, run for real: exit codes, diagnostics, stdout/stdin, `-o DIR`.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use insta_cmd::assert_cmd_snapshot;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn slipway() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_slipway"));
    command.current_dir(root());
    command
}

fn run(args: &[&str]) -> Output {
    slipway().args(args).output().expect("slipway runs")
}

fn specs(dir: &str) -> Vec<String> {
    let mut found: Vec<String> = fs::read_dir(root().join(dir))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "yaml"))
        .map(|path| format!("{dir}/{}", path.file_name().unwrap().to_string_lossy()))
        .collect();
    found.sort();
    found
}

/// Every file under `dir` with its bytes.
fn snapshot_dir(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(current) = stack.pop() {
        for entry in fs::read_dir(&current).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.insert(path.clone(), fs::read(&path).unwrap());
            }
        }
    }
    files
}

#[test]
fn every_example_spec_renders_and_rendering_twice_gives_identical_bytes() {
    for spec in specs("specs") {
        let first = run(&["render", &spec]);
        assert!(
            first.status.success(),
            "{spec}: {}",
            String::from_utf8_lossy(&first.stderr)
        );
        let second = run(&["render", &spec]);
        assert_eq!(
            first.stdout, second.stdout,
            "{spec} renders deterministically"
        );
        let text = String::from_utf8(first.stdout).unwrap();
        // The inference workload: a Deployment, or an Argo Rollouts Rollout under a canary.
        assert!(
            text.contains("\nkind: Deployment\n") || text.contains("\nkind: Rollout\n"),
            "{spec}"
        );
    }
}

#[test]
fn every_invalid_spec_exits_1_naming_file_line_column_and_field() {
    let invalid = specs("specs/invalid");
    assert!(invalid.len() >= 10, "at least 10 invalid specs");
    for spec in invalid {
        let output = run(&["render", &spec]);
        assert_eq!(output.status.code(), Some(1), "{spec}");
        assert!(output.stdout.is_empty(), "{spec}: nothing on stdout");
        let stderr = String::from_utf8(output.stderr).unwrap();
        let position = format!("--> {spec}:");
        let at = stderr
            .find(&position)
            .unwrap_or_else(|| panic!("{spec}: no file:line:column in\n{stderr}"));
        let rest = &stderr[at + position.len()..];
        let line_col: String = rest.chars().take_while(|c| !c.is_whitespace()).collect();
        let mut parts = line_col.split(':');
        assert!(
            parts.next().unwrap().parse::<usize>().is_ok()
                && parts.next().unwrap().parse::<usize>().is_ok(),
            "{spec}: `{line_col}` is not line:column"
        );
        assert!(
            stderr.contains("^ spec")
                || stderr.contains("^ metadata")
                || stderr.contains("(document)")
                // A template error names the template construct, or the undefined value.
                || stderr.contains("^ (template)")
                || stderr.contains("^ values."),
            "{spec}: no field path in\n{stderr}"
        );
    }
}

#[test]
fn an_invalid_spec_leaves_the_output_directory_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let good = run(&[
        "render",
        "specs/minimal.yaml",
        "-o",
        dir.path().to_str().unwrap(),
    ]);
    assert!(good.status.success());
    fs::write(dir.path().join("handwritten.yaml"), "keep: me\n").unwrap();
    let before = snapshot_dir(dir.path());
    for spec in specs("specs/invalid") {
        let output = run(&["render", &spec, "-o", dir.path().to_str().unwrap()]);
        assert_eq!(output.status.code(), Some(1), "{spec}");
        assert_eq!(
            snapshot_dir(dir.path()),
            before,
            "{spec} changed the directory"
        );
    }
}

#[test]
fn output_directory_gets_one_parseable_file_per_object() {
    let dir = tempfile::tempdir().unwrap();
    let output = run(&[
        "render",
        "specs/minimal.yaml",
        "-o",
        dir.path().to_str().unwrap(),
    ]);
    assert!(output.status.success());
    let stdout_render = run(&["render", "specs/minimal.yaml"]).stdout;
    let documents = String::from_utf8(stdout_render)
        .unwrap()
        .matches("---\n")
        .count();
    let files = snapshot_dir(dir.path());
    let yaml_files: Vec<_> = files
        .iter()
        .filter(|(path, _)| path.extension().is_some_and(|e| e == "yaml"))
        // Slipway's ownership manifest records what it wrote; it is not an object.
        .filter(|(path, _)| !path.components().any(|c| c.as_os_str() == ".slipway"))
        .collect();
    assert_eq!(yaml_files.len(), documents);
    for (path, bytes) in yaml_files {
        let text = String::from_utf8(bytes.clone()).unwrap();
        let value: serde_json::Value = slipway_core::yaml::from_str(&text)
            .unwrap_or_else(|e| panic!("{}: {e:?}", path.display()));
        assert!(value.get("kind").is_some(), "{}", path.display());
    }
    // No temporary files are left behind.
    assert!(
        files
            .keys()
            .all(|p| !p.to_string_lossy().contains("slipway-tmp"))
    );
}

#[test]
fn a_dash_reads_the_spec_from_stdin() {
    let text = fs::read(root().join("specs/minimal.yaml")).unwrap();
    let mut child = slipway()
        .args(["render", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), &text).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    assert_eq!(output.stdout, run(&["render", "specs/minimal.yaml"]).stdout);
}

/// `replicas: 1` under an HPA with `minReplicas: 5` renders (exit 0) with a located warning
/// that the field is ignored.
#[test]
fn replicas_below_the_hpa_minimum_render_with_a_located_warning() {
    let text = [
        "apiVersion: slipway.dev/v1alpha1",
        "kind: AIApplication",
        "metadata:",
        "  name: demo",
        "spec:",
        "  model:",
        "    existingVersions: [\"1\"]",
        "    source:",
        "      pvc: {claimName: models, accessMode: ReadOnlyMany, create: false}",
        "  inference:",
        "    replicas: 1",
        "  scaling:",
        "    hpa: {minReplicas: 5, maxReplicas: 10, cpuUtilization: 70}",
    ]
    .join("\n");
    let mut child = slipway()
        .args(["validate", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), text.as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("warning[replicas-ignored]"), "{stderr}");
    assert!(stderr.contains("<stdin>:11:5"), "{stderr}");
    assert!(stderr.contains("minReplicas (5)"), "{stderr}");
}

#[test]
fn every_example_spec_validates_against_the_printed_schema() {
    let output = run(&["schema"]);
    assert!(output.status.success());
    let schema: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    for spec in specs("specs") {
        let template = fs::read_to_string(root().join(&spec)).unwrap();
        // Specs may be templates: the schema applies to what they render to.
        let text = slipway_core::template::render(
            &spec,
            &template,
            &Default::default(),
            BTreeMap::<String, String>::new(),
        )
        .unwrap()
        .text;
        let document: serde_json::Value = slipway_core::yaml::from_str(&text).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&document)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{spec}: {errors:?}");
    }
}

#[test]
fn init_writes_a_starter_that_renders_and_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let init = || {
        Command::new(env!("CARGO_BIN_EXE_slipway"))
            .args(["init", "fraud-detector"])
            .current_dir(dir.path())
            .output()
            .unwrap()
    };
    assert!(init().status.success());
    let written = dir.path().join("fraud-detector.yaml");
    let render = run(&["render", written.to_str().unwrap()]);
    assert!(
        render.status.success(),
        "{}",
        String::from_utf8_lossy(&render.stderr)
    );
    fs::write(&written, "# edited by hand\n").unwrap();
    let again = init();
    assert_eq!(again.status.code(), Some(1));
    assert_eq!(fs::read_to_string(&written).unwrap(), "# edited by hand\n");
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(run(&["render"]).status.code(), Some(2));
    assert_eq!(run(&["frobnicate"]).status.code(), Some(2));
}

#[test]
fn a_missing_file_exits_1_with_its_name() {
    let output = run(&["render", "specs/does-not-exist.yaml"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("specs/does-not-exist.yaml"));
}

/// Each command's help describes only the options it has: `-o`/`--output` belongs to `render`
/// and `diff`, not to `validate` (whose `--env` once explained `render -o`).
#[test]
fn help_mentions_an_output_directory_only_where_there_is_one() {
    let help = |command: &str| {
        let output = run(&[command, "--help"]);
        assert_eq!(output.status.code(), Some(0), "{command}");
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let validate = help("validate");
    assert!(!validate.contains("-o"), "{validate}");
    for command in ["render", "diff"] {
        assert!(help(command).contains("-o, --output <DIR>"), "{command}");
    }
}

#[test]
fn validate_reports_diagnostics_like_rustc() {
    assert_cmd_snapshot!(slipway().args(["validate", "specs/invalid/requests-above-limits.yaml"]));
}

#[test]
fn values_for_a_spec_that_is_not_a_template_are_an_error() {
    let output = run(&[
        "render",
        "specs/minimal.yaml",
        "--set",
        "inference.replicas=3",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("error[values-without-template]")
            && stderr.contains("--> specs/minimal.yaml:1:1"),
        "{stderr}"
    );
    assert!(output.stdout.is_empty(), "nothing is rendered");
    // Without values the same spec renders.
    assert!(run(&["render", "specs/minimal.yaml"]).status.success());
}

#[test]
fn diff_shows_a_dashboard_threshold_change_as_json_fields() {
    let output = run(&[
        "diff",
        "specs/seed-article.yaml",
        "-f",
        "specs/values/seed-article.yaml",
        "--env",
        "staging",
        "--against-env",
        "prod",
    ]);
    assert_eq!(output.status.code(), Some(1), "the environments differ");
    let stdout = String::from_utf8(output.stdout).unwrap();
    let dashboard: Vec<&str> = stdout
        .lines()
        .skip_while(|line| !line.starts_with("~ ConfigMap") || !line.contains("dashboard"))
        .skip(1)
        .take_while(|line| line.starts_with("    "))
        .collect();
    assert!(!dashboard.is_empty(), "{stdout}");
    assert!(
        dashboard.len() <= 4,
        "a few JSON fields, not the whole file:\n{stdout}"
    );
    assert!(
        dashboard
            .iter()
            .all(|line| line.contains(".thresholds.steps[1].value: ") && !line.contains("{\\\"")),
        "{stdout}"
    );
}

#[test]
fn init_links_the_schema_for_editors_and_the_schema_has_an_id() {
    let init = run(&["init", "demo", "--stdout"]);
    assert!(init.status.success());
    let text = String::from_utf8(init.stdout).unwrap();
    let schema: serde_json::Value =
        serde_json::from_slice(&run(&["schema"]).stdout).expect("the schema is JSON");
    let id = schema["$id"].as_str().expect("the schema has an $id");
    assert_eq!(
        text.lines().next(),
        Some(format!("# yaml-language-server: $schema={id}").as_str())
    );
}

#[test]
fn env_needs_no_values_file_when_the_spec_is_not_a_template() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("app.yaml");
    fs::write(
        &spec,
        "apiVersion: slipway.dev/v1alpha1\nkind: AIApplication\nmetadata:\n  name: ranker\n  namespace: search\nspec:\n  model:\n    existingVersions: [\"1\"]\n    source:\n      pvc: {claimName: models, accessMode: ReadOnlyMany, create: false}\n  gitops:\n    repoURL: https://github.com/example/deploy.git\n    environments:\n      prod:\n        namespace: search-live\n",
    )
    .unwrap();
    assert!(!dir.path().join("environments").exists());
    let output = run(&["render", spec.to_str().unwrap(), "--env", "prod"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("namespace: search-live"),
        "the environment still picks its destination"
    );
    // An environment file beside a spec that is not a template is still rejected as unused.
    fs::create_dir(dir.path().join("environments")).unwrap();
    fs::write(dir.path().join("environments/prod.yaml"), "replicas: 3\n").unwrap();
    let output = run(&["render", spec.to_str().unwrap(), "--env", "prod"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("values-without-template"));
}

#[test]
fn a_namespace_that_names_its_environment_is_not_suffixed_twice() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("app.yaml");
    fs::write(
        &spec,
        "apiVersion: slipway.dev/v1alpha1\nkind: AIApplication\nmetadata:\n  name: tpl-app\n  namespace: {{ values.name }}-{{ env }}\nspec:\n  model:\n    existingVersions: [\"1\"]\n    source:\n      pvc: {claimName: models, accessMode: ReadOnlyMany, create: false}\n",
    )
    .unwrap();
    fs::create_dir(dir.path().join("environments")).unwrap();
    fs::write(dir.path().join("environments/qa.yaml"), "name: tpl-app\n").unwrap();
    let output = run(&["render", spec.to_str().unwrap(), "--env", "qa"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("namespace: tpl-app-qa\n"), "{stdout}");
    assert!(!stdout.contains("tpl-app-qa-qa"), "{stdout}");
}
