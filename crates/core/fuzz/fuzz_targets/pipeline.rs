//! Fuzz target: arbitrary text through every stage of the pipeline, as the CLI runs it.
//!
//! Stages: template (none yet: the text is the spec) → `spec::load_str` → `validate::spec` →
//! `compile` → `render::to_yaml` / `render::to_files`. No input may panic; a stage that
//! rejects the input ends the run for that input. To fuzz the template stage once it exists,
//! replace `template` below by a call to it (values from the second half of the input).
#![no_main]

use libfuzzer_sys::fuzz_target;
use slipway_core::{compile, render, spec, validate};

/// The template stage: today the identity.
fn template(text: &str) -> Option<String> {
    Some(text.to_string())
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
    let yaml = render::to_yaml(&bundle);
    assert_eq!(yaml, render::to_yaml(&compile(&loaded.spec)), "render is deterministic");
    let _ = render::to_files(&bundle);
}

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        pipeline(text);
    }
});
