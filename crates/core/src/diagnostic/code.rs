//! The identity of a diagnostic: a registered [`Code`] with its severity, the stage that
//! reports it and its documentation (What it does / Why it matters / Example / Use instead).

use std::fmt;

use crate::diagnostic::Severity;

/// The pipeline stage that reports a code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Stage {
    /// minijinja rendering of the spec template.
    Template,
    /// YAML syntax, the JSON Schema and the typed read.
    Load,
    /// The semantic rules over the spec.
    Spec,
    /// The rules over the compiled bundle: cross-object and system rules.
    Bundle,
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Template => "template",
            Self::Load => "load",
            Self::Spec => "spec",
            Self::Bundle => "bundle",
        })
    }
}

/// One registered diagnostic code (see [`codes`](crate::diagnostic::codes) for all of them).
#[derive(Debug, PartialEq, Eq)]
pub struct Code {
    /// Stable id, e.g. `quantity-syntax`.
    pub id: &'static str,
    /// Whether it stops compilation.
    pub severity: Severity,
    /// The stage that reports it.
    pub stage: Stage,
    /// What the rule checks.
    pub what: &'static str,
    /// Why a mistake it catches matters once deployed.
    pub why: &'static str,
    /// A spec fragment it rejects or warns about.
    pub example: &'static str,
    /// What to write instead.
    pub instead: &'static str,
}

impl Code {
    /// The documentation as Markdown: a heading and the four sections.
    pub fn docs(&self) -> String {
        format!(
            "## {} ({}, {} stage)\n\n### What it does\n{}\n\n### Why it matters\n{}\n\n### Example\n{}\n\n### Use instead\n{}\n",
            self.id, self.severity, self.stage, self.what, self.why, self.example, self.instead
        )
    }
}

/// The rule list as a Markdown table: id, severity, stage and what each checks (`docs/rules.md`
/// list and `slipway rules` are this table).
pub fn table(codes: &[&Code]) -> String {
    let mut out =
        String::from("| id | severity | stage | what it checks |\n| --- | --- | --- | --- |\n");
    for code in codes {
        out.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            code.id,
            code.severity,
            code.stage,
            code.what.replace('|', "\\|")
        ));
    }
    out
}
