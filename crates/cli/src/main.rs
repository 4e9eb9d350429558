//! `slipway`: render an AI-application spec into Kubernetes YAML, a directory of files, or a
//! GitOps repository tree; check a tree for drift; diff two renders.

mod graph;
mod init;
mod output;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use slipway_core::compile::Scope;
use slipway_core::diagnostic;
use slipway_core::k8s::name::is_dns1123_label;
use slipway_core::render::{diff, tree};
use slipway_core::template::{self, Partials};
use slipway_core::{Compiled, Pipeline, render, spec};

/// Compile one typed AI-application spec into validated Kubernetes YAML.
///
/// Exit codes: 0 success, 1 invalid input (the spec, or a file that cannot be read or
/// written) or, with `--check` and `diff`, differences found; 2 usage error.
#[derive(Debug, Parser)]
#[command(name = "slipway", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Where template values come from, in merge order (later wins).
#[derive(Debug, Clone, Args)]
struct ValueArgs {
    /// A values file (YAML mapping), exposed to the spec template as `values.*`.
    /// Repeatable; files are deep-merged in order (mappings merge, anything else is replaced).
    #[arg(short = 'f', long = "values", value_name = "FILE")]
    values: Vec<PathBuf>,
    /// The environment: merges `environments/NAME.yaml` beside the spec after the -f files
    /// and before --set, sets the template variable `env`, and compiles the spec for the
    /// environment's namespace with its Argo CD objects.
    #[arg(long, value_name = "NAME")]
    env: Option<String>,
    /// Set one template value, typed like a YAML scalar (`3` integer, `"3"` string, `true`
    /// boolean): `--set replicas=3` is `{{ values.replicas }}` in the spec template. Values
    /// for a spec that is not a template are an error. Repeatable; applied after the files.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    set: Vec<String>,
    /// Set one value as a string whatever it looks like (commit SHAs): applied after --set.
    #[arg(long = "set-string", value_name = "KEY=VALUE")]
    set_string: Vec<String>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Render a spec to multi-document YAML on stdout, or into a directory with -o.
    Render {
        /// The spec file (`-` reads standard input); it may be a minijinja template.
        spec: PathBuf,
        #[command(flatten)]
        values: ValueArgs,
        /// Write into this directory instead of stdout: one file per object, or with --env the
        /// GitOps layout `DIR/NAME/<namespace>/<app>/`. Writes are atomic; files slipway wrote before and no longer produces
        /// are removed; files it did not write are never touched. An invalid spec writes
        /// nothing.
        #[arg(short = 'o', long = "output", value_name = "DIR")]
        output: Option<PathBuf>,
        /// Write nothing: list the files that would be added (+), changed (~) or removed (-)
        /// and exit 1 if there is any.
        #[arg(long, requires = "output")]
        check: bool,
    },
    /// Check a spec and print every diagnostic; exit 1 if any is an error.
    Validate {
        /// The spec file (`-` reads standard input).
        spec: PathBuf,
        #[command(flatten)]
        values: ValueArgs,
    },
    /// Object-level differences between two renders: environment --env against
    /// --against-env, or the tree on disk (-o) against a new render. Exit 1 if any.
    #[command(group(clap::ArgGroup::new("against").required(true).args(["against_env", "output"])))]
    Diff {
        /// The spec file.
        spec: PathBuf,
        #[command(flatten)]
        values: ValueArgs,
        /// Compare the render for --env (old) with the render for this environment (new).
        #[arg(long, value_name = "NAME")]
        against_env: Option<String>,
        /// Compare the tree slipway wrote into this directory (old) with a new render (new).
        #[arg(short = 'o', long = "output", value_name = "DIR")]
        output: Option<PathBuf>,
    },
    /// Draw the relations model of a render (who selects, scales, guards, routes, mounts,
    /// writes or reads the model, scrapes, binds, syncs what) as JSON, Graphviz DOT, Mermaid,
    /// SVG or one self-contained HTML page; the format comes from the extension of -o or
    /// --format. A spec whose bundle checks fail is still drawn, its diagnostics marked on
    /// the nodes, and the exit code is 1.
    Graph {
        /// The spec file (`-` reads standard input).
        spec: PathBuf,
        #[command(flatten)]
        values: ValueArgs,
        /// The file to write (atomically): `*.json`, `*.dot`, `*.mmd`, `*.svg` or `*.html`.
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: PathBuf,
        /// The format, when the extension does not say: json, dot, mmd, svg, html.
        #[arg(long, value_name = "FORMAT")]
        format: Option<String>,
    },
    /// Print the JSON Schema of the spec (for editors and CI).
    Schema,
    /// List every rule (diagnostic id) with its severity and stage, or print one rule's
    /// documentation: what it checks, why it matters, an example and what to write instead.
    Rules {
        /// The rule id, e.g. `hpa-vpa-conflict`.
        id: Option<String>,
    },
    /// Write a commented starter spec to NAME.yaml (or stdout with --stdout).
    Init {
        /// Application name (a DNS-1035 label).
        #[arg(default_value = "my-model")]
        name: String,
        /// Print the spec instead of writing NAME.yaml.
        #[arg(long)]
        stdout: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(1)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Render {
            spec,
            values,
            output,
            check,
        } => {
            let env = values.env.as_deref();
            // Standard output gets the objects; a directory every file.
            let scope = match output {
                None => Scope::Objects,
                Some(_) => Scope::Full,
            };
            let Some(Compiled { loaded, bundle, .. }) = compiled(&spec, &values, env, scope)?
            else {
                return Ok(ExitCode::from(1));
            };
            let Some(dir) = output else {
                stdout(&render::to_yaml(&bundle))?;
                // The process ends here: handing the bundle's thousands of allocations back
                // one by one would only delay the exit (a sixth of the seed's compile time).
                std::mem::forget(bundle);
                return Ok(ExitCode::SUCCESS);
            };
            let files = tree::layout(&bundle, &loaded.spec, env);
            let manifest = tree::manifest_path(&loaded.spec.metadata.name, env);
            let plan = output::apply_tree(&dir, &files, &manifest, check)?;
            if check {
                stdout(&plan.summary())?;
                if plan.is_empty() {
                    eprintln!("{} is up to date ({} files)", dir.display(), plan.unchanged);
                    return Ok(ExitCode::SUCCESS);
                }
                eprintln!(
                    "{}: {} files would change; run without --check to write them",
                    dir.display(),
                    plan.steps.len()
                );
                return Ok(ExitCode::from(1));
            }
            eprint!("{}", plan.summary());
            let count = |action| plan.steps.iter().filter(|s| s.action == action).count();
            eprintln!(
                "{}: {} added, {} changed, {} removed, {} unchanged",
                dir.display(),
                count(tree::Action::Add),
                count(tree::Action::Change),
                count(tree::Action::Remove),
                plan.unchanged
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Validate { spec, values } => {
            let env = values.env.as_deref();
            let Some(Compiled { loaded, .. }) = compiled(&spec, &values, env, Scope::Objects)?
            else {
                return Ok(ExitCode::from(1));
            };
            eprintln!(
                "{}: valid AIApplication `{}`",
                loaded.file, loaded.spec.metadata.name
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Diff {
            spec,
            values,
            against_env,
            output,
        } => {
            let env = values.env.as_deref();
            let Some(Compiled { loaded, bundle, .. }) = compiled(&spec, &values, env, Scope::Full)?
            else {
                return Ok(ExitCode::from(1));
            };
            let new_files = tree::layout(&bundle, &loaded.spec, env);
            let (old, new) = if let Some(other_env) = against_env.as_deref() {
                let Some(other) = compiled(&spec, &values, Some(other_env), Scope::Full)? else {
                    return Ok(ExitCode::from(1));
                };
                let other_files = tree::layout(&other.bundle, &other.loaded.spec, Some(other_env));
                // Each environment has its own namespaces and names: read this one's as the
                // other's so that objects pair up and only real differences remain.
                let mine = objects(&new_files)?;
                let mine = match env {
                    Some(env) => diff::rename_environment(&mine, env, other_env),
                    None => mine,
                };
                (mine, objects(&other_files)?)
            } else {
                let dir = output.expect("clap requires --against-env or -o");
                let manifest_path = tree::manifest_path(&loaded.spec.metadata.name, env);
                let previous = std::fs::read_to_string(dir.join(&manifest_path))
                    .ok()
                    .and_then(|text| tree::Manifest::parse(&text).ok());
                let paths = match &previous {
                    Some(manifest) => manifest.files.keys().cloned().collect(),
                    None => new_files.keys().cloned().collect::<Vec<_>>(),
                };
                let on_disk = output::read_tree(&dir, paths)?;
                (objects(&on_disk)?, objects(&new_files)?)
            };
            let diffs = diff::diff(&old, &new);
            stdout(&diff::format(&diffs))?;
            Ok(if diffs.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Command::Graph {
            spec,
            values,
            output,
            format,
        } => graph::run(&spec, &values, &output, format.as_deref()),
        Command::Schema => {
            let schema = serde_json::to_string_pretty(spec::json_schema_value())?;
            stdout(&format!("{schema}\n"))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Rules { id: None } => {
            stdout(&diagnostic::table(&slipway_core::validate::registry()))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Rules { id: Some(id) } => {
            let code = slipway_core::validate::code(&id)
                .with_context(|| format!("no rule `{id}`; `slipway rules` lists them all"))?;
            stdout(&code.docs())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Init { name, stdout } => init::run(&name, stdout),
    }
}

/// The Kubernetes objects of a set of rendered files.
fn objects(
    files: &std::collections::BTreeMap<String, String>,
) -> anyhow::Result<Vec<serde_json::Value>> {
    tree::objects_in_files(files)
        .map_err(|(path, error)| anyhow::anyhow!("{path}: not valid YAML: {}", error.message))
}

/// Partials (`{% include "name" %}`) are files relative to the spec's directory; absolute
/// paths and `..` are refused so a template cannot read outside it.
struct FilePartials {
    root: PathBuf,
}

impl Partials for FilePartials {
    fn partial(&self, name: &str) -> Option<String> {
        let relative = Path::new(name);
        let safe = relative
            .components()
            .all(|c| matches!(c, std::path::Component::Normal(_)));
        if !safe {
            return None;
        }
        std::fs::read_to_string(self.root.join(relative)).ok()
    }
}

/// The merged template values: -f files, then the environment's file, then --set and
/// --set-string. A spec that is not a template needs no environment file (`--env` still
/// picks its destination); one that is there is read, and rejected as unused values.
fn merged_values(
    spec_dir: &Path,
    args: &ValueArgs,
    env: Option<&str>,
    templated: bool,
) -> anyhow::Result<serde_json::Value> {
    let mut values = serde_json::Value::Object(Default::default());
    let mut files: Vec<PathBuf> = args.values.clone();
    if let Some(env) = env {
        anyhow::ensure!(
            is_dns1123_label(env),
            "environment `{env}` must be a DNS-1123 label (lowercase letters, digits, '-')"
        );
        let file = spec_dir.join("environments").join(format!("{env}.yaml"));
        if templated || file.exists() {
            files.push(file);
        }
    }
    for file in files {
        let text = std::fs::read_to_string(&file)
            .with_context(|| format!("cannot read values file {}", file.display()))?;
        template::deep_merge(
            &mut values,
            template::values_from_yaml(&file.display().to_string(), &text)?,
        );
    }
    for argument in &args.set {
        let (path, value) = template::parse_set(argument).context("invalid --set")?;
        template::set_path(&mut values, &path, value);
    }
    for argument in &args.set_string {
        let (path, value) = template::parse_set_string(argument).context("invalid --set-string")?;
        template::set_path(&mut values, &path, value);
    }
    Ok(values)
}

/// Reads a spec and its values and runs the pipeline. Diagnostics go to stderr, placed on
/// template lines; `None` means the spec has errors (already reported).
fn compiled(
    path: &Path,
    args: &ValueArgs,
    env: Option<&str>,
    scope: Scope,
) -> anyhow::Result<Option<Compiled>> {
    let (file, text) = read_spec(path)?;
    let spec_dir = match path.parent() {
        Some(dir) if path != Path::new("-") && !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let templated = slipway_core::template::has_template_syntax(&text);
    let values = merged_values(&spec_dir, args, env, templated)?;
    let run = Pipeline::new(&file, &text)
        .values(values)
        .env(env)
        .partials(FilePartials { root: spec_dir })
        .scope(scope)
        .run();
    match run {
        Ok(compiled) => {
            eprint!("{}", compiled.report());
            Ok(Some(compiled))
        }
        Err(failed) => {
            eprint!("{}", failed.render());
            Ok(None)
        }
    }
}

/// Writes `text` to standard output. A reader that closed the pipe early (`slipway render … |
/// head`) is not an error: the output is simply not wanted any more.
pub(crate) fn stdout(text: &str) -> anyhow::Result<()> {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        result => result.context("cannot write to standard output"),
    }
}

fn read_spec(path: &Path) -> anyhow::Result<(String, String)> {
    if path == Path::new("-") {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("cannot read the spec from standard input")?;
        return Ok(("<stdin>".into(), text));
    }
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read spec {}", path.display()))?;
    Ok((path.display().to_string(), text))
}
