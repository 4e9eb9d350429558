//! Spec templates: a spec file may use minijinja `{{ }}` / `{% %}` with `values.*` (values
//! files, `--set`, the environment's file) and `env` (the environment name, defined only when
//! one is given). Undefined variables are errors naming the template line; partials come from
//! a caller-provided [`Partials`] source (core reads no files). A spec without template
//! syntax renders byte for byte unchanged.
//!
//! Helm's pitfalls are avoided on purpose: values keep their YAML types (an integer stays an
//! integer, never `3.56e+08`), blocks trim their own line (`trim_blocks`, `lstrip_blocks`),
//! the trailing newline is kept, and the rendered text is then loaded as a typed spec whose
//! diagnostics are mapped back to template lines ([`Rendered::relocate`]).

mod values;

pub use values::{
    ValuesError, deep_merge, from_yaml as values_from_yaml, parse_set, parse_set_string, set_path,
};

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use minijinja::{Environment, ErrorKind, UndefinedBehavior, Value as JinjaValue};
use serde_json::Value;

use crate::diagnostic::Diagnostic;

use crate::diagnostic::Location;

/// Where `{% include "name" %}` finds its text. Implemented by maps of name → text; the CLI
/// implements it over files beside the spec.
pub trait Partials: Send + Sync + 'static {
    /// The text of the partial `name`, if it exists.
    fn partial(&self, name: &str) -> Option<String>;
}

impl Partials for Box<dyn Partials> {
    fn partial(&self, name: &str) -> Option<String> {
        self.as_ref().partial(name)
    }
}

impl Partials for BTreeMap<String, String> {
    fn partial(&self, name: &str) -> Option<String> {
        self.get(name).cloned()
    }
}

/// The template engine's instruction budget for one render. A spec template with loops over
/// a few hundred entries uses well under a tenth of it; a runaway loop (`range(100000)`
/// nested) stops with a `template-fuel` error naming its line instead of running until
/// killed.
pub const FUEL: u64 = 5_000_000;

/// What a template sees.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Context {
    /// `values.*`: the merged values (a mapping).
    pub values: Value,
    /// `env`: the environment name; undefined when `None`.
    pub env: Option<String>,
}

/// A rendered spec: its text, and for each rendered line the template line it came from.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// The rendered YAML text.
    pub text: String,
    /// The template text.
    template: String,
    /// Whether the source had template syntax.
    templated: bool,
    /// Rendered line (0-based) → template line (1-based), computed when a diagnostic first
    /// needs it.
    line_map: OnceLock<Vec<usize>>,
}

impl PartialEq for Rendered {
    fn eq(&self, other: &Self) -> bool {
        (&self.text, &self.template, self.templated)
            == (&other.text, &other.template, other.templated)
    }
}

impl Eq for Rendered {}

impl Rendered {
    /// Whether the template had template syntax (and so may differ from the text).
    pub fn is_templated(&self) -> bool {
        self.templated
    }

    /// The template line (1-based) rendered line `line` (1-based) most likely came from.
    pub fn template_line(&self, line: usize) -> usize {
        match line.checked_sub(1).and_then(|index| {
            self.line_map
                .get_or_init(|| line_map(&self.template, &self.text))
                .get(index)
        }) {
            Some(template_line) => *template_line,
            None => line,
        }
    }

    /// Moves a diagnostic placed in the rendered text onto the template line it came from,
    /// and says what that line rendered to when the two differ. Quote it with
    /// [`Rendered::template`].
    pub fn relocate(&self, mut diagnostic: Diagnostic) -> Diagnostic {
        if !self.is_templated() {
            return diagnostic;
        }
        if let Some(location) = diagnostic.location {
            let template_line = self.template_line(location.line);
            let rendered = self.text.lines().nth(location.line - 1).unwrap_or_default();
            let original = self
                .template
                .lines()
                .nth(template_line - 1)
                .unwrap_or_default();
            diagnostic.location = Some(Location {
                line: template_line,
                column: location.column,
            });
            if rendered != original {
                let note = format!(
                    "template line {template_line} rendered as `{}`",
                    rendered.trim()
                );
                diagnostic.help = Some(match diagnostic.help.take() {
                    Some(help) => format!("{help}\n   = note: {note}"),
                    None => note,
                });
            }
        }
        diagnostic
    }

    /// The template text, for quoting relocated diagnostics.
    pub fn template(&self) -> &str {
        &self.template
    }
}

/// A template that could not be rendered, as a diagnostic pointing into the template (or the
/// partial) that failed.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{}: {}", .diagnostic.position(), .diagnostic.message)]
pub struct TemplateError {
    /// The problem, with file and line.
    pub diagnostic: Box<Diagnostic>,
    /// The text of the template the diagnostic points into.
    pub source_text: String,
}

impl TemplateError {
    /// The error rendered like rustc's diagnostics, quoting the template line.
    pub fn render(&self) -> String {
        self.diagnostic.render(Some(&self.source_text))
    }
}

/// Whether `text` uses template syntax at all.
pub fn has_template_syntax(text: &str) -> bool {
    text.contains("{{") || text.contains("{%") || text.contains("{#")
}

/// Renders the spec template `source` (read under the name `file`) with `context`.
///
/// ```
/// use slipway_core::template::{Context, render};
/// use std::collections::BTreeMap;
/// let context = Context { values: serde_json::json!({"replicas": 356136738}), env: None };
/// let out = render("a.yaml", "replicas: {{ values.replicas }}\n", &context, BTreeMap::new()).unwrap();
/// assert_eq!(out.text, "replicas: 356136738\n");
/// let error = render("a.yaml", "x: 1\ny: {{ values.nope }}\n", &context, BTreeMap::new()).unwrap_err();
/// assert_eq!(error.diagnostic.position(), "a.yaml:2:7");
/// ```
pub fn render(
    file: &str,
    source: &str,
    context: &Context,
    partials: impl Partials,
) -> Result<Rendered, TemplateError> {
    if !has_template_syntax(source) {
        return Ok(Rendered {
            text: source.to_string(),
            template: source.to_string(),
            templated: false,
            line_map: OnceLock::new(),
        });
    }
    let partials: Arc<dyn Partials> = Arc::new(partials);
    let mut environment = Environment::new();
    environment.set_undefined_behavior(UndefinedBehavior::Strict);
    environment.set_syntax(
        minijinja::syntax::SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .keep_trailing_newline(true)
            .build()
            .expect("the default delimiters are valid"),
    );
    environment.add_filter("tojson", tojson);
    environment.set_fuel(Some(FUEL));
    let loader_partials = Arc::clone(&partials);
    environment.set_loader(move |name| Ok(loader_partials.partial(name)));

    let mut globals = BTreeMap::from([(
        "values",
        JinjaValue::from(minijinja::value::Serde(match &context.values {
            Value::Null => Value::Object(Default::default()),
            values => values.clone(),
        })),
    )]);
    if let Some(env) = &context.env {
        globals.insert("env", JinjaValue::from(env.as_str()));
    }
    let text = environment
        .template_from_named_str(file, source)
        .and_then(|template| template.render(&globals))
        .map_err(|error| template_error(file, source, partials.as_ref(), &error))?;
    Ok(Rendered {
        text,
        template: source.to_string(),
        templated: true,
        line_map: OnceLock::new(),
    })
}

/// `{{ value | tojson }}`: the value as JSON, which is also valid inline YAML (quoted strings,
/// flow mappings and lists).
fn tojson(value: &JinjaValue) -> Result<String, minijinja::Error> {
    serde_json::to_string(value).map_err(|error| {
        minijinja::Error::new(ErrorKind::InvalidOperation, "cannot serialise to JSON")
            .with_source(error)
    })
}

fn template_error(
    file: &str,
    source: &str,
    partials: &dyn Partials,
    error: &minijinja::Error,
) -> TemplateError {
    // An error inside an included partial is the source of the error at the include.
    let mut error = error;
    while let Some(inner) = std::error::Error::source(error)
        .and_then(|source| source.downcast_ref::<minijinja::Error>())
    {
        error = inner;
    }
    let name = error.name().unwrap_or(file).to_string();
    let source_text = if name == file {
        source.to_string()
    } else {
        partials.partial(&name).unwrap_or_default()
    };
    let snippet = error
        .range()
        .and_then(|range| source_text.get(range))
        .map(str::trim)
        .filter(|snippet| !snippet.is_empty());
    let (code, message) = match error.kind() {
        ErrorKind::UndefinedError => (
            &TEMPLATE_UNDEFINED,
            match snippet {
                Some(expression) => format!("undefined value `{expression}`"),
                None => "undefined value".to_string(),
            },
        ),
        ErrorKind::SyntaxError => (
            &TEMPLATE_SYNTAX,
            format!(
                "template syntax error: {}",
                error.detail().unwrap_or("invalid syntax")
            ),
        ),
        ErrorKind::OutOfFuel => (
            &TEMPLATE_FUEL,
            format!("the template ran out of fuel ({FUEL} instructions): a loop runs too long"),
        ),
        ErrorKind::TemplateNotFound => (
            &TEMPLATE_INCLUDE,
            format!(
                "partial not found: {}",
                error.detail().unwrap_or("unknown template")
            ),
        ),
        _ => (
            &TEMPLATE,
            match error.detail() {
                Some(detail) => format!("{}: {detail}", error.kind()),
                None => error.kind().to_string(),
            },
        ),
    };
    let location = error.line().map(|line| Location {
        line,
        column: error
            .range()
            .map(|range| {
                let start = range.start.min(source_text.len());
                let line_start = source_text[..start].rfind('\n').map_or(0, |at| at + 1);
                source_text[line_start..start].chars().count() + 1
            })
            .unwrap_or(1),
    });
    // The label under the caret: the undefined expression, or the template construct.
    let label = match (error.kind(), snippet) {
        (ErrorKind::UndefinedError, Some(expression)) => expression.to_string(),
        _ => "(template)".to_string(),
    };
    let mut diagnostic = Diagnostic::new(code, label, message);
    diagnostic.file = name;
    diagnostic.location = location;
    diagnostic.help = Some(match error.kind() {
        ErrorKind::UndefinedError => "define it in a values file, with --set, or give it a default: `{{ values.x | default(1) }}`; `env` is defined only with --env".to_string(),
        ErrorKind::OutOfFuel => "loop over the values you need (`{% for m in values.models %}`), a few hundred entries at most".to_string(),
        _ => "see https://docs.rs/minijinja for the template syntax".to_string(),
    });
    TemplateError {
        diagnostic: Box::new(diagnostic),
        source_text,
    }
}

/// For each rendered line, the template line it came from. Lines both texts share are
/// matched by a longest common subsequence; the rendered lines of a gap between two matches
/// map, in order, onto the template lines of that gap that are not pure `{% %}` / `{# #}`
/// lines (extra rendered lines, e.g. from a loop, map to the last of them).
fn line_map(template: &str, rendered: &str) -> Vec<usize> {
    let old: Vec<&str> = template.lines().collect();
    let new: Vec<&str> = rendered.lines().collect();
    // The lines both texts start and end with match one to one; the quadratic matching only
    // runs on what lies between (and not at all past a size no template reaches).
    let prefix = old.iter().zip(&new).take_while(|(a, b)| a == b).count();
    let suffix = old[prefix..]
        .iter()
        .rev()
        .zip(new[prefix..].iter().rev())
        .take_while(|(a, b)| a == b)
        .count();
    let (old_middle, new_middle) = (
        &old[prefix..old.len() - suffix],
        &new[prefix..new.len() - suffix],
    );
    let middle = if old_middle.len().saturating_mul(new_middle.len()) <= MAX_LCS_CELLS {
        middle_line_map(old_middle, new_middle)
    } else {
        // Proportional: good enough to point near the right place in a huge template.
        (0..new_middle.len())
            .map(|j| j * old_middle.len() / new_middle.len().max(1) + 1)
            .collect()
    };
    (1..=prefix)
        .chain(middle.into_iter().map(|line| line + prefix))
        .chain(old.len() - suffix + 1..=old.len())
        .collect()
}

/// Above this many cells (template lines × rendered lines between the common prefix and
/// suffix), [`line_map`] does not run the longest-common-subsequence table (64 MiB).
const MAX_LCS_CELLS: usize = 16 * 1024 * 1024;

/// [`line_map`] of two texts with no common first or last line.
fn middle_line_map(old: &[&str], new: &[&str]) -> Vec<usize> {
    let (n, m) = (old.len(), new.len());
    // lcs[i][j]: length of the LCS of old[i..] and new[j..].
    let mut lcs = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if old[i] == new[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let mut anchors = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < n && j < m {
        if old[i] == new[j] {
            anchors.push((i, j));
            i += 1;
            j += 1;
        } else if lcs[i + 1][j] >= lcs[i][j + 1] {
            i += 1;
        } else {
            j += 1;
        }
    }
    anchors.push((n, m));
    let is_block = |line: &str| {
        let line = line.trim();
        (line.starts_with("{%") && line.ends_with("%}"))
            || (line.starts_with("{#") && line.ends_with("#}"))
    };
    let mut map = vec![0usize; m];
    let (mut old_from, mut new_from) = (0, 0);
    for (old_at, new_at) in anchors {
        let candidates: Vec<usize> = (old_from..old_at).filter(|&k| !is_block(old[k])).collect();
        for (t, slot) in map[new_from..new_at].iter_mut().enumerate() {
            let line = match candidates.get(t).or(candidates.last()) {
                Some(&k) => k,
                None => old_from.min(n.saturating_sub(1)),
            };
            *slot = line + 1;
        }
        if new_at < m {
            map[new_at] = old_at + 1;
        }
        (old_from, new_from) = (old_at + 1, new_at + 1);
    }
    map
}

crate::diagnostic::codes! {
    TEMPLATE_UNDEFINED {
        id: "template-undefined",
        severity: Error,
        stage: Template,
        what: "The spec template uses a value that is not defined (strict undefined).",
        why: "Rendering an undefined value as an empty string produces a spec that loads with a silently missing field.",
        example: "`replicas: {{ values.replicas }}` with no `replicas` in any values file",
        instead: "define it (`-f values.yaml`, `--set replicas=3`) or give a default: `{{ values.replicas | default(2) }}`",
    }
    TEMPLATE_SYNTAX {
        id: "template-syntax",
        severity: Error,
        stage: Template,
        what: "The spec template is not valid minijinja syntax.",
        why: "Nothing can be rendered from it.",
        example: "`replicas: {{ values.replicas }`",
        instead: "`replicas: {{ values.replicas }}`",
    }
    TEMPLATE_FUEL {
        id: "template-fuel",
        severity: Error,
        stage: Template,
        what: "Stops a template that runs more than `template::FUEL` (5 million) engine instructions, naming the line it was on.",
        why: "A spec is rendered in CI and by every developer: a runaway loop must fail fast with a location, not hang the pipeline until it is killed.",
        example: "`{% for i in range(100000) %}{% for j in range(100000) %}…{% endfor %}{% endfor %}`",
        instead: "loop over the values you need (`{% for m in values.models %}`), a few hundred entries at most",
    }
    VALUES_WITHOUT_TEMPLATE {
        id: "values-without-template",
        severity: Error,
        stage: Template,
        what: "Rejects values (`-f`, `--set`, `--set-string`, the environment's values file) given for a spec that has no template syntax.",
        why: "A spec that is not a template renders as written, so the values would be silently ignored: `--set inference.replicas=3` reads like a Helm override and would change nothing.",
        example: "`slipway render specs/minimal.yaml --set inference.replicas=3`",
        instead: "write the value into the spec, or make the spec a template: `replicas: {{ values.replicas | default(2) }}`",
    }
    TEMPLATE_INCLUDE {
        id: "template-include",
        severity: Error,
        stage: Template,
        what: "`{% include %}` names a partial that does not exist beside the spec (or lies outside its directory).",
        why: "Partials are read relative to the spec's directory only, so a template cannot read arbitrary files.",
        example: "`{% include \"../secrets.yaml\" %}`",
        instead: "`{% include \"partials/probes.yaml\" %}` with the file beside the spec",
    }
    TEMPLATE {
        id: "template",
        severity: Error,
        stage: Template,
        what: "Any other template failure (a filter on the wrong type, a loop over a non-sequence, …).",
        why: "The template cannot be rendered; the message carries minijinja's reason.",
        example: "`{% for x in values.replicas %}` where `replicas` is a number",
        instead: "iterate over a sequence, or fix the value's type",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn line_maps_keep_common_ends_and_stay_bounded() {
        let template = "a\n{% for x in xs %}\n- {{ x }}\n{% endfor %}\nz\n";
        assert_eq!(line_map(template, "a\n- 1\n- 2\nz\n"), [1, 3, 3, 5]);
        assert_eq!(line_map("a\nb\n", "a\nb\n"), [1, 2]);
        // Past the table's size limit, lines map proportionally instead of in minutes.
        let old: String = (0..5000).map(|i| format!("t{i}\n")).collect();
        let new: String = (0..5000).map(|i| format!("r{i}\n")).collect();
        let map = line_map(&old, &new);
        assert_eq!((map.len(), map[0], map[4999]), (5000, 1, 5000));
    }

    fn context(values: Value) -> Context {
        Context { values, env: None }
    }

    fn render_text(source: &str, values: Value) -> String {
        render("spec.yaml", source, &context(values), BTreeMap::new())
            .unwrap()
            .text
    }

    #[test]
    fn text_without_template_syntax_is_unchanged() {
        let source = "a: 1\n\n# comment\nb: [x, y]   \n\n";
        let rendered = render("s.yaml", source, &Context::default(), BTreeMap::new()).unwrap();
        assert_eq!(rendered.text, source);
        assert!(!rendered.is_templated());
    }

    #[test]
    fn integers_stay_integers_and_the_trailing_newline_stays() {
        let out = render_text(
            "id: {{ values.id }}\nratio: {{ values.ratio }}\nbig: {{ values.big }}\n",
            json!({"id": 356136738, "ratio": 0.5, "big": 9007199254740993_i64}),
        );
        assert_eq!(out, "id: 356136738\nratio: 0.5\nbig: 9007199254740993\n");
    }

    #[test]
    fn blocks_do_not_leave_blank_lines_or_indentation() {
        let out = render_text(
            "list:\n  {% for x in values.xs %}\n  - {{ x }}\n  {% endfor %}\nend: 1\n",
            json!({"xs": [1, 2]}),
        );
        assert_eq!(out, "list:\n  - 1\n  - 2\nend: 1\n");
    }

    #[test]
    fn undefined_values_are_errors_naming_the_line() {
        let error = render(
            "spec.yaml",
            "a: 1\nb: 2\nc: {{ values.missing }}\n",
            &Context::default(),
            BTreeMap::new(),
        )
        .unwrap_err();
        let diagnostic = &error.diagnostic;
        assert_eq!(diagnostic.id(), "template-undefined");
        assert_eq!(diagnostic.position(), "spec.yaml:3:7");
        assert!(
            diagnostic.message.contains("values.missing"),
            "{diagnostic:?}"
        );
        assert!(error.render().contains("3 | c: {{ values.missing }}"));
    }

    #[test]
    fn defaults_and_env_work() {
        let source = "n: {{ values.n | default(3) }}\ne: {{ env | default(\"dev\") }}\n";
        assert_eq!(render_text(source, json!({})), "n: 3\ne: dev\n");
        let with_env = Context {
            values: json!({"n": 5}),
            env: Some("prod".into()),
        };
        let out = render("s.yaml", source, &with_env, BTreeMap::new()).unwrap();
        assert_eq!(out.text, "n: 5\ne: prod\n");
    }

    #[test]
    fn partials_are_included_from_the_caller_and_errors_name_them() {
        let partials = BTreeMap::from([
            (
                "res.yaml".to_string(),
                "cpu: {{ values.cpu }}\n".to_string(),
            ),
            (
                "bad.yaml".to_string(),
                "x: 1\ny: {{ values.nope }}\n".to_string(),
            ),
        ]);
        let out = render(
            "s.yaml",
            "r:\n  {% include \"res.yaml\" %}\n",
            &context(json!({"cpu": 2})),
            partials.clone(),
        )
        .unwrap();
        assert_eq!(out.text, "r:\ncpu: 2\n");
        let error = render(
            "s.yaml",
            "{% include \"bad.yaml\" %}",
            &Context::default(),
            partials,
        )
        .unwrap_err();
        assert_eq!(error.diagnostic.file, "bad.yaml");
        assert_eq!(error.diagnostic.location.map(|l| l.line), Some(2));
        let missing = render(
            "s.yaml",
            "{% include \"nope.yaml\" %}",
            &Context::default(),
            BTreeMap::new(),
        )
        .unwrap_err();
        assert_eq!(missing.diagnostic.id(), "template-include");
    }

    #[test]
    fn rendered_lines_map_back_to_template_lines() {
        let source = "a: 1\n{% if true %}\nb: {{ values.b }}\n{% endif %}\nc: 3\n";
        let rendered = render(
            "s.yaml",
            source,
            &context(json!({"b": "x"})),
            BTreeMap::new(),
        )
        .unwrap();
        assert_eq!(rendered.text, "a: 1\nb: x\nc: 3\n");
        assert_eq!(rendered.template_line(1), 1);
        assert_eq!(rendered.template_line(2), 3);
        assert_eq!(rendered.template_line(3), 5);
    }

    #[test]
    fn tojson_quotes_strings() {
        assert_eq!(
            render_text("m: {{ values.m | tojson }}\n", json!({"m": "a: b"})),
            "m: \"a: b\"\n"
        );
    }
}
