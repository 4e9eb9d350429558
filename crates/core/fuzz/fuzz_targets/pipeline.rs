//! Fuzz target: arbitrary text through every stage of the pipeline, as the CLI runs it.
//!
//! Stages: `template::render` (minijinja, no values, no partials) → `spec::load_str` →
//! `validate::spec` → `compile` → `validate::bundle` → `render::to_yaml` /
//! `render::to_files`. No input may panic; a stage that rejects the input ends the run for
//! that input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::collections::BTreeMap;

use slipway_core::{compile, render, spec, template, validate};

/// The template stage; its errors are rendered too (they quote the source).
fn template(text: &str) -> Option<String> {
    let no_partials = BTreeMap::<String, String>::new();
    match template::render("fuzz.yaml", text, &template::Context::default(), no_partials) {
        Ok(rendered) => Some(rendered.text),
        Err(error) => {
            let _ = error.render();
            None
        }
    }
}

fn pipeline(text: &str) {
    let Some(text) = template(text) else { return };
    let loaded = match spec::load_str("fuzz.yaml", &text) {
        Ok(loaded) => loaded,
        Err(error) => {
            // Rendering diagnostics quotes the source: it must not panic either.
            let _ = error.render(&text);
            return;
        }
    };
    let diagnostics = validate::spec(&loaded);
    let _ = validate::render_all(&diagnostics, Some(&loaded.source));
    if validate::has_errors(&diagnostics) {
        return;
    }
    let bundle = compile(&loaded.spec);
    let _ = validate::bundle(&bundle);
    let yaml = render::to_yaml(&bundle);
    assert_eq!(yaml, render::to_yaml(&compile(&loaded.spec)), "render is deterministic");
    let _ = render::to_files(&bundle);
}

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        pipeline(text);
    }
});
