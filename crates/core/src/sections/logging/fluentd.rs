//! A typed model of Fluentd's configuration file: directives (`<source>`, `<filter>`,
//! `<match>`, `<label>`, `<system>`) holding parameters and nested sections (`<parse>`,
//! `<buffer>`), rendered with two-space indentation. Values are quoted only when Fluentd
//! would misread them bare; environment references render as `"#{ENV['NAME']}"`.

use std::fmt::Write;

/// The top-level directive kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DirectiveKind {
    /// `<source>`: an input.
    Source,
    /// `<filter PATTERN>`: transforms events whose tag matches.
    Filter,
    /// `<match PATTERN>`: an output for events whose tag matches.
    Match,
    /// `<label @NAME>`: a routing group of filters and matches.
    Label,
    /// `<system>`: process-wide settings.
    System,
}

impl DirectiveKind {
    /// The tag name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Source => "source",
            Self::Filter => "filter",
            Self::Match => "match",
            Self::Label => "label",
            Self::System => "system",
        }
    }
}

/// A parameter value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// A literal, quoted when needed.
    Text(String),
    /// An environment variable read when Fluentd starts (`"#{ENV['NAME']}"`).
    Env(String),
}

impl Value {
    fn render(&self) -> String {
        match self {
            Self::Env(name) => format!("\"#{{ENV['{name}']}}\""),
            Self::Text(text) => {
                let bare = !text.is_empty()
                    && text.trim() == text
                    && !text.contains(['#', '"', '\'', '\\', '\n']);
                if bare {
                    text.clone()
                } else {
                    let escaped = text
                        .replace('\\', "\\\\")
                        .replace('"', "\\\"")
                        .replace('#', "\\#")
                        .replace('\n', "\\n");
                    format!("\"{escaped}\"")
                }
            }
        }
    }
}

/// A nested section such as `<parse>`, `<buffer>` or `<log>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// Section name, e.g. `parse`.
    pub name: String,
    /// Argument, e.g. the chunk keys of `<buffer tag, time>`.
    pub arg: Option<String>,
    /// Parameters in order.
    pub params: Vec<(String, Value)>,
    /// Nested sections.
    pub sections: Vec<Section>,
}

impl Section {
    /// An empty section.
    pub fn new(name: &str) -> Self {
        Self {
            name: name.into(),
            arg: None,
            params: Vec::new(),
            sections: Vec::new(),
        }
    }

    /// A section with its `@type`.
    pub fn typed(name: &str, plugin: &str) -> Self {
        Self::new(name).param("@type", plugin)
    }

    /// Adds a literal parameter.
    pub fn param(mut self, name: &str, value: impl ToString) -> Self {
        self.params
            .push((name.into(), Value::Text(value.to_string())));
        self
    }

    /// Adds a nested section.
    pub fn section(mut self, section: Section) -> Self {
        self.sections.push(section);
        self
    }
}

/// A top-level directive (or one inside a `<label>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    /// Which directive.
    pub kind: DirectiveKind,
    /// Tag pattern (filter, match) or label name (label).
    pub arg: Option<String>,
    /// Parameters in order.
    pub params: Vec<(String, Value)>,
    /// Nested sections.
    pub sections: Vec<Section>,
    /// Directives routed through a label (labels only).
    pub directives: Vec<Directive>,
}

impl Directive {
    fn new(kind: DirectiveKind, arg: Option<String>) -> Self {
        Self {
            kind,
            arg,
            params: Vec::new(),
            sections: Vec::new(),
            directives: Vec::new(),
        }
    }

    /// `<source>` with its input plugin.
    pub fn source(plugin: &str) -> Self {
        Self::new(DirectiveKind::Source, None).param("@type", plugin)
    }

    /// `<filter pattern>` with its filter plugin.
    pub fn filter(pattern: &str, plugin: &str) -> Self {
        Self::new(DirectiveKind::Filter, Some(pattern.into())).param("@type", plugin)
    }

    /// `<match pattern>` with its output plugin.
    pub fn match_(pattern: &str, plugin: &str) -> Self {
        Self::new(DirectiveKind::Match, Some(pattern.into())).param("@type", plugin)
    }

    /// `<label @name>` routing `directives` (filters and matches).
    pub fn label(name: &str, directives: Vec<Directive>) -> Self {
        Self {
            directives,
            ..Self::new(DirectiveKind::Label, Some(format!("@{name}")))
        }
    }

    /// `<system>`.
    pub fn system() -> Self {
        Self::new(DirectiveKind::System, None)
    }

    /// Adds a literal parameter.
    pub fn param(mut self, name: &str, value: impl ToString) -> Self {
        self.params
            .push((name.into(), Value::Text(value.to_string())));
        self
    }

    /// Adds a parameter read from an environment variable at start-up.
    pub fn env_param(mut self, name: &str, variable: &str) -> Self {
        self.params.push((name.into(), Value::Env(variable.into())));
        self
    }

    /// Adds a nested section.
    pub fn section(mut self, section: Section) -> Self {
        self.sections.push(section);
        self
    }
}

/// A whole configuration file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Config {
    /// Top-level directives, in order.
    pub directives: Vec<Directive>,
}

impl Config {
    /// The file text: directives separated by a blank line, two-space indentation, a
    /// trailing newline.
    pub fn render(&self) -> String {
        let mut out = String::new();
        render_directives(&mut out, &self.directives, 0);
        out
    }
}

fn render_directives(out: &mut String, directives: &[Directive], depth: usize) {
    for (i, directive) in directives.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        render_directive(out, directive, depth);
    }
}

fn open(out: &mut String, name: &str, arg: Option<&str>, depth: usize) {
    let pad = "  ".repeat(depth);
    match arg {
        Some(arg) => writeln!(out, "{pad}<{name} {arg}>"),
        None => writeln!(out, "{pad}<{name}>"),
    }
    .expect("writing to a String never fails");
}

fn close(out: &mut String, name: &str, depth: usize) {
    writeln!(out, "{}</{name}>", "  ".repeat(depth)).expect("writing to a String never fails");
}

fn render_params(out: &mut String, params: &[(String, Value)], depth: usize) {
    let pad = "  ".repeat(depth);
    for (name, value) in params {
        writeln!(out, "{pad}{name} {}", value.render()).expect("writing to a String never fails");
    }
}

fn render_directive(out: &mut String, directive: &Directive, depth: usize) {
    let name = directive.kind.as_str();
    open(out, name, directive.arg.as_deref(), depth);
    render_params(out, &directive.params, depth + 1);
    for section in &directive.sections {
        render_section(out, section, depth + 1);
    }
    if !directive.directives.is_empty() {
        render_directives(out, &directive.directives, depth + 1);
    }
    close(out, name, depth);
}

fn render_section(out: &mut String, section: &Section, depth: usize) {
    open(out, &section.name, section.arg.as_deref(), depth);
    render_params(out, &section.params, depth + 1);
    for nested in &section.sections {
        render_section(out, nested, depth + 1);
    }
    close(out, &section.name, depth);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(directive: Directive) -> String {
        Config {
            directives: vec![directive],
        }
        .render()
    }

    #[test]
    fn source_with_a_parse_section() {
        let source = Directive::source("tail")
            .param("path", "/var/log/containers/a-*_ns_*.log")
            .param("read_from_head", true)
            .section(Section::typed("parse", "cri"));
        assert_eq!(
            render(source),
            "<source>\n  @type tail\n  path /var/log/containers/a-*_ns_*.log\n  \
             read_from_head true\n  <parse>\n    @type cri\n  </parse>\n</source>\n"
        );
    }

    #[test]
    fn filter_carries_its_pattern() {
        let filter = Directive::filter("kubernetes.**", "kubernetes_metadata");
        assert_eq!(
            render(filter),
            "<filter kubernetes.**>\n  @type kubernetes_metadata\n</filter>\n"
        );
    }

    #[test]
    fn match_with_env_credentials_and_a_buffer() {
        let output = Directive::match_("**", "elasticsearch")
            .env_param("user", "ES_USERNAME")
            .section(Section::typed("buffer", "file").param("flush_interval", "5s"));
        assert_eq!(
            render(output),
            "<match **>\n  @type elasticsearch\n  user \"#{ENV['ES_USERNAME']}\"\n  \
             <buffer>\n    @type file\n    flush_interval 5s\n  </buffer>\n</match>\n"
        );
    }

    #[test]
    fn label_nests_directives_one_level_deeper() {
        let label = Directive::label(
            "APP",
            vec![
                Directive::filter("**", "stdout"),
                Directive::match_("**", "null"),
            ],
        );
        assert_eq!(
            render(label),
            "<label @APP>\n  <filter **>\n    @type stdout\n  </filter>\n\n  \
             <match **>\n    @type null\n  </match>\n</label>\n"
        );
    }

    #[test]
    fn system_with_a_log_section() {
        let system = Directive::system()
            .param("log_level", "info")
            .section(Section::new("log").param("format", "json"));
        assert_eq!(
            render(system),
            "<system>\n  log_level info\n  <log>\n    format json\n  </log>\n</system>\n"
        );
    }

    #[test]
    fn values_are_quoted_only_when_needed() {
        assert_eq!(Value::Text("a b".into()).render(), "a b");
        assert_eq!(Value::Text(String::new()).render(), "\"\"");
        assert_eq!(Value::Text(" x".into()).render(), "\" x\"");
        assert_eq!(Value::Text("a#b".into()).render(), "\"a\\#b\"");
        assert_eq!(
            Value::Text("say \"hi\"".into()).render(),
            "\"say \\\"hi\\\"\""
        );
    }

    #[test]
    fn directives_are_separated_by_a_blank_line() {
        let config = Config {
            directives: vec![Directive::system(), Directive::source("dummy")],
        };
        assert_eq!(
            config.render(),
            "<system>\n</system>\n\n<source>\n  @type dummy\n</source>\n"
        );
    }
}
