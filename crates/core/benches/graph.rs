//! The relations model of 1,000 generated applications: the bundles are compiled once, then
//! each bundle's model is built (and, in the second measurement, drawn as JSON and SVG).
//!
//! ```text
//! cargo bench -p slipway-core --bench graph
//! ```
//!
//! Target: 1,000 applications under 2 s.

mod common;

use common::generated;
use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use slipway_core::graph::{self, render};
use slipway_core::{Bundle, Pipeline};

fn bundles(count: usize) -> Vec<Bundle> {
    generated(count)
        .iter()
        .map(|(file, text)| {
            Pipeline::new(file, text)
                .run()
                .unwrap_or_else(|failed| panic!("benchmark specs are valid:\n{}", failed.render()))
                .bundle
        })
        .collect()
}

fn benches(c: &mut Criterion) {
    let bundles = bundles(1000);
    let seed = bundles
        .first()
        .map(|b| graph::of(b, &[]))
        .expect("a bundle");
    assert!(!seed.edges.is_empty());

    let mut group = c.benchmark_group("graph-1000-applications");
    group.throughput(Throughput::Elements(bundles.len() as u64));
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(10));
    group.bench_function("model", |b| {
        b.iter(|| {
            black_box(&bundles)
                .iter()
                .map(|bundle| graph::of(bundle, &[]).edges.len())
                .sum::<usize>()
        })
    });
    group.bench_function("model+json+svg", |b| {
        b.iter(|| {
            black_box(&bundles)
                .iter()
                .map(|bundle| {
                    let model = graph::of(bundle, &[]);
                    render::json(&model).len() + render::svg(&model).len()
                })
                .sum::<usize>()
        })
    });
    group.finish();
}

criterion_group!(graph_benches, benches);
criterion_main!(graph_benches);
