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

/// What a sync of one rendered commit leaves running, as the switch test models it.
#[derive(Debug, Clone, Default)]
struct Cluster {
    /// Pods per inference Deployment.
    pods: std::collections::BTreeMap<String, i32>,
    /// The Deployment whose pods the main Service selects.
    serving: String,
}

/// The seed rendered as CI renders one commit of the switch: its release state as values.
fn seed_release(state: &str) -> slipway_core::Bundle {
    let file = "specs/seed-article.yaml";
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let template = std::fs::read_to_string(root.join(file)).unwrap();
    let values = template::values_from_yaml("release", state).unwrap();
    run(Pipeline::new(file, &template).values(values)).bundle
}

/// Applies the objects of `bundle` in sync waves `waves` onto `cluster`, as Argo CD does. A
/// Deployment with `replicas` runs that many pods; one without keeps the pods it had, and
/// the HPA targeting it (in the waves applied so far, or before) holds it at `minReplicas` at
/// least.
fn apply(
    cluster: &Cluster,
    bundle: &slipway_core::Bundle,
    waves: std::ops::RangeInclusive<i32>,
    hpa_min: &mut std::collections::BTreeMap<String, i32>,
) -> Cluster {
    use slipway_core::Object;
    let wave = |object: &Object| -> i32 {
        object
            .metadata()
            .annotations
            .as_ref()
            .and_then(|a| a.get("argocd.argoproj.io/sync-wave"))
            .map_or(0, |w| w.parse().unwrap())
    };
    let mut next = cluster.clone();
    let applied: Vec<&Object> = bundle
        .objects
        .iter()
        .filter(|o| waves.contains(&wave(o)))
        .collect();
    for object in &applied {
        if let Object::HorizontalPodAutoscaler(hpa) = object {
            let spec = hpa.spec.as_ref().unwrap();
            hpa_min.clear();
            hpa_min.insert(
                spec.scale_target_ref.name.clone(),
                spec.min_replicas.unwrap_or(1),
            );
        }
    }
    for object in &applied {
        match object {
            Object::Deployment(deployment) => {
                let name = object.name().to_string();
                let before = cluster.pods.get(&name).copied().unwrap_or(0);
                let pods = match deployment.spec.as_ref().unwrap().replicas {
                    Some(replicas) => replicas,
                    None => before.max(hpa_min.get(&name).copied().unwrap_or(0)),
                };
                next.pods.insert(name, pods);
            }
            Object::Service(service) if object.name() == "ai-inference" => {
                let color =
                    &service.spec.as_ref().unwrap().selector.as_ref().unwrap()["slipway.dev/color"];
                next.serving = format!("ai-inference-{color}");
            }
            _ => {}
        }
    }
    next
}

/// Every point of a sequence of commits, wave by wave: (what was applied, the cluster).
fn replay(states: &[&str]) -> Vec<(String, Cluster)> {
    let mut hpa_min = std::collections::BTreeMap::new();
    let first = seed_release(states[0]);
    let mut cluster = apply(&Cluster::default(), &first, -10..=10, &mut hpa_min);
    let mut points = vec![(states[0].to_string(), cluster.clone())];
    for state in &states[1..] {
        let bundle = seed_release(state);
        for (label, waves) in [("workloads", -10..=0), ("traffic", 1..=10)] {
            cluster = apply(&cluster, &bundle, waves, &mut hpa_min);
            points.push((format!("{state} ({label})"), cluster.clone()));
        }
    }
    points
}

/// The two-Deployment blue/green switch as the generated CI makes it (`sections/delivery/ci.rs`:
/// deploy, switch, drain), replayed commit by commit and, inside each commit, sync wave by sync
/// wave (workloads in wave 0, then the Services and the HPA in wave 1): the Deployment the main
/// Service selects never runs fewer pods than `scaling.hpa.minReplicas`, and the old color
/// keeps its pods until the drain commit. The one-commit flip of before (no `switching`) fails
/// the same check: the new color takes traffic with its one idle pod.
#[test]
fn the_blue_green_switch_never_drops_below_min_replicas() {
    let min = seed()
        .loaded
        .spec
        .spec
        .scaling
        .hpa
        .as_ref()
        .unwrap()
        .min_replicas;
    assert_eq!(min, 2);
    let steps = [
        "{active: green, switching: false}",
        // CI's switch commit: flip and raise at once, ordered by sync waves.
        "{active: blue, switching: true}",
        // CI's drain commit, scaleDownDelay later.
        "{active: blue, switching: false}",
    ];
    let points = replay(&steps);
    assert_eq!(points.len(), 5);
    for (step, cluster) in &points {
        let serving = cluster.pods[&cluster.serving];
        assert!(
            serving >= min,
            "{step}: {} serves with {serving} pods, below minReplicas {min}: {cluster:?}",
            cluster.serving
        );
    }
    // The switch itself: blue is at full size before it takes traffic, green keeps its pods.
    let (_, raised) = &points[1];
    assert_eq!(raised.serving, "ai-inference-green");
    assert_eq!(raised.pods["ai-inference-blue"], min);
    let (_, switched) = &points[2];
    assert_eq!(switched.serving, "ai-inference-blue");
    assert_eq!(
        switched.pods["ai-inference-green"], min,
        "the old color drains"
    );
    let (_, drained) = &points[4];
    assert_eq!(
        drained.pods["ai-inference-green"], 1,
        "then drops to idleReplicas"
    );

    // The flip in one commit without `switching` drops to the idle color's single pod.
    let unsafe_flip = replay(&[steps[0], "{active: blue, switching: false}"]);
    let (_, flipped) = unsafe_flip.last().unwrap();
    assert_eq!(flipped.serving, "ai-inference-blue");
    assert!(flipped.pods["ai-inference-blue"] < min);
}
