//! `slipway graph`: the relations model of a render, drawn as JSON, Graphviz, Mermaid, SVG
//! or one self-contained HTML page, written atomically.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use slipway_core::compile::Scope;
use slipway_core::graph::{self, render::Format};
use slipway_core::{Bundle, Diagnostic, Pipeline};

use crate::{FilePartials, ValueArgs, merged_values, read_spec};

/// The format named by `--format`, or by the output file's extension.
pub fn format(output: &Path, named: Option<&str>) -> anyhow::Result<Format> {
    let known = || {
        Format::ALL
            .iter()
            .map(|(_, name, _)| *name)
            .collect::<Vec<_>>()
            .join(", ")
    };
    if let Some(name) = named {
        return Format::from_name(name)
            .with_context(|| format!("unknown format `{name}`; use one of {}", known()));
    }
    let extension = output
        .extension()
        .and_then(|e| e.to_str())
        .with_context(|| {
            format!(
                "{} has no extension to choose the format by; name it *.json, *.dot, *.mmd, *.svg or *.html, or pass --format",
                output.display()
            )
        })?;
    Format::from_name(extension).with_context(|| {
        format!(
            "cannot tell the format of {} from `.{extension}`; use one of {} or pass --format",
            output.display(),
            known()
        )
    })
}

/// Runs `slipway graph`: compiles like `render -o` (every file, the same pipeline), draws
/// what compiled with its diagnostics, writes `output` atomically. Exit 1 when the spec has
/// errors (the picture still shows what compiled and marks them) or nothing compiled.
pub fn run(
    spec: &Path,
    values: &ValueArgs,
    output: &Path,
    format_name: Option<&str>,
) -> anyhow::Result<ExitCode> {
    let format = format(output, format_name)?;
    let env = values.env.as_deref();
    let (file, text) = read_spec(spec)?;
    let spec_dir = match spec.parent() {
        Some(dir) if spec != Path::new("-") && !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let templated = slipway_core::template::has_template_syntax(&text);
    let merged = merged_values(&spec_dir, values, env, templated)?;
    let run = Pipeline::new(&file, &text)
        .values(merged)
        .env(env)
        .partials(FilePartials { root: spec_dir })
        .scope(Scope::Full)
        .run();
    let (bundle, diagnostics, failed): (Bundle, Vec<Diagnostic>, bool) = match run {
        Ok(compiled) => {
            eprint!("{}", compiled.report());
            (compiled.bundle, compiled.diagnostics, false)
        }
        Err(failed) => {
            eprint!("{}", failed.render());
            let Some(bundle) = failed.bundle else {
                eprintln!(
                    "error: the spec did not compile (it stopped at the {:?} stage); nothing to draw, {} not written",
                    failed.stage,
                    output.display()
                );
                return Ok(ExitCode::from(1));
            };
            (*bundle, failed.diagnostics, true)
        }
    };
    let model = graph::of(&bundle, &diagnostics);
    let drawn = graph::render::render(&model, &bundle, format);
    crate::output::write_atomic(output, drawn.as_bytes())
        .with_context(|| format!("cannot write {}", output.display()))?;
    eprintln!(
        "{}: {} nodes, {} edges{}",
        output.display(),
        model.nodes.len(),
        model.edges.len(),
        if failed {
            "; the spec has errors, marked on the graph"
        } else {
            ""
        }
    );
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
