//! Every string Slipway writes reaches every reader as that string: adversarial strings (every
//! YAML 1.1 and 1.2 special form) and random ones go through the env values, annotations and
//! labels of a compiled bundle and through mapping keys, and are read back by a YAML 1.2 reader
//! (serde-saphyr, Slipway's own) and a YAML 1.1 reader (PyYAML, resolving scalars as go-yaml v2
//! in kubectl and Argo CD does).
//!
//! The YAML 1.1 half runs `tests/yaml_readback.py` when `python3 -c 'import yaml'` works and
//! prints `SKIP` otherwise; CI installs PyYAML (`pip install pyyaml`) so that it runs there.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use serde_json::Value;
use slipway_core::spec::{AppSpec, ModelSource, VolumeClaim};
use slipway_core::{compile, render, yaml};

/// Every form a YAML 1.1 or 1.2 reader resolves to something other than a string, every
/// indicator a plain scalar cannot start with, and text plain scalars cannot hold.
const ADVERSARIAL: &[&str] = &[
    // Booleans: YAML 1.2 core and YAML 1.1, in every case.
    "true",
    "True",
    "TRUE",
    "false",
    "False",
    "FALSE",
    "yes",
    "Yes",
    "YES",
    "no",
    "No",
    "NO",
    "on",
    "On",
    "ON",
    "off",
    "Off",
    "OFF",
    "y",
    "Y",
    "n",
    "N",
    "tRUE",
    "oN",
    // Null.
    "",
    "null",
    "Null",
    "NULL",
    "~",
    "nULL",
    // Integers in every base, signed, with `_`, and leading zeros (YAML 1.1 octal).
    "0",
    "1",
    "-1",
    "+1",
    "+0",
    "-0",
    "007",
    "0755",
    "0o10",
    "0o7",
    "0x10",
    "0xFF",
    "0XFF",
    "0x_1F",
    "0b1010",
    "0b1_0",
    "1_000",
    "1_000_000",
    "-1_0",
    "+1_0",
    "09",
    "08",
    "9223372036854775808",
    "100000000000000000000",
    // Floats.
    ".5",
    "-.5",
    "+.5",
    "1.",
    "1.0",
    "1.5",
    "1e3",
    "1E3",
    "1e+3",
    "1e-3",
    "-1e3",
    "6.8523015e+5",
    "685.230_15e+03",
    "1_000.5",
    ".inf",
    ".Inf",
    ".INF",
    "-.inf",
    "+.inf",
    ".nan",
    ".NaN",
    ".NAN",
    "1e400",
    // Sexagesimal (YAML 1.1).
    "12:30",
    "1:20:30",
    "-12:30",
    "190:20:30.15",
    "12:30:00",
    // Dates and timestamps.
    "2001-12-14",
    "2001-12-14t21:59:43.10-05:00",
    "2001-12-14 21:59:43.10 -5",
    "2001-12-15T02:59:43.1Z",
    "2002-1-1",
    // YAML 1.1 value and merge keys.
    "=",
    "<<",
    // Leading indicators and special text.
    "-",
    "- a",
    "-a",
    "--",
    "---",
    "...",
    "?",
    "? a",
    "?a",
    ":",
    ": a",
    ":a",
    "::/0",
    "#",
    "# a",
    "#a",
    "&a",
    "*a",
    "!a",
    "!!str",
    "|",
    "|a",
    ">",
    ">a",
    "%a",
    "%YAML",
    "@a",
    "`a",
    "[a]",
    "{a}",
    "a, b",
    ",",
    "'",
    "'a'",
    "\"",
    "\"a\"",
    "a: b",
    "a:b",
    "a #b",
    "a#b",
    "a:",
    "a ",
    " a",
    " ",
    "  ",
    "\t",
    "a\t",
    "\ta",
    // Line breaks and control characters.
    "\n",
    "a\n",
    "a\nb",
    "a\n\nb\n",
    "\na",
    "a\n ",
    "a \nb",
    "\r",
    "a\r\nb",
    "\u{0}",
    "\u{7}",
    "\u{1b}[0m",
    "\u{7f}",
    "\u{85}",
    "a\u{85}b",
    "\u{2028}",
    "a\u{2029}b",
    "\u{feff}a",
    "\u{a0}",
    "\u{fffe}",
    // Unicode.
    "é",
    "日本語",
    "🚀",
    "a\u{301}",
    "ı",
    "\u{200b}",
    // Strings that are strings everywhere, plain.
    "ai-inference",
    "500m",
    "2Gi",
    "v1.0",
    "0.1.0",
    "a b",
    "/models/model.onnx",
    "http://example.com:8080/a?b=c#d",
];

/// A bundle whose labels, annotations and env values carry `strings`, as YAML.
fn bundle_yaml(strings: &[String]) -> String {
    let mut app = AppSpec::new("demo", ModelSource::Pvc(VolumeClaim::new("models")));
    for (index, text) in strings.iter().enumerate() {
        let labels = &mut app.metadata.labels;
        labels.insert(format!("test.slipway.dev/l{index}"), text.clone());
        let annotations = &mut app.metadata.annotations;
        annotations.insert(format!("test.slipway.dev/a{index}"), text.clone());
        app.spec
            .inference
            .env
            .insert(format!("T{index}"), text.clone());
    }
    render::to_yaml(&compile(&app))
}

/// A mapping whose keys are `strings` (each to its first index), as YAML.
fn keys_yaml(strings: &[String]) -> String {
    let mut keys = BTreeMap::new();
    for (index, text) in strings.iter().enumerate() {
        keys.entry(text.clone()).or_insert(index);
    }
    yaml::to_string(&keys).unwrap()
}

/// Every planted value found in `documents`: (index, value read).
fn planted(documents: &[Value]) -> Vec<(usize, Value)> {
    fn walk(node: &Value, out: &mut Vec<(usize, Value)>) {
        match node {
            Value::Object(map) => {
                if let (Some(Value::String(name)), Some(value)) =
                    (map.get("name"), map.get("value"))
                    && let Some(index) = name.strip_prefix('T').and_then(|i| i.parse().ok())
                {
                    out.push((index, value.clone()));
                }
                for (key, value) in map {
                    let index = key
                        .strip_prefix("test.slipway.dev/")
                        .and_then(|rest| rest.strip_prefix(['l', 'a']))
                        .and_then(|i| i.parse().ok());
                    match index {
                        Some(index) => out.push((index, value.clone())),
                        None => walk(value, out),
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|item| walk(item, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    documents
        .iter()
        .for_each(|document| walk(document, &mut out));
    out
}

/// Reads the bundle and the keys back with serde-saphyr (YAML 1.2): every value and key is
/// the string written.
fn check_yaml_1_2(strings: &[String]) -> Result<(), String> {
    let text = bundle_yaml(strings);
    let documents = yaml::documents(&text).map_err(|error| format!("bundle: {error}"))?;
    let found = planted(&documents);
    if found.len() < 3 * strings.len() {
        return Err(format!("only {} planted values found", found.len()));
    }
    for (index, value) in found {
        if value != Value::String(strings[index].clone()) {
            return Err(format!("expected {:?}, read {value}", strings[index]));
        }
    }
    let keys = keys_yaml(strings);
    let back: BTreeMap<String, usize> =
        yaml::from_str(&keys).map_err(|error| format!("keys: {error}\n{keys}"))?;
    for (key, index) in &back {
        if *key != strings[*index] {
            return Err(format!("key: expected {:?}, read {key:?}", strings[*index]));
        }
    }
    Ok(())
}

/// Reads the bundle and the keys back with PyYAML (YAML 1.1); `None` when PyYAML is missing.
fn check_yaml_1_1(strings: &[String]) -> Option<Result<String, String>> {
    let has_pyyaml = Command::new("python3")
        .args(["-c", "import yaml"])
        .output()
        .is_ok_and(|output| output.status.success());
    if !has_pyyaml {
        return None;
    }
    let dir = tempfile_dir();
    let bundle = dir.join("bundle.yaml");
    let keys = dir.join("keys.yaml");
    let expected = dir.join("expected.json");
    std::fs::write(&bundle, bundle_yaml(strings)).unwrap();
    std::fs::write(&keys, keys_yaml(strings)).unwrap();
    std::fs::write(
        &expected,
        serde_json::json!({ "strings": strings }).to_string(),
    )
    .unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/yaml_readback.py");
    let output = Command::new("python3")
        .arg(script)
        .args([&bundle, &keys, &expected])
        .output()
        .expect("python3 runs");
    let _ = std::fs::remove_dir_all(&dir);
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    Some(if output.status.success() {
        Ok(stdout)
    } else {
        Err(format!(
            "{stdout}{}",
            String::from_utf8_lossy(&output.stderr)
        ))
    })
}

/// A fresh directory under the target directory's tmp (no extra dev-dependency).
fn tempfile_dir() -> std::path::PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "yaml-readback-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Random strings weighted towards YAML's special forms: adversarial strings with random
/// prefixes and suffixes, strings of indicator and digit characters, and any Unicode.
fn yamlish() -> impl Strategy<Value = String> {
    let special = prop::sample::select(ADVERSARIAL).prop_map(str::to_string);
    prop_oneof![
        special.clone(),
        (
            prop::sample::select(&["", " ", "-", "#", ":", "0", "'", "\n", "a"][..]),
            special,
            prop::sample::select(&["", " ", ":", "\n", "\n\n", "_0", "e3", " #"][..]),
        )
            .prop_map(|(before, text, after)| format!("{before}{text}{after}")),
        "[-?:#&*!|>%@` ~.,0-9a-fA-FxXoObBeE_+=<\\[\\]{}'\"\n\t]{0,12}",
        any::<String>(),
    ]
}

fn adversarial() -> Vec<String> {
    ADVERSARIAL.iter().map(|text| text.to_string()).collect()
}

/// A deterministic sample of [`yamlish`] strings, for the one PyYAML run.
fn random_sample(count: usize) -> Vec<String> {
    let mut runner = TestRunner::deterministic();
    let strategy = yamlish();
    (0..count)
        .map(|_| strategy.new_tree(&mut runner).unwrap().current())
        .collect()
}

#[test]
fn adversarial_strings_read_back_the_same_in_yaml_1_2() {
    check_yaml_1_2(&adversarial()).unwrap();
}

#[test]
fn adversarial_and_random_strings_read_back_the_same_in_yaml_1_1() {
    let mut strings = adversarial();
    strings.extend(random_sample(1_000));
    match check_yaml_1_1(&strings) {
        None => eprintln!(
            "SKIP: PyYAML is not installed (pip install pyyaml), so the YAML 1.1 read-back \
             did not run"
        ),
        Some(Ok(report)) => assert!(report.starts_with("ok "), "{report}"),
        Some(Err(report)) => panic!("PyYAML read back something else:\n{report}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn random_strings_read_back_the_same_in_yaml_1_2(
        strings in prop::collection::vec(yamlish(), 1..12)
    ) {
        prop_assert_eq!(check_yaml_1_2(&strings), Ok(()));
    }
}
