//! Golden snapshots: every spec under `specs/` renders into `golden/`, every invalid spec under
//! `specs/invalid/` snapshots its diagnostics, every spec under `specs/warnings/` compiles and
//! snapshots its warnings, and the spec's JSON Schema is a golden file.
//! Review changes with `cargo insta review`.

use std::path::Path;

use slipway_core::diagnostic::{Stage, render_all};
use slipway_core::{Compiled, Pipeline, compile, render, spec, template};

/// Settings that put snapshots in `golden/<sub>` with plain names.
fn golden(sub: &str) -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../golden")
            .join(sub),
    );
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings
}

/// The path of a spec relative to the repository root, as users pass it.
fn relative(path: &Path) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let root = root.canonicalize().unwrap();
    path.strip_prefix(&root).unwrap().display().to_string()
}

/// Runs the pipeline as `slipway render` does; a failure fails the test with its report.
fn run(pipeline: Pipeline<'_>) -> Compiled {
    pipeline
        .run()
        .unwrap_or_else(|failed| panic!("{}", failed.render()))
}

/// The seed spec rendered without values.
fn seed() -> Compiled {
    let file = "specs/seed-article.yaml";
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let template = std::fs::read_to_string(root.join(file)).unwrap();
    run(Pipeline::new(file, &template))
}

#[test]
fn every_spec_renders_to_its_golden_yaml() {
    golden("").bind(|| {
        insta::glob!("../../../specs", "*.yaml", |path| {
            let template = std::fs::read_to_string(path).unwrap();
            let file = relative(path);
            // Specs may be templates: every one must render without any value.
            let compiled = run(Pipeline::new(&file, &template));
            let bundle_warnings: Vec<_> = compiled
                .diagnostics
                .iter()
                .filter(|d| d.code.stage == Stage::Bundle)
                .cloned()
                .collect();
            assert!(
                bundle_warnings.is_empty(),
                "{file} compiles to a bundle with problems:\n{}",
                render_all(&bundle_warnings, None)
            );
            let (loaded, bundle) = (compiled.loaded, compiled.bundle);
            let yaml = render::to_yaml(&bundle);
            assert_eq!(
                yaml,
                render::to_yaml(&compile(&loaded.spec)),
                "render is deterministic"
            );
            insta::assert_snapshot!("render", yaml);
        });
    });
}

/// `specs/seed-article.yaml` rendered for each of its environments, with its values file:
/// `slipway render specs/seed-article.yaml -f specs/values/seed-article.yaml --env ENV`.
#[test]
fn the_seed_article_renders_for_each_environment() {
    let specs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../specs");
    let read = |path: &str| std::fs::read_to_string(specs.join(path)).unwrap();
    let source = read("seed-article.yaml");
    for env in ["staging", "prod"] {
        let mut values =
            template::values_from_yaml("values", &read("values/seed-article.yaml")).unwrap();
        let env_file = format!("environments/{env}.yaml");
        template::deep_merge(
            &mut values,
            template::values_from_yaml(&env_file, &read(&env_file)).unwrap(),
        );
        let compiled = run(Pipeline::new("specs/seed-article.yaml", &source)
            .values(values)
            .env(Some(env)));
        let yaml = render::to_yaml(&compiled.bundle);
        golden("").bind(|| insta::assert_snapshot!(format!("render-env@{env}"), yaml));
    }
}

#[test]
fn every_invalid_spec_snapshots_its_diagnostics() {
    golden("invalid").bind(|| {
        insta::glob!("../../../specs/invalid", "*.yaml", |path| {
            let text = std::fs::read_to_string(path).unwrap();
            let file = relative(path);
            let report = match Pipeline::new(&file, &text).run() {
                Err(failed) => failed.render(),
                Ok(compiled) => panic!(
                    "{file} is meant to be invalid but has no error:\n{}",
                    render_all(&compiled.diagnostics, Some(&text))
                ),
            };
            assert!(
                report.contains(&format!("--> {file}:")),
                "{file}: diagnostics must name file:line:column\n{report}"
            );
            insta::assert_snapshot!("diagnostics", report);
        });
    });
}

#[test]
fn every_warning_spec_compiles_and_snapshots_its_warnings() {
    golden("warnings").bind(|| {
        insta::glob!("../../../specs/warnings", "*.yaml", |path| {
            let text = std::fs::read_to_string(path).unwrap();
            let file = relative(path);
            let report = match Pipeline::new(&file, &text).run() {
                Ok(compiled) => compiled.report(),
                Err(failed) => panic!("{file} is meant to compile:\n{}", failed.render()),
            };
            assert!(
                report.contains("warning["),
                "{file} is meant to carry a warning:\n{report}"
            );
            insta::assert_snapshot!("diagnostics", report);
        });
    });
}

#[test]
fn the_spec_schema_is_golden() {
    let schema = serde_json::to_string_pretty(spec::json_schema_value()).unwrap();
    golden("").bind(|| insta::assert_snapshot!("schema", schema));
}

/// The blue/green switch as a reviewer sees it in the GitOps repository: the diff between the
/// seed spec rendered with `green` active and with `blue` active, one unified diff per object
/// file that changed (`render -o DIR` writes one file per object). What runs never changes:
/// only Service selectors (traffic), the Deployments' `replicas` (the old active color drops
/// to `idleReplicas`, the new one is left to the HPA) and the HPA, which moves to the new
/// active color, may appear in it; the unit test in `compile::serving` asserts the same object
/// by object.
#[test]
fn the_blue_green_switch_moves_only_traffic_and_scaling() {
    let file = "specs/seed-article.yaml";
    let green = seed().loaded.spec;
    let mut blue = green.clone();
    let blue_green = blue.spec.rollout.blue_green.as_mut().unwrap();
    assert_eq!(blue_green.active, spec::Color::Green);
    blue_green.active = spec::Color::Blue;
    let (before, after) = (
        render::to_files(&compile(&green)),
        render::to_files(&compile(&blue)),
    );
    let hpa =
        |color: &str| format!("ai-applications-horizontalpodautoscaler-ai-inference-{color}.yaml");
    let only = |a: &std::collections::BTreeMap<String, String>,
                b: &std::collections::BTreeMap<String, String>| {
        a.keys()
            .filter(|k| !b.contains_key(*k))
            .cloned()
            .collect::<Vec<_>>()
    };
    assert_eq!(only(&before, &after), [hpa("green")]);
    assert_eq!(only(&after, &before), [hpa("blue")]);
    let pairs: Vec<(String, String)> = before
        .keys()
        .map(|path| {
            let to = if *path == hpa("green") {
                hpa("blue")
            } else {
                path.clone()
            };
            (path.clone(), to)
        })
        .collect();
    let mut diff = format!(
        "# {file}: rollout.blueGreen.active green -> blue; {} files, {} changed\n",
        before.len(),
        pairs
            .iter()
            .filter(|(from, to)| after[to] != before[from])
            .count()
    );
    for (from, to) in &pairs {
        let (old, new) = (&before[from], &after[to]);
        if old == new {
            continue;
        }
        let one = similar::TextDiff::from_lines(old, new)
            .unified_diff()
            .context_radius(2)
            .header(&format!("green/{from}"), &format!("blue/{to}"))
            .to_string();
        for line in one.lines() {
            let changed = (line.starts_with('-') && !line.starts_with("---"))
                || (line.starts_with('+') && !line.starts_with("+++"));
            let text = line.get(1..).unwrap_or_default().trim();
            let allowed = text.starts_with("slipway.dev/color:")
                || (from.contains("-deployment-") && text.starts_with("replicas:"))
                || (from.contains("-horizontalpodautoscaler-")
                    && text.starts_with("name: ai-inference-"));
            assert!(
                !changed || allowed,
                "{from}: only selectors, replicas and the HPA's target may change:\n{one}"
            );
        }
        diff.push_str(&one);
    }
    golden("").bind(|| insta::assert_snapshot!("bluegreen-switch.diff", diff));
}

/// Every non-object file of the seed spec (dashboard JSON, `fluent.conf`) is golden on its
/// own, so a change to one shows as a readable diff.
#[test]
fn every_file_of_the_seed_spec_is_golden() {
    let bundle = seed().bundle;
    assert!(bundle.files.contains_key("logging/fluent.conf"));
    assert!(bundle.files.contains_key("dashboards/ai-inference.json"));
    golden("files").bind(|| {
        for (path, content) in &bundle.files {
            let name = format!("seed-article@{}", path.replace('/', "-"));
            insta::assert_snapshot!(name, content);
        }
    });
}
