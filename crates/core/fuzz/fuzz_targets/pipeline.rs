//! Fuzz target: arbitrary text through every stage of the pipeline, as the CLI runs it.
//!
//! Stages: [`slipway_core::Pipeline::run`] (template → load → validate the spec → compile →
//! validate the bundle) → `render::to_yaml` / `render::to_files`. No input may panic; a stage
//! that rejects the input ends the run for that input.
#![no_main]

use libfuzzer_sys::fuzz_target;

use slipway_core::{Pipeline, render};

fn pipeline(text: &str) {
    let compiled = match Pipeline::new("fuzz.yaml", text).run() {
        Ok(compiled) => compiled,
        Err(failed) => {
            // Rendering diagnostics quotes the source: it must not panic either.
            let _ = failed.render();
            return;
        }
    };
    let _ = compiled.report();
    let yaml = render::to_yaml(&compiled.bundle);
    let again = Pipeline::new("fuzz.yaml", text).run().expect("a second run succeeds too");
    assert_eq!(yaml, render::to_yaml(&again.bundle), "render is deterministic");
    let _ = render::to_files(&compiled.bundle);
}

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        pipeline(text);
    }
});
