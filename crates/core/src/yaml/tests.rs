//! The reader's guarantees (unique keys, bounded aliases, located errors) and the writer's
//! quoting, each on small inputs. `crates/core/tests/yaml_readback.rs` checks the writer on
//! whole bundles against a YAML 1.1 and a YAML 1.2 reader.

use serde_json::{Value, json};

use crate::yaml::*;

fn read(text: &str) -> Result<Value, YamlError> {
    from_str(text)
}

fn at(line: usize, column: usize) -> Option<Location> {
    Some(Location { line, column })
}

#[test]
fn duplicate_keys_are_errors_at_any_depth() {
    for (text, location) in [
        ("a: 1\na: 2\n", at(2, 1)),
        ("a:\n  b: 1\n  c: 2\n  b: 3\n", at(4, 3)),
        ("list:\n- name: x\n  name: y\n", at(3, 3)),
        ("flow: {x: 1, x: 2}\n", at(1, 14)),
        ("env:\n  A: '1'\n  \"A\": '2'\n", at(3, 3)),
    ] {
        let error = read(text).unwrap_err();
        assert_eq!(error.kind, YamlErrorKind::DuplicateKey, "{text}");
        assert_eq!(error.location, location, "{text}");
        assert!(
            error.message.starts_with("duplicate mapping key"),
            "{error}"
        );
    }
    assert!(documents("a: 1\n---\nb: 1\nb: 2\n").is_err());
}

#[test]
fn anchors_and_aliases_work_within_a_budget() {
    assert_eq!(
        read("base: &b {cpu: 1}\ncopy: *b\n").unwrap(),
        json!({"base": {"cpu": 1}, "copy": {"cpu": 1}})
    );
    assert_eq!(
        read("base: &b {cpu: 1, mem: 2}\nmerged:\n  <<: *b\n  mem: 3\n").unwrap(),
        json!({"base": {"cpu": 1, "mem": 2}, "merged": {"cpu": 1, "mem": 3}})
    );

    let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for level in 1..10 {
        let previous = format!("*a{}", level - 1);
        let items = [previous.as_str(); 10].join(", ");
        bomb.push_str(&format!("a{level}: &a{level} [{items}]\n"));
    }
    let error = read(&bomb).unwrap_err();
    assert_eq!(error.kind, YamlErrorKind::Limit);
    let location = error.location.expect("located");
    assert!((2..=10).contains(&location.line), "{location}");
    assert!(error.help.is_some());
}

#[test]
fn every_load_error_is_located() {
    for text in [
        "a: [1, 2\nb: 3\n",
        "a: b: c\n",
        "a:\n\tb: 1\n",
        "a: *missing\n",
        "a: 1\n---\nb: 2\n",
        "a: .inf\n",
        "\"unterminated\n",
    ] {
        let error = read(text).unwrap_err();
        assert!(error.location.is_some(), "{text:?}: {error:?}");
        assert!(!error.message.contains(" at line "), "{error:?}");
    }
}

#[test]
fn tabs_used_for_indentation_get_a_help_line() {
    let error = read("spec:\n\treplicas: 3\n").unwrap_err();
    assert_eq!(error.kind, YamlErrorKind::Syntax);
    assert_eq!(error.location.map(|l| l.line), Some(2));
    assert!(error.help.unwrap().contains("tabs"));
}

#[test]
fn scalars_read_as_yaml_1_2_core_as_before() {
    assert_eq!(
        read(
            "a: yes\nb: Off\nc: 1_000\nd: 0755\ne: 0x10\nf: 12:30\ng: 2001-12-14\nh: ~\ni: true\n"
        )
        .unwrap(),
        json!({"a": "yes", "b": "Off", "c": "1_000", "d": "0755", "e": 16, "f": "12:30",
               "g": "2001-12-14", "h": null, "i": true})
    );
    assert_eq!(read("").unwrap(), Value::Null);
    assert_eq!(read("# only a comment\n").unwrap(), Value::Null);
    assert_eq!(
        documents("---\na: 1\n---\n---\nb: 2\n").unwrap(),
        [json!({"a": 1}), json!({"b": 2})]
    );
}

/// Strings that some YAML reader would read as something else, written quoted, and a few
/// that no reader mistakes, written plain.
#[test]
fn strings_readers_would_mistype_are_quoted() {
    for text in [
        "",
        "true",
        "False",
        "yes",
        "Y",
        "n",
        "on",
        "Off",
        "null",
        "~",
        "NULL",
        "1",
        "-1",
        "+1",
        "1_000",
        "0x10",
        "0o10",
        "0b1",
        "012",
        ".5",
        "1e3",
        "1.",
        ".inf",
        "-.Inf",
        ".NaN",
        "12:30",
        "1:20:30",
        "2001-12-14",
        "2001-12-14t21:59:43.10-05:00",
        "=",
        "<<",
        "-",
        "- a",
        "? a",
        ": a",
        "#a",
        "&a",
        "*a",
        "!a",
        "|",
        ">",
        "%a",
        "@a",
        "`a",
        "a: b",
        "a #b",
        " a",
        "a ",
        "{a}",
        "[a]",
        ",",
        "'",
        "\"",
    ] {
        let written = to_string(&json!({ "v": text })).unwrap();
        assert!(
            written.starts_with("v: \"") || written.starts_with("v: '"),
            "{text:?} written plain: {written:?}"
        );
        assert_eq!(read(&written).unwrap(), json!({ "v": text }), "{written}");
    }
    for text in [
        "ai-inference",
        "500m",
        "2Gi",
        "v1.0",
        "a b",
        "/models/model.onnx",
    ] {
        assert_eq!(
            to_string(&json!({ "v": text })).unwrap(),
            format!("v: {text}\n")
        );
    }
}

#[test]
fn keys_are_quoted_like_values() {
    let written = to_string(&json!({"on": {"push": 1}, "y": 2, "12:30": 3})).unwrap();
    assert_eq!(written, "\"12:30\": 3\n\"on\":\n  push: 1\n\"y\": 2\n");
}

#[test]
fn multi_line_strings_are_literal_blocks_and_read_back() {
    for text in [
        "a\nb\n",
        "a\nb",
        "a\nb\n\n",
        "  indented\nb\n",
        "tab\tin\nside\n",
    ] {
        let written = to_string(&json!({ "script": text })).unwrap();
        assert_eq!(
            read(&written).unwrap(),
            json!({ "script": text }),
            "{written}"
        );
    }
    assert_eq!(
        to_string(&json!({"script": "echo on\nexit 0\n"})).unwrap(),
        "script: |\n  echo on\n  exit 0\n"
    );
}

#[test]
fn long_strings_stay_on_one_line() {
    let text = "word ".repeat(40).trim_end().to_string();
    assert_eq!(
        to_string(&json!({ "v": text })).unwrap(),
        format!("v: {text}\n")
    );
}
