//! The rule registry (`slipway_core::validate::registry`) is complete and documented: every
//! diagnostic that any example or invalid spec produces carries a registered code with the
//! same severity, every code is documented, and the rule list of `docs/rules.md` is generated
//! from it.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use slipway_core::Pipeline;
use slipway_core::diagnostic::{Diagnostic, table};
use slipway_core::validate::registry;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every diagnostic of every spec under `specs/` and `specs/invalid/`, run as the CLI runs
/// them (no values).
fn every_diagnostic() -> Vec<(String, Diagnostic)> {
    let mut found = Vec::new();
    for dir in ["specs", "specs/invalid"] {
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

/// Codes that today only the unit tests beside their checks emit, not yet a spec under
/// `specs/invalid/`: each needs an invalid spec (and its golden snapshot). The list may only
/// shrink: the test below fails when a code is emitted by no fixture and is not listed, and
/// when a listed code gains a fixture.
const AWAITING_A_FIXTURE: &[&str] = &[
    "alert-without-limit",
    "autoscaler-conflict",
    "config-map-too-large",
    "exposure-network-policy",
    "gpu-requests-limits",
    "image-tag",
    "label-syntax",
    "missing-limits",
    "model-format",
    "model-source",
    "object-name",
    "pdb-selector",
    "pod-security",
    "presync-hook-dependencies",
    "probe",
    "probe-paths",
    "probe-timeout",
    "prometheus-address",
    "promql-syntax",
    "rbac-subject-namespace",
    "read-only-root-without-tmp",
    "replicas-ignored",
    "replicas-range",
    "rollout-values",
    "scale-target",
    "selector-mismatch",
    "service-selects-several-workloads",
    "spec-shape",
    "template",
    "template-include",
    "template-syntax",
    "template-undefined",
    "unknown-port",
    "unused-credentials",
    "values-without-template",
    "zero-replicas",
];

#[test]
fn every_registered_code_is_emitted_by_a_fixture() {
    let found = every_diagnostic();
    let emitted: BTreeSet<&str> = found.iter().map(|(_, d)| d.id()).collect();
    let awaiting: BTreeSet<&str> = AWAITING_A_FIXTURE.iter().copied().collect();
    for code in registry() {
        let covered = emitted.contains(code.id);
        assert!(
            covered || awaiting.contains(code.id),
            "`{}` is emitted by no spec under specs/ or specs/invalid/: add an invalid spec",
            code.id
        );
        assert!(
            !(covered && awaiting.contains(code.id)),
            "`{}` now has a fixture: remove it from AWAITING_A_FIXTURE",
            code.id
        );
    }
}
