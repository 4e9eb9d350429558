//! The relations model of 1,000 generated applications: the bundles are compiled once, then
//! each bundle's model is built (and, in the second measurement, drawn as JSON and SVG).
//!
//! ```text
//! cargo bench -p slipway-core --bench graph
//! ```
//!
//! Target: 1,000 applications under 2 s.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use slipway_core::graph::{self, render};
use slipway_core::{Bundle, Pipeline};

/// `count` distinct valid applications: names, namespaces, replicas and resources vary;
/// every other one autoscales, every third is blue/green, every fifth trains (as the render
/// benchmark generates them).
fn generated(count: usize) -> Vec<(String, String)> {
    (0..count)
        .map(|i| {
            let name = format!("app-{i:04}");
            let replicas = 1 + i % 5;
            let cpu_request = 100 + 50 * (i % 8);
            let memory_request = 256 * (1 + i % 4);
            let mut text = format!(
                "apiVersion: slipway.dev/v1alpha1\nkind: AIApplication\nmetadata:\n  name: {name}\n  namespace: team-{team}\nspec:\n  model:\n    existingVersions: [\"1\"]\n    source:\n      pvc:\n        claimName: {name}-model\n  inference:\n    replicas: {replicas}\n    resources:\n      requests: {{cpu: {cpu_request}m, memory: {memory_request}Mi}}\n      limits: {{cpu: \"2\", memory: {memory_limit}Mi}}\n",
                team = i % 10,
                memory_limit = 2 * memory_request,
            );
            if i % 2 == 0 {
                text.push_str(&format!(
                    "  scaling:\n    hpa:\n      minReplicas: 2\n      maxReplicas: {}\n      cpuUtilization: 70\n",
                    4 + i % 8
                ));
            }
            if i % 3 == 0 {
                text.push_str(&format!(
                    "  rollout:\n    blueGreen:\n      active: {}\n      blue: {{image: \"registry.example.com/{name}:1.{i}\"}}\n      green: {{image: \"registry.example.com/{name}:2.{i}\"}}\n",
                    if i % 2 == 0 { "blue" } else { "green" }
                ));
            }
            if i % 5 == 0 {
                text.push_str(&format!(
                    "  training:\n    image: registry.example.com/{name}-train:1.0\n    output:\n      mountPath: /output\n      claim: {{claimName: {name}-model}}\n"
                ));
            }
            (format!("{name}.yaml"), text)
        })
        .collect()
}

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
