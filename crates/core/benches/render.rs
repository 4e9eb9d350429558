//! In-process render benchmark: text → load → validate → compile → render, for the
//! seed-article application and for 1,000 generated applications.
//!
//! ```text
//! cargo bench -p slipway-core --bench render
//! ```
//!
//! Targets: under 1 ms per application; 1,000 applications under 1 s.

mod common;

use common::generated;
use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use slipway_core::{Pipeline, compile, load_str, render, validate, yaml};

const SEED: &str = include_str!("../../../specs/seed-article.yaml");

/// The template stage: the spec text with no values and no partials.
fn template(file: &str, text: &str) -> String {
    let no_partials = std::collections::BTreeMap::<String, String>::new();
    slipway_core::template::render(file, text, &Default::default(), no_partials)
        .expect("benchmark specs render")
        .text
}

/// The whole in-process pipeline for one spec text, as `slipway render` runs it: template →
/// load → validate the spec → compile → validate the bundle (cross-object rules, PromQL) →
/// render; the rendered YAML's length.
fn pipeline(file: &str, text: &str) -> usize {
    let compiled = Pipeline::new(file, text)
        .run()
        .unwrap_or_else(|failed| panic!("benchmark specs are valid:\n{}", failed.render()));
    render::to_yaml(&compiled.bundle).len()
}

fn benches(c: &mut Criterion) {
    // The schema validator is built once per process; build it before measuring.
    pipeline("specs/seed-article.yaml", SEED);

    let mut one = c.benchmark_group("one-application");
    one.throughput(Throughput::Elements(1));
    one.bench_function("seed-article", |b| {
        b.iter(|| pipeline("specs/seed-article.yaml", black_box(SEED)))
    });
    one.finish();

    // The seed application stage by stage, to show where the time goes.
    let file = "specs/seed-article.yaml";
    let text = template(file, SEED);
    let loaded = load_str(file, &text).expect("the seed loads");
    let bundle = compile(&loaded.spec);
    let mut stages = c.benchmark_group("seed-article-stages");
    stages.bench_function("template", |b| b.iter(|| template(file, black_box(SEED))));
    stages.bench_function("load", |b| b.iter(|| load_str(file, black_box(&text))));
    stages.bench_function("validate-spec", |b| {
        b.iter(|| validate::spec(black_box(&loaded)))
    });
    stages.bench_function("compile", |b| b.iter(|| compile(black_box(&loaded.spec))));
    stages.bench_function("validate-bundle", |b| {
        b.iter(|| validate::bundle(black_box(&bundle)))
    });
    stages.bench_function("render", |b| b.iter(|| render::to_yaml(black_box(&bundle))));
    // The YAML writer alone on the objects as JSON values (`render` builds these values, whose
    // maps are sorted, and writes them).
    let values: Vec<_> = bundle
        .objects
        .iter()
        .map(|object| object.to_value())
        .collect();
    stages.bench_function("yaml-from-json", |b| {
        b.iter(|| {
            black_box(&values)
                .iter()
                .map(|value| yaml::to_string(value).expect("JSON values serialise").len())
                .sum::<usize>()
        })
    });
    stages.finish();

    let apps = generated(1_000);
    let mut many = c.benchmark_group("1000-applications");
    many.throughput(Throughput::Elements(apps.len() as u64));
    many.sample_size(10);
    many.measurement_time(Duration::from_secs(10));
    many.bench_function("generated", |b| {
        b.iter(|| {
            apps.iter()
                .map(|(file, text)| pipeline(file, black_box(text)))
                .sum::<usize>()
        })
    });
    many.finish();
}

criterion_group! {
    name = render_benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    targets = benches
}
criterion_main!(render_benches);
