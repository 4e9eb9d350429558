//! Object-level differences between two renders: objects added, removed, and for changed
//! ones every changed field with its old and new value.
//!
//! ```text
//! ~ Deployment ai-applications/ai-inference-green
//!     spec.replicas: 2 → 4
//!     spec.template.spec.containers[name=server].image: "ai-model:v1" → "ai-model:v2"
//! + HorizontalPodAutoscaler ai-applications/ai-inference-green
//! - ConfigMap ai-applications/old
//! ```

use std::collections::BTreeMap;
use std::fmt::{self, Write as _};

use serde_json::Value;

use crate::bundle::KIND_ORDER;

/// Identifies an object: kind (in render order), namespace, name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ObjectKey {
    /// Rank of the kind in render order.
    rank: usize,
    /// `kind`.
    pub kind: String,
    /// `metadata.namespace`, empty for cluster-scoped objects.
    pub namespace: String,
    /// `metadata.name`.
    pub name: String,
}

impl ObjectKey {
    /// The key of an object given as JSON.
    pub fn of(object: &Value) -> Self {
        let text = |pointer: &str| {
            object
                .pointer(pointer)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let kind = text("/kind");
        Self {
            rank: KIND_ORDER
                .iter()
                .position(|k| *k == kind)
                .unwrap_or(KIND_ORDER.len()),
            kind,
            namespace: text("/metadata/namespace"),
            name: text("/metadata/name"),
        }
    }
}

impl fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.namespace.is_empty() {
            write!(f, "{} {}", self.kind, self.name)
        } else {
            write!(f, "{} {}/{}", self.kind, self.namespace, self.name)
        }
    }
}

/// One changed field.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldChange {
    /// Field path, e.g. `spec.template.spec.containers[name=server].image` (lists of named
    /// objects are matched by name, other lists by index). Inside a string that holds JSON
    /// (a dashboard ConfigMap), the path goes on into the JSON:
    /// `data["ai.json"].panels[title=Errors].fieldConfig.defaults.max`.
    pub path: String,
    /// Old value; `None` when the field is new.
    pub old: Option<Value>,
    /// New value; `None` when the field is gone.
    pub new: Option<Value>,
    /// For a multi-line text (a `fluent.conf`), the changed lines as a unified diff
    /// (`-`/`+` lines with a line of context) instead of two whole strings.
    pub lines: Option<String>,
}

/// How one object differs.
#[derive(Debug, Clone, PartialEq)]
pub enum ObjectDiff {
    /// Only in the new render.
    Added(ObjectKey),
    /// Only in the old render.
    Removed(ObjectKey),
    /// In both, with these fields changed.
    Changed(ObjectKey, Vec<FieldChange>),
}

/// `objects` (as JSON) with the environment name `from` read as `to` wherever it stands as a
/// word of a string (`ai-applications-staging`, `k8s-manifests/staging/…`, the environment
/// label): the objects of two environments then pair up by kind, namespace and name, and
/// [`diff`] shows what really differs (replicas, limits, images). A value that is exactly the
/// environment's name (an `APP_ENV: staging` variable) is renamed too.
///
/// ```
/// let staging = serde_json::json!({"kind": "Namespace", "metadata": {"name": "ai-staging"}});
/// let renamed = slipway_core::render::diff::rename_environment(&[staging], "staging", "prod");
/// assert_eq!(renamed[0]["metadata"]["name"], "ai-prod");
/// ```
pub fn rename_environment(objects: &[Value], from: &str, to: &str) -> Vec<Value> {
    fn rename(value: &Value, from: &str, to: &str) -> Value {
        match value {
            Value::String(text) => Value::String(rename_words(text, from, to)),
            Value::Array(items) => {
                Value::Array(items.iter().map(|v| rename(v, from, to)).collect())
            }
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), rename(v, from, to)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }
    objects.iter().map(|o| rename(o, from, to)).collect()
}

/// `text` with every occurrence of `from` that is a whole word (not next to a letter or
/// digit) replaced by `to`.
fn rename_words(text: &str, from: &str, to: &str) -> String {
    if from.is_empty() || !text.contains(from) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut previous: Option<char> = None;
    while let Some(at) = rest.find(from) {
        let before = rest[..at].chars().next_back().or(previous);
        let after = rest[at + from.len()..].chars().next();
        let word = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
        out.push_str(&rest[..at]);
        if word(before) || word(after) {
            out.push_str(from);
        } else {
            out.push_str(to);
        }
        previous = from.chars().next_back();
        rest = &rest[at + from.len()..];
    }
    out.push_str(rest);
    out
}

/// The differences from `old` to `new` (objects as JSON), in render order.
pub fn diff(old: &[Value], new: &[Value]) -> Vec<ObjectDiff> {
    let index = |objects: &[Value]| -> BTreeMap<ObjectKey, Value> {
        objects
            .iter()
            .map(|object| (ObjectKey::of(object), object.clone()))
            .collect()
    };
    let (old, new) = (index(old), index(new));
    let mut keys: Vec<&ObjectKey> = old.keys().chain(new.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter_map(|key| match (old.get(key), new.get(key)) {
            (None, Some(_)) => Some(ObjectDiff::Added(key.clone())),
            (Some(_), None) => Some(ObjectDiff::Removed(key.clone())),
            (Some(a), Some(b)) => {
                let mut changes = Vec::new();
                fields(String::new(), Some(a), Some(b), &mut changes);
                (!changes.is_empty()).then(|| ObjectDiff::Changed(key.clone(), changes))
            }
            (None, None) => None,
        })
        .collect()
}

fn fields(path: String, old: Option<&Value>, new: Option<&Value>, out: &mut Vec<FieldChange>) {
    match (old, new) {
        (Some(Value::Object(a)), Some(Value::Object(b))) => {
            let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
            keys.sort();
            keys.dedup();
            for key in keys {
                fields(join(&path, key), a.get(key), b.get(key), out);
            }
        }
        (Some(Value::Array(a)), Some(Value::Array(b))) => {
            if let (Some((key, a)), Some((other, b))) = (by_name(a), by_name(b))
                && key == other
            {
                let mut names: Vec<&str> = a.keys().chain(b.keys()).copied().collect();
                names.sort_unstable();
                names.dedup();
                for name in names {
                    let item = format!("{path}[{key}={name}]");
                    fields(item, a.get(name).copied(), b.get(name).copied(), out);
                }
                return;
            }
            for i in 0..a.len().max(b.len()) {
                fields(format!("{path}[{i}]"), a.get(i), b.get(i), out);
            }
        }
        (Some(Value::String(a)), Some(Value::String(b))) if a != b => {
            if let (Some(a), Some(b)) = (embedded_json(a), embedded_json(b)) {
                fields(path, Some(&a), Some(&b), out);
            } else if a.contains('\n') || b.contains('\n') {
                out.push(FieldChange {
                    path,
                    old: None,
                    new: None,
                    lines: Some(line_diff(a, b)),
                });
            } else {
                out.push(FieldChange {
                    path,
                    old: Some(Value::String(a.clone())),
                    new: Some(Value::String(b.clone())),
                    lines: None,
                });
            }
        }
        (a, b) if a != b => out.push(FieldChange {
            path,
            old: a.cloned(),
            new: b.cloned(),
            lines: None,
        }),
        _ => {}
    }
}

/// A string that holds a JSON object or array (a dashboard in a ConfigMap), parsed.
fn embedded_json(text: &str) -> Option<Value> {
    let start = text.trim_start().as_bytes().first()?;
    if !matches!(start, b'{' | b'[') {
        return None;
    }
    serde_json::from_str(text)
        .ok()
        .filter(|value: &Value| value.is_object() || value.is_array())
}

/// The changed lines of two texts, one line of context around each change.
fn line_diff(old: &str, new: &str) -> String {
    let diff = similar::TextDiff::from_lines(old, new);
    let mut out = String::new();
    for group in diff.grouped_ops(1) {
        for op in group {
            for change in diff.iter_changes(&op) {
                let sign = match change.tag() {
                    similar::ChangeTag::Delete => '-',
                    similar::ChangeTag::Insert => '+',
                    similar::ChangeTag::Equal => ' ',
                };
                let _ = writeln!(out, "{sign} {}", change.value().trim_end_matches('\n'));
            }
        }
    }
    out
}

/// The items of a list of named objects (containers, env, ports, volumes; dashboard panels by
/// title) by name, so a change reads `containers[name=server].image`; `None` unless every
/// item has a unique name.
fn by_name(items: &[Value]) -> Option<(&'static str, BTreeMap<&str, &Value>)> {
    ["name", "title"].into_iter().find_map(|key| {
        let mut named = BTreeMap::new();
        for item in items {
            let name = item.get(key)?.as_str()?;
            if named.insert(name, item).is_some() {
                return None;
            }
        }
        Some((key, named))
    })
}

fn join(path: &str, key: &str) -> String {
    let plain = key
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    match (path.is_empty(), plain) {
        (true, true) => key.to_string(),
        (false, true) => format!("{path}.{key}"),
        (_, false) => format!("{path}[{}]", Value::String(key.to_string())),
    }
}

/// The differences as terminal text, ending with a count; `"no differences\n"` when none.
pub fn format(diffs: &[ObjectDiff]) -> String {
    if diffs.is_empty() {
        return "no differences\n".into();
    }
    let show = |value: &Option<Value>| match value {
        Some(value) => value.to_string(),
        None => "(none)".to_string(),
    };
    let mut out = String::new();
    let (mut added, mut removed, mut changed) = (0, 0, 0);
    for diff in diffs {
        match diff {
            ObjectDiff::Added(key) => {
                added += 1;
                let _ = writeln!(out, "+ {key}");
            }
            ObjectDiff::Removed(key) => {
                removed += 1;
                let _ = writeln!(out, "- {key}");
            }
            ObjectDiff::Changed(key, changes) => {
                changed += 1;
                let _ = writeln!(out, "~ {key}");
                for change in changes {
                    if let Some(lines) = &change.lines {
                        let _ = writeln!(out, "    {}:", change.path);
                        for line in lines.lines() {
                            let _ = writeln!(out, "      {line}");
                        }
                        continue;
                    }
                    let _ = writeln!(
                        out,
                        "    {}: {} → {}",
                        change.path,
                        show(&change.old),
                        show(&change.new)
                    );
                }
            }
        }
    }
    let _ = writeln!(
        out,
        "{} objects differ: {added} added, {removed} removed, {changed} changed",
        diffs.len()
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_names_are_renamed_as_whole_words_only() {
        assert_eq!(
            rename_words("ai-applications-staging", "staging", "prod"),
            "ai-applications-prod"
        );
        assert_eq!(
            rename_words("k8s/staging/x", "staging", "prod"),
            "k8s/prod/x"
        );
        assert_eq!(rename_words("staging", "staging", "prod"), "prod");
        assert_eq!(
            rename_words("stagingarea", "staging", "prod"),
            "stagingarea"
        );
        assert_eq!(
            rename_words("prestaging-staging", "staging", "prod"),
            "prestaging-prod"
        );
    }
    use serde_json::json;

    fn deployment(replicas: i64, image: &str) -> Value {
        json!({"apiVersion": "apps/v1", "kind": "Deployment",
               "metadata": {"name": "web", "namespace": "ns",
                            "annotations": {"argocd.argoproj.io/sync-wave": "0"}},
               "spec": {"replicas": replicas,
                        "template": {"spec": {"containers": [{"name": "c", "image": image}]}}}})
    }

    #[test]
    fn changed_fields_are_listed_with_old_and_new_values() {
        let diffs = diff(&[deployment(2, "a:1")], &[deployment(4, "a:2")]);
        let [ObjectDiff::Changed(key, changes)] = diffs.as_slice() else {
            panic!("{diffs:?}");
        };
        assert_eq!(key.to_string(), "Deployment ns/web");
        let paths: Vec<_> = changes.iter().map(|c| c.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "spec.replicas",
                "spec.template.spec.containers[name=c].image"
            ]
        );
        let text = format(&diffs);
        assert!(
            text.contains("~ Deployment ns/web\n    spec.replicas: 2 → 4\n"),
            "{text}"
        );
        assert!(text.contains("\"a:1\" → \"a:2\""));
    }

    #[test]
    fn added_and_removed_objects_are_signed() {
        let namespace =
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ns"}});
        let diffs = diff(&[namespace], &[deployment(1, "a")]);
        assert_eq!(
            format(&diffs),
            "- Namespace ns\n+ Deployment ns/web\n2 objects differ: 1 added, 1 removed, 0 changed\n"
        );
    }

    #[test]
    fn identical_renders_have_no_differences_and_odd_keys_are_quoted() {
        assert!(diff(&[deployment(1, "a")], &[deployment(1, "a")]).is_empty());
        let mut other = deployment(1, "a");
        other["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"] = json!("1");
        let diffs = diff(&[deployment(1, "a")], &[other]);
        let ObjectDiff::Changed(_, changes) = &diffs[0] else {
            panic!()
        };
        assert_eq!(
            changes[0].path,
            "metadata.annotations[\"argocd.argoproj.io/sync-wave\"]"
        );
        assert_eq!(format(&[]), "no differences\n");
    }

    fn config_map(key: &str, text: &str) -> Value {
        json!({"apiVersion": "v1", "kind": "ConfigMap",
               "metadata": {"name": "c", "namespace": "ns"}, "data": {key: text}})
    }

    #[test]
    fn json_inside_a_string_is_diffed_field_by_field() {
        let dashboard = |max: f64| {
            json!({"title": "d", "panels": [
                {"title": "Errors", "fieldConfig": {"defaults": {"max": max}}},
                {"title": "Latency", "targets": [{"expr": "up"}]}
            ]})
            .to_string()
        };
        let diffs = diff(
            &[config_map("ai.json", &dashboard(0.8))],
            &[config_map("ai.json", &dashboard(0.9))],
        );
        let text = format(&diffs);
        assert_eq!(
            text,
            "~ ConfigMap ns/c\n    data[\"ai.json\"].panels[title=Errors].fieldConfig.defaults.max: 0.8 → 0.9\n1 objects differ: 0 added, 0 removed, 1 changed\n"
        );
    }

    #[test]
    fn multi_line_text_is_diffed_line_by_line() {
        let old = "<source>\n  @type tail\n</source>\n<match **>\n  flush_interval 5s\n</match>\n";
        let new = old.replace("5s", "10s");
        let diffs = diff(
            &[config_map("fluent.conf", old)],
            &[config_map("fluent.conf", &new)],
        );
        let text = format(&diffs);
        assert!(
            text.contains(
                "    data[\"fluent.conf\"]:\n        <match **>\n      -   flush_interval 5s\n      +   flush_interval 10s\n        </match>\n"
            ),
            "{text}"
        );
        assert!(
            !text.contains("@type tail"),
            "only changed lines and context: {text}"
        );
    }
}
