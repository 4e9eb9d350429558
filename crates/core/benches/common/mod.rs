//! Specs the benchmarks generate, shared by the render and graph benches.

/// `count` distinct valid applications from one template: names, namespaces, replicas and
/// resources vary; every other one autoscales, every third is blue/green, every fifth trains.
pub fn generated(count: usize) -> Vec<(String, String)> {
    (0..count)
        .map(|i| {
            let name = format!("app-{i:04}");
            let replicas = 1 + i % 5;
            let cpu_request = 100 + 50 * (i % 8);
            let memory_request = 256 * (1 + i % 4);
            let mut text = format!(
                "apiVersion: slipway.dev/v1alpha1\nkind: AIApplication\nmetadata:\n  name: {name}\n  namespace: team-{team}\nspec:\n  model:\n    existingVersions: [\"1\"]\n    source:\n      pvc:\n        claimName: {name}-model\n  inference:\n    replicas: {replicas}\n    resources:\n      requests: {{cpu: {cpu_request}m, memory: {memory_request}Mi}}\n      limits: {{cpu: \"2\", memory: {memory_limit}Mi}}\n    env:\n      LOG_LEVEL: info\n      APP_INDEX: \"{i}\"\n",
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
