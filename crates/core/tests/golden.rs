//! Golden snapshots: every spec under `specs/` renders into `golden/`, every invalid spec under
//! `specs/invalid/` snapshots its diagnostics, and the spec's JSON Schema is a golden file.
//! Review changes with `cargo insta review`.

use std::path::Path;

use slipway_core::validate::{self, render_all};
use slipway_core::{compile, render, spec};

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

#[test]
fn every_spec_renders_to_its_golden_yaml() {
    golden("").bind(|| {
        insta::glob!("../../../specs", "*.yaml", |path| {
            let text = std::fs::read_to_string(path).unwrap();
            let file = relative(path);
            let loaded = spec::load_str(&file, &text)
                .unwrap_or_else(|e| panic!("{file} does not load:\n{}", e.render(&text)));
            let diagnostics = validate::spec(&loaded);
            assert!(
                !validate::has_errors(&diagnostics),
                "{file} has errors:\n{}",
                render_all(&diagnostics, Some(&text))
            );
            let bundle = compile(&loaded.spec);
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

#[test]
fn every_invalid_spec_snapshots_its_diagnostics() {
    golden("invalid").bind(|| {
        insta::glob!("../../../specs/invalid", "*.yaml", |path| {
            let text = std::fs::read_to_string(path).unwrap();
            let file = relative(path);
            let report = match spec::load_str(&file, &text) {
                Err(error) => error.render(&text),
                Ok(loaded) => {
                    let diagnostics = validate::spec(&loaded);
                    assert!(
                        validate::has_errors(&diagnostics),
                        "{file} is meant to be invalid but has no error"
                    );
                    render_all(&diagnostics, Some(&text))
                }
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
fn the_spec_schema_is_golden() {
    let schema = serde_json::to_string_pretty(spec::json_schema_value()).unwrap();
    golden("").bind(|| insta::assert_snapshot!("schema", schema));
}

/// Every non-object file of the seed spec (dashboard JSON, `fluent.conf`) is golden on its
/// own, so a change to one shows as a readable diff.
#[test]
fn every_file_of_the_seed_spec_is_golden() {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../specs/seed-article.yaml"),
    )
    .unwrap();
    let loaded = spec::load_str("specs/seed-article.yaml", &text).unwrap();
    let bundle = compile(&loaded.spec);
    assert!(bundle.files.contains_key("logging/fluent.conf"));
    assert!(bundle.files.contains_key("dashboards/ai-inference.json"));
    golden("files").bind(|| {
        for (path, content) in &bundle.files {
            let name = format!("seed-article@{}", path.replace('/', "-"));
            insta::assert_snapshot!(name, content);
        }
    });
}
