//! `slipway`: render an AI-application spec into Kubernetes YAML or a directory of files.

mod init;
mod output;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use slipway_core::validate::{self, render_all};
use slipway_core::{LoadedSpec, compile, render, spec};

/// Compile one typed AI-application spec into validated Kubernetes YAML.
///
/// Exit codes: 0 success, 1 invalid input (the spec, or a file that cannot be read or
/// written), 2 usage error.
#[derive(Debug, Parser)]
#[command(name = "slipway", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Render a spec to multi-document YAML on stdout, or one file per object with -o.
    Render {
        /// The spec file (`-` reads standard input).
        spec: PathBuf,
        /// Write one file per object into this directory instead of stdout. Files are
        /// written to a temporary name and renamed; an invalid spec writes nothing.
        #[arg(short = 'o', long = "output", value_name = "DIR")]
        output: Option<PathBuf>,
    },
    /// Check a spec and print every diagnostic; exit 1 if any is an error.
    Validate {
        /// The spec file (`-` reads standard input).
        spec: PathBuf,
    },
    /// Print the JSON Schema of the spec (for editors and CI).
    Schema,
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
        Command::Render { spec, output } => {
            let Some(loaded) = load_valid(&spec)? else {
                return Ok(ExitCode::from(1));
            };
            let bundle = compile(&loaded.spec);
            if !check_output(&bundle) {
                return Ok(ExitCode::from(1));
            }
            match output {
                None => print!("{}", render::to_yaml(&bundle)),
                Some(dir) => {
                    let files = render::to_files(&bundle);
                    output::write_tree(&dir, &files)?;
                    eprintln!("wrote {} files to {}", files.len(), dir.display());
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Validate { spec } => {
            let Some(loaded) = load_valid(&spec)? else {
                return Ok(ExitCode::from(1));
            };
            if !check_output(&compile(&loaded.spec)) {
                return Ok(ExitCode::from(1));
            }
            eprintln!(
                "{}: valid AIApplication `{}`",
                loaded.file, loaded.spec.metadata.name
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Schema => {
            let schema = serde_json::to_string_pretty(spec::json_schema_value())?;
            println!("{schema}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Init { name, stdout } => init::run(&name, stdout),
    }
}

/// Reads, loads and validates a spec. Diagnostics go to stderr; `None` means the spec has
/// errors (already reported).
fn load_valid(path: &Path) -> anyhow::Result<Option<LoadedSpec>> {
    let (file, text) = read_spec(path)?;
    let loaded = match spec::load_str(&file, &text) {
        Ok(loaded) => loaded,
        Err(error) => {
            eprint!("{}", error.render(&text));
            return Ok(None);
        }
    };
    let diagnostics = validate::spec(&loaded);
    if !diagnostics.is_empty() {
        eprint!("{}", render_all(&diagnostics, Some(&loaded.source)));
    }
    Ok((!validate::has_errors(&diagnostics)).then_some(loaded))
}

/// Checks the compiled output (every PromQL expression parses). Problems go to stderr;
/// `false` means there are errors and nothing may be written.
fn check_output(bundle: &slipway_core::Bundle) -> bool {
    let diagnostics = validate::bundle(bundle);
    if !diagnostics.is_empty() {
        eprint!("{}", render_all(&diagnostics, None));
    }
    !validate::has_errors(&diagnostics)
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
