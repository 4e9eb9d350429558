//! The one driver of the pipeline: template text + values → rendered spec → typed spec →
//! semantic rules → bundle → bundle rules. The CLI, the golden tests, the benchmarks and the
//! fuzz target all call [`Pipeline::run`]; each stage's diagnostics come back placed on the
//! lines of the file the user wrote (the template, not its rendering).

use serde_json::Value;

use crate::compile;

use crate::bundle::Bundle;

use crate::diagnostic::Diagnostic;
use crate::diagnostic::Location;
use crate::diagnostic::Stage;
use crate::diagnostic::render_all;
use crate::sections::Scope;
use crate::spec;
use crate::spec::LoadedSpec;
use crate::template;
use crate::template::Context;
use crate::template::Partials;
use crate::template::Rendered;
use crate::validate;

/// One run's input: a spec file's text, the values its template sees, the environment and
/// where partials come from.
///
/// ```
/// let text = "apiVersion: slipway.dev/v1alpha1\nkind: AIApplication\n\
///             metadata: {name: demo}\n\
///             spec: {model: {existingVersions: ['1'], source: {pvc: {claimName: models, create: false}}}}\n";
/// let compiled = slipway_core::Pipeline::new("demo.yaml", text).run().unwrap();
/// assert!(compiled.bundle.find("Deployment", "demo").is_some());
/// assert!(compiled.diagnostics.iter().all(|d| !d.is_error())); // warnings only
///
/// let failed = slipway_core::Pipeline::new("bad.yaml", "kind: [\n").run().unwrap_err();
/// assert_eq!(failed.stage, slipway_core::diagnostic::Stage::Load);
/// assert!(failed.render().contains("--> bad.yaml:"));
/// ```
pub struct Pipeline<'a> {
    file: &'a str,
    text: &'a str,
    context: Context,
    partials: Box<dyn Partials>,
    scope: Scope,
}

/// A spec that went through every stage.
#[derive(Debug)]
pub struct Compiled {
    /// The typed spec (its `source` is the rendered text).
    pub loaded: LoadedSpec,
    /// The compiled, sorted bundle.
    pub bundle: Bundle,
    /// Warnings of every stage, placed on template lines (no errors: those fail the run).
    pub diagnostics: Vec<Diagnostic>,
    /// The rendered template, for quoting diagnostics.
    pub rendered: Rendered,
}

impl Compiled {
    /// The warnings rendered like rustc's, quoting the template; empty when there are none.
    pub fn report(&self) -> String {
        render_all(&self.diagnostics, Some(self.rendered.template()))
    }
}

/// A run that stopped: the stage and every diagnostic it found (errors and warnings), placed
/// on template lines.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{} at the {stage:?} stage", .diagnostics.first().map(Diagnostic::to_string).unwrap_or_default())]
pub struct Failed {
    /// Where the run stopped.
    pub stage: Stage,
    /// Every problem found, at least one of them an error.
    pub diagnostics: Vec<Diagnostic>,
    /// The text the diagnostics point into (the template, or the partial that failed).
    pub text: String,
    /// What compiled when the run stopped at the bundle checks (`slipway graph` draws it,
    /// marking the diagnostics); `None` when it stopped earlier.
    pub bundle: Option<Box<Bundle>>,
}

impl Failed {
    /// The diagnostics rendered like rustc's, quoting the source lines.
    pub fn render(&self) -> String {
        render_all(&self.diagnostics, Some(&self.text))
    }
}

impl<'a> Pipeline<'a> {
    /// A run over `text`, read under the name `file` (a path, or `<stdin>`), with no values,
    /// no environment and no partials.
    pub fn new(file: &'a str, text: &'a str) -> Self {
        Self {
            file,
            text,
            context: Context::default(),
            partials: Box::new(std::collections::BTreeMap::<String, String>::new()),
            scope: Scope::Full,
        }
    }

    /// The merged values the template sees as `values.*`.
    pub fn values(mut self, values: Value) -> Self {
        self.context.values = values;
        self
    }

    /// The environment (`env` in the template; Argo CD objects per environment).
    pub fn env(mut self, env: Option<&str>) -> Self {
        self.context.env = env.map(str::to_string);
        self
    }

    /// Where `{% include %}` finds partials.
    pub fn partials(mut self, partials: impl Partials) -> Self {
        self.partials = Box::new(partials);
        self
    }

    /// How much of the bundle to write ([`Scope::Full`] unless told): `slipway render` to
    /// standard output asks for [`Scope::Objects`], which it prints. Every scope runs every
    /// rule over every object.
    pub fn scope(mut self, scope: Scope) -> Self {
        self.scope = scope;
        self
    }

    /// Runs every stage; stops at the first stage that finds an error.
    pub fn run(self) -> Result<Compiled, Failed> {
        let has_values = match &self.context.values {
            Value::Null => false,
            Value::Object(map) => !map.is_empty(),
            _ => true,
        };
        if has_values && !template::has_template_syntax(self.text) {
            let mut diagnostic = Diagnostic::new(
                &crate::template::VALUES_WITHOUT_TEMPLATE,
                "",
                format!(
                    "values were given (-f, --set or the environment's file), but `{}` is not a template: they would be ignored",
                    self.file
                ),
            )
            .with_help("use them in the spec (`replicas: {{ values.replicas }}`), or drop them; a spec that is not a template is rendered as written");
            diagnostic.file = self.file.to_string();
            diagnostic.location = Some(Location { line: 1, column: 1 });
            return Err(Failed {
                stage: Stage::Template,
                diagnostics: vec![diagnostic],
                text: self.text.to_string(),
                bundle: None,
            });
        }
        let rendered = template::render(self.file, self.text, &self.context, self.partials)
            .map_err(|error| Failed {
                stage: Stage::Template,
                diagnostics: vec![*error.diagnostic],
                text: error.source_text,
                bundle: None,
            })?;
        let fail = |stage, diagnostics: Vec<Diagnostic>| Failed {
            stage,
            diagnostics: diagnostics
                .into_iter()
                .map(|d| rendered.relocate(d))
                .collect(),
            text: rendered.template().to_string(),
            bundle: None,
        };

        let mut loaded = spec::load_str(self.file, &rendered.text)
            .map_err(|error| fail(Stage::Load, error.diagnostics().to_vec()))?;

        let mut diagnostics = validate::spec(&loaded);
        if validate::has_errors(&diagnostics) {
            return Err(fail(Stage::Spec, diagnostics));
        }

        let env = self.context.env.as_deref();
        let bundle = compile::compile_scoped(&loaded.spec, env, self.scope);
        let mut checks: Vec<Diagnostic> = validate::bundle(&bundle)
            .into_iter()
            .map(|mut diagnostic| {
                // Output checks name the object or file they concern; the rest the spec, and
                // those with a spec field path are placed at that field.
                if diagnostic.file.is_empty() {
                    if diagnostic.path.starts_with("metadata")
                        || diagnostic.path.starts_with("spec.")
                    {
                        diagnostic = loaded.locate(diagnostic);
                    } else {
                        diagnostic.file = loaded.file.clone();
                    }
                }
                diagnostic
            })
            .collect();
        // System checks name the spec field that causes the problem: place them on it.
        checks.extend(
            validate::system(&loaded.spec, env, &bundle)
                .into_iter()
                .map(|diagnostic| loaded.locate(diagnostic)),
        );
        if validate::has_errors(&checks) {
            let mut failed = fail(Stage::Bundle, checks);
            failed.bundle = Some(Box::new(bundle));
            return Err(failed);
        }
        diagnostics.extend(checks);
        let diagnostics = diagnostics
            .into_iter()
            .map(|d| rendered.relocate(d))
            .collect();
        // From here on the spec is the one compiled: resolved for its environment.
        loaded.spec = loaded.spec.for_environment(env);
        Ok(Compiled {
            loaded,
            bundle,
            diagnostics,
            rendered,
        })
    }
}
