//! One problem found in a spec or its output: id, severity, field path, file position,
//! message and help, rendered like rustc's diagnostics.

use std::fmt;

mod code;
mod position;

pub use code::{Code, Stage, table};
pub use position::{Location, PositionIndex, join_index, join_key};

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// The spec cannot be compiled.
    Error,
    /// The spec compiles but carries a risk worth fixing.
    Warning,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Error => "error",
            Self::Warning => "warning",
        })
    }
}

/// Declares diagnostic codes beside the check that reports them: each becomes a `pub const`
/// [`Code`] documented by its `what`, and the module gets `CODES`, the list of them all, which
/// its section (or stage) registers (`validate::registry` gathers every list).
///
/// ```ignore
/// crate::diagnostic::codes! {
///     HPA_BOUNDS {
///         id: "hpa-bounds",
///         severity: Error,
///         stage: Spec,
///         what: "…",
///         why: "…",
///         example: "…",
///         instead: "…",
///     }
/// }
/// ```
macro_rules! codes {
    ($($name:ident {
        id: $id:literal,
        severity: $severity:ident,
        stage: $stage:ident,
        what: $what:literal,
        why: $why:literal,
        example: $example:literal,
        instead: $instead:literal $(,)?
    })*) => {
        $(
            #[doc = concat!("`", $id, "`: ", $what)]
            pub const $name: $crate::diagnostic::Code = $crate::diagnostic::Code {
                id: $id,
                severity: $crate::diagnostic::Severity::$severity,
                stage: $crate::diagnostic::Stage::$stage,
                what: $what,
                why: $why,
                example: $example,
                instead: $instead,
            };
        )*
        /// Every code this module declares.
        pub const CODES: &[&$crate::diagnostic::Code] = &[$(&$name),*];
    };
}
pub(crate) use codes;

/// One problem, tied to a field of the spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The registered code: its stable id (e.g. `quantity-syntax`), severity and documentation.
    pub code: &'static Code,
    /// Error or warning.
    pub severity: Severity,
    /// Dotted field path, e.g. `spec.inference.replicas`.
    pub path: String,
    /// File the spec came from (as given by the caller).
    pub file: String,
    /// Where the field (or its nearest ancestor in the file) stands.
    pub location: Option<Location>,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub help: Option<String>,
}

impl Diagnostic {
    /// A diagnostic of `code` at `path`, with the code's severity; place it with
    /// [`Diagnostic::located`].
    pub fn new(code: &'static Code, path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            code,
            severity: code.severity,
            path: path.into(),
            file: String::new(),
            location: None,
            message: message.into(),
            help: None,
        }
    }

    /// The code's stable id, e.g. `quantity-syntax`.
    pub fn id(&self) -> &'static str {
        self.code.id
    }

    /// Adds a help line.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Places the diagnostic in `file`, at its path's position in `index`.
    pub fn located(mut self, file: &str, index: &PositionIndex) -> Self {
        self.file = file.to_string();
        self.location = index.locate(&self.path);
        self
    }

    /// Whether this is an error.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// `file:line:column`, or the file alone when the position is unknown.
    pub fn position(&self) -> String {
        match self.location {
            Some(location) => format!("{}:{location}", self.file),
            None => self.file.clone(),
        }
    }

    /// Renders the diagnostic like rustc, quoting the line of `source` it points at.
    ///
    /// ```
    /// use slipway_core::diagnostic::{Diagnostic, PositionIndex};
    ///
    /// let source = "spec:\n  inference:\n    replicas: 0\n";
    /// let diagnostic = Diagnostic::new(&slipway_core::sections::scaling::rules::REPLICAS_RANGE, "spec.inference.replicas", "too few")
    ///     .with_help("set `replicas: 1` or more")
    ///     .located("app.yaml", &PositionIndex::new(source));
    /// assert_eq!(diagnostic.position(), "app.yaml:3:5");
    /// let text = diagnostic.render(Some(source));
    /// assert!(text.starts_with("error[replicas-range]: too few\n --> app.yaml:3:5\n"));
    /// assert!(text.contains("3 |     replicas: 0\n"));
    /// ```
    pub fn render(&self, source: Option<&str>) -> String {
        let mut out = format!("{}[{}]: {}\n", self.severity, self.code.id, self.message);
        let line_text = self.location.and_then(|location| {
            source.and_then(|text| text.lines().nth(location.line.saturating_sub(1)))
        });
        let gutter = self
            .location
            .map(|location| location.line.to_string().len())
            .unwrap_or(1);
        let pad = " ".repeat(gutter);
        out.push_str(&format!("{pad}--> {}\n", self.position()));
        if let (Some(location), Some(text)) = (self.location, line_text) {
            out.push_str(&format!("{pad} |\n"));
            out.push_str(&format!("{} | {}\n", location.line, text.trim_end()));
            let caret_pad = " ".repeat(location.column.saturating_sub(1));
            out.push_str(&format!("{pad} | {caret_pad}^ {}\n", self.path_label()));
        } else {
            out.push_str(&format!("{pad} = field: {}\n", self.path_label()));
        }
        if let Some(help) = &self.help {
            out.push_str(&format!("{pad} = help: {help}\n"));
        }
        out
    }

    fn path_label(&self) -> &str {
        if self.path.is_empty() {
            "(document)"
        } else {
            &self.path
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {}[{}] {}: {}",
            self.position(),
            self.severity,
            self.code.id,
            self.path_label(),
            self.message
        )
    }
}

/// Renders diagnostics one after another with a closing count, like rustc.
///
/// ```
/// use slipway_core::diagnostic::{Diagnostic, render_all};
///
/// let diagnostics = [
///     Diagnostic::new(&slipway_core::sections::scaling::rules::HPA_BOUNDS, "spec.x", "wrong"),
///     Diagnostic::new(&slipway_core::sections::app::images::IMAGE_TAG, "spec.y", "risky"),
/// ];
/// assert!(render_all(&diagnostics, None).ends_with("1 error and 1 warning emitted\n"));
/// assert_eq!(render_all(&[], None), "");
/// ```
pub fn render_all(diagnostics: &[Diagnostic], source: Option<&str>) -> String {
    let mut out = String::new();
    for diagnostic in diagnostics {
        out.push_str(&diagnostic.render(source));
        out.push('\n');
    }
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = diagnostics.len() - errors;
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    match (errors, warnings) {
        (0, 0) => {}
        (0, w) => out.push_str(&format!("{} emitted\n", plural(w, "warning"))),
        (e, 0) => out.push_str(&format!("{} emitted\n", plural(e, "error"))),
        (e, w) => out.push_str(&format!(
            "{} and {} emitted\n",
            plural(e, "error"),
            plural(w, "warning")
        )),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_like_rustc_with_the_source_line_and_a_caret() {
        let source = "spec:\n  inference:\n    replicas: -1\n";
        let index = PositionIndex::new(source);
        let diagnostic = Diagnostic::new(
            &crate::sections::scaling::rules::REPLICAS_RANGE,
            "spec.inference.replicas",
            "replicas must be at least 1",
        )
        .with_help("set `replicas: 1` or more")
        .located("app.yaml", &index);
        assert_eq!(
            diagnostic.render(Some(source)),
            "error[replicas-range]: replicas must be at least 1\n \
             --> app.yaml:3:5\n  |\n3 |     replicas: -1\n  |     ^ spec.inference.replicas\n  \
             = help: set `replicas: 1` or more\n"
        );
    }

    #[test]
    fn summary_counts_errors_and_warnings() {
        let diagnostics = [
            Diagnostic::new(&crate::sections::scaling::rules::HPA_BOUNDS, "x", "m"),
            Diagnostic::new(&crate::sections::app::images::IMAGE_TAG, "y", "m"),
            Diagnostic::new(&crate::sections::model::rules::MODEL_FORMAT, "z", "m"),
        ];
        assert!(render_all(&diagnostics, None).ends_with("1 error and 2 warnings emitted\n"));
    }
}
